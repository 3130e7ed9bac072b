// Configuration loading: valid hls4ml-style files, and every error path with its message text.
#include <gtest/gtest.h>

#include <filesystem>

#include "config/config.h"

namespace firmnet::config {
namespace {

using numeric::FixedType;

// The error text of parsing `yaml`, or "" when it parsed.
std::string error_of(const std::string& yaml) {
  try {
    Config::parse(yaml, "config.yml");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Config, EmptyMeansDefaults) {
  const Config c = Config::parse("", "config.yml");
  EXPECT_EQ(c.backend, "Vitis");
  EXPECT_EQ(c.io_type, "io_parallel");
  EXPECT_DOUBLE_EQ(c.clock_period, 5.0);
  EXPECT_TRUE(c.model.precision.empty());
  EXPECT_TRUE(c.warnings.empty());
}

TEST(Config, TopLevelKeys) {
  const Config c = Config::parse(R"(
Backend: vivado
XilinxPart: xcu250-figd2104-2L-e
ClockPeriod: 4
ClockUncertainty: 25%
IOType: io_parallel
ProjectName: jet_tagger
OutputDir: out/prj
)", "config.yml");
  EXPECT_EQ(c.backend, "Vivado");
  EXPECT_EQ(c.part, "xcu250-figd2104-2L-e");
  EXPECT_DOUBLE_EQ(c.clock_period, 4.0);
  EXPECT_DOUBLE_EQ(c.clock_uncertainty.value(), 25.0);
  EXPECT_EQ(c.project_name, "jet_tagger");
  EXPECT_EQ(c.output_dir, "out/prj");
}

TEST(Config, UncertaintyInNanosecondsBecomesPercent) {
  const Config c = Config::parse("ClockPeriod: 4\nClockUncertainty: 0.5\n", "config.yml");
  EXPECT_DOUBLE_EQ(c.clock_uncertainty.value(), 12.5);
}

TEST(Config, LevelsAndPrecisionVariables) {
  const Config c = Config::parse(R"(
HLSConfig:
  Model:
    Precision: ap_fixed<16,6>
    ReuseFactor: 4
    Strategy: resource
  LayerType:
    Relu:
      Precision: {result: "ufixed<8,3,RND_CONV,SAT>"}
    Add:
      Trace: yes
  LayerName:
    fc1:
      Precision:
        weight: fixed<8,2>
        accum: auto
      TableSize: 2048
      Trace: true
    sm:
      Implementation: Stable
      exp_table_t: ap_ufixed<18,1>
      inv_table_t: ap_fixed<18,4>
      table_t: fixed<18,2>
)", "config.yml");
  EXPECT_EQ(c.model.precision.at("default"), "ap_fixed<16,6>");
  EXPECT_EQ(c.model.reuse_factor, 4);
  EXPECT_EQ(c.model.strategy, ir::Strategy::Resource);
  ASSERT_TRUE(c.layer_type.count("ReLU"));  // canonical spelling
  EXPECT_EQ(c.layer_type.at("ReLU").precision.at("result"), "ufixed<8,3,RND_CONV,SAT>");
  ASSERT_TRUE(c.layer_type.count("Elementwise"));
  EXPECT_EQ(c.layer_type.at("Elementwise").trace, true);
  const LayerSettings& fc1 = c.layer_name.at("fc1");
  EXPECT_EQ(fc1.precision.at("weight"), "fixed<8,2>");
  EXPECT_EQ(fc1.precision.at("accum"), "auto");
  EXPECT_EQ(fc1.table_size, 2048);
  EXPECT_EQ(fc1.trace, true);
  const LayerSettings& sm = c.layer_name.at("sm");
  EXPECT_EQ(sm.implementation, "stable");
  EXPECT_EQ(sm.precision.at("exp_table"), "ap_ufixed<18,1>");
  EXPECT_EQ(sm.precision.at("inv_table"), "ap_fixed<18,4>");
  EXPECT_EQ(sm.precision.at("table"), "fixed<18,2>");
}

TEST(Config, Hls4mlQKerasConfigFile) {
  const std::string path = std::string(FIRMNET_SHARED_MODELS) + "/keras/qkeras_3layer_config.yml";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared models not found at " << path;
  const Config c = Config::load_file(path);
  EXPECT_EQ(c.backend, "Vivado");
  EXPECT_EQ(c.part, "xcvu9p-flga2577-2-e");
  EXPECT_EQ(c.project_name, "myproject");
  EXPECT_EQ(c.output_dir, "qkeras_3layer");
  EXPECT_EQ(c.model.precision.at("default"), "ap_fixed<16,6>");
  EXPECT_EQ(c.model.strategy, ir::Strategy::Latency);
  EXPECT_EQ(c.layer_name.size(), 9u);
  EXPECT_EQ(c.layer_name.at("fc2").precision.at("weight"), "ap_fixed<6,1>");
  EXPECT_EQ(FixedType::parse(c.layer_name.at("relu1").precision.at("result")).str(), "fixed<7,1,RND_CONV,SAT>");
  const LayerSettings& sm = c.layer_name.at("softmax");
  EXPECT_EQ(sm.precision.at("exp_table"), "ap_fixed<18,8>");
  EXPECT_EQ(sm.precision.at("inv_table"), "ap_fixed<18,4>");
  EXPECT_EQ(sm.table_size, 1024);
  EXPECT_EQ(sm.trace, true);
  // KerasJson and KerasH5 name the model (driver::model_from_config resolves them).
  EXPECT_TRUE(c.warnings.empty());
  EXPECT_EQ(c.keras_json, "keras/qkeras_3layer.json");
  EXPECT_EQ(c.keras_h5, "keras/qkeras_3layer_weights.h5");
}

// Every example-models configuration file loads: hls4ml's Strategy: Stable on a softmax chooses the
// implementation, and LayerType names hls4ml's GarNet (its ReuseFactor configures the GarNet layer:
// tests/e2e/keras_garnet_test.cpp).
TEST(Config, EveryHls4mlExampleConfigLoads) {
  const std::filesystem::path dir = std::filesystem::path(FIRMNET_SHARED_MODELS) / "keras";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "shared models not found at " << dir;
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string f = e.path().filename().string();
    if (f.size() < 11 || f.substr(f.size() - 11) != "_config.yml") continue;
    SCOPED_TRACE(f);
    const Config c = Config::load_file(e.path().string());
    EXPECT_FALSE(c.keras_json.empty());
    ++n;
    if (f == "qkeras_mnist_dense_config.yml") {
      EXPECT_EQ(c.layer_name.at("activation_3").implementation, "stable");
      EXPECT_FALSE(c.layer_name.at("activation_3").strategy.has_value());
      EXPECT_EQ(c.layer_name.at("q_dense_2").reuse_factor, 112);
    }
    if (f == "garnet_1layer_config.yml") {
      EXPECT_EQ(c.layer_type.at("GarNet").reuse_factor, 16);
    }
  }
  EXPECT_EQ(n, 5u);
}

TEST(ConfigErrors, SoftmaxStrategiesWithoutKernel) {
  EXPECT_EQ(error_of("HLSConfig:\n  LayerName:\n    sm:\n      Strategy: Argmax\n"),
            "config.yml: key 'HLSConfig.LayerName.sm.Strategy': softmax implementation 'Argmax' is not supported "
            "yet (hint: use Stable (the two-level table softmax of docs/NUMERICS.md))");
  EXPECT_EQ(Config::parse("HLSConfig:\n  LayerType:\n    Softmax: {Strategy: stable}\n", "config.yml")
                .layer_type.at("Softmax")
                .implementation,
            "stable");
}

TEST(ConfigErrors, UnknownKeySuggestsNearest) {
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    ReuseFactr: 2\n"),
            "config.yml: unknown key 'HLSConfig.Model.ReuseFactr' (hint: did you mean 'ReuseFactor'?)");
  EXPECT_EQ(error_of("ClockPeriode: 5\n"), "config.yml: unknown key 'ClockPeriode' (hint: did you mean 'ClockPeriod'?)");
  EXPECT_EQ(error_of("HLSConfig:\n  LayerName:\n    fc1:\n      Precision:\n        wieght: fixed<8,2>\n"),
            "config.yml: unknown key 'HLSConfig.LayerName.fc1.Precision.wieght' (hint: did you mean 'weight'?)");
  EXPECT_EQ(error_of("HLSConfig:\n  LayerType:\n    Dnse:\n      ReuseFactor: 2\n"),
            "config.yml: unknown key 'HLSConfig.LayerType.Dnse' (hint: did you mean 'Dense'?)");
  // Nothing close: the hint lists the valid keys.
  EXPECT_NE(error_of("HLSConfig:\n  Zzzzzzzz: 1\n").find("valid keys here: Model, LayerType, LayerName"),
            std::string::npos);
}

TEST(ConfigErrors, BadPrecisionNamesKeyPath) {
  const std::string e = error_of("HLSConfig:\n  LayerName:\n    fc1:\n      Precision:\n        weight: fixed<99,2>\n");
  EXPECT_NE(e.find("config.yml: key 'HLSConfig.LayerName.fc1.Precision.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("fixed<99,2>"), std::string::npos) << e;
  const std::string e2 = error_of("HLSConfig:\n  Model:\n    Precision: banana\n");
  EXPECT_NE(e2.find("key 'HLSConfig.Model.Precision'"), std::string::npos) << e2;
  EXPECT_NE(e2.find("banana"), std::string::npos) << e2;
}

TEST(ConfigErrors, UnquotedPrecisionInFlowMap) {
  const std::string e = error_of("HLSConfig:\n  Model:\n    Precision: {weight: fixed<8,2>}\n");
  EXPECT_NE(e.find("key 'HLSConfig.Model.Precision.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("hint: quote precisions inside {...}"), std::string::npos) << e;
}

TEST(ConfigErrors, ValuesOfTheWrongKind) {
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    ReuseFactor: 0\n"),
            "config.yml: key 'HLSConfig.Model.ReuseFactor' must be an integer >= 1, got 0");
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    ReuseFactor: two\n"),
            "config.yml: key 'HLSConfig.Model.ReuseFactor' must be an integer, got 'two'");
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    ReuseFactor: [1, 2]\n"),
            "config.yml: key 'HLSConfig.Model.ReuseFactor' must be a string, got a list");
  EXPECT_EQ(error_of("ClockPeriod: fast\n"), "config.yml: key 'ClockPeriod' must be a number, got 'fast'");
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    Trace: maybe\n"),
            "config.yml: key 'HLSConfig.Model.Trace' must be true or false, got 'maybe'");
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    Strategy: Fastest\n"),
            "config.yml: key 'HLSConfig.Model.Strategy' has unknown strategy 'Fastest' (hint: use Latency or Resource (or "
            "Stable on a Softmax))");
  EXPECT_EQ(error_of("HLSConfig:\n  Model:\n    TableSize: 1000\n"),
            "config.yml: key 'HLSConfig.Model.TableSize' must be a power of two from 16 to 65536, got 1000 "
            "(hint: e.g. 1024 (the default))");
  EXPECT_EQ(error_of("HLSConfig: 3\n"), "config.yml: key 'HLSConfig' must be a map of settings, got a scalar");
  EXPECT_EQ(error_of("ProjectName: 3rd-project\n"),
            "config.yml: ProjectName '3rd-project' is not a C++ identifier "
            "(hint: use letters, digits and '_', not starting with a digit)");
  EXPECT_EQ(error_of("Backend: Quartus\n"), "config.yml: Backend 'Quartus' is not supported (hint: use Vitis or Vivado)");
}

TEST(ConfigErrors, UnsupportedFeatures) {
  EXPECT_EQ(error_of("IOType: io_serial\n"), "config.yml: IOType 'io_serial' is unknown (hint: use io_parallel or io_stream)");
  EXPECT_EQ(error_of("HLSConfig:\n  LayerName:\n    sm:\n      Implementation: latency\n"),
            "config.yml: key 'HLSConfig.LayerName.sm.Implementation': softmax implementation 'latency' is not "
            "supported yet (hint: use Stable (the two-level table softmax of docs/NUMERICS.md))");
}

TEST(ConfigErrors, DuplicateSettings) {
  EXPECT_NE(error_of("HLSConfig:\n  LayerType:\n    Add: {Trace: true}\n    Multiply: {Trace: false}\n")
                .find("configures the same layers as 'HLSConfig.LayerType.Add'"),
            std::string::npos);
  EXPECT_NE(error_of("HLSConfig:\n  LayerName:\n    sm:\n      Precision: {exp_table: \"fixed<18,1>\"}\n"
                     "      exp_table_t: fixed<18,2>\n")
                .find("sets precision 'exp_table' a second time"),
            std::string::npos);
}

TEST(ConfigErrors, GarbageYamlNamesLineAndColumn) {
  const std::string e = error_of("HLSConfig:\n  Model:\n    Precision: [fixed<16,6>\n  bad: {\n");
  EXPECT_EQ(e.rfind("config.yml: invalid YAML at line ", 0), 0u) << e;
  EXPECT_NE(e.find(", column "), std::string::npos) << e;
  const std::string e2 = error_of("a: b: c\n");
  EXPECT_NE(e2.find("invalid YAML at line 1, column 5"), std::string::npos) << e2;
  EXPECT_EQ(error_of("just a string"), "config.yml: the file is not a YAML map of settings (it is the single value 'just a string')");
  EXPECT_EQ(error_of("\t\x01\x02"), error_of("\t\x01\x02"));  // never crashes; message is deterministic
}

TEST(ConfigErrors, MissingFile) {
  try {
    Config::load_file("/nonexistent/firmnet.yml");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/firmnet.yml: cannot open the configuration file (hint: check the path given to --config)");
  }
}

TEST(ConfigNames, NearestAndLayerTypes) {
  EXPECT_EQ(nearest("ReuseFactr", {"Precision", "ReuseFactor", "Strategy"}), "ReuseFactor");
  EXPECT_EQ(nearest("qqqqqqqqqq", {"Precision", "ReuseFactor"}), "");
  EXPECT_EQ(canonical_layer_type("relu"), "ReLU");
  EXPECT_EQ(canonical_layer_type("Tanh"), "TanH");
  EXPECT_EQ(canonical_layer_type("BatchNorm"), "BatchNormalization");
  EXPECT_EQ(canonical_layer_type("Multiply"), "Elementwise");
  EXPECT_EQ(canonical_layer_type("Conv2D"), "Conv2D");
  EXPECT_EQ(canonical_layer_type("SeparableConv2D"), std::nullopt);  // exported as depthwise + pointwise Convs
}

}  // namespace
}  // namespace firmnet::config
