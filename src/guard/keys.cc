#include "guard/keys.h"

#include <algorithm>
#include <cstring>

namespace hardline::guard {
namespace {

void append_folded(std::string& out, std::string_view text) {
  for (char c : text) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

void append_network(std::string& out, const Network& network) {
  out.append(reinterpret_cast<const char*>(network.base.bytes.data()), network.base.v6 ? 16 : 4);
  out += static_cast<char>(network.prefix);
}

}  // namespace

IpAddress unmapped(const IpAddress& address) {
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!address.v6 || std::memcmp(address.bytes.data(), kMappedPrefix, 12) != 0) return address;
  IpAddress v4;
  std::memcpy(v4.bytes.data(), address.bytes.data() + 12, 4);
  return v4;
}

Network group_of(const IpAddress& address, uint8_t prefix) {
  Network network;
  network.base.v6 = address.v6;
  network.prefix = std::min<uint8_t>(prefix, address.v6 ? 128 : 32);
  const size_t whole = network.prefix / 8;
  const unsigned rest = network.prefix % 8;
  std::memcpy(network.base.bytes.data(), address.bytes.data(), whole);
  if (rest != 0) {
    network.base.bytes[whole] = address.bytes[whole] & static_cast<uint8_t>(0xFF00u >> rest);
  }
  return network;
}

uint64_t hash_network(const KeyedHash& hash, const Network& network) {
  // The family is in the length (4 or 16 address bytes, then the prefix).
  char bytes[17];
  const size_t length = network.base.v6 ? 16 : 4;
  std::memcpy(bytes, network.base.bytes.data(), length);
  bytes[length] = static_cast<char>(network.prefix);
  return siphash24(hash.k0, hash.k1, std::string_view(bytes, length + 1));
}

uint64_t hash_account(const KeyedHash& hash, std::string_view account, std::string& scratch) {
  scratch.clear();
  scratch += 'a';  // a domain byte: an account hash never equals an account-at-source hash
  append_folded(scratch, account);
  return siphash24(hash.k0, hash.k1, scratch);
}

uint64_t hash_account_at(const KeyedHash& hash, std::string_view account, const Network& group,
                         std::string& scratch) {
  scratch.clear();
  scratch += 's';
  append_network(scratch, group);  // fixed length for a family, so the split is unambiguous
  append_folded(scratch, account);
  return siphash24(hash.k0, hash.k1, scratch);
}

uint64_t hash_account_device(const KeyedHash& hash, std::string_view account,
                             std::string_view instance, std::string& scratch) {
  scratch.clear();
  scratch += 'd';
  append_folded(scratch, account);
  scratch += '\0';  // no account name holds a NUL, so the split is unambiguous
  scratch.append(instance);
  return siphash24(hash.k0, hash.k1, scratch);
}

uint64_t hash_account_call(const KeyedHash& hash, std::string_view account, const Network& group,
                           std::string_view call_id, std::string& scratch) {
  scratch.clear();
  scratch += 'c';
  append_network(scratch, group);
  append_folded(scratch, account);
  scratch += '\0';
  scratch.append(call_id);
  return siphash24(hash.k0, hash.k1, scratch);
}

std::string printable(std::string_view text, size_t max) {
  std::string out;
  size_t end = text.size();
  if (end > max) {
    end = max;
    // Back up to the start of a UTF-8 sequence so that no character is cut in half.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  out.reserve(end + 3);
  for (char c : text.substr(0, end)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  if (end < text.size()) out += "...";
  return out;
}

}  // namespace hardline::guard
