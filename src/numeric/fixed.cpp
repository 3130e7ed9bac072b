// The numeric core: ap_fixed assignment semantics on raw integers, type spelling and result types.
// Every rule here is checked bit for bit against the Xilinx ap_types headers (tests/ap_types).
#include "numeric/fixed.h"

#include "numeric/rounding.h"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cmath>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "support/error.h"
#include "support/parse.h"

namespace firmnet::numeric {

namespace {

using u128 = unsigned __int128;

constexpr int kMaxFrac = 128;  // |W - I| bound, see FixedType::validate

constexpr Rounding kRoundings[] = {Rounding::TRN,     Rounding::TRN_ZERO,    Rounding::RND,
                                   Rounding::RND_ZERO, Rounding::RND_INF,    Rounding::RND_MIN_INF,
                                   Rounding::RND_CONV};
constexpr Overflow kOverflows[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};

// Bit k (k >= 0) of v's infinite two's-complement expansion.
bool bit_of(i128 v, int k) { return k >= 127 ? v < 0 : ((v >> k) & 1) != 0; }

// Whether any of bits 0..k-1 of v's infinite two's-complement expansion is set (the sticky bit).
bool low_bits_set(i128 v, int k) {
  if (k <= 0) return false;
  if (k >= 128) return v != 0;  // all 128 bits (plus sign extension): set iff v != 0
  return (static_cast<u128>(v) & ((u128{1} << k) - 1)) != 0;
}


// The quantized value before overflow handling. `huge` means it does not even fit an i128 (a left
// shift of a large v); then `low_bits` carries its low 64 bits for WRAP and `negative` its sign.
struct Quantized {
  i128 value = 0;
  bool huge = false;
  uint64_t low_bits = 0;
  bool negative = false;
};

Quantized quantize_bits(i128 v, int f, const FixedType& t) {
  Quantized q;
  q.negative = v < 0;
  // Compare in 64-bit: f may be any int (quantize_double passes up to ~1100).
  const int64_t drop = int64_t{f} - t.frac();
  if (drop > 0) {
    const int d = drop > 200 ? 200 : static_cast<int>(drop);  // bits >= 128 are all sign bits anyway
    const i128 floor = d >= 128 ? (v < 0 ? -1 : 0) : (v >> d);
    const bool half = bit_of(v, d - 1);
    const bool rest = low_bits_set(v, d - 1);
    q.value = floor + (round_up(t.rounding, q.negative, half, rest, (floor & 1) != 0) ? 1 : 0);
    return q;
  }
  const int64_t up = -drop;
  if (v == 0 || up == 0) {
    q.value = v;
    return q;
  }
  if (up < 127) {
    const i128 limit = i128{1} << (127 - up);  // |v| < limit  <=>  v << up fits an i128
    if (v >= -limit && v < limit) {
      q.value = v * (i128{1} << up);
      return q;
    }
  }
  q.huge = true;
  q.low_bits = up >= 128 ? 0 : static_cast<uint64_t>(static_cast<u128>(v) << up);
  return q;
}

int64_t wrap_to(uint64_t bits, const FixedType& t) {
  if (t.width == 64) return static_cast<int64_t>(bits);
  const uint64_t mask = (uint64_t{1} << t.width) - 1;
  bits &= mask;
  if (t.is_signed && ((bits >> (t.width - 1)) & 1)) bits |= ~mask;  // sign-extend
  return static_cast<int64_t>(bits);
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string valid_roundings() {
  std::string s;
  for (Rounding r : kRoundings) s += std::string(s.empty() ? "" : ", ") + name(r);
  return s;
}

std::string valid_overflows() {
  std::string s;
  for (Overflow o : kOverflows) s += std::string(s.empty() ? "" : ", ") + name(o);
  return s;
}

}  // namespace

const char* name(Rounding r) {
  switch (r) {
    case Rounding::TRN: return "TRN";
    case Rounding::TRN_ZERO: return "TRN_ZERO";
    case Rounding::RND: return "RND";
    case Rounding::RND_ZERO: return "RND_ZERO";
    case Rounding::RND_INF: return "RND_INF";
    case Rounding::RND_MIN_INF: return "RND_MIN_INF";
    case Rounding::RND_CONV: return "RND_CONV";
  }
  return "?";
}

const char* name(Overflow o) {
  switch (o) {
    case Overflow::WRAP: return "WRAP";
    case Overflow::SAT: return "SAT";
    case Overflow::SAT_ZERO: return "SAT_ZERO";
    case Overflow::SAT_SYM: return "SAT_SYM";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------------
// FixedType

int64_t FixedType::raw_min() const {
  if (!is_signed) return 0;
  return width == 64 ? INT64_MIN : -(int64_t{1} << (width - 1));
}

int64_t FixedType::raw_max() const {
  if (width == 64) return INT64_MAX;  // signed; unsigned 64 is rejected by validate()
  // In uint64_t: for ufixed<63,...> the int64_t expression 2^63 - 1 would overflow (UB; UBSan reports it).
  const uint64_t bits = is_signed ? static_cast<uint64_t>(width - 1) : static_cast<uint64_t>(width);
  return static_cast<int64_t>((uint64_t{1} << bits) - 1);
}

double FixedType::to_double(int64_t raw) const { return std::ldexp(static_cast<double>(raw), -frac()); }
double FixedType::lsb() const { return std::ldexp(1.0, -frac()); }
double FixedType::min_value() const { return to_double(raw_min()); }
double FixedType::max_value() const { return to_double(raw_max()); }

std::string FixedType::str() const {
  std::string s = fmt::format("{}fixed<{},{}", is_signed ? "" : "u", width, int_bits);
  // The rounding is positional: it must be spelled whenever the overflow mode is.
  if (rounding != Rounding::TRN || overflow != Overflow::WRAP) s += fmt::format(",{}", name(rounding));
  if (overflow != Overflow::WRAP) s += fmt::format(",{}", name(overflow));
  return s + ">";
}

std::string FixedType::cpp() const {
  std::string s = fmt::format("ap_{}fixed<{},{}", is_signed ? "" : "u", width, int_bits);
  if (rounding != Rounding::TRN || overflow != Overflow::WRAP) s += fmt::format(",AP_{}", name(rounding));
  if (overflow != Overflow::WRAP) s += fmt::format(",AP_{}", name(overflow));
  return s + ">";
}

void FixedType::validate(const std::string& what) const {
  if (width < 1 || width > kMaxWidth)
    throw Error(what, fmt::format("width {} is outside 1..{}", width, kMaxWidth),
                "use a total bit count between 1 and 64");
  if (!is_signed && width > kMaxWidth - 1)
    throw Error(what, fmt::format("unsigned width {} is outside 1..{}", width, kMaxWidth - 1),
                "use at most 63 bits for ufixed, or a signed fixed<64,...>");
  // ap_fixed accepts any I (I < 0: only fractional bits below 2^I; I > W: a coarse grid). firmnet bounds
  // the fractional bit count so that exact products of two types stay within quantize()'s range.
  const int f = frac();
  if (f < -kMaxFrac || f > kMaxFrac)
    throw Error(what,
                fmt::format("integer bits {} give {} fractional bits (W-I), outside -{}..{}", int_bits, f,
                            kMaxFrac, kMaxFrac),
                fmt::format("use integer bits between {} and {} for width {}", width - kMaxFrac,
                            width + kMaxFrac, width));
}

FixedType FixedType::parse(const std::string& text) {
  const std::string where = fmt::format("precision \"{}\"", text);
  const std::string_view s(text);
  const auto open = s.find('<');
  const auto close = s.rfind('>');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    throw Error(where, "expected TYPE<args> with TYPE one of fixed, ufixed, int, uint (optionally ap_ prefixed)",
                "write e.g. fixed<16,6> or ap_ufixed<8,3,AP_RND_CONV,AP_SAT>");
  if (!trimmed(s.substr(close + 1)).empty())
    throw Error(where, fmt::format("unexpected text \"{}\" after '>'", s.substr(close + 1)));

  std::string kind = upper(trimmed(s.substr(0, open)));
  if (kind.rfind("AP_", 0) == 0) kind = kind.substr(3);
  bool is_int = false;
  FixedType t;
  if (kind == "FIXED" || kind == "UFIXED") {
    t.is_signed = kind == "FIXED";
  } else if (kind == "INT" || kind == "UINT") {
    t.is_signed = kind == "INT";
    is_int = true;
  } else {
    throw Error(where, fmt::format("unknown type \"{}\"", s.substr(0, open)),
                "use fixed, ufixed, int or uint (optionally with the ap_ prefix)");
  }

  std::vector<std::string> args;
  std::string_view rest = s.substr(open + 1, close - open - 1);
  for (;;) {
    const auto comma = rest.find(',');
    args.push_back(trimmed(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  for (const auto& a : args)
    if (a.empty()) throw Error(where, "empty argument between '<', ',' and '>'");
  if (is_int ? args.size() != 1 : (args.size() < 2 || args.size() > 5))
    throw Error(where,
                fmt::format("{} takes {} arguments, got {}", is_int ? "int/uint" : "fixed/ufixed",
                            is_int ? "1 (the width)" : "2 to 5 (W,I[,Q[,O[,N]]])", args.size()));

  auto integer = [&](const std::string& a, const char* role) {
    std::string_view digits(a);
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos)
      throw Error(where, fmt::format("{} \"{}\" is not an integer", role, a));
    const auto v = support::parse_int<long long>(a[0] == '+' ? std::string_view(a).substr(1) : std::string_view(a));
    if (!v || *v < -100000 || *v > 100000) throw Error(where, fmt::format("{} {} is out of range", role, a));
    return static_cast<int>(*v);
  };
  auto strip_ap = [](const std::string& mode) {  // modes: case-insensitive, "AP_" optional
    const std::string m = upper(mode);
    return m.rfind("AP_", 0) == 0 ? m.substr(3) : m;
  };

  t.width = integer(args[0], "width");
  t.int_bits = is_int ? t.width : integer(args[1], "integer bits");
  if (args.size() >= 3) {
    const std::string q = strip_ap(args[2]);
    bool found = false;
    for (Rounding r : kRoundings)
      if (q == name(r)) t.rounding = r, found = true;
    if (!found)
      throw Error(where, fmt::format("unknown rounding mode \"{}\"", args[2]),
                  "valid rounding modes: " + valid_roundings());
  }
  if (args.size() >= 4) {
    const std::string o = strip_ap(args[3]);
    bool found = false;
    for (Overflow m : kOverflows)
      if (o == name(m)) t.overflow = m, found = true;
    if (!found)
      throw Error(where,
                  fmt::format("{} overflow mode \"{}\"", o == "WRAP_SM" ? "unsupported" : "unknown", args[3]),
                  "valid overflow modes: " + valid_overflows());
  }
  if (args.size() == 5 && integer(args[4], "saturation bits") != 0)
    throw Error(where, fmt::format("saturation bits N={} are not supported", args[4]),
                "only N=0 (the default) is supported; drop the fifth argument");
  t.validate(where);
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Casts

Cast quantize(i128 v, int f, const FixedType& t) {
  assert(t.width >= 1 && t.width <= kMaxWidth && "quantize: type not validated");
  const Quantized q = quantize_bits(v, f, t);
  const i128 lo = t.raw_min(), hi = t.raw_max();
  const bool fits = !q.huge && q.value >= lo && q.value <= hi;
  const bool above = q.huge ? !q.negative : q.value > hi;  // direction when it does not fit
  switch (t.overflow) {
    case Overflow::WRAP:
      if (fits) return {static_cast<int64_t>(q.value), false};
      return {wrap_to(q.huge ? q.low_bits : static_cast<uint64_t>(static_cast<u128>(q.value)), t), true};
    case Overflow::SAT:
      if (fits) return {static_cast<int64_t>(q.value), false};
      return {static_cast<int64_t>(above ? hi : lo), true};
    case Overflow::SAT_ZERO:
      if (fits) return {static_cast<int64_t>(q.value), false};
      return {0, true};
    case Overflow::SAT_SYM: {
      if (!t.is_signed) {
        if (fits) return {static_cast<int64_t>(q.value), false};
        return {static_cast<int64_t>(above ? hi : lo), true};
      }
      // Signed: the minimum is -max (ap_fixed sets raw min|1, which for W=1 is min itself).
      const i128 sym_min = t.width > 1 ? lo + 1 : lo;
      if (fits && q.value >= sym_min) return {static_cast<int64_t>(q.value), false};
      return {static_cast<int64_t>(above ? hi : sym_min), true};
    }
  }
  return {0, true};
}

Cast quantize_double(double d, const FixedType& t) {
  if (std::isnan(d) || std::isinf(d))
    throw Error(t.str(), fmt::format("cannot convert {} to fixed point", d),
                "the value comes from a NaN/inf weight, input or function sample; check its source");
  if (d == 0) return quantize(0, 0, t);
  // d = m * 2^e exactly, with m a 53-bit integer. ap_fixed's double constructor reads the same
  // integer mantissa and exponent and applies the target's rounding and overflow modes to that exact
  // value (it reads subnormals as if normal, which cannot change a result for |W-I| <= 128).
  int e = 0;
  const double m = std::frexp(d, &e);
  const auto mant = static_cast<int64_t>(std::ldexp(m, 53));
  return quantize(mant, 53 - e, t);
}

// ---------------------------------------------------------------------------------------------------
// Result types

FixedType union_type(const FixedType& a, const FixedType& b) {
  // A signed type needs one more integer bit to hold an unsigned type's range.
  const int ia = a.int_bits + (a.is_signed ? 0 : 1);
  const int ib = b.int_bits + (b.is_signed ? 0 : 1);
  FixedType u;
  u.is_signed = true;
  u.int_bits = std::max(ia, ib);
  u.width = u.int_bits + std::max(a.frac(), b.frac());  // >= max(W_a, W_b) >= 1
  u.validate(fmt::format("union of {} and {}", a.str(), b.str()));
  return u;
}

ExactType product_type(const FixedType& a, const FixedType& b) {
  return {a.width + b.width, a.int_bits + b.int_bits, a.is_signed || b.is_signed};
}

ExactType sum_type(const ExactType& a, const ExactType& b) {
  // ap_fixed_base::RType::plus_w / plus_i: an unsigned operand gains a bit next to a signed one.
  const int ia = a.int_bits + (b.is_signed && !a.is_signed ? 1 : 0);
  const int ib = b.int_bits + (a.is_signed && !b.is_signed ? 1 : 0);
  const int i = std::max(ia, ib) + 1;
  return {i + std::max(a.frac(), b.frac()), i, a.is_signed || b.is_signed};
}

ExactType difference_type(const ExactType& a, const ExactType& b) {
  ExactType d = sum_type(a, b);
  d.is_signed = true;  // RType::minus_s: even unsigned - unsigned
  return d;
}

ExactType exact(const FixedType& a) { return {a.width, a.int_bits, a.is_signed}; }

std::optional<FixedType> exact_type(const std::vector<double>& values, int max_width, bool allow_unsigned) {
  // F: the fewest fractional bits making every value an integer (v = m * 2^e with a 53-bit m: v * 2^(53 - e)
  // is one).
  int f = 0;
  bool any = false, negative = false;
  for (double v : values) {
    if (!std::isfinite(v)) return std::nullopt;
    negative = negative || v < 0;
    if (v == 0) continue;
    int e = 0;
    std::frexp(v, &e);
    int lo = 53 - e;
    while (lo > -1074 && std::ldexp(v, lo - 1) == std::floor(std::ldexp(v, lo - 1))) --lo;
    f = any ? std::max(f, lo) : lo;
    any = true;
  }
  if (f > 128 || f < -128) return std::nullopt;
  const bool is_signed = negative || !allow_unsigned;
  int width = 1;
  for (double v : values) {
    const double r = std::ldexp(v, f);
    const auto fits = [&](int w) {
      return is_signed ? r >= -std::ldexp(1.0, w - 1) && r <= std::ldexp(1.0, w - 1) - 1 : r <= std::ldexp(1.0, w) - 1;
    };
    while (width <= max_width && !fits(width)) ++width;
  }
  if (width > max_width) return std::nullopt;
  return make_type(width, width - f, is_signed);
}

FixedType fit_type(double lo, double hi, int width) {
  FixedType t = make_type(width, 1, true, Rounding::RND_CONV, Overflow::SAT);
  if (lo == 0 && hi == 0) return t;
  for (int i = -width; i <= kMaxWidth; ++i) {
    t.int_bits = i;
    if (!quantize_double(lo, t).overflow && !quantize_double(hi, t).overflow) return t;
  }
  throw Error("type inference", "values up to " + std::to_string(std::max(std::fabs(lo), std::fabs(hi))) +
                                    " do not fit any " + std::to_string(width) + "-bit fixed-point type");
}

}  // namespace firmnet::numeric
