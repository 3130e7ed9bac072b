// The estimator's cost library and its behaviour on whole models: zeros and powers of two are free,
// reuse folds DSPs as 1/R, tables become BRAM ROMs, over-limit layers are reported with their fix.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/model_builder.h"
#include "driver/driver.h"
#include "ir/hardware.h"
#include "estimate/estimate.h"
#include "estimate/model.h"
#include "support/error.h"

namespace fs = std::filesystem;
using namespace firmnet;
using namespace firmnet::estimate;

namespace {

std::string tmp_model(const std::string& name, int n_in, const std::vector<testmodels::LayerSpec>& layers) {
  const fs::path dir = fs::temp_directory_path() / "firmnet_estimate_tests";
  fs::create_directories(dir);
  return testmodels::write_mlp((dir / name).string(), n_in, layers, 7);
}

driver::Compiled compile(const std::string& model, const std::string& yaml) {
  return driver::compile(model, config::Config::parse(yaml, "test config"));
}

}  // namespace

TEST(EstimateCost, SignificantBitsAndCsd) {
  EXPECT_EQ(significant_bits(0), 0);
  EXPECT_EQ(significant_bits(8), 1);
  EXPECT_EQ(significant_bits(-8), 1);
  EXPECT_EQ(significant_bits(12), 2);   // 0b11 << 2
  EXPECT_EQ(significant_bits(307), 9);  // 0b100110011
  EXPECT_EQ(csd_digits(7), 2);          // 8 - 1
  EXPECT_EQ(csd_digits(5), 2);          // 4 + 1
  EXPECT_EQ(csd_digits(-15), 2);
  EXPECT_EQ(csd_digits(0), 0);
}

TEST(EstimateCost, ConstantProducts) {
  EXPECT_EQ(constant_product(16, 0, true).kind, Product::Zero);
  const Product s = constant_product(16, 64, true);
  EXPECT_EQ(s.kind, Product::Shift);
  EXPECT_EQ(s.lut, 0);
  EXPECT_EQ(constant_product(16, -64, true).lut, 16);  // a negation
  const Product l = constant_product(16, 5 << 3, true);
  EXPECT_EQ(l.kind, Product::Lut);
  EXPECT_EQ(l.dsp, 0);
  EXPECT_EQ(l.lut, 2 * (16 + 3));  // x*4 + x: two digits, an adder each (with the alignment)
  const Product d = constant_product(16, 307, true);
  EXPECT_EQ(d.kind, Product::Dsp);
  EXPECT_EQ(d.dsp, 1);
  EXPECT_EQ(d.lut, kDspGlueLut);
  // 8-bit data: every product goes to LUTs.
  EXPECT_EQ(constant_product(6, 307, true).kind, Product::Lut);
  EXPECT_EQ(dsp_slices(16, 16, true), 1);
  EXPECT_EQ(dsp_slices(27, 18, true), 1);
  EXPECT_EQ(dsp_slices(35, 25, false), 2);
  EXPECT_EQ(dsp_slices(26, 26, false), 4);
  EXPECT_EQ(dsp_slices(32, 32, true), 4);
}

TEST(EstimateCost, RomsAsLutsOrBram) {
  const Rom small = rom(64, 8, 4);
  EXPECT_FALSE(small.bram);
  EXPECT_EQ(small.res.lut, 4 * 1 * 8);
  const Rom big = rom(1024, 18, 64);  // a 1024 x 18 table read 64 times: 32 dual-port BRAM_18K
  EXPECT_TRUE(big.bram);
  EXPECT_EQ(big.res.bram_18k, 32);
  EXPECT_EQ(rom(1024, 18, 2).res.bram_18k, 1);
  EXPECT_EQ(rom(4096, 18, 2).res.bram_18k, 4);
}

TEST(EstimateCost, ChainInsertsRegistersAtTheBudget) {
  Chain c(4.0);
  c.op(2.2, 100);
  c.op(1.0, 100);
  EXPECT_EQ(c.cycles(), 0);
  c.op(1.0, 100);  // 4.2 > 4.0: a register stage of 100 bits first
  EXPECT_EQ(c.cycles(), 1);
  EXPECT_EQ(c.ff(), 100);
  c.rom_read(10, 0);
  EXPECT_EQ(c.cycles(), 2);
  c.op(9.0, 5);  // does not fit after the read (one stage), then spans three cycles (two more)
  EXPECT_EQ(c.cycles(), 5);
}

TEST(EstimateParts, TableLookup) {
  ASSERT_NE(find_part("xcvu9p-flga2104-2L-e"), nullptr);
  EXPECT_EQ(find_part("xcvu9p-flga2104-2L-e")->capacity.dsp, 6840);
  EXPECT_EQ(find_part("xcvu13p-flga2577-2-e")->key, "VU13P");
  EXPECT_EQ(find_part("XC7Z020CLG400-1")->capacity.bram_18k, 280);
  EXPECT_EQ(find_part("xcu250-figd2104-2L-e")->key, "U250");
  EXPECT_EQ(find_part("xczu9eg-ffvb1156-2-e")->capacity.lut, 274080);
  EXPECT_EQ(find_part("xcku115-flvb2104-2-e")->capacity.dsp, 5520);
  EXPECT_EQ(find_part("Agilex7")->key, "Agilex7");
  EXPECT_EQ(find_part("xc7a35t"), nullptr);
}

TEST(EstimateModel, PrunedWeightsAreFreeAndPowersOfTwoCostNoDsp) {
  const auto path = tmp_model("dense16x32.onnx", 16, {{32, "Relu"}});
  auto c = compile(path, "HLSConfig:\n  Model:\n    Precision: fixed<16,6>\n");
  const Estimate full = driver::estimate(c);
  ASSERT_EQ(full.layers.size(), 2u);
  const int64_t dsp_full = full.layers[0].res.dsp;
  EXPECT_GT(dsp_full, 16 * 32 / 2);
  // Prune every other weight: their products disappear.
  ir::Tensor* w = nullptr;
  for (auto& n : c.graph.nodes)
    if (n.kind == ir::OpKind::Dense) w = &c.graph.tensor(n.param("weight"));
  ASSERT_NE(w, nullptr);
  for (size_t k = 0; k < w->raw.size(); k += 2) w->raw[k] = 0;
  const Estimate pruned = driver::estimate(c);
  EXPECT_LT(pruned.layers[0].res.dsp, dsp_full * 6 / 10);
  EXPECT_LT(pruned.layers[0].res.lut, full.layers[0].res.lut);
  // Powers of two: shifts, no DSP at all.
  for (size_t k = 0; k < w->raw.size(); ++k) w->raw[k] = (k % 3 == 0) ? 256 : -32;
  EXPECT_EQ(driver::estimate(c).layers[0].res.dsp, 0);
}

TEST(EstimateModel, TableActivationUsesBramCopiesPerTwoReads) {
  const auto path = tmp_model("dense4x64_sigmoid.onnx", 4, {{64, "Sigmoid"}});
  auto c = compile(path, "HLSConfig:\n  Model:\n    Precision: fixed<16,6>\n  LayerType:\n    Activation: {TableSize: 1024}\n");
  const Estimate e = driver::estimate(c);
  ASSERT_EQ(e.layers.size(), 2u);
  EXPECT_EQ(e.layers[1].op, "activation");
  EXPECT_EQ(e.layers[1].res.bram_18k, 32);  // 64 reads of one 1024-entry table
  EXPECT_GE(e.layers[1].latency_max, 1);    // the ROM read is registered
}

TEST(EstimateModel, JsonHasTheIssueKeys) {
  const auto path = tmp_model("dense8x4_softmax.onnx", 8, {{4, "Softmax"}});
  auto c = compile(path, "Part: xcvu9p-flga2104-2L-e\nClockPeriod: 4\n");
  const auto j = nlohmann::json::parse(to_json(driver::estimate(c)));
  for (const char* k : {"latency_min", "latency_max", "ii", "dsp", "lut", "ff", "bram_18k", "uram"}) {
    ASSERT_TRUE(j["total"].contains(k)) << k;
    EXPECT_TRUE(j["total"][k].is_number_integer()) << k;
  }
  ASSERT_EQ(j["layers"].size(), 2u);
  EXPECT_EQ(j["layers"][1]["op"], "softmax");
  EXPECT_TRUE(j["layers"][1]["dsp"].is_number_integer());
  EXPECT_EQ(j["part"], "xcvu9p-flga2104-2L-e");
  EXPECT_EQ(j["clock_ns"], 4.0);
  EXPECT_TRUE(j["feasibility"].is_array());
  EXPECT_GT(j["utilisation_pct"]["lut"].get<double>(), 0.0);
  // Round trip for `firmnet report`.
  const Estimate back = read_estimate_json(to_json(driver::estimate(c)));
  EXPECT_EQ(back.total.res.lut, j["total"]["lut"].get<int64_t>());
  EXPECT_EQ(back.layers.size(), 2u);
}

TEST(EstimateFeasibility, DenseOverThePartitionLimitIsReportedWithItsFix) {
  // 4,000 weights partitioned completely: over Vivado HLS's 1,024 (the backend's check, in the estimate).
  const auto path = tmp_model("dense400x10.onnx", 400, {{10, ""}});
  auto c = compile(path, "Backend: Vivado\nHLSConfig:\n  Model:\n    Precision: fixed<16,6>\n    Strategy: Latency\n");
  const Estimate e = driver::estimate(c);
  ASSERT_EQ(e.feasibility.size(), 1u);
  const Finding& f = e.feasibility[0];
  EXPECT_EQ(f.layer, e.layers[0].name);
  EXPECT_NE(f.what.find("4,000 weights"), std::string::npos) << f.what;
  EXPECT_NE(f.what.find("1,024"), std::string::npos) << f.what;
  EXPECT_NE(f.fix.find("Strategy: Resource with ReuseFactor 2 or larger"), std::string::npos) << f.fix;
  EXPECT_NE(to_json(e).find("4,000 weights"), std::string::npos);
  // Vitis HLS partitions up to 4,096 (build_prj.tcl raises its limit): no finding there.
  auto vitis = compile(path, "Backend: Vitis\nHLSConfig:\n  Model:\n    Precision: fixed<16,6>\n");
  EXPECT_TRUE(driver::estimate(vitis).feasibility.empty());
  // The fix applied: no finding.
  auto fixed = compile(path, "Backend: Vivado\nHLSConfig:\n  Model:\n    Precision: fixed<16,6>\n    Strategy: Resource\n    ReuseFactor: 4\n");
  EXPECT_TRUE(driver::estimate(fixed).feasibility.empty());
}

TEST(EstimateFeasibility, CapacityOfTheConfiguredPart) {
  const auto path = tmp_model("dense64x64.onnx", 64, {{64, ""}});
  auto c = compile(path, "Part: xc7z020clg400-1\nHLSConfig:\n  Model:\n    Precision: fixed<16,6>\n");
  const Estimate e = driver::estimate(c);
  bool dsp_over = false;
  for (const Finding& f : e.feasibility) dsp_over |= f.layer.empty() && f.what.find("DSP") != std::string::npos;
  EXPECT_GT(e.total.res.dsp, 220);
  EXPECT_TRUE(dsp_over);
}

// The jet tagger at ReuseFactor 1, 2, 4, 8 (Latency strategy): DSPs fall about as 1/R, latency rises.
TEST(EstimateReuse, JetTaggerDspFallsAsOneOverR) {
  const std::string model = std::string(FIRMNET_SHARED_MODELS) + "/onnx/three_layer_keras.onnx";
  if (!fs::exists(model)) GTEST_SKIP() << "shared model absent: " << model;
  std::vector<Estimate> es;
  for (int r : {1, 2, 4, 8}) {
    auto c = compile(model, "HLSConfig:\n  Model:\n    Precision: fixed<16,6>\n    ReuseFactor: " + std::to_string(r) + "\n");
    es.push_back(driver::estimate(c));
    std::printf("R=%d: latency %lld, II %lld, DSP %lld, LUT %lld, FF %lld\n", r, (long long)es.back().total.latency_max,
                (long long)es.back().total.ii, (long long)es.back().total.res.dsp, (long long)es.back().total.res.lut,
                (long long)es.back().total.res.ff);
  }
  for (size_t k = 1; k < es.size(); ++k) {
    const int r = 1 << k;
    EXPECT_EQ(es[k].total.ii, r);
    EXPECT_GT(es[k].total.latency_max, es[k - 1].total.latency_max);
    // DSP(R) within 25 % of DSP(1) / R (shared multipliers are general, so a few LUT products move in).
    const double ideal = double(es[0].total.res.dsp) / r;
    EXPECT_NEAR(double(es[k].total.res.dsp), ideal, 0.25 * ideal + 2) << "R=" << r;
  }
}

// Conv and Pool (io_parallel): one pixel's arithmetic (the Dense model over the window's weights), the window
// gather, and out_pixels x II cycles. On the SVHN CNN of the CNN paper (../shared/models/cases/cnn).
TEST(EstimateConv, PixelLoopGatherAndReuse) {
  const fs::path m = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "cnn" / "svhn_cnn.onnx";
  if (!fs::exists(m)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  const auto at = [](const Estimate& e, const std::string& name) {
    for (const Row& r : e.layers)
      if (r.name == name) return r;
    ADD_FAILURE() << "no row " << name;
    return Row{};
  };
  const auto c1 = compile(m.string(), "HLSConfig:\n  Model: {Precision: 'fixed<16,6>'}\n");
  const Estimate e1 = driver::estimate(c1);
  const Row conv = at(e1, "features_features_0_Conv");  // 32x32x3 -> 30x30x16, 3x3
  EXPECT_EQ(conv.ii, 900);                               // 900 output pixels at II 1
  EXPECT_GE(conv.latency_max, 900);
  // 27 x 16 weights: at most 432 DSP products of 16 x 16 bits; the weights that round to zero, a power of
  // two or a short shift-add at fixed<16,6> (10 fractional bits) cost none (measured: 361).
  EXPECT_LE(conv.res.dsp, 432);
  EXPECT_GE(conv.res.dsp, 300);
  // Every one of the 27 window values is a 900:1 mux of 16 bits: 27 * 16 * 300 LUTs at least.
  EXPECT_GE(conv.res.lut, 27 * 16 * 300);
  const Row pool = at(e1, "features_features_1_MaxPool");  // 30x30x16 -> 15x15x16, 2x2
  EXPECT_EQ(pool.ii, 225);  // 15 x 15 x 16 x 4 = 14,400 compares: over the unroll limit, a pipelined pixel loop
  EXPECT_EQ(pool.res.dsp, 0);
  // 13x13x16 -> 6x6x16: 2,304 compares, unrolled (backends::pool_unrolled): every pixel at once, no gather muxes;
  // 576 outputs, each 3 compare-selects of its 16-bit inputs (compare + select: 32 LUT).
  const Row pool2 = at(e1, "features_features_5_MaxPool");
  EXPECT_EQ(pool2.ii, 1);
  EXPECT_EQ(pool2.res.lut, 576 * 3 * 32);
  EXPECT_EQ(pool2.res.dsp, 0);
  EXPECT_NE(pool2.detail.find("36 output pixels at once"), std::string::npos) << pool2.detail;
  // Reuse 4 on the first conv: a quarter of the multipliers, four times the interval.
  const auto c4 = compile(m.string(), "HLSConfig:\n  Model: {Precision: 'fixed<16,6>'}\n  LayerName:\n"
                                      "    features_features_0_Conv: {ReuseFactor: 4}\n");
  const Row conv4 = at(driver::estimate(c4), "features_features_0_Conv");
  EXPECT_EQ(conv4.ii, 3600);
  EXPECT_EQ(conv4.res.dsp, 104);  // measured: the non-zero, non-shift products shared 4 ways, one DSP each
  EXPECT_LT(conv4.res.dsp, conv.res.dsp / 3);
}

// io_stream (docs/ESTIMATE.md "io_stream"): one process per layer with the layer's kernel for one element,
// the backend's FIFOs, the region's latency along the chain and the slowest process's interval.
namespace {

const Row& row_named(const Estimate& e, const std::string& name) {
  for (const Row& r : e.layers)
    if (r.name == name) return r;
  static const Row none;
  ADD_FAILURE() << "no row " << name;
  return none;
}

}  // namespace

TEST(EstimateCost, FifosAndLineBufferRams) {
  // A depth-2 FIFO of a 64 x 16-bit element: one SRL per bit, plus its pointers.
  const Resources f = fifo(2, 1024);
  EXPECT_EQ(f.lut, 1024 + 3 * 2 + 6);
  EXPECT_EQ(f.ff, 2 * 2 + 4);
  EXPECT_EQ(f.bram_18k, 0);
  EXPECT_EQ(fifo(40, 16).lut, 16 * 2 + 3 * 6 + 6);  // two SRL32 per bit
  // Deeper than 64: a RAM with an output register; 128 x 16 bits in LUTRAM, 1024 x 16 bits in one 18 Kb block.
  const Resources l = fifo(128, 16);
  EXPECT_EQ(l.bram_18k, 0);
  EXPECT_EQ(l.lut, 2 * 2 * 16 + 3 * 8 + 6);
  EXPECT_EQ(l.ff, 16 + 2 * 8 + 4);
  EXPECT_EQ(fifo(1024, 16).bram_18k, 1);
  // A line-buffer row: 32 positions x 16 bits in LUTRAM (two LUTs per 64 x 1 bit with the write port);
  // 300 x 16 bits (4,800 bits) in one BRAM.
  EXPECT_EQ(ram(32, 16).res.lut, 32);
  EXPECT_FALSE(ram(32, 16).bram);
  EXPECT_TRUE(ram(300, 16).bram);
  EXPECT_EQ(ram(300, 16).res.bram_18k, 1);
}

TEST(EstimateStream, MlpProcessesFifosAndInterval) {
  const auto path = tmp_model("stream_mlp.onnx", 16, {{64, "Relu"}, {32, "Relu"}, {5, "Softmax"}});
  const std::string types = "ClockUncertainty: \"12.5%\"\nHLSConfig:\n  Model:\n    Precision: fixed<16,6>\n";
  const Estimate par = driver::estimate(compile(path, "IOType: io_parallel\n" + types));
  const Estimate viv = driver::estimate(compile(path, "Backend: Vivado\nIOType: io_stream\n" + types));
  const Estimate vit = driver::estimate(compile(path, "Backend: Vitis\nIOType: io_stream\n" + types));
  // The same kernels: the same products and tables.
  EXPECT_EQ(viv.total.res.dsp, par.total.res.dsp);
  EXPECT_EQ(viv.total.res.bram_18k, par.total.res.bram_18k);
  // A chain of one-element processes: the region's latency is the sum of theirs; each process is at least
  // one cycle (its FIFO write), so the chain is longer than io_parallel's one pipeline.
  int64_t sum = 0;
  for (const Row& r : viv.layers) sum += r.latency_max;
  EXPECT_EQ(viv.total.latency_max, sum);
  EXPECT_GT(viv.total.latency_max, par.total.latency_max);
  EXPECT_EQ(viv.total.ii, 1);                            // Vivado HLS: samples overlap at the slowest interval
  EXPECT_EQ(vit.total.ii, vit.total.latency_max);        // Vitis HLS: the interval is the latency
  EXPECT_EQ(vit.total.latency_max, viv.total.latency_max);
  // Five FIFOs between six processes (3 Dense, 2 Relu, Softmax), as the backend sizes them (depth 2).
  const Row& fifos = row_named(viv, "fifos");
  Resources expect;
  for (int64_t bits : {64 * 16, 64 * 16, 32 * 16, 32 * 16, 5 * 16}) expect += fifo(2, bits);
  EXPECT_EQ(fifos.res.lut, expect.lut);
  EXPECT_EQ(fifos.res.ff, expect.ff);
  EXPECT_EQ(fifos.detail, "5 FIFOs, 0 clone processes");
  // Vitis: a register slice (2 x 16 x 16 and 2 x 5 x 16 bits) on each AXI4-Stream port.
  EXPECT_GE(row_named(vit, "ports").res.ff, 2 * (16 + 5) * 16);
  EXPECT_EQ(viv.total.res.ff + row_named(vit, "ports").res.ff, vit.total.res.ff);
  // ReuseFactor 4 (Latency): each element every 4 cycles, so the region's interval is 4.
  const Estimate r4 = driver::estimate(
      compile(path, "Backend: Vivado\nIOType: io_stream\nHLSConfig:\n  Model:\n    Precision: fixed<16,6>\n"
                    "    ReuseFactor: 4\n"));
  EXPECT_EQ(r4.total.ii, 4);
  EXPECT_LT(r4.total.res.dsp, viv.total.res.dsp / 2);
}

// The estimate costs the hardware plan it is given; one made for another io type is refused.
TEST(EstimateStream, RefusesAPlanForAnotherIoType) {
  const auto path = tmp_model("stream_plain.onnx", 4, {{2, ""}});
  auto c = compile(path, "IOType: io_stream\n");
  ir::HardwareTarget parallel;
  parallel.io_type = "io_parallel";
  try {
    (void)estimate::estimate(c.graph, driver::estimate_target(c.config), ir::plan_hardware(c.graph, parallel));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the hardware plan was made for IOType io_parallel"), std::string::npos) << e.what();
  }
}

// The estimate reads the FIFO depths from the plan recorded on the graph (driver::compile), not from a model
// of its own: a deeper FIFO in the plan costs more.
TEST(EstimateStream, CostsTheRecordedPlansFifos) {
  const auto path = tmp_model("stream_fifo.onnx", 4, {{8, "Relu"}, {2, ""}});
  auto c = compile(path, "IOType: io_stream\n");
  ASSERT_TRUE(c.graph.hardware);
  ASSERT_FALSE(c.graph.hardware->fifos.empty());
  const Estimate before = driver::estimate(c);
  auto deeper = std::make_shared<ir::HardwarePlan>(*c.graph.hardware);
  for (ir::StreamFifo& f : deeper->fifos) f.depth = 4096;
  c.graph.hardware = deeper;
  const Estimate after = driver::estimate(c);
  // Shallow FIFOs are shift registers; 4096 elements need block RAM.
  EXPECT_EQ(row_named(before, "fifos").res.bram_18k, 0);
  EXPECT_GT(row_named(after, "fifos").res.bram_18k, 0);
}

// The SVHN CNN under io_stream: line-buffer convs and pools (no gather), per-element BatchNorm/ReLU over the
// map's pixels, the Dense head on the whole flattened map.
TEST(EstimateStream, SvhnLineBuffers) {
  const fs::path m = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "cnn" / "svhn_cnn.onnx";
  if (!fs::exists(m)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  const std::string types = "HLSConfig:\n  Model: {Precision: 'fixed<16,6>'}\n";
  const Estimate par = driver::estimate(compile(m.string(), "IOType: io_parallel\n" + types));
  const Estimate st = driver::estimate(compile(m.string(), "Backend: Vivado\nIOType: io_stream\n" + types));
  const Row& conv = row_named(st, "features_features_0_Conv");  // 32x32x3 -> 30x30x16, 3x3
  // 32 x 32 positions at II 1, then the window's pipeline (measured: 3 cycles at 5 ns - 12.5 %).
  EXPECT_EQ(conv.latency_max, 1024 + 3);
  EXPECT_EQ(conv.ii, conv.latency_max + 1);
  EXPECT_EQ(conv.res.dsp, row_named(par, "features_features_0_Conv").res.dsp);  // the same window products
  EXPECT_LT(conv.res.lut, row_named(par, "features_features_0_Conv").res.lut / 5);  // no 900:1 gather muxes
  EXPECT_EQ(conv.res.bram_18k, 0);  // 2 x 3 line-buffer rows of 32 x 16 bits: LUTRAM
  // The ReLU after the first pool: one element of 16 channels per pixel, 15 x 15 pixels at II 1.
  const Row& relu = row_named(st, "features_features_3_Relu");
  EXPECT_EQ(relu.latency_max, 1 + 224);
  EXPECT_EQ(relu.res.lut, row_named(par, "features_features_3_Relu").res.lut / 225 + 10 + 2 * 8);
  // The region: the first conv is the slowest process; the others overlap with it.
  EXPECT_EQ(st.total.ii, conv.ii);
  int64_t sum = 0;
  for (const Row& r : st.layers) sum += r.latency_max;
  EXPECT_GT(st.total.latency_max, conv.latency_max);
  EXPECT_LT(st.total.latency_max, sum);
}
