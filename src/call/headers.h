#pragma once
// What may cross from one leg of a call to the other, and how (topology hiding, SIP-4; caller
// identity, RT-6; loops, RT-1). Pure functions: no state, no I/O.
//
// Nothing is copied from one leg to the other unless it is on the allow-list below: Via, Route,
// Record-Route, Contact, Call-ID, tags, CSeq, Max-Forwards, P-Asserted-Identity,
// Remote-Party-ID, User-Agent, Server, Supported/Require, Subject, Priority and every unknown
// header stay on the side they arrived on. Subject and Priority are left out because a caller
// writes them for the callee's phone to show or obey ("Your bank", Priority: emergency through
// do-not-disturb), and a trunk's caller is anyone.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sip/message.h"

namespace hardline::call {

// Hardline's own hop count: how many Hardline instances an INVITE has passed through toward
// trusted peers. Sent only to trusted targets, never copied from one leg to another.
inline constexpr std::string_view kHopHeader = "X-Hardline-Hops";

// Whether a header of a request or response on one leg is copied to the other (the allow-list,
// also in src/call/README.md): the message body's description (Content-Type, -Disposition,
// -Encoding, -Language) and what the peer may accept (Accept, Accept-Encoding, Accept-Language).
bool is_forwarded_header(const sip::Header& header);

// Appends "Name: value\r\n" for every whitelisted header of `message`, in received order.
void append_forwarded_headers(const sip::Message& message, std::string& out);

// Which leg a body is about to be sent on.
enum class Side : uint8_t { kCaller = 0, kCallee = 1 };

// THE place where a session description changes as it crosses from one leg to the other: the
// media relay will rewrite connection addresses and ports here. For now the body passes
// unchanged (`content_type` is the Content-Type header's value, or empty).
std::string rewrite_sdp_for_leg(std::string_view body, std::string_view content_type, Side to,
                                uint64_t call);

// Who the callee sees calling (RT-6): the authenticated account's number at our domain, with
// its display name when it has one (quoted, escaped), else none. Without an account (a call
// from a trusted source) the caller's From user is kept only when it is a plain number
// (^\+?[0-9A-D]{1,32}$), else the call is anonymous. Returns a name-addr without tag.
std::string caller_identity(std::optional<std::string_view> account, std::string_view display_name,
                            const sip::NameAddr& from, std::string_view domain);

// The caller ID a router decided (a trunk's, checked against its policy): the number at our
// domain with its display name, or the anonymous identity.
struct ShownCaller;
std::string shown_identity(const ShownCaller& shown, std::string_view domain);

// A SIP URI's user part for any bytes: unreserved and user-unreserved characters as they are
// (RFC 3261 §25.1), everything else %HH.
std::string escape_user(std::string_view user);

// "\"Alice \\\"A\\\"\"": a display name as a quoted-string, after sanitize_display_name()
// (common/display_name.h: printable, no bidi or zero-width characters, at most 64 bytes).
// Empty (or nothing printable) in, empty out.
std::string quote_display_name(std::string_view name);

// True for ^\+?[0-9A-D]{1,32}$ (a caller ID a trusted peer may assert).
bool is_plain_number(std::string_view user);

// The hop count the request carries (kHopHeader): 0 when absent or not a number below 1000.
uint32_t hop_count(const sip::Message& request);

// The status the caller gets for a callee's final failure: most pass through (404, 480, 482,
// 483, 486, 488, 6xx, ...), 408 stays 408, a redirect or a challenge Hardline could not answer is
// 480 (the caller must not learn the callee's other addresses), any other 4xx is 480, and a 5xx is
// 502: the server failing was not Hardline.
uint16_t map_failure(uint16_t status);

// Among two final failures of a call's forks, the one to tell the caller (RFC 3261 §16.7
// in spirit): 6xx first, then 486, then other 4xx, then 5xx, then 408.
bool better_failure(uint16_t candidate, uint16_t current);

}  // namespace hardline::call
