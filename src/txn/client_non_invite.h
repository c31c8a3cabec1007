#pragma once
// The non-INVITE client transaction (RFC 3261 §17.1.2, Figure 6).
//
//   Trying --1xx--> Proceeding --final--> Completed --Timer K--> Terminated
//   Trying --final--> Completed
//   Trying, Proceeding --Timer F (64*T1) or transport error--> Terminated, TU gets nullptr
//
// On UDP, Timer E retransmits the request: T1 doubling to T2 in Trying, every T2 in
// Proceeding. Timer K is T4 on UDP and 0 on TCP; in Completed, response retransmissions are
// absorbed.

#include <cstdint>
#include <string>
#include <utility>

#include "common/endpoint.h"
#include "txn/environment.h"
#include "txn/timer_queue.h"
#include "txn/types.h"

namespace hardline::sip {
class Message;
}

namespace hardline::txn {

class ClientNonInviteTransaction {
 public:
  enum class State : uint8_t { kTrying, kProceeding, kCompleted, kTerminated };

  ClientNonInviteTransaction(ClientTransactionId id, std::string request, const Endpoint& to,
                             ResponseHandler handler)
      : id_(id), to_(to), request_(std::move(request)), handler_(std::move(handler)) {}

  // Sends the request and starts Timers E and F. A failed send is reported as a failure from
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
  Report fail(const Environment& env);

  ClientTransactionId id_;
  Endpoint to_;
  std::string request_;
  ResponseHandler handler_;
  TimerHandle retransmit_;  // Timer E
  TimerHandle lifetime_;    // Timer F, then Timer K
  Millis interval_{0};      // Timer E's current interval
  State state_ = State::kTrying;
};

}  // namespace hardline::txn
