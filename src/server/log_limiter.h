#pragma once
// Repeated error lines, limited: a store that cannot write fails at every REGISTER, and one line
// each (802 in 16 s, issue 13 item 12) buries everything else in the log and costs a write per
// request. The first line of a kind is logged at once; repeats within the window are counted
// and summed up in one line when it ends ("... (repeated 801 times in 16 s)").
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"

namespace hardline::server {

class LogLimiter {
 public:
  explicit LogLimiter(Millis window) : window_(window) {}

  // The line to log now for an error of kind `key` with text `line`, or an empty string when it
  // repeats one logged within the window (counted; the latest text is kept for the summary).
  std::string note(std::string_view key, std::string_view line, SteadyTime now);
  // The summaries of kinds whose window has ended with repeats in it, and forgets those kinds
  // (the next error of the kind is logged at once again). Called once a second, and at stop
  // with `all` to say what is still counted.
  std::vector<std::string> expire(SteadyTime now, bool all = false);

 private:
  struct Kind {
    SteadyTime since;
    uint64_t repeats = 0;
    std::string latest;
  };
  static std::string summary(const Kind& kind, SteadyTime now);

  Millis window_;
  std::unordered_map<std::string, Kind> kinds_;
};

}  // namespace hardline::server
