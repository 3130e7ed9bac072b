#pragma once
// The one reference implementation of QONNX quantizer semantics (Quant/IntQuant, BipolarQuant, and the
// rounding modes of Quant and Trunc), used to fold weights and to derive the thresholds of activation
// quantizers. Semantics (qonnx src/qonnx/custom_op/general/{intquant,quant,trunc}.py):
//
//   u = x / s + z;  q = round(clip(u, qmin, qmax));  y = (q - z) * s        (Quant, bit width b >= 2)
//   1-bit signed Quant and BipolarQuant: q = u >= 0 ? +1 : -1 (no clip, no rounding)
//
// clip THEN round, exactly as qonnx. qmin/qmax are integers and every rounding mode is monotone and maps
// integers to themselves, so round(clip(u)) == clip(round(u)): the level is qmin plus the number of
// rounding boundaries u has passed. firmnet evaluates u >= boundary in exact real arithmetic (x >= (b - z)*s,
// checked to be exact in double), not in float32 as numpy does: the two differ only when x/s + z lands
// within a float32 rounding error of a boundary.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "numeric/fixed.h"
#include "numeric/quantizer.h"

namespace firmnet::frontends::qonnx {

// The rounding modes (numeric/quantizer.h: qonnx resolve_rounding_mode).
using RoundingMode = numeric::QuantMode;
using numeric::name;
inline std::optional<RoundingMode> parse_rounding_mode(const std::string& s) { return numeric::parse_quant_mode(s); }
// The rounding function itself on a double (exact: every result is an integer-valued double).
double round_value(double u, RoundingMode m);

struct IntQuantSpec {
  int bits = 8;  // 1..(any); 1 with is_signed = bipolar
  bool is_signed = true;
  bool narrow = false;
  RoundingMode mode = RoundingMode::ROUND;
  bool bipolar() const { return bits == 1 && is_signed; }
  int64_t qmin() const;  // qonnx min_int; bipolar: -1
  int64_t qmax() const;  // qonnx max_int; bipolar: +1
  // "bits=4, signed, narrow, ROUND"
  std::string str() const;
};

// A rounding boundary in the u domain: round(u) >= level  <=>  u > at (strict) or u >= at.
struct Boundary {
  double at;
  bool strict;
};
// The boundary of `level` (round(u) >= level) for rounding mode m: e.g. FLOOR: u >= level; CEIL: u > level-1;
// HALF_EVEN: u >= level - 1/2 when level is even, u > level - 1/2 when it is odd.
Boundary level_boundary(int64_t level, RoundingMode m);

// The boundaries of levels qmin+1 .. qmax in the x domain (x >= t or x > t), for scale s > 0 and zero
// point z: t = (b - z) * s. Bipolar: the single boundary x >= -z*s. Throws std::domain_error when a
// threshold is not exactly representable in double (the caller names the node).
std::vector<Boundary> x_boundaries(const IntQuantSpec& q, double scale, double zero_point);

// The integer level q for input x (exact comparisons against x_boundaries).
int64_t quant_level(double x, double scale, double zero_point, const IntQuantSpec& q);
// y = (q - z) * s, the reference Quant output (the product in double: exact for float32 s and small q - z).
double quant(double x, double scale, double zero_point, const IntQuantSpec& q);

// Whether s is 2^k exactly; sets k.
bool is_power_of_two(double s, int* log2 = nullptr);

// The narrowest signed fixed type (TRN, SAT) holding every value exactly, or nullopt when that needs more
// than max_width bits (or a value is not finite).
std::optional<numeric::FixedType> exact_type(const std::vector<double>& values, int max_width);

}  // namespace firmnet::frontends::qonnx
