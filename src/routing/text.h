#pragma once
// Internal to src/routing: building messages without temporaries.
#include <string>

namespace hardline::routing::detail {

// Joins strings, string views and literals into one string.
template <class... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  (out.append(parts), ...);
  return out;
}

}  // namespace hardline::routing::detail
