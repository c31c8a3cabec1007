#pragma once
// The INVITE server transaction (RFC 3261 §17.2.1, Figure 7).
//
//   Proceeding --1xx from TU--> Proceeding
//   Proceeding --2xx from TU--> Terminated   (the TU/dialog retransmits 2xx, RFC 3261 §13.3.1.4)
//   Proceeding --300..699 from TU--> Completed --ACK--> Confirmed --Timer I--> Terminated
//   Completed --Timer G--> resend final (UDP only, T1 doubling to T2)
//   Completed --Timer H (64*T1)--> Terminated, no ACK came
//
// Timer I is T4 on UDP and 0 on TCP. A retransmitted INVITE gets the last response again. Not
// in the RFC: a TU that sends no final response within Timers::invite_proceeding_limit loses
// the transaction.

#include <cstdint>
#include <string>
#include <utility>

#include "common/endpoint.h"
#include "txn/environment.h"
#include "txn/timer_queue.h"
#include "txn/types.h"

namespace hardline::txn {

class ServerInviteTransaction {
 public:
  enum class State : uint8_t { kProceeding, kCompleted, kConfirmed, kTerminated };

  ServerInviteTransaction(ServerTransactionId id, const Endpoint& reply_to)
      : id_(id), reply_to_(reply_to) {}

  // Arms the guard against a TU that never answers.
  void start(const Environment& env);

  // The INVITE arrived again: the last response, if any, is sent again.
  void on_retransmission(const Environment& env);

  // An ACK matched this transaction. In Completed it stops Timers G and H and starts Timer I;
  // in any other state it is absorbed without effect.
  void on_ack(const Environment& env);

  // A response from the TU. False when discarded: not a status 100..699, or a final response
  // was already sent.
  bool respond(const Environment& env, uint16_t status, std::string bytes);

  void on_timer(const Environment& env, TimerKind kind);

  // Cancels every pending timer; called once, when the layer removes the transaction.
  void stop(const Environment& env) {
    env.timers.cancel(retransmit_);
    env.timers.cancel(lifetime_);
  }

  State state() const { return state_; }
  bool terminated() const { return state_ == State::kTerminated; }
  // No final response sent yet.
  bool awaiting_final() const { return state_ == State::kProceeding; }
  const Endpoint& reply_to() const { return reply_to_; }

  // RFC 2543 matching only: the To tag of the final response, which the ACK carries.
  const std::string& final_to_tag() const { return final_to_tag_; }
  void set_final_to_tag(std::string tag) { final_to_tag_ = std::move(tag); }

 private:
  bool reliable() const { return reply_to_.protocol == Protocol::kTcp; }

  ServerTransactionId id_;
  Endpoint reply_to_;
  std::string last_response_;
  std::string final_to_tag_;
  TimerHandle retransmit_;  // Timer G
  TimerHandle lifetime_;    // the guard, then Timer H, then Timer I
  Millis interval_{0};      // Timer G's current interval
  State state_ = State::kProceeding;
};

}  // namespace hardline::txn
