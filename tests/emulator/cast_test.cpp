// The emulator's inline casts (CastPlan, the graph-input cast from double) against the numeric core.
#include <gtest/gtest.h>

#include <cmath>

#include "emulator/builder.h"
#include "emulator/cast.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::emutest {
namespace {

using numeric::i128;
using numeric::Overflow;
using numeric::Rounding;

constexpr Rounding kRoundings[] = {Rounding::TRN,         Rounding::TRN_ZERO, Rounding::RND,     Rounding::RND_ZERO,
                                   Rounding::RND_MIN_INF, Rounding::RND_INF,  Rounding::RND_CONV};
constexpr Overflow kOverflows[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};

TEST(CastPlan, HandValues) {
  // 0.375 (raw 3 at F=3) into fixed<4,2> (F=2): 1.5 lsb -> TRN 1, RND_CONV 2; -0.375: TRN -2, RND_CONV -2.
  int64_t ovf = 0;
  emulator::CastPlan trn(T("fixed<4,2>"), 3), conv(T("fixed<4,2,RND_CONV>"), 3);
  EXPECT_EQ(trn(int64_t{3}, ovf), 1);
  EXPECT_EQ(conv(int64_t{3}, ovf), 2);
  EXPECT_EQ(trn(int64_t{-3}, ovf), -2);
  EXPECT_EQ(conv(int64_t{-3}, ovf), -2);
  EXPECT_EQ(conv(int64_t{5}, ovf), 2);  // 2.5 lsb -> even 2
  EXPECT_EQ(ovf, 0);
  // 2.0 into fixed<4,2> (max 1.75): WRAP -> -2.0 (raw -8), SAT -> 1.75 (raw 7); both count.
  emulator::CastPlan wrap(T("fixed<4,2>"), 0), sat(T("fixed<4,2,TRN,SAT>"), 0);
  EXPECT_EQ(wrap(int64_t{2}, ovf), -8);
  EXPECT_EQ(sat(int64_t{2}, ovf), 7);
  EXPECT_EQ(ovf, 2);
}

// Found by fuzz/fuzz_config (UBSan): Precision ap_fixed<1,79> (F = -78) cast from F = 95 made CastPlan shift an
// i128 by 173. Shifts far beyond 64 bits both ways, against the numeric core.
TEST(CastPlan, ExtremeShiftsMatchQuantize) {
  for (const char* type : {"fixed<1,79>", "fixed<1,129>", "ufixed<8,136,RND_CONV,SAT>", "fixed<64,-64,RND,SAT_SYM>",
                           "fixed<16,-112>", "fixed<8,3,RND_INF,SAT_ZERO>"})
    for (int from : {-200, -128, -64, 0, 64, 95, 128, 200, 256}) {
      const FixedType t = T(type);
      const emulator::CastPlan plan(t, from);
      for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{12345}, int64_t{-12345}, INT64_MAX, INT64_MIN}) {
        const numeric::Cast ref = numeric::quantize(v, from, t);
        int64_t ovf = 0;
        EXPECT_EQ(plan(v, ovf), ref.raw) << type << " from F=" << from << " v=" << v;
        EXPECT_EQ(ovf, ref.overflow ? 1 : 0) << type << " from F=" << from << " v=" << v;
      }
    }
}

TEST(CastPlan, MatchesQuantizeOnRandomTypesAndValues) {
  Rng rng{99};
  int checked = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    FixedType t;
    t.is_signed = rng.range(0, 3) != 0;
    t.width = static_cast<int>(rng.range(1, t.is_signed ? 64 : 63));
    t.int_bits = static_cast<int>(rng.range(-8, t.width + 8));
    t.rounding = kRoundings[rng.range(0, 6)];
    t.overflow = kOverflows[rng.range(0, 3)];
    const int from = t.frac() + static_cast<int>(rng.range(-70, 70));
    const emulator::CastPlan plan(t, from);
    std::vector<int64_t> v64;
    std::vector<int32_t> v32;
    for (int k = 0; k < 40; ++k) {
      const int bits = static_cast<int>(rng.range(0, 63));
      int64_t v = static_cast<int64_t>(rng.next() >> (64 - std::max(bits, 1)));
      if (rng.range(0, 1)) v = -v;
      if (k < 6) v = (int64_t{1} << rng.range(0, 20)) * (rng.range(0, 1) ? 1 : -1) + rng.range(-1, 1);  // ties
      v64.push_back(v);
      v32.push_back(static_cast<int32_t>(v));
    }
    for (int64_t v : v64) {
      const numeric::Cast ref = numeric::quantize(v, from, t);
      int64_t ovf = 0;
      ASSERT_EQ(plan(v, ovf), ref.raw) << t.str() << " from F=" << from << " v=" << v;
      ASSERT_EQ(ovf, ref.overflow ? 1 : 0) << t.str() << " from F=" << from << " v=" << v;
      const i128 big = static_cast<i128>(v) * 1000003;  // beyond int64: the general path
      int64_t ovf2 = 0;
      ASSERT_EQ(plan(big, ovf2), numeric::quantize(big, from, t).raw) << t.str();
      ++checked;
    }
    // cast_many over int64 and int32 runs equals the per-value casts.
    std::vector<int64_t> out64(v64.size()), out32(v32.size());
    int64_t ovf64 = 0, ovf32 = 0, ref64 = 0, ref32 = 0;
    plan.cast_many(v64.data(), out64.data(), v64.size(), ovf64);
    plan.cast_many(v32.data(), out32.data(), v32.size(), ovf32);
    for (size_t e = 0; e < v64.size(); ++e) {
      const numeric::Cast a = numeric::quantize(v64[e], from, t), b = numeric::quantize(v32[e], from, t);
      ASSERT_EQ(out64[e], a.raw) << t.str() << " from F=" << from << " v=" << v64[e];
      ASSERT_EQ(out32[e], b.raw) << t.str() << " from F=" << from << " v=" << v32[e];
      ref64 += a.overflow;
      ref32 += b.overflow;
    }
    ASSERT_EQ(ovf64, ref64);
    ASSERT_EQ(ovf32, ref32);
  }
  EXPECT_EQ(checked, 3000 * 40);
}

// A graph that is only its input: run() returns the input cast, raw.
TEST(InputCast, MatchesQuantizeDoubleIncludingTiesAndExtremes) {
  Rng rng{5};
  for (int trial = 0; trial < 400; ++trial) {
    FixedType t;
    t.is_signed = rng.range(0, 3) != 0;
    t.width = static_cast<int>(rng.range(1, t.is_signed ? 64 : 63));
    t.int_bits = static_cast<int>(rng.range(-4, t.width + 4));
    t.rounding = kRoundings[rng.range(0, 6)];
    t.overflow = kOverflows[rng.range(0, 3)];
    Builder b;
    const auto x = b.input("in", {50}, t);
    b.output(x);
    std::vector<double> v;
    for (int k = 0; k < 50; ++k) {
      const double lsb = std::ldexp(1.0, -t.frac());
      switch (k % 5) {
        case 0: v.push_back((rng.uniform() * 2 - 1) * std::ldexp(1.0, t.int_bits + 2)); break;  // around the range
        case 1: v.push_back((static_cast<double>(rng.range(-1000, 1000)) + 0.5) * lsb); break;  // exact ties
        case 2: v.push_back(static_cast<double>(rng.range(-1000, 1000)) * lsb); break;          // exact values
        case 3: v.push_back((rng.uniform() - 0.5) * std::ldexp(1.0, static_cast<int>(rng.range(-1000, 1000)))); break;
        default: v.push_back(k % 2 ? 1e-310 : -1e-310); break;  // subnormal
      }
    }
    const auto r = emulator::Emulator(b.g).run({v}, 1);
    int64_t ovf = 0;
    for (size_t k = 0; k < v.size(); ++k) {
      const numeric::Cast c = numeric::quantize_double(v[k], t);
      ASSERT_EQ(r.outputs_raw[0][k], c.raw) << t.str() << " d=" << v[k];
      ovf += c.overflow;
    }
    ASSERT_EQ(r.overflows.at("in"), ovf) << t.str();  // counted under the Input node's name
  }
}

TEST(InputCast, NonFiniteInputIsAnError) {
  Builder b;
  b.output(b.input("in", {1}, T("fixed<8,4>")));
  EXPECT_THROW(emulator::Emulator(b.g).run({{std::nan("")}}, 1), Error);
}

}  // namespace
}  // namespace firmnet::emutest
