// QONNX Quant semantics (frontends/onnx/qonnx_quant.h) against a hand-checked table: every rounding mode,
// signed/unsigned, narrow, bit widths 1..16, power-of-two and other scales, zero points; and the rounding
// boundaries that activation quantizers turn into thresholds.
#include <gtest/gtest.h>

#include <cmath>

#include "frontends/onnx/qonnx_quant.h"

namespace firmnet::test {
namespace {

using frontends::qonnx::Boundary;
using frontends::qonnx::IntQuantSpec;
using frontends::qonnx::level_boundary;
using frontends::qonnx::quant;
using frontends::qonnx::quant_level;
using frontends::qonnx::RoundingMode;
using M = RoundingMode;

struct Row {
  double x, scale, zero_point;
  int bits;
  bool is_signed, narrow;
  RoundingMode mode;
  double expected;  // y = (q - z) * s, worked out by hand in the comment
};

TEST(QonnxQuant, HandCheckedTable) {
  const Row rows[] = {
      // u = x/s + z exactly at ties (s = 1): ROUND and HALF_EVEN round half to even.
      {2.5, 1, 0, 8, true, false, M::ROUND, 2},        // 2.5 -> 2
      {3.5, 1, 0, 8, true, false, M::ROUND, 4},        // 3.5 -> 4
      {-2.5, 1, 0, 8, true, false, M::HALF_EVEN, -2},  // -2.5 -> -2
      {0.5, 1, 0, 8, true, false, M::HALF_EVEN, 0},    // 0.5 -> 0
      {1.5, 1, 0, 8, true, false, M::HALF_EVEN, 2},    // 1.5 -> 2
      {2.4, 1, 0, 8, true, false, M::ROUND, 2},
      // CEIL, FLOOR
      {2.1, 1, 0, 8, true, false, M::CEIL, 3},
      {-2.9, 1, 0, 8, true, false, M::CEIL, -2},
      {2.0, 1, 0, 8, true, false, M::CEIL, 2},
      {2.9, 1, 0, 8, true, false, M::FLOOR, 2},
      {-2.1, 1, 0, 8, true, false, M::FLOOR, -3},
      // UP (away from 0), DOWN (toward 0)
      {2.1, 1, 0, 8, true, false, M::UP, 3},
      {-2.1, 1, 0, 8, true, false, M::UP, -3},
      {0.0, 1, 0, 8, true, false, M::UP, 0},
      {2.9, 1, 0, 8, true, false, M::DOWN, 2},
      {-2.9, 1, 0, 8, true, false, M::DOWN, -2},
      // HALF_UP (ties away from 0), HALF_DOWN (ties toward 0)
      {2.5, 1, 0, 8, true, false, M::HALF_UP, 3},
      {-2.5, 1, 0, 8, true, false, M::HALF_UP, -3},
      {2.4, 1, 0, 8, true, false, M::HALF_UP, 2},
      {2.5, 1, 0, 8, true, false, M::HALF_DOWN, 2},
      {-2.5, 1, 0, 8, true, false, M::HALF_DOWN, -2},
      {2.6, 1, 0, 8, true, false, M::HALF_DOWN, 3},
      {-0.5, 1, 0, 8, true, false, M::HALF_DOWN, 0},
      // clip then round: 4-bit signed [-8, 7], narrow [-7, 7], unsigned [0, 15], unsigned narrow [0, 14]
      {7.6, 1, 0, 4, true, false, M::ROUND, 7},
      {-9.0, 1, 0, 4, true, false, M::ROUND, -8},
      {-9.0, 1, 0, 4, true, true, M::ROUND, -7},
      {-8.0, 1, 0, 4, true, true, M::FLOOR, -7},
      {-0.4, 1, 0, 4, false, false, M::ROUND, 0},
      {15.7, 1, 0, 4, false, false, M::CEIL, 15},
      {14.2, 1, 0, 4, false, true, M::CEIL, 14},
      {14.6, 1, 0, 4, false, true, M::ROUND, 14},
      // power-of-two scales: 4-bit signed at 2^-3 holds [-1, 0.875]
      {0.3, 0.125, 0, 4, true, false, M::ROUND, 0.25},    // u = 2.4 -> 2
      {0.3125, 0.125, 0, 4, true, false, M::ROUND, 0.25}, // u = 2.5 -> 2 (even)
      {0.4375, 0.125, 0, 4, true, false, M::ROUND, 0.5},  // u = 3.5 -> 4
      {5.0, 0.125, 0, 4, true, false, M::ROUND, 0.875},   // clipped to 7
      {-5.0, 0.125, 0, 4, true, true, M::ROUND, -0.875},  // narrow: -7
      // other scales: 0.375 = 3/8
      {1.0, 0.375, 0, 4, true, false, M::ROUND, 1.125},      // u = 2.667 -> 3
      {0.5625, 0.375, 0, 4, true, false, M::HALF_EVEN, 0.75}, // u = 1.5 -> 2
      {0.5625, 0.375, 0, 4, true, false, M::HALF_DOWN, 0.375},// u = 1.5 -> 1
      {0.5625, 0.375, 0, 4, true, false, M::CEIL, 0.75},
      {0.5625, 0.375, 0, 4, true, false, M::FLOOR, 0.375},
      // float32 0.35 and 0.1: 0.35f/0.1f = 3.49999989 in exact arithmetic (and in float32) -> 3
      {0.35f, 0.1f, 0, 8, true, false, M::ROUND, 3 * static_cast<double>(0.1f)},
      // zero points: u = 0.5625/0.375 + 1 = 2.5
      {0.5625, 0.375, 1, 4, true, false, M::HALF_EVEN, 0.375},  // q = 2, (2 - 1) * 0.375
      {0.5625, 0.375, 1, 4, true, false, M::HALF_UP, 0.75},     // q = 3
      {-10.0, 0.5, 3, 4, false, false, M::ROUND, -1.5},         // u = -17 -> clip 0, (0 - 3) * 0.5
      {10.0, 0.5, -2, 4, true, false, M::ROUND, 4.5},           // u = 18 -> 7, (7 + 2) * 0.5
      // 1 bit: signed = bipolar (u >= 0 -> +1, no rounding), unsigned = {0, 1}
      {0.0, 0.5, 0, 1, true, false, M::ROUND, 0.5},
      {-1e-9, 0.5, 0, 1, true, false, M::ROUND, -0.5},
      {0.3, 0.5, 0, 1, false, false, M::ROUND, 0.5},  // u = 0.6 -> 1
      {0.2, 0.5, 0, 1, false, false, M::ROUND, 0.0},  // u = 0.4 -> 0
      // 16 bits
      {40000, 1, 0, 16, true, false, M::ROUND, 32767},
      {-40000, 1, 0, 16, true, true, M::ROUND, -32767},
      {70000, 1, 0, 16, false, false, M::ROUND, 65535},
      {1234.5, 1, 0, 16, true, false, M::ROUND, 1234},
  };
  for (const Row& r : rows) {
    const IntQuantSpec q{r.bits, r.is_signed, r.narrow, r.mode};
    EXPECT_EQ(quant(r.x, r.scale, r.zero_point, q), r.expected)
        << "x " << r.x << " s " << r.scale << " z " << r.zero_point << " " << q.str();
  }
}

TEST(QonnxQuant, RangesForEveryBitWidth) {
  // qmin/qmax: signed [-2^(b-1), 2^(b-1)-1], narrow drops the minimum, unsigned [0, 2^b-1], narrow [0, 2^b-2].
  EXPECT_EQ((IntQuantSpec{1, true, false}.qmin()), -1);  // bipolar
  EXPECT_EQ((IntQuantSpec{1, true, false}.qmax()), 1);
  EXPECT_EQ((IntQuantSpec{1, false, false}.qmax()), 1);
  EXPECT_EQ((IntQuantSpec{2, true, false}.qmin()), -2);
  EXPECT_EQ((IntQuantSpec{2, true, true}.qmin()), -1);
  EXPECT_EQ((IntQuantSpec{8, false, true}.qmax()), 254);
  EXPECT_EQ((IntQuantSpec{12, false, false}.qmax()), 4095);
  EXPECT_EQ((IntQuantSpec{16, true, true}.qmin()), -32767);
  for (int b = 2; b <= 16; ++b)
    for (bool s : {false, true})
      for (bool narrow : {false, true}) {
        const IntQuantSpec q{b, s, narrow, M::ROUND};
        const double hi = s ? std::ldexp(1, b - 1) - 1 : std::ldexp(1, b) - 1 - narrow;
        const double lo = s ? -std::ldexp(1, b - 1) + narrow : 0;
        EXPECT_EQ(q.qmax(), hi) << q.str();
        EXPECT_EQ(q.qmin(), lo) << q.str();
        EXPECT_EQ(quant(1e9, 0.25, 0, q), hi * 0.25) << q.str();   // clipped at qmax
        EXPECT_EQ(quant(-1e9, 0.25, 0, q), lo * 0.25) << q.str();  // clipped at qmin
        // Every level is reached, at its value, for all modes.
        for (M m : {M::ROUND, M::HALF_EVEN, M::CEIL, M::FLOOR, M::UP, M::DOWN, M::HALF_UP, M::HALF_DOWN})
          for (int64_t level : {q.qmin(), q.qmax(), (q.qmin() + q.qmax()) / 2})
            EXPECT_EQ(quant_level(static_cast<double>(level) * 0.75, 0.75, 0, {b, s, narrow, m}), level) << q.str();
      }
}

TEST(QonnxQuant, BoundariesAgreeWithTheRoundingFunctions) {
  // round(u) >= level  <=>  u > at (strict) or u >= at, checked on a grid of quarter steps around each level.
  for (M m : {M::ROUND, M::HALF_EVEN, M::CEIL, M::FLOOR, M::UP, M::DOWN, M::HALF_UP, M::HALF_DOWN})
    for (int64_t level = -4; level <= 4; ++level) {
      const Boundary b = level_boundary(level, m);
      for (double u = -6; u <= 6; u += 0.25) {
        const bool passed = b.strict ? u > b.at : u >= b.at;
        EXPECT_EQ(passed, frontends::qonnx::round_value(u, m) >= static_cast<double>(level))
            << frontends::qonnx::name(m) << " level " << level << " u " << u;
      }
    }
  EXPECT_EQ(level_boundary(1, M::CEIL).at, 0.0);
  EXPECT_TRUE(level_boundary(1, M::CEIL).strict);             // ceil(u) >= 1 <=> u > 0
  EXPECT_TRUE(level_boundary(3, M::HALF_EVEN).strict);        // 2.5 -> 2: u > 2.5
  EXPECT_FALSE(level_boundary(2, M::HALF_EVEN).strict);       // 1.5 -> 2: u >= 1.5
}

TEST(QonnxQuant, ParsesModesAndPowersOfTwo) {
  EXPECT_EQ(frontends::qonnx::parse_rounding_mode("half_even"), M::HALF_EVEN);
  EXPECT_EQ(frontends::qonnx::parse_rounding_mode("Round"), M::ROUND);
  EXPECT_FALSE(frontends::qonnx::parse_rounding_mode("STOCHASTIC"));
  int k = 0;
  EXPECT_TRUE(frontends::qonnx::is_power_of_two(0.125, &k));
  EXPECT_EQ(k, -3);
  EXPECT_FALSE(frontends::qonnx::is_power_of_two(0.1));
  EXPECT_FALSE(frontends::qonnx::is_power_of_two(-0.5));
  const auto t = frontends::qonnx::exact_type({0.1f, 0.25f}, 64);  // 0.1f = 13421773 * 2^-27
  ASSERT_TRUE(t);
  EXPECT_EQ(t->frac(), 27);
  EXPECT_EQ(t->to_double(13421773), static_cast<double>(0.1f));
}

}  // namespace
}  // namespace firmnet::test
