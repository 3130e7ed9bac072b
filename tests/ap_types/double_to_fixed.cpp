// `ap_fixed<...> x = (double)d` against numeric::quantize_double, for every destination geometry with
// W 1..6 (I in {-2, 0, W/2, W, W+2}, signed and unsigned, all 28 modes): every value of every small
// source type (W 1..8, I -3..W+3) plus random doubles (halves, negatives, huge, tiny, subnormal).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <utility>

#include "harness.h"

namespace aptest {
namespace {

constexpr int kIdChoices = 5;
constexpr std::size_t kGeometries = 6 * kIdChoices * 2;

constexpr std::array<Geometry, kGeometries> make_geometries() {
  std::array<Geometry, kGeometries> out{};
  std::size_t n = 0;
  for (int s = 1; s >= 0; --s)
    for (int w = 1; w <= 6; ++w)
      for (int k = 0; k < kIdChoices; ++k) {
        const int i = k == 0 ? -2 : k == 1 ? 0 : k == 2 ? (w + 1) / 2 : k == 3 ? w : w + 2;
        out[n++] = {w, i, s == 1};
      }
  return out;
}
constexpr std::array<Geometry, kGeometries> kGeometryList = make_geometries();

std::vector<double> test_values() {
  std::vector<double> v;
  for (int ws = 1; ws <= 8; ++ws)
    for (int is = -3; is <= ws + 3; ++is)
      for (int64_t r = -(int64_t{1} << (ws - 1)); r < (int64_t{1} << ws); ++r)
        v.push_back(std::ldexp(static_cast<double>(r), is - ws));
  std::mt19937_64 rng(20240611);
  std::uniform_real_distribution<double> uni(-100.0, 100.0);
  std::uniform_int_distribution<int> small_exp(-12, 12), any_exp(-1074, 1023);
  std::uniform_int_distribution<int64_t> mant(-(int64_t{1} << 53), int64_t{1} << 53);
  for (int k = 0; k < 1500; ++k) {
    v.push_back(uni(rng));
    v.push_back(std::ldexp(static_cast<double>(mant(rng) | 1) + 0.5, small_exp(rng) - 53));  // odd + half
    v.push_back(std::ldexp(static_cast<double>(static_cast<int>(mant(rng) % 64)) + 0.5, small_exp(rng)));
    v.push_back(std::ldexp(static_cast<double>(mant(rng)), any_exp(rng) - 52));  // any magnitude
  }
  const double extremes[] = {1e300, -1e300, std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
                             1e-300, -1e-300, std::numeric_limits<double>::min(), -std::numeric_limits<double>::min(),
                             std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min(),
                             3e-310, -3e-310, 0.0, -0.0, 1e20, -1e20, 0x1p63, -0x1p63, 0x1p64, -0x1p64};
  v.insert(v.end(), std::begin(extremes), std::end(extremes));
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

TEST(ApTypesDoubleToFixed, SmallDestinations) {
  const std::vector<double> values = test_values();
  Recorder rec;
  check_doubles<kGeometryList>(rec, values);
  std::cout << "[ compared ] " << rec.compared << " double->fixed casts (" << values.size() << " doubles x "
            << kGeometries * kModes << " destination types)\n";
  EXPECT_EQ(rec.compared, static_cast<int64_t>(values.size() * kGeometries * kModes));
  EXPECT_EQ(rec.mismatched, 0) << rec.report();
}

}  // namespace
}  // namespace aptest
