// QKeras quantizers (QKeras 0.9, qkeras/quantizers.py), reproduced exactly:
//
//   quantized_bits(bits, integer, symmetric, keep_negative, alpha): with m = 2^(bits - keep_negative) and
//     2^k = 2^integer / m, q = clip(round(x / 2^k), keep_negative * (-2^(bits-1) + symmetric), m - 1),
//     y = q * 2^k (round = tf.round: half to even). alpha None or 1: scale 1; a number: y * alpha;
//     'auto' / 'auto_po2' (weights only): a per-output-channel scale from the weights (below).
//   quantized_relu(bits, integer): q = clip(round(x * 2^(bits - integer)), 0, 2^bits - 1), y = q * 2^(integer - bits).
//   binary(use_01, alpha): x >= 0 ? +1 : -1 ({1, 0} with use_01), times the scale.
//   ternary(alpha, threshold): |x| >= t ? sign(x) : 0 (t = threshold, default 0.33 as float32), times the scale.
//
// On weights the quantizer is applied at load time (the values QKeras computes; their exact type when it has
// one). On data (QActivation) quantized_bits and quantized_relu become a Quantize node (a cast to
// fixed<bits, integer+1, RND_CONV, SAT> / ufixed<bits, integer, RND_CONV, SAT>: exactly the quantizer), binary
// and ternary a MultiThreshold. docs/NUMERICS.md "QKeras".
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "frontends/keras/keras_context.h"

namespace firmnet::frontends::keras {

namespace {

constexpr double kEpsilon = 1e-7;  // K.epsilon()

struct QSpec {
  std::string name;
  std::map<std::string, json> args;
  std::string text;  // for messages and origins
};

const std::map<std::string, std::vector<std::string>>& positional() {
  static const std::map<std::string, std::vector<std::string>> p = {
      {"quantized_bits", {"bits", "integer", "symmetric", "keep_negative", "alpha", "use_stochastic_rounding"}},
      {"quantized_relu", {"bits", "integer", "use_sigmoid", "negative_slope", "use_stochastic_rounding", "relu_upper_bound"}},
      {"binary", {"use_01", "alpha", "use_stochastic_rounding"}},
      {"stochastic_binary", {"alpha", "temperature", "use_real_sigmoid"}},
      {"ternary", {"alpha", "threshold", "use_stochastic_rounding", "number_of_unrolls"}},
      {"stochastic_ternary", {"alpha", "threshold", "temperature", "use_real_sigmoid", "number_of_unrolls"}},
      {"quantized_tanh", {"bits", "use_stochastic_rounding", "symmetric", "use_real_tanh"}},
      {"quantized_sigmoid", {"bits", "symmetric", "use_real_sigmoid", "use_stochastic_rounding"}},
      {"quantized_po2", {"bits", "max_value"}},
      {"quantized_relu_po2", {"bits", "max_value", "negative_slope", "use_stochastic_rounding", "quadratic_approximation"}},
      {"quantized_ulaw", {"bits", "integer", "symmetric", "u"}},
      {"bernoulli", {"alpha"}},
  };
  return p;
}

// A Python literal of a quantizer string: 6, 0.5, True, None, 'auto_po2'.
json literal(const std::string& s, bool& ok) {
  ok = true;
  if (s == "True") return true;
  if (s == "False") return false;
  if (s == "None") return nullptr;
  if (s.size() >= 2 && (s[0] == '\'' || s[0] == '"') && s.back() == s[0]) return s.substr(1, s.size() - 2);
  try {
    size_t pos = 0;
    if (s.find_first_of(".eE") == std::string::npos) {
      const long long v = std::stoll(s, &pos);
      if (pos == s.size()) return static_cast<int64_t>(v);
    }
    const double d = std::stod(s, &pos);
    if (pos == s.size()) return d;
  } catch (const std::exception&) {
  }
  ok = false;
  return nullptr;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

// "quantized_bits(8,3,alpha=1)" → name and arguments.
QSpec parse_call(Context& ctx, const Layer& l, const std::string& text) {
  QSpec q;
  q.text = text;
  const size_t open = text.find('(');
  q.name = trim(text.substr(0, open));
  if (open == std::string::npos) return q;
  if (text.back() != ')') ctx.fail(l, "quantizer '" + text + "' is not name(arguments)");
  const std::string inner = text.substr(open + 1, text.size() - open - 2);
  std::vector<std::string> parts;
  std::string cur;
  for (char c : inner) {
    if (c == ',') parts.push_back(cur), cur.clear();
    else cur += c;
  }
  if (!trim(cur).empty() || !parts.empty()) parts.push_back(cur);
  const auto it = positional().find(q.name);
  size_t pos = 0;
  for (const std::string& part : parts) {
    const std::string p = trim(part);
    if (p.empty()) continue;
    const size_t eq = p.find('=');
    bool ok = false;
    if (eq != std::string::npos) {
      const json v = literal(trim(p.substr(eq + 1)), ok);
      if (!ok) ctx.fail(l, "quantizer '" + text + "': argument '" + p + "' is not a literal");
      q.args[trim(p.substr(0, eq))] = v;
    } else {
      const json v = literal(p, ok);
      if (!ok) ctx.fail(l, "quantizer '" + text + "': argument '" + p + "' is not a literal");
      if (it == positional().end() || pos >= it->second.size())
        ctx.fail(l, "quantizer '" + text + "' has too many positional arguments");
      q.args[it->second[pos++]] = v;
    }
  }
  return q;
}

std::optional<QSpec> spec_of(Context& ctx, const Layer& l, const json& q) {
  if (q.is_string()) {
    QSpec s = parse_call(ctx, l, q.get<std::string>());
    if (!positional().count(s.name)) return std::nullopt;
    return s;
  }
  if (q.is_object() && q.contains("class_name") && q["class_name"].is_string()) {
    QSpec s;
    s.name = q["class_name"].get<std::string>();
    if (!positional().count(s.name)) return std::nullopt;
    if (q.contains("config") && q["config"].is_object())
      for (const auto& [k, v] : q["config"].items()) s.args[k] = v;
    std::string a;
    for (const auto& [k, v] : s.args)
      if (k == "bits" || k == "integer" || k == "alpha" || k == "symmetric" || k == "keep_negative" || k == "threshold" ||
          k == "use_01")
        a += (a.empty() ? "" : ",") + k + "=" + v.dump();
    s.text = s.name + "(" + a + ")";
    return s;
  }
  return std::nullopt;
}

int64_t arg_int(Context& ctx, const Layer& l, const QSpec& q, const std::string& k, int64_t def) {
  const auto it = q.args.find(k);
  if (it == q.args.end() || it->second.is_null()) return def;
  const json& v = it->second;
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()) && std::fabs(v.get<double>()) < 1e9)
    return static_cast<int64_t>(v.get<double>());
  ctx.fail(l, fmt::format("quantizer {}: {} = {} is not an integer", q.text, k, v.dump()));
}

double arg_float(Context& ctx, const Layer& l, const QSpec& q, const std::string& k, double def) {
  const auto it = q.args.find(k);
  if (it == q.args.end() || it->second.is_null()) return def;
  if (it->second.is_number()) return it->second.get<double>();
  if (it->second.is_boolean()) return it->second.get<bool>() ? 1.0 : 0.0;
  ctx.fail(l, fmt::format("quantizer {}: {} = {} is not a number", q.text, k, it->second.dump()));
}

// alpha: nullopt for None, a number, or "auto" / "auto_po2".
struct Alpha {
  bool none = true;
  double value = 1.0;
  std::string mode;  // "auto", "auto_po2"
};
Alpha arg_alpha(Context& ctx, const Layer& l, const QSpec& q) {
  Alpha a;
  const auto it = q.args.find("alpha");
  if (it == q.args.end() || it->second.is_null()) return a;
  a.none = false;
  if (it->second.is_number()) {
    a.value = it->second.get<double>();
    if (!(a.value > 0) || !std::isfinite(a.value)) ctx.fail(l, fmt::format("quantizer {}: alpha {} is not positive", q.text, a.value));
    return a;
  }
  if (it->second.is_string() && (it->second.get<std::string>() == "auto" || it->second.get<std::string>() == "auto_po2")) {
    a.mode = it->second.get<std::string>();
    return a;
  }
  ctx.fail(l, fmt::format("quantizer {}: alpha {} is not supported", q.text, it->second.dump()),
           "use alpha=1, None, a number, 'auto' or 'auto_po2'");
}

void no_stochastic(Context& ctx, const Layer& l, const QSpec& q) {
  if (arg_int(ctx, l, q, "use_stochastic_rounding", 0) != 0)
    ctx.warn(l, "quantizer " + q.text + ": stochastic rounding is a training feature; inference rounds to nearest");
}

double round_half_even(double v) { return std::nearbyint(v); }  // the default FE_TONEAREST mode

double po2(double s) { return std::exp2(round_half_even(std::log(s + kEpsilon) / std::log(2.0))); }

// Per output channel (the last axis; all values when rank 1): indices of channel c.
struct Channels {
  int64_t count = 1, stride = 1;  // channel of element i: i % count (rank > 1), else 0
  explicit Channels(const ir::Shape& shape) {
    if (shape.size() > 1) count = shape.back();
  }
  int64_t of(size_t i) const { return count == 1 ? 0 : static_cast<int64_t>(i) % count; }
};

// _get_scale(alpha, x, q): per channel mean(x*q) / (mean(q*q) + eps), rounded to a power of two for auto_po2.
std::vector<double> least_squares_scale(const std::vector<double>& x, const std::vector<double>& q, const Channels& ch,
                                        const std::string& mode) {
  std::vector<double> qx(static_cast<size_t>(ch.count), 0.0), qq(static_cast<size_t>(ch.count), 0.0);
  std::vector<int64_t> n(static_cast<size_t>(ch.count), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    const auto c = static_cast<size_t>(ch.of(i));
    qx[c] += x[i] * q[i], qq[c] += q[i] * q[i], ++n[c];
  }
  std::vector<double> s(qx.size());
  for (size_t c = 0; c < s.size(); ++c) {
    const double m = n[c] ? static_cast<double>(n[c]) : 1.0;
    s[c] = (qx[c] / m) / (qq[c] / m + kEpsilon);
    if (mode == "auto_po2") s[c] = po2(s[c]);
  }
  return s;
}

std::vector<double> channel_max_abs(const std::vector<double>& x, const Channels& ch) {
  std::vector<double> m(static_cast<size_t>(ch.count), 0.0);
  for (size_t i = 0; i < x.size(); ++i) m[static_cast<size_t>(ch.of(i))] = std::max(m[static_cast<size_t>(ch.of(i))], std::fabs(x[i]));
  return m;
}

double sign(double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; }

}  // namespace

// The narrowest signed type (<= 32 bits) holding every value exactly, or nullopt; RND_CONV/SAT as weights are.
std::optional<numeric::FixedType> exact_type(const std::vector<double>& values) {
  auto t = numeric::exact_type(values, 32, false);
  if (t) t->rounding = numeric::Rounding::RND_CONV, t->overflow = numeric::Overflow::SAT;
  return t;
}

namespace {

// quantized_bits's level range and grid.
struct BitsQ {
  int64_t bits = 8, integer = 0, qmin = 0, qmax = 0;
  bool keep_negative = true, symmetric = false;
  int k = 0;  // grid 2^k
};
BitsQ bits_q(Context& ctx, const Layer& l, const QSpec& q) {
  BitsQ b;
  b.bits = arg_int(ctx, l, q, "bits", 8);
  b.integer = arg_int(ctx, l, q, "integer", 0);
  b.keep_negative = arg_int(ctx, l, q, "keep_negative", 1) != 0;
  b.symmetric = arg_int(ctx, l, q, "symmetric", 0) != 0;
  if (b.bits < 1 || b.bits > 32 || b.integer < -64 || b.integer > 64)
    ctx.fail(l, fmt::format("quantizer {}: bits {} / integer {} are out of range", q.text, b.bits, b.integer));
  const int64_t unsigned_bits = b.bits - (b.keep_negative ? 1 : 0);
  b.k = static_cast<int>(b.integer - unsigned_bits);
  const int64_t m = int64_t{1} << unsigned_bits;
  b.qmax = m - 1;
  b.qmin = b.keep_negative ? -m + (b.symmetric ? 1 : 0) : 0;
  return b;
}

}  // namespace

bool is_quantizer(const json& a) {
  if (a.is_string()) {
    std::string s = a.get<std::string>();
    s = trim(s.substr(0, s.find('(')));
    return positional().count(s) != 0;
  }
  return a.is_object() && a.contains("class_name") && a["class_name"].is_string() &&
         positional().count(a["class_name"].get<std::string>()) != 0;
}

namespace {

// quantized_po2 / quantized_relu_po2 (negative_slope 0), as QKeras computes them in float:
//   quantized_po2: sign(x) (0 -> +1) times 2^clip(round(log2|x|), min_exp, max_exp); |x| < 1e-7 gives 2^min_exp;
//   quantized_relu_po2: the same on relu(x), so x < 1e-7 (0 and every negative x included) gives 2^min_exp;
//   its exponent range has bits, not bits - 1, magnitude bits. max_value clips |x| first; quadratic_approximation
//   rounds the exponent of sqrt|x| and doubles it; log2_rounding 'floor' floors instead of rounding (half to even).
// (QKeras returns x + (xq - x) in float32, which is xq whenever xq lies within a factor 2 of x.)
struct Po2Q {
  bool relu = false, has_max = false, quadratic = false, floor_log = false;
  double max_value = 0, min_exp = 0, max_exp = 0;
  double value(double x) const {
    const double s = relu || x >= 0 ? 1.0 : -1.0;
    const double a = relu ? std::max(x, 0.0) : std::fabs(x);
    double e = min_exp;
    if (a >= kEpsilon) {
      double f = has_max && a >= max_value ? max_value : a;
      const double qf = quadratic ? 2.0 : 1.0;
      if (quadratic) f = std::sqrt(f);
      const double lg = std::log(f) / std::log(2.0);
      e = qf * std::clamp(floor_log ? std::floor(lg) : round_half_even(lg), min_exp, max_exp);
    }
    return s * std::exp2(e);
  }
};

Po2Q po2_q(Context& ctx, const Layer& l, const QSpec& q, const std::string& role) {
  Po2Q p;
  p.relu = q.name == "quantized_relu_po2";
  if (p.relu && arg_float(ctx, l, q, "negative_slope", 0.0) != 0.0)
    ctx.fail(l, "the " + role + " quantizer " + q.text + ": a negative_slope is not supported",
             "use quantized_relu_po2 with negative_slope=0, or quantized_po2");
  const int64_t bits = arg_int(ctx, l, q, "bits", 8);
  const auto mv = q.args.find("max_value");
  p.has_max = mv != q.args.end() && !mv->second.is_null();
  p.max_value = p.has_max ? arg_float(ctx, l, q, "max_value", 0.0) : 0.0;
  if (bits < (p.relu ? 1 : 2) || bits > 10 || (p.has_max && !(p.max_value >= 0)))
    ctx.fail(l, fmt::format("quantizer {}: bits {} / max_value are out of range", q.text, bits));
  p.quadratic = arg_int(ctx, l, q, "quadratic_approximation", 0) != 0;
  const auto lr = q.args.find("log2_rounding");
  p.floor_log = lr != q.args.end() && lr->second.is_string() && lr->second.get<std::string>() == "floor";
  const int64_t effect = bits - (p.relu ? 0 : 1) - ((!p.has_max || p.max_value > 1) ? 1 : 0);
  p.min_exp = -std::ldexp(1.0, static_cast<int>(effect));
  p.max_exp = std::ldexp(1.0, static_cast<int>(effect)) - 1;
  if (p.quadratic) p.max_exp = 2 * std::floor(p.max_exp / 2);
  return p;
}

}  // namespace

QuantizedConst quantize_weights(Context& ctx, const Layer& l, const json& qj, const std::string& role,
                                const ir::Shape& shape, std::vector<double> x) {
  if (qj.is_null()) return {std::move(x), std::nullopt, {}};
  const std::optional<QSpec> qs = spec_of(ctx, l, qj);
  if (!qs) ctx.fail(l, "the " + role + " quantizer " + qj.dump() + " is not a QKeras quantizer firmnet knows");
  const QSpec& q = *qs;
  no_stochastic(ctx, l, q);
  const Channels ch(shape);
  QuantizedConst out;
  out.origin = "QKeras " + q.text;
  std::vector<double> y(x.size());
  if (q.name == "quantized_bits") {
    const BitsQ b = bits_q(ctx, l, q);
    const Alpha a = arg_alpha(ctx, l, q);
    if (b.bits - (b.keep_negative ? 1 : 0) == 0)
      ctx.fail(l, "quantizer " + q.text + " has no magnitude bits", "use binary() for 1-bit weights");
    if (a.mode.empty()) {
      const double scale = a.none ? 1.0 : a.value;
      for (size_t i = 0; i < x.size(); ++i) {
        const double lv = std::clamp(round_half_even(std::ldexp(x[i], -b.k)), static_cast<double>(b.qmin),
                                     static_cast<double>(b.qmax));
        y[i] = std::ldexp(lv, b.k) * scale;
      }
      if (scale == 1.0)
        out.type = numeric::make_type(static_cast<int>(b.bits), static_cast<int>(b.bits) + b.k, b.keep_negative,
                                      numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
    } else {
      // 'auto' / 'auto_po2' (symmetric forced): levels = 2*(2^(bits-1) - 1), x /= 2^integer, initial
      // scale = max|x| * 2 / levels per channel (po2: rounded), five least-squares refinements of the
      // levels z and the scale; y = 2^integer * z * scale.
      const double mi = std::ldexp(1.0, static_cast<int>(b.integer));
      const double levels = 2.0 * (std::ldexp(1.0, static_cast<int>(b.bits - 1)) - 1.0);
      std::vector<double> xs(x.size());
      for (size_t i = 0; i < x.size(); ++i) xs[i] = x[i] / mi;
      std::vector<double> s = channel_max_abs(xs, ch);
      for (double& v : s) v = v * 2.0 / levels;
      std::vector<double> z(x.size());
      const auto levels_of = [&] {
        for (size_t i = 0; i < xs.size(); ++i) {
          const double v = std::floor(std::fabs(xs[i]) / s[static_cast<size_t>(ch.of(i))] + 0.5);
          z[i] = sign(xs[i]) * (v < levels / 2 ? v : levels / 2);
        }
      };
      if (a.mode == "auto_po2") {
        for (double& v : s) v = po2(v);
        for (int it = 0; it < 5; ++it) {
          levels_of();
          s = least_squares_scale(xs, z, ch, "auto_po2");
        }
      } else {
        levels_of();
      }
      for (size_t i = 0; i < x.size(); ++i) y[i] = mi * z[i] * s[static_cast<size_t>(ch.of(i))];
      out.type = exact_type(y);
    }
  } else if (q.name == "binary" || q.name == "stochastic_binary") {
    const Alpha a = arg_alpha(ctx, l, q);
    const bool use01 = arg_int(ctx, l, q, "use_01", 0) != 0;
    std::vector<double> k(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      k[i] = x[i] >= 0 ? 1.0 : -1.0;
      if (use01) k[i] = (k[i] + 1.0) / 2.0;
    }
    std::vector<double> s(static_cast<size_t>(ch.count), a.none ? 1.0 : a.value);
    if (!a.mode.empty()) s = least_squares_scale(x, k, ch, a.mode);
    for (size_t i = 0; i < x.size(); ++i) y[i] = k[i] * s[static_cast<size_t>(ch.of(i))];
    out.type = exact_type(y);
  } else if (q.name == "ternary" || q.name == "stochastic_ternary") {
    const Alpha a = arg_alpha(ctx, l, q);
    std::vector<double> t(x.size(), 0.0);
    std::vector<double> s(static_cast<size_t>(ch.count), a.none ? 1.0 : a.value);
    if (!a.mode.empty()) {
      const int64_t unrolls = arg_int(ctx, l, q, "number_of_unrolls", 5);
      if (unrolls < 0 || unrolls > 1000) ctx.fail(l, "quantizer " + q.text + ": number_of_unrolls is out of range");
      s = channel_max_abs(x, ch);
      for (double& v : s) v = 2.0 * v / 3.0;
      if (a.mode == "auto_po2")
        for (double& v : s) v = po2(v);
      for (int64_t it = 0; it < unrolls; ++it) {
        for (size_t i = 0; i < x.size(); ++i) {
          const double sc = s[static_cast<size_t>(ch.of(i))];
          const double v = sc * round_half_even(x[i] / sc);
          t[i] = (std::fabs(v) >= sc / 2.0 ? 1.0 : 0.0) * sign(x[i]);
        }
        s = least_squares_scale(x, t, ch, a.mode);
      }
      if (unrolls == 0) ctx.fail(l, "quantizer " + q.text + ": number_of_unrolls 0 is not supported");
    } else {
      const double thr = static_cast<float>(arg_float(ctx, l, q, "threshold", 0.33));
      for (size_t i = 0; i < x.size(); ++i) t[i] = (std::fabs(x[i]) >= thr ? 1.0 : 0.0) * sign(x[i]);
    }
    for (size_t i = 0; i < x.size(); ++i) y[i] = t[i] * s[static_cast<size_t>(ch.of(i))];
    out.type = exact_type(y);
  } else if (q.name == "quantized_po2" || q.name == "quantized_relu_po2") {
    const Po2Q p = po2_q(ctx, l, q, role);
    for (size_t i = 0; i < x.size(); ++i) y[i] = p.value(x[i]);
    out.type = exact_type(y);
  } else {
    ctx.fail(l, "the " + role + " quantizer " + q.text + " is not supported yet",
             "supported on weights: quantized_bits, binary, ternary, quantized_po2, quantized_relu_po2");
  }
  out.values = std::move(y);
  return out;
}

namespace {

// A Quantize node on x: q = clip(round_half_even(x * 2^-k), qmin, qmax), y = q * 2^k, typed `t` (which holds
// exactly the levels); lowered as the cast to t when its saturation is the clip, else on the raw bits.
Value emit_level_quantize(Context& ctx, const Layer& l, const Value& x, int k, int64_t qmin, int64_t qmax,
                          const numeric::FixedType& t, bool cast, const std::string& suffix, const std::string& origin,
                          const std::string& what) {
  Value y = ctx.emit(l, ir::OpKind::Quantize, {x}, x.shape, suffix);
  ir::Node& node = ctx.graph.nodes.back();
  node.attrs["rounding_mode"] = std::string("ROUND");
  node.attrs["log2_scale"] = int64_t{k};
  node.attrs["zero_point"] = int64_t{0};
  node.attrs["qmin"] = qmin;
  node.attrs["qmax"] = qmax;
  node.attrs["lowering"] = std::string(cast ? "cast" : "raw bits");
  node.attrs["lowering_why"] =
      cast ? fmt::format("{}: {} rounds half to even (tf.round) and saturates exactly at the levels [{}, {}]", what, t.str(),
                         qmin, qmax)
           : fmt::format("{}: round half to even (tf.round) on the raw bits, then clip to the levels [{}, {}] (no ap_fixed "
                         "overflow mode clips there)",
                         what, qmin, qmax);
  ctx.graph.tensor(y.id).type = t;
  ctx.graph.tensor(y.id).origin = origin;
  return y;
}

// y = (x + pre_add) * scale, exact (Rescale's result type is lossless).
Value emit_affine(Context& ctx, const Layer& l, const Value& x, double pre_add, double scale, const std::string& suffix) {
  Value y = ctx.emit(l, ir::OpKind::Rescale, {x}, x.shape, suffix);
  ctx.param("scale", {1, 1}, {scale}, exact_type({scale}));
  ctx.param("pre_add", {1, 1}, {pre_add}, exact_type({pre_add}));
  return y;
}

// A MultiThreshold on x with one row of thresholds shared by every element (ascending; strict[i] != 0: x > t
// instead of x >= t), its output per count given by `levels` (out_scale/out_bias, or out_levels).
Value emit_shared_thresholds(Context& ctx, const Layer& l, const Value& x, std::vector<double> thr,
                             const std::vector<int64_t>& strict, const std::map<std::string, ir::AttrValue>& levels,
                             const std::string& why, const std::string& suffix, const std::string& origin) {
  Value y = ctx.emit(l, ir::OpKind::MultiThreshold, {x}, x.shape, suffix);
  ir::Node& node = ctx.graph.nodes.back();
  for (const auto& [k, v] : levels) node.attrs[k] = v;
  node.attrs["data_layout"] = std::string("NHWC");
  if (std::any_of(strict.begin(), strict.end(), [](int64_t v) { return v != 0; })) node.attrs["strict"] = strict;
  node.attrs["lowering"] = std::string("thresholds");
  node.attrs["lowering_why"] = why;
  const auto n = static_cast<int64_t>(thr.size());
  ctx.param("thresholds", {1, n}, std::move(thr));
  ctx.graph.tensor(y.id).origin = origin;
  return y;
}

// quantized_po2 / quantized_relu_po2 on data: a staircase, non-decreasing in x, with levels ±2^e, as a
// MultiThreshold with listed out_levels. Its steps lie at the magnitudes where the rounded exponent changes
// (2^(e+1/2), irrational: listed as 2^(j/2)), at 1e-7 (the
// epsilon below which QKeras takes min_exp), at max_value, and at 0 (the sign); each candidate up to 2^64 (beyond
// every fixed-point input) is kept where the level changes. A step at a dyadic point (0, max_value) compares
// `x >= t` or `x > t` as the level at t itself says; the others are irrational, where the two are the same.
Value emit_po2_thresholds(Context& ctx, const Layer& l, const Value& x, const QSpec& q, const std::string& suffix,
                          const std::string& origin) {
  const Po2Q p = po2_q(ctx, l, q, "activation");
  // Both move the steps onto powers of two, where the exponent is decided by the last bit of QKeras's float32
  // log (a tie at 2^(2k+1) for quadratic_approximation, an integer for floor); elsewhere the steps are irrational.
  if (p.floor_log)
    ctx.fail(l, "quantizer " + q.text + ": log2_rounding='floor' on data floors QKeras's float32 log2 of x, which at "
                    "the powers of two themselves may fall one below the exponent; firmnet cannot reproduce that exactly",
             "use log2_rounding='rnd' (the default)");
  if (p.quadratic)
    ctx.fail(l, "quantizer " + q.text + ": quadratic_approximation on data rounds the exponent of sqrt|x|, a tie at every "
                    "odd power of two that QKeras's float32 log decides by its last bit; firmnet cannot reproduce that exactly",
             "use quadratic_approximation=False on activations");
  std::vector<double> mags = {kEpsilon};
  if (p.has_max && p.max_value > 0) mags.push_back(p.max_value);
  // Below 2^-25 every magnitude is under the epsilon; above 2^64 beyond every input.
  const int64_t j_lo = std::max<int64_t>(-50, 2 * static_cast<int64_t>(p.min_exp) - 4);
  const int64_t j_hi = std::min<int64_t>(128, 2 * static_cast<int64_t>(p.max_exp) + 4);
  for (int64_t j = j_lo; j <= j_hi; ++j) mags.push_back(std::exp2(static_cast<double>(j) / 2));
  std::vector<double> pts = {0.0};
  for (double m : mags) {
    pts.push_back(m);
    if (!p.relu) pts.push_back(-m);
  }
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  // The level on each open interval between candidates (at its midpoint; beyond the ends, at twice the end).
  auto inside = [&](size_t i) {  // the interval below pts[i] (i = pts.size(): above the last)
    if (i == 0) return p.value(pts[0] < 0 ? 2 * pts[0] : pts[0] - 1);
    if (i == pts.size()) return p.value(2 * pts.back());
    return p.value(0.5 * (pts[i - 1] + pts[i]));
  };
  std::vector<double> thr, levels = {inside(0)};
  std::vector<int64_t> strict;
  for (size_t i = 0; i < pts.size(); ++i) {
    const double below = inside(i), above = inside(i + 1), at = p.value(pts[i]);
    if (below == above) continue;
    thr.push_back(pts[i]);
    strict.push_back(at == above ? 0 : 1);
    levels.push_back(above);
  }
  if (thr.empty()) ctx.fail(l, "quantizer " + q.text + " gives one level for every input", "use a constant instead");
  const std::string why = fmt::format("{}: levels ±2^e, {} comparison(s) per element", q.text, thr.size());
  return emit_shared_thresholds(ctx, l, x, std::move(thr), strict, {{"out_levels", levels}}, why, suffix, origin);
}

// QKeras's own activation functions (qkeras/quantizers.py), which a QActivation or a Q layer's activation
// string names before Keras's (safe_eval looks in quantizers.py first; hard_sigmoid is QKeras's 0.5 slope, not
// Keras's 0.2):
//   hard_sigmoid(x) = clip(0.5x + 0.5, 0, 1), hard_tanh = 2 hard_sigmoid - 1 = clip(x, -1, 1),
//   smooth_sigmoid(x) = clip(0.1875x + 0.5, 0, 1), smooth_tanh = 2 smooth_sigmoid - 1,
//   binary_sigmoid = round(hard_sigmoid(x)) (1 above 0, 0 at 0: tf.round(0.5) = 0), binary_tanh = 2 binary_sigmoid - 1.
std::optional<Value> qkeras_function(Context& ctx, const Layer& l, const Value& x, const std::string& fn,
                                     const std::string& suffix) {
  const auto sigmoid = [&](double slope, const std::string& sfx) {
    Value y = ctx.emit(l, ir::OpKind::Activation, {x}, x.shape, sfx);
    ir::Node& n = ctx.graph.nodes.back();
    n.attrs["function"] = std::string("hard_sigmoid");
    n.attrs["alpha"] = slope;
    n.attrs["beta"] = 0.5;
    ctx.param("slope", {1}, {slope});
    ctx.param("offset", {1}, {0.5});
    ctx.graph.tensor(y.id).origin = "QKeras " + fn;
    return y;
  };
  if (fn == "hard_sigmoid") return sigmoid(0.5, suffix);
  if (fn == "smooth_sigmoid") return sigmoid(0.1875, suffix);
  if (fn == "smooth_tanh") return emit_affine(ctx, l, sigmoid(0.1875, suffix + "_sigmoid"), -0.5, 2.0, suffix);
  if (fn == "hard_tanh") {
    Value y = ctx.emit(l, ir::OpKind::Activation, {x}, x.shape, suffix);
    ctx.graph.nodes.back().attrs["function"] = std::string("hard_tanh");
    ctx.graph.tensor(y.id).origin = "QKeras hard_tanh";
    return y;
  }
  if (fn == "binary_tanh") return binarynet_activation(ctx, l, x, fn, suffix);  // the same float32 formula
  if (fn == "binary_sigmoid") {
    // binary_tanh's threshold (0.5x + 0.5 rounds above 0.5 in float32 from x > 2^-24), levels 0 and 1.
    Value t = *binarynet_activation(ctx, l, x, "binary_tanh", suffix + "_tanh");
    return emit_affine(ctx, l, t, 1.0, 0.5, suffix);
  }
  return std::nullopt;
}

}  // namespace

Value keras_or_qkeras_activation(Context& ctx, const Layer& l, const Value& x, const std::string& fn,
                                 const std::string& suffix) {
  std::string f = fn;
  for (auto& c : f) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto y = qkeras_function(ctx, l, x, f, suffix)) return *y;
  return ctx.activation(l, x, fn, suffix);
}

Value quantize_activation(Context& ctx, const Layer& l, const Value& x, const json& qj, const std::string& suffix) {
  const std::optional<QSpec> qs = spec_of(ctx, l, qj);
  if (!qs) {
    // QActivation('relu') and friends: QKeras's own functions first (hard_sigmoid, ...), then Keras's built-ins.
    const std::string fn = ctx.activation_name(l, qj);
    return keras_or_qkeras_activation(ctx, l, x, fn, suffix);
  }
  const QSpec& q = *qs;
  no_stochastic(ctx, l, q);
  const std::string origin = "QKeras " + q.text;
  if (q.name == "quantized_tanh" || q.name == "quantized_sigmoid") {
    // QKeras 0.9 with its default internal sigmoid ("hard"): m = 2^(bits-1) for tanh, 2^bits for sigmoid;
    //   quantized_tanh:    p = 2 hard_sigmoid(x) - 1 = clip(x, -1, 1), y = clip(round(p*m)/m, -1 + symmetric/m, 1 - 1/m)
    //   quantized_sigmoid: p = hard_sigmoid(x) = clip(0.5x + 0.5, 0, 1), y = clip(round(p*m)/m, symmetric/m, 1 - 1/m)
    // (round = tf.round, half to even). The inner clip lies outside the outer one, so
    //   tanh:    y = clip(round(x * 2^(bits-1)), -2^(bits-1) + symmetric, 2^(bits-1) - 1) * 2^-(bits-1),
    //   sigmoid: y = clip(round(u * 2^bits), symmetric, 2^bits - 1) * 2^-bits with u = (x + 1) * 0.5 (exact),
    // exactly QKeras's float32 arithmetic wherever x (and u) have at most 24 significant bits.
    const bool tanh = q.name == "quantized_tanh";
    const std::string real = tanh ? "use_real_tanh" : "use_real_sigmoid";
    if (arg_int(ctx, l, q, real, 0) != 0)
      ctx.fail(l, fmt::format("quantizer {}: {}=True rounds the float32 {} of x, whose rounding near the level "
                              "boundaries firmnet cannot reproduce exactly",
                              q.text, real, tanh ? "tanh" : "sigmoid"),
               fmt::format("use {}=False (QKeras's default, the hard {}), or an Activation('{}') followed by "
                           "QActivation(quantized_bits(...))",
                           real, tanh ? "tanh" : "sigmoid", tanh ? "tanh" : "sigmoid"));
    const int64_t bits = arg_int(ctx, l, q, "bits", 8);
    const bool symmetric = arg_int(ctx, l, q, "symmetric", 0) != 0;
    if (bits < (tanh ? 2 : 1) || bits > 32)
      ctx.fail(l, fmt::format("quantizer {}: bits {} is out of range [{}, 32]", q.text, bits, tanh ? 2 : 1));
    const int b = static_cast<int>(bits);
    if (tanh) {
      const int64_t m = int64_t{1} << (b - 1);
      const numeric::FixedType t = numeric::make_type(b, 1, true, numeric::Rounding::RND_CONV,
                                                      symmetric ? numeric::Overflow::SAT_SYM : numeric::Overflow::SAT);
      return emit_level_quantize(ctx, l, x, -(b - 1), -m + (symmetric ? 1 : 0), m - 1, t, true, suffix, origin,
                                 q.text + " = quantized_bits(" + std::to_string(b) + ", 0, symmetric) of x");
    }
    const Value u = emit_affine(ctx, l, x, 1.0, 0.5, suffix.empty() ? "hard_sigmoid" : suffix + "_hard_sigmoid");
    const int64_t m = int64_t{1} << b;
    const numeric::FixedType t = numeric::make_type(b, 0, false, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
    return emit_level_quantize(ctx, l, u, -b, symmetric ? 1 : 0, m - 1, t, !symmetric, suffix, origin,
                               q.text + " of (x + 1) / 2");
  }
  if (q.name == "quantized_relu_po2" || q.name == "quantized_po2") return emit_po2_thresholds(ctx, l, x, q, suffix, origin);
  if (q.name == "quantized_ulaw")
    ctx.fail(l, "the activation quantizer " + q.text + " is not supported: its levels are a u-law curve, which no "
                    "fixed-point cast or threshold op of firmnet produces exactly",
             "quantize the activation with quantized_relu or quantized_bits");
  if (q.name == "quantized_bits" || q.name == "quantized_relu") {
    int64_t bits, qmin, qmax;
    int k;
    bool is_signed, narrow = false;
    if (q.name == "quantized_bits") {
      const BitsQ b = bits_q(ctx, l, q);
      const Alpha a = arg_alpha(ctx, l, q);
      if (!a.mode.empty() || (!a.none && a.value != 1.0))
        ctx.fail(l, "quantizer " + q.text + ": an alpha other than 1 on data is not supported",
                 "use alpha=1 (or None) for activation quantizers");
      if (b.bits - (b.keep_negative ? 1 : 0) == 0)
        ctx.fail(l, "quantizer " + q.text + " has no magnitude bits", "use binary() for 1-bit activations");
      bits = b.bits, qmin = b.qmin, qmax = b.qmax, k = b.k, is_signed = b.keep_negative;
      narrow = b.keep_negative && b.symmetric;
    } else {
      bits = arg_int(ctx, l, q, "bits", 8);
      const int64_t integer = arg_int(ctx, l, q, "integer", 0);
      if (bits < 1 || bits > 32 || integer < -64 || integer > 64)
        ctx.fail(l, fmt::format("quantizer {}: bits {} / integer {} are out of range", q.text, bits, integer));
      if (arg_int(ctx, l, q, "use_sigmoid", 0) != 0)
        ctx.fail(l, "quantizer " + q.text + ": use_sigmoid is not supported", "use quantized_relu without use_sigmoid");
      if (arg_float(ctx, l, q, "negative_slope", 0.0) != 0.0)
        ctx.fail(l, "quantizer " + q.text + ": a negative_slope is not supported yet");
      const auto it = q.args.find("relu_upper_bound");
      if (it != q.args.end() && !it->second.is_null())
        ctx.fail(l, "quantizer " + q.text + ": relu_upper_bound is not supported yet");
      qmin = 0, qmax = (int64_t{1} << bits) - 1, k = static_cast<int>(integer - bits), is_signed = false;
    }
    Value y = ctx.emit(l, ir::OpKind::Quantize, {x}, x.shape, suffix);
    ir::Node& node = ctx.graph.nodes.back();
    const numeric::FixedType t = numeric::make_type(static_cast<int>(bits), static_cast<int>(bits) + k, is_signed,
                                                    numeric::Rounding::RND_CONV,
                                                    narrow ? numeric::Overflow::SAT_SYM : numeric::Overflow::SAT);
    node.attrs["rounding_mode"] = std::string("ROUND");
    node.attrs["log2_scale"] = int64_t{k};
    node.attrs["zero_point"] = int64_t{0};
    node.attrs["qmin"] = qmin;
    node.attrs["qmax"] = qmax;
    node.attrs["lowering"] = std::string("cast");
    node.attrs["lowering_why"] = fmt::format("{} rounds half to even (tf.round) and saturates exactly at the levels [{}, {}]",
                                             t.str(), qmin, qmax);
    ctx.graph.tensor(y.id).type = t;
    ctx.graph.tensor(y.id).origin = origin;
    return y;
  }
  if (q.name == "binary" || q.name == "ternary") {
    const Alpha a = arg_alpha(ctx, l, q);
    if (!a.mode.empty())
      ctx.fail(l, "quantizer " + q.text + ": alpha '" + a.mode + "' on data is not supported",
               "use alpha=1 (or None) for activation quantizers");
    const double s = a.none ? 1.0 : a.value;
    std::vector<double> thr;
    std::vector<int64_t> strict;
    double out_scale, out_bias;
    if (q.name == "binary") {
      const bool use01 = arg_int(ctx, l, q, "use_01", 0) != 0;
      thr = {0.0}, strict = {0};
      out_scale = use01 ? s : 2 * s;
      out_bias = use01 ? 0.0 : -s;
    } else {
      const double t = static_cast<float>(arg_float(ctx, l, q, "threshold", 0.33));
      if (!(t >= 0) || !std::isfinite(t)) ctx.fail(l, fmt::format("quantizer {}: threshold {} is negative", q.text, t));
      thr = {-t, t}, strict = {1, 0};  // level 0 above -t (x > -t), level 1 from t on (x >= t)
      out_scale = s, out_bias = -s;
    }
    const std::string why = fmt::format("{}: {} comparison(s) per element", q.text, thr.size());
    return emit_shared_thresholds(ctx, l, x, std::move(thr), strict, {{"out_scale", out_scale}, {"out_bias", out_bias}},
                                  why, suffix, origin);
  }
  ctx.fail(l, "the activation quantizer " + q.text + " is not supported yet",
           "supported on data: quantized_bits, quantized_relu, quantized_tanh, quantized_sigmoid, binary, ternary");
}

std::vector<Value> convert_qactivation(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  const Value& x = ctx.plain(l, in[0]);
  const json& a = ctx.get(l, "activation");
  Value y = quantize_activation(ctx, l, x, a, "");
  if (y.id == x.id) {  // a linear QActivation
    y = ctx.emit(l, ir::OpKind::Activation, {x}, x.shape);
    ctx.graph.nodes.back().attrs["function"] = std::string("linear");
  }
  return {y};
}

CellQuantizer cell_quantizer(Context& ctx, const Layer& l, const json& qj, const std::string& key) {
  const std::optional<QSpec> qs = spec_of(ctx, l, qj);
  if (!qs) ctx.fail(l, fmt::format("{} is not a QKeras quantizer", key));
  const QSpec& q = *qs;
  no_stochastic(ctx, l, q);
  CellQuantizer c;
  c.name = q.name;
  c.text = q.text;
  if (q.name == "quantized_tanh" || q.name == "quantized_sigmoid") {
    const std::string real = q.name == "quantized_tanh" ? "use_real_tanh" : "use_real_sigmoid";
    if (arg_int(ctx, l, q, real, 0) != 0)
      ctx.fail(l, fmt::format("{} {}: {}=True inside a recurrent cell is not supported", key, q.text, real),
               "use QKeras's default (the hard function)");
    c.bits = static_cast<int>(arg_int(ctx, l, q, "bits", 8));
    c.symmetric = arg_int(ctx, l, q, "symmetric", 0) != 0;
    if (c.bits < 2 || c.bits > 24) ctx.fail(l, fmt::format("{} {}: bits {} is out of range [2, 24]", key, q.text, c.bits));
    return c;
  }
  if (q.name == "quantized_bits") {  // a state quantizer: a fixed-point type
    const Alpha a = arg_alpha(ctx, l, q);
    if (!a.none && !(a.mode.empty() && a.value == 1.0))
      ctx.fail(l, fmt::format("{} {}: only alpha=1 (or None) gives a fixed-point state", key, q.text),
               "use quantized_bits(bits, integer, alpha=1)");
    const BitsQ b = bits_q(ctx, l, q);
    if (b.symmetric) ctx.fail(l, fmt::format("{} {}: symmetric states are not supported", key, q.text));
    c.bits = static_cast<int>(b.bits);
    c.type = numeric::make_type(static_cast<int>(b.bits), static_cast<int>(b.integer + (b.keep_negative ? 1 : 0)),
                                b.keep_negative, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
    return c;
  }
  ctx.fail(l, fmt::format("{} {} is not supported in a recurrent cell", key, q.text),
           "use quantized_tanh / quantized_sigmoid for the cell's functions and quantized_bits for the state");
}

}  // namespace firmnet::frontends::keras
