#pragma once
// The keys of the guard's tables and their hashes: source groups (a Network), and account names
// reduced to a 64-bit keyed hash, so that a name of any length costs 8 bytes and two names can
// only share an entry by a SipHash collision, which nobody without the key can aim for.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/network.h"
#include "common/siphash.h"

namespace hardline::guard {

// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, as a dual-stack socket reports IPv4 peers)
// becomes the IPv4 address; without this every IPv4 peer would share one /64.
IpAddress unmapped(const IpAddress& address);

// The network of `prefix` bits holding `address` (prefix at most the family's width): the same
// as common's network_of(), with fewer steps, because it runs for every datagram.
Network group_of(const IpAddress& address, uint8_t prefix);

uint64_t hash_network(const KeyedHash& hash, const Network& network);

// Account names are compared without regard to ASCII case, so that "Alice" and "alice" cannot
// double an attacker's budget of failures.
uint64_t hash_account(const KeyedHash& hash, std::string_view account, std::string& scratch);
// One account as seen from one source group (the recent-success table).
uint64_t hash_account_at(const KeyedHash& hash, std::string_view account, const Network& group,
                         std::string& scratch);

// One account as one device names itself (RFC 5626 +sip.instance, as sent).
uint64_t hash_account_device(const KeyedHash& hash, std::string_view account,
                             std::string_view instance, std::string& scratch);

// One account as one device, known by its Call-ID, sees it from one source group.
uint64_t hash_account_call(const KeyedHash& hash, std::string_view account, const Network& group,
                           std::string_view call_id, std::string& scratch);

// `text` fit for an event and a log line: control bytes become '?', and past `max` bytes it is
// cut at a character boundary and ends in "...".
std::string printable(std::string_view text, size_t max);

}  // namespace hardline::guard
