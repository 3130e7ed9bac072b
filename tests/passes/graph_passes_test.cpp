// Structural passes on hand-built graphs: remove_noops, fold_constants, fuse_dense_elementwise,
// fuse_batchnorm.
#include <gtest/gtest.h>

#include "passes/builder.h"
#include "passes/pass.h"

namespace firmnet::passes {
namespace {

using ir::OpKind;
using ir::TensorId;

using testing_support::Builder;

// Runs one pass of the default pipeline by name.
bool run_pass(ir::Graph& g, const std::string& name, const config::Config& cfg = {}) {
  std::vector<Warning> warnings;
  PassContext ctx{cfg, warnings};
  for (auto& p : default_pipeline())
    if (p->name() == name) {
      const bool changed = p->run(g, ctx);
      g.verify(false);
      return changed;
    }
  throw std::runtime_error("no pass " + name);
}

TEST(RemoveNoops, FlatConsumersAndLinearActivations) {
  Builder b;
  const TensorId x = b.input("x", {2, 8});
  const TensorId flat = b.node(OpKind::Reshape, "flatten", {x}, {16});
  const TensorId lin = b.act("lin", flat, "linear");
  const TensorId d = b.dense("fc1", lin, 16, 4, std::vector<double>(64, 0.1), {0, 0, 0, 0});
  const TensorId same = b.node(OpKind::Reshape, "same", {d}, {4});
  const TensorId r = b.node(OpKind::Reshape, "to2x2", {same}, {2, 2});
  const TensorId sm = b.node(OpKind::Softmax, "sm", {r}, {2, 2});  // softmax over the last axis: needs [2,2]
  b.g.outputs = {sm};
  EXPECT_TRUE(run_pass(b.g, "remove_noops"));
  EXPECT_FALSE(b.has("flatten"));
  EXPECT_FALSE(b.has("lin"));
  EXPECT_FALSE(b.has("same"));
  ASSERT_TRUE(b.has("to2x2"));
  EXPECT_EQ(b.g.nodes.size(), 4u);  // x, fc1, to2x2, sm
  EXPECT_EQ(b.g.tensor(b.find("fc1").inputs[0]).name, "x");
  EXPECT_EQ(b.g.tensor(b.find("to2x2").inputs[0]).name, "fc1_out");
  EXPECT_FALSE(run_pass(b.g, "remove_noops"));  // nothing left to do
}

TEST(RemoveNoops, KeepsOutputsTypedAndConfiguredNodes) {
  Builder b;
  const TensorId x = b.input("x", {4});
  const TensorId lin = b.act("typed_lin", x, "linear");
  b.g.tensor(lin).type = numeric::FixedType::parse("fixed<8,3>");  // the model quantizes here: a real cast
  const TensorId named = b.act("named_lin", lin, "linear");
  const TensorId out = b.act("out_lin", named, "linear");
  b.g.outputs = {out};
  config::Config cfg;
  cfg.layer_name["named_lin"].trace = true;
  EXPECT_FALSE(run_pass(b.g, "remove_noops", cfg));
  EXPECT_EQ(b.g.nodes.size(), 4u);
}

TEST(RemoveNoops, PerChannelConsumerNeedsTheSameLastAxis) {
  Builder b;
  const TensorId x = b.input("x", {6});
  const TensorId r1 = b.node(OpKind::Reshape, "r1", {x}, {2, 3});
  const TensorId e1 = b.eltwise("bias3", r1, "add", {1, 2, 3});  // per last axis (3): depends on the shape
  const TensorId r2 = b.node(OpKind::Reshape, "r2", {e1}, {1, 6});
  const TensorId e2 = b.eltwise("bias6", r2, "add", {1, 2, 3, 4, 5, 6});  // full size: flat
  b.g.outputs = {e2};
  EXPECT_TRUE(run_pass(b.g, "remove_noops"));
  EXPECT_TRUE(b.has("r1"));
  EXPECT_FALSE(b.has("r2"));
}

TEST(FoldConstants, ChainOfConstantElementwise) {
  Builder b;
  const TensorId x = b.input("x", {3});
  const TensorId c = b.constant("c", {3}, {1, 2, 3});
  const TensorId s = b.eltwise("c_plus", c, "add", {10});
  const TensorId m = b.eltwise("c_times", s, "mul", {2, 3, 4});
  const TensorId y = b.node(OpKind::Elementwise, "x_minus", {x, m}, {3}, {}, {{"op", std::string("sub")}});
  b.g.outputs = {y};
  EXPECT_TRUE(run_pass(b.g, "fold_constants"));
  EXPECT_EQ(b.g.nodes.size(), 2u);
  const ir::Tensor& folded = b.g.tensor(b.find("x_minus").inputs[1]);
  EXPECT_TRUE(folded.is_const());
  EXPECT_EQ(folded.values, (std::vector<double>{22, 36, 52}));
}

TEST(FuseDenseElementwise, MulThenAddFoldIntoWeightsAndBias) {
  Builder b;
  const TensorId x = b.input("x", {2});
  const TensorId d = b.dense("fc", x, 2, 2, {1, 2, 3, 4}, {0.5, -0.5});
  const TensorId m = b.eltwise("scale", d, "mul", {2, 3});
  const TensorId a = b.eltwise("shift", m, "add", {1});
  const TensorId s = b.eltwise("unshift", a, "sub", {0.25, 0.5});
  b.g.outputs = {s};
  EXPECT_TRUE(run_pass(b.g, "fuse_dense_elementwise"));
  ASSERT_EQ(b.g.nodes.size(), 2u);
  const ir::Node& fc = b.find("fc");
  EXPECT_EQ(b.g.tensor(fc.param("weight")).values, (std::vector<double>{2, 6, 6, 12}));
  EXPECT_EQ(b.g.tensor(fc.param("bias")).values, (std::vector<double>{1 + 1 - 0.25, -1.5 + 1 - 0.5}));
  EXPECT_EQ(b.g.tensor(fc.outputs[0]).name, "unshift_out");
  EXPECT_TRUE(b.g.is_output(fc.outputs[0]));
  EXPECT_EQ(fc.aliases, (std::vector<std::string>{"scale", "shift", "unshift"}));
}

TEST(FuseDenseElementwise, NotAcrossGraphOutputsOrTypedTensors) {
  Builder b;
  const TensorId x = b.input("x", {2});
  const TensorId d = b.dense("fc", x, 2, 2, {1, 2, 3, 4}, {0, 0});
  const TensorId m = b.eltwise("scale", d, "mul", {2, 3});
  b.g.outputs = {m, d};  // fc's output is also a graph output
  EXPECT_FALSE(run_pass(b.g, "fuse_dense_elementwise"));
  b.g.outputs = {m};
  b.g.tensor(d).type = numeric::FixedType::parse("fixed<8,4>");  // a quantized intermediate rounds
  EXPECT_FALSE(run_pass(b.g, "fuse_dense_elementwise"));
  EXPECT_EQ(b.g.nodes.size(), 3u);
}

TEST(FuseBatchNorm, FoldsScaleAndShift) {
  Builder b;
  const TensorId x = b.input("x", {2});
  const TensorId d = b.dense("fc", x, 2, 2, {1, 2, 3, 4}, {1, 1});
  const TensorId bn = b.node(OpKind::BatchNorm, "bn", {d}, {2},
                             {{"scale", b.constant("s", {2}, {2, 0.5})}, {"bias", b.constant("t", {2}, {0.25, -1})}});
  const TensorId r = b.act("relu", bn, "relu");
  b.g.outputs = {r};
  EXPECT_TRUE(run_pass(b.g, "fuse_batchnorm"));
  ASSERT_EQ(b.g.nodes.size(), 3u);
  const ir::Node& fc = b.find("fc");
  EXPECT_EQ(b.g.tensor(fc.param("weight")).values, (std::vector<double>{2, 1, 6, 2}));
  EXPECT_EQ(b.g.tensor(fc.param("bias")).values, (std::vector<double>{2.25, -0.5}));
  EXPECT_EQ(b.find("relu").inputs[0], fc.outputs[0]);
  EXPECT_EQ(fc.aliases, (std::vector<std::string>{"bn"}));
}

TEST(FuseBatchNorm, ChannelCountMustMatch) {
  Builder b;
  const TensorId x = b.input("x", {2});
  const TensorId d = b.dense("fc", x, 2, 4, std::vector<double>(8, 1.0), {0, 0, 0, 0});
  const TensorId r = b.node(OpKind::Reshape, "r", {d}, {2, 2});
  const TensorId bn = b.node(OpKind::BatchNorm, "bn", {r}, {2, 2},
                             {{"scale", b.constant("s", {2}, {2, 3})}, {"bias", b.constant("t", {2}, {0, 0})}});
  b.g.outputs = {bn};
  EXPECT_FALSE(run_pass(b.g, "fuse_batchnorm"));
}

}  // namespace
}  // namespace firmnet::passes
