// [calls]: the B2BUA's timers and bounds.
#include "config/checker.h"

namespace hardline::config::detail {

namespace {

struct CallsInteger {
  std::string_view key;
  uint32_t Config::Calls::*field;
  uint32_t min;
  uint32_t max;
};

constexpr CallsInteger kCallsIntegers[] = {
    {"ring_timeout", &Config::Calls::ring_timeout, 5, 600},
    {"max_duration", &Config::Calls::max_duration, 60, 604800},
    {"max_calls", &Config::Calls::max_calls, 1, 1'000'000},
    {"max_calls_per_account", &Config::Calls::max_calls_per_account, 1, 10'000},
    {"max_forks", &Config::Calls::max_forks, 1, 100},
    {"max_hops", &Config::Calls::max_hops, 1, 100},
};

}  // namespace

void Checker::read_calls(const toml::table& table) {
  std::vector<KeyReader> readers;
  readers.reserve(std::size(kCallsIntegers));
  for (const CallsInteger& entry : kCallsIntegers) {
    readers.push_back({entry.key, [this, &entry](const toml::node& node) {
                         const std::string name = "calls." + std::string(entry.key);
                         if (auto value = integer(node, name, entry.min, entry.max)) {
                           config_.calls.*entry.field = *value;
                         }
                       }});
  }
  read_table(table, "calls", readers);
}

}  // namespace hardline::config::detail
