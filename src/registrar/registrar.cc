#include "registrar/registrar.h"

#include <algorithm>

#include "sip/chars.h"

namespace hardline::registrar {

namespace {

Reply refuse(uint16_t status, std::string_view reason) {
  Reply reply;
  reply.status = status;
  reply.reason = reason;
  return reply;
}

// The +sip.instance of a contact (RFC 5626), quotes and all, or empty.
std::string_view instance_of(const sip::Contact& contact) {
  return contact.address.params.find("+sip.instance").value_or(std::string_view{});
}

bool same_binding(const store::Binding& binding, std::string_view uri, std::string_view instance) {
  if (!instance.empty() && binding.instance == instance) return true;
  return binding.contact == uri;
}

}  // namespace

Registrar::Registrar(const Clock& clock, store::Store& store, Settings settings)
    : clock_(clock), store_(store), settings_(settings) {}

Result<size_t> Registrar::load() {
  auto loaded = store_.load_bindings();
  if (!loaded) return tl::unexpected(loaded.error());
  const int64_t now = clock_.unix_seconds();
  size_t kept = 0;
  for (store::Binding& binding : *loaded) {
    if (binding.expires_at <= now) continue;
    std::string aor = binding.aor;
    bindings_[aor].push_back(std::move(binding));
    ++kept;
  }
  binding_count_ = kept;
  auto purged = store_.purge_expired_bindings(now);
  if (!purged) return tl::unexpected(purged.error());
  return kept;
}

Reply Registrar::apply(const sip::Message& request, std::string_view aor_view,
                       const Endpoint& source) {
  const std::string aor(aor_view);
  const int64_t now = clock_.unix_seconds();
  // The AOR's bindings are taken out of the table (no copy) and always put back, changed or
  // not, whichever way this function returns.
  std::vector<store::Binding> current;
  if (auto it = bindings_.find(aor); it != bindings_.end()) {
    current = std::move(it->second);
    binding_count_ -= current.size();
  }
  const size_t loaded = current.size();
  // What the store holds for a clean AOR: put back if the change cannot be written.
  std::vector<store::Binding> stored;
  if (!dirty_.contains(aor)) stored = current;
  std::erase_if(current, [now](const store::Binding& b) { return b.expires_at <= now; });
  struct PutBack {
    Registrar& registrar;
    const std::string& aor;
    std::vector<store::Binding>& current;
    std::vector<store::Binding>& stored;
    size_t loaded;
    bool changed = false;
    ~PutBack() {
      registrar.put_back(aor, std::move(current), changed || current.size() != loaded,
                         std::move(stored));
    }
  } put_back{*this, aor, current, stored, loaded};

  if (request.contact_star) {
    // RFC 3261 §10.3 step 6: "*" only alone and only with Expires: 0.
    if (!request.contacts.empty() || request.expires.value_or(1) != 0) {
      ++counters_.refused;
      return refuse(400, "Contact * needs Expires 0");
    }
    for (const store::Binding& binding : current) {
      if (binding.call_id == request.call_id && request.cseq.number <= binding.cseq) {
        ++counters_.refused;
        return refuse(400, "Out-of-order CSeq");
      }
    }
    counters_.removals += current.size();
    current.clear();
    put_back.changed = true;
  } else if (!request.contacts.empty()) {
    // Check everything first: a refused REGISTER changes nothing.
    struct Change {
      const sip::Contact* contact;
      uint32_t expires;
    };
    std::vector<Change> changes;
    changes.reserve(request.contacts.size());
    for (const sip::Contact& contact : request.contacts) {
      if (!contact.address.uri.is_sip()) {
        ++counters_.refused;
        return refuse(400, "Contact must be a sip or sips URI");
      }
      if (contact.address.uri.text.size() > settings_.max_contact_length ||
          instance_of(contact).size() > settings_.max_contact_length) {
        ++counters_.refused;
        return refuse(400, "Contact too long");
      }
      uint32_t expires = contact.expires.value_or(request.expires.value_or(settings_.max_expires));
      if (expires != 0 && expires < settings_.min_expires) {
        ++counters_.too_brief;
        Reply reply = refuse(423, "Interval Too Brief");
        reply.headers.emplace_back("Min-Expires", std::to_string(settings_.min_expires));
        return reply;
      }
      expires = std::min(expires, settings_.max_expires);
      for (const store::Binding& binding : current) {
        if (same_binding(binding, contact.address.uri.text, instance_of(contact)) &&
            binding.call_id == request.call_id && request.cseq.number <= binding.cseq) {
          ++counters_.refused;
          return refuse(400, "Out-of-order CSeq");
        }
      }
      changes.push_back({&contact, expires});
    }
    for (const Change& change : changes) {
      const std::string_view uri = change.contact->address.uri.text;
      const std::string_view instance = instance_of(*change.contact);
      auto existing = std::find_if(current.begin(), current.end(), [&](const store::Binding& b) {
        return same_binding(b, uri, instance);
      });
      if (change.expires == 0) {
        if (existing != current.end()) {
          current.erase(existing);
          ++counters_.removals;
        }
        continue;
      }
      store::Binding binding;
      binding.aor = aor;
      binding.contact = std::string(uri);
      binding.call_id = std::string(request.call_id);
      binding.cseq = request.cseq.number;
      binding.expires_at = now + change.expires;
      binding.registered_at = now;
      binding.source = to_spec(source);
      binding.q = change.contact->q.value_or(1000);
      binding.instance = std::string(instance);
      if (existing != current.end()) {
        binding.registered_at = existing->registered_at;
        *existing = std::move(binding);
      } else {
        if (current.size() >= settings_.max_contacts) {
          auto oldest = std::min_element(current.begin(), current.end(),
                                         [](const store::Binding& a, const store::Binding& b) {
                                           return a.registered_at < b.registered_at;
                                         });
          current.erase(oldest);
          ++counters_.replaced_oldest;
        }
        current.push_back(std::move(binding));
      }
    }
    ++counters_.registrations;
    put_back.changed = true;
  }

  Reply reply;
  for (const store::Binding& binding : current) {
    reply.headers.emplace_back(
        "Contact", "<" + binding.contact + ">;expires=" + std::to_string(binding.expires_at - now));
  }
  return reply;
}

void Registrar::put_back(const std::string& aor, std::vector<store::Binding>&& bindings, bool dirty,
                         std::vector<store::Binding>&& stored) {
  binding_count_ += bindings.size();
  if (bindings.empty()) {
    bindings_.erase(aor);
  } else {
    bindings_[aor] = std::move(bindings);
  }
  if (dirty && dirty_.insert(aor).second) stored_.emplace(aor, std::move(stored));
}

std::vector<store::Binding> Registrar::lookup(std::string_view aor) const {
  std::vector<store::Binding> out;
  auto it = bindings_.find(std::string(aor));
  if (it == bindings_.end()) return out;
  const int64_t now = clock_.unix_seconds();
  for (const store::Binding& binding : it->second) {
    if (binding.expires_at > now) out.push_back(binding);
  }
  std::sort(out.begin(), out.end(), [](const store::Binding& a, const store::Binding& b) {
    if (a.q != b.q) return a.q > b.q;
    return a.registered_at > b.registered_at;
  });
  return out;
}

Result<void> Registrar::flush() {
  if (dirty_.empty()) return {};
  std::vector<std::pair<std::string, std::vector<store::Binding>>> sets;
  sets.reserve(dirty_.size());
  for (const std::string& aor : dirty_) {
    auto it = bindings_.find(aor);
    sets.emplace_back(aor, it == bindings_.end() ? std::vector<store::Binding>{} : it->second);
  }
  auto written = store_.replace_bindings_batch(sets);
  if (!written) {
    ++counters_.store_failures;
    discard_changes();
    return written;
  }
  dirty_.clear();
  stored_.clear();
  return {};
}

void Registrar::discard_changes() {
  // Back to what the store holds: the REGISTERs that made these changes are answered 500, so
  // the phones did not get what they asked for and will ask again (issue 13, item 12: 15,930
  // registrations answered 500 stayed live and were written later, a growing backlog each try).
  for (const std::string& aor : dirty_) {
    auto it = bindings_.find(aor);
    if (it != bindings_.end()) {
      binding_count_ -= it->second.size();
      bindings_.erase(it);
    }
    auto stored = stored_.find(aor);
    if (stored != stored_.end() && !stored->second.empty()) {
      binding_count_ += stored->second.size();
      bindings_.emplace(aor, std::move(stored->second));
    }
    ++counters_.rolled_back;
  }
  dirty_.clear();
  stored_.clear();
}

size_t Registrar::purge_expired() {
  const int64_t now = clock_.unix_seconds();
  size_t purged = 0;
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    auto expired = [now](const store::Binding& b) { return b.expires_at <= now; };
    if (std::none_of(it->second.begin(), it->second.end(), expired)) {
      ++it;
      continue;
    }
    // Only AORs that lose a binding are copied (for a rollback), and only when clean.
    if (dirty_.insert(it->first).second) stored_.emplace(it->first, it->second);
    const size_t removed = std::erase_if(it->second, expired);
    purged += removed;
    it = it->second.empty() ? bindings_.erase(it) : std::next(it);
  }
  binding_count_ -= purged;
  counters_.expired += purged;
  return purged;
}

}  // namespace hardline::registrar
