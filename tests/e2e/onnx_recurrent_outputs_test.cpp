// ONNX LSTM / GRU read for both outputs, the sequence Y and the final state Y_h: Y_h is the step each direction
// computes last (Y[T-1] forward, Y[0] reverse), equal bit for bit to a model that reads Y_h alone, and the firmware
// equals the emulator.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "emulator/emulator.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

std::string write_model(const std::string& name, const std::string& text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text.c_str());
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / "onnx_recurrent_outputs";
  fs::create_directories(dir);
  const fs::path p = dir / (name + ".onnx");
  std::ofstream(p, std::ios::binary) << m.SerializeAsString();
  return p.string();
}

std::string values(int64_t n, std::mt19937& rng) {
  std::uniform_real_distribution<double> d(-0.7, 0.7);
  std::string s;
  for (int64_t k = 0; k < n; ++k) s += (k ? ", " : "") + fmt::format("{:.6f}", d(rng));
  return "{" + s + "}";
}

TEST(OnnxRecurrentOutputs, SequenceAndFinalStateTogether) {
  const int64_t T = 5, F = 3, H = 4, D = 2;
  for (const char* op : {"LSTM", "GRU"}) {
    SCOPED_TRACE(op);
    const int64_t G = std::string(op) == "LSTM" ? 4 : 3;
    std::mt19937 rng(5);
    const std::string consts = fmt::format("float[{},{},{}] w = {}, float[{},{},{}] r = {}, float[{},{}] b = {}", D, G * H, F,
                                           values(D * G * H * F, rng), D, G * H, H, values(D * G * H * H, rng), D,
                                           2 * G * H, values(D * 2 * G * H, rng));
    const std::string header = "<ir_version: 8, opset_import: [\"\" : 14]>\n";
    const std::string attrs = fmt::format("<hidden_size = {}, direction = \"bidirectional\", layout = 1{}>", H,
                                          std::string(op) == "GRU" ? ", linear_before_reset = 1" : "");
    const std::string both = write_model(
        std::string(op) + "_both",
        header + fmt::format("g (float[N,{},{}] x) => (float[N,{},{},{}] y, float[N,{},{}] yh) <{}> {{ y, yh = {} {} (x, w, r, b) }}",
                             T, F, T, D, H, D, H, consts, op, attrs));
    const std::string only_h = write_model(
        std::string(op) + "_h",
        header + fmt::format("g (float[N,{},{}] x) => (float[N,{},{}] yh) <{}> {{ y, yh = {} {} (x, w, r, b) }}", T, F, D,
                             H, consts, op, attrs));
    const auto c = driver::compile(both, config::Config::defaults());
    const auto ch = driver::compile(only_h, config::Config::defaults());
    const size_t batch = 30;
    std::vector<double> x(batch * T * F);
    std::uniform_real_distribution<double> d(-2, 2);
    for (auto& v : x) v = std::ldexp(std::round(d(rng) * 256), -8);
    const auto r = emulator::Emulator(c.graph).run({x}, batch);
    const auto rh = emulator::Emulator(ch.graph).run({x}, batch);
    ASSERT_EQ(r.outputs.size(), 2u);
    const auto& y = r.outputs[0];
    const auto& yh = r.outputs[1];
    ASSERT_EQ(y.size(), batch * T * D * H);
    ASSERT_EQ(yh.size(), batch * D * H);
    EXPECT_EQ(yh, rh.outputs.at(0));  // the same as reading Y_h alone
    size_t nonzero = 0;
    for (size_t s = 0; s < batch; ++s)
      for (int64_t j = 0; j < H; ++j) {
        const auto at = [&](int64_t t, int64_t dir) { return y[((s * T + t) * D + dir) * H + j]; };
        EXPECT_EQ(yh[(s * D + 0) * H + j], at(T - 1, 0));  // forward: its last step
        EXPECT_EQ(yh[(s * D + 1) * H + j], at(0, 1));      // reverse: the step at time 0
        nonzero += yh[(s * D) * H + j] != 0;
      }
    EXPECT_GT(nonzero, batch * H / 2);
    if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) continue;
    const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / "onnx_recurrent_outputs" / op;
    fs::remove_all(dir);
    backends::write_vitis_project(c.graph, c.config, dir);
    backends::CsimOptions co;
    co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
    const auto fw = backends::run_csim(dir, {x}, batch, co);
    ASSERT_EQ(fw.size(), 2u);
    size_t differ = 0;
    for (size_t k = 0; k < 2; ++k) {
      ASSERT_EQ(fw[k].size(), r.outputs[k].size());
      for (size_t i = 0; i < fw[k].size(); ++i) differ += std::memcmp(&fw[k][i], &r.outputs[k][i], sizeof(double)) != 0;
    }
    EXPECT_EQ(differ, 0u);
    std::printf("[%s Y and Y_h] firmware vs emulator: %zu of %zu values differ\n", op, differ, fw[0].size() + fw[1].size());
  }
}

}  // namespace
