// Writes projects for hand-built typed graphs, runs them through g++ C simulation on random inputs and
// compares every output bit with the reference (and the testbench with the expected-output file).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

backends::CsimOptions csim_options() {
  backends::CsimOptions o;
  o.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  return o;
}

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

void compare(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& expected,
             const std::string& test);

// Writes the project (with test vectors from the reference), runs csim on `batch` random inputs and
// checks every output value exactly. Returns the project directory.
fs::path check_bit_exact(const ir::Graph& g, const std::string& test, size_t batch = 200,
                         config::Config cfg = config::Config::defaults()) {
  const fs::path dir = scratch_dir(test) / "prj";
  const auto inputs = random_inputs(g, batch, 42);
  const auto expected = to_doubles(g, reference_run(g, inputs, batch));
  backends::TestVectors tv{batch, inputs, expected};
  backends::write_vitis_project(g, cfg, dir, &tv);
  const auto t0 = std::chrono::steady_clock::now();
  const auto got = backends::run_csim(dir, inputs, batch, csim_options());
  std::printf("[%s] csim compile+run: %.1f s\n", test.c_str(),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  compare(got, expected, test + " vs reference");
  // The emulator must agree bit for bit as well (docs/NUMERICS.md is one contract for both).
  try {
    const emulator::Emulator emu(g);
    compare(got, emu.run(inputs, batch).outputs, test + " vs emulator");
  } catch (const Error& e) {
    ADD_FAILURE() << test << ": the emulator failed: " << e.what();
  }
  return dir;
}

void compare(const std::vector<std::vector<double>>& got, const std::vector<std::vector<double>>& expected,
             const std::string& test) {
  EXPECT_EQ(got.size(), expected.size());
  for (size_t k = 0; k < got.size() && k < expected.size(); ++k) {
    EXPECT_EQ(got[k].size(), expected[k].size());
    if (got[k].size() != expected[k].size()) continue;
    size_t mismatches = 0;
    for (size_t i = 0; i < got[k].size(); ++i) {
      if (got[k][i] != expected[k][i] && mismatches++ < 5)
        ADD_FAILURE() << test << " output " << k << " value " << i << ": csim " << got[k][i] << " reference "
                      << expected[k][i];
    }
    EXPECT_EQ(mismatches, 0u) << test << " output " << k;
  }
}

// Runs the compiled testbench binary in `dir` with no arguments (compares with tb_data/); returns its
// exit status and output.
int run_testbench(const fs::path& dir, std::string* output) {
  const std::string cmd = "cd '" + dir.string() + "' && ./csim/csim 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512];
  output->clear();
  while (fgets(buf, sizeof buf, p)) *output += buf;
  return WEXITSTATUS(pclose(p));
}

ir::Graph mlp(ir::Strategy strategy, int reuse, const std::string& res, const std::string& accum,
              const std::string& wtype) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {16}, "fixed<16,6>");
  ir::TensorId h = b.dense("fc1", x, 32, res, accum, wtype);
  h = b.activation("relu1", "relu", h, res);
  h = b.dense("fc2", h, 5, res, accum, wtype);
  ir::TensorId y = b.softmax("softmax", h, "fixed<18,2,RND,SAT>");
  b.g.outputs = {y};
  for (ir::Node& n : b.g.nodes) {
    n.strategy = strategy;
    n.reuse_factor = n.kind == ir::OpKind::Dense ? reuse : 1;
  }
  return b.g;
}

// The interpolated inverse of the sum (docs/NUMERICS.md "Softmax") through its paths, three rows of 7: a lossless
// sum (the emulator's fast path), a narrow signed accumulator that truncates and wraps, one that rounds and
// saturates with fewer bits than log2 N after the leading one (r = 0, j shifted up), one with F_a = -2 whose
// raw sum is often 0 (counted as 1); inverse types signed and rounding, truncating, 16 to 1024 buckets:
// reference, emulator and firmware agree bit for bit.
TEST(VitisCsim, SoftmaxInverseVariantsAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found in " << FIRMNET_AP_TYPES_DIR;
  GraphBuilder b;
  ir::TensorId x = b.input("x", {3, 7}, "fixed<12,4>");
  b.g.outputs = {b.softmax("sm_lossless", x, "ufixed<18,1,RND_CONV,SAT>"),
                 b.softmax("sm_wrap", x, "fixed<14,4>", "fixed<10,3>", "fixed<20,2,RND,SAT>", 4),
                 b.softmax("sm_sat", x, "ufixed<12,0,RND,SAT>", "ufixed<9,4,RND_CONV,SAT>", "ufixed<16,1>", 10),
                 b.softmax("sm_neg_frac", x, "fixed<16,4>", "ufixed<4,6>", "ufixed<24,1,RND_CONV,SAT>", 6,
                           "ufixed<14,1,RND_CONV,SAT>")};
  check_bit_exact(b.g, "softmax_inverse", 300);
}

TEST(VitisCsim, DenseReluDenseSoftmaxLatencyIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found in " << FIRMNET_AP_TYPES_DIR;
  ir::Graph g = mlp(ir::Strategy::Latency, 1, "fixed<16,6>", "fixed<32,12>", "fixed<8,2>");
  const fs::path dir = check_bit_exact(g, "mlp_latency");
  // The testbench itself compares with tb_data/ exactly ...
  std::string out;
  EXPECT_EQ(run_testbench(dir, &out), 0) << out;
  EXPECT_NE(out.find("200 passed, 0 failed"), std::string::npos) << out;
  // ... and fails when one expected value is off by one LSB of the output type.
  const fs::path pred = dir / "tb_data" / "tb_output_predictions.dat";
  std::ifstream in(pred);
  std::string first, rest, line;
  std::getline(in, first);
  while (std::getline(in, line)) rest += line + "\n";
  in.close();
  const double v = std::strtod(first.c_str(), nullptr);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v + std::ldexp(1.0, -16));
  first = std::string(buf) + first.substr(first.find(' '));
  std::ofstream(pred) << first << "\n" << rest;
  EXPECT_EQ(run_testbench(dir, &out), 1) << out;
  EXPECT_NE(out.find("199 passed, 1 failed"), std::string::npos) << out;
}

TEST(VitisCsim, ResourceStrategyWithReuseAndLossyNarrowTypesIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  // fixed<8,3> activations and a 10-bit wrapping accumulator: every step of the sum is lossy, so only the
  // exact order i = 0..n_in-1 reproduces the reference.
  ir::Graph g = mlp(ir::Strategy::Resource, 4, "fixed<8,3>", "fixed<10,4>", "fixed<6,1,RND,SAT>");
  check_bit_exact(g, "mlp_resource_narrow");
}

TEST(VitisCsim, LatencyWithReuseAndSaturatingRoundingAccumulatorIsBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  ir::Graph g = mlp(ir::Strategy::Latency, 3, "ufixed<8,3,RND_CONV,SAT>", "fixed<12,5,RND,SAT>", "fixed<8,2>");
  check_bit_exact(g, "mlp_latency_reuse_sat");
}

TEST(VitisCsim, ActivationFunctionsAndConcatAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  ir::TensorId x = b.input("x", {6}, "fixed<12,4>");
  const std::string res = "fixed<14,4,RND,SAT>";
  std::vector<ir::TensorId> ys;
  ys.push_back(b.table_activation("sig", "sigmoid", x, [](double v) { return 1 / (1 + std::exp(-v)); }, -8, 10, -6,
                                  "ufixed<16,1,RND_CONV,SAT>", res));
  ys.push_back(b.table_activation("tanh", "tanh", x, [](double v) { return std::tanh(v); }, -4, 9, -7,
                                  "fixed<16,2,RND_CONV,SAT>", res));
  ys.push_back(b.table_activation("elu", "elu", x, [](double v) { return std::exp(v) - 1; }, -8, 8, -5,
                                  "fixed<16,2,RND_CONV,SAT>", res));
  ys.push_back(b.table_activation("splus", "softplus", x, [](double v) { return std::log1p(std::exp(v)); }, -6, 8,
                                  -5, "ufixed<16,4,RND_CONV,SAT>", res));
  ys.push_back(b.activation("relu", "relu", x, "ufixed<8,3>"));
  ys.push_back(b.activation("htanh", "hard_tanh", x, "fixed<8,1,TRN,SAT>"));
  ys.push_back(b.activation("htanh_wrap", "hard_tanh", x, "fixed<6,1>"));  // 1 wraps to -1 in fixed<6,1>
  {
    ir::TensorId y = b.act("leaky_y", {6}, res);
    ir::Node& n = b.node("leaky", ir::OpKind::Activation, {x}, y);
    n.attrs["function"] = std::string("leaky_relu");
    n.params["alpha"] = b.constant("alpha", {1}, {0.3}, "fixed<10,1,RND>");
    ys.push_back(y);
  }
  {
    ir::TensorId y = b.act("hsig_y", {6}, "ufixed<8,1,RND>");
    ir::Node& n = b.node("hsig", ir::OpKind::Activation, {x}, y);
    n.attrs["function"] = std::string("hard_sigmoid");
    n.params["slope"] = b.constant("slope", {1}, {0.2}, "fixed<8,1,RND>");
    n.params["offset"] = b.constant("offset", {1}, {0.5}, "fixed<8,1,RND>");
    ys.push_back(y);
  }
  {
    ir::TensorId y = b.table_activation("selu", "selu", x, [](double v) { return 1.0507 * 1.67326 * (std::exp(v) - 1); },
                                        -8, 8, -5, "fixed<16,3,RND_CONV,SAT>", res);
    b.g.nodes.back().params["gamma"] = b.constant("gamma", {1}, {1.0507}, "fixed<12,2,RND>");
    ys.push_back(y);
  }
  ir::TensorId cat = b.act("cat", {static_cast<int64_t>(ys.size() * 6)}, res);
  b.node("concat", ir::OpKind::Concat, ys, cat).attrs["axis"] = int64_t{0};
  b.g.outputs = {cat, ys[0]};  // ys[0] is also read by the concat: copied to the port at the end
  check_bit_exact(b.g, "activations");
}

TEST(VitisCsim, BatchNormElementwiseRescaleThresholdArgmaxAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  ir::TensorId x = b.input("x", {3, 4}, "fixed<10,4>");
  ir::TensorId x2 = b.input("x2", {3, 4}, "ufixed<8,2>");
  ir::TensorId bn = b.act("bn_y", {3, 4}, "fixed<12,5>");
  ir::Node& bnn = b.node("bn", ir::OpKind::BatchNorm, {x}, bn);
  bnn.params["scale"] = b.random_constant("bn_scale", {4}, -2, 2, "fixed<10,3,RND>");
  bnn.params["bias"] = b.random_constant("bn_bias", {4}, -1, 1, "fixed<8,2,RND>");
  ir::TensorId sum = b.act("sum_y", {3, 4}, "fixed<11,5>");
  b.node("sum", ir::OpKind::Elementwise, {bn, x2}, sum).attrs["op"] = std::string("add");
  ir::TensorId diff = b.act("diff_y", {3, 4}, "fixed<9,4,RND_INF,SAT_SYM>");
  b.node("diff", ir::OpKind::Elementwise, {sum, x}, diff).attrs["op"] = std::string("sub");
  ir::TensorId sc = b.act("scaled_y", {3, 4}, "fixed<12,5,RND_ZERO,SAT>");
  ir::Node& mul = b.node("scaled", ir::OpKind::Elementwise, {diff}, sc);
  mul.attrs["op"] = std::string("mul");
  mul.params["constant"] = b.random_constant("per_chan", {4}, -1.5, 1.5, "fixed<8,2>");
  ir::TensorId rs = b.act("rs_y", {3, 4}, "fixed<10,6,RND_MIN_INF,SAT>");
  ir::Node& r = b.node("rescale", ir::OpKind::Rescale, {sc}, rs);
  r.params["scale"] = b.random_constant("rs_scale", {4}, 0.5, 3, "ufixed<8,2>");
  r.params["pre_add"] = b.random_constant("rs_add", {1}, -1, 1, "fixed<8,1>");
  ir::TensorId mt = b.act("mt_y", {3, 4}, "fixed<8,4,RND>");
  ir::Node& m = b.node("thresh", ir::OpKind::MultiThreshold, {rs}, mt);
  std::vector<double> th;
  for (int c = 0; c < 4; ++c)
    for (int t = 0; t < 7; ++t) th.push_back(-6 + 1.75 * t + 0.25 * c);
  m.params["thresholds"] = b.constant("th", {4, 7}, th, "fixed<12,5>");
  m.attrs["out_scale"] = 0.5;
  m.attrs["out_bias"] = -1.75;
  m.attrs["data_layout"] = std::string("NHWC");
  for (int k = 0; k <= 7; ++k)  // the output levels, as passes/build_tables computes them
    m.table_data["levels"].push_back(numeric::quantize_double(0.5 * k - 1.75, *b.g.tensor(mt).type).raw);
  ir::TensorId flat = b.act("flat_y", {12}, "fixed<8,4,RND>");
  b.node("flat", ir::OpKind::Reshape, {mt}, flat);
  ir::TensorId am = b.act("am_y", {3}, "ufixed<4,4>");
  b.node("argmax", ir::OpKind::ArgMax, {rs}, am);
  b.g.outputs = {flat, am};
  check_bit_exact(b.g, "elementwise_family");
}

// The Resource schedules of dense_schedule: RF not dividing n_in (padded last iteration), RF > n_in
// (output blocks) and RF <= n_in, with lossy wrapping accumulators so that any change of order shows.
TEST(VitisCsim, ResourceSchedulesOfEveryShapeAreBitExact) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  ir::TensorId x = b.input("x", {5}, "fixed<10,3>");
  ir::TensorId h = b.dense("fc_a", x, 6, "fixed<10,3>", "fixed<10,4,RND_CONV>", "fixed<7,1,RND>");  // 5x6, RF 3
  h = b.dense("fc_b", h, 10, "fixed<9,3>", "fixed<9,3,TRN_ZERO,SAT>", "fixed<7,1,RND>");               // 6x10, RF 30
  h = b.dense("fc_c", h, 4, "fixed<12,4>", "fixed<11,4>", "fixed<7,1,RND>");                            // 10x4, RF 8
  b.g.outputs = {h};
  const int rf[] = {3, 30, 8};
  int k = 0;
  for (ir::Node& n : b.g.nodes)
    if (n.kind == ir::OpKind::Dense) {
      n.strategy = ir::Strategy::Resource;
      n.reuse_factor = rf[k++];
    }
  const fs::path dir = check_bit_exact(b.g, "resource_shapes");
  std::ifstream in(dir / "firmware" / "parameters.h");
  std::stringstream params;
  params << in.rdbuf();
  for (const char* s : {"static const unsigned n_chunks = 5;", "static const unsigned in_per_iter = 2;"})
    EXPECT_NE(params.str().find(s), std::string::npos) << s;
}

// Accumulation (dense_schedule.h product_cast): x fixed<10,3> times w fixed<8,2> has 13 fractional bits,
// each accumulator 7, so every step rounds. The cast-and-sum form is used exactly where it gives the
// serial chain's bits; the test compiles both kinds and compares with the reference.
struct AccumCase {
  const char* name;
  const char* accum;
  bool cast;
};
const AccumCase kAccumCases[] = {
    {"trn_wrap", "fixed<12,5>", true},           {"rnd_wrap", "fixed<12,5,RND>", true},
    {"rnd_min_inf", "fixed<12,5,RND_MIN_INF>", true}, {"rnd_conv_wrap", "fixed<12,5,RND_CONV>", false},
    {"trn_zero_wrap", "fixed<12,5,TRN_ZERO>", false}, {"rnd_inf_wrap", "fixed<12,5,RND_INF>", false},
    {"trn_sat_narrow", "fixed<9,2,TRN,SAT>", false},   {"rnd_sat_wide", "fixed<20,13,RND,SAT>", true},
    {"rnd_conv_exact", "fixed<24,11,RND_CONV,SAT_SYM>", true}};

ir::Graph accumulation_graph(ir::Strategy strategy, int reuse) {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {12}, "fixed<10,3>");
  for (const AccumCase& c : kAccumCases) {
    // rnd_conv_exact: 13 fractional bits, nothing rounds; its range holds every partial sum.
    b.g.outputs.push_back(b.dense(c.name, x, 6, "fixed<14,6>", c.accum, "fixed<8,2>"));
    b.g.nodes.back().strategy = strategy;
    b.g.nodes.back().reuse_factor = reuse;
  }
  return b.g;
}

std::string config_struct(const std::string& params, const std::string& layer) {
  const size_t at = params.find("struct config_" + layer + " ");
  return params.substr(at, params.find("};", at) - at);
}

TEST(VitisCsim, ProductCastOnlyWhereBitIdenticalLatencyAndResource) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  for (const auto& [strategy, reuse] : {std::pair{ir::Strategy::Latency, 1}, std::pair{ir::Strategy::Resource, 4}}) {
    const std::string label = strategy == ir::Strategy::Latency ? "accum_latency" : "accum_resource";
    const fs::path dir = check_bit_exact(accumulation_graph(strategy, reuse), label, 300);
    std::ifstream in(dir / "firmware" / "parameters.h");
    std::stringstream params;
    params << in.rdbuf();
    for (const AccumCase& c : kAccumCases)
      EXPECT_NE(config_struct(params.str(), c.name)
                    .find(std::string("static const bool product_cast = ") + (c.cast ? "true" : "false")),
                std::string::npos)
          << label << " " << c.name << "\n" << config_struct(params.str(), c.name);
  }
}

// The proof obligation matters: forcing the cast-and-sum form on RND_CONV and TRN_ZERO accumulators
// changes the bits, so the bit-exact tests above would catch a wrong product_cast decision.
TEST(VitisCsim, ForcedProductCastOnNonCommutingRoundingChangesBits) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  const ir::Graph g = accumulation_graph(ir::Strategy::Latency, 1);
  const fs::path dir = check_bit_exact(g, "accum_forced", 300);
  const fs::path p = dir / "firmware" / "parameters.h";
  std::string params;
  {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    params = s.str();
  }
  for (const char* layer : {"rnd_conv_wrap", "trn_zero_wrap"}) {
    const size_t at = params.find("static const bool product_cast = false;", params.find("struct config_" + std::string(layer) + " "));
    ASSERT_NE(at, std::string::npos) << layer;
    params.replace(at, std::string("static const bool product_cast = false;").size(), "static const bool product_cast = true; ");
  }
  std::ofstream(p) << params;
  const auto inputs = random_inputs(g, 300, 42);
  const auto got = backends::run_csim(dir, inputs, 300, csim_options());
  const auto expected = to_doubles(g, reference_run(g, inputs, 300));
  for (size_t k = 0; k < got.size(); ++k) {
    size_t diff = 0;
    for (size_t i = 0; i < got[k].size(); ++i) diff += got[k][i] != expected[k][i];
    const std::string name = kAccumCases[k].name;
    if (name == "rnd_conv_wrap" || name == "trn_zero_wrap")
      EXPECT_GT(diff, 0u) << name << ": the forced cast gave the same bits; the test would not catch it";
    else
      EXPECT_EQ(diff, 0u) << name;
  }
}

// The two spellings of every constant array (docs/BACKEND_VITIS.md, "Constants"): C simulation reads raw
// integers set into the arrays at start-up; synthesis (and -DFIRMNET_DECIMAL_CONSTANTS) reads exact decimal
// literals. One project with every kernel and constants of every raw integer width, compiled both ways,
// must give the same bits (and the raw build the emulator's).
TEST(VitisCsim, RawAndDecimalConstantsGiveIdenticalBits) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  const ir::Graph g = every_kernel();
  const size_t batch = 300;
  const fs::path dir = scratch_dir("constants_two_spellings") / "prj";
  backends::write_vitis_project(g, config::Config::defaults(), dir);
  const auto inputs = random_inputs(g, batch, 42);
  const auto raw = backends::run_csim(dir, inputs, batch, csim_options());
  compare(raw, emulator::Emulator(g).run(inputs, batch).outputs, "raw constants vs emulator");
  backends::CsimOptions decimal = csim_options();
  decimal.opt += " -DFIRMNET_DECIMAL_CONSTANTS";
  const auto dec = backends::run_csim(dir, inputs, batch, decimal);
  compare(dec, raw, "decimal constants vs raw constants");
  // Each header holds both spellings, the decimal one under __SYNTHESIS__.
  std::ifstream in(dir / "firmware" / "weights" / "fc_wide_weight.h");
  std::stringstream h;
  h << in.rdbuf();
  for (const char* s : {"#if defined(__SYNTHESIS__) || defined(FIRMNET_DECIMAL_CONSTANTS)",
                        "static const fc_wide_weight_t fc_wide_weight[", "static const int64_t fc_wide_weight_raw["})
    EXPECT_NE(h.str().find(s), std::string::npos) << s << "\n" << h.str();
}

// The jet tagger (16-64-32-32-5, 4,256 weights): compile time of the generated project.
TEST(VitisCsim, JetTaggerSizedProjectCompilesQuickly) {
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers not found";
  GraphBuilder b;
  ir::TensorId x = b.input("x", {16}, "fixed<16,6>");
  ir::TensorId h = b.activation("r1", "relu", b.dense("fc1", x, 64, "fixed<16,6>", "fixed<32,12>"), "fixed<16,6>");
  h = b.activation("r2", "relu", b.dense("fc2", h, 32, "fixed<16,6>", "fixed<32,12>"), "fixed<16,6>");
  h = b.activation("r3", "relu", b.dense("fc3", h, 32, "fixed<16,6>", "fixed<32,12>"), "fixed<16,6>");
  b.g.outputs = {b.softmax("sm", b.dense("fc4", h, 5, "fixed<16,6>", "fixed<32,12>"), "fixed<18,2,RND,SAT>")};
  int64_t weights = 0;
  for (const ir::Tensor& t : b.g.tensors)
    if (t.is_const() && t.shape.size() == 2) weights += t.size();
  EXPECT_EQ(weights, 4256);
  const auto t0 = std::chrono::steady_clock::now();
  check_bit_exact(b.g, "jet_tagger", 100);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("jet tagger: write + compile (-O1) + 100 samples: %.1f s\n", s);
  EXPECT_LT(s, 120.0);
}

}  // namespace
}  // namespace firmnet::testing
