#include "transport/connection_slots.h"

#include "common/assert.h"

namespace hardline::transport {

ConnectionSlots::ConnectionSlots(SlotLimits limits) : limits_(limits) {
  HL_CHECK(limits_.total > 0 && limits_.reserved < limits_.total && limits_.per_group > 0);
}

SlotVerdict ConnectionSlots::take(const Network& group, bool known) {
  if (held_ >= limits_.total) return SlotVerdict::kTableFull;
  // Strangers count against their own share only: phones that connect first do not shrink the
  // reserve, and strangers can never reach it.
  if (!known && strangers_ >= limits_.total - limits_.reserved) return SlotVerdict::kStrangersFull;
  auto it = per_group_.find(group);
  if (it != per_group_.end() && it->second >= limits_.per_group) return SlotVerdict::kGroupFull;
  if (it == per_group_.end()) it = per_group_.emplace(group, 0).first;
  ++it->second;
  ++held_;
  if (!known) ++strangers_;
  return SlotVerdict::kTaken;
}

void ConnectionSlots::release(const Network& group, bool known) {
  auto it = per_group_.find(group);
  HL_ASSERT(it != per_group_.end() && held_ > 0 && (known || strangers_ > 0));
  if (it == per_group_.end()) return;
  if (--it->second == 0) per_group_.erase(it);
  --held_;
  if (!known) --strangers_;
}

size_t ConnectionSlots::held_by(const Network& group) const {
  auto it = per_group_.find(group);
  return it == per_group_.end() ? 0 : it->second;
}

}  // namespace hardline::transport
