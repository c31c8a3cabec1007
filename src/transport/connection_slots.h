#pragma once
// ConnectionSlots: who may hold one of the TCP connection slots. Three bounds, each against a
// way of holding them all (issue 12, item 5):
//  - `total`: the table itself;
//  - `per_group`: connections per source group, the guard's (/32 for IPv4, /64 for IPv6 by
//    default), so that one IPv6 subscriber cannot rotate through its 2^64 addresses;
//  - `reserved`: of the total, slots that only sources known to be good (authenticated
//    recently, or trusted) may take, so that phones keep working while strangers fill the rest.
// Pure bookkeeping: no sockets, no time. Its memory is bounded by the connections it counts.
#include <cstddef>
#include <cstdint>
#include <map>

#include "common/network.h"

namespace hardline::transport {

struct SlotLimits {
  size_t total = 1024;
  size_t reserved = 256;  // of total; below it, so that a stranger can ever connect
  size_t per_group = 16;
};

enum class SlotVerdict : uint8_t {
  kTaken,
  kTableFull,      // every slot is held
  kStrangersFull,  // a stranger, and strangers hold every slot that is not reserved
  kGroupFull,      // the source group holds per_group connections already
};

class ConnectionSlots {
 public:
  explicit ConnectionSlots(SlotLimits limits);

  // A slot for a connection from `group`; `known` says whether it may use the reserved slots.
  // Counts it when the verdict is kTaken.
  SlotVerdict take(const Network& group, bool known);
  // Gives back a slot that take() gave for the same group and `known`.
  void release(const Network& group, bool known);

  size_t held() const { return held_; }
  size_t held_by_strangers() const { return strangers_; }
  size_t held_by(const Network& group) const;
  size_t groups() const { return per_group_.size(); }

 private:
  struct Order {
    bool operator()(const Network& a, const Network& b) const {
      if (a.base < b.base || b.base < a.base) return a.base < b.base;
      return a.prefix < b.prefix;
    }
  };

  SlotLimits limits_;
  size_t held_ = 0;
  size_t strangers_ = 0;
  std::map<Network, size_t, Order> per_group_;  // only groups holding at least one slot
};

}  // namespace hardline::transport
