#include "txn/server_non_invite.h"

#include <utility>

namespace hardline::txn {

void ServerNonInviteTransaction::start(const Environment& env) {
  env.arm(timer_, env.config.timer_f(), id_, TimerKind::kServerTryingLimit);
}

void ServerNonInviteTransaction::on_retransmission(const Environment& env) {
  if (state_ != State::kProceeding && state_ != State::kCompleted) return;
  ++env.counters.responses_resent;
  env.send(reply_to_, last_response_);
}

bool ServerNonInviteTransaction::respond(const Environment& env, uint16_t status,
                                         std::string bytes) {
  if (status < 100 || status > 699) return false;
  if (state_ != State::kTrying && state_ != State::kProceeding) return false;
  last_response_ = std::move(bytes);
  env.send(reply_to_, last_response_);
  if (status < 200) {
    state_ = State::kProceeding;
    return true;
  }
  state_ = State::kCompleted;
  Millis timer_j = env.config.timer_j(reliable());
  if (timer_j == Millis{0}) {
    state_ = State::kTerminated;
  } else {
    env.arm(timer_, timer_j, id_, TimerKind::kJ);
  }
  return true;
}

void ServerNonInviteTransaction::on_timer(const Environment& env, TimerKind kind) {
  switch (kind) {
    case TimerKind::kJ:
      if (state_ == State::kCompleted) state_ = State::kTerminated;
      break;
    case TimerKind::kServerTryingLimit:
      if (state_ == State::kTrying || state_ == State::kProceeding) {
        ++env.counters.abandoned;
        state_ = State::kTerminated;
      }
      break;
    default:
      break;
  }
}

}  // namespace hardline::txn
