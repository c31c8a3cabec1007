#pragma once
// LruTable: a hash table of at most `capacity` entries where adding to a full table first
// evicts the least recently used entry. Every table keyed by what the network chooses (source
// addresses, account names) is one of these, so memory stays flat whatever arrives.
//
// Open addressing with linear probing over an index of (32 bits of hash, slot) pairs, entries
// in a slot array reserved once at `capacity` (untouched pages cost no memory) and threaded on
// an intrusive doubly linked list in recency order. A lookup allocates nothing and does not move
// entries, so pointers to values stay valid until that entry is erased or evicted. The caller
// supplies the hash (computed once, with a secret key, and shared between tables).

#include <cstdint>
#include <utility>
#include <vector>

#include "common/assert.h"

namespace hardline::guard {

template <class Key, class Value>
class LruTable {
 public:
  // Above this the index (2 x capacity, a power of two, 8 bytes an entry) would not fit 32 bits.
  static constexpr uint32_t kMaxCapacity = 1u << 28;

  explicit LruTable(uint32_t capacity) : capacity_(capacity) {
    HL_CHECK(capacity >= 1 && capacity <= kMaxCapacity);
    slots_.reserve(capacity);
    index_.assign(kMinIndex, 0);
  }

  // The value of `key`, now the most recently used; nullptr when absent.
  Value* find(const Key& key, uint64_t hash) {
    const uint32_t slot = lookup(key, hash);
    if (slot == kNone) return nullptr;
    touch(slot);
    return &slots_[slot].value;
  }
  // The value of `key` without changing the order; nullptr when absent.
  Value* peek(const Key& key, uint64_t hash) {
    const uint32_t slot = lookup(key, hash);
    return slot == kNone ? nullptr : &slots_[slot].value;
  }
  const Value* peek(const Key& key, uint64_t hash) const {
    const uint32_t slot = lookup(key, hash);
    return slot == kNone ? nullptr : &slots_[slot].value;
  }

  struct Insertion {
    Value& value;
    bool inserted;  // a new entry holding Value{}
  };
  // The value of `key`, added as Value{} if absent (evicting the least recently used entry when
  // the table is full), and now the most recently used.
  Insertion find_or_insert(const Key& key, uint64_t hash) {
    uint32_t slot = lookup(key, hash);
    if (slot != kNone) {
      touch(slot);
      return {slots_[slot].value, false};
    }
    if (size_ == capacity_) {
      erase_slot(tail_);
      ++evictions_;
    }
    if (2 * (static_cast<uint64_t>(size_) + 1) > index_.size()) grow_index();
    slot = allocate();
    Slot& entry = slots_[slot];
    entry.key = key;
    entry.hash = static_cast<uint32_t>(hash);
    index_insert(entry.hash, slot);
    link_front(slot);
    ++size_;
    return {entry.value, true};
  }

  // Removes `key`; false when absent.
  bool erase(const Key& key, uint64_t hash) {
    const uint32_t slot = lookup(key, hash);
    if (slot == kNone) return false;
    erase_slot(slot);
    return true;
  }

  // The least recently used entry (for pruning idle entries from the old end); nullptr when
  // the table is empty.
  const Key* oldest_key() const { return size_ == 0 ? nullptr : &slots_[tail_].key; }
  Value* oldest_value() { return size_ == 0 ? nullptr : &slots_[tail_].value; }
  void erase_oldest() {
    if (size_ != 0) erase_slot(tail_);
  }

  // Calls f(key, value) for each entry, most recently used first.
  template <class F>
  void for_each(F&& f) const {
    for (uint32_t slot = head_; slot != kNone; slot = slots_[slot].next) {
      f(slots_[slot].key, slots_[slot].value);
    }
  }

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  uint64_t evictions() const { return evictions_; }

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr size_t kMinIndex = 16;

  struct Slot {
    Key key{};
    Value value{};
    uint32_t hash = 0;  // the low 32 bits of the caller's hash
    uint32_t prev = kNone;
    uint32_t next = kNone;  // also the free list's link
  };

  // An index entry: the slot's hash in the high half, slot + 1 in the low half; 0 is empty.
  static uint64_t make_entry(uint32_t hash, uint32_t slot) {
    return (static_cast<uint64_t>(hash) << 32) | (static_cast<uint64_t>(slot) + 1);
  }
  static uint32_t entry_hash(uint64_t entry) { return static_cast<uint32_t>(entry >> 32); }
  static uint32_t entry_slot(uint64_t entry) { return static_cast<uint32_t>(entry) - 1; }
  size_t mask() const { return index_.size() - 1; }

  uint32_t lookup(const Key& key, uint64_t hash) const {
    const auto hash32 = static_cast<uint32_t>(hash);
    for (size_t i = hash32 & mask();; i = (i + 1) & mask()) {
      const uint64_t entry = index_[i];
      if (entry == 0) return kNone;
      if (entry_hash(entry) == hash32 && slots_[entry_slot(entry)].key == key) {
        return entry_slot(entry);
      }
    }
  }

  void index_insert(uint32_t hash32, uint32_t slot) {
    size_t i = hash32 & mask();
    while (index_[i] != 0) i = (i + 1) & mask();
    index_[i] = make_entry(hash32, slot);
  }

  // Backward-shift deletion: entries after the hole move up when their home position allows,
  // so that no probe sequence is ever broken and no tombstones accumulate.
  void index_remove(uint32_t slot) {
    const uint64_t target = make_entry(slots_[slot].hash, slot);
    size_t hole = slots_[slot].hash & mask();
    while (index_[hole] != target) hole = (hole + 1) & mask();
    for (size_t j = (hole + 1) & mask(); index_[j] != 0; j = (j + 1) & mask()) {
      const size_t home = entry_hash(index_[j]) & mask();
      if (((j - home) & mask()) >= ((j - hole) & mask())) {
        index_[hole] = index_[j];
        hole = j;
      }
    }
    index_[hole] = 0;
  }

  void grow_index() {
    std::vector<uint64_t> old(index_.size() * 2, 0);
    old.swap(index_);
    for (uint64_t entry : old) {
      if (entry != 0) index_insert(entry_hash(entry), entry_slot(entry));
    }
  }

  uint32_t allocate() {
    if (free_ != kNone) {
      const uint32_t slot = free_;
      free_ = slots_[slot].next;
      return slot;
    }
    HL_ASSERT(slots_.size() < capacity_);  // never reallocates: values stay where they are
    slots_.emplace_back();
    return static_cast<uint32_t>(slots_.size() - 1);
  }

  void erase_slot(uint32_t slot) {
    index_remove(slot);
    unlink(slot);
    Slot& entry = slots_[slot];
    entry.key = Key{};
    entry.value = Value{};  // releases what the value owns (a reason, a failure list)
    entry.next = free_;
    free_ = slot;
    --size_;
  }

  void link_front(uint32_t slot) {
    Slot& entry = slots_[slot];
    entry.prev = kNone;
    entry.next = head_;
    if (head_ != kNone) slots_[head_].prev = slot;
    head_ = slot;
    if (tail_ == kNone) tail_ = slot;
  }

  void unlink(uint32_t slot) {
    Slot& entry = slots_[slot];
    (entry.prev != kNone ? slots_[entry.prev].next : head_) = entry.next;
    (entry.next != kNone ? slots_[entry.next].prev : tail_) = entry.prev;
    entry.prev = entry.next = kNone;
  }

  void touch(uint32_t slot) {
    if (slot == head_) return;
    unlink(slot);
    link_front(slot);
  }

  std::vector<Slot> slots_;
  std::vector<uint64_t> index_;
  uint32_t capacity_;
  uint32_t size_ = 0;
  uint32_t head_ = kNone;
  uint32_t tail_ = kNone;
  uint32_t free_ = kNone;
  uint64_t evictions_ = 0;
};

}  // namespace hardline::guard
