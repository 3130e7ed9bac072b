#pragma once
// How many of a layer's products fit one Xilinx DSP48E2 multiplier (signed 27 x 18 bits). A product with
// wider operands takes two or more DSPs (or LUTs): `inspect` shows the count so that a precision choice
// that doubles the DSP bill is visible before synthesis.
#include <cstdint>

#include "ir/graph.h"

namespace firmnet::ir {

inline constexpr int kDspWideBits = 27;    // DSP48E2 A:D pre-adder port, signed
inline constexpr int kDspNarrowBits = 18;  // DSP48E2 B port, signed

struct DspProducts {
  int64_t products = 0;  // products per inference (before reuse)
  int64_t wide = 0;      // of those, operands wider than one DSP48E2 (27 x 18 signed)
};

// Whether a product of these two operand types fits one DSP48E2 (an unsigned operand needs one more bit).
bool fits_one_dsp(const numeric::FixedType& a, const numeric::FixedType& b);

// The products of one node, from its operand types (untyped operands count as fitting).
DspProducts dsp_products(const Graph& g, const Node& n);

}  // namespace firmnet::ir
