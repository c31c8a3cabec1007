#pragma once
// What a state machine acts on: the clock, the transport, the timer queue, the timer values and
// the counters. The layer owns them all; a state machine gets references for one event.

#include <string_view>

#include "common/clock.h"
#include "common/endpoint.h"
#include "txn/timer_queue.h"
#include "txn/types.h"

namespace hardline::txn {

struct Environment {
  const Clock& clock;
  Sender& sender;
  TimerQueue& timers;
  const Timers& config;
  Counters& counters;

  // Sends and counts a transport error; returns what the sender returned.
  bool send(const Endpoint& to, std::string_view bytes) const {
    bool sent = sender.try_send(to, bytes);
    if (!sent) ++counters.transport_errors;
    return sent;
  }

  // Arms `handle` to fire `after` from now, cancelling whatever it held before.
  void arm(TimerHandle& handle, Millis after, uint64_t owner, TimerKind kind) const {
    timers.cancel(handle);
    handle = timers.schedule(clock.now() + after, owner, kind);
  }
};

}  // namespace hardline::txn
