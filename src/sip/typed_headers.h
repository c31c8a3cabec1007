#pragma once
// Checks one header against its grammar and stores its typed value in the message.
// Internal to the parser; split out to keep each file about one thing.

#include "sip/message.h"
#include "sip/parser.h"

namespace hardline::sip {

// Returns the error the message gets when `header` breaks its grammar or repeats a
// single-valued header. Extension headers are accepted as they are.
ParseResult<void> apply_typed_header(Message& message, const Header& header, const Limits& limits);

}  // namespace hardline::sip
