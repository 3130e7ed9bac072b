// Convolutions and pooling: Conv → Conv, MaxPool/AveragePool/GlobalAveragePool/GlobalMaxPool → Pool, and a
// zero Pad → nothing. ONNX maps are channels-first ([N, C, W] / [N, C, H, W]); the IR holds them
// channels-last, so these converters read their input with Context::channels_last_input and define their
// output with the channels-last layout: the next layout-aware op (activation, elementwise, BatchNorm,
// Flatten + Gemm, another Conv) reads it as it is, anything else gets an IR Transpose.
#include <fmt/format.h>

#include "frontends/onnx/onnx_context.h"
#include "ir/spatial.h"

namespace firmnet::frontends::onnx_detail {

namespace {

struct Geometry {
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads: begin..., end...
  ir::Shape out;                                           // output spatial dims
};

std::vector<int64_t> ints_attr(Context& ctx, const OnnxNode& n, const char* name, size_t rank, int64_t def) {
  const auto v = ctx.attr_ints(n, name);
  if (!v) return std::vector<int64_t>(rank, def);
  if (v->size() != rank)
    ctx.fail(n, fmt::format("attribute '{}' has {} values; the {}-D window needs {}", name, v->size(), rank, rank));
  return *v;
}

// kernel/strides/dilations/pads/auto_pad/ceil_mode of a window over `in` (spatial dims).
Geometry geometry(Context& ctx, const OnnxNode& n, const ir::Shape& in, std::vector<int64_t> kernel, bool pool) {
  const size_t r = in.size();
  Geometry g;
  g.kernel = std::move(kernel);
  g.strides = ints_attr(ctx, n, "strides", r, 1);
  g.dilations = ints_attr(ctx, n, "dilations", r, 1);
  const bool ceil_mode = pool && ctx.attr_int(n, "ceil_mode", 0) != 0;
  for (size_t a = 0; a < r; ++a)
    if (g.kernel[a] < 1 || g.strides[a] < 1 || g.dilations[a] < 1 || g.kernel[a] > (1 << 24) ||
        g.strides[a] > (1 << 24) || g.dilations[a] > (1 << 24))
      ctx.fail(n, fmt::format("kernel {}, stride {} and dilation {} on axis {} must be positive", g.kernel[a],
                              g.strides[a], g.dilations[a], a));
  std::string auto_pad = "NOTSET";
  if (const auto* a = ctx.attr(n, "auto_pad")) auto_pad = a->s();
  if (auto_pad == "NOTSET") {
    g.pads = ints_attr(ctx, n, "pads", 2 * r, 0);
    for (int64_t p : g.pads)
      if (p < 0 || p > (1 << 24)) ctx.fail(n, fmt::format("pad {} is negative or too large", p));
  } else if (auto_pad == "VALID") {
    g.pads.assign(2 * r, 0);
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    g.pads.assign(2 * r, 0);
    for (size_t a = 0; a < r; ++a) {
      const int64_t out = (in[a] + g.strides[a] - 1) / g.strides[a];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * g.strides[a] + (g.kernel[a] - 1) * g.dilations[a] + 1 - in[a]);
      const int64_t small = total / 2, big = total - small;
      g.pads[a] = auto_pad == "SAME_UPPER" ? small : big;
      g.pads[a + r] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else {
    ctx.fail(n, "auto_pad '" + auto_pad + "' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
  }
  for (size_t a = 0; a < r; ++a) {
    int64_t o = ir::Window::out_size(in[a], g.kernel[a], g.strides[a], g.dilations[a], g.pads[a] + g.pads[a + r], ceil_mode);
    // ceil_mode: a window that would start beyond the input and its begin padding is dropped (as onnxruntime
    // and PyTorch do); the last window's overhang becomes extra end padding, skipped like padding.
    if (ceil_mode && (o - 1) * g.strides[a] >= in[a] + g.pads[a]) --o;
    if (o < 1)
      ctx.fail(n, fmt::format("the window (kernel {}, dilation {}) is larger than the padded input ({} + {} + {}) on "
                              "spatial axis {}", g.kernel[a], g.dilations[a], in[a], g.pads[a], g.pads[a + r], a));
    const int64_t need = (o - 1) * g.strides[a] + (g.kernel[a] - 1) * g.dilations[a] + 1 - in[a] - g.pads[a];
    if (need > g.pads[a + r]) g.pads[a + r] = need;  // ceil_mode overhang
    const int64_t span = (g.kernel[a] - 1) * g.dilations[a] + 1;
    if (g.pads[a] >= span || g.pads[a + r] >= span)
      ctx.fail(n, fmt::format("padding {}+{} on spatial axis {} is as wide as the window ({}): some outputs would read "
                              "only padding", g.pads[a], g.pads[a + r], a, span),
               "this padding is not supported");
    g.out.push_back(o);
  }
  return g;
}

// The output Value: ONNX [N, C, out...], held channels-last.
ir::TensorId define_map_output(Context& ctx, const OnnxNode& n, int64_t channels, const ir::Shape& out) {
  ir::Shape sample = {channels};
  sample.insert(sample.end(), out.begin(), out.end());
  std::vector<int64_t> full = {1};
  full.insert(full.end(), sample.begin(), sample.end());
  const ir::ModelLayout cl = channels_last_layout(sample);
  return ctx.add_activation_held(n, 0, full, 0, cl, cl.view);
}

void pool(Context& ctx, const OnnxNode& n, ir::PoolMode mode, bool global) {
  if (n.proto.output_size() > 1 && !n.proto.output(1).empty())
    ctx.fail(n, "the Indices output of MaxPool is not supported", "export the pool without return_indices");
  const Value& x = ctx.input_as_is(n, 0);
  const std::vector<int64_t> xfull = x.full_shape;
  const ir::TensorId in = ctx.channels_last_input(n, 0, "the data X");
  const ir::Shape sample(xfull.begin() + 1, xfull.end());
  const ir::Shape spatial(sample.begin() + 1, sample.end());
  const int64_t channels = sample[0];
  Geometry g;
  if (global) {
    g.kernel = spatial;
    g.strides.assign(spatial.size(), 1);
    g.dilations.assign(spatial.size(), 1);
    g.pads.assign(2 * spatial.size(), 0);
    g.out.assign(spatial.size(), 1);
  } else {
    const auto k = ctx.attr_ints(n, "kernel_shape");
    if (!k) ctx.fail(n, "attribute 'kernel_shape' is missing");
    if (k->size() != spatial.size())
      ctx.fail(n, fmt::format("kernel_shape has {} values for a {}-D map", k->size(), spatial.size()));
    g = geometry(ctx, n, spatial, *k, true);
    for (int64_t d : g.dilations)
      if (d != 1) ctx.fail(n, fmt::format("dilations {} are not supported for pooling", shape_str(g.dilations)));
    if (mode == ir::PoolMode::Avg && ctx.attr_int(n, "count_include_pad", 0) != 0 && ctx.attr_int(n, "ceil_mode", 0) != 0)
      ctx.fail(n, "ceil_mode=1 with count_include_pad=1 is not supported",
               "export the pool with ceil_mode=0 or count_include_pad=0");
  }
  const ir::TensorId y = define_map_output(ctx, n, channels, g.out);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Pool);
  node.inputs = {in};
  node.outputs = {y};
  ir::set_window_attrs(node, g.kernel, g.strides, g.dilations, g.pads);
  node.attrs["mode"] = std::string(mode == ir::PoolMode::Max ? "max" : "avg");
  node.attrs["count_include_pad"] = int64_t{mode == ir::PoolMode::Avg && !global && ctx.attr_int(n, "count_include_pad", 0) != 0};
  if (mode == ir::PoolMode::Avg) {
    int64_t taps = 1;
    for (int64_t k : g.kernel) taps *= k;
    if (taps > (int64_t{1} << 20)) ctx.fail(n, fmt::format("a window of {} taps is too large", taps));
    std::vector<double> inv = {0.0};
    for (int64_t c = 1; c <= taps; ++c) inv.push_back(1.0 / static_cast<double>(c));
    const std::string name = node.name;
    const ir::TensorId r = ctx.add_constant(name, "reciprocal", {taps + 1}, std::move(inv));
    ctx.graph.nodes.back().params["reciprocal"] = r;
  }
}

}  // namespace

void convert_conv(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  const std::vector<int64_t> xfull = x.full_shape;
  const Value& w = ctx.const_input(n, 1, "the weight W");
  const std::vector<int64_t> ws = w.full_shape;
  const std::vector<double> wv = w.values;
  const auto wtype = w.type;
  const std::string worigin = w.origin;
  const ir::TensorId in = ctx.channels_last_input(n, 0, "the data X");
  const ir::Shape sample(xfull.begin() + 1, xfull.end());
  const ir::Shape spatial(sample.begin() + 1, sample.end());
  const size_t r = spatial.size();
  const int64_t cin = sample[0];
  if (ws.size() != r + 2)
    ctx.fail(n, fmt::format("weight W of shape {} is not [M, C/group, k...] for a {}-D map", shape_str(ws), r));
  const int64_t cout = ws[0], group = ctx.attr_int(n, "group", 1);
  if (group != 1 && group != cin)
    ctx.fail(n, fmt::format("attribute group = {} is neither 1 nor the input channel count {} (depthwise)", group, cin),
             "grouped convolutions other than depthwise are not supported; split the layer");
  if (ws[1] * group != cin)
    ctx.fail(n, fmt::format("weight W of shape {} does not match {} input channels in {} group(s)", shape_str(ws), cin, group));
  if (cout % group != 0) ctx.fail(n, fmt::format("{} output channels are not a multiple of group {}", cout, group));
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (const auto k = ctx.attr_ints(n, "kernel_shape"); k && *k != kernel)
    ctx.fail(n, fmt::format("kernel_shape {} differs from the weight's {}", shape_str(*k), shape_str(kernel)));
  const Geometry g = geometry(ctx, n, spatial, kernel, false);
  std::vector<double> bias(static_cast<size_t>(cout), 0.0);
  std::optional<numeric::FixedType> btype;
  std::string borigin;
  if (ctx.has_input(n, 2)) {
    const Value& b = ctx.const_input(n, 2, "the bias B");
    if (b.values.size() != static_cast<size_t>(cout))
      ctx.fail(n, fmt::format("bias B has {} values for {} output channels", b.values.size(), cout));
    bias = b.values;
    btype = b.type;
    borigin = b.origin;
  }
  // ONNX W[o][i][k...] -> IR [k..., i, o] (the rows of a Dense over the window: tap-major, then channel).
  const int64_t ipg = ws[1];
  int64_t taps = 1;
  for (int64_t k : kernel) taps *= k;
  std::vector<double> wir(wv.size());
  for (int64_t o = 0; o < cout; ++o)
    for (int64_t i = 0; i < ipg; ++i)
      for (int64_t t = 0; t < taps; ++t)
        wir[static_cast<size_t>((t * ipg + i) * cout + o)] = wv[static_cast<size_t>((o * ipg + i) * taps + t)];
  const ir::TensorId y = define_map_output(ctx, n, cout, g.out);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Conv);
  node.inputs = {in};
  node.outputs = {y};
  ir::set_window_attrs(node, g.kernel, g.strides, g.dilations, g.pads);
  node.attrs["group"] = group;
  const std::string name = node.name;
  ir::Shape wshape = kernel;
  wshape.push_back(ipg);
  wshape.push_back(cout);
  const ir::TensorId wid = ctx.add_constant(name, "weight", wshape, std::move(wir));
  const ir::TensorId bid = ctx.add_constant(name, "bias", {cout}, std::move(bias));
  ctx.graph.nodes.back().params = {{"weight", wid}, {"bias", bid}};
  // A quantizer's exact type (QONNX Quant on the weights) carries over: the values are only reordered.
  if (wtype) ctx.graph.tensor(wid).type = wtype, ctx.graph.tensor(wid).origin = worigin;
  if (btype) ctx.graph.tensor(bid).type = btype, ctx.graph.tensor(bid).origin = borigin;
}

void convert_max_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Max, false); }
void convert_average_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Avg, false); }
void convert_global_average_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Avg, true); }
void convert_global_max_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Max, true); }

// Pad: only an all-zero padding (torch exports one before an AveragePool) is supported; it is a no-op.
void convert_pad(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  std::vector<int64_t> pads;
  if (ctx.opset < 11) {
    pads = ctx.attr_ints(n, "pads").value_or(std::vector<int64_t>{});
  } else {
    const Value& p = ctx.const_input(n, 1, "the pads");
    for (double v : p.values) pads.push_back(static_cast<int64_t>(v));
  }
  std::string mode = "constant";
  if (const auto* a = ctx.attr(n, "mode")) mode = a->s();
  for (int64_t p : pads)
    if (p != 0)
      ctx.fail(n, fmt::format("padding {} (mode {}) is not supported yet", shape_str(pads), mode),
               "put the padding into the following Conv or pool (its pads attribute)");
  ctx.alias_output(n, 0, ctx.input_as_is(n, 0));
  (void)x;
}

}  // namespace firmnet::frontends::onnx_detail
