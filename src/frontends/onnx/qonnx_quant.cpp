// QONNX quantizer semantics: rounding modes, integer ranges, rounding boundaries (see qonnx_quant.h).
#include "frontends/onnx/qonnx_quant.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace firmnet::frontends::qonnx {

namespace {
double sign(double u) { return u > 0 ? 1.0 : (u < 0 ? -1.0 : 0.0); }

// a - b exactly in double, or throw.
double exact_sub(double a, double b) {
  const double d = a - b;
  // Two-sum error term: zero iff the subtraction was exact.
  const double bb = a - d;
  const double err = (a - (d + bb)) + (bb - b);
  if (err != 0) throw std::domain_error("level boundary minus zero point is not exact in double");
  return d;
}

double exact_mul(double a, double b) {
  const double p = a * b;
  if (std::fma(a, b, -p) != 0) throw std::domain_error("threshold (boundary - zero point) * scale is not exact in double");
  return p;
}
}  // namespace

double round_value(double u, RoundingMode m) {
  switch (m) {
    case RoundingMode::ROUND:
    case RoundingMode::HALF_EVEN: return std::nearbyint(u);  // default FE_TONEAREST: half to even
    case RoundingMode::CEIL: return std::ceil(u);
    case RoundingMode::FLOOR: return std::floor(u);
    case RoundingMode::UP: return sign(u) * std::ceil(std::fabs(u));
    case RoundingMode::DOWN: return std::trunc(u);
    case RoundingMode::HALF_UP: return sign(u) * std::floor(std::fabs(u) + 0.5);
    case RoundingMode::HALF_DOWN: return sign(u) * std::ceil(std::fabs(u) - 0.5);
  }
  return u;
}

int64_t IntQuantSpec::qmin() const {
  if (bipolar()) return -1;
  if (!is_signed) return 0;
  return -(int64_t{1} << (bits - 1)) + (narrow ? 1 : 0);
}

int64_t IntQuantSpec::qmax() const {
  if (bipolar()) return 1;
  // In uint64_t: an unsigned 63-bit quantizer's 2^63 - 1 would overflow int64_t (UB).
  if (!is_signed) return static_cast<int64_t>((uint64_t{1} << bits) - (narrow ? 2 : 1));
  return (int64_t{1} << (bits - 1)) - 1;
}

std::string IntQuantSpec::str() const {
  std::string s = "bits=" + std::to_string(bits) + (is_signed ? ", signed" : ", unsigned");
  if (bipolar()) return s + ", bipolar";
  if (narrow) s += ", narrow";
  return s + ", " + name(mode);
}

Boundary level_boundary(int64_t level, RoundingMode m) {
  const double q = static_cast<double>(level);
  switch (m) {
    case RoundingMode::FLOOR: return {q, false};
    case RoundingMode::CEIL: return {q - 1, true};
    case RoundingMode::ROUND:
    case RoundingMode::HALF_EVEN: return {q - 0.5, level % 2 != 0};  // the tie goes to the even neighbour
    case RoundingMode::HALF_UP: return {q - 0.5, level <= 0};        // ties away from 0
    case RoundingMode::HALF_DOWN: return {q - 0.5, level >= 1};      // ties toward 0
    case RoundingMode::UP: return level >= 1 ? Boundary{q - 1, true} : Boundary{q, false};  // ceil above 0, floor below
    case RoundingMode::DOWN: return level >= 1 ? Boundary{q, false} : Boundary{q - 1, true};  // floor above 0, ceil below
  }
  return {q, false};
}

std::vector<Boundary> x_boundaries(const IntQuantSpec& q, double scale, double zero_point) {
  if (!(scale > 0) || !std::isfinite(scale)) throw std::domain_error("scale must be positive and finite");
  if (!std::isfinite(zero_point)) throw std::domain_error("zero point must be finite");
  if (q.bipolar()) return {{exact_mul(-zero_point, scale), false}};  // u >= 0
  std::vector<Boundary> v;
  for (int64_t level = q.qmin() + 1; level <= q.qmax(); ++level) {
    const Boundary b = level_boundary(level, q.mode);
    v.push_back({exact_mul(exact_sub(b.at, zero_point), scale), b.strict});
  }
  return v;
}

int64_t quant_level(double x, double scale, double zero_point, const IntQuantSpec& q) {
  const auto bs = x_boundaries(q, scale, zero_point);
  // Boundaries ascend; count those passed (binary search: strictness only matters at equality).
  const auto passed = [&](const Boundary& b) { return b.strict ? x > b.at : x >= b.at; };
  size_t lo = 0, hi = bs.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (passed(bs[mid])) lo = mid + 1;
    else hi = mid;
  }
  if (q.bipolar()) return lo == 1 ? 1 : -1;
  return q.qmin() + static_cast<int64_t>(lo);
}

double quant(double x, double scale, double zero_point, const IntQuantSpec& q) {
  return (static_cast<double>(quant_level(x, scale, zero_point, q)) - zero_point) * scale;
}

bool is_power_of_two(double s, int* log2) {
  if (!(s > 0) || !std::isfinite(s)) return false;
  int e = 0;
  const double m = std::frexp(s, &e);
  if (m != 0.5) return false;
  if (log2) *log2 = e - 1;
  return true;
}

std::optional<numeric::FixedType> exact_type(const std::vector<double>& values, int max_width) {
  auto t = numeric::exact_type(values, max_width, false);
  if (t) t->overflow = numeric::Overflow::SAT;
  return t;
}

}  // namespace firmnet::frontends::qonnx
