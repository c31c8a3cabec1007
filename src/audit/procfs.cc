#include "audit/procfs.h"

#include <charconv>
#include <string>

namespace hardline::audit {
namespace {

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

template <class Visit>
void for_each_line(std::string_view text, Visit visit) {
  while (!text.empty()) {
    size_t newline = text.find('\n');
    visit(text.substr(0, newline));
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  }
}

std::optional<uint64_t> number(std::string_view text, int base = 10) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// "0100007F:13C4" (IPv4, the address as a little-endian word) or 32 hex digits (IPv6, four
// little-endian words) then ":PORT" in big-endian hex.
bool parse_address(std::string_view text, bool v6, IpAddress& address, uint16_t& port) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view hex = text.substr(0, colon);
  auto port_value = number(text.substr(colon + 1), 16);
  if (!port_value || *port_value > 65535 || hex.size() != (v6 ? 32U : 8U)) return false;
  address = IpAddress{};
  address.v6 = v6;
  for (size_t word = 0; word < hex.size() / 8; ++word) {
    auto value = number(hex.substr(word * 8, 8), 16);
    if (!value) return false;
    for (size_t byte = 0; byte < 4; ++byte) {
      address.bytes[word * 4 + byte] = static_cast<uint8_t>((*value >> (8 * byte)) & 0xff);
    }
  }
  port = static_cast<uint16_t>(*port_value);
  return true;
}

bool all_zero(std::string_view hex_address) {
  for (char c : hex_address.substr(0, hex_address.find(':'))) {
    if (c != '0') return false;
  }
  return true;
}

}  // namespace

std::vector<SocketEntry> parse_proc_net(std::string_view text, Protocol protocol, bool v6) {
  std::vector<SocketEntry> sockets;
  for_each_line(text, [&](std::string_view line) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    std::vector<std::string_view> words = words_of(line);
    if (words.size() < 10 || words[0].empty() || words[0].back() != ':') return;
    const std::string_view state = words[3];
    const bool listening =
        protocol == Protocol::kTcp ? state == "0A" : (state == "07" && all_zero(words[2]));
    if (!listening) return;
    SocketEntry entry;
    entry.protocol = protocol;
    auto inode = number(words[9]);
    if (!inode || !parse_address(words[1], v6, entry.address, entry.port)) return;
    entry.inode = *inode;
    sockets.push_back(entry);
  });
  return sockets;
}

ProcessStatus parse_proc_status(std::string_view text) {
  ProcessStatus status;
  unsigned found = 0;
  for_each_line(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view key = line.substr(0, colon);
    std::vector<std::string_view> values = words_of(line.substr(colon + 1));
    if (values.empty()) return;
    if ((key == "Uid" || key == "Gid") && values.size() >= 2) {
      auto effective = number(values[1]);
      if (!effective || *effective > UINT32_MAX) return;
      (key == "Uid" ? status.uid : status.gid) = static_cast<uint32_t>(*effective);
      found |= key == "Uid" ? 1U : 2U;
    } else if (key == "NoNewPrivs") {
      status.no_new_privs = values[0] == "1";
      found |= 4U;
    } else if (key == "Seccomp") {
      if (auto value = number(values[0]); value && *value <= 2) {
        status.seccomp = static_cast<uint32_t>(*value);
        found |= 8U;
      }
    } else if (key == "CapEff") {
      if (auto value = number(values[0], 16)) {
        status.cap_effective = *value;
        found |= 16U;
      }
    } else if (key == "CapPrm") {
      if (auto value = number(values[0], 16)) {
        status.cap_permitted = *value;
        found |= 32U;
      }
    }
  });
  status.complete = found == 63U;
  return status;
}

ProcessLimits parse_proc_limits(std::string_view text) {
  ProcessLimits limits;
  for_each_line(text, [&](std::string_view line) {
    // "Max open files            1024                 524288               files"
    auto take = [&](std::string_view name, uint64_t& out) {
      if (line.substr(0, name.size()) != name) return;
      std::vector<std::string_view> values = words_of(line.substr(name.size()));
      if (values.empty()) return;
      if (values[0] == "unlimited") {
        out = kUnlimited;
      } else if (auto value = number(values[0])) {
        out = *value;
      }
    };
    take("Max open files", limits.open_files);
    take("Max processes", limits.processes);
    take("Max core file size", limits.core_bytes);
    take("Max address space", limits.address_space_bytes);
  });
  return limits;
}

}  // namespace hardline::audit
