#pragma once
// What the transaction layer and its four state machines share: the transport it sends through,
// the timer values of RFC 3261 Table 4, the bounds on its tables, its counters, and the
// environment each state machine acts on.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

#include "common/clock.h"
#include "common/endpoint.h"

namespace hardline::sip {
class Message;
}

namespace hardline::txn {

using ServerTransactionId = uint64_t;  // never 0
using ClientTransactionId = uint64_t;  // never 0

// A client transaction's report to its TU: each provisional response, then exactly once either
// the final response or nullptr (Timer B or F fired, a transport error, or the proceeding
// limit). The message is valid only during the call.
using ResponseHandler = std::function<void(const sip::Message* response)>;

// The transport, as the transaction layer sees it. Protocol::kTcp is reliable: no
// retransmissions (Timers A, E, G) and Timers D, I, J, K are zero (RFC 3261 Table 4).
class Sender {
 public:
  virtual ~Sender() = default;
  virtual void send(const Endpoint& to, std::string_view bytes) = 0;
  // What the layer calls. Override it, rather than send(), to report transport errors
  // (RFC 3261 §17.1.4, §17.2.4): false ends a client transaction with nullptr to its TU; a
  // server transaction counts it and carries on (its client will retransmit).
  virtual bool try_send(const Endpoint& to, std::string_view bytes) {
    send(to, bytes);
    return true;
  }
};

// RFC 3261 Table 4. Timers B, F, H and J (unreliable) are 64*T1; I and K (unreliable) are T4.
struct Timers {
  Millis t1{500};
  Millis t2{4000};
  Millis t4{5000};
  Millis timer_d{32000};  // unreliable only; zero on a reliable transport
  // Not in RFC 3261: how long an INVITE transaction may stay in Proceeding (server: the TU has
  // not sent a final response; client: no final response arrived) before the layer gives up
  // on it, so that neither a stuck TU nor a peer that rings forever holds memory. Client
  // transactions then get nullptr, as on a timeout. Like Timer C (> 3 min, §16.6).
  Millis invite_proceeding_limit{std::chrono::minutes(5)};

  Millis timer_b() const { return 64 * t1; }
  Millis timer_f() const { return 64 * t1; }
  Millis timer_h() const { return 64 * t1; }
  Millis timer_j(bool reliable) const { return reliable ? Millis{0} : 64 * t1; }
  Millis timer_i(bool reliable) const { return reliable ? Millis{0} : t4; }
  Millis timer_k(bool reliable) const { return reliable ? Millis{0} : t4; }
  Millis timer_d_for(bool reliable) const { return reliable ? Millis{0} : timer_d; }
};

struct Limits {
  // Server transactions still at work: waiting for the TU's final response, or (INVITE) for
  // the ACK of a failure. Past either bound a new request is refused (kOverloaded).
  size_t max_total = 50000;     // in total
  size_t max_per_source = 500;  // per source: an IPv4 address, or an IPv6 prefix of
                                // ipv6_source_prefix bits
  // Non-INVITE server transactions that have sent their final response and stay (Timer J,
  // 32 s on UDP) only to answer a retransmitted request again. They hold no one up, so they
  // count against neither bound above; this many are kept, and past it the oldest is forgotten
  // early (its retransmission is then handled as a new request). Sizing them by the RFC would
  // take rate x 32 s of memory: 1.3 M responses at 40,000 REGISTERs a second. 20,000 keeps the
  // whole 32 s up to ~600 requests a second and one second at 20,000 (~20 MiB).
  size_t max_completed = 20000;
  size_t max_client = 50000;  // client transactions in the table
  // One IPv6 host usually holds a whole /64, so counting single addresses would bound nothing.
  // 128 counts each address on its own.
  uint8_t ipv6_source_prefix = 64;
};

struct Counters {
  uint64_t server_created = 0;
  uint64_t client_created = 0;
  uint64_t request_retransmissions = 0;   // retransmitted requests absorbed by a server txn
  uint64_t responses_resent = 0;          // server: last response sent again (retransmitted
                                          // request, or Timer G)
  uint64_t requests_resent = 0;           // client: Timer A and E retransmissions
  uint64_t acks_absorbed = 0;             // ACKs for a non-2xx final, absorbed
  uint64_t acks_without_transaction = 0;  // ACKs for a 2xx (or stray), handed to the TU
  uint64_t acks_sent = 0;                 // client INVITE: ACKs built and sent, repeats too
  uint64_t response_retransmissions = 0;  // client: retransmitted responses absorbed
  uint64_t timeouts = 0;                  // client: Timer B or F fired
  uint64_t ack_timeouts = 0;              // server INVITE: Timer H fired, no ACK came
  uint64_t abandoned = 0;                 // guard limits: TU or peer never gave a final answer
  uint64_t overloaded = 0;                // new transactions refused past a bound
  uint64_t completed_forgotten = 0;       // completed non-INVITE transactions dropped early
  uint64_t stray_responses = 0;           // responses matching no client transaction
  uint64_t transport_errors = 0;          // Sender::send returned false
  uint64_t responses_discarded = 0;       // respond() for an unknown or finished transaction
  uint64_t stateless = 0;                 // server: answered statelessly or forgotten by the TU
  uint64_t ack_build_failures = 0;        // client INVITE: the original request did not parse
};

// What a client transaction asks the layer to tell its TU after an event.
enum class Report : uint8_t {
  kNothing,
  kResponse,  // hand the response to the TU
  kFailure,   // hand nullptr to the TU: timeout, transport error or proceeding limit
};

// Which timer fired. Retransmission timers (A, E, G) and lifetime timers (the rest) run in
// two separate slots of each transaction.
enum class TimerKind : uint8_t {
  kA,
  kB,
  kD,
  kE,
  kF,
  kG,
  kH,
  kI,
  kJ,
  kK,
  kServerProceedingLimit,  // server INVITE: Timers::invite_proceeding_limit
  kServerTryingLimit,      // server non-INVITE: no final response from the TU within 64*T1
  kClientProceedingLimit,  // client INVITE: Timers::invite_proceeding_limit
  kTransportError,         // client: a failed send, reported from the event loop
};

inline bool is_client_timer(TimerKind kind) {
  switch (kind) {
    case TimerKind::kA:
    case TimerKind::kB:
    case TimerKind::kD:
    case TimerKind::kE:
    case TimerKind::kF:
    case TimerKind::kK:
    case TimerKind::kClientProceedingLimit:
    case TimerKind::kTransportError:
      return true;
    default:
      return false;
  }
}

}  // namespace hardline::txn
