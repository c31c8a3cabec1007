// ConnectionSlots: the TCP slot accounting, as scripts of takes and releases against small
// tables. Each script is one way an attacker tried to hold every slot, or one way a phone must
// still get in.

#include "transport/connection_slots.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hardline::transport {
namespace {

Network net(std::string_view text) {
  auto network = parse_network(text);
  EXPECT_TRUE(network.has_value()) << text;
  return network.value_or(Network{});
}

struct Step {
  enum Kind { kTake, kRelease } kind = kTake;
  const char* group = "";
  bool known = false;
  SlotVerdict expected = SlotVerdict::kTaken;  // kTake only
  int times = 1;
};

Step take(const char* group, SlotVerdict expected = SlotVerdict::kTaken, int times = 1) {
  return {Step::kTake, group, false, expected, times};
}
Step take_known(const char* group, SlotVerdict expected = SlotVerdict::kTaken, int times = 1) {
  return {Step::kTake, group, true, expected, times};
}
Step release(const char* group, int times = 1) {
  return {Step::kRelease, group, false, SlotVerdict::kTaken, times};
}
Step release_known(const char* group, int times = 1) {
  return {Step::kRelease, group, true, SlotVerdict::kTaken, times};
}

struct Script {
  const char* what;
  SlotLimits limits;
  std::vector<Step> steps;
  size_t held;       // at the end
  size_t strangers;  // at the end
};

TEST(ConnectionSlotsTest, Scripts) {
  const SlotVerdict kTableFull = SlotVerdict::kTableFull;
  const SlotVerdict kStrangersFull = SlotVerdict::kStrangersFull;
  const SlotVerdict kGroupFull = SlotVerdict::kGroupFull;
  const std::vector<Script> scripts = {
      {"strangers fill their share and no more; a known source still gets in",
       {8, 2, 4},
       {take("192.0.2.1/32", SlotVerdict::kTaken, 4), take("192.0.2.2/32", SlotVerdict::kTaken, 2),
        take("192.0.2.3/32", kStrangersFull), take_known("198.51.100.7/32"),
        take_known("198.51.100.8/32"), take_known("198.51.100.9/32", kTableFull)},
       8,
       6},
      {"known sources may use more than the reserve, and then strangers wait for the table",
       {8, 2, 8},
       {take_known("198.51.100.7/32", SlotVerdict::kTaken, 7), take("192.0.2.1/32"),
        take("192.0.2.2/32", kTableFull)},
       8,
       1},
      {"known sources never shrink the strangers' share below what the table leaves",
       {8, 2, 8},
       {take_known("198.51.100.7/32", SlotVerdict::kTaken, 3),
        take("192.0.2.1/32", SlotVerdict::kTaken, 5), take("192.0.2.1/32", kTableFull)},
       8,
       5},
      {"the per-group limit binds known sources too",
       {8, 2, 2},
       {take_known("198.51.100.7/32", SlotVerdict::kTaken, 2),
        take_known("198.51.100.7/32", kGroupFull), take_known("198.51.100.8/32")},
       3,
       0},
      {"one IPv6 /64 is one group, however many addresses it uses",
       {32, 8, 4},
       {take("2001:db8:64::/64", SlotVerdict::kTaken, 4), take("2001:db8:64::/64", kGroupFull, 16),
        take("2001:db8:65::/64")},
       5,
       5},
      {"groups of the same bits but other prefix lengths or families are others",
       {32, 0, 1},
       {take("10.0.0.0/32"), take("10.0.0.0/24"), take("::a00:0/128"),
        take("10.0.0.0/32", kGroupFull)},
       3,
       3},
      {"a released slot is free again, for its group and for the strangers' share",
       {4, 1, 2},
       {take("192.0.2.1/32", SlotVerdict::kTaken, 2), take("192.0.2.2/32"),
        take("192.0.2.3/32", kStrangersFull), release("192.0.2.1/32"), take("192.0.2.3/32"),
        take("192.0.2.1/32", kStrangersFull), release("192.0.2.3/32"), take("192.0.2.1/32"),
        take("192.0.2.2/32", kStrangersFull)},
       3,
       3},
      {"a known slot released frees the table, not the strangers' share",
       {3, 1, 3},
       {take_known("198.51.100.7/32"), take("192.0.2.1/32", SlotVerdict::kTaken, 2),
        release_known("198.51.100.7/32"), take("192.0.2.1/32", kStrangersFull),
        take_known("198.51.100.8/32")},
       3,
       2},
      {"no reserve: everyone competes for the whole table",
       {3, 0, 3},
       {take("192.0.2.1/32", SlotVerdict::kTaken, 3), take_known("198.51.100.7/32", kTableFull)},
       3,
       3},
      {"a table of one slot",
       {1, 0, 1},
       {take("192.0.2.1/32"), take("192.0.2.2/32", kTableFull), release("192.0.2.1/32"),
        take_known("192.0.2.2/32")},
       1,
       0},
  };
  for (const Script& script : scripts) {
    SCOPED_TRACE(script.what);
    ConnectionSlots slots(script.limits);
    int index = 0;
    for (const Step& step : script.steps) {
      for (int i = 0; i < step.times; ++i) {
        SCOPED_TRACE("step " + std::to_string(index) + " of group " + step.group);
        if (step.kind == Step::kTake) {
          EXPECT_EQ(slots.take(net(step.group), step.known), step.expected);
        } else {
          slots.release(net(step.group), step.known);
        }
      }
      ++index;
    }
    EXPECT_EQ(slots.held(), script.held);
    EXPECT_EQ(slots.held_by_strangers(), script.strangers);
  }
}

TEST(ConnectionSlotsTest, GroupsAreForgottenWhenTheirLastSlotIsReleased) {
  ConnectionSlots slots({64, 16, 2});
  for (int i = 0; i < 24; ++i) {
    const Network group = net("203.0.113." + std::to_string(i) + "/32");
    ASSERT_EQ(slots.take(group, false), SlotVerdict::kTaken);
    ASSERT_EQ(slots.take(group, false), SlotVerdict::kTaken);
  }
  for (int i = 24; i < 40; ++i) {
    EXPECT_EQ(slots.take(net("203.0.113." + std::to_string(i) + "/32"), false),
              SlotVerdict::kStrangersFull);
  }
  EXPECT_EQ(slots.groups(), 24U);  // 48 strangers' slots, two each
  EXPECT_EQ(slots.held_by(net("203.0.113.3/32")), 2U);
  EXPECT_EQ(slots.held_by(net("203.0.113.30/32")), 0U);  // refused: never counted
  for (int i = 0; i < 24; ++i) {
    const Network group = net("203.0.113." + std::to_string(i) + "/32");
    slots.release(group, false);
    slots.release(group, false);
  }
  EXPECT_EQ(slots.groups(), 0U);
  EXPECT_EQ(slots.held(), 0U);
  EXPECT_EQ(slots.held_by_strangers(), 0U);
}

}  // namespace
}  // namespace hardline::transport
