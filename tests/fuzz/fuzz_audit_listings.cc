// The audit's parsers of command and /proc output (nft -j, iptables-save, /proc/net/*,
// /proc/PID/status and limits): whatever the text, no crash, no exception, bounded work.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "audit/firewall.h"
#include "audit/procfs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  using namespace hardline;
  using namespace hardline::audit;
  if (auto ruleset = parse_nft_json(text)) {
    for (auto family : {Family::kIpv4, Family::kIpv6}) {
      (void)port_accepted(*ruleset, family, Protocol::kUdp, 5060);
      (void)dropping_chains(*ruleset, family);
    }
  }
  (void)parse_iptables_save(text, Family::kIpv4);
  (void)parse_proc_net(text, Protocol::kTcp, false);
  (void)parse_proc_net(text, Protocol::kUdp, true);
  (void)parse_proc_status(text);
  (void)parse_proc_limits(text);
  return 0;
}
