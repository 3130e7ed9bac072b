// BinaryNet's Keras layers, as hls4ml's example models use them (KERAS_3layer_binary_smaller,
// KERAS_3layer_ternary_small, keras_bnn): custom layers of the BinaryNet Keras code, not part of Keras.
//   BinaryDense(H):  kernel = H * binary_tanh(W / H)
//   TernaryDense(H): kernel = H * ternarize(W / H): +1 where W/H > 0.5, -1 where W/H <= -0.5, else 0
//   binary_tanh(x)  = 2 * round(clip(0.5 x + 0.5, 0, 1)) - 1, round half to even (TF) in float32:
//                     +1 where x > 0 (beyond float32's resolution around 0.5), -1 otherwise (0 gives -1)
//   ternary_tanh(x) = ternarize(clip(x, -1, 1)): +1 where x > 0.5, -1 where x <= -0.5, else 0
//   relu1(x)        = min(max(x, 0), 1) (the example's own function; read as a ReLU clipped at 1, with a warning)
// The activations are MultiThresholds with strict comparisons; the kernels are exact constants.
#include <cmath>

#include <fmt/format.h>

#include "frontends/keras/keras_context.h"

namespace firmnet::frontends::keras {

namespace {

float f32(double v) { return static_cast<float>(v); }

// binary_tanh on a float32 value, step by step as TF computes it (0.5 * x is exact; the sum rounds to float32).
double binary_tanh(float x) {
  const float h = f32(static_cast<double>(f32(0.5 * static_cast<double>(x))) + 0.5);
  const float c = std::min(1.0f, std::max(0.0f, h));
  // round half to even of c in [0, 1]: 1 above 0.5, 0 at or below it.
  return c > 0.5f ? 1.0 : -1.0;
}

double ternarize(float x) { return x > 0.5f ? 1.0 : x <= -0.5f ? -1.0 : 0.0; }

double layer_h(Context& ctx, const Layer& l) {
  const double h = ctx.get_float(l, "H", 1.0);
  if (!(h > 0) || !std::isfinite(h)) ctx.fail(l, fmt::format("H = {} is not a positive number", h));
  return h;
}

// The smallest float32 x with binary_tanh(x) = +1: 0.5x + 0.5 rounds above 0.5 in float32 once 0.5x exceeds
// half an ulp of 0.5 (2^-25; 2^-25 itself ties to even, down to 0.5).
double binary_tanh_threshold() { return std::nextafter(std::ldexp(1.0f, -24), 1.0f); }

}  // namespace

QuantizedConst binarynet_kernel(Context& ctx, const Layer& l, std::vector<double> values) {
  const double h = layer_h(ctx, l);
  const bool binary = l.cls == "BinaryDense";
  for (double& v : values) {
    const float x = f32(static_cast<double>(f32(v)) / h);
    v = h * (binary ? binary_tanh(x) : ternarize(x));
  }
  QuantizedConst q{std::move(values), std::nullopt, {}};
  q.type = exact_type(q.values);
  q.origin = fmt::format("{}(H={}): {}", l.cls, h, binary ? "H * binary_tanh(W/H)" : "H * ternarize(W/H)");
  return q;
}

std::optional<Value> binarynet_activation(Context& ctx, const Layer& l, const Value& x, const std::string& fn,
                                          const std::string& suffix) {
  if (fn == "relu1") {
    ctx.warn(l, "activation 'relu1' is not a Keras function; firmnet reads it as BinaryNet's relu1, "
                "min(max(x, 0), 1)");
    Value y = ctx.emit(l, ir::OpKind::Activation, {x}, x.shape, suffix);
    ctx.graph.nodes.back().attrs["function"] = std::string("clip");
    ctx.param("min", {1}, {0.0});
    ctx.param("max", {1}, {1.0});
    return y;
  }
  if (fn != "binary_tanh" && fn != "ternary_tanh") return std::nullopt;
  const bool binary = fn == "binary_tanh";
  // binary: one level above the float32 threshold (x >= t); ternary: x > -0.5 and x > 0.5 (strict).
  std::vector<double> thr = binary ? std::vector<double>{binary_tanh_threshold()} : std::vector<double>{-0.5, 0.5};
  Value y = ctx.emit(l, ir::OpKind::MultiThreshold, {x}, x.shape, suffix);
  ir::Node& node = ctx.graph.nodes.back();
  node.attrs["out_scale"] = binary ? 2.0 : 1.0;
  node.attrs["out_bias"] = -1.0;
  node.attrs["data_layout"] = std::string("NHWC");
  if (!binary) node.attrs["strict"] = std::vector<int64_t>{1, 1};
  node.attrs["lowering"] = std::string("thresholds");
  node.attrs["lowering_why"] = fmt::format("BinaryNet {}: {} comparison(s) per element", fn, thr.size());
  const auto n = static_cast<int64_t>(thr.size());
  ctx.param("thresholds", {1, n}, std::move(thr));
  ctx.graph.tensor(y.id).origin = "BinaryNet " + fn;
  return y;
}

}  // namespace firmnet::frontends::keras
