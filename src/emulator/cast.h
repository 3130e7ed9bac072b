#pragma once
// Inline fixed-point casts for the emulator's hot loops.
//
// CastPlan is Q_t(v * 2^-from_frac) for a fixed source fraction, decided once at construction. The common
// modes (every rounding mode, WRAP/SAT overflow, a shift in [-64, 63], a value that fits int64) are computed
// inline on integers; everything else goes through numeric::quantize, the one reference implementation.
// tests/emulator/cast_test.cpp checks the inline path against numeric::quantize.
#include <cstddef>
#include <cstdint>

#include "numeric/fixed.h"
#include "numeric/rounding.h"

namespace firmnet::emulator {

using numeric::i128;
using numeric::Overflow;
using numeric::Rounding;

// Increment that rounding mode R adds to q = floor(v / 2^k), given rem = v mod 2^k (0 <= rem < 2^k) and
// half = 2^(k-1) (1 when k = 0, so that rem = 0 never rounds). v < 0 exactly when q < 0.
template <Rounding R>
inline int64_t round_increment(int64_t q, uint64_t rem, uint64_t half) {
  return numeric::round_up<R, bool>(q < 0, rem >= half, (rem & (half - 1)) != 0, (q & 1) != 0);
}

class CastPlan {
 public:
  CastPlan() = default;
  CastPlan(const numeric::FixedType& t, int from_frac);

  const numeric::FixedType& type() const { return type_; }
  int from_frac() const { return from_frac_; }
  bool inline_ok() const { return inline_ok_; }

  // Q_t(v * 2^-from_frac); counts an overflow into *overflows.
  int64_t operator()(i128 v, int64_t& overflows) const {
    if (inline_ok_ && v >= INT64_MIN && v <= INT64_MAX) return cast64(static_cast<int64_t>(v), overflows);
    return general(v, overflows);
  }
  int64_t operator()(int64_t v, int64_t& overflows) const {
    if (inline_ok_) return cast64(v, overflows);
    return general(v, overflows);
  }
  int64_t operator()(int32_t v, int64_t& overflows) const { return (*this)(static_cast<int64_t>(v), overflows); }

  // out[e] = Q_t(in[e] * 2^-from_frac) for a run of values: the mode dispatch happens once, and the loop
  // body is branch-free so that it vectorises.
  template <class T>
  void cast_many(const T* in, int64_t* out, size_t n, int64_t& overflows) const {
    if (!inline_ok_) {
      for (size_t e = 0; e < n; ++e) out[e] = general(in[e], overflows);
      return;
    }
    if (type_.overflow == Overflow::SAT) return dispatch<true>(in, out, n, overflows);
    return dispatch<false>(in, out, n, overflows);
  }
  // Whether every value of `in` converts unchanged (same fraction, range included): a plain copy.
  bool is_identity_for(const numeric::FixedType& in) const {
    return shift_ == 0 && in.raw_min() >= lo_ && in.raw_max() <= hi_;
  }

 private:
  int64_t cast64(int64_t v, int64_t& overflows) const {
    i128 q;
    if (shift_ > 0) {
      const int64_t fl = v >> shift_;
      const uint64_t rem = static_cast<uint64_t>(v) & mask_;
      q = static_cast<i128>(fl) + numeric::with_rounding(type_.rounding, [&]<Rounding R>() { return round_increment<R>(fl, rem, half_); });
    } else {
      q = static_cast<i128>(v) * (static_cast<i128>(1) << -shift_);
    }
    if (q >= lo_ && q <= hi_) return static_cast<int64_t>(q);
    ++overflows;
    if (type_.overflow == Overflow::SAT) return q < lo_ ? lo_ : hi_;
    // WRAP: keep the low W bits, reinterpreted in the type's signedness.
    const uint64_t low = static_cast<uint64_t>(q) & wrap_mask_;
    if (type_.is_signed && type_.width < 64 && (low >> (type_.width - 1)) != 0) return static_cast<int64_t>(low | ~wrap_mask_);
    return static_cast<int64_t>(low);
  }
  int64_t general(i128 v, int64_t& overflows) const;

  // Overflow handling of an already quantized q (low 64 bits for WRAP: the wrap only needs those).
  template <class Q>
  int64_t fit(Q q, bool sat) const {
    if (sat) return q < lo_ ? lo_ : (q > hi_ ? hi_ : static_cast<int64_t>(q));
    const uint64_t ulo = static_cast<uint64_t>(lo_);
    return static_cast<int64_t>(((static_cast<uint64_t>(q) - ulo) & wrap_mask_) + ulo);
  }
  template <bool Sat, class T>
  void dispatch(const T* in, int64_t* out, size_t n, int64_t& overflows) const {
    numeric::with_rounding(type_.rounding, [&]<Rounding R>() { this->template cast_loop<R, Sat>(in, out, n, overflows); });
  }
  template <Rounding R, bool Sat, class T>
  void cast_loop(const T* __restrict in, int64_t* __restrict out, size_t n, int64_t& overflows) const {
    constexpr bool sat = Sat;
    int64_t ov = 0;
    if (shift_ > 0) {
      const int s = shift_;
      for (size_t e = 0; e < n; ++e) {
        const int64_t v = static_cast<int64_t>(in[e]);
        const int64_t fl = v >> s;
        const int64_t q = fl + round_increment<R>(fl, static_cast<uint64_t>(v) & mask_, half_);
        ov += (q < lo_) | (q > hi_);
        out[e] = fit(q, sat);
      }
    } else {
      // q = v * 2^s overflows exactly when v is outside [vlo, vhi]; WRAP needs only q's low 64 bits.
      const int s = -shift_;
      for (size_t e = 0; e < n; ++e) {
        const int64_t v = static_cast<int64_t>(in[e]);
        const bool below = v < vlo_, above = v > vhi_;
        ov += below | above;
        const uint64_t ulo = static_cast<uint64_t>(lo_);
        const int64_t wrapped = static_cast<int64_t>((((static_cast<uint64_t>(v) << s) - ulo) & wrap_mask_) + ulo);
        if constexpr (sat) out[e] = below ? lo_ : (above ? hi_ : static_cast<int64_t>(static_cast<uint64_t>(v) << s));
        else out[e] = wrapped;
      }
    }
    overflows += ov;
  }

  numeric::FixedType type_;
  int from_frac_ = 0;
  int shift_ = 0;  // from_frac - type.frac(): > 0 drops bits (rounding), <= 0 exact left shift
  bool inline_ok_ = false;
  uint64_t mask_ = 0, half_ = 1, wrap_mask_ = 0;
  int64_t lo_ = 0, hi_ = 0;
  int64_t vlo_ = 0, vhi_ = 0;  // shift <= 0: the source values that fit, ceil(lo / 2^-shift) .. floor(hi / 2^-shift)
};

}  // namespace firmnet::emulator
