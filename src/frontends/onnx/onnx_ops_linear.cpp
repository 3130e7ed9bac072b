// Linear layers: Gemm and MatMul → Dense, BatchNormalization → BatchNorm.
#include <cmath>

#include "frontends/onnx/onnx_context.h"

namespace firmnet::frontends::onnx_detail {

namespace {

// The activation operand of a Dense: a [N, K] tensor (or [N, 1, ..., 1, K]) with the batch first.
int64_t dense_input_width(Context& ctx, const OnnxNode& n, const Value& a) {
  const auto& s = a.full_shape;
  if (a.batch_axis != 0 || s.size() < 2)
    ctx.fail(n, "input '" + n.proto.input(0) + "' of shape " + shape_str(s) +
                    " is not a [batch, features] tensor",
             "add a Flatten before the layer");
  for (size_t k = 1; k + 1 < s.size(); ++k)
    if (s[k] != 1)
      ctx.fail(n, "input '" + n.proto.input(0) + "' of shape " + shape_str(s) +
                      " would need a batched matrix product over axis " + std::to_string(k),
               "only [batch, features] inputs are supported; add a Flatten before the layer");
  return s.back();
}

// Adds the Dense node: weight [K, M] row-major (W[i][j] at i*M + j), bias [M].
size_t emit_dense(Context& ctx, const OnnxNode& n, const Value& a, std::vector<double> weight, int64_t k,
                  int64_t m, std::vector<double> bias) {
  std::vector<int64_t> out_shape = a.full_shape;
  out_shape.back() = m;
  const ir::TensorId x = a.id;
  const ir::TensorId y = ctx.add_activation(n, 0, out_shape);  // a Dense output is plain
  ir::Node& node = ctx.add_node(n, ir::OpKind::Dense);
  node.inputs = {x};
  node.outputs = {y};
  const std::string name = node.name;
  const ir::TensorId w = ctx.add_constant(name, "weight", {k, m}, std::move(weight));
  const ir::TensorId b = ctx.add_constant(name, "bias", {m}, std::move(bias));
  ir::Node& again = ctx.graph.nodes.back();
  again.params["weight"] = w;
  again.params["bias"] = b;
  return ctx.graph.nodes.size() - 1;
}

// A quantizer's exact type (QONNX Quant folded into the constant) carries over to the Dense parameter
// when the values were copied unchanged.
void carry_type(Context& ctx, ir::TensorId id, const Value& from) {
  ir::Tensor& t = ctx.graph.tensor(id);
  if (!from.origin.empty()) t.origin = from.origin;
  if (from.type) t.type = from.type;
}

}  // namespace

// Y = alpha * A * B' + beta * C with A the data, B the weight, C an optional bias.
void convert_gemm(Context& ctx, const OnnxNode& n) {
  if (ctx.attr_int(n, "transA", 0) != 0)
    ctx.fail(n, "transA=1 is not supported", "export the layer with the data as the first, untransposed operand");
  const int64_t trans_b = ctx.attr_int(n, "transB", 0);
  if (trans_b != 0 && trans_b != 1) ctx.fail(n, "transB=" + std::to_string(trans_b) + " is not 0 or 1");
  const double alpha = ctx.attr_float(n, "alpha", 1.0);
  const double beta = ctx.attr_float(n, "beta", 1.0);

  // A flattened map held in another order (e.g. channels-last) stays as it is: the weight rows are
  // permuted instead, at conversion, so that no data moves at run time.
  const Value& held = ctx.input_as_is(n, 0);
  const bool permute_rows = held.layout && !held.is_const && held.full_shape.size() == 2 && held.batch_axis == 0;
  const Value& a = permute_rows ? held : ctx.act_input(n, 0, "the data operand A");
  const Value& b = ctx.const_input(n, 1, "the weight B");
  if (a.full_shape.size() != 2) ctx.fail(n, "input A of shape " + shape_str(a.full_shape) + " is not 2-D", "add a Flatten before the Gemm");
  const int64_t k = dense_input_width(ctx, n, a);
  if (b.full_shape.size() != 2) ctx.fail(n, "weight B of shape " + shape_str(b.full_shape) + " is not 2-D");
  const int64_t bk = trans_b ? b.full_shape[1] : b.full_shape[0];
  const int64_t m = trans_b ? b.full_shape[0] : b.full_shape[1];
  if (bk != k)
    ctx.fail(n, "weight B of shape " + shape_str(b.full_shape) + (trans_b ? " (transB=1)" : "") +
                    " does not match the " + std::to_string(k) + " input features");
  if (m <= 0) ctx.fail(n, "weight B of shape " + shape_str(b.full_shape) + " has no outputs");

  std::vector<double> w(static_cast<size_t>(k * m));
  const std::vector<int64_t> row = permute_rows ? a.layout->model_index() : std::vector<int64_t>{};
  for (int64_t r = 0; r < k; ++r) {
    const int64_t i = permute_rows ? row[static_cast<size_t>(r)] : r;  // IR row r holds ONNX feature i
    for (int64_t j = 0; j < m; ++j)
      w[static_cast<size_t>(r * m + j)] = alpha * b.values[static_cast<size_t>(trans_b ? j * k + i : i * m + j)];
  }

  std::vector<double> bias(static_cast<size_t>(m), 0.0);
  if (ctx.has_input(n, 2)) {
    const Value& c = ctx.const_input(n, 2, "the bias C");
    const std::vector<int64_t> target = {1, m};
    if (ctx.opset < 7 && ctx.attr_int(n, "broadcast", 0) == 0 && c.full_shape.size() != 2)
      ctx.fail(n, "bias C of shape " + shape_str(c.full_shape) +
                      " is not [M, N] and the legacy (opset < 7) attribute broadcast is not 1",
               "re-export the model, or set broadcast=1 on the Gemm");
    auto bs = broadcast_shapes(c.full_shape, target);
    if (!bs || *bs != target)
      ctx.fail(n, "bias C of shape " + shape_str(c.full_shape) + " does not broadcast to [batch, " +
                      std::to_string(m) + "]");
    bias = broadcast_values(c.values, c.full_shape, target);
    for (double& x : bias) x *= beta;
  }
  const size_t idx = emit_dense(ctx, n, a, std::move(w), k, m, std::move(bias));
  const ir::Node& dense = ctx.graph.nodes[idx];
  if (alpha == 1.0) carry_type(ctx, dense.param("weight"), b);
  if (ctx.has_input(n, 2) && beta == 1.0) carry_type(ctx, dense.param("bias"), ctx.input(n, 2));
}

// Y = A * B with a constant B: a Dense with a zero bias, which a following Add of a constant may fill
// (see convert_add).
void convert_matmul(Context& ctx, const OnnxNode& n) {
  if (ctx.input(n, 0).is_const && !ctx.input(n, 1).is_const)
    ctx.fail(n, "the constant is the left operand (constant * data)", "only data * constant MatMul is supported");
  const Value& a = ctx.act_input(n, 0, "the data operand A");
  const Value& b = ctx.const_input(n, 1, "the weight B");
  const int64_t k = dense_input_width(ctx, n, a);
  if (b.full_shape.size() != 2)
    ctx.fail(n, "weight B of shape " + shape_str(b.full_shape) + " is not 2-D", "only [K, M] weights are supported");
  if (b.full_shape[0] != k)
    ctx.fail(n, "weight B of shape " + shape_str(b.full_shape) + " does not match the " + std::to_string(k) +
                    " input features");
  const int64_t m = b.full_shape[1];
  if (m <= 0) ctx.fail(n, "weight B of shape " + shape_str(b.full_shape) + " has no outputs");
  const size_t idx = emit_dense(ctx, n, a, b.values, k, m, std::vector<double>(static_cast<size_t>(m), 0.0));
  carry_type(ctx, ctx.graph.nodes[idx].param("weight"), b);
  ctx.foldable_dense[ctx.graph.nodes[idx].outputs[0]] = idx;
}

// BatchNorm of a channels-last map: per channel on the IR's last axis; the output is held channels-last.
static void map_batchnorm(Context& ctx, const OnnxNode& n, ir::TensorId in, const std::vector<int64_t>& full, double eps) {
  const int64_t c = full[1];
  std::vector<double> scale(static_cast<size_t>(c)), bias(static_cast<size_t>(c));
  for (int i = 1; i <= 4; ++i)
    if (ctx.const_input(n, i, "a BatchNormalization parameter").values.size() != static_cast<size_t>(c))
      ctx.fail(n, "scale/B/mean/var must each have the channel count " + std::to_string(c));
  for (size_t i = 0; i < scale.size(); ++i) {
    const double denom = ctx.const_input(n, 4, "input_var").values[i] + eps;
    if (!(denom > 0))
      ctx.fail(n, "variance + epsilon of channel " + std::to_string(i) + " is " + std::to_string(denom) + ", not positive");
    scale[i] = ctx.const_input(n, 1, "scale").values[i] / std::sqrt(denom);
    bias[i] = ctx.const_input(n, 2, "B").values[i] - ctx.const_input(n, 3, "input_mean").values[i] * scale[i];
  }
  const ir::Shape sample(full.begin() + 1, full.end());
  const ir::ModelLayout cl = channels_last_layout(sample);
  const ir::TensorId out = ctx.add_activation_held(n, 0, full, 0, cl, cl.view);
  ir::Node& node = ctx.add_node(n, ir::OpKind::BatchNorm);
  node.inputs = {in};
  node.outputs = {out};
  const std::string name = node.name;
  const ir::TensorId ps = ctx.add_constant(name, "scale", {c}, std::move(scale));
  const ir::TensorId pb = ctx.add_constant(name, "bias", {c}, std::move(bias));
  ctx.graph.nodes.back().params = {{"scale", ps}, {"bias", pb}};
}

// y = (x - mean) / sqrt(var + eps) * gamma + beta, folded into y = x*scale + bias per channel.
void convert_batchnorm(Context& ctx, const OnnxNode& n) {
  if (ctx.opset >= 14 && ctx.attr_int(n, "training_mode", 0) != 0)
    ctx.fail(n, "training_mode=1 is not supported", "export the model in inference mode (model.eval())");
  // Opsets 1-6: is_test (default 0, training: batch statistics) must be 1 for the stored statistics.
  if (ctx.opset < 7 && ctx.attr_int(n, "is_test", 0) == 0)
    ctx.fail(n, "is_test=0 (training mode, normalizing by batch statistics) is not supported",
             "export the model in inference mode (model.eval()), which writes is_test=1");
  const double eps = ctx.attr_float(n, "epsilon", 1e-5);
  // A map [N, C, spatial...] normalizes its channels: held channels-last, that is the IR's last axis.
  {
    const Value& h = ctx.input_as_is(n, 0);
    const ir::Shape hs = h.is_const ? ir::Shape{} : sample_shape(h);
    const bool spatial_bn = ctx.opset >= 9 || ctx.attr_int(n, "spatial", 1) != 0;
    if (!h.is_const && h.batch_axis == 0 && (hs.size() == 2 || hs.size() == 3) && spatial_bn &&
        ir::num_elements(hs) != hs[0]) {
      const std::vector<int64_t> full = h.full_shape;
      const ir::TensorId in = ctx.channels_last_input(n, 0, "the data X");
      return map_batchnorm(ctx, n, in, full, eps);
    }
  }
  const Value& x = ctx.act_input(n, 0, "the data X");
  const Value& gamma = ctx.const_input(n, 1, "scale");
  const Value& beta = ctx.const_input(n, 2, "B");
  const Value& mean = ctx.const_input(n, 3, "input_mean");
  const Value& var = ctx.const_input(n, 4, "input_var");
  const size_t c = gamma.values.size();
  if (c == 0 || beta.values.size() != c || mean.values.size() != c || var.values.size() != c)
    ctx.fail(n, "scale/B/mean/var have " + std::to_string(gamma.values.size()) + "/" +
                    std::to_string(beta.values.size()) + "/" + std::to_string(mean.values.size()) + "/" +
                    std::to_string(var.values.size()) + " elements; they must all have the channel count");
  for (int i = 1; i < n.proto.output_size(); ++i)
    if (!n.proto.output(i).empty())
      ctx.warn(n, "training-only output '" + n.proto.output(i) + "' is not computed");

  // The IR normalizes the last axis (c = flat index mod C), ONNX normalizes axis 1 ([N, C, D1, ...]).
  // They agree when every element of a sample is its own channel ([N, C], [N, C, 1, 1]). tf2onnx's Keras
  // export wraps BN in Transposes that move the batch axis ([1, C] -> [C, 1]); there too each element is a
  // channel. opset < 9 with spatial=0 normalizes per element by definition.
  const ir::Shape s = sample_shape(x);
  const bool spatial = ctx.opset >= 9 || ctx.attr_int(n, "spatial", 1) != 0;
  const bool per_element = ir::num_elements(s) == static_cast<int64_t>(c);
  const bool axis1_ok = !spatial || x.batch_axis != 0 || (x.full_shape.size() >= 2 && x.full_shape[1] == static_cast<int64_t>(c));
  if (!per_element || !axis1_ok)
    ctx.fail(n, "normalizing " + std::to_string(c) + " channels of input '" + n.proto.input(0) + "' of shape " +
                    shape_str(x.full_shape) + " is not supported",
             "firmnet's BatchNorm acts on [batch, features] data (one channel per feature); channels-first "
             "feature maps are not supported");

  std::vector<double> scale(c), bias(c);
  for (size_t i = 0; i < c; ++i) {
    const double denom = var.values[i] + eps;
    if (!(denom > 0))
      ctx.fail(n, "variance + epsilon of channel " + std::to_string(i) + " is " + std::to_string(denom) +
                      ", not positive");
    scale[i] = gamma.values[i] / std::sqrt(denom);
    bias[i] = beta.values[i] - mean.values[i] * scale[i];
  }
  const ir::TensorId in = x.id;
  const std::vector<int64_t> full = x.full_shape;
  const int batch_axis = x.batch_axis;
  const ir::TensorId out = ctx.add_activation(n, 0, full, batch_axis);
  ir::Node& node = ctx.add_node(n, ir::OpKind::BatchNorm);
  node.inputs = {in};
  node.outputs = {out};
  const std::string name = node.name;
  const auto cc = static_cast<int64_t>(c);
  const ir::TensorId ps = ctx.add_constant(name, "scale", {cc}, std::move(scale));
  const ir::TensorId pb = ctx.add_constant(name, "bias", {cc}, std::move(bias));
  ctx.graph.nodes.back().params = {{"scale", ps}, {"bias", pb}};
}

}  // namespace firmnet::frontends::onnx_detail
