// Keras layers and QKeras quantizers on models built inline (configuration and weights in memory, no files):
// the values expected are computed here from the frameworks' formulas (each cited), independently of
// firmnet's converters; the emulator and the float reference must give them, and the generated firmware
// must equal the emulator bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "firmware_check.h"
#include "emulator/emulator.h"
#include "frontends/keras/keras_files.h"
#include "frontends/keras/keras_frontend.h"
#include "ir/text.h"

namespace fs = std::filesystem;
using namespace firmnet;
using e2e::expect_firmware_equals_emulator;
using nlohmann::json;

namespace {

using Weights = std::map<std::string, std::vector<frontends::keras::Array>>;

// A Keras 2 Sequential model: an InputLayer of `input_shape` (without the batch), then `layers` (a JSON list
// of layer objects).
frontends::keras::KerasFile sequential(const std::vector<int64_t>& input_shape, const std::string& layers,
                                       Weights weights = {}) {
  frontends::keras::KerasFile f;
  f.where = "inline.json";
  json shape = json::array({nullptr});
  for (int64_t d : input_shape) shape.push_back(d);
  json m = {{"class_name", "Sequential"}, {"config", {{"name", "s"}}}};
  json ls = json::parse(layers);
  ls.insert(ls.begin(), json{{"class_name", "InputLayer"}, {"config", {{"name", "in"}, {"batch_input_shape", shape}}}});
  m["config"]["layers"] = ls;
  f.model = m;
  f.has_weights = !weights.empty();
  f.weights = std::move(weights);
  return f;
}

// A Keras 2 functional model: `inputs` (name, shape without the batch), `layers` (a JSON list of layer objects
// with their inbound_nodes), `outputs` (layer names).
frontends::keras::KerasFile functional(const std::vector<std::pair<std::string, std::vector<int64_t>>>& inputs,
                                       const std::string& layers, const std::vector<std::string>& outputs,
                                       Weights weights = {}) {
  frontends::keras::KerasFile f;
  f.where = "inline.json";
  json ls = json::array(), in = json::array(), out = json::array();
  for (const auto& [name, dims] : inputs) {
    json shape = json::array({nullptr});
    for (int64_t d : dims) shape.push_back(d);
    ls.push_back({{"class_name", "InputLayer"}, {"config", {{"name", name}, {"batch_input_shape", shape}}},
                  {"inbound_nodes", json::array()}});
    in.push_back({name, 0, 0});
  }
  for (const json& l : json::parse(layers)) ls.push_back(l);
  for (const std::string& o : outputs) out.push_back({o, 0, 0});
  f.model = {{"class_name", "Functional"},
             {"config", {{"name", "m"}, {"layers", ls}, {"input_layers", in}, {"output_layers", out}}}};
  f.has_weights = !weights.empty();
  f.weights = std::move(weights);
  return f;
}

driver::Compiled compile(const frontends::keras::KerasFile& f, const std::string& cfg = "") {
  std::vector<Warning> w;
  ir::Graph g = frontends::load_keras_model(f, w);
  driver::Compiled c = driver::compile_graph(std::move(g), "frontend",
                                             cfg.empty() ? config::Config::defaults() : config::Config::parse(cfg, "c.yml"));
  c.warnings.insert(c.warnings.begin(), w.begin(), w.end());
  return c;
}

std::string error_of(const frontends::keras::KerasFile& f) {
  std::vector<Warning> w;
  try {
    frontends::load_keras_model(f, w);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }


// Inputs on the 2^-6 grid in [-8, 8): exact in the default fixed<16,6> input type.
std::vector<double> grid_inputs(size_t n, uint64_t seed) {
  std::vector<double> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = std::ldexp(static_cast<double>(((i + seed) * 2654435761u) % 1024) - 512.0, -6);
  return x;
}

std::vector<double> emulate(const driver::Compiled& c, const std::vector<double>& x, size_t batch) {
  return emulator::Emulator(c.graph).run({x}, batch).outputs.at(0);
}

// ------------------------------------------------------------------------------------------------------
// Cropping1D/2D and UpSampling1D/2D: Keras's Cropping2D((t, b), (l, r)) keeps rows t..H-b-1 and columns
// l..W-r-1; UpSampling2D(size=(a, b)) (nearest) repeats each row a times and each column b times, so output
// (i, j) is input (i / a, j / b).

TEST(KerasLayers, Cropping2DThenUpSampling2D) {
  const auto f = sequential({5, 6, 3}, R"([
      {"class_name": "Cropping2D", "config": {"name": "crop", "cropping": [[1, 2], [0, 3]], "data_format": "channels_last"}},
      {"class_name": "UpSampling2D", "config": {"name": "up", "size": [2, 3], "data_format": "channels_last",
                                                "interpolation": "nearest"}}])");
  const auto c = compile(f);
  ASSERT_EQ(c.graph.tensor(c.graph.outputs[0]).shape, (ir::Shape{4, 9, 3}));
  const size_t batch = 20, n_in = 5 * 6 * 3, n_out = 4 * 9 * 3;
  const auto x = grid_inputs(batch * n_in, 1);
  std::vector<double> want(batch * n_out);
  for (size_t s = 0; s < batch; ++s)
    for (size_t i = 0; i < 4; ++i)
      for (size_t j = 0; j < 9; ++j)
        for (size_t ch = 0; ch < 3; ++ch)
          want[s * n_out + (i * 9 + j) * 3 + ch] = x[s * n_in + ((i / 2 + 1) * 6 + (j / 3 + 0)) * 3 + ch];
  EXPECT_EQ(emulate(c, x, batch), want);
  EXPECT_EQ(emulator::run_float(c.graph, {x}, batch).at(0), want);
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  expect_firmware_equals_emulator(c, {x}, batch, "crop_up_2d");
  expect_firmware_equals_emulator(compile(f, "IOType: io_stream\n"), {x}, batch, "crop_up_2d_stream");
}

TEST(KerasLayers, UpSampling1DThenCropping1DThenConv) {
  // UpSampling1D(3): [10, 2] -> [30, 2]; Cropping1D((4, 5)): rows 4..24 -> [21, 2]; a 1x1 Conv1D sums the
  // two channels with weights 1 and -2 (exact on the grid).
  Weights w;
  w["conv"] = {{"kernel", {1, 2, 1}, {1.0, -2.0}}, {"bias", {1}, {0.5}}};
  const auto f = sequential({10, 2}, R"([
      {"class_name": "UpSampling1D", "config": {"name": "up", "size": 3}},
      {"class_name": "Cropping1D", "config": {"name": "crop", "cropping": [4, 5]}},
      {"class_name": "Conv1D", "config": {"name": "conv", "filters": 1, "kernel_size": [1], "strides": [1],
                                          "padding": "valid", "use_bias": true, "activation": "linear"}}])",
                            w);
  const auto c = compile(f);
  ASSERT_EQ(c.graph.tensor(c.graph.outputs[0]).shape, (ir::Shape{21, 1}));
  const size_t batch = 20, n_in = 20, n_out = 21;
  const auto x = grid_inputs(batch * n_in, 7);
  std::vector<double> want(batch * n_out);
  for (size_t s = 0; s < batch; ++s)
    for (size_t i = 0; i < n_out; ++i) {
      const size_t src = (i + 4) / 3;
      want[s * n_out + i] = x[s * n_in + src * 2] - 2.0 * x[s * n_in + src * 2 + 1] + 0.5;
    }
  EXPECT_EQ(emulate(c, x, batch), want);
  EXPECT_EQ(emulator::run_float(c.graph, {x}, batch).at(0), want);
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  expect_firmware_equals_emulator(c, {x}, batch, "up_crop_1d");
}

TEST(KerasLayers, CroppingAndUpSamplingRefusals) {
  const auto e1 = error_of(sequential({4, 4, 2}, R"([{"class_name": "Cropping2D", "config": {"name": "c1",
      "cropping": [[1, 1], [1, 1]], "data_format": "channels_first"}}])"));
  EXPECT_NE(e1.find("layer 'c1' (Cropping2D): data_format 'channels_first' is not supported"), std::string::npos) << e1;
  const auto e2 = error_of(sequential({4, 4, 2}, R"([{"class_name": "Cropping2D", "config": {"name": "c2",
      "cropping": [[2, 2], [0, 0]]}}])"));
  EXPECT_NE(e2.find("layer 'c2' (Cropping2D): cropping 2 + 2 of axis 0 leaves nothing of its 4 elements"), std::string::npos)
      << e2;
  const auto e3 = error_of(sequential({4, 4, 2}, R"([{"class_name": "UpSampling2D", "config": {"name": "u1",
      "size": [2, 2], "interpolation": "bilinear"}}])"));
  EXPECT_NE(e3.find("layer 'u1' (UpSampling2D): interpolation 'bilinear' is not supported"), std::string::npos) << e3;
  EXPECT_NE(e3.find("hint: use interpolation='nearest'"), std::string::npos) << e3;
  const auto e4 = error_of(sequential({8}, R"([{"class_name": "UpSampling1D", "config": {"name": "u2", "size": 2}}])"));
  EXPECT_NE(e4.find("layer 'u2' (UpSampling1D): input of shape [8] is not a 1-D channels-last map"), std::string::npos) << e4;
}

// ZeroPadding and Cropping read their amounts with one parser: a negative amount and a shape it does not know are
// refused naming the layer, the field and its value, with the form Keras saves.
TEST(KerasLayers, PaddingAndCroppingAmountRefusals) {
  const auto e1 = error_of(sequential({4, 4, 2}, R"([{"class_name": "ZeroPadding2D", "config": {"name": "p1",
      "padding": [[1, -1], [0, 0]]}}])"));
  EXPECT_NE(e1.find("layer 'p1' (ZeroPadding2D): padding [[1,-1],[0,0]] is not a list of non-negative integers"),
            std::string::npos) << e1;
  const auto e2 = error_of(sequential({4, 4, 2}, R"([{"class_name": "ZeroPadding2D", "config": {"name": "p2",
      "padding": [1, 2, 3]}}])"));
  EXPECT_NE(e2.find("layer 'p2' (ZeroPadding2D): padding [1,2,3] is not understood"), std::string::npos) << e2;
  EXPECT_NE(e2.find("ZeroPadding2D ((top, bottom), (left, right))"), std::string::npos) << e2;
  const auto e3 = error_of(sequential({6, 2}, R"([{"class_name": "Cropping1D", "config": {"name": "c3",
      "cropping": [1, 2, 3]}}])"));
  EXPECT_NE(e3.find("layer 'c3' (Cropping1D): cropping [1,2,3] is not understood"), std::string::npos) << e3;
  EXPECT_NE(e3.find("Cropping1D takes (begin, end)"), std::string::npos) << e3;
  const auto e4 = error_of(sequential({6, 2}, R"([{"class_name": "Cropping1D", "config": {"name": "c4",
      "cropping": 1.5}}])"));
  EXPECT_NE(e4.find("layer 'c4' (Cropping1D): cropping 1.5 is not understood"), std::string::npos) << e4;
}

// ------------------------------------------------------------------------------------------------------
// Dot (Keras batch_dot per sample): [d] . [d] -> [1] = sum_k a_k b_k; [n, d] . [m, d] with axes (2, 2) ->
// [n, m], out[i][j] = sum_k a[i][k] b[j][k]; [d, n] . [d, m] with axes 1 -> [n, m], out[i][j] = sum_k a[k][i] b[k][j].

std::string dot_layer(const std::string& name, const std::string& axes, const char* a, const char* b) {
  return R"({"class_name": "Dot", "config": {"name": ")" + name + R"(", "axes": )" + axes +
         R"(, "normalize": false}, "inbound_nodes": [[[")" + a + R"(", 0, 0, {}], [")" + b + R"(", 0, 0, {}]]]})";
}

TEST(KerasLayers, DotOfVectorsAndMatrices) {
  const auto f = functional({{"v1", {5}}, {"v2", {5}}, {"m1", {3, 4}}, {"m2", {2, 4}}, {"t1", {4, 3}}, {"t2", {4, 2}}},
                            "[" + dot_layer("dv", "1", "v1", "v2") + "," + dot_layer("dm", "[2, 2]", "m1", "m2") + "," +
                                dot_layer("dt", "[1, -2]", "t1", "t2") + "]",
                            {"dv", "dm", "dt"});
  const auto c = compile(f);
  ASSERT_EQ(c.graph.outputs.size(), 3u);
  EXPECT_EQ(c.graph.tensor(c.graph.outputs[0]).shape, (ir::Shape{1}));
  EXPECT_EQ(c.graph.tensor(c.graph.outputs[1]).shape, (ir::Shape{3, 2}));
  EXPECT_EQ(c.graph.tensor(c.graph.outputs[2]).shape, (ir::Shape{3, 2}));
  const size_t batch = 24;
  const std::vector<size_t> sizes = {5, 5, 12, 8, 12, 8};
  std::vector<std::vector<double>> x;
  for (size_t k = 0; k < sizes.size(); ++k) x.push_back(grid_inputs(batch * sizes[k], 11 * k + 3));
  std::vector<std::vector<double>> want(3);
  for (size_t s = 0; s < batch; ++s) {
    double v = 0;
    for (size_t k = 0; k < 5; ++k) v += x[0][s * 5 + k] * x[1][s * 5 + k];
    want[0].push_back(v);
    for (size_t i = 0; i < 3; ++i)
      for (size_t j = 0; j < 2; ++j) {
        double m = 0, t = 0;
        for (size_t k = 0; k < 4; ++k) {
          m += x[2][s * 12 + i * 4 + k] * x[3][s * 8 + j * 4 + k];
          t += x[4][s * 12 + k * 3 + i] * x[5][s * 8 + k * 2 + j];
        }
        want[1].push_back(m), want[2].push_back(t);
      }
  }
  const auto r = emulator::Emulator(c.graph).run(x, batch);
  EXPECT_EQ(r.outputs, want);
  EXPECT_EQ(emulator::run_float(c.graph, x, batch), want);
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  expect_firmware_equals_emulator(c, x, batch, "dot");
}

TEST(KerasLayers, DotRefusals) {
  const auto norm = error_of(functional({{"a", {4}}, {"b", {4}}},
                                        R"([{"class_name": "Dot", "config": {"name": "cos", "axes": 1, "normalize": true},
                                            "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}])",
                                        {"cos"}));
  EXPECT_NE(norm.find("layer 'cos' (Dot): normalize=True divides by the inputs' L2 norms"), std::string::npos) << norm;
  EXPECT_NE(norm.find("hint: use normalize=False"), std::string::npos) << norm;
  const auto r3 = error_of(functional({{"a", {2, 2, 4}}, {"b", {2, 2, 4}}}, "[" + dot_layer("d3", "3", "a", "b") + "]", {"d3"}));
  EXPECT_NE(r3.find("layer 'd3' (Dot): inputs of shapes [2,2,4] and [2,2,4]"), std::string::npos) << r3;
  const auto sz = error_of(functional({{"a", {3, 4}}, {"b", {3, 5}}}, "[" + dot_layer("dz", "2", "a", "b") + "]", {"dz"}));
  EXPECT_NE(sz.find("layer 'dz' (Dot): the contracted axes of inputs [3,4] and [3,5] differ in size (4 and 5)"),
            std::string::npos)
      << sz;
}

// ------------------------------------------------------------------------------------------------------
// QBatchNormalization (QKeras 0.9, qnormalization.py): each parameter through its quantizer, then Keras's float
// batch norm y = gamma_q * (x - mean_q) / sqrt(var_q + epsilon) + beta_q. The quantized parameters below are
// worked out by hand from quantizers.py:
//   quantized_relu_po2(6, 2048) (QBatchNormalization's default gamma quantizer): max_value > 1 keeps an exponent
//     sign bit, exponents in [-2^5, 2^5 - 1]; x = 2^round(log2 x), and x < 1e-7 (negatives too) gives 2^-32:
//     gamma 0.7 -> 2^round(-0.51) = 0.5, 3.1 -> 2^round(1.63) = 4, -0.2 -> 2^-32.
//   quantized_po2(5) (beta, mean): exponents in [-8, 7], sign kept (0 -> +2^-8):
//     beta 0.3 -> 2^round(-1.74) = 0.25, -1.7 -> -2^round(0.77) = -2, 0 -> 2^-8;
//     mean 0.1 -> 2^round(-3.32) = 0.125, 2.5 -> 2^round(1.32) = 2, -0.6 -> -2^round(-0.74) = -0.5.
//   quantized_relu_po2(6, quadratic_approximation=True) (variance): 2^(2 round(log2 sqrt x)), exponents up to 30,
//     x < 1e-7 gives 2^-32 (min_exp, not doubled): 0.3 -> 2^(2 round(-0.87)) = 0.25, 5 -> 2^(2 round(1.16)) = 4,
//     1e-9 -> 2^-32.
TEST(KerasLayers, QBatchNormalizationQuantizesItsParameters) {
  Weights w;
  w["qbn"] = {{"gamma", {3}, {0.7, 3.1, -0.2}},
              {"beta", {3}, {0.3, -1.7, 0.0}},
              {"moving_mean", {3}, {0.1, 2.5, -0.6}},
              {"moving_variance", {3}, {0.3, 5.0, 1e-9}}};
  const auto f = sequential({3}, R"js([
      {"class_name": "QBatchNormalization", "config": {"name": "qbn", "axis": -1, "epsilon": 0.001, "center": true,
        "scale": true,
        "gamma_quantizer": {"class_name": "quantized_relu_po2", "config": {"bits": 6, "max_value": 2048,
           "negative_slope": 0, "use_stochastic_rounding": false, "quadratic_approximation": false}},
        "beta_quantizer": {"class_name": "quantized_po2", "config": {"bits": 5, "max_value": null}},
        "mean_quantizer": "quantized_po2(5)",
        "variance_quantizer": "quantized_relu_po2(6, quadratic_approximation=True)"}},
      {"class_name": "QActivation", "config": {"name": "q", "activation": "quantized_bits(8, 3, alpha=1)"}}])js",
                            w);
  const auto c = compile(f);
  bool named = false;
  for (const auto& wn : c.warnings) named = named || wn.message.find("computes layer(s) 'qbn' in float between its quantizers") != std::string::npos;
  EXPECT_TRUE(named) << "the QBatchNormalization is not named as computed in float";
  const double gamma[] = {0.5, 4, std::ldexp(1, -32)}, beta[] = {0.25, -2, std::ldexp(1, -8)},
               mean[] = {0.125, 2, -0.5}, var[] = {0.25, 4, std::ldexp(1, -32)};
  const size_t batch = 400;
  const auto x = grid_inputs(batch * 3, 5);
  const auto y = emulate(c, x, batch);
  const auto yf = emulator::run_float(c.graph, {x}, batch).at(0);
  ASSERT_EQ(y.size(), x.size());
  size_t exact = 0, within = 0;
  double worst_float = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t ch = i % 3;
    const double bn = gamma[ch] * (x[i] - mean[ch]) / std::sqrt(var[ch] + 0.001) + beta[ch];
    // quantized_bits(8, 3): q = clip(round(bn * 2^4), -128, 127), y = q / 16.
    const double want = std::clamp(std::nearbyint(bn * 16), -128.0, 127.0) / 16;
    exact += y[i] == want;
    within += std::fabs(y[i] - want) <= 1.0 / 16;
    worst_float = std::max(worst_float, std::fabs(yf[i] - want));
  }
  std::printf("[qbn] emulator vs the QKeras formula: %zu of %zu values equal, %zu within one step (1/16)\n", exact,
              x.size(), within);
  EXPECT_EQ(within, x.size());
  EXPECT_GE(static_cast<double>(exact), 0.99 * static_cast<double>(x.size()));
  EXPECT_EQ(worst_float, 0.0);  // the float reference: the float batch norm, then the quantizer
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  expect_firmware_equals_emulator(c, {std::vector<double>(x.begin(), x.begin() + 40 * 3)}, 40, "qbn");
}

// ------------------------------------------------------------------------------------------------------
// QKeras 0.9 activation quantizers and functions on data (quantizers.py, default internal sigmoid "hard":
// hard_sigmoid(x) = clip(0.5x + 0.5, 0, 1)), evaluated here in float32 as QKeras does, round = tf.round (half to
// even, std::nearbyint):
//   quantized_tanh(bits, symmetric):    m = 2^(bits-1), p = 2 hard_sigmoid(x) - 1,
//                                        y = clip(round(p*m)/m, -1 + symmetric/m, 1 - 1/m)
//   quantized_sigmoid(bits, symmetric): m = 2^bits, p = hard_sigmoid(x), y = clip(round(p*m)/m, symmetric/m, 1 - 1/m)
//   hard_tanh = 2 hard_sigmoid - 1; smooth_sigmoid(x) = clip(0.1875x + 0.5, 0, 1), smooth_tanh = 2 smooth_sigmoid - 1;
//   binary_sigmoid = round(hard_sigmoid(x)).
float hard_sigmoid_f(float x) { return std::clamp(0.5f * x + 0.5f, 0.0f, 1.0f); }
double quantized_tanh_ref(double xd, int bits, bool symmetric) {
  const float m = std::ldexp(1.0f, bits - 1);
  const float p = 2.0f * hard_sigmoid_f(static_cast<float>(xd)) - 1.0f;
  return std::clamp(std::nearbyint(p * m) / m, -1.0f + (symmetric ? 1.0f : 0.0f) / m, 1.0f - 1.0f / m);
}
double quantized_sigmoid_ref(double xd, int bits, bool symmetric) {
  const float m = std::ldexp(1.0f, bits);
  const float p = hard_sigmoid_f(static_cast<float>(xd));
  return std::clamp(std::nearbyint(p * m) / m, (symmetric ? 1.0f : 0.0f) / m, 1.0f - 1.0f / m);
}

// One QActivation per entry, all reading the same input of 64 values, run on every value of the 2^-6 grid in
// [-8, 8) (each level boundary and each rounding tie among them): the emulator and the float reference must equal
// the entry's formula on every value, with at least min_levels levels, and the firmware the emulator. Returns
// the compiled model.
struct QAct {
  const char* name;
  const char* activation;  // JSON
  std::function<double(double)> ref;
};
driver::Compiled check_activations_on_grid(const std::vector<QAct>& acts, const std::string& label, size_t min_levels) {
  std::string layers = "[";
  std::vector<std::string> outs;
  for (const QAct& a : acts) {
    layers += std::string(layers.size() > 1 ? "," : "") + R"({"class_name": "QActivation", "config": {"name": ")" + a.name +
              R"(", "activation": )" + a.activation + R"(}, "inbound_nodes": [[["x", 0, 0, {}]]]})";
    outs.push_back(a.name);
  }
  const auto c = compile(functional({{"x", {64}}}, layers + "]", outs));
  const size_t batch = 16;
  const auto x = grid_inputs(batch * 64, 0);
  const auto r = emulator::Emulator(c.graph).run({x}, batch);
  const auto rf = emulator::run_float(c.graph, {x}, batch);
  EXPECT_EQ(r.outputs.size(), acts.size());
  for (size_t k = 0; k < acts.size() && k < r.outputs.size(); ++k) {
    SCOPED_TRACE(acts[k].name);
    size_t differ = 0, differ_float = 0;
    std::set<double> levels;
    for (size_t i = 0; i < x.size(); ++i) {
      const double want = acts[k].ref(x[i]);
      if (r.outputs[k][i] != want && differ++ < 3)
        ADD_FAILURE() << "x " << x[i] << ": emulator " << r.outputs[k][i] << ", QKeras " << want;
      differ_float += rf[k][i] != want;
      levels.insert(want);
    }
    std::printf("[%s] emulator vs QKeras's formula: %zu of %zu values differ (%zu levels)\n", acts[k].name, differ,
                x.size(), levels.size());
    EXPECT_EQ(differ, 0u);
    EXPECT_EQ(differ_float, 0u);
    EXPECT_GE(levels.size(), min_levels);
  }
  if (have_ap_types()) expect_firmware_equals_emulator(c, {x}, batch, label);
  return c;
}

TEST(KerasLayers, QKerasTanhSigmoidQuantizersAndFunctions) {
  using Act = QAct;
  const std::vector<Act> acts = {
      {"qt4", R"js("quantized_tanh(4)")js", [](double x) { return quantized_tanh_ref(x, 4, false); }},
      {"qt3s", R"js({"class_name": "quantized_tanh", "config": {"bits": 3, "symmetric": true, "use_stochastic_rounding": false,
                 "use_real_tanh": false}})js",
       [](double x) { return quantized_tanh_ref(x, 3, true); }},
      {"qs5", R"js("quantized_sigmoid(5)")js", [](double x) { return quantized_sigmoid_ref(x, 5, false); }},
      {"qs4s", R"js("quantized_sigmoid(4, symmetric=True)")js", [](double x) { return quantized_sigmoid_ref(x, 4, true); }},
      {"hs", R"("hard_sigmoid")", [](double x) { return static_cast<double>(hard_sigmoid_f(static_cast<float>(x))); }},
      {"ht", R"("hard_tanh")", [](double x) { return static_cast<double>(2.0f * hard_sigmoid_f(static_cast<float>(x)) - 1.0f); }},
      {"ss", R"("smooth_sigmoid")",
       [](double x) { return static_cast<double>(std::clamp(0.1875f * static_cast<float>(x) + 0.5f, 0.0f, 1.0f)); }},
      {"st", R"("smooth_tanh")",
       [](double x) { return static_cast<double>(2.0f * std::clamp(0.1875f * static_cast<float>(x) + 0.5f, 0.0f, 1.0f) - 1.0f); }},
      {"bs", R"("binary_sigmoid")", [](double x) { return static_cast<double>(std::nearbyint(hard_sigmoid_f(static_cast<float>(x)))); }},
  };
  check_activations_on_grid(acts, "qkeras_tanh_sigmoid", 2);
}

// A Q layer's activation string resolves through QKeras first: QDense(activation='hard_sigmoid') is QKeras's
// clip(0.5x + 0.5, 0, 1), not Keras's clip(0.2x + 0.5, 0, 1); a plain Dense keeps Keras's.
TEST(KerasLayers, QLayerActivationStringsAreQKerasFunctions) {
  Weights w;
  w["qd"] = {{"kernel", {2, 2}, {1, 0, 0, 1}}, {"bias", {2}, {0, 0}}};
  w["d"] = w["qd"];
  const auto f = sequential({2}, R"js([
      {"class_name": "QDense", "config": {"name": "qd", "units": 2, "activation": "hard_sigmoid", "use_bias": true,
        "kernel_quantizer": "quantized_bits(4, 0, alpha=1)", "bias_quantizer": "quantized_bits(4, 0, alpha=1)"}},
      {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "hard_sigmoid", "use_bias": true}}])js",
                            w);
  std::vector<Warning> warn;
  const ir::Graph g = frontends::load_keras_model(f, warn);
  std::vector<double> slopes;
  for (const auto& n : g.nodes)
    if (n.kind == ir::OpKind::Activation && n.attr_str("function") == "hard_sigmoid") slopes.push_back(n.attr_float("alpha"));
  EXPECT_EQ(slopes, (std::vector<double>{0.5, 0.2}));
}

TEST(KerasLayers, QKerasQuantizerRefusals) {
  const auto one = [](const std::string& act) {
    return error_of(sequential({4}, R"([{"class_name": "QActivation", "config": {"name": "qa", "activation": )" + act + "}}]"));
  };
  const auto e1 = one(R"js("quantized_tanh(8, use_real_tanh=True)")js");
  EXPECT_NE(e1.find("layer 'qa' (QActivation): quantizer quantized_tanh(8, use_real_tanh=True): use_real_tanh=True rounds the "
                    "float32 tanh of x"),
            std::string::npos)
      << e1;
  EXPECT_NE(e1.find("hint: use use_real_tanh=False"), std::string::npos) << e1;
  const auto e2 = one(R"js({"class_name": "quantized_sigmoid", "config": {"bits": 6, "symmetric": false, "use_real_sigmoid": true,
                        "use_stochastic_rounding": false}})js");
  EXPECT_NE(e2.find("layer 'qa' (QActivation): quantizer quantized_sigmoid(bits=6,symmetric=false): use_real_sigmoid=True"),
            std::string::npos)
      << e2;
  const auto e3 = one(R"js("quantized_ulaw(8, 0, 1, 255)")js");
  EXPECT_NE(e3.find("layer 'qa' (QActivation): the activation quantizer quantized_ulaw(8, 0, 1, 255) is not supported: its "
                    "levels are a u-law curve"),
            std::string::npos)
      << e3;
  EXPECT_NE(e3.find("hint: quantize the activation with quantized_relu or quantized_bits"), std::string::npos) << e3;
  const auto e4 = one(R"js({"class_name": "quantized_po2", "config": {"bits": 4, "max_value": null, "log2_rounding": "floor"}})js");
  EXPECT_NE(e4.find("layer 'qa' (QActivation): quantizer quantized_po2(bits=4): log2_rounding='floor' on data"),
            std::string::npos)
      << e4;
  EXPECT_NE(e4.find("hint: use log2_rounding='rnd'"), std::string::npos) << e4;
  const auto e5 = one(R"js("quantized_relu_po2(5, quadratic_approximation=True)")js");
  EXPECT_NE(e5.find("layer 'qa' (QActivation): quantizer quantized_relu_po2(5, quadratic_approximation=True): "
                    "quadratic_approximation on data"),
            std::string::npos)
      << e5;
}

// quantized_po2 / quantized_relu_po2 on data (quantizers.py _clip_power_of_two), written here from QKeras's
// definition in float32: bits with a max_value <= 1 spend no bit on the exponent's sign; quantized_po2 keeps
// one for x's sign: effect = bits - 1 - sign_bit, exponents [-2^effect, 2^effect - 1]; quantized_relu_po2:
// [-2^(bits - sign_bit), 2^(bits - sign_bit) - 1] (quadratic_approximation is refused on data: see
// QKerasQuantizerRefusals). |x| < 1e-7: min_exp; |x| >= max_value: max_value; sign(0) = +1; the
// relu form maps every x < 1e-7 (0 and the negatives) to 2^min_exp.
double po2_ref(double xd, int bits, bool relu, double max_value) {
  const bool has_max = max_value > 0;
  const int sign_bit = !has_max || max_value > 1 ? 1 : 0;
  const int effect = relu ? bits - sign_bit : bits - 1 - sign_bit;
  const float min_exp = -std::ldexp(1.0f, effect);
  const float max_exp = std::ldexp(1.0f, effect) - 1;
  const float x = static_cast<float>(xd);
  const float s = relu || x >= 0 ? 1.0f : -1.0f;
  const float a = relu ? std::max(x, 0.0f) : std::fabs(x);
  float e = min_exp;
  if (a >= 1e-7f) {
    const float f = has_max && a >= static_cast<float>(max_value) ? static_cast<float>(max_value) : a;
    e = std::clamp(std::nearbyint(std::log(f) / std::log(2.0f)), min_exp, max_exp);
  }
  return static_cast<double>(s * std::exp2(e));
}

TEST(KerasLayers, QKerasPowerOfTwoQuantizersOnData) {
  using Act = QAct;
  const std::vector<Act> acts = {
      {"p4", R"js("quantized_po2(4)")js", [](double x) { return po2_ref(x, 4, false, 0); }},
      {"p5m1", R"js("quantized_po2(5, 1)")js", [](double x) { return po2_ref(x, 5, false, 1); }},
      {"p6m4", R"js({"class_name": "quantized_po2", "config": {"bits": 6, "max_value": 4}})js",
       [](double x) { return po2_ref(x, 6, false, 4); }},
      {"rp4", R"js("quantized_relu_po2(4)")js", [](double x) { return po2_ref(x, 4, true, 0); }},
      {"rp3m2", R"js("quantized_relu_po2(3, 2)")js", [](double x) { return po2_ref(x, 3, true, 2); }},
  };
  // 0, the sign and every exponent's boundary 2^(e+1/2) lie between grid points.
  const auto c = check_activations_on_grid(acts, "qkeras_po2", 5);
  for (const auto& n : c.graph.nodes)
    if (n.kind == ir::OpKind::MultiThreshold) {
      EXPECT_TRUE(n.has_attr("out_levels")) << n.name;
    }
  // The listed levels survive the IR text form (print, parse, print).
  const std::string text = ir::print_text(c.graph, "compiled");
  EXPECT_EQ(ir::print_text(ir::parse_text(text, "po2.fnir").graph, "compiled"), text);
}

// ------------------------------------------------------------------------------------------------------
// HGQ2 QConv1D (hgq/layers/conv.py) with every quantizer: iq (per element of the input map), kq and bq (per
// weight), then the activation and oq (HGQ2 applies the output quantizer to what the layer returns). HGQ2's
// fixed-point quantizer on one element with keep_negative k, integer bits i, fractional bits f (i = max(i, -f);
// 0 when k + i + f <= 0): not WRAP: clip to [-k·2^i (SAT) or -k·(2^i - 2^-f) (SAT_SYM), 2^i - 2^-f], then
// round(x·2^f)/2^f; WRAP: round, then wrap into [-k·2^i, 2^i). RND: floor(v + 1/2).
double hgq_quantize(double x, double k, double i, double f, bool wrap, bool sat_sym) {
  i = std::max(i, -f);
  if (k + i + f <= 0) return 0.0;
  const double step = std::ldexp(1.0, static_cast<int>(-f)), top = std::ldexp(1.0, static_cast<int>(i));
  if (!wrap) x = std::clamp(x, sat_sym ? -k * (top - step) : -k * top, top - step);
  double v = std::floor(x / step + 0.5) * step;
  if (wrap) {
    const double span = top * (k + 1);  // 2^(i+k)
    const double low = -k * top;
    v = v - span * std::floor((v - low) / span);
  }
  return v;
}

TEST(KerasLayers, Hgq2ConvWithInputKernelBiasAndOutputQuantizers) {
  const int64_t T = 6, C = 2, K = 3, F = 2;
  // iq: kif, RND, WRAP, per element of [T, C] (saved as [1, T, C]: the batch axis is homogeneous); order f, k, i.
  std::vector<double> iq_f(T * C), iq_k(T * C), iq_i(T * C);
  for (int64_t e = 0; e < T * C; ++e) iq_f[e] = static_cast<double>(e % 4), iq_k[e] = 1, iq_i[e] = static_cast<double>(1 + e % 3);
  // kq: kbi (b excludes the sign), RND, SAT_SYM, per kernel element; order b, i, k. bq likewise per filter.
  std::vector<double> kw(K * C * F), kb(K * C * F), ki(K * C * F), kk(K * C * F, 1.0);
  for (int64_t e = 0; e < K * C * F; ++e) {
    kw[e] = std::sin(1.7 * static_cast<double>(e) + 0.3) * 1.9;
    kb[e] = static_cast<double>(2 + e % 3);
    ki[e] = static_cast<double>(e % 2);
  }
  Weights w;
  w["qc"] = {{"kernel", {K, C, F}, kw}, {"bias", {F}, {0.37, -0.81}}};
  w["qc/iq/quantizer"] = {{"0", {1, T, C}, iq_f}, {"1", {1, T, C}, iq_k}, {"2", {1, T, C}, iq_i}};
  w["qc/kq/quantizer"] = {{"0", {K, C, F}, kb}, {"1", {K, C, F}, ki}, {"2", {K, C, F}, kk}};
  w["qc/bq/quantizer"] = {{"0", {F}, {3, 4}}, {"1", {F}, {0, 1}}, {"2", {F}, {1, 1}}};
  // oq: kif, RND, SAT, one (k, i, f) = (0, 3, 2) for the whole output (a cast); order i, f, k.
  w["qc/oq/quantizer"] = {{"0", {1, 1, 1}, {3}}, {"1", {1, 1, 1}, {2}}, {"2", {1, 1, 1}, {0}}};
  const auto conf = [](const char* type, const char* place, const char* overflow) {
    return json{{"class_name", "QuantizerConfig"},
                {"config", {{"q_type", type}, {"place", place}, {"round_mode", "RND"}, {"overflow_mode", overflow}}}};
  };
  json layer = {{"class_name", "QConv1D"},
                {"config",
                 {{"name", "qc"}, {"filters", F}, {"kernel_size", {K}}, {"strides", {1}}, {"padding", "same"},
                  {"dilation_rate", {1}}, {"groups", 1}, {"activation", "relu"}, {"use_bias", true},
                  {"enable_iq", true}, {"enable_oq", true}, {"iq_conf", conf("kif", "datalane", "WRAP")},
                  {"kq_conf", conf("kbi", "weight", "SAT_SYM")}, {"bq_conf", conf("kbi", "bias", "SAT_SYM")},
                  {"oq_conf", conf("kif", "datalane", "SAT")}}}};
  const auto c = compile(sequential({T, C}, json::array({layer}).dump(), w));
  ASSERT_EQ(c.graph.tensor(c.graph.outputs[0]).shape, (ir::Shape{T, F}));
  const size_t batch = 64;
  // Inputs on the 2^-6 grid in [-8, 8): beyond the iq's ranges (they wrap) and between its levels (they round).
  const auto x = grid_inputs(batch * T * C, 3);
  std::vector<double> wq(K * C * F);
  for (int64_t e = 0; e < K * C * F; ++e) wq[e] = hgq_quantize(kw[e], kk[e], ki[e], kb[e] - ki[e], false, true);
  const double bq[2] = {hgq_quantize(0.37, 1, 0, 3, false, true), hgq_quantize(-0.81, 1, 1, 3, false, true)};
  std::vector<double> want(batch * T * F);
  size_t wrapped = 0;
  for (size_t s = 0; s < batch; ++s) {
    std::vector<double> xq(T * C);
    for (int64_t e = 0; e < T * C; ++e) {
      xq[e] = hgq_quantize(x[s * T * C + e], iq_k[e], iq_i[e], iq_f[e], true, false);
      wrapped += std::fabs(xq[e] - x[s * T * C + e]) > 1.0;
    }
    for (int64_t t = 0; t < T; ++t)
      for (int64_t o = 0; o < F; ++o) {
        double acc = bq[o];
        for (int64_t j = 0; j < K; ++j) {
          const int64_t p = t + j - 1;  // 'same', kernel 3: one position of padding on each side
          if (p < 0 || p >= T) continue;
          for (int64_t ch = 0; ch < C; ++ch) acc += xq[p * C + ch] * wq[(j * C + ch) * F + o];
        }
        want[s * T * F + t * F + o] = hgq_quantize(std::max(acc, 0.0), 0, 3, 2, false, false);
      }
  }
  const auto y = emulate(c, x, batch);
  size_t differ = 0;
  for (size_t k = 0; k < y.size(); ++k) differ += y[k] != want[k];
  std::printf("[hgq2_conv1d] emulator vs HGQ2's quantizer formula: %zu of %zu values differ (%zu inputs wrapped)\n", differ,
              y.size(), wrapped);
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(wrapped, 100u);
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  expect_firmware_equals_emulator(c, {std::vector<double>(x.begin(), x.begin() + 40 * T * C)}, 40, "hgq2_conv1d");
}

// HGQ2 QConv2D, kernel quantizer only (no iq, oq or bias): y[i][j] = sum_ab x[i+a][j+b] · kq(w[a][b]) over a
// 'valid' 2x2 window, the kernel [kh, kw, C_in, C_out] as Keras stores it.
TEST(KerasLayers, Hgq2Conv2DKernelQuantizer) {
  const std::vector<double> kw = {0.61, -1.32, 0.27, 0.9};
  Weights w;
  w["qc2"] = {{"kernel", {2, 2, 1, 1}, kw}};
  // kbi, RND, SAT: b = 3 (without the sign), i = 1, so f = 2; order b, i, k.
  w["qc2/kq/quantizer"] = {{"0", {1}, {3}}, {"1", {1}, {1}}, {"2", {1}, {1}}};
  json layer = {{"class_name", "QConv2D"},
                {"config",
                 {{"name", "qc2"}, {"filters", 1}, {"kernel_size", {2, 2}}, {"strides", {1, 1}}, {"padding", "valid"},
                  {"activation", "linear"}, {"use_bias", false}, {"enable_iq", false}, {"enable_oq", false},
                  {"iq_conf", nullptr}, {"bq_conf", nullptr},
                  {"kq_conf", {{"class_name", "QuantizerConfig"},
                               {"config", {{"q_type", "kbi"}, {"place", "weight"}, {"round_mode", "RND"}, {"overflow_mode", "SAT"}}}}}}}};
  const auto c = compile(sequential({4, 4, 1}, json::array({layer}).dump(), w));
  ASSERT_EQ(c.graph.tensor(c.graph.outputs[0]).shape, (ir::Shape{3, 3, 1}));
  std::vector<double> wq;
  for (double v : kw) wq.push_back(hgq_quantize(v, 1, 1, 2, false, false));
  EXPECT_EQ(wq, (std::vector<double>{0.5, -1.25, 0.25, 1.0}));
  const size_t batch = 10;
  const auto x = grid_inputs(batch * 16, 9);
  std::vector<double> want;
  for (size_t s = 0; s < batch; ++s)
    for (size_t i = 0; i < 3; ++i)
      for (size_t j = 0; j < 3; ++j) {
        double acc = 0;
        for (size_t a = 0; a < 2; ++a)
          for (size_t b = 0; b < 2; ++b) acc += x[s * 16 + (i + a) * 4 + j + b] * wq[a * 2 + b];
        want.push_back(acc);
      }
  EXPECT_EQ(emulate(c, x, batch), want);
}

// ------------------------------------------------------------------------------------------------------
// QKeras QAveragePooling2D / QGlobalAveragePooling2D (qpooling.py): y = keras_average(x) · area ·
// average_quantizer(1/area), i.e. sum(window) · q(1/area) for a full window (QKeras's float32 (sum/area)·area
// equals the sum up to float32 rounding). quantized_bits(4, 0, alpha=1)(1/9) = round(8/9)/8 = 1/8 for the 3x3
// pool; quantized_bits(6, 0, alpha=1)(1/36) = round(32/36)/32 = 1/32 for the global pool of the 6x6 map, whose
// activation quantizer quantized_bits(8, 2) follows.
TEST(KerasLayers, QKerasAveragePoolsQuantizeTheirReciprocal) {
  const auto f = functional({{"x", {6, 6, 2}}}, R"js([
      {"class_name": "QAveragePooling2D", "config": {"name": "qap", "pool_size": [3, 3], "strides": [3, 3],
        "padding": "valid", "data_format": "channels_last", "average_quantizer": "quantized_bits(4, 0, alpha=1)",
        "activation": null}, "inbound_nodes": [[["x", 0, 0, {}]]]},
      {"class_name": "QGlobalAveragePooling2D", "config": {"name": "qgap", "data_format": "channels_last",
        "average_quantizer": {"class_name": "quantized_bits", "config": {"bits": 6, "integer": 0, "symmetric": 0,
          "keep_negative": true, "alpha": 1}},
        "activation": "quantized_bits(8, 2, alpha=1)"}, "inbound_nodes": [[["x", 0, 0, {}]]]}])js",
                            {"qap", "qgap"});
  const auto c = compile(f);
  bool named = false;
  for (const auto& w : c.warnings) named = named || w.message.find("'qap', 'qgap' in float between its quantizers") != std::string::npos;
  EXPECT_TRUE(named);
  const size_t batch = 30;
  const auto x = grid_inputs(batch * 72, 13);
  std::vector<double> want_ap, want_gap;
  for (size_t s = 0; s < batch; ++s) {
    for (size_t i = 0; i < 2; ++i)
      for (size_t j = 0; j < 2; ++j)
        for (size_t ch = 0; ch < 2; ++ch) {
          double sum = 0;
          for (size_t a = 0; a < 3; ++a)
            for (size_t b = 0; b < 3; ++b) sum += x[s * 72 + ((i * 3 + a) * 6 + j * 3 + b) * 2 + ch];
          want_ap.push_back(sum / 8);
        }
    for (size_t ch = 0; ch < 2; ++ch) {
      double sum = 0;
      for (size_t p = 0; p < 36; ++p) sum += x[s * 72 + p * 2 + ch];
      // area 36: quantized_bits(6, 0)(1/36) = round(32/36)/32 = 1/32; then quantized_bits(8, 2): round(y·32)/32
      // clipped to [-4, 127/32].
      want_gap.push_back(std::clamp(std::nearbyint(sum / 32 * 32), -128.0, 127.0) / 32);
    }
  }
  const auto r = emulator::Emulator(c.graph).run({x}, batch);
  EXPECT_EQ(r.outputs.at(0), want_ap);
  EXPECT_EQ(r.outputs.at(1), want_gap);
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  expect_firmware_equals_emulator(c, {x}, batch, "qkeras_avg_pools");
}

}  // namespace
