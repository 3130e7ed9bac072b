// absorb_input_quantizers: a graph input read only by a quantizer of the model (a Quantize node, i.e. a
// QONNX Quant with a power-of-two scale, or a MultiThreshold: a QONNX Quant with another scale, a
// BipolarQuant, a FINN MultiThreshold) gets that quantizer's output type, and the quantizer itself becomes
// the input conversion (ir::InputQuantizer): predict, the float reference and the testbench apply it to the
// float value exactly as QONNX does, and the firmware's input port carries its exact levels. Without this,
// the float input would first be cast to the default input type and then quantized: a double rounding.
// A precision the configuration sets for the input by LayerName still wins; the quantizer node then stays
// and a warning says that the input is rounded twice.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "numeric/quantizer.h"
#include "passes/internal.h"
#include "passes/layer_config.h"

namespace firmnet::passes {

namespace {

// Above this many thresholds per channel the testbench's tables would be large; such inputs keep the cast.
constexpr int64_t kMaxInputThresholds = 1 << 16;

std::optional<ir::InputQuantizer> from_quantize(const ir::Graph& g, const ir::Node& n) {
  const ir::Tensor& y = g.tensor(n.outputs[0]);
  const auto mode = numeric::parse_quant_mode(n.attr_str("rounding_mode"));
  if (!mode || !y.type) return std::nullopt;
  ir::InputQuantizer q;
  q.kind = ir::InputQuantizer::Kind::Quant;
  q.log2_scale = static_cast<int>(n.attr_int("log2_scale"));
  q.zero_point = n.attr_int("zero_point");
  q.qmin = n.attr_int("qmin");
  q.qmax = n.attr_int("qmax");
  q.mode = static_cast<int>(*mode);
  // The levels must be the output type's raw values, and exact as doubles (the testbench's port values).
  if (y.type->frac() != -q.log2_scale || q.qmin - q.zero_point < y.type->raw_min() ||
      q.qmax - q.zero_point > y.type->raw_max() || y.type->width > 53 || std::abs(q.log2_scale) > 900)
    return std::nullopt;
  q.description = y.origin;
  return q;
}

std::optional<ir::InputQuantizer> from_multithreshold(const ir::Graph& g, const ir::Node& n,
                                                      numeric::FixedType& type) {
  const ir::Tensor& th = g.tensor(n.param("thresholds"));
  const ir::Tensor& x = g.tensor(n.inputs[0]);
  if (th.shape.size() != 2 || static_cast<int64_t>(th.values.size()) != th.size() || th.shape[1] > kMaxInputThresholds)
    return std::nullopt;
  ir::InputQuantizer q;
  q.kind = ir::InputQuantizer::Kind::Thresholds;
  q.rows = th.shape[0];
  q.count = th.shape[1];
  q.numel = x.size();
  q.channels_last = !(n.has_attr("data_layout") && n.attr_str("data_layout") == "NCHW");
  q.channels = x.shape.empty() ? 1 : (q.channels_last ? x.shape.back() : x.shape.front());
  if (q.rows != 1 && q.rows != q.channels) return std::nullopt;
  q.thresholds = th.values;
  for (int64_t r = 0; r < q.rows; ++r)
    if (!std::is_sorted(q.thresholds.begin() + r * q.count, q.thresholds.begin() + (r + 1) * q.count))
      return std::nullopt;
  if (n.has_attr("strict")) {
    const auto& s = n.attr_ints("strict");
    if (static_cast<int64_t>(s.size()) != q.count) return std::nullopt;
    for (int64_t v : s) q.strict.push_back(v ? 1 : 0);
  }
  q.levels = ir::threshold_levels(g, n);
  // The port type: the exact type of the levels (what infer_precision gives the MultiThreshold's output).
  const ir::Tensor& y = g.tensor(n.outputs[0]);
  if (y.type) {
    for (double v : q.levels)
      if (numeric::quantize_double(v, *y.type).overflow ||
          y.type->to_double(numeric::quantize_double(v, *y.type).raw) != v)
        return std::nullopt;
    type = *y.type;
  } else {
    const auto t = exact_type(q.levels, 53, true);
    if (!t) return std::nullopt;
    type = *t;
    type.rounding = numeric::Rounding::RND_CONV;
    type.overflow = numeric::Overflow::SAT;
  }
  q.description = y.origin.empty() ? "MultiThreshold '" + n.name + "'" : y.origin;
  return q;
}

class AbsorbInputQuantizers : public Pass {
 public:
  const char* name() const override { return "absorb_input_quantizers"; }

  bool run(ir::Graph& g, PassContext& ctx) override {
    const LayerConfig lc(ctx.config);
    std::vector<int> drop;
    for (ir::TensorId id : g.inputs) {
      ir::Tensor& t = g.tensor(id);
      if (t.type || g.is_output(id)) continue;  // typed by the model (FINN annotation): already integer
      const auto users = g.consumers(id);
      if (users.size() != 1) continue;
      const ir::Node& c = g.nodes[static_cast<size_t>(users[0])];
      if (c.inputs.size() != 1) continue;
      std::optional<ir::InputQuantizer> q;
      numeric::FixedType type;
      if (c.kind == ir::OpKind::Quantize) {
        q = from_quantize(g, c);
        if (q) type = *g.tensor(c.outputs[0]).type;
      } else if (c.kind == ir::OpKind::MultiThreshold) {
        q = from_multithreshold(g, c, type);
      }
      if (!q) continue;
      const int in_node = g.producer(id) >= 0 ? g.producer(id) : input_node(g, id);
      if (in_node >= 0) {
        ir::Node& input = g.nodes[static_cast<size_t>(in_node)];
        const PrecisionChoice p = lc.precision(input, "result");
        if (p.from_layer_name) {
          const std::string note = fmt::format(
              "the input is rounded twice: first to the configured precision ({}, from {}), then by the model's "
              "input quantizer {} in layer '{}'", p.text, p.origin, q->description, c.name);
          input.attrs["rounded_twice"] = note;
          ctx.warnings.push_back({"input '" + t.name + "'", note + "; remove the input's LayerName Precision to "
                                                          "apply the quantizer to the float input directly"});
          continue;
        }
      }
      t.type = type;
      t.origin = q->description + " (the model's input quantizer, applied to the float input)";
      t.quantizer = std::move(q);
      g.replace_uses(c.outputs[0], id);
      drop.push_back(users[0]);
    }
    if (drop.empty()) return false;
    g.erase_nodes(drop);
    return true;
  }

 private:
  static int input_node(const ir::Graph& g, ir::TensorId id) {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].kind == ir::OpKind::Input && !g.nodes[i].outputs.empty() && g.nodes[i].outputs[0] == id)
        return static_cast<int>(i);
    return -1;
  }
};

}  // namespace

std::unique_ptr<Pass> make_absorb_input_quantizers() { return std::make_unique<AbsorbInputQuantizers>(); }

}  // namespace firmnet::passes
