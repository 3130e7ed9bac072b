// Keras and QKeras recurrent layers (LSTM, GRU with reset_after True and False, SimpleRNN, go_backwards,
// Bidirectional with every merge mode):
// - on the shared cases (../shared/models/cases/keras rnn_lstm, rnn_gru, qrnn_qgru_toptag), every file form:
//   the float reference equals the framework (relative error <= 1e-5); with the default types the decisions agree
//   on >= 99.5 % and sigmoid outputs lie within 0.01; the firmware equals the emulator bit for bit, static and
//   with the steps unrolled;
// - on small models written here (architecture JSON + a Keras 2 weights .h5 written with libhdf5), the float
//   reference equals Keras's cell formulas computed independently below (also with hard_sigmoid gates), the
//   emulator at the default types is within 0.01 of them, and a Bidirectional layer's halves equal
//   its forward layer and its go_backwards twin.
#include <gtest/gtest.h>
#include <fmt/format.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "firmware_check.h"
#include "emulator/emulator.h"
#include "support/data_io.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const fs::path kCases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "keras";
bool have_cases() { return fs::exists(kCases / "rnn_lstm.h5"); }
bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

enum class Out { Sigmoid, Softmax };
struct Case {
  const char* name;
  Out out;
};
const Case kRnnCases[] = {{"rnn_lstm", Out::Sigmoid}, {"rnn_gru", Out::Softmax}, {"qrnn_qgru_toptag", Out::Sigmoid}};

driver::Compiled compile_case(const Case& k, const std::string& form, const config::Config& cfg) {
  const std::string weights = form == ".json" ? (kCases / (std::string(k.name) + "_weights.h5")).string() : "";
  return driver::compile((kCases / (std::string(k.name) + form)).string(), cfg, {}, weights);
}

TEST(KerasRecurrentCases, FloatReferenceEqualsTheFramework) {
  if (!have_cases()) GTEST_SKIP() << "../shared/models/cases/keras (rnn_*) is absent";
  for (const Case& k : kRnnCases) {
    const auto x = support::read_npy((kCases / (std::string(k.name) + "_x.npy")).string());
    const auto y = support::read_npy((kCases / (std::string(k.name) + "_y.npy")).string());
    for (const char* form : {".h5", ".json"}) {
      SCOPED_TRACE(std::string(k.name) + form);
      const auto c = compile_case(k, form, config::Config::defaults());
      size_t batch = 0;
      const auto in = driver::inputs_from_arrays(c.graph, {x}, batch);
      const auto out = emulator::run_float(c.graph, in, batch).at(0);
      ASSERT_EQ(out.size(), y.data.size());
      double worst = 0;
      for (size_t i = 0; i < out.size(); ++i)
        worst = std::max(worst, std::fabs(out[i] - y.data[i]) / std::max(1e-3, std::fabs(y.data[i])));
      EXPECT_LE(worst, 1e-5);
      std::printf("[%s%s] float vs framework: max relative error %.2e over %zu values\n", k.name, form, worst, out.size());
    }
  }
}

TEST(KerasRecurrentCases, DefaultTypesAgreeWithTheFramework) {
  if (!have_cases()) GTEST_SKIP() << "../shared/models/cases/keras (rnn_*) is absent";
  for (const Case& k : kRnnCases) {
    SCOPED_TRACE(k.name);
    const auto x = support::read_npy((kCases / (std::string(k.name) + "_x.npy")).string());
    const auto y = support::read_npy((kCases / (std::string(k.name) + "_y.npy")).string());
    const auto c = compile_case(k, ".h5", config::Config::defaults());
    if (std::string(k.name) == "qrnn_qgru_toptag") {  // QKeras runs the QGRU's cell in float: named as such
      bool named = false;
      for (const auto& w : c.warnings) named = named || w.message.find("'qgru', 'activation_1' in float") != std::string::npos;
      EXPECT_TRUE(named);
    }
    size_t batch = 0;
    const auto in = driver::inputs_from_arrays(c.graph, {x}, batch);
    const auto out = emulator::Emulator(c.graph).run(in, batch).outputs.at(0);
    ASSERT_EQ(out.size(), y.data.size());
    const size_t n = out.size() / batch;
    size_t agree = 0;
    double worst = 0;
    for (size_t s = 0; s < batch; ++s) {
      if (k.out == Out::Sigmoid) {
        agree += (out[s] > 0.5) == (y.data[s] > 0.5);
      } else {
        const auto row = [&](const std::vector<double>& v) {
          return std::max_element(v.begin() + static_cast<long>(s * n), v.begin() + static_cast<long>((s + 1) * n)) - v.begin();
        };
        agree += row(out) == row(y.data);
      }
    }
    for (size_t i = 0; i < out.size(); ++i) worst = std::max(worst, std::fabs(out[i] - y.data[i]));
    std::printf("[%s] default types vs framework: %zu/%zu decisions agree, max abs error %.4f\n", k.name, agree, batch, worst);
    EXPECT_GE(static_cast<double>(agree), 0.995 * static_cast<double>(batch));
    if (k.out == Out::Sigmoid) {
      EXPECT_LE(worst, 0.01);
    }
  }
}

TEST(KerasRecurrentCases, FirmwareEqualsEmulatorStaticAndUnrolled) {
  if (!have_cases()) GTEST_SKIP() << "../shared/models/cases/keras (rnn_*) is absent";
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  for (const Case& k : kRnnCases) {
    const auto x = support::read_npy((kCases / (std::string(k.name) + "_x.npy")).string());
    for (bool is_static : {true, false}) {
      const std::string label = std::string(k.name) + (is_static ? "_static" : "_unrolled");
      SCOPED_TRACE(label);
      const config::Config cfg = config::Config::parse(
          std::string("HLSConfig:\n  LayerType:\n    Recurrent:\n      static: ") + (is_static ? "true" : "false") + "\n",
          "rnn.yml");
      const auto c = compile_case(k, ".h5", cfg);
      size_t batch = 0;
      auto in = driver::inputs_from_arrays(c.graph, {x}, batch);
      batch = std::min<size_t>(batch, 50);
      in[0].resize(batch * static_cast<size_t>(c.graph.tensor(c.graph.inputs[0]).size()));
      e2e::expect_firmware_equals_emulator(c, in, batch, label);
    }
  }
}

// ---- Small models written here ---------------------------------------------------------------------------

struct Weight {
  std::string name;  // e.g. "lstm/lstm_cell/kernel:0"
  std::vector<hsize_t> shape;
  std::vector<float> values;
};

void string_attr(hid_t obj, const char* name, const std::vector<std::string>& v) {
  size_t len = 1;
  for (const auto& s : v) len = std::max(len, s.size());
  const hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, len);
  const hsize_t n = v.size();
  const hid_t sp = H5Screate_simple(1, &n, nullptr);
  std::vector<char> buf(len * v.size(), '\0');
  for (size_t i = 0; i < v.size(); ++i) std::memcpy(buf.data() + i * len, v[i].data(), v[i].size());
  const hid_t a = H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, buf.data());
  H5Aclose(a), H5Sclose(sp), H5Tclose(t);
}

// A Keras 2 weights file (save_weights' layout): layer_names; per layer a group with weight_names and datasets.
void write_keras2_weights(const fs::path& path, const std::vector<std::pair<std::string, std::vector<Weight>>>& layers) {
  const hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  std::vector<std::string> names;
  for (const auto& [layer, ws] : layers) {
    names.push_back(layer);
    const hid_t g = H5Gcreate2(f, layer.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<std::string> wn;
    for (const Weight& w : ws) {
      wn.push_back(w.name);
      const hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
      H5Pset_create_intermediate_group(lcpl, 1);
      const hid_t sp = H5Screate_simple(static_cast<int>(w.shape.size()), w.shape.data(), nullptr);
      const hid_t d = H5Dcreate2(g, w.name.c_str(), H5T_NATIVE_FLOAT, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
      H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, w.values.data());
      H5Dclose(d), H5Sclose(sp), H5Pclose(lcpl);
    }
    string_attr(g, "weight_names", wn);
    H5Gclose(g);
  }
  string_attr(f, "layer_names", names);
  H5Fclose(f);
}

std::vector<float> random_values(size_t n, std::mt19937& rng, double scale = 0.6) {
  std::uniform_real_distribution<float> d(static_cast<float>(-scale), static_cast<float>(scale));
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct CellWeights {
  std::vector<float> kernel, recurrent, bias;  // [F, G*H], [H, G*H], [G*H] or [2, G*H] (GRU reset_after)
};

// Keras's cells, written from the Keras documentation's equations (independent of firmnet's IR):
// LSTM gates i, f, c, o: c = f*c + i*tanh(x_c), h = o*tanh(c); GRU gates z, r, h: reset_after
// hh = tanh(x_h + b_h + r*(h U_h + rb_h)), else hh = tanh(x_h + b_h + (r*h) U_h); h = z*h + (1-z)*hh;
// SimpleRNN h = tanh(x W + b + h U). Returns the final state (backwards: the steps read from the last).
// QKeras (0.9): the cell's functions and its state quantizer, applied to h and c before each step reads them.
struct QKerasCell {
  int tanh_bits = 0;          // activation quantized_tanh(bits): clip(round(x 2^(b-1)), -2^(b-1), 2^(b-1) - 1) 2^-(b-1)
  double gate_slope = 0;      // recurrent_activation hard_sigmoid: clip(slope x + 0.5, 0, 1)
  int state_bits = 0, state_integer = 0;  // state_quantizer quantized_bits(bits, integer, alpha=1)
};

std::vector<double> keras_cell(const std::string& cell, bool reset_after, bool backwards, const CellWeights& w,
                               const std::vector<double>& x, int64_t T, int64_t F, int64_t H, bool hard = false,
                               const QKerasCell& q = {}) {
  // The gates' function: sigmoid, Keras 2's hard_sigmoid clip(0.2 x + 0.5, 0, 1), or QKeras's (slope 0.5).
  const double slope = q.gate_slope != 0 ? q.gate_slope : 0.2;
  const bool hard_gate = hard || q.gate_slope != 0;
  const auto sigmoid = [=](double v) { return hard_gate ? std::clamp(slope * v + 0.5, 0.0, 1.0) : 1 / (1 + std::exp(-v)); };
  const auto tanh = [&q](double v) {
    if (!q.tanh_bits) return std::tanh(v);
    const double m = std::ldexp(1.0, q.tanh_bits - 1);
    return std::clamp(std::nearbyint(std::clamp(v, -1.0, 1.0) * m), -m, m - 1) / m;
  };
  const auto state_q = [&q](double v) {  // quantized_bits(bits, integer, alpha=1): 2^-(bits-1-integer) grid, clipped
    if (!q.state_bits) return v;
    const double m = std::ldexp(1.0, q.state_bits - 1 - q.state_integer), top = std::ldexp(1.0, q.state_bits - 1);
    return std::clamp(std::nearbyint(v * m), -top, top - 1) / m;
  };
  const int64_t G = cell == "LSTM" ? 4 : cell == "GRU" ? 3 : 1, GH = G * H;
  std::vector<double> h(static_cast<size_t>(H), 0.0), c(static_cast<size_t>(H), 0.0);
  for (int64_t k = 0; k < T; ++k) {
    const int64_t t = backwards ? T - 1 - k : k;
    for (auto& v : h) v = state_q(v);
    for (auto& v : c) v = state_q(v);
    std::vector<double> xw(static_cast<size_t>(GH)), hu(static_cast<size_t>(GH));
    for (int64_t q = 0; q < GH; ++q) {
      double s = w.bias[static_cast<size_t>(q)], r = reset_after ? w.bias[static_cast<size_t>(GH + q)] : 0.0;
      for (int64_t i = 0; i < F; ++i) s += x[static_cast<size_t>(t * F + i)] * w.kernel[static_cast<size_t>(i * GH + q)];
      for (int64_t m = 0; m < H; ++m) r += h[static_cast<size_t>(m)] * w.recurrent[static_cast<size_t>(m * GH + q)];
      xw[static_cast<size_t>(q)] = s, hu[static_cast<size_t>(q)] = r;
    }
    std::vector<double> nh(static_cast<size_t>(H));
    for (int64_t j = 0; j < H; ++j) {
      const auto J = static_cast<size_t>(j), uH = static_cast<size_t>(H);
      if (cell == "LSTM") {
        const double i = sigmoid(xw[J] + hu[J]), f = sigmoid(xw[uH + J] + hu[uH + J]);
        const double g = tanh(xw[2 * uH + J] + hu[2 * uH + J]), o = sigmoid(xw[3 * uH + J] + hu[3 * uH + J]);
        c[J] = f * c[J] + i * g;
        nh[J] = o * tanh(c[J]);
      } else if (cell == "GRU") {
        const double z = sigmoid(xw[J] + hu[J]);
        double hh;
        if (reset_after) {
          hh = tanh(xw[2 * uH + J] + sigmoid(xw[uH + J] + hu[uH + J]) * hu[2 * uH + J]);
        } else {
          double s = xw[2 * uH + J];
          for (int64_t m = 0; m < H; ++m) {
            const auto M = static_cast<size_t>(m);
            s += sigmoid(xw[uH + M] + hu[uH + M]) * h[M] * w.recurrent[static_cast<size_t>(m * GH) + 2 * uH + J];
          }
          hh = tanh(s);
        }
        nh[J] = z * h[J] + (1 - z) * hh;
      } else {
        nh[J] = tanh(xw[J] + hu[J]);
      }
    }
    h = nh;
  }
  return h;
}

std::string input_layer(int64_t T, int64_t F) {
  return fmt::format(R"({{"class_name": "InputLayer", "config": {{"batch_input_shape": [null, {}, {}], "name": "in"}}}})", T, F);
}

std::string cell_config(const std::string& cls, const std::string& name, int64_t H, bool reset_after, bool backwards,
                        bool sequences, const std::string& gate = "sigmoid") {
  std::string c = fmt::format(R"({{"class_name": "{}", "config": {{"name": "{}", "units": {}, "activation": "tanh", )"
                              R"("use_bias": true, "return_sequences": {}, "go_backwards": {})",
                              cls, name, H, sequences ? "true" : "false", backwards ? "true" : "false");
  if (cls != "SimpleRNN") c += R"(, "recurrent_activation": ")" + gate + "\"";
  if (cls == "GRU") c += fmt::format(R"(, "reset_after": {})", reset_after ? "true" : "false");
  return c + "}}";
}

fs::path scratch(const std::string& name) {
  const fs::path d = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / "keras_rnn_small" / name;
  fs::create_directories(d);
  return d;
}

// A Sequential model of `layer` on [T, F]; returns the float reference's outputs on x (batch samples).
std::vector<std::vector<double>> run_model(const std::string& name, const std::string& layer,
                                           const std::vector<std::pair<std::string, std::vector<Weight>>>& weights,
                                           const std::vector<double>& x, size_t batch, int64_t T, int64_t F,
                                           bool fixed = false) {
  const fs::path d = scratch(name);
  if (layer.find(R"("merge_mode": null)") == std::string::npos) {
    std::ofstream(d / "model.json") << R"({"class_name": "Sequential", "config": {"name": "s", "layers": [)"
                                    << input_layer(T, F) << ", " << layer << "]}}";
  } else {  // two outputs: a functional model (Keras 2's layout: inbound_nodes, input_layers, output_layers)
    const std::string l = layer.substr(0, layer.size() - 1) + R"(, "name": "bi", "inbound_nodes": [[["in", 0, 0, {}]]]})";
    const std::string in = input_layer(T, F);
    std::ofstream(d / "model.json") << R"({"class_name": "Functional", "config": {"name": "m", "layers": [)"
                                    << in.substr(0, in.size() - 1) << R"(, "name": "in", "inbound_nodes": []}, )" << l
                                    << R"(], "input_layers": [["in", 0, 0]], "output_layers": [["bi", 0, 0], ["bi", 0, 1]]}})";
  }
  write_keras2_weights(d / "weights.h5", weights);
  const auto c = driver::compile((d / "model.json").string(), config::Config::defaults(), {}, (d / "weights.h5").string());
  return fixed ? emulator::Emulator(c.graph).run({x}, batch).outputs : emulator::run_float(c.graph, {x}, batch);
}

std::vector<Weight> cell_weights(const std::string& prefix, const CellWeights& w, int64_t F, int64_t H, int64_t G,
                                 bool two_biases) {
  const hsize_t GH = static_cast<hsize_t>(G * H);
  std::vector<Weight> v = {{prefix + "/kernel:0", {static_cast<hsize_t>(F), GH}, w.kernel},
                           {prefix + "/recurrent_kernel:0", {static_cast<hsize_t>(H), GH}, w.recurrent}};
  v.push_back(two_biases ? Weight{prefix + "/bias:0", {2, GH}, w.bias} : Weight{prefix + "/bias:0", {GH}, w.bias});
  return v;
}

CellWeights random_cell(int64_t F, int64_t H, int64_t G, bool two_biases, std::mt19937& rng) {
  return {random_values(static_cast<size_t>(F * G * H), rng), random_values(static_cast<size_t>(H * G * H), rng),
          random_values(static_cast<size_t>((two_biases ? 2 : 1) * G * H), rng, 0.3)};
}

TEST(KerasRecurrent, FloatReferenceEqualsKerasCellEquations) {
  const int64_t T = 6, F = 3, H = 4;
  const size_t batch = 20;
  std::mt19937 rng(7);
  std::vector<double> x(batch * T * F);
  for (auto& v : x) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  struct V {
    const char* cls;
    bool reset_after, backwards, hard = false;
  };
  for (const V v : {V{"LSTM", false, false}, V{"GRU", true, false}, V{"GRU", false, false}, V{"SimpleRNN", false, false},
                    V{"LSTM", false, true}, V{"GRU", false, true}, V{"LSTM", false, false, true}, V{"GRU", true, false, true}}) {
    const std::string label = fmt::format("{}{}{}{}", v.cls, v.reset_after ? "_reset_after" : "", v.backwards ? "_backwards" : "",
                                          v.hard ? "_hard_sigmoid" : "");
    SCOPED_TRACE(label);
    const std::string cls = v.cls;
    const int64_t G = cls == "LSTM" ? 4 : cls == "GRU" ? 3 : 1;
    const CellWeights w = random_cell(F, H, G, v.reset_after, rng);
    const std::string layer = cell_config(cls, "rec", H, v.reset_after, v.backwards, false, v.hard ? "hard_sigmoid" : "sigmoid");
    const std::vector<std::pair<std::string, std::vector<Weight>>> weights = {
        {"rec", cell_weights("rec/cell", w, F, H, G, v.reset_after)}};
    const auto y = run_model(label, layer, weights, x, batch, T, F);
    // The emulator at the default types (tables of 2048 entries, 18-bit states) is close to the float model.
    const auto yq = run_model(label, layer, weights, x, batch, T, F, true);
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].size(), batch * H);
    double worst = 0, worst_q = 0;
    for (size_t s = 0; s < batch; ++s) {
      const std::vector<double> xs(x.begin() + static_cast<long>(s * T * F), x.begin() + static_cast<long>((s + 1) * T * F));
      const auto ref = keras_cell(cls, v.reset_after, v.backwards, w, xs, T, F, H, v.hard);
      for (int64_t j = 0; j < H; ++j) {
        const size_t k = s * H + static_cast<size_t>(j);
        worst = std::max(worst, std::fabs(y[0][k] - ref[static_cast<size_t>(j)]));
        worst_q = std::max(worst_q, std::fabs(yq[0][k] - ref[static_cast<size_t>(j)]));
      }
    }
    std::printf("[%s] vs Keras's equations: float reference max abs error %.2e, default types %.4f\n", label.c_str(),
                worst, worst_q);
    EXPECT_LE(worst, 1e-6);  // the weights are float32 in both; the rest is double
    EXPECT_LE(worst_q, 0.01);
  }
}

TEST(KerasRecurrent, BidirectionalHalvesAreItsForwardAndBackwardLayers) {
  const int64_t T = 5, F = 3, H = 4, G = 4;
  const size_t batch = 16;
  std::mt19937 rng(11);
  std::vector<double> x(batch * T * F);
  for (auto& v : x) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  const CellWeights fw = random_cell(F, H, G, false, rng), bw = random_cell(F, H, G, false, rng);
  for (bool sequences : {false, true}) {
    SCOPED_TRACE(sequences ? "return_sequences" : "last state");
    const size_t per = static_cast<size_t>(sequences ? T * H : H);
    auto bidir = [&](const std::string& merge) {
      std::vector<Weight> ws = cell_weights("bi/forward_lstm/lstm_cell", fw, F, H, G, false);
      for (Weight& w : cell_weights("bi/backward_lstm/lstm_cell", bw, F, H, G, false)) ws.push_back(w);
      const std::string layer = fmt::format(R"({{"class_name": "Bidirectional", "config": {{"name": "bi", "merge_mode": {}, "layer": {}}}}})",
                                            merge, cell_config("LSTM", "lstm", H, false, false, sequences));
      return run_model(std::string("bi_") + (merge == "null" ? "none" : merge.substr(1, merge.size() - 2)) + (sequences ? "_seq" : ""),
                       layer, {{"bi", ws}}, x, batch, T, F);
    };
    const auto f = run_model(sequences ? "fwd_seq" : "fwd", cell_config("LSTM", "f", H, false, false, sequences),
                             {{"f", cell_weights("f/lstm_cell", fw, F, H, G, false)}}, x, batch, T, F)[0];
    const auto none = bidir("null");  // merge_mode None: the two outputs (a functional model)
    ASSERT_EQ(none.size(), 2u);
    EXPECT_EQ(none[0], f);
    if (!sequences) {  // the backward half is the go_backwards layer's final state
      const auto b = run_model("bwd", cell_config("LSTM", "b", H, false, true, false),
                               {{"b", cell_weights("b/lstm_cell", bw, F, H, G, false)}}, x, batch, T, F)[0];
      EXPECT_EQ(none[1], b);
    } else {  // Keras re-reverses the backward sequence: its last-read row (time 0) is the final state
      const auto b = run_model("bwd", cell_config("LSTM", "b", H, false, true, false),
                               {{"b", cell_weights("b/lstm_cell", bw, F, H, G, false)}}, x, batch, T, F)[0];
      for (size_t s = 0; s < batch; ++s)
        for (int64_t j = 0; j < H; ++j) EXPECT_EQ(none[1][s * per + static_cast<size_t>(j)], b[s * H + static_cast<size_t>(j)]);
    }
    const auto concat = bidir("\"concat\"")[0], sum = bidir("\"sum\"")[0], mul = bidir("\"mul\"")[0], ave = bidir("\"ave\"")[0];
    ASSERT_EQ(concat.size(), batch * per * 2);
    for (size_t s = 0; s < batch; ++s)
      for (size_t r = 0; r < per / static_cast<size_t>(H); ++r)
        for (int64_t j = 0; j < H; ++j) {
          const size_t k = s * per + r * static_cast<size_t>(H) + static_cast<size_t>(j);
          const double a = none[0][k], b = none[1][k];
          EXPECT_EQ(concat[(s * per + r * static_cast<size_t>(H)) * 2 + static_cast<size_t>(j)], a);
          EXPECT_EQ(concat[(s * per + r * static_cast<size_t>(H)) * 2 + static_cast<size_t>(H + j)], b);
          EXPECT_EQ(sum[k], a + b);
          EXPECT_EQ(mul[k], a * b);
          EXPECT_NEAR(ave[k], (a + b) / 2, 1e-15);
        }
  }
}

// QKeras QLSTM / QGRU with QKeras's defaults (activation quantized_tanh, recurrent_activation hard_sigmoid: QKeras's
// own, slope 0.5) and a state quantizer: the float reference equals the QKeras equations without the state
// quantizer (which only the fixed-point types model); the emulator, whose state types are the state quantizer's,
// is close to the QKeras equations with it.
TEST(KerasRecurrent, QKerasCellFunctionsAndStateQuantizer) {
  const int64_t T = 6, F = 3, H = 4;
  const size_t batch = 40;
  std::mt19937 rng(21);
  std::vector<double> x(batch * T * F);
  for (auto& v : x) v = std::ldexp(std::round(std::uniform_real_distribution<double>(-1, 1)(rng) * 64), -6);
  for (const char* cls : {"QLSTM", "QGRU"}) {
    SCOPED_TRACE(cls);
    const std::string k = std::string(cls).substr(1);
    const int64_t G = k == "LSTM" ? 4 : 3;
    const CellWeights w = random_cell(F, H, G, false, rng);
    const std::vector<std::pair<std::string, std::vector<Weight>>> weights = {
        {"rec", cell_weights("rec/cell", w, F, H, G, false)}};
    auto layer = [&](bool state) {
      std::string c = fmt::format(R"x({{"class_name": "{}", "config": {{"name": "rec", "units": {}, "activation": "quantized_tanh(8)", )x"
                                  R"("recurrent_activation": "hard_sigmoid", "use_bias": true, "return_sequences": false)",
                                  cls, H);
      if (k == "GRU") c += R"(, "reset_after": false)";
      if (state) c += R"x(, "state_quantizer": "quantized_bits(12, 1, alpha=1)")x";
      return c + "}}";
    };
    const QKerasCell q{8, 0.5, 0, 0}, qs{8, 0.5, 12, 1};
    const auto yf = run_model(std::string(cls) + "_float", layer(false), weights, x, batch, T, F)[0];
    const auto yq = run_model(std::string(cls) + "_state", layer(true), weights, x, batch, T, F, true)[0];
    double worst_f = 0, worst_q = 0;
    for (size_t s = 0; s < batch; ++s) {
      const std::vector<double> xs(x.begin() + static_cast<long>(s * T * F), x.begin() + static_cast<long>((s + 1) * T * F));
      const auto rf = keras_cell(k, false, false, w, xs, T, F, H, false, q);
      const auto rq = keras_cell(k, false, false, w, xs, T, F, H, false, qs);
      for (int64_t j = 0; j < H; ++j) {
        worst_f = std::max(worst_f, std::fabs(yf[s * H + static_cast<size_t>(j)] - rf[static_cast<size_t>(j)]));
        worst_q = std::max(worst_q, std::fabs(yq[s * H + static_cast<size_t>(j)] - rq[static_cast<size_t>(j)]));
      }
    }
    std::printf("[%s] vs QKeras's equations: float reference (no state quantizer) %.2e, emulator with the state "
                "quantizer %.4f\n", cls, worst_f, worst_q);
    EXPECT_LE(worst_f, 1e-6);
    EXPECT_LE(worst_q, 0.01);  // one level of quantized_tanh(8) is 1/128 = 0.0078
  }
}

TEST(KerasRecurrent, UnsupportedFormsAreRefusedByName) {
  const int64_t T = 4, F = 2, H = 2;
  std::mt19937 rng(3);
  const CellWeights w = random_cell(F, H, 4, false, rng);
  const std::vector<double> x(T * F, 0.5);
  auto error_of = [&](const std::string& name, const std::string& layer) {
    try {
      run_model(name, layer, {{"rec", cell_weights("rec/lstm_cell", w, F, H, 4, false)}}, x, 1, T, F);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  std::string lstm = cell_config("LSTM", "rec", H, false, true, true);
  EXPECT_NE(error_of("backwards_seq", lstm).find("layer 'rec' (LSTM): go_backwards=True with return_sequences=True"),
            std::string::npos);
  lstm = cell_config("LSTM", "rec", H, false, false, false);
  const std::string relu = lstm.substr(0, lstm.size() - 2) + R"(, "activation": "relu"}})";
  EXPECT_NE(error_of("relu", relu).find("layer 'rec' (LSTM): activation 'relu' is not supported in a recurrent cell"),
            std::string::npos)
      << error_of("relu", relu);
  const std::string stateful = lstm.substr(0, lstm.size() - 2) + R"(, "stateful": true}})";
  EXPECT_NE(error_of("stateful", stateful).find("layer 'rec' (LSTM): stateful=True is not supported"), std::string::npos);
  const std::string td = R"({"class_name": "TimeDistributed", "config": {"name": "td", "layer": {}}})";
  EXPECT_NE(error_of("td", td).find("layer 'td' (TimeDistributed): this sequence layer is not supported"), std::string::npos);
}

}  // namespace
