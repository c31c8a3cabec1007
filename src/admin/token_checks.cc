#include "admin/token_checks.h"

#include <openssl/crypto.h>

#include <algorithm>

namespace hardline::admin {

namespace {

// One subscriber's addresses count as one source: an IPv6 /64 (as the guard counts them).
Network group_of(const IpAddress& source) {
  return network_of(source, source.v6 ? 64 : 32);
}

void wipe(std::string& token) {
  if (!token.empty()) OPENSSL_cleanse(token.data(), token.size());
  token.clear();
}

}  // namespace

TokenChecks::TokenChecks(Limits limits, Check check, Done done)
    : limits_(limits), check_(std::move(check)), done_(std::move(done)) {
  // A bound of zero would refuse every token, the right one included: one check at least.
  limits_.max_total = std::max<uint32_t>(1, limits_.max_total);
  limits_.max_per_source = std::max<uint32_t>(1, limits_.max_per_source);
}

TokenChecks::~TokenChecks() {
  stop();
}

void TokenChecks::start() {
  std::lock_guard lock(mutex_);
  if (!workers_.empty() || stopping_) return;
  for (uint32_t i = 0; i < std::max<uint32_t>(1, limits_.workers); ++i) {
    workers_.emplace_back([this] { work(); });
  }
}

void TokenChecks::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
  }
  wake_.notify_all();
  for (std::thread& worker : workers) worker.join();
  std::lock_guard lock(mutex_);
  for (Job& job : queue_) wipe(job.token);
  queue_.clear();
  per_source_.clear();
  in_flight_ = 0;
}

TokenChecks::Admission TokenChecks::submit(const IpAddress& source, uint64_t ticket,
                                           std::string token) {
  const Network group = group_of(source);
  {
    std::lock_guard lock(mutex_);
    Admission refusal = Admission::kQueued;
    if (stopping_ || in_flight_ >= limits_.max_total) {
      refusal = Admission::kFull;
    } else if (uint32_t& mine = count_of(group); mine >= limits_.max_per_source) {
      refusal = Admission::kSourceBusy;  // an entry of its own exists: it has checks in flight
    } else {
      ++mine;
      ++in_flight_;
      queue_.push_back(Job{group, ticket, std::move(token)});
    }
    if (refusal != Admission::kQueued) {
      wipe(token);
      return refusal;
    }
  }
  wake_.notify_one();
  return Admission::kQueued;
}

uint32_t TokenChecks::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

uint32_t& TokenChecks::count_of(const Network& group) {
  for (auto& [network, count] : per_source_) {
    if (network == group) return count;
  }
  return per_source_.emplace_back(group, 0).second;
}

void TokenChecks::release(const Network& group) {
  if (in_flight_ > 0) --in_flight_;
  for (auto it = per_source_.begin(); it != per_source_.end(); ++it) {
    if (it->first != group) continue;
    if (--it->second == 0) per_source_.erase(it);
    return;
  }
}

void TokenChecks::work() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    const bool valid = check_(job.token);
    wipe(job.token);
    {
      // Out of the bounds before the answer goes: the client may send its next request at once.
      std::lock_guard lock(mutex_);
      release(job.group);
    }
    done_(job.ticket, valid);
  }
}

}  // namespace hardline::admin
