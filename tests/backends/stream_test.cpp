// IOType: io_stream (kernels/firmnet_stream.h, backends/vitis/stream_*.cpp): the top function as a DATAFLOW
// region of stream processes, FIFO depths from the schedule model, the 4,096-bit aggregate limit, and every
// kernel of the library over streams bit-exact with the reference and the emulator.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"
#include "emulator/emulator.h"
#include "ir/hardware.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }
bool has(const std::string& text, const std::string& s) { return text.find(s) != std::string::npos; }

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

config::Config stream_config(const std::string& backend = "Vitis") {
  config::Config c = config::Config::defaults();
  c.io_type = "io_stream";
  c.backend = backend;
  return c;
}

// A residual block on an 8x8x4 map: the input feeds a 3x3 'same' conv and, around it, the add.
ir::Graph residual() {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {8, 8, 4}, "fixed<10,4>");
  ir::TensorId h = b.conv("conv", x, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<14,6,RND,SAT>", "fixed<32,12>");
  const ir::TensorId y = b.act("add_y", {8, 8, 4}, "fixed<16,7>");
  b.node("add", ir::OpKind::Elementwise, {x, h}, y).attrs["op"] = std::string("add");
  h = b.pool("pool", y, false, {2, 2}, {2, 2}, {0, 0, 0, 0}, false, "fixed<16,7>");
  b.g.outputs = {b.dense("fc", h, 3, "fixed<16,6>", "fixed<32,12>")};
  return b.g;
}

// The writer writes the hardware plan recorded on the graph (ir/hardware.h), not a plan of its own: a depth
// changed in the recorded plan is the depth in the project. A plan for another io type, or a graph changed
// since it was planned, is replanned.
TEST(HlsStream, WritesTheRecordedHardwarePlan) {
  ir::Graph g = residual();
  ir::HardwareTarget stream;
  stream.io_type = "io_stream";
  auto plan = std::make_shared<ir::HardwarePlan>(ir::plan_hardware(g, stream));
  ASSERT_FALSE(plan->fifos.empty());
  const int64_t modelled = plan->fifos[0].depth;
  plan->fifos[0].depth = 777;
  const std::string var = plan->fifos[0].producer == "clone" ? "in0_to_" + plan->fifos[0].consumer
                                                             : plan->fifos[0].producer + "_out";
  g.hardware = plan;
  const fs::path dir = scratch_dir("stream_recorded_plan") / "prj";
  backends::write_vitis_project(g, stream_config(), dir);
  EXPECT_TRUE(has(read(dir / "firmware/myproject.cpp"), "#pragma HLS STREAM variable=" + var + " depth=777")) << var;
  // The graph changed after planning (a reuse factor): the recorded plan is stale and the writer replans.
  g.nodes.back().reuse_factor = 3;
  const fs::path dir2 = scratch_dir("stream_stale_plan") / "prj";
  backends::write_vitis_project(g, stream_config(), dir2);
  const std::string top = read(dir2 / "firmware/myproject.cpp");
  EXPECT_FALSE(has(top, "depth=777"));
  EXPECT_TRUE(has(top, "#pragma HLS STREAM variable=" + var + " depth=" + std::to_string(modelled))) << var;
}

TEST(HlsStream, TopIsADataflowRegionOfStreamProcessesWithFifoDepths) {
  const fs::path dir = scratch_dir("stream_top") / "prj";
  backends::write_vitis_project(residual(), stream_config(), dir);
  const std::string top = read(dir / "firmware/myproject.cpp");
  const std::string header = read(dir / "firmware/myproject.h");
  const std::string defines = read(dir / "firmware/defines.h");
  EXPECT_TRUE(has(header, "void myproject(hls::stream<input_px_t >& in0, hls::stream<result_px_t >& out0);")) << header;
  EXPECT_TRUE(has(defines, "typedef firmnet_hls::pixel<input_t, 4> input_px_t;  // 64 x 4 per sample")) << defines;
  for (const char* s : {"#pragma HLS INTERFACE mode=axis port=in0", "#pragma HLS INTERFACE mode=axis port=out0",
                        "#pragma HLS DATAFLOW", "firmnet_hls::conv_stream<input_t, conv_result_t, config_conv>(in0_to_conv, conv_out, conv_weight, conv_bias);",
                        "firmnet_hls::pool_max_stream<add_result_t, pool_result_t, config_pool>(add_out, pool_out);",
                        "in0_clone(in0, in0_to_conv, in0_to_add);", "add_process(in0_to_add, conv_out, add_out);",
                        "fc_process(pool_out, out0);"})
    EXPECT_TRUE(has(top, s)) << s;
  // Every FIFO of the region has the depth the schedule model gives it (the skip path waits for the conv).
  for (const backends::StreamFifo& f : backends::stream_fifos(residual())) {
    const std::string var = f.producer == "clone" ? "in0_to_" + f.consumer : f.producer + "_out";
    EXPECT_TRUE(has(top, "#pragma HLS STREAM variable=" + var + " depth=" + std::to_string(f.depth))) << var;
  }
  EXPECT_FALSE(has(top, "ARRAY_RESHAPE")) << "stream ports are not reshaped arrays";
  // Vivado HLS spells the interface without mode=.
  const fs::path vdir = scratch_dir("stream_top_vivado") / "prj";
  backends::write_vitis_project(residual(), stream_config("Vivado"), vdir);
  EXPECT_TRUE(has(read(vdir / "firmware/myproject.cpp"), "#pragma HLS INTERFACE axis port=in0"));
  // io_parallel projects do not carry the stream kernels.
  const fs::path pdir = scratch_dir("stream_top_parallel") / "prj";
  backends::write_vitis_project(residual(), config::Config::defaults(), pdir);
  EXPECT_FALSE(fs::exists(pdir / "firmware/firmnet/firmnet_stream.h"));
  EXPECT_TRUE(fs::exists(dir / "firmware/firmnet/firmnet_stream.h"));
}

// The line buffer: the conv's window slides over the stream; the kernel keeps span-1 rows, never the map.
TEST(HlsStream, ConvAndPoolSlideALineBufferWithoutStoringTheMap) {
  std::ifstream in(std::string(FIRMNET_SOURCE_DIR) + "/src/backends/vitis/kernels/firmnet_stream.h");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string k = ss.str();
  for (const char* s : {"data_T line[G::lines][G::ext_w][CONFIG_T::n_chan];",
                        "#pragma HLS ARRAY_PARTITION variable = line complete dim = 1",
                        "data_T win[G::span_h][G::span_w][CONFIG_T::n_chan];",
                        "#pragma HLS PIPELINE II = CONFIG_T::reuse_factor",
                        "conv_product<conv_kind<CONFIG_T>::value>::template run<data_T, res_T, CONFIG_T>(row, res, weights, biases);"})
    EXPECT_TRUE(has(k, s)) << s;
  EXPECT_FALSE(has(k, "in_height * CONFIG_T::in_width *")) << "no array of the whole map";
}

// Depths from the schedule model, pinned: a chain needs 2 (one element in flight), the skip path of the
// residual block holds the elements the conv has not answered yet, and the conv's input FIFO absorbs the
// cycles it spends on padding positions.
TEST(HlsStream, FifoDepthsComeFromTheScheduleModel) {
  const auto fifos = backends::stream_fifos(residual());
  ASSERT_EQ(fifos.size(), 5u);
  std::map<std::string, int64_t> depth;
  for (const auto& f : fifos) depth[f.producer + "->" + f.consumer] = f.depth;
  // The conv answers pixel (h, w) after reading (h+1, w+1) and spends a cycle on each of the 36 padding
  // positions (100 positions for 64 pixels): it falls behind the port, so its input FIFO fills, and the skip
  // path holds what the conv has not answered yet.
  EXPECT_EQ(depth.at("clone->add"), 39);
  EXPECT_EQ(depth.at("clone->conv"), 22);
  EXPECT_EQ(depth.at("conv->add"), 2);
  EXPECT_EQ(depth.at("add->pool"), 2);
  EXPECT_EQ(depth.at("pool->fc"), 2);
  for (const auto& f : fifos) {
    EXPECT_EQ(f.elements, f.consumer == "fc" ? 16 : 64) << f.tensor;
    EXPECT_GE(f.depth, f.peak + 1);
  }
  const std::string table = backends::stream_fifo_table(residual());
  EXPECT_TRUE(has(table, "io_stream FIFOs: 5")) << table;
  EXPECT_TRUE(has(table, "clone -> add")) << table;
}

TEST(HlsFeasibility, StreamElementOverTheAggregateLimitIsReportedWithTheFix) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {4, 4, 300}, "fixed<16,6>");
  b.g.outputs = {b.activation("relu", "relu", x, "fixed<16,6>")};
  const auto f = backends::check_feasibility(b.g, stream_config());
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].where, "graph input 'x'");
  EXPECT_EQ(f[1].where, "layer 'relu'");
  EXPECT_TRUE(has(f[1].what, "io_stream element of 'relu_y' is 300 values of 16 bits = 4,800 bits, over the 4,096-bit "
                             "aggregate limit of a stream port or FIFO word")) << f[1].what;
  EXPECT_TRUE(has(f[1].hint, "a precision of at most 13 bits for these values (300 x 13 <= 4,096), e.g. LayerName: "
                             "{relu: {Precision: {result: fixed<13,6>}}}; or IOType: io_parallel")) << f[1].hint;
  // Narrower: fits.
  GraphBuilder n;
  const ir::TensorId x2 = n.input("x", {4, 4, 300}, "fixed<13,6>");
  n.g.outputs = {n.activation("relu", "relu", x2, "fixed<13,6>")};
  EXPECT_TRUE(backends::check_feasibility(n.g, stream_config()).empty());
  // io_parallel has no stream elements (its limit is the partition of the 4,800-value output).
  const auto p = backends::check_feasibility(b.g, config::Config::defaults());
  ASSERT_EQ(p.size(), 2u);  // and its input port as one reshaped word of 76,800 bits
  EXPECT_TRUE(has(p[0].what, "4,800 elements, completely partitioned")) << p[0].what;
  EXPECT_TRUE(has(p[0].hint, "IOType: io_stream")) << p[0].hint;
  for (const auto& q : p) EXPECT_FALSE(has(q.what, "aggregate")) << q.what;
}

// A layer that needs its whole input (a Dense over a flattened map) partitions it: held to the partition limit.
TEST(HlsFeasibility, WholeTensorLayerUnderIoStreamIsHeldToThePartitionLimit) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {32, 32, 8}, "fixed<8,3>");
  b.g.outputs = {b.dense("fc", x, 2, "fixed<16,6>", "fixed<32,12>")};
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 2048;
  const auto f = backends::check_feasibility(b.g, stream_config());
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(has(f[0].what, "dense reads and writes whole tensors under io_stream: 'x' (8,192 values) is completely "
                             "partitioned, over the project's config_array_partition -maximum_size of 4,096"))
      << f[0].what;
}

// Every kernel of the library (every_kernel: each Dense strategy, every activation, softmax, batchnorm,
// elementwise, rescale, multithreshold, argmax, reshape, concat) over streams: the emulator's bits (as
// VitisCsim.RawAndDecimalConstantsGiveIdenticalBits for io_parallel).
TEST(VitisCsimStream, EveryKernelOverStreamsIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  const ir::Graph g = every_kernel();
  const size_t batch = 100;
  const fs::path dir = scratch_dir("stream_every_kernel") / "prj";
  const auto inputs = random_inputs(g, batch, 7);
  backends::write_vitis_project(g, stream_config(), dir);
  backends::CsimOptions o;
  o.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto got = backends::run_csim(dir, inputs, batch, o);
  const auto emu = emulator::Emulator(g).run(inputs, batch).outputs;
  ASSERT_EQ(got.size(), emu.size());
  size_t values = 0, bad = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].size(), emu[k].size());
    size_t bad_k = 0;
    for (size_t i = 0; i < got[k].size(); ++i) {
      ++values;
      if (got[k][i] != emu[k][i] && bad_k++ < 3)
        ADD_FAILURE() << "output " << k << " ('" << g.tensor(g.outputs[k]).name << "') value " << i << ": csim "
                      << got[k][i] << ", emulator " << emu[k][i];
    }
    bad += bad_k;
  }
  EXPECT_EQ(bad, 0u);
  std::printf("[every_kernel io_stream] %zu mismatches in %zu output values\n", bad, values);
}

}  // namespace
}  // namespace firmnet::testing
