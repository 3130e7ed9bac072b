// Activations: elementwise functions → Activation (attr "function"), Clip → relu/hard_tanh, Softmax.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "frontends/onnx/onnx_context.h"
#include "frontends/prelu.h"

namespace firmnet::frontends::onnx_detail {

namespace {

// Emits Activation(function) on input 0 → output 0 and returns its index in graph.nodes.
size_t emit_activation(Context& ctx, const OnnxNode& n, const std::string& function) {
  const Value& x = ctx.input_as_is(n, 0);  // elementwise: any layout
  if (x.is_const) ctx.fail(n, "the data X (input '" + n.proto.input(0) + "') is a constant; expected a data tensor");
  const ir::TensorId in = x.id;
  const ir::TensorId out = ctx.add_activation_like(n, 0, x);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Activation);
  node.inputs = {in};
  node.outputs = {out};
  node.attrs["function"] = function;
  return ctx.graph.nodes.size() - 1;
}

// A float parameter of size [1] of node `idx` (e.g. leaky_relu's alpha).
void add_scalar_param(Context& ctx, size_t idx, const std::string& role, double value) {
  const ir::TensorId t = ctx.add_constant(ctx.graph.nodes[idx].name, role, {1}, {value});
  ctx.graph.nodes[idx].params[role] = t;
}

// Clip bounds: attributes before opset 11, optional constant inputs from opset 11.
double clip_bound(Context& ctx, const OnnxNode& n, int input, const char* attr, double def) {
  if (ctx.opset < 11) return ctx.attr_float(n, attr, def);
  if (!ctx.has_input(n, input)) return def;
  const Value& v = ctx.const_input(n, input, std::string("the ") + attr + " bound");
  if (v.values.size() != 1) ctx.fail(n, std::string("the ") + attr + " bound is not a scalar");
  return v.values[0];
}

}  // namespace

void convert_function(Context& ctx, const OnnxNode& n, ir::ActivationFn f) { emit_activation(ctx, n, ir::name(f)); }

void convert_leaky_relu(Context& ctx, const OnnxNode& n) {
  const double alpha = ctx.attr_float(n, "alpha", 0.01);
  const size_t idx = emit_activation(ctx, n, "leaky_relu");
  ctx.graph.nodes[idx].attrs["alpha"] = alpha;
  add_scalar_param(ctx, idx, "alpha", alpha);
}

void convert_elu(Context& ctx, const OnnxNode& n) {
  const double alpha = ctx.attr_float(n, "alpha", 1.0);
  const size_t idx = emit_activation(ctx, n, "elu");
  ctx.graph.nodes[idx].attrs["alpha"] = alpha;
}

void convert_selu(Context& ctx, const OnnxNode& n) {
  // ONNX defaults, as float32 values.
  const double alpha = ctx.attr_float(n, "alpha", 1.67326319217681884765625);
  const double gamma = ctx.attr_float(n, "gamma", 1.05070102214813232421875);
  const size_t idx = emit_activation(ctx, n, "selu");
  ctx.graph.nodes[idx].attrs["alpha"] = alpha;
  ctx.graph.nodes[idx].attrs["gamma"] = gamma;
  add_scalar_param(ctx, idx, "gamma", gamma);
}

// y = clamp(alpha*x + beta, 0, 1)
void convert_hard_sigmoid(Context& ctx, const OnnxNode& n) {
  const double alpha = ctx.attr_float(n, "alpha", 0.2);
  const double beta = ctx.attr_float(n, "beta", 0.5);
  const size_t idx = emit_activation(ctx, n, "hard_sigmoid");
  ctx.graph.nodes[idx].attrs["alpha"] = alpha;
  ctx.graph.nodes[idx].attrs["beta"] = beta;
  add_scalar_param(ctx, idx, "slope", alpha);
  add_scalar_param(ctx, idx, "offset", beta);
}

void convert_clip(Context& ctx, const OnnxNode& n) {
  const double inf = std::numeric_limits<double>::infinity();
  double lo = clip_bound(ctx, n, 1, "min", -inf);
  double hi = clip_bound(ctx, n, 2, "max", inf);
  // Exporters spell "no bound" as ±FLT_MAX.
  if (lo <= -FLT_MAX) lo = -inf;
  if (hi >= FLT_MAX) hi = inf;
  if (lo == 0 && hi == inf) {
    emit_activation(ctx, n, "relu");
  } else if (lo == -1 && hi == 1) {
    emit_activation(ctx, n, "hard_tanh");
  } else if (std::isfinite(lo) && std::isfinite(hi)) {  // e.g. ReLU6 = Clip(0, 6)
    const size_t idx = emit_activation(ctx, n, "clip");
    add_scalar_param(ctx, idx, "min", lo);
    add_scalar_param(ctx, idx, "max", hi);
  } else {
    ctx.fail(n, "Clip(min=" + std::to_string(lo) + ", max=" + std::to_string(hi) + ") with one open bound is not supported",
             "Clip(0, inf) (ReLU) and Clip with two finite bounds (e.g. ReLU6) are supported");
  }
}

// PRelu(X, slope) = X >= 0 ? X : slope·X, slope a constant broadcast unidirectionally to X (opset 7 on: one
// value, [C, 1, 1] per channel of a map, [C] per feature of a vector, or per element); opsets 1-6: one value or
// X's shape. The IR is the frontends' shared PReLU form (frontends/prelu.h), on X as held (a map stays
// channels-last: the slopes are permuted into that order).
void convert_prelu(Context& ctx, const OnnxNode& n) {
  const Value x = ctx.input_as_is(n, 0);
  if (x.is_const) ctx.fail(n, "the data X (input '" + n.proto.input(0) + "') is a constant; expected a data tensor");
  const Value& s = ctx.const_input(n, 1, "the slope");
  const auto shape = broadcast_shapes(x.full_shape, s.full_shape);
  const bool legacy_ok = s.values.size() == 1 || s.full_shape == x.full_shape ||
                         (s.full_shape.size() + 1 == x.full_shape.size() &&
                          std::equal(s.full_shape.begin(), s.full_shape.end(), x.full_shape.begin() + 1));
  if (!shape || *shape != x.full_shape || (ctx.opset < 7 && !legacy_ok))
    ctx.fail(n, "slope of shape " + shape_str(s.full_shape) + " does not broadcast to the data shape " +
                    shape_str(x.full_shape) + " (batch counted as 1)",
             "one slope, one per channel ([C, 1, 1] for an NCHW map, [C] for a vector), or one per element");
  std::vector<double> alpha = broadcast_values(s.values, s.full_shape, x.full_shape);
  if (x.layout) alpha = x.layout->to_held(alpha);  // in the order the data is held
  const ir::Shape held = ctx.graph.tensor(x.id).shape;
  const PreluNodeFn node = [&](ir::OpKind kind, const std::vector<ir::TensorId>& inputs, const std::string& suffix,
                               bool last) {
    if (last) {
      const ir::TensorId out = ctx.add_activation_like(n, 0, x);
      ir::Node& nd = ctx.add_node(n, kind);
      nd.inputs = inputs;
      nd.outputs = {out};
      return out;
    }
    const ir::TensorId out = ctx.add_internal_node(n, kind, inputs.at(0), held, "_" + suffix);
    ctx.graph.nodes.back().inputs = inputs;
    ctx.graph.nodes.back().source = n.source;
    return out;
  };
  const PreluConstFn constant = [&](const std::string& node_name, const std::string& role, ir::Shape cshape,
                                    std::vector<double> values) {
    return ctx.add_constant(node_name, role, std::move(cshape), std::move(values));
  };
  build_prelu(ctx.graph, x.id, std::move(alpha), n.where, node, constant);
}

void convert_softmax(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.act_input(n, 0, "the data X");
  const auto rank = static_cast<int64_t>(x.full_shape.size());
  // opset < 13 flattens axes [axis, rank) into one: the same as the last axis when the others are 1.
  int64_t axis = ctx.attr_int(n, "axis", ctx.opset < 13 ? 1 : -1);
  if (axis < -rank || axis >= rank)
    ctx.fail(n, "axis " + std::to_string(axis) + " is out of range for shape " + shape_str(x.full_shape));
  if (axis < 0) axis += rank;
  bool last = axis == rank - 1;
  if (ctx.opset < 13 && axis > 0) {
    last = true;
    for (int64_t k = axis; k + 1 < rank; ++k) last = last && x.full_shape[static_cast<size_t>(k)] == 1;
  }
  if (x.batch_axis != 0 || axis == 0 || !last)
    ctx.fail(n, "softmax over axis " + std::to_string(axis) + " of shape " + shape_str(x.full_shape) +
                    " is not supported",
             "firmnet computes softmax over the last axis of [batch, ..., classes] data");
  const ir::TensorId in = x.id;
  const std::vector<int64_t> full = x.full_shape;
  const ir::TensorId out = ctx.add_activation(n, 0, full);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Softmax);
  node.inputs = {in};
  node.outputs = {out};
}

}  // namespace firmnet::frontends::onnx_detail
