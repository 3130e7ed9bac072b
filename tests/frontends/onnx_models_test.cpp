// The real third-party models in ../shared/models/onnx: plain MLPs load with the expected layers; CNNs
// and QONNX models fail with a clear error; broken files fail cleanly.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {
using ir::OpKind;
namespace fs = std::filesystem;

const std::string kModels = std::string(FIRMNET_SHARED_MODELS) + "/onnx/";

#define REQUIRE_MODELS()                                                                        \
  if (!fs::is_directory(kModels)) GTEST_SKIP() << "shared models folder " << kModels << " is absent"

ir::Graph load_model(const std::string& file, std::vector<Warning>* warnings = nullptr) {
  std::vector<Warning> local;
  return frontends::load_onnx(kModels + file, warnings ? *warnings : local);
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string error_of_file(const std::string& path) {
  std::vector<Warning> w;
  try {
    frontends::load_onnx(path, w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<ir::Shape> output_shapes(const ir::Graph& g) {
  std::vector<ir::Shape> s;
  for (const auto& n : g.nodes) s.push_back(g.tensor(n.outputs.at(0)).shape);
  return s;
}

std::vector<std::string> activation_functions(const ir::Graph& g) {
  std::vector<std::string> f;
  for (const auto& n : g.nodes)
    if (n.kind == OpKind::Activation) f.push_back(n.attr_str("function"));
  return f;
}

TEST(OnnxModels, ThreeLayerKerasFoldsMatMulAddIntoDense) {
  REQUIRE_MODELS();
  auto g = load_model("three_layer_keras.onnx");
  EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense, OpKind::Activation, OpKind::Dense,
                                           OpKind::Activation, OpKind::Dense, OpKind::Activation, OpKind::Dense,
                                           OpKind::Softmax}));
  EXPECT_EQ(output_shapes(g), (std::vector<ir::Shape>{{16}, {64}, {64}, {32}, {32}, {32}, {32}, {5}, {5}}));
  EXPECT_EQ(activation_functions(g), (std::vector<std::string>{"relu", "relu", "relu"}));
  const auto& d = g.nodes[1];
  EXPECT_EQ(d.name, "class_keras_layers_core_Dense");
  EXPECT_EQ(d.source, "MatMul '_class__keras_layers_core_Dense__' + Add 'Add'");
  EXPECT_EQ(d.aliases, (std::vector<std::string>{"_class__keras_layers_core_Dense__", "Add"}));
  EXPECT_EQ(g.tensor(d.param("weight")).shape, (ir::Shape{16, 64}));
  // The Add's bias B was folded in: not all zero any more.
  const auto& bias = param_values(g, d, "bias");
  ASSERT_EQ(bias.size(), 64u);
  EXPECT_TRUE(std::any_of(bias.begin(), bias.end(), [](double b) { return b != 0; }));
  EXPECT_EQ(g.nodes[0].name, "input_1_0");
  EXPECT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0], g.nodes.back().outputs[0]);
  for (const auto& t : g.tensors) EXPECT_FALSE(t.type.has_value()) << t.name;
}

TEST(OnnxModels, ThreeLayerPytorchTransposesGemmWeights) {
  REQUIRE_MODELS();
  auto g = load_model("three_layer_pytorch.onnx");
  EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense, OpKind::Activation, OpKind::Dense,
                                           OpKind::Activation, OpKind::Dense, OpKind::Activation, OpKind::Dense,
                                           OpKind::Softmax}));
  EXPECT_EQ(output_shapes(g), (std::vector<ir::Shape>{{16}, {64}, {64}, {32}, {32}, {32}, {32}, {5}, {5}}));
  // Unnamed nodes get OpType_index names; the input "0" is prefixed to be an identifier.
  EXPECT_EQ(g.nodes[0].name, "input_0");
  EXPECT_EQ(g.nodes[1].name, "Gemm_0");
  EXPECT_EQ(g.nodes[1].source, "Gemm #0");
  EXPECT_TRUE(g.nodes[1].aliases.empty());
  EXPECT_EQ(g.tensor(g.nodes[1].param("weight")).shape, (ir::Shape{16, 64}));  // transB=1 undone
}

TEST(OnnxModels, ThreeLayerBnKerasAliasesLayoutPreservingTransposes) {
  REQUIRE_MODELS();
  auto g = load_model("three_layer_bn_keras.onnx");
  EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense, OpKind::BatchNorm, OpKind::Activation,
                                           OpKind::Dense, OpKind::BatchNorm, OpKind::Activation, OpKind::Dense,
                                           OpKind::BatchNorm, OpKind::Activation, OpKind::Dense, OpKind::BatchNorm,
                                           OpKind::Softmax}));
  EXPECT_EQ(output_shapes(g), (std::vector<ir::Shape>{{16}, {64}, {64}, {64}, {32}, {32}, {32}, {32}, {32}, {32},
                                                      {5}, {5}, {5}}));
  const auto& bn = g.nodes[2];
  EXPECT_EQ(bn.name, "BatchNormalization");
  EXPECT_EQ(g.tensor(bn.param("scale")).shape, (ir::Shape{64}));
  EXPECT_EQ(g.tensor(bn.param("bias")).shape, (ir::Shape{64}));
  EXPECT_EQ(bn.inputs[0], g.nodes[1].outputs[0]);  // the Transpose is an alias
}

TEST(OnnxModels, TwoLayerModelsEndInSigmoid) {
  REQUIRE_MODELS();
  for (const char* file : {"two_layer_keras.onnx", "two_layer_pytorch.onnx"}) {
    SCOPED_TRACE(file);
    auto g = load_model(file);
    EXPECT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Dense, OpKind::Activation, OpKind::Dense,
                                             OpKind::Activation}));
    EXPECT_EQ(activation_functions(g), (std::vector<std::string>{"relu", "sigmoid"}));
    EXPECT_EQ(g.tensor(g.inputs[0]).shape, (ir::Shape{10}));
    EXPECT_EQ(g.tensor(g.outputs[0]).shape, (ir::Shape{1}));
  }
}

TEST(OnnxModels, DenseBigKerasDropsIdentities) {
  REQUIRE_MODELS();
  auto g = load_model("dense_big_keras.onnx");
  std::vector<OpKind> expect{OpKind::Input};
  for (int i = 0; i < 5; ++i) {
    expect.push_back(OpKind::Dense);
    expect.push_back(OpKind::Activation);
  }
  expect.push_back(OpKind::Dense);
  expect.push_back(OpKind::Softmax);
  EXPECT_EQ(kinds(g), expect);
  EXPECT_EQ(g.tensor(g.inputs[0]).shape, (ir::Shape{16}));
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (ir::Shape{5}));
  for (const auto& n : g.nodes) {
    if (n.kind == OpKind::Dense) {
      EXPECT_NE(n.source.find(" + Add"), std::string::npos) << n.name;
    }
  }
}

// Keras/tf2onnx exports take channels-last data and Transpose it to NCHW for the Conv: firmnet holds maps
// channels-last, so the Transposes are absorbed (no IR Transpose, no layout on the input) and the Flatten
// after the conv (NCHW order in ONNX) becomes a permutation of the Gemm's weight rows.
TEST(OnnxModels, KerasChannelsLastConvModelsLoadWithoutTransposes) {
  REQUIRE_MODELS();
  for (const char* file : {"conv1d_small_keras.onnx", "conv2d_small_keras.onnx"}) {
    SCOPED_TRACE(file);
    const auto g = load_model(file);
    int convs = 0;
    for (const auto& n : g.nodes) {
      EXPECT_NE(n.kind, ir::OpKind::Transpose) << n.name;
      convs += n.kind == ir::OpKind::Conv;
    }
    EXPECT_GE(convs, 1);
    EXPECT_FALSE(g.tensor(g.inputs[0]).layout.has_value());
    EXPECT_FALSE(g.tensor(g.outputs[0]).layout.has_value());
  }
}

TEST(OnnxModels, QonnxBinaryLayerLoads) {
  REQUIRE_MODELS();
  std::vector<Warning> w;
  const auto g = frontends::load_onnx(kModels + "bnn_model_fc_1layer.onnx", w);
  // BipolarQuant(x) -> MultiThreshold; the weight BipolarQuant and bias Quant fold into the Dense.
  std::vector<ir::OpKind> k;
  for (const auto& n : g.nodes) k.push_back(n.kind);
  EXPECT_EQ(k, (std::vector<ir::OpKind>{ir::OpKind::Input, ir::OpKind::MultiThreshold, ir::OpKind::Dense,
                                         ir::OpKind::MultiThreshold}));
  const ir::Node& d = g.nodes[2];
  EXPECT_EQ(g.tensor(d.param("weight")).type->str(), "fixed<2,2,RND_CONV,SAT>");
  EXPECT_EQ(g.tensor(d.param("weight")).origin, "QONNX BipolarQuant(scale=2^0)");
  EXPECT_EQ(g.tensor(d.param("bias")).values, (std::vector<double>{2, 2, -1, -4}));
  EXPECT_EQ(g.tensor(g.nodes[3].outputs[0]).origin, "QONNX BipolarQuant(scale=2^0)");
}

// hls4ml's channels-last QONNX models (qonnx.custom_op.channels_last Conv/MaxPool over NHWC data, a plain
// Resize over NHWC): the data is already in the order firmnet holds maps, so no Transpose appears.
TEST(OnnxModels, ChannelsLastQonnxModelsLoadWithoutTransposes) {
  REQUIRE_MODELS();
  struct Want { const char* file; int convs, pools, upsamples; };
  for (const Want& m : {Want{"separable_conv_model_ch_last.onnx", 4, 0, 0}, Want{"branched_model_ch_last.onnx", 14, 1, 1},
                        Want{"tiny_unet_ch_last.onnx", 40, 4, 4}}) {
    SCOPED_TRACE(m.file);
    std::vector<Warning> w;
    const auto g = frontends::load_onnx(kModels + m.file, w);
    int convs = 0, pools = 0, ups = 0;
    for (const auto& n : g.nodes) {
      EXPECT_NE(n.kind, ir::OpKind::Transpose) << n.name;
      convs += n.kind == ir::OpKind::Conv, pools += n.kind == ir::OpKind::Pool, ups += n.kind == ir::OpKind::Upsample;
    }
    EXPECT_EQ(convs, m.convs);
    EXPECT_EQ(pools, m.pools);
    EXPECT_EQ(ups, m.upsamples);
    EXPECT_EQ(g.tensor(g.inputs[0]).shape.back(), 3) << "NHWC input held as it is";
  }
}

TEST(OnnxModels, TruncatedModelFails) {
  REQUIRE_MODELS();
  const std::string bytes = read_bytes(kModels + "three_layer_keras.onnx");
  ASSERT_GT(bytes.size(), 1000u);
  std::vector<Warning> w;
  for (size_t keep : {bytes.size() / 2, bytes.size() - 7, size_t{10}}) {
    SCOPED_TRACE(keep);
    try {
      frontends::load_onnx_bytes(bytes.substr(0, keep), "cut.onnx", w);
      FAIL() << "a truncated model loaded";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("cut.onnx", 0), 0u) << e.what();
    }
  }
  try {
    frontends::load_onnx_bytes(bytes.substr(0, bytes.size() / 2), "cut.onnx", w);
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cut.onnx: is not a valid ONNX model: the protobuf data is truncated or corrupt (hint: check "
                           "that the file is a binary .onnx model and was copied completely)");
  }
}

TEST(OnnxErrors, MissingFile) {
  EXPECT_EQ(error_of_file("/nonexistent/model.onnx"),
            "/nonexistent/model.onnx: file not found (hint: check the path to the .onnx model)");
}

TEST(OnnxErrors, EmptyFile) {
  const fs::path p = fs::temp_directory_path() / "firmnet_frontend_empty.onnx";
  { std::ofstream f(p); }
  EXPECT_EQ(error_of_file(p.string()), p.string() + ": the file is empty (0 bytes) (hint: re-export the model)");
  fs::remove(p);
}

TEST(OnnxErrors, GarbageBytes) {
  std::vector<Warning> w;
  try {
    frontends::load_onnx_bytes(std::string("\xff\xff\xff\xff garbage \x01\x02", 15), "junk.onnx", w);
    FAIL() << "garbage loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "junk.onnx");
    EXPECT_EQ(e.message(), "is not a valid ONNX model: the protobuf data is truncated or corrupt");
  }
  // Valid protobuf, but no graph.
  try {
    frontends::load_onnx_bytes(std::string("\x08\x07", 2), "nograph.onnx", w);  // ir_version = 7 only
    FAIL() << "a model without a graph loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "contains no graph (is it an ONNX model?)");
  }
}

TEST(OnnxErrors, GitLfsPointer) {
  std::vector<Warning> w;
  try {
    frontends::load_onnx_bytes("version https://git-lfs.github.com/spec/v1\noid sha256:abc\n", "lfs.onnx", w);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.hint(), "run 'git lfs pull' to fetch the model");
  }
}

}  // namespace
}  // namespace firmnet::test
