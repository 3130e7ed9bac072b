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

// The whole firmware/weights/<name>.h file. Throws firmnet::Error naming `where` when the type is
// wider than kMaxExactWidth.
std::string const_array_header(const ConstArray& a, const std::string& where);

}  // namespace firmnet::backends::vitis
