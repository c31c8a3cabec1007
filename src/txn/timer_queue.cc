#include "txn/timer_queue.h"

#include "common/assert.h"

namespace hardline::txn {

TimerHandle TimerQueue::schedule(SteadyTime deadline, uint64_t owner, TimerKind kind) {
  uint32_t slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    HL_CHECK(slots_.size() < kNotInHeap);
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.owner = owner;
  s.kind = kind;
  heap_.push_back(Entry{deadline, next_sequence_++, slot});
  s.heap_index = static_cast<uint32_t>(heap_.size() - 1);
  sift_up(heap_.size() - 1);
  return TimerHandle{slot, s.generation};
}

bool TimerQueue::pending(const TimerHandle& handle) const {
  if (!handle.armed() || handle.slot >= slots_.size()) return false;
  const Slot& s = slots_[handle.slot];
  return s.generation == handle.generation && s.heap_index != kNotInHeap;
}

void TimerQueue::cancel(TimerHandle& handle) {
  if (pending(handle)) {
    remove_at(slots_[handle.slot].heap_index);
    release(handle.slot);
  }
  handle = TimerHandle{};
}

std::optional<SteadyTime> TimerQueue::next_deadline() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.front().deadline;
}

std::optional<TimerQueue::Expired> TimerQueue::pop_expired(SteadyTime now) {
  if (heap_.empty() || heap_.front().deadline > now) return std::nullopt;
  uint32_t slot = heap_.front().slot;
  Expired expired{slots_[slot].owner, slots_[slot].kind};
  remove_at(0);
  release(slot);
  return expired;
}

void TimerQueue::place(size_t index, const Entry& entry) {
  heap_[index] = entry;
  slots_[entry.slot].heap_index = static_cast<uint32_t>(index);
}

void TimerQueue::sift_up(size_t index) {
  Entry entry = heap_[index];
  while (index > 0) {
    size_t parent = (index - 1) / 2;
    if (!earlier(entry, heap_[parent])) break;
    place(index, heap_[parent]);
    index = parent;
  }
  place(index, entry);
}

void TimerQueue::sift_down(size_t index) {
  Entry entry = heap_[index];
  size_t size = heap_.size();
  while (true) {
    size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], entry)) break;
    place(index, heap_[child]);
    index = child;
  }
  place(index, entry);
}

void TimerQueue::remove_at(size_t index) {
  HL_ASSERT(index < heap_.size());
  slots_[heap_[index].slot].heap_index = kNotInHeap;
  Entry last = heap_.back();
  heap_.pop_back();
  if (index == heap_.size()) return;
  place(index, last);
  if (index > 0 && earlier(heap_[index], heap_[(index - 1) / 2])) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

void TimerQueue::release(uint32_t slot) {
  Slot& s = slots_[slot];
  s.heap_index = kNotInHeap;
  if (++s.generation == 0) s.generation = 1;  // 0 means "no timer" in a handle
  free_slots_.push_back(slot);
}

}  // namespace hardline::txn
