#pragma once
// BanTable: the networks whose every datagram is dropped before parsing. Bans are keyed by the
// exact network; a source is checked with one lookup per distinct prefix length in force (its
// own group's first), which for the usual table of single-source bans is one lookup. Bounded:
// when full, the ban that ends soonest makes room (automatic bans before an operator's).

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/network.h"
#include "common/siphash.h"
#include "guard/lru_table.h"

namespace hardline::guard {

// A ban as the guard reports it (bans(), and the store's copy).
struct BanInfo {
  Network network;
  int64_t until_unix = 0;  // the ban is over when the clock's unix_seconds() reaches this
  std::string reason;      // why, in the guard's words or the operator's
  bool automatic = false;  // the guard's own (rate, scanner, authentication), not an operator's
  // Automatic bans of this network so far, this one included while it is automatic: the
  // back-off count the store keeps across restarts.
  uint32_t repeats = 0;

  bool operator==(const BanInfo&) const = default;
};

class BanTable {
 public:
  struct Ban {
    int64_t until_ns = 0;  // on the steady clock, which decides
    int64_t until_unix = 0;
    std::string reason;
    bool automatic = false;
    uint32_t repeats = 0;
  };

  BanTable(uint32_t capacity, const KeyedHash& hash);

  bool empty() const { return table_.size() == 0; }
  // Whether a ban in force at `now_ns` covers `source`, whose group is `group` with hash
  // `group_hash`.
  bool banned(const IpAddress& source, const Network& group, uint64_t group_hash,
              int64_t now_ns) const;
  // The ban of exactly `network`, ended or not; nullptr when there is none.
  const Ban* find(const Network& network, uint64_t hash) const {
    return table_.peek(network, hash);
  }

  // Adds the ban of `network`, replacing one of the same network. If the table is full, the ban
  // that ends soonest is removed first and returned, so that its end can be announced.
  std::optional<BanInfo> put(const Network& network, uint64_t hash, Ban ban);
  // Removes the ban of exactly `network` (ended or not) and returns it.
  std::optional<Ban> remove(const Network& network, uint64_t hash);
  // Removes the bans that have ended at `now_ns`, and returns them, soonest ended first.
  std::vector<BanInfo> expire(int64_t now_ns);
  // The bans in force at `now_ns`, ordered by their end.
  std::vector<BanInfo> list(int64_t now_ns) const;

  uint32_t size() const { return table_.size(); }
  uint32_t capacity() const { return table_.capacity(); }
  uint64_t evictions() const { return evictions_; }

 private:
  struct EndOrder {
    bool operator()(const std::pair<int64_t, Network>& a,
                    const std::pair<int64_t, Network>& b) const;
  };
  using Ends = std::set<std::pair<int64_t, Network>, EndOrder>;

  Ends& ends_of(const Ban& ban) { return ban.automatic ? automatic_ends_ : manual_ends_; }
  // Keeps, per family, the prefix lengths that have at least one ban.
  void count_prefix(const Network& network, int delta);
  BanInfo erase(const Network& network, uint64_t hash);
  static BanInfo info(const Network& network, const Ban& ban);

  LruTable<Network, Ban> table_;  // evicted by end, never by recency: see put()
  KeyedHash hash_;
  Ends automatic_ends_;
  Ends manual_ends_;
  std::array<uint32_t, 33> v4_count_{};
  std::array<uint32_t, 129> v6_count_{};
  std::vector<uint8_t> v4_prefixes_;  // prefix lengths with a ban, shortest first
  std::vector<uint8_t> v6_prefixes_;
  uint64_t evictions_ = 0;
};

}  // namespace hardline::guard
