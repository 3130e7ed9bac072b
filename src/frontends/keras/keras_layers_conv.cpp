// Convolutions and pooling: Conv1D/2D, DepthwiseConv1D/2D, SeparableConv1D/2D (and their QKeras forms) →
// Conv; MaxPooling/AveragePooling 1D/2D and global pooling → Pool; ZeroPadding1D/2D → the padding of the
// next convolution; Cropping1D/2D → Slice; UpSampling1D/2D (nearest) → Upsample. Keras maps are channels-last as the IR's; kernels [k..., C_in/group, C_out] are the IR
// weight layout as they are (a depthwise kernel [k..., C, multiplier] too: output channel c*multiplier + m).
#include <fmt/format.h>

#include "frontends/keras/keras_context.h"
#include "ir/spatial.h"

namespace firmnet::frontends::keras {

namespace {

// The spatial rank of a layer class ("Conv2D" → 2).
size_t rank_of(const std::string& cls) {
  if (cls.find("1D") != std::string::npos) return 1;
  if (cls.find("2D") != std::string::npos) return 2;
  return 0;
}

// QKeras QAveragePooling2D / QGlobalAveragePooling2D (qpooling.py): Keras's average (the sum over c valid
// elements, / c), times the pool area, times average_quantizer(1 / area); then the layer's activation. As the
// Pool's reciprocal table: entry c = area · q(1/area) / c (for a 'valid' window c = area: the sum times
// q(1/area)). Without an average_quantizer the plain average.
void qkeras_average(Context& ctx, const Layer& l, int64_t taps) {
  if (!ctx.has(l, "average_quantizer")) return;
  const double q = quantize_weights(ctx, l, ctx.get(l, "average_quantizer"), "average", {1},
                                    {1.0 / static_cast<double>(taps)})
                       .values.at(0);
  std::vector<double> r = {0.0};
  for (int64_t c = 1; c <= taps; ++c) r.push_back(static_cast<double>(taps) * q / static_cast<double>(c));
  ir::Node& n = ctx.graph.nodes.back();
  ir::Tensor& t = ctx.graph.tensor(n.param("reciprocal"));
  t.values = r;
  t.type = exact_type(r);
  t.origin = fmt::format("QKeras average_quantizer: {} · q(1/{}) = {} per valid element count", taps, taps, taps * q);
}

void check_channels_last(Context& ctx, const Layer& l) {
  if (ctx.has(l, "data_format") && ctx.get_str(l, "data_format") != "channels_last")
    ctx.fail(l, "data_format '" + ctx.get_str(l, "data_format") + "' is not supported",
             "firmnet reads channels_last models (Keras's default)");
}

const Value& map_input(Context& ctx, const Layer& l, const std::vector<Value>& in, size_t rank) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  if (in[0].shape.size() != rank + 1)
    ctx.fail(l, fmt::format("input of shape {} is not a {}-D channels-last map [{}C]", ir::to_string(in[0].shape),
                            rank, rank == 1 ? "W, " : "H, W, "));
  return in[0];
}

struct Geometry {
  std::vector<int64_t> pads;  // begin..., end...
  ir::Shape out;
};

// Keras padding on spatial dims `in` (of the unpadded data) plus extra (ZeroPadding) pads.
Geometry geometry(Context& ctx, const Layer& l, const ir::Shape& in_padded, const std::vector<int64_t>& extra,
                  const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                  const std::vector<int64_t>& dilations, const std::string& padding) {
  const size_t r = kernel.size();
  Geometry g;
  g.pads.assign(2 * r, 0);
  for (size_t a = 0; a < r; ++a) {
    if (kernel[a] < 1 || strides[a] < 1 || dilations[a] < 1)
      ctx.fail(l, fmt::format("kernel {}, stride {} and dilation {} on axis {} must be positive", kernel[a], strides[a],
                              dilations[a], a));
    const int64_t in = in_padded[a];
    const int64_t span = (kernel[a] - 1) * dilations[a] + 1;
    if (padding == "same") {
      const int64_t out = (in + strides[a] - 1) / strides[a];
      const int64_t total = std::max<int64_t>(0, (out - 1) * strides[a] + span - in);
      g.pads[a] = total / 2;
      g.pads[a + r] = total - total / 2;
    } else if (padding == "causal") {
      if (r != 1) ctx.fail(l, "causal padding is only defined for 1-D layers");
      g.pads[a] = span - 1;
    } else if (padding != "valid") {
      ctx.fail(l, "padding '" + padding + "' is not valid, same or causal");
    }
    if (!extra.empty()) g.pads[a] += extra[a], g.pads[a + r] += extra[a + r];
    const int64_t unpadded = in - (extra.empty() ? 0 : extra[a] + extra[a + r]);
    const int64_t o = ir::Window::out_size(unpadded, kernel[a], strides[a], dilations[a], g.pads[a] + g.pads[a + r], false);
    if (o < 1)
      ctx.fail(l, fmt::format("the window (kernel {}, dilation {}) is larger than the input ({}) on spatial axis {}",
                              kernel[a], dilations[a], in, a));
    g.out.push_back(o);
  }
  return g;
}

std::vector<double> zeros(int64_t n) { return std::vector<double>(static_cast<size_t>(n), 0.0); }

// ZeroPadding / Cropping amounts [begin..., end...] of an r-D map from the config field `key` as Keras saves
// it: a bare integer (every end alike), (begin, end) for 1-D, or one entry per axis, each an integer (both
// ends) or a (begin, end) pair. Each amount is a non-negative integer of at most `limit`.
std::vector<int64_t> begin_end_amounts(Context& ctx, const Layer& l, const std::string& key, size_t r, int64_t limit,
                                       const std::string& usage) {
  const json& p = ctx.get(l, key);
  std::vector<int64_t> amounts(2 * r, 0);
  const auto num = [&](const json& v) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > limit)
      ctx.fail(l, key + " " + p.dump() + " is not a list of non-negative integers");
    return v.get<int64_t>();
  };
  if (p.is_number_integer()) {
    for (auto& v : amounts) v = num(p);
  } else if (p.is_array() && p.size() == 2 && r == 1) {  // (begin, end)
    amounts = {num(p[0]), num(p[1])};
  } else if (p.is_array() && p.size() == r) {
    for (size_t a = 0; a < r; ++a) {
      if (p[a].is_array() && p[a].size() == 2) amounts[a] = num(p[a][0]), amounts[a + r] = num(p[a][1]);
      else amounts[a] = amounts[a + r] = num(p[a]);
    }
  } else {
    ctx.fail(l, key + " " + p.dump() + " is not understood", usage);
  }
  return amounts;
}

}  // namespace

Value emit_conv(Context& ctx, const Layer& l, const Value& x, const ConvSpec& s, const std::string& suffix) {
  const size_t r = s.kernel.size();
  const ir::Shape spatial(x.shape.begin(), x.shape.end() - 1);
  const int64_t cin = x.shape.back();
  const Geometry g = geometry(ctx, l, spatial, x.pending_pads, s.kernel, s.strides, s.dilations, s.padding);
  Value data = x;
  data.pending_pads.clear();
  ir::Shape out = g.out;
  out.push_back(s.out_channels);
  Value y = ctx.emit(l, ir::OpKind::Conv, {data}, out, suffix);
  ir::set_window_attrs(ctx.graph.nodes.back(), s.kernel, s.strides, s.dilations, g.pads);
  ctx.graph.nodes.back().attrs["group"] = s.group;
  ir::Shape wshape = s.kernel;
  wshape.push_back(cin / s.group);
  wshape.push_back(s.out_channels);
  ctx.param("weight", wshape, s.weight.values, s.weight.type, s.weight.origin);
  ctx.param("bias", {s.out_channels}, s.bias.values.empty() ? zeros(s.out_channels) : s.bias.values, s.bias.type,
            s.bias.origin);
  (void)r;
  return y;
}

std::vector<Value> convert_conv(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if ((l.cls == "QConv1D" || l.cls == "QConv2D") && is_hgq_layer(ctx, l)) return convert_hgq_conv(ctx, l, in);
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = map_input(ctx, l, in, r);
  const int64_t cin = x.shape.back();
  ConvSpec s;
  s.out_channels = ctx.get_int(l, "filters");
  s.kernel = ctx.get_ints(l, "kernel_size", r);
  s.strides = ctx.get_ints(l, "strides", r, 1);
  s.dilations = ctx.get_ints(l, "dilation_rate", r, 1);
  s.padding = ctx.get_str(l, "padding", "valid");
  const int64_t groups = ctx.get_int(l, "groups", 1);
  if (groups != 1 && groups != cin)
    ctx.fail(l, fmt::format("groups = {} is neither 1 nor the {} input channels (depthwise)", groups, cin),
             "grouped convolutions other than depthwise are not supported");
  if (s.out_channels <= 0 || s.out_channels % groups != 0)
    ctx.fail(l, fmt::format("filters = {} is not a positive multiple of groups {}", s.out_channels, groups));
  s.group = groups;
  ir::Shape wshape = s.kernel;
  wshape.push_back(cin / groups);
  wshape.push_back(s.out_channels);
  const Array& k = ctx.weight(l, 0, "kernel", wshape);
  s.weight = layer_weight(ctx, l, "kernel_quantizer", "kernel", wshape, k.values);
  if (ctx.get_bool(l, "use_bias", true)) {
    const Array& b = ctx.weight(l, 1, "bias", {s.out_channels});
    s.bias = layer_weight(ctx, l, "bias_quantizer", "bias", {s.out_channels}, b.values);
  }
  const Value y = emit_conv(ctx, l, x, s, "");
  return {layer_activation(ctx, l, y)};
}

std::vector<Value> convert_depthwise_conv(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = map_input(ctx, l, in, r);
  const int64_t cin = x.shape.back();
  const int64_t mult = ctx.get_int(l, "depth_multiplier", 1);
  if (mult < 1 || mult > (1 << 16)) ctx.fail(l, fmt::format("depth_multiplier = {} is out of range", mult));
  ConvSpec s;
  s.kernel = ctx.get_ints(l, "kernel_size", r);
  s.strides = ctx.get_ints(l, "strides", r, 1);
  s.dilations = ctx.get_ints(l, "dilation_rate", r, 1);
  s.padding = ctx.get_str(l, "padding", "valid");
  s.group = cin;
  s.out_channels = cin * mult;
  ir::Shape kshape = s.kernel;
  kshape.push_back(cin);
  kshape.push_back(mult);
  ir::Shape wshape = s.kernel;
  wshape.push_back(1);
  wshape.push_back(cin * mult);
  const Array& k = ctx.weight(l, 0, "depthwise_kernel", kshape);
  s.weight = layer_weight(ctx, l, "depthwise_quantizer", "depthwise kernel", kshape, k.values);
  if (ctx.get_bool(l, "use_bias", true)) {
    const Array& b = ctx.weight(l, 1, "bias", {cin * mult});
    s.bias = layer_weight(ctx, l, "bias_quantizer", "bias", {cin * mult}, b.values);
  }
  const Value y = emit_conv(ctx, l, x, s, "");
  return {layer_activation(ctx, l, y)};
}

// Depthwise (no bias) then pointwise (with the bias): two IR Convs, <name>_depthwise and <name>.
std::vector<Value> convert_separable_conv(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = map_input(ctx, l, in, r);
  const int64_t cin = x.shape.back();
  const int64_t mult = ctx.get_int(l, "depth_multiplier", 1);
  if (mult < 1 || mult > (1 << 16)) ctx.fail(l, fmt::format("depth_multiplier = {} is out of range", mult));
  const int64_t filters = ctx.get_int(l, "filters");
  if (filters <= 0) ctx.fail(l, fmt::format("filters = {} is not positive", filters));
  ConvSpec d;
  d.kernel = ctx.get_ints(l, "kernel_size", r);
  d.strides = ctx.get_ints(l, "strides", r, 1);
  d.dilations = ctx.get_ints(l, "dilation_rate", r, 1);
  d.padding = ctx.get_str(l, "padding", "valid");
  d.group = cin;
  d.out_channels = cin * mult;
  ir::Shape kshape = d.kernel;
  kshape.push_back(cin);
  kshape.push_back(mult);
  d.weight = layer_weight(ctx, l, "depthwise_quantizer", "depthwise kernel", kshape,
                          ctx.weight(l, 0, "depthwise_kernel", kshape).values);
  const Value mid = emit_conv(ctx, l, x, d, "depthwise");
  ConvSpec p;
  p.kernel.assign(r, 1), p.strides.assign(r, 1), p.dilations.assign(r, 1);
  p.out_channels = filters;
  ir::Shape pshape(r, 1);
  pshape.push_back(cin * mult);
  pshape.push_back(filters);
  p.weight = layer_weight(ctx, l, "pointwise_quantizer", "pointwise kernel", pshape,
                          ctx.weight(l, 1, "pointwise_kernel", pshape).values);
  if (ctx.get_bool(l, "use_bias", true)) {
    const Array& b = ctx.weight(l, 2, "bias", {filters});
    p.bias = layer_weight(ctx, l, "bias_quantizer", "bias", {filters}, b.values);
  }
  const Value y = emit_conv(ctx, l, mid, p, "");
  return {layer_activation(ctx, l, y)};
}

std::vector<Value> convert_pool(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = ctx.plain(l, map_input(ctx, l, in, r));
  const bool avg = l.cls.find("Average") != std::string::npos;
  const std::vector<int64_t> kernel = ctx.get_ints(l, "pool_size", r, 2);
  const std::vector<int64_t> strides = ctx.has(l, "strides") ? ctx.get_ints(l, "strides", r) : kernel;
  const std::string padding = ctx.get_str(l, "padding", "valid");
  if (padding != "valid" && padding != "same") ctx.fail(l, "padding '" + padding + "' is not valid or same");
  const ir::Shape spatial(x.shape.begin(), x.shape.end() - 1);
  const std::vector<int64_t> ones(r, 1);
  const Geometry g = geometry(ctx, l, spatial, {}, kernel, strides, ones, padding);
  ir::Shape out = g.out;
  out.push_back(x.shape.back());
  Value y = ctx.emit(l, ir::OpKind::Pool, {x}, out);
  ir::Node& node = ctx.graph.nodes.back();
  ir::set_window_attrs(node, kernel, strides, ones, g.pads);
  node.attrs["mode"] = std::string(avg ? "avg" : "max");
  node.attrs["count_include_pad"] = int64_t{0};  // Keras's 'same' average counts only the valid elements
  if (avg) {
    int64_t taps = 1;
    for (int64_t k : kernel) taps *= k;
    if (taps > (int64_t{1} << 20)) ctx.fail(l, fmt::format("a window of {} taps is too large", taps));
    std::vector<double> inv = {0.0};
    for (int64_t c = 1; c <= taps; ++c) inv.push_back(1.0 / static_cast<double>(c));
    ctx.param("reciprocal", {taps + 1}, std::move(inv));
    if (l.cls[0] == 'Q') qkeras_average(ctx, l, taps);
  }
  if (l.cls[0] == 'Q') return {layer_activation(ctx, l, y)};
  return {y};
}

std::vector<Value> convert_global_pool(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = ctx.plain(l, map_input(ctx, l, in, r));
  const bool avg = l.cls.find("Average") != std::string::npos;
  const ir::Shape spatial(x.shape.begin(), x.shape.end() - 1);
  const int64_t c = x.shape.back();
  ir::Shape out(r, 1);
  out.push_back(c);
  const bool keepdims = ctx.get_bool(l, "keepdims", false);
  // A global pool is a window the size of the map; without keepdims a Reshape drops the [1, (1,)] axes.
  Value y = ctx.emit(l, ir::OpKind::Pool, {x}, out);
  ir::Node& node = ctx.graph.nodes.back();
  ir::set_window_attrs(node, spatial, std::vector<int64_t>(r, 1), std::vector<int64_t>(r, 1),
                       std::vector<int64_t>(2 * r, 0));
  node.attrs["mode"] = std::string(avg ? "avg" : "max");
  node.attrs["count_include_pad"] = int64_t{0};
  if (avg) {
    const int64_t taps = ir::num_elements(spatial);
    if (taps > (int64_t{1} << 20)) ctx.fail(l, fmt::format("a window of {} taps is too large", taps));
    std::vector<double> inv = {0.0};
    for (int64_t k = 1; k <= taps; ++k) inv.push_back(1.0 / static_cast<double>(k));
    ctx.param("reciprocal", {taps + 1}, std::move(inv));
    if (l.cls[0] == 'Q') qkeras_average(ctx, l, taps);
  }
  if (!keepdims) y = ctx.emit(l, ir::OpKind::Reshape, {y}, {c}, "flat");
  if (l.cls[0] == 'Q') return {layer_activation(ctx, l, y)};
  return {y};
}

std::vector<Value> convert_zero_padding(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = ctx.plain(l, map_input(ctx, l, in, r));
  const std::vector<int64_t> pads = begin_end_amounts(ctx, l, "padding", r, int64_t{1} << 20,
                                                     "ZeroPadding1D takes (left, right); ZeroPadding2D ((top, bottom), (left, right))");
  Value v = x;
  v.pending_pads = pads;
  v.padded_by = l.name;
  for (size_t a = 0; a < r; ++a) v.shape[a] += pads[a] + pads[a + r];
  return {v};
}

// Cropping1D / Cropping2D: a Slice of the map. 'cropping' as Keras saves it: Cropping1D (begin, end),
// Cropping2D ((top, bottom), (left, right)); a bare integer or one integer per axis crops both ends alike.
std::vector<Value> convert_cropping(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = ctx.plain(l, map_input(ctx, l, in, r));
  const std::vector<int64_t> crop = begin_end_amounts(ctx, l, "cropping", r, int64_t{1} << 24,
                                                     r == 1 ? "Cropping1D takes (begin, end)"
                                                            : "Cropping2D takes ((top, bottom), (left, right))");
  ir::Shape out = x.shape;
  std::vector<int64_t> starts(r + 1, 0);
  for (size_t a = 0; a < r; ++a) {
    out[a] = x.shape[a] - crop[a] - crop[a + r];
    if (out[a] < 1)
      ctx.fail(l, fmt::format("cropping {} + {} of axis {} leaves nothing of its {} elements", crop[a], crop[a + r], a,
                              x.shape[a]),
               "crop less than the input's size");
    starts[a] = crop[a];
  }
  bool none = true;
  for (int64_t c : crop) none = none && c == 0;
  if (none) return {x};
  const Value y = ctx.emit(l, ir::OpKind::Slice, {x}, out);
  ctx.graph.nodes.back().attrs["starts"] = starts;
  return {y};
}

// UpSampling1D / UpSampling2D (nearest: each element repeated 'size' times along each axis) → Upsample.
std::vector<Value> convert_upsampling(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  check_channels_last(ctx, l);
  const size_t r = rank_of(l.cls);
  const Value& x = ctx.plain(l, map_input(ctx, l, in, r));
  const std::string interp = ctx.get_str(l, "interpolation", "nearest");
  if (interp != "nearest")
    ctx.fail(l, "interpolation '" + interp + "' is not supported (its weights are not exact in fixed point)",
             "use interpolation='nearest', or a Conv2DTranspose with fixed bilinear weights");
  const std::vector<int64_t> size = ctx.get_ints(l, "size", r, 2);
  std::vector<int64_t> scales(size);
  scales.push_back(1);
  ir::Shape out = x.shape;
  for (size_t a = 0; a < r; ++a) {
    if (size[a] < 1 || size[a] > (1 << 16) || x.shape[a] * size[a] > kMaxElements)
      ctx.fail(l, fmt::format("size {} of axis {} is not an integer in [1, 65536]", size[a], a));
    out[a] *= size[a];
  }
  if (ir::num_elements(out) > kMaxElements) ctx.fail(l, "the upsampled map is too large");
  const Value y = ctx.emit(l, ir::OpKind::Upsample, {x}, out);
  ctx.graph.nodes.back().attrs["scales"] = scales;
  return {y};
}

}  // namespace firmnet::frontends::keras
