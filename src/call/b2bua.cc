// Setting calls up: the caller's INVITE, routing, the forks toward the callee and their
// answers. In-dialog requests, ACKs, timers and the end of calls: b2bua_dialogs.cc.
#include "call/b2bua.h"

#include <algorithm>
#include <utility>

#include "auth/digest_client.h"
#include "call/reasons.h"
#include "sip/chars.h"
#include "sip/uri.h"

namespace hardline::call {

namespace {

constexpr std::string_view kBranchCookie = "z9hG4bK";

// The Content-Type value of a message, or empty.
std::string_view content_type_of(const sip::Message& message) {
  const sip::Header* header = message.find(sip::HeaderId::kContentType);
  return header != nullptr ? header->value : std::string_view{};
}

}  // namespace

B2bua::B2bua(const Clock& clock, txn::TransactionLayer& transactions, Network& network,
             Locator& locator, Router& router, Settings settings)
    : clock_(clock),
      transactions_(transactions),
      network_(network),
      locator_(locator),
      router_(&router),
      settings_(std::move(settings)) {}

B2bua::~B2bua() = default;

uint64_t B2bua::new_random() {
  const uint64_t counter = token_counter_++;
  return siphash24(token_key_.k0, token_key_.k1,
                   std::string_view(reinterpret_cast<const char*>(&counter), sizeof counter));
}

std::string B2bua::new_token() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = new_random();
  std::string out(16, '0');
  for (char& c : out) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return out;
}

namespace {

// Our tags are 16 lower-case hex digits; anything else names no leg of ours.
std::optional<uint64_t> tag_key(std::string_view tag) {
  if (tag.size() != 16) return std::nullopt;
  uint64_t key = 0;
  for (size_t i = 16; i-- > 0;) {
    const char c = tag[i];
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a') + 10;
    } else {
      return std::nullopt;
    }
    key = key << 4 | digit;
  }
  return key;
}

}  // namespace

std::string B2bua::new_tag(LegRef ref) {
  while (true) {
    std::string tag = new_token();
    const uint64_t key = *tag_key(tag);
    if (tags_.find(key) != nullptr) continue;  // 2^-64 per live leg; checked all the same
    tags_.insert(key, ref);
    return tag;
  }
}

B2bua::LegRef* B2bua::find_tag(std::optional<std::string_view> tag) {
  if (!tag) return nullptr;
  const std::optional<uint64_t> key = tag_key(*tag);
  return key ? tags_.find(*key) : nullptr;
}

void B2bua::unindex_tag(std::string_view tag) {
  if (const std::optional<uint64_t> key = tag_key(tag)) tags_.erase(*key);
}

std::string B2bua::server_header() const {
  if (settings_.server_header.empty()) return {};
  return "Server: " + settings_.server_header + "\r\n";
}

void B2bua::respond_to(const sip::Message& request, txn::ServerTransactionId id,
                       const Endpoint& source, uint16_t status, std::string_view headers,
                       bool stateless) {
  const ResponseBasis basis = make_basis(request, source);
  const std::string tag = request.to.tag() ? std::string() : new_token();
  std::string all = server_header();
  all.append(headers);
  std::string bytes = build_response(basis, status, reason_for(status), tag, all, {});
  if (stateless) {
    transactions_.respond_statelessly(id, status, bytes);
  } else {
    transactions_.respond(id, status, std::move(bytes));
  }
}

void B2bua::refuse(const sip::Message& invite, txn::ServerTransactionId id, const Endpoint& source,
                   uint16_t status, uint64_t& counter, bool stateless, std::string_view headers) {
  ++counter;
  respond_to(invite, id, source, status, headers, stateless);
}

void B2bua::on_invite(const sip::Message& invite, txn::ServerTransactionId id,
                      const Endpoint& source, const Endpoint& reply_to, const Caller& caller) {
  // Nobody authenticated a caller without an account: its refusals are sent once, nothing kept.
  const bool stateless = !caller.account;
  // Loops first (RT-1): Max-Forwards spent, or this call has come round too often.
  if (invite.max_forwards && *invite.max_forwards == 0) {
    refuse(invite, id, source, 483, counters_.loops, stateless);
    return;
  }
  const uint32_t hops = hop_count(invite);
  if (hops > settings_.max_hops) {
    refuse(invite, id, source, 482, counters_.loops, stateless);
    return;
  }
  // Bounded memory: calls in total and per account.
  const std::string_view account = caller.account.value_or(std::string_view{});
  auto per_account = account.empty() ? per_account_.end() : per_account_.find(account);
  if (live_ >= settings_.max_calls || (per_account != per_account_.end() &&
                                       per_account->second >= settings_.max_calls_per_account)) {
    refuse(invite, id, source, 503, counters_.overloaded, stateless, "Retry-After: 5\r\n");
    return;
  }

  const std::string dialled = invite.request_uri.is_sip() ? sip::unescape(invite.request_uri.user)
                                                          : std::string(invite.request_uri.number);
  RouteRequest request{dialled, caller.account, source, source.protocol, {}, {}};
  // A caller without an account (a trunk): its From is what the router checks as caller ID.
  std::string from_user;
  std::string from_display;
  if (!caller.account) {
    if (invite.from.uri.is_sip()) from_user = sip::unescape(invite.from.uri.user);
    from_display = sip::display_name_text(invite.from);
    request.from_user = from_user;
    request.from_display = from_display;
  }
  RouteDecision decision = router_->route(request);
  std::vector<Contact> contacts;
  switch (decision.kind) {
    case RouteDecision::Kind::kReject: {
      const uint16_t status =
          decision.status >= 300 && decision.status <= 699 ? decision.status : 403;
      refuse(invite, id, source, status, counters_.rejected, stateless);
      return;
    }
    case RouteDecision::Kind::kLocal:
      contacts = locator_.contacts(decision.account);
      if (contacts.empty()) {
        refuse(invite, id, source, 480, counters_.unavailable, stateless);
        return;
      }
      if (contacts.size() > settings_.max_forks) contacts.resize(settings_.max_forks);
      break;
    case RouteDecision::Kind::kRemote:
      contacts.push_back(Contact{decision.remote.request_uri, decision.remote.endpoint});
      break;
  }

  const uint64_t call_id = calls_.emplace_with([](uint64_t new_id) {
    Call call;
    call.id = new_id;
    return call;
  });
  // The router's brakes (concurrent calls, calls per hour) before anything is sent.
  if (const uint16_t refused = router_->on_call_started(call_id, request, decision); refused != 0) {
    calls_.erase(call_id);
    refuse(invite, id, source, refused >= 300 && refused <= 699 ? refused : 403, counters_.rejected,
           stateless);
    return;
  }
  Call& call = *calls_.find(call_id);
  call.started_hook = true;
  ++live_;
  ++counters_.started;
  if (!account.empty()) {
    call.account = std::string(account);
    ++per_account_[call.account];
  }

  // The caller's leg: we are its UAS.
  Dialog& leg = call.caller;
  leg.call_id = std::string(invite.call_id);
  leg.local_tag = new_tag(LegRef{call_id, -1});
  const sip::Header* to = invite.find(sip::HeaderId::kTo);
  const sip::Header* from = invite.find(sip::HeaderId::kFrom);
  leg.local_party = std::string(to != nullptr ? to->value : std::string_view{});
  leg.local_party.append(";tag=").append(leg.local_tag);
  leg.remote_party = std::string(from != nullptr ? from->value : std::string_view{});
  leg.remote_tag = std::string(invite.from.tag().value_or(std::string_view{}));
  leg.remote_target = std::string(
      invite.contacts.empty() ? invite.from.uri.text : invite.contacts.front().address.uri.text);
  for (const sip::NameAddr& route : invite.record_routes) leg.route_set.emplace_back(route.text);
  leg.remote_cseq = invite.cseq.number;
  leg.peer = reply_to;
  leg.local_address = network_.local_address(reply_to);
  call.invite_txn = id;
  call.basis = make_basis(invite, source);
  call.caller_invite_cseq = invite.cseq.number;
  invites_.insert(id, call_id);
  respond_caller(call, 100, {}, {});

  call.decision = std::move(decision);
  call.hops = hops;
  call.max_forwards =
      static_cast<uint8_t>(std::min<uint32_t>(invite.max_forwards.value_or(71) - 1, 70));

  // The callee's legs: one per contact, each a dialog of its own.
  const bool remote = call.decision.kind == RouteDecision::Kind::kRemote;
  const std::string identity =
      call.decision.shown_caller
          ? shown_identity(*call.decision.shown_caller, settings_.domain)
          : caller_identity(caller.account, caller.display_name, invite.from, settings_.domain);
  const std::string to_party = remote
                                   ? "<" + call.decision.remote.request_uri + ">"
                                   : "<sip:" + call.decision.account + "@" + settings_.domain + ">";
  append_forwarded_headers(invite, call.forwarded_headers);
  if (!remote) {
    // RFC 7462: a phone can ring, and show, a call from outside (no account: a trunk) unlike
    // an internal one. Never copied from the caller: Alert-Info is not on the allow-list.
    call.forwarded_headers.append("Alert-Info: <urn:alert:source:")
        .append(caller.account ? "internal" : "external")
        .append(">\r\n");
  }
  if (remote && call.decision.remote.trusted) {
    call.forwarded_headers.append(kHopHeader).append(": ").append(std::to_string(hops + 1));
    call.forwarded_headers.append("\r\n");
  }
  call.body = rewrite_sdp_for_leg(invite.body, content_type_of(invite), Side::kCallee, call_id);
  call.forks.resize(contacts.size());
  for (size_t i = 0; i < contacts.size(); ++i) {
    Fork& fork = call.forks[i];
    Dialog& d = fork.dialog;
    d.call_id = new_token() + new_token();
    d.local_tag = new_tag(LegRef{call_id, static_cast<int32_t>(i)});
    d.local_party = identity + ";tag=" + d.local_tag;
    d.remote_party = to_party;
    fork.to = to_party;
    d.remote_target = std::move(contacts[i].uri);
    d.peer = contacts[i].peer;
    d.local_address = network_.local_address(d.peer);
    d.local_cseq = 1;
    fork.invite_cseq = 1;
  }
  bool any = false;
  for (size_t i = 0; i < call.forks.size(); ++i) any |= start_fork(call, i, {});
  if (!remote || !call.decision.remote.credentials) {
    // Only an answer to a challenge needs the INVITE again.
    std::string().swap(call.forwarded_headers);
    std::string().swap(call.body);
  }
  if (!any) {
    fail_call(call, 503, counters_.other_failure);
    return;
  }
  arm(call.ring, settings_.ring_timeout, call_id, Timer::kRing);
}

bool B2bua::start_fork(Call& call, size_t index, std::string_view authorization) {
  Fork& fork = call.forks[index];
  fork.branch = std::string(kBranchCookie) + new_token();
  std::string headers = call.forwarded_headers;
  headers.append(authorization);
  std::string bytes = build_request(fork.dialog, "INVITE", fork.invite_cseq, fork.branch,
                                    call.max_forwards, headers, call.body);
  const uint64_t call_id = call.id;
  auto sent = transactions_.send_request(sip::Method::kInvite, fork.branch, std::move(bytes),
                                         fork.dialog.peer,
                                         [this, call_id, index](const sip::Message* response) {
                                           on_fork_response(call_id, index, response);
                                         });
  if (!sent) {
    fork.state = ForkState::kFailed;
    if (better_failure(503, call.best_failure)) call.best_failure = 503;
    return false;
  }
  fork.state = ForkState::kCalling;
  return true;
}

void B2bua::respond_caller(Call& call, uint16_t status, std::string_view headers,
                           std::string_view body) {
  std::string all = server_header();
  all.append(headers);
  transactions_.respond(
      call.invite_txn, status,
      build_response(call.basis, status, reason_for(status), call.caller.local_tag, all, body));
}

uint64_t& B2bua::failure_counter(uint16_t status) {
  switch (status) {
    case 486:
    case 600:
      return counters_.busy;
    case 603:
      return counters_.declined;
    case 408:
      return counters_.timed_out;
    case 487:
      return counters_.cancelled;
    default:
      return counters_.other_failure;
  }
}

void B2bua::fail_call(Call& call, uint16_t status, uint64_t& counter) {
  if (call.state != State::kRinging) return;
  ++counter;
  respond_caller(call, status, {}, {});
  invites_.erase(call.invite_txn);
  cancel_other_forks(call, call.forks.size());
  finish(call, CallEnd::kFailed, status);
  maybe_erase(call);
}

bool B2bua::forks_pending(const Call& call) const {
  return std::any_of(call.forks.begin(), call.forks.end(), [](const Fork& fork) {
    return fork.state == ForkState::kCalling || fork.state == ForkState::kEarly;
  });
}

void B2bua::on_fork_response(uint64_t call_id, size_t index, const sip::Message* response) {
  Call* call = calls_.find(call_id);
  if (call == nullptr || index >= call->forks.size()) return;
  if (response == nullptr) {
    on_fork_failure(*call, index, 408, nullptr);
    return;
  }
  if (response->status < 200) {
    on_fork_provisional(*call, index, *response);
  } else if (response->status < 300) {
    on_fork_answer(*call, index, *response);
  } else {
    on_fork_failure(*call, index, response->status, response);
  }
}

void B2bua::on_fork_provisional(Call& call, size_t index, const sip::Message& response) {
  Fork& fork = call.forks[index];
  if (fork.state == ForkState::kCalling) fork.state = ForkState::kEarly;
  if (fork.cancel_wanted) {
    // A CANCEL may go only once the callee has answered at all (RFC 3261 §9.1).
    cancel_fork(call, index);
    return;
  }
  if (call.state != State::kRinging || response.status == 100) return;
  std::string headers = "Contact: " + contact_for(call.caller) + "\r\n";
  append_forwarded_headers(response, headers);
  const std::string body =
      rewrite_sdp_for_leg(response.body, content_type_of(response), Side::kCaller, call.id);
  respond_caller(call, response.status, headers, body);
}

void B2bua::on_fork_answer(Call& call, size_t index, const sip::Message& response) {
  Fork& fork = call.forks[index];
  Dialog& d = fork.dialog;
  if (const sip::Header* to = response.find(sip::HeaderId::kTo)) d.remote_party = to->value;
  d.remote_tag = std::string(response.to.tag().value_or(std::string_view{}));
  if (!response.contacts.empty()) d.remote_target = response.contacts.front().address.uri.text;
  d.route_set.clear();
  for (auto it = response.record_routes.rbegin(); it != response.record_routes.rend(); ++it) {
    d.route_set.emplace_back(it->text);
  }
  fork.state = ForkState::kAnswered;
  if (call.state != State::kRinging || call.winner >= 0 || fork.cancel_wanted) {
    ++counters_.late_answers;
    reject_answer(call, index, response);
    maybe_erase(call);
    return;
  }
  call.winner = static_cast<int>(index);
  call.state = State::kAnswered;
  ++counters_.answered;
  timers_.cancel(call.ring);
  cancel_other_forks(call, index);

  std::string headers = server_header();
  headers.append("Contact: ").append(contact_for(call.caller)).append("\r\n");
  append_forwarded_headers(response, headers);
  const std::string body =
      rewrite_sdp_for_leg(response.body, content_type_of(response), Side::kCaller, call.id);
  std::string bytes = build_response(call.basis, response.status, reason_for(response.status),
                                     call.caller.local_tag, headers, body);
  transactions_.respond(call.invite_txn, response.status, bytes);
  invites_.erase(call.invite_txn);
  start_pending_ack(call, Side::kCaller, call.caller_invite_cseq, std::move(bytes),
                    fork.invite_cseq);
  Millis duration = settings_.max_duration;
  if (call.decision.max_duration > Millis{0}) {
    duration = std::min(duration, call.decision.max_duration);
  }
  arm(call.duration, duration, call.id, Timer::kDuration);
}

void B2bua::reject_answer(Call& call, size_t index, const sip::Message& response) {
  Fork& fork = call.forks[index];
  send_ack(fork.dialog, Side::kCallee, response.cseq.number, nullptr, call.id);
  const uint32_t cseq = ++fork.dialog.local_cseq;
  const std::string branch = std::string(kBranchCookie) + new_token();
  transactions_.send_request(sip::Method::kBye, branch,
                             build_request(fork.dialog, "BYE", cseq, branch, 70, {}, {}),
                             fork.dialog.peer, nullptr);
  fork.state = ForkState::kDone;
}

void B2bua::on_fork_failure(Call& call, size_t index, uint16_t status,
                            const sip::Message* response) {
  Fork& fork = call.forks[index];
  if ((status == 401 || status == 407) && response != nullptr && !fork.auth_tried &&
      !fork.cancel_wanted && call.state == State::kRinging &&
      call.decision.kind == RouteDecision::Kind::kRemote && call.decision.remote.credentials) {
    // The remote target asks who we are: answer once (RFC 3261 §22.2), in a new INVITE of the
    // same dialog with the next CSeq.
    const sip::AuthHeader* challenge = auth::pick_challenge(
        status == 401 ? response->www_authenticates : response->proxy_authenticates);
    if (challenge != nullptr) {
      auto answer = auth::answer_challenge(*challenge, *call.decision.remote.credentials, "INVITE",
                                           fork.dialog.remote_target, new_token(), 1);
      if (answer) {
        fork.auth_tried = true;
        fork.invite_cseq = ++fork.dialog.local_cseq;
        std::string line = status == 401 ? "Authorization: " : "Proxy-Authorization: ";
        line.append(*answer).append("\r\n");
        ++counters_.auth_retries;
        if (start_fork(call, index, line)) return;
      }
    }
  }
  fork.state = ForkState::kFailed;
  if (better_failure(status, call.best_failure)) call.best_failure = status;
  if (call.state == State::kRinging) {
    if (status >= 600) {
      fail_call(call, map_failure(status), failure_counter(status));
      return;
    }
    if (!forks_pending(call)) {
      const uint16_t mapped = map_failure(call.best_failure);
      fail_call(call, mapped, failure_counter(mapped));
      return;
    }
    return;
  }
  maybe_erase(call);
}

void B2bua::cancel_fork(Call& call, size_t index) {
  Fork& fork = call.forks[index];
  fork.cancel_wanted = true;
  if (fork.state != ForkState::kEarly || fork.cancel_sent) return;
  fork.cancel_sent = true;
  transactions_.send_request(sip::Method::kCancel, fork.branch,
                             build_cancel(fork.dialog, fork.to, fork.invite_cseq, fork.branch),
                             fork.dialog.peer, nullptr);
}

void B2bua::cancel_other_forks(Call& call, size_t except) {
  for (size_t i = 0; i < call.forks.size(); ++i) {
    if (i == except) continue;
    const ForkState state = call.forks[i].state;
    if (state == ForkState::kCalling || state == ForkState::kEarly) cancel_fork(call, i);
  }
}

}  // namespace hardline::call
