#pragma once
// Constant arrays (weights, tables) as C++ text that reproduces the raw integers exactly.
#include <cstdint>
#include <string>

#include "backends/vitis/emit.h"

namespace firmnet::backends::vitis {

// Largest width a constant may have: its value raw * 2^-F must be exact in a double, because the
// firmware constructs ap_fixed from a double literal.
inline constexpr int kMaxExactWidth = 53;

// The exact decimal of raw * 2^-frac, always a double literal ("0.625", "-3.0", "1536.0").
std::string exact_decimal(int64_t raw, int frac);

// The C type of the raw integers of `t` in C simulation: the smallest of (u)int8/16/32/64_t holding W bits.
std::string raw_int_type(const numeric::FixedType& t);

// The whole firmware/weights/<name>.h file: the exact decimals under __SYNTHESIS__ (or
// FIRMNET_DECIMAL_CONSTANTS), else the raw integers set into a firmnet_hls::rom_array at start-up. Throws firmnet::Error naming `where` when the type is
// wider than kMaxExactWidth.
std::string const_array_header(const ConstArray& a, const std::string& where);

}  // namespace firmnet::backends::vitis
