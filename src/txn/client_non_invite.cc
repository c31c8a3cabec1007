#include "txn/client_non_invite.h"

#include <algorithm>

#include "sip/message.h"

namespace hardline::txn {

void ClientNonInviteTransaction::start(const Environment& env) {
  if (!env.send(to_, request_)) {
    env.arm(lifetime_, Millis{0}, id_, TimerKind::kTransportError);
    return;
  }
  env.arm(lifetime_, env.config.timer_f(), id_, TimerKind::kF);
  if (!reliable()) {
    interval_ = env.config.t1;
    env.arm(retransmit_, interval_, id_, TimerKind::kE);
  }
}

Report ClientNonInviteTransaction::on_response(const Environment& env,
                                               const sip::Message& response) {
  if (state_ == State::kCompleted) {
    ++env.counters.response_retransmissions;
    return Report::kNothing;
  }
  if (state_ == State::kTerminated) return Report::kNothing;
  if (response.status < 200) {
    state_ = State::kProceeding;
    return Report::kResponse;
  }
  state_ = State::kCompleted;
  env.timers.cancel(retransmit_);
  request_.clear();
  request_.shrink_to_fit();
  Millis timer_k = env.config.timer_k(reliable());
  if (timer_k == Millis{0}) {
    env.timers.cancel(lifetime_);
    state_ = State::kTerminated;
  } else {
    env.arm(lifetime_, timer_k, id_, TimerKind::kK);
  }
  return Report::kResponse;
}

Report ClientNonInviteTransaction::on_timer(const Environment& env, TimerKind kind) {
  bool waiting = state_ == State::kTrying || state_ == State::kProceeding;
  switch (kind) {
    case TimerKind::kE:
      if (!waiting) break;
      ++env.counters.requests_resent;
      if (!env.send(to_, request_)) return fail(env);
      interval_ = state_ == State::kTrying ? std::min(2 * interval_, env.config.t2) : env.config.t2;
      env.arm(retransmit_, interval_, id_, TimerKind::kE);
      break;
    case TimerKind::kF:
      if (!waiting) break;
      ++env.counters.timeouts;
      return fail(env);
    case TimerKind::kTransportError:
      if (waiting) return fail(env);
      break;
    case TimerKind::kK:
      if (state_ == State::kCompleted) state_ = State::kTerminated;
      break;
    default:
      break;
  }
  return Report::kNothing;
}

Report ClientNonInviteTransaction::fail(const Environment& env) {
  stop(env);
  state_ = State::kTerminated;
  return Report::kFailure;
}

}  // namespace hardline::txn
