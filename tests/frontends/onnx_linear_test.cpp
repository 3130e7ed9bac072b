// Gemm, MatMul (+Add folding) and BatchNormalization conversion.
#include <cmath>

#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {
using ir::OpKind;

TEST(OnnxLinear, MatMulBecomesDenseWithWeightLayoutRowMajor) {
  auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,2] y)
    <float[4,2] W = {1, 2, 3, 4, 5, 6, 7, 8}>
    { y = MatMul(x, W) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense}));
  const auto& d = g.nodes[1];
  EXPECT_EQ(g.tensor(d.param("weight")).shape, (ir::Shape{4, 2}));
  EXPECT_EQ(param_values(g, d, "weight"), (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(param_values(g, d, "bias"), (std::vector<double>{0, 0}));
  EXPECT_EQ(g.tensor(d.outputs[0]).shape, (ir::Shape{2}));
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (ir::Shape{4}));
  EXPECT_EQ(g.outputs, d.outputs);
}
}  // namespace
}  // namespace firmnet::test

namespace firmnet::test {
namespace {
using ir::OpKind;

TEST(OnnxLinear, GemmTransBAlphaBeta) {
  auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,3] x) => (float[N,2] y)
    <float[2,3] B = {1, 2, 3, 4, 5, 6}, float[2] C = {1, -1}>
    { y = Gemm <transB = 1, alpha = 2.0, beta = 0.5> (x, B, C) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense}));
  const auto& d = g.nodes[1];
  EXPECT_EQ(g.tensor(d.param("weight")).shape, (ir::Shape{3, 2}));
  // W[i][j] = alpha * B[j][i], at i*2 + j.
  EXPECT_EQ(param_values(g, d, "weight"), (std::vector<double>{2, 8, 4, 10, 6, 12}));
  EXPECT_EQ(param_values(g, d, "bias"), (std::vector<double>{0.5, -0.5}));
  EXPECT_EQ(d.name, "Gemm_0");
  EXPECT_EQ(d.source, "Gemm #0");
}

TEST(OnnxLinear, GemmBiasBroadcastAndOptional) {
  auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x) => (float[N,3] y, float[N,3] z)
    <float[2,3] B = {1, 2, 3, 4, 5, 6}, float[1] C = {3}, float[1,3] C2 = {7, 8, 9}>
    { y = Gemm (x, B, C)
      z = Gemm (x, B) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense, OpKind::Dense}));
  EXPECT_EQ(param_values(g, g.nodes[1], "weight"), (std::vector<double>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(param_values(g, g.nodes[1], "bias"), (std::vector<double>{3, 3, 3}));
  EXPECT_EQ(param_values(g, g.nodes[2], "bias"), (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(g.outputs.size(), 2u);

  auto g2 = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x) => (float[N,3] y)
    <float[2,3] B = {1, 2, 3, 4, 5, 6}, float[1,3] C = {7, 8, 9}>
    { y = Gemm (x, B, C) })");
  EXPECT_EQ(param_values(g2, g2.nodes[1], "bias"), (std::vector<double>{7, 8, 9}));
}

TEST(OnnxLinear, GemmErrors) {
  EXPECT_EQ(load_error(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x) => (float[N,3] y)
    <float[2,3] B = {1, 2, 3, 4, 5, 6}>
    { y = Gemm <transA = 1> (x, B) })"),
            "node #0 (Gemm): transA=1 is not supported (hint: export the layer with the data as the first, "
            "untransposed operand)");
  EXPECT_NE(load_error(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x, float[2,3] w) => (float[N,3] y)
    { y = Gemm (x, w) })").find("node #0 (Gemm): the weight B (input 'w') must be a constant"),
            std::string::npos);
  EXPECT_NE(load_error(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,3] y)
    <float[2,3] B = {1, 2, 3, 4, 5, 6}>
    { y = Gemm (x, B) })").find("weight B of shape [2,3] does not match the 4 input features"),
            std::string::npos);
}

TEST(OnnxLinear, MatMulAddFoldsIntoBiasEitherOperandOrder) {
  auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x) => (float[N,2] y)
    <float[2,2] W = {1, 2, 3, 4}, float[2] B = {0.5, -0.25}>
    { t = MatMul(x, W)
      y = Add(B, t) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense}));
  EXPECT_EQ(param_values(g, g.nodes[1], "bias"), (std::vector<double>{0.5, -0.25}));
  EXPECT_EQ(g.nodes[1].source, "MatMul #0 + Add #1");
  EXPECT_EQ(g.outputs[0], g.nodes[1].outputs[0]);
}

TEST(OnnxLinear, MatMulUsedTwiceIsNotFolded) {
  auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2] x) => (float[N,2] y, float[N,2] t)
    <float[2,2] W = {1, 2, 3, 4}, float[2] B = {0.5, -0.25}>
    { t = MatMul(x, W)
      y = Add(t, B) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense, OpKind::Elementwise}));
  EXPECT_EQ(param_values(g, g.nodes[1], "bias"), (std::vector<double>{0, 0}));
  EXPECT_EQ(g.nodes[2].attr_str("op"), "add");
  EXPECT_EQ(param_values(g, g.nodes[2], "constant"), (std::vector<double>{0.5, -0.25}));
}

TEST(OnnxLinear, BatchNormFoldsStatistics) {
  auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 15]>
    g (float[N,2] x) => (float[N,2] y)
    <float[2] s = {2, 1}, float[2] b = {1, 0}, float[2] m = {1, 2}, float[2] v = {3, 0.25}>
    { y = BatchNormalization <epsilon = 1.0> (x, s, b, m, v) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::BatchNorm}));
  const auto& scale = param_values(g, g.nodes[1], "scale");
  const auto& bias = param_values(g, g.nodes[1], "bias");
  ASSERT_EQ(scale.size(), 2u);
  EXPECT_DOUBLE_EQ(scale[0], 1.0);                   // 2 / sqrt(3 + 1)
  EXPECT_DOUBLE_EQ(scale[1], 1.0 / std::sqrt(1.25));  // 1 / sqrt(0.25 + 1)
  EXPECT_DOUBLE_EQ(bias[0], 0.0);                    // 1 - 1 * 1
  EXPECT_DOUBLE_EQ(bias[1], -2.0 / std::sqrt(1.25));
}

TEST(OnnxLinear, BatchNormOfAChannelsFirstMapNormalizesItsChannelsHeldChannelsLast) {
  const auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 15]>
    g (float[N,2,3] x) => (float[N,2,3] y)
    <float[2] s = {2, 1}, float[2] b = {1, 0}, float[2] m = {1, 2}, float[2] v = {3, 0.25}>
    { y = BatchNormalization (x, s, b, m, v) })");
  // [C=2, W=3] held as [3, 2]: the IR BatchNorm's per-channel (last axis) constants are ONNX's channels.
  std::vector<ir::OpKind> k;
  for (const auto& n : g.nodes) k.push_back(n.kind);
  ASSERT_EQ(k, (std::vector<ir::OpKind>{ir::OpKind::Input, ir::OpKind::Transpose, ir::OpKind::BatchNorm}));
  const ir::Node& bn = g.nodes[2];
  EXPECT_EQ(g.tensor(bn.inputs[0]).shape, (ir::Shape{3, 2}));
  const auto& scale = g.tensor(bn.param("scale")).values;
  ASSERT_EQ(scale.size(), 2u);
  EXPECT_NEAR(scale[0], 2 / std::sqrt(3 + 1e-5), 1e-12);
  EXPECT_NEAR(scale[1], 1 / std::sqrt(0.25 + 1e-5), 1e-12);
  EXPECT_NEAR(g.tensor(bn.param("bias")).values[1], 0 - 2 * scale[1], 1e-12);
  ASSERT_TRUE(g.tensor(g.outputs[0]).layout.has_value());
  EXPECT_EQ(g.tensor(g.outputs[0]).layout->model_shape, (ir::Shape{2, 3}));
}

}  // namespace
}  // namespace firmnet::test
