#pragma once
// The non-INVITE server transaction (RFC 3261 §17.2.2, Figure 8).
//
//   Trying --1xx from TU--> Proceeding --final from TU--> Completed --Timer J--> Terminated
//   Trying --final from TU--> Completed
//
// A retransmitted request is absorbed; in Proceeding and Completed it gets the last response
// again. Timer J is 64*T1 on UDP and 0 on TCP. Not in the RFC: a TU that gives no final
// response within 64*T1 (when the client's Timer F has long fired) loses the transaction.

#include <cstdint>
#include <string>

#include "common/endpoint.h"
#include "txn/environment.h"
#include "txn/timer_queue.h"
#include "txn/types.h"

namespace hardline::txn {

class ServerNonInviteTransaction {
 public:
  enum class State : uint8_t { kTrying, kProceeding, kCompleted, kTerminated };

  ServerNonInviteTransaction(ServerTransactionId id, const Endpoint& reply_to)
      : id_(id), reply_to_(reply_to) {}

  // Arms the guard against a TU that never answers.
  void start(const Environment& env);

  // The request arrived again: the last response, if any, is sent again.
  void on_retransmission(const Environment& env);

  // A response from the TU, sent to reply_to. False when discarded: not a status 100..699, or a
  // final response was already sent.
  bool respond(const Environment& env, uint16_t status, std::string bytes);

  void on_timer(const Environment& env, TimerKind kind);

  // Cancels every pending timer; called once, when the layer removes the transaction.
  void stop(const Environment& env) { env.timers.cancel(timer_); }

  State state() const { return state_; }
  bool terminated() const { return state_ == State::kTerminated; }
  // No final response sent yet.
  bool awaiting_final() const { return state_ == State::kTrying || state_ == State::kProceeding; }
  const Endpoint& reply_to() const { return reply_to_; }

 private:
  bool reliable() const { return reply_to_.protocol == Protocol::kTcp; }

  ServerTransactionId id_;
  Endpoint reply_to_;
  std::string last_response_;
  TimerHandle timer_;  // the guard, then Timer J
  State state_ = State::kTrying;
};

}  // namespace hardline::txn
