// fold_affine_into_threshold: the scalings in front of a MultiThreshold move into its thresholds, so that
// the comparison happens on the unscaled (usually integer) data, exactly:
//   Elementwise add c:   x + c >= t   <=>  x >= t - c
//   Elementwise sub c:   x - c >= t   <=>  x >= t + c
//   Elementwise mul c>0: x * c >= t   <=>  x >= t / c    (a Div by d, attrs["divisor"]: x >= t * d)
//   BatchNorm s>0, b:    x * s + b >= t  <=>  x >= (t - b) / s
//   Reshape:             the same elements, thresholds re-indexed for the new shape
// Strict comparisons (attrs["strict"]) stay strict. The new thresholds are computed in double (relative
// error 2^-53; exact for the power-of-two scalings and the divisions FINN emits); snap_thresholds later puts
// them on the input's fixed-point grid, where the compare is exact. A node folds only when its output feeds
// nothing else, is not a graph output and has no type of its own (a typed tensor is a quantizer: folding it
// would drop its rounding), and when the new thresholds are per tensor or per channel on one axis. A
// negative scale would flip the comparison: a BatchNorm's negative channels are negated upstream instead
// (Dense weight columns and bias, through Elementwise muls; exact), and where that is impossible (or a scale
// is 0, or an Elementwise mul is negative) the fold stops: such a BatchNorm stays a BatchNorm, computed in
// fixed point.
#include <algorithm>
#include <cmath>
#include <functional>

#include "passes/internal.h"

namespace firmnet::passes {

namespace {

// Thresholds expanded to one row per element of the MultiThreshold's input (numel x T).
struct ElementThresholds {
  int64_t numel = 0, n_thr = 0;
  std::vector<double> t;
  std::vector<int64_t> strict;
};

int64_t channel_of(int64_t e, int64_t numel, int64_t rows, bool nchw) {
  if (rows == 1) return 0;
  return nchw ? e / (numel / rows) : e % rows;
}

// `period`: the thresholds of elements 0..period-1 only, when every element e behaves as e % period (see
// period_of); else x's size.
ElementThresholds expand(const ir::Graph& g, const ir::Node& mt, int64_t period) {
  const ir::Tensor& th = g.tensor(mt.param("thresholds"));
  const bool nchw = mt.has_attr("data_layout") && mt.attr_str("data_layout") == "NCHW";
  ElementThresholds r;
  r.numel = period;
  const int64_t rows = th.shape.at(0);
  r.n_thr = th.shape.at(1);
  const std::vector<int64_t> strict = mt.has_attr("strict") ? mt.attr_ints("strict") : std::vector<int64_t>{};
  for (int64_t e = 0; e < r.numel; ++e) {
    const int64_t c = channel_of(e, r.numel, rows, nchw);
    for (int64_t k = 0; k < r.n_thr; ++k) {
      const size_t i = static_cast<size_t>(c * r.n_thr + k);
      r.t.push_back(th.values.at(i));
      r.strict.push_back(strict.empty() ? 0 : strict.at(i));
    }
  }
  return r;
}

// Compresses per-element thresholds for an input of `shape`: rows 1, per last axis (NHWC) or per first axis
// (NCHW). Returns false when the thresholds depend on the element in another way.
bool compress(const ElementThresholds& et, const ir::Shape& shape, std::vector<double>& t, std::vector<int64_t>& strict,
              int64_t& rows, std::string& layout) {
  const int64_t numel = et.numel, T = et.n_thr;
  const auto same_row = [&](int64_t a, int64_t b) {
    for (int64_t k = 0; k < T; ++k)
      if (et.t[static_cast<size_t>(a * T + k)] != et.t[static_cast<size_t>(b * T + k)] ||
          et.strict[static_cast<size_t>(a * T + k)] != et.strict[static_cast<size_t>(b * T + k)])
        return false;
    return true;
  };
  const auto take = [&](int64_t n_rows, const std::function<int64_t(int64_t)>& element_of_row) {
    t.clear();
    strict.clear();
    for (int64_t r = 0; r < n_rows; ++r) {
      const int64_t e = element_of_row(r);
      for (int64_t k = 0; k < T; ++k) {
        t.push_back(et.t[static_cast<size_t>(e * T + k)]);
        strict.push_back(et.strict[static_cast<size_t>(e * T + k)]);
      }
    }
    rows = n_rows;
  };
  bool all = true;
  for (int64_t e = 1; e < numel && all; ++e) all = same_row(e, 0);
  if (all) {
    take(1, [](int64_t) { return int64_t{0}; });
    layout = "NHWC";
    return true;
  }
  const int64_t last = shape.empty() ? 1 : shape.back(), first = shape.empty() ? 1 : shape.front();
  bool by_last = true;
  for (int64_t e = 0; e < numel && by_last; ++e) by_last = same_row(e, e % last);
  if (by_last) {
    take(last, [](int64_t r) { return r; });
    layout = "NHWC";
    return true;
  }
  const int64_t inner = numel / first;
  bool by_first = true;
  for (int64_t e = 0; e < numel && by_first; ++e) by_first = same_row(e, (e / inner) * inner);
  if (by_first) {
    take(first, [&](int64_t r) { return r * inner; });
    layout = "NCHW";
    return true;
  }
  return false;
}

// The per-element thresholds and p's constants of a map repeat with the channel (the last axis, C): when the
// thresholds are per tensor or per NHWC channel and p's constants have 1 or C values, element e folds exactly
// as element e % C, so only C elements need expanding (a 512x512x16 map with 255 thresholds would otherwise
// be a billion). Returns C (or 1), or x's size when the fold really is per element.
int64_t period_of(const ir::Graph& g, const ir::Node& mt, const ir::Node& p) {
  const ir::Tensor& x = g.tensor(mt.inputs.at(0));
  const int64_t numel = x.size(), last = x.shape.empty() ? 1 : x.shape.back();
  const int64_t rows = g.tensor(mt.param("thresholds")).shape.at(0);
  const bool nchw = mt.has_attr("data_layout") && mt.attr_str("data_layout") == "NCHW";
  const auto fits = [&](int64_t size) { return size == 1 || size == last; };
  if (numel % last != 0 || (nchw && rows > 1) || !fits(rows)) return numel;
  int64_t period = rows;
  const auto use = [&](const char* role) {
    if (!p.has_param(role)) return true;
    const int64_t s = g.tensor(p.param(role)).size();
    period = std::max(period, s);
    return fits(s);
  };
  switch (p.kind) {
    case ir::OpKind::Reshape: return rows == 1 ? 1 : numel;  // the channel axis may move
    case ir::OpKind::Elementwise:
      if (!use("constant")) return numel;
      break;
    case ir::OpKind::BatchNorm:
      if (!use("scale") || !use("bias")) return numel;
      break;
    default: return numel;  // fold_through refuses it anyway
  }
  return period;
}

// Applies producer p's inverse to every threshold; false when p cannot fold.
bool fold_through(const ir::Graph& g, const ir::Node& p, ElementThresholds& et) {
  const int64_t T = et.n_thr;
  const auto per_element = [&](const ir::Tensor& c, int64_t e) {
    return broadcast_at(c.values, static_cast<size_t>(c.size() == et.numel ? e : (c.size() == 1 ? 0 : e % c.size())));
  };
  if (p.kind == ir::OpKind::Reshape) return true;
  if (p.kind == ir::OpKind::Elementwise) {
    if (p.inputs.size() != 1 || !p.has_param("constant")) return false;
    const ir::Tensor& c = g.tensor(p.param("constant"));
    if (c.values.empty() || !c.raw.empty()) return false;
    const std::string& op = p.attr_str("op");
    const std::vector<double>* divisor = p.has_attr("divisor") ? &p.attr_floats("divisor") : nullptr;
    if (divisor && divisor->size() != c.values.size()) return false;
    for (int64_t e = 0; e < et.numel; ++e) {
      const double v = per_element(c, e);
      double d = 0;
      if (divisor) d = broadcast_at(*divisor, static_cast<size_t>(c.size() == et.numel ? e : (c.size() == 1 ? 0 : e % c.size())));
      if (op == "mul" && !(divisor ? d > 0 : v > 0)) return false;
      for (int64_t k = 0; k < T; ++k) {
        double& t = et.t[static_cast<size_t>(e * T + k)];
        if (op == "add") t -= v;
        else if (op == "sub") t += v;
        else if (op == "mul") t = divisor ? t * d : t / v;
        else return false;
      }
    }
    return true;
  }
  if (p.kind == ir::OpKind::BatchNorm) {
    const ir::Tensor& s = g.tensor(p.param("scale"));
    const ir::Tensor& b = g.tensor(p.param("bias"));
    if (s.values.empty() || b.values.empty() || !s.raw.empty()) return false;
    for (double v : s.values)
      if (!(v > 0)) return false;
    for (int64_t e = 0; e < et.numel; ++e) {
      const double sv = s.values[static_cast<size_t>(e % s.size())], bv = b.values[static_cast<size_t>(e % b.size())];
      for (int64_t k = 0; k < T; ++k) {
        double& t = et.t[static_cast<size_t>(e * T + k)];
        t = (t - bv) / sv;
      }
    }
    return true;
  }
  return false;
}

// Negates element e of tensor x wherever neg[e], by moving the sign into the layer that produces it:
// through Elementwise mul by a constant (negation commutes with it) to a Dense, whose weight columns and
// biases of those outputs are negated (exact). False (and nothing changed) when that is not possible.
bool negate_upstream(ir::Graph& g, ir::TensorId x, const std::vector<bool>& neg) {
  const int pi = g.producer(x);
  if (pi < 0 || g.is_output(x) || g.tensor(x).type || g.consumers(x).size() != 1) return false;
  ir::Node& p = g.nodes[static_cast<size_t>(pi)];
  if (p.kind == ir::OpKind::Elementwise && p.inputs.size() == 1 && p.has_param("constant") &&
      p.attr_str("op") == "mul" && g.tensor(p.inputs[0]).size() == static_cast<int64_t>(neg.size()))
    return negate_upstream(g, p.inputs[0], neg);
  if (p.kind != ir::OpKind::Dense || !has_float_values(g, p)) return false;
  ir::Tensor& w = g.tensor(p.param("weight"));
  ir::Tensor& b = g.tensor(p.param("bias"));
  const size_t n_out = b.values.size();
  if (n_out != neg.size() || w.type || b.type) return false;  // a quantizer's type may not hold -value
  for (size_t k = 0; k < w.values.size(); ++k)
    if (neg[k % n_out]) w.values[k] = -w.values[k];
  for (size_t j = 0; j < n_out; ++j)
    if (neg[j]) b.values[j] = -b.values[j];
  return true;
}

// A BatchNorm with negative scales in front of a MultiThreshold: x*s + b = (-x)*(-s) + b, so negating
// those channels upstream makes every scale positive (then it folds like any other).
bool make_scales_positive(ir::Graph& g, const ir::Node& bn) {
  ir::Tensor& s = g.tensor(bn.param("scale"));
  if (s.values.empty() || !s.raw.empty()) return false;
  const int64_t numel = g.tensor(bn.inputs.at(0)).size();
  std::vector<bool> neg(static_cast<size_t>(numel), false);
  bool any = false;
  for (int64_t e = 0; e < numel; ++e) {
    const double v = s.values[static_cast<size_t>(e % s.size())];
    if (v == 0) return false;
    neg[static_cast<size_t>(e)] = v < 0;
    any = any || v < 0;
  }
  if (!any) return true;
  if (numel != s.size() || !negate_upstream(g, bn.inputs.at(0), neg)) return false;
  for (double& v : s.values) v = std::fabs(v);
  return true;
}

class FoldAffineIntoThreshold : public Pass {
 public:
  const char* name() const override { return "fold_affine_into_threshold"; }

  bool run(ir::Graph& g, PassContext&) override {
    std::vector<int> drop;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (g.nodes[i].kind != ir::OpKind::MultiThreshold) continue;
      while (fold_one(g, i, drop)) {
      }
    }
    if (drop.empty()) return false;
    g.erase_nodes(drop);
    return true;
  }

 private:
  static bool fold_one(ir::Graph& g, size_t mt_index, std::vector<int>& drop) {
    ir::Node& mt = g.nodes[mt_index];
    const ir::TensorId x = mt.inputs.at(0);
    const int pi = g.producer(x);
    if (pi < 0 || g.is_output(x) || g.tensor(x).type || g.consumers(x).size() != 1) return false;
    const ir::Node& p = g.nodes[static_cast<size_t>(pi)];
    if (p.inputs.size() != 1 || p.outputs.size() != 1) return false;
    const int64_t period = period_of(g, mt, p);
    constexpr int64_t kMaxExpanded = int64_t{1} << 24;  // per-element folds beyond this stay unfolded
    if (period * g.tensor(mt.param("thresholds")).shape.at(1) > kMaxExpanded) return false;
    ElementThresholds et = expand(g, mt, period);
    if (p.kind == ir::OpKind::BatchNorm && !make_scales_positive(g, p)) return false;
    if (!fold_through(g, p, et)) return false;
    for (double t : et.t)
      if (!std::isfinite(t)) return false;
    std::vector<double> t;
    std::vector<int64_t> strict;
    int64_t rows = 0;
    std::string layout;
    const ir::TensorId src = p.inputs[0];
    const ir::Shape shape = period == et.numel && period != g.tensor(x).size() ? ir::Shape{period} : g.tensor(src).shape;
    if (!compress(et, shape, t, strict, rows, layout)) return false;

    ir::Tensor& th = g.tensor(mt.param("thresholds"));
    th.values = std::move(t);
    th.shape = {rows, et.n_thr};
    mt.attrs["data_layout"] = layout;
    if (std::any_of(strict.begin(), strict.end(), [](int64_t s) { return s != 0; })) mt.attrs["strict"] = strict;
    else mt.attrs.erase("strict");
    mt.inputs[0] = src;
    mt.source = p.source + " + " + mt.source;
    for (const auto& a : p.aliases) mt.aliases.push_back(a);
    drop.push_back(pi);
    g.nodes[static_cast<size_t>(pi)].inputs.clear();  // erased below; no longer a consumer of src
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> make_fold_affine_into_threshold() { return std::make_unique<FoldAffineIntoThreshold>(); }

}  // namespace firmnet::passes
