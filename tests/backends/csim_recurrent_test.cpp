// Recurrent layers in firmware (kernels/firmnet_rnn.h): the generated project, compiled with g++ and ap_types,
// equals the emulator bit for bit, and both equal the independent step-by-step reference, for the static and the
// unrolled implementation, every cell (LSTM, GRU, SimpleRNN), both directions, sequences and last states, the
// Latency and the Resource schedule; and on the shared ONNX cases (lstm_last, gru_last).
#include <gtest/gtest.h>

#include <cstring>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "support/data_io.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

// Firmware vs emulator (bit for bit); returns the number of values compared.
size_t expect_firmware_equals_emulator(const ir::Graph& g, const config::Config& cfg,
                                       const std::vector<std::vector<double>>& in, size_t batch, const std::string& label) {
  const auto r = emulator::Emulator(g).run(in, batch);
  const fs::path dir = scratch_dir("recurrent_" + label) / "prj";
  backends::write_vitis_project(g, cfg, dir);
  EXPECT_TRUE(fs::exists(dir / "firmware" / "firmnet" / "firmnet_rnn.h"));
  backends::CsimOptions co;
  co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto fw = backends::run_csim(dir, in, batch, co);
  size_t compared = 0;
  EXPECT_EQ(fw.size(), r.outputs.size());
  for (size_t k = 0; k < fw.size() && k < r.outputs.size(); ++k) {
    EXPECT_EQ(fw[k].size(), r.outputs[k].size());
    size_t differ = 0;
    for (size_t i = 0; i < fw[k].size() && i < r.outputs[k].size(); ++i)
      differ += std::memcmp(&fw[k][i], &r.outputs[k][i], sizeof(double)) != 0;
    EXPECT_EQ(differ, 0u) << label << " output " << k;
    compared += fw[k].size();
    std::printf("[%s] firmware vs emulator: %zu of %zu values differ\n", label.c_str(), differ, fw[k].size());
  }
  return compared;
}

TEST(RecurrentCsim, EveryCellDirectionAndScheduleIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  struct Variant {
    bool is_static;
    int reuse;
    const char* label;
  };
  for (const Variant v : {Variant{true, 1, "static"}, Variant{false, 1, "unrolled"}, Variant{true, 2, "static_resource_rf2"},
                          Variant{true, 1, "static_io_stream"}}) {
    SCOPED_TRACE(v.label);
    config::Config cfg;
    // io_stream: each recurrent layer's process reads its whole sequence from the stream (stream_plan: Whole).
    const ir::Graph g = recurrent_chain(v.is_static, v.reuse, &cfg, std::string(v.label).find("io_stream") != std::string::npos);
    const size_t batch = 50;
    const auto in = random_inputs(g, batch, 9);
    // The emulator equals the independent reference.
    const auto ref = reference_run(g, in, batch);
    const auto emu = emulator::Emulator(g).run(in, batch);
    ASSERT_EQ(ref.size(), 1u);
    EXPECT_EQ(ref[0], emu.outputs_raw[0]);
    size_t nonzero = 0;
    for (int64_t v2 : ref[0]) nonzero += v2 != 0;
    EXPECT_GT(nonzero, ref[0].size() / 2);
    EXPECT_EQ(expect_firmware_equals_emulator(g, cfg, in, batch, v.label), batch * 2);
  }
}

TEST(RecurrentCsim, OnnxCasesStaticAndUnrolledEqualTheEmulator) {
  const fs::path cases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "rnn";
  if (!fs::exists(cases / "MANIFEST.md")) GTEST_SKIP() << "../shared/models/cases/rnn is absent";
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  for (const char* name : {"lstm_last", "gru_last"})
    for (const bool is_static : {true, false}) {
      const std::string label = std::string(name) + (is_static ? "_static" : "_unrolled");
      SCOPED_TRACE(label);
      const config::Config cfg = config::Config::parse(
          std::string("HLSConfig:\n  LayerType:\n    Recurrent:\n      static: ") + (is_static ? "true" : "false") + "\n",
          "cfg.yml");
      const auto c = driver::compile((cases / (std::string(name) + ".onnx")).string(), cfg);
      const support::Array x = support::read_npy((cases / (std::string(name) + "_x.npy")).string());
      size_t batch = 0;
      auto in = driver::inputs_from_arrays(c.graph, {x}, batch);
      EXPECT_EQ(reference_run(c.graph, in, batch)[0], emulator::Emulator(c.graph).run(in, batch).outputs_raw[0]);
      EXPECT_EQ(expect_firmware_equals_emulator(c.graph, c.config, in, batch, label), batch * 3);
    }
}

}  // namespace
}  // namespace firmnet::testing
