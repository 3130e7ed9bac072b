// Exact interval arithmetic on 128-bit raw bounds (see interval.h).
#include "passes/interval.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::passes {

using numeric::i128;

namespace {

[[noreturn]] void too_wide(const std::string& where) {
  throw Error(where, "a value bound needs more than 127 bits",
              "the precisions of this layer's inputs or constants are too wide; give narrower ones in the config");
}

i128 mul_checked(i128 a, i128 b, const std::string& where) {
  i128 r;
  if (__builtin_mul_overflow(a, b, &r)) too_wide(where);
  return r;
}

i128 add_checked(i128 a, i128 b, const std::string& where) {
  i128 r;
  if (__builtin_add_overflow(a, b, &r)) too_wide(where);
  return r;
}

i128 pow2(int k, const std::string& where) {
  if (k < 0 || k > 125) too_wide(where);
  return i128{1} << k;
}

}  // namespace

Interval Interval::of_type(const numeric::FixedType& t) { return {t.raw_min(), t.raw_max(), t.frac()}; }
double Interval::lo_value() const { return std::ldexp(static_cast<double>(lo), -frac); }
double Interval::hi_value() const { return std::ldexp(static_cast<double>(hi), -frac); }
std::string Interval::str() const { return fmt::format("[{:g}, {:g}]", lo_value(), hi_value()); }

Interval align(const Interval& a, int frac, const std::string& where) {
  if (frac <= a.frac) return a;  // never drop bits: callers align to the larger frac
  const i128 m = pow2(frac - a.frac, where);
  return {mul_checked(a.lo, m, where), mul_checked(a.hi, m, where), frac};
}

Interval add(const Interval& a, const Interval& b, const std::string& where) {
  const int f = std::max(a.frac, b.frac);
  const Interval x = align(a, f, where), y = align(b, f, where);
  return {add_checked(x.lo, y.lo, where), add_checked(x.hi, y.hi, where), f};
}

Interval neg(const Interval& a) { return {-a.hi, -a.lo, a.frac}; }

Interval mul(const Interval& a, const Interval& b, const std::string& where) {
  const i128 p[] = {mul_checked(a.lo, b.lo, where), mul_checked(a.lo, b.hi, where), mul_checked(a.hi, b.lo, where),
                    mul_checked(a.hi, b.hi, where)};
  return {*std::min_element(std::begin(p), std::end(p)), *std::max_element(std::begin(p), std::end(p)),
          a.frac + b.frac};
}

Interval hull(const Interval& a, const Interval& b, const std::string& where) {
  const int f = std::max(a.frac, b.frac);
  const Interval x = align(a, f, where), y = align(b, f, where);
  return {std::min(x.lo, y.lo), std::max(x.hi, y.hi), f};
}

Interval clamp(const Interval& a, const Interval& bounds, const std::string& where) {
  const int f = std::max(a.frac, bounds.frac);
  const Interval x = align(a, f, where), b = align(bounds, f, where);
  return {std::clamp(x.lo, b.lo, b.hi), std::clamp(x.hi, b.lo, b.hi), f};
}

Interval cast(const Interval& a, const numeric::FixedType& t) {
  const numeric::Cast lo = numeric::quantize(a.lo, a.frac, t);
  const numeric::Cast hi = numeric::quantize(a.hi, a.frac, t);
  if ((lo.overflow || hi.overflow) && t.overflow == numeric::Overflow::WRAP) return Interval::of_type(t);
  Interval r{lo.raw, hi.raw, t.frac()};
  if ((lo.overflow || hi.overflow) && t.overflow == numeric::Overflow::SAT_ZERO) {
    r.lo = std::min<i128>(r.lo, 0);
    r.hi = std::max<i128>(r.hi, 0);
  }
  return r;
}

}  // namespace firmnet::passes
