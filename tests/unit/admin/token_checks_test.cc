// TokenChecks: argon2id checks of admin tokens on a worker thread, bounded per source group and
// in total (issue 12, item 9). The check here is a stand-in the test opens and closes like a
// gate, so that what is in flight is known exactly; nothing sleeps.
#include "admin/token_checks.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hardline::admin {
namespace {

using Admission = TokenChecks::Admission;

IpAddress ip(const char* text) {
  return *parse_ip_address(text);
}

// Holds every check until open() and records every verdict.
class Gate {
 public:
  bool check(std::string_view token) {
    std::unique_lock lock(mutex_);
    ++started_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    return token == "right";
  }
  void done(uint64_t ticket, bool valid) {
    std::lock_guard lock(mutex_);
    verdicts_.emplace_back(ticket, valid);
    changed_.notify_all();
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  // Waits (bounded) until `n` checks started / `n` verdicts arrived.
  bool wait_started(size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return started_ >= n; });
  }
  std::vector<std::pair<uint64_t, bool>> wait_verdicts(size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return verdicts_.size() >= n; });
    return verdicts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  size_t started_ = 0;
  std::vector<std::pair<uint64_t, bool>> verdicts_;
};

std::unique_ptr<TokenChecks> make(Gate& gate, TokenChecks::Limits limits) {
  return std::make_unique<TokenChecks>(
      limits, [&gate](std::string_view token) { return gate.check(token); },
      [&gate](uint64_t ticket, bool valid) { gate.done(ticket, valid); });
}

TEST(TokenChecks, BoundsChecksPerSourceGroupAndInTotal) {
  Gate gate;
  auto checks = make(gate, {1, 5, 2});
  checks->start();
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 1, "guess"), Admission::kQueued);
  ASSERT_TRUE(gate.wait_started(1));  // the worker holds the first; the rest wait in the queue
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 2, "guess"), Admission::kQueued);
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 3, "guess"), Admission::kSourceBusy);
  // One IPv6 /64 is one source; another /64 is another.
  EXPECT_EQ(checks->submit(ip("2001:db8:1:1::1"), 4, "guess"), Admission::kQueued);
  EXPECT_EQ(checks->submit(ip("2001:db8:1:1::2"), 5, "guess"), Admission::kQueued);
  EXPECT_EQ(checks->submit(ip("2001:db8:1:1::3"), 6, "guess"), Admission::kSourceBusy);
  EXPECT_EQ(checks->submit(ip("127.0.0.8"), 7, "right"), Admission::kQueued);
  EXPECT_EQ(checks->in_flight(), 5U);
  EXPECT_EQ(checks->submit(ip("127.0.0.9"), 8, "right"), Admission::kFull);
  gate.open();
  const auto verdicts = gate.wait_verdicts(5);
  ASSERT_EQ(verdicts.size(), 5U);
  // One worker: in the order queued, each ticket answered once.
  EXPECT_EQ(verdicts, (std::vector<std::pair<uint64_t, bool>>{
                          {1, false}, {2, false}, {4, false}, {5, false}, {7, true}}));
  EXPECT_EQ(checks->in_flight(), 0U);
  // Out of the bounds once answered: the same source may send again.
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 9, "right"), Admission::kQueued);
  EXPECT_EQ(gate.wait_verdicts(6).back(), (std::pair<uint64_t, bool>{9, true}));
}

TEST(TokenChecks, StopDropsWhatWaitsAndRefusesMore) {
  Gate gate;
  auto checks = make(gate, {1, 4, 4});
  checks->start();
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 1, "guess"), Admission::kQueued);
  ASSERT_TRUE(gate.wait_started(1));
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 2, "guess"), Admission::kQueued);
  gate.open();
  checks->stop();  // the running check ends; the queued one may or may not have started
  const size_t answered = gate.wait_verdicts(1).size();
  EXPECT_GE(answered, 1U);
  EXPECT_LE(answered, 2U);
  EXPECT_EQ(checks->submit(ip("127.0.0.7"), 3, "right"), Admission::kFull);
  EXPECT_EQ(checks->in_flight(), 0U);
}

TEST(TokenChecks, ZeroBoundsStillLetOneCheckThrough) {
  Gate gate;
  gate.open();
  auto checks = make(gate, {1, 0, 0});
  checks->start();
  EXPECT_EQ(checks->submit(ip("::1"), 1, "right"), Admission::kQueued);
  EXPECT_EQ(gate.wait_verdicts(1).front(), (std::pair<uint64_t, bool>{1, true}));
}

}  // namespace
}  // namespace hardline::admin
