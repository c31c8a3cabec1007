#pragma once
// The index from transaction key to transaction id: open addressing with linear probing over a
// flat array of (hash, id) pairs. A lookup of a key that is not there (every new request) reads
// one cache line and compares no key bytes; a hit confirms the key through the caller, which
// owns the keys (each transaction keeps its own). The hash is keyed (common/siphash.h), so
// crafted keys cannot build long probe runs. Removal shifts the run back (no tombstones), so
// probe lengths do not grow with churn.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/assert.h"
#include "common/siphash.h"

namespace hardline::txn {

class KeyIndex {
 public:
  explicit KeyIndex(KeyedHash hash) : hash_(hash) {}

  uint64_t hash(std::string_view key) const { return hash_(key); }

  // The id whose key is `key` (with hash `h`); key_of(id) gives the key an id was inserted with.
  template <class KeyOf>
  std::optional<uint64_t> find(std::string_view key, uint64_t h, KeyOf&& key_of) const {
    if (entries_.empty()) return std::nullopt;
    for (size_t i = h & mask(); entries_[i].id != 0; i = (i + 1) & mask()) {
      if (entries_[i].hash == h && key_of(entries_[i].id) == key) return entries_[i].id;
    }
    return std::nullopt;
  }

  // Adds an id (never 0) under hash `h`; the caller has checked that its key is not present.
  void insert(uint64_t h, uint64_t id) {
    HL_ASSERT(id != 0);
    if ((size_ + 1) * 2 > entries_.size()) grow();
    place(h, id);
    ++size_;
  }

  // Removes the entry of `id`, inserted under hash `h`.
  void erase(uint64_t h, uint64_t id) {
    size_t i = h & mask();
    while (entries_[i].id != id) {
      HL_ASSERT(entries_[i].id != 0);
      i = (i + 1) & mask();
    }
    // Backward shift: move later entries of the run into the hole when their home slot allows.
    for (size_t next = (i + 1) & mask(); entries_[next].id != 0; next = (next + 1) & mask()) {
      const size_t home = entries_[next].hash & mask();
      // The entry at `next` may move to `i` only if its home is not in (i, next].
      const bool stays = i <= next ? (home > i && home <= next) : (home > i || home <= next);
      if (stays) continue;
      entries_[i] = entries_[next];
      i = next;
    }
    entries_[i] = Entry{};
    --size_;
  }

  size_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t hash = 0;
    uint64_t id = 0;  // 0: empty
  };

  size_t mask() const { return entries_.size() - 1; }

  void place(uint64_t h, uint64_t id) {
    size_t i = h & mask();
    while (entries_[i].id != 0) i = (i + 1) & mask();
    entries_[i] = Entry{h, id};
  }

  void grow() {
    std::vector<Entry> old = std::move(entries_);
    entries_.assign(old.empty() ? 64 : old.size() * 2, Entry{});
    for (const Entry& entry : old) {
      if (entry.id != 0) place(entry.hash, entry.id);
    }
  }

  KeyedHash hash_;
  std::vector<Entry> entries_;  // a power of two in size, at most half full
  size_t size_ = 0;
};

}  // namespace hardline::txn
