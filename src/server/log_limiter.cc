#include "server/log_limiter.h"

#include <chrono>

namespace hardline::server {

std::string LogLimiter::note(std::string_view key, std::string_view line, SteadyTime now) {
  auto it = kinds_.find(std::string(key));
  if (it != kinds_.end() && now - it->second.since < window_) {
    ++it->second.repeats;
    it->second.latest = std::string(line);
    return {};
  }
  std::string out;
  if (it != kinds_.end() && it->second.repeats > 0) {
    // The last window's repeats, said before the line that starts a new one.
    out = summary(it->second, now) + "; again: ";
  }
  kinds_.insert_or_assign(std::string(key), Kind{now, 0, std::string(line)});
  return out + std::string(line);
}

std::vector<std::string> LogLimiter::expire(SteadyTime now, bool all) {
  std::vector<std::string> out;
  for (auto it = kinds_.begin(); it != kinds_.end();) {
    if (!all && now - it->second.since < window_) {
      ++it;
      continue;
    }
    if (it->second.repeats > 0) out.push_back(summary(it->second, now));
    it = kinds_.erase(it);
  }
  return out;
}

std::string LogLimiter::summary(const Kind& kind, SteadyTime now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - kind.since).count();
  return kind.latest + " (repeated " + std::to_string(kind.repeats) + " time" +
         (kind.repeats == 1 ? "" : "s") + " in " + std::to_string(seconds) + " s)";
}

}  // namespace hardline::server
