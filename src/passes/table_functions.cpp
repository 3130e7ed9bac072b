// The functions behind lookup tables, their table domains and default entry types (docs/NUMERICS.md,
// "Default types"), and small helpers shared by several passes.
#include <cmath>

#include "passes/internal.h"

namespace firmnet::passes {

namespace {

numeric::FixedType entry_type(int width, int int_bits, bool is_signed) {
  numeric::FixedType t;
  t.width = width;
  t.int_bits = int_bits;
  t.is_signed = is_signed;
  t.rounding = numeric::Rounding::RND_CONV;
  t.overflow = numeric::Overflow::SAT;
  return t;
}

double float_attr_or(const ir::Node& n, const std::string& key, double fallback) {
  return n.has_attr(key) ? n.attr_float(key) : fallback;
}

}  // namespace

numeric::FixedType fit_type(double lo, double hi, int width) {
  numeric::FixedType t = entry_type(width, 1, true);
  if (lo == 0 && hi == 0) return t;
  for (int i = -width; i <= numeric::kMaxWidth; ++i) {
    t.int_bits = i;
    if (!numeric::quantize_double(lo, t).overflow && !numeric::quantize_double(hi, t).overflow) return t;
  }
  throw Error("type inference", "values up to " + std::to_string(std::max(std::fabs(lo), std::fabs(hi))) +
                                    " do not fit any " + std::to_string(width) + "-bit fixed-point type");
}

int ceil_log2(int64_t n) {
  int k = 0;
  while ((int64_t{1} << k) < n) ++k;
  return k;
}

int table_size_of(const ir::Node& n) {
  return n.has_attr("table_size") ? static_cast<int>(n.attr_int("table_size")) : kDefaultTableSize;
}

double broadcast_at(const std::vector<double>& c, size_t i) { return c.size() == 1 ? c[0] : c[i % c.size()]; }

bool broadcasts(int64_t size, const ir::Shape& shape) {
  return size == 1 || size == ir::num_elements(shape) || (!shape.empty() && size == shape.back());
}

std::optional<TableFunction> table_function(const ir::Node& n) {
  if (n.kind != ir::OpKind::Activation) return std::nullopt;
  const std::string& fn = n.attr_str("function");
  TableFunction t;
  if (fn == "sigmoid") {
    // ufixed<16,0>: sigmoid stays below 1 - 2^-17 on [-8, 8), so 1.0 is never needed.
    t = {[](double x) { return 1 / (1 + std::exp(-x)); }, -8, 4, entry_type(16, 0, false), "sigmoid on [-8, 8)"};
  } else if (fn == "tanh") {
    t = {[](double x) { return std::tanh(x); }, -4, 3, entry_type(18, 2, true), "tanh on [-4, 4)"};
  } else if (fn == "softsign") {
    t = {[](double x) { return x / (1 + std::fabs(x)); }, -8, 4, entry_type(18, 2, true), "softsign on [-8, 8)"};
  } else if (fn == "elu") {
    const double alpha = float_attr_or(n, "alpha", 1.0);
    t = {[alpha](double x) { return alpha * std::expm1(x); }, -8, 3, {}, "alpha*(exp(x)-1) on [-8, 0)"};
    t.entry = fit_type(t.f(-8), 0, 18);
  } else if (fn == "selu") {
    const double ga = float_attr_or(n, "alpha", 1.67326319217681884765625) *
                      float_attr_or(n, "gamma", 1.05070102214813232421875);
    t = {[ga](double x) { return ga * std::expm1(x); }, -8, 3, {}, "gamma*alpha*(exp(x)-1) on [-8, 0)"};
    t.entry = fit_type(t.f(-8), 0, 18);
  } else if (fn == "softplus") {
    t = {[](double x) { return std::log1p(std::exp(x)); }, -8, 4, {}, "log(1+exp(x)) on [-8, 8)"};
    t.entry = fit_type(0, t.f(8), 18);
  } else {
    return std::nullopt;  // linear, relu, leaky_relu, hard_tanh, hard_sigmoid: computed, not looked up
  }
  return t;
}

}  // namespace firmnet::passes
