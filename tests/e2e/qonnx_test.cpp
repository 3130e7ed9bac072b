// Quantized models end to end (docs/NUMERICS.md "Quantized models (QONNX, FINN)"): the FINN-streamlined
// MNIST MLP and the QONNX binary layer from ../shared/models, and QONNX models built here (per-channel
// scales, zero points, bipolar weights and activations, rounding modes without an ap_fixed equivalent).
// For each: convert, emulate, check against the model's own semantics (FINN's classes; qonnx's quant()
// evaluated here), then compile the generated project with g++ and ap_types and require firmware ==
// emulator bit for bit.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "frontends/onnx/qonnx_quant.h"
#include "support/data_io.h"
#include "support/rng.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const std::string kShared = FIRMNET_SHARED_MODELS;

// Writes a model given in OnnxParser text; nodes named Quant/BipolarQuant/Trunc/MultiThreshold get the
// QONNX domain (the 1.12 text syntax has no domain-qualified ops).
std::string write_text_model(const std::string& name, const std::string& text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text.c_str());
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.op_type() == "Quant" || n.op_type() == "BipolarQuant" || n.op_type() == "Trunc")
      n.set_domain("qonnx.custom_op.general");
  auto* op = m.add_opset_import();
  op->set_domain("qonnx.custom_op.general");
  op->set_version(1);
  fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_models";
  fs::create_directories(dir);
  const std::string p = (dir / (name + ".onnx")).string();
  std::ofstream(p, std::ios::binary) << m.SerializeAsString();
  return p;
}

// Emulates `x` and compiles + runs the firmware on it; returns the emulator outputs after asserting that
// the firmware agrees bit for bit.
std::vector<std::vector<double>> emulate_and_check_firmware(const driver::Compiled& c, const std::string& label,
                                                            const std::vector<double>& x, size_t batch) {
  emulator::Emulator emu(c.graph);
  auto r = emu.run({x}, batch);
  const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / label;
  backends::TestVectors tv{batch, {x}, r.outputs};
  backends::write_vitis_project(c.graph, c.config, dir, &tv);
  backends::CsimOptions co;
  co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto fw = backends::run_csim(dir, {x}, batch, co);
  EXPECT_EQ(fw.size(), r.outputs.size());
  for (size_t k = 0; k < fw.size() && k < r.outputs.size(); ++k) {
    EXPECT_EQ(fw[k].size(), r.outputs[k].size());
    size_t mismatches = 0, first = 0;
    for (size_t i = 0; i < fw[k].size(); ++i)
      if (std::memcmp(&fw[k][i], &r.outputs[k][i], sizeof(double)) != 0 && mismatches++ == 0) first = i;
    EXPECT_EQ(mismatches, 0u) << label << ": output " << k << " first mismatch at " << first << ": firmware "
                              << fw[k][first] << " vs emulator " << r.outputs[k][first];
  }
  return r.outputs;
}

config::Config named_config() {
  config::Config cfg = config::Config::defaults();
  cfg.project_name = "prj";
  return cfg;
}

TEST(Finn, TfcMnistStreamlinedGivesFinnsClassesAndFirmwareIsBitExact) {
  const std::string model = kShared + "/finn/tfc_mnist_streamlined.onnx";
  if (!fs::exists(model)) GTEST_SKIP() << model << " not found (../shared/models is absent)";
  const auto c = driver::compile(model, named_config());
  const ir::Graph& g = c.graph;
  // The UINT8 annotation types the input; the scalings and batch norms went into the thresholds: four
  // MultiThresholds on integer data, bipolar Dense layers with small integer accumulators.
  EXPECT_EQ(g.tensor(g.inputs[0]).type->str(), "ufixed<8,8,RND_CONV,SAT>");
  EXPECT_EQ(g.tensor(g.inputs[0]).origin, "FINN annotation UINT8");
  int mts = 0, batchnorms = 0, integer_dense = 0;
  for (const auto& n : g.nodes) {
    mts += n.kind == ir::OpKind::MultiThreshold;
    batchnorms += n.kind == ir::OpKind::BatchNorm;
    const auto cons = n.outputs.empty() ? std::vector<int>{} : g.consumers(n.outputs[0]);
    if (n.kind == ir::OpKind::Dense && cons.size() == 1 && g.nodes[static_cast<size_t>(cons[0])].kind == ir::OpKind::MultiThreshold) {
      EXPECT_EQ(g.tensor(n.param("weight")).type->str(), "fixed<2,2,RND_CONV,SAT>") << n.name;
      EXPECT_LE(n.types.at("accum").width, 12) << n.name;  // |sum| <= 784 for the first layer
      EXPECT_EQ(n.types.at("accum").frac(), 0) << n.name;
      ++integer_dense;
    }
    if (n.kind == ir::OpKind::MultiThreshold) {
      EXPECT_EQ(g.tensor(n.outputs[0]).type->str(), "fixed<2,2>") << n.name;  // levels -1, +1
    }
  }
  EXPECT_EQ(mts, 4);
  EXPECT_EQ(integer_dense, 3);
  EXPECT_EQ(batchnorms, 0);
  // The first threshold: x/255*2 - 1 >= 0  <=>  x >= 127.5  <=>  raw >= 128 on the ufixed<8,8> grid.
  const ir::Node& mt0 = *std::find_if(g.nodes.begin(), g.nodes.end(),
                                      [](const ir::Node& n) { return n.kind == ir::OpKind::MultiThreshold; });
  EXPECT_EQ(g.tensor(mt0.param("thresholds")).raw, (std::vector<int64_t>{128}));

  const auto in = support::read_npy(kShared + "/finn/tfc_mnist_input.npy");
  const auto expected = support::read_npy(kShared + "/finn/tfc_mnist_expected_top1.npy");
  size_t batch = 0;
  const auto inputs = driver::inputs_from_arrays(g, {in}, batch);
  ASSERT_EQ(batch, 4u);
  // The 4 images, then 300 random ones: one firmware build (784x64 weights take a while to compile).
  std::vector<double> x = inputs[0];
  support::Rng rng{5};
  for (int i = 0; i < 300 * 784; ++i) x.push_back(std::floor(256 * rng.uniform()));
  const auto out = emulate_and_check_firmware(c, "finn_tfc", x, batch + 300);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::vector<double>(out[0].begin(), out[0].begin() + 4), expected.data);  // exactly FINN's classes
}

TEST(Qonnx, BnnOneLayerMatchesBipolarSemanticsAndFirmware) {
  const std::string model = kShared + "/onnx/bnn_model_fc_1layer.onnx";
  if (!fs::exists(model)) GTEST_SKIP() << model << " not found (../shared/models is absent)";
  const auto c = driver::compile(model, named_config());
  const ir::Graph& g = c.graph;
  const ir::Node& dense = *std::find_if(g.nodes.begin(), g.nodes.end(), [](const ir::Node& n) { return n.kind == ir::OpKind::Dense; });
  EXPECT_EQ(g.tensor(dense.param("weight")).type->str(), "fixed<2,2,RND_CONV,SAT>");
  EXPECT_EQ(g.tensor(dense.param("bias")).type->str(), "fixed<4,4,RND_CONV,SAT>");
  EXPECT_EQ(g.tensor(dense.param("bias")).origin.rfind("QONNX Quant(bits=4, scale=2^0, signed, ROUND)", 0), 0u)
      << g.tensor(dense.param("bias")).origin;
  EXPECT_EQ(dense.types.at("accum").str(), "fixed<4,4>");  // 3 products of +-1 plus a bias in [-4, 2]

  // The model: y = sign(W sign(x) + b) with W (4x3, transB) and b = {2, 2, -1, -4} from the file.
  const double W[4][3] = {{-1, 1, -1}, {-1, -1, 1}, {-1, -1, -1}, {1, -1, -1}};
  const double b[4] = {2, 2, -1, -4};
  support::Rng rng{3};
  const size_t batch = 500;
  std::vector<double> x(batch * 3);
  for (double& v : x) v = 2 * rng.normal();
  for (size_t i = 0; i < 12; ++i) x[i] = i % 3 == 0 ? 0.0 : -0.0;  // x = 0 is +1 (x >= 0)
  const auto out = emulate_and_check_firmware(c, "bnn_fc_1layer", x, batch);
  for (size_t s = 0; s < batch; ++s)
    for (int j = 0; j < 4; ++j) {
      double acc = b[j];
      for (int i = 0; i < 3; ++i) acc += W[j][i] * (x[s * 3 + i] >= 0 ? 1 : -1);
      ASSERT_EQ(out[0][s * 4 + j], acc >= 0 ? 1.0 : -1.0) << "sample " << s << " output " << j;
    }
}

// A QONNX MLP exercising every activation-quantizer path, checked against qonnx's quant() element by element.
TEST(Qonnx, BuiltModelsFollowQuantSemanticsAndFirmwareIsBitExact) {
  const std::string text = R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[N,4] x) => (float[N,4] y1, float[N,4] y2, float[N,4] y3, float[N,3] y4, float[N,4] y5)
{
  s_in = Constant <value = float {0.125}> ()
  z0 = Constant <value = float {0}> ()
  b4 = Constant <value = float {4}> ()
  b3 = Constant <value = float {3}> ()
  b2 = Constant <value = float {2}> ()
  s_ch = Constant <value = float[4] {0.1, 0.25, 0.3, 0.07}> ()
  z_ch = Constant <value = float[4] {1, -2, 0, 3}> ()
  s_w = Constant <value = float {0.5}> ()
  w = Constant <value = float[4,3] {0.9, -1.2, 0.3, 0.1, 0.6, -0.7, -0.4, 0.2, 1.4, 0.8, -0.1, -0.5}> ()
  xq = Quant <signed = 1, narrow = 0, rounding_mode = "ROUND"> (x, s_in, z0, b4)
  y1 = Quant <signed = 1, narrow = 0, rounding_mode = "HALF_EVEN"> (x, s_ch, z_ch, b4)
  y2 = Quant <signed = 0, narrow = 1, rounding_mode = "CEIL"> (x, s_in, z0, b3)
  y3 = Quant <signed = 1, narrow = 1, rounding_mode = "UP"> (x, s_ch, z0, b3)
  wq = BipolarQuant (w, s_w)
  h = MatMul (xq, wq)
  y4 = BipolarQuant (h, s_w)
  y5 = Quant <signed = 1, narrow = 1, rounding_mode = "HALF_UP"> (x, s_in, z0, b2)
}
)";
  const auto c = driver::compile(write_text_model("qonnx_paths", text), named_config());
  const ir::Graph& g = c.graph;
  support::Rng rng{9};
  const size_t batch = 400;
  std::vector<double> x(batch * 4);
  for (double& v : x) v = 1.2 * rng.normal();
  // Exact ties and boundaries on the input grid: multiples of 1/16, 0.05, 0.125, -0.35 (0.1*(-2.5 - 1)).
  const double ties[] = {0.0625, -0.0625, 0.1875, 0.5, -0.5, 0.3125, -0.1875, 0.0};
  for (size_t i = 0; i < 64; ++i) x[i] = ties[i % 8] * static_cast<double>(1 + i / 8);
  const auto out = emulate_and_check_firmware(c, "qonnx_paths", x, batch);
  ASSERT_EQ(out.size(), 5u);

  // The input is cast to its type first (fixed<16,6,RND_CONV,SAT>, 10 fractional bits): the reference
  // quantizes that value, exactly as the firmware sees it.
  const auto in_type = *g.tensor(g.inputs[0]).type;
  const auto xin = [&](size_t i) { return in_type.to_double(numeric::quantize_double(x[i], in_type).raw); };
  using frontends::qonnx::IntQuantSpec;
  using frontends::qonnx::RoundingMode;
  const double s_ch[4] = {0.1f, 0.25f, 0.3f, 0.07f}, z_ch[4] = {1, -2, 0, 3};
  const IntQuantSpec q1{4, true, false, RoundingMode::HALF_EVEN}, q2{3, false, true, RoundingMode::CEIL},
      q3{3, true, true, RoundingMode::UP}, q5{2, true, true, RoundingMode::HALF_UP}, q_in{4, true, false, RoundingMode::ROUND};
  const double w[4][3] = {{0.9, -1.2, 0.3}, {0.1, 0.6, -0.7}, {-0.4, 0.2, 1.4}, {0.8, -0.1, -0.5}};
  size_t checked = 0;
  for (size_t s = 0; s < batch; ++s) {
    for (size_t c4 = 0; c4 < 4; ++c4) {
      const double v = xin(s * 4 + c4);
      using frontends::qonnx::quant;
      ASSERT_EQ(out[0][s * 4 + c4], quant(v, s_ch[c4], z_ch[c4], q1)) << "y1 sample " << s << " channel " << c4 << " x " << v;
      ASSERT_EQ(out[1][s * 4 + c4], quant(v, 0.125, 0, q2)) << "y2 sample " << s << " x " << v;
      ASSERT_EQ(out[2][s * 4 + c4], quant(v, s_ch[c4], 0, q3)) << "y3 sample " << s << " x " << v;
      ASSERT_EQ(out[4][s * 4 + c4], quant(v, 0.125, 0, q5)) << "y5 sample " << s << " x " << v;
      checked += 4;
    }
    for (int j = 0; j < 3; ++j) {
      double h = 0;
      for (int i = 0; i < 4; ++i)
        h += frontends::qonnx::quant(xin(s * 4 + static_cast<size_t>(i)), 0.125, 0, q_in) * (w[i][j] >= 0 ? 0.5 : -0.5);
      ASSERT_EQ(out[3][s * 3 + static_cast<size_t>(j)], h >= 0 ? 0.5 : -0.5) << "y4 sample " << s;
      ++checked;
    }
  }
  EXPECT_EQ(checked, batch * 19);
}

}  // namespace
