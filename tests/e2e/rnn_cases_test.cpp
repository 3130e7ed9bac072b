// Recurrent ONNX cases (PyTorch exports, ../shared/models/cases/rnn: lstm_last, gru_last): the float reference
// equals onnxruntime (relative error <= 1e-5); the emulator with the default types agrees on the sigmoid
// outputs within 0.01 and on >= 99.5% of the decisions (y > 0.5).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "driver/driver.h"
#include "emulator/emulator.h"
#include "ir/recurrent.h"
#include "support/data_io.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const fs::path kCases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "rnn";
bool have_cases() { return fs::exists(kCases / "MANIFEST.md"); }

struct Loaded {
  driver::Compiled c;
  support::Array y;
  std::vector<std::vector<double>> in;
  size_t batch = 0;
};

Loaded load(const std::string& name, const config::Config& cfg = config::Config::defaults()) {
  Loaded l{driver::compile((kCases / (name + ".onnx")).string(), cfg), support::read_npy((kCases / (name + "_y.npy")).string()),
           {}, 0};
  const support::Array x = support::read_npy((kCases / (name + "_x.npy")).string());
  l.in = driver::inputs_from_arrays(l.c.graph, {x}, l.batch);
  return l;
}

TEST(RnnCases, ConvertToOneRecurrentLayerTakingTheLastState) {
  if (!have_cases()) GTEST_SKIP() << "../shared/models/cases/rnn is absent";
  for (const char* name : {"lstm_last", "gru_last"}) {
    SCOPED_TRACE(name);
    const auto l = load(name);
    int recurrent = 0;
    for (const auto& n : l.c.graph.nodes) {
      if (n.kind != ir::OpKind::Recurrent) continue;
      ++recurrent;
      const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(l.c.graph, n);
      EXPECT_EQ(a.steps, 20);
      EXPECT_EQ(a.features, 6);
      EXPECT_EQ(a.units, std::string(name) == "lstm_last" ? 16 : 20);
      EXPECT_FALSE(a.return_sequences);  // out[:, -1] became the final state
      EXPECT_FALSE(a.reverse);
    }
    EXPECT_EQ(recurrent, 1);
  }
}

TEST(RnnCases, FloatReferenceEqualsOnnxruntime) {
  if (!have_cases()) GTEST_SKIP() << "../shared/models/cases/rnn is absent";
  for (const char* name : {"lstm_last", "gru_last"}) {
    SCOPED_TRACE(name);
    const auto l = load(name);
    const auto out = emulator::run_float(l.c.graph, l.in, l.batch);
    ASSERT_EQ(out.at(0).size(), l.y.data.size());
    double worst = 0;
    for (size_t i = 0; i < l.y.data.size(); ++i)
      worst = std::max(worst, std::fabs(out[0][i] - l.y.data[i]) / std::max(std::fabs(l.y.data[i]), 1e-3));
    EXPECT_LE(worst, 1e-5);
    std::printf("[%s] float reference vs onnxruntime: max relative error %.2e over %zu values\n", name, worst,
                l.y.data.size());
  }
}

TEST(RnnCases, DefaultTypesAgreeWithOnnxruntime) {
  if (!have_cases()) GTEST_SKIP() << "../shared/models/cases/rnn is absent";
  for (const char* name : {"lstm_last", "gru_last"}) {
    SCOPED_TRACE(name);
    const auto l = load(name);
    const auto r = emulator::Emulator(l.c.graph).run(l.in, l.batch);
    const auto& y = r.outputs.at(0);
    ASSERT_EQ(y.size(), l.y.data.size());
    double worst = 0;
    size_t agree = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      worst = std::max(worst, std::fabs(y[i] - l.y.data[i]));
      agree += (y[i] > 0.5) == (l.y.data[i] > 0.5);
    }
    for (const auto& [node, count] : r.overflows) EXPECT_EQ(count, 0) << node;
    EXPECT_LE(worst, 0.01);
    EXPECT_GE(static_cast<double>(agree), 0.995 * static_cast<double>(y.size()));
    std::printf("[%s] default types vs onnxruntime: max |fixed - float| %.4f, decisions %zu/%zu\n", name, worst, agree,
                y.size());
  }
}

}  // namespace
