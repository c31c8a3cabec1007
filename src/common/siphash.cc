#include "common/siphash.h"

#include <cstring>
#include <random>

namespace hardline {
namespace {

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

KeyedHash KeyedHash::random() {
  std::random_device device;
  auto word = [&] { return (static_cast<uint64_t>(device()) << 32) ^ device(); };
  KeyedHash hash;
  hash.k0 = word();
  hash.k1 = word();
  return hash;
}

size_t KeyedHash::operator()(const IpAddress& address) const {
  char bytes[17];
  std::memcpy(bytes, address.bytes.data(), 16);
  bytes[16] = address.v6 ? 1 : 0;
  return siphash24(k0, k1, std::string_view(bytes, sizeof bytes));
}

}  // namespace hardline
