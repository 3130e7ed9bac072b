// The generated firmware and testbench compile with g++ and clang++ in C++11 (what Vivado HLS's front end
// accepts), -pedantic -Wall -Wextra, without a single warning from firmnet's code. ap_types is a system
// include (its own warnings are Xilinx's), and -Wno-unknown-pragmas because `#pragma HLS` is, by design,
// unknown to both compilers. One graph uses every kernel of the library.
#include <gtest/gtest.h>

#include <cstdio>
#include <sys/wait.h>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

ir::Graph every_kernel() {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {3, 4}, "fixed<10,4>");
  ir::TensorId bn = b.act("bn_y", {3, 4}, "fixed<12,5>");
  ir::Node& bnn = b.node("bn", ir::OpKind::BatchNorm, {x}, bn);
  bnn.params["scale"] = b.random_constant("bn_scale", {4}, -2, 2, "fixed<10,3,RND>");
  bnn.params["bias"] = b.random_constant("bn_bias", {4}, -1, 1, "fixed<8,2,RND>");
  ir::TensorId sum = b.act("sum_y", {3, 4}, "fixed<11,5>");
  b.node("sum", ir::OpKind::Elementwise, {bn, x}, sum).attrs["op"] = std::string("add");
  ir::TensorId sc = b.act("scaled_y", {3, 4}, "fixed<12,5,RND_ZERO,SAT>");
  ir::Node& mul = b.node("scaled", ir::OpKind::Elementwise, {sum}, sc);
  mul.attrs["op"] = std::string("mul");
  mul.params["constant"] = b.random_constant("per_chan", {4}, -1.5, 1.5, "fixed<8,2>");
  ir::TensorId rs = b.act("rs_y", {3, 4}, "fixed<10,6,RND,SAT>");
  ir::Node& r = b.node("rescale", ir::OpKind::Rescale, {sc}, rs);
  r.params["scale"] = b.random_constant("rs_scale", {4}, 0.5, 3, "ufixed<8,2>");
  r.params["pre_add"] = b.random_constant("rs_add", {1}, -1, 1, "fixed<8,1>");
  ir::TensorId rs2 = b.act("rs2_y", {3, 4}, "fixed<10,6>");
  b.node("rescale2", ir::OpKind::Rescale, {rs}, rs2).params["scale"] = b.random_constant("rs2_scale", {1}, 0.5, 2, "ufixed<8,2>");
  ir::TensorId mt = b.act("mt_y", {3, 4}, "fixed<8,4,RND>");
  ir::Node& m = b.node("thresh", ir::OpKind::MultiThreshold, {rs2}, mt);
  std::vector<double> th;
  for (int c = 0; c < 3; ++c)
    for (int t = 0; t < 3; ++t) th.push_back(-3 + 2 * t + 0.5 * c);
  m.params["thresholds"] = b.constant("th", {3, 3}, th, "fixed<12,5>");
  m.attrs["data_layout"] = std::string("NCHW");
  for (int k = 0; k <= 3; ++k) m.table_data["levels"].push_back(numeric::quantize_double(k - 1.5, *b.g.tensor(mt).type).raw);
  ir::TensorId flat = b.act("flat_y", {12}, "fixed<8,4,RND>");
  b.node("flat", ir::OpKind::Reshape, {mt}, flat);
  ir::TensorId d1 = b.dense("fc1", flat, 8, "fixed<16,6>", "fixed<20,8>");
  ir::TensorId d2 = b.dense("fc2", b.activation("relu", "relu", d1, "ufixed<10,4>"), 6, "fixed<12,4>",
                            "fixed<14,5,RND_CONV,SAT>");
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 16;  // 8x6 at RF 16 > n_in: output blocks
  ir::TensorId d3 = b.dense("fc3", d1, 4, "fixed<12,4>", "fixed<20,8>");
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 4;
  std::vector<ir::TensorId> acts;
  acts.push_back(b.table_activation("sig", "sigmoid", d2, [](double v) { return 1 / (1 + std::exp(-v)); }, -8, 8, -4,
                                    "ufixed<16,1,RND_CONV,SAT>", "fixed<14,4>"));
  acts.push_back(b.table_activation("elu", "elu", d2, [](double v) { return std::exp(v) - 1; }, -8, 8, -5,
                                    "fixed<16,2,RND_CONV,SAT>", "fixed<14,4>"));
  acts.push_back(b.table_activation("splus", "softplus", d2, [](double v) { return std::log1p(std::exp(v)); }, -6, 8,
                                    -5, "ufixed<16,4,RND_CONV,SAT>", "fixed<14,4>"));
  acts.push_back(b.table_activation("selu", "selu", d2, [](double v) { return 1.7581 * (std::exp(v) - 1); }, -8, 8, -5,
                                    "fixed<16,3,RND_CONV,SAT>", "fixed<14,4>"));
  b.g.nodes.back().params["gamma"] = b.constant("gamma", {1}, {1.0507}, "fixed<12,2,RND>");
  acts.push_back(b.activation("htanh", "hard_tanh", d2, "fixed<14,4>"));
  acts.push_back(b.activation("lin", "linear", d2, "fixed<14,4>"));
  {
    ir::TensorId y = b.act("leaky_y", {6}, "fixed<14,4>");
    ir::Node& n = b.node("leaky", ir::OpKind::Activation, {d2}, y);
    n.attrs["function"] = std::string("leaky_relu");
    n.params["alpha"] = b.constant("alpha", {1}, {0.3}, "fixed<10,1,RND>");
    acts.push_back(y);
  }
  {
    ir::TensorId y = b.act("hsig_y", {6}, "fixed<14,4>");
    ir::Node& n = b.node("hsig", ir::OpKind::Activation, {d2}, y);
    n.attrs["function"] = std::string("hard_sigmoid");
    n.params["slope"] = b.constant("slope", {1}, {0.2}, "fixed<8,1,RND>");
    n.params["offset"] = b.constant("offset", {1}, {0.5}, "fixed<8,1,RND>");
    acts.push_back(y);
  }
  ir::TensorId sm = b.softmax("sm", d3, "fixed<18,2,RND,SAT>");
  ir::TensorId am = b.act("am_y", {1}, "ufixed<4,4>");
  b.node("argmax", ir::OpKind::ArgMax, {sm}, am);
  ir::TensorId cat = b.act("cat", {static_cast<int64_t>(acts.size() * 6)}, "fixed<14,4>");
  b.node("concat", ir::OpKind::Concat, acts, cat).attrs["axis"] = int64_t{0};
  b.g.outputs = {cat, am, acts[0]};  // acts[0] is also read by the concat: copied to its port
  return b.g;
}

// Compiler output (stdout + stderr) of a syntax-only C++11 compile of the firmware and the testbench.
std::string compile(const std::string& compiler, const fs::path& dir, int* status) {
  const std::string cmd = compiler + " -std=c++11 -pedantic -Wall -Wextra -Wno-unknown-pragmas -fsyntax-only -isystem '" +
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

TEST(GeneratedFirmware, CompilesWithoutWarningsInCxx11WithGccAndClang) {
  if (!fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h")) GTEST_SKIP() << "ap_types headers not found";
  const fs::path dir = scratch_dir("warnings") / "prj";
  backends::write_vitis_project(every_kernel(), config::Config::defaults(), dir);
  int status = 0;
  std::string out = compile("g++", dir, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "") << "g++ -std=c++11 -pedantic -Wall -Wextra";
  if (!have("clang++")) GTEST_SKIP() << "clang++ not installed (scripts/setup.sh installs it): g++ checked only";
  out = compile("clang++", dir, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, "") << "clang++ -std=c++11 -pedantic -Wall -Wextra";
}

}  // namespace
}  // namespace firmnet::testing
