// ONNX opsets 1-6, as old PyTorch exports write them: an opset-6 MLP with BatchNormalization (is_test,
// spatial), Gemm and Add/Mul with the legacy broadcast/axis attributes, Unsqueeze/Squeeze around the
// BatchNorm, built here with the ONNX protobuf API. It converts, follows its float semantics, and the
// g++-compiled firmware equals the emulator bit for bit; what opset < 7 allows but firmnet does not compute
// (training mode, broadcasting without broadcast=1) is refused with a clear error.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "frontends/onnx/onnx_frontend.h"
#include "support/rng.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

struct Model {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  support::Rng rng{21};
  int counter = 0;
  explicit Model(int opset) {
    m.set_ir_version(3);
    m.add_opset_import()->set_version(opset);
    g = m.mutable_graph();
    g->set_name("torch_jit_export");
  }
  void io(onnx::ValueInfoProto* v, const std::string& name, int64_t n) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(n);
  }
  // Old PyTorch exports list every initializer as a graph input too.
  std::string init(const std::vector<int64_t>& dims, std::vector<float> v) {
    auto* t = g->add_initializer();
    t->set_name("param." + std::to_string(counter++));
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
    auto* in = g->add_input();
    in->set_name(t->name());
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
    return t->name();
  }
  std::vector<float> random(size_t n, double scale, double offset = 0) {
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(offset + scale * rng.normal());
    return v;
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const char* k, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_f(onnx::NodeProto* n, const char* k, float v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attr_ints(onnx::NodeProto* n, const char* k, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto x : v) a->add_ints(x);
  }
  std::string bytes() const { return m.SerializeAsString(); }
};

// x[1,16] -> Gemm(transB, broadcast) -> Unsqueeze(2) -> BatchNormalization(is_test, spatial) -> Squeeze(2)
// -> Relu -> Gemm -> Add(bias, broadcast, axis=1) -> Mul(scalar, broadcast) -> Softmax.
Model torch_opset6_mlp(int64_t bn_is_test = 1, int64_t add_broadcast = 1) {
  Model md(6);
  md.io(md.g->add_input(), "input.1", 16);
  const std::string w1 = md.init({32, 16}, md.random(32 * 16, 0.25)), b1 = md.init({32}, md.random(32, 0.1));
  auto* g1 = md.node("Gemm", {"input.1", w1, b1}, "7");
  Model::attr_f(g1, "alpha", 1);
  Model::attr_f(g1, "beta", 1);
  Model::attr_i(g1, "broadcast", 1);
  Model::attr_i(g1, "transB", 1);
  Model::attr_ints(md.node("Unsqueeze", {"7"}, "8"), "axes", {2});
  const std::string ga = md.init({32}, md.random(32, 0.2, 1.0)), be = md.init({32}, md.random(32, 0.1));
  const std::string mu = md.init({32}, md.random(32, 0.2));
  std::vector<float> var(32);
  for (auto& v : var) v = static_cast<float>(0.5 + md.rng.uniform());
  const std::string va = md.init({32}, var);
  auto* bn = md.node("BatchNormalization", {"8", ga, be, mu, va}, "9");
  Model::attr_f(bn, "epsilon", 1e-5f);
  Model::attr_i(bn, "is_test", bn_is_test);
  Model::attr_f(bn, "momentum", 0.9f);
  Model::attr_i(bn, "spatial", 1);
  Model::attr_ints(md.node("Squeeze", {"9"}, "10"), "axes", {2});
  md.node("Relu", {"10"}, "11");
  md.node("MatMul", {"11", md.init({32, 5}, md.random(32 * 5, 0.25))}, "12");
  auto* add = md.node("Add", {"12", md.init({5}, md.random(5, 0.1))}, "13");
  Model::attr_i(add, "broadcast", add_broadcast);
  Model::attr_i(add, "axis", 1);
  auto* mul = md.node("Mul", {"13", md.init({1}, {0.5f})}, "14");
  Model::attr_i(mul, "broadcast", 1);
  Model::attr_i(md.node("Softmax", {"14"}, "15"), "axis", 1);
  md.io(md.g->add_output(), "15", 5);
  return md;
}

std::string write(const Model& md, const std::string& name) {
  fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_models";
  fs::create_directories(dir);
  const std::string p = (dir / (name + ".onnx")).string();
  std::ofstream(p, std::ios::binary) << md.bytes();
  return p;
}

std::string load_error(const Model& md) {
  std::vector<Warning> w;
  try {
    frontends::load_onnx_bytes(md.bytes(), "legacy.onnx", w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LegacyOpset, PyTorchOpset6MlpWithBatchNormConvertsAndFirmwareIsBitExact) {
  const Model md = torch_opset6_mlp();
  config::Config cfg = config::Config::defaults();
  cfg.project_name = "prj";
  const auto c = driver::compile(write(md, "torch_opset6_mlp"), cfg);
  // Gemm + BatchNorm fused into one Dense; MatMul + Add one Dense; the Mul a Dense-fused scaling.
  int dense = 0, softmax = 0, batchnorm = 0;
  for (const auto& n : c.graph.nodes) {
    dense += n.kind == ir::OpKind::Dense;
    softmax += n.kind == ir::OpKind::Softmax;
    batchnorm += n.kind == ir::OpKind::BatchNorm;
  }
  EXPECT_EQ(dense, 2);
  EXPECT_EQ(softmax, 1);
  EXPECT_EQ(batchnorm, 0);

  const size_t batch = 400;
  support::Rng rng{4};
  std::vector<double> x(batch * 16);
  for (double& v : x) v = 1.5 * rng.normal();
  emulator::Emulator emu(c.graph);
  const auto r = emu.run({x}, batch);
  // The float semantics of the opset-6 graph, written out here: BN(x) = (x - mean) / sqrt(var + eps) * g + b.
  const auto f = emulator::run_float(c.graph, {x}, batch);
  double worst = 0;
  size_t argmax_agree = 0;
  for (size_t s = 0; s < batch; ++s) {
    size_t a = 0, b = 0;
    for (size_t j = 0; j < 5; ++j) {
      worst = std::max(worst, std::fabs(r.outputs[0][s * 5 + j] - f[0][s * 5 + j]));
      if (r.outputs[0][s * 5 + j] > r.outputs[0][s * 5 + a]) a = j;
      if (f[0][s * 5 + j] > f[0][s * 5 + b]) b = j;
    }
    argmax_agree += a == b;
  }
  EXPECT_LE(worst, 0.02);
  EXPECT_GE(argmax_agree, batch - 4);
  std::printf("[ opset 6  ] %zu samples: max |fixed - float| %.4g, arg-max agreement %zu/%zu\n", batch, worst,
              argmax_agree, batch);

  // An independent float evaluation of the ONNX graph itself (not of firmnet's IR).
  {
    const auto& G = md.m.graph();
    std::map<std::string, std::vector<double>> init;
    for (const auto& t : G.initializer()) init[t.name()] = std::vector<double>(t.float_data().begin(), t.float_data().end());
    const auto& W1 = init[G.node(0).input(1)];
    const auto& B1 = init[G.node(0).input(2)];
    const auto& GA = init[G.node(2).input(1)];
    const auto& BE = init[G.node(2).input(2)];
    const auto& MU = init[G.node(2).input(3)];
    const auto& VA = init[G.node(2).input(4)];
    const auto& W2 = init[G.node(5).input(1)];
    const auto& B2 = init[G.node(6).input(1)];
    double worst_onnx = 0;
    for (size_t s = 0; s < batch; ++s) {
      std::vector<double> h(32), y(5);
      for (int j = 0; j < 32; ++j) {
        double a = B1[static_cast<size_t>(j)];
        for (int i = 0; i < 16; ++i) a += x[s * 16 + static_cast<size_t>(i)] * W1[static_cast<size_t>(j * 16 + i)];
        a = (a - MU[static_cast<size_t>(j)]) / std::sqrt(VA[static_cast<size_t>(j)] + 1e-5f) * GA[static_cast<size_t>(j)] + BE[static_cast<size_t>(j)];
        h[static_cast<size_t>(j)] = std::max(a, 0.0);
      }
      double mx = -1e300, sum = 0;
      for (int j = 0; j < 5; ++j) {
        double a = B2[static_cast<size_t>(j)];
        for (int i = 0; i < 32; ++i) a += h[static_cast<size_t>(i)] * W2[static_cast<size_t>(i * 5 + j)];
        y[static_cast<size_t>(j)] = 0.5 * a;
        mx = std::max(mx, y[static_cast<size_t>(j)]);
      }
      for (double& v : y) sum += (v = std::exp(v - mx));
      for (int j = 0; j < 5; ++j) worst_onnx = std::max(worst_onnx, std::fabs(y[static_cast<size_t>(j)] / sum - r.outputs[0][s * 5 + static_cast<size_t>(j)]));
    }
    EXPECT_LE(worst_onnx, 0.02);
  }

  const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / "torch_opset6_mlp";
  backends::TestVectors tv{batch, {x}, r.outputs};
  backends::write_vitis_project(c.graph, c.config, dir, &tv);
  backends::CsimOptions co;
  co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto fw = backends::run_csim(dir, {x}, batch, co);
  ASSERT_EQ(fw.size(), 1u);
  ASSERT_EQ(fw[0].size(), r.outputs[0].size());
  size_t mismatches = 0;
  for (size_t i = 0; i < fw[0].size(); ++i) mismatches += std::memcmp(&fw[0][i], &r.outputs[0][i], sizeof(double)) != 0;
  EXPECT_EQ(mismatches, 0u);
  std::printf("[ firmware ] torch_opset6_mlp: %zu output values, %zu mismatches\n", fw[0].size(), mismatches);
}

TEST(LegacyOpset, TrainingModeAndBroadcastWithoutTheAttributeAreRefused) {
  const std::string bn = load_error(torch_opset6_mlp(0, 1));
  EXPECT_NE(bn.find("is_test=0"), std::string::npos) << bn;
  EXPECT_NE(bn.find("model.eval()"), std::string::npos) << bn;
  const std::string add = load_error(torch_opset6_mlp(1, 0));
  EXPECT_NE(add.find("broadcast"), std::string::npos) << add;
  EXPECT_NE(add.find("opset < 7"), std::string::npos) << add;
}

TEST(LegacyOpset, ReshapeWithAShapeAttributeAndConcatDefaultAxis) {
  Model md(3);
  md.io(md.g->add_input(), "x", 6);
  Model::attr_ints(md.node("Reshape", {"x"}, "r"), "shape", {1, 2, 3});
  md.node("Concat", {"r", "r"}, "c");  // opset < 4: axis defaults to 1
  Model::attr_ints(md.node("Reshape", {"c"}, "y"), "shape", {1, 12});
  md.io(md.g->add_output(), "y", 12);
  std::vector<Warning> w;
  const ir::Graph g = frontends::load_onnx_bytes(md.bytes(), "legacy.onnx", w);
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (ir::Shape{12}));
  bool concat = false;
  for (const auto& n : g.nodes)
    if (n.kind == ir::OpKind::Concat) {
      concat = true;
      EXPECT_EQ(g.tensor(n.outputs[0]).shape, (ir::Shape{4, 3}));
    }
  EXPECT_TRUE(concat);
}

}  // namespace
