// The convolutional models of ../shared/models/onnx and ../shared/models/qonnx (third-party exports): the
// generated project, compiled with g++ against ap_types, computes the emulator's bits (what `firmnet predict`
// prints equals what `firmnet csim` prints) at the default types and at fixed<16,6>, under io_parallel and
// io_stream. One test per model and io type, so that ctest spreads them over the cores.
#include <gtest/gtest.h>

#include <filesystem>

#include "driver/driver.h"
#include "firmware_check.h"
#include "support/rng.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const fs::path kModels = fs::path(FIRMNET_SHARED_MODELS);

struct Param {
  const char* model;    // under ../shared/models
  const char* io_type;  // io_parallel or io_stream
};
// Names the case in gtest's and ctest's output (instead of the struct's bytes).
void PrintTo(const Param& p, std::ostream* os) { *os << p.model << " " << p.io_type; }

std::string param_name(const ::testing::TestParamInfo<Param>& p) {
  std::string s = fs::path(p.param.model).stem().string() + "_" + p.param.io_type;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

class SharedConvFirmware : public ::testing::TestWithParam<Param> {};

TEST_P(SharedConvFirmware, EqualsEmulatorAtDefaultAndFixed16_6) {
  const Param& p = GetParam();
  const fs::path model = kModels / p.model;
  if (!fs::exists(model)) GTEST_SKIP() << model << " is absent (../shared/models)";
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  const std::string io = std::string("IOType: ") + p.io_type + "\n";
  const config::Config defaults = config::Config::parse(io, "defaults.yml");
  const config::Config fixed16 = config::Config::parse(io + "HLSConfig:\n  Model:\n    Precision: fixed<16,6>\n", "fixed16.yml");
  int variant = 0;
  for (const config::Config& cfg : {defaults, fixed16}) {
    const std::string label = std::string(variant++ ? "fixed16" : "default");
    SCOPED_TRACE(label);
    const auto c = driver::compile(model.string(), cfg);
    // Uniform values over [-0.5, 1.5): negative and positive inputs, within every input type. Two samples, or
    // one for the 256x256 and 512x512 maps (their C simulation takes seconds per sample).
    const size_t batch = c.graph.tensor(c.graph.inputs.at(0)).size() > 65536 ? 1 : 2;
    support::Rng rng{7};
    std::vector<std::vector<double>> in;
    for (ir::TensorId id : c.graph.inputs) {
      std::vector<double> v(static_cast<size_t>(c.graph.tensor(id).size()) * batch);
      for (double& x : v) x = rng.uniform() * 2.0 - 0.5;
      in.push_back(std::move(v));
    }
    // At least 8 distinct output values: the comparison is not between constants.
    e2e::expect_firmware_equals_emulator(c, in, batch, label, 8);
  }
}

#define FIRMNET_BOTH_IO(m) Param{m, "io_parallel"}, Param{m, "io_stream"}
INSTANTIATE_TEST_SUITE_P(Models, SharedConvFirmware,
                         ::testing::Values(FIRMNET_BOTH_IO("onnx/conv1d_small_keras.onnx"),
                                           FIRMNET_BOTH_IO("onnx/conv2d_small_keras.onnx"),
                                           FIRMNET_BOTH_IO("qonnx/mnist_conv_float.onnx"),
                                           FIRMNET_BOTH_IO("qonnx/residual_block_float.onnx"),
                                           FIRMNET_BOTH_IO("qonnx/eltwise_chanlast_quant.onnx"),
                                           FIRMNET_BOTH_IO("onnx/separable_conv_model_ch_last.onnx"),
                                           FIRMNET_BOTH_IO("onnx/branched_model_ch_last.onnx"),
                                           FIRMNET_BOTH_IO("onnx/tiny_unet_ch_last.onnx"),
                                           FIRMNET_BOTH_IO("qonnx/espcn_nn_resize_float.onnx"),
                                           FIRMNET_BOTH_IO("qonnx/espcn_nn_resize_quant.onnx")),
                         param_name);

}  // namespace
