// numeric::quantize / quantize_double: hand-checked rounding, overflow and shift edge cases, and the
// exact result types. (Bit-exactness against the ap_types headers is in tests/ap_types.)
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "numeric/fixed.h"
#include "support/error.h"

namespace firmnet::numeric {
namespace {


constexpr Rounding kQ[] = {Rounding::TRN,     Rounding::TRN_ZERO,    Rounding::RND, Rounding::RND_ZERO,
                           Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};

// Expected raw results in fixed<8,4> (F=4, never overflowing here) of v * 2^-6, i.e. v/4 LSBs, for
// every rounding mode in the order of kQ.
struct RoundCase {
  int v;  // in quarters of an LSB
  int expect[7];
};

TEST(Quantize, EveryRoundingMode) {
  const RoundCase cases[] = {
      //         TRN TRN_ZERO RND RND_ZERO RND_INF RND_MIN_INF RND_CONV
      {6, {1, 1, 2, 1, 2, 1, 2}},          // +1.5 LSB: half between an odd and an even
      {-6, {-2, -1, -1, -1, -2, -2, -2}},  // -1.5
      {10, {2, 2, 3, 2, 3, 2, 2}},         // +2.5: half between an even and an odd
      {-10, {-3, -2, -2, -2, -3, -3, -2}}, // -2.5
      {5, {1, 1, 1, 1, 1, 1, 1}},          // +1.25
      {-5, {-2, -1, -1, -1, -1, -1, -1}},  // -1.25
      {7, {1, 1, 2, 2, 2, 2, 2}},          // +1.75
      {-7, {-2, -1, -2, -2, -2, -2, -2}},  // -1.75
      {2, {0, 0, 1, 0, 1, 0, 0}},          // +0.5
      {-2, {-1, 0, 0, 0, -1, -1, 0}},      // -0.5
      {-1, {-1, 0, 0, 0, 0, 0, 0}},        // -0.25
      {8, {2, 2, 2, 2, 2, 2, 2}},          // exact
      {-8, {-2, -2, -2, -2, -2, -2, -2}},
  };
  for (const auto& c : cases)
    for (int q = 0; q < 7; ++q) {
      const Cast r = quantize(c.v, 6, make_type(8, 4, true, kQ[q]));
      EXPECT_EQ(r.raw, c.expect[q]) << c.v << "/4 LSB, " << name(kQ[q]);
      EXPECT_FALSE(r.overflow);
    }
}

TEST(Quantize, OverflowModes) {
  // fixed<4,2>: raw -8..7 (values -2 .. 1.75).
  auto cast = [](int v, int f, Overflow o, bool s = true, Rounding q = Rounding::TRN) {
    return quantize(v, f, make_type(4, 2, s, q, o));
  };
  // +2.0 (raw 8): one above the maximum.
  EXPECT_EQ(cast(8, 2, Overflow::WRAP).raw, -8);
  EXPECT_TRUE(cast(8, 2, Overflow::WRAP).overflow);
  EXPECT_EQ(cast(8, 2, Overflow::SAT).raw, 7);
  EXPECT_EQ(cast(8, 2, Overflow::SAT_ZERO).raw, 0);
  EXPECT_EQ(cast(8, 2, Overflow::SAT_SYM).raw, 7);
  // -2.0 (raw -8) fits, but SAT_SYM's range is symmetric: -max.
  EXPECT_EQ(cast(-8, 2, Overflow::WRAP).raw, -8);
  EXPECT_FALSE(cast(-8, 2, Overflow::SAT).overflow);
  EXPECT_EQ(cast(-8, 2, Overflow::SAT_SYM).raw, -7);
  EXPECT_TRUE(cast(-8, 2, Overflow::SAT_SYM).overflow);
  // -2.25 (raw -9).
  EXPECT_EQ(cast(-9, 2, Overflow::WRAP).raw, 7);
  EXPECT_EQ(cast(-9, 2, Overflow::SAT).raw, -8);
  EXPECT_EQ(cast(-9, 2, Overflow::SAT_ZERO).raw, 0);
  EXPECT_EQ(cast(-9, 2, Overflow::SAT_SYM).raw, -7);
  // 1.9375 = 31/16: TRN fits (7), RND carries into an overflow.
  EXPECT_EQ(cast(31, 4, Overflow::SAT).raw, 7);
  EXPECT_FALSE(cast(31, 4, Overflow::SAT).overflow);
  EXPECT_EQ(cast(31, 4, Overflow::SAT, true, Rounding::RND).raw, 7);
  EXPECT_TRUE(cast(31, 4, Overflow::SAT, true, Rounding::RND).overflow);
  EXPECT_EQ(cast(31, 4, Overflow::WRAP, true, Rounding::RND).raw, -8);
  // Rounding alone is not an overflow.
  EXPECT_FALSE(cast(3, 4, Overflow::SAT, true, Rounding::RND).overflow);

  // ufixed<4,2>: raw 0..15.
  EXPECT_EQ(cast(-1, 2, Overflow::WRAP, false).raw, 15);
  EXPECT_EQ(cast(-1, 2, Overflow::SAT, false).raw, 0);
  EXPECT_EQ(cast(-1, 2, Overflow::SAT_SYM, false).raw, 0);
  EXPECT_TRUE(cast(-1, 2, Overflow::SAT_SYM, false).overflow);
  EXPECT_EQ(cast(16, 2, Overflow::WRAP, false).raw, 0);
  EXPECT_EQ(cast(16, 2, Overflow::SAT, false).raw, 15);
  EXPECT_EQ(cast(16, 2, Overflow::SAT_SYM, false).raw, 15);
  EXPECT_EQ(cast(16, 2, Overflow::SAT_ZERO, false).raw, 0);
  // A tiny negative rounds to 0 without overflow, or floors to -1 LSB and overflows.
  EXPECT_EQ(cast(-1, 4, Overflow::SAT, false, Rounding::RND).raw, 0);
  EXPECT_FALSE(cast(-1, 4, Overflow::SAT, false, Rounding::RND).overflow);
  EXPECT_TRUE(cast(-1, 4, Overflow::SAT, false, Rounding::TRN).overflow);

  // Signed W=1 (raw -1..0): ap_fixed's SAT_SYM sets min|1, which is -1 itself.
  const FixedType one = make_type(1, 1, true, Rounding::TRN, Overflow::SAT_SYM);
  EXPECT_EQ(quantize(-1, 0, one).raw, -1);
  EXPECT_FALSE(quantize(-1, 0, one).overflow);
  EXPECT_EQ(quantize(-5, 0, one).raw, -1);
  EXPECT_EQ(quantize(3, 0, one).raw, 0);
  EXPECT_TRUE(quantize(3, 0, one).overflow);
}

TEST(Quantize, WideDestinations) {
  const FixedType s64 = make_type(64, 64, true, Rounding::TRN, Overflow::WRAP);
  EXPECT_EQ(quantize(3, -60, s64).raw, int64_t{3} << 60);
  EXPECT_FALSE(quantize(3, -60, s64).overflow);
  // 5 * 2^61 = 2^63 + 2^61 wraps to -2^63 + 2^61.
  EXPECT_EQ(quantize(5, -61, s64).raw, INT64_MIN + (int64_t{1} << 61));
  EXPECT_TRUE(quantize(5, -61, s64).overflow);
  const FixedType sat64 = make_type(64, 64, true, Rounding::TRN, Overflow::SAT);
  EXPECT_EQ(quantize(5, -61, sat64).raw, INT64_MAX);
  EXPECT_EQ(quantize(-5, -61, sat64).raw, INT64_MIN);
  const FixedType u63 = make_type(63, 63, false, Rounding::TRN, Overflow::SAT);
  EXPECT_EQ(quantize(-7, 0, u63).raw, 0);
  EXPECT_EQ(quantize(i128{1} << 63, 0, u63).raw, INT64_MAX);
}

TEST(Quantize, ShiftEdgeCases) {
  const i128 kMax = ~(i128{1} << 127);  // 2^127 - 1
  const i128 kMin = i128{1} << 127;     // -2^127
  auto q = [](i128 v, int f, Rounding r, Overflow o = Overflow::WRAP) {
    return quantize(v, f, make_type(8, 6, true, r, o)).raw;  // F = 2
  };
  // f = 200: far below the LSB; only the sign and the sticky bits matter.
  EXPECT_EQ(q(1, 200, Rounding::TRN), 0);
  EXPECT_EQ(q(1, 200, Rounding::RND_INF), 0);
  EXPECT_EQ(q(-1, 200, Rounding::TRN), -1);
  EXPECT_EQ(q(-1, 200, Rounding::TRN_ZERO), 0);
  EXPECT_EQ(q(-1, 200, Rounding::RND), 0);
  EXPECT_EQ(q(-1, 200, Rounding::RND_MIN_INF), 0);
  EXPECT_EQ(q(kMax, 200, Rounding::TRN), 0);
  EXPECT_EQ(q(kMin, 200, Rounding::TRN), -1);
  EXPECT_EQ(q(kMin, 256, Rounding::RND_CONV), 0);
  // Exactly half an LSB at the top of the i128: 2^126 * 2^-129 = 2^-3 = LSB/2.
  EXPECT_EQ(q(i128{1} << 126, 129, Rounding::RND), 1);
  EXPECT_EQ(q(i128{1} << 126, 129, Rounding::RND_ZERO), 0);
  EXPECT_EQ(q(i128{1} << 126, 129, Rounding::RND_CONV), 0);
  EXPECT_EQ(q(-(i128{1} << 126), 129, Rounding::RND), 0);
  EXPECT_EQ(q(-(i128{1} << 126), 129, Rounding::RND_MIN_INF), -1);
  EXPECT_EQ(q(-(i128{1} << 126), 129, Rounding::RND_INF), -1);
  EXPECT_EQ(q(-(i128{1} << 126), 129, Rounding::TRN_ZERO), 0);
  // Dropping exactly 128 bits: the half bit is the sign bit of -2^127 (value -LSB/2).
  EXPECT_EQ(q(kMin, 130, Rounding::RND), 0);
  EXPECT_EQ(q(kMin, 130, Rounding::RND_MIN_INF), -1);
  EXPECT_EQ(q(kMin, 130, Rounding::TRN), -1);
  EXPECT_EQ(q(kMin, 131, Rounding::RND_MIN_INF), 0);  // -LSB/4
  EXPECT_EQ(q(kMin + 1, 130, Rounding::RND_MIN_INF), 0);  // just above -LSB/2
  // Just below 1.0 with every bit set: TRN keeps 127, rounding up overflows fixed<8,1>.
  const FixedType s81 = make_type(8, 1, true, Rounding::RND, Overflow::WRAP);
  EXPECT_EQ(quantize(kMax, 127, make_type(8, 1)).raw, 127);
  EXPECT_EQ(quantize(kMax, 127, s81).raw, -128);
  EXPECT_TRUE(quantize(kMax, 127, s81).overflow);
  // f = -100: 2^100 does not fit any destination; its low 64 bits are 0.
  EXPECT_EQ(quantize(1, -100, make_type(16, 6)).raw, 0);
  EXPECT_TRUE(quantize(1, -100, make_type(16, 6)).overflow);
  EXPECT_EQ(q(1, -100, Rounding::TRN, Overflow::SAT), 127);
  EXPECT_EQ(q(-1, -100, Rounding::TRN, Overflow::SAT), -128);
  EXPECT_EQ(q(-1, -100, Rounding::TRN, Overflow::SAT_SYM), -127);
  EXPECT_EQ(q(-1, -100, Rounding::TRN, Overflow::SAT_ZERO), 0);
  // Left shifts that overflow the i128: (2^126 + 1) * 2 = 2^127 + 2, low 64 bits 2.
  const FixedType s64 = make_type(64, 64);
  EXPECT_EQ(quantize((i128{1} << 126) + 1, -1, s64).raw, 2);
  EXPECT_EQ(quantize(-(i128{1} << 126) - 1, -1, s64).raw, -2);
  EXPECT_EQ(quantize((i128{1} << 126) + 1, -1, make_type(64, 64, true, Rounding::TRN, Overflow::SAT)).raw, INT64_MAX);
  EXPECT_EQ(quantize(-(i128{1} << 126) - 1, -1, make_type(64, 64, true, Rounding::TRN, Overflow::SAT)).raw, INT64_MIN);
  EXPECT_EQ(quantize(kMax, -3, make_type(8, 8)).raw, -8);  // low byte of (2^127-1)*8 = 0xF8
  EXPECT_EQ(quantize(kMax, -200, make_type(8, 8)).raw, 0);
  EXPECT_EQ(quantize(kMax, 0, s64).raw, -1);
  EXPECT_TRUE(quantize(kMax, 0, s64).overflow);
  // Zero stays zero for any shift and mode.
  EXPECT_EQ(quantize(0, -256, make_type(8, 8, true, Rounding::RND, Overflow::SAT_SYM)).raw, 0);
  EXPECT_FALSE(quantize(0, -256, make_type(8, 8, true, Rounding::RND, Overflow::SAT_SYM)).overflow);
  // Destinations with I < 0 and I > W.
  EXPECT_EQ(quantize(3, 7, make_type(4, -2, true, Rounding::RND)).raw, 2);   // 3/128 = 1.5 LSB of 2^-6
  EXPECT_EQ(quantize(-200, 0, make_type(4, 10, true, Rounding::RND)).raw, -3);  // -200/64 = -3.125
  EXPECT_EQ(quantize(600, 0, make_type(4, 10, true, Rounding::RND, Overflow::SAT)).raw, 7);
}

TEST(QuantizeDouble, Values) {
  const FixedType t = make_type(16, 6);  // F = 10
  EXPECT_EQ(quantize_double(0.1, t).raw, 102);  // 102.4
  EXPECT_EQ(quantize_double(-0.1, t).raw, -103);
  EXPECT_EQ(quantize_double(-0.1, make_type(16, 6, true, Rounding::RND)).raw, -102);
  EXPECT_EQ(quantize_double(1.5 / 1024, make_type(16, 6, true, Rounding::RND_CONV)).raw, 2);
  EXPECT_EQ(quantize_double(0.5 / 1024, make_type(16, 6, true, Rounding::RND_CONV)).raw, 0);
  EXPECT_EQ(quantize_double(-0.5 / 1024, make_type(16, 6, true, Rounding::RND)).raw, 0);
  EXPECT_EQ(quantize_double(-0.5 / 1024, make_type(16, 6, true, Rounding::RND_INF)).raw, -1);
  EXPECT_EQ(quantize_double(-0.0, t).raw, 0);
  EXPECT_EQ(quantize_double(31.999, make_type(16, 6, true, Rounding::RND, Overflow::SAT)).raw, 32767);
  EXPECT_EQ(quantize_double(32.0, t).raw, -32768);
  EXPECT_TRUE(quantize_double(32.0, t).overflow);
  // Huge: saturates, or wraps to the low bits (all zero far above the mantissa).
  EXPECT_EQ(quantize_double(1e300, t).raw, 0);
  EXPECT_EQ(quantize_double(1e300, make_type(16, 6, true, Rounding::TRN, Overflow::SAT)).raw, 32767);
  EXPECT_EQ(quantize_double(-1e300, make_type(16, 6, true, Rounding::TRN, Overflow::SAT_SYM)).raw, -32767);
  EXPECT_EQ(quantize_double(std::ldexp(3.0, 60), make_type(64, 64)).raw, int64_t{3} << 60);
  EXPECT_EQ(quantize_double(std::ldexp(1.0, 63), make_type(64, 64)).raw, INT64_MIN);  // wraps
  // Tiny and subnormal.
  const double sub = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(quantize_double(sub, t).raw, 0);
  EXPECT_EQ(quantize_double(-sub, t).raw, -1);
  EXPECT_EQ(quantize_double(-sub, make_type(16, 6, true, Rounding::RND)).raw, 0);
  EXPECT_EQ(quantize_double(-1e-300, make_type(16, 6, true, Rounding::TRN_ZERO)).raw, 0);
  // The 53-bit mantissa is used exactly: 2^52 + 1 in fixed<64,64>.
  EXPECT_EQ(quantize_double(4503599627370497.0, make_type(64, 64)).raw, 4503599627370497);
}

TEST(QuantizeDouble, NanAndInfinityAreErrors) {
  const FixedType t = make_type(16, 6);
  for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity()}) {
    try {
      quantize_double(bad, t);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("fixed<16,6>"), std::string::npos) << e.what();
    }
  }
}

TEST(ResultTypes, ProductSumUnion) {
  const FixedType a = make_type(16, 6), u = make_type(8, 3, false);
  const ExactType p = product_type(a, u);
  EXPECT_EQ(p.width, 24);
  EXPECT_EQ(p.int_bits, 9);
  EXPECT_TRUE(p.is_signed);
  // Signed + unsigned: the unsigned side needs one more integer bit, then one carry bit.
  const ExactType s = sum_type(exact(a), exact(u));
  EXPECT_EQ(s.int_bits, 7);
  EXPECT_EQ(s.width, 17);
  EXPECT_TRUE(s.is_signed);
  const ExactType uu = sum_type(exact(u), exact(make_type(4, 4, false)));
  EXPECT_EQ(uu.int_bits, 5);
  EXPECT_EQ(uu.width, 10);
  EXPECT_FALSE(uu.is_signed);
  const ExactType d = difference_type(exact(u), exact(make_type(4, 4, false)));  // unsigned - unsigned
  EXPECT_EQ(d.int_bits, 5);
  EXPECT_EQ(d.width, 10);
  EXPECT_TRUE(d.is_signed);
  const ExactType wide = product_type(make_type(64, 32), make_type(64, 10));  // may exceed 64 bits
  EXPECT_EQ(wide.width, 128);
  EXPECT_EQ(wide.frac(), 86);

  EXPECT_EQ(union_type(make_type(8, 3), make_type(4, -2, false)).str(), "fixed<9,3>");
  EXPECT_EQ(union_type(make_type(16, 6), make_type(8, 2)).str(), "fixed<16,6>");
  EXPECT_EQ(union_type(make_type(8, 8, false), make_type(4, 4)).str(), "fixed<9,9>");
  EXPECT_EQ(union_type(make_type(4, 10), make_type(4, -2)).str(), "fixed<16,10>");
  EXPECT_THROW(union_type(make_type(64, 64), make_type(8, 0, false)), Error);  // would need 73 bits
}

}  // namespace
}  // namespace firmnet::numeric
