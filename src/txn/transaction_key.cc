#include "txn/transaction_key.h"

#include <cstdint>
#include <cstring>
#include <random>

namespace hardline::txn {
namespace {

// Key kinds, the first byte of every key.
constexpr char kServer3261 = 'S';
constexpr char kServer2543 = 'L';
constexpr char kClient = 'C';

void put_length(uint32_t n, std::string& out) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
}

void put(std::string_view field, std::string& out) {
  put_length(static_cast<uint32_t>(field.size()), out);
  out.append(field);
}

void put_lower(std::string_view field, std::string& out) {
  put_length(static_cast<uint32_t>(field.size()), out);
  for (char c : field) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c);
}

void put_port(const sip::Via& via, std::string& out) {
  put_length(via.has_port ? via.port : UINT32_MAX, out);
}

void make_2543_key(const sip::Message& request, std::string_view method, std::string_view to_tag,
                   std::string& out) {
  out.clear();
  out.push_back(kServer2543);
  put(method, out);
  put(request.request_uri.text, out);
  put(to_tag, out);
  put(request.from.tag().value_or(std::string_view{}), out);
  put(request.call_id, out);
  put_length(request.cseq.number, out);
  if (request.vias.empty()) {
    put({}, out);
    return;
  }
  const sip::Via& via = request.vias.front();
  put_lower(via.transport, out);
  put_lower(via.host, out);
  put_port(via, out);
  put(via.params.text(), out);
}

uint64_t rotl(uint64_t x, int bits) {
  return (x << bits) | (x >> (64 - bits));
}

struct SipState {
  uint64_t v0, v1, v2, v3;

  void round() {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void absorb(uint64_t m) {
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

uint64_t load_le64(const unsigned char* p, size_t n) {
  uint64_t word = 0;
  for (size_t i = 0; i < n; ++i) word |= static_cast<uint64_t>(p[i]) << (8 * i);
  return word;
}

}  // namespace

uint64_t siphash24(uint64_t k0, uint64_t k1, std::string_view data) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size();
  size_t whole = n - n % 8;
  for (size_t i = 0; i < whole; i += 8) s.absorb(load_le64(p + i, 8));
  s.absorb(load_le64(p + whole, n % 8) | (static_cast<uint64_t>(n & 0xff) << 56));
  s.v2 ^= 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

KeyHash KeyHash::random() {
  std::random_device device;
  auto word = [&] { return (static_cast<uint64_t>(device()) << 32) ^ device(); };
  KeyHash hash;
  hash.k0 = word();
  hash.k1 = word();
  return hash;
}

size_t KeyHash::operator()(const IpAddress& address) const {
  char bytes[17];
  std::memcpy(bytes, address.bytes.data(), 16);
  bytes[16] = address.v6 ? 1 : 0;
  return siphash24(k0, k1, std::string_view(bytes, sizeof bytes));
}

bool has_rfc3261_branch(const sip::Message& message) {
  return !message.vias.empty() && message.vias.front().branch &&
         message.vias.front().branch->starts_with(kMagicCookie);
}

void make_server_key(const sip::Message& request, std::string_view method, std::string& out) {
  if (!has_rfc3261_branch(request)) {
    make_2543_key(request, method, request.to.tag().value_or(std::string_view{}), out);
    return;
  }
  const sip::Via& via = request.vias.front();
  out.clear();
  out.push_back(kServer3261);
  put(method, out);
  put(*via.branch, out);
  put_lower(via.host, out);
  put_port(via, out);
}

void make_server_key(const sip::Message& request, std::string_view method, std::string_view to_tag,
                     std::string& out) {
  if (has_rfc3261_branch(request)) {
    make_server_key(request, method, out);
    return;
  }
  make_2543_key(request, method, to_tag, out);
}

void make_client_key(std::string_view branch, std::string_view method, std::string& out) {
  out.clear();
  out.push_back(kClient);
  put(method, out);
  put(branch, out);
}

}  // namespace hardline::txn
