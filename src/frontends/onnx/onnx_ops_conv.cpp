// Convolutions, pooling and upsampling: Conv → Conv, MaxPool/AveragePool/GlobalAveragePool/GlobalMaxPool → Pool,
// Resize/Upsample (nearest) → Upsample, and a
// zero Pad → nothing. ONNX maps are channels-first ([N, C, W] / [N, C, H, W]); the IR holds them
// channels-last, so these converters read their input with Context::channels_last_input and define their
// output with the channels-last layout: the next layout-aware op (activation, elementwise, BatchNorm,
// Flatten + Gemm, another Conv) reads it as it is, anything else gets an IR Transpose.
#include <algorithm>
#include <cmath>

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

// kernel/strides/dilations/pads/auto_pad/ceil_mode of a window over `in` (spatial dims); `extra`: a zero Pad
// in front of the layer (Value::pending_pads), added to its own padding.
Geometry geometry(Context& ctx, const OnnxNode& n, const ir::Shape& in, std::vector<int64_t> kernel, bool pool,
                  const std::vector<int64_t>& extra = {}) {
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
  if (!extra.empty()) {
    if (auto_pad != "NOTSET" && auto_pad != "VALID")
      ctx.fail(n, "auto_pad '" + auto_pad + "' after a Pad is not supported", "export with explicit pads");
    if (ceil_mode) ctx.fail(n, "ceil_mode=1 after a Pad is not supported", "export the pool with ceil_mode=0");
    for (size_t a = 0; a < 2 * r; ++a) g.pads[a] += extra.at(a);
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

// v seen with its sample axes permuted (new sample axis a = old axis p[a]): the same IR data, a layout that
// composes the permutation (none when the result is the data's own row-major order).
Value permuted_view(const Value& v, const std::vector<int64_t>& p) {
  const ir::Shape s = sample_shape(v);
  ir::ModelLayout l = v.layout.value_or(ir::ModelLayout{s, {}, s});
  if (!v.layout)
    for (size_t a = 0; a < s.size(); ++a) l.perm.push_back(static_cast<int64_t>(a));
  ir::ModelLayout out{l.view, {}, {}};
  for (int64_t a : p) {
    out.perm.push_back(l.perm[static_cast<size_t>(a)]);
    out.model_shape.push_back(l.model_shape[static_cast<size_t>(a)]);
  }
  Value r = v;
  r.full_shape = {1};
  r.full_shape.insert(r.full_shape.end(), out.model_shape.begin(), out.model_shape.end());
  bool identity = out.view == out.model_shape;
  for (size_t a = 0; a < out.perm.size(); ++a) identity = identity && out.perm[a] == static_cast<int64_t>(a);
  if (identity) r.layout.reset();
  else r.layout = std::move(out);
  return r;
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
  const std::vector<int64_t> pending = x.pending_pads;
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
    if (!pending.empty() && mode == ir::PoolMode::Max)
      ctx.fail(n, "a MaxPool after a zero Pad is not supported (the zeros would be candidates)", "pad inside the MaxPool");
    g = geometry(ctx, n, spatial, *k, true, pending);
    // The Pad's zeros are data: an average counts them. With the pool's own padding uncounted, the two differ.
    if (!pending.empty() && ctx.attr_int(n, "count_include_pad", 0) == 0)
      for (int64_t p : ints_attr(ctx, n, "pads", 2 * spatial.size(), 0))
        if (p != 0)
          ctx.fail(n, "an AveragePool with its own uncounted padding after a Pad is not supported",
                   "export the pool with count_include_pad=1, or without its own pads");
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
  node.attrs["count_include_pad"] =
      int64_t{mode == ir::PoolMode::Avg && !global && (ctx.attr_int(n, "count_include_pad", 0) != 0 || !pending.empty())};
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

// A Conv's constant operand: values in IR order, with the quantizer's exact type and its origin when it had one.
struct ConvConstant {
  std::vector<double> values;
  std::optional<numeric::FixedType> type;
  std::string origin;
};

// The optional bias B (input 2): one value per output channel; zeros when absent.
ConvConstant conv_bias(Context& ctx, const OnnxNode& n, int64_t cout) {
  if (!ctx.has_input(n, 2)) return {std::vector<double>(static_cast<size_t>(cout), 0.0), std::nullopt, ""};
  const Value& b = ctx.const_input(n, 2, "the bias B");
  if (b.values.size() != static_cast<size_t>(cout))
    ctx.fail(n, fmt::format("bias B has {} values for {} output channels", b.values.size(), cout));
  return {b.values, b.type, b.origin};
}

// The weight [k..., in_per_group, cout] and bias [cout] of the Conv just added (the last node). A quantizer's
// exact type (QONNX Quant on the weights) carries over: the values are only reordered.
void attach_conv_constants(Context& ctx, const std::vector<int64_t>& kernel, int64_t in_per_group, int64_t cout,
                           ConvConstant weight, ConvConstant bias) {
  const std::string name = ctx.graph.nodes.back().name;
  ir::Shape wshape = kernel;
  wshape.push_back(in_per_group);
  wshape.push_back(cout);
  const ir::TensorId wid = ctx.add_constant(name, "weight", wshape, std::move(weight.values));
  const ir::TensorId bid = ctx.add_constant(name, "bias", {cout}, std::move(bias.values));
  ctx.graph.nodes.back().params = {{"weight", wid}, {"bias", bid}};
  if (weight.type) ctx.graph.tensor(wid).type = weight.type, ctx.graph.tensor(wid).origin = weight.origin;
  if (bias.type) ctx.graph.tensor(bid).type = bias.type, ctx.graph.tensor(bid).origin = bias.origin;
}

}  // namespace

void convert_conv(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  const std::vector<int64_t> xfull = x.full_shape;
  const std::vector<int64_t> pending = x.pending_pads;
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
  const Geometry g = geometry(ctx, n, spatial, kernel, false, pending);
  ConvConstant bias = conv_bias(ctx, n, cout);
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
  attach_conv_constants(ctx, kernel, ipg, cout, {std::move(wir), wtype, worigin}, std::move(bias));
}

// ConvTranspose → a Conv over the input dilated by the stride (ir/spatial.h "input dilation"): with stride s,
// kernel k, dilation d and pads (b, e), output position o = i*s - b + t*d receives x[i]*W[t]; the equivalent
// Conv reads the input stretched by s, padded by (k-1)*d - b before and (k-1)*d - e + output_padding after,
// with the kernel flipped and its channel axes swapped. Same products, same sum order per output (taps in
// the flipped kernel's order), no approximation.
void convert_conv_transpose(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  const std::vector<int64_t> xfull = x.full_shape;
  const Value& w = ctx.const_input(n, 1, "the weight W");
  const std::vector<int64_t> ws = w.full_shape;
  const std::vector<double> wv = w.values;
  const auto wtype = w.type;
  const std::string worigin = w.origin;
  if (xfull.size() < 3 || xfull.size() > 4)
    ctx.fail(n, fmt::format("input of shape {} is not a 1-D or 2-D map [N, C, ...]", shape_str(xfull)));
  const size_t r = xfull.size() - 2;
  const int64_t cin = xfull[1];
  if (ws.size() != r + 2 || ws[0] != cin)
    ctx.fail(n, fmt::format("weight W of shape {} is not [C={}, M/group, k...]", shape_str(ws), cin));
  if (const int64_t group = ctx.attr_int(n, "group", 1); group != 1)
    ctx.fail(n, fmt::format("attribute group = {} is not supported", group), "export the transposed convolution with groups=1");
  const int64_t cout = ws[1];
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  if (const auto k = ctx.attr_ints(n, "kernel_shape"); k && *k != kernel)
    ctx.fail(n, fmt::format("kernel_shape {} differs from the weight's {}", shape_str(*k), shape_str(kernel)));
  const std::vector<int64_t> strides = ints_attr(ctx, n, "strides", r, 1);
  const std::vector<int64_t> dil = ints_attr(ctx, n, "dilations", r, 1);
  const std::vector<int64_t> opad = ints_attr(ctx, n, "output_padding", r, 0);
  if (ctx.attr(n, "output_shape"))
    ctx.fail(n, "attribute output_shape is not supported", "export with explicit pads and output_padding");
  std::string auto_pad = "NOTSET";
  if (const auto* a = ctx.attr(n, "auto_pad")) auto_pad = a->s();
  if (auto_pad != "NOTSET" && auto_pad != "VALID")
    ctx.fail(n, fmt::format("attribute auto_pad = '{}' is not supported", auto_pad), "export with explicit pads");
  std::vector<int64_t> pads = auto_pad == "VALID" ? std::vector<int64_t>(2 * r, 0) : ints_attr(ctx, n, "pads", 2 * r, 0);
  std::vector<int64_t> cpads(2 * r);
  ir::Shape out;
  for (size_t a = 0; a < r; ++a) {
    if (kernel[a] < 1 || strides[a] < 1 || dil[a] < 1 || kernel[a] > (1 << 24) || strides[a] > (1 << 24) ||
        dil[a] > (1 << 24) || xfull[a + 2] > (1 << 24))
      ctx.fail(n, fmt::format("kernel {}, stride {} and dilation {} on axis {} must be positive", kernel[a], strides[a],
                              dil[a], a));
    if (opad[a] < 0 || opad[a] >= std::max(strides[a], dil[a]))
      ctx.fail(n, fmt::format("output_padding {} on axis {} is not in [0, max(stride, dilation))", opad[a], a));
    const int64_t reach = (kernel[a] - 1) * dil[a];
    if (pads[a] < 0 || pads[a + r] < 0 || pads[a] > reach || pads[a + r] > reach + opad[a])
      ctx.fail(n, fmt::format("pads {}+{} on axis {} crop more than the kernel reaches ({})", pads[a], pads[a + r], a, reach),
               "transposed convolutions with pads beyond (kernel-1)*dilation are not supported");
    cpads[a] = reach - pads[a];
    cpads[a + r] = reach - pads[a + r] + opad[a];
    const int64_t o = strides[a] * (xfull[a + 2] - 1) + opad[a] + reach + 1 - pads[a] - pads[a + r];
    if (o < 1) ctx.fail(n, fmt::format("the output would be empty on spatial axis {}", a));
    out.push_back(o);
  }
  ConvConstant bias = conv_bias(ctx, n, cout);
  // ONNX W[i][o][k...] -> IR [k'..., i, o] with the kernel flipped: tap t' reads W at tap taps-1-t'.
  int64_t taps = 1;
  for (int64_t k : kernel) taps *= k;
  std::vector<double> wir(wv.size());
  for (int64_t i = 0; i < cin; ++i)
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t t = 0; t < taps; ++t)
        wir[static_cast<size_t>(((taps - 1 - t) * cin + i) * cout + o)] = wv[static_cast<size_t>((i * cout + o) * taps + t)];
  const ir::TensorId in = ctx.channels_last_input(n, 0, "the data X");
  const ir::TensorId y = define_map_output(ctx, n, cout, out);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Conv);
  node.inputs = {in};
  node.outputs = {y};
  ir::set_window_attrs(node, kernel, std::vector<int64_t>(r, 1), dil, cpads, strides);
  node.attrs["group"] = int64_t{1};
  attach_conv_constants(ctx, kernel, cin, cout, {std::move(wir), wtype, worigin}, std::move(bias));
}

// A channels-last wrapper (qonnx.custom_op.channels_last): Transpose(NHWC -> NCHW), the standard op, and
// Transpose back, by definition. Both transposes are layout views here: the standard converter reads the
// NHWC data as the NCHW map it holds channels-last anyway, so no data moves.
void convert_channels_last(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  if (x.is_const || x.batch_axis != 0 || x.full_shape.size() < 3 || x.full_shape.size() > 4 || x.full_shape[0] != 1)
    ctx.fail(n, fmt::format("input of shape {} is not a channels-last 1-D or 2-D map [N, ..., C]", shape_str(x.full_shape)));
  if (n.proto.output_size() > 1 && !n.proto.output(1).empty())
    ctx.fail(n, "only the first output of a channels-last op is supported");
  if (!x.pending_pads.empty()) ctx.fail(n, "a Pad before a channels-last op is not supported", "pad inside the op");
  const auto r = static_cast<int64_t>(x.full_shape.size()) - 1;  // sample rank
  std::vector<int64_t> to_first = {r - 1}, to_last;
  for (int64_t a = 0; a + 1 < r; ++a) to_first.push_back(a), to_last.push_back(a + 1);
  to_last.push_back(0);
  onnx::NodeProto p = n.proto;
  p.clear_domain();
  const std::string in0 = n.proto.input(0) + "#nchw", out0 = ctx.output_name(n, 0) + "#nchw";
  p.set_input(0, in0);
  p.set_output(0, out0);
  if (!ctx.find(in0)) ctx.define(in0, permuted_view(x, to_first), n.where);
  // A Conv's weight is channels-last too, [M, k..., C/group] (qonnx transposes it with the input): back to
  // ONNX's [M, C/group, k...].
  if (n.op() == "Conv") {
    const Value& w = ctx.const_input(n, 1, "the weight W");
    if (static_cast<int64_t>(w.full_shape.size()) != r + 1)
      ctx.fail(n, fmt::format("weight W of shape {} is not [M, k..., C/group]", shape_str(w.full_shape)));
    const std::vector<int64_t> ws = w.full_shape;
    const int64_t m = ws[0], cg = ws.back();
    const int64_t taps = ir::num_elements(ws) / std::max<int64_t>(m * cg, 1);
    Value wf = w;
    wf.full_shape = {m, cg};
    wf.full_shape.insert(wf.full_shape.end(), ws.begin() + 1, ws.end() - 1);
    for (int64_t o = 0; o < m; ++o)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t i = 0; i < cg; ++i)
          wf.values[static_cast<size_t>((o * cg + i) * taps + t)] = w.values[static_cast<size_t>((o * taps + t) * cg + i)];
    const std::string w0 = n.proto.input(1) + "#nchw";
    p.set_input(1, w0);
    if (!ctx.find(w0)) ctx.define(w0, std::move(wf), n.where);
  }
  const OnnxNode wrapped{p, n.index, n.where, n.source};
  (*find_converter(p.op_type()))(ctx, wrapped);
  const Value* y = ctx.find(out0);
  if (!y || y->is_const) ctx.fail(n, "the wrapped op gave no map");
  ctx.alias_output(n, 0, permuted_view(*y, to_last));
}

void convert_max_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Max, false); }
void convert_average_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Avg, false); }
void convert_global_average_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Avg, true); }
void convert_global_max_pool(Context& ctx, const OnnxNode& n) { pool(ctx, n, ir::PoolMode::Max, true); }

// Pad: an all-zero padding is a no-op. A constant zero padding of a map's spatial axes (torch exports one before
// an AveragePool with count_include_pad, and users pad before a Conv) is kept pending on the value and taken
// into the padding of the Conv or AveragePool that reads it: there it reads as 0, as the Pad wrote. Other
// modes, values, axes and readers are refused.
void convert_pad(Context& ctx, const OnnxNode& n) {
  const Value x = ctx.input_as_is(n, 0);
  std::vector<int64_t> pads;
  double value = 0;
  if (ctx.opset < 11) {
    pads = ctx.attr_ints(n, "pads").value_or(std::vector<int64_t>{});
    value = ctx.attr_float(n, "value", 0.0);
  } else {
    const Value& p = ctx.const_input(n, 1, "the pads");
    for (double v : p.values) pads.push_back(static_cast<int64_t>(v));
    if (ctx.has_input(n, 2)) {
      const Value& c = ctx.const_input(n, 2, "the constant value");
      if (c.values.size() == 1) value = c.values[0];
    }
    if (ctx.has_input(n, 3)) ctx.fail(n, "input 'axes' is not supported", "export the Pad over all axes");
  }
  std::string mode = "constant";
  if (const auto* a = ctx.attr(n, "mode")) mode = a->s();
  bool zero = true;
  for (int64_t p : pads) zero = zero && p == 0;
  if (zero) {
    ctx.alias_output(n, 0, x);
    return;
  }
  const size_t rank = x.full_shape.size();
  if (mode != "constant") ctx.fail(n, fmt::format("attribute mode = '{}' is not supported", mode), "pad with constant zeros");
  if (value != 0.0) ctx.fail(n, fmt::format("padding value {} is not supported", value), "pad with constant zeros");
  if (x.is_const || pads.size() != 2 * rank || rank < 3 || rank > 4 || !x.pending_pads.empty())
    ctx.fail(n, fmt::format("pads {} of data of shape {} are not a padding of a 1-D or 2-D map", shape_str(pads),
                            shape_str(x.full_shape)));
  for (size_t a : {size_t{0}, size_t{1}})
    if (pads[a] != 0 || pads[a + rank] != 0)
      ctx.fail(n, fmt::format("pads {} pad the {} axis", shape_str(pads), a == 0 ? "batch" : "channel"));
  Value y = x;
  for (size_t a = 2; a < rank; ++a) y.pending_pads.push_back(pads[a]);
  for (size_t a = 2; a < rank; ++a) y.pending_pads.push_back(pads[a + rank]);
  for (int64_t p : y.pending_pads)
    if (p < 0 || p > (1 << 24)) ctx.fail(n, fmt::format("pad {} is negative (a crop) or too large", p));
  y.pad_where = n.where;
  ctx.alias_output(n, 0, y);
}

// The source index of output index o on an axis resized from `in` to `out` by scale s (ONNX Resize, mode
// nearest): the coordinate transformation, then the nearest mode, clamped to the input.
int64_t nearest_source(const std::string& coord, const std::string& nearest, int64_t o, int64_t in, int64_t out,
                       double s) {
  const double x = static_cast<double>(o);
  double c = 0;
  if (coord == "asymmetric") c = x / s;
  else if (coord == "half_pixel") c = (x + 0.5) / s - 0.5;
  else if (coord == "pytorch_half_pixel") c = out > 1 ? (x + 0.5) / s - 0.5 : 0.0;
  else if (coord == "tf_half_pixel_for_nn") c = (x + 0.5) / s;
  else if (coord == "align_corners") c = out > 1 ? x * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
  double r = 0;
  if (nearest == "floor") r = std::floor(c);
  else if (nearest == "ceil") r = std::ceil(c);
  else if (nearest == "round_prefer_floor") r = c - std::floor(c) == 0.5 ? std::floor(c) : std::round(c);
  else r = c - std::floor(c) == 0.5 ? std::ceil(c) : std::round(c);  // round_prefer_ceil
  return std::clamp<int64_t>(static_cast<int64_t>(r), 0, in - 1);
}

// Resize (opsets 10-19) and Upsample (7-9), mode nearest with an integer factor per spatial axis → Upsample.
// The index map the attributes define is computed and must be "output i reads input i / factor": anything
// else (linear and cubic modes, fractional factors, coordinate modes that shift the grid) is refused here,
// naming the attribute, rather than converted to something else.
void convert_resize(Context& ctx, const OnnxNode& n) {
  const bool upsample = n.op() == "Upsample";
  const Value& x = ctx.input_as_is(n, 0);
  const std::vector<int64_t> xfull = x.full_shape;
  if (xfull.size() < 2 || xfull.size() > 5 || x.is_const || x.batch_axis != 0)
    ctx.fail(n, fmt::format("input of shape {} is not data [N, ...] of rank 2 to 5", shape_str(xfull)));
  std::string mode = "nearest";
  if (const auto* a = ctx.attr(n, "mode")) mode = a->s();
  if (mode != "nearest")
    ctx.fail(n, fmt::format("attribute mode = '{}' is not supported", mode),
             "only nearest-neighbour resizing with integer factors is supported; export with mode='nearest'");
  // Opsets before 11 (and Upsample) index as asymmetric + floor.
  std::string coord = "asymmetric", nearest = "floor";
  if (!upsample && ctx.opset >= 11) {
    coord = "half_pixel", nearest = "round_prefer_floor";
    if (const auto* a = ctx.attr(n, "coordinate_transformation_mode")) coord = a->s();
    if (const auto* a = ctx.attr(n, "nearest_mode")) nearest = a->s();
    static const std::vector<std::string> coords = {"asymmetric", "half_pixel", "pytorch_half_pixel",
                                                    "tf_half_pixel_for_nn", "align_corners"};
    if (std::find(coords.begin(), coords.end(), coord) == coords.end())
      ctx.fail(n, fmt::format("attribute coordinate_transformation_mode = '{}' is not supported", coord),
               "export with coordinate_transformation_mode asymmetric, half_pixel or align_corners");
    if (nearest != "floor" && nearest != "ceil" && nearest != "round_prefer_floor" && nearest != "round_prefer_ceil")
      ctx.fail(n, fmt::format("attribute nearest_mode = '{}' is not one of floor, ceil, round_prefer_floor, "
                              "round_prefer_ceil", nearest));
    if (ctx.attr_int(n, "antialias", 0) != 0) ctx.fail(n, "attribute antialias = 1 is not supported");
    if (ctx.attr(n, "axes")) ctx.fail(n, "attribute axes is not supported", "export the Resize over all axes");
    if (const auto* a = ctx.attr(n, "keep_aspect_ratio_policy"); a && a->s() != "stretch")
      ctx.fail(n, fmt::format("attribute keep_aspect_ratio_policy = '{}' is not supported", a->s()));
  }
  // The factors: from scales (an attribute for Upsample-7, else an input) or from sizes (Resize input 3).
  std::vector<double> scales;
  std::vector<int64_t> out(xfull);
  if (upsample && ctx.opset < 9) {
    const onnx::AttributeProto* a = ctx.attr(n, "scales");
    if (!a) ctx.fail(n, "attribute 'scales' is missing");
    scales.assign(a->floats().begin(), a->floats().end());
  } else {
    const int si = upsample || ctx.opset < 11 ? 1 : 2;
    if (ctx.has_input(n, si)) scales = ctx.const_input(n, si, "the scales").values;
    if (scales.empty() && !upsample && ctx.opset >= 11 && ctx.has_input(n, 3)) {
      const std::vector<double> sizes = ctx.const_input(n, 3, "the sizes").values;
      if (sizes.size() != xfull.size())
        ctx.fail(n, fmt::format("sizes has {} values for an input of rank {}", sizes.size(), xfull.size()));
      for (size_t k = 0; k < sizes.size(); ++k) scales.push_back(sizes[k] / static_cast<double>(xfull[k]));
    }
  }
  if (scales.size() != xfull.size())
    ctx.fail(n, fmt::format("{} scales for an input of rank {}", scales.size(), xfull.size()));
  std::vector<int64_t> factor;
  for (size_t k = 0; k < scales.size(); ++k) {
    const double s = scales[k];
    if (!(s >= 1.0 && s <= (1 << 24) && s == std::floor(s)))
      ctx.fail(n, fmt::format("scale {} on axis {} is not a positive integer", s, k),
               "only upsampling by integer factors is supported");
    if (k == 0 && s != 1.0) ctx.fail(n, fmt::format("scale {} on the batch axis is not 1", s));
    factor.push_back(static_cast<int64_t>(s));
    out[k] = xfull[k] * factor.back();
  }
  for (size_t k = 1; k < xfull.size(); ++k)
    for (int64_t o = 0; o < out[k]; ++o)
      if (nearest_source(coord, nearest, o, xfull[k], out[k], scales[k]) != o / factor[k])
        ctx.fail(n, fmt::format("coordinate_transformation_mode '{}' with nearest_mode '{}' does not repeat each input "
                                "element {} times on axis {} (output {} reads input {})", coord, nearest, factor[k], k,
                                o, nearest_source(coord, nearest, o, xfull[k], out[k], scales[k])),
                 "export with coordinate_transformation_mode asymmetric and nearest_mode floor");
  // An NCHW map held channels-last stays so (the factors move with the axes); any other input (e.g. NHWC
  // data of a channels-last QONNX model) is upsampled in its own order.
  const bool map = is_channels_last(ctx.graph, x) && xfull.size() >= 3 && factor[1] == 1;
  const ir::TensorId in = map ? ctx.channels_last_input(n, 0, "the data X") : ctx.input(n, 0).id;
  const ir::TensorId y = map ? define_map_output(ctx, n, xfull[1], ir::Shape(out.begin() + 2, out.end()))
                             : ctx.add_activation(n, 0, out);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Upsample);
  node.inputs = {in};
  node.outputs = {y};
  std::vector<int64_t> held(factor.begin() + (map ? 2 : 1), factor.end());  // per axis of the IR data
  if (map) held.push_back(1);
  node.attrs["scales"] = held;
}

}  // namespace firmnet::frontends::onnx_detail
