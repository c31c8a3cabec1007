#pragma once
// The call layer's settings ([calls] in the config; src/server maps them) and counters.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/clock.h"

namespace hardline::call {

struct Settings {
  std::string domain;         // our SIP domain: the host of the identity callees see
  std::string server_header;  // sip.server_header: "" sends none
  Millis ring_timeout{std::chrono::seconds(60)};  // unanswered this long: CANCEL, 480
  Millis max_duration{std::chrono::hours(4)};     // answered this long: BYE both sides
  size_t max_calls = 10000;                       // live calls in total; beyond: 503
  uint32_t max_calls_per_account = 10;            // live calls one account takes part in
  uint32_t max_forks = 10;                        // contacts rung at once for one call
  uint32_t max_hops = 5;                          // X-Hardline-Hops above this: 482
  Millis t1{500};                                 // 2xx retransmission (RFC 3261 §13.3.1.4)
  Millis t2{4000};
};

struct Counters {
  uint64_t started = 0;   // INVITEs the router accepted and that were sent on
  uint64_t answered = 0;  // calls that got a 2xx
  uint64_t ended = 0;     // answered calls that ended (BYE, no ACK, max duration, leg lost)
  // Calls that never got answered, by why.
  uint64_t rejected = 0;       // the router refused (404, 403, ...)
  uint64_t unavailable = 0;    // the account has no registered contact: 480
  uint64_t busy = 0;           // 486 or 600
  uint64_t declined = 0;       // 603
  uint64_t no_answer = 0;      // ring timeout: 480
  uint64_t timed_out = 0;      // every fork timed out (Timer B) or failed to send: 408
  uint64_t cancelled = 0;      // the caller cancelled: 487
  uint64_t other_failure = 0;  // any other final status
  uint64_t overloaded = 0;     // max_calls or max_calls_per_account reached: 503
  uint64_t loops = 0;          // 482 (hop count) or 483 (Max-Forwards)
  // Beyond the calls' outcomes.
  uint64_t auth_retries = 0;       // a remote target's 401/407 answered
  uint64_t late_answers = 0;       // a 2xx from a fork after another won: ACK + BYE
  uint64_t ack_timeouts = 0;       // a 2xx never ACKed: the call ended
  uint64_t max_duration_ends = 0;  // calls ended at max_duration
  uint64_t legs_lost = 0;          // a leg's TCP connection closed: the call ended
  uint64_t in_dialog_relayed = 0;  // re-INVITE, UPDATE, INFO, ... relayed
  uint64_t no_dialog = 0;          // in-dialog requests matching no call: 481
  // In-dialog requests (403) and ACKs (ignored) from another address or transport than their
  // leg's, its account not proven.
  uint64_t wrong_source = 0;
  uint64_t legs_moved = 0;  // a leg's phone moved and authenticated as the leg's account
};

}  // namespace hardline::call
