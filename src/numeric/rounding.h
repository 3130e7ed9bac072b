#pragma once
// The one rounding table of firmnet: ap_fixed's quantization modes as a function of the dropped bits, for
// scalars and for the emulator's SIMD lanes, and the one switch from a run-time mode to a compile-time one.
// numeric::quantize, the emulator's inline casts (emulator/cast.h), its input cast and its vector
// accumulators all round through round_up; tests/ap_types checks quantize against the Xilinx headers.
#include <string>
#include <utility>

#include "numeric/fixed.h"
#include "support/error.h"

namespace firmnet::numeric {

// Whether floor(v / 2^k) must be incremented under mode R (ap_fixed's quantization_adjust): `half` is the
// first dropped bit, `rest` the OR of the bits below it, `negative` the sign of the exact value v (the
// floor's sign), `odd` the floor's lowest bit. B is bool, or a vector of lane masks (all ones for true, as
// vector comparisons give): only &, | and == are used, so the same table serves both, without branches.
template <Rounding R, class B>
constexpr B round_up(B negative, B half, B rest, B odd) {
  if constexpr (R == Rounding::TRN) {
    return B{};
  } else if constexpr (R == Rounding::TRN_ZERO) {
    return negative & (half | rest);
  } else if constexpr (R == Rounding::RND) {
    return half;
  } else if constexpr (R == Rounding::RND_ZERO) {
    return half & (negative | rest);
  } else if constexpr (R == Rounding::RND_INF) {
    return half & ((negative == B{}) | rest);
  } else if constexpr (R == Rounding::RND_MIN_INF) {
    return half & rest;
  } else {  // RND_CONV: half to even
    static_assert(R == Rounding::RND_CONV);
    return half & (odd | rest);
  }
}

// f.template operator()<R>() for the run-time mode r: every hot loop is instantiated per mode through this
// one switch (no default: a new mode is a build error here).
template <class F>
decltype(auto) with_rounding(Rounding r, F&& f) {
  switch (r) {
    case Rounding::TRN: return std::forward<F>(f).template operator()<Rounding::TRN>();
    case Rounding::TRN_ZERO: return std::forward<F>(f).template operator()<Rounding::TRN_ZERO>();
    case Rounding::RND: return std::forward<F>(f).template operator()<Rounding::RND>();
    case Rounding::RND_ZERO: return std::forward<F>(f).template operator()<Rounding::RND_ZERO>();
    case Rounding::RND_INF: return std::forward<F>(f).template operator()<Rounding::RND_INF>();
    case Rounding::RND_MIN_INF: return std::forward<F>(f).template operator()<Rounding::RND_MIN_INF>();
    case Rounding::RND_CONV: return std::forward<F>(f).template operator()<Rounding::RND_CONV>();
  }
  throw Error("numeric", "rounding mode " + std::to_string(static_cast<int>(r)) + " is not an ap_fixed mode");
}

inline bool round_up(Rounding r, bool negative, bool half, bool rest, bool odd) {
  return with_rounding(r, [&]<Rounding R>() { return round_up<R, bool>(negative, half, rest, odd); });
}

}  // namespace firmnet::numeric
