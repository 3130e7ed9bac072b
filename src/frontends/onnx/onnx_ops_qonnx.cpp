// QONNX quantizers: Quant (IntQuant), BipolarQuant, Trunc (docs/NUMERICS.md "Quantized models").
//  - on a constant (weights, biases): folded through qonnx::quant into exact values; a per-tensor
//    power-of-two scale with zero point 0 also presets the constant's type fixed<b, b + log2 s>;
//  - on data, power-of-two per-tensor scale, zero point 0, a rounding mode ap_fixed has, not unsigned
//    narrow: a linear Activation whose output type is the quantizer (Q_res IS the Quant);
//  - on data otherwise: a MultiThreshold whose thresholds are the rounding boundaries (it outputs the
//    integer level q), then a Rescale y = (q - z) * s per tensor or per channel.
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "frontends/onnx/onnx_context.h"
#include "frontends/onnx/qonnx_quant.h"

namespace firmnet::frontends::onnx_detail {

namespace {

using qonnx::IntQuantSpec;
using qonnx::RoundingMode;

// Above this many bits a threshold quantizer would need 2^b - 1 comparators per element.
constexpr int kMaxThresholdBits = 12;

std::string fmt_scale(const std::vector<double>& s);

// "QONNX Quant(bits=4, scale=2^-3, signed, narrow, ROUND)": how `inspect` names the quantizer.
std::string describe(const std::string& op, const IntQuantSpec& q, const std::vector<double>& scale, bool zero_point) {
  const std::string spec = q.str();  // "bits=4, signed, narrow, ROUND"
  const size_t comma = spec.find(", ");
  return fmt::format("QONNX {}({}, {}{}{})", op, spec.substr(0, comma), fmt_scale(scale), spec.substr(comma),
                     zero_point ? ", zero point" : "");
}

std::string fmt_scale(const std::vector<double>& s) {
  if (s.size() != 1) return fmt::format("per-channel scale ({} values)", s.size());
  int k = 0;
  if (qonnx::is_power_of_two(s[0], &k)) return fmt::format("scale=2^{}", k);
  return fmt::format("scale={:g}", s[0]);
}

// A scale or zero point broadcast over one sample: per tensor, or per channel along the last axis
// (NHWC) or the first axis (NCHW) of the sample shape.
struct ChannelParam {
  std::vector<double> values;  // 1 or C values
  std::string layout = "NHWC";
  bool per_tensor() const { return values.size() == 1; }
};

ChannelParam channel_param(Context& ctx, const OnnxNode& n, const Value& x, const Value& p, const std::string& role) {
  auto shape = broadcast_shapes(x.full_shape, p.full_shape);
  if (!shape || *shape != x.full_shape)
    ctx.fail(n, role + " of shape " + shape_str(p.full_shape) + " does not broadcast to the data shape " +
                    shape_str(x.full_shape));
  const std::vector<double> v = broadcast_values(p.values, p.full_shape, x.full_shape);  // batch counted as 1
  const ir::Shape s = sample_shape(x);
  ChannelParam r;
  bool same = true;
  for (double e : v) same = same && e == v[0];
  if (same) {
    r.values = {v.empty() ? 0.0 : v[0]};
    return r;
  }
  const auto numel = static_cast<int64_t>(v.size());
  const int64_t last = s.empty() ? 1 : s.back(), first = s.empty() ? 1 : s.front(), inner = numel / first;
  bool by_last = true, by_first = true;
  for (int64_t e = 0; e < numel; ++e) {
    by_last = by_last && v[static_cast<size_t>(e)] == v[static_cast<size_t>(e % last)];
    by_first = by_first && v[static_cast<size_t>(e)] == v[static_cast<size_t>((e / inner) * inner)];
  }
  if (by_last) {
    r.values.assign(v.begin(), v.begin() + last);
  } else if (by_first) {
    r.layout = "NCHW";
    for (int64_t c = 0; c < first; ++c) r.values.push_back(v[static_cast<size_t>(c * inner)]);
  } else {
    ctx.fail(n, role + " of shape " + shape_str(p.full_shape) + " varies along more than one axis of the data " +
                    shape_str(x.full_shape),
             "only per-tensor or per-channel (one axis) scales and zero points are supported");
  }
  return r;
}

// For constants: the value when uniform (per tensor), else every broadcast value (only used as "not per tensor").
ChannelParam uniform_param(Context& ctx, const OnnxNode& n, const Value& x, const Value& p, const std::string& role) {
  auto shape = broadcast_shapes(x.full_shape, p.full_shape);
  if (!shape || *shape != x.full_shape)
    ctx.fail(n, role + " of shape " + shape_str(p.full_shape) + " does not broadcast to the constant's shape " +
                    shape_str(x.full_shape));
  ChannelParam r;
  r.values = p.values;
  bool same = !r.values.empty();
  for (double e : r.values) same = same && e == r.values[0];
  if (same) r.values.resize(1);
  return r;
}

// Brings two channel params onto one layout and channel count (a per-tensor one is repeated).
void unify(Context& ctx, const OnnxNode& n, ChannelParam& a, ChannelParam& b) {
  if (a.per_tensor() && b.per_tensor()) return;
  if (a.per_tensor()) a = {std::vector<double>(b.values.size(), a.values[0]), b.layout};
  if (b.per_tensor()) b = {std::vector<double>(a.values.size(), b.values[0]), a.layout};
  if (a.layout != b.layout || a.values.size() != b.values.size())
    ctx.fail(n, "scale and zero point are per channel along different axes");
}

int64_t bit_width(Context& ctx, const OnnxNode& n, int input) {
  const Value& b = ctx.const_input(n, input, "the bit width");
  if (b.values.size() != 1) ctx.fail(n, "the bit width must be a scalar, has " + std::to_string(b.values.size()) + " values");
  const double v = b.values[0];
  if (v != std::floor(v) || v < 1 || v > 63)
    ctx.fail(n, fmt::format("bit width {:g} is not an integer in 1..63", v));
  return static_cast<int64_t>(v);
}

RoundingMode rounding_attr(Context& ctx, const OnnxNode& n, const char* def) {
  const auto* a = ctx.attr(n, "rounding_mode");
  const std::string s = a ? a->s() : def;
  const auto m = qonnx::parse_rounding_mode(s);
  if (!m)
    ctx.fail(n, "rounding_mode '" + s + "' is not supported",
             "use ROUND, HALF_EVEN, CEIL, FLOOR, UP, DOWN, HALF_UP or HALF_DOWN");
  return *m;
}

void check_scale(Context& ctx, const OnnxNode& n, const std::vector<double>& s) {
  for (double v : s)
    if (!(v > 0) || !std::isfinite(v))
      ctx.fail(n, fmt::format("scale {:g} is not positive", v), "QONNX scales must be positive and finite");
}

using numeric::ap_rounding;

// fixed<b, b + log2 s> (signed or not) holding exactly the levels qmin..qmax times s.
numeric::FixedType level_type(const IntQuantSpec& q, int log2_scale, numeric::Rounding r, numeric::Overflow o) {
  numeric::FixedType t;
  t.width = q.bipolar() ? 2 : q.bits;
  t.int_bits = t.width + log2_scale;
  t.is_signed = q.is_signed;
  t.rounding = r;
  t.overflow = o;
  return t;
}

void check_type(Context& ctx, const OnnxNode& n, const numeric::FixedType& t) {
  try {
    t.validate("the quantized type");
  } catch (const Error& e) {
    ctx.fail(n, "the quantizer's type " + t.str() + " is not representable: " + e.message());
  }
  if (t.frac() > 128 || t.frac() < -128) ctx.fail(n, "the quantizer's scale is outside 2^-128 .. 2^128");
}

// The quantizer applied to a constant: exact folded values, and the preset type when there is one.
void fold_constant(Context& ctx, const OnnxNode& n, const Value& x, const ChannelParam& s, const ChannelParam& z,
                   const IntQuantSpec& q, const std::string& origin) {
  Value r;
  r.is_const = true;
  r.full_shape = x.full_shape;
  r.values.resize(x.values.size());
  const std::vector<double> sv = broadcast_values(ctx.input(n, 1).values, ctx.input(n, 1).full_shape, x.full_shape);
  std::vector<double> zv(x.values.size(), 0.0);
  if (ctx.has_input(n, 2) && !q.bipolar())
    zv = broadcast_values(ctx.input(n, 2).values, ctx.input(n, 2).full_shape, x.full_shape);
  for (size_t i = 0; i < x.values.size(); ++i) {
    try {
      r.values[i] = qonnx::quant(x.values[i], sv[i], zv[i], q);
    } catch (const std::domain_error& e) {
      ctx.fail(n, fmt::format("cannot quantize weight {} (value {:g}): {}", i, x.values[i], e.what()));
    }
  }
  int k = 0;
  const bool zero = z.per_tensor() && z.values[0] == 0;
  if (s.per_tensor() && zero && qonnx::is_power_of_two(s.values[0], &k)) {
    // Every folded value is q * 2^k with q in [qmin, qmax]: fixed<b, b + k> holds it exactly.
    const numeric::FixedType t = level_type(q, k, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
    check_type(ctx, n, t);
    r.type = t;
  }
  r.origin = origin;
  ctx.alias_output(n, 0, r);
}

// Why a quantizer on data needs threshold comparisons: nothing cheaper computes it exactly.
std::string threshold_reason(const ChannelParam& s, const ChannelParam& z, const IntQuantSpec& q) {
  if (q.bipolar()) return "bipolar: one comparison with the boundary -z*s";
  if (!s.per_tensor()) return "per-channel scales: one shift per channel is not a single cast";
  for (double v : s.values)
    if (!qonnx::is_power_of_two(v)) return fmt::format("scale {:g} is not a power of two: no shift of the raw bits is exact", v);
  return fmt::format("a zero point{} that is not one integer", z.per_tensor() ? fmt::format(" {:g}", z.values[0]) : "");
}

// y = (q - z) * s through MultiThreshold (+ Rescale). Levels: MultiThreshold outputs q (or, per tensor
// with z = 0 and a power-of-two s, directly q * s).
void emit_threshold_quant(Context& ctx, const OnnxNode& n, const Value& x, ChannelParam s, ChannelParam z,
                          const IntQuantSpec& q, const std::string& origin) {
  if (!q.bipolar() && q.bits > kMaxThresholdBits)
    ctx.fail(n, fmt::format("{} needs a threshold quantizer with {} thresholds per channel (bit width {} > {})",
                            origin, q.qmax() - q.qmin(), q.bits, kMaxThresholdBits),
             "use a power-of-two per-tensor scale and an integer zero point (then the quantizer is integer "
             "logic of the cost of a cast), or at most 12 bits");
  unify(ctx, n, s, z);
  const size_t rows = s.values.size();
  std::vector<double> thr;
  std::vector<int64_t> strict;
  bool any_strict = false;
  for (size_t c = 0; c < rows; ++c) {
    std::vector<qonnx::Boundary> bs;
    try {
      bs = qonnx::x_boundaries(q, s.values[c], z.values[c]);
    } catch (const std::domain_error& e) {
      ctx.fail(n, fmt::format("channel {}: {}", c, e.what()));
    }
    for (const auto& b : bs) {
      thr.push_back(b.at);
      strict.push_back(b.strict ? 1 : 0);
      any_strict = any_strict || b.strict;
    }
  }
  const auto n_thr = static_cast<int64_t>(thr.size() / rows);
  int k = 0;
  const bool direct = s.per_tensor() && z.values[0] == 0 && qonnx::is_power_of_two(s.values[0], &k);
  const double out_scale = (q.bipolar() ? 2.0 : 1.0) * (direct ? s.values[0] : 1.0);
  const double out_bias = static_cast<double>(q.qmin()) * (direct ? s.values[0] : 1.0);

  const ir::TensorId in = x.id;
  const std::vector<int64_t> full = x.full_shape;
  const int batch_axis = x.batch_axis;
  // The MultiThreshold writes output 0 of the ONNX node when no Rescale follows; otherwise an internal tensor.
  ir::TensorId mt_out;
  if (direct) {
    mt_out = ctx.add_activation(n, 0, full, batch_axis);
  } else {
    ir::Tensor t;
    t.name = ctx.tensor_names.make(ctx.output_name(n, 0) + "_level", "t", "t_");
    t.shape = sample_shape(x);
    mt_out = ctx.graph.add_tensor(std::move(t));
  }
  ir::Node& mt = ctx.add_node(n, ir::OpKind::MultiThreshold);
  mt.inputs = {in};
  mt.outputs = {mt_out};
  mt.attrs["out_scale"] = out_scale;
  mt.attrs["out_bias"] = out_bias;
  mt.attrs["data_layout"] = s.layout;
  if (any_strict) mt.attrs["strict"] = strict;
  mt.attrs["lowering"] = std::string("thresholds");
  mt.attrs["lowering_why"] = fmt::format(
      "{}: {} comparison(s) per element", threshold_reason(s, z, q), n_thr);
  const std::string mt_name = mt.name;
  const ir::TensorId th = ctx.add_constant(mt_name, "thresholds", {static_cast<int64_t>(rows), n_thr}, std::move(thr));
  ctx.graph.nodes.back().params["thresholds"] = th;
  ctx.graph.tensor(mt_out).origin = origin + (direct ? "" : " (integer level)");
  if (direct) return;

  // Rescale: y = (q - z_c) * s_c, parameters with exact types (a float32 scale has 24 significant bits).
  const ir::Shape sample = sample_shape(x);
  const auto expand = [&](const std::vector<double>& v) -> std::pair<ir::Shape, std::vector<double>> {
    if (v.size() == 1) return {{1}, v};
    if (s.layout == "NHWC") return {{static_cast<int64_t>(v.size())}, v};
    const int64_t numel = ir::num_elements(sample), inner = numel / static_cast<int64_t>(v.size());
    std::vector<double> full_v(static_cast<size_t>(numel));
    for (int64_t e = 0; e < numel; ++e) full_v[static_cast<size_t>(e)] = v[static_cast<size_t>(e / inner)];
    return {sample, full_v};
  };
  const ir::TensorId y = ctx.add_activation(n, 0, full, batch_axis);
  ir::Node& rs = ctx.add_node(n, ir::OpKind::Rescale);
  rs.name += "_rescale";
  rs.inputs = {mt_out};
  rs.outputs = {y};
  const std::string rs_name = rs.name;
  auto [sshape, svals] = expand(s.values);
  const auto stype = qonnx::exact_type(svals, 64);
  if (!stype) ctx.fail(n, "the scale is not exactly representable in 64 fixed-point bits");
  const ir::TensorId sp = ctx.add_constant(rs_name, "scale", sshape, std::move(svals));
  ctx.graph.tensor(sp).type = *stype;
  ctx.graph.tensor(sp).origin = origin + " (exact scale)";
  ctx.graph.nodes.back().params["scale"] = sp;
  bool any_z = false;
  for (double v : z.values) any_z = any_z || v != 0;
  if (any_z) {
    std::vector<double> neg;
    for (double v : z.values) neg.push_back(-v);
    auto [zshape, zvals] = expand(neg);
    const auto ztype = qonnx::exact_type(zvals, 64);
    if (!ztype) ctx.fail(n, "the zero point is not exactly representable in 64 fixed-point bits");
    const ir::TensorId zp = ctx.add_constant(rs_name, "pre_add", zshape, std::move(zvals));
    ctx.graph.tensor(zp).type = *ztype;
    ctx.graph.tensor(zp).origin = origin + " (exact zero point)";
    ctx.graph.nodes.back().params["pre_add"] = zp;
  }
  ctx.graph.tensor(y).origin = origin;
}

// A linear Activation whose output type is the quantizer itself.
void emit_typed_linear(Context& ctx, const OnnxNode& n, const Value& x, const numeric::FixedType& t,
                       const std::string& origin) {
  const ir::TensorId in = x.id;
  const ir::TensorId y = ctx.add_activation(n, 0, x.full_shape, x.batch_axis);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Activation);
  node.inputs = {in};
  node.outputs = {y};
  node.attrs["function"] = std::string("linear");
  ctx.graph.tensor(y).type = t;
  ctx.graph.tensor(y).origin = origin;
}


// What the raw-bit rounding of each mode costs (docs/NUMERICS.md): r are the input's raw bits, s the
// number of fractional bits of x / 2^k that the rounding drops.
const char* raw_formula(RoundingMode m) {
  switch (m) {
    case RoundingMode::FLOOR: return "r >> s";
    case RoundingMode::CEIL: return "(r + 2^s - 1) >> s, i.e. -floor(-x)";
    case RoundingMode::UP: return "r >= 0 ? (r + 2^s - 1) >> s : r >> s";
    case RoundingMode::DOWN: return "r >= 0 ? r >> s : (r + 2^s - 1) >> s";
    case RoundingMode::HALF_UP: return "(r + 2^(s-1) - [r < 0]) >> s";
    case RoundingMode::HALF_DOWN: return "(r + 2^(s-1) - [r >= 0]) >> s";
    case RoundingMode::ROUND:
    case RoundingMode::HALF_EVEN: return "(r + 2^(s-1) - 1 + bit s of r) >> s";
  }
  return "?";
}

// A per-tensor power-of-two Quant on data: a Quantize node, y = (clip(round(x / 2^k + z)) - z) * 2^k, whose
// output type holds exactly the levels (q - z) * 2^k. Lowered as a plain cast when ap_fixed has the rounding
// and the clip is the type's saturation; otherwise as integer logic on the raw bits (an add and a shift).
void emit_quantize(Context& ctx, const OnnxNode& n, const Value& x, const IntQuantSpec& q, int k, int64_t z,
                   const std::string& origin) {
  const auto r = ap_rounding(q.mode);
  const bool cast = z == 0 && r && !(!q.is_signed && q.narrow);
  numeric::FixedType t;
  if (cast) {
    // round(clip(u)) == clip(round(u)) (integer bounds, monotone rounding), and the cast rounds then
    // saturates: fixed<b, b+k, mode, SAT> is exactly this quantizer (signed narrow: SAT_SYM drops -2^(b-1)).
    t = level_type(q, k, *r, q.is_signed && q.narrow ? numeric::Overflow::SAT_SYM : numeric::Overflow::SAT);
  } else {
    // The fewest bits holding every q - z for q in [qmin, qmax], on the grid 2^k.
    const int64_t lo = q.qmin() - z, hi = q.qmax() - z;
    const bool is_signed = lo < 0;
    int w = 1;
    while (w < 64 && (is_signed ? (lo < -(int64_t{1} << (w - 1)) || hi > (int64_t{1} << (w - 1)) - 1)
                                : hi > static_cast<int64_t>((uint64_t{1} << w) - 1)))
      ++w;
    t = numeric::make_type(w, w + k, is_signed, numeric::Rounding::TRN, numeric::Overflow::SAT);
  }
  check_type(ctx, n, t);
  std::string why;
  if (cast) {
    why = fmt::format("{} rounds as {} and saturates exactly at the levels [{}, {}]", t.str(), name(q.mode),
                      q.qmin(), q.qmax());
  } else {
    std::string reason;
    if (!r) reason = fmt::format("ap_fixed has no {} rounding", name(q.mode));
    else if (z != 0) reason = fmt::format("zero point {}", z);
    else reason = fmt::format("the clip [{}, {}] is no ap_fixed overflow mode", q.qmin(), q.qmax());
    why = fmt::format("{}: q = {}, then clip to [{}, {}]{} ({})", name(q.mode), raw_formula(q.mode), q.qmin(),
                      q.qmax(), z != 0 ? fmt::format(", y = q - {}", z) : "", reason);
  }
  const ir::TensorId in = x.id;
  const ir::TensorId y = x.layout ? ctx.add_activation_like(n, 0, x) : ctx.add_activation(n, 0, x.full_shape, x.batch_axis);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Quantize);
  node.inputs = {in};
  node.outputs = {y};
  node.attrs["rounding_mode"] = std::string(name(q.mode));
  node.attrs["log2_scale"] = int64_t{k};
  node.attrs["zero_point"] = z;
  node.attrs["qmin"] = q.qmin();
  node.attrs["qmax"] = q.qmax();
  node.attrs["lowering"] = std::string(cast ? "cast" : "raw bits");
  node.attrs["lowering_why"] = why;
  ctx.graph.tensor(y).type = t;
  ctx.graph.tensor(y).origin = origin;
}

}  // namespace

// Quant / IntQuant(x, scale, zero_point, bit_width), attrs signed, narrow, rounding_mode.
void convert_quant(Context& ctx, const OnnxNode& n) {
  const Value& sc = ctx.const_input(n, 1, "the scale");
  const Value& zp = ctx.const_input(n, 2, "the zero point");
  // A per-tensor power-of-two quantizer (a Quantize node) is elementwise: a map stays held as it is
  // (channels-last). Every other form (thresholds, per channel) sees the ONNX order.
  const Value& held = ctx.input_as_is(n, 0);
  int k_held = 0;
  const bool elementwise = held.layout && sc.values.size() == 1 && zp.values.size() == 1 &&
                           qonnx::is_power_of_two(sc.values[0], &k_held) && zp.values[0] == std::floor(zp.values[0]) &&
                           std::fabs(zp.values[0]) < 0x1p52 && bit_width(ctx, n, 3) > 1;
  const Value& x = elementwise ? held : ctx.input(n, 0);
  IntQuantSpec q;
  q.bits = static_cast<int>(bit_width(ctx, n, 3));
  // qonnx's attribute defaults (both are "required" there, so exporters write them).
  q.is_signed = ctx.attr_int(n, "signed", 1) != 0;
  q.narrow = ctx.attr_int(n, "narrow", 0) != 0;
  q.mode = rounding_attr(ctx, n, "ROUND");
  if (q.bits == 1 && !q.is_signed && q.narrow) ctx.fail(n, "an unsigned narrow 1-bit Quant has no levels (qmax < qmin)");
  check_scale(ctx, n, sc.values);
  if (x.is_const) {
    // Weights: any broadcastable scale / zero point (e.g. per output channel [out, 1]); only whether they
    // are uniform matters for the preset type.
    const ChannelParam s = uniform_param(ctx, n, x, sc, "the scale");
    const ChannelParam z = uniform_param(ctx, n, x, zp, "the zero point");
    return fold_constant(ctx, n, x, s, z, q, describe(n.op(), q, s.values, !(z.per_tensor() && z.values[0] == 0)));
  }
  ChannelParam s = channel_param(ctx, n, x, sc, "the scale");
  ChannelParam z = channel_param(ctx, n, x, zp, "the zero point");
  const std::string origin = describe(n.op(), q, s.values, !(z.per_tensor() && z.values[0] == 0));

  int k = 0;
  const double z0 = z.values[0];
  if (s.per_tensor() && z.per_tensor() && qonnx::is_power_of_two(s.values[0], &k) && !q.bipolar() &&
      z0 == std::floor(z0) && std::fabs(z0) < 0x1p52)
    return emit_quantize(ctx, n, x, q, k, static_cast<int64_t>(z0), origin);
  emit_threshold_quant(ctx, n, x, s, z, q, origin);
}

// BipolarQuant(x, scale): y = (x / s >= 0 ? 1 : -1) * s.
void convert_bipolar_quant(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input(n, 0);
  const Value& sc = ctx.const_input(n, 1, "the scale");
  check_scale(ctx, n, sc.values);
  IntQuantSpec q;
  q.bits = 1;
  q.is_signed = true;
  if (x.is_const) {
    const ChannelParam s = uniform_param(ctx, n, x, sc, "the scale");
    return fold_constant(ctx, n, x, s, {{0.0}}, q, fmt::format("QONNX BipolarQuant({})", fmt_scale(s.values)));
  }
  ChannelParam s = channel_param(ctx, n, x, sc, "the scale");
  ChannelParam z{{0.0}, s.layout};
  const std::string origin = fmt::format("QONNX BipolarQuant({})", fmt_scale(s.values));
  if (s.per_tensor()) {
    // x >= 0 ? s : -s  (design: thresholds [[0]], out_scale 2s, out_bias -s), levels exact in double.
    const ir::TensorId in = x.id;
    const ir::TensorId y = ctx.add_activation(n, 0, x.full_shape, x.batch_axis);
    ir::Node& mt = ctx.add_node(n, ir::OpKind::MultiThreshold);
    mt.inputs = {in};
    mt.outputs = {y};
    mt.attrs["out_scale"] = 2 * s.values[0];
    mt.attrs["out_bias"] = -s.values[0];
    mt.attrs["data_layout"] = std::string("NHWC");
    const std::string name = mt.name;
    const ir::TensorId th = ctx.add_constant(name, "thresholds", {1, 1}, {0.0});
    ctx.graph.nodes.back().params["thresholds"] = th;
    ctx.graph.tensor(y).origin = origin;
    return;
  }
  emit_threshold_quant(ctx, n, x, s, z, q, origin);
}

// Trunc(x, scale, zero_point, input_bit_width, output_bit_width), attr rounding_mode (default FLOOR):
//   y = rounding(round(x/s + z) / 2^(in - out)), then (y - z) * s  (qonnx trunc.py)
// Supported when s is a per-tensor power of two, z = 0, the input's type is preset on the grid of s (so the
// inner round is the identity) and the mode has an ap_fixed rounding: then it is a cast to
// fixed<out + 1, out + 1 + log2 s + (in - out), mode, SAT> (one extra bit for a rounding carry).
void convert_trunc(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.act_input(n, 0, "the data");
  const Value& sc = ctx.const_input(n, 1, "the scale");
  const Value& zp = ctx.const_input(n, 2, "the zero point");
  const int64_t in_bits = bit_width(ctx, n, 3), out_bits = bit_width(ctx, n, 4);
  const RoundingMode mode = rounding_attr(ctx, n, "FLOOR");
  const bool is_signed = ctx.attr_int(n, "signed", 1) != 0;
  check_scale(ctx, n, sc.values);
  const ChannelParam s = channel_param(ctx, n, x, sc, "the scale");
  const ChannelParam z = channel_param(ctx, n, x, zp, "the zero point");
  int k = 0;
  const auto r = ap_rounding(mode);
  const std::string origin = fmt::format("QONNX Trunc(bits {} -> {}, {}, {})", in_bits, out_bits, fmt_scale(s.values),
                                         qonnx::name(mode));
  if (!s.per_tensor() || !qonnx::is_power_of_two(s.values[0], &k) || !z.per_tensor() || z.values[0] != 0 || !r ||
      out_bits > in_bits)
    ctx.fail(n, origin + " is not supported",
             "firmnet supports Trunc with a per-tensor power-of-two scale, zero point 0, output bits <= input bits "
             "and a rounding mode other than CEIL/UP");
  const auto& in_type = ctx.graph.tensor(x.id).type;
  if (!in_type || in_type->frac() > -k)
    ctx.fail(n, "the input of " + origin + " is not known to lie on the grid of its scale",
             "Trunc is supported after a quantizer with a power-of-two scale (e.g. a QONNX Quant)");
  numeric::FixedType t;
  t.width = static_cast<int>(out_bits) + 1;
  t.int_bits = t.width + k + static_cast<int>(in_bits - out_bits);
  t.is_signed = is_signed;
  t.rounding = *r;
  t.overflow = numeric::Overflow::SAT;
  check_type(ctx, n, t);
  emit_typed_linear(ctx, n, x, t, origin);
}

}  // namespace firmnet::frontends::onnx_detail
