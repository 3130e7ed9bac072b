// Softmax by tables, a whole graph's overflow counts and trace, the float reference.
#include <gtest/gtest.h>

#include <cmath>

#include "emulator/builder.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::emutest {
namespace {

using Raw = std::vector<int64_t>;

// Two-level exp (docs/NUMERICS.md, "Softmax"), entries ufixed<8,1> (F=7), RND_CONV:
// coarse: 8 buckets of 0.5 on [-3.5, 0.5) at their left edges: exp(-3.5 .. 0) * 128 = 3.87 6.37 10.51 17.32
// 28.56 47.09 77.63 128; fine: 2 buckets of 0.25 on [0, 0.5) at their centres: exp(0.125, 0.375) * 128 =
// 145.04 186.24.
const Raw kExpHi = {4, 6, 11, 17, 29, 47, 78, 128};
const Raw kExpLo = {145, 186};
// The inverse of the sum's mantissa: N = 4 buckets on [1, 2), inv[j] = 4 / (4 + j) at j = 0..4, ufixed<12,1>
// (F=11): 2048, 1638.4, 1365.33, 1170.29, 1024.
const Raw kInv = {2048, 1638, 1365, 1170, 1024};

void softmax_tables(ir::Node& n, FixedType accum) {
  n.tables["exp_hi"] = numeric::TableSpec{3, -1, 7, T("ufixed<8,1,RND_CONV>")};
  n.tables["exp_lo"] = numeric::TableSpec{1, -2, 0, T("ufixed<8,1,RND_CONV>")};
  n.tables["inv"] = numeric::TableSpec{2, -2, -4, T("ufixed<12,1,RND_CONV>")};  // [1, 2)
  n.table_data["exp_hi"] = kExpHi;
  n.table_data["exp_lo"] = kExpLo;
  n.table_data["inv"] = kInv;
  n.types["exp_table"] = T("ufixed<8,1,RND_CONV>");
  n.types["inv_table"] = n.tables["inv"].entry;
  n.types["accum"] = accum;
}

TEST(Softmax, HandComputedTableCase) {
  // x = (1, 0.5, -1): d = (0, -0.5, -2) -> coarse idx floor(d / 0.5) + 7 = 7, 6, 3; fine idx floor(d / 0.25)
  // mod 2 = 0, 0, 0. e = Q(128*145, 78*145, 17*145 at F=14 -> F=7) = 145, 88 (88.36), 19 (19.26).
  // sum = 252/128 = 1.969. accum ufixed<12,3> (F=9): raw 1008 = 0b1111110000, lead 9, j = the 2 bits after it
  // = 0b11 = 3, r = the 7 below = 112: v = 1170 + floor((1024 - 1170) * 112 / 128) = 1170 - 128 = 1042
  // (1/1.969 = 0.5079; 1042/2048 = 0.5088). ufixed<16,4> (F=12): raw 8064, lead 12, j = 3, r = 896 of 2^10:
  // the same v. y = Q(e * v * 2^(F_a - lead) = e * 1042 at F=18 -> F=8, TRN): 151090 >> 10 = 147,
  // 91696 >> 10 = 89, 19798 >> 10 = 19
  for (const char* accum : {"ufixed<12,3>", "ufixed<16,4>"}) {  // both lossless: the same result
    Builder b;
    const auto x = b.input("x", {2, 3}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::Softmax, "sm", {x}, {2, 3}, T("ufixed<8,0>"));
    softmax_tables(n, T(accum));
    b.output(b.out(n));
    b.g.verify(true);
    // second row: x = (0, 0, 0): e = 145 each, sum = 435/128 = 3.40; F=9: raw 1740, lead 10, j = 2, r = 204 of
    // 2^8: v = 1365 + floor(-195 * 204 / 256) = 1365 - 156 = 1209; y = 145 * 1209 * 2^-1 at F=18: 175305 >> 11
    // = 85 (1/3 = 85.3 / 256)
    const auto r = emulator::Emulator(b.g).run_raw({{16, 8, -16, 0, 0, 0}}, 1);
    EXPECT_EQ(r.outputs_raw[0], (Raw{147, 89, 19, 85, 85, 85})) << accum;
  }
}

TEST(Softmax, NarrowAccumulatorCastsEachPartialSum) {
  // accum ufixed<3,2> (F=1, max 3.5), TRN: e = (145, 88, 19)/128: 1.13 -> 1.0; 1.0 + 0.69 -> 1.5;
  // 1.5 + 0.15 -> 1.5. raw 3 = 0b11: lead 1 < log2 N = 2, so j = 3 << 1 mod 4 = 2 and r = 0: v = inv[2] = 1365
  // (1/1.5); y = e * 1365 * 2^(1 - 1) at F=18 -> F=8: 197925 >> 10 = 193, 120120 >> 10 = 117, 25935 >> 10 = 25
  Builder b;
  const auto x = b.input("x", {3}, T("fixed<8,4>"));
  ir::Node& n = b.node(ir::OpKind::Softmax, "sm", {x}, {3}, T("ufixed<8,0>"));
  softmax_tables(n, T("ufixed<3,2>"));
  b.output(b.out(n));
  const auto r = emulator::Emulator(b.g).run_raw({{16, 8, -16}}, 1);
  EXPECT_EQ(r.outputs_raw[0], (Raw{193, 117, 25}));

  // accum ufixed<1,2> (F=-1: 0 or 2), TRN: every partial sum truncates to 0, and a raw sum of 0 counts as 1
  // (the sum 2): lead 0, j = 1 << 2 mod 4 = 0, v = 2048 (1); y = e * 2048 * 2^(-1 - 0) at F=18 = e / 2 at F=7:
  // (145, 88, 19) at F=8
  ir::Node& m = b.g.nodes.back();
  m.types["accum"] = T("ufixed<1,2>");
  const auto r0 = emulator::Emulator(b.g).run_raw({{16, 8, -16}}, 1);
  EXPECT_EQ(r0.outputs_raw[0], (Raw{145, 88, 19}));
}

// The inverse's table has N + 1 entries (both edges of every bucket); the emulator refuses another count.
TEST(Softmax, InverseTableNeedsBothEdges) {
  Builder b;
  const auto x = b.input("x", {3}, T("fixed<8,4>"));
  ir::Node& n = b.node(ir::OpKind::Softmax, "sm", {x}, {3}, T("ufixed<8,0>"));
  softmax_tables(n, T("ufixed<12,3>"));
  n.table_data["inv"].pop_back();
  b.output(b.out(n));
  try {
    emulator::Emulator e(b.g);
    FAIL() << "a 4-entry inverse table was accepted";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("table 'inv' has 4 entries, its spec says 5"), std::string::npos) << err.what();
  }
}

// x (2) -> Dense -> relu, with an input that overflows and a dense output that saturates.
Builder small_mlp() {
  Builder b;
  const auto x = b.input("x", {2}, T("fixed<8,4>"));
  const auto W = b.constant("w", {2, 2}, T("fixed<8,4>"), {16, 8, 32, -16});  // [[1, 0.5], [2, -1]]
  const auto B = b.constant("b", {2}, T("fixed<8,4>"), {0, 4});              // [0, 0.25]
  ir::Node& d = b.node(ir::OpKind::Dense, "fc", {x}, {2}, T("fixed<8,4,TRN,SAT>"));
  d.params = {{"weight", W}, {"bias", B}};
  d.types["accum"] = T("fixed<24,12>");
  ir::Node& a = b.node(ir::OpKind::Activation, "relu", {b.out(b.g.nodes.back())}, {2}, T("fixed<8,4>"));
  a.attrs["function"] = std::string("relu");
  b.output(b.out(b.g.nodes.back()));
  b.g.verify(true);
  return b;
}

TEST(Graph, OverflowCountsAndTrace) {
  Builder b = small_mlp();
  emulator::Options o;
  o.trace = true;
  // sample 0: x = (1, 0.5)      -> fc = (1 + 1, 0.5 - 0.5 + 0.25) = (2, 0.25)      -> relu (2, 0.25)
  // sample 1: x = (9 -> wraps to -7, 2) -> fc = (-7 + 4, -3.5 - 2 + 0.25) = (-3, -5.25) -> relu (0, 0)
  // sample 2: x = (3, 3)        -> fc = (9 -> sat 7.9375, 1.5 - 3 + 0.25 = -1.25)  -> relu (7.9375, 0)
  const auto r = emulator::Emulator(b.g, o).run({{1.0, 0.5, 9.0, 2.0, 3.0, 3.0}}, 3);
  EXPECT_EQ(r.trace_raw.at("x"), (Raw{16, 8, -112, 32, 48, 48}));
  EXPECT_EQ(r.trace_raw.at("fc"), (Raw{32, 4, -48, -84, 127, -20}));
  EXPECT_EQ(r.trace_raw.at("relu"), (Raw{32, 4, 0, 0, 127, 0}));
  EXPECT_EQ(r.outputs_raw[0], r.trace_raw.at("relu"));
  EXPECT_EQ(r.outputs[0], (std::vector<double>{2.0, 0.25, 0, 0, 7.9375, 0}));
  EXPECT_EQ(r.overflows.at("x"), 1);
  EXPECT_EQ(r.overflows.at("fc"), 1);
  EXPECT_EQ(r.overflows.at("relu"), 0);

  // Without trace nothing is kept, unless a node asks for it.
  EXPECT_TRUE(emulator::Emulator(b.g).run({{1.0, 0.5}}, 1).trace_raw.empty());
  b.g.nodes[1].trace = true;
  const auto r2 = emulator::Emulator(b.g).run({{1.0, 0.5}}, 1);
  EXPECT_EQ(r2.trace_raw.size(), 1u);
  EXPECT_EQ(r2.trace_raw.at("fc"), (Raw{32, 4}));
}

TEST(Graph, WrongInputSizeOrRawOutOfRangeIsAnError) {
  Builder b = small_mlp();
  emulator::Emulator emu(b.g);
  EXPECT_THROW(emu.run({{1.0, 2.0, 3.0}}, 2), Error);
  EXPECT_THROW(emu.run_raw({{200, 0}}, 1), Error);  // 200 does not fit fixed<8,4>
  EXPECT_THROW(emu.run({}, 1), Error);
}

TEST(Graph, EmptyBatch) {
  Builder b = small_mlp();
  const auto r = emulator::Emulator(b.g).run({{}}, 0);
  EXPECT_TRUE(r.outputs_raw.at(0).empty());
  EXPECT_EQ(r.overflows.at("fc"), 0);
}

// ------------------------------------------------------------------------------------- float reference

TEST(FloatReference, DenseReluAddSoftmax) {
  Builder b;
  const auto x = b.input("x", {2}, T("fixed<8,4>"));
  const auto W = b.constant("w", {2, 2}, T("fixed<8,4>"), {8, -16, 4, 8});  // [[0.5, -1], [0.25, 0.5]]
  const auto B = b.constant("b", {2}, T("fixed<8,4>"), {2, -3});
  b.g.tensor(B).values = {0.1, -0.2};  // the float reference uses the model's values, not the raw ones
  ir::Node& d = b.node(ir::OpKind::Dense, "fc", {x}, {2}, T("fixed<8,4>"));
  d.params = {{"weight", W}, {"bias", B}};
  ir::Node& a = b.node(ir::OpKind::Activation, "relu", {b.out(b.g.nodes.back())}, {2}, T("fixed<8,4>"));
  a.attrs["function"] = std::string("relu");
  ir::Node& e = b.node(ir::OpKind::Elementwise, "add", {b.out(b.g.nodes.back())}, {2}, T("fixed<8,4>"));
  e.attrs["op"] = std::string("add");
  e.params["constant"] = b.constant("half", {1}, T("fixed<8,4>"), {8});
  b.node(ir::OpKind::Softmax, "sm", {b.out(b.g.nodes.back())}, {2}, T("ufixed<8,0>"));
  b.output(b.out(b.g.nodes.back()));
  std::map<std::string, std::vector<double>> trace;
  // fc = (0.5 + 0.5 + 0.1, -1 + 1 - 0.2) = (1.1, -0.2); relu (1.1, 0); +0.5 (1.6, 0.5);
  // softmax = (sigmoid(1.1), sigmoid(-1.1)) = (0.7502601055951177, 0.2497398944048823)
  const auto y = emulator::run_float(b.g, {{1.0, 2.0}}, 1, &trace);
  EXPECT_NEAR(trace.at("fc")[0], 1.1, 1e-15);
  EXPECT_NEAR(trace.at("fc")[1], -0.2, 1e-15);
  EXPECT_EQ(trace.at("relu")[1], 0.0);
  EXPECT_NEAR(trace.at("add")[0], 1.6, 1e-15);
  EXPECT_NEAR(y[0][0], 0.7502601055951177, 1e-15);
  EXPECT_NEAR(y[0][1], 0.2497398944048823, 1e-15);
}

double float_activation(const std::string& fn, double x, const std::map<std::string, double>& attrs = {}) {
  Builder b;
  const auto in = b.input("x", {1}, T("fixed<8,4>"));
  ir::Node& n = b.node(ir::OpKind::Activation, "act", {in}, {1}, T("fixed<8,4>"));
  n.attrs["function"] = fn;
  for (const auto& [k, v] : attrs) n.attrs[k] = v;
  b.output(b.out(n));
  return emulator::run_float(b.g, {{x}}, 1)[0][0];
}

TEST(FloatReference, ActivationsFollowOnnxFormulas) {
  EXPECT_NEAR(float_activation("sigmoid", -1), 0.2689414213699951, 1e-15);
  EXPECT_NEAR(float_activation("tanh", -1), -0.7615941559557649, 1e-15);
  EXPECT_NEAR(float_activation("softsign", -1), -0.5, 1e-15);
  EXPECT_NEAR(float_activation("softplus", -1), 0.31326168751822286, 1e-15);
  EXPECT_NEAR(float_activation("softplus", 800), 800.0, 1e-12);  // no overflow of exp
  EXPECT_NEAR(float_activation("elu", -1), -0.6321205588285577, 1e-15);                      // alpha 1
  EXPECT_NEAR(float_activation("elu", -1, {{"alpha", 0.5}}), -0.31606027941427883, 1e-15);
  // ONNX defaults (float32 constants): gamma 1.05070102214813232421875, alpha 1.67326319217681884765625
  EXPECT_NEAR(float_activation("selu", -1), -1.1113307412864784, 1e-14);
  EXPECT_NEAR(float_activation("selu", 2), 2.1014020442962646, 1e-14);
  EXPECT_NEAR(float_activation("hard_sigmoid", -1), 0.3, 1e-15);                             // 0.2x + 0.5
  EXPECT_NEAR(float_activation("hard_sigmoid", -1, {{"alpha", 0.25}, {"beta", 0.6}}), 0.35, 1e-15);
  EXPECT_EQ(float_activation("hard_sigmoid", 10), 1.0);
  EXPECT_NEAR(float_activation("leaky_relu", -1, {{"alpha", 0.1}}), -0.1, 1e-15);
  EXPECT_NEAR(float_activation("leaky_relu", -1), -0.01, 1e-15);                             // ONNX default
  EXPECT_EQ(float_activation("hard_tanh", -3), -1.0);
  EXPECT_EQ(float_activation("relu", -3), 0.0);
}

TEST(FloatReference, ThresholdRescaleArgMax) {
  Builder b;
  const auto x = b.input("x", {3}, T("fixed<8,4>"));
  ir::Node& mt = b.node(ir::OpKind::MultiThreshold, "mt", {x}, {3}, T("fixed<8,8>"));
  mt.params["thresholds"] = b.constant("t", {1, 2}, T("fixed<8,4>"), {0, 16});  // {0, 1}
  mt.attrs["out_scale"] = 0.5;
  mt.attrs["out_bias"] = -0.5;
  ir::Node& rs = b.node(ir::OpKind::Rescale, "rs", {b.out(b.g.nodes.back())}, {3}, T("fixed<8,4>"));
  rs.params["scale"] = b.constant("s", {1}, T("fixed<8,4>"), {32});    // 2
  rs.params["pre_add"] = b.constant("p", {1}, T("fixed<8,4>"), {4});   // 0.25
  b.node(ir::OpKind::ArgMax, "am", {b.out(b.g.nodes.back())}, {1}, T("int<8>"));
  b.output(b.out(b.g.nodes.back()));
  std::map<std::string, std::vector<double>> trace;
  // x = (-1, 0.5, 2): counts 0, 1, 2 -> (-0.5, 0, 0.5) -> ((-0.5 + 0.25) * 2, 0.5, 1.5) -> argmax 2
  const auto y = emulator::run_float(b.g, {{-1.0, 0.5, 2.0}}, 1, &trace);
  EXPECT_EQ(trace.at("mt"), (std::vector<double>{-0.5, 0.0, 0.5}));
  EXPECT_EQ(trace.at("rs"), (std::vector<double>{-0.5, 0.5, 1.5}));
  EXPECT_EQ(y[0], (std::vector<double>{2.0}));
}

}  // namespace
}  // namespace firmnet::emutest

namespace firmnet::emutest {
namespace {

// Found by fuzz/fuzz_onnx: a model with a 2^26-value tensor (the frontend's limit) made one emulated sample
// allocate 64 samples' buffers, 32 GiB per tensor. Large tensors now get fewer samples per block (at most 2^16
// values of a tensor per block); MLP-sized models keep 64.
TEST(EmulatorBlocks, HugeTensorsGetFewerSamplesPerBlock) {
  for (const auto& [values, expected] : std::vector<std::pair<int64_t, size_t>>{
           {16, 64}, {1024, 64}, {1025, 63}, {14400, 4}, {int64_t{1} << 15, 2}, {int64_t{1} << 19, 1}, {int64_t{1} << 22, 1}}) {
    Builder b;
    const auto x = b.input("x", {values}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::Activation, "act", {x}, {values}, T("fixed<8,4>"));
    n.attrs["function"] = std::string("relu");
    b.output(b.out(n));
    const emulator::Emulator emu(b.g, {1, false});
    EXPECT_EQ(emu.samples_per_block(), expected) << values;
    if (values == (int64_t{1} << 22)) {  // 3 samples through blocks of 1: every value computed
      std::vector<double> in(static_cast<size_t>(3 * values));
      for (size_t i = 0; i < in.size(); ++i) in[i] = (i % 5 == 0) ? -1.0 : 0.5;
      const auto r = emu.run({in}, 3);
      ASSERT_EQ(r.outputs_raw[0].size(), in.size());
      for (size_t i = 0; i < in.size(); i += 999983) EXPECT_EQ(r.outputs_raw[0][i], i % 5 == 0 ? 0 : 8) << i;
    }
  }
}

}  // namespace
}  // namespace firmnet::emutest
