#pragma once
// The location service (RFC 3261 §10.3): bindings of an address-of-record (a local extension)
// to the contacts its phones registered. Kept in memory for lookups and written through to the
// store in batches (one transaction for every REGISTER handled in one turn of the event loop),
// so bindings survive a restart.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/endpoint.h"
#include "common/result.h"
#include "sip/message.h"
#include "store/store.h"

namespace hardline::registrar {

struct Settings {
  uint32_t min_expires = 60;        // below: 423 Interval Too Brief (0 always allowed)
  uint32_t max_expires = 3600;      // above: lowered to this
  uint32_t max_contacts = 5;        // per AOR; the oldest binding makes room for a new one
  size_t max_contact_length = 512;  // a longer Contact URI is refused (bounds a binding's size)
};

struct Reply {
  uint16_t status = 200;
  std::string_view reason = "OK";
  // Contact (one per binding, with its remaining expires) or Min-Expires.
  std::vector<std::pair<std::string_view, std::string>> headers;
};

struct Counters {
  uint64_t registrations = 0;  // accepted REGISTERs that added or refreshed a binding
  uint64_t removals = 0;       // bindings removed by Expires 0 or "*"
  uint64_t replaced_oldest = 0;
  uint64_t too_brief = 0;
  uint64_t refused = 0;  // malformed or out-of-order REGISTERs
  uint64_t expired = 0;
  uint64_t store_failures = 0;
  uint64_t rolled_back = 0;  // AORs put back to their stored bindings after a failed flush
};

class Registrar {
 public:
  Registrar(const Clock& clock, store::Store& store, Settings settings);

  // Reads the bindings kept by the store, dropping the expired ones. Start-up only.
  Result<size_t> load();

  // Applies an authenticated REGISTER for `aor`, the extension the caller proved to own and
  // the To header names. Never throws; every refusal is a status.
  Reply apply(const sip::Message& request, std::string_view aor, const Endpoint& source);

  // The unexpired bindings of an AOR, highest q first, then the most recent.
  std::vector<store::Binding> lookup(std::string_view aor) const;

  // Writes every AOR changed since the last flush, in one transaction. When the store refuses,
  // every one of those AORs goes back to the bindings it had at the last successful flush (what
  // the store holds): a REGISTER answered 500 leaves nothing in memory that the store does not
  // have, and the next flush writes only what changed after it, never a growing backlog.
  Result<void> flush();
  // What a failed flush does, without trying the store: for a store known to be unusable (its
  // file deleted). Every AOR changed since the last flush gets its stored bindings back.
  void discard_changes();
  bool dirty() const { return !dirty_.empty(); }

  // Drops expired bindings from memory (and, on the next flush, from the store).
  size_t purge_expired();

  size_t binding_count() const { return binding_count_; }
  const Counters& counters() const { return counters_; }

 private:
  // Returns an AOR's bindings to the table after apply() (an empty set leaves it); `dirty`
  // marks the AOR for the next flush.
  // `stored` is the AOR's set before the change, kept for a rollback when the AOR was not dirty
  // yet (its set then is what the store holds).
  void put_back(const std::string& aor, std::vector<store::Binding>&& bindings, bool dirty,
                std::vector<store::Binding>&& stored);

  const Clock& clock_;
  store::Store& store_;
  Settings settings_;
  std::unordered_map<std::string, std::vector<store::Binding>> bindings_;
  std::unordered_set<std::string> dirty_;
  // Each dirty AOR's bindings as the store holds them: what a failed flush puts back.
  std::unordered_map<std::string, std::vector<store::Binding>> stored_;
  size_t binding_count_ = 0;
  Counters counters_;
};

}  // namespace hardline::registrar
