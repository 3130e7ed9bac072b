// With no configuration at all (the defaults), the fixed-point model must agree with the float model:
// the arg-max (for a single sigmoid output: the decision y > 0.5) on at least 99% of 1,000 inputs, and
// every output within the documented error (docs/NUMERICS.md, "Accuracy of the defaults").
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/model_builder.h"
#include "driver/driver.h"
#include "emulator/emulator.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {
const std::string kShared = FIRMNET_SHARED_MODELS;
// Largest |fixed - float| allowed on an output of a softmax/sigmoid layer with the default types.
constexpr double kMaxAbsError = 0.02;
}  // namespace

class DefaultsAgreeWithFloat : public ::testing::TestWithParam<std::string> {};

TEST_P(DefaultsAgreeWithFloat, ArgmaxAndError) {
  const std::string path = kShared + "/" + GetParam();
  if (!fs::exists(path)) GTEST_SKIP() << path << " not found (../shared/models is absent)";
  auto c = driver::compile(path, config::Config::defaults());
  const auto& g = c.graph;
  const size_t batch = 1000;
  const int64_t n_in = g.tensor(g.inputs[0]).size();
  testmodels::Rng rng{1234};
  std::vector<double> x(batch * static_cast<size_t>(n_in));
  for (auto& v : x) v = 1.5 * rng.normal();

  auto fixed = emulator::Emulator(g).run({x}, batch).outputs[0];
  auto ref = emulator::run_float(g, {x}, batch)[0];
  const size_t n_out = fixed.size() / batch;
  size_t agree = 0;
  double max_err = 0;
  for (size_t s = 0; s < batch; ++s) {
    const double* a = &fixed[s * n_out];
    const double* b = &ref[s * n_out];
    for (size_t j = 0; j < n_out; ++j) max_err = std::max(max_err, std::abs(a[j] - b[j]));
    if (n_out == 1) {
      agree += (a[0] > 0.5) == (b[0] > 0.5);
    } else {
      agree += std::max_element(a, a + n_out) - a == std::max_element(b, b + n_out) - b;
    }
  }
  RecordProperty("agreement", static_cast<int>(agree));
  RecordProperty("max_abs_error_x1e6", static_cast<int>(max_err * 1e6));
  std::printf("%s: arg-max agreement %zu/1000, max |fixed - float| = %.6f\n", GetParam().c_str(), agree, max_err);
  EXPECT_GE(agree, 990u);
  EXPECT_LE(max_err, kMaxAbsError);
}

INSTANTIATE_TEST_SUITE_P(SharedMlps, DefaultsAgreeWithFloat,
                         ::testing::Values("onnx/three_layer_keras.onnx", "onnx/three_layer_pytorch.onnx",
                                           "onnx/three_layer_bn_keras.onnx", "onnx/two_layer_keras.onnx",
                                           "onnx/two_layer_pytorch.onnx", "onnx/dense_big_keras.onnx"),
                         [](const auto& i) {
                           std::string s = fs::path(i.param).stem().string();
                           return s;
                         });
