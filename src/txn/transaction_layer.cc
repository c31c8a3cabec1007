#include "txn/transaction_layer.h"

#include <utility>

#include "common/assert.h"
#include "sip/parser.h"
#include "txn/transaction_key.h"

namespace hardline::txn {
namespace {

constexpr std::string_view kInvite = "INVITE";

// The method token of a serialized request line.
std::string_view request_method(std::string_view request) {
  return request.substr(0, request.find(' '));
}

// What counts as one source for max_per_source.
IpAddress source_of(const IpAddress& address, uint8_t ipv6_prefix) {
  if (!address.v6 || ipv6_prefix >= 128) return address;
  IpAddress masked = address;
  for (size_t i = 0; i < masked.bytes.size(); ++i) {
    size_t bit = i * 8;
    if (bit >= ipv6_prefix) {
      masked.bytes[i] = 0;
    } else if (bit + 8 > ipv6_prefix) {
      masked.bytes[i] &= static_cast<uint8_t>(0xff << (bit + 8 - ipv6_prefix));
    }
  }
  return masked;
}

template <class Machine>
bool is_terminated(const Machine& machine) {
  return std::visit([](const auto& m) { return m.terminated(); }, machine);
}

}  // namespace

TransactionLayer::TransactionLayer(const Clock& clock, Sender& sender, Limits limits, Timers timers)
    : clock_(clock),
      sender_(sender),
      limits_(limits),
      config_(timers),
      server_index_(KeyHash::random()),
      client_index_(KeyHash::random()),
      per_source_(0, KeyHash::random()) {}

TransactionLayer::ServerRecord* TransactionLayer::find_server(std::string_view key,
                                                              ServerTransactionId& id,
                                                              uint64_t& hash) {
  hash = server_index_.hash(key);
  auto found = server_index_.find(key, hash, [this](uint64_t candidate) {
    return std::string_view(servers_.find(candidate)->key);
  });
  if (!found) return nullptr;
  id = *found;
  return servers_.find(id);
}

std::optional<ClientTransactionId> TransactionLayer::find_client(std::string_view key,
                                                                 uint64_t& hash) const {
  hash = client_index_.hash(key);
  return client_index_.find(key, hash, [this](uint64_t candidate) {
    return std::string_view(clients_.find(candidate)->key);
  });
}

TransactionLayer::Incoming TransactionLayer::on_request(const sip::Message& request,
                                                        const Endpoint& source,
                                                        const Endpoint& reply_to) {
  if (request.method == sip::Method::kAck) return on_ack(request);
  Environment env = environment();
  make_server_key(request, request.method_text, scratch_);
  ServerTransactionId id = 0;
  uint64_t hash = 0;
  if (ServerRecord* record = find_server(scratch_, id, hash)) {
    ++counters_.request_retransmissions;
    std::visit([&](auto& m) { m.on_retransmission(env); }, record->machine);
    return {Disposition::kRetransmission, id};
  }

  const IpAddress counted = source_of(source.address, limits_.ipv6_source_prefix);
  auto per_source = per_source_.find(counted);
  uint32_t from_source = per_source == per_source_.end() ? 0 : per_source->second;
  if (active_server_size() >= limits_.max_total || from_source >= limits_.max_per_source) {
    ++counters_.overloaded;
    return {Disposition::kOverloaded, 0};
  }

  bool invite = request.method == sip::Method::kInvite;
  bool rfc2543 = !has_rfc3261_branch(request);
  id = servers_.emplace_with([&](uint64_t new_id) {
    return invite ? ServerRecord{ServerMachine{std::in_place_type<ServerInviteTransaction>, new_id,
                                               reply_to},
                                 counted, rfc2543}
                  : ServerRecord{ServerMachine{std::in_place_type<ServerNonInviteTransaction>,
                                               new_id, reply_to},
                                 counted, rfc2543};
  });
  ServerRecord* record = servers_.find(id);
  record->key = scratch_;
  record->hash = hash;
  server_index_.insert(hash, id);
  if (per_source == per_source_.end()) {
    per_source_.emplace(counted, 1);
  } else {
    ++per_source->second;
  }
  ++counters_.server_created;
  std::visit([&](auto& m) { m.start(env); }, record->machine);
  return {Disposition::kNew, id};
}

TransactionLayer::Incoming TransactionLayer::on_ack(const sip::Message& ack) {
  ServerTransactionId id = 0;
  ServerRecord* record = nullptr;
  uint64_t hash = 0;
  if (has_rfc3261_branch(ack)) {
    make_server_key(ack, kInvite, scratch_);
    record = find_server(scratch_, id, hash);
  } else {
    // RFC 2543: the ACK carries the To tag of the response. An INVITE sent inside a dialog had
    // that tag already; a dialog-creating one had none, and its final response added it.
    std::string_view to_tag = ack.to.tag().value_or(std::string_view{});
    make_server_key(ack, kInvite, to_tag, scratch_);
    record = find_server(scratch_, id, hash);
    if (record == nullptr && !to_tag.empty()) {
      make_server_key(ack, kInvite, std::string_view{}, scratch_);
      record = find_server(scratch_, id, hash);
      const auto* invite =
          record != nullptr ? std::get_if<ServerInviteTransaction>(&record->machine) : nullptr;
      if (invite != nullptr && !invite->final_to_tag().empty() &&
          invite->final_to_tag() != to_tag) {
        record = nullptr;
      }
    }
  }
  auto* invite =
      record != nullptr ? std::get_if<ServerInviteTransaction>(&record->machine) : nullptr;
  if (invite == nullptr) {
    ++counters_.acks_without_transaction;
    return {Disposition::kAckWithoutTransaction, 0};
  }
  ++counters_.acks_absorbed;
  invite->on_ack(environment());
  if (invite->terminated()) remove_server(id);
  return {Disposition::kAckAbsorbed, id};
}

bool TransactionLayer::respond(ServerTransactionId id, uint16_t status, std::string bytes) {
  ServerRecord* record = servers_.find(id);
  if (record == nullptr) {
    ++counters_.responses_discarded;
    return false;
  }
  Environment env = environment();
  bool accepted = false;
  if (auto* invite = std::get_if<ServerInviteTransaction>(&record->machine)) {
    if (record->rfc2543 && status >= 300 &&
        invite->state() == ServerInviteTransaction::State::kProceeding) {
      // The ACK will carry this response's To tag; only RFC 2543 matching needs it.
      auto parsed = sip::parse_datagram(bytes);
      if (parsed) invite->set_final_to_tag(std::string(parsed->to.tag().value_or("")));
    }
    accepted = invite->respond(env, status, std::move(bytes));
  } else {
    accepted = std::get<ServerNonInviteTransaction>(record->machine)
                   .respond(env, status, std::move(bytes));
  }
  if (!accepted) ++counters_.responses_discarded;
  if (is_terminated(record->machine)) {
    remove_server(id);
  } else if (const auto* non_invite = std::get_if<ServerNonInviteTransaction>(&record->machine);
             non_invite != nullptr && !record->completed &&
             non_invite->state() == ServerNonInviteTransaction::State::kCompleted) {
    complete(id, *record);
  }
  return accepted;
}

bool TransactionLayer::respond_statelessly(ServerTransactionId id, uint16_t status,
                                           std::string_view bytes) {
  ServerRecord* record = servers_.find(id);
  const bool awaiting =
      record != nullptr &&
      std::visit([](const auto& m) { return m.awaiting_final(); }, record->machine);
  const bool invite =
      record != nullptr && std::holds_alternative<ServerInviteTransaction>(record->machine);
  if (!awaiting || status < (invite ? 300 : 200) || status > 699) {
    ++counters_.responses_discarded;
    return false;
  }
  const Endpoint reply_to = std::visit([](const auto& m) { return m.reply_to(); }, record->machine);
  ++counters_.stateless;
  remove_server(id);
  environment().send(reply_to, bytes);
  return true;
}

void TransactionLayer::forget(ServerTransactionId id) {
  ServerRecord* record = servers_.find(id);
  if (record == nullptr ||
      !std::visit([](const auto& m) { return m.awaiting_final(); }, record->machine)) {
    return;
  }
  ++counters_.stateless;
  remove_server(id);
}

std::optional<ServerTransactionId> TransactionLayer::find_invite_for_cancel(
    const sip::Message& cancel) const {
  std::string key;
  make_server_key(cancel, kInvite, key);
  auto found = server_index_.find(key, server_index_.hash(key), [this](uint64_t candidate) {
    return std::string_view(servers_.find(candidate)->key);
  });
  if (!found) return std::nullopt;
  const ServerRecord* record = servers_.find(*found);
  if (record == nullptr || !std::holds_alternative<ServerInviteTransaction>(record->machine)) {
    return std::nullopt;
  }
  return found;
}

std::optional<ClientTransactionId> TransactionLayer::send_request(sip::Method method,
                                                                  std::string_view branch,
                                                                  std::string request,
                                                                  const Endpoint& to,
                                                                  ResponseHandler on_response) {
  if (method == sip::Method::kAck) return std::nullopt;  // an ACK is never a transaction
  if (clients_.size() >= limits_.max_client) {
    ++counters_.overloaded;
    return std::nullopt;
  }
  make_client_key(branch, request_method(request), scratch_);
  uint64_t hash = 0;
  if (find_client(scratch_, hash)) return std::nullopt;

  bool invite = method == sip::Method::kInvite;
  ClientTransactionId id = clients_.emplace_with([&](uint64_t new_id) {
    return invite
               ? ClientRecord{ClientMachine{std::in_place_type<ClientInviteTransaction>, new_id,
                                            std::move(request), to, std::move(on_response)}}
               : ClientRecord{ClientMachine{std::in_place_type<ClientNonInviteTransaction>, new_id,
                                            std::move(request), to, std::move(on_response)}};
  });
  ClientRecord* record = clients_.find(id);
  record->key = scratch_;
  record->hash = hash;
  client_index_.insert(hash, id);
  ++counters_.client_created;
  Environment env = environment();
  std::visit([&](auto& m) { m.start(env); }, record->machine);
  return id;
}

bool TransactionLayer::on_response(const sip::Message& response, const Endpoint& /*source*/) {
  if (response.is_request || response.vias.empty() || !response.vias.front().branch) {
    ++counters_.stray_responses;
    return false;
  }
  make_client_key(*response.vias.front().branch, response.cseq.method, scratch_);
  uint64_t hash = 0;
  auto found = find_client(scratch_, hash);
  if (!found) {
    ++counters_.stray_responses;
    return false;
  }
  ClientTransactionId id = *found;
  ClientRecord* record = clients_.find(id);
  HL_ASSERT(record != nullptr);
  Environment env = environment();
  Report what = std::visit([&](auto& m) { return m.on_response(env, response); }, record->machine);
  report(id, what, &response);
  return true;
}

void TransactionLayer::report(ClientTransactionId id, Report what, const sip::Message* response) {
  ClientRecord* record = clients_.find(id);
  if (record == nullptr) return;
  bool terminated = is_terminated(record->machine);
  if (what == Report::kNothing) {
    if (terminated) remove_client(id);
    return;
  }
  // The handler runs outside the table, so that whatever it does (start transactions, respond
  // on server transactions) cannot pull it from under itself.
  ResponseHandler handler = std::move(
      std::visit([](auto& m) -> ResponseHandler& { return m.handler(); }, record->machine));
  if (terminated) remove_client(id);
  if (handler) handler(what == Report::kResponse ? response : nullptr);
  if (terminated) return;
  if (ClientRecord* again = clients_.find(id)) {
    std::visit([&](auto& m) { m.handler() = std::move(handler); }, again->machine);
  }
}

void TransactionLayer::run_timers() {
  SteadyTime now = clock_.now();
  while (auto expired = timers_.pop_expired(now)) {
    Environment env = environment();
    if (is_client_timer(expired->kind)) {
      ClientRecord* record = clients_.find(expired->owner);
      if (record == nullptr) continue;
      Report what =
          std::visit([&](auto& m) { return m.on_timer(env, expired->kind); }, record->machine);
      report(expired->owner, what, nullptr);
    } else {
      ServerRecord* record = servers_.find(expired->owner);
      if (record == nullptr) continue;
      std::visit([&](auto& m) { m.on_timer(env, expired->kind); }, record->machine);
      if (is_terminated(record->machine)) remove_server(expired->owner);
    }
  }
}

void TransactionLayer::release_source(const IpAddress& source) {
  auto per_source = per_source_.find(source);
  if (per_source != per_source_.end() && --per_source->second == 0) per_source_.erase(per_source);
}

void TransactionLayer::complete(ServerTransactionId id, ServerRecord& record) {
  record.completed = true;
  ++completed_;
  release_source(record.source);
  completed_order_.push_back(id);
  // Ids of transactions that already ended (Timer J, in the order they completed) leave the
  // front first; then, past the bound, the oldest completed one is forgotten early.
  while (!completed_order_.empty()) {
    const ServerRecord* oldest = servers_.find(completed_order_.front());
    if (oldest == nullptr || !oldest->completed) {
      completed_order_.pop_front();
      continue;
    }
    if (completed_ <= limits_.max_completed) break;
    const ServerTransactionId forgotten = completed_order_.front();
    completed_order_.pop_front();
    ++counters_.completed_forgotten;
    remove_server(forgotten);
  }
}

void TransactionLayer::remove_server(ServerTransactionId id) {
  ServerRecord* record = servers_.find(id);
  if (record == nullptr) return;
  Environment env = environment();
  std::visit([&](auto& m) { m.stop(env); }, record->machine);
  server_index_.erase(record->hash, id);
  if (record->completed) {
    --completed_;
  } else {
    release_source(record->source);
  }
  servers_.erase(id);
}

void TransactionLayer::remove_client(ClientTransactionId id) {
  ClientRecord* record = clients_.find(id);
  if (record == nullptr) return;
  Environment env = environment();
  std::visit([&](auto& m) { m.stop(env); }, record->machine);
  client_index_.erase(record->hash, id);
  clients_.erase(id);
}

}  // namespace hardline::txn
