#pragma once
// Parsers for the /proc files the audit reads: listening sockets (/proc/net/tcp, tcp6, udp,
// udp6), a process's status (uid, gid, NoNewPrivs, Seccomp, CapEff) and its limits. Pure
// functions over the text; lines they do not understand are skipped, never trusted.
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "common/endpoint.h"

namespace hardline::audit {

inline constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

struct SocketEntry {
  Protocol protocol = Protocol::kUdp;
  IpAddress address;  // local address
  uint16_t port = 0;
  uint64_t inode = 0;

  bool operator==(const SocketEntry&) const = default;
};

// The listening sockets of one /proc/net file: TCP in state LISTEN (0A); UDP bound and
// unconnected (state 07 with a zero remote address). `v6` for tcp6/udp6.
std::vector<SocketEntry> parse_proc_net(std::string_view text, Protocol protocol, bool v6);

struct ProcessStatus {
  uint32_t uid = 0;  // effective
  uint32_t gid = 0;  // effective
  bool no_new_privs = false;
  uint32_t seccomp = 0;  // 0 none, 1 strict, 2 filter
  uint64_t cap_effective = 0;
  uint64_t cap_permitted = 0;
  bool complete = false;  // every field above was found

  bool operator==(const ProcessStatus&) const = default;
};
ProcessStatus parse_proc_status(std::string_view text);

// Soft limits; kUnlimited for "unlimited" (and for a limit missing from the text).
struct ProcessLimits {
  uint64_t open_files = kUnlimited;
  uint64_t processes = kUnlimited;
  uint64_t core_bytes = kUnlimited;
  uint64_t address_space_bytes = kUnlimited;

  bool operator==(const ProcessLimits&) const = default;
};
ProcessLimits parse_proc_limits(std::string_view text);

}  // namespace hardline::audit
