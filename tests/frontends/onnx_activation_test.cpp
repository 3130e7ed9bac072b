// Activation functions, Clip and Softmax.
#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {
using ir::OpKind;

std::string one_op(const std::string& node, int opset = 13) {
  return "<ir_version: 8, opset_import: [\"\" : " + std::to_string(opset) +
         "]>\n g (float[N,4] x) => (float[N,4] y) { " + node + " }";
}

TEST(OnnxActivation, TableFunctions) {
  for (auto [op, fn] : std::vector<std::pair<std::string, std::string>>{
           {"Relu", "relu"}, {"Sigmoid", "sigmoid"}, {"Tanh", "tanh"}, {"Softplus", "softplus"}, {"Softsign", "softsign"}}) {
    SCOPED_TRACE(op);
    auto g = load_text(one_op("y = " + op + "(x)"));
    ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Activation}));
    EXPECT_EQ(g.nodes[1].attr_str("function"), fn);
    EXPECT_TRUE(g.nodes[1].params.empty());
    EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{4}));
  }
}

TEST(OnnxActivation, LeakyReluAlphaParamAndAttr) {
  auto g = load_text(one_op("y = LeakyRelu <alpha = 0.3> (x)"));
  const auto& n = g.nodes[1];
  EXPECT_EQ(n.attr_str("function"), "leaky_relu");
  EXPECT_EQ(n.attr_float("alpha"), static_cast<double>(0.3f));
  EXPECT_EQ(param_values(g, n, "alpha"), (std::vector<double>{static_cast<double>(0.3f)}));
  EXPECT_EQ(g.tensor(n.param("alpha")).shape, (ir::Shape{1}));
  // default alpha
  EXPECT_EQ(load_text(one_op("y = LeakyRelu(x)")).nodes[1].attr_float("alpha"), 0.01);
}

TEST(OnnxActivation, EluSeluHardSigmoid) {
  auto elu = load_text(one_op("y = Elu <alpha = 0.5> (x)"));
  EXPECT_EQ(elu.nodes[1].attr_str("function"), "elu");
  EXPECT_EQ(elu.nodes[1].attr_float("alpha"), 0.5);
  EXPECT_TRUE(elu.nodes[1].params.empty());

  auto selu = load_text(one_op("y = Selu(x)"));
  const auto& s = selu.nodes[1];
  EXPECT_EQ(s.attr_str("function"), "selu");
  EXPECT_EQ(s.attr_float("alpha"), 1.67326319217681884765625);
  EXPECT_EQ(s.attr_float("gamma"), 1.05070102214813232421875);
  EXPECT_EQ(param_values(selu, s, "gamma"), (std::vector<double>{1.05070102214813232421875}));

  auto hs = load_text(one_op("y = HardSigmoid <alpha = 0.25, beta = 0.375> (x)"));
  const auto& h = hs.nodes[1];
  EXPECT_EQ(h.attr_str("function"), "hard_sigmoid");
  EXPECT_EQ(param_values(hs, h, "slope"), (std::vector<double>{0.25}));
  EXPECT_EQ(param_values(hs, h, "offset"), (std::vector<double>{0.375}));
  EXPECT_EQ(h.attr_float("alpha"), 0.25);
  EXPECT_EQ(h.attr_float("beta"), 0.375);
}

TEST(OnnxActivation, ClipAsInputsAndAttributes) {
  auto ht = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,4] y) <float lo = {-1}, float hi = {1}>
    { y = Clip(x, lo, hi) })");
  EXPECT_EQ(ht.nodes[1].attr_str("function"), "hard_tanh");
  auto relu = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,4] y) <float lo = {0}>
    { y = Clip(x, lo) })");
  EXPECT_EQ(relu.nodes[1].attr_str("function"), "relu");
  EXPECT_EQ(load_text(one_op("y = Clip <min = -1.0, max = 1.0> (x)", 9)).nodes[1].attr_str("function"), "hard_tanh");
  EXPECT_EQ(load_text(one_op("y = Clip <min = 0.0> (x)", 9)).nodes[1].attr_str("function"), "relu");
  // ReLU6: the clip function with its two bounds as parameters.
  const auto relu6 = load_text(one_op("y = Clip <min = 0.0, max = 6.0> (x)", 9));
  EXPECT_EQ(relu6.nodes[1].attr_str("function"), "clip");
  EXPECT_EQ(relu6.tensor(relu6.nodes[1].param("min")).values, (std::vector<double>{0}));
  EXPECT_EQ(relu6.tensor(relu6.nodes[1].param("max")).values, (std::vector<double>{6}));
  EXPECT_EQ(load_error(one_op("y = Clip <min = 1.0> (x)", 9)),
            "node #0 (Clip): Clip(min=1.000000, max=inf) with one open bound is not supported (hint: Clip(0, inf) "
            "(ReLU) and Clip with two finite bounds (e.g. ReLU6) are supported)");
}

TEST(OnnxActivation, SoftmaxAxis) {
  auto g = load_text(one_op("y = Softmax(x)"));
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Softmax}));
  EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{4}));
  EXPECT_EQ(kinds(load_text(one_op("y = Softmax <axis = 1> (x)", 11))).back(), OpKind::Softmax);

  const std::string three_d = R"(
    <ir_version: 8, opset_import: ["" : OPSET]>
    g (float[N,3,4] x) => (float[N,3,4] y) { y = Softmax <axis = 1> (x) })";
  auto with_opset = [&](const std::string& o) {
    std::string s = three_d;
    s.replace(s.find("OPSET"), 5, o);
    return s;
  };
  EXPECT_NE(load_error(with_opset("13")).find("node #0 (Softmax): softmax over axis 1 of shape [1,3,4] is not supported"),
            std::string::npos);
  EXPECT_NE(load_error(with_opset("11")).find("softmax over axis 1"), std::string::npos);  // flattens 3x4
  EXPECT_EQ(load_error(one_op("y = Softmax <axis = 0> (x)")),
            "node #0 (Softmax): softmax over axis 0 of shape [1,4] is not supported (hint: firmnet computes "
            "softmax over the last axis of [batch, ..., classes] data)");
  // opset < 13 with axis=1 on [N,1,4] flattens [1,4]: the same as the last axis.
  auto ok = load_text(R"(
    <ir_version: 8, opset_import: ["" : 11]>
    g (float[N,1,4] x) => (float[N,1,4] y) { y = Softmax <axis = 1> (x) })");
  EXPECT_EQ(ok.tensor(ok.nodes[1].outputs[0]).shape, (ir::Shape{1, 4}));
}

}  // namespace
}  // namespace firmnet::test

namespace firmnet::test {
namespace {
using ir::OpKind;

// PRelu: one slope is a leaky_relu; per feature, per channel and per element it is relu(x) + slope·(x - relu(x)),
// the form the Keras PReLU has (frontends/prelu.h), with the slopes in the order the data is held.
TEST(OnnxActivation, PReluScalarSlopeIsALeakyRelu) {
  for (int opset : {7, 9, 16}) {
    SCOPED_TRACE(opset);
    const auto g = load_text("<ir_version: 8, opset_import: [\"\" : " + std::to_string(opset) +
                             "]>\n g (float[N,4] x) => (float[N,4] y) <float[1] s = {0.25}> { y = PRelu(x, s) }");
    ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Activation}));
    EXPECT_EQ(g.nodes[1].attr_str("function"), "leaky_relu");
    EXPECT_EQ(g.nodes[1].attr_float("alpha"), 0.25);
    EXPECT_EQ(param_values(g, g.nodes[1], "alpha"), (std::vector<double>{0.25}));
    EXPECT_EQ(g.outputs[0], g.nodes[1].outputs[0]);
  }
  // A per-feature slope whose values are all equal is one slope too.
  const auto u = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,4] y) <float[4] s = {0.5, 0.5, 0.5, 0.5}> { y = PRelu(x, s) })");
  ASSERT_EQ(kinds(u), (std::vector<OpKind>{OpKind::Input, OpKind::Activation}));
  EXPECT_EQ(u.nodes[1].attr_str("function"), "leaky_relu");
}

TEST(OnnxActivation, PReluPerFeatureSlope) {
  const auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,4] y) <float[4] s = {0.1, 0.2, 0.3, 0.4}> { y = PRelu(x, s) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Activation, OpKind::Elementwise,
                                           OpKind::Elementwise, OpKind::Elementwise}));
  EXPECT_EQ(g.nodes[1].attr_str("function"), "relu");
  EXPECT_EQ(g.nodes[2].attr_str("op"), "sub");
  EXPECT_EQ(g.nodes[2].inputs, (std::vector<ir::TensorId>{g.nodes[1].inputs[0], g.nodes[1].outputs[0]}));
  EXPECT_EQ(g.nodes[3].attr_str("op"), "mul");
  EXPECT_EQ(param_values(g, g.nodes[3], "constant"), (std::vector<double>{0.1f, 0.2f, 0.3f, 0.4f}));
  EXPECT_EQ(g.nodes[4].attr_str("op"), "add");
  EXPECT_EQ(g.nodes[4].inputs, (std::vector<ir::TensorId>{g.nodes[1].outputs[0], g.nodes[3].outputs[0]}));
  EXPECT_EQ(g.outputs[0], g.nodes[4].outputs[0]);
}

TEST(OnnxActivation, PReluOnAMapPerChannelAndPerElementInTheHeldOrder) {
  // After a Conv the map is held channels-last [H, W, C]: a [C, 1, 1] slope is one per channel (the last axis).
  const auto g = load_text(R"(
    <ir_version: 8, opset_import: ["" : 11]>
    g (float[N,2,2,3] x) => (float[N,2,2,3] y) <float[2,2,1,1] w = {1.0, 0.0, 0.0, 1.0}, float[2,1,1] s = {0.5, -0.25}>
    { c = Conv(x, w)
      y = PRelu(c, s) })");
  ASSERT_EQ(g.nodes.size(), 6u);
  EXPECT_EQ(g.nodes[1].kind, OpKind::Conv);
  EXPECT_EQ(g.tensor(g.nodes[2].outputs[0]).shape, (ir::Shape{2, 3, 2}));
  EXPECT_EQ(param_values(g, g.nodes[4], "constant"), (std::vector<double>{0.5, -0.25}));
  // Per element [C, H, W] = [2, 2, 3]: the slopes permuted to [H, W, C].
  const auto e = load_text(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,2,2,3] x) => (float[N,2,2,3] y) <float[2,2,1,1] w = {1.0, 0.0, 0.0, 1.0},
      float[2,2,3] s = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}>
    { c = Conv(x, w)
      y = PRelu(c, s) })");
  ASSERT_EQ(e.nodes.size(), 6u);
  EXPECT_EQ(param_values(e, e.nodes[4], "constant"),
            (std::vector<double>{0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11}));
  EXPECT_EQ(e.tensor(e.nodes[4].param("constant")).shape, (ir::Shape{2, 3, 2}));
  // The result keeps the map's layout: the graph output is in the model's NCHW order.
  ASSERT_TRUE(e.tensor(e.outputs[0]).layout.has_value());
}

TEST(OnnxActivation, PReluSlopesThatDoNotBroadcastAreRefused) {
  EXPECT_NE(load_error(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x) => (float[N,4] y) <float[3] s = {0.1, 0.2, 0.3}> { y = PRelu(x, s) })")
                .find("node #0 (PRelu): slope of shape [3] does not broadcast to the data shape [1,4]"),
            std::string::npos);
  // A slope that would widen the data (unidirectional broadcasting only).
  EXPECT_NE(load_error(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,1] x) => (float[N,4] y) <float[4] s = {0.1, 0.2, 0.3, 0.4}> { y = PRelu(x, s) })")
                .find("does not broadcast to the data shape"),
            std::string::npos);
  const std::string data_slope = load_error(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,4] x, float[N,4] s) => (float[N,4] y) { y = PRelu(x, s) })");
  EXPECT_NE(data_slope.find("the slope (input 's') must be a constant"), std::string::npos) << data_slope;
}

}  // namespace
}  // namespace firmnet::test
