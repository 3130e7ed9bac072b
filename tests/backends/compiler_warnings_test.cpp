// The generated firmware and testbench compile with g++ and clang++ in C++11 (what Vivado HLS's front end
// accepts), -pedantic -Wall -Wextra, without a single warning from firmnet's code. ap_types is a system
// include (its own warnings are Xilinx's), and -Wno-unknown-pragmas because `#pragma HLS` is, by design,
// unknown to both compilers. One graph uses every kernel of the library (backend_test_util.h every_kernel), compiled
// with each spelling of the constants (raw integers; -DFIRMNET_DECIMAL_CONSTANTS: the decimals of synthesis).
#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

// Compiler output (stdout + stderr) of a syntax-only C++11 compile of the firmware and the testbench.
std::string compile(const std::string& compiler, const fs::path& dir, int* status, const std::string& flags = "") {
  const std::string cmd = compiler + " " + flags + " -std=c++11 -pedantic -Wall -Wextra -Wno-unknown-pragmas -fsyntax-only -isystem '" +
                          std::string(FIRMNET_AP_TYPES_DIR) + "' '" + (dir / "firmware/myproject.cpp").string() + "' '" +
                          (dir / "tb/myproject_test.cpp").string() + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  *status = WEXITSTATUS(pclose(p));
  return out;
}

bool have(const std::string& tool) { return std::system(("command -v " + tool + " >/dev/null 2>&1").c_str()) == 0; }

// A map through every stream kernel: a conv and pools over the line buffer, a clone, a whole-tensor Dense.
ir::Graph stream_cnn() {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {6, 6, 2}, "fixed<10,4>");
  ir::TensorId h = b.conv("conv", x, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<14,6>", "fixed<32,12>");
  const ir::TensorId m = b.pool("maxp", h, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<14,6>");
  const ir::TensorId a = b.pool("avgp", h, true, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<14,6>");
  const ir::TensorId y = b.act("add_y", {3, 3, 3}, "fixed<15,7>");
  b.node("add", ir::OpKind::Elementwise, {m, a}, y).attrs["op"] = std::string("add");
  b.g.outputs = {b.dense("fc", y, 4, "fixed<16,6>", "fixed<32,12>"), y};
  return b.g;
}

void expect_no_warnings(const ir::Graph& g, const config::Config& cfg, const std::string& test) {
  const fs::path dir = scratch_dir(test) / "prj";
  backends::write_vitis_project(g, cfg, dir);
  // Both spellings of the constants: raw integers (C simulation) and the exact decimals that synthesis reads.
  for (const std::string flags : {"", "-DFIRMNET_DECIMAL_CONSTANTS"}) {
    int status = 0;
    std::string out = compile("g++", dir, &status, flags);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out, "") << "g++ -std=c++11 -pedantic -Wall -Wextra " << flags;
  }
  if (!have("clang++")) return;  // scripts/setup.sh installs it: g++ checked only
  for (const std::string flags : {"", "-DFIRMNET_DECIMAL_CONSTANTS"}) {
    int status = 0;
    std::string out = compile("clang++", dir, &status, flags);
    EXPECT_EQ(status, 0) << out;
    EXPECT_EQ(out, "") << "clang++ -std=c++11 -pedantic -Wall -Wextra " << flags;
  }
}

TEST(GeneratedFirmware, CompilesWithoutWarningsInCxx11WithGccAndClang) {
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers not found";
  expect_no_warnings(every_kernel(), config::Config::defaults(), "warnings");
}

// The recurrent kernels (kernels/firmnet_rnn.h): every cell, static and unrolled, Latency and Resource.
TEST(GeneratedFirmware, RecurrentFirmwareCompilesWithoutWarningsInCxx11WithGccAndClang) {
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers not found";
  config::Config cfg;
  const ir::Graph s = recurrent_chain(true, 2, &cfg);
  expect_no_warnings(s, cfg, "warnings_recurrent_static");
  const ir::Graph u = recurrent_chain(false, 1, &cfg);
  expect_no_warnings(u, cfg, "warnings_recurrent_unrolled");
}

// The GarNet kernel (kernels/firmnet_garnet.h): per-vertex rows (collapse none) and a mean over the vertices.
TEST(GeneratedFirmware, GarNetFirmwareCompilesWithoutWarningsInCxx11WithGccAndClang) {
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers not found";
  expect_no_warnings(garnet_layer({"none", 8, 3, 2, 2, 3, 2}, "ufixed<5,5,TRN,SAT>"), config::Config::defaults(), "warnings_garnet_none");
  expect_no_warnings(garnet_layer({"mean", 12, 3, 2, 3, 2, 3}, "fixed<8,6,TRN,SAT>"), config::Config::defaults(), "warnings_garnet_mean");
}

// io_stream: hls::stream ports and FIFOs, the process functions and the line-buffer kernels.
TEST(GeneratedFirmware, StreamFirmwareCompilesWithoutWarningsInCxx11WithGccAndClang) {
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers not found";
  config::Config cfg = config::Config::defaults();
  cfg.io_type = "io_stream";
  expect_no_warnings(every_kernel(), cfg, "warnings_stream");
  expect_no_warnings(stream_cnn(), cfg, "warnings_stream_cnn");
}

}  // namespace
}  // namespace firmnet::testing
