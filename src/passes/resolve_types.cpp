// resolve_types: applies the configuration to every node (reuse factor, strategy, trace, table size) and
// gives every tensor and internal type its precision, LayerName -> LayerType -> Model -> defaults
// (docs/NUMERICS.md "Default types"). "auto" results and accumulators stay unset for infer_precision.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "passes/internal.h"
#include "passes/layer_config.h"
#include "ir/garnet.h"
#include "ir/recurrent.h"

namespace firmnet::passes {

namespace {

using numeric::FixedType;

FixedType modes(int width, int int_bits, bool is_signed) {
  FixedType t;
  t.width = width;
  t.int_bits = int_bits;
  t.is_signed = is_signed;
  t.rounding = numeric::Rounding::RND_CONV;
  t.overflow = numeric::Overflow::SAT;
  return t;
}

const FixedType kInputDefault = modes(16, 6, true);
// Default width of weights, biases and scales: 18 bits, the narrow port of a Xilinx DSP48 multiplier.
constexpr int kConstantWidth = 18;
// Recurrent layers' tables (docs/IR.md "Recurrent"): twice the entries, since their errors compound over the steps.
constexpr int kDefaultRecurrentTableSize = 2048;
// Softmax (docs/NUMERICS.md "Softmax"): e = exp(x - max) in [e^-8, 1] on 19 fractional bits, and 1/m for the sum's
// mantissa m in [1, 2], i.e. (0.5, 1], on 23: with the interpolated inverse, y lands within one step of an
// 18-bit output.
const FixedType kExpTableDefault = modes(20, 1, false);
const FixedType kInvTableDefault = modes(24, 1, false);

// A setting looked up LayerName -> LayerType -> Model; `label` says which level gave it.
template <class T>
std::optional<T> setting(const std::vector<Level>& levels, std::optional<T> config::LayerSettings::*member,
                         Level::Kind* kind = nullptr) {
  for (const Level& l : levels)
    if (const auto& v = l.settings->*member) {
      if (kind) *kind = l.kind;
      return v;
    }
  return std::nullopt;
}

std::string valid_list(const std::vector<int64_t>& v) {
  if (v.size() <= 10) return fmt::format("{}", fmt::join(v, ", "));
  return fmt::format("{}, ..., {}", fmt::join(v.begin(), v.begin() + 8, ", "), v.back());
}

void apply_settings(const ir::Graph& g, ir::Node& n, const LayerConfig& lc) {
  const auto levels = lc.levels(n);
  Level::Kind rf_from = Level::Model;
  const auto rf = setting(levels, &config::LayerSettings::reuse_factor, &rf_from);
  if (n.kind == ir::OpKind::Dense || n.kind == ir::OpKind::Conv) {
    const int64_t n_mult = g.tensor(n.param("weight")).size();  // a Conv reuses the products of one window
    std::vector<int64_t> valid;
    for (int64_t d = 1; d <= n_mult; ++d)
      if (n_mult % d == 0) valid.push_back(d);
    const int r = rf.value_or(1);
    if (n_mult % r != 0)
      throw Error(layer_where(n) + " (" + describe(g, n) + ")", fmt::format("ReuseFactor {} is invalid", r),
                  "valid values are " + valid_list(valid));
    n.reuse_factor = r;
  } else if (n.kind == ir::OpKind::Recurrent) {
    // ReuseFactor: the input product's; recurrent_reuse_factor: the recurrent product's (default: ReuseFactor).
    const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
    const auto rrf = setting(levels, &config::LayerSettings::recurrent_reuse_factor);
    auto check = [&](int r, int64_t n_mult, const char* what) {
      if (n_mult % r == 0) return;
      std::vector<int64_t> valid;
      for (int64_t d = 1; d <= n_mult; ++d)
        if (n_mult % d == 0) valid.push_back(d);
      throw Error(layer_where(n) + " (" + describe(g, n) + ")", fmt::format("{} {} is invalid", what, r),
                  "valid values are " + valid_list(valid));
    };
    const int r = rf.value_or(1), rr = rrf.value_or(r);
    check(r, a.features * a.gate_width(), "ReuseFactor");
    // A reset_before GRU has two recurrent products, over h (H x 2H) and over r * h (H x H).
    check(rr, a.reset_before() ? a.units * a.units : a.units * a.gate_width(), "recurrent_reuse_factor");
    n.reuse_factor = r;
    n.attrs["recurrent_reuse_factor"] = static_cast<int64_t>(rr);
    n.attrs["static"] = static_cast<int64_t>(setting(levels, &config::LayerSettings::is_static).value_or(true) ? 1 : 0);
  } else if (n.kind == ir::OpKind::GarNet) {
    // The vertex loop: V / ReuseFactor vertices per pipelined iteration (docs/BACKEND_VITIS.md "GarNet").
    const int64_t V = ir::GarNetAttrs::of(g, n).vertices;
    const int r = rf.value_or(1);
    if (r < 1 || V % r != 0) {
      std::vector<int64_t> valid;
      for (int64_t d = 1; d <= V; ++d)
        if (V % d == 0) valid.push_back(d);
      throw Error(layer_where(n) + " (" + describe(g, n) + ")", fmt::format("ReuseFactor {} is invalid", r),
                  "valid values divide the vertex count " + std::to_string(V) + ": " + valid_list(valid));
    }
    n.reuse_factor = r;
  } else {
    // The Model-level ReuseFactor is meant for the layers that reuse multipliers (Dense, Conv); an explicit
    // per-layer one elsewhere is an error rather than silently ignored.
    if (rf && *rf != 1 && rf_from != Level::Model)
      throw Error(layer_where(n) + " (" + describe(g, n) + ")", fmt::format("ReuseFactor {} is invalid", *rf),
                  "only Dense and Conv layers support a ReuseFactor other than 1 for now; use 1");
    n.reuse_factor = 1;
  }
  n.strategy = setting(levels, &config::LayerSettings::strategy).value_or(ir::Strategy::Latency);
  n.trace = setting(levels, &config::LayerSettings::trace).value_or(false);
  Level::Kind impl_from = Level::Model;
  if (setting(levels, &config::LayerSettings::implementation, &impl_from) && n.kind != ir::OpKind::Softmax &&
      impl_from == Level::LayerName)
    throw Error(layer_where(n), "Implementation (or Strategy: Stable) applies to Softmax layers only", "remove it from this layer");
  Level::Kind other_from = Level::Model;
  if (n.kind != ir::OpKind::Recurrent &&
      (setting(levels, &config::LayerSettings::is_static, &other_from) ||
       setting(levels, &config::LayerSettings::recurrent_reuse_factor, &other_from)) &&
      other_from == Level::LayerName)
    throw Error(layer_where(n), "static and recurrent_reuse_factor apply to recurrent layers only",
                "remove them from this layer");
  // A recurrent cell's table errors compound over its time steps: its tables default to twice the entries.
  if (n.kind == ir::OpKind::Softmax || n.kind == ir::OpKind::Recurrent || n.kind == ir::OpKind::GarNet ||
      table_function(n))
    n.attrs["table_size"] = static_cast<int64_t>(setting(levels, &config::LayerSettings::table_size)
                                                     .value_or(n.kind == ir::OpKind::Recurrent ? kDefaultRecurrentTableSize
                                                                                               : kDefaultTableSize));
}

class ResolveTypes : public Pass {
 public:
  const char* name() const override { return "resolve_types"; }

  bool run(ir::Graph& g, PassContext& ctx) override {
    const LayerConfig lc(ctx.config);
    lc.validate(g, &ctx.warnings);
    ranges_ = &ctx.input_ranges;
    std::vector<int> typed_by(g.tensors.size(), -1);  // which node typed a constant (shared constants)
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      ir::Node& n = g.nodes[i];
      apply_settings(g, n, lc);
      for (ir::TensorId t : n.outputs) set_tensor(g, t, n, lc.precision(n, "result"), "result");
      for (const auto& [key, t] : n.params) {
        const PrecisionChoice c = lc.precision(n, variable_of_param(n, key));
        const auto before = g.tensor(t).type;
        set_tensor(g, t, n, c, variable_of_param(n, key));
        if (typed_by[static_cast<size_t>(t)] >= 0 && g.tensor(t).type != before)
          throw Error(layer_where(n), "constant '" + g.tensor(t).name + "' is shared with layer '" +
                                          g.nodes[static_cast<size_t>(typed_by[static_cast<size_t>(t)])].name +
                                          "' but gets another precision here",
                      "give both layers the same precision for it");
        typed_by[static_cast<size_t>(t)] = static_cast<int>(i);
      }
      for (const char* var : {"accum", "table", "exp_table", "inv_table"}) set_internal(n, var, lc);
      if (n.kind == ir::OpKind::Recurrent) set_recurrent_internals(g, n, lc);
      if (n.kind == ir::OpKind::GarNet) set_garnet_internals(g, n, lc);
    }
    // Graph inputs without an Input node still need the input precision.
    for (ir::TensorId t : g.inputs)
      if (!g.tensor(t).type) {
        g.tensor(t).type = kInputDefault;
        g.tensor(t).origin = "default";
        if (const InputRange* r = range_of(g, t)) {
          g.tensor(t).type = fit_type(r->lo, r->hi, kInputDefault.width);
          g.tensor(t).origin = fmt::format("from the data ({}: [{:g}, {:g}] over {} samples; values beyond the type "
                                           "saturate)", r->source, r->lo, r->hi, r->samples);
        }
      }
    return true;
  }

 private:
  static FixedType parse(const PrecisionChoice& c, const ir::Node& n, const std::string& var) {
    try {
      return FixedType::parse(c.text);
    } catch (const Error& e) {
      throw Error(layer_where(n), "precision '" + var + "' from " + c.origin + ": " + e.message(), e.hint());
    }
  }

  const std::vector<InputRange>* ranges_ = nullptr;

  // The data range given for graph input `id`, if any.
  const InputRange* range_of(const ir::Graph& g, ir::TensorId id) const {
    if (!ranges_) return nullptr;
    for (size_t k = 0; k < g.inputs.size() && k < ranges_->size(); ++k)
      if (g.inputs[k] == id) return &(*ranges_)[k];
    return nullptr;
  }

  void set_tensor(ir::Graph& g, ir::TensorId id, const ir::Node& n, const PrecisionChoice& c,
                  const std::string& var) const {
    ir::Tensor& t = g.tensor(id);
    if (t.type && !c.from_layer_name) return;  // typed by the model (quantized): keep
    const std::string label = c.given ? c.origin + ": auto" : "default";
    if (c.text != "auto") {
      t.type = parse(c, n, var);
      t.origin = c.origin;
    } else if (t.is_const()) {
      if (t.values.empty()) throw Error(layer_where(n), "constant '" + t.name + "' has no values");
      const auto [lo, hi] = std::minmax_element(t.values.begin(), t.values.end());
      // Quantized models: values that some type of <= 18 bits holds exactly (bipolar weights, k * 2^-n,
      // all-zero biases: fixed<1,1>) get the narrowest such type; everything else the 18-bit rule.
      const bool exact_bias = var == "bias" && quantized_dense(g, n);
      const auto exact = exact_type(t.values, exact_bias ? kExactBiasWidth : kConstantWidth, false);
      if (exact) {
        t.type = *exact;
        t.type->rounding = numeric::Rounding::RND_CONV;
        t.type->overflow = numeric::Overflow::SAT;
        t.origin = with_quantizer(t.origin, label + (exact_bias ? " (exact: the float bias of a quantized layer)"
                                                                : " (exact: narrowest type holding every value)"));
      } else {
        t.type = fit_type(*lo, *hi, kConstantWidth);
        t.origin = with_quantizer(t.origin, label + fmt::format(" ({} bits for max |value| {:g})", kConstantWidth,
                                                                std::max(std::fabs(*lo), std::fabs(*hi))));
      }
    } else if (n.kind == ir::OpKind::Input) {
      t.type = kInputDefault;
      t.origin = label == "default" ? "default" : label + " (input default)";
      if (const InputRange* r = range_of(g, id)) {  // the data's range, 16 bits as the default
        t.type = fit_type(r->lo, r->hi, kInputDefault.width);
        t.origin = fmt::format("from the data ({}: [{:g}, {:g}] over {} samples; values beyond the type saturate)",
                               r->source, r->lo, r->hi, r->samples);
      }
    } else {
      t.type.reset();  // infer_precision decides
      t.origin = with_quantizer(t.origin, label);
    }
  }

  // Recurrent: the accumulators stay auto (lossless, infer_precision); the states and tables get their defaults
  // (docs/NUMERICS.md "Recurrent").
  static void set_recurrent_internals(const ir::Graph& g, ir::Node& n, const LayerConfig& lc) {
    const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
    std::vector<std::pair<std::string, std::optional<FixedType>>> vars = {
        {"accum", std::nullopt}, {"recurrent_accum", std::nullopt}, {"state", ir::default_state_type()},
        {"table", ir::cell_function(n, a.activation, false).entry}};
    if (a.cell == ir::CellKind::LSTM) vars.push_back({"cell_state", ir::default_cell_state_type(a.steps)});
    if (a.has_recurrent_activation())
      vars.push_back({"recurrent_table", ir::cell_function(n, a.recurrent_activation, true).entry});
    for (const auto& [var, def] : vars) {
      const PrecisionChoice c = lc.precision(n, var);
      if (n.types.count(var) && !c.from_layer_name) continue;  // typed by the model (a quantized state)
      if (c.text != "auto") n.types[var] = parse(c, n, var);
      else if (def) n.types[var] = *def;
      else n.types.erase(var);
    }
  }

  // GarNet: the internal types only from their own keys (a level's `default` is the weights' precision, as in
  // hls4ml), else firmnet's defaults; the reciprocal 1/V exact for a power of two, else 18 bits
  // (docs/NUMERICS.md "GarNet").
  static void set_garnet_internals(ir::Graph& g, ir::Node& n, const LayerConfig& lc) {
    for (const char* var : {"distance", "edge_weight", "edge_weight_aggr", "aggr"}) {
      const PrecisionChoice c = lc.precision(n, var, false);
      if (n.types.count(var) && !c.from_layer_name) continue;
      n.types[var] = c.text != "auto" ? parse(c, n, var) : ir::garnet_default_type(var);
    }
    ir::Tensor& r = g.tensor(n.param("reciprocal"));
    const auto exact = exact_type(r.values, kConstantWidth, true);
    r.type = exact ? *exact : numeric::make_type(kConstantWidth, 1 - ceil_log2(static_cast<int>(std::llround(1.0 / r.values.at(0)))), false,
                                                 numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
    r.type->rounding = numeric::Rounding::RND_CONV;
    r.type->overflow = numeric::Overflow::SAT;
    r.origin = exact ? "1/V, exact" : "1/V, 18 bits";
  }

  static void set_internal(ir::Node& n, const std::string& var, const LayerConfig& lc) {
    const bool used = (var == "accum" && (n.kind == ir::OpKind::Dense || n.kind == ir::OpKind::Conv || n.kind == ir::OpKind::Softmax ||
                                            avg_pool(n))) ||
                      (var == "table" && table_function(n)) ||
                      ((var == "exp_table" || var == "inv_table") && n.kind == ir::OpKind::Softmax);
    if (!used) return;
    const PrecisionChoice c = lc.precision(n, var);
    if (n.types.count(var) && !c.from_layer_name) return;
    if (c.text != "auto") {
      n.types[var] = parse(c, n, var);
    } else if (var == "accum") {
      n.types.erase(var);  // lossless, from infer_precision
    } else if (var == "table") {
      n.types[var] = table_function(n)->entry;
    } else {
      n.types[var] = var == "exp_table" ? kExpTableDefault : kInvTableDefault;
    }
  }
};

}  // namespace

std::unique_ptr<Pass> make_resolve_types() { return std::make_unique<ResolveTypes>(); }

}  // namespace firmnet::passes
