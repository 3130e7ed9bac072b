// Value bounds of each op for precision inference: exact intervals of the node's output before the cast
// to its result type, for inputs anywhere in their own intervals (docs/NUMERICS.md "Precision inference").
#include <algorithm>
#include <cmath>

#include "ir/garnet.h"
#include "ir/graph.h"
#include "passes/internal.h"
#include "passes/interval.h"

#include "ir/spatial.h"

namespace firmnet::passes {

using numeric::i128;

Interval const_bounds(const ir::Graph& g, const ir::Node& n, const std::string& param) {
  const ir::Tensor& t = g.tensor(n.param(param));
  if (t.raw.empty() || !t.type) throw Error(layer_where(n), "constant '" + t.name + "' is not quantized");
  const auto [lo, hi] = std::minmax_element(t.raw.begin(), t.raw.end());
  return {*lo, *hi, t.type->frac()};
}

Interval dense_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x) {
  return dense_bounds(g, n, x, "weight", "bias");
}

Interval dense_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x, const std::string& weight,
                      const std::string& bias) {
  const std::string where = layer_where(n);
  const ir::Tensor& w = g.tensor(n.param(weight));
  const ir::Tensor& b = g.tensor(n.param(bias));
  if (w.raw.empty() || b.raw.empty() || !w.type || !b.type)
    throw Error(where, "constant '" + w.name + "' or '" + b.name + "' is not quantized");
  const size_t n_out = b.raw.size(), n_w = w.raw.size();
  const int f = std::max(x.frac + w.type->frac(), b.type->frac());
  Interval all{0, 0, f};
  for (size_t j = 0; j < n_out; ++j) {
    // Start from the bias; each term can push the partial sum down by at most min(0, w*x) and up by
    // max(0, w*x), so every partial sum lies in [lo, hi].
    Interval acc = align(Interval::point(b.raw[j], b.type->frac()), f, where);
    for (size_t k = j; k < n_w; k += n_out) {
      const Interval p = align(mul(x, Interval::point(w.raw[k], w.type->frac()), where), f, where);
      acc = add(acc, {std::min<i128>(p.lo, 0), std::max<i128>(p.hi, 0), f}, where);
    }
    all = j == 0 ? acc : hull(all, acc, where);
  }
  return all;
}

Interval pool_sum_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x) {
  const ir::PoolAttrs p = ir::PoolAttrs::of(g, n);
  // A partial sum of up to `taps` values, each in x (which contains 0).
  const Interval lo_hi{std::min<i128>(x.lo, 0) * p.win.taps(), std::max<i128>(x.hi, 0) * p.win.taps(), x.frac};
  return lo_hi;
}

Interval pool_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x) {
  const std::string where = layer_where(n);
  const ir::PoolAttrs p = ir::PoolAttrs::of(g, n);
  if (p.mode == ir::PoolMode::Max) return x;
  // avg: sum of c values (c = the divisor at that pixel) times reciprocal[c].
  const ir::Tensor& r = g.tensor(n.param("reciprocal"));
  if (r.raw.empty() || !r.type) throw Error(where, "the reciprocal constant is not quantized yet");
  Interval all{0, 0, 0};
  bool first = true;
  std::vector<bool> seen(r.raw.size(), false);
  for (int64_t q = 0; q < p.win.out_pixels(); ++q) {
    const int64_t c = p.divisor(q);
    if (seen[static_cast<size_t>(c)]) continue;
    seen[static_cast<size_t>(c)] = true;
    const Interval s{std::min<i128>(x.lo, 0) * c, std::max<i128>(x.hi, 0) * c, x.frac};
    const Interval v = mul(s, Interval::point(r.raw[static_cast<size_t>(c)], r.type->frac()), where);
    all = first ? v : hull(all, v, where);
    first = false;
  }
  return all;
}

namespace {

Interval zero() { return {0, 0, 0}; }

Interval table_range(const ir::Node& n) { return Interval::of_type(n.types.at("table")); }

Interval activation_bounds(const ir::Graph& g, const ir::Node& n, const Interval& x) {
  const std::string where = layer_where(n);
  const ir::ActivationFn fn = ir::activation_fn(n);
  const Interval pos = clamp(x, {0, std::max<i128>(x.hi, 0), x.frac}, where);  // x >= 0 part (or [0,0])
  const Interval neg_part = clamp(x, {std::min<i128>(x.lo, 0), 0, x.frac}, where);
  if (const auto e = ir::exact_fn(fn)) {
    switch (*e) {
      case ir::ExactFn::Linear: return x;
      case ir::ExactFn::Relu: return pos;
      case ir::ExactFn::HardTanh: return clamp(x, {-1, 1, 0}, where);
      case ir::ExactFn::Clip: {  // min(max(x, lo), hi): within [min(lo, hi), hi] whatever x
        const Interval lo = const_bounds(g, n, "min"), hi = const_bounds(g, n, "max");
        const Interval r = hull(lo, hi, where);
        const Interval both = add(lo, neg(hi), where);
        if (both.lo > 0) return hi;  // min > max: always max
        return clamp(x, r, where);
      }
      case ir::ExactFn::LeakyRelu: return hull(pos, mul(neg_part, const_bounds(g, n, "alpha"), where), where);
      case ir::ExactFn::HardSigmoid: {
        const Interval v = add(mul(x, const_bounds(g, n, "slope"), where), const_bounds(g, n, "offset"), where);
        return clamp(v, {0, 1, 0}, where);
      }
    }
  }
  switch (*ir::table_form(fn)) {
    case ir::TableForm::Table: return table_range(n);
    case ir::TableForm::TableBelowZero: {
      const Interval p = n.has_param("gamma") ? mul(pos, const_bounds(g, n, "gamma"), where) : pos;
      return x.lo < 0 ? hull(p, table_range(n), where) : p;
    }
    case ir::TableForm::TableOrPass: return hull(pos, table_range(n), where);  // x beyond the table passes through
  }
  throw Error(where, "unknown activation function");
}

}  // namespace

Interval node_bounds(const ir::Graph& g, const ir::Node& n, const std::vector<Interval>& in) {
  const std::string where = layer_where(n);
  switch (n.kind) {
    case ir::OpKind::Input: return Interval::of_type(*g.tensor(n.outputs.at(0)).type);
    case ir::OpKind::Dense:
    case ir::OpKind::Conv:  // a Dense over each window; padding taps read 0, inside every term's interval
      if (n.types.count("accum")) return Interval::of_type(n.types.at("accum"));  // each step is cast
      return dense_bounds(g, n, in.at(0));
    case ir::OpKind::Pool: return pool_bounds(g, n, in.at(0));
    case ir::OpKind::Recurrent: return Interval::of_type(n.types.at("state"));  // y is a state h
    case ir::OpKind::GarNet: {
      // A vertex's row: fout_bias + sum over the aggregators of edge_weight * aggr (and 0 for invalid vertices);
      // mean: at most V of them times the reciprocal; sum: V of them.
      const ir::GarNetAttrs a = ir::GarNetAttrs::of(g, n);
      Interval row = const_bounds(g, n, "fout_bias");
      const Interval term = mul(Interval::of_type(n.types.at("edge_weight")), Interval::of_type(n.types.at("aggr")), where);
      for (int64_t k = 0; k < a.aggregators; ++k) row = add(row, term, where);
      row = hull(row, zero(), where);
      const Interval all = mul(row, Interval::point(a.vertices, 0), where);
      switch (a.collapse) {
        case ir::GarNetCollapse::None:
        case ir::GarNetCollapse::Max: return row;
        case ir::GarNetCollapse::Sum: return all;
        case ir::GarNetCollapse::Mean: return mul(all, const_bounds(g, n, "reciprocal"), where);
      }
      return row;
    }
    case ir::OpKind::Transpose:
    case ir::OpKind::Upsample:
    case ir::OpKind::Slice: return in.at(0);
    case ir::OpKind::BatchNorm: {
      const ir::Tensor& s = g.tensor(n.param("scale"));
      const ir::Tensor& b = g.tensor(n.param("bias"));
      Interval r = zero();
      for (size_t c = 0; c < s.raw.size(); ++c) {
        const Interval v = add(mul(in.at(0), Interval::point(s.raw[c], s.type->frac()), where),
                               Interval::point(b.raw[c % b.raw.size()], b.type->frac()), where);
        r = c == 0 ? v : hull(r, v, where);
      }
      return r;
    }
    case ir::OpKind::Activation: return activation_bounds(g, n, in.at(0));
    case ir::OpKind::Softmax: return {0, 2, 0};
    case ir::OpKind::Elementwise: {
      const Interval a = in.at(0);
      const Interval b = in.size() > 1 ? in[1] : const_bounds(g, n, "constant");
      const std::string& op = n.attr_str("op");
      if (op == "add") return add(a, b, where);
      if (op == "sub") return add(a, neg(b), where);
      if (op == "mul") return mul(a, b, where);
      throw Error(where, "unknown elementwise op '" + op + "'", "use add, sub or mul");
    }
    case ir::OpKind::Reshape: return in.at(0);
    case ir::OpKind::Concat: {
      Interval r = in.at(0);
      for (size_t i = 1; i < in.size(); ++i) r = hull(r, in[i], where);
      return r;
    }
    case ir::OpKind::MultiThreshold: {
      // The levels' hull (out_scale * count + out_bias with count in [0, T], or out_levels); exact at 2^-20 for
      // the scales FINN emits, and outward-rounded otherwise.
      const std::vector<double> levels = ir::threshold_levels(g, n);
      const auto [a, b] = std::minmax_element(levels.begin(), levels.end());
      return {static_cast<i128>(std::floor(std::ldexp(*a, 20))), static_cast<i128>(std::ceil(std::ldexp(*b, 20))), 20};
    }
    case ir::OpKind::Rescale: {
      Interval v = in.at(0);
      if (n.has_param("pre_add")) v = add(v, const_bounds(g, n, "pre_add"), where);
      return mul(v, const_bounds(g, n, "scale"), where);
    }
    case ir::OpKind::Quantize: {
      // The levels (q - z) * 2^k for q in [qmin, qmax], whatever the input.
      const int64_t k = n.attr_int("log2_scale"), z = n.attr_int("zero_point");
      const int f = k < 0 ? static_cast<int>(-k) : 0;
      const int up = static_cast<int>(k) + f;  // >= 0
      return {static_cast<i128>(n.attr_int("qmin") - z) << up, static_cast<i128>(n.attr_int("qmax") - z) << up, f};
    }
    case ir::OpKind::ArgMax: {
      const ir::Shape& s = g.tensor(n.inputs.at(0)).shape;
      return {0, static_cast<i128>(s.empty() ? 0 : s.back() - 1), 0};
    }
  }
  return zero();
}

}  // namespace firmnet::passes
