// Dense: hand-computed cases for each plan (exact, per-step rounding, accumulator wrap) and a randomized
// cross-check of every plan against a naive per-step reference written here with numeric::quantize.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "emulator/builder.h"
#include "emulator/emulator.h"
#include "emulator/lanes16.h"
#include "support/error.h"

namespace firmnet::emutest {
namespace {

using numeric::Overflow;
using numeric::Rounding;

// x (n_in) -> Dense -> y (n_out)
ir::Graph dense_graph(int64_t n_in, int64_t n_out, FixedType tx, FixedType tw, FixedType tb, FixedType ta,
                      FixedType ty, std::vector<int64_t> w, std::vector<int64_t> b) {
  Builder bl;
  const auto x = bl.input("x", {n_in}, tx);
  const auto W = bl.constant("w", {n_in, n_out}, tw, std::move(w));
  const auto B = bl.constant("b", {n_out}, tb, std::move(b));
  ir::Node& d = bl.node(ir::OpKind::Dense, "fc", {x}, {n_out}, ty);
  d.params = {{"weight", W}, {"bias", B}};
  d.types["accum"] = ta;
  bl.output(bl.out(d));
  bl.g.verify(true);
  return bl.g;
}

TEST(Dense, LosslessAccumulatorHandCase) {
  // x = [1.5, -2], W = [[0.5, 1], [0.25, -1.5]], b = [0.125, -0.5]
  // y0 = 0.125 + 0.75 - 0.5 = 0.375 -> raw 96 at F=8;  y1 = -0.5 + 1.5 + 3 = 4 -> raw 1024.
  auto g = dense_graph(2, 2, T("fixed<8,4>"), T("fixed<8,4>"), T("fixed<8,4>"), T("fixed<32,16>"),
                       T("fixed<16,8>"), {8, 16, 4, -24}, {2, -8});
  emulator::Emulator emu(g);
  auto r = emu.run_raw({{24, -32}}, 1);
  EXPECT_EQ(r.outputs_raw[0], (std::vector<int64_t>{96, 1024}));
  EXPECT_EQ(r.outputs[0], (std::vector<double>{0.375, 4.0}));
  EXPECT_EQ(r.overflows.at("fc"), 0);
}

TEST(Dense, LossyAccumulatorRoundsEveryStep) {
  // x = [0.75, 0.75], W = [1, 1], accum has 1 fractional bit.
  // TRN:      acc = Q(0.75) = 0.5; acc = Q(0.5 + 0.75) = 1.0 -> y raw 16 (the exact 1.5 would be 24)
  // RND_CONV: acc = Q(0.75) = 1.0 (1.5 half-even -> 2); acc = Q(1.0 + 0.75) = 2.0 (3.5 -> 4) -> raw 32
  for (auto [accum, expect] : {std::pair{"fixed<6,5>", 16}, std::pair{"fixed<6,5,RND_CONV>", 32}}) {
    auto g = dense_graph(2, 1, T("fixed<8,4>"), T("fixed<8,4>"), T("fixed<8,4>"), T(accum), T("fixed<8,4>"),
                         {16, 16}, {0});
    auto r = emulator::Emulator(g).run_raw({{12, 12}}, 1);
    EXPECT_EQ(r.outputs_raw[0][0], expect) << accum;
  }
}

TEST(Dense, AccumulatorWrapsAndSaturatesPerStep) {
  // Integers: x = [7, 7, -7], W = [1, 1, 1], accum 4-bit integer [-8, 7].
  // WRAP: 7 -> 14 wraps to -2 -> -9 wraps to 7.   SAT: 7 -> 7 -> 0.
  for (auto [accum, expect] : {std::pair{"fixed<4,4>", 7}, std::pair{"fixed<4,4,TRN,SAT>", 0}}) {
    auto g = dense_graph(3, 1, T("fixed<8,8>"), T("fixed<4,4>"), T("fixed<4,4>"), T(accum), T("fixed<8,8>"),
                         {1, 1, 1}, {0});
    auto r = emulator::Emulator(g).run_raw({{7, 7, -7}}, 1);
    EXPECT_EQ(r.outputs_raw[0][0], expect) << accum;
  }
}

TEST(Dense, OutputOverflowIsCounted) {
  // y = 3*x into a 4-bit integer: x = 1 -> 3 fits, x = 3 -> 9 wraps to -7, x = -3 -> -9 wraps to 7.
  auto g = dense_graph(1, 1, T("fixed<8,8>"), T("fixed<4,4>"), T("fixed<4,4>"), T("fixed<16,16>"), T("fixed<4,4>"),
                       {3}, {0});
  auto r = emulator::Emulator(g).run_raw({{1, 3, -3}}, 3);
  EXPECT_EQ(r.outputs_raw[0], (std::vector<int64_t>{3, -7, 7}));
  EXPECT_EQ(r.overflows.at("fc"), 2);
}

TEST(Dense, MissingAccumulatorTypeNamesTheNode) {
  auto g = dense_graph(1, 1, T("fixed<8,4>"), T("fixed<8,4>"), T("fixed<8,4>"), T("fixed<16,8>"), T("fixed<8,4>"),
                       {1}, {0});
  g.nodes[1].types.clear();
  try {
    emulator::Emulator emu(g);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'fc'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("accum"), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------------------ randomized cross-check

// The contract of docs/NUMERICS.md, literally.
std::vector<int64_t> naive_dense(const std::vector<int64_t>& x, size_t batch, int64_t n_in, int64_t n_out,
                                 const FixedType& tx, const FixedType& tw, const FixedType& tb, const FixedType& ta,
                                 const FixedType& ty, const std::vector<int64_t>& w, const std::vector<int64_t>& b,
                                 int64_t* overflows) {
  std::vector<int64_t> y;
  const int fp = tx.frac() + tw.frac();
  const int f = std::max(fp, ta.frac());
  for (size_t s = 0; s < batch; ++s)
    for (int64_t j = 0; j < n_out; ++j) {
      int64_t acc = numeric::quantize(b[static_cast<size_t>(j)], tb.frac(), ta).raw;
      for (int64_t i = 0; i < n_in; ++i) {
        const numeric::i128 p = static_cast<numeric::i128>(x[s * static_cast<size_t>(n_in) + static_cast<size_t>(i)]) *
                                w[static_cast<size_t>(i * n_out + j)];
        const numeric::i128 v = (static_cast<numeric::i128>(acc) << (f - ta.frac())) + (p << (f - fp));
        acc = numeric::quantize(v, f, ta).raw;
      }
      const numeric::Cast c = numeric::quantize(acc, ta.frac(), ty);
      *overflows += c.overflow;
      y.push_back(c.raw);
    }
  return y;
}

FixedType random_type(Rng& r, int min_w, int max_w, bool modes) {
  static const Rounding kR[] = {Rounding::TRN,         Rounding::TRN_ZERO, Rounding::RND,     Rounding::RND_ZERO,
                                Rounding::RND_MIN_INF, Rounding::RND_INF,  Rounding::RND_CONV};
  static const Overflow kO[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
  FixedType t;
  t.is_signed = r.range(0, 4) != 0;
  t.width = static_cast<int>(r.range(min_w, t.is_signed ? max_w : std::min(max_w, 63)));
  t.int_bits = static_cast<int>(r.range(-3, t.width + 3));
  if (modes) {
    // Mostly the common modes (the inline paths), sometimes any.
    const int64_t pick = r.range(0, 9);
    t.rounding = pick < 4 ? Rounding::TRN : pick < 8 ? Rounding::RND_CONV : kR[r.range(0, 6)];
    const int64_t po = r.range(0, 9);
    t.overflow = po < 4 ? Overflow::WRAP : po < 8 ? Overflow::SAT : kO[r.range(0, 3)];
  }
  return t;
}

std::vector<int64_t> random_raw(Rng& r, const FixedType& t, size_t n) {
  std::vector<int64_t> v(n);
  for (auto& x : v) {
    // Mix full-range values with small ones (zeros included) so both extremes and typical data occur.
    x = r.range(0, 3) == 0 ? r.range(-3, 3) : r.range(t.raw_min(), t.raw_max());
    x = std::clamp(x, t.raw_min(), t.raw_max());
  }
  return v;
}

TEST(Dense, RandomizedMatchesNaivePerStepReference) {
  Rng rng{12345};
  int cases = 0;
  std::map<std::string, int> plans;
  for (int trial = 0; trial < 600; ++trial) {
    const int64_t n_in = rng.range(1, 24), n_out = rng.range(1, 19);
    // Some wide types exercise the double, 64- and 128-bit plans.
    const int wide = trial % 10 == 0 ? 48 : trial % 5 == 0 ? 40 : 16;
    const FixedType tx = random_type(rng, 1, wide, false);
    const FixedType tw = random_type(rng, 1, wide, false);
    const FixedType tb = random_type(rng, 1, wide, false);
    FixedType ta;
    if (trial % 2 == 0) {
      // Lossless: every fractional bit of the products and bias, ample integer bits.
      ta.is_signed = true;
      const int fa = std::max(tx.frac() + tw.frac(), tb.frac()) + static_cast<int>(rng.range(0, 2));
      ta.int_bits = std::max(tx.int_bits + tw.int_bits, tb.int_bits) + 6;
      ta.width = std::min(64, fa + ta.int_bits);
      ta.int_bits = ta.width - fa;
      ta.overflow = rng.range(0, 1) ? Overflow::WRAP : Overflow::SAT;
    } else {
      ta = random_type(rng, 2, trial % 5 == 0 ? 64 : 24, true);
    }
    const FixedType ty = random_type(rng, 1, 24, true);
    const auto w = random_raw(rng, tw, static_cast<size_t>(n_in * n_out));
    const auto b = random_raw(rng, tb, static_cast<size_t>(n_out));
    const size_t batch = static_cast<size_t>(rng.range(1, 100));
    const auto x = random_raw(rng, tx, batch * static_cast<size_t>(n_in));
    ir::Graph g;
    try {
      g = dense_graph(n_in, n_out, tx, tw, tb, ta, ty, w, b);
      plans[emulator::Emulator(g).kernel_info("fc")]++;
    } catch (const Error&) {
      continue;  // an invalid random type, or intermediates beyond 128 bits (the emulator says so)
    }
    int64_t expect_ovf = 0;
    const auto expect = naive_dense(x, batch, n_in, n_out, tx, tw, tb, ta, ty, w, b, &expect_ovf);
    for (int threads : {1, 2, 3, 0}) {
      emulator::Options o;
      o.threads = threads;
      const auto r = emulator::Emulator(g, o).run_raw({x}, batch);
      ASSERT_EQ(r.outputs_raw[0], expect) << "trial " << trial << " threads " << threads << ": x " << tx.str()
                                          << " w " << tw.str() << " b " << tb.str() << " accum " << ta.str()
                                          << " y " << ty.str();
      ASSERT_EQ(r.overflows.at("fc"), expect_ovf) << "trial " << trial;
    }
    ++cases;
  }
  EXPECT_GT(cases, 500);
  // Every plan is exercised (a shift in how the random types are drawn must not silently skip one).
  for (const char* p : {"dense exact int16 pairs", "dense exact int32", "dense exact double", "dense exact double x2", "dense exact int64",
                        "dense step64", "dense step int16", "dense step general"})
    EXPECT_GE(plans[p], 5) << p;
  for (const auto& [p, n] : plans) std::printf("  %s: %d cases\n", p.c_str(), n);
}

// The double plan is exact only while every value stays below 2^53 (where doubles still hold every integer).
// n_in terms of (2^26 - 1) * (2^17 - 1), all odd: 1024 of them (plus the bias) sum to just below 2^53 and
// take the double plan; 1025 sum to an odd integer above 2^53, which a double cannot hold (it would round to
// an even neighbour), so that layer must not take the single double plan: it takes two limbs (x split into
// high and low bits, each sum far below 2^53). Both at the extremes of the types, both against the naive
// reference, with inputs at the type's minimum and maximum and in between.
TEST(Dense, DoublePlanOnlyBelow2To53) {
  const FixedType tx = T("fixed<27,27>"), tw = T("fixed<18,18>"), ty = T("fixed<64,64>");
  for (const auto& [n_in, plan] : {std::pair<int64_t, const char*>{1024, "dense exact double"},
                                   std::pair<int64_t, const char*>{1025, "dense exact double x2"}}) {
    const FixedType ta = T("fixed<64,64>");
    std::vector<int64_t> w(static_cast<size_t>(n_in * 2));
    for (size_t e = 0; e < w.size(); ++e) w[e] = e % 2 == 0 ? tw.raw_max() : tw.raw_min() + 1;
    const std::vector<int64_t> b{tw.raw_max() - 1, tw.raw_min()};  // even: the sums stay odd
    const auto g = dense_graph(n_in, 2, tx, tw, tw, ta, ty, w, b);
    const emulator::Emulator emu(g);
    EXPECT_EQ(emu.kernel_info("fc"), plan) << n_in;
    const size_t batch = 9;
    std::vector<int64_t> x(batch * static_cast<size_t>(n_in));
    for (size_t e = 0; e < x.size(); ++e) {
      const size_t s = e / static_cast<size_t>(n_in);
      x[e] = s == 0 ? tx.raw_max() : s == 1 ? tx.raw_min() : s == 2 ? tx.raw_min() + 1 : static_cast<int64_t>(e * 2654435761u % (1u << 26)) - (1 << 25);
    }
    int64_t ovf = 0;
    const auto expect = naive_dense(x, batch, n_in, 2, tx, tw, tw, ta, ty, w, b, &ovf);
    const auto r = emu.run_raw({x}, batch);
    EXPECT_EQ(r.outputs_raw[0], expect) << n_in;
    if (n_in == 1025) {  // the case a double would round
      EXPECT_GT(expect[0], int64_t{1} << 53);
      EXPECT_EQ(expect[0] % 2, 1);
    }
  }
}

// Two limbs need 2^k * sum|w| below 2^53 for some k >= 1: weights of 2^50 leave none, so this exact layer
// (sums up to ~2^62) runs on int64 lanes; and a wide input with narrow weights splits.
TEST(Dense, LimbPlanNeedsRoomForBothHalves) {
  const FixedType tx = T("fixed<11,11>"), tw = T("fixed<52,52>"), ta = T("fixed<64,64>"), ty = T("fixed<64,64>");
  for (int64_t n_in : {1, 2}) {
    std::vector<int64_t> w(static_cast<size_t>(n_in * 3));
    for (size_t e = 0; e < w.size(); ++e) w[e] = e % 3 == 0 ? tw.raw_max() : e % 3 == 1 ? tw.raw_min() : 12345;
    const std::vector<int64_t> b{-1, 1, 0};
    const auto g = dense_graph(n_in, 3, tx, tw, tw, ta, ty, w, b);
    const emulator::Emulator emu(g);
    EXPECT_EQ(emu.kernel_info("fc"), "dense exact int64") << n_in;
    std::vector<int64_t> x;
    for (int64_t v : {tx.raw_max(), tx.raw_min(), int64_t{0}, int64_t{-7}, int64_t{513}, tx.raw_min() + 1})
      for (int64_t i = 0; i < n_in; ++i) x.push_back(i % 2 ? -v / 2 : v);
    int64_t ovf = 0;
    const auto expect = naive_dense(x, x.size() / static_cast<size_t>(n_in), n_in, 3, tx, tw, tw, ta, ty, w, b, &ovf);
    EXPECT_EQ(emu.run_raw({x}, x.size() / static_cast<size_t>(n_in)).outputs_raw[0], expect) << n_in;
  }
  const FixedType wide_x = T("fixed<48,48>"), narrow_w = T("fixed<10,10>");
  std::vector<int64_t> w(40 * 2);
  for (size_t e = 0; e < w.size(); ++e) w[e] = e % 2 ? narrow_w.raw_min() : narrow_w.raw_max();
  const auto g = dense_graph(40, 2, wide_x, narrow_w, narrow_w, ta, ty, w, {narrow_w.raw_max(), narrow_w.raw_min()});
  const emulator::Emulator emu(g);
  EXPECT_EQ(emu.kernel_info("fc"), "dense exact double x2");
  std::vector<int64_t> x;
  for (int64_t v : {wide_x.raw_max(), wide_x.raw_min(), int64_t{-1}, int64_t{1} << 40, wide_x.raw_min() + 3})
    for (int i = 0; i < 40; ++i) x.push_back(i % 3 == 2 ? -(v / 3) : v);
  int64_t ovf = 0;
  const auto expect = naive_dense(x, 5, 40, 2, wide_x, narrow_w, narrow_w, ta, ty, w, {narrow_w.raw_max(), narrow_w.raw_min()}, &ovf);
  EXPECT_EQ(emu.run_raw({x}, 5).outputs_raw[0], expect);
}

TEST(Dense, WideTruncatingAccumulatorStaysOnTheFastStepPath) {
  // passes/infer_precision cuts fractional bits of a >64-bit lossless accumulator to fit 64 (TRN): that
  // must not fall back to the slow general path.
  Rng rng{3};
  for (const char* accum : {"fixed<64,40>", "fixed<64,20,RND>", "fixed<63,30,RND_MIN_INF>", "ufixed<62,50>"}) {
    const FixedType tx = T("fixed<24,4>"), tw = T("fixed<30,2>"), tb = T("fixed<20,2>"), ta = T(accum),
                    ty = T("fixed<32,16,RND_CONV,SAT>");
    const auto w = random_raw(rng, tw, 12 * 7);
    const auto b = random_raw(rng, tb, 7);
    const auto x = random_raw(rng, tx, 50 * 12);
    const auto g = dense_graph(12, 7, tx, tw, tb, ta, ty, w, b);
    const emulator::Emulator emu(g);
    EXPECT_EQ(emu.kernel_info("fc"), "dense step64") << accum;
    int64_t ovf = 0;
    EXPECT_EQ(emu.run_raw({x}, 50).outputs_raw[0], naive_dense(x, 50, 12, 7, tx, tw, tb, ta, ty, w, b, &ovf)) << accum;
  }
}

// The int16 step plan (dense.cpp's header proves each reformulation): the terms split as w = q * 2^k + r
// (mulhi and mullo), k = 0 (mullo alone, products shifted up or even shifted out modulo 2^16), k = 16, k > 16
// (mulhi then an arithmetic shift, also by 15 or more), accumulators of 4 to 16 bits, signed and unsigned;
// and the layers just outside it (17-bit accum, RND, an input or weight beyond int16 where it matters).
// Inputs and weights at the extremes of their types (-2^15 and 2^15 - 1 included) and at the edges of r's
// range (+-2^(k-1)), n_in large enough to wrap, two tiles with a partial one, groups of 6 and the rest,
// on every instruction set this CPU has, against the naive per-step reference.
TEST(Dense, StepInt16MatchesPerStepReferenceOnEveryIsa) {
  struct Case {
    const char *x, *w, *accum;
    bool int16;
  };
  const Case cases[] = {
      {"fixed<16,6>", "fixed<16,6>", "fixed<16,6>", true},         // k = 10: hls4ml's Precision fixed<16,6>
      {"fixed<16,6>", "fixed<16,6>", "fixed<16,16>", true},        // k = 20: mulhi >> 4
      {"fixed<16,0>", "fixed<16,0>", "fixed<16,16>", true},        // k = 32: mulhi >> 15
      {"fixed<16,0>", "fixed<16,6>", "fixed<16,6>", true},         // k = 16
      {"fixed<16,15>", "fixed<16,16>", "fixed<16,16>", true},      // k = 1
      {"fixed<16,6>", "fixed<16,6>", "fixed<16,-4>", true},        // k = 0
      {"fixed<12,4>", "fixed<8,2>", "fixed<16,-1>", true},         // products shifted up by 3
      {"fixed<12,4>", "fixed<8,2>", "fixed<10,-20>", true},        // shifted up by 16: every term is 0 mod 2^16
      {"fixed<8,3>", "fixed<12,3>", "fixed<4,1>", true},           // k = 11, W = 4
      {"fixed<16,6>", "fixed<16,6>", "ufixed<16,6>", true},        // unsigned accumulator
      {"ufixed<15,5>", "fixed<16,6>", "ufixed<7,2>", true},        // k = 15
      {"fixed<16,8>", "fixed<18,4>", "fixed<16,2>", true},         // k = 8, 18-bit weights: q up to 2^9
      {"fixed<16,6>", "fixed<40,6>", "fixed<16,6>", false},        // k = 34, weights beyond int16
      {"fixed<16,6>", "fixed<24,4>", "fixed<16,6>", false},        // k = 20, weights beyond int16
      {"ufixed<16,6>", "fixed<16,6>", "fixed<16,6>", false},       // inputs up to 2^16 - 1
      {"fixed<16,6>", "fixed<16,6>", "fixed<17,7>", false},        // 17-bit accumulator
      {"fixed<16,6>", "fixed<16,6>", "fixed<16,6,RND>", false},    // rounding sees the product
      {"fixed<16,6>", "fixed<16,6>", "fixed<16,6,TRN,SAT>", false},  // saturation is not modular
  };
  Rng rng{16};
  const std::vector<emulator::lanes16::Isa> isas = {emulator::lanes16::Isa::Portable, emulator::lanes16::Isa::Avx2,
                                                    emulator::lanes16::Isa::Avx512, emulator::lanes16::Isa::Avx512Vnni};
  const emulator::lanes16::Isa original = emulator::lanes16::active_isa();
  int isa_runs = 0;
  for (const Case& c : cases) {
    const FixedType tx = T(c.x), tw = T(c.w), ta = T(c.accum), tb = T("fixed<16,6>"), ty = T("fixed<24,8>");
    const int k = tx.frac() + tw.frac() - ta.frac();
    const int64_t n_in = 70, n_out = 37;
    auto w = random_raw(rng, tw, static_cast<size_t>(n_in * n_out));
    std::vector<int64_t> edges = {tw.raw_min(), tw.raw_max(), 0, 1, -1};
    if (k >= 1 && k < 63)
      for (int64_t d : {int64_t{0}, int64_t{-1}, int64_t{1}})
        for (int64_t sgn : {int64_t{1}, int64_t{-1}}) edges.push_back(sgn * ((int64_t{1} << (k - 1)) + d));
    for (size_t e = 0; e < w.size(); e += 3) w[e] = std::clamp(edges[(e / 3) % edges.size()], tw.raw_min(), tw.raw_max());
    const auto b = random_raw(rng, tb, static_cast<size_t>(n_out));
    const size_t batch = 23;
    auto x = random_raw(rng, tx, batch * static_cast<size_t>(n_in));
    for (int64_t i = 0; i < n_in; ++i) {
      x[static_cast<size_t>(i)] = tx.raw_min();
      x[static_cast<size_t>(n_in + i)] = tx.raw_max();
      x[static_cast<size_t>(2 * n_in + i)] = i % 2 ? tx.raw_min() : tx.raw_max();
    }
    const auto g = dense_graph(n_in, n_out, tx, tw, tb, ta, ty, w, b);
    int64_t expect_ovf = 0;
    const auto expect = naive_dense(x, batch, n_in, n_out, tx, tw, tb, ta, ty, w, b, &expect_ovf);
    for (emulator::lanes16::Isa isa : isas) {
      if (!emulator::lanes16::force_isa(isa)) continue;
      const emulator::Emulator emu(g);
      const std::string label = std::string("x ") + c.x + " w " + c.w + " accum " + c.accum + " on " +
                                emulator::lanes16::isa_name(isa);
      const bool int16 = emu.kernel_info("fc") == "dense step int16";
      EXPECT_EQ(int16, c.int16) << label << ": " << emu.kernel_info("fc");
      const auto r = emu.run_raw({x}, batch);
      EXPECT_EQ(r.outputs_raw[0], expect) << label;
      EXPECT_EQ(r.overflows.at("fc"), expect_ovf) << label;
      ++isa_runs;
    }
  }
  emulator::lanes16::force_isa(original);
  EXPECT_GE(isa_runs, static_cast<int>(std::size(cases)));  // the portable code at least
}

// The exact plan on int16 pairs (vpmaddwd / vpdpwssd into int32 lanes) holds while the bound of the sum stays
// below 2^31: x = w = -2^15 twice would make 2^31. Weights {-2^15, -2^15 + 1} over x = -2^15 sum to
// 2^31 - 2^15; a bias of 2^15 - 1 puts the bound at 2^31 - 1 (the pairs plan, and that input reaches it),
// a bias of 2^15 at 2^31 (not the pairs plan: int32 cannot hold that sum). Then random layers: odd n_in (the
// last row pairs with a zero), products shifted up to accum's fraction, two tiles with a partial one, inputs
// at the types' extremes, on every instruction set this CPU has, against the naive per-step reference.
TEST(Dense, ExactInt16PairsUpTo2To31OnEveryIsa) {
  const emulator::lanes16::Isa original = emulator::lanes16::active_isa();
  const std::vector<emulator::lanes16::Isa> isas = {emulator::lanes16::Isa::Portable, emulator::lanes16::Isa::Avx2,
                                                    emulator::lanes16::Isa::Avx512, emulator::lanes16::Isa::Avx512Vnni};
  int runs = 0;
  for (emulator::lanes16::Isa isa : isas) {
    if (!emulator::lanes16::force_isa(isa)) continue;
    const std::string on = std::string(" on ") + emulator::lanes16::isa_name(isa);
    const FixedType t16 = T("fixed<16,16>"), tb = T("fixed<17,17>"), ta = T("fixed<40,40>");
    for (const auto& [bias, plan] : {std::pair<int64_t, const char*>{(1 << 15) - 1, "dense exact int16 pairs"},
                                     std::pair<int64_t, const char*>{1 << 15, "dense exact double"}}) {
      const std::vector<int64_t> w = {-(1 << 15), -(1 << 15) + 1}, b = {bias};
      const auto g = dense_graph(2, 1, t16, t16, tb, ta, ta, w, b);
      const emulator::Emulator emu(g);
      EXPECT_EQ(emu.kernel_info("fc"), plan) << bias << on;
      const std::vector<int64_t> x = {-(1 << 15), -(1 << 15), (1 << 15) - 1, (1 << 15) - 1, -(1 << 15), (1 << 15) - 1, 0, 1};
      int64_t ovf = 0;
      const auto expect = naive_dense(x, 4, 2, 1, t16, t16, tb, ta, ta, w, b, &ovf);
      EXPECT_EQ(expect[0], (int64_t{1} << 31) - (1 << 15) + bias);
      EXPECT_EQ(emu.run_raw({x}, 4).outputs_raw[0], expect) << bias << on;
    }
    Rng rng{32};
    struct Case {
      const char *x, *w, *b, *accum;
    };
    for (const Case& c : {Case{"fixed<16,6>", "fixed<16,6>", "fixed<16,6>", "fixed<32,12>"},
                          Case{"fixed<12,4>", "fixed<8,2>", "fixed<16,-4>", "fixed<32,12>"},  // weights * 2^6
                          Case{"ufixed<15,5>", "fixed<10,1>", "fixed<16,6>", "fixed<40,17>"},
                          Case{"fixed<1,1>", "fixed<16,0>", "fixed<16,6>", "fixed<32,16>"}}) {
      const FixedType tx = T(c.x), tw = T(c.w), ta = T(c.accum), tb = T(c.b), ty = T("fixed<24,8>");
      const int ws = std::max(0, tb.frac() - tx.frac() - tw.frac());
      const int64_t max_x = std::max(-tx.raw_min(), tx.raw_max());
      for (const int64_t n_in : {int64_t{1}, int64_t{7}, int64_t{33}}) {
        const int64_t n_out = 37;
        // |w * 2^ws| within int16 and the sum's bound below 2^31: the weights drawn within lim, a fifth at +-lim.
        const int64_t lim = std::min({tw.raw_max(), int64_t{32767} >> ws, (int64_t{1} << 30) / (n_in * max_x) >> ws});
        std::vector<int64_t> w(static_cast<size_t>(n_in * n_out));
        for (size_t e = 0; e < w.size(); ++e) w[e] = e % 5 == 0 ? (e % 2 ? -lim : lim) : rng.range(-lim, lim);
        const auto b = random_raw(rng, tb, static_cast<size_t>(n_out));
        const size_t batch = 23;
        auto x = random_raw(rng, tx, batch * static_cast<size_t>(n_in));
        for (int64_t i = 0; i < n_in; ++i) {
          x[static_cast<size_t>(i)] = tx.raw_min();
          x[static_cast<size_t>(n_in + i)] = tx.raw_max();
        }
        const auto g = dense_graph(n_in, n_out, tx, tw, tb, ta, ty, w, b);
        const emulator::Emulator emu(g);
        const std::string label = std::string(c.x) + " " + c.w + " " + c.accum + " n_in " + std::to_string(n_in) + on;
        EXPECT_EQ(emu.kernel_info("fc"), "dense exact int16 pairs") << label;
        int64_t ovf = 0;
        const auto expect = naive_dense(x, batch, n_in, n_out, tx, tw, tb, ta, ty, w, b, &ovf);
        const auto r = emu.run_raw({x}, batch);
        EXPECT_EQ(r.outputs_raw[0], expect) << label;
        EXPECT_EQ(r.overflows.at("fc"), ovf) << label;
        ++runs;
      }
    }
  }
  emulator::lanes16::force_isa(original);
  EXPECT_GE(runs, 12);
}

TEST(Dense, ThreadCountDoesNotChangeResultsOnLargeBatch) {
  Rng rng{7};
  const FixedType t = T("fixed<16,6,RND_CONV,SAT>");
  auto g = dense_graph(16, 8, t, t, t, T("fixed<24,12>"), t, random_raw(rng, t, 128), random_raw(rng, t, 8));
  const size_t batch = 1000;
  const auto x = random_raw(rng, t, batch * 16);
  emulator::Options one;
  one.threads = 1;
  const auto ref = emulator::Emulator(g, one).run_raw({x}, batch);
  for (int threads : {2, 4, 7}) {
    emulator::Options o;
    o.threads = threads;
    const auto r = emulator::Emulator(g, o).run_raw({x}, batch);
    EXPECT_EQ(r.outputs_raw, ref.outputs_raw);
    EXPECT_EQ(r.overflows, ref.overflows);
  }
  EXPECT_GT(ref.overflows.at("fc"), 0);  // the narrow accum and output do overflow on this data
}

}  // namespace
}  // namespace firmnet::emutest
