// Add/Sub/Mul/Div with tensors and constants, and constant folding.
#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {
using ir::OpKind;

const char* kHeader = "<ir_version: 8, opset_import: [\"\" : 13]>\n";

TEST(OnnxElementwise, TwoTensors) {
  auto g = load_text(std::string(kHeader) + R"(g (float[N,3] a, float[N,3] b) => (float[N,3] y, float[N,3] z)
      { y = Add(a, b)
        z = Mul(y, b) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Input, OpKind::Elementwise, OpKind::Elementwise}));
  EXPECT_EQ(g.nodes[2].attr_str("op"), "add");
  EXPECT_EQ(g.nodes[2].inputs, g.inputs);
  EXPECT_TRUE(g.nodes[2].params.empty());
  EXPECT_EQ(g.nodes[3].attr_str("op"), "mul");
  EXPECT_EQ(g.nodes[3].inputs, (std::vector<ir::TensorId>{g.nodes[2].outputs[0], g.inputs[1]}));
  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,3] a, float[N,1] b) => (float[N,3] y) { y = Add(a, b) })")
                .find("operands of shapes [1,3] and [1,1] differ"),
            std::string::npos);
}

TEST(OnnxElementwise, ConstantShrinksToScalarLastAxisOrFull) {
  auto g = load_text(std::string(kHeader) + R"(g (float[N,2,3] x) => (float[N,2,3] y)
      <float s = {2}, float[3] row = {1, 2, 3}, float[2,1] col = {10, 20}>
      { a = Mul(s, x)
        b = Sub(a, row)
        y = Add(b, col) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Elementwise, OpKind::Elementwise, OpKind::Elementwise}));
  EXPECT_EQ(g.nodes[1].attr_str("op"), "mul");
  EXPECT_EQ(g.tensor(g.nodes[1].param("constant")).shape, (ir::Shape{1}));
  EXPECT_EQ(param_values(g, g.nodes[1], "constant"), (std::vector<double>{2}));
  EXPECT_EQ(g.nodes[2].attr_str("op"), "sub");
  EXPECT_EQ(g.tensor(g.nodes[2].param("constant")).shape, (ir::Shape{3}));
  EXPECT_EQ(param_values(g, g.nodes[2], "constant"), (std::vector<double>{1, 2, 3}));
  EXPECT_EQ(g.tensor(g.nodes[3].param("constant")).shape, (ir::Shape{2, 3}));
  EXPECT_EQ(param_values(g, g.nodes[3], "constant"), (std::vector<double>{10, 10, 10, 20, 20, 20}));
}

TEST(OnnxElementwise, DivByConstantIsMulByReciprocal) {
  auto g = load_text(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y) <float[2] d = {2, 4}>
      { y = Div(x, d) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Elementwise}));
  EXPECT_EQ(g.nodes[1].attr_str("op"), "mul");
  EXPECT_EQ(param_values(g, g.nodes[1], "constant"), (std::vector<double>{0.5, 0.25}));
  EXPECT_EQ(load_error(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y) <float[2] d = {2, 0}>
      { y = Div(x, d) })"),
            "node #0 (Div): divides by a constant that contains 0");
  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y) <float[2] d = {2, 1}>
      { y = Div(d, x) })").find("constant / data is not supported"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y) <float[2] d = {2, 1}>
      { y = Sub(d, x) })").find("constant - data is not supported"),
            std::string::npos);
}

TEST(OnnxElementwise, ConstantArithmeticIsFolded) {
  auto g = load_text(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y)
      <float[2] a = {1, 2}, float b = {3}>
      { c = Add(a, b)
        d = Div(c, b)
        y = Mul(x, d) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Elementwise}));
  const auto& v = param_values(g, g.nodes[1], "constant");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_DOUBLE_EQ(v[0], 4.0 / 3.0);
  EXPECT_DOUBLE_EQ(v[1], 5.0 / 3.0);
}

TEST(OnnxElementwise, ConstantThatBroadcastsTheDataFails) {
  EXPECT_EQ(load_error(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y) <float[3,2] c = {1,2,3,4,5,6}>
      { y = Add(x, c) })"),
            "node #0 (Add): constant of shape [3,2] does not broadcast to the data shape [1,2] (batch counted as 1)");
}

}  // namespace
}  // namespace firmnet::test
