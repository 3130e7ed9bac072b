// The convolutional models of ../shared/models/onnx and ../shared/models/qonnx (third-party exports with no
// reference outputs): each converts, and at the default types the emulator follows the float reference —
// exactly where the model quantizes its data itself (QONNX), closely elsewhere.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "driver/driver.h"
#include "emulator/emulator.h"
#include "support/rng.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const fs::path kModels = fs::path(FIRMNET_SHARED_MODELS);

struct Model {
  const char* path;
  // Emulator at the default types vs the float reference. The channels-last QONNX models quantize every
  // tensor with power-of-two scales: measured 0 (exact). espcn_nn_resize_quant's float scales become
  // thresholds on exact boundaries while its float reference divides in double: measured 6.1e-3.
  double max_mean_rel_err;
};

// The values of a graph's inputs: uniform over [-0.5, 1.5) (within every input type), optionally snapped to
// each input type's grid (so that the emulator and the float reference see the same numbers).
std::vector<std::vector<double>> random_inputs(const ir::Graph& g, size_t batch, bool on_grid) {
  support::Rng rng{42};
  std::vector<std::vector<double>> in;
  for (ir::TensorId id : g.inputs) {
    const double lsb = g.tensor(id).type->lsb();
    std::vector<double> v(static_cast<size_t>(g.tensor(id).size()) * batch);
    for (double& x : v) {
      x = rng.uniform() * 2.0 - 0.5;
      if (on_grid) x = std::round(x / lsb) * lsb;
    }
    in.push_back(std::move(v));
  }
  return in;
}

TEST(SharedConvModels, ConvertAndEmulateCloseToTheFloatReference) {
  if (!fs::exists(kModels / "qonnx")) GTEST_SKIP() << "../shared/models is absent";
  const Model models[] = {
      {"qonnx/mnist_conv_float.onnx", 1e-3},         {"qonnx/residual_block_float.onnx", 1e-3},
      {"qonnx/espcn_nn_resize_float.onnx", 1e-3},    {"qonnx/espcn_nn_resize_quant.onnx", 1e-2},
      {"qonnx/eltwise_chanlast_quant.onnx", 1e-3},   {"onnx/separable_conv_model_ch_last.onnx", 0.0},
      {"onnx/branched_model_ch_last.onnx", 0.0},     {"onnx/tiny_unet_ch_last.onnx", 0.0},
      {"onnx/conv1d_small_keras.onnx", 1e-3},        {"onnx/conv2d_small_keras.onnx", 1e-3},
  };
  for (const Model& m : models) {
    SCOPED_TRACE(m.path);
    const auto c = driver::compile((kModels / m.path).string(), config::Config::defaults());
    const size_t batch = 1;
    const auto in = random_inputs(c.graph, batch, false);
    const auto f = emulator::run_float(c.graph, in, batch);
    const auto e = emulator::Emulator(c.graph).run(in, batch);
    double err = 0, mag = 0;
    for (size_t o = 0; o < f.size(); ++o)
      for (size_t i = 0; i < f[o].size(); ++i)
        err += std::fabs(e.outputs[o][i] - f[o][i]), mag += std::fabs(f[o][i]);
    ASSERT_GT(mag, 0.0) << "all outputs are 0";
    EXPECT_LE(err / mag, m.max_mean_rel_err);
    std::printf("[%s] %zu nodes; default types vs float: mean relative error %.2e\n", m.path, c.graph.nodes.size(),
                err / mag);
  }
}

// The QONNX conv models whose quantizers have float (not power-of-two) scales: within one step of the output
// Quant's levels of the reference on >= 99.9 % of the values (issue 8), on inputs that lie on the input type's
// grid, when weights, biases and scales are held precisely (48 bits). At the 18-bit default constants the
// 4-bit Quants in espcn_nn_resize_quant amplify the constants' rounding (at most 2.8e-4 after its first conv):
// 155 of 1,048,576 levels of its second Quant flip, and by the output 7.3 % of the values lie on another level,
// 0.69 % more than one step away (measured; docs/NUMERICS.md "Accuracy"): bounded here at 1 %.
// eltwise_chanlast_quant has one Quant and stays within a step even then.
TEST(SharedConvModels, FloatScaleQonnxModelsReproduceTheReferenceWithinOneOutputStep) {
  if (!fs::exists(kModels / "qonnx")) GTEST_SKIP() << "../shared/models is absent";
  struct StepCase {
    const char* path;
    double out_step;  // the spacing of the output Quant's levels (its scale)
  };
  const config::Config precise = config::Config::parse(
      "HLSConfig:\n  Model:\n    Precision:\n      weight: fixed<48,8>\n      bias: fixed<48,8>\n      scale: fixed<48,8>\n",
      "precise.yml");
  const config::Config defaults = config::Config::defaults();
  for (const StepCase& k : {StepCase{"qonnx/espcn_nn_resize_quant.onnx", 1.0 / 255},
                            StepCase{"qonnx/eltwise_chanlast_quant.onnx", 1.0}}) {
    for (const config::Config* cfg : {&precise, &defaults}) {
      const bool is_precise = cfg == &precise;
      SCOPED_TRACE(std::string(k.path) + (is_precise ? " (48-bit constants)" : " (default types)"));
      const auto c = driver::compile((kModels / k.path).string(), *cfg);
      const auto in = random_inputs(c.graph, 1, true);
      const auto f = emulator::run_float(c.graph, in, 1);
      const auto e = emulator::Emulator(c.graph).run(in, 1);
      size_t within = 0, equal = 0, n = 0;
      for (size_t o = 0; o < f.size(); ++o)
        for (size_t i = 0; i < f[o].size(); ++i, ++n) {
          const double d = std::fabs(e.outputs[o][i] - f[o][i]);
          within += d <= k.out_step * (1 + 1e-6);
          equal += d <= k.out_step * 1e-3;
        }
      std::printf("[%s] %s: %zu of %zu values within one output step (%.4g) of the float reference, %zu on the "
                  "same level\n", k.path, is_precise ? "48-bit constants" : "default types", within, n, k.out_step,
                  equal);
      EXPECT_GE(static_cast<double>(within), (is_precise ? 0.999 : 0.99) * static_cast<double>(n)) << within << " of " << n;
    }
  }
}

}  // namespace
