// The quantized-model passes: fold_affine_into_threshold (scalings, divisions, BatchNorm incl. negative
// scales, reshapes), snap_thresholds (exact compares on the input grid, strict thresholds, clamping),
// the MultiThreshold levels table of build_tables and its exact result type.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "passes/builder.h"
#include "passes/pass.h"

namespace firmnet::passes {
namespace {

using ir::OpKind;
using ir::TensorId;

// The shared pass-test builder, with a typed input and single-input nodes returned for editing.
struct Graph : testing_support::Builder {
  TensorId input(ir::Shape shape, const std::string& type) {
    const TensorId t = tensor("x", std::move(shape));
    g.tensor(t).type = numeric::FixedType::parse(type);
    g.inputs.push_back(t);
    ir::Node n;
    n.name = "x";
    n.kind = OpKind::Input;
    n.outputs = {t};
    g.add_node(std::move(n));
    return t;
  }
  ir::Node& node(OpKind k, const std::string& name, TensorId in, ir::Shape out_shape) {
    ir::Node n;
    n.name = name;
    n.source = name;
    n.kind = k;
    n.inputs = {in};
    n.outputs = {tensor(name + "_out", std::move(out_shape))};
    return g.add_node(std::move(n));
  }
  TensorId eltwise(const std::string& name, TensorId a, const std::string& op, double c) {
    ir::Node& n = node(OpKind::Elementwise, name, a, g.tensor(a).shape);
    n.attrs["op"] = op;
    const TensorId out = n.outputs[0];
    g.nodes.back().params["constant"] = constant(name + "_c", {1}, {c});
    return out;
  }
  ir::Node& threshold(TensorId a, ir::Shape th_shape, std::vector<double> th) {
    ir::Node& n = node(OpKind::MultiThreshold, "mt", a, g.tensor(a).shape);
    n.attrs["out_scale"] = 2.0;
    n.attrs["out_bias"] = -1.0;
    g.nodes.back().params["thresholds"] = constant("th", std::move(th_shape), std::move(th));
    return g.nodes.back();
  }
  const ir::Node& find(OpKind k) const {
    for (const auto& n : g.nodes)
      if (n.kind == k) return n;
    throw std::runtime_error("no such node");
  }
  int count(OpKind k) const {
    int c = 0;
    for (const auto& n : g.nodes) c += n.kind == k;
    return c;
  }
};

void compile(ir::Graph& g) {
  config::Config cfg;
  std::vector<Warning> w;
  PassContext ctx{cfg, w};
  run_pipeline(g, ctx);
}

TEST(FoldAffineIntoThreshold, FinnInputScalingBecomesOneIntegerThreshold) {
  // FINN: x / 255 * 2 - 1 >= 0 on UINT8 pixels  <=>  x >= 127.5  <=>  raw >= 128.
  Graph b;
  const TensorId x = b.input({4}, "ufixed<8,8>");
  TensorId d = b.eltwise("div", x, "mul", 1.0 / 255);
  b.g.nodes.back().attrs["divisor"] = std::vector<double>{255};
  d = b.eltwise("mul", d, "mul", 2);
  d = b.eltwise("sub", d, "sub", 1);
  b.threshold(d, {1, 1}, {0.0});
  b.g.outputs = {b.g.nodes.back().outputs[0]};
  compile(b.g);
  EXPECT_EQ(b.count(OpKind::Elementwise), 0);
  const ir::Node& mt = b.find(OpKind::MultiThreshold);
  EXPECT_EQ(mt.inputs[0], x);
  const ir::Tensor& th = b.g.tensor(mt.param("thresholds"));
  EXPECT_EQ(th.values, (std::vector<double>{127.5}));  // exact: 0 + 1, / 2, * 255
  EXPECT_EQ(th.raw, (std::vector<int64_t>{128}));
  EXPECT_EQ(th.type->str(), "fixed<10,10,TRN,SAT>");  // the input grid, one bit above ufixed<8,8>'s max
  EXPECT_EQ(mt.table_data.at("levels"), (std::vector<int64_t>{-1, 1}));
  EXPECT_EQ(b.g.tensor(mt.outputs[0]).type->str(), "fixed<2,2>");  // exact type of the levels -1, +1
  EXPECT_EQ(mt.source, "div + mul + sub + mt");
}

TEST(FoldAffineIntoThreshold, BatchNormWithNegativeScalesIsNegatedIntoTheDense) {
  Graph b;
  const TensorId x = b.input({2}, "fixed<8,4>");
  ir::Node& d = b.node(OpKind::Dense, "fc", x, {2});
  const TensorId dy = d.outputs[0];
  b.g.nodes.back().params["weight"] = b.constant("w", {2, 2}, {1, -1, 1, 1});
  b.g.nodes.back().params["bias"] = b.constant("b", {2}, {0, 0.5});
  b.node(OpKind::BatchNorm, "bn", dy, {2});
  const TensorId by = b.g.nodes.back().outputs[0];
  b.g.nodes.back().params["scale"] = b.constant("s", {2}, {2, -0.5});
  b.g.nodes.back().params["bias"] = b.constant("sb", {2}, {1, 1});
  b.threshold(by, {1, 1}, {0.0});
  b.g.outputs = {b.g.nodes.back().outputs[0]};
  compile(b.g);
  EXPECT_EQ(b.count(OpKind::BatchNorm), 0);
  const ir::Node& fc = b.find(OpKind::Dense);
  // Channel 1 negated: y1 * -0.5 + 1 = (-y1) * 0.5 + 1.
  EXPECT_EQ(b.g.tensor(fc.param("weight")).values, (std::vector<double>{1, 1, 1, -1}));
  EXPECT_EQ(b.g.tensor(fc.param("bias")).values, (std::vector<double>{0, -0.5}));
  const ir::Node& mt = b.find(OpKind::MultiThreshold);
  const ir::Tensor& th = b.g.tensor(mt.param("thresholds"));
  EXPECT_EQ(th.shape, (ir::Shape{2, 1}));
  EXPECT_EQ(th.values, (std::vector<double>{-0.5, -2.0}));  // (0 - 1) / 2, (0 - 1) / 0.5
  const int f = b.g.tensor(mt.inputs[0]).type->frac();
  EXPECT_EQ(th.raw, (std::vector<int64_t>{-(int64_t{1} << (f - 1)), -(int64_t{2} << f)}));
}

// A per-channel BatchNorm in front of 255 per-tensor thresholds on a 256x256x16 map folds per channel:
// 16 rows of 255 thresholds (per element it would have been a billion, fuzz_onnx's out-of-memory on the
// espcn QONNX model).
TEST(FoldAffineIntoThreshold, MapsFoldPerChannelNotPerElement) {
  Graph b;
  const TensorId x = b.input({256, 256, 16}, "fixed<8,4>");
  b.node(OpKind::BatchNorm, "bn", x, {256, 256, 16});
  const TensorId by = b.g.nodes.back().outputs[0];
  std::vector<double> s, sb, th;
  for (int c = 0; c < 16; ++c) s.push_back(0.5 + c), sb.push_back(c * 0.25);
  for (int k = 0; k < 255; ++k) th.push_back(k - 127);
  b.g.nodes.back().params["scale"] = b.constant("s", {16}, s);
  b.g.nodes.back().params["bias"] = b.constant("sb", {16}, sb);
  b.threshold(by, {1, 255}, th);
  b.g.outputs = {b.g.nodes.back().outputs[0]};
  compile(b.g);
  EXPECT_EQ(b.count(OpKind::BatchNorm), 0);
  const ir::Node& mt = b.find(OpKind::MultiThreshold);
  const ir::Tensor& t = b.g.tensor(mt.param("thresholds"));
  EXPECT_EQ(t.shape, (ir::Shape{16, 255}));
  EXPECT_EQ(mt.attr_str("data_layout"), "NHWC");
  EXPECT_EQ(t.values[3 * 255 + 10], (10 - 127 - 3 * 0.25) / 3.5);  // channel 3, threshold 10: (t - b) / s
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  EXPECT_LT(u.ru_maxrss, 1024 * 1024) << "peak KiB; per element the fold needs 4 GiB";
}

TEST(FoldAffineIntoThreshold, NegativeMultiplierStaysInFixedPoint) {
  Graph b;
  const TensorId x = b.input({3}, "fixed<8,4>");
  const TensorId m = b.eltwise("neg", x, "mul", -2);
  b.threshold(m, {1, 2}, {-1.0, 1.0});
  b.g.outputs = {b.g.nodes.back().outputs[0]};
  compile(b.g);
  EXPECT_EQ(b.count(OpKind::Elementwise), 1);
  EXPECT_EQ(b.g.tensor(b.find(OpKind::MultiThreshold).param("thresholds")).values, (std::vector<double>{-1.0, 1.0}));
}

TEST(SnapThresholds, StrictAndOutOfRangeThresholdsOnTheInputGrid) {
  Graph b;
  const TensorId x = b.input({2}, "fixed<6,3>");  // raw -32..31, 2^-3 steps
  ir::Node& mt = b.threshold(x, {1, 4}, {-10, 0.3, 0.5, 100});
  mt.attrs["strict"] = std::vector<int64_t>{0, 1, 1, 0};
  b.g.outputs = {mt.outputs[0]};
  compile(b.g);
  const ir::Node& n = b.find(OpKind::MultiThreshold);
  EXPECT_FALSE(n.has_attr("strict"));
  const ir::Tensor& th = b.g.tensor(n.param("thresholds"));
  // -10 -> below the range: raw_min (always counted); x > 0.3 <=> raw >= floor(2.4) + 1 = 3;
  // x > 0.5 <=> raw >= 5; 100 -> raw_max + 1 (never counted).
  EXPECT_EQ(th.raw, (std::vector<int64_t>{-32, 3, 5, 32}));
  EXPECT_EQ(th.type->str(), "fixed<7,4,TRN,SAT>");
  EXPECT_EQ(th.values, (std::vector<double>{-10, 0.3, 0.5, 100}));  // the float reference's thresholds
  EXPECT_EQ(n.table_data.at("levels"), (std::vector<int64_t>{-1, 1, 3, 5, 7}));
  EXPECT_EQ(n.table_data.at("levels_overflow"), (std::vector<int64_t>{0, 0, 0, 0, 0}));
  EXPECT_EQ(b.g.tensor(n.outputs[0]).type->str(), "fixed<4,4>");
}

}  // namespace
}  // namespace firmnet::passes
