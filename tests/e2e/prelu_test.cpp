// PReLU from ONNX (PRelu) and Keras (PReLU): one IR form (frontends/prelu.h). The float reference equals ONNX's
// definition y = x < 0 ? slope·x : x (computed here, independently of firmnet), the fixed-point emulator is
// within the result type's step of it, and the g++-compiled firmware equals the emulator bit for bit, for a
// slope per feature of a vector, per channel of a map held channels-last, per element, and one slope.
#include "frontends/onnx_test_util.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstring>
#include <filesystem>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "firmware_check.h"
#include "emulator/emulator.h"
#include "frontends/keras/keras_files.h"
#include "frontends/keras/keras_frontend.h"
#include "support/rng.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

driver::Compiled compile_onnx(const std::string& text, const std::string& cfg = "") {
  std::vector<Warning> w;
  ir::Graph g = frontends::load_onnx_bytes(test::onnx_bytes(text), "prelu.onnx", w);
  return driver::compile_graph(std::move(g), "frontend",
                               cfg.empty() ? config::Config::defaults() : config::Config::parse(cfg, "c.yml"));
}

std::vector<double> inputs(size_t n, uint64_t seed) {
  support::Rng rng{seed};
  std::vector<double> x(n);
  for (double& v : x) v = std::floor(std::clamp(3.0 * rng.normal(), -31.0, 31.0) * 1024.0) / 1024.0;  // exact in fixed<16,6>
  return x;
}

// The emulator against the float reference and ONNX's formula (slope(i): the slope of IR element i); then the
// firmware against the emulator, bit for bit.
void check(const driver::Compiled& c, const std::vector<double>& x, size_t batch, const std::function<double(size_t)>& slope,
           const std::string& label) {
  const size_t n = c.graph.tensor(c.graph.inputs[0]).size();
  const auto f = emulator::run_float(c.graph, {x}, batch).at(0);
  const auto r = emulator::Emulator(c.graph).run({x}, batch);
  ASSERT_EQ(f.size(), batch * n);
  double worst = 0;
  for (size_t s = 0; s < batch; ++s)
    for (size_t i = 0; i < n; ++i) {
      const double xi = x[s * n + i];
      const double want = xi < 0 ? static_cast<double>(static_cast<float>(slope(i))) * xi : xi;
      EXPECT_NEAR(f[s * n + i], want, 1e-12 * (1 + std::fabs(want))) << label << " sample " << s << " element " << i;
      worst = std::max(worst, std::fabs(r.outputs[0][s * n + i] - want));
    }
  EXPECT_LE(worst, 3.0 / 1024) << label << ": fixed point vs float";
  std::printf("[%s] %zu values: float reference = ONNX formula, max |fixed - float| %.3g\n", label.c_str(), batch * n,
              worst);
  if (!have_ap_types()) return;
  e2e::expect_firmware_equals_emulator(c, {x}, batch, label);
}

TEST(PRelu, OnnxPerFeatureAndScalarSlopesOnVectors) {
  const std::vector<double> s{0.25, -0.5, 0.125, 0.0, 1.5, 0.3};
  const auto c = compile_onnx(R"(
    <ir_version: 8, opset_import: ["" : 9]>
    g (float[N,6] x) => (float[N,6] y) <float[6] s = {0.25, -0.5, 0.125, 0.0, 1.5, 0.3}> { y = PRelu(x, s) })");
  const size_t batch = 200;
  check(c, inputs(batch * 6, 1), batch, [&](size_t i) { return s[i]; }, "onnx_per_feature");
  const auto one = compile_onnx(R"(
    <ir_version: 8, opset_import: ["" : 16]>
    g (float[N,6] x) => (float[N,6] y) <float s = {0.2}> { y = PRelu(x, s) })");
  check(one, inputs(batch * 6, 2), batch, [](size_t) { return 0.2; }, "onnx_scalar");
}

// A map held channels-last (a MaxPool of 1 makes the graph a map graph): a [C, 1, 1] slope is per channel, the
// last IR axis; a [C, H, W] slope per element, permuted into the held order. The test's inputs and outputs are
// in the IR order ([H, W, C]).
TEST(PRelu, OnnxPerChannelAndPerElementSlopesOnMaps) {
  const size_t batch = 120, C = 3, H = 2, W = 4, n = C * H * W;
  const std::vector<double> sc{0.5, -0.25, 0.1};
  const auto c = compile_onnx(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,3,2,4] x) => (float[N,3,2,4] y) <float[3,1,1] s = {0.5, -0.25, 0.1}>
    { p = MaxPool <kernel_shape = [1, 1]> (x)
      y = PRelu(p, s) })");
  ASSERT_EQ(c.graph.tensor(c.graph.outputs[0]).shape, (ir::Shape{2, 4, 3}));
  check(c, inputs(batch * n, 3), batch, [&](size_t i) { return sc[i % C]; }, "onnx_per_channel");
  std::string slopes;
  std::vector<double> se(n);
  for (size_t k = 0; k < n; ++k) {
    se[k] = 0.05 * static_cast<double>(k) - 0.4;
    slopes += (k ? ", " : "") + std::to_string(se[k]);
  }
  const auto e = compile_onnx(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,3,2,4] x) => (float[N,3,2,4] y) <float[3,2,4] s = {)" + slopes + R"(}>
    { p = MaxPool <kernel_shape = [1, 1]> (x)
      y = PRelu(p, s) })");
  // IR element (h, w, c) has the model's slope s[c][h][w].
  check(e, inputs(batch * n, 4), batch,
        [&](size_t i) { return se[(i % C) * H * W + (i / C)]; }, "onnx_per_element_map");
}

// Keras PReLU: alpha [H, W, C] with shared_axes [1, 2] ([1, 1, C]: per channel) and a full alpha; the same IR.
TEST(PRelu, KerasPerChannelAndPerElement) {
  const size_t batch = 100, H = 2, W = 3, C = 2, n = H * W * C;
  auto model = [&](const std::vector<int64_t>& ashape, std::vector<double> alpha) {
    frontends::keras::KerasFile f;
    f.where = "inline.json";
    nlohmann::json m = {{"class_name", "Sequential"}, {"config", {{"name", "s"}}}};
    nlohmann::json layers = nlohmann::json::array();
    layers.push_back({{"class_name", "InputLayer"},
                      {"config", {{"name", "in"}, {"batch_input_shape", nlohmann::json::array({nullptr, H, W, C})}}}});
    layers.push_back({{"class_name", "PReLU"}, {"config", {{"name", "act"}}}});
    m["config"]["layers"] = layers;
    f.model = m;
    f.has_weights = true;
    frontends::keras::Array a;
    a.shape = ashape;
    a.values = std::move(alpha);
    f.weights["act"] = {a};
    std::vector<Warning> w;
    return driver::compile_graph(frontends::load_keras_model(f, w), "frontend", config::Config::defaults());
  };
  const auto pc = model({1, 1, 2}, {0.25, -0.75});
  int elementwise = 0;
  for (const auto& nd : pc.graph.nodes) elementwise += nd.kind == ir::OpKind::Elementwise;
  EXPECT_EQ(elementwise, 3);
  check(pc, inputs(batch * n, 5), batch, [](size_t i) { return i % 2 ? -0.75 : 0.25; }, "keras_per_channel");
  std::vector<double> full(n);
  for (size_t k = 0; k < n; ++k) full[k] = static_cast<float>(0.1 * static_cast<double>(k) - 0.5);  // as in an .h5
  check(model({2, 3, 2}, full), inputs(batch * n, 6), batch, [&](size_t i) { return full[i]; }, "keras_per_element");
}

}  // namespace
