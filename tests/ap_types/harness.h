#pragma once
// Shared helpers of the ap_types conformance tests: ap_fixed types from compile-time descriptions,
// raw-bit access, and a mismatch recorder. Every test compares the raw bits that the Xilinx headers
// produce with numeric::quantize / quantize_double.
//
// Compile time is the constraint (each ap_fixed conversion instantiates ~10 ms of templates), so the
// conversion functions are compiled without optimization: they only need to be correct.
#pragma GCC optimize("O0")

#include <ap_fixed.h>

#include <cstddef>
#include <cstdint>
#include <utility>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "numeric/fixed.h"

namespace aptest {

using firmnet::numeric::FixedType;
using firmnet::numeric::Overflow;
using firmnet::numeric::Rounding;

template <int W, int I, bool S, ap_q_mode Q = AP_TRN, ap_o_mode O = AP_WRAP>
struct Ap {
  using type = ap_fixed<W, I, Q, O>;
};
template <int W, int I, ap_q_mode Q, ap_o_mode O>
struct Ap<W, I, false, Q, O> {
  using type = ap_ufixed<W, I, Q, O>;
};

// The 7 x 4 modes in matching order; mode index m = q * 4 + o.
inline constexpr ap_q_mode kApQ[7] = {AP_TRN,     AP_TRN_ZERO,    AP_RND,     AP_RND_ZERO,
                                      AP_RND_INF, AP_RND_MIN_INF, AP_RND_CONV};
inline constexpr Rounding kQ[7] = {Rounding::TRN,     Rounding::TRN_ZERO,    Rounding::RND,
                                   Rounding::RND_ZERO, Rounding::RND_INF,    Rounding::RND_MIN_INF,
                                   Rounding::RND_CONV};
inline constexpr ap_o_mode kApO[4] = {AP_WRAP, AP_SAT, AP_SAT_ZERO, AP_SAT_SYM};
inline constexpr Overflow kO[4] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
inline constexpr int kModes = 28;

inline FixedType fixed_type(int w, int i, bool s, int mode = 0) {
  FixedType t;
  t.width = w;
  t.int_bits = i;
  t.is_signed = s;
  t.rounding = kQ[mode / 4];
  t.overflow = kO[mode % 4];
  return t;
}

// Raw value of an ap_fixed as a sign-extended (or zero-extended) int64.
template <int W, bool S, class T>
int64_t raw_of(const T& x) {
  uint64_t bits = static_cast<uint64_t>(x.V);
  if (W < 64) {
    const uint64_t mask = (uint64_t{1} << W) - 1;
    bits &= mask;
    if (S && ((bits >> (W - 1)) & 1)) bits |= ~mask;
  }
  return static_cast<int64_t>(bits);
}

// Collects comparisons and the first mismatches (with everything needed to reproduce them).
struct Recorder {
  int64_t compared = 0;
  int64_t mismatched = 0;
  std::vector<std::string> first;

  // `value` describes the source (raw bits or a double); formatted only on a mismatch.
  template <class Describe>
  void check(int64_t expected, int64_t got, const FixedType& to, Describe&& value) {
    ++compared;
    if (expected == got) return;
    ++mismatched;
    if (first.size() < 20)
      first.push_back(fmt::format("{} -> {}: ap_types raw {}, quantize raw {}", value(), to.cpp(), got, expected));
  }
  std::string report() const {
    std::string s;
    for (const auto& f : first) s += f + "\n";
    return s;
  }
};

// A destination geometry: ap_fixed<w, i> (signed) or ap_ufixed<w, i>.
struct Geometry {
  int w, i;
  bool s;
};

// For every geometry of List (a constexpr std::array<Geometry, N>) and every rounding x overflow mode:
// assigns each double to that ap_fixed type and compares the raw bits with numeric::quantize_double.
template <const auto& List, std::size_t K, int M>
void check_doubles_mode(Recorder& rec, const std::vector<double>& values) {
  constexpr Geometry g = List[K];
  using Dst = typename Ap<g.w, g.i, g.s, kApQ[M / 4], kApO[M % 4]>::type;
  const FixedType to = fixed_type(g.w, g.i, g.s, M);
  for (double d : values) {
    const Dst x = d;
    rec.check(firmnet::numeric::quantize_double(d, to).raw, raw_of<g.w, g.s>(x), to,
              [&] { return fmt::format("double {:a} ({})", d, d); });
  }
}

template <const auto& List, std::size_t K, int... M>
void check_doubles_geometry(Recorder& rec, const std::vector<double>& values, std::integer_sequence<int, M...>) {
  (check_doubles_mode<List, K, M>(rec, values), ...);
}

template <const auto& List, std::size_t... K>
void check_doubles_impl(Recorder& rec, const std::vector<double>& values, std::index_sequence<K...>) {
  (check_doubles_geometry<List, K>(rec, values, std::make_integer_sequence<int, kModes>{}), ...);
}

template <const auto& List>
void check_doubles(Recorder& rec, const std::vector<double>& values) {
  check_doubles_impl<List>(rec, values, std::make_index_sequence<List.size()>{});
}

}  // namespace aptest
