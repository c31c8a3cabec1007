#include "txn/client_invite.h"

#include "sip/message.h"
#include "sip/parser.h"

namespace hardline::txn {

std::optional<std::string> build_ack(std::string_view request, const sip::Message& response) {
  auto parsed = sip::parse_datagram(request);
  if (!parsed || !parsed->is_request || parsed->vias.empty()) return std::nullopt;
  const sip::Message& invite = *parsed;
  const sip::Header* from = invite.find(sip::HeaderId::kFrom);
  const sip::Header* to = response.find(sip::HeaderId::kTo);
  if (from == nullptr || to == nullptr) return std::nullopt;

  std::string ack;
  ack.reserve(request.size() / 2 + to->value.size());
  ack.append("ACK ").append(invite.request_uri.text).append(" SIP/2.0\r\n");
  ack.append("Via: ").append(invite.vias.front().text).append("\r\n");
  ack.append("Max-Forwards: ")
      .append(std::to_string(invite.max_forwards.value_or(70)))
      .append("\r\n");
  for (const sip::Header& header : invite.headers) {
    if (header.id == sip::HeaderId::kRoute)
      ack.append("Route: ").append(header.value).append("\r\n");
  }
  ack.append("From: ").append(from->value).append("\r\n");
  ack.append("To: ").append(to->value).append("\r\n");
  ack.append("Call-ID: ").append(invite.call_id).append("\r\n");
  ack.append("CSeq: ").append(std::to_string(invite.cseq.number)).append(" ACK\r\n");
  ack.append("Content-Length: 0\r\n\r\n");
  return ack;
}

void ClientInviteTransaction::start(const Environment& env) {
  if (!env.send(to_, request_)) {
    env.arm(lifetime_, Millis{0}, id_, TimerKind::kTransportError);
    return;
  }
  env.arm(lifetime_, env.config.timer_b(), id_, TimerKind::kB);
  if (!reliable()) {
    interval_ = env.config.t1;
    env.arm(retransmit_, interval_, id_, TimerKind::kA);
  }
}

Report ClientInviteTransaction::on_response(const Environment& env, const sip::Message& response) {
  switch (state_) {
    case State::kCalling:
    case State::kProceeding:
      if (response.status < 200) {
        if (state_ == State::kCalling) {
          state_ = State::kProceeding;
          env.timers.cancel(retransmit_);
          env.arm(lifetime_, env.config.invite_proceeding_limit, id_,
                  TimerKind::kClientProceedingLimit);
        }
        return Report::kResponse;
      }
      if (response.status < 300) {
        stop(env);
        state_ = State::kTerminated;
        return Report::kResponse;
      }
      complete(env, response);
      return Report::kResponse;
    case State::kCompleted:
      ++env.counters.response_retransmissions;
      if (response.status >= 300 && !request_.empty()) {
        ++env.counters.acks_sent;
        env.send(to_, request_);
      }
      return Report::kNothing;
    case State::kTerminated:
      break;
  }
  return Report::kNothing;
}

void ClientInviteTransaction::complete(const Environment& env, const sip::Message& response) {
  state_ = State::kCompleted;
  env.timers.cancel(retransmit_);
  std::optional<std::string> ack = build_ack(request_, response);
  if (ack) {
    request_ = std::move(*ack);
    ++env.counters.acks_sent;
    env.send(to_, request_);
  } else {
    ++env.counters.ack_build_failures;
    request_.clear();
  }
  Millis timer_d = env.config.timer_d_for(reliable());
  if (timer_d == Millis{0}) {
    stop(env);
    state_ = State::kTerminated;
  } else {
    env.arm(lifetime_, timer_d, id_, TimerKind::kD);
  }
}

Report ClientInviteTransaction::on_timer(const Environment& env, TimerKind kind) {
  switch (kind) {
    case TimerKind::kA:
      if (state_ != State::kCalling) break;
      ++env.counters.requests_resent;
      if (!env.send(to_, request_)) return fail(env);
      interval_ *= 2;
      env.arm(retransmit_, interval_, id_, TimerKind::kA);
      break;
    case TimerKind::kB:
      if (state_ != State::kCalling) break;
      ++env.counters.timeouts;
      return fail(env);
    case TimerKind::kClientProceedingLimit:
      if (state_ != State::kProceeding) break;
      ++env.counters.abandoned;
      return fail(env);
    case TimerKind::kTransportError:
      if (state_ == State::kCalling || state_ == State::kProceeding) return fail(env);
      break;
    case TimerKind::kD:
      if (state_ == State::kCompleted) state_ = State::kTerminated;
      break;
    default:
      break;
  }
  return Report::kNothing;
}

Report ClientInviteTransaction::fail(const Environment& env) {
  stop(env);
  state_ = State::kTerminated;
  return Report::kFailure;
}

}  // namespace hardline::txn
