#pragma once
// Writes a Message back to bytes. What was received and not changed is written back byte for
// byte (start line, header fields with their folding and spelling); what code added or changed
// is written in canonical form.

#include <string>

#include "sip/message.h"

namespace hardline::sip {

// Appends the message to `out`: start line, headers in order, empty line, body.
void serialize(const Message& message, std::string& out);

std::string serialize(const Message& message);

}  // namespace hardline::sip
