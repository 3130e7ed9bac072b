// The Dense kernels' weight order and the proof obligation of product_cast (dense_schedule.h).
#include "backends/vitis/dense_schedule.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace firmnet::backends::vitis {

int64_t stored_weight_index(const DenseSchedule& s, int64_t i, int64_t j) {
  if (!s.resource) return i * s.n_out + j;
  const int64_t c = j / s.out_per_chunk, jj = j % s.out_per_chunk;
  const int64_t r = i / s.in_per_iter, ii = i % s.in_per_iter;
  return (c * s.n_iters + r) * s.n_mult + ii * s.out_per_chunk + jj;
}

bool product_cast_is_exact(const numeric::FixedType& accum, const numeric::FixedType& input,
                           const numeric::FixedType& weight, const ir::Tensor& weights, const ir::Tensor& biases,
                           const numeric::FixedType& bias_type, std::string* why) {
  using numeric::Overflow;
  using numeric::Rounding;
  auto say = [&](const std::string& s) {
    if (why) *why = s;
  };
  const int product_frac = input.frac() + weight.frac();
  const bool rounds = accum.frac() < product_frac;
  // Q(a + p) = a + Q(p) for every a on the accumulator's grid: the rounding is translation invariant.
  const bool invariant = !rounds || accum.rounding == Rounding::TRN || accum.rounding == Rounding::RND ||
                         accum.rounding == Rounding::RND_MIN_INF;
  if (!invariant) {
    say(fmt::format("serial: rounding {} to {} fractional bits depends on the running sum",
                    numeric::name(accum.rounding), accum.frac()));
    return false;
  }
  if (accum.overflow == Overflow::WRAP) {
    say(rounds ? "product cast: rounding commutes with the sum, and it wraps" : "product cast: exact products, wrapping sum");
    return true;
  }
  // Saturating accumulator: no partial sum may leave its range, so saturation never acts.
  const int64_t n_out = biases.size();
  if (n_out <= 0 || weights.size() % n_out != 0 || static_cast<int64_t>(weights.raw.size()) != weights.size() ||
      static_cast<int64_t>(biases.raw.size()) != n_out) {
    say("serial: weights not available for the overflow bound");
    return false;
  }
  const int64_t n_in = weights.size() / n_out;
  const double x_lo = input.min_value(), x_hi = input.max_value();
  const double slack = rounds ? accum.lsb() : 0.0;  // |Q(p) - p| < one accumulator LSB
  double acc_lo = accum.min_value(), acc_hi = accum.max_value();
  if (accum.overflow == Overflow::SAT_SYM && accum.is_signed) acc_lo = -acc_hi;  // the raw minimum saturates too
  for (int64_t j = 0; j < n_out; ++j) {
    const double b = static_cast<double>(
        numeric::quantize(static_cast<numeric::i128>(biases.raw[static_cast<size_t>(j)]), bias_type.frac(), accum)
            .raw) * accum.lsb();
    double lo = b, hi = b;
    for (int64_t i = 0; i < n_in; ++i) {
      const double w = weight.to_double(weights.raw[static_cast<size_t>(i * n_out + j)]);
      const double p1 = w * x_lo, p2 = w * x_hi;
      lo += std::min({p1, p2, 0.0}) - slack;
      hi += std::max({p1, p2, 0.0}) + slack;
    }
    const double margin = 1e-9 * std::max({std::fabs(lo), std::fabs(hi), 1.0});
    if (lo - margin < acc_lo || hi + margin > acc_hi) {
      say(fmt::format("serial: {} accumulator {} may saturate (output {} partial sums in [{}, {}])",
                      numeric::name(accum.overflow), accum.str(), j, lo, hi));
      return false;
    }
  }
  say(fmt::format("product cast: {} accumulator {} never saturates (bounded from the weights and the input type)",
                  numeric::name(accum.overflow), accum.str()));
  return true;
}

std::vector<int64_t> weights_in_kernel_order(const DenseSchedule& s, const std::vector<int64_t>& row_major,
                                             int64_t n_in, int64_t n_out) {
  std::vector<int64_t> stored(static_cast<size_t>(s.n_weights), 0);
  for (int64_t i = 0; i < n_in; ++i)
    for (int64_t j = 0; j < n_out; ++j)
      stored[static_cast<size_t>(stored_weight_index(s, i, j))] = row_major[static_cast<size_t>(i * n_out + j)];
  return stored;
}

}  // namespace firmnet::backends::vitis
