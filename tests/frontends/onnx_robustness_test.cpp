// Load-time errors for invalid or unsupported models, and a seeded fuzz test: mutated model bytes either
// load or throw firmnet::Error, never anything else.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {

const char* kMlp = R"(
  <ir_version: 8, opset_import: ["" : 13]>
  g (float[N,4] x) => (float[N,3] y)
  <float[4,3] W = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, float[3] B = {1, 2, 3},
   float[3] s = {1, 2, 3}, float[3] b = {0, 1, 0}, float[3] m = {0, 0, 1}, float[3] v = {1, 1, 1},
   int64[2] shp = {-1, 3}, float[3,3] W2 = {1, 0, 0, 0, 1, 0, 0, 0, 1}, float z = {0}>
  { t = MatMul(x, W)
    u = Add(t, B)
    n = BatchNormalization(u, s, b, m, v)
    r = LeakyRelu <alpha = 0.1> (n)
    f = Reshape(r, shp)
    g2 = Gemm <transB = 1> (f, W2, B)
    c = Clip(g2, z)
    d = Div(c, B)
    y = Softmax(d) })";

onnx::ModelProto parse(const std::string& text) {
  onnx::ModelProto m;
  EXPECT_TRUE(onnx::OnnxParser::Parse(m, text.c_str()).IsOK());
  return m;
}

std::string error_of(const onnx::ModelProto& m) {
  std::vector<Warning> w;
  try {
    frontends::load_onnx_bytes(m.SerializeAsString(), "m.onnx", w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(OnnxRobustness, TheFuzzSeedLoads) {
  auto g = load_text(kMlp);
  EXPECT_EQ(g.nodes.size(), 8u);  // Input, Dense, BatchNorm, Activation, Dense, Activation(Clip=relu), Elementwise, Softmax
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (ir::Shape{3}));
}

TEST(OnnxRobustness, OpsetsOutOfRange) {
  auto m = parse(kMlp);
  m.mutable_opset_import(0)->set_version(0);
  EXPECT_EQ(error_of(m), "m.onnx: uses ONNX opset 0, which is not supported (hint: supported opsets are 1 to 21; "
                         "convert the model with onnx.version_converter.convert_version)");
  // Opset 6 is read with its own semantics: numpy-style broadcasting needs the legacy attribute there.
  m.mutable_opset_import(0)->set_version(6);
  EXPECT_NE(error_of(m).find("the legacy (opset < 7) attribute broadcast is not 1"), std::string::npos) << error_of(m);
  m.mutable_opset_import(0)->set_version(22);
  EXPECT_NE(error_of(m).find("uses ONNX opset 22, which is not supported"), std::string::npos);
  m.clear_opset_import();
  EXPECT_NE(error_of(m).find("declares no opset for the default ONNX domain"), std::string::npos);
}

TEST(OnnxRobustness, UnsupportedOpAndCustomDomain) {
  auto m = parse(R"(
    <ir_version: 8, opset_import: ["" : 13]>
    g (float[N,1,4,4] x) => (float[N,1,2,2] y)
    { a = Relu(x)
      b = MaxPool <kernel_shape = [2, 2]> (a)
      y = GlobalAveragePool(b) })");
  m.mutable_graph()->mutable_node(1)->set_name("conv1");
  m.mutable_graph()->mutable_node(1)->set_op_type("ConvInteger");
  m.mutable_graph()->mutable_node(2)->set_op_type("GlobalLpPool");
  EXPECT_NE(error_of(m).find("node 'conv1' (ConvInteger): op 'ConvInteger' is not supported (the model also uses "
                             "unsupported 'GlobalLpPool') (hint: supported ops are Gemm,"),
            std::string::npos)
      << error_of(m);
  EXPECT_NE(error_of(m).find("(hint: supported ops are Gemm, MatMul, BatchNormalization, Conv, MaxPool,"), std::string::npos);

  m.mutable_graph()->mutable_node(1)->set_op_type("Im2Col");
  m.mutable_graph()->mutable_node(1)->set_domain("finn.custom_op.general");
  EXPECT_NE(error_of(m).find("node 'conv1' (Im2Col): op 'Im2Col' of domain 'finn.custom_op.general' (FINN) is not "
                             "supported (the model also uses unsupported 'GlobalLpPool') (hint: the supported "
                             "QONNX/FINN custom ops are Quant, IntQuant, BipolarQuant, Trunc, MultiThreshold and the channels-last "
                             "Conv, MaxPool, BatchNormalization)"),
            std::string::npos)
      << error_of(m);
}

TEST(OnnxRobustness, BadTensors) {
  auto m = parse(kMlp);
  auto* w = m.mutable_graph()->mutable_initializer(0);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_NE(error_of(m).find("initializer 'W': tensor 'W' stores its data in an external file"), std::string::npos);

  m = parse(kMlp);
  w = m.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_raw_data(std::string(47, '\0'));
  EXPECT_EQ(error_of(m), "initializer 'W': tensor 'W' of shape [4,3] has 47 bytes of raw data, expected 48 (hint: "
                         "the model file is corrupt or truncated)");

  m = parse(kMlp);
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, -4);
  EXPECT_NE(error_of(m).find("tensor 'W' has a negative dimension in shape [-4,3]"), std::string::npos);

  m = parse(kMlp);
  m.mutable_graph()->mutable_initializer(0)->set_dims(0, int64_t{1} << 40);
  EXPECT_NE(error_of(m).find("is too large"), std::string::npos);

  m = parse(kMlp);
  m.mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::FLOAT16);
  EXPECT_NE(error_of(m).find("has data type FLOAT16, which is not supported"), std::string::npos);

  m = parse(kMlp);
  m.mutable_graph()->mutable_initializer(1)->set_float_data(1, std::numeric_limits<float>::quiet_NaN());
  EXPECT_NE(error_of(m).find("holds a non-finite value"), std::string::npos);
}

TEST(OnnxRobustness, BadGraphStructure) {
  auto m = parse(kMlp);
  m.mutable_graph()->mutable_node(1)->set_input(0, "nowhere");
  EXPECT_EQ(error_of(m), "node #1 (Add): input 'nowhere' is not a graph input, an initializer or the output of an "
                         "earlier node (hint: the ONNX graph must be topologically sorted and complete)");

  m = parse(kMlp);
  auto* dim = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1);
  dim->set_dim_param("F");
  EXPECT_EQ(error_of(m), "graph input 'x': dimension 1 is the symbol 'F'; only the batch dimension (0) may be "
                         "symbolic (hint: export the model with fixed feature dimensions)");

  m = parse(kMlp);
  m.mutable_graph()->mutable_output(0)->set_name("W");
  EXPECT_NE(error_of(m).find("graph output 'W': is a constant"), std::string::npos);

  m = parse(kMlp);
  m.mutable_graph()->mutable_output(0)->set_name("zzz");
  EXPECT_NE(error_of(m).find("graph output 'zzz': is not produced by any node"), std::string::npos);

  m = parse(kMlp);
  m.mutable_graph()->mutable_node(2)->set_output(0, "t");
  EXPECT_NE(error_of(m).find("tensor 't' is defined twice"), std::string::npos);
}

// Seeded mutations of a valid model: byte flips, truncations, insertions, and copied spans.
void fuzz(const std::string& seed_bytes, int iterations, uint32_t seed, int* loaded, int* rejected) {
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  for (int it = 0; it < iterations; ++it) {
    std::string b = seed_bytes;
    const int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits && !b.empty(); ++e) {
      switch (pick(5)) {
        case 0: b[pick(b.size())] = static_cast<char>(pick(256)); break;
        case 1: b[pick(b.size())] ^= static_cast<char>(1u << pick(8)); break;
        case 2: b.resize(pick(b.size())); break;
        case 3: b.insert(pick(b.size()), 1, static_cast<char>(pick(256))); break;
        default: {
          const size_t from = pick(b.size()), len = pick(std::min<size_t>(b.size() - from, 16) + 1);
          b.insert(pick(b.size()), b.substr(from, len));
        }
      }
    }
    std::vector<Warning> w;
    try {
      auto g = frontends::load_onnx_bytes(b, "fuzz.onnx", w);
      g.verify();
      ++*loaded;
    } catch (const Error& e) {
      ++*rejected;
      ASSERT_EQ(std::string(e.what()).find("internal error"), std::string::npos)
          << "iteration " << it << ": " << e.what();
    } catch (const std::exception& e) {
      FAIL() << "iteration " << it << " threw a non-firmnet exception: " << e.what();
    }
  }
}

// FIRMNET_FUZZ_ITERATIONS=100000 runs a longer campaign (e.g. under ASan).
int fuzz_iterations(int def) {
  const char* env = std::getenv("FIRMNET_FUZZ_ITERATIONS");
  return env ? std::max(1, std::atoi(env)) : def;
}

TEST(OnnxRobustness, MutatedBytesNeverCrash) {
  int loaded = 0, rejected = 0;
  const int iterations = fuzz_iterations(4000);
  fuzz(onnx_bytes(kMlp), iterations, 12345u, &loaded, &rejected);
  std::cout << "fuzz: " << loaded << " loaded, " << rejected << " rejected with firmnet::Error\n";
  EXPECT_EQ(loaded + rejected, iterations);
  EXPECT_GT(rejected, iterations / 4);  // most mutations break the model
  EXPECT_GT(loaded, iterations / 400);  // some hit names or values and still load
}

TEST(OnnxRobustness, MutatedRealModelNeverCrashes) {
  const std::string path = std::string(FIRMNET_SHARED_MODELS) + "/onnx/three_layer_bn_keras.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared model " << path << " is absent";
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  int loaded = 0, rejected = 0;
  const int iterations = fuzz_iterations(1500);
  fuzz(ss.str(), iterations, 777u, &loaded, &rejected);
  std::cout << "fuzz (real model): " << loaded << " loaded, " << rejected << " rejected with firmnet::Error\n";
  EXPECT_EQ(loaded + rejected, iterations);
}

}  // namespace
}  // namespace firmnet::test
