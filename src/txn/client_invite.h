#pragma once
// The INVITE client transaction (RFC 3261 §17.1.1, Figure 5).
//
//   Calling --1xx--> Proceeding --1xx--> Proceeding
//   Calling, Proceeding --2xx--> Terminated        (the TU ACKs a 2xx itself, §13.2.2.4)
//   Calling, Proceeding --300..699--> Completed: the layer sends the ACK (§17.1.1.3)
//   Completed --300..699 again--> ACK sent again, response absorbed
//   Completed --Timer D--> Terminated
//   Calling --Timer B (64*T1) or transport error--> Terminated, TU gets nullptr
//
// On UDP, Timer A retransmits the INVITE in Calling: T1, then doubling, without cap. Timer D is
// Timers::timer_d on UDP and 0 on TCP. Not in the RFC: a transaction still in Proceeding after
// Timers::invite_proceeding_limit ends with nullptr, so a peer that rings forever cannot hold it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/endpoint.h"
#include "txn/client_non_invite.h"
#include "txn/environment.h"
#include "txn/timer_queue.h"
#include "txn/types.h"

namespace hardline::sip {
class Message;
}

namespace hardline::txn {

// The ACK for a non-2xx final response to `request` (RFC 3261 §17.1.1.3): Request-URI,
// Call-ID, From, CSeq number, Max-Forwards and Route headers of the request, its top Via only,
// the To of the response, no body. Empty when the request does not parse.
std::optional<std::string> build_ack(std::string_view request, const sip::Message& response);

class ClientInviteTransaction {
 public:
  enum class State : uint8_t { kCalling, kProceeding, kCompleted, kTerminated };

  ClientInviteTransaction(ClientTransactionId id, std::string request, const Endpoint& to,
                          ResponseHandler handler)
      : id_(id), to_(to), request_(std::move(request)), handler_(std::move(handler)) {}

  // Sends the INVITE and starts Timers A and B. A failed send is reported as a failure from
  // the event loop (a zero timer), never from inside the caller's call.
  void start(const Environment& env);

  Report on_response(const Environment& env, const sip::Message& response);
  Report on_timer(const Environment& env, TimerKind kind);

  // Cancels every pending timer; called once, when the layer removes the transaction.
  void stop(const Environment& env) {
    env.timers.cancel(retransmit_);
    env.timers.cancel(lifetime_);
  }

  State state() const { return state_; }
  bool terminated() const { return state_ == State::kTerminated; }
  ResponseHandler& handler() { return handler_; }

 private:
  bool reliable() const { return to_.protocol == Protocol::kTcp; }
  void complete(const Environment& env, const sip::Message& response);
  Report fail(const Environment& env);

  ClientTransactionId id_;
  Endpoint to_;
  std::string request_;  // the INVITE; in Completed, the ACK (or empty if none could be built)
  ResponseHandler handler_;
  TimerHandle retransmit_;  // Timer A
  TimerHandle lifetime_;    // Timer B, then the proceeding limit, then Timer D
  Millis interval_{0};      // Timer A's current interval
  State state_ = State::kCalling;
};

}  // namespace hardline::txn
