// Quantized models from float inputs (docs/NUMERICS.md "Quantized models"): MLPs built the way Brevitas and
// qonnx export them (a float input straight into an 8-bit input Quant, per-channel power-of-two weight
// scales, activation Quants), for every rounding mode; a non-power-of-two input scale with a zero point; the
// Brevitas export in ../shared/models; and the cheap exact lowering of every power-of-two Quant. predict (the
// emulator from float inputs) is compared on every sample with an independent implementation of QONNX's
// quant() written here, and the g++-compiled firmware with the emulator, bit for bit.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "support/data_io.h"
#include "support/rng.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const std::string kShared = FIRMNET_SHARED_MODELS;
const char* kModes[] = {"ROUND", "HALF_EVEN", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN"};

// ---- An independent QONNX quant(), as qonnx's numpy code: u = x / s + z; clip; round; (q - z) * s -------
double round_mode(double u, const std::string& m) {
  const double sgn = u > 0 ? 1 : (u < 0 ? -1 : 0);
  if (m == "ROUND" || m == "HALF_EVEN") {  // np.round: half to even
    const double f = std::floor(u), d = u - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return std::fmod(f, 2) == 0 ? f : f + 1;
  }
  if (m == "CEIL") return std::ceil(u);
  if (m == "FLOOR") return std::floor(u);
  if (m == "UP") return sgn * std::ceil(std::fabs(u));
  if (m == "DOWN") return sgn * std::floor(std::fabs(u));
  if (m == "HALF_UP") return sgn * std::floor(std::fabs(u) + 0.5);
  if (m == "HALF_DOWN") return sgn * std::ceil(std::fabs(u) - 0.5);
  ADD_FAILURE() << "mode " << m;
  return 0;
}

struct QSpec {
  int bits;
  bool is_signed, narrow;
  std::string mode;
  double qmin() const { return is_signed ? -std::ldexp(1, bits - 1) + (narrow ? 1 : 0) : 0; }
  double qmax() const { return is_signed ? std::ldexp(1, bits - 1) - 1 : std::ldexp(1, bits) - (narrow ? 2 : 1); }
};

// x / s is exact for a power-of-two s; the clip then the rounding as numpy does them.
double qonnx_quant(double x, double s, double z, const QSpec& q) {
  double u = x / s + z;
  u = std::min(std::max(u, q.qmin()), q.qmax());
  return (round_mode(u, q.mode) - z) * s;
}

// ---- Models through the ONNX protobuf API, as Brevitas/qonnx export them --------------------------------
struct Builder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  int counter = 0;
  explicit Builder(int opset = 13) {
    m.set_ir_version(8);
    m.add_opset_import()->set_version(opset);
    auto* q = m.add_opset_import();
    q->set_domain("onnx.brevitas");
    q->set_version(1);
    g = m.mutable_graph();
    g->set_name("brevitas_like");
  }
  void io(onnx::ValueInfoProto* v, const std::string& name, int64_t n) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    tt->mutable_shape()->add_dim()->set_dim_value(n);
  }
  std::string init(const std::vector<int64_t>& dims, const std::vector<float>& v) {
    auto* t = g->add_initializer();
    t->set_name("c" + std::to_string(counter++));
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
    return t->name();
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in, const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(counter++));
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void attr_i(onnx::NodeProto* n, const char* k, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void attr_s(onnx::NodeProto* n, const char* k, const std::string& v) {
    auto* a = n->add_attribute();
    a->set_name(k);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  // Quant(x, scale, zero point, bits) in Brevitas's domain.
  std::string quant(const std::string& x, const std::vector<int64_t>& sdims, const std::vector<float>& scale,
                    float zp, const QSpec& q) {
    const std::string out = "q" + std::to_string(counter++);
    auto* n = node("Quant", {x, init(sdims, scale), init({}, {zp}), init({}, {static_cast<float>(q.bits)})}, out);
    n->set_domain("onnx.brevitas");
    attr_i(n, "signed", q.is_signed);
    attr_i(n, "narrow", q.narrow);
    attr_s(n, "rounding_mode", q.mode);
    return out;
  }
  std::string write(const std::string& name) {
    fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_models";
    fs::create_directories(dir);
    const std::string p = (dir / (name + ".onnx")).string();
    std::ofstream(p, std::ios::binary) << m.SerializeAsString();
    return p;
  }
};

config::Config named_config() {
  config::Config cfg = config::Config::defaults();
  cfg.project_name = "prj";
  return cfg;
}

// Compiles the project and runs the firmware on the float inputs; asserts it equals the emulator bit for bit.
void check_firmware(const driver::Compiled& c, const std::string& label, const std::vector<std::vector<double>>& x,
                    size_t batch, const emulator::Result& r) {
  const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / label;
  backends::TestVectors tv{batch, x, r.outputs};
  backends::write_vitis_project(c.graph, c.config, dir, &tv);
  backends::CsimOptions co;
  co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto fw = backends::run_csim(dir, x, batch, co);
  ASSERT_EQ(fw.size(), r.outputs.size());
  size_t compared = 0;
  for (size_t k = 0; k < fw.size(); ++k) {
    ASSERT_EQ(fw[k].size(), r.outputs[k].size());
    size_t mismatches = 0, first = 0;
    for (size_t i = 0; i < fw[k].size(); ++i, ++compared)
      if (std::memcmp(&fw[k][i], &r.outputs[k][i], sizeof(double)) != 0 && mismatches++ == 0) first = i;
    EXPECT_EQ(mismatches, 0u) << label << ": output " << k << " first mismatch at " << first << ": firmware "
                              << fw[k][first] << " vs emulator " << r.outputs[k][first];
  }
  std::printf("[ firmware ] %s: %zu output values, firmware == emulator\n", label.c_str(), compared);
}

// Inputs: N(0, 3^2) (many beyond the 8-bit range [-8, 8) at 2^-4: the clip), then exact ties u = m + 1/2
// and exact grid points u = m of the input quantizer (scale 2^-4), positive and negative.
std::vector<double> float_inputs(size_t batch, size_t width, uint64_t seed) {
  support::Rng rng{seed};
  std::vector<double> x(batch * width);
  for (double& v : x) v = 3 * rng.normal();
  for (size_t i = 0; i < std::min<size_t>(x.size(), 40 * width); ++i) {
    const double m = std::floor(40 * rng.uniform()) - 20;
    x[i] = (i % 3 == 0 ? m : m + 0.5) / 16.0 * (i % 2 ? 1 : 8);  // ties at 2^-4 and at 2^-1 (8 * 1/16)
  }
  return x;
}

// One input chain per rounding mode: x_m -> Quant(8b, 2^-4, mode) -> Gemm(per-channel power-of-two weight
// scales, transB) -> Relu -> Quant(8b unsigned, 2^-3, mode) -> Gemm(2^-6 weights) -> y_m.
struct ModeChain {
  std::vector<std::vector<double>> w1, w2;  // quantized [out][in]
  std::vector<double> b1, b2;
};

TEST(QonnxInput, EveryRoundingModeFromFloatInputsEqualsQonnxAndFirmware) {
  Builder b;
  support::Rng rng{11};
  const int n_in = 16, n_hid = 8, n_out = 5;
  const QSpec wq{8, true, true, "ROUND"};
  std::vector<ModeChain> chains;
  for (const char* mode : kModes) {
    const std::string xin = std::string("x_") + mode;
    b.io(b.g->add_input(), xin, n_in);
    ModeChain ch;
    // Weights as Brevitas stores them (float), quantized by a weight Quant with per-output-channel scales.
    std::vector<float> w1f(n_hid * n_in), s1(n_hid);
    for (int j = 0; j < n_hid; ++j) s1[static_cast<size_t>(j)] = std::ldexp(1.0f, -6 - j % 3);
    for (auto& v : w1f) v = static_cast<float>(0.4 * rng.normal());
    const std::string w1 = b.quant(b.init({n_hid, n_in}, w1f), {n_hid, 1}, s1, 0, wq);
    ch.w1.assign(n_hid, std::vector<double>(n_in));
    for (int j = 0; j < n_hid; ++j)
      for (int i = 0; i < n_in; ++i)
        ch.w1[static_cast<size_t>(j)][static_cast<size_t>(i)] = qonnx_quant(w1f[static_cast<size_t>(j * n_in + i)], s1[static_cast<size_t>(j)], 0, wq);
    std::vector<float> b1f(n_hid);
    for (int j = 0; j < n_hid; ++j) {
      b1f[static_cast<size_t>(j)] = static_cast<float>(std::round(64 * 0.3 * rng.normal()) / 64);  // exact at 2^-6
      ch.b1.push_back(b1f[static_cast<size_t>(j)]);
    }
    const std::string xq = b.quant(xin, {}, {1.0f / 16}, 0, {8, true, false, mode});
    auto* g1 = b.node("Gemm", {xq, w1, b.init({n_hid}, b1f)}, "h_" + std::string(mode));
    Builder::attr_i(g1, "transB", 1);
    b.node("Relu", {"h_" + std::string(mode)}, "r_" + std::string(mode));
    const std::string aq = b.quant("r_" + std::string(mode), {}, {1.0f / 8}, 0, {8, false, false, mode});
    std::vector<float> w2f(n_out * n_hid);
    for (auto& v : w2f) v = static_cast<float>(0.4 * rng.normal());
    const std::string w2 = b.quant(b.init({n_out, n_hid}, w2f), {}, {1.0f / 64}, 0, wq);
    ch.w2.assign(n_out, std::vector<double>(n_hid));
    for (int j = 0; j < n_out; ++j)
      for (int i = 0; i < n_hid; ++i)
        ch.w2[static_cast<size_t>(j)][static_cast<size_t>(i)] = qonnx_quant(w2f[static_cast<size_t>(j * n_hid + i)], 1.0 / 64, 0, wq);
    ch.b2.assign(n_out, 0.0);
    auto* g2 = b.node("Gemm", {aq, w2, b.init({n_out}, std::vector<float>(n_out, 0.0f))}, std::string("y_") + mode);
    Builder::attr_i(g2, "transB", 1);
    b.io(b.g->add_output(), std::string("y_") + mode, n_out);
    chains.push_back(ch);
  }
  const auto c = driver::compile(b.write("brevitas_modes"), named_config());
  const ir::Graph& g = c.graph;
  // Every input port is the 8-bit quantizer's own type, and the quantizer is the input conversion.
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    const ir::Tensor& t = g.tensor(g.inputs[k]);
    ASSERT_TRUE(t.quantizer.has_value()) << t.name;
    EXPECT_EQ(t.type->width, 8) << t.name;
    EXPECT_EQ(t.type->frac(), 4) << t.name;
    EXPECT_NE(t.origin.find("input quantizer"), std::string::npos) << t.origin;
  }
  // No thresholds anywhere: every power-of-two quantizer is a cast or raw-bit logic.
  for (const auto& n : g.nodes) EXPECT_NE(n.kind, ir::OpKind::MultiThreshold) << n.name;

  const size_t batch = 1500;
  std::vector<std::vector<double>> x;
  for (size_t m = 0; m < 8; ++m) x.push_back(float_inputs(batch, n_in, 100 + m));
  emulator::Emulator emu(g);
  const auto r = emu.run(x, batch);
  for (const auto& [layer, count] : r.overflows) EXPECT_EQ(count, 0) << layer << ": the Quants' clip is no overflow";
  size_t compared = 0, mismatches = 0, ties = 0;
  for (size_t m = 0; m < 8; ++m) {
    const ModeChain& ch = chains[m];
    const QSpec in_q{8, true, false, kModes[m]}, act_q{8, false, false, kModes[m]};
    for (size_t s = 0; s < batch; ++s) {
      std::vector<double> xq(n_in), h(n_hid);
      for (int i = 0; i < n_in; ++i) {
        const double v = x[m][s * n_in + static_cast<size_t>(i)];
        ties += std::fmod(std::fabs(v) * 16, 1.0) == 0.5;
        xq[static_cast<size_t>(i)] = qonnx_quant(v, 1.0 / 16, 0, in_q);
      }
      for (int j = 0; j < n_hid; ++j) {
        double acc = ch.b1[static_cast<size_t>(j)];
        for (int i = 0; i < n_in; ++i) acc += xq[static_cast<size_t>(i)] * ch.w1[static_cast<size_t>(j)][static_cast<size_t>(i)];
        h[static_cast<size_t>(j)] = qonnx_quant(std::max(acc, 0.0), 1.0 / 8, 0, act_q);
      }
      for (int j = 0; j < n_out; ++j) {
        double acc = 0;
        for (int i = 0; i < n_hid; ++i) acc += h[static_cast<size_t>(i)] * ch.w2[static_cast<size_t>(j)][static_cast<size_t>(i)];
        const double got = r.outputs[m][s * n_out + static_cast<size_t>(j)];
        ++compared;
        if (got != acc && mismatches++ < 5)
          ADD_FAILURE() << kModes[m] << " sample " << s << " output " << j << ": firmnet " << got << ", QONNX " << acc;
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GT(ties, 8u * 100);
  std::printf("[ QONNX    ] 8 rounding modes: %zu output values from %zu float samples (%zu input ties) compared, "
              "%zu mismatches\n", compared, 8 * batch, ties, mismatches);
  // The float reference applies the same input quantizer.
  std::vector<std::vector<double>> x40;
  for (auto& v : x) x40.emplace_back(v.begin(), v.begin() + 40 * n_in);
  const auto f = emulator::run_float(g, x40, 40);
  for (size_t m = 0; m < 8; ++m)
    for (size_t i = 0; i < 40 * n_out; ++i) EXPECT_NEAR(f[m][i], r.outputs[m][i], 1e-9) << kModes[m];
  std::vector<std::vector<double>> few;
  for (auto& v : x) few.emplace_back(v.begin(), v.begin() + 300 * n_in);
  check_firmware(c, "brevitas_modes", few, 300, emu.run(few, 300));
}

// A non-power-of-two input scale with a zero point (asymmetric 8-bit, as Brevitas's unsigned input
// quantizers): the port carries the integer level q, an exact Rescale gives (q - z) * s.
TEST(QonnxInput, NonPowerOfTwoScaleWithZeroPointQuantizesTheFloatInput) {
  Builder b;
  const float s = 0.0371f;
  const float z = 37;
  b.io(b.g->add_input(), "x", 6);
  const std::string xq = b.quant("x", {}, {s}, z, {8, false, false, "ROUND"});
  std::vector<float> w(4 * 6);
  support::Rng rng{5};
  for (auto& v : w) v = static_cast<float>(std::round(64 * 0.5 * rng.normal()) / 64);
  auto* gm = b.node("Gemm", {xq, b.init({4, 6}, w), b.init({4}, {0, 0, 0, 0})}, "y");
  Builder::attr_i(gm, "transB", 1);
  b.io(b.g->add_output(), "y", 4);
  const auto c = driver::compile(b.write("nonpo2_zero_point"), named_config());
  const ir::Graph& g = c.graph;
  const ir::Tensor& in = g.tensor(g.inputs[0]);
  ASSERT_TRUE(in.quantizer.has_value());
  EXPECT_EQ(in.type->str(), "ufixed<8,8,RND_CONV,SAT>");  // the level q in [0, 255]
  ASSERT_EQ(g.nodes[1].kind, ir::OpKind::Rescale);

  const size_t batch = 3000;
  std::vector<double> x(batch * 6);
  for (double& v : x) v = 4 * rng.normal();
  // Exact ties of x / s + z, and values on the levels: x = (m + 1/2 - z) * s in double.
  for (size_t i = 0; i < 600; ++i) {
    const double m = std::floor(300 * rng.uniform()) - 20;
    x[i] = (i % 2 ? m + 0.5 - z : m - z) * static_cast<double>(s);
  }
  emulator::Options opts;
  opts.trace = true;
  emulator::Emulator emu(g, opts);
  const auto r = emu.run({x}, batch);
  // The level q: exact real arithmetic on the float input (np.round on x / s + z, here without float32
  // rounding of the division, which qonnx does in float32: where that matters is counted below).
  const QSpec q{8, false, false, "ROUND"};
  size_t compared = 0, mismatches = 0, float32_differs = 0;
  const auto& levels = r.trace_raw.at(g.nodes[0].name);
  for (size_t i = 0; i < x.size(); ++i) {
    // u = x / s + z exactly: long double carries 64 bits, enough to decide a tie for these magnitudes.
    const long double u = static_cast<long double>(x[i]) / static_cast<long double>(s) + z;
    const long double uc = std::min<long double>(std::max<long double>(u, 0), 255);  // clip, then round
    const long double fl = std::floor(uc);
    double want;
    if (uc - fl == 0.5L) want = static_cast<double>(std::fmod(fl, 2.0L) == 0 ? fl : fl + 1);  // np.round: half to even
    else want = static_cast<double>(uc - fl > 0.5L ? fl + 1 : fl);
    ++compared;
    if (static_cast<double>(levels[i]) != want && mismatches++ < 5)
      ADD_FAILURE() << "x " << x[i] << ": level " << levels[i] << ", QONNX " << want;
    const float u32 = static_cast<float>(x[i]) / s + z;  // qonnx's float32 arithmetic
    float32_differs += round_mode(std::min(std::max<double>(u32, 0), 255.0), "ROUND") != want;
  }
  EXPECT_EQ(mismatches, 0u);
  std::printf("[ QONNX    ] scale %g, zero point %g: %zu levels compared, %zu mismatches (%zu where float32 "
              "division would round across a boundary)\n", s, z, compared, mismatches, float32_differs);
  // The output: the exact Rescale then a Dense with 2^-6 weights, checked against the levels.
  for (size_t smp = 0; smp < batch; ++smp)
    for (int j = 0; j < 4; ++j) {
      long double acc = 0;
      for (int i = 0; i < 6; ++i)
        acc += (static_cast<long double>(levels[smp * 6 + static_cast<size_t>(i)]) - z) * s * w[static_cast<size_t>(j * 6 + i)];
      ASSERT_NEAR(static_cast<double>(acc), r.outputs[0][smp * 4 + static_cast<size_t>(j)], 1e-6) << smp;
    }
  std::vector<double> few(x.begin(), x.begin() + 400 * 6);
  check_firmware(c, "nonpo2_zero_point", {few}, 400, emu.run({few}, 400));
}

// CEIL and UP have no ap_fixed rounding: an 8-bit quantizer is an add and a shift on the raw bits, not 255
// comparators. Between layers (the input type is a Dense result), emulator == firmware == QONNX.
TEST(QonnxInput, CeilAndUpQuantizersAreRawBitLogicWithoutThresholds) {
  for (const char* mode : {"CEIL", "UP"}) {
    SCOPED_TRACE(mode);
    Builder b;
    b.io(b.g->add_input(), "x", 4);
    std::vector<float> w(4 * 4);
    support::Rng rng{7};
    for (auto& v : w) v = static_cast<float>(std::round(256 * 0.5 * rng.normal()) / 256);
    auto* gm = b.node("Gemm", {"x", b.init({4, 4}, w), b.init({4}, {0.25f, -0.5f, 0, 0.125f})}, "h");
    Builder::attr_i(gm, "transB", 1);
    const std::string y = b.quant("h", {}, {1.0f / 32}, 0, {8, true, false, mode});
    b.node("Identity", {y}, "y");
    b.io(b.g->add_output(), "y", 4);
    const auto c = driver::compile(b.write(std::string("raw_") + mode), named_config());
    const std::string text = ir::print(c.graph);
    EXPECT_EQ(text.find("thresholds"), std::string::npos) << text;
    EXPECT_EQ(text.find("multithreshold"), std::string::npos) << text;
    EXPECT_NE(text.find("raw bits"), std::string::npos) << text;
    EXPECT_NE(text.find(std::string("ap_fixed has no ") + mode + " rounding"), std::string::npos) << text;
    const ir::Node& qn = c.graph.nodes.back();
    ASSERT_EQ(qn.kind, ir::OpKind::Quantize);
    const size_t batch = 2000;
    std::vector<double> x(batch * 4);
    for (double& v : x) v = 5 * rng.normal();
    emulator::Options opts;
    opts.trace = true;
    emulator::Emulator emu(c.graph, opts);
    const auto r = emu.run({x}, batch);
    EXPECT_EQ(emu.kernel_info(qn.name), std::string("quantize ") + mode + " (firmware: raw bits)");
    // Against QONNX on the Dense output the firmware sees (its exact value).
    const ir::Node& dense = c.graph.nodes[c.graph.nodes.size() - 2];
    const auto& h = r.trace_raw.at(dense.name);
    const auto& ht = *c.graph.tensor(dense.outputs[0]).type;
    const QSpec q{8, true, false, mode};
    size_t mismatches = 0;
    for (size_t i = 0; i < h.size(); ++i)
      mismatches += r.outputs[0][i] != qonnx_quant(ht.to_double(h[i]), 1.0 / 32, 0, q);
    EXPECT_EQ(mismatches, 0u);
    for (const auto& [layer, count] : r.overflows) EXPECT_EQ(count, 0) << layer;
    std::vector<double> few(x.begin(), x.begin() + 500 * 4);
    check_firmware(c, std::string("raw_") + mode, {few}, 500, emu.run({few}, 500));
  }
}

// An input precision set by LayerName wins: the quantizer stays a node and the input is rounded twice,
// which the compile warns about and inspect shows.
TEST(QonnxInput, ConfiguredInputPrecisionWinsAndSaysTheInputIsRoundedTwice) {
  Builder b;
  b.io(b.g->add_input(), "x", 4);
  const std::string xq = b.quant("x", {}, {1.0f / 16}, 0, {8, true, false, "CEIL"});
  b.node("Identity", {xq}, "y");
  b.io(b.g->add_output(), "y", 4);
  const std::string path = b.write("configured_input");
  config::Config cfg = named_config();
  cfg.layer_name["x"].precision["result"] = "fixed<16,6,RND_CONV,SAT>";
  const auto c = driver::compile(path, cfg);
  EXPECT_EQ(c.graph.tensor(c.graph.inputs[0]).type->str(), "fixed<16,6,RND_CONV,SAT>");
  EXPECT_FALSE(c.graph.tensor(c.graph.inputs[0]).quantizer.has_value());
  bool warned = false;
  for (const auto& w : c.warnings) warned = warned || w.str().find("rounded twice") != std::string::npos;
  EXPECT_TRUE(warned);
  EXPECT_NE(ir::print(c.graph).find("the input is rounded twice"), std::string::npos);
  ASSERT_EQ(c.graph.nodes.back().kind, ir::OpKind::Quantize);
  // Without the configuration the quantizer is the input conversion.
  const auto d = driver::compile(path, named_config());
  EXPECT_TRUE(d.graph.tensor(d.graph.inputs[0]).quantizer.has_value());
  EXPECT_EQ(d.graph.tensor(d.graph.inputs[0]).type->str(), "fixed<8,4,TRN,SAT>");
}

// A configured result type that overflows still warns; the Quant's own clip never does.
TEST(QonnxInput, OverflowCountsOnlyForTypesFirmnetOrTheConfigChose) {
  Builder b;
  b.io(b.g->add_input(), "x", 4);
  const std::string xq = b.quant("x", {}, {1.0f / 4}, 0, {4, true, false, "HALF_UP"});
  auto* gm = b.node("Gemm", {xq, b.init({4, 4}, std::vector<float>(16, 1.0f)), b.init({4}, {0, 0, 0, 0})}, "h");
  gm->set_name("fc");
  const std::string hq = b.quant("h", {}, {1.0f / 2}, 0, {3, true, false, "ROUND"});
  b.node("Identity", {hq}, "y");
  b.io(b.g->add_output(), "y", 4);
  const std::string path = b.write("saturating_quants");
  std::vector<double> x(200 * 4);
  support::Rng rng{3};
  for (double& v : x) v = 20 * rng.normal();  // far beyond both quantizers' ranges
  {
    const auto c = driver::compile(path, named_config());
    const auto r = emulator::Emulator(c.graph).run({x}, 200);
    for (const auto& [layer, count] : r.overflows) EXPECT_EQ(count, 0) << layer;
  }
  config::Config cfg = named_config();
  cfg.layer_name["fc"].precision["result"] = "fixed<4,2>";  // chosen by the user: wraps
  const auto c = driver::compile(path, cfg);
  const auto r = emulator::Emulator(c.graph).run({x}, 200);
  int64_t total = 0;
  for (const auto& [layer, count] : r.overflows) total += count;
  EXPECT_GT(total, 0);
}

// The Brevitas export in ../shared/models: 8-bit input quantizer, w8a8, power-of-two scales.
TEST(QonnxInput, BrevitasExportReproducesItsReferenceExactly) {
  const std::string dir = kShared + "/cases/cnn/";
  const std::string model = dir + "q_mlp_in8_po2.onnx";
  if (!fs::exists(model)) GTEST_SKIP() << model << " not found (../shared/models is absent)";
  const auto c = driver::compile(model, named_config());
  const auto xa = support::read_npy(dir + "q_mlp_in8_po2_x.npy");
  const auto ya = support::read_npy(dir + "q_mlp_in8_po2_y.npy");
  size_t batch = 0;
  const auto in = driver::inputs_from_arrays(c.graph, {xa}, batch);
  ASSERT_TRUE(c.graph.tensor(c.graph.inputs[0]).quantizer.has_value());
  emulator::Emulator emu(c.graph);
  const auto r = emu.run(in, batch);
  ASSERT_EQ(r.outputs[0].size(), ya.data.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < ya.data.size(); ++i)
    if (static_cast<float>(r.outputs[0][i]) != static_cast<float>(ya.data[i]) && mismatches++ < 5)
      ADD_FAILURE() << "value " << i << ": firmnet " << r.outputs[0][i] << ", qonnx " << ya.data[i];
  EXPECT_EQ(mismatches, 0u);
  std::printf("[ QONNX    ] q_mlp_in8_po2: %zu samples, %zu output values, %zu mismatches\n", batch, ya.data.size(),
              mismatches);
  for (const auto& [layer, count] : r.overflows) EXPECT_EQ(count, 0) << layer;
  check_firmware(c, "q_mlp_in8_po2", in, batch, r);
}

}  // namespace
