// Conv, Pool and Transpose: the emulator against the independent reference (backend_test_util.cpp, which
// follows docs/NUMERICS.md tap by tap), bit for bit, over geometries that exercise every path: 1-D and 2-D,
// strides, dilations, asymmetric padding, depthwise with a channel multiplier, lossless and lossy
// accumulators, max and average pooling with and without counting the padding.
#include <gtest/gtest.h>

#include "backend_test_util.h"
#include "emulator/emulator.h"
#include "emulator/lanes16.h"

namespace firmnet::testing {
namespace {

void expect_emulator_matches_reference(const ir::Graph& g, const std::string& label, size_t batch = 70) {
  SCOPED_TRACE(label);
  g.verify(true);
  const auto inputs = random_inputs(g, batch, 7);
  const auto expected = to_doubles(g, reference_run(g, inputs, batch));
  const auto got = emulator::Emulator(g).run(inputs, batch).outputs;
  ASSERT_EQ(got.size(), expected.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].size(), expected[k].size());
    size_t bad = 0, nonzero = 0;
    for (size_t i = 0; i < got[k].size(); ++i) {
      nonzero += expected[k][i] != 0;
      if (got[k][i] != expected[k][i] && bad++ < 3)
        ADD_FAILURE() << "output " << k << " value " << i << ": emulator " << got[k][i] << ", reference " << expected[k][i];
    }
    EXPECT_EQ(bad, 0u);
    EXPECT_GT(nonzero, got[k].size() / 4);  // the comparison is not between zeros
  }
}

struct ConvCase {
  const char* label;
  ir::Shape in;
  int64_t out_channels;
  std::vector<int64_t> kernel, strides, dilations, pads;
  int64_t group;
  const char* accum;
};

TEST(SpatialEmulator, ConvGeometriesMatchTheReference) {
  const ConvCase cases[] = {
      {"1d_k3_same", {24, 4}, 8, {3}, {1}, {1}, {1, 1}, 1, "fixed<32,12>"},
      {"1d_k5_s2_valid", {25, 4}, 8, {5}, {2}, {1}, {0, 0}, 1, "fixed<32,12>"},
      {"1d_dilated_asym", {20, 3}, 5, {3}, {1}, {2}, {2, 1}, 1, "fixed<32,12>"},
      {"2d_3x3_same", {10, 10, 3}, 8, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<32,12>"},
      {"2d_3x3_s2_valid", {11, 11, 3}, 8, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<32,12>"},
      {"2d_asym_pads_rect_kernel", {7, 9, 2}, 3, {2, 3}, {1, 2}, {1, 1}, {0, 1, 1, 0}, 1, "fixed<32,12>"},
      {"2d_dilated", {9, 9, 2}, 4, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, 1, "fixed<32,12>"},
      {"2d_pointwise", {6, 6, 8}, 5, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<32,12>"},
      {"2d_depthwise", {8, 8, 6}, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 6, "fixed<32,12>"},
      {"2d_depthwise_multiplier2", {6, 6, 3}, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 3, "fixed<32,12>"},
      {"2d_lossy_accum_trn_wrap", {8, 8, 3}, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<12,3>"},
      {"2d_lossy_accum_rnd_sat", {8, 8, 3}, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<14,4,RND_CONV,SAT>"},
      {"2d_wide_accum_general", {5, 5, 2}, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<64,60,RND,SAT>"},
  };
  for (const ConvCase& c : cases) {
    GraphBuilder b;
    const ir::TensorId x = b.input("x", c.in, "fixed<10,4>");
    const ir::TensorId y = b.conv("conv", x, c.out_channels, c.kernel, c.strides, c.dilations, c.pads, c.group,
                                  "fixed<16,6,RND,SAT>", c.accum);
    b.g.outputs = {y};
    expect_emulator_matches_reference(b.g, c.label);
  }
}

// Geometries of the plans that run on the map (accum from the types under test).
const ConvCase kMapCases[] = {
    {"1d_k40_same_like_keras", {50, 3}, 5, {40}, {1}, {1}, {19, 20}, 1, ""},
    {"1d_k3_s2", {23, 4}, 9, {3}, {2}, {1}, {1, 0}, 1, ""},
    {"2d_3x3_valid", {9, 10, 3}, 16, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, ""},
    {"2d_3x3_same", {7, 7, 5}, 7, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, ""},
    {"2d_asym_dilated_strided", {9, 8, 2}, 3, {3, 2}, {2, 1}, {2, 2}, {2, 0, 1, 2}, 1, ""},
    {"2d_depthwise_multiplier2", {6, 5, 3}, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 3, ""},
    {"2d_pointwise", {5, 4, 9}, 17, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, ""},
    {"1d_k40_33_filters", {45, 2}, 33, {40}, {1}, {1}, {19, 20}, 1, ""},
};

// The exact plans run the windows on the map (int16 pairs — channels padded to an even count —, int32, double or
// two-limb double lanes, by the operands and the bounds of the sums)
// or gather rows (int64 lanes, when no split keeps both halves below 2^53): every geometry under each, inputs and weights at the extremes of
// their types (the inputs drawn beyond the range saturate; the weights drawn in [-1.5, 1.5] saturate at +-1),
// against the reference. kernel_info shows which plan each case took.
TEST(SpatialEmulator, ConvExactPlansOnTheMapMatchTheReference) {
  struct Types {
    const char *x, *w, *accum, *plan;
  };
  const Types types[] = {
      {"fixed<10,4,RND_CONV,SAT>", "fixed<8,1>", "fixed<40,20>", "conv windows over dense exact int16 pairs"},
      {"fixed<17,4,RND_CONV,SAT>", "fixed<8,1>", "fixed<40,20>", "conv windows over dense exact int32"},
      {"fixed<26,8,RND_CONV,SAT>", "fixed<22,1>", "fixed<62,23>", "conv windows over dense exact double"},
      {"fixed<34,8,RND_CONV,SAT>", "fixed<24,1>", "fixed<64,15>", "conv windows over dense exact double x2"},
      {"fixed<4,2,RND_CONV,SAT>", "fixed<52,2>", "fixed<64,12>", "conv over dense exact int64"},
  };
  const emulator::lanes16::Isa original = emulator::lanes16::active_isa();
  for (emulator::lanes16::Isa isa : {emulator::lanes16::Isa::Portable, emulator::lanes16::Isa::Avx2,
                                     emulator::lanes16::Isa::Avx512, emulator::lanes16::Isa::Avx512Vnni}) {
    if (!emulator::lanes16::force_isa(isa)) continue;
    for (const Types& t : types) {
      // (the int16 kernels are the ones that differ per instruction set)
      if (isa != original && std::string(t.plan).find("int16") == std::string::npos) continue;
      for (const ConvCase& c : kMapCases) {
        GraphBuilder b;
        const ir::TensorId x = b.input("x", c.in, t.x);
        const ir::TensorId y =
            b.conv("conv", x, c.out_channels, c.kernel, c.strides, c.dilations, c.pads, c.group, t.accum, t.accum, t.w);
        b.g.outputs = {y};
        const std::string label = std::string(c.label) + " " + t.plan + " on " + emulator::lanes16::isa_name(isa);
        EXPECT_EQ(emulator::Emulator(b.g).kernel_info("conv"), t.plan) << label;
        expect_emulator_matches_reference(b.g, label, 13);
      }
    }
  }
  emulator::lanes16::force_isa(original);
}

// The int16 step plan (a TRN, WRAP accumulator of at most 16 bits over int16 inputs: hls4ml's Precision
// fixed<16,6> throughout) runs the windows on the map as well: every geometry, weights up to 1.5 (both the
// mulhi and the mullo part of dense.cpp's split), inputs saturating at both ends of their types, on every
// instruction set this CPU has.
TEST(SpatialEmulator, ConvStepInt16OnTheMapMatchesTheReference) {
  struct Types {
    const char *x, *w, *accum;
  };
  const Types types[] = {
      {"fixed<16,6,RND_CONV,SAT>", "fixed<16,6>", "fixed<16,6>"},  // k = 10
      {"fixed<16,6,RND_CONV,SAT>", "fixed<16,2>", "fixed<12,4>"},  // k = 16
      {"fixed<10,4,RND_CONV,SAT>", "fixed<8,2>", "fixed<8,2>"},    // k = 6, an 8-bit accumulator
  };
  const emulator::lanes16::Isa original = emulator::lanes16::active_isa();
  for (emulator::lanes16::Isa isa : {emulator::lanes16::Isa::Portable, emulator::lanes16::Isa::Avx2,
                                     emulator::lanes16::Isa::Avx512, emulator::lanes16::Isa::Avx512Vnni}) {
    if (!emulator::lanes16::force_isa(isa)) continue;
    for (const Types& t : types)
      for (const ConvCase& c : kMapCases) {
        GraphBuilder b;
        const ir::TensorId x = b.input("x", c.in, t.x);
        const ir::TensorId y =
            b.conv("conv", x, c.out_channels, c.kernel, c.strides, c.dilations, c.pads, c.group, t.accum, t.accum, t.w);
        b.g.outputs = {y};
        const std::string label = std::string(c.label) + " accum " + t.accum + " on " + emulator::lanes16::isa_name(isa);
        EXPECT_EQ(emulator::Emulator(b.g).kernel_info("conv"), "conv windows over dense step int16") << label;
        expect_emulator_matches_reference(b.g, label, 13);
      }
  }
  emulator::lanes16::force_isa(original);
}

TEST(SpatialEmulator, PoolingMatchesTheReference) {
  struct PoolCase {
    const char* label;
    ir::Shape in;
    bool avg;
    std::vector<int64_t> kernel, strides, pads;
    bool include_pad;
    const char* accum;
  };
  const PoolCase cases[] = {
      {"max2x2", {10, 10, 4}, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, ""},
      {"max3x3_s2_padded", {9, 9, 3}, false, {3, 3}, {2, 2}, {1, 1, 1, 1}, false, ""},
      {"max1d", {20, 4}, false, {2}, {2}, {0, 0}, false, ""},
      {"avg2x2", {10, 10, 4}, true, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<24,12>"},
      {"avg3x3_padded_exclude", {7, 7, 3}, true, {3, 3}, {1, 1}, {1, 1, 1, 1}, false, "fixed<24,12>"},
      {"avg3x3_padded_include", {7, 7, 3}, true, {3, 3}, {1, 1}, {1, 1, 1, 1}, true, "fixed<24,12>"},
      {"avg_global", {8, 8, 5}, true, {8, 8}, {1, 1}, {0, 0, 0, 0}, false, "fixed<24,12>"},
      {"avg1d_lossy_accum", {21, 2}, true, {3}, {2}, {1, 1}, false, "fixed<9,5,TRN,SAT>"},
  };
  for (const PoolCase& c : cases) {
    GraphBuilder b;
    const ir::TensorId x = b.input("x", c.in, "fixed<10,4>");
    const ir::TensorId y = c.avg ? b.pool("pool", x, true, c.kernel, c.strides, c.pads, c.include_pad, "fixed<16,6,RND,SAT>", c.accum)
                                 : b.pool("pool", x, false, c.kernel, c.strides, c.pads, false, "fixed<12,5>");
    b.g.outputs = {y};
    expect_emulator_matches_reference(b.g, c.label);
  }
}

TEST(SpatialEmulator, ConvPoolDenseChainAndTransposeMatchTheReference) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {12, 12, 3}, "fixed<10,4>");
  ir::TensorId h = b.conv("c1", x, 6, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<16,6>", "fixed<32,12>");
  h = b.activation("r1", "relu", h, "ufixed<14,6>");
  h = b.pool("p1", h, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "ufixed<14,6>");
  h = b.conv("c2", h, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<16,6>", "fixed<32,12>");
  const ir::TensorId t = b.transpose("t", h, {2, 0, 1}, "fixed<16,6>");
  const ir::TensorId d = b.dense("fc", t, 5, "fixed<16,6>", "fixed<32,12>");
  b.g.outputs = {d};
  expect_emulator_matches_reference(b.g, "chain");
}

// The float reference computes the same convolution in double: with wide types the emulator agrees to
// within the rounding of its types.
TEST(SpatialEmulator, FloatReferenceAgreesWithWideTypes) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {9, 9, 3}, "fixed<24,6>");
  ir::TensorId h = b.conv("c1", x, 4, {3, 3}, {2, 1}, {1, 1}, {1, 0, 1, 2}, 1, "fixed<40,12>", "fixed<48,16>", "fixed<16,2>");
  h = b.pool("p1", h, true, {2, 2}, {1, 1}, {1, 1, 0, 0}, false, "fixed<40,12>", "fixed<48,16>", "ufixed<32,1,RND>");
  b.g.outputs = {h};
  for (ir::Tensor& t : b.g.tensors)  // the float model is the quantized one: only the arithmetic differs
    if (t.is_const())
      for (size_t i = 0; i < t.raw.size(); ++i) t.values[i] = std::ldexp(static_cast<double>(t.raw[i]), -t.type->frac());
  auto inputs = random_inputs(b.g, 20, 3);
  for (double& v : inputs[0]) v *= 0.9;  // inside the input type: no saturation
  const auto emu = emulator::Emulator(b.g).run(inputs, 20).outputs.at(0);
  const auto ref = emulator::run_float(b.g, inputs, 20).at(0);
  ASSERT_EQ(emu.size(), ref.size());
  double worst = 0;
  for (size_t i = 0; i < emu.size(); ++i) worst = std::max(worst, std::fabs(emu[i] - ref[i]));
  EXPECT_LT(worst, 27 * 1.5 * std::ldexp(1.0, -19));  // the input cast: 27 taps x |w| <= 1.5 x half an LSB of fixed<24,6>
  EXPECT_GT(worst, 0.0);  // the reciprocals 1/3 and the output casts do round
}

}  // namespace
}  // namespace firmnet::testing
