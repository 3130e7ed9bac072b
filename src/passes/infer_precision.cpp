// infer_precision: chooses the types left "auto" by resolve_types (docs/NUMERICS.md "Precision inference").
//  - Dense accum: lossless, i.e. the exact product frac plus integer bits from the exact bound of every
//    partial sum over the input type's whole range with the quantized weights; > 64 bits drops frac bits.
//  - Softmax accum: the exp table type grown by ceil(log2 n) bits (a lossless sum of n entries).
//  - results: exact value intervals propagated from the input types through every op; integer bits so
//    that nothing overflows, 16 fractional bits (more if the input has more, fewer if the exact value has
//    fewer), signed, TRN/WRAP, width <= 48
//    (beyond: fractional bits down to 10, then SAT and a warning). Table functions give the table type,
//    softmax ufixed<18,1,RND_CONV,SAT>,
//    Reshape/Concat the (union of the) input types.
#include <fmt/format.h>

#include "ir/recurrent.h"
#include "passes/internal.h"
#include "passes/interval.h"

namespace firmnet::passes {

namespace {

using numeric::FixedType;
using numeric::i128;

constexpr int kResultFrac = 16;
// Where a result would exceed 48 bits, fractional bits give way first, down to this many; only then does
// the integer range shrink (and the type saturate).
constexpr int kMinResultFrac = 10;
constexpr int kMaxResultWidth = 48;

using numeric::make_type;

FixedType dense_accum(const ir::Graph& g, const ir::Node& n, PassContext& ctx, const FixedType& tx,
                      const std::string& weight = "weight", const std::string& bias = "bias") {
  const Interval b = dense_bounds(g, n, Interval::of_type(tx), weight, bias);
  const int w = signed_width(b.lo, b.hi);
  const int i = w - b.frac;
  if (w <= numeric::kMaxWidth) return make_type(w, i, true);
  if (i > numeric::kMaxWidth)
    throw Error(layer_where(n), fmt::format("the accumulator needs {} integer bits (sums up to {})", i, b.str()),
                "give narrower input/weight precisions or an explicit accum precision");
  const FixedType t = make_type(numeric::kMaxWidth, i, true);
  ctx.warnings.push_back({layer_where(n), fmt::format("a lossless accumulator needs fixed<{},{}>; using {} ({} "
                                                      "fractional bits dropped, truncated at every step)",
                                                      w, i, t.str(), w - numeric::kMaxWidth)});
  return t;
}

// Average pool: the lossless sum of a window.
FixedType pool_accum(const ir::Graph& g, const ir::Node& n) {
  const Interval b = pool_sum_bounds(g, n, Interval::of_type(*g.tensor(n.inputs.at(0)).type));
  const int w = signed_width(b.lo, b.hi);
  if (w > numeric::kMaxWidth)
    throw Error(layer_where(n), fmt::format("the sum of a window needs {} bits", w),
                "give a narrower input precision or an explicit accum precision");
  return make_type(w, w - b.frac, true);
}

FixedType softmax_accum(const ir::Graph& g, const ir::Node& n) {
  const FixedType& e = n.types.at("exp_table");
  const ir::Shape& s = g.tensor(n.inputs.at(0)).shape;
  const int grow = ceil_log2(s.empty() ? 1 : s.back());
  const FixedType t = make_type(e.width + grow, e.int_bits + grow, e.is_signed);
  if (t.width > numeric::kMaxWidth - (t.is_signed ? 0 : 1))
    throw Error(layer_where(n), fmt::format("the lossless sum of {} exp table entries needs {} bits", s.back(), t.width),
                "give a narrower exp_table precision or an explicit accum precision");
  return t;
}

// The generic rule: no overflow for any value in `v`, F fractional bits, TRN/WRAP, capped at 48 bits.
FixedType bounded_type(const ir::Node& n, const Interval& v, int f, PassContext& ctx, std::string& why) {
  // The interval holds exact values on a grid of 2^-v.frac: more fractional bits than that carry only zeros
  // (e.g. a Dense of integer levels and integer weights).
  if (v.frac >= 0) f = std::min(f, v.frac);
  i128 lo, hi;
  if (f >= v.frac) {
    const Interval a = align(v, f, layer_where(n));
    lo = a.lo, hi = a.hi;
  } else {  // drop bits by truncation (floor), as the TRN cast does
    lo = numeric::shift_floor(v.lo, v.frac - f);
    hi = numeric::shift_floor(v.hi, v.frac - f);
  }
  const int w = signed_width(lo, hi);
  const int i = w - f;
  why = "auto: bound " + v.str();
  if (w <= kMaxResultWidth) return make_type(w, i, true);
  if (i <= kMaxResultWidth - kMinResultFrac) return make_type(kMaxResultWidth, i, true);  // fewer fractional bits
  const FixedType t = make_type(kMaxResultWidth, kMaxResultWidth - kMinResultFrac, true, numeric::Rounding::TRN,
                           numeric::Overflow::SAT);
  why += ", capped at 48 bits (SAT)";
  ctx.warnings.push_back({layer_where(n), fmt::format("the result needs {} integer bits to never overflow (bound {}); "
                                                      "using {}, which saturates beyond its range",
                                                      i, v.str(), t.str())});
  return t;
}

FixedType result_type(const ir::Graph& g, const ir::Node& n, const Interval& v, PassContext& ctx, std::string& why) {
  const auto in_type = [&](size_t k) { return *g.tensor(n.inputs.at(k)).type; };
  switch (n.kind) {
    case ir::OpKind::Reshape:
    case ir::OpKind::Upsample:
    case ir::OpKind::Slice:
    case ir::OpKind::Transpose: why = "auto: as the input"; return in_type(0);
    case ir::OpKind::Recurrent: why = "auto: the state type"; return n.types.at("state");
    case ir::OpKind::GarNet: return bounded_type(n, v, kResultFrac, ctx, why);
    case ir::OpKind::Pool:
      if (!avg_pool(n)) {
        why = "auto: as the input (a maximum)";
        return in_type(0);
      }
      return bounded_type(n, v, std::max(kResultFrac, in_type(0).frac()), ctx, why);
    case ir::OpKind::Concat: {
      FixedType t = in_type(0);
      for (size_t k = 1; k < n.inputs.size(); ++k)
        if (in_type(k) != t) t = numeric::union_type(t, in_type(k));
      why = "auto: union of the input types";
      return t;
    }
    case ir::OpKind::Softmax:
      why = "auto: softmax default";
      return make_type(18, 1, false, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
    case ir::OpKind::Activation: {
      if (ir::table_form(ir::activation_fn(n)) == ir::TableForm::Table) {
        why = "auto: the table type";
        return n.types.at("table");
      }
      return bounded_type(n, v, std::max(kResultFrac, in_type(0).frac()), ctx, why);
    }
    case ir::OpKind::MultiThreshold: {
      // The exact type of its output levels (out_scale * k + out_bias, k = 0..T, or out_levels; bipolar: fixed<2,2>).
      std::vector<double> levels = ir::threshold_levels(g, n);
      if (n.has_attr("out_levels")) {
        // Listed levels (QKeras's powers of two, candidates far beyond any input): only the counts the input
        // type can reach, from the thresholds below its least value to those up to its largest.
        const FixedType tx = in_type(0);
        const double lo = tx.to_double(tx.raw_min()), hi = tx.to_double(tx.raw_max());
        const ir::Tensor& th = g.tensor(n.param("thresholds"));
        const int64_t steps = th.shape.at(1);
        int64_t k_lo = steps, k_hi = 0;
        for (int64_t r = 0; r < th.shape.at(0); ++r) {
          const auto row = th.values.begin() + r * steps;
          k_lo = std::min<int64_t>(k_lo, std::lower_bound(row, row + steps, lo) - row);  // thresholds < lo
          k_hi = std::max<int64_t>(k_hi, std::upper_bound(row, row + steps, hi) - row);  // thresholds <= hi
        }
        levels = std::vector<double>(levels.begin() + k_lo, levels.begin() + std::max(k_lo, k_hi) + 1);
      }
      if (const auto t = exact_type(levels, kMaxResultWidth, true)) {
        why = "auto: exact type of the levels";
        return *t;
      }
      return bounded_type(n, v, kResultFrac, ctx, why);
    }
    case ir::OpKind::ArgMax: return bounded_type(n, v, 0, ctx, why);
    case ir::OpKind::Quantize: return bounded_type(n, v, v.frac, ctx, why);  // exactly the levels
    case ir::OpKind::Rescale:
      // Lossless: (q - z) * s keeps every fractional bit of the input (+ pre_add) and the scale.
      return bounded_type(n, v, v.frac, ctx, why);
    case ir::OpKind::Dense:
    case ir::OpKind::Conv:
      if (quantized_dense(g, n)) {  // lossless: the exact sum, as QONNX computes it
        const FixedType t = bounded_type(n, v, v.frac, ctx, why);
        why += " (lossless: quantized layer)";
        return t;
      }
      [[fallthrough]];
    case ir::OpKind::Input:
    case ir::OpKind::BatchNorm:
    case ir::OpKind::Elementwise:
      return bounded_type(n, v, n.inputs.empty() ? kResultFrac : std::max(kResultFrac, in_type(0).frac()), ctx, why);
  }
  return bounded_type(n, v, kResultFrac, ctx, why);
}

class InferPrecision : public Pass {
 public:
  const char* name() const override { return "infer_precision"; }

  bool run(ir::Graph& g, PassContext& ctx) override {
    std::vector<std::optional<Interval>> known(g.tensors.size());
    auto interval_of = [&](ir::TensorId t) {
      if (known[static_cast<size_t>(t)]) return *known[static_cast<size_t>(t)];
      const ir::Tensor& x = g.tensor(t);
      if (!x.type) throw Error("tensor '" + x.name + "'", "is read before it has a type");
      return Interval::of_type(*x.type);  // graph inputs, typed constants
    };
    for (auto& n : g.nodes) {
      std::vector<Interval> in;
      for (ir::TensorId t : n.inputs) in.push_back(interval_of(t));
      bool lossless = false;
      if (n.kind == ir::OpKind::Recurrent) {  // both products lossless: x over its type, h over the state type
        if (!n.types.count("accum")) n.types["accum"] = dense_accum(g, n, ctx, *g.tensor(n.inputs.at(0)).type);
        if (!n.types.count("recurrent_accum")) {
          // A reset_before GRU's candidate product reads r ⊙ h: |r ⊙ h| <= |h|, with the gate's fractional bits more.
          const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
          const FixedType th = a.reset_before()
                                   ? ir::reset_state_type(n, n.types.at("recurrent_table"), n.types.at("state"))
                                   : n.types.at("state");
          n.types["recurrent_accum"] = dense_accum(g, n, ctx, th, "recurrent_weight", "recurrent_bias");
        }
      }
      if ((n.kind == ir::OpKind::Dense || n.kind == ir::OpKind::Conv) && !n.types.count("accum")) {
        n.types["accum"] = dense_accum(g, n, ctx, *g.tensor(n.inputs.at(0)).type);
        lossless = n.types["accum"].width < numeric::kMaxWidth || !dropped_bits(g, n);
      }
      if (n.kind == ir::OpKind::Softmax && !n.types.count("accum")) n.types["accum"] = softmax_accum(g, n);
      if (avg_pool(n) && !n.types.count("accum")) n.types["accum"] = pool_accum(g, n);
      const Interval v = lossless ? dense_bounds(g, n, in.at(0)) : node_bounds(g, n, in);
      for (ir::TensorId t : n.outputs) {
        ir::Tensor& out = g.tensor(t);
        if (!out.type) {
          std::string why;
          out.type = result_type(g, n, v, ctx, why);
          out.origin = with_quantizer(out.origin, why);
        }
        known[static_cast<size_t>(t)] = cast(v, *out.type);
      }
    }
    return true;
  }

 private:
  // Whether a 64-bit accumulator had to drop fractional bits (it is then no longer exact).
  static bool dropped_bits(const ir::Graph& g, const ir::Node& n) {
    const int exact_frac = std::max(g.tensor(n.inputs.at(0)).type->frac() + g.tensor(n.param("weight")).type->frac(),
                                    g.tensor(n.param("bias")).type->frac());
    return n.types.at("accum").frac() < exact_frac;
  }
};

}  // namespace

std::unique_ptr<Pass> make_infer_precision() { return std::make_unique<InferPrecision>(); }

}  // namespace firmnet::passes
