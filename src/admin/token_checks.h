#pragma once
// Argon2id checks of admin tokens, off the admin thread (issue 12, item 9). The admin thread
// answers a request whose token it remembers (TokenVerifier::cached) at once; every other token
// is handed here and hashed on a worker thread, so that wrong tokens from many addresses cannot
// make the operator's requests wait behind them (eight addresses once made them wait 2.4-3.3 s,
// ~50 ms a wrong token, all on the admin thread).
//
// Bounded: at most Limits::max_total checks waiting or running, and at most max_per_source of
// them for one source group (an IPv4 address; an IPv6 /64, which one subscriber holds whole);
// beyond either bound submit() refuses at once, and the caller answers 429 or 503 with
// Retry-After. Memory: one argon2id (64 MiB) per worker at a time, as on the admin thread before.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/network.h"

namespace hardline::admin {

class TokenChecks {
 public:
  struct Limits {
    uint32_t workers = 1;
    uint32_t max_total = 16;  // with one worker at ~50 ms a check: at most ~0.8 s of waiting
    // Two, not one: a client may open a second connection while its first request is checked.
    uint32_t max_per_source = 2;
  };
  enum class Admission : uint8_t { kQueued, kSourceBusy, kFull };
  // Runs on a worker: the check itself (TokenVerifier::matches, which is safe there).
  using Check = std::function<bool(std::string_view token)>;
  // Runs on the worker that made the check, once per queued ticket, after the check has left
  // the bounds: it must only hand the result to the admin thread (asio::post), nothing more.
  using Done = std::function<void(uint64_t ticket, bool valid)>;

  TokenChecks(Limits limits, Check check, Done done);
  ~TokenChecks();
  TokenChecks(const TokenChecks&) = delete;
  TokenChecks& operator=(const TokenChecks&) = delete;

  // Spawns the workers: after the process confined itself, like the admin thread.
  void start();
  // Lets each worker finish the check it is making, then joins them; queued checks are dropped
  // unanswered (their tokens wiped). Idempotent.
  void stop();

  // From the admin thread: queues `token` for a check under `ticket`, or says which bound is
  // reached (then the token is wiped and nothing else happens).
  Admission submit(const IpAddress& source, uint64_t ticket, std::string token);
  // Checks waiting or running.
  uint32_t in_flight() const;

 private:
  struct Job {
    Network group;
    uint64_t ticket = 0;
    std::string token;
  };
  void work();
  // With mutex_ held.
  uint32_t& count_of(const Network& group);
  void release(const Network& group);

  Limits limits_;
  const Check check_;
  const Done done_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  // Checks in flight per source group: at most max_total entries, so a list is enough.
  std::vector<std::pair<Network, uint32_t>> per_source_;
  uint32_t in_flight_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace hardline::admin
