#ifndef FIRMNET_QONNX_INPUT_H_
#define FIRMNET_QONNX_INPUT_H_
// The model's input quantizer applied to a float (double) value, in exact real arithmetic: QONNX Quant
// (u = x / s + z; q = round(clip(u, qmin, qmax))) for a power-of-two scale s = 2^k, and a MultiThreshold's
// count (#{t : x >= t}). One implementation, compiled into firmnet (the emulator's input conversion) and
// shipped as firmware/firmnet/qonnx_input.h for the generated testbench, so that predict, csim and the
// testbench convert every float input identically. Plain C++98 on doubles: never synthesized.
#include <cmath>

namespace firmnet_qonnx {

// QONNX rounding modes, in the order of firmnet::numeric::QuantMode.
enum mode_t { ROUND = 0, HALF_EVEN = 1, CEIL = 2, FLOOR = 3, UP = 4, DOWN = 5, HALF_UP = 6, HALF_DOWN = 7 };

// The boundary of level l in u: round(u) >= l  <=>  u > at (strict) or u >= at (as qonnx_quant.cpp).
inline double level_boundary(long long l, int mode, bool* strict) {
  const double q = (double)l;
  switch (mode) {
    case FLOOR: *strict = false; return q;
    case CEIL: *strict = true; return q - 1;
    case UP: *strict = l >= 1; return l >= 1 ? q - 1 : q;
    case DOWN: *strict = l <= 0; return l >= 1 ? q : q - 1;
    case HALF_UP: *strict = l <= 0; return q - 0.5;
    case HALF_DOWN: *strict = l >= 1; return q - 0.5;
    default: *strict = (l % 2) != 0; return q - 0.5;  // ROUND, HALF_EVEN: ties to the even level
  }
}

// Whether x lies at or past the boundary of level l, for s = 2^k: x >= (at - z) * 2^k. Exact: at - z is a
// half-integer below 2^52 and the scaling by 2^k is exact.
inline bool passes_level(double x, long long l, int k, long long z, int mode) {
  bool strict = false;
  const double t = std::ldexp(level_boundary(l, mode, &strict) - (double)z, k);
  return strict ? x > t : x >= t;
}

// The QONNX level q in [qmin, qmax] of x (not NaN) for scale 2^k and zero point z: a first guess from
// x * 2^-k + z in double, then corrected against the exact boundaries (at most one step in practice).
inline long long level_po2(double x, int k, long long z, long long qmin, long long qmax, int mode) {
  const double u = std::ldexp(x, -k) + (double)z;
  long long q;
  if (!(u > (double)qmin)) q = qmin;
  else if (!(u < (double)qmax)) q = qmax;
  else q = (long long)std::floor(u);
  while (q > qmin && !passes_level(x, q, k, z, mode)) --q;
  while (q < qmax && passes_level(x, q + 1, k, z, mode)) ++q;
  return q;
}

// #{t : x >= t} (x > t where strict[t]) over n ascending thresholds; strict may be null.
inline unsigned threshold_count(double x, const double* t, const unsigned char* strict, unsigned n) {
  unsigned lo = 0, hi = n;
  while (lo < hi) {
    const unsigned mid = (lo + hi) / 2;
    const bool passed = (strict && strict[mid]) ? x > t[mid] : x >= t[mid];
    if (passed) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace firmnet_qonnx

#endif
