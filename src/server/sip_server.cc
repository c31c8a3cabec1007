#include "server/sip_server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <unordered_map>
#include <unordered_set>

#include "admin/bans.h"
#include "guard/config_settings.h"
#include "server/advertise.h"
#include "sip/chars.h"

namespace hardline::server {

namespace asio = boost::asio;

struct SipServer::Timer {
  explicit Timer(asio::io_context& io) : timer(io) {}
  asio::steady_timer timer;
};

namespace {

// The device's +sip.instance (RFC 5626 §4.1), as its first Contact gives it, or empty. It lets
// the guard recognise an account's own device behind a new address; it is the device's word,
// so it only ever buys that device an allowance of its own, never unlimited guesses.
std::string_view device_instance(const sip::Message& request) {
  if (request.contacts.empty()) return {};
  return request.contacts.front().address.params.find("+sip.instance").value_or(std::string_view{});
}

constexpr Millis kSweepInterval{1000};
constexpr Millis kPurgeInterval{30'000};

// Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4). On a connection: back on it. Over
// UDP: to the source address, and to the source port when rport was asked for, else to the
// sent-by port. Never to maddr or a sent-by host: a forged Via must not aim our answers at a
// third party.
Endpoint reply_target(const sip::Via& top, const Endpoint& source) {
  if (source.protocol == Protocol::kTcp) return source;
  Endpoint target = source;
  if (!top.has_rport) target.port = top.has_port ? top.port : 5060;
  return target;
}

// The 500 that replaces a held 200 when its bindings could not be written: the same response
// (Via, From, To with its tag, Call-ID, CSeq) with another status line, without the Contact
// headers that would claim bindings, and with Retry-After.
std::string failure_from(std::string_view ok) {
  std::string out = "SIP/2.0 500 Server Internal Error\r\n";
  size_t pos = ok.find("\r\n");
  pos = pos == std::string_view::npos ? ok.size() : pos + 2;
  while (pos < ok.size()) {
    const size_t end = ok.find("\r\n", pos);
    if (end == std::string_view::npos || end == pos) break;
    const std::string_view line = ok.substr(pos, end - pos);
    if (!line.starts_with("Contact:")) out.append(line).append("\r\n");
    pos = end + 2;
  }
  return out + "Retry-After: 5\r\n\r\n";
}

transport::Limits transport_limits(const config::Config& config) {
  transport::Limits limits;
  limits.max_message_size = config.transport.max_message_size;
  limits.tcp_idle_timeout = Millis(int64_t{config.transport.tcp_idle_timeout} * 1000);
  limits.tcp_message_timeout = Millis(int64_t{config.transport.tcp_message_timeout} * 1000);
  limits.max_connections = config.transport.max_tcp_connections;
  // Only the guard knows who authenticated recently: without it nobody could use the reserve.
  const size_t reserved_percent = config.guard.enabled ? config.transport.tcp_reserved_percent : 0;
  limits.reserved_connections = limits.max_connections * reserved_percent / 100;
  limits.max_connections_per_source = config.transport.max_tcp_connections_per_source;
  return limits;
}

txn::Limits transaction_limits(const config::Config& config) {
  txn::Limits limits;
  limits.max_total = config.transactions.max_total;
  limits.max_per_source = config.transactions.max_per_source;
  limits.max_completed = config.transactions.max_completed;
  return limits;
}

auth::NonceService::Settings nonce_settings(const config::Config& config) {
  auth::NonceService::Settings settings;
  settings.lifetime = Millis(int64_t{config.auth.nonce_lifetime} * 1000);
  settings.key_rotation = settings.lifetime * 2;
  return settings;
}

auth::DigestSettings digest_settings(const config::Config& config) {
  auth::DigestSettings settings;
  settings.realm = config.sip.domain;
  settings.algorithms.clear();
  for (config::DigestAlgorithm algorithm : config.auth.algorithms) {
    settings.algorithms.push_back(algorithm == config::DigestAlgorithm::kMd5
                                      ? auth::Algorithm::kMd5
                                      : auth::Algorithm::kSha256);
  }
  return settings;
}

registrar::Settings registrar_settings(const config::Config& config) {
  registrar::Settings settings;
  settings.min_expires = config.registrar.min_expires;
  settings.max_expires = config.registrar.max_expires;
  settings.max_contacts = config.registrar.max_contacts;
  return settings;
}

call::Settings call_settings(const config::Config& config) {
  call::Settings settings;
  settings.domain = config.sip.domain;
  settings.server_header = config.sip.server_header;
  settings.ring_timeout = Millis(int64_t{config.calls.ring_timeout} * 1000);
  settings.max_duration = Millis(int64_t{config.calls.max_duration} * 1000);
  settings.max_calls = config.calls.max_calls;
  settings.max_calls_per_account = config.calls.max_calls_per_account;
  settings.max_forks = config.calls.max_forks;
  settings.max_hops = config.calls.max_hops;
  return settings;
}

// A parsed request's size as received: start line, header fields (folding and line ends
// included) and body.
size_t wire_size(const sip::Message& request) {
  size_t size = request.start_line.size() + 2 + request.body.size();
  for (const sip::Header& header : request.headers) size += header.raw.size();
  return size;
}

}  // namespace

SipServer::SipServer(asio::io_context& io, const config::Config& config, store::Store& store,
                     const Clock& clock)
    : io_(io),
      config_(config),
      log_addresses_(config.privacy.mode != config::Config::PrivacyMode::kStats),
      log_requests_(config.privacy.mode == config::Config::PrivacyMode::kDebug),
      clock_(clock),
      policy_(policy_settings(config)),
      transports_(io, clock, transport_limits(config), *this),
      sender_(transports_),
      transactions_(clock, sender_, transaction_limits(config)),
      nonces_(clock, nonce_settings(config)),
      authenticator_(nonces_, digest_settings(config)),
      registrar_(clock, store, registrar_settings(config)),
      // The store's data_version (no disk read) on every lookup, hit or miss: an account added
      // a moment ago authenticates at once, and a name's existence never changes the work done.
      accounts_(clock, store, {.recheck = Millis(0)}),
      store_(store),
      guard_(guard::settings_from_config(config.guard), clock, this),
      default_router_([this](std::string_view extension) -> Result<bool> {
        auto found = accounts_.find(extension);
        if (!found) return tl::unexpected(found.error());
        return found->has_value();
      }),
      calls_(clock, transactions_, *this, *this, default_router_, call_settings(config)),
      tags_(std::random_device{}()),
      pid_(static_cast<int>(::getpid())),
      timer_(std::make_unique<Timer>(io)) {}

SipServer::~SipServer() {
  try {
    stop();
  } catch (...) {  // a failing logger must not turn a shutdown into std::terminate
  }
}

Result<void, std::string> SipServer::start() {
  auto loaded = registrar_.load();
  if (!loaded)
    return tl::unexpected(std::string("cannot load bindings: ") + std::string(loaded.error().what));
  spdlog::info("{} registrations loaded from the store", *loaded);
  load_bans(true);
  for (const Endpoint& listen : config_.sip.listen) {
    auto bound = transports_.listen(listen);
    if (!bound) return tl::unexpected(bound.error());
  }
  local_endpoints_ = transports_.local_endpoints();
  host_addresses_ = host_addresses();  // now: no socket may be opened to ask once confined
  std::vector<IpAddress> addresses;
  for (const Endpoint& local : local_endpoints_) addresses.push_back(local.address);
  policy_.set_local_addresses(std::move(addresses));
  for (size_t i = 0; i < local_endpoints_.size(); ++i) {
    const Endpoint& local = local_endpoints_[i];
    spdlog::info("listening on {}", to_spec(local));
    LocalName name{{}, local.port};
    if (const auto* advertised = config::advertised(config_.sip, config_.sip.listen[i])) {
      name.fixed = advertised->host + ":" +
                   std::to_string(advertised->port != 0 ? advertised->port : local.port);
    } else if (!is_unspecified(local.address)) {
      name.fixed = host_port(local);
    }
    // On a wildcard without advertise, `fixed` stays empty: a peer is told the address its
    // message arrived at (the domain used to stand in, and phones that could not resolve it
    // never sent their ACK: every answered call fell 32 s later).
    (local.protocol == Protocol::kUdp ? udp_locals_ : tcp_locals_).push_back(std::move(name));
  }
  for (const std::string& warning :
       advertise_warnings(config_.sip, local_endpoints_, resolves_by_getaddrinfo)) {
    spdlog::warn("{}", warning);
  }
  started_ = clock_.now();
  next_sweep_ = clock_.now() + kSweepInterval;
  next_purge_ = clock_.now() + kPurgeInterval;
  schedule_timer();
  return {};
}

void SipServer::protect_from_forged_bans(const std::vector<hardline::Network>& networks) {
  for (const hardline::Network& network : networks) guard_.add_protected(network);
}

void SipServer::stop() {
  if (stopped_) return;
  calls_.end_all();  // BYE and CANCEL while the sockets are still open
  stopped_ = true;
  flush();  // answers what was held, while the sockets are still open
  transports_.close();
  timer_->timer.cancel();
  for (const std::string& summary : errors_.expire(clock_.now(), true)) {
    spdlog::error("{}", summary);
  }
}

void SipServer::on_message(std::string_view bytes, const Endpoint& source, sip::Framing framing) {
  if (stopped_) return;
  ++counters_.received;
  // Before anything else: a banned source costs one lookup, a flooding one a bucket.
  if (guard_.admit(source.address, bytes.size()) != guard::Verdict::kAdmit) {
    ++counters_.guard_dropped;
    return;
  }
  auto parsed = sip::parse_message(bytes, framing, policy_.limits());
  if (!parsed) {
    ++counters_.parse_errors[static_cast<size_t>(parsed.error().code)];
    answer_malformed(bytes, parsed.error(), source);
    return;
  }
  const sip::Message& message = *parsed;
  if (!message.is_request) {
    if (!transactions_.on_response(message, source) && !calls_.on_stray_response(message)) {
      ++counters_.stray_responses;
    }
  } else {
    handle_request(message, source);
  }
  schedule_timer();
}

transport::Admission SipServer::accept_connection(const IpAddress& source) {
  transport::Admission admission;
  admission.group = guard_.source_group(source);
  if (stopped_) {
    admission.admit = false;
    return admission;
  }
  if (guard_.admit(source, 0) != guard::Verdict::kAdmit) {
    ++counters_.connections_refused;
    admission.admit = false;
    return admission;
  }
  // A TCP source address cannot be forged (the handshake answered it), so a group that proved
  // itself recently, or one the operator trusts, may use the slots strangers cannot fill.
  admission.known = guard_.trusted(source) || guard_.recently_authenticated(source);
  return admission;
}

void SipServer::on_connection_closed(const Endpoint& peer) {
  if (stopped_) return;
  // A phone registered over this connection can no longer be reached through it.
  for (auto it = tcp_bindings_.begin(); it != tcp_bindings_.end();) {
    it = it->second.connection == peer.connection ? tcp_bindings_.erase(it) : std::next(it);
  }
  calls_.on_connection_closed(peer);
  schedule_timer();
}

void SipServer::on_accept_trouble(const transport::AcceptTrouble& trouble) {
  // Once when the episode starts and once when it ends, with the count: never once a try.
  if (!trouble.ended) {
    spdlog::error(
        "cannot accept TCP connections: {}; new connections wait in the kernel's queue and "
        "accept is retried after 100 ms, then at waits doubling up to 1 s; /health says "
        "\"degraded\" meanwhile (raise system.max_open_files, or lower "
        "transport.max_tcp_connections)",
        trouble.reason);
    return;
  }
  spdlog::warn("TCP accept recovered: {} failed tries over {} ms ({})", trouble.failures,
               trouble.lasted.count(), trouble.reason);
}

std::string SipServer::local_address(const Endpoint& peer) const {
  const std::vector<LocalName>& locals =
      peer.protocol == Protocol::kUdp ? udp_locals_ : tcp_locals_;
  const LocalName* name = nullptr;
  if (peer.protocol == Protocol::kUdp && peer.connection >= 1 && peer.connection <= locals.size()) {
    name = &locals[peer.connection - 1];
  } else {
    // The first listening address of the peer's family and protocol.
    size_t index = 0;
    for (const Endpoint& local : local_endpoints_) {
      if (local.protocol != peer.protocol) continue;
      if (local.address.v6 == peer.address.v6 && index < locals.size()) {
        name = &locals[index];
        break;
      }
      ++index;
    }
    if (name == nullptr && !locals.empty()) name = &locals.front();
  }
  if (name == nullptr) return config_.sip.domain;
  if (!name->fixed.empty()) return name->fixed;
  // A wildcard listener: the address the peer's message arrived at, else the host's address
  // facing it (a phone registered before a restart, until it registers again).
  IpAddress address = peer.local;
  if (is_unspecified(address)) address = address_facing(host_addresses_, peer.address);
  if (is_unspecified(address)) return config_.sip.domain + ":" + std::to_string(name->port);
  return host_port(Endpoint{peer.protocol, address, name->port, 0, {}});
}

std::vector<call::Contact> SipServer::contacts(std::string_view account) {
  std::vector<call::Contact> out;
  for (const store::Binding& binding : registrar_.lookup(account)) {
    auto peer = parse_endpoint_spec(binding.source);
    if (!peer) continue;
    if (peer->protocol == Protocol::kTcp) {
      auto connection = tcp_bindings_.find(binding.source);
      if (connection == tcp_bindings_.end()) continue;  // its connection is gone
      peer->connection = connection->second.connection;
      peer->local = connection->second.local;
    } else if (auto arrival = udp_arrivals_.find(binding.source); arrival != udp_arrivals_.end()) {
      // Registered through a wildcard socket: call it from the address it registered to.
      peer->connection = arrival->second.connection;
      peer->local = arrival->second.local;
    }
    out.push_back(call::Contact{binding.contact, *peer});
  }
  return out;
}

void SipServer::on_framing_error(std::string_view buffered, const sip::ParseError& error,
                                 const Endpoint& source) {
  ++counters_.parse_errors[static_cast<size_t>(error.code)];
  answer_malformed(buffered, error, source);
}

void SipServer::answer_malformed(std::string_view bytes, const sip::ParseError& error,
                                 const Endpoint& source) {
  if (error.drop()) return;  // a keep-alive or a malformed response: never answered
  const Decision decision = policy_.on_malformed(bytes, error);
  if (!decision.answered_now() || !decision.salvaged) {
    ++counters_.malformed_dropped;
    return;
  }
  auto top = sip::parse_via(decision.salvaged->vias.front());  // salvage_basis() checked it
  if (!top) {
    ++counters_.malformed_dropped;
    return;
  }
  std::string answer =
      response_bytes(*decision.salvaged, *top, source, decision.status, decision.reason, {});
  if (!may_answer(source, answer.size(), bytes.size())) return;
  ++counters_.malformed_answered;
  count_response(decision.status);
  transports_.send(reply_target(*top, source), answer);
}

bool SipServer::may_answer(const Endpoint& source, size_t answer, size_t request) {
  // A TCP peer completed a handshake: its address is its own. Over UDP anyone's can be forged.
  if (source.protocol != Protocol::kUdp || answer <= kMaxAnswerRatio * request) return true;
  ++counters_.answers_withheld;
  return false;
}

std::string SipServer::response_bytes(const sip::ResponseBasis& basis, const sip::Via& top,
                                      const Endpoint& source, uint16_t status,
                                      std::string_view reason,
                                      std::vector<sip::ResponseHeader> headers) {
  if (!config_.sip.server_header.empty()) {
    headers.push_back({"Server", config_.sip.server_header});
  }
  // A To tag: 16 hex digits (unique, not secret).
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = tags_();
  char tag[16];
  for (char& c : tag) {
    c = kHex[bits & 0xf];
    bits >>= 4;
  }
  return sip::build_response(basis, status, reason, sip::stamp_top_via(top, source),
                             std::string_view(tag, sizeof tag), headers);
}

void SipServer::respond(const sip::Message& request, txn::ServerTransactionId id,
                        const Endpoint& source, uint16_t status, std::string_view reason,
                        std::vector<sip::ResponseHeader> headers) {
  count_response(status);
  transactions_.respond(id, status,
                        response_bytes(sip::basis_of(request), request.vias.front(), source, status,
                                       reason, std::move(headers)));
}

void SipServer::respond_statelessly(const sip::Message& request, txn::ServerTransactionId id,
                                    const Endpoint& source, uint16_t status,
                                    std::string_view reason,
                                    std::vector<sip::ResponseHeader> headers) {
  const std::string bytes = response_bytes(sip::basis_of(request), request.vias.front(), source,
                                           status, reason, std::move(headers));
  if (!may_answer(source, bytes.size(), wire_size(request))) {
    transactions_.forget(id);  // dropped: a phone's requests are larger than that
    return;
  }
  count_response(status);
  transactions_.respond_statelessly(id, status, bytes);
}

void SipServer::handle_request(const sip::Message& request, const Endpoint& source) {
  ++traffic_.requests[static_cast<size_t>(request.method)];
  // Scanners and per-method floods are dropped before any state is kept or answer sent.
  const sip::Header* from = request.find(sip::HeaderId::kFrom);
  const std::string_view from_text = from != nullptr ? from->value : std::string_view{};
  if (guard_.check_signatures(source.address, request.user_agent.value_or(std::string_view{}),
                              from_text) != guard::Verdict::kAdmit ||
      guard_.admit_method(source.address, request.method_text) != guard::Verdict::kAdmit) {
    ++counters_.guard_dropped;
    return;
  }
  const Endpoint target = reply_target(request.vias.front(), source);
  const txn::TransactionLayer::Incoming incoming =
      transactions_.on_request(request, source, target);
  switch (incoming.disposition) {
    case txn::TransactionLayer::Disposition::kNew:
      break;
    case txn::TransactionLayer::Disposition::kOverloaded: {
      ++counters_.overloaded;
      const std::string bytes = response_bytes(sip::basis_of(request), request.vias.front(), source,
                                               503, "Service Unavailable", {{"Retry-After", "5"}});
      if (!may_answer(source, bytes.size(), wire_size(request))) return;
      count_response(503);
      transports_.send(target, bytes);
      return;
    }
    case txn::TransactionLayer::Disposition::kAckWithoutTransaction:
      // The ACK of a 2xx belongs to a call, if to anything. That of a stateless answer (a 407,
      // a refusal) matches nothing: absorbed silently, counted.
      if (!calls_.on_ack(request, source)) ++counters_.acks_unmatched;
      return;
    default:
      return;  // a retransmission, or an ACK the transaction layer has dealt with
  }
  const txn::ServerTransactionId id = incoming.id;
  if (log_requests_) log_request(request, source);
  const Decision decision = policy_.on_message(request, source.local);
  switch (decision.route) {
    case Route::kAnswer: {
      switch (decision.status) {
        case 501:
          ++counters_.not_implemented;
          break;
        case 405:
          ++counters_.method_not_allowed;
          break;
        case 416:
          ++counters_.unsupported_scheme;
          break;
        case 403:
          ++counters_.foreign_domain;
          break;
        case 420:
          ++counters_.bad_extension;
          break;
        case 200:
          ++counters_.options_answered;
          break;
        default:
          break;
      }
      std::vector<sip::ResponseHeader> headers;
      for (const auto& [name, value] : decision.headers) headers.push_back({name, value});
      // Stateless: nothing is kept for a request that has not authenticated (RFC 3261 §8.2.7).
      respond_statelessly(request, id, source, decision.status, decision.reason,
                          std::move(headers));
      return;
    }
    case Route::kRegister:
      handle_register(request, id, source);
      return;
    case Route::kInvite:
      handle_invite(request, id, source, target);
      return;
    case Route::kInDialog:
      handle_in_dialog(request, id, source, target);  // BYE, UPDATE, INFO or a re-INVITE
      return;
    case Route::kCancel:
      handle_cancel(request, id, source);
      return;
    case Route::kAuthenticateFirst:
      // Dialog-creating requests Hardline does not serve yet: whoever sends one authenticates
      // first, so that the answer says nothing about the account named.
      if (!authenticate(request, id, source, true)) return;
      ++counters_.not_implemented;
      respond_statelessly(request, id, source, 501, "Not Implemented",
                          {{"Allow", policy_.allow()}});
      return;
    case Route::kDrop:
    case Route::kResponse:
    case Route::kAck:
      return;  // never a new server transaction
  }
}

void SipServer::log_request(const sip::Message& request, const Endpoint& source) const {
  // privacy.mode = "debug" only: the operator chose to see numbers and addresses, for a limited
  // time (retention_days). Header text is quoted printable-only: it comes from the network.
  const sip::Header* from = request.find(sip::HeaderId::kFrom);
  const sip::Header* to = request.find(sip::HeaderId::kTo);
  spdlog::info("debug record: {} from {} Request-URI user '{}' From {} To {} Call-ID {}",
               admin::printable(request.method_text), host_port(source),
               admin::printable(request.request_uri.user),
               admin::printable(from != nullptr ? from->value : ""),
               admin::printable(to != nullptr ? to->value : ""), admin::printable(request.call_id));
}

void SipServer::challenge(const sip::Message& request, txn::ServerTransactionId id,
                          const Endpoint& source, bool stale, bool proxy,
                          auth::DigestPolicy policy) {
  std::vector<std::string> values = authenticator_.challenges(source.address, stale, policy);
  std::vector<sip::ResponseHeader> headers;
  headers.reserve(values.size());
  const std::string_view name = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
  for (const std::string& value : values) headers.push_back({name, value});
  if (proxy) {
    // Stateless: a challenge goes to whoever the source claims to be, so it is sent once and
    // nothing is kept (a phone whose 407 was lost sends its INVITE again and gets a new one).
    respond_statelessly(request, id, source, 407, "Proxy Authentication Required",
                        std::move(headers));
  } else {
    respond_statelessly(request, id, source, 401, "Unauthorized", std::move(headers));
  }
}

std::optional<std::string> SipServer::authenticate(const sip::Message& request,
                                                   txn::ServerTransactionId id,
                                                   const Endpoint& source, bool proxy) {
  const std::vector<sip::AuthHeader>& given =
      proxy ? request.proxy_authorizations : request.authorizations;
  const sip::AuthHeader* credentials = authenticator_.select(given);
  if (credentials == nullptr || !credentials->digest.username) {
    // The account the request names (the AOR of a REGISTER, the caller of anything else) picks
    // the algorithms offered; an unknown name gets a camouflage that looks like an account's.
    const sip::Uri& named =
        request.method == sip::Method::kRegister ? request.to.uri : request.from.uri;
    auto policy = accounts_.challenge_policy(sip::unescape(named.user));
    if (!policy) {
      ++counters_.store_errors;
      respond(request, id, source, 500, "Server Internal Error", {{"Retry-After", "5"}});
      return std::nullopt;
    }
    ++counters_.challenges;
    challenge(request, id, source, false, proxy, *policy);
    return std::nullopt;
  }
  std::string username = sip::unquote(*credentials->digest.username);
  // An account whose device failed from this source over and over (a phone with a mistyped
  // password) is throttled from it: nothing is verified, so nothing is learned, and the source
  // (an office's shared address) is not banned for it. 403 makes most phones stop and say so.
  if (guard_.throttled(source.address, username, request.call_id)) {
    respond_statelessly(request, id, source, 403, "Forbidden");
    return std::nullopt;
  }
  auto stored = accounts_.find(username);
  if (!stored) {
    ++counters_.store_errors;
    respond(request, id, source, 500, "Server Internal Error", {{"Retry-After", "5"}});
    return std::nullopt;
  }
  const auth::DigestPolicy policy =
      *stored ? (*stored)->policy : accounts_.policy_for_unknown(username);
  // A client that answered several challenges is judged by the credentials its account may use
  // (among those for the same username: another name's never stand in for this account's).
  if (*stored) {
    const sip::AuthHeader* admitted = authenticator_.select(given, policy);
    if (admitted != nullptr && admitted->digest.username &&
        sip::unquote(*admitted->digest.username) == username) {
      credentials = admitted;
    }
  }
  // A locked account (someone is guessing its password) is answered exactly like a wrong
  // password, unless this is one of its known devices; the verifier decides nothing else from it.
  const std::string_view instance = device_instance(request);
  const bool allowed = guard_.may_authenticate(source.address, username, instance);
  const auto verdict =
      authenticator_.verify(*credentials, sip::method_name(request.method),
                            request.request_uri.text, *stored, source.address, allowed);
  using Verdict = auth::DigestAuthenticator::Verdict;
  switch (verdict.failure) {
    case Verdict::Failure::kNone:
      break;
    case Verdict::Failure::kForged:
      // Not a nonce we sent to this source: counted, but as something a forged UDP source
      // address can cause, so it never bans a protected source or one that authenticated.
      ++counters_.auth_failures;
      ++counters_.forged_nonces;
      guard_.on_auth_failure(source.address, username, instance, guard::AuthFailure::kForgeable);
      break;
    case Verdict::Failure::kPassword:
      ++counters_.auth_failures;
      if (const auto throttle = guard_.on_auth_failure(
              source.address, username, instance, guard::AuthFailure::kPassword,
              {.call_id = request.call_id, .cseq = request.cseq.number})) {
        log_throttle(request, source, username, *throttle);
      }
      break;
  }
  if (verdict.outcome == Verdict::Outcome::kStale) {
    ++counters_.stale_nonces;
    challenge(request, id, source, true, proxy, policy);
    return std::nullopt;
  }
  if (verdict.outcome != Verdict::Outcome::kAuthenticated) {
    challenge(request, id, source, false, proxy, policy);
    return std::nullopt;
  }
  ++counters_.authenticated;
  guard_.on_auth_success(source.address, username, instance, request.call_id);
  if (policy == auth::DigestPolicy::kAny && verdict.algorithm == auth::Algorithm::kSha256) {
    pin_sha256(username, source);
  }
  return username;
}

void SipServer::pin_sha256(std::string_view account, const Endpoint& source) {
  // Only while the account is still "any": `hardline user digest` in another process wins.
  auto pinned = store_.set_digest(account, auth::digest_policy_name(auth::DigestPolicy::kSha256),
                                  true, auth::digest_policy_name(auth::DigestPolicy::kAny));
  if (!pinned) {
    // Not pinned this time: the next SHA-256 authentication tries again.
    ++counters_.store_errors;
    return;
  }
  if (!*pinned) return;
  accounts_.pinned_sha256(account);
  ++counters_.digest_pins;
  // The account is named in "debug" only: "security" names addresses, never numbers.
  if (log_requests_) {
    spdlog::info(
        "account '{}' answered with SHA-256 from {}: it is pinned to SHA-256 (MD5 is no longer "
        "offered or accepted, and its MD5 hash is deleted); `hardline user digest {} any` with "
        "a new password undoes this",
        admin::printable(account), host_port(source), admin::printable(account));
  } else {
    spdlog::info(
        "an account answered with SHA-256: it is pinned to SHA-256 (MD5 is no longer offered "
        "or accepted, and its MD5 hash is deleted); `hardline user list` shows which");
  }
}

void SipServer::log_throttle(const sip::Message& request, const Endpoint& source,
                             std::string_view account, const guard::Guard::Throttle& throttle) {
  // Once per episode (its first throttle), not at every doubling after it.
  if (!throttle.first) return;
  if (log_addresses_) {
    spdlog::warn(
        "security event: account '{}' throttled from {} until {}: {} wrong passwords from one "
        "device (User-Agent '{}', one Call-ID), most likely a phone with a mistyped password; "
        "its address is not banned for it",
        admin::printable(account), host_port(source), admin::format_utc(throttle.until_unix),
        guard::AuthTracker::kRepeatFailures, admin::printable(request.user_agent.value_or("")));
  } else {
    spdlog::warn(
        "security event: a device is throttled until {}: {} wrong passwords for one account, "
        "most likely a phone with a mistyped password (privacy.mode = \"security\" names it)",
        admin::format_utc(throttle.until_unix), guard::AuthTracker::kRepeatFailures);
  }
}

void SipServer::handle_invite(const sip::Message& request, txn::ServerTransactionId id,
                              const Endpoint& source, const Endpoint& reply_to) {
  if (router_->trusted_source(source)) {
    calls_.on_invite(request, id, source, reply_to, call::Caller{});
    return;
  }
  const std::optional<std::string> account = authenticate(request, id, source, true);
  if (!account) return;
  calls_.on_invite(request, id, source, reply_to,
                   call::Caller{*account, accounts_.display_name(*account)});
}

void SipServer::handle_cancel(const sip::Message& request, txn::ServerTransactionId id,
                              const Endpoint& source) {
  const std::optional<txn::ServerTransactionId> invite =
      transactions_.find_invite_for_cancel(request);
  if (!invite) {
    respond_statelessly(request, id, source, 481, "Call/Transaction Does Not Exist");
    return;
  }
  // The CANCEL itself is answered at once (RFC 3261 §9.2); the INVITE gets 487 if it was
  // still ringing.
  respond(request, id, source, 200, "OK");
  calls_.on_cancel(*invite);
}

void SipServer::handle_in_dialog(const sip::Message& request, txn::ServerTransactionId id,
                                 const Endpoint& source, const Endpoint& reply_to) {
  // Over UDP the dialog's identifiers are all it takes to forge a BYE: a request from another
  // address than its leg's must prove the leg's account (issue 12, item 11).
  if (const std::optional<std::string> account = calls_.reauthentication_needed(request, source)) {
    const std::optional<std::string> proven = authenticate(request, id, source, true);
    if (!proven) return;
    if (*proven != *account) {
      ++counters_.wrong_leg_account;
      respond(request, id, source, 403, "Forbidden");
      return;
    }
    calls_.move_leg(request, reply_to);
  }
  calls_.on_in_dialog(request, id, source);
}

void SipServer::handle_register(const sip::Message& request, txn::ServerTransactionId id,
                                const Endpoint& source) {
  const std::optional<std::string> authenticated = authenticate(request, id, source, false);
  if (!authenticated) return;
  const std::string& username = *authenticated;
  // The caller proved who they are; they may only register their own address-of-record.
  const sip::Uri& aor = request.to.uri;
  if (!is_ours(aor) || sip::unescape(aor.user) != username) {
    ++counters_.wrong_aor;
    respond(request, id, source, 403, "Forbidden");
    return;
  }
  registrar::Reply reply = registrar_.apply(request, username, source);
  if (source.protocol == Protocol::kTcp && reply.status == 200) {
    tcp_bindings_.insert_or_assign(to_spec(source), Arrival{source.connection, source.local});
  }
  if (source.protocol == Protocol::kUdp && reply.status == 200 && !is_unspecified(source.local)) {
    if (udp_arrivals_.size() >= registrar_.binding_count() + kMaxStaleArrivals) {
      udp_arrivals_.clear();
    }
    udp_arrivals_.insert_or_assign(to_spec(source), Arrival{source.connection, source.local});
  }
  std::vector<sip::ResponseHeader> headers;
  headers.reserve(reply.headers.size());
  for (const auto& [name, value] : reply.headers) headers.push_back({name, value});
  if (!registrar_.dirty()) {
    respond(request, id, source, reply.status, reply.reason, std::move(headers));
    return;
  }
  // Group commit: every REGISTER handled in this turn of the event loop is written in one
  // transaction, and answered after it.
  held_.push_back(HeldResponse{id, reply.status,
                               response_bytes(sip::basis_of(request), request.vias.front(), source,
                                              reply.status, reply.reason, std::move(headers))});
  schedule_flush();
}

admin::Snapshot SipServer::snapshot() const {
  admin::Snapshot out;
  out.uptime_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - started_).count();
  out.traffic = traffic_;
  out.messages_received = counters_.received;
  for (uint64_t errors : counters_.parse_errors) out.parse_errors += errors;
  out.malformed_answered = counters_.malformed_answered;
  out.malformed_dropped = counters_.malformed_dropped;
  out.guard_dropped = counters_.guard_dropped;
  out.challenges = counters_.challenges;
  out.auth_failures = counters_.auth_failures;
  out.authenticated = counters_.authenticated;
  out.stale_nonces = counters_.stale_nonces;
  out.forged_nonces = counters_.forged_nonces;
  out.digest_pins = counters_.digest_pins;
  out.store_errors = counters_.store_errors;
  out.connections_refused = counters_.connections_refused;
  out.overloaded = counters_.overloaded;
  out.answers_withheld = counters_.answers_withheld;
  out.guard = guard_.counters();
  out.transactions = transactions_.counters();
  out.transactions_server = transactions_.server_size();
  out.transactions_client = transactions_.client_size();
  out.registrations = registrar_.binding_count();
  out.calls_active = calls_.active();
  out.calls = calls_.counters();
  out.accept_failures = transports_.counters().accept_failures;
  if (!store_failure_.empty()) {
    // Bans or bindings: either way the disk is refusing; REGISTERs whose bindings cannot be
    // written are answered 500 meanwhile.
    out.problems.push_back("the last write to the database failed (" + store_failure_ +
                           "): REGISTERs whose bindings cannot be written are answered 500");
  }
  if (database_problem_) {
    out.problems.push_back("the database file " + config_.store.database.string() + " " +
                           *database_problem_ +
                           ": registrations are refused; restart hardline "
                           "once it is restored");
  }
  if (transports_.accept_starved()) {
    out.problems.push_back(
        "TCP connections cannot be accepted: out of file descriptors or memory (raise "
        "system.max_open_files)");
  }
  return out;
}

void SipServer::on_admin_auth_failure(const IpAddress& source) {
  if (stopped_) return;
  // Counted under a name no extension can have (it holds a space), so that guessing tokens
  // never locks a real account; the source's failures are what bans it, unless it is in
  // guard.protected (loopback: a Prometheus still holding the old token after a rotation).
  guard_.on_auth_failure(source, " admin API", {}, guard::AuthFailure::kAdminToken);
  schedule_flush();  // a ban it caused reaches the store, where the admin listener sees it
}

void SipServer::schedule_flush() {
  if (flush_posted_ || (!registrar_.dirty() && held_.empty() && bans_to_write_.empty())) return;
  flush_posted_ = true;
  // Runs after the messages already read in this turn of the loop: one transaction for all.
  asio::post(io_, [this] {
    flush_posted_ = false;
    flush();
  });
}

void SipServer::flush() {
  check_database();
  if (!bans_to_write_.empty()) {
    // Bans first, in their own transaction: a failure here must not cost anyone a binding.
    std::vector<store::Ban> bans;
    bans.swap(bans_to_write_);
    if (auto put = store_.put_bans_batch(bans); !put) {
      ++counters_.store_errors;
      store_failure_ = std::string(put.error().what);
      log_error("bans", "could not write bans to the store: " + store_failure_);
    } else {
      store_failure_.clear();
    }
  }
  bool written = true;
  if (registrar_.dirty()) {
    ++counters_.flushes;
    if (database_problem_) {
      // The file SQLite writes to is unlinked or no longer the one at the path: a 200 now
      // would promise a binding that the next start will not find.
      written = false;
      ++counters_.store_errors;
      registrar_.discard_changes();
      log_error("database", "registrations refused (500): the database file " +
                                config_.store.database.string() + " " + *database_problem_);
    } else if (auto flushed = registrar_.flush(); !flushed) {
      written = false;
      ++counters_.store_errors;
      store_failure_ = std::string(flushed.error().what);
      log_error("registrations", "could not write registrations to the store: " + store_failure_);
    } else {
      store_failure_.clear();
    }
  }
  std::vector<HeldResponse> held;
  held.swap(held_);
  for (HeldResponse& response : held) {
    if (written) {
      count_response(response.status);
      transactions_.respond(response.id, response.status, std::move(response.bytes));
    } else {
      count_response(500);
      transactions_.respond(response.id, 500, failure_from(response.bytes));
    }
  }
  schedule_timer();
}

void SipServer::check_database() {
  if (database_path_.empty()) return;
  const SteadyTime now = clock_.now();
  if (now < next_database_check_) return;
  next_database_check_ = now + kSweepInterval;
  std::optional<std::string> problem = store_.file_problem(database_path_);
  if (problem == database_problem_) return;
  if (problem) {
    spdlog::error(
        "the database file {} {}: registrations are refused (500) from now on and /health says "
        "\"degraded\"; what this process wrote since start-up is still in its open copy "
        "(`ls -l /proc/{}/fd` shows it as deleted): copy it back (with the -wal file beside it) "
        "or restore a backup, then restart hardline",
        config_.store.database.string(), *problem, pid_);
  } else {
    spdlog::warn("the database file {} is the one opened at start-up again",
                 config_.store.database.string());
  }
  database_problem_ = std::move(problem);
}

void SipServer::log_error(std::string_view kind, const std::string& line) {
  const std::string logged = errors_.note(kind, line, clock_.now());
  if (!logged.empty()) spdlog::error("{}", logged);
}

void SipServer::schedule_timer() {
  if (stopped_) return;
  SteadyTime next = next_sweep_;
  if (auto deadline = transactions_.next_deadline(); deadline && *deadline < next) next = *deadline;
  if (auto deadline = calls_.next_deadline(); deadline && *deadline < next) next = *deadline;
  if (timer_->timer.expiry() == next) return;
  timer_->timer.expires_at(next);
  timer_->timer.async_wait([this](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted || stopped_) return;
    on_tick();
  });
}

void SipServer::on_tick() {
  transactions_.run_timers();
  calls_.run_timers();
  const SteadyTime now = clock_.now();
  if (now >= next_sweep_) {
    transports_.sweep();
    check_database();
    for (const std::string& summary : errors_.expire(now)) spdlog::error("{}", summary);
    guard_.expire();
    load_bans(false);
    next_sweep_ = now + kSweepInterval;
  }
  if (now >= next_purge_) {
    // Ended bans stay while they still count for the back-off of a repeat offender, unless
    // privacy.retention_days is shorter (LOG-3): then privacy wins.
    int64_t kept_for = config_.guard.repeat_memory;
    if (config_.privacy.retention_days > 0) {
      kept_for = std::min<int64_t>(kept_for, int64_t{config_.privacy.retention_days} * 86400);
    }
    const int64_t keep = clock_.unix_seconds() - kept_for;
    if (auto purged = store_.purge_expired_bans(keep); !purged) ++counters_.store_errors;
    registrar_.purge_expired();
    schedule_flush();
    next_purge_ = now + kPurgeInterval;
  }
  schedule_timer();
}

void SipServer::on_event(const guard::Event& event) {
  using Kind = guard::Event::Kind;
  store::Ban ban;
  ban.network = to_string(event.network);
  ban.created_at = clock_.unix_seconds();
  ban.until = event.until_unix;
  ban.reason = event.reason;
  ban.automatic = event.automatic;
  ban.repeats = event.repeats;
  switch (event.kind) {
    case Kind::kBan:
      spdlog::warn("{}", admin::ban_added_event(ban, log_addresses_));
      // An operator's bans come from the store (`hardline ban`); the guard's own go there.
      if (!event.by_operator) {
        bans_to_write_.push_back(std::move(ban));
        schedule_flush();
      }
      return;
    case Kind::kUnban:
      // The guard's own bans end here (expiry); an operator's removal was logged by the command
      // that made it, and reaches the guard from the store: say only that it took effect.
      spdlog::warn("security event: ban lifted {} ({})",
                   log_addresses_ ? admin::printable(ban.network) : "for a source",
                   admin::printable(event.reason));
      return;
    case Kind::kAccountLocked:
      // Under "stats" the account name is not logged: it may be a guess (or a password typed as
      // a name). Under "security" the operator needs it, and how wide the attack is.
      if (log_addresses_) {
        spdlog::warn(
            "security event: account '{}' is locked for new devices until {} ({}; failures "
            "from {} source{}; its known devices keep working; `hardline user unlock` lets a "
            "new one in)",
            admin::printable(event.account), admin::format_utc(event.until_unix),
            admin::printable(event.reason), event.sources, event.sources == 1 ? "" : "s");
      } else {
        spdlog::warn(
            "security event: an account's password authentication is locked for new devices "
            "until {} ({}; failures from {} source{})",
            admin::format_utc(event.until_unix), admin::printable(event.reason), event.sources,
            event.sources == 1 ? "" : "s");
      }
      return;
    case Kind::kAccountUnlocked:
      if (log_addresses_) {
        spdlog::warn("security event: account '{}' unlocked ({})", admin::printable(event.account),
                     admin::printable(event.reason));
      } else {
        spdlog::warn("security event: an account's lockout ended ({})",
                     admin::printable(event.reason));
      }
      return;
  }
}

void SipServer::load_bans(bool startup) {
  auto version = store_.data_version();
  if (!version) {
    ++counters_.store_errors;
    return;
  }
  if (!startup && bans_version_ == *version) return;
  bans_version_ = *version;
  auto stored = store_.list_bans();
  if (!stored) {
    ++counters_.store_errors;
    spdlog::error("could not read bans from the store: {}", stored.error().what);
    return;
  }
  if (!startup) ++counters_.ban_reloads;
  const int64_t now = clock_.unix_seconds();
  // Up to max_bans on either side, many of them an attacker's doing: matched through hash
  // tables, never pair by pair.
  std::unordered_map<std::string, int64_t> in_force;  // network -> until
  for (const guard::BanInfo& ban : guard_.bans())
    in_force.emplace(to_string(ban.network), ban.until_unix);
  std::unordered_set<std::string> keep;  // in the store and in force, or not written yet
  for (const store::Ban& ban : bans_to_write_) keep.insert(ban.network);
  size_t restored = 0;
  for (const store::Ban& ban : *stored) {
    if (ban.until > now) keep.insert(ban.network);
    auto network = parse_network(ban.network);
    if (!network) continue;  // not written by Hardline: ignored
    if (auto same = in_force.find(ban.network);
        same != in_force.end() && same->second == ban.until) {
      continue;
    }
    guard::BanInfo info{*network, ban.until, ban.reason, ban.automatic, ban.repeats};
    if (guard_.restore_ban(info)) ++restored;
  }
  load_admissions();
  if (startup) {
    spdlog::info("{} bans in force loaded from the store", restored);
    return;
  }
  // A ban the operator removed (`hardline ban remove`) is lifted here too.
  for (const auto& [network, until] : in_force) {
    if (keep.contains(network)) continue;
    if (auto parsed = parse_network(network)) guard_.unban(*parsed, "removed by the operator");
  }
}

void SipServer::load_admissions() {
  const int64_t now = clock_.unix_seconds();
  auto admissions = store_.list_admissions(now);
  if (!admissions) {
    ++counters_.store_errors;
    spdlog::error("could not read admissions from the store: {}", admissions.error().what);
    return;
  }
  for (const store::Admission& admission : *admissions) {
    // Each row is applied once: a renewal has a new created_at.
    const std::string key = admission.extension + '\n' + admission.network + '\n' +
                            std::to_string(admission.created_at);
    if (applied_admissions_.contains(key)) continue;
    if (applied_admissions_.size() >= 4096) applied_admissions_.clear();
    applied_admissions_.insert(key);
    if (admission.network.empty()) {
      // `hardline user unlock EXT`: the lockout is lifted once.
      guard_.unlock(admission.extension, "lifted by the operator");
      continue;
    }
    auto network = parse_network(admission.network);
    if (!network) continue;  // not written by Hardline: ignored
    const auto left = std::chrono::seconds(std::min<int64_t>(admission.until - now, 86400));
    if (!guard_.admit(admission.extension, *network, left)) {
      spdlog::warn("an admission of a new device could not be applied (too many in force)");
    }
  }
}

}  // namespace hardline::server
