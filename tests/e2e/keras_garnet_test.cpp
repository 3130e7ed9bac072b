// hls4ml's contrib GarNet / GarNetStack Keras layers (../shared/models/keras/garnet_*): the float reference equals
// the model's own outputs (garnet_1layer_output.dat, printed with 6 decimals); the fixed-point emulation under
// the model's hls4ml configuration agrees with them within the stated bound; the generated io_parallel firmware
// equals the emulator bit for bit (both fixtures); malformed layer attributes are refused naming the layer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "firmware_check.h"
#include "emulator/emulator.h"
#include "ir/garnet.h"
#include "ir/text.h"
#include "support/data_io.h"
#include "support/error.h"

namespace fs = std::filesystem;
using namespace firmnet;
using e2e::expect_firmware_equals_emulator;

namespace {

const fs::path kDir = fs::path(FIRMNET_SHARED_MODELS) / "keras";

bool have(const char* model) { return fs::exists(kDir / (std::string(model) + ".json")); }
bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

driver::Compiled compile(const char* model, bool with_config) {
  const std::string json = (kDir / (std::string(model) + ".json")).string();
  const std::string weights = (kDir / (std::string(model) + "_weights.h5")).string();
  const config::Config cfg = with_config ? driver::load_config((kDir / (std::string(model) + "_config.yml")).string())
                                         : config::Config::defaults();
  return driver::compile(json, cfg, {}, weights);
}

struct Reference {
  std::vector<std::vector<double>> in;  // x, n_vertices
  std::vector<double> out;
  size_t batch = 0;
};

// garnet_1layer_input.dat: one sample per line, the 128 x 4 vertex features then n_vertices.
Reference reference(const driver::Compiled& c) {
  Reference r;
  r.in = driver::inputs_from_arrays(c.graph, {support::read_text((kDir / "garnet_1layer_input.dat").string())}, r.batch);
  r.out = support::read_text((kDir / "garnet_1layer_output.dat").string()).data;
  return r;
}


TEST(KerasGarNet, OneLayerConvertsToOneGarNetNode) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  const auto c = compile("garnet_1layer", true);
  const ir::Node* gn = nullptr;
  for (const auto& n : c.graph.nodes)
    if (n.kind == ir::OpKind::GarNet) gn = &n;
  ASSERT_NE(gn, nullptr);
  const ir::GarNetAttrs a = ir::GarNetAttrs::of(c.graph, *gn);
  EXPECT_EQ(a.vertices, 128);
  EXPECT_EQ(a.in_features, 4);
  EXPECT_EQ(a.aggregators, 4);
  EXPECT_EQ(a.propagate, 4);
  EXPECT_EQ(a.out_features, 4);
  EXPECT_EQ(a.collapse, ir::GarNetCollapse::Mean);
  EXPECT_EQ(gn->reuse_factor, 16);  // LayerType GarNet: ReuseFactor 16
  // LayerType GarNet: default (the weights) fixed<16,6,RND,SAT>, result fixed<16,6>; the n_vertices input
  // ap_uint<8> from LayerName input_2; 1/128 exact.
  EXPECT_EQ(c.graph.tensor(gn->param("fout_weight")).type->str(), "fixed<16,6,RND,SAT>");
  EXPECT_EQ(c.graph.tensor(gn->outputs[0]).type->str(), "fixed<16,6>");
  EXPECT_EQ(c.graph.tensor(gn->inputs[1]).type->str(), "ufixed<8,8>");
  EXPECT_EQ(c.graph.tensor(gn->param("reciprocal")).raw, std::vector<int64_t>{1});
  // The internal types are firmnet's defaults: a layer's `default` precision is its weights' (hls4ml).
  EXPECT_EQ(gn->types.at("edge_weight").str(), "ufixed<18,1,RND_CONV,SAT>");
  EXPECT_EQ(gn->types.at("aggr").str(), "fixed<24,8,RND_CONV,SAT>");
  EXPECT_EQ(gn->tables.at("edge").size(), 1024);
  // The text form: printed, parsed and printed again gives the same bytes, and the parsed graph emulates the same.
  const std::string text = ir::print_text(c.graph, "build_tables");
  ir::TextGraph t = ir::parse_text(text, "garnet.fnir");
  EXPECT_EQ(ir::print_text(t.graph, t.stage), text);
  const driver::Compiled again = driver::compile_graph(std::move(t.graph), t.stage, c.config);
  const Reference r = reference(c);
  EXPECT_EQ(emulator::Emulator(again.graph).run(r.in, r.batch).outputs, emulator::Emulator(c.graph).run(r.in, r.batch).outputs);
  // A malformed collapse in the text is refused naming the node.
  std::string bad = text;
  const size_t at = bad.find("attr collapse string \"mean\"");
  ASSERT_NE(at, std::string::npos);
  bad.replace(at, std::string("attr collapse string \"mean\"").size(), "attr collapse string \"median\"");
  try {
    ir::parse_text(bad, "bad.fnir");
    ADD_FAILURE() << "collapse 'median' was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("collapse 'median' is not one of none, mean, sum, max"), std::string::npos) << e.what();
  }
  // So is a reuse factor that does not divide the vertices (the firmware's vertex loop would miss some).
  std::string bad_reuse = text;
  const size_t r16 = bad_reuse.find("  reuse 16\n");
  ASSERT_NE(r16, std::string::npos);
  bad_reuse.replace(r16, std::string("  reuse 16\n").size(), "  reuse 3\n");
  try {
    ir::parse_text(bad_reuse, "bad.fnir");
    ADD_FAILURE() << "reuse 3 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("reuse factor 3 does not divide its 128 vertices"), std::string::npos) << e.what();
  }
}

// The float reference computes the layer as Keras writes it (per-vertex FLR, exp(-d^2), means over the 128
// vertices, Fout, the vertex mask, the mean over vertices), then the two Dense layers and the sigmoid. What limits
// the agreement is the data files' print: outputs with 6 decimals (5e-7 each) and the inputs too, so the model saw
// float32 inputs up to 5e-7 away from the file's. Moving every input by +-5e-7 moves the outputs by up to 4.4e-5
// (measured here and printed), far more than the differences to the file: max 1.5e-6, 22 of the 256 above 5e-7,
// mean 2.8e-7. Bound: 2e-6 (the relative 1e-5 of the other Keras cases is below the print for outputs
// under 0.05), and the mean below 5e-7 (rounding, not a systematic error).
TEST(KerasGarNet, OneLayerFloatReferenceMatchesTheModelOutputs) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  const auto c = compile("garnet_1layer", false);
  const Reference r = reference(c);
  ASSERT_EQ(r.batch, 256u);
  ASSERT_EQ(r.out.size(), 256u);
  const auto y = emulator::run_float(c.graph, r.in, r.batch).at(0);
  ASSERT_EQ(y.size(), r.out.size());
  double worst = 0, sum = 0;
  size_t above_print = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double err = std::fabs(y[i] - r.out[i]);
    worst = std::max(worst, err);
    sum += err;
    above_print += err > 5e-7;
  }
  // The outputs' sensitivity to the inputs' print: every vertex feature moved by +-5e-7 (n_vertices is exact).
  auto moved = r.in;
  for (size_t i = 0; i < moved[0].size(); ++i) moved[0][i] += (i * 2654435761u) % 2 ? 5e-7 : -5e-7;
  const auto ym = emulator::run_float(c.graph, moved, r.batch).at(0);
  double sensitivity = 0;
  for (size_t i = 0; i < y.size(); ++i) sensitivity = std::max(sensitivity, std::fabs(ym[i] - y[i]));
  std::printf("[garnet_1layer] float reference vs model: max |error| %.3g (%zu of 256 above the print's 5e-7), mean %.3g; "
              "inputs moved by their print's 5e-7 move the outputs by up to %.3g\n",
              worst, above_print, sum / 256.0, sensitivity);
  EXPECT_LE(worst, 2e-6);
  EXPECT_LE(sum / 256.0, 5e-7);
  EXPECT_GT(sensitivity, 2e-7);  // the inputs' print alone accounts for differences of this size
}

// Fixed point under garnet_1layer_config.yml (inputs fixed<14,5,RND,SAT>, weights fixed<16,6,RND,SAT>, GarNet
// result fixed<16,6>, Dense accum fixed<18,8> and result fixed<16,6,RND,SAT>, the sigmoid table). Three of the 256
// samples have vertex features beyond the input type's range (|x| up to 26.9 saturates at 16): their outputs are
// off by up to 0.044. Elsewhere the GarNet layer's output is within 0.009 of the float reference (its 16-bit result
// and weights) and the model's outputs within 0.026 of the file's (mean 0.0022). Bounds: 0.05 overall, 0.03 and
// 0.012 (GarNet) on the samples whose inputs fit, mean 0.003.
TEST(KerasGarNet, OneLayerFixedPointAgreesWithTheModel) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  const auto c = compile("garnet_1layer", true);
  const Reference r = reference(c);
  emulator::Options o;
  o.trace = true;
  const auto res = emulator::Emulator(c.graph, o).run(r.in, r.batch);
  const auto& y = res.outputs.at(0);
  std::map<std::string, std::vector<double>> ft;
  emulator::run_float(c.graph, r.in, r.batch, &ft);
  ASSERT_EQ(y.size(), r.out.size());
  const numeric::FixedType& tx = *c.graph.tensor(c.graph.inputs[0]).type;
  std::vector<bool> fits(r.batch, true);
  size_t saturating = 0;
  for (size_t s = 0; s < r.batch; ++s) {
    for (size_t e = 0; e < 512; ++e) fits[s] = fits[s] && std::fabs(r.in[0][s * 512 + e]) < tx.max_value();
    saturating += !fits[s];
  }
  double worst = 0, worst_fit = 0, sum = 0, worst_garnet = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double err = std::fabs(y[i] - r.out[i]);
    worst = std::max(worst, err);
    if (fits[i]) worst_fit = std::max(worst_fit, err);
    sum += err;
  }
  const numeric::FixedType& tg = *c.graph.tensor(c.graph.nodes[2].outputs[0]).type;
  ASSERT_EQ(c.graph.nodes[2].kind, ir::OpKind::GarNet);
  const auto& graw = res.trace_raw.at("gar_1");
  const auto& gf = ft.at("gar_1");
  for (size_t i = 0; i < graw.size(); ++i)
    if (fits[i / 4]) worst_garnet = std::max(worst_garnet, std::fabs(tg.to_double(graw[i]) - gf[i]));
  std::printf("[garnet_1layer] fixed point vs model: max |error| %.4g, mean %.4g; %zu samples saturate the input type; "
              "the others: max %.4g, the GarNet layer vs its float reference max %.4g\n",
              worst, sum / static_cast<double>(y.size()), saturating, worst_fit, worst_garnet);
  EXPECT_EQ(saturating, 3u);
  EXPECT_LE(worst, 0.05);
  EXPECT_LE(worst_fit, 0.03);
  EXPECT_LE(worst_garnet, 0.012);
  EXPECT_LE(sum / static_cast<double>(y.size()), 0.003);
}

TEST(KerasGarNet, OneLayerFirmwareEqualsEmulator) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  const auto c = compile("garnet_1layer", true);
  Reference r = reference(c);
  r.batch = 64;
  r.in[0].resize(r.batch * 512);
  r.in[1].resize(r.batch);
  expect_firmware_equals_emulator(c, r.in, r.batch, "1layer", r.batch / 2 + 1);
}

// GarNetStack, 3 sublayers (quantize_transforms: the stored weights, as hls4ml), two Dense heads: one GarNet node
// per sublayer, the last one collapsing; on the 1-layer fixture's inputs (same x [128, 4] and n_vertices).
TEST(KerasGarNet, StackConvertsAndFirmwareEqualsEmulator) {
  if (!have("garnet_3layer") || !have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_3layer.json is absent";
  const auto c = compile("garnet_3layer", true);
  std::vector<const ir::Node*> gn;
  for (const auto& n : c.graph.nodes)
    if (n.kind == ir::OpKind::GarNet) gn.push_back(&n);
  ASSERT_EQ(gn.size(), 3u);
  const int64_t filters[] = {8, 8, 16}, aggregators[] = {4, 4, 8}, in_features[] = {4, 8, 8};
  for (size_t k = 0; k < 3; ++k) {
    const ir::GarNetAttrs a = ir::GarNetAttrs::of(c.graph, *gn[k]);
    EXPECT_EQ(a.out_features, filters[k]);
    EXPECT_EQ(a.aggregators, aggregators[k]);
    EXPECT_EQ(a.in_features, in_features[k]);
    EXPECT_EQ(a.collapse, k == 2 ? ir::GarNetCollapse::Mean : ir::GarNetCollapse::None);
    EXPECT_EQ(gn[k]->reuse_factor, 32);  // LayerType GarNetStack
  }
  EXPECT_EQ(c.graph.outputs.size(), 2u);
  // The configuration's LayerName regression_linear (hls4ml's linear activation layer of 'regression') names it.
  for (const auto& n : c.graph.nodes)
    if (n.name == "regression") {
      EXPECT_EQ(n.aliases, std::vector<std::string>{"regression_linear"});
    }
  EXPECT_EQ(c.graph.tensor(gn[0]->inputs[1]).type->str(), "ufixed<10,10>");  // LayerName input_2: ap_uint<10>
  const auto c1 = compile("garnet_1layer", false);
  Reference r = reference(c1);
  // The float reference and the emulator agree roughly (no model outputs to compare with).
  const auto yf = emulator::run_float(c.graph, r.in, r.batch);
  const auto ye = emulator::Emulator(c.graph).run(r.in, r.batch).outputs;
  double worst = 0;
  for (size_t k = 0; k < 2; ++k)
    for (size_t i = 0; i < yf[k].size(); ++i) worst = std::max(worst, std::fabs(yf[k][i] - ye[k][i]));
  std::printf("[garnet_3layer] fixed point vs float reference: max |error| %.4g\n", worst);
  EXPECT_LE(worst, 0.25);
  if (!have_ap_types()) GTEST_SKIP() << "ap_types headers absent (scripts/setup.sh)";
  r.batch = 32;
  r.in[0].resize(r.batch * 512);
  r.in[1].resize(r.batch);
  expect_firmware_equals_emulator(c, r.in, r.batch, "3layer", r.batch / 2 + 1);
}

// The valid-vertex count: every vertex beyond n is ignored, n is floor(n) clamped to [0, V].
TEST(KerasGarNet, VerticesBeyondTheCountDoNotMatter) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  const auto c = compile("garnet_1layer", true);
  Reference r = reference(c);
  const size_t b = 8;
  std::vector<std::vector<double>> in = {std::vector<double>(r.in[0].begin(), r.in[0].begin() + b * 512),
                                         std::vector<double>(r.in[1].begin(), r.in[1].begin() + b)};
  auto changed = in;
  for (size_t s = 0; s < b; ++s) {
    const size_t n = static_cast<size_t>(in[1][s]);
    for (size_t e = n * 4; e < 512; ++e) changed[0][s * 512 + e] = 3.0;  // garbage in the invalid vertices
  }
  const auto y0 = emulator::Emulator(c.graph).run(in, b).outputs.at(0);
  const auto y1 = emulator::Emulator(c.graph).run(changed, b).outputs.at(0);
  EXPECT_EQ(y0, y1);
  const auto f0 = emulator::run_float(c.graph, in, b).at(0);
  const auto f1 = emulator::run_float(c.graph, changed, b).at(0);
  EXPECT_EQ(f0, f1);
  auto fewer = in;
  for (size_t s = 0; s < b; ++s) fewer[1][s] = std::max(0.0, in[1][s] - 5);
  EXPECT_NE(emulator::Emulator(c.graph).run(fewer, b).outputs.at(0), y0);
}

// The layer's attributes: what hls4ml's GarNet firmware does not implement is refused naming the layer.
std::string refusal(const std::string& key, const nlohmann::json& value) {
  std::ifstream f(kDir / "garnet_1layer.json");
  nlohmann::json m = nlohmann::json::parse(f);
  for (auto& l : m["config"]["layers"])
    if (l["class_name"] == "GarNet") l["config"][key] = value;
  const fs::path p = fs::temp_directory_path() / ("firmnet_garnet_" + key + ".json");
  std::ofstream(p) << m.dump();
  try {
    std::vector<Warning> w;
    driver::load_model(p.string(), w, nullptr, (kDir / "garnet_1layer_weights.h5").string());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(KerasGarNet, MalformedAttributesAreRefusedNamingTheLayer) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  const std::string collapse = refusal("collapse", "median");
  EXPECT_NE(collapse.find("layer 'gar_1' (GarNet)"), std::string::npos) << collapse;
  EXPECT_NE(collapse.find("collapse 'median' is not one of None, 'mean', 'sum', 'max'"), std::string::npos) << collapse;
  const std::string format = refusal("input_format", "xen");
  EXPECT_NE(format.find("layer 'gar_1' (GarNet)"), std::string::npos) << format;
  EXPECT_NE(format.find("input_format 'xen' is not supported"), std::string::npos) << format;
  const std::string simplified = refusal("simplified", false);
  EXPECT_NE(simplified.find("simplified=False is not supported"), std::string::npos) << simplified;
  const std::string act = refusal("output_activation", "tanh");
  EXPECT_NE(act.find("output_activation 'tanh' is not supported"), std::string::npos) << act;
  const std::string mbn = refusal("mean_by_nvert", true);
  EXPECT_NE(mbn.find("mean_by_nvert=True is not supported"), std::string::npos) << mbn;
  const std::string bad_size = refusal("n_aggregators", 5);
  EXPECT_NE(bad_size.find("weight 'S_kernel' has shape [4,4], expected [4,5]"), std::string::npos) << bad_size;
}

// io_stream is refused naming the layer and the fix.
TEST(KerasGarNet, IoStreamIsRefusedNamingTheLayer) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  auto c = compile("garnet_1layer", true);
  c.config.io_type = "io_stream";
  const fs::path dir = fs::temp_directory_path() / "firmnet_garnet_stream";
  fs::remove_all(dir);
  try {
    backends::write_vitis_project(c.graph, c.config, dir);
    ADD_FAILURE() << "io_stream was not refused";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("gar_1"), std::string::npos) << m;
    EXPECT_NE(m.find("GarNet has no io_stream implementation"), std::string::npos) << m;
    EXPECT_NE(m.find("io_parallel"), std::string::npos) << m;
  }
}

}  // namespace

namespace {

// The estimate (docs/ESTIMATE.md "GarNet", an uncalibrated approximation from the kernel's plan): a row per GarNet
// node; folding the vertex loop (ReuseFactor 16: 8 vertices per iteration) takes fewer DSPs and more cycles than
// unrolling it (ReuseFactor 1: all 128).
TEST(KerasGarNet, EstimateFollowsTheReuseFactor) {
  if (!have("garnet_1layer")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  auto row = [](const driver::Compiled& c) {
    const estimate::Estimate e = driver::estimate(c);
    for (const estimate::Row& r : e.layers)
      if (r.name == "gar_1") return r;
    ADD_FAILURE() << "no estimate row for gar_1";
    return estimate::Row{};
  };
  const auto folded = compile("garnet_1layer", true);
  auto cfg = driver::load_config((kDir / "garnet_1layer_config.yml").string());
  cfg.layer_type.at("GarNet").reuse_factor = 1;
  const auto unrolled = driver::compile((kDir / "garnet_1layer.json").string(), cfg, {}, (kDir / "garnet_1layer_weights.h5").string());
  const estimate::Row f = row(folded), u = row(unrolled);
  std::printf("[garnet_1layer] estimate: ReuseFactor 16: %lld cycles, %lld DSP, %lld LUT; ReuseFactor 1: %lld cycles, %lld DSP, %lld LUT\n",
              static_cast<long long>(f.latency_max), static_cast<long long>(f.res.dsp), static_cast<long long>(f.res.lut),
              static_cast<long long>(u.latency_max), static_cast<long long>(u.res.dsp), static_cast<long long>(u.res.lut));
  EXPECT_GT(f.latency_max, u.latency_max);
  EXPECT_LT(f.res.dsp, u.res.dsp);
  EXPECT_GT(f.res.dsp, 0);
  EXPECT_GE(f.latency_max, 16);  // at least one cycle per iteration of the vertex loop
  EXPECT_EQ(f.ii, f.latency_max);
  if (have("garnet_3layer")) {
    const estimate::Estimate e3 = driver::estimate(compile("garnet_3layer", true));
    size_t rows = 0;
    for (const estimate::Row& r : e3.layers) rows += r.op == "garnet";
    EXPECT_EQ(rows, 3u);
  }
}

}  // namespace
