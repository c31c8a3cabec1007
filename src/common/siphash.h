#pragma once
// A keyed hash for tables whose keys come from the network (transaction keys, source
// addresses): with a fixed hash an attacker could send keys that all land in one bucket and make
// every lookup a scan, so each table's hash is keyed with a secret drawn at start-up.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/endpoint.h"

namespace hardline {

// SipHash-2-4 (Aumasson and Bernstein) of `data` under the 128-bit key (k0, k1).
uint64_t siphash24(uint64_t k0, uint64_t k1, std::string_view data);

struct KeyedHash {
  uint64_t k0 = 0;
  uint64_t k1 = 0;

  using is_transparent = void;  // a table of std::string can be searched with a string_view

  static KeyedHash random();  // start-up only: reads std::random_device
  size_t operator()(std::string_view key) const { return siphash24(k0, k1, key); }
  size_t operator()(const IpAddress& address) const;
};

}  // namespace hardline
