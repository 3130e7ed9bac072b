// Flatten, Reshape, Transpose, Concat, Identity/Dropout, Constant, and node naming.
#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {
using ir::OpKind;

const char* kHeader = "<ir_version: 8, opset_import: [\"\" : 13]>\n";

TEST(OnnxShape, FlattenEmitsReshapeOnlyWhenTheShapeChanges) {
  auto g = load_text(std::string(kHeader) + "g (float[N,2,3] x) => (float[N,6] y) { y = Flatten(x) }");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Reshape}));
  EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{6}));
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (ir::Shape{2, 3}));

  auto alias = load_text(std::string(kHeader) + "g (float[N,6] x) => (float[N,6] y) { y = Flatten(x) }");
  EXPECT_EQ(kinds(alias), (std::vector<OpKind>{OpKind::Input}));
  EXPECT_EQ(alias.outputs, alias.inputs);
  EXPECT_NE(load_error(std::string(kHeader) + "g (float[N,2,3] x) => (float[6] y) { y = Flatten <axis = 2> (x) }")
                .find("Flatten with axis=2 is not supported"),
            std::string::npos);
}

TEST(OnnxShape, ReshapeResolvesMinusOneAndZero) {
  auto g = load_text(std::string(kHeader) + R"(g (float[N,6] x) => (float[N,2,3] y, float[N,3,2] z)
      <int64[3] s1 = {-1, 2, 3}, int64[3] s2 = {0, 3, -1}>
      { y = Reshape(x, s1)
        z = Reshape(x, s2) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Reshape, OpKind::Reshape}));
  EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{2, 3}));
  EXPECT_EQ(g.tensor(g.nodes[2].outputs[0]).shape, (ir::Shape{3, 2}));

  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,6] x) => (float[6] y) <int64[1] s = {6}>
      { y = Reshape(x, s) })").find("the target shape [6] does not keep the batch dimension first"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,6] x) => (float[N,6] y) <int64[2] s = {-1, -1}>
      { y = Reshape(x, s) })").find("more than one -1"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,6] x) => (float[N,4] y) <int64[2] s = {1, 4}>
      { y = Reshape(x, s) })").find("cannot reshape [1,6] (6 elements per sample) to [1,4]"),
            std::string::npos);
}

TEST(OnnxShape, TransposeOnlyWhenTheDataDoesNotMove) {
  // [N,4,1] -> [N,1,4]: the non-1 dims keep their order: a Reshape of the per-sample shape.
  auto g = load_text(std::string(kHeader) +
                     "g (float[N,4,1] x) => (float[N,1,4] y) { y = Transpose <perm = [0, 2, 1]> (x) }");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Reshape}));
  EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{1, 4}));
  // [1,4] -> [4,1] (default perm reverses) moves the batch axis but not the data: an alias, and then
  // Relu on it and back keeps shape [4].
  auto keras = load_text(std::string(kHeader) + R"(g (float[N,4] x) => (float[N,4] y)
      { t = Transpose(x)
        r = Relu(t)
        y = Transpose(r) })");
  ASSERT_EQ(kinds(keras), (std::vector<OpKind>{OpKind::Input, OpKind::Activation}));
  EXPECT_EQ(keras.tensor(keras.outputs[0]).shape, (ir::Shape{4}));
  // A transpose that moves data is a change of layout: no data moves in the IR; the output is held in the
  // input's order and predict/csim give it in the model's ([3,2] = transpose of the held [2,3]).
  auto moved = load_text(std::string(kHeader) +
                         "g (float[N,2,3] x) => (float[N,3,2] y) { y = Transpose <perm = [0, 2, 1]> (x) }");
  ASSERT_EQ(kinds(moved), (std::vector<OpKind>{OpKind::Input}));
  ASSERT_TRUE(moved.tensor(moved.outputs[0]).layout.has_value());
  EXPECT_EQ(*moved.tensor(moved.outputs[0]).layout, (ir::ModelLayout{{2, 3}, {1, 0}, {3, 2}}));
  EXPECT_EQ(moved.tensor(moved.outputs[0]).layout->model_index(), (std::vector<int64_t>{0, 2, 4, 1, 3, 5}));
  // An op that needs the model's order (Softmax over the last axis) gets one IR Transpose.
  auto softmax = load_text(std::string(kHeader) + R"(g (float[N,2,3] x) => (float[N,3,2] y)
      { t = Transpose <perm = [0, 2, 1]> (x)
        y = Softmax <axis = -1> (t) })");
  ASSERT_EQ(kinds(softmax), (std::vector<OpKind>{OpKind::Input, OpKind::Transpose, OpKind::Softmax}));
  EXPECT_EQ(softmax.nodes[1].attr_ints("perm"), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(softmax.tensor(softmax.nodes[1].outputs[0]).shape, (ir::Shape{3, 2}));
  EXPECT_FALSE(softmax.tensor(softmax.outputs[0]).layout.has_value());
  EXPECT_NE(load_error(std::string(kHeader) +
                       "g (float[N,2,3] x) => (float[N,3,2] y) { y = Transpose <perm = [0, 2, 2]> (x) }")
                .find("perm [0,2,2] is not a permutation of the 3 axes"),
            std::string::npos);
}

TEST(OnnxShape, ConcatAxisIsPerSample) {
  auto g = load_text(std::string(kHeader) + R"(g (float[N,2] a, float[N,3] b) => (float[N,5] y, float[N,5] z)
      { y = Concat <axis = 1> (a, b)
        z = Concat <axis = -1> (a, b) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Input, OpKind::Concat, OpKind::Concat}));
  EXPECT_EQ(g.inputs.size(), 2u);
  EXPECT_EQ(g.nodes[2].attr_int("axis"), 0);
  EXPECT_EQ(g.nodes[2].inputs, g.inputs);
  EXPECT_EQ(g.tensor(g.nodes[2].outputs[0]).shape, (ir::Shape{5}));
  EXPECT_EQ(g.nodes[3].attr_int("axis"), 0);
  EXPECT_NE(load_error(std::string(kHeader) + R"(g (float[N,2] a) => (float[N,4] y) <float[1,2] c = {1, 2}>
      { y = Concat <axis = 1> (a, c) })").find("input 1 (input 'c') is a constant"),
            std::string::npos);
}

TEST(OnnxShape, IdentityDropoutAndConstant) {
  std::vector<Warning> w;
  auto g = load_text(std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y)
      { a = Identity(x)
        b, mask = Dropout(a)
        c = Constant <value = float[2] {3, 4}> ()
        y = Mul(b, c) })",
                     &w);
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Elementwise}));
  EXPECT_EQ(g.nodes[1].inputs, g.inputs);
  EXPECT_EQ(param_values(g, g.nodes[1], "constant"), (std::vector<double>{3, 4}));
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].str(), "node #1 (Dropout): the dropout mask output 'mask' is not computed (inference mode)");
}

TEST(OnnxShape, NodeNamesAreLegalUniqueIdentifiers) {
  // Names are set on the proto directly: the textual syntax has no node names in ONNX 1.12.
  onnx::ModelProto m;
  ASSERT_TRUE(onnx::OnnxParser::Parse(m, (std::string(kHeader) + R"(g (float[N,2] x) => (float[N,2] y)
      { a = Relu(x)
        b = Relu(a)
        c = Relu(b)
        d = Relu(c)
        y = Relu(d) })").c_str()).IsOK());
  const char* names[] = {"/fc1/Relu", "1st layer", "int", "/fc1/Relu", "__"};
  for (int i = 0; i < 5; ++i) m.mutable_graph()->mutable_node(i)->set_name(names[i]);
  std::vector<Warning> w;
  auto named = frontends::load_onnx_bytes(m.SerializeAsString(), "names.onnx", w);
  std::vector<std::string> got;
  for (const auto& n : named.nodes) got.push_back(n.name);
  EXPECT_EQ(got, (std::vector<std::string>{"x", "fc1_Relu", "layer_1st_layer", "layer_int", "fc1_Relu_2", "Relu_4"}));
  EXPECT_EQ(named.nodes[4].aliases, (std::vector<std::string>{"/fc1/Relu"}));
  EXPECT_EQ(named.nodes[4].source, "Relu '/fc1/Relu'");
  EXPECT_EQ(named.nodes[5].aliases, (std::vector<std::string>{"__"}));
}

}  // namespace
}  // namespace firmnet::test

namespace firmnet::test {
namespace {

// torch's x.view(x.size(0), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds to a plain Reshape.
TEST(OnnxShape, TorchViewShapeChainFolds) {
  const auto g = load_text(std::string("<ir_version: 8, opset_import: [\"\" : 13]>\n") + R"(g (float[N,2,3] x) => (float[N,6] y)
      <int64 i0 = {0}, int64[1] ax = {0}, int64[1] m1 = {-1}>
      { s = Shape(x)
        b = Gather <axis = 0> (s, i0)
        u = Unsqueeze(b, ax)
        c = Concat <axis = 0> (u, m1)
        y = Reshape(x, c) })");
  ASSERT_EQ(kinds(g), (std::vector<ir::OpKind>{ir::OpKind::Input, ir::OpKind::Reshape}));
  EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{6}));
  // A Gather of data is refused by name.
  EXPECT_NE(load_error(std::string("<ir_version: 8, opset_import: [\"\" : 13]>\n") + R"(g (float[N,4] x) => (float[N,2] y)
      <int64[2] i = {0, 1}> { y = Gather <axis = 1> (x, i) })").find("Gather of data (not of a constant or a shape) is not supported"),
            std::string::npos);
}

}  // namespace
}  // namespace firmnet::test
