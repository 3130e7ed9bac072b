// HGQ2 (hgq.layers) layers in Keras 3 files: QDense and QConv1D/QConv2D with per-element fixed-point quantizers
// on their input (iq, 'datalane'), kernel (kq), bias (bq) and output (oq, after the activation). A quantizer's
// parameters live in the weights file as variables of the sub-object '<layer>/<kq|bq|iq|oq>/quantizer': 'kbi'
// (keep_negative k, bits b excluding the sign, integer bits i; f = b - i) or 'kif' (k, i, f), each broadcast
// over the quantized tensor. HGQ2's quantizer
// (the 'quantizers' package, FixedPointQuantizer): i = max(i, -f); not WRAP: clip to [-k·(2^i - 2^-f)
// (SAT_SYM) or -k·2^i (SAT), 2^i - 2^-f], then round(x·2^f)/2^f; WRAP: round, then wrap into [-k·2^i, 2^i);
// an element with k + i + f <= 0 is 0. round: RND floor(v + 1/2), RND_CONV half to even, TRN floor.
//
// Weights are quantized here, per element (their exact type: the widest per tensor). A data quantizer with one
// (k, i, f) for the whole tensor is a cast (a linear Activation typed fixed<k+i+f, k+i, mode, overflow>). A
// heterogeneous WRAP quantizer (W_j = k_j + i_j + f_j bits, widest W) is exact with power-of-two scalings and
// two casts: x·2^f_j, cast to fixed<W, W, mode, WRAP> (r_j = round(x·2^f_j) modulo 2^W, a multiple of 2^W_j),
// ·2^(W - W_j), cast to fixed<W, W, TRN, WRAP> (element j's own W_j-bit wrap, shifted), ·2^-(f_j + W - W_j)
// (0 where the element has no bits). docs/NUMERICS.md "HGQ2".
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "frontends/keras/keras_context.h"

namespace firmnet::frontends::keras {

namespace {

struct KIF {
  std::vector<double> k, i, f;  // per element of the quantized tensor
  std::string round = "RND", overflow = "WRAP";
  std::string describe;
};

double round_conv(double v) { return std::nearbyint(v); }

// numpy broadcasting of `v` (shape vs) to shape `to`.
std::vector<double> broadcast(Context& ctx, const Layer& l, const std::vector<double>& v, ir::Shape vs, const ir::Shape& to,
                              const std::string& what) {
  while (vs.size() > to.size() && !vs.empty() && vs[0] == 1) vs.erase(vs.begin());  // the batch axis of datalane variables
  if (vs.size() > to.size()) ctx.fail(l, fmt::format("{} of shape {} does not fit {}", what, ir::to_string(vs), ir::to_string(to)));
  while (vs.size() < to.size()) vs.insert(vs.begin(), 1);
  for (size_t a = 0; a < to.size(); ++a)
    if (vs[a] != 1 && vs[a] != to[a])
      ctx.fail(l, fmt::format("{} of shape {} does not broadcast to {}", what, ir::to_string(vs), ir::to_string(to)));
  const int64_t n = ir::num_elements(to);
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t e = 0; e < n; ++e) {
    int64_t rem = e, src = 0, stride = 1;
    for (size_t a = to.size(); a-- > 0;) {
      const int64_t idx = rem % to[a];
      rem /= to[a];
      src += (vs[a] == 1 ? 0 : idx) * stride;
      stride *= vs[a];
    }
    out[static_cast<size_t>(e)] = v[static_cast<size_t>(src)];
  }
  return out;
}

// The quantizer of config key `conf` ("kq_conf", ...), variables under sub-object `sub`, over tensor `shape`.
KIF read_quantizer(Context& ctx, const Layer& l, const std::string& conf, const std::string& sub, const ir::Shape& shape) {
  const json& c = ctx.get(l, conf);
  if (!c.is_object() || !c.contains("config") || !c["config"].is_object())
    ctx.fail(l, conf + " is not a quantizer configuration");
  const json& q = c["config"];
  KIF r;
  const std::string type = q.value("q_type", std::string("kbi"));
  r.round = q.value("round_mode", std::string("RND"));
  r.overflow = q.value("overflow_mode", std::string("WRAP"));
  for (auto* s : {&r.round, &r.overflow})
    for (char& ch : *s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (r.round != "RND" && r.round != "RND_CONV" && r.round != "TRN")
    ctx.fail(l, fmt::format("{}: round_mode '{}' is not supported", conf, r.round), "use RND, RND_CONV or TRN");
  if (r.overflow != "WRAP" && r.overflow != "SAT" && r.overflow != "SAT_SYM")
    ctx.fail(l, fmt::format("{}: overflow_mode '{}' is not supported", conf, r.overflow), "use WRAP, SAT or SAT_SYM");
  if (type != "kbi" && type != "kif") ctx.fail(l, fmt::format("{}: q_type '{}' is not kbi or kif", conf, type));
  for (const char* key : {"scaler", "affine", "bw_mapper"})
    if (q.contains(key) && !q[key].is_null()) ctx.fail(l, fmt::format("{}: '{}' is not supported", conf, key));
  // Keras saves trainable variables first, then the others, each in creation order (k, b|i, i|f); i is
  // trainable unless the overflow is WRAP.
  const bool wrap = r.overflow == "WRAP";
  std::vector<std::string> order;
  if (type == "kbi") order = wrap ? std::vector<std::string>{"b", "k", "i"} : std::vector<std::string>{"b", "i", "k"};
  else order = wrap ? std::vector<std::string>{"f", "k", "i"} : std::vector<std::string>{"i", "f", "k"};
  const std::vector<Array>& vars = ctx.weights(l, 3, sub);
  std::map<std::string, std::vector<double>> v;
  for (size_t n = 0; n < 3; ++n) v[order[n]] = broadcast(ctx, l, vars[n].values, vars[n].shape, shape, conf + " variable " + order[n]);
  const size_t n = static_cast<size_t>(ir::num_elements(shape));
  r.k.resize(n), r.i.resize(n), r.f.resize(n);
  for (size_t e = 0; e < n; ++e) {
    r.k[e] = v["k"][e] != 0 ? 1.0 : 0.0;
    r.i[e] = round_conv(v["i"][e]);
    r.f[e] = type == "kbi" ? round_conv(v["b"][e]) - r.i[e] : round_conv(v["f"][e]);
    if (std::fabs(r.i[e]) > 64 || std::fabs(r.f[e]) > 64)
      ctx.fail(l, fmt::format("{}: element {} has i = {}, f = {} (out of range)", conf, e, r.i[e], r.f[e]));
    r.i[e] = std::max(r.i[e], -r.f[e]);
  }
  r.describe = fmt::format("HGQ2 {} ({}, {}, {})", type, r.round, r.overflow, conf.substr(0, 2));
  return r;
}

double quantize(double x, double k, double i, double f, const KIF& q) {
  if (k + i + f <= 0) return 0.0;
  const double eps = std::ldexp(1.0, static_cast<int>(-f));
  const double hi = std::ldexp(1.0, static_cast<int>(i)) - eps;
  if (q.overflow != "WRAP") {
    const double lo = q.overflow == "SAT_SYM" ? -hi * k : -std::ldexp(1.0, static_cast<int>(i)) * k;
    x = std::clamp(x, lo, hi);
  }
  const double v = std::ldexp(x, static_cast<int>(f));
  const double r = q.round == "RND" ? std::floor(v + 0.5) : q.round == "RND_CONV" ? round_conv(v) : std::floor(v);
  x = std::ldexp(r, static_cast<int>(-f));
  if (q.overflow == "WRAP") {
    const double mod = std::ldexp(1.0, static_cast<int>(i + k));
    const double bias = k * std::ldexp(1.0, static_cast<int>(i + k - 1));
    x = std::fmod(std::fmod(x + bias, mod) + mod, mod) - bias;
  }
  return x;
}

// The narrowest signed type holding every value exactly (<= 40 bits), else nullopt.
std::optional<numeric::FixedType> exact_type_40(const std::vector<double>& values) {
  auto t = numeric::exact_type(values, 40, false);
  if (t) t->rounding = numeric::Rounding::RND_CONV, t->overflow = numeric::Overflow::SAT;
  return t;
}

QuantizedConst quantize_weight(Context& ctx, const Layer& l, const std::string& conf, const std::string& sub,
                               const ir::Shape& shape, const std::vector<double>& w) {
  const KIF q = read_quantizer(ctx, l, conf, sub, shape);
  QuantizedConst out;
  out.values.resize(w.size());
  for (size_t e = 0; e < w.size(); ++e) out.values[e] = quantize(w[e], q.k[e], q.i[e], q.f[e], q);
  out.type = exact_type_40(out.values);
  out.origin = q.describe;
  return out;
}

numeric::Rounding ap_round(const std::string& r) {
  return r == "RND" ? numeric::Rounding::RND : r == "RND_CONV" ? numeric::Rounding::RND_CONV : numeric::Rounding::TRN;
}
numeric::Overflow ap_overflow(const std::string& o) {
  return o == "WRAP" ? numeric::Overflow::WRAP : o == "SAT" ? numeric::Overflow::SAT : numeric::Overflow::SAT_SYM;
}

// A data quantizer with per-element (k, i, f) on x (its parameters already broadcast to x's shape).
Value quantize_data(Context& ctx, const Layer& l, const Value& x, const KIF& q, const std::string& conf,
                    const std::string& tag) {
  const size_t n = q.k.size();
  bool uniform = true, any_zero = false;
  int wmax = 1;
  bool is_signed = false;
  for (size_t e = 0; e < n; ++e) {
    uniform = uniform && q.k[e] == q.k[0] && q.i[e] == q.i[0] && q.f[e] == q.f[0];
    const double w = q.k[e] + q.i[e] + q.f[e];
    any_zero = any_zero || w <= 0;
    if (w > 0) wmax = std::max(wmax, static_cast<int>(w)), is_signed = is_signed || q.k[e] != 0;
  }
  if (wmax > 48) ctx.fail(l, fmt::format("{}: {} bits are more than firmnet's 48", conf, wmax));
  const auto cast = [&](const Value& in, numeric::FixedType t, const std::string& suffix) {
    Value y = ctx.emit(l, ir::OpKind::Activation, {in}, in.shape, suffix);
    ctx.graph.nodes.back().attrs["function"] = std::string("linear");
    ctx.graph.tensor(y.id).type = t;
    ctx.graph.tensor(y.id).origin = q.describe;
    return y;
  };
  if (uniform && !any_zero) {
    const int w = static_cast<int>(q.k[0] + q.i[0] + q.f[0]);
    return cast(x, numeric::make_type(w, static_cast<int>(q.k[0] + q.i[0]), q.k[0] != 0, ap_round(q.round), ap_overflow(q.overflow)),
                tag);
  }
  if (q.overflow != "WRAP")
    ctx.fail(l, fmt::format("{}: heterogeneous {} quantizers on data are not supported yet", conf, q.overflow));
  for (size_t e = 0; e < n; ++e)
    if (q.k[e] + q.i[e] + q.f[e] > 0 && (q.k[e] != 0) != is_signed)
      ctx.fail(l, fmt::format("{}: signed and unsigned elements in one tensor are not supported yet", conf));
  // r_j = round(x·2^f_j) wrapped at the widest width (a multiple of every element's modulus), then
  // r_j·2^s_j (s_j = wmax - W_j) wrapped at wmax bits is element j's own W_j-bit wrap, shifted up by s_j.
  std::vector<double> up(n), shift(n), down(n);
  bool shifts = false;
  for (size_t e = 0; e < n; ++e) {
    const double w = q.k[e] + q.i[e] + q.f[e];
    const int s_e = w > 0 ? wmax - static_cast<int>(w) : 0;
    up[e] = std::ldexp(1.0, static_cast<int>(q.f[e]));
    shift[e] = std::ldexp(1.0, s_e);
    shifts = shifts || s_e != 0;
    down[e] = w > 0 ? std::ldexp(1.0, static_cast<int>(-q.f[e]) - s_e) : 0.0;
  }
  const auto mul = [&](const Value& in, const std::vector<double>& c, const std::string& suffix) {
    Value y = ctx.emit(l, ir::OpKind::Elementwise, {in}, in.shape, suffix);
    ctx.graph.nodes.back().attrs["op"] = std::string("mul");
    ctx.param("constant", {static_cast<int64_t>(n)}, c);
    return y;
  };
  Value r = cast(mul(x, up, tag + "_scale"),
                 numeric::make_type(wmax, wmax, is_signed, ap_round(q.round), numeric::Overflow::WRAP), tag + "_round");
  if (shifts)
    r = cast(mul(r, shift, tag + "_align"),
             numeric::make_type(wmax, wmax, is_signed, numeric::Rounding::TRN, numeric::Overflow::WRAP), tag + "_wrap");
  return mul(r, down, tag);
}

bool enabled(Context& ctx, const Layer& l, const std::string& flag, const std::string& conf) {
  return ctx.get_bool(l, flag, true) && ctx.has(l, conf);
}

Value activation(Context& ctx, const Layer& l, const Value& y) {
  if (!ctx.has(l, "activation")) return y;
  const std::string fn = ctx.activation_name(l, ctx.get(l, "activation"));
  return ctx.activation(l, y, fn, fn);
}

// The layer's output quantizer (enable_oq, HGQ2 applies it to what the layer returns: after the activation),
// its variables under '<layer>/oq/quantizer'.
Value output_quantizer(Context& ctx, const Layer& l, const Value& y) {
  if (!ctx.get_bool(l, "enable_oq", false)) return y;
  if (!ctx.has(l, "oq_conf")) ctx.fail(l, "enable_oq is set but oq_conf is missing");
  return quantize_data(ctx, l, y, read_quantizer(ctx, l, "oq_conf", "oq/quantizer", y.shape), "oq_conf", "oq");
}

// HGQ (1.x) proxy models: a FixedPointQuantizer layer with per-element variables keep_negative k, bits b and
// integers I (ap_fixed's I, the sign included): element j is ap_fixed<b_j, I_j> (k_j = 1) or ap_ufixed<b_j, I_j>
// with the layer's RND and SAT modes, 0 where b_j = 0 (HGQ.proxy gfixed_quantizer). As (k, i, f): i = I - k,
// f = b - I.
KIF read_hgq1_quantizer(Context& ctx, const Layer& l, const ir::Shape& shape) {
  KIF r;
  r.round = ctx.get_str(l, "RND", "TRN");
  r.overflow = ctx.get_str(l, "SAT", "WRAP");
  if (r.round != "RND" && r.round != "RND_CONV" && r.round != "TRN")
    ctx.fail(l, fmt::format("RND '{}' is not supported", r.round), "use RND, RND_CONV or TRN");
  if (r.overflow != "WRAP" && r.overflow != "SAT" && r.overflow != "SAT_SYM")
    ctx.fail(l, fmt::format("SAT '{}' is not supported", r.overflow), "use WRAP, SAT or SAT_SYM");
  const std::vector<Array>& vars = ctx.weights(l, 3);
  std::map<std::string, std::vector<double>> v;
  for (const Array& a : vars) {
    const std::string name = a.name.substr(0, a.name.find(':'));
    if (name == "keep_negative" || name == "bits" || name == "integers")
      v[name] = broadcast(ctx, l, a.values, a.shape, shape, "variable " + name);
  }
  for (const char* name : {"keep_negative", "bits", "integers"})
    if (!v.count(name)) ctx.fail(l, fmt::format("has no variable '{}' in the weights file", name));
  const size_t n = static_cast<size_t>(ir::num_elements(shape));
  r.k.resize(n), r.i.resize(n), r.f.resize(n);
  for (size_t e = 0; e < n; ++e) {
    const double k = v["keep_negative"][e], b = v["bits"][e], I = v["integers"][e];
    if ((k != 0 && k != 1) || b < 0 || b > 64 || std::fabs(I) > 64 || b != std::floor(b) || I != std::floor(I))
      ctx.fail(l, fmt::format("element {} has keep_negative {}, bits {}, integers {} (out of range)", e, k, b, I));
    r.k[e] = b == 0 ? 0.0 : k;
    r.i[e] = b == 0 ? 0.0 : I - r.k[e];
    r.f[e] = b == 0 ? 0.0 : b - I;
  }
  r.describe = fmt::format("HGQ FixedPointQuantizer ({}, {})", r.round, r.overflow);
  return r;
}

}  // namespace

std::vector<Value> convert_hgq1_quantizer(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  const Value x = ctx.plain(l, in[0]);
  const KIF q = read_hgq1_quantizer(ctx, l, x.shape);
  // On a graph input the proxy model types the input as the quantizer's widest type (HGQ's result_t_kif: the
  // largest k, i and f); with truncation each element's own cast after it is exact (floor of a floor), where
  // the default input type would round first (a double rounding) and saturate where the quantizer wraps.
  ir::Tensor& t = ctx.graph.tensor(x.id);
  if (q.round == "TRN" && !t.type && std::find(ctx.graph.inputs.begin(), ctx.graph.inputs.end(), x.id) != ctx.graph.inputs.end()) {
    double k = 0, i = -64, f = -64;
    for (size_t e = 0; e < q.k.size(); ++e)
      if (q.k[e] + q.i[e] + q.f[e] > 0) k = std::max(k, q.k[e]), i = std::max(i, q.i[e]), f = std::max(f, q.f[e]);
    const int w = static_cast<int>(k + i + f);
    if (w > 0 && w <= 48) {
      t.type = numeric::make_type(w, static_cast<int>(k + i), k != 0, numeric::Rounding::TRN, ap_overflow(q.overflow));
      t.origin = fmt::format("the input type of HGQ FixedPointQuantizer '{}' (its widest element)", l.name);
    }
  }
  return {quantize_data(ctx, l, x, q, "FixedPointQuantizer", "q")};
}

bool is_hgq_layer(Context& ctx, const Layer& l) { return ctx.has(l, "kq_conf") || ctx.has(l, "iq_conf"); }

std::vector<Value> convert_hgq_dense(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  Value x = ctx.plain(l, in[0]);
  if (x.shape.size() != 1)
    ctx.fail(l, fmt::format("an HGQ2 QDense on an input of shape {} is not supported yet", ir::to_string(x.shape)),
             "add a Flatten before the layer");
  const int64_t units = ctx.get_int(l, "units");
  const int64_t cin = x.shape[0];
  if (enabled(ctx, l, "enable_iq", "iq_conf"))
    x = quantize_data(ctx, l, x, read_quantizer(ctx, l, "iq_conf", "iq/quantizer", x.shape), "iq_conf", "iq");
  const Array& k = ctx.weight(l, 0, "kernel", {cin, units});
  QuantizedConst w = ctx.has(l, "kq_conf") ? quantize_weight(ctx, l, "kq_conf", "kq/quantizer", {cin, units}, k.values)
                                           : QuantizedConst{k.values, std::nullopt, {}};
  QuantizedConst b{std::vector<double>(static_cast<size_t>(units), 0.0), std::nullopt, {}};
  if (ctx.get_bool(l, "use_bias", true)) {
    const Array& bias = ctx.weight(l, 1, "bias", {units});
    b = ctx.has(l, "bq_conf") ? quantize_weight(ctx, l, "bq_conf", "bq/quantizer", {units}, bias.values)
                              : QuantizedConst{bias.values, std::nullopt, {}};
  }
  Value y = ctx.emit(l, ir::OpKind::Dense, {x}, {units});
  ctx.param("weight", {cin, units}, std::move(w.values), w.type, w.origin);
  ctx.param("bias", {units}, std::move(b.values), b.type, b.origin);
  return {output_quantizer(ctx, l, activation(ctx, l, y))};
}

// HGQ2 QConv1D / QConv2D (hgq/layers/conv.py): iq on the input map, the convolution of the kq-quantized kernel,
// plus the bq-quantized bias, the activation, then oq (the quantizers as QDense's).
std::vector<Value> convert_hgq_conv(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const size_t r = l.cls.find("1D") != std::string::npos ? 1 : 2;
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  if (ctx.has(l, "data_format") && ctx.get_str(l, "data_format") != "channels_last")
    ctx.fail(l, "data_format '" + ctx.get_str(l, "data_format") + "' is not supported",
             "firmnet reads channels_last models (Keras's default)");
  Value x = in[0];
  if (x.shape.size() != r + 1)
    ctx.fail(l, fmt::format("input of shape {} is not a {}-D channels-last map", ir::to_string(x.shape), r));
  const bool iq = enabled(ctx, l, "enable_iq", "iq_conf");
  if (iq) {  // the quantizer sees the map as it arrives: a ZeroPadding before it is refused by plain()
    x = ctx.plain(l, x);
    x = quantize_data(ctx, l, x, read_quantizer(ctx, l, "iq_conf", "iq/quantizer", x.shape), "iq_conf", "iq");
  }
  const int64_t cin = x.shape.back();
  ConvSpec s;
  s.out_channels = ctx.get_int(l, "filters");
  s.kernel = ctx.get_ints(l, "kernel_size", r);
  s.strides = ctx.get_ints(l, "strides", r, 1);
  s.dilations = ctx.get_ints(l, "dilation_rate", r, 1);
  s.padding = ctx.get_str(l, "padding", "valid");
  if (ctx.get_int(l, "groups", 1) != 1) ctx.fail(l, "an HGQ2 convolution with groups != 1 is not supported yet");
  if (s.out_channels <= 0 || s.out_channels > kMaxElements) ctx.fail(l, fmt::format("filters = {} is out of range", s.out_channels));
  ir::Shape wshape = s.kernel;
  wshape.push_back(cin);
  wshape.push_back(s.out_channels);
  const Array& k = ctx.weight(l, 0, "kernel", wshape);
  s.weight = ctx.has(l, "kq_conf") ? quantize_weight(ctx, l, "kq_conf", "kq/quantizer", wshape, k.values)
                                   : QuantizedConst{k.values, std::nullopt, {}};
  if (ctx.get_bool(l, "use_bias", true)) {
    const Array& b = ctx.weight(l, 1, "bias", {s.out_channels});
    s.bias = ctx.has(l, "bq_conf") ? quantize_weight(ctx, l, "bq_conf", "bq/quantizer", {s.out_channels}, b.values)
                                   : QuantizedConst{b.values, std::nullopt, {}};
  }
  const Value y = emit_conv(ctx, l, x, s, "");
  return {output_quantizer(ctx, l, activation(ctx, l, y))};
}

}  // namespace firmnet::frontends::keras
