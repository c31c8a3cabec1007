#pragma once
// The path of a request through Hardline (../shared/DESIGN.md): transport → parser (malformed
// → 400 at this one boundary, or a silent drop) → method and domain policy → transactions
// (retransmissions absorbed) → authentication → registrar → transactions → transport.
// Everything runs on the event loop's one thread; nothing here throws once started.
#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "admin/stats.h"
#include "auth/digest_authenticator.h"
#include "auth/nonce_service.h"
#include "call/b2bua.h"
#include "call/router.h"
#include "common/clock.h"
#include "common/siphash.h"
#include "config/config.h"
#include "guard/guard.h"
#include "registrar/registrar.h"
#include "server/account_cache.h"
#include "server/advertise.h"
#include "server/log_limiter.h"
#include "server/message_policy.h"
#include "sip/parser.h"
#include "sip/response.h"
#include "store/store.h"
#include "transport/transport.h"
#include "txn/transaction_layer.h"

namespace boost::asio {
class io_context;
}

namespace hardline::server {

struct Counters {
  uint64_t received = 0;
  std::array<uint64_t, static_cast<size_t>(sip::ParseErrorCode::kCount)> parse_errors{};
  uint64_t malformed_answered = 0;  // got a 400/414/... built from the salvaged headers
  uint64_t malformed_dropped = 0;   // could not be answered safely
  uint64_t stray_responses = 0;
  uint64_t method_not_allowed = 0;  // 405
  uint64_t not_implemented = 0;     // 501
  uint64_t foreign_domain = 0;      // 403: not ours, no relaying
  uint64_t unsupported_scheme = 0;  // 416: a Request-URI that is not sip or sips
  uint64_t options_answered = 0;    // 200 to OPTIONS (when enabled)
  uint64_t bad_extension = 0;       // 420
  uint64_t overloaded = 0;          // 503: transaction table full
  uint64_t challenges = 0;          // 401 without credentials
  uint64_t auth_failures = 0;       // 401 after credentials that did not verify
  uint64_t stale_nonces = 0;        // 401 stale=true
  uint64_t forged_nonces = 0;       // credentials over a nonce not issued to their source
  uint64_t digest_pins = 0;         // accounts pinned to SHA-256 by their devices' answers
  uint64_t authenticated = 0;
  uint64_t wrong_aor = 0;  // authenticated, but for another user's AOR: 403
  uint64_t store_errors = 0;
  uint64_t flushes = 0;        // store transactions writing bindings (one per batch of REGISTERs)
  uint64_t guard_dropped = 0;  // dropped silently by the guard (its counters say why)
  uint64_t connections_refused = 0;  // TCP connections from banned sources
  // Answers to unauthenticated requests not sent: over UDP they would have been more than
  // kMaxAnswerRatio times the request's size (reflection with amplification).
  uint64_t answers_withheld = 0;
  uint64_t acks_unmatched = 0;     // ACKs of no transaction and no call (of a stateless answer)
  uint64_t wrong_leg_account = 0;  // in-dialog request from elsewhere, another account: 403
  uint64_t ban_reloads = 0;        // bans read again after another process changed them
};

class SipServer final : public transport::Receiver,
                        private guard::EventSink,
                        private call::Network,
                        private call::Locator {
 public:
  SipServer(boost::asio::io_context& io, const config::Config& config, store::Store& store,
            const Clock& clock);
  ~SipServer() override;
  SipServer(const SipServer&) = delete;
  SipServer& operator=(const SipServer&) = delete;

  // Loads the bindings and binds every listen address. Start-up only; the error says what and
  // why.
  Result<void, std::string> start();
  // Stops listening, writes pending bindings, cancels timers. The event loop then runs out.
  void stop();

  std::vector<Endpoint> local_endpoints() const { return transports_.local_endpoints(); }
  const Counters& counters() const { return counters_; }
  const registrar::Registrar& registrar() const { return registrar_; }
  const guard::Guard& guard() const { return guard_; }
  const call::B2bua& calls() const { return calls_; }
  // The accounts' credentials, display names and groups, for the router (event loop's thread).
  AccountCache& accounts() { return accounts_; }

  // Start-up: networks the guard never bans for what a forged source address can cause (the
  // trunks'), besides guard.protected. Networks with host bits set or /0 are ignored.
  void protect_from_forged_bans(const std::vector<hardline::Network>& networks);
  // Replaces the default router (authenticated calls between local accounts only), e.g. with the
  // dialplan's. Before start(); the router must outlive the server.
  void set_router(call::Router& router) {
    router_ = &router;
    calls_.set_router(router);
  }
  // The database file's path as this process reaches it now (inside the chroot after
  // confinement): once a second the server checks that it still names the file the store
  // opened. Gone or replaced, registrations are refused (500) rather than written into a file
  // nobody will find again, and /health says "degraded". An empty path checks nothing.
  void watch_database(std::filesystem::path path) { database_path_ = std::move(path); }
  const admin::SipTraffic& traffic() const { return traffic_; }
  // Everything /metrics and the admin API show, copied (call on the event loop's thread).
  admin::Snapshot snapshot() const;
  // A wrong admin API token from `source`: counted by the guard like a failed digest, so that a
  // source that keeps guessing is banned (from SIP and from the admin API).
  void on_admin_auth_failure(const IpAddress& source);

  // Over UDP, the most an answer to an unauthenticated request may weigh, in times the request's
  // size: a forged source gets no more than it sent, give or take (issue 12, item 6).
  static constexpr size_t kMaxAnswerRatio = 3;

  void on_message(std::string_view bytes, const Endpoint& source, sip::Framing framing) override;
  void on_framing_error(std::string_view buffered, const sip::ParseError& error,
                        const Endpoint& source) override;
  transport::Admission accept_connection(const IpAddress& source) override;
  void on_connection_closed(const Endpoint& peer) override;
  void on_accept_trouble(const transport::AcceptTrouble& trouble) override;

 private:
  class TxnSender final : public txn::Sender {
   public:
    explicit TxnSender(transport::Transports& transports) : transports_(transports) {}
    void send(const Endpoint& to, std::string_view bytes) override { transports_.send(to, bytes); }

   private:
    transport::Transports& transports_;
  };

  void handle_request(const sip::Message& request, const Endpoint& source);
  // The guard's security events: logged, and bans written to the store with the next flush.
  void on_event(const guard::Event& event) override;
  // Puts the store's bans into the guard: all of them at start-up, and after another process
  // (`hardline ban`) changed them, what was added, changed or removed.
  void load_bans(bool startup);
  // Applies the operator's admissions and unlocks (`hardline user unlock`) not applied yet.
  void load_admissions();
  void handle_register(const sip::Message& request, txn::ServerTransactionId id,
                       const Endpoint& source);
  void handle_invite(const sip::Message& request, txn::ServerTransactionId id,
                     const Endpoint& source, const Endpoint& reply_to);
  void handle_cancel(const sip::Message& request, txn::ServerTransactionId id,
                     const Endpoint& source);
  // The log line of a device throttled from its source for a failing device
  // (guard::Guard::Throttle).
  void log_throttle(const sip::Message& request, const Endpoint& source, std::string_view account,
                    const guard::Guard::Throttle& throttle);
  // BYE, re-INVITE, UPDATE, INFO with a To tag: for the B2BUA, once a request from another
  // address than its leg's has authenticated as the leg's account (a phone that moved).
  void handle_in_dialog(const sip::Message& request, txn::ServerTransactionId id,
                        const Endpoint& source, const Endpoint& reply_to);
  // Digest authentication of a request (RFC 3261 §22): REGISTER against Authorization with 401,
  // dialog-creating requests against Proxy-Authorization with 407 (`proxy`). The account name
  // when the credentials verify; otherwise the request has been answered (a challenge, a 500)
  // and nullopt is returned. The guard's lockout and failure counting apply alike.
  std::optional<std::string> authenticate(const sip::Message& request, txn::ServerTransactionId id,
                                          const Endpoint& source, bool proxy);
  // call::Network and call::Locator, for the B2BUA.
  void send(const Endpoint& to, std::string_view bytes) override { transports_.send(to, bytes); }
  std::string local_address(const Endpoint& peer) const override;
  std::vector<call::Contact> contacts(std::string_view account) override;
  // Answers a request the parser refused, or drops it, as the MessagePolicy decides.
  void answer_malformed(std::string_view bytes, const sip::ParseError& error,
                        const Endpoint& source);
  void respond(const sip::Message& request, txn::ServerTransactionId id, const Endpoint& source,
               uint16_t status, std::string_view reason,
               std::vector<sip::ResponseHeader> headers = {});
  // The answer to a request nobody has authenticated (RFC 3261 §8.2.7): sent once, never
  // retransmitted, and the transaction forgotten, so that it costs no state and a forged source
  // earns at most one datagram per datagram. Over UDP, an answer more than kMaxAnswerRatio
  // times the request's size is not sent at all (counted as answers_withheld).
  void respond_statelessly(const sip::Message& request, txn::ServerTransactionId id,
                           const Endpoint& source, uint16_t status, std::string_view reason,
                           std::vector<sip::ResponseHeader> headers = {});
  // Whether `answer` bytes may go to `source` in answer to `request` bytes nobody authenticated.
  bool may_answer(const Endpoint& source, size_t answer, size_t request);
  // A 401/407 with the challenges `policy` admits (the account's, or the camouflage of an
  // unknown name: AccountCache::challenge_policy()).
  void challenge(const sip::Message& request, txn::ServerTransactionId id, const Endpoint& source,
                 bool stale, bool proxy, auth::DigestPolicy policy);
  // An account of policy "any" whose device has just authenticated with SHA-256 is pinned to
  // SHA-256 and its MD5 HA1 dropped: from now on nobody can make it answer MD5 (a downgrade).
  void pin_sha256(std::string_view account, const Endpoint& source);
  std::string response_bytes(const sip::ResponseBasis& basis, const sip::Via& top,
                             const Endpoint& source, uint16_t status, std::string_view reason,
                             std::vector<sip::ResponseHeader> headers);
  bool is_ours(const sip::Uri& uri) const { return policy_.is_ours(uri); }
  void count_response(uint16_t status) {
    if (status < traffic_.responses.size()) ++traffic_.responses[status];
  }
  void schedule_timer();
  void on_tick();
  void log_request(const sip::Message& request, const Endpoint& source) const;
  void schedule_flush();
  // Writes the changed bindings, then sends the responses that waited for them.
  void flush();
  // Looks at the database file (at most once a second, watch_database()); logs a change.
  void check_database();
  // An error line, limited to one per kind per kLogWindow with a count of the repeats.
  void log_error(std::string_view kind, const std::string& line);

  boost::asio::io_context& io_;
  const config::Config& config_;
  // privacy.mode: "security" and "debug" name sources in security events; only "debug" logs
  // each request with its numbers and addresses.
  const bool log_addresses_;
  const bool log_requests_;
  const Clock& clock_;
  // What each message gets before state is consulted; `hardline sip check` asks the same.
  MessagePolicy policy_;
  transport::Transports transports_;
  TxnSender sender_;
  txn::TransactionLayer transactions_;
  auth::NonceService nonces_;
  auth::DigestAuthenticator authenticator_;
  registrar::Registrar registrar_;
  AccountCache accounts_;
  store::Store& store_;
  guard::Guard guard_;
  call::LocalRouter default_router_;
  call::Router* router_ = &default_router_;
  call::B2bua calls_;

  std::vector<Endpoint> local_endpoints_;  // as bound, in the order listened
  // What Via and Contact name for one listener: "host:port" (advertised, or the address it is
  // bound to), or empty on a wildcard without advertise, where each peer is given the address
  // its messages arrive at, with `port`.
  struct LocalName {
    std::string fixed;
    uint16_t port = 0;
  };
  std::vector<LocalName> udp_locals_;  // of each UDP socket, in socket order
  std::vector<LocalName> tcp_locals_;
  std::vector<HostAddress> host_addresses_;  // read at start-up, for address_facing()
  // Where a registered phone's REGISTER came in: the UDP socket or TCP connection, and our
  // address it was sent to (on a wildcard listener), which is where the phone expects calls
  // from and what their Via and Contact must name.
  struct Arrival {
    uint64_t connection = 0;
    IpAddress local;
  };
  // TCP connections that registered a binding, by the binding's source ("tcp:ADDR:PORT"): the
  // only way to reach a phone registered over TCP is the connection it registered on.
  std::unordered_map<std::string, Arrival, KeyedHash, std::equal_to<>> tcp_bindings_{
      0, KeyedHash::random()};
  // Phones registered over UDP through a wildcard socket, by the binding's source
  // ("udp:ADDR:PORT"). Past every binding and kMaxStaleArrivals more it is emptied (phones
  // behind NAT change ports), and address_facing() stands in until each registers again.
  static constexpr size_t kMaxStaleArrivals = 4096;
  std::unordered_map<std::string, Arrival, KeyedHash, std::equal_to<>> udp_arrivals_{
      0, KeyedHash::random()};
  std::vector<store::Ban> bans_to_write_;  // automatic bans not yet in the store
  std::optional<uint64_t> bans_version_;   // the store's data_version when bans were last read
  std::unordered_set<std::string> applied_admissions_;  // "ext\nnetwork\ncreated_at"
  std::mt19937_64 tags_;
  Counters counters_;
  admin::SipTraffic traffic_;
  SteadyTime started_{};
  bool flush_posted_ = false;
  // 200s to REGISTERs whose bindings are not written yet: a phone hears OK only once its
  // binding would survive a crash. Sent (or replaced by a 500) by flush().
  struct HeldResponse {
    txn::ServerTransactionId id;
    uint16_t status;
    std::string bytes;
  };
  std::vector<HeldResponse> held_;
  bool stopped_ = false;
  // What /health reports: the last store write's error (empty once a write succeeds), what
  // happened to the database file (watch_database()).
  std::string store_failure_;
  std::filesystem::path database_path_;
  std::optional<std::string> database_problem_;
  SteadyTime next_database_check_{};
  int pid_ = 0;  // for the operator's way to the deleted file's open copy (/proc/PID/fd)
  LogLimiter errors_{Millis{60'000}};
  SteadyTime next_sweep_{};
  SteadyTime next_purge_{};
  struct Timer;
  std::unique_ptr<Timer> timer_;
};

}  // namespace hardline::server
