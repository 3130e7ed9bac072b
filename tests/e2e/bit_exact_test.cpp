// The end-to-end proof: for real and test-built MLPs at several precisions and both strategies, under
// io_parallel and io_stream, convert,
// emulate 1,000 inputs, compile the generated project with g++ and ap_types, run it on the same inputs,
// and require every output bit to be equal.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "backends/vitis/vitis_backend.h"
#include "common/model_builder.h"
#include "driver/driver.h"
#include "emulator/emulator.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const std::string kShared = FIRMNET_SHARED_MODELS;

struct Case {
  std::string label;
  std::string model;   // path, or "built:<name>"
  std::string config;  // YAML ("" = defaults)
};

// gtest prints the parameter in test names and failures: the label, not the bytes.
void PrintTo(const Case& c, std::ostream* os) { *os << c.label; }

std::string built_model(const std::string& name) {
  fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_models";
  fs::create_directories(dir);
  const std::string p = (dir / (name + ".onnx")).string();
  if (name == "jet_bn") return testmodels::write_mlp(p, 16, {{64, "BatchNormalization+Relu"}, {32, "Relu"}, {32, "Relu"}, {5, "Softmax"}}, 7);
  if (name == "act_zoo")
    return testmodels::write_mlp(p, 8, {{16, "Tanh"}, {16, "LeakyRelu"}, {12, "Elu"}, {12, "Selu"}, {10, "Softplus"},
                                     {10, "Softsign"}, {8, "HardSigmoid"}, {4, "Sigmoid"}}, 11);
  if (name == "wide_relu") return testmodels::write_mlp(p, 24, {{48, "Relu"}, {3, ""}}, 13);
  throw std::runtime_error("unknown built model " + name);
}

std::string model_path(const Case& c) {
  if (c.model.rfind("built:", 0) == 0) return built_model(c.model.substr(6));
  return kShared + "/" + c.model;
}

const char* kFixed16 = R"(
HLSConfig:
  Model:
    Precision: fixed<16,6>
    Strategy: Latency
)";
const char* kNarrowResource = R"(
HLSConfig:
  Model:
    Precision: fixed<8,3>
    Strategy: Resource
  LayerType:
    Dense:
      ReuseFactor: 4
)";
const char* kMixedRounding = R"(
HLSConfig:
  Model:
    Precision:
      default: fixed<12,4,RND_CONV,SAT>
      accum: fixed<20,8>
    TableSize: 256
    Strategy: Resource
)";

std::vector<Case> cases() {
  std::vector<Case> v;
  const std::vector<std::string> models = {
      "onnx/three_layer_keras.onnx", "onnx/three_layer_pytorch.onnx", "onnx/three_layer_bn_keras.onnx",
      "onnx/two_layer_keras.onnx",   "onnx/two_layer_pytorch.onnx",   "onnx/dense_big_keras.onnx",
      "built:jet_bn",                "built:act_zoo",                 "built:wide_relu"};
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"defaults", ""}, {"fixed16_6_latency", kFixed16}, {"fixed8_3_resource_rf4", kNarrowResource},
      {"fixed12_4_rndconv_sat_resource", kMixedRounding}};
  for (const auto& m : models)
    for (const auto& [cl, cy] : configs) {
      std::string label = fs::path(m.substr(m.find(':') + 1)).stem().string() + "__" + cl;
      v.push_back({label, m, cy});
      // The same model and types under io_stream: the same bits (one semantics for both I/O types).
      v.push_back({label + "__io_stream", m, "IOType: io_stream\n" + cy});
    }
  return v;
}


}  // namespace

class BitExact : public ::testing::TestWithParam<Case> {};

TEST_P(BitExact, EmulatorEqualsCompiledFirmware) {
  const Case& c = GetParam();
  if (c.model.rfind("built:", 0) != 0 && !fs::exists(kShared + "/" + c.model))
    GTEST_SKIP() << "shared model " << c.model << " not found under " << kShared << " (../shared/models is absent)";
  config::Config cfg = c.config.empty() ? config::Config::defaults() : config::Config::parse(c.config, c.label);
  cfg.project_name = "prj";
  auto compiled = driver::compile(model_path(c), cfg);
  const auto& g = compiled.graph;
  ASSERT_EQ(g.inputs.size(), 1u);

  const size_t batch = 1000;
  const int64_t n_in = g.tensor(g.inputs[0]).size();
  testmodels::Rng rng{42};
  std::vector<double> x(batch * static_cast<size_t>(n_in));
  for (auto& v : x) v = 1.5 * rng.normal();

  emulator::Emulator emu(g);
  auto r = emu.run({x}, batch);

  const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / c.label;
  backends::TestVectors tv{batch, {x}, r.outputs};
  backends::write_vitis_project(g, compiled.config, dir, &tv);
  backends::CsimOptions co;
  co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  auto fw = backends::run_csim(dir, {x}, batch, co);

  ASSERT_EQ(fw.size(), r.outputs.size());
  for (size_t k = 0; k < fw.size(); ++k) {
    ASSERT_EQ(fw[k].size(), r.outputs[k].size());
    size_t mismatches = 0, first = 0;
    for (size_t i = 0; i < fw[k].size(); ++i)
      if (std::memcmp(&fw[k][i], &r.outputs[k][i], sizeof(double)) != 0 && mismatches++ == 0) first = i;
    EXPECT_EQ(mismatches, 0u) << c.label << ": output " << k << " first mismatch at " << first << ": firmware "
                              << fw[k][first] << " vs emulator " << r.outputs[k][first];
  }
}

INSTANTIATE_TEST_SUITE_P(Models, BitExact, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.label; });
