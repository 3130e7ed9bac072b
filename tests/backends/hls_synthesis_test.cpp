// What a Vitis / Vivado HLS engineer checks in a generated project (issue 12): vendor flags and clock,
// the schedule of each Dense strategy (pragmas, ROM order, loop structure), partitioned small tables,
// the Vivado synthesis script, and that g++/clang++ compile the firmware without a warning from firmnet's
// code. Bits are checked separately (csim_bitexact_test.cpp).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/wait.h>

#include "backend_test_util.h"
#include "backends/vitis/constants.h"
#include "backends/vitis/dense_schedule.h"
#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "ir/dsp_usage.h"
#include "ir/hardware.h"
#include "support/error.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;
using backends::vitis::dense_schedule;
using backends::vitis::DenseSchedule;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool has(const std::string& text, const std::string& s) { return text.find(s) != std::string::npos; }

ir::Graph mlp(ir::Strategy strategy, int reuse, int64_t n_in = 16, int64_t n_hidden = 32) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {n_in}, "fixed<16,6>");
  ir::TensorId h = b.dense("fc1", x, n_hidden, "fixed<16,6>", "fixed<24,10>");
  h = b.activation("relu1", "relu", h, "fixed<16,6>");
  b.g.outputs = {b.dense("fc2", h, 5, "fixed<16,6>", "fixed<24,10>")};
  for (ir::Node& n : b.g.nodes) {
    n.strategy = strategy;
    n.reuse_factor = n.kind == ir::OpKind::Dense ? reuse : 1;
  }
  return b.g;
}

fs::path write(const ir::Graph& g, const std::string& test, config::Config cfg = config::Config::defaults()) {
  const fs::path dir = scratch_dir(test) / "prj";
  backends::write_vitis_project(g, cfg, dir);
  return dir;
}

// The body of one kernel template in the library, from its signature to the next "template <".
std::string kernel_body(const std::string& name) {
  std::string lib;
  for (const auto& [file, content] : backends::embedded_kernel_files()) lib += std::string(content);
  const size_t at = lib.find("void " + name + "(");
  EXPECT_NE(at, std::string::npos) << name;
  const size_t end = lib.find("template <", at);
  return lib.substr(at, end - at);
}

TEST(HlsVendor, VivadoGetsCxx0xAndVitisKeepsCxx14) {
  config::Config cfg;
  cfg.backend = "Vivado";
  const std::string vivado = read(write(mlp(ir::Strategy::Latency, 1), "vendor_vivado", cfg) / "build_prj.tcl");
  EXPECT_TRUE(has(vivado, "add_files firmware/myproject.cpp -cflags \"-std=c++0x\"")) << vivado;
  EXPECT_TRUE(has(vivado, "add_files -tb tb/myproject_test.cpp -cflags \"-std=c++0x\"")) << vivado;
  EXPECT_FALSE(has(vivado, "c++14")) << vivado;
  const std::string vitis = read(write(mlp(ir::Strategy::Latency, 1), "vendor_vitis") / "build_prj.tcl");
  EXPECT_TRUE(has(vitis, "-cflags \"-std=c++14\"")) << vitis;
}

TEST(HlsVendor, ClockUncertaintyIsEachToolsDefaultUnlessConfigured) {
  const ir::Graph g = mlp(ir::Strategy::Latency, 1);
  EXPECT_TRUE(has(read(write(g, "unc_vitis") / "build_prj.tcl"), "set_clock_uncertainty 27%"));
  config::Config cfg;
  cfg.backend = "Vivado";
  EXPECT_TRUE(has(read(write(g, "unc_vivado", cfg) / "build_prj.tcl"), "set_clock_uncertainty 12.5%"));
  cfg = config::Config::parse("ClockUncertainty: 20%\n", "config.yml");
  const fs::path dir = write(g, "unc_configured", cfg);
  EXPECT_TRUE(has(read(dir / "build_prj.tcl"), "set_clock_uncertainty 20%"));
  EXPECT_TRUE(has(read(dir / "README.md"), "uncertainty 20%"));
}

TEST(HlsVendor, CosimWithoutTracesAndReadmeNamesBothLaunchers) {
  const fs::path dir = write(mlp(ir::Strategy::Latency, 1), "launchers");
  const std::string tcl = read(dir / "build_prj.tcl");
  EXPECT_TRUE(has(tcl, "cosim_design -trace_level none")) << tcl;
  EXPECT_FALSE(has(tcl, "trace_level all"));
  const std::string readme = read(dir / "README.md");
  EXPECT_TRUE(has(readme, "`vitis_hls -f build_prj.tcl`")) << readme;
  EXPECT_TRUE(has(readme, "`vitis-run --mode hls --tcl build_prj.tcl`")) << readme;
}

// io_parallel keeps every layer output as a local array: over a million values, C simulation overflows an
// 8 MiB stack (a 512x512 map did); the README says so and how to raise it. Small models get no such section.
TEST(HlsVendor, ReadmeWarnsAboutTheCsimStackOnlyForHugeIoParallelModels) {
  const std::string small = read(write(mlp(ir::Strategy::Latency, 1), "stack_small") / "README.md");
  EXPECT_FALSE(has(small, "## Stack")) << small;
  const ir::Graph wide = mlp(ir::Strategy::Resource, 64, 16, 1'000'000);  // fc1 and relu1 local: 2 M values
  const std::string readme = read(write(wide, "stack_wide") / "README.md");
  EXPECT_TRUE(has(readme, "The layer outputs are 2000000 values held as local arrays")) << readme;
  EXPECT_TRUE(has(readme, "`ulimit -s unlimited`")) << readme;
  config::Config stream;
  stream.io_type = "io_stream";
  EXPECT_FALSE(has(read(write(wide, "stack_stream", stream) / "README.md"), "## Stack"));
}

TEST(HlsVivadoSynth, AddsRomDataFilesAndReadsTheClockBeforeSynthesis) {
  const fs::path dir = write(mlp(ir::Strategy::Resource, 4), "vsynth");
  const std::string tcl = read(dir / "vivado_synth.tcl");
  EXPECT_TRUE(has(tcl, "glob -nocomplain myproject_prj/solution1/syn/verilog/*.dat")) << tcl;
  EXPECT_TRUE(has(tcl, "add_files $roms")) << tcl;
  const size_t xdc = tcl.find("read_xdc -mode out_of_context vivado_synth.xdc");
  const size_t synth = tcl.find("synth_design -top myproject");
  ASSERT_NE(xdc, std::string::npos) << tcl;
  ASSERT_NE(synth, std::string::npos) << tcl;
  EXPECT_LT(xdc, synth) << "the clock must constrain synthesis";
  EXPECT_FALSE(has(tcl, "create_clock")) << "the clock lives in the XDC";
  EXPECT_EQ(read(dir / "vivado_synth.xdc").find("create_clock -period 5 -name ap_clk [get_ports ap_clk]") ==
                std::string::npos,
            false);
}

TEST(HlsTop, ResourceTopIsADataflowRegionAndLatencyTopIsPipelined) {
  const std::string res = read(write(mlp(ir::Strategy::Resource, 4), "top_resource") / "firmware/myproject.cpp");
  EXPECT_TRUE(has(res, "#pragma HLS DATAFLOW")) << res;
  EXPECT_FALSE(has(res, "#pragma HLS PIPELINE")) << res;
  EXPECT_TRUE(has(res, "firmnet_hls::dense_resource<input_t, fc1_result_t, config_fc1>")) << res;
  const std::string lat = read(write(mlp(ir::Strategy::Latency, 4), "top_latency") / "firmware/myproject.cpp");
  EXPECT_TRUE(has(lat, "#pragma HLS PIPELINE II=4")) << lat;
  EXPECT_FALSE(has(lat, "DATAFLOW")) << lat;
  EXPECT_TRUE(has(lat, "firmnet_hls::dense_latency<")) << lat;
  // Inputs as one reshaped word, outputs as registers.
  EXPECT_TRUE(has(lat, "#pragma HLS ARRAY_RESHAPE variable=in0 complete dim=0")) << lat;
  EXPECT_TRUE(has(lat, "#pragma HLS ARRAY_PARTITION variable=out0 complete dim=0")) << lat;
}

TEST(HlsDenseSchedule, ResourceIterationsReadOneWordWithConstantAccumulators) {
  // RF <= n_in: one block, in_per_iter consecutive inputs per iteration.
  DenseSchedule s = dense_schedule(16, 32, 4, ir::Strategy::Resource);
  EXPECT_TRUE(s.resource);
  EXPECT_EQ(s.in_per_iter, 4);
  EXPECT_EQ(s.n_iters, 4);
  EXPECT_EQ(s.n_chunks, 1);
  EXPECT_EQ(s.n_mult, 128);
  EXPECT_EQ(s.n_weights, 512);
  // RF not dividing n_in: 3 iterations of 2 inputs (12 multipliers, the last iteration half used).
  s = dense_schedule(5, 6, 3, ir::Strategy::Resource);
  EXPECT_EQ(s.in_per_iter, 2);
  EXPECT_EQ(s.n_iters, 3);
  EXPECT_EQ(s.n_mult, 12);
  EXPECT_EQ(s.n_weights, 36);
  // RF > n_in: blocks of outputs, one input per iteration.
  s = dense_schedule(3, 10, 15, ir::Strategy::Resource);
  EXPECT_EQ(s.in_per_iter, 1);
  EXPECT_EQ(s.n_iters, 3);
  EXPECT_EQ(s.n_chunks, 5);
  EXPECT_EQ(s.out_per_chunk, 2);
  EXPECT_EQ(s.n_mult, 2);
  EXPECT_EQ(s.rom_words(), 15);
  s = dense_schedule(4, 6, 24, ir::Strategy::Resource);
  EXPECT_EQ(s.n_mult, 1);
  EXPECT_EQ(s.rom_words(), 24);
  // Every (i, j) has its own stored slot, inside the word of the iteration that reads it.
  for (const auto& [ni, no, rf] : std::vector<std::tuple<int, int, int>>{{16, 32, 4}, {5, 6, 3}, {3, 10, 15}, {4, 6, 24}, {7, 3, 7}}) {
    s = dense_schedule(ni, no, rf, ir::Strategy::Resource);
    std::vector<int> seen(static_cast<size_t>(s.n_weights), 0);
    for (int i = 0; i < ni; ++i)
      for (int j = 0; j < no; ++j) {
        const int64_t k = backends::vitis::stored_weight_index(s, i, j);
        ASSERT_LT(k, s.n_weights);
        ++seen[static_cast<size_t>(k)];
        const int64_t word = k / s.n_mult;
        EXPECT_EQ(word, (j / s.out_per_chunk) * s.n_iters + i / s.in_per_iter) << ni << "x" << no << " rf " << rf;
      }
    for (int v : seen) EXPECT_LE(v, 1);
  }
  // Latency and Resource at RF 1 keep the model order and all multipliers.
  s = dense_schedule(16, 32, 1, ir::Strategy::Resource);
  EXPECT_FALSE(s.resource);
  EXPECT_EQ(s.n_mult, 512);
  s = dense_schedule(16, 32, 4, ir::Strategy::Latency);
  EXPECT_FALSE(s.resource);
  EXPECT_EQ(s.n_mult, 128);
}

TEST(HlsDenseSchedule, ResourceKernelReshapesCyclicallyBindsARomAndHasNoDivision) {
  const std::string body = kernel_body("dense_resource");
  EXPECT_TRUE(has(body, "#pragma HLS ARRAY_RESHAPE variable = weights cyclic factor = CONFIG_T::n_mult")) << body;
  EXPECT_TRUE(has(body, "#pragma HLS BIND_STORAGE variable = weights type = rom_2p")) << body;
  EXPECT_TRUE(has(body, "#pragma HLS RESOURCE variable = weights core = ROM_2P_BRAM")) << body;  // Vivado HLS
  EXPECT_TRUE(has(body, "#pragma HLS PIPELINE II = 1")) << body;
  EXPECT_TRUE(has(body, "weights[word * CONFIG_T::n_mult + ii * CONFIG_T::out_per_chunk + jj]")) << body;
  EXPECT_TRUE(has(body, "multiply_accumulate<CONFIG_T>(\n                acc[jj]")) << body;  // unrolled index
  // No division or modulo anywhere in the Dense kernels (comments aside).
  for (const char* k : {"dense_resource", "dense_latency"}) {
    const std::string code = std::regex_replace(kernel_body(k), std::regex("//[^\n]*"), "");
    EXPECT_FALSE(has(code, " / ")) << k;
    EXPECT_FALSE(has(code, " % ")) << k;
  }
}

TEST(HlsDenseSchedule, ResourceWeightsAreWrittenInKernelOrder) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {3}, "fixed<16,6>");
  b.g.outputs = {b.dense("fc", x, 10, "fixed<16,6>", "fixed<24,10>")};
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 15;
  const fs::path dir = write(b.g, "kernel_order");
  const std::string params = read(dir / "firmware/parameters.h");
  for (const char* s : {"static const unsigned n_mult = 2;", "static const unsigned n_weights = 30;",
                        "static const unsigned n_chunks = 5;", "static const unsigned n_iters = 3;",
                        "static const unsigned in_per_iter = 1;", "static const unsigned out_per_chunk = 2;"})
    EXPECT_TRUE(has(params, s)) << s << "\n" << params;
  // Word c*3 + i holds W[i][2c], W[i][2c+1]: the stored array is the model's, permuted.
  const ir::Tensor& w = b.g.tensor(b.g.nodes.back().param("weight"));
  std::string expected;
  for (int c = 0; c < 5; ++c)
    for (int i = 0; i < 3; ++i)
      for (int jj = 0; jj < 2; ++jj)
        expected += (expected.empty() ? "" : ", ") +
                    backends::vitis::exact_decimal(w.raw[static_cast<size_t>(i * 10 + 2 * c + jj)], w.type->frac());
  std::string file = read(dir / "firmware/weights/fc_weight.h");
  file = file.substr(file.find("] = {") + 5);
  file = file.substr(0, file.find("};"));
  auto squeeze = [](std::string t) { return std::regex_replace(t, std::regex("\\s+"), ""); };
  EXPECT_EQ(squeeze(file), squeeze(expected));
}

ir::Graph wide_dense(int64_t n_in, int64_t n_out, ir::Strategy strategy, int reuse) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {n_in}, "fixed<8,3>");
  b.g.outputs = {b.dense("wide", x, n_out, "fixed<16,6>", "fixed<24,10>", "fixed<6,1>")};
  b.g.nodes.back().strategy = strategy;
  b.g.nodes.back().reuse_factor = reuse;
  return b.g;
}

TEST(HlsFeasibility, LatencyDenseOverVivadosPartitionLimitIsReportedWithTheFix) {
  const ir::Graph g = wide_dense(400, 10, ir::Strategy::Latency, 1);
  config::Config vivado;
  vivado.backend = "Vivado";
  const auto f = backends::check_feasibility(g, vivado);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].where, "layer 'wide'");
  EXPECT_TRUE(has(f[0].what, "Dense 400x10, Latency strategy")) << f[0].what;
  EXPECT_TRUE(has(f[0].what, "4,000 weights completely partitioned")) << f[0].what;
  EXPECT_TRUE(has(f[0].what, "Vivado HLS's complete-partition limit (XFORM 203-103 stops synthesis) of 1,024"))
      << f[0].what;
  EXPECT_TRUE(has(f[0].hint, "Strategy: Resource with ReuseFactor 2 or larger (a divisor of 4,000; 2,000 multipliers"))
      << f[0].hint;
  // Vitis: under the project's 4,096-element partition limit and the unroll limit: nothing to report.
  EXPECT_TRUE(backends::check_feasibility(g, config::Config::defaults()).empty());
  // The suggested fix passes.
  EXPECT_TRUE(backends::check_feasibility(wide_dense(400, 10, ir::Strategy::Resource, 2), vivado).empty());
}

// The spatial kernels: a pipelined loop over output pixels at II = reuse_factor (Latency), the window taps from
// the loop counters (no table, nothing data-dependent chooses a tap), padding selected as 0 (conv) or masked
// (pool), the Dense kernels for the window product, and no product with an implicit zero for depthwise.
TEST(HlsConv, PixelLoopIsPipelinedAndTheWindowProductIsTheDenseKernel) {
  const std::string conv = kernel_body("conv");
  EXPECT_TRUE(has(conv, "#pragma HLS PIPELINE II = CONFIG_T::reuse_factor")) << conv;
  const std::string pixel = kernel_body("conv_pixel");
  EXPECT_TRUE(has(pixel, "gather_window<data_T, CONFIG_T>(data, oh, ow, win);")) << pixel;
  EXPECT_TRUE(has(pixel, "conv_product<conv_kind<CONFIG_T>::value>")) << pixel;
  const std::string gather = kernel_body("gather_window");
  EXPECT_TRUE(has(gather, "inside ? v : data_T(0)")) << gather;
  std::string lib;
  for (const auto& [file, content] : backends::embedded_kernel_files()) lib += std::string(content);
  EXPECT_TRUE(has(lib, "dense_resource<data_T, res_T, CONFIG_T>(win, row, weights, biases)"));
  EXPECT_TRUE(has(lib, "dense_latency<data_T, res_T, CONFIG_T>(win, row, weights, biases)"));
  const std::string dw = kernel_body("depthwise_product");
  EXPECT_TRUE(has(dw, "win[t * CONFIG_T::n_chan + o / CONFIG_T::multiplier]")) << dw;  // o, t unrolled: constants
  EXPECT_TRUE(has(dw, "#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::n_mult")) << dw;
  // Pools: the output pixels unrolled in one function pipelined at II = reuse_factor, or a pipelined pixel loop.
  for (const char* k : {"pool_max", "pool_avg"})
    EXPECT_TRUE(has(kernel_body(k), "pool_pixels<CONFIG_T::unrolled>::template")) << k;
  const size_t unrolled = lib.find("struct pool_pixels<true> {"), looped = lib.find("struct pool_pixels<false> {");
  ASSERT_NE(unrolled, std::string::npos);
  ASSERT_NE(looped, std::string::npos);
  const std::string all = lib.substr(unrolled, looped - unrolled);
  const std::string loop = lib.substr(looped, lib.find("}  // namespace", looped) - looped);
  EXPECT_TRUE(has(all, "#pragma HLS INLINE off\n#pragma HLS PIPELINE II = CONFIG_T::reuse_factor\n")) << all;
  EXPECT_TRUE(has(all, "for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {\n#pragma HLS UNROLL")) << all;
  EXPECT_TRUE(has(loop, "for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {\n#pragma HLS PIPELINE II = "
                        "CONFIG_T::reuse_factor")) << loop;
  // The top function keeps the pixel loops: DATAFLOW, not a pipelined top that would unroll them.
  GraphBuilder b;
  ir::TensorId x = b.input("x", {6, 6, 2}, "fixed<8,3>");
  b.g.outputs = {b.conv("c", x, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<16,6>", "fixed<24,10>")};
  const std::string top = read(write(b.g, "conv_top") / "firmware/myproject.cpp");
  EXPECT_TRUE(has(top, "#pragma HLS DATAFLOW")) << top;
  EXPECT_FALSE(has(top, "#pragma HLS PIPELINE")) << top;
}

ir::Graph conv_graph(ir::Shape in, int64_t out_channels, int64_t k, int64_t group, ir::Strategy strategy, int reuse) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", std::move(in), "fixed<8,3>");
  b.g.outputs = {b.conv("conv", x, out_channels, {k, k}, {1, 1}, {1, 1}, {k / 2, k / 2, k / 2, k / 2}, group,
                        "fixed<16,6>", "fixed<24,10>", "fixed<8,2>")};
  b.g.nodes.back().strategy = strategy;
  b.g.nodes.back().reuse_factor = reuse;
  return b.g;
}

// Conv: the window product of each output pixel (taps*C_in x C_out) against the limits, like a Dense.
TEST(HlsFeasibility, ConvWindowProductOverTheLimitsIsReportedWithTheFix) {
  const ir::Graph g = conv_graph({6, 6, 64}, 64, 3, 1, ir::Strategy::Latency, 1);
  const auto f = backends::check_feasibility(g, config::Config::defaults());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].where, "layer 'conv'");
  EXPECT_TRUE(has(f[0].what, "Conv2D 3x3, 64->64 channels: window product 576x64 per output pixel, Latency strategy, "
                             "ReuseFactor 1: 36,864 weights completely partitioned (registers), over the project's "
                             "config_array_partition -maximum_size of 4,096")) << f[0].what;
  EXPECT_TRUE(has(f[0].hint, "Strategy: Resource with ReuseFactor 9 or larger (a divisor of 36,864; 4,096 multipliers, "
                             "one 32,768-bit ROM word per cycle)")) << f[0].hint;
  EXPECT_TRUE(has(f[0].hint, "io_stream")) << f[0].hint;
  // The suggested fix passes; a smaller reuse factor has too many products per iteration.
  EXPECT_TRUE(backends::check_feasibility(conv_graph({6, 6, 64}, 64, 3, 1, ir::Strategy::Resource, 9),
                                          config::Config::defaults()).empty());
  const auto r = backends::check_feasibility(conv_graph({6, 6, 64}, 64, 3, 1, ir::Strategy::Resource, 4),
                                             config::Config::defaults());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(has(r[1].what, "the weight ROM word would be 73,728 bits")) << r[1].what;
  EXPECT_TRUE(has(r[0].what, "ReuseFactor 4: 9,216 products unrolled per iteration, over the unroll limit of 4,096"))
      << r[0].what;
  // Vivado HLS: a 3x3 16->16 conv has 2,304 weights, over its 1,024-element partition limit.
  config::Config vivado;
  vivado.backend = "Vivado";
  const auto v = backends::check_feasibility(conv_graph({4, 4, 16}, 16, 3, 1, ir::Strategy::Latency, 1), vivado);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(has(v[0].what, "2,304 weights completely partitioned (registers), over Vivado HLS's complete-partition "
                             "limit (XFORM 203-103 stops synthesis) of 1,024")) << v[0].what;
  EXPECT_TRUE(has(v[0].hint, "ReuseFactor 2 or larger (a divisor of 2,304; 1,152 multipliers")) << v[0].hint;
  EXPECT_TRUE(backends::check_feasibility(conv_graph({4, 4, 16}, 16, 3, 1, ir::Strategy::Latency, 1),
                                          config::Config::defaults()).empty());
}

TEST(HlsFeasibility, WideDepthwiseConvIsReportedWithItsFix) {
  const ir::Graph g = conv_graph({4, 4, 256}, 256, 5, 256, ir::Strategy::Resource, 8);
  const auto f = backends::check_feasibility(g, config::Config::defaults());
  ASSERT_EQ(f.size(), 2u);
  EXPECT_TRUE(has(f[0].what, "DepthwiseConv2D 5x5, 256->256 channels: 6,400 products per output pixel, ReuseFactor 8: "
                             "6,400 weights completely partitioned (registers), over the project's "
                             "config_array_partition -maximum_size of 4,096")) << f[0].what;
  EXPECT_TRUE(has(f[0].hint, "split the channels")) << f[0].hint;
  EXPECT_TRUE(has(f[1].what, "the gathered window holds 6,400 values (25 taps x 256 channels)")) << f[1].what;
  EXPECT_TRUE(backends::check_feasibility(conv_graph({4, 4, 64}, 64, 5, 64, ir::Strategy::Latency, 1),
                                          config::Config::defaults()).empty());
}

TEST(HlsFeasibility, WideGlobalPoolIsReported) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {7, 7, 128}, "fixed<8,3>");
  b.g.outputs = {b.pool("gap", x, true, {7, 7}, {1, 1}, {0, 0, 0, 0}, false, "fixed<16,6>", "fixed<24,12>")};
  const auto f = backends::check_feasibility(b.g, config::Config::defaults());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].where, "layer 'gap'");
  EXPECT_TRUE(has(f[0].what, "Average pool 7x7, 128 channels: 6,272 additions unrolled per output pixel (49 taps x "
                             "128 channels), over the unroll limit of 4,096")) << f[0].what;
  EXPECT_TRUE(has(f[0].hint, "reduce the channels or the window")) << f[0].hint;
  GraphBuilder small;
  x = small.input("x", {7, 7, 64}, "fixed<8,3>");
  small.g.outputs = {small.pool("gap", x, false, {7, 7}, {1, 1}, {0, 0, 0, 0}, false, "fixed<8,3>")};
  EXPECT_TRUE(backends::check_feasibility(small.g, config::Config::defaults()).empty());
}

TEST(HlsFeasibility, FinnMnistAtLatencyIsWarnedWithItsFix) {
  const ir::Graph g = wide_dense(784, 64, ir::Strategy::Latency, 1);  // FINN tfc_mnist's first layer
  const auto f = backends::check_feasibility(g, config::Config::defaults());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(has(f[0].what, "50,176 weights completely partitioned")) << f[0].what;
  EXPECT_TRUE(has(f[0].what, "config_array_partition -maximum_size of 4,096")) << f[0].what;
  EXPECT_TRUE(has(f[0].hint, "ReuseFactor 14 or larger (a divisor of 50,176; 3,584 multipliers")) << f[0].hint;
  EXPECT_TRUE(backends::check_feasibility(wide_dense(784, 64, ir::Strategy::Resource, 14), config::Config::defaults()).empty());
  // Resource at too small a reuse factor: too many products per iteration.
  const auto r = backends::check_feasibility(wide_dense(784, 64, ir::Strategy::Resource, 2), config::Config::defaults());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(has(r[0].what, "25,088 products unrolled per iteration, over the unroll limit of 4,096")) << r[0].what;
  EXPECT_TRUE(has(r[1].what, "ROM word would be 150,528 bits (25,088 weights of 6 bits), over the reshape limit of "
                             "65,536 bits")) << r[1].what;
  const std::string model = std::string(FIRMNET_SHARED_MODELS) + "/finn/tfc_mnist_streamlined.onnx";
  if (!fs::exists(model)) GTEST_SKIP() << model << " not found (../shared/models is absent): built graph checked only";
  const auto c = driver::compile(model, config::Config::defaults());
  size_t found = 0;
  for (const Warning& w : c.warnings)
    if (has(w.message, "HLS: Dense 784x64, Latency strategy") && has(w.message, "ReuseFactor 14")) ++found;
  EXPECT_EQ(found, 1u);
  config::Config vivado;
  vivado.backend = "Vivado";
  found = 0;
  for (const Warning& w : driver::compile(model, vivado).warnings)
    found += has(w.message, "over Vivado HLS's complete-partition limit");
  EXPECT_EQ(found, 3u) << "784x64 and both 64x64 layers are over 1,024";
}

TEST(HlsDsp, InspectCountsProductsWiderThanOneDsp48e2) {
  using numeric::FixedType;
  EXPECT_TRUE(ir::fits_one_dsp(fx("fixed<27,4>"), fx("fixed<18,2>")));
  EXPECT_TRUE(ir::fits_one_dsp(fx("fixed<18,2>"), fx("fixed<27,4>")));
  EXPECT_TRUE(ir::fits_one_dsp(fx("ufixed<17,2>"), fx("fixed<27,4>")));   // 18 signed bits
  EXPECT_FALSE(ir::fits_one_dsp(fx("ufixed<27,4>"), fx("fixed<18,2>")));  // 28 signed bits
  EXPECT_FALSE(ir::fits_one_dsp(fx("fixed<30,12>"), fx("fixed<18,2>")));
  EXPECT_FALSE(ir::fits_one_dsp(fx("fixed<20,12>"), fx("fixed<20,2>")));
  // 16 -> 8 -> 4: the first layer's 16-bit inputs fit with 18-bit weights, the second's 31-bit do not.
  GraphBuilder b;
  ir::TensorId x = b.input("x", {16}, "fixed<16,6>");
  ir::TensorId h = b.dense("fc1", x, 8, "fixed<31,12>", "fixed<40,16>", "fixed<18,2>");
  b.g.outputs = {b.dense("fc2", h, 4, "fixed<16,6>", "fixed<40,16>", "fixed<18,2>")};
  EXPECT_EQ(ir::dsp_products(b.g, b.g.nodes[1]).products, 128);
  EXPECT_EQ(ir::dsp_products(b.g, b.g.nodes[1]).wide, 0);
  EXPECT_EQ(ir::dsp_products(b.g, b.g.nodes[2]).wide, 32);
  const std::string text = ir::print(b.g);
  EXPECT_TRUE(has(text, "160 multipliers, 32 of the products wider than one DSP48E2 (27x18)")) << text;
  EXPECT_TRUE(has(text, "multipliers 32 (32 wider than one DSP48E2 27x18: 2+ DSPs each)")) << text;
  // With a hardware plan recorded (driver::compile does), each layer also says what the firmware builds.
  b.g.nodes[1].reuse_factor = 4;
  b.g.hardware = std::make_shared<const ir::HardwarePlan>(ir::plan_hardware(b.g, ir::HardwareTarget{}));
  const std::string planned = ir::print(b.g);
  EXPECT_TRUE(has(planned, "multipliers 128; builds 32 multipliers at II 4")) << planned;
  EXPECT_TRUE(has(planned, "multipliers 32 (32 wider than one DSP48E2 27x18: 2+ DSPs each); builds 32 multipliers at II 1"))
      << planned;
  // A graph changed after the plan was made does not show the stale plan.
  b.g.nodes[1].reuse_factor = 2;
  const std::string stale = ir::print(b.g);
  EXPECT_FALSE(has(stale, "builds")) << stale;
  EXPECT_TRUE(has(stale, "reuse 2, strategy")) << stale;
}

TEST(HlsMultiThreshold, SmallTablesArePartitioned) {
  const std::string body = kernel_body("multithreshold");
  EXPECT_TRUE(has(body, "#pragma HLS ARRAY_PARTITION variable = thresholds complete")) << body;
  EXPECT_TRUE(has(body, "#pragma HLS ARRAY_PARTITION variable = out_values complete")) << body;
}

TEST(HlsKernels, NoLoopLabels) {
  // Labels nothing jumps to are the only warnings g++ -Wall gave on firmnet's kernels.
  std::string lib;
  for (const auto& [file, content] : backends::embedded_kernel_files()) lib += std::string(content);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(lib, m, std::regex("\n *[A-Za-z_]+:\n"))) << m.str();
}

}  // namespace
}  // namespace firmnet::testing
