#pragma once
// The transaction layer (RFC 3261 §17): matches requests and responses to transactions, runs
// the four state machines, retransmits over UDP and absorbs retransmissions. Single-threaded:
// the event loop of one thread calls every function. Time comes from the injected Clock; the
// loop asks next_deadline() when to wake up and then calls run_timers().
//
// Memory is bounded: server transactions in total and per source IP address, client
// transactions in total. Terminated transactions leave the table at once.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>

#include "common/clock.h"
#include "common/endpoint.h"
#include "sip/message.h"
#include "txn/client_invite.h"
#include "txn/client_non_invite.h"
#include "txn/environment.h"
#include "txn/key_index.h"
#include "txn/server_invite.h"
#include "txn/server_non_invite.h"
#include "txn/slot_table.h"
#include "txn/timer_queue.h"
#include "txn/transaction_key.h"
#include "txn/types.h"

namespace hardline::txn {

class TransactionLayer {
 public:
  using ResponseHandler = txn::ResponseHandler;

  enum class Disposition : uint8_t {
    kNew,                    // a new server transaction: the TU handles the request
    kRetransmission,         // absorbed; the last response, if any, was sent again
    kAckAbsorbed,            // an ACK for a non-2xx final of an INVITE server transaction
    kAckWithoutTransaction,  // an ACK for a 2xx (or for nothing known): the TU/dialog gets it
    kOverloaded,             // table full, in total or for this source: answer 503 with
                             // Retry-After statelessly; counted
  };
  struct Incoming {
    Disposition disposition = Disposition::kNew;
    ServerTransactionId id = 0;  // kNew, kRetransmission, kAckAbsorbed; 0 otherwise
  };

  // Keeps references to the clock and the sender, which must outlive the layer.
  TransactionLayer(const Clock& clock, Sender& sender, Limits limits = {}, Timers timers = {});
  TransactionLayer(const TransactionLayer&) = delete;
  TransactionLayer& operator=(const TransactionLayer&) = delete;

  // A parsed request from `source` (its IPv4 address or IPv6 prefix counts against
  // max_per_source). Responses go to `reply_to` (computed by the caller per RFC 3261 §18.2.2
  // and RFC 3581); its protocol decides reliability. The message may die when this returns: keys
  // own their bytes.
  Incoming on_request(const sip::Message& request, const Endpoint& source,
                      const Endpoint& reply_to);

  // The TU's response for a server transaction: `bytes` is the serialized response. Provisional
  // and final; the last one is stored and sent again for a retransmitted request. A non-2xx
  // final to INVITE is retransmitted on Timer G (UDP) until the ACK, and Timer H gives up. A 2xx
  // to INVITE ends the transaction (RFC 3261; the TU/dialog retransmits 2xx itself).
  // False when nothing was sent: unknown or finished transaction, a second final response, or
  // a status outside 100..699 (counted as responses_discarded).
  bool respond(ServerTransactionId id, uint16_t status, std::string bytes);

  // Answers statelessly (RFC 3261 §8.2.7): sends `bytes`, a final response (status 200..699; an
  // INVITE only 300..699), once to the transaction's reply address and removes the transaction.
  // Nothing is kept and nothing is retransmitted: a retransmission of the request is then a new
  // request, answered anew, and the ACK of a non-2xx answered this way matches nothing
  // (kAckWithoutTransaction). For requests nobody has authenticated, so that a forged source
  // costs no state and earns one answer per request (no amplification). False, with nothing
  // sent: unknown transaction, a final response already sent, or a status out of range.
  bool respond_statelessly(ServerTransactionId id, uint16_t status, std::string_view bytes);

  // Removes a server transaction that has sent no final response, without sending anything: the
  // TU drops the request silently (or has answered it outside the layer). Counted as
  // stateless; unknown ids are ignored.
  void forget(ServerTransactionId id);

  // CANCEL (RFC 3261 §9.2): the INVITE server transaction it matches, if one is in the table
  // (in whatever state; respond() on it returns false once its final response is sent).
  std::optional<ServerTransactionId> find_invite_for_cancel(const sip::Message& cancel) const;

  // Starts a client transaction: sends `request` (serialized, its top Via carrying `branch`)
  // to `to` and retransmits it over UDP. `method` picks the state machine (kInvite or not); the
  // request line's method and `branch` match the responses. `on_response` gets each
  // provisional response, then exactly once the final response or nullptr (Timer B/F, a
  // transport error, the proceeding limit); never from inside this call. Nullopt, with nothing
  // sent and the handler never called: max_client reached (counted as overloaded), a client
  // transaction with this branch and method already exists, or `method` is kAck (an ACK is
  // sent straight through the transport: for a 2xx by the TU, for a non-2xx by this layer).
  std::optional<ClientTransactionId> send_request(sip::Method method, std::string_view branch,
                                                  std::string request, const Endpoint& to,
                                                  ResponseHandler on_response);

  // A parsed response, matched by top-Via branch and CSeq method (RFC 3261 §17.1.3). False: no
  // client transaction matches (counted as stray); a 2xx to INVITE may still belong to a
  // dialog (§17.1.1.2 hands 2xx retransmissions to the core), anything else is dropped. For a
  // non-2xx final to INVITE the layer sends the ACK itself (§17.1.1.3) and absorbs the
  // response's retransmissions during Timer D.
  bool on_response(const sip::Message& response, const Endpoint& source);

  // The earliest timer deadline, if any timer is pending.
  std::optional<SteadyTime> next_deadline() const { return timers_.next_deadline(); }

  // Fires every timer due at clock.now(): retransmissions, timeouts, removals.
  void run_timers();

  size_t size() const { return servers_.size() + clients_.size(); }
  size_t server_size() const { return servers_.size(); }
  // Server transactions counted against max_total (not the completed non-INVITE ones).
  size_t active_server_size() const { return servers_.size() - completed_; }
  size_t client_size() const { return clients_.size(); }
  size_t pending_timers() const { return timers_.size(); }
  const Counters& counters() const { return counters_; }
  const Limits& limits() const { return limits_; }
  const Timers& timers() const { return config_; }

 private:
  using ServerMachine = std::variant<ServerInviteTransaction, ServerNonInviteTransaction>;
  using ClientMachine = std::variant<ClientInviteTransaction, ClientNonInviteTransaction>;

  struct ServerRecord {
    ServerMachine machine;
    IpAddress source;        // as counted against max_per_source
    bool rfc2543 = false;    // matched by the RFC 2543 fallback
    bool completed = false;  // non-INVITE, final response sent: see max_completed
    std::string key{};       // as indexed in server_index_
    uint64_t hash = 0;       // of key
  };
  struct ClientRecord {
    ClientMachine machine;
    std::string key{};  // as indexed in client_index_
    uint64_t hash = 0;
  };

  Environment environment() { return Environment{clock_, sender_, timers_, config_, counters_}; }
  Incoming on_ack(const sip::Message& ack);
  // The server transaction whose key is `key`; `hash` receives the key's hash either way.
  ServerRecord* find_server(std::string_view key, ServerTransactionId& id, uint64_t& hash);
  std::optional<ClientTransactionId> find_client(std::string_view key, uint64_t& hash) const;
  void remove_server(ServerTransactionId id);
  // A non-INVITE transaction sent its final response: it stops counting against the bounds
  // and joins the oldest-first list of completed ones, which max_completed bounds.
  void complete(ServerTransactionId id, ServerRecord& record);
  void release_source(const IpAddress& source);
  void remove_client(ClientTransactionId id);
  // Hands the report to the TU, removing the transaction first if it has terminated.
  void report(ClientTransactionId id, Report what, const sip::Message* response);

  const Clock& clock_;
  Sender& sender_;
  Limits limits_;
  Timers config_;
  Counters counters_;
  TimerQueue timers_;
  SlotTable<ServerRecord> servers_;
  SlotTable<ClientRecord> clients_;
  KeyIndex server_index_;
  KeyIndex client_index_;
  std::unordered_map<IpAddress, uint32_t, KeyHash> per_source_;
  std::deque<ServerTransactionId> completed_order_;  // oldest first; may hold removed ids
  size_t completed_ = 0;                             // completed transactions in the table
  std::string scratch_;  // the key being looked up: reused so that a lookup allocates nothing
};

}  // namespace hardline::txn
