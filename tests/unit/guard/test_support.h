#pragma once
// Helpers shared by the guard's tests: addresses from text, and a sink that keeps events.

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

#include "common/network.h"
#include "guard/guard.h"

namespace hardline::guard::testing {

inline IpAddress ip(std::string_view text) {
  auto address = parse_ip_address(text);
  EXPECT_TRUE(address.has_value()) << text;
  return address.value_or(IpAddress{});
}

inline Network net(std::string_view text) {
  auto network = parse_network(text);
  EXPECT_TRUE(network.has_value()) << text;
  return network.value_or(Network{});
}

class RecordingSink : public EventSink {
 public:
  void on_event(const Event& event) override { events.push_back(event); }
  // The events of `kind`, in order.
  std::vector<Event> of(Event::Kind kind) const {
    std::vector<Event> out;
    for (const Event& event : events) {
      if (event.kind == kind) out.push_back(event);
    }
    return out;
  }
  std::vector<Event> events;
};

}  // namespace hardline::guard::testing
