// Conv, Pool and Transpose in the HLS kernels (kernels/firmnet_conv.h, io_parallel; kernels/firmnet_stream.h,
// io_stream): projects written for
// hand-built graphs, compiled with g++ against ap_types and run on random inputs; every output bit is
// compared with the independent reference (backend_test_util.cpp, docs/NUMERICS.md tap by tap) and with
// the emulator. Each project holds several layers (several inputs and outputs) to keep the compiles few.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

// Compares every value; returns how many were compared. At least a quarter of each output must be
// non-zero, so that the comparison is not between zeros.
size_t compare(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& expected,
               const std::string& what) {
  size_t compared = 0;
  EXPECT_EQ(got.size(), expected.size()) << what;
  for (size_t k = 0; k < got.size() && k < expected.size(); ++k) {
    EXPECT_EQ(got[k].size(), expected[k].size()) << what << " output " << k;
    if (got[k].size() != expected[k].size()) continue;
    size_t bad = 0, nonzero = 0;
    for (size_t i = 0; i < got[k].size(); ++i) {
      nonzero += expected[k][i] != 0;
      if (got[k][i] != expected[k][i] && bad++ < 5)
        ADD_FAILURE() << what << " output " << k << " value " << i << ": csim " << got[k][i] << ", expected "
                      << expected[k][i];
    }
    EXPECT_EQ(bad, 0u) << what << " output " << k;
    EXPECT_GT(nonzero, got[k].size() / 4) << what << " output " << k;
    compared += got[k].size();
  }
  return compared;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Writes the project, runs csim on `batch` random inputs, compares with the reference and the emulator.
// Under both I/O types: io_parallel (returned) and io_stream (line buffers, streams, clones of the inputs that
// several layers read), which must give the same bits.
fs::path check_one(const ir::Graph& g, const std::string& test, size_t batch, const config::Config& cfg);

fs::path check_bit_exact(const ir::Graph& g, const std::string& test, size_t batch = 60,
                         const config::Config& cfg = config::Config::defaults()) {
  config::Config stream = cfg;
  stream.io_type = "io_stream";
  check_one(g, test + "_stream", batch, stream);
  return check_one(g, test, batch, cfg);
}

fs::path check_one(const ir::Graph& g, const std::string& test, size_t batch, const config::Config& cfg) {
  g.verify(true);
  const fs::path dir = scratch_dir("spatial_" + test) / "prj";
  const auto inputs = random_inputs(g, batch, 42);
  const auto expected = to_doubles(g, reference_run(g, inputs, batch));
  backends::TestVectors tv{batch, inputs, expected};
  backends::write_vitis_project(g, cfg, dir, &tv);
  backends::CsimOptions o;
  o.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto t0 = std::chrono::steady_clock::now();
  const auto got = backends::run_csim(dir, inputs, batch, o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const size_t n = compare(got, expected, test + " vs reference");
  try {
    compare(got, emulator::Emulator(g).run(inputs, batch).outputs, test + " vs emulator");
  } catch (const Error& e) {
    ADD_FAILURE() << test << ": the emulator failed: " << e.what();
  }
  std::printf("[%s] csim compile+run %.1f s, %zu output values compared with the reference and the emulator\n",
              test.c_str(), secs, n);
  return dir;
}

void set_schedule(ir::Graph& g, const std::string& node, ir::Strategy s, int reuse) {
  for (ir::Node& n : g.nodes)
    if (n.name == node) {
      n.strategy = s;
      n.reuse_factor = reuse;
      return;
    }
  FAIL() << "no node " << node;
}

const char* kRes = "fixed<16,6,RND,SAT>";
const char* kWide = "fixed<32,12>";

TEST(VitisCsimSpatial, Conv1DGeometriesAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {16, 3}, "fixed<10,4>");
  const ir::TensorId x2 = b.input("x2", {19, 2}, "fixed<9,3>");
  b.g.outputs = {
      b.conv("same", x, 4, {3}, {1}, {1}, {1, 1}, 1, kRes, kWide),
      b.conv("valid_s2", x, 5, {5}, {2}, {1}, {0, 0}, 1, kRes, kWide),
      b.conv("dilated_asym", x2, 3, {3}, {2}, {2}, {2, 1}, 1, kRes, kWide),
      b.conv("pointwise", x2, 4, {1}, {1}, {1}, {0, 0}, 1, kRes, kWide),
  };
  check_bit_exact(b.g, "conv1d");
}

TEST(VitisCsimSpatial, Conv2DGeometriesDepthwiseAndPointwiseAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {6, 6, 3}, "fixed<10,4>");
  const ir::TensorId x2 = b.input("x2", {7, 8, 2}, "fixed<10,4>");
  b.g.outputs = {
      b.conv("same3x3", x, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, kRes, kWide),
      b.conv("valid_s2", x, 3, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 1, kRes, kWide),
      b.conv("rect_asym", x2, 3, {2, 3}, {2, 1}, {1, 2}, {0, 1, 1, 0}, 1, kRes, kWide),
      b.conv("dilated", x2, 2, {3, 3}, {1, 1}, {2, 2}, {2, 2, 2, 2}, 1, kRes, kWide),
      b.conv("pointwise", x, 5, {1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, kRes, kWide),
      b.conv("depthwise", x, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 3, kRes, kWide),
      b.conv("depthwise_mult2", x, 6, {3, 3}, {2, 1}, {1, 1}, {1, 0, 1, 2}, 3, kRes, kWide),
  };
  check_bit_exact(b.g, "conv2d");
}

// Transposed convolutions (Conv with input dilation, as ONNX ConvTranspose becomes): io_parallel gathers the
// taps on the stretched grid, io_stream's line buffer shifts in the zeros between pixels; both against the
// reference. 1-D: stride 3 with an asymmetric crop (pads) and a dilated kernel; 2-D: stride (2, 3), a
// rectangular kernel, and Resource at reuse 2.
TEST(VitisCsimSpatial, TransposedConvolutionsAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {5, 3}, "fixed<10,4>");
  const ir::TensorId x2 = b.input("x2", {3, 4, 2}, "fixed<9,3>");
  b.g.outputs = {
      b.conv("t1d_s3", x, 4, {3}, {1}, {1}, {2, 1}, 1, kRes, kWide, "fixed<8,2>", {3}),
      b.conv("t1d_dil", x, 2, {2}, {1}, {2}, {2, 2}, 1, kRes, kWide, "fixed<8,2>", {2}),
      b.conv("t2d", x2, 3, {2, 3}, {1, 1}, {1, 1}, {1, 2, 1, 2}, 1, kRes, kWide, "fixed<8,2>", {2, 3}),
  };
  set_schedule(b.g, "t2d", ir::Strategy::Resource, 2);
  check_bit_exact(b.g, "conv_transposed");
}

// Lossy accumulators: every step rounds (12 product fraction bits into fewer) and wraps or saturates, so only
// NUMERICS.md's order (taps, then channels, padding skipped) reproduces the reference. product_cast is
// decided as for Dense; the test checks both spellings occur.
TEST(VitisCsimSpatial, LossyAccumulatorsInEveryRoundingAndOverflowModeAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {5, 5, 3}, "fixed<10,4>");
  const char* accums[][2] = {{"trn_wrap", "fixed<12,3>"},         {"rnd_wrap", "fixed<12,4,RND>"},
                             {"rnd_conv_sat", "fixed<14,4,RND_CONV,SAT>"}, {"trn_zero_wrap", "fixed<11,4,TRN_ZERO>"},
                             {"rnd_inf_sat_sym", "fixed<12,4,RND_INF,SAT_SYM>"}, {"rnd_sat_wide", "fixed<22,12,RND,SAT>"}};
  for (const auto& a : accums) b.g.outputs.push_back(b.conv(a[0], x, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<12,5>", a[1]));
  b.g.outputs.push_back(b.conv("dw_rnd_conv", x, 6, {3, 3}, {1, 1}, {1, 1}, {0, 1, 1, 0}, 3, "fixed<12,5>",
                               "fixed<10,3,RND_CONV,SAT>"));
  const fs::path dir = check_bit_exact(b.g, "conv_lossy");
  const std::string params = slurp(dir / "firmware" / "parameters.h");
  EXPECT_NE(params.find("static const bool product_cast = true;"), std::string::npos);
  EXPECT_NE(params.find("static const bool product_cast = false;"), std::string::npos);
}

// Latency with ReuseFactor > 1 (II = RF, multipliers capped) and Resource with ReuseFactor <= n_in (one block)
// and > n_in (output blocks) and not dividing it, on lossy wrapping accumulators.
TEST(VitisCsimSpatial, LatencyAndResourceWithReuseAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {5, 6, 2}, "fixed<10,4>");
  const ir::TensorId x1 = b.input("x1", {12, 2}, "fixed<10,4>");
  b.g.outputs = {
      b.conv("lat_rf3", x, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<12,5>", "fixed<12,4>"),
      b.conv("res_rf6", x, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<12,5>", "fixed<12,4,RND_CONV>"),
      b.conv("res_rf5", x, 3, {2, 2}, {2, 2}, {1, 1}, {0, 0, 1, 1}, 1, "fixed<12,5>", "fixed<11,4,TRN_ZERO,SAT>"),
      b.conv("res_rf16", x1, 8, {3}, {1}, {1}, {1, 1}, 1, "fixed<12,5>", "fixed<12,4,RND>"),
      b.conv("dw_res_rf4", x, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 2, "fixed<12,5>", "fixed<12,4>"),
  };
  set_schedule(b.g, "lat_rf3", ir::Strategy::Latency, 3);
  set_schedule(b.g, "res_rf6", ir::Strategy::Resource, 6);    // 18 x 4: 3 inputs per iteration
  set_schedule(b.g, "res_rf5", ir::Strategy::Resource, 5);    // 8 x 3: ceil(8/5) = 2 inputs, 4 iterations
  set_schedule(b.g, "res_rf16", ir::Strategy::Resource, 16);  // 6 x 8: RF > n_in, 2 output blocks
  set_schedule(b.g, "dw_res_rf4", ir::Strategy::Resource, 4); // depthwise: the unrolled product at II 4
  const fs::path dir = check_bit_exact(b.g, "conv_reuse");
  const std::string params = slurp(dir / "firmware" / "parameters.h");
  for (const char* s : {"static const unsigned n_chunks = 2;", "static const unsigned in_per_iter = 3;"})
    EXPECT_NE(params.find(s), std::string::npos) << s;
  const std::string top = slurp(dir / "firmware" / "myproject.cpp");
  EXPECT_NE(top.find("#pragma HLS DATAFLOW"), std::string::npos);
  EXPECT_NE(top.find("firmnet_hls::conv<"), std::string::npos);
}

TEST(VitisCsimSpatial, MaxAndAveragePoolsAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {7, 7, 3}, "fixed<10,4>");
  const ir::TensorId x1 = b.input("x1", {21, 2}, "fixed<10,4>");
  const char* acc = "fixed<24,12>";
  b.g.outputs = {
      b.pool("max2x2", x, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<12,5>"),
      b.pool("max3x3_s2_padded", x, false, {3, 3}, {2, 2}, {1, 1, 1, 1}, false, "fixed<8,3,RND,SAT>"),
      b.pool("max1d_asym", x1, false, {3}, {2}, {2, 1}, false, "fixed<12,5>"),
      b.pool("avg2x2", x, true, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, kRes, acc),
      b.pool("avg3x3_exclude_pad", x, true, {3, 3}, {1, 1}, {1, 1, 1, 1}, false, kRes, acc),
      b.pool("avg3x3_include_pad", x, true, {3, 3}, {1, 1}, {1, 1, 1, 1}, true, kRes, acc),
      b.pool("avg_asym_pads", x, true, {2, 3}, {2, 1}, {1, 0, 0, 2}, false, "fixed<10,4,RND_CONV,SAT>", acc),
      b.pool("avg_global", x, true, {7, 7}, {1, 1}, {0, 0, 0, 0}, false, kRes, acc),
      b.pool("avg1d_lossy", x1, true, {3}, {2}, {1, 1}, false, kRes, "fixed<9,5,TRN,SAT>"),
      b.pool("avg1d_lossy_rnd_wrap", x1, true, {4}, {1}, {2, 1}, true, "fixed<10,4,RND>", "fixed<8,3,RND_CONV>",
             "ufixed<10,1,RND>"),
  };
  // io_parallel Latency, small maps: every output pixel at once (unrolled), the top one pipeline (no loop left).
  const fs::path dir = check_bit_exact(b.g, "pools");
  const std::string params = slurp(dir / "firmware" / "parameters.h");
  const std::string top = slurp(dir / "firmware" / "myproject.cpp");
  EXPECT_EQ(count_of(params, "static const bool unrolled = true;"), 10u);
  EXPECT_NE(top.find("#pragma HLS PIPELINE II=1"), std::string::npos);
  EXPECT_EQ(top.find("DATAFLOW"), std::string::npos);
  // The Resource strategy keeps the pipelined loop over the output pixels (the top a DATAFLOW region): same bits.
  ir::Graph pipelined = b.g;
  for (ir::Node& n : pipelined.nodes)
    if (n.kind == ir::OpKind::Pool) n.strategy = ir::Strategy::Resource;
  const fs::path dir2 = check_one(pipelined, "pools_pipelined", 60, config::Config::defaults());
  EXPECT_EQ(count_of(slurp(dir2 / "firmware" / "parameters.h"), "unrolled"), 0u);
  EXPECT_NE(slurp(dir2 / "firmware" / "myproject.cpp").find("DATAFLOW"), std::string::npos);
}

// A pool over more compares than the unroll limit (62 x 62 x 4 outputs x 4 taps = 61,504 > 4,096) keeps the
// pipelined pixel loop under Latency too; the project says which, and the estimate costs what is built.
TEST(VitisCsimSpatial, PoolOverTheUnrollLimitKeepsItsPixelLoop) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {124, 124, 4}, "fixed<10,4>");
  const ir::TensorId small = b.input("s", {8, 8, 4}, "fixed<10,4>");
  b.g.outputs = {b.pool("big", x, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<10,4>"),
                 b.pool("small", small, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<10,4>")};
  config::Config vitis = config::Config::defaults();
  vitis.backend = "Vitis";
  EXPECT_FALSE(backends::pool_unrolled(b.g, b.g.nodes[2], vitis));
  EXPECT_TRUE(backends::pool_unrolled(b.g, b.g.nodes[3], vitis));
  config::Config stream = vitis;
  stream.io_type = "io_stream";
  EXPECT_FALSE(backends::pool_unrolled(b.g, b.g.nodes[3], stream));
  // Vivado HLS's partition limit (1,024): an 8x8x4 input (256) fits, a 20x20x4 one (1,600) does not.
  GraphBuilder v;
  const ir::TensorId x20 = v.input("x", {20, 20, 4}, "fixed<10,4>");
  v.g.outputs = {v.pool("p", x20, false, {4, 4}, {4, 4}, {0, 0, 0, 0}, false, "fixed<10,4>")};
  config::Config vivado = config::Config::defaults();
  vivado.backend = "Vivado";
  EXPECT_FALSE(backends::pool_unrolled(v.g, v.g.nodes[1], vivado));
  EXPECT_TRUE(backends::pool_unrolled(v.g, v.g.nodes[1], vitis));
}

TEST(VitisCsimSpatial, TransposeIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {3, 4, 5}, "fixed<10,4>");
  const ir::TensorId x2 = b.input("x2", {4, 6}, "fixed<10,4>");
  const ir::TensorId x4 = b.input("x4", {2, 3, 2, 4}, "fixed<10,4>");
  b.g.outputs = {
      b.transpose("chw", x, {2, 0, 1}, "fixed<10,4>"),
      b.transpose("whc", x, {1, 0, 2}, "fixed<8,3,RND,SAT>"),  // with a lossy cast
      b.transpose("t2", x2, {1, 0}, "fixed<10,4>"),
      b.transpose("t4", x4, {3, 1, 0, 2}, "fixed<10,4>"),
  };
  check_bit_exact(b.g, "transpose");
}

// conv -> relu -> max pool -> conv (Resource) -> avg pool -> transpose -> dense: the layers feed each other.
TEST(VitisCsimSpatial, ConvPoolTransposeDenseChainIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {8, 8, 2}, "fixed<10,4>");
  ir::TensorId h = b.conv("c1", x, 4, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<14,6,RND,SAT>", kWide);
  h = b.activation("r1", "relu", h, "ufixed<12,5>");
  h = b.pool("p1", h, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "ufixed<12,5>");
  h = b.conv("c2", h, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<14,6,RND,SAT>", "fixed<16,7,RND,SAT>");
  h = b.pool("p2", h, true, {2, 2}, {1, 1}, {0, 0, 1, 1}, false, "fixed<14,6,RND,SAT>", "fixed<20,8>");
  h = b.transpose("t", h, {2, 0, 1}, "fixed<14,6,RND,SAT>");
  h = b.dense("fc", h, 5, "fixed<16,6>", kWide);
  b.g.outputs = {h};
  set_schedule(b.g, "c2", ir::Strategy::Resource, 9);
  check_bit_exact(b.g, "chain", 80);
}

}  // namespace
}  // namespace firmnet::testing

namespace firmnet::testing {
namespace {

// An MNIST-sized CNN (28x28x1 -> conv 3x3x8 -> relu -> max 2x2 -> conv 3x3x16 -> relu -> max 2x2 -> dense 10,
// 1,232 conv weights and 4,000 dense weights): the C simulation's compile time stays that of a small MLP.
TEST(VitisCsimSpatial, MnistSizedCnnCompilesQuickly) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {28, 28, 1}, "ufixed<8,0>");
  ir::TensorId h = b.conv("c1", x, 8, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<16,6,RND,SAT>", kWide);
  h = b.activation("r1", "relu", h, "ufixed<12,5>");
  h = b.pool("p1", h, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "ufixed<12,5>");
  h = b.conv("c2", h, 16, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<16,6,RND,SAT>", kWide);
  h = b.activation("r2", "relu", h, "ufixed<12,5>");
  h = b.pool("p2", h, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "ufixed<12,5>");
  h = b.dense("fc", h, 10, "fixed<16,6>", kWide);
  b.g.outputs = {h};
  const auto t0 = std::chrono::steady_clock::now();
  check_bit_exact(b.g, "mnist_cnn", 20);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 60.0);
}

}  // namespace
}  // namespace firmnet::testing
