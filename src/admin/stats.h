#pragma once
// What the admin API and /metrics learn from the running SIP server: one Snapshot of its
// counters, copied on the SIP event loop's thread and handed to the admin thread, and the
// ServerLink through which the admin thread asks for it. src/server implements ServerLink by
// posting to its event loop (server/admin_link.h); tests implement it with fixed numbers.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "call/settings.h"
#include "common/endpoint.h"
#include "guard/guard.h"
#include "sip/message.h"
#include "txn/types.h"

namespace hardline::admin {

inline constexpr size_t kMethodCount = static_cast<size_t>(sip::Method::kOther) + 1;
// Responses are counted by status code, 100..699, in a flat array indexed by the code.
inline constexpr size_t kStatusSlots = 700;

// SIP traffic as src/server counts it where requests are read and answered: fixed arrays, no
// maps, so counting costs an increment on the hot path.
struct SipTraffic {
  std::array<uint64_t, kMethodCount> requests{};   // parsed requests by sip::Method
  std::array<uint64_t, kStatusSlots> responses{};  // responses sent by status code
};

struct Snapshot {
  int64_t uptime_seconds = 0;
  SipTraffic traffic{};
  // The server's own counters (server/sip_server.h Counters).
  uint64_t messages_received = 0;
  uint64_t parse_errors = 0;
  uint64_t malformed_answered = 0;
  uint64_t malformed_dropped = 0;
  uint64_t guard_dropped = 0;
  uint64_t challenges = 0;
  uint64_t auth_failures = 0;  // SIP digest credentials that did not verify
  uint64_t authenticated = 0;
  uint64_t stale_nonces = 0;
  uint64_t forged_nonces = 0;
  uint64_t digest_pins = 0;  // accounts of digest policy "any" pinned to SHA-256
  uint64_t store_errors = 0;
  uint64_t connections_refused = 0;
  uint64_t overloaded = 0;
  uint64_t answers_withheld = 0;  // over UDP, more than 3x the unauthenticated request: not sent
  guard::Counters guard{};
  txn::Counters transactions{};
  uint64_t transactions_server = 0;  // in the table now
  uint64_t transactions_client = 0;
  uint64_t registrations = 0;  // bindings in force
  uint64_t calls_active = 0;   // calls not ended yet (ringing or answered)
  call::Counters calls{};
  // Why the server is degraded (/health): the store cannot write, the database file is gone or
  // replaced, TCP accept fails for lack of descriptors. Empty when healthy. Static wording plus
  // the database's path and the error's kind: never a caller, number or address.
  std::vector<std::string> problems;
  uint64_t accept_failures = 0;  // TCP accepts that failed for lack of a resource
};

// The admin thread's view of the SIP server. Implementations are called from the admin thread
// only and must never block the SIP event loop.
class ServerLink {
 public:
  virtual ~ServerLink() = default;
  // A snapshot taken on the SIP loop; nullopt when the loop did not answer within `timeout`
  // (it is stalled or stopping).
  virtual std::optional<Snapshot> snapshot(std::chrono::milliseconds timeout) = 0;
  // A wrong admin token from `source`: the guard counts it like a failed SIP authentication, so a
  // source that keeps guessing is banned (and then refused by the admin listener too). Does not
  // wait.
  virtual void auth_failure(const IpAddress& source) = 0;
};

}  // namespace hardline::admin
