// One tiny hand-computed case per op (raw integers), values in comments.
#include <gtest/gtest.h>

#include <functional>

#include "emulator/builder.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::emutest {
namespace {

using Raw = std::vector<int64_t>;

emulator::Result run1(Builder& b, ir::TensorId out, const std::vector<Raw>& inputs, size_t batch = 1) {
  b.output(out);
  b.g.verify(true);
  return emulator::Emulator(b.g).run_raw(inputs, batch);
}

TEST(BatchNorm, PerChannelScaleBiasRoundAndSaturate) {
  Builder b;
  const auto x = b.input("x", {3, 2}, T("fixed<8,4>"));
  const auto s = b.constant("s", {2}, T("fixed<8,2>"), {96, -32});  // 1.5, -0.5
  const auto c = b.constant("c", {2}, T("fixed<8,4>"), {4, 16});    // 0.25, 1.0
  ir::Node& n = b.node(ir::OpKind::BatchNorm, "bn", {x}, {3, 2}, T("fixed<8,4,RND_CONV,SAT>"));
  n.params = {{"scale", s}, {"bias", c}};
  // x = 1, 2, -0.5, 0.8125, 7.9375, 0
  // y = 1.75, 0, -0.5, 0.59375 (9.5 lsb -> even 10), 12.16 (saturates to 7.9375), 1
  const auto r = run1(b, b.out(n), {{16, 32, -8, 13, 127, 0}});
  EXPECT_EQ(r.outputs_raw[0], (Raw{28, 0, -8, 10, 127, 16}));
  EXPECT_EQ(r.overflows.at("bn"), 1);
}

TEST(Elementwise, AddTensorsAligned) {
  Builder b;
  const auto a = b.input("a", {2}, T("fixed<8,4>"));
  const auto c = b.input("c", {2}, T("fixed<8,2>"));
  ir::Node& n = b.node(ir::OpKind::Elementwise, "add", {a, c}, {2}, T("fixed<10,4>"));
  n.attrs["op"] = std::string("add");
  // 1 + 0.5 = 1.5 -> 96 at F=6;  -0.5 + 1/64 = -0.484375 -> -31
  EXPECT_EQ(run1(b, b.out(n), {{16, -8}, {32, 1}}).outputs_raw[0], (Raw{96, -31}));
}

TEST(Elementwise, ConstantTensorAsSecondInput) {
  Builder b;
  const auto a = b.input("a", {2}, T("fixed<8,4>"));
  const auto c = b.constant("c", {2}, T("fixed<8,2>"), {32, 1});  // 0.5, 1/64, read as an input
  ir::Node& n = b.node(ir::OpKind::Elementwise, "add", {a, c}, {2}, T("fixed<10,4>"));
  n.attrs["op"] = std::string("add");
  b.output(b.out(n));
  // Every sample adds the same constant: (1, -0.5) -> (96, -31); (0, 0) -> (32, 1)
  EXPECT_EQ(emulator::Emulator(b.g).run_raw({{16, -8, 0, 0}}, 2).outputs_raw[0], (Raw{96, -31, 32, 1}));
  EXPECT_EQ(emulator::run_float(b.g, {{1.0, -0.5, 0.0, 0.0}}, 2)[0], (std::vector<double>{1.5, -0.484375, 0.5, 0.015625}));
}

TEST(Elementwise, SubScalarAndMulPerChannelConstant) {
  {
    Builder b;
    const auto a = b.input("a", {2}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::Elementwise, "sub", {a}, {2}, T("fixed<8,4>"));
    n.attrs["op"] = std::string("sub");
    n.params["constant"] = b.constant("k", {1}, T("fixed<4,2>"), {1});  // 0.25
    // 1 - 0.25 = 0.75 -> 12;  -0.5 - 0.25 = -0.75 -> -12
    EXPECT_EQ(run1(b, b.out(b.g.nodes.back()), {{16, -8}}).outputs_raw[0], (Raw{12, -12}));
  }
  {
    Builder b;
    const auto a = b.input("a", {2, 2}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::Elementwise, "mul", {a}, {2, 2}, T("fixed<6,3>"));
    n.attrs["op"] = std::string("mul");
    n.params["constant"] = b.constant("k", {2}, T("fixed<8,4>"), {24, 40});  // 1.5, 2.5 per channel
    // 1*1.5 = 1.5 -> 12; -0.5*2.5 = -1.25 -> -10; 0.25*1.5 = 0.375 -> 3; 1.5*2.5 = 3.75 -> 30
    EXPECT_EQ(run1(b, b.out(b.g.nodes.back()), {{16, -8, 4, 24}}).outputs_raw[0], (Raw{12, -10, 3, 30}));
  }
}

TEST(Reshape, CastsWhenTypesDiffer) {
  Builder b;
  const auto x = b.input("x", {2, 2}, T("fixed<8,4>"));
  ir::Node& n = b.node(ir::OpKind::Reshape, "flat", {x}, {4}, T("fixed<6,2,TRN,SAT>"));
  const auto r = run1(b, b.out(n), {{16, 40, -40, 7}});
  EXPECT_EQ(r.outputs_raw[0], (Raw{16, 31, -32, 7}));  // 2.5 and -2.5 saturate to [-2, 1.9375]
  EXPECT_EQ(r.overflows.at("flat"), 2);
}

TEST(Concat, InnerAxisWithDifferentInputTypes) {
  for (int64_t axis : {1, -1}) {
    Builder b;
    const auto x0 = b.input("x0", {2, 1}, T("fixed<8,4>"));
    const auto x1 = b.input("x1", {2, 2}, T("fixed<8,5>"));  // F=3: raw doubles at F=4
    ir::Node& n = b.node(ir::OpKind::Concat, "cat", {x0, x1}, {2, 3}, T("fixed<8,4>"));
    n.attrs["axis"] = axis;
    EXPECT_EQ(run1(b, b.out(n), {{1, 2}, {3, 4, 5, 6}}).outputs_raw[0], (Raw{1, 6, 8, 2, 10, 12}));
  }
}

// thresholds per channel, at F=5 (finer than x's F=4): row 0 {-1, 0, 0.5}, row 1 {0.28125, 0.5, 0.75}
ir::TensorId thresholds(Builder& b) { return b.constant("t", {2, 3}, T("fixed<8,3>"), {-32, 0, 16, 9, 16, 24}); }

TEST(MultiThreshold, CountsPerChannelNHWCAndNCHW) {
  {
    Builder b;
    const auto x = b.input("x", {2}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::MultiThreshold, "mt", {x}, {2}, T("fixed<8,8>"));
    n.params["thresholds"] = thresholds(b);
    n.attrs["out_scale"] = 2.0;
    n.attrs["out_bias"] = -1.0;
    n.table_data["levels"] = {-1, 1, 3, 5};  // Q_res(2k - 1), as passes/build_tables computes it
    // x = (0.5, 0.5): counts 3, 2 -> 5, 3;  (-1.0625, 0.8125): 0, 3 -> -1, 5;  (0, 0.25): 2, 0 -> 3, -1
    const auto r = run1(b, b.out(b.g.nodes.back()), {{8, 8, -17, 13, 0, 4}}, 3);
    EXPECT_EQ(r.outputs_raw[0], (Raw{5, 3, -1, 5, 3, -1}));
  }
  {
    Builder b;
    const auto x = b.input("x", {2, 2}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::MultiThreshold, "mt", {x}, {2, 2}, T("fixed<8,8>"));
    n.params["thresholds"] = thresholds(b);
    n.attrs["out_scale"] = 2.0;
    n.attrs["out_bias"] = -1.0;
    n.table_data["levels"] = {-1, 1, 3, 5};
    n.attrs["data_layout"] = std::string("NCHW");  // channel = first axis: elements 0,1 -> row 0; 2,3 -> row 1
    const auto r = run1(b, b.out(b.g.nodes.back()), {{8, -17, 8, 13}});
    EXPECT_EQ(r.outputs_raw[0], (Raw{5, -1, 3, 5}));
  }
}

TEST(Rescale, PreAddThenScale) {
  {
    Builder b;
    const auto x = b.input("x", {2}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::Rescale, "rs", {x}, {2}, T("fixed<8,4>"));
    n.params["scale"] = b.constant("s", {2}, T("fixed<6,4>"), {3, -8});    // 0.75, -2
    n.params["pre_add"] = b.constant("p", {2}, T("fixed<8,4>"), {8, 4});   // 0.5, 0.25
    // (1 + 0.5) * 0.75 = 1.125 -> 18;  (-0.5 + 0.25) * -2 = 0.5 -> 8
    EXPECT_EQ(run1(b, b.out(b.g.nodes.back()), {{16, -8}}).outputs_raw[0], (Raw{18, 8}));
  }
  {
    Builder b;
    const auto x = b.input("x", {2}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::Rescale, "rs", {x}, {2}, T("fixed<8,4>"));
    n.params["scale"] = b.constant("s", {1}, T("fixed<6,4>"), {3});
    EXPECT_EQ(run1(b, b.out(b.g.nodes.back()), {{16, -8}}).outputs_raw[0], (Raw{12, -6}));
  }
}

TEST(ArgMax, FirstMaximumPerRowAndIndexOverflow) {
  {
    Builder b;
    const auto x = b.input("x", {2, 3}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::ArgMax, "am", {x}, {2}, T("int<8>"));
    EXPECT_EQ(run1(b, b.out(n), {{1, 5, 2, 9, 9, 0, 3, 7, 7, -1, -2, -1}}, 2).outputs_raw[0], (Raw{1, 0, 1, 0}));
  }
  {
    Builder b;
    const auto x = b.input("x", {4}, T("fixed<8,4>"));
    ir::Node& n = b.node(ir::OpKind::ArgMax, "am", {x}, {1}, T("int<2>"));
    const auto r = run1(b, b.out(n), {{0, 0, 0, 5}});
    EXPECT_EQ(r.outputs_raw[0], (Raw{-1}));  // index 3 wraps in a 2-bit integer
    EXPECT_EQ(r.overflows.at("am"), 1);
  }
}

// ------------------------------------------------------------------------------------------ Activation

const Raw kX = {-24, -8, 0, 8, 24, 40, 127, -128};  // -1.5, -0.5, 0, 0.5, 1.5, 2.5, 7.9375, -8 at F=4

emulator::Result activation(const std::string& fn, FixedType out, const std::function<void(Builder&, ir::Node&)>& setup = {}) {
  Builder b;
  const auto x = b.input("x", {8}, T("fixed<8,4>"));
  ir::Node& n = b.node(ir::OpKind::Activation, "act", {x}, {8}, out);
  n.attrs["function"] = fn;
  if (setup) setup(b, b.g.nodes.back());
  return run1(b, b.out(b.g.nodes.back()), {kX});
}

// A table on [-4, 4) with step 1: idx = clamp(floor(x) + 4, 0, 7); for kX: 2, 3, 4, 4, 5, 6, 7 (clamped), 0.
void add_table(ir::Node& n, FixedType entry, Raw data) {
  n.tables["table"] = numeric::TableSpec{3, 0, 4, entry};
  n.types["table"] = entry;
  n.table_data["table"] = std::move(data);
}

TEST(Activation, LinearAndRelu) {
  EXPECT_EQ(activation("linear", T("fixed<6,3,TRN,SAT>")).outputs_raw[0], (Raw{-12, -4, 0, 4, 12, 20, 31, -32}));
  EXPECT_EQ(activation("relu", T("fixed<8,4>")).outputs_raw[0], (Raw{0, 0, 0, 8, 24, 40, 127, 0}));
  const auto r = activation("relu", T("fixed<6,2,RND_CONV,SAT>"));
  EXPECT_EQ(r.outputs_raw[0], (Raw{0, 0, 0, 8, 24, 31, 31, 0}));
  EXPECT_EQ(r.overflows.at("act"), 2);
}

TEST(Activation, LeakyReluHardTanhHardSigmoid) {
  // alpha = 77/256: -1.5*alpha = -0.451 -> floor at F=4: -8;  -0.5*alpha = -0.150 -> -3;  -8*alpha -> -2.406 -> -39
  EXPECT_EQ(activation("leaky_relu", T("fixed<8,4>"),
                       [](Builder& b, ir::Node& n) { n.params["alpha"] = b.constant("alpha", {1}, T("fixed<8,0>"), {77}); })
                .outputs_raw[0],
            (Raw{-8, -3, 0, 8, 24, 40, 127, -39}));
  EXPECT_EQ(activation("hard_tanh", T("fixed<8,4>")).outputs_raw[0], (Raw{-16, -8, 0, 8, 16, 16, 16, -16}));
  // slope 51/256, offset 0.5: 0.2012 0.4004 0.5 0.5996 0.7988 0.9980 (1.58 -> 1) (-1.09 -> 0), TRN at F=8;
  // 1.0 = raw 256 wraps to 0 in ufixed<8,0>.
  const auto r = activation("hard_sigmoid", T("ufixed<8,0>"), [](Builder& b, ir::Node& n) {
    n.params["slope"] = b.constant("slope", {1}, T("fixed<8,0>"), {51});
    n.params["offset"] = b.constant("offset", {1}, T("fixed<4,1>"), {4});
  });
  EXPECT_EQ(r.outputs_raw[0], (Raw{51, 102, 128, 153, 204, 255, 0, 0}));
  EXPECT_EQ(r.overflows.at("act"), 1);
}

TEST(Activation, TableFunctions) {
  const Raw data = {10, 20, 30, 40, 50, 60, 70, 80};
  for (const char* fn : {"sigmoid", "tanh", "softsign"}) {
    EXPECT_EQ(activation(fn, T("ufixed<8,0>"), [&](Builder&, ir::Node& n) { add_table(n, T("ufixed<8,0>"), data); })
                  .outputs_raw[0],
              (Raw{30, 40, 50, 50, 60, 70, 80, 10}))
        << fn;
  }
  // Entries cast from F=8 to F=6 with TRN: 30 -> 7, 50 -> 12, 70 -> 17, 10 -> 2.
  EXPECT_EQ(activation("sigmoid", T("fixed<6,0>"), [&](Builder&, ir::Node& n) { add_table(n, T("ufixed<8,0>"), data); })
                .outputs_raw[0],
            (Raw{7, 10, 12, 12, 15, 17, 20, 2}));
}

TEST(Activation, EluSeluSoftplus) {
  const Raw neg = {-60, -50, -40, -30, -20, -10, 0, 0};  // at F=7
  // Negative inputs read the table (F=7 -> F=4, TRN): idx 2 -> -40 -> -5; idx 3 -> -30 -> -3.75 -> -4;
  // idx 0 -> -60 -> -7.5 -> -8.
  EXPECT_EQ(activation("elu", T("fixed<8,4>"), [&](Builder&, ir::Node& n) { add_table(n, T("fixed<8,1>"), neg); })
                .outputs_raw[0],
            (Raw{-5, -4, 0, 8, 24, 40, 127, -8}));
  // selu: x >= 0 gives x * 67/64: 0.5234 -> 8, 1.5703 -> 25, 2.6172 -> 41, 8.309 -> 132 wraps to -124.
  const auto r = activation("selu", T("fixed<8,4>"), [&](Builder& b, ir::Node& n) {
    add_table(n, T("fixed<8,1>"), neg);
    n.params["gamma"] = b.constant("gamma", {1}, T("fixed<8,2>"), {67});
  });
  EXPECT_EQ(r.outputs_raw[0], (Raw{-5, -4, 0, 8, 25, 41, -124, -8}));
  EXPECT_EQ(r.overflows.at("act"), 1);
  // softplus: x >= 4 (the table's end) passes x through: 7.9375 -> 127; otherwise the table.
  EXPECT_EQ(activation("softplus", T("fixed<8,4>"),
                       [&](Builder&, ir::Node& n) { add_table(n, T("ufixed<8,4>"), {1, 2, 3, 4, 5, 6, 7, 8}); })
                .outputs_raw[0],
            (Raw{3, 4, 5, 5, 6, 7, 127, 1}));
}

TEST(Activation, UnknownFunctionNamesTheNode) {
  try {
    activation("swish", T("fixed<8,4>"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'act'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("swish"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace firmnet::emutest
