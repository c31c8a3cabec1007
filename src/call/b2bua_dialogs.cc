// Calls once set up: requests inside a dialog, ACKs and 2xx retransmissions, timers, and the
// end of calls.
#include <algorithm>
#include <utility>

#include "call/b2bua.h"
#include "call/reasons.h"

namespace hardline::call {

namespace {

constexpr std::string_view kBranchCookie = "z9hG4bK";

std::string_view content_type_of(const sip::Message& message) {
  const sip::Header* header = message.find(sip::HeaderId::kContentType);
  return header != nullptr ? header->value : std::string_view{};
}

}  // namespace

Dialog& B2bua::dialog_of(Call& call, Side side) {
  if (side == Side::kCaller) return call.caller;
  return call.forks[static_cast<size_t>(call.winner)].dialog;
}

void B2bua::arm(txn::TimerHandle& handle, Millis after, uint64_t call_id, Timer kind) {
  timers_.cancel(handle);
  // The queue's kinds belong to the transaction layer; the call layer's own are carried in the
  // same byte and read back in run_timers().
  handle = timers_.schedule(clock_.now() + after, call_id,
                            static_cast<txn::TimerKind>(static_cast<uint8_t>(kind)));
}

void B2bua::run_timers() {
  const SteadyTime now = clock_.now();
  while (auto expired = timers_.pop_expired(now)) {
    on_timer(expired->owner, static_cast<Timer>(static_cast<uint8_t>(expired->kind)));
  }
}

void B2bua::on_timer(uint64_t call_id, Timer kind) {
  Call* call = calls_.find(call_id);
  if (call == nullptr) return;
  switch (kind) {
    case Timer::kRing:
      if (call->state == State::kRinging) fail_call(*call, 480, counters_.no_answer);
      return;
    case Timer::kDuration:
      if (call->state == State::kAnswered || call->state == State::kConfirmed) {
        ++counters_.max_duration_ends;
        hang_up(*call, std::nullopt);
      }
      return;
    case Timer::kRetransmitCaller:
      on_retransmit(*call, Side::kCaller);
      return;
    case Timer::kRetransmitCallee:
      on_retransmit(*call, Side::kCallee);
      return;
    case Timer::kLinger:
      // Ended, and a fork never answered its CANCEL: nothing more is worth waiting for.
      erase(*call);
      return;
  }
}

void B2bua::start_pending_ack(Call& call, Side side, uint32_t cseq, std::string response,
                              uint32_t other_cseq) {
  PendingAck& pending = call.pending[static_cast<size_t>(side)];
  pending.cseq = cseq;
  pending.response = std::move(response);
  pending.other_cseq = other_cseq;
  pending.interval = settings_.t1;
  pending.give_up = clock_.now() + 64 * settings_.t1;
  arm(pending.timer, pending.interval, call.id,
      side == Side::kCaller ? Timer::kRetransmitCaller : Timer::kRetransmitCallee);
}

void B2bua::on_retransmit(Call& call, Side side) {
  PendingAck& pending = call.pending[static_cast<size_t>(side)];
  if (pending.cseq == 0) return;
  if (clock_.now() >= pending.give_up) {
    // No ACK for our 2xx (RFC 3261 §13.3.1.4): the dialog is over.
    ++counters_.ack_timeouts;
    hang_up(call, std::nullopt);  // clears what is pending
    return;
  }
  const Dialog& d = dialog_of(call, side);
  // Over TCP the 2xx is not sent again, but the ACK is still waited for.
  if (d.peer.protocol != Protocol::kTcp) network_.send(d.peer, pending.response);
  pending.interval = std::min(2 * pending.interval, settings_.t2);
  const Millis left = std::chrono::duration_cast<Millis>(pending.give_up - clock_.now());
  arm(pending.timer, std::min(pending.interval, left), call.id,
      side == Side::kCaller ? Timer::kRetransmitCaller : Timer::kRetransmitCallee);
}

void B2bua::send_ack(Dialog& dialog, Side to, uint32_t cseq, const sip::Message* ack_from_other,
                     uint64_t call) {
  const std::string branch = std::string(kBranchCookie) + new_token();
  std::string headers;
  std::string body;
  if (ack_from_other != nullptr && !ack_from_other->body.empty()) {
    // A late offer's answer rides on the ACK.
    append_forwarded_headers(*ack_from_other, headers);
    body = rewrite_sdp_for_leg(ack_from_other->body, content_type_of(*ack_from_other), to, call);
  }
  dialog.ack = build_request(dialog, "ACK", cseq, branch, 70, headers, body);
  dialog.ack_cseq = cseq;
  network_.send(dialog.peer, dialog.ack);
}

void B2bua::send_bye(Call& call, Side side) {
  Dialog& d = dialog_of(call, side);
  const uint32_t cseq = ++d.local_cseq;
  const std::string branch = std::string(kBranchCookie) + new_token();
  transactions_.send_request(sip::Method::kBye, branch,
                             build_request(d, "BYE", cseq, branch, 70, {}, {}), d.peer, nullptr);
}

bool B2bua::on_cancel(txn::ServerTransactionId invite) {
  const uint64_t* call_id = invites_.find(invite);
  if (call_id == nullptr) return false;
  Call* call = calls_.find(*call_id);
  if (call == nullptr || call->state != State::kRinging) return false;
  fail_call(*call, 487, counters_.cancelled);
  return true;
}

bool B2bua::on_ack(const sip::Message& ack, const Endpoint& source) {
  LegRef* ref = find_tag(ack.to.tag());
  if (ref == nullptr) return false;
  Call* call = calls_.find(ref->call);
  if (call == nullptr) return false;
  const Dialog& leg =
      ref->fork < 0 ? call->caller : call->forks[static_cast<size_t>(ref->fork)].dialog;
  if (!from_leg(leg, source)) {
    // It would confirm the answer and carry a late offer's SDP to the other side.
    ++counters_.wrong_source;
    return true;
  }
  Side side = Side::kCaller;
  if (ref->fork >= 0) {
    if (ref->fork != call->winner) return true;  // an ACK on a leg that lost: nothing to do
    side = Side::kCallee;
  }
  PendingAck& pending = call->pending[static_cast<size_t>(side)];
  if (pending.cseq == 0 || ack.cseq.number != pending.cseq) return true;  // a repeated ACK
  timers_.cancel(pending.timer);
  const uint32_t other_cseq = pending.other_cseq;
  pending = PendingAck{};
  if (call->state == State::kAnswered) call->state = State::kConfirmed;
  if (other_cseq != 0 && call->state != State::kEnded) {
    send_ack(dialog_of(*call, other(side)), other(side), other_cseq, &ack, call->id);
  }
  return true;
}

bool B2bua::on_stray_response(const sip::Message& response) {
  if (response.status < 200 || response.status >= 300 || response.cseq.method != "INVITE") {
    return false;
  }
  LegRef* ref = find_tag(response.from.tag());
  if (ref == nullptr) return false;
  Call* call = calls_.find(ref->call);
  if (call == nullptr) return false;
  Dialog& d = ref->fork < 0 ? call->caller : call->forks[static_cast<size_t>(ref->fork)].dialog;
  // A retransmitted 2xx: the ACK again, once we sent one. Before that, the ACK is the caller's
  // to give.
  if (d.ack_cseq == response.cseq.number && !d.ack.empty()) network_.send(d.peer, d.ack);
  return true;
}

std::optional<B2bua::Leg> B2bua::leg_of(const sip::Message& request) {
  LegRef* ref = find_tag(request.to.tag());
  Call* call = ref != nullptr ? calls_.find(ref->call) : nullptr;
  if (call == nullptr || call->state == State::kEnded) return std::nullopt;
  Dialog* d = ref->fork < 0 ? &call->caller : &call->forks[static_cast<size_t>(ref->fork)].dialog;
  return Leg{call, ref->fork, d};
}

bool B2bua::from_leg(const Dialog& dialog, const Endpoint& source) {
  return dialog.peer.protocol == source.protocol && dialog.peer.address == source.address;
}

std::string_view B2bua::leg_account(const Call& call, int32_t fork) {
  if (fork < 0) return call.account;
  return call.decision.kind == RouteDecision::Kind::kLocal ? std::string_view(call.decision.account)
                                                           : std::string_view{};
}

std::optional<std::string> B2bua::reauthentication_needed(const sip::Message& request,
                                                          const Endpoint& source) {
  const std::optional<Leg> leg = leg_of(request);
  if (!leg || from_leg(*leg->dialog, source)) return std::nullopt;
  // Only a request that names the dialog exactly: anything else gets its 481 without a
  // challenge.
  if (request.call_id != leg->dialog->call_id ||
      request.from.tag().value_or("") != leg->dialog->remote_tag) {
    return std::nullopt;
  }
  const std::string_view account = leg_account(*leg->call, leg->fork);
  if (account.empty()) return std::nullopt;
  return std::string(account);
}

void B2bua::move_leg(const sip::Message& request, const Endpoint& reply_to) {
  const std::optional<Leg> leg = leg_of(request);
  if (!leg) return;
  ++counters_.legs_moved;
  leg->dialog->peer = reply_to;
  leg->dialog->local_address = network_.local_address(reply_to);
}

void B2bua::on_in_dialog(const sip::Message& request, txn::ServerTransactionId id,
                         const Endpoint& source) {
  const std::optional<Leg> leg = leg_of(request);
  if (!leg) {
    ++counters_.no_dialog;
    respond_to(request, id, source, 481, {}, true);
    return;
  }
  Call* call = leg->call;
  Dialog* d = leg->dialog;
  if (!from_leg(*d, source)) {
    // Someone who knows the dialog's identifiers, not the leg's phone (item 11 of issue 12): a
    // BYE would end the call, a re-INVITE move its media.
    ++counters_.wrong_source;
    respond_to(request, id, source, 403, {}, true);
    return;
  }
  Side side = Side::kCaller;
  if (leg->fork >= 0) {
    Fork& fork = call->forks[static_cast<size_t>(leg->fork)];
    if (leg->fork != call->winner) {
      // A fork that lost: only its own hang-up makes sense.
      if (request.method == sip::Method::kBye) {
        fork.state = ForkState::kDone;
        respond_to(request, id, source, 200);
      } else {
        ++counters_.no_dialog;
        respond_to(request, id, source, 481, {}, true);
      }
      return;
    }
    side = Side::kCallee;
  }
  if (request.call_id != d->call_id || request.from.tag().value_or("") != d->remote_tag) {
    ++counters_.no_dialog;
    respond_to(request, id, source, 481, {}, true);
    return;
  }
  if (request.cseq.number <= d->remote_cseq && request.method != sip::Method::kAck) {
    respond_to(request, id, source, 500);  // out of order (RFC 3261 §12.2.2)
    return;
  }
  d->remote_cseq = request.cseq.number;

  if (request.method == sip::Method::kBye) {
    respond_to(request, id, source, 200);
    if (call->state == State::kRinging) {
      // The caller gave up on its early dialog: as a CANCEL.
      fail_call(*call, 487, counters_.cancelled);
    } else {
      hang_up(*call, side);
    }
    return;
  }
  if (call->state == State::kRinging) {
    respond_to(request, id, source, 491);  // nothing to relay to before the answer
    return;
  }
  relay_request(*call, side, request, id, source);
}

void B2bua::relay_request(Call& call, Side from, const sip::Message& request,
                          txn::ServerTransactionId id, const Endpoint& source) {
  const bool invite = request.method == sip::Method::kInvite;
  if (request.max_forwards && *request.max_forwards == 0) {
    ++counters_.loops;
    respond_to(request, id, source, 483);
    return;
  }
  if (invite) {
    // One INVITE at a time per dialog (RFC 3261 §14.2).
    const bool busy = call.pending[static_cast<size_t>(from)].cseq != 0 ||
                      call.pending[static_cast<size_t>(other(from))].cseq != 0 ||
                      std::any_of(call.relays.begin(), call.relays.end(),
                                  [](const Relay& r) { return r.invite; });
    if (busy) {
      respond_to(request, id, source, 491);
      return;
    }
  }
  if ((invite || request.method == sip::Method::kUpdate) && !request.contacts.empty()) {
    dialog_of(call, from).remote_target = request.contacts.front().address.uri.text;  // refresh
  }
  const Side to = other(from);
  Dialog& out = dialog_of(call, to);
  std::string headers;
  append_forwarded_headers(request, headers);
  const std::string body = rewrite_sdp_for_leg(request.body, content_type_of(request), to, call.id);
  const uint32_t cseq = ++out.local_cseq;
  const std::string branch = std::string(kBranchCookie) + new_token();
  const uint32_t max_forwards = std::min<uint32_t>(request.max_forwards.value_or(71) - 1, 70);
  const uint64_t serial = next_relay_++;
  const uint64_t call_id = call.id;
  auto sent = transactions_.send_request(
      request.method, branch,
      build_request(out, request.method_text, cseq, branch, max_forwards, headers, body), out.peer,
      [this, call_id, serial](const sip::Message* response) {
        on_relay_response(call_id, serial, response);
      });
  if (!sent) {
    respond_to(request, id, source, 503, "Retry-After: 5\r\n");
    return;
  }
  ++counters_.in_dialog_relayed;
  Relay& relay = call.relays.emplace_back();
  relay.serial = serial;
  relay.from = from;
  relay.server = id;
  relay.invite = invite;
  relay.cseq = request.cseq.number;
  relay.other_cseq = cseq;
  relay.basis = make_basis(request, source);
  if (invite) {
    transactions_.respond(id, 100, build_response(relay.basis, 100, "Trying", {}, {}, {}));
  }
}

void B2bua::on_relay_response(uint64_t call_id, uint64_t serial, const sip::Message* response) {
  Call* call = calls_.find(call_id);
  if (call == nullptr) return;
  auto it = std::find_if(call->relays.begin(), call->relays.end(),
                         [serial](const Relay& r) { return r.serial == serial; });
  if (it == call->relays.end()) return;
  const Side from = it->from;
  uint16_t status = response != nullptr ? response->status : 408;
  if (status == 100) return;
  if (status >= 300 && status < 400) status = 500;  // a redirect would show the other side
  if (status == 401 || status == 407) status = 500;
  std::string headers = server_header();
  std::string body;
  if (response != nullptr) {
    if (status < 300 && (it->invite || response->cseq.method == "UPDATE")) {
      headers.append("Contact: ").append(contact_for(dialog_of(*call, from))).append("\r\n");
    }
    append_forwarded_headers(*response, headers);
    body = rewrite_sdp_for_leg(response->body, content_type_of(*response), from, call_id);
  }
  std::string bytes = build_response(it->basis, status, reason_for(status), {}, headers, body);
  if (status < 200) {
    transactions_.respond(it->server, status, std::move(bytes));
    return;
  }
  const Relay relay = std::move(*it);
  call->relays.erase(it);
  if (status < 300 && relay.invite) {
    transactions_.respond(relay.server, status, bytes);
    start_pending_ack(*call, from, relay.cseq, std::move(bytes), relay.other_cseq);
  } else {
    transactions_.respond(relay.server, status, std::move(bytes));
  }
  if (status == 481 || status == 408) {
    // The other side has lost the dialog (RFC 3261 §12.2.1.2): the call is over.
    hang_up(*call, std::nullopt);
  }
}

void B2bua::fail_relays(Call& call) {
  for (const Relay& relay : call.relays) {
    transactions_.respond(
        relay.server, 481,
        build_response(relay.basis, 481, reason_for(481), {}, server_header(), {}));
  }
  call.relays.clear();
}

void B2bua::hang_up(Call& call, std::optional<Side> except) {
  if (call.state != State::kAnswered && call.state != State::kConfirmed) return;
  // A 2xx still waiting for the caller's ACK: the callee gets its ACK before the BYE, or it
  // would go on retransmitting the 2xx.
  const PendingAck& unacked = call.pending[static_cast<size_t>(Side::kCaller)];
  if (unacked.cseq != 0 && unacked.other_cseq != 0 && except != Side::kCallee) {
    send_ack(dialog_of(call, Side::kCallee), Side::kCallee, unacked.other_cseq, nullptr, call.id);
  }
  for (Side side : {Side::kCaller, Side::kCallee}) {
    if (side != except) send_bye(call, side);
  }
  ++counters_.ended;
  finish(call, CallEnd::kAnswered, 200);
  maybe_erase(call);
}

void B2bua::finish(Call& call, CallEnd end, uint16_t status) {
  if (call.state == State::kEnded) return;
  call.state = State::kEnded;
  --live_;
  if (!call.account.empty()) {
    auto it = per_account_.find(call.account);
    if (it != per_account_.end() && --it->second == 0) per_account_.erase(it);
  }
  timers_.cancel(call.ring);
  timers_.cancel(call.duration);
  for (PendingAck& pending : call.pending) {
    timers_.cancel(pending.timer);
    pending = PendingAck{};
  }
  fail_relays(call);
  if (call.started_hook) router_->on_call_finished(call.id, call.decision, end, status);
}

void B2bua::maybe_erase(Call& call) {
  if (call.state != State::kEnded) return;
  if (!forks_pending(call)) {
    erase(call);
    return;
  }
  // Forks still owe the final answer to their CANCEL; a 2xx among them gets ACK and BYE.
  if (!timers_.pending(call.linger)) arm(call.linger, 64 * settings_.t1, call.id, Timer::kLinger);
}

void B2bua::erase(Call& call) {
  if (call.state != State::kEnded) finish(call, CallEnd::kFailed, 500);
  unindex_tag(call.caller.local_tag);
  for (const Fork& fork : call.forks) unindex_tag(fork.dialog.local_tag);
  if (call.invite_txn != 0) invites_.erase(call.invite_txn);
  timers_.cancel(call.linger);
  calls_.erase(call.id);
}

void B2bua::on_connection_closed(const Endpoint& peer) {
  if (peer.protocol != Protocol::kTcp || peer.connection == 0) return;
  std::vector<std::pair<uint64_t, int>> lost;  // (call, fork or -1)
  calls_.for_each([&](uint64_t id, Call& call) {
    if (call.state == State::kEnded) return;
    if (call.caller.peer == peer) lost.emplace_back(id, -1);
    for (size_t i = 0; i < call.forks.size(); ++i) {
      if (call.forks[i].dialog.peer == peer) lost.emplace_back(id, static_cast<int>(i));
    }
  });
  for (const auto& [id, fork] : lost) {
    Call* call = calls_.find(id);
    if (call == nullptr || call->state == State::kEnded) continue;
    ++counters_.legs_lost;
    if (call->state == State::kRinging) {
      if (fork < 0) {
        fail_call(*call, 487, counters_.cancelled);  // nobody left to tell
      } else {
        on_fork_failure(*call, static_cast<size_t>(fork), 480, nullptr);
      }
    } else if (fork < 0) {
      hang_up(*call, Side::kCaller);
    } else if (fork == call->winner) {
      hang_up(*call, Side::kCallee);
    }
  }
}

void B2bua::end_all() {
  std::vector<uint64_t> ids;
  calls_.for_each([&](uint64_t id, Call&) { ids.push_back(id); });
  for (uint64_t id : ids) {
    Call* call = calls_.find(id);
    if (call == nullptr) continue;
    if (call->state == State::kRinging) {
      fail_call(*call, 503, counters_.other_failure);
    } else {
      hang_up(*call, std::nullopt);
    }
    if (Call* still = calls_.find(id)) erase(*still);
  }
}

}  // namespace hardline::call
