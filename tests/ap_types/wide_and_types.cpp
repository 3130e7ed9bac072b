// Wide types (W 32..64) with random raw values and random doubles, and the result types of * and +
// (numeric::product_type / sum_type / difference_type) against ap_fixed_base::RType.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <random>
#include <utility>

#include "harness.h"

namespace aptest {
namespace {

using firmnet::numeric::ExactType;

struct WidePair {
  int ws, is;
  bool ss;
  int wd, id;
  bool sd;
};

constexpr std::array<WidePair, 10> kWidePairs = {{
    {64, 32, true, 32, 16, true},   // narrowing, drop 16 fractional bits
    {48, 10, true, 64, 40, true},   // widening, shift left
    {64, 0, true, 33, 1, false},    // signed to unsigned
    {40, 20, false, 64, 64, true},  // to an integer
    {63, 30, false, 32, -5, true},  // I < 0
    {64, 70, true, 48, 24, false},  // source I > W
    {50, 25, true, 50, 25, true},   // same geometry (modes only)
    {32, 32, true, 64, 10, true},   // integer into a wide fixed
    {64, 1, true, 64, 2, true},     // drop one bit, keep width
    {36, 3, true, 8, 3, true},      // wide to narrow
}};

// Random raw values of a W-bit type: uniform bits, small magnitudes, and the extremes.
std::vector<int64_t> random_raws(const FixedType& t, std::mt19937_64& rng) {
  std::vector<int64_t> v = {t.raw_min(), t.raw_max(), 0, 1, -1, t.raw_min() + 1, t.raw_max() - 1};
  std::uniform_int_distribution<uint64_t> bits;
  std::uniform_int_distribution<int> shift(0, 63);
  for (int k = 0; k < 6000; ++k) {
    uint64_t b = bits(rng) >> shift(rng);  // varied magnitudes
    if (k % 2) b = ~b;                       // and negative ones
    if (t.width < 64) {
      const uint64_t mask = (uint64_t{1} << t.width) - 1;
      b &= mask;
      if (t.is_signed && ((b >> (t.width - 1)) & 1)) b |= ~mask;
    }
    v.push_back(static_cast<int64_t>(b));
  }
  for (auto& r : v) r = std::clamp(r, t.raw_min(), t.raw_max());
  return v;
}

template <std::size_t K, int M>
void run_wide_mode(Recorder& rec, std::mt19937_64& rng) {
  constexpr WidePair p = kWidePairs[K];
  using Src = typename Ap<p.ws, p.is, p.ss>::type;
  using Dst = typename Ap<p.wd, p.id, p.sd, kApQ[M / 4], kApO[M % 4]>::type;
  const FixedType from = fixed_type(p.ws, p.is, p.ss);
  const FixedType to = fixed_type(p.wd, p.id, p.sd, M);
  for (int64_t r : random_raws(from, rng)) {
    Src s;
    s.V = r;
    const Dst d = s;
    rec.check(firmnet::numeric::quantize(r, from.frac(), to).raw, raw_of<p.wd, p.sd>(d), to,
              [&] { return fmt::format("{} raw {}", from.cpp(), r); });
  }
}

template <std::size_t K, int... M>
void run_wide_pair(Recorder& rec, std::mt19937_64& rng, std::integer_sequence<int, M...>) {
  (run_wide_mode<K, M>(rec, rng), ...);
}

template <std::size_t... K>
void run_wide(Recorder& rec, std::mt19937_64& rng, std::index_sequence<K...>) {
  (run_wide_pair<K>(rec, rng, std::make_integer_sequence<int, kModes>{}), ...);
}

TEST(ApTypesWide, FixedToFixed) {
  std::mt19937_64 rng(7);
  Recorder rec;
  run_wide(rec, rng, std::make_index_sequence<kWidePairs.size()>{});
  std::cout << "[ compared ] " << rec.compared << " wide fixed->fixed casts\n";
  EXPECT_GT(rec.compared, 1600000);
  EXPECT_EQ(rec.mismatched, 0) << rec.report();
}

constexpr std::array<Geometry, 6> kWideDoubles = {
    {{64, 32, true}, {53, 20, true}, {60, -3, false}, {64, 64, true}, {40, 70, true}, {63, 63, false}}};

TEST(ApTypesWide, DoubleToFixed) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> mant(-(int64_t{1} << 53), int64_t{1} << 53);
  std::uniform_int_distribution<int> exp(-120, 120), any_exp(-1074, 1023);
  std::vector<double> values = {0.0, 0x1p63, -0x1p63, 0x1p64, 0x1p62 * 3, 1e300, -1e300, 4e-320};
  for (int k = 0; k < 5000; ++k) {
    values.push_back(std::ldexp(static_cast<double>(mant(rng)), exp(rng) - 30));
    values.push_back(std::ldexp(static_cast<double>(mant(rng) | 1) + 0.5, exp(rng) - 53));
  }
  for (int k = 0; k < 500; ++k) values.push_back(std::ldexp(static_cast<double>(mant(rng)), any_exp(rng) - 52));
  Recorder rec;
  check_doubles<kWideDoubles>(rec, values);
  std::cout << "[ compared ] " << rec.compared << " wide double->fixed casts\n";
  EXPECT_EQ(rec.compared, static_cast<int64_t>(values.size() * kWideDoubles.size() * kModes));
  EXPECT_EQ(rec.mismatched, 0) << rec.report();
}

// ---------------------------------------------------------------------------------------------------
// Result types of * and +.

template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
constexpr bool signed_of(const ap_fixed_base<W, I, S, Q, O, N>*) {
  return S;
}

template <class T>
ExactType exact_of() {
  return {T::width, T::iwidth, signed_of(static_cast<const T*>(nullptr))};
}

template <int Wa, int Ia, bool Sa, int Wb, int Ib, bool Sb>
void check_result_types(int& checked) {
  using A = typename Ap<Wa, Ia, Sa>::type;
  using B = typename Ap<Wb, Ib, Sb>::type;
  const FixedType a = fixed_type(Wa, Ia, Sa), b = fixed_type(Wb, Ib, Sb);
  const ExactType mul = exact_of<decltype(A() * B())>();
  const ExactType add = exact_of<decltype(A() + B())>();
  const ExactType want_mul = firmnet::numeric::product_type(a, b);
  const ExactType sub = exact_of<decltype(A() - B())>();
  const ExactType want_add = firmnet::numeric::sum_type(firmnet::numeric::exact(a), firmnet::numeric::exact(b));
  const ExactType want_sub =
      firmnet::numeric::difference_type(firmnet::numeric::exact(a), firmnet::numeric::exact(b));
  EXPECT_EQ(mul.width, want_mul.width) << a.cpp() << " * " << b.cpp();
  EXPECT_EQ(mul.int_bits, want_mul.int_bits) << a.cpp() << " * " << b.cpp();
  EXPECT_EQ(mul.is_signed, want_mul.is_signed) << a.cpp() << " * " << b.cpp();
  EXPECT_EQ(add.width, want_add.width) << a.cpp() << " + " << b.cpp();
  EXPECT_EQ(add.int_bits, want_add.int_bits) << a.cpp() << " + " << b.cpp();
  EXPECT_EQ(add.is_signed, want_add.is_signed) << a.cpp() << " + " << b.cpp();
  EXPECT_EQ(sub.width, want_sub.width) << a.cpp() << " - " << b.cpp();
  EXPECT_EQ(sub.int_bits, want_sub.int_bits) << a.cpp() << " - " << b.cpp();
  EXPECT_EQ(sub.is_signed, want_sub.is_signed) << a.cpp() << " - " << b.cpp();
  checked += 3;
}

TEST(ApTypesResultTypes, ProductAndSum) {
  int checked = 0;
  check_result_types<16, 6, true, 8, 3, false>(checked);
  check_result_types<8, 3, false, 16, 6, true>(checked);
  check_result_types<8, 3, false, 4, 4, false>(checked);
  check_result_types<4, -2, true, 6, 9, true>(checked);
  check_result_types<5, 7, false, 3, -1, true>(checked);
  check_result_types<32, 16, true, 32, 16, true>(checked);
  check_result_types<1, 1, true, 1, 0, false>(checked);
  check_result_types<40, 10, false, 30, 25, false>(checked);
  EXPECT_EQ(checked, 24);
}

}  // namespace
}  // namespace aptest
