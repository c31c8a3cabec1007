#include "guard/ban_table.h"

#include <algorithm>
#include <tuple>

#include "guard/keys.h"

namespace hardline::guard {

bool BanTable::EndOrder::operator()(const std::pair<int64_t, Network>& a,
                                    const std::pair<int64_t, Network>& b) const {
  return std::tie(a.first, a.second.base, a.second.prefix) <
         std::tie(b.first, b.second.base, b.second.prefix);
}

BanTable::BanTable(uint32_t capacity, const KeyedHash& hash) : table_(capacity), hash_(hash) {}

bool BanTable::banned(const IpAddress& source, const Network& group, uint64_t group_hash,
                      int64_t now_ns) const {
  if (table_.size() == 0) return false;
  auto in_force = [&](const Network& network, uint64_t hash) {
    const Ban* ban = table_.peek(network, hash);
    return ban != nullptr && ban->until_ns > now_ns;
  };
  const uint32_t* counts = source.v6 ? v6_count_.data() : v4_count_.data();
  if (counts[group.prefix] != 0 && in_force(group, group_hash)) return true;
  for (uint8_t prefix : source.v6 ? v6_prefixes_ : v4_prefixes_) {
    if (prefix == group.prefix) continue;
    const Network network = group_of(source, prefix);
    if (in_force(network, hash_network(hash_, network))) return true;
  }
  return false;
}

std::optional<BanInfo> BanTable::put(const Network& network, uint64_t hash, Ban ban) {
  std::optional<BanInfo> evicted;
  if (table_.peek(network, hash) != nullptr) {
    erase(network, hash);
  } else if (table_.size() == table_.capacity()) {
    Ends& victims = automatic_ends_.empty() ? manual_ends_ : automatic_ends_;
    const Network victim = victims.begin()->second;
    evicted = erase(victim, hash_network(hash_, victim));
    ++evictions_;
  }
  ends_of(ban).emplace(ban.until_ns, network);
  count_prefix(network, +1);
  table_.find_or_insert(network, hash).value = std::move(ban);
  return evicted;
}

std::optional<BanTable::Ban> BanTable::remove(const Network& network, uint64_t hash) {
  Ban* ban = table_.peek(network, hash);
  if (ban == nullptr) return std::nullopt;
  Ban removed = std::move(*ban);
  ends_of(removed).erase({removed.until_ns, network});
  count_prefix(network, -1);
  table_.erase(network, hash);
  return removed;
}

BanInfo BanTable::erase(const Network& network, uint64_t hash) {
  std::optional<Ban> ban = remove(network, hash);
  HL_ASSERT(ban.has_value());
  return info(network, *ban);
}

std::vector<BanInfo> BanTable::expire(int64_t now_ns) {
  std::vector<BanInfo> ended;
  for (Ends* ends : {&automatic_ends_, &manual_ends_}) {
    while (!ends->empty() && ends->begin()->first <= now_ns) {
      const Network network = ends->begin()->second;
      ended.push_back(erase(network, hash_network(hash_, network)));
    }
  }
  return ended;
}

std::vector<BanInfo> BanTable::list(int64_t now_ns) const {
  std::vector<std::pair<int64_t, BanInfo>> in_force;
  table_.for_each([&](const Network& network, const Ban& ban) {
    if (ban.until_ns > now_ns) in_force.emplace_back(ban.until_ns, info(network, ban));
  });
  std::sort(in_force.begin(), in_force.end(), [](const auto& a, const auto& b) {
    return EndOrder{}({a.first, a.second.network}, {b.first, b.second.network});
  });
  std::vector<BanInfo> out;
  out.reserve(in_force.size());
  for (auto& [until, ban] : in_force) out.push_back(std::move(ban));
  return out;
}

void BanTable::count_prefix(const Network& network, int delta) {
  uint32_t& count = network.base.v6 ? v6_count_[network.prefix] : v4_count_[network.prefix];
  std::vector<uint8_t>& prefixes = network.base.v6 ? v6_prefixes_ : v4_prefixes_;
  count += delta;
  const auto at = std::lower_bound(prefixes.begin(), prefixes.end(), network.prefix);
  const bool listed = at != prefixes.end() && *at == network.prefix;
  if (count != 0 && !listed) prefixes.insert(at, network.prefix);
  if (count == 0 && listed) prefixes.erase(at);
}

BanInfo BanTable::info(const Network& network, const Ban& ban) {
  return BanInfo{network, ban.until_unix, ban.reason, ban.automatic, ban.repeats};
}

}  // namespace hardline::guard
