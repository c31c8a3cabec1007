#include "txn/server_invite.h"

#include <algorithm>
#include <utility>

namespace hardline::txn {

void ServerInviteTransaction::start(const Environment& env) {
  env.arm(lifetime_, env.config.invite_proceeding_limit, id_, TimerKind::kServerProceedingLimit);
}

void ServerInviteTransaction::on_retransmission(const Environment& env) {
  if (state_ == State::kConfirmed || state_ == State::kTerminated || last_response_.empty()) {
    return;
  }
  ++env.counters.responses_resent;
  env.send(reply_to_, last_response_);
}

void ServerInviteTransaction::on_ack(const Environment& env) {
  if (state_ != State::kCompleted) return;
  state_ = State::kConfirmed;
  env.timers.cancel(retransmit_);
  last_response_.clear();
  last_response_.shrink_to_fit();
  Millis timer_i = env.config.timer_i(reliable());
  if (timer_i == Millis{0}) {
    state_ = State::kTerminated;
  } else {
    env.arm(lifetime_, timer_i, id_, TimerKind::kI);
  }
}

bool ServerInviteTransaction::respond(const Environment& env, uint16_t status, std::string bytes) {
  if (status < 100 || status > 699 || state_ != State::kProceeding) return false;
  if (status < 200) {
    last_response_ = std::move(bytes);
    env.send(reply_to_, last_response_);
    return true;
  }
  if (status < 300) {
    env.send(reply_to_, bytes);
    state_ = State::kTerminated;
    return true;
  }
  last_response_ = std::move(bytes);
  env.send(reply_to_, last_response_);
  state_ = State::kCompleted;
  if (!reliable()) {
    interval_ = env.config.t1;
    env.arm(retransmit_, interval_, id_, TimerKind::kG);
  }
  env.arm(lifetime_, env.config.timer_h(), id_, TimerKind::kH);
  return true;
}

void ServerInviteTransaction::on_timer(const Environment& env, TimerKind kind) {
  switch (kind) {
    case TimerKind::kG:
      if (state_ != State::kCompleted) break;
      ++env.counters.responses_resent;
      env.send(reply_to_, last_response_);
      interval_ = std::min(2 * interval_, env.config.t2);
      env.arm(retransmit_, interval_, id_, TimerKind::kG);
      break;
    case TimerKind::kH:
      if (state_ != State::kCompleted) break;
      ++env.counters.ack_timeouts;
      state_ = State::kTerminated;
      break;
    case TimerKind::kI:
      if (state_ == State::kConfirmed) state_ = State::kTerminated;
      break;
    case TimerKind::kServerProceedingLimit:
      if (state_ != State::kProceeding) break;
      ++env.counters.abandoned;
      state_ = State::kTerminated;
      break;
    default:
      break;
  }
}

}  // namespace hardline::txn
