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
    support::Rng rng{42};
    const size_t batch = 1;
    std::vector<std::vector<double>> in;
    for (ir::TensorId id : c.graph.inputs) {
      std::vector<double> v(static_cast<size_t>(c.graph.tensor(id).size()) * batch);
      for (double& x : v) x = rng.uniform() * 2.0 - 0.5;  // within every input type's range
      in.push_back(std::move(v));
    }
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

}  // namespace
