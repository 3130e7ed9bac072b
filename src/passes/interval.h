#pragma once
// Internal to src/passes: exact value intervals for precision inference. An interval is [lo, hi] * 2^-frac
// with 128-bit integer bounds, so bounds are exact (no floating-point rounding decides a bit width).
#include <string>
#include <vector>

#include "numeric/bits.h"
#include "numeric/fixed.h"

namespace firmnet::passes {

struct Interval {
  numeric::i128 lo = 0, hi = 0;
  int frac = 0;

  static Interval of_type(const numeric::FixedType& t);
  static Interval point(numeric::i128 raw, int frac) { return {raw, raw, frac}; }
  double lo_value() const;
  double hi_value() const;
  std::string str() const;  // "[-3.5, 7.25]"
};

// All arithmetic is exact; a bound beyond 127 bits throws firmnet::Error naming `where`.
Interval align(const Interval& a, int frac, const std::string& where);
Interval add(const Interval& a, const Interval& b, const std::string& where);
Interval neg(const Interval& a);
Interval mul(const Interval& a, const Interval& b, const std::string& where);
Interval hull(const Interval& a, const Interval& b, const std::string& where);
// Clamps into [lo, hi] given as an interval of the same kind.
Interval clamp(const Interval& a, const Interval& bounds, const std::string& where);

// The set of values Q_t(v) for v in a: rounding and overflow handling by numeric::quantize (monotone),
// except that a wrapping overflow anywhere yields the whole range of t.
Interval cast(const Interval& a, const numeric::FixedType& t);

// Smallest signed width holding every raw value in [lo, hi] (at least 1).
using numeric::signed_width;

}  // namespace firmnet::passes

namespace firmnet::ir {
class Graph;
struct Node;
}  // namespace firmnet::ir

namespace firmnet::passes {

// Interval of a constant's quantized values.
Interval const_bounds(const ir::Graph& g, const ir::Node& n, const std::string& param);
// Exact bounds of a Dense node's sum b_j + sum_i x_i*W_ij, over every partial sum too (so an accumulator
// holding them never overflows), for x in `x`.
Interval dense_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x);
// The same over the parameters `weight` [n_in, n_out] and `bias` [n_out] of any node (a recurrent layer's two
// products).
Interval dense_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x, const std::string& weight,
                      const std::string& bias);
// Pool: max gives x; avg the sums of each divisor c times the quantized reciprocal[c]. pool_sum_bounds: every
// partial sum of a window (what an average's accumulator holds).
Interval pool_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x);
Interval pool_sum_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x);
// Exact bounds of a node's output before the cast to its result type, given its inputs' intervals.
// Dense with a given (not inferred) accumulator: the accum type's range bounds it.
Interval node_bounds(const ir::Graph& g, const ir::Node& n, const std::vector<Interval>& in);

}  // namespace firmnet::passes
