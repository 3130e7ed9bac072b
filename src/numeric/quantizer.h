#pragma once
// QONNX quantizer arithmetic on raw fixed-point bits: the rounding modes of QONNX Quant/Trunc, and the
// Quantize op (a Quant with a power-of-two scale) as integer logic, the reference the emulator runs and
// the HLS kernel (kernels/firmnet_quantize.h) matches (docs/NUMERICS.md "Quantized models").
#include <cstdint>
#include <optional>
#include <string>

#include "numeric/fixed.h"

namespace firmnet::numeric {

// qonnx resolve_rounding_mode: ROUND and HALF_EVEN = np.round (half to even); CEIL; FLOOR; UP = away from 0;
// DOWN = toward 0 (np.fix); HALF_UP = half away from 0; HALF_DOWN = half toward 0. The order is that of
// firmnet_qonnx::mode_t (numeric/qonnx_input.h).
enum class QuantMode { ROUND, HALF_EVEN, CEIL, FLOOR, UP, DOWN, HALF_UP, HALF_DOWN };

const char* name(QuantMode m);
// Case-insensitive, as qonnx upper-cases the attribute; nullopt for anything else.
std::optional<QuantMode> parse_quant_mode(const std::string& s);
// ap_fixed's rounding that equals the mode when casting to fewer fractional bits (CEIL and UP have none).
std::optional<Rounding> ap_rounding(QuantMode m);

// round_mode(u * 2^-s) for s >= 1, exactly, on integers: FLOOR = u >> s; CEIL = (u + 2^s - 1) >> s; the
// others add 2^s - 1, 2^(s-1) or 2^(s-1) - 1 depending on the sign of u (and, for HALF_EVEN, on the parity
// of u >> s) before the same arithmetic shift. |u| < 2^125, 1 <= s <= 64.
i128 round_shift(i128 u, int s, QuantMode m);

// The Quantize op on one value x = r * 2^-f: u = x * 2^-k + z, q = clip(round_mode(u), qmin, qmax).
// Returns q - z, the raw value of the output on the grid 2^k. Exact for any f, k in [-256, 256].
int64_t quantize_level(int64_t r, int f, int k, int64_t z, int64_t qmin, int64_t qmax, QuantMode m);

}  // namespace firmnet::numeric
