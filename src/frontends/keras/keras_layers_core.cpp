// Core Keras layers: Dense (QDense), Activation and the activation layers (ReLU, LeakyReLU, PReLU, ELU,
// ThresholdedReLU, Softmax), BatchNormalization, Dropout and other inference no-ops, Flatten, Reshape, Permute.
#include <cmath>

#include <fmt/format.h>

#include "frontends/keras/keras_context.h"
#include "frontends/prelu.h"

namespace firmnet::frontends::keras {

namespace {

const Value& single_input(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  return ctx.plain(l, in[0]);
}

// A scalar activation parameter: Activation(function) with params.
Value unary(Context& ctx, const Layer& l, const Value& x, const char* fn) {
  Value y = ctx.emit(l, ir::OpKind::Activation, {x}, x.shape);
  ctx.graph.nodes.back().attrs["function"] = std::string(fn);
  return y;
}

Value leaky(Context& ctx, const Layer& l, const Value& x, double alpha) {
  if (!std::isfinite(alpha)) ctx.fail(l, "the negative slope is not finite");
  Value y = unary(ctx, l, x, "leaky_relu");
  ctx.graph.nodes.back().attrs["alpha"] = alpha;
  ctx.param("alpha", {1}, {alpha});
  return y;
}

}  // namespace

QuantizedConst layer_weight(Context& ctx, const Layer& l, const std::string& key, const std::string& role,
                            const ir::Shape& shape, std::vector<double> values) {
  if ((l.cls == "BinaryDense" || l.cls == "TernaryDense") && key == "kernel_quantizer")
    return binarynet_kernel(ctx, l, std::move(values));
  if (!l.cls.empty() && l.cls[0] == 'Q' && ctx.has(l, key)) {
    const json& q = ctx.get(l, key);
    return quantize_weights(ctx, l, q, role, shape, std::move(values));
  }
  return {std::move(values), std::nullopt, {}};
}

Value layer_activation(Context& ctx, const Layer& l, const Value& y) {
  if (!ctx.has(l, "activation")) return y;
  const json& a = ctx.get(l, "activation");
  if (is_quantizer(a)) return quantize_activation(ctx, l, y, a, "act");
  const std::string fn = ctx.activation_name(l, a);
  if (!l.cls.empty() && l.cls[0] == 'Q' && !is_hgq_layer(ctx, l)) return keras_or_qkeras_activation(ctx, l, y, fn, fn);
  return ctx.activation(l, y, fn, fn);
}

std::vector<Value> convert_dense(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (l.cls == "QDense" && is_hgq_layer(ctx, l)) return convert_hgq_dense(ctx, l, in);
  const Value x = single_input(ctx, l, in);
  const int64_t units = ctx.get_int(l, "units");
  if (units <= 0 || units > kMaxElements) ctx.fail(l, fmt::format("units = {} is out of range", units));
  const bool use_bias = ctx.get_bool(l, "use_bias", true);
  const int64_t cin = x.shape.back();
  const Array& k = ctx.weight(l, 0, "kernel", {cin, units});
  std::vector<double> bias(static_cast<size_t>(units), 0.0);
  if (use_bias) bias = ctx.weight(l, 1, "bias", {units}).values;
  QuantizedConst w = layer_weight(ctx, l, "kernel_quantizer", "kernel", {cin, units}, k.values);
  QuantizedConst b = use_bias ? layer_weight(ctx, l, "bias_quantizer", "bias", {units}, bias)
                              : QuantizedConst{bias, std::nullopt, {}};
  Value y;
  if (x.shape.size() == 1) {
    y = ctx.emit(l, ir::OpKind::Dense, {x}, {units});
    ctx.param("weight", {cin, units}, std::move(w.values), w.type, w.origin);
    ctx.param("bias", {units}, std::move(b.values), b.type, b.origin);
  } else if (x.shape.size() <= 3) {
    // Keras applies Dense to the last axis of a map: a pointwise convolution.
    ConvSpec s;
    const size_t r = x.shape.size() - 1;
    s.kernel.assign(r, 1), s.strides.assign(r, 1), s.dilations.assign(r, 1);
    s.out_channels = units;
    s.weight = std::move(w);
    s.bias = std::move(b);
    y = emit_conv(ctx, l, x, s, "");
  } else {
    ctx.fail(l, fmt::format("a Dense layer on an input of shape {} is not supported", ir::to_string(x.shape)),
             "add a Flatten before the layer");
  }
  return {layer_activation(ctx, l, y)};
}

std::vector<Value> convert_activation(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const std::string fn = ctx.activation_name(l, ctx.get(l, "activation"));
  Value y = ctx.activation(l, x, fn, "");
  if (y.id == x.id) {  // linear: keep a node so that the layer's name exists
    y = unary(ctx, l, x, "linear");
  }
  return {y};
}

std::vector<Value> convert_relu(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const double threshold = ctx.get_float(l, "threshold", 0.0);
  const double slope = ctx.get_float(l, "negative_slope", 0.0);
  const bool bounded = ctx.has(l, "max_value");
  if (threshold != 0.0)
    ctx.fail(l, fmt::format("ReLU with threshold {} is not supported", threshold), "use threshold 0");
  if (bounded && slope != 0.0)
    ctx.fail(l, "ReLU with both max_value and negative_slope is not supported",
             "use ReLU(max_value) or LeakyReLU, not both in one layer");
  if (bounded) {
    const double hi = ctx.get_float(l, "max_value");
    if (!(hi > 0) || !std::isfinite(hi)) ctx.fail(l, fmt::format("max_value {} is not a positive number", hi));
    Value y = unary(ctx, l, x, "clip");
    ctx.param("min", {1}, {0.0});
    ctx.param("max", {1}, {hi});
    return {y};
  }
  if (slope != 0.0) return {leaky(ctx, l, x, slope)};
  return {unary(ctx, l, x, "relu")};
}

std::vector<Value> convert_leaky_relu(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  // Keras 2 calls the slope 'alpha', Keras 3 'negative_slope'; both default to 0.3.
  const double alpha = ctx.has(l, "negative_slope") ? ctx.get_float(l, "negative_slope") : ctx.get_float(l, "alpha", 0.3);
  return {leaky(ctx, l, x, alpha)};
}

// PReLU(x) = x >= 0 ? x : alpha * x: alpha has the input's shape with 1 on the shared axes, broadcast to the
// input; the IR is the frontends' shared PReLU form (frontends/prelu.h).
std::vector<Value> convert_prelu(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const std::vector<Array>& w = ctx.weights(l, 1);
  const Array& a = w[0];
  const int64_t numel = ir::num_elements(x.shape);
  // alpha's shape aligned with the input's trailing axes (Keras drops none; a scalar or [C] aligns at the end).
  const size_t r = x.shape.size();
  if (a.shape.size() > r)
    ctx.fail(l, fmt::format("alpha of shape {} does not match the input {}", ir::to_string(a.shape), ir::to_string(x.shape)),
             "alpha has the input's shape with 1 on the shared axes");
  ir::Shape ashape(r - a.shape.size(), 1);
  ashape.insert(ashape.end(), a.shape.begin(), a.shape.end());
  for (size_t k = 0; k < r; ++k)
    if (ashape[k] != 1 && ashape[k] != x.shape[k])
      ctx.fail(l, fmt::format("alpha of shape {} does not match the input {}", ir::to_string(a.shape),
                              ir::to_string(x.shape)),
               "alpha has the input's shape with 1 on the shared axes");
  if (ir::num_elements(ashape) != static_cast<int64_t>(a.values.size()))
    ctx.fail(l, fmt::format("alpha holds {} values for its shape {}", a.values.size(), ir::to_string(a.shape)));
  std::vector<double> alpha(static_cast<size_t>(numel));
  for (int64_t i = 0; i < numel; ++i) {  // input index -> alpha index (size-1 axes read element 0)
    int64_t rest = i, ai = 0, stride = 1;
    for (size_t k = r; k-- > 0;) {
      const int64_t idx = rest % x.shape[k];
      rest /= x.shape[k];
      if (ashape[k] != 1) ai += idx * stride;
      stride *= ashape[k];
    }
    alpha[static_cast<size_t>(i)] = a.values[static_cast<size_t>(ai)];
  }
  const PreluNodeFn node = [&](ir::OpKind kind, const std::vector<ir::TensorId>& inputs, const std::string& suffix,
                               bool) {
    std::vector<Value> vs;
    for (ir::TensorId id : inputs) vs.push_back(Value{id, x.shape, {}, {}});
    return ctx.emit(l, kind, vs, x.shape, suffix).id;
  };
  const PreluConstFn constant = [&](const std::string& node_name, const std::string& role, ir::Shape shape,
                                    std::vector<double> values) {
    return ctx.add_constant(node_name, role, std::move(shape), std::move(values));
  };
  return {Value{build_prelu(ctx.graph, x.id, std::move(alpha), l.where, node, constant), x.shape, {}, {}}};
}

std::vector<Value> convert_elu(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const double alpha = ctx.get_float(l, "alpha", 1.0);
  Value y = unary(ctx, l, x, "elu");
  ctx.graph.nodes.back().attrs["alpha"] = alpha;
  return {y};
}

std::vector<Value> convert_thresholded_relu(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const double theta = ctx.get_float(l, "theta", 1.0);
  if (theta != 0.0)
    ctx.fail(l, fmt::format("ThresholdedReLU with theta {} is not supported", theta),
             "firmnet has no thresholded ReLU yet (theta 0 is a ReLU)");
  return {unary(ctx, l, x, "relu")};
}

std::vector<Value> convert_softmax(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const json* axis = ctx.has(l, "axis") ? &ctx.get(l, "axis") : nullptr;
  if (axis) {
    int64_t a = 0;
    if (axis->is_number_integer()) a = axis->get<int64_t>();
    else if (axis->is_array() && axis->size() == 1 && (*axis)[0].is_number_integer()) a = (*axis)[0].get<int64_t>();
    else ctx.fail(l, "axis " + axis->dump() + " is not supported", "firmnet computes softmax over the last axis");
    if (a != -1 && a != static_cast<int64_t>(x.shape.size()))
      ctx.fail(l, fmt::format("softmax over axis {} of a [batch, {}] input is not supported", a, ir::to_string(x.shape)),
               "firmnet computes softmax over the last axis");
  }
  return {ctx.emit(l, ir::OpKind::Softmax, {x}, x.shape)};
}

std::vector<Value> convert_batchnorm(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const auto rank = static_cast<int64_t>(x.shape.size());
  if (ctx.has(l, "axis")) {
    const json& a = ctx.get(l, "axis");
    int64_t axis = 0;
    if (a.is_number_integer()) axis = a.get<int64_t>();
    else if (a.is_array() && a.size() == 1 && a[0].is_number_integer()) axis = a[0].get<int64_t>();
    else ctx.fail(l, "axis " + a.dump() + " is not supported", "normalize over the channels (the last axis)");
    if (axis != -1 && axis != rank)
      ctx.fail(l, fmt::format("normalization over axis {} of a [batch, {}] input is not supported", axis,
                              ir::to_string(x.shape)),
               "normalize over the channels (the last axis, axis=-1)");
  }
  const bool scale = ctx.get_bool(l, "scale", true), center = ctx.get_bool(l, "center", true);
  const double eps = ctx.get_float(l, "epsilon", 1e-3);
  const int64_t c = x.shape.back();
  size_t k = 0;
  std::vector<double> gamma(static_cast<size_t>(c), 1.0), beta(static_cast<size_t>(c), 0.0);
  // QBatchNormalization (QKeras): each parameter through its quantizer (gamma_quantizer, beta_quantizer,
  // mean_quantizer, variance_quantizer; None: as it is), then the float batch norm of the quantized values.
  const auto param = [&](const char* key, const char* role) {
    return layer_weight(ctx, l, key, role, {c}, ctx.weight(l, k++, role, {c}).values).values;
  };
  if (scale) gamma = param("gamma_quantizer", "gamma");
  if (center) beta = param("beta_quantizer", "beta");
  const std::vector<double> mean = param("mean_quantizer", "moving_mean");
  const std::vector<double> var = param("variance_quantizer", "moving_variance");
  std::vector<double> s(static_cast<size_t>(c)), b(static_cast<size_t>(c));
  for (size_t i = 0; i < s.size(); ++i) {
    if (!(var[i] + eps > 0)) ctx.fail(l, fmt::format("channel {}: moving_variance + epsilon = {} is not positive", i, var[i] + eps));
    s[i] = gamma[i] / std::sqrt(var[i] + eps);
    b[i] = beta[i] - mean[i] * s[i];
  }
  Value y = ctx.emit(l, ir::OpKind::BatchNorm, {x}, x.shape);
  ctx.param("scale", {c}, std::move(s));
  ctx.param("bias", {c}, std::move(b));
  return {y};
}

std::vector<Value> convert_identity(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  return {single_input(ctx, l, in)};
}

std::vector<Value> convert_flatten(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  if (ctx.has(l, "data_format") && ctx.get_str(l, "data_format") != "channels_last")
    ctx.fail(l, "data_format '" + ctx.get_str(l, "data_format") + "' is not supported", "use channels_last");
  if (x.shape.size() == 1) return {x};
  return {ctx.emit(l, ir::OpKind::Reshape, {x}, {ir::num_elements(x.shape)})};
}

std::vector<Value> convert_reshape(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const json& t = ctx.get(l, "target_shape");
  if (!t.is_array() || t.empty()) ctx.fail(l, "target_shape " + t.dump() + " is not a list");
  ir::Shape s;
  int unknown = -1;
  int64_t known = 1;
  for (size_t k = 0; k < t.size(); ++k) {
    if (!t[k].is_number_integer()) ctx.fail(l, "target_shape " + t.dump() + " holds a non-integer");
    const int64_t d = t[k].get<int64_t>();
    if (d == -1 && unknown < 0) {
      unknown = static_cast<int>(k);
      s.push_back(1);
      continue;
    }
    if (d <= 0 || d > kMaxElements || known * d > kMaxElements) ctx.fail(l, "target_shape " + t.dump() + " is invalid");
    known *= d;
    s.push_back(d);
  }
  const int64_t n = ir::num_elements(x.shape);
  if (unknown >= 0) {
    if (n % known != 0) ctx.fail(l, fmt::format("target_shape {} does not fit {} values", t.dump(), n));
    s[static_cast<size_t>(unknown)] = n / known;
  }
  if (ir::num_elements(s) != n)
    ctx.fail(l, fmt::format("target_shape {} does not hold the {} values of {}", t.dump(), n, ir::to_string(x.shape)));
  if (s == x.shape) return {x};
  return {ctx.emit(l, ir::OpKind::Reshape, {x}, s)};
}

std::vector<Value> convert_permute(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const Value x = single_input(ctx, l, in);
  const json& d = ctx.get(l, "dims");
  if (!d.is_array() || d.size() != x.shape.size()) ctx.fail(l, "dims " + d.dump() + " do not match the input rank");
  std::vector<int64_t> perm;
  std::vector<bool> used(x.shape.size(), false);
  ir::Shape out;
  for (const json& e : d) {
    if (!e.is_number_integer()) ctx.fail(l, "dims " + d.dump() + " holds a non-integer");
    const int64_t a = e.get<int64_t>() - 1;  // Keras counts the batch as axis 0
    if (a < 0 || a >= static_cast<int64_t>(x.shape.size()) || used[static_cast<size_t>(a)])
      ctx.fail(l, "dims " + d.dump() + " is not a permutation of the axes 1.." + std::to_string(x.shape.size()));
    used[static_cast<size_t>(a)] = true;
    perm.push_back(a);
    out.push_back(x.shape[static_cast<size_t>(a)]);
  }
  bool identity = true;
  for (size_t k = 0; k < perm.size(); ++k) identity = identity && perm[k] == static_cast<int64_t>(k);
  if (identity) return {x};
  Value y = ctx.emit(l, ir::OpKind::Transpose, {x}, out);
  ctx.graph.nodes.back().attrs["perm"] = perm;
  return {y};
}

}  // namespace firmnet::frontends::keras
