#pragma once
// Result<T>: the data plane's way to fail without exceptions (see ../shared/DESIGN.md).

#include <string_view>
#include <tl/expected.hpp>

namespace hardline {

// An error whose text is a string literal: cheap to return on hot paths and safe to log,
// because it never carries bytes of the input that caused it.
struct Error {
  std::string_view what;
};

template <class T, class E = Error>
using Result = tl::expected<T, E>;

// `return fail("reason");` from a function returning Result<T>.
inline tl::unexpected<Error> fail(std::string_view literal) {
  return tl::unexpected(Error{literal});
}

}  // namespace hardline
