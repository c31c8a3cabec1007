#pragma once
// A table of values addressed by 64-bit ids: slot index in the low half, the slot's generation
// in the high half. A stale id (its value erased, the slot perhaps reused) finds nothing.
// Values never move once placed (a deque grows without relocating), so a reference stays valid
// while other values are added, for example from inside a callback the value holds.

#include <cstdint>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "common/assert.h"

namespace hardline::txn {

template <class T>
class SlotTable {
 public:
  // Places make(id), where id is the new value's id (never 0), and returns that id.
  template <class Make>
  uint64_t emplace_with(Make&& make) {
    uint32_t index = 0;
    if (!free_.empty()) {
      index = free_.back();
      free_.pop_back();
    } else {
      HL_CHECK(slots_.size() < UINT32_MAX);
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    }
    Slot& slot = slots_[index];
    uint64_t id = (static_cast<uint64_t>(slot.generation) << 32) | index;
    slot.value.emplace(make(id));
    ++size_;
    return id;
  }

  T* find(uint64_t id) {
    auto* slot = slot_of(*this, id);
    return slot != nullptr ? &*slot->value : nullptr;
  }
  const T* find(uint64_t id) const {
    auto* slot = slot_of(*this, id);
    return slot != nullptr ? &*slot->value : nullptr;
  }

  // Destroys the value; false if the id was stale.
  bool erase(uint64_t id) {
    Slot* slot = slot_of(*this, id);
    if (slot == nullptr) return false;
    slot->value.reset();
    if (++slot->generation == 0) slot->generation = 1;  // ids are never 0
    free_.push_back(static_cast<uint32_t>(id & UINT32_MAX));
    --size_;
    return true;
  }

  size_t size() const { return size_; }

  // Calls f(id, value) for every value, in slot order. f must not add or erase values.
  template <class F>
  void for_each(F&& f) {
    for (size_t index = 0; index < slots_.size(); ++index) {
      Slot& slot = slots_[index];
      if (slot.value) f((static_cast<uint64_t>(slot.generation) << 32) | index, *slot.value);
    }
  }

 private:
  struct Slot {
    uint32_t generation = 1;
    std::optional<T> value;
  };

  // Self is SlotTable or const SlotTable, so that one body serves both find()s.
  template <class Self>
  static auto* slot_of(Self& self, uint64_t id) {
    uint64_t index = id & UINT32_MAX;
    decltype(&self.slots_[0]) none = nullptr;
    if (index >= self.slots_.size()) return none;
    auto& slot = self.slots_[index];
    if (!slot.value || slot.generation != static_cast<uint32_t>(id >> 32)) return none;
    return &slot;
  }

  std::deque<Slot> slots_;
  std::vector<uint32_t> free_;
  size_t size_ = 0;
};

}  // namespace hardline::txn
