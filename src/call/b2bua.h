#pragma once
// The back-to-back user agent: every call is two (or, while ringing, more) separate dialogs.
// The caller's leg ends at Hardline, which starts a new leg (new Call-ID, tags, CSeq, Via,
// Contact) toward each registered contact of the callee, or toward a remote target. Messages
// of one leg are never forwarded: what the other leg needs is built anew from that leg's own
// state, plus the whitelisted headers and the body (src/call/headers.h).
//
// Single-threaded, on the event loop's thread; never throws. Time comes from the injected
// Clock: the loop asks next_deadline() and calls run_timers(). Memory is bounded: max_calls in
// total, max_calls_per_account, max_forks per call; a call that can no longer make progress
// (a leg lost, no ACK, max duration) ends and is freed.
//
// Lifecycle of a call:
//   on_invite → 100 → Router → forks (one INVITE per contact)
//   ringing: 18x relayed; the first 2xx wins (the other forks are cancelled; a late 2xx gets
//            ACK + BYE); all forks failed → the best failure mapped; ring timeout → 480;
//            CANCEL from the caller → 487
//   answered: 2xx sent to the caller and retransmitted until its ACK, which is relayed as the
//             callee's ACK (late offers work); no ACK within 64*T1 → BYE both sides
//   confirmed: BYE from either side → 200 there, BYE on the other; re-INVITE, UPDATE, INFO...
//              relayed; max duration → BYE both sides
//   ended: kept only while forks still wait for the final answer to their CANCEL

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "call/dialog.h"
#include "call/headers.h"
#include "call/router.h"
#include "call/settings.h"
#include "common/clock.h"
#include "common/endpoint.h"
#include "common/flat_map64.h"
#include "common/siphash.h"
#include "sip/message.h"
#include "txn/slot_table.h"
#include "txn/timer_queue.h"
#include "txn/transaction_layer.h"

namespace hardline::call {

// What the call layer needs of the server around it.
class Network {
 public:
  virtual ~Network() = default;
  // Sends outside any transaction: 2xx retransmissions and ACKs for 2xx.
  virtual void send(const Endpoint& to, std::string_view bytes) = 0;
  // "host:port" of this server toward `peer`, for the Via and Contact of a leg.
  virtual std::string local_address(const Endpoint& peer) const = 0;
};

// A registered contact of an account: the URI to put in the Request-URI and where to send.
struct Contact {
  std::string uri;
  Endpoint peer;
};

class Locator {
 public:
  virtual ~Locator() = default;
  // The account's registered contacts, most preferred first.
  virtual std::vector<Contact> contacts(std::string_view account) = 0;
};

// Who is calling, as the server established it.
struct Caller {
  std::optional<std::string_view> account;  // authenticated; none for a trusted source
  std::string_view display_name;            // the account's, or empty
};

class B2bua {
 public:
  // Keeps references to everything given; all must outlive the B2bua.
  B2bua(const Clock& clock, txn::TransactionLayer& transactions, Network& network, Locator& locator,
        Router& router, Settings settings);
  ~B2bua();
  B2bua(const B2bua&) = delete;
  B2bua& operator=(const B2bua&) = delete;

  // A dialog-creating INVITE (no To tag) that passed authentication, on server transaction `id`
  // (answered at `reply_to`, the address RFC 3261 §18.2.2 gives). Always answers it, at once
  // (a refusal) or later (the call's outcome).
  void on_invite(const sip::Message& invite, txn::ServerTransactionId id, const Endpoint& source,
                 const Endpoint& reply_to, const Caller& caller);

  // A request with a To tag other than ACK and CANCEL (BYE, re-INVITE, UPDATE, INFO, ...) on
  // server transaction `id`. Answers it: 481 when it belongs to no call, 403 when it comes from
  // another address or transport than its leg's (see reauthentication_needed); both statelessly,
  // since whoever sent them proved nothing.
  void on_in_dialog(const sip::Message& request, txn::ServerTransactionId id,
                    const Endpoint& source);

  // The account that must authenticate before `request` (one with a To tag) goes to
  // on_in_dialog: set when the request names a live leg that belongs to an account, with the
  // dialog's Call-ID and tags, but comes from another address or transport than the leg's. That
  // is a phone that moved, or someone who learnt the dialog's identifiers; only the phone can
  // answer a challenge. Nullopt: on_in_dialog decides alone (no such leg; the leg's own address;
  // a leg without an account, such as a trunk's, which is refused).
  std::optional<std::string> reauthentication_needed(const sip::Message& request,
                                                     const Endpoint& source);

  // The sender of `request` authenticated as its leg's account from elsewhere: the leg now lives
  // at `reply_to` (the source, with the reply port of RFC 3261 §18.2.2). Requests for it go
  // there, and only from there are its requests and ACKs accepted.
  void move_leg(const sip::Message& request, const Endpoint& reply_to);

  // A CANCEL matched INVITE server transaction `invite`. True when that INVITE is a call still
  // ringing: the call ends with 487 (the server answers the CANCEL itself, 200).
  bool on_cancel(txn::ServerTransactionId invite);

  // An ACK the transaction layer did not absorb (the ACK of a 2xx), from `source`. False: no call
  // knows it. An ACK from another address or transport than its leg's is ignored (counted).
  bool on_ack(const sip::Message& ack, const Endpoint& source);

  // A response no client transaction matched (a retransmitted 2xx). True when a call knew it.
  bool on_stray_response(const sip::Message& response);

  // A TCP connection closed: every call with a leg on it ends.
  void on_connection_closed(const Endpoint& peer);

  // Replaces the router given at construction; it must outlive the B2bua.
  void set_router(Router& router) { router_ = &router; }

  // Ends every call (shutdown): ringing ones with 503, answered ones with BYE on both sides.
  void end_all();

  std::optional<SteadyTime> next_deadline() const { return timers_.next_deadline(); }
  void run_timers();

  size_t active() const { return live_; }        // calls not ended yet
  size_t held() const { return calls_.size(); }  // ended ones still waiting on forks included
  const Counters& counters() const { return counters_; }
  const Settings& settings() const { return settings_; }

 private:
  enum class State : uint8_t { kRinging, kAnswered, kConfirmed, kEnded };
  enum class ForkState : uint8_t { kCalling, kEarly, kAnswered, kFailed, kDone };
  enum class Timer : uint8_t { kRing, kDuration, kRetransmitCaller, kRetransmitCallee, kLinger };

  struct Fork {
    Dialog dialog;
    std::string to;      // the INVITE's To (for CANCEL)
    std::string branch;  // of the INVITE in flight
    uint32_t invite_cseq = 0;
    ForkState state = ForkState::kCalling;
    bool cancel_wanted = false;
    bool cancel_sent = false;
    bool auth_tried = false;
  };

  // A 2xx we sent on one side to an INVITE from it, retransmitted until its ACK.
  struct PendingAck {
    uint32_t cseq = 0;  // 0: nothing pending
    std::string response;
    Millis interval{0};
    SteadyTime give_up{};
    txn::TimerHandle timer;
    // When the 2xx came from the other side: its INVITE's CSeq there, which our ACK carries.
    uint32_t other_cseq = 0;
  };

  // A request inside the dialog relayed from one side to the other, until its final answer.
  struct Relay {
    uint64_t serial = 0;
    Side from = Side::kCaller;
    txn::ServerTransactionId server = 0;
    bool invite = false;
    uint32_t cseq = 0;        // on the side it came from
    uint32_t other_cseq = 0;  // as sent on the other side
    ResponseBasis basis;
  };

  struct Call {
    uint64_t id = 0;
    State state = State::kRinging;
    Dialog caller;  // we are its UAS
    txn::ServerTransactionId invite_txn = 0;
    ResponseBasis basis;  // of the caller's INVITE
    uint32_t caller_invite_cseq = 0;
    std::string account;  // the caller's account, for max_calls_per_account; may be empty
    RouteDecision decision;
    std::vector<Fork> forks;
    int winner = -1;
    uint16_t best_failure = 0;
    uint8_t max_forwards = 70;  // for requests we send on the callee's side
    uint32_t hops = 0;          // the INVITE's X-Hardline-Hops
    // Kept only for a remote target with credentials: the INVITE again, answering a challenge.
    std::string forwarded_headers;
    std::string body;
    PendingAck pending[2];  // indexed by Side
    std::vector<Relay> relays;
    txn::TimerHandle ring;
    txn::TimerHandle duration;
    txn::TimerHandle linger;
    bool started_hook = false;
  };

  // Which leg a local tag names: the caller's (fork = -1) or one fork's.
  struct LegRef {
    uint64_t call = 0;
    int32_t fork = -1;
  };

  // Setting up. A refusal is stateless for a caller without an account (a trusted source):
  // anyone can forge its address, and a stateful failure would be resent to it until Timer H.
  void refuse(const sip::Message& invite, txn::ServerTransactionId id, const Endpoint& source,
              uint16_t status, uint64_t& counter, bool stateless, std::string_view headers = {});
  bool start_fork(Call& call, size_t index, std::string_view authorization);
  // Answers a request with this status (and the Server header), from the request itself;
  // statelessly (sent once, nothing kept: txn::TransactionLayer::respond_statelessly) if asked.
  void respond_to(const sip::Message& request, txn::ServerTransactionId id, const Endpoint& source,
                  uint16_t status, std::string_view headers = {}, bool stateless = false);
  std::string server_header() const;

  // Answers on the caller's INVITE.
  void respond_caller(Call& call, uint16_t status, std::string_view headers, std::string_view body);
  // The call ends unanswered: `status` to the caller, the forks cancelled, counted in `counter`.
  void fail_call(Call& call, uint16_t status, uint64_t& counter);
  uint64_t& failure_counter(uint16_t status);

  // Forks.
  void on_fork_response(uint64_t call_id, size_t index, const sip::Message* response);
  void on_fork_provisional(Call& call, size_t index, const sip::Message& response);
  void on_fork_answer(Call& call, size_t index, const sip::Message& response);
  void on_fork_failure(Call& call, size_t index, uint16_t status, const sip::Message* response);
  void cancel_fork(Call& call, size_t index);
  void cancel_other_forks(Call& call, size_t except);
  // ACK and BYE for a fork's 2xx that nobody wants.
  void reject_answer(Call& call, size_t index, const sip::Message& response);
  bool forks_pending(const Call& call) const;

  // Dialogs.
  Dialog& dialog_of(Call& call, Side side);
  // The leg a request's To tag names in a call that has not ended, or nullopt.
  struct Leg {
    Call* call;
    int32_t fork;  // -1: the caller's leg
    Dialog* dialog;
  };
  std::optional<Leg> leg_of(const sip::Message& request);
  // The request comes from the leg's address and transport (the port may differ: phones send
  // from other ports than they registered, and NAT may change it).
  static bool from_leg(const Dialog& dialog, const Endpoint& source);
  // The account behind a leg: the caller's, or the account a fork rings; empty for a trunk.
  static std::string_view leg_account(const Call& call, int32_t fork);
  void send_ack(Dialog& dialog, Side to, uint32_t cseq, const sip::Message* ack_from_other,
                uint64_t call);
  Side other(Side side) const { return side == Side::kCaller ? Side::kCallee : Side::kCaller; }
  void send_bye(Call& call, Side side);
  void on_relay_response(uint64_t call_id, uint64_t serial, const sip::Message* response);
  void relay_request(Call& call, Side from, const sip::Message& request,
                     txn::ServerTransactionId id, const Endpoint& source);
  void start_pending_ack(Call& call, Side side, uint32_t cseq, std::string response,
                         uint32_t other_cseq);
  void fail_relays(Call& call);

  // Ending.
  void hang_up(Call& call, std::optional<Side> except);   // BYE to the sides still there
  void finish(Call& call, CallEnd end, uint16_t status);  // the call is over for the caller
  void maybe_erase(Call& call);
  void erase(Call& call);

  void on_timer(uint64_t call_id, Timer kind);
  void on_retransmit(Call& call, Side side);
  void arm(txn::TimerHandle& handle, Millis after, uint64_t call_id, Timer kind);

  // Names.
  uint64_t new_random();            // unpredictable: SipHash of a counter under a secret key
  std::string new_token();          // 16 hex digits of new_random()
  std::string new_tag(LegRef ref);  // a fresh local tag, indexed to `ref`
  LegRef* find_tag(std::optional<std::string_view> tag);
  void unindex_tag(std::string_view tag);

  const Clock& clock_;
  txn::TransactionLayer& transactions_;
  Network& network_;
  Locator& locator_;
  Router* router_;
  const Settings settings_;
  Counters counters_;
  txn::SlotTable<Call> calls_;
  size_t live_ = 0;
  txn::TimerQueue timers_;
  FlatMap64<LegRef> tags_;       // our local tags (parsed from hex) → leg
  FlatMap64<uint64_t> invites_;  // caller's INVITE server transaction → call
  std::unordered_map<std::string, uint32_t, KeyedHash, std::equal_to<>> per_account_{
      0, KeyedHash::random()};
  KeyedHash token_key_ = KeyedHash::random();
  uint64_t token_counter_ = 0;
  uint64_t next_relay_ = 1;
};

}  // namespace hardline::call
