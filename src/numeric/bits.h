#pragma once
// Bit counts of integers, one definition for every stage (the type inference, the emulator's plan choices, the
// estimator's adder trees and multiplexers).
#include <cstdint>

namespace firmnet::numeric {

using i128 = __int128;

// The fewest k with 2^k >= n (0 for n <= 1).
inline int ceil_log2(int64_t n) {
  int k = 0;
  while (k < 63 && (int64_t{1} << k) < n) ++k;
  return k;
}

// Bits of the magnitude of v (0 for 0; -1 needs 1, -2^k needs k: the bits of -(v + 1) + 1).
inline int bit_length(i128 v) {
  unsigned __int128 m = v < 0 ? static_cast<unsigned __int128>(-(v + 1)) + 1 : static_cast<unsigned __int128>(v);
  int b = 0;
  while (m) {
    ++b;
    m >>= 1;
  }
  return b;
}

// The width of the narrowest two's-complement integer holding lo..hi (at least 1, at most 127).
inline int signed_width(i128 lo, i128 hi) {
  int w = 1;
  while (w < 127 && (lo < -(i128{1} << (w - 1)) || hi > (i128{1} << (w - 1)) - 1)) ++w;
  return w;
}

}  // namespace firmnet::numeric
