// The Keras reader: configs built inline (no weights needed for the error paths), and the shared fixtures
// truncated or corrupted: every failure is one firmnet::Error naming the file and, where there is one, the layer.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontends/keras/keras_frontend.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const fs::path kCases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "keras";

std::string error_of(const std::string& bytes, const std::string& name = "model.json") {
  std::vector<Warning> w;
  try {
    frontends::load_keras_bytes(bytes, name, w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string sequential(const std::string& layer) {
  return R"({"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "in"}}, )" + layer + "]}}";
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

TEST(KerasFrontend, UnknownLayerClassIsNamedWithItsLayer) {
  const std::string e = error_of(sequential(R"({"class_name": "FancyLayer", "config": {"name": "fancy_1"}})"));
  EXPECT_NE(e.find("layer 'fancy_1' (FancyLayer): unknown layer class 'FancyLayer'"), std::string::npos) << e;
  EXPECT_NE(e.find("supported layers: "), std::string::npos) << e;
  EXPECT_TRUE(one_line(e));
}

TEST(KerasFrontend, LambdaIsRefusedWithAHint) {
  const std::string e = error_of(sequential(R"({"class_name": "Lambda", "config": {"name": "lam", "function": "..."}})"));
  EXPECT_NE(e.find("layer 'lam' (Lambda): a Lambda layer holds Python code"), std::string::npos) << e;
  EXPECT_NE(e.find("hint: replace the Lambda by built-in Keras layers"), std::string::npos) << e;
}

TEST(KerasFrontend, UnsupportedSequenceLayerIsRefusedByName) {
  const std::string e = error_of(sequential(R"({"class_name": "ConvLSTM2D", "config": {"name": "clstm", "filters": 4}})"));
  EXPECT_NE(e.find("layer 'clstm' (ConvLSTM2D): this sequence layer is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("LSTM, GRU, SimpleRNN"), std::string::npos) << e;
}

TEST(KerasFrontend, ArchitectureWithoutWeightsAsksForThem) {
  const std::string e = error_of(sequential(R"({"class_name": "Dense", "config": {"name": "fc", "units": 2}})"));
  EXPECT_NE(e.find("layer 'fc' (Dense): needs weights, but no weights file was given"), std::string::npos) << e;
  EXPECT_NE(e.find("--weights"), std::string::npos) << e;
}

TEST(KerasFrontend, LayersWithoutWeightsConvertFromTheJsonAlone) {
  std::vector<Warning> w;
  const ir::Graph g = frontends::load_keras_bytes(
      sequential(R"({"class_name": "Activation", "config": {"name": "act", "activation": "hard_sigmoid"}},
                    {"class_name": "ReLU", "config": {"name": "r6", "max_value": 6.0}},
                    {"class_name": "Reshape", "config": {"name": "rs", "target_shape": [2, -1]}})"),
      "m.json", w);
  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.nodes[1].attr_str("function"), "hard_sigmoid");
  EXPECT_DOUBLE_EQ(g.nodes[1].attr_float("alpha"), 0.2);  // Keras 2 (no 'module' keys): clip(0.2x + 0.5)
  EXPECT_EQ(g.nodes[2].attr_str("function"), "clip");
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (ir::Shape{2, 2}));
}

TEST(KerasFrontend, UnsupportedActivationIsRefusedByName) {
  const std::string e =
      error_of(sequential(R"({"class_name": "Activation", "config": {"name": "act", "activation": "gelu"}})"));
  EXPECT_NE(e.find("layer 'act' (Activation): activation 'gelu' is not supported"), std::string::npos) << e;
}

TEST(KerasFrontend, GarbageIsOneLineErrorNamingTheFile) {
  for (const std::string& bytes : {std::string("not a model"), std::string("{\"class_name\": "), std::string(""),
                                   std::string("\x89HDF\r\n\x1a\n garbage", 17), std::string("PK\x03\x04 garbage", 12)}) {
    const std::string e = error_of(bytes, "bad.h5");
    EXPECT_EQ(e.rfind("bad.h5", 0), 0u) << e;
    EXPECT_TRUE(one_line(e)) << e;
  }
}

// Every prefix length of a real .h5 and .keras up to the whole file (coarsely), and byte flips: an Error or
// (for a flip that keeps the file valid) a graph, never a crash or a multi-line message.
TEST(KerasFrontend, TruncatedAndCorruptFilesGiveOneLineErrors) {
  for (const char* name : {"qkeras_jet_logits.h5", "k3_jet_tagger.keras", "dense_bn_act_a_weights.h5"}) {
    const fs::path p = kCases / name;
    if (!fs::exists(p)) GTEST_SKIP() << "../shared/models/cases/keras is absent";
    const std::string bytes = read(p);
    size_t errors = 0;
    for (size_t cut : {size_t{10}, size_t{600}, bytes.size() / 4, bytes.size() / 2, bytes.size() - 100, bytes.size() - 1}) {
      const std::string e = error_of(bytes.substr(0, cut), name);
      EXPECT_TRUE(one_line(e)) << name << " cut at " << cut << ": '" << e << "'";
      errors += !e.empty();
    }
    EXPECT_EQ(errors, 6u) << name;
    for (size_t at = 0; at < bytes.size(); at += bytes.size() / 23 + 1) {
      std::string b = bytes;
      b[at] = static_cast<char>(b[at] ^ 0x5a);
      const std::string e = error_of(b, name);
      if (!e.empty()) EXPECT_TRUE(one_line(e)) << e;
    }
  }
  const std::string e = error_of(read(kCases / "k3_jet_tagger.keras").substr(0, 3000), "cut.keras");
  EXPECT_NE(e.find("cut.keras: is not a valid .keras archive"), std::string::npos) << e;
}

TEST(KerasFrontend, WeightsOnlyFileAsksForTheArchitecture) {
  const fs::path p = kCases / "dense_bn_act_a_weights.h5";
  if (!fs::exists(p)) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  const std::string e = error_of(read(p), "w.h5");
  EXPECT_NE(e.find("w.h5: holds no model configuration"), std::string::npos) << e;
}

}  // namespace

namespace {

// A functional model with two inputs, a nested Sequential (flattened: its layers become nodes) and two
// outputs, in the Keras 2 format; weights are not needed by these layers.
TEST(KerasFrontend, NestedModelsAndSeveralInputsAndOutputs) {
  const std::string inner = R"({"class_name": "Sequential", "config": {"name": "inner", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "inner_in"}},
      {"class_name": "Activation", "config": {"name": "inner_tanh", "activation": "tanh"}},
      {"class_name": "ReLU", "config": {"name": "inner_relu"}}]},
      "name": "inner", "inbound_nodes": [[["a", 0, 0, {}]]]})";
  const std::string model = R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "a"}, "inbound_nodes": []},
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "b"}, "inbound_nodes": []},
      )" + inner + R"(,
      {"class_name": "Add", "config": {"name": "sum"}, "inbound_nodes": [[["inner", 0, 0, {}], ["b", 0, 0, {}]]]},
      {"class_name": "Maximum", "config": {"name": "top"}, "inbound_nodes": [[["sum", 0, 0, {}], ["b", 0, 0, {}]]]}],
      "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": [["sum", 0, 0], ["top", 0, 0]]}})";
  std::vector<Warning> w;
  const ir::Graph g = frontends::load_keras_bytes(model, "nested.json", w);
  ASSERT_EQ(g.inputs.size(), 2u);
  ASSERT_EQ(g.outputs.size(), 2u);
  std::vector<std::string> names;
  for (const auto& n : g.nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "inner_tanh", "inner_relu", "sum", "top_diff1", "top_relu1", "top"}));
  EXPECT_EQ(g.tensor(g.outputs[0]).name, "sum");
  EXPECT_EQ(g.tensor(g.outputs[1]).name, "top");
}

TEST(KerasFrontend, SharedLayersAreRefused) {
  const std::string model = R"({"class_name": "Functional", "config": {"name": "m", "layers": [
      {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "name": "a"}, "inbound_nodes": []},
      {"class_name": "ReLU", "config": {"name": "r"}, "inbound_nodes": [[["a", 0, 0, {}]], [["a", 0, 0, {}]]]}],
      "input_layers": [["a", 0, 0]], "output_layers": [["r", 0, 0]]}})";
  const std::string e = error_of(model);
  EXPECT_NE(e.find("layer 'r' (ReLU): is called 2 times (a shared layer)"), std::string::npos) << e;
}

TEST(KerasFrontend, QuantizedModelsNameTheirFloatLayers) {
  const fs::path p = kCases / "qkeras_jet_tagger.h5";
  if (!fs::exists(p)) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  std::vector<Warning> w;
  frontends::load_keras_bytes(read(p), "q.h5", w);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("computes layer(s) 'softmax' in float between its quantizers"), std::string::npos)
      << w[0].message;
}

}  // namespace

namespace {

// fuzz_keras's findings inside libhdf5 1.10: a segmentation fault in H5HG_read (fuzz/seeds/keras/) and an
// endless loop in H5C_protect (two zeroed bytes of conv1d_same_valid.h5's global heap). The reader runs
// libhdf5 in a child process: both are one Error naming the file.
TEST(KerasFrontend, Hdf5LibraryCrashAndHangAreErrors) {
  const fs::path seeds = fs::path(FIRMNET_SOURCE_DIR) / "fuzz" / "seeds" / "keras";
  const std::string crash = error_of(read(seeds / "hdf5_global_heap_segv.h5"), "segv.h5");
  EXPECT_NE(crash.find("segv.h5: libhdf5 crashed (signal "), std::string::npos) << crash;
  EXPECT_TRUE(one_line(crash));
  const fs::path src = kCases / "conv1d_same_valid.h5";
  if (!fs::exists(src)) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  std::string b = read(src);
  ASSERT_GT(b.size(), 8585u);
  b[8576] = 0, b[8584] = 0;
  setenv("FIRMNET_HDF5_TIMEOUT_S", "2", 1);
  const std::string hang = error_of(b, "hang.h5");
  unsetenv("FIRMNET_HDF5_TIMEOUT_S");
  EXPECT_NE(hang.find("hang.h5: libhdf5 did not finish reading the file in 2 s"), std::string::npos) << hang;
  EXPECT_TRUE(one_line(hang));
}

}  // namespace
