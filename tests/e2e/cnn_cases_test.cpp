// Convolutional networks exported by PyTorch (../shared/models/cases/cnn, NCHW): the float reference equals
// onnxruntime's outputs (the framework's), the emulator at the default types agrees with them (top-1 on
// classifiers, mean relative error elsewhere), and the generated firmware, io_parallel and io_stream, equals
// the emulator bit for bit at the default types and at fixed<16,6>. Inputs and outputs are in the model's own layout:
// firmnet holds the maps channels-last inside and converts at the boundary (driver::inputs_from_arrays,
// driver::output_array).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "firmware_check.h"
#include "emulator/emulator.h"
#include "support/data_io.h"
#include "support/error.h"

namespace fs = std::filesystem;
using namespace firmnet;
using e2e::expect_firmware_equals_emulator;

namespace {

const fs::path kCases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "cnn";

struct Case {
  const char* name;
  bool classifier;  // output [N, classes]: compare top-1
  bool csim;        // also compile the firmware (kept to a few cases: each g++ build takes seconds)
};

// Every plain-ONNX case of the folder.
const Case kSupported[] = {
    {"conv1d_k3_s1_p1", false, true},        {"conv1d_k5_s2_p0", false, false},
    {"conv1d_stack_head", true, true},        {"conv2d_3x3_same", false, false},
    {"conv2d_3x3_valid_s2", false, false},    {"conv2d_1x1_pointwise", false, false},
    {"conv2d_depthwise_3x3", false, true},    {"conv2d_separable", false, false},
    {"maxpool2x2", false, false},             {"avgpool2x2", false, true},
    {"global_avgpool", false, true},          {"maxpool1d", false, false},
    {"conv_bn_relu_maxpool_blocks", true, false}, {"concat_branches", false, true},
    {"flatten_linear_head", true, true},      {"conv_relu6", false, true},
    {"svhn_cnn", true, true},                 {"upsample_nearest2x", false, true},
    {"convtranspose2d_k2_s2", false, true},
};

struct Data {
  support::Array x, y;
};

std::optional<Data> load(const std::string& name) {
  if (!fs::exists(kCases / (name + ".onnx"))) return std::nullopt;
  return Data{support::read_npy((kCases / (name + "_x.npy")).string()), support::read_npy((kCases / (name + "_y.npy")).string())};
}

// The model-order output array of graph output 0.
support::Array model_output(const driver::Compiled& c, const std::vector<double>& held, size_t batch) {
  return driver::output_array(c.graph, 0, held, batch);
}

TEST(CnnCases, FloatReferenceEqualsOnnxruntime) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  for (const Case& k : kSupported) {
    SCOPED_TRACE(k.name);
    const auto d = load(k.name);
    if (!d) continue;
    const auto c = driver::compile((kCases / (std::string(k.name) + ".onnx")).string(), config::Config::defaults());
    size_t batch = 0;
    const auto in = driver::inputs_from_arrays(c.graph, {d->x}, batch);
    const support::Array y = model_output(c, emulator::run_float(c.graph, in, batch).at(0), batch);
    ASSERT_EQ(y.shape, d->y.shape);  // the model's own output shape, e.g. [N, 8, 10, 10]
    double scale = 0, worst = 0;
    for (double v : d->y.data) scale = std::max(scale, std::fabs(v));
    for (size_t i = 0; i < y.data.size(); ++i) worst = std::max(worst, std::fabs(y.data[i] - d->y.data[i]));
    EXPECT_LE(worst, 1e-5 * std::max(1.0, scale)) << "max |float - onnxruntime| over " << y.data.size() << " values";
    std::printf("[%s] float vs onnxruntime: max abs error %.2e over %zu values (max |y| %.2f)\n", k.name, worst,
                y.data.size(), scale);
  }
}

TEST(CnnCases, EmulatorAtDefaultTypesAgreesWithTheFramework) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  for (const Case& k : kSupported) {
    SCOPED_TRACE(k.name);
    const auto d = load(k.name);
    if (!d) continue;
    const auto c = driver::compile((kCases / (std::string(k.name) + ".onnx")).string(), config::Config::defaults());
    size_t batch = 0;
    const auto in = driver::inputs_from_arrays(c.graph, {d->x}, batch);
    const support::Array y = model_output(c, emulator::Emulator(c.graph).run(in, batch).outputs.at(0), batch);
    ASSERT_EQ(y.data.size(), d->y.data.size());
    if (k.classifier) {
      const size_t n = static_cast<size_t>(d->y.row_size());
      size_t agree = 0;
      for (size_t s = 0; s < batch; ++s) {
        auto row = [&](const std::vector<double>& v) {
          return std::max_element(v.begin() + static_cast<long>(s * n), v.begin() + static_cast<long>((s + 1) * n)) - v.begin();
        };
        agree += row(y.data) == row(d->y.data);
      }
      EXPECT_GE(static_cast<double>(agree) / static_cast<double>(batch), 0.99) << agree << " of " << batch;
      std::printf("[%s] default types: top-1 agrees on %zu of %zu samples\n", k.name, agree, batch);
    } else {
      double err = 0, mag = 0;
      for (size_t i = 0; i < y.data.size(); ++i) err += std::fabs(y.data[i] - d->y.data[i]), mag += std::fabs(d->y.data[i]);
      EXPECT_LE(err / mag, 0.01) << "mean relative error";
      std::printf("[%s] default types: mean relative error %.2e\n", k.name, err / mag);
    }
  }
}

// Brevitas CNNs with power-of-two scales (QuantIdentity input, 4- or 8-bit weights and activations, float
// biases; the reference is qonnx's execution of the cleaned model in float32): at the default types the
// emulator computes every layer exactly (the model's input quantizer on the float input, lossless
// accumulators, the float biases kept exact), so it differs from float32 only by float32's rounding.
TEST(CnnCases, QonnxPowerOfTwoCnnsReproduceQonnx) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  for (const char* name : {"q_cnn_w4a4_po2", "q_cnn_w8a8_po2"}) {
    SCOPED_TRACE(name);
    const auto d = load(name);
    if (!d) continue;
    const auto c = driver::compile((kCases / (std::string(name) + ".onnx")).string(), config::Config::defaults());
    size_t batch = 0;
    const auto in = driver::inputs_from_arrays(c.graph, {d->x}, batch);
    const support::Array y = model_output(c, emulator::Emulator(c.graph).run(in, batch).outputs.at(0), batch);
    ASSERT_EQ(y.data.size(), d->y.data.size());
    double worst = 0, scale = 0;
    for (size_t i = 0; i < y.data.size(); ++i) {
      worst = std::max(worst, std::fabs(y.data[i] - d->y.data[i]));
      scale = std::max(scale, std::fabs(d->y.data[i]));
    }
    std::printf("[%s] emulator vs qonnx: max abs error %.2e over %zu values (max |y| %.2f)\n", name, worst,
                y.data.size(), scale);
    EXPECT_LE(worst, 1e-5 * std::max(1.0, scale));
  }
}


void firmware_equals_emulator_at_default_and_fixed16_6(const std::string& io_type) {
  const std::string io = "IOType: " + io_type + "\n";
  const config::Config defaults = config::Config::parse(io, "defaults.yml");
  const config::Config fixed16 =
      config::Config::parse(io + "HLSConfig:\n  Model:\n    Precision: fixed<16,6>\n", "fixed16.yml");
  for (const Case& k : kSupported) {
    if (!k.csim) continue;
    SCOPED_TRACE(k.name);
    const auto d = load(k.name);
    if (!d) continue;
    int variant = 0;
    for (const config::Config& cfg : {defaults, fixed16}) {
      const auto c = driver::compile((kCases / (std::string(k.name) + ".onnx")).string(), cfg);
      size_t batch = 0;
      auto in = driver::inputs_from_arrays(c.graph, {d->x}, batch);
      batch = std::min<size_t>(batch, 40);  // enough samples to cover every path; keeps csim short
      in[0].resize(batch * static_cast<size_t>(c.graph.tensor(c.graph.inputs[0]).size()));
      expect_firmware_equals_emulator(c, in, batch,
                                      std::string(k.name) + (variant++ ? "_fixed16_" : "_default_") + io_type);
    }
  }
}

TEST(CnnCases, FirmwareEqualsEmulatorAtDefaultAndFixed16_6) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  firmware_equals_emulator_at_default_and_fixed16_6("io_parallel");
}

// io_stream: line-buffer convolutions and pools, streams between layers, clones at branches; the same bits.
TEST(CnnCases, StreamFirmwareEqualsEmulatorAtDefaultAndFixed16_6) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  firmware_equals_emulator_at_default_and_fixed16_6("io_stream");
}

}  // namespace

namespace {
TEST(CnnCases, QonnxCnnFirmwareEqualsEmulator) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  const auto d = load("q_cnn_w4a4_po2");
  if (!d) GTEST_SKIP() << "q_cnn_w4a4_po2 absent";
  for (const char* io : {"io_parallel", "io_stream"}) {
    const auto c = driver::compile((kCases / "q_cnn_w4a4_po2.onnx").string(),
                                   config::Config::parse(std::string("IOType: ") + io + "\n", "io.yml"));
    size_t batch = 0;
    auto in = driver::inputs_from_arrays(c.graph, {d->x}, batch);
    batch = std::min<size_t>(batch, 40);
    in[0].resize(batch * static_cast<size_t>(c.graph.tensor(c.graph.inputs[0]).size()));
    expect_firmware_equals_emulator(c, in, batch, std::string("q_cnn_w4a4_po2_") + io);
  }
}
}  // namespace
