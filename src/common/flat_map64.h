#pragma once
// A hash map from 64-bit keys to small values in one flat array (open addressing, linear
// probing, removal by backward shift): a lookup touches one cache line where a node-based map
// touches three. Keys are spread by a fixed multiplication, so they must not be chosen by the
// network: use it for random ids (or hash untrusted keys with a KeyedHash first).
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common/assert.h"

namespace hardline {

template <class V>
class FlatMap64 {
 public:
  V* find(uint64_t key) {
    if (entries_.empty()) return nullptr;
    for (size_t i = home(key); entries_[i].full; i = next(i)) {
      if (entries_[i].key == key) return &entries_[i].value;
    }
    return nullptr;
  }

  // Adds `key`, which must not be present.
  void insert(uint64_t key, V value) {
    if ((size_ + 1) * 2 > entries_.size()) grow();
    place(key, std::move(value));
    ++size_;
  }

  // Removes `key`; false if it was not there.
  bool erase(uint64_t key) {
    if (entries_.empty()) return false;
    size_t i = home(key);
    while (true) {
      if (!entries_[i].full) return false;
      if (entries_[i].key == key) break;
      i = next(i);
    }
    for (size_t j = next(i); entries_[j].full; j = next(j)) {
      const size_t h = home(entries_[j].key);
      // The entry at j may fill the hole at i only if its home is not in (i, j].
      const bool stays = i <= j ? (h > i && h <= j) : (h > i || h <= j);
      if (stays) continue;
      entries_[i] = std::move(entries_[j]);
      i = j;
    }
    entries_[i] = Entry{};
    --size_;
    return true;
  }

  size_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t key = 0;
    V value{};
    bool full = false;
  };

  size_t home(uint64_t key) const { return (key * 0x9E3779B97F4A7C15ULL) >> shift_; }
  size_t next(size_t i) const { return (i + 1) & (entries_.size() - 1); }

  void place(uint64_t key, V value) {
    size_t i = home(key);
    while (entries_[i].full) i = next(i);
    entries_[i] = Entry{key, std::move(value), true};
  }

  void grow() {
    std::vector<Entry> old = std::move(entries_);
    const size_t size = old.empty() ? 64 : old.size() * 2;
    entries_.assign(size, Entry{});
    shift_ = 64;
    for (size_t s = size; s > 1; s >>= 1) --shift_;
    for (Entry& entry : old) {
      if (entry.full) place(entry.key, std::move(entry.value));
    }
  }

  std::vector<Entry> entries_;  // a power of two in size, at most half full
  unsigned shift_ = 64;         // 64 - log2(entries_.size())
  size_t size_ = 0;
};

}  // namespace hardline
