// Type passes on hand-built graphs: resolve_types, quantize_constants, infer_precision, build_tables, and
// the pipeline runner.
#include <gtest/gtest.h>

#include "passes/builder.h"
#include "passes/pass.h"

namespace firmnet::passes {
namespace {

using ir::OpKind;
using ir::TensorId;

using testing_support::Builder;

numeric::FixedType T(const std::string& s) { return numeric::FixedType::parse(s); }

// Runs the named passes of the default pipeline in order; returns the warnings.
std::vector<Warning> run_passes(ir::Graph& g, const std::vector<std::string>& names, const config::Config& cfg = {}) {
  std::vector<Warning> warnings;
  PassContext ctx{cfg, warnings};
  for (const auto& name : names)
    for (auto& p : default_pipeline())
      if (p->name() == name) {
        p->run(g, ctx);
        g.verify(false);
      }
  return warnings;
}

std::string error_of(ir::Graph g, const config::Config& cfg) {
  std::vector<Warning> warnings;
  PassContext ctx{cfg, warnings};
  try {
    run_pipeline(g, ctx);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const std::vector<std::string> kTypes = {"resolve_types", "quantize_constants", "infer_precision"};

TEST(ResolveTypes, AutoConstantsUseTheFewestIntegerBits) {
  Builder b;
  const TensorId x = b.input("x", {2});
  const TensorId d1 = b.dense("fc1", x, 2, 1, {0.75, -1.3}, {0.999999});
  const TensorId d2 = b.dense("fc2", d1, 1, 2, {0.25, -0.5}, {0.5, 0});
  const TensorId d3 = b.dense("fc3", d2, 2, 1, {0, 0}, {0});
  b.g.outputs = {d3};
  run_passes(b.g, {"resolve_types"});
  const auto type_of = [&](const char* node, const char* p) {
    return b.g.tensor(b.find(node).param(p)).type->str();
  };
  EXPECT_EQ(type_of("fc1", "weight"), "fixed<18,2,RND_CONV,SAT>");  // 1.3 needs 2 integer bits
  EXPECT_EQ(type_of("fc1", "bias"), "fixed<18,2,RND_CONV,SAT>");    // 0.999999 rounds to 1.0
  // Exactly representable in <= 18 bits: the narrowest exact type (raw 1, -2 at 2^-2; raw 1, 0 at 2^-1).
  EXPECT_EQ(type_of("fc2", "weight"), "fixed<2,0,RND_CONV,SAT>");  // {0.25, -0.5}
  EXPECT_EQ(type_of("fc2", "bias"), "fixed<2,1,RND_CONV,SAT>");    // {0.5, 0}
  EXPECT_EQ(type_of("fc3", "weight"), "fixed<1,1,RND_CONV,SAT>");  // all zero: exact
  EXPECT_EQ(b.g.tensor(x).type->str(), "fixed<16,6,RND_CONV,SAT>");
  EXPECT_EQ(b.g.tensor(x).origin, "default");
  EXPECT_FALSE(b.g.tensor(d1).type.has_value());  // result "auto": infer_precision decides
  EXPECT_FALSE(b.find("fc1").types.count("accum"));
  EXPECT_EQ(b.g.tensor(b.find("fc1").param("weight")).origin, "default (18 bits for max |value| 1.3)");
}

TEST(ResolveTypes, LevelsAndOrigins) {
  Builder b;
  const TensorId x = b.input("x", {4});
  const TensorId d = b.dense("fc1", x, 4, 2, std::vector<double>(8, 0.5), {0, 0});
  const TensorId r = b.act("relu1", d, "relu");
  const TensorId s = b.act("sig", r, "sigmoid");
  b.g.nodes[1].aliases = {"/fc1/Gemm"};
  b.g.outputs = {s};
  config::Config cfg = config::Config::parse(R"(
HLSConfig:
  Model:
    Precision: fixed<16,6>
    ReuseFactor: 2
    Strategy: Resource
  LayerType:
    Dense:
      Precision: {bias: "fixed<8,4>"}
    Activation:
      Precision: {result: "fixed<12,4>"}
      TableSize: 256
  LayerName:
    /fc1/Gemm:
      Precision: {weight: "fixed<8,1>"}
      Trace: true
    relu1:
      Precision: ufixed<10,4>
)", "cfg.yml");
  run_passes(b.g, {"resolve_types"}, cfg);
  const ir::Node& fc = b.find("fc1");
  EXPECT_EQ(b.g.tensor(fc.param("weight")).type->str(), "fixed<8,1>");
  EXPECT_EQ(b.g.tensor(fc.param("weight")).origin, "config LayerName /fc1/Gemm");
  EXPECT_EQ(b.g.tensor(fc.param("bias")).type->str(), "fixed<8,4>");
  EXPECT_EQ(b.g.tensor(fc.param("bias")).origin, "config LayerType Dense");
  EXPECT_EQ(b.g.tensor(d).type->str(), "fixed<16,6>");
  EXPECT_EQ(b.g.tensor(d).origin, "config Model (default)");
  EXPECT_EQ(fc.types.at("accum").str(), "fixed<16,6>");
  EXPECT_EQ(fc.reuse_factor, 2);
  EXPECT_EQ(fc.strategy, ir::Strategy::Resource);
  EXPECT_TRUE(fc.trace);
  EXPECT_EQ(b.g.tensor(r).type->str(), "ufixed<10,4>");  // LayerName default beats LayerType result
  EXPECT_EQ(b.find("relu1").reuse_factor, 1);           // Model ReuseFactor is for Dense layers
  EXPECT_EQ(b.g.tensor(s).type->str(), "fixed<12,4>");
  EXPECT_EQ(b.find("sig").types.at("table").str(), "fixed<16,6>");  // Model default applies to tables too
  EXPECT_EQ(b.find("sig").attr_int("table_size"), 256);
}

TEST(ResolveTypes, ModelTypesAreKeptUnlessLayerNameOverrides) {
  Builder b;
  const TensorId x = b.input("x", {2});
  b.g.tensor(x).type = T("fixed<8,2>");
  const TensorId d = b.dense("fc1", x, 2, 2, {1, 0, 0, 1}, {0, 0});
  b.g.tensor(d).type = T("fixed<6,3>");
  b.g.outputs = {d};
  config::Config cfg = config::Config::parse("HLSConfig:\n  Model:\n    Precision: fixed<20,10>\n", "c.yml");
  run_passes(b.g, {"resolve_types"}, cfg);
  EXPECT_EQ(b.g.tensor(x).type->str(), "fixed<8,2>");
  EXPECT_EQ(b.g.tensor(d).type->str(), "fixed<6,3>");
  cfg.layer_name["fc1"].precision["result"] = "fixed<9,3>";
  run_passes(b.g, {"resolve_types"}, cfg);
  EXPECT_EQ(b.g.tensor(d).type->str(), "fixed<9,3>");
}

ir::Graph mlp_16_64() {
  Builder b;
  const TensorId x = b.input("x", {16});
  const TensorId d = b.dense("fc1", x, 16, 64, std::vector<double>(1024, 0.1), std::vector<double>(64, 0));
  const TensorId r = b.act("relu1", d, "relu");
  const TensorId s = b.node(OpKind::Softmax, "sm", {r}, {64});
  b.g.outputs = {s};
  return b.g;
}

TEST(ResolveTypesErrors, ReuseFactorUnknownNamesAndVariables) {
  config::Config cfg;
  cfg.layer_name["fc1"].reuse_factor = 3;
  EXPECT_EQ(error_of(mlp_16_64(), cfg),
            "resolve_types: layer 'fc1' (Dense 16x64): ReuseFactor 3 is invalid "
            "(hint: valid values are 1, 2, 4, 8, 16, 32, 64, 128, ..., 1024)");
  cfg = {};
  cfg.layer_type["Softmax"].reuse_factor = 2;
  EXPECT_EQ(error_of(mlp_16_64(), cfg),
            "resolve_types: layer 'sm' (Softmax): ReuseFactor 2 is invalid "
            "(hint: only Dense and Conv layers support a ReuseFactor other than 1 for now; use 1)");
  cfg = {};
  cfg.layer_name["fc2"].trace = true;
  EXPECT_EQ(error_of(mlp_16_64(), cfg),
            "resolve_types: HLSConfig.LayerName.fc2: no layer is named 'fc2' "
            "(hint: did you mean 'fc1'? the layers are x, fc1, relu1, sm (see `firmnet inspect`))");
  cfg = {};
  cfg.layer_name["relu1"].precision["weight"] = "fixed<8,2>";
  EXPECT_EQ(error_of(mlp_16_64(), cfg),
            "resolve_types: HLSConfig.LayerName.relu1.Precision.weight: layer 'relu1' (Activation relu) has no "
            "precision variable 'weight' (hint: valid ones are result, default)");
  cfg = {};
  cfg.layer_type["Softmax"].precision["weight"] = "fixed<8,2>";
  EXPECT_EQ(error_of(mlp_16_64(), cfg),
            "resolve_types: HLSConfig.LayerType.Softmax.Precision.weight: LayerType Softmax has no precision "
            "variable 'weight' (hint: valid ones are result, accum, exp_table, inv_table, default)");
  cfg = {};
  cfg.layer_name["fc1"].reuse_factor = 16;
  EXPECT_EQ(error_of(mlp_16_64(), cfg), "");
}

TEST(QuantizeConstants, SaturatesAndWarnsPerLayer) {
  Builder b;
  const TensorId x = b.input("x", {4});
  const TensorId d = b.dense("fc1", x, 4, 1, {1.73, -1.2, 1.5, 0.5}, {0.3});
  b.g.outputs = {d};
  config::Config cfg;
  cfg.layer_name["fc1"].precision = {{"weight", "fixed<6,1>"}, {"bias", "fixed<6,1,RND_CONV,WRAP>"}};
  const auto w = run_passes(b.g, {"resolve_types", "quantize_constants"}, cfg);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].str(), "layer 'fc1': 3 of 4 weights do not fit fixed<6,1> (worst 1.73, range [-1, 0.96875]); saturated");
  EXPECT_EQ(b.g.tensor(b.find("fc1").param("weight")).raw, (std::vector<int64_t>{31, -32, 31, 16}));  // TRN
  EXPECT_EQ(b.g.tensor(b.find("fc1").param("bias")).raw, (std::vector<int64_t>{10}));  // 0.3*32 = 9.6 -> 10
}

TEST(InferPrecision, LosslessAccumAndIntervalResults) {
  Builder b;
  const TensorId x = b.input("x", {2});
  const TensorId d = b.dense("fc1", x, 2, 1, {0.5, -0.25}, {1});
  const TensorId r = b.act("relu1", d, "relu");
  const TensorId s = b.act("sig", r, "sigmoid");
  const TensorId d2 = b.dense("fc2", s, 1, 5, {1, 1, 1, 1, 1}, {0, 0, 0, 0, 0});
  const TensorId sm = b.node(OpKind::Softmax, "sm", {d2}, {5});
  b.g.outputs = {sm};
  config::Config cfg;
  cfg.layer_name["x"].precision["result"] = "fixed<8,3>";
  cfg.layer_name["fc1"].precision = {{"weight", "fixed<4,1>"}, {"bias", "fixed<4,2>"}};
  run_passes(b.g, kTypes, cfg);
  // x in [-4, 3.96875] (frac 5), w = {0.5, -0.25} (frac 3), b = 1: partial sums in [-510, 1020] * 2^-8.
  EXPECT_EQ(b.find("fc1").types.at("accum").str(), "fixed<11,3>");
  // The exact sums lie on a grid of 2^-8: 8 fractional bits (fewer than the default 16) lose nothing.
  EXPECT_EQ(b.g.tensor(d).type->str(), "fixed<11,3>");  // max 3.984375
  EXPECT_EQ(b.g.tensor(d).origin, "auto: bound [-1.99219, 3.98438]");
  EXPECT_EQ(b.g.tensor(r).type->str(), "fixed<11,3>");  // relu: [0, 3.98438]
  EXPECT_EQ(b.g.tensor(s).type->str(), "ufixed<16,0,RND_CONV,SAT>");
  EXPECT_EQ(b.find("sig").types.at("table").str(), "ufixed<16,0,RND_CONV,SAT>");
  // sigmoid out (frac 16, [0, 1 - 2^-16]) times w = 1 (exact: fixed<2,2>, frac 0), the all-zero bias is
  // fixed<1,1>: frac 16, sums < 1.
  EXPECT_EQ(b.g.tensor(b.find("fc2").param("weight")).type->str(), "fixed<2,2,RND_CONV,SAT>");
  EXPECT_EQ(b.find("fc2").types.at("accum").str(), "fixed<17,1>");
  EXPECT_EQ(b.g.tensor(d2).type->str(), "fixed<17,1>");  // 16 fractional bits as the input
  EXPECT_EQ(b.find("sm").types.at("accum").str(), "ufixed<23,4>");  // ufixed<20,1> grown by ceil(log2 5)
  EXPECT_EQ(b.find("sm").types.at("exp_table").str(), "ufixed<20,1,RND_CONV,SAT>");
  EXPECT_EQ(b.find("sm").types.at("inv_table").str(), "ufixed<24,1,RND_CONV,SAT>");
  EXPECT_EQ(b.g.tensor(sm).type->str(), "ufixed<18,1,RND_CONV,SAT>");
}

TEST(InferPrecision, WideAccumDropsFractionalBitsAndWideResultSaturates) {
  Builder b;
  const TensorId x = b.input("x", {1});
  const TensorId d = b.dense("fc1", x, 1, 1, {1.5}, {0});
  const TensorId e = b.eltwise("add1", d, "add", {1});
  b.g.outputs = {e};
  config::Config cfg;
  cfg.layer_name["x"].precision["result"] = "fixed<40,20>";
  cfg.layer_name["fc1"].precision = {{"weight", "fixed<30,2>"}, {"bias", "fixed<30,2>"}, {"result", "fixed<48,40>"}};
  const auto w = run_passes(b.g, kTypes, cfg);
  EXPECT_EQ(b.find("fc1").types.at("accum").str(), "fixed<64,21>");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].str(), "layer 'fc1': a lossless accumulator needs fixed<69,21>; using fixed<64,21> "
                        "(5 fractional bits dropped, truncated at every step)");
  // The truncating accumulator is bounded by its type, [-2^20, 2^20); + 1 needs 22 integer bits, and
  // 8 fractional bits: fc1's result has 8 and the constant 1 none, so the exact sum has 8.
  EXPECT_EQ(b.g.tensor(e).type->str(), "fixed<30,22>");
}

TEST(InferPrecision, ResultCappedAt48BitsSaturates) {
  Builder b;
  const TensorId x = b.input("x", {1});
  const TensorId e = b.eltwise("add1", x, "add", {1});
  b.g.outputs = {e};
  config::Config cfg;
  cfg.layer_name["x"].precision["result"] = "fixed<48,40>";
  const auto w = run_passes(b.g, kTypes, cfg);
  EXPECT_EQ(b.g.tensor(e).type->str(), "fixed<48,38,TRN,SAT>");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].str(), "layer 'add1': the result needs 41 integer bits to never overflow (bound "
                        "[-5.49756e+11, 5.49756e+11]); using fixed<48,38,TRN,SAT>, which saturates beyond its range");
}

TEST(BuildTables, SigmoidAndSoftmaxTables) {
  Builder b;
  const TensorId x = b.input("x", {5});
  const TensorId s = b.act("sig", x, "sigmoid");
  const TensorId sm = b.node(OpKind::Softmax, "sm", {s}, {5});
  b.g.outputs = {sm};
  config::Config cfg;
  cfg.layer_name["sm"].table_size = 256;
  std::vector<Warning> warnings;
  PassContext ctx{cfg, warnings};
  run_pipeline(b.g, ctx);
  EXPECT_TRUE(warnings.empty());
  const ir::Node& sig = b.find("sig");
  const numeric::TableSpec& t = sig.tables.at("table");
  EXPECT_EQ(t.log2_size, 10);
  EXPECT_EQ(t.log2_step, -6);
  EXPECT_EQ(t.offset, 512);
  const auto& td = sig.table_data.at("table");
  ASSERT_EQ(td.size(), 1024u);
  EXPECT_EQ(td[0], 22);        // sigmoid(-8 + 2^-7) * 2^16 = 22.15
  EXPECT_EQ(td[512], 32896);   // sigmoid(2^-7) * 2^16 = 32895.9993
  EXPECT_EQ(td[1023], 65514);  // sigmoid(8 - 2^-7) * 2^16 = 65513.85
  const ir::Node& n = b.find("sm");
  // Two-level exp: coarse buckets of 2^-5 on [-8 + 2^-5, 2^-5) at their left edges, fine buckets of 2^-13
  // on [0, 2^-5) at their centres; entries ufixed<20,1> (F=19).
  const numeric::TableSpec& hi = n.tables.at("exp_hi");
  EXPECT_EQ(hi.log2_size, 8);
  EXPECT_EQ(hi.log2_step, -5);
  EXPECT_EQ(hi.offset, 255);
  EXPECT_EQ(n.table_data.at("exp_hi")[255], 524288);  // exp(0) * 2^19
  EXPECT_EQ(n.table_data.at("exp_hi")[254], 508157);  // exp(-2^-5) * 2^19 = 508157.35
  const numeric::TableSpec& lo = n.tables.at("exp_lo");
  EXPECT_EQ(lo.log2_size, 8);
  EXPECT_EQ(lo.log2_step, -13);
  EXPECT_EQ(lo.offset, 0);
  EXPECT_EQ(n.table_data.at("exp_lo")[0], 524320);    // exp(2^-14) * 2^19 = 524320.0010
  EXPECT_EQ(n.table_data.at("exp_lo")[255], 540898);  // exp(255.5 * 2^-13) * 2^19 = 540897.67
  // The inverse of the sum's mantissa: 256 buckets of 2^-8 on [1, 2), 257 entries 1/(1 + j/256) at the edges,
  // ufixed<24,1> (F=23).
  const numeric::TableSpec& inv = n.tables.at("inv");
  EXPECT_EQ(inv.log2_size, 8);
  EXPECT_EQ(inv.log2_step, -8);
  EXPECT_EQ(inv.offset, -256);
  EXPECT_EQ(n.table_entries("inv"), 257);
  ASSERT_EQ(n.table_data.at("inv").size(), 257u);
  EXPECT_EQ(n.table_data.at("inv")[0], 8388608);    // 1 * 2^23
  EXPECT_EQ(n.table_data.at("inv")[1], 8355968);    // 2^23 * 256/257 = 8355967.502
  EXPECT_EQ(n.table_data.at("inv")[85], 6297606);   // 2^23 * 256/341 = 6297606.006
  EXPECT_EQ(n.table_data.at("inv")[256], 4194304);  // 1/2 * 2^23
  // What the HLS kernel is given: inv[1] - inv[0] = -32640 is the largest step (16 signed bits); the lossless sum
  // (accum ufixed<23,4>, F=19) of 5 entries lies in [e(0) = 524320 * 2^-19, 5 * 540898 * 2^-19]: its leading
  // one at bits 19..21; r has 23 - 1 - 8 = 14 bits.
  const ir::SoftmaxInverse si = ir::softmax_inverse(n, 5);
  EXPECT_EQ(si.index_bits, 8);
  EXPECT_EQ(si.delta_width, 16);
  EXPECT_EQ(si.remainder_bits, 14);
  EXPECT_EQ(si.lead_min, 19);
  EXPECT_EQ(si.lead_max, 21);
  // A narrower accum is not lossless: any of its bits may lead.
  ir::Node narrow = n;
  narrow.types["accum"] = numeric::FixedType{12, 3, false};
  const ir::SoftmaxInverse sn = ir::softmax_inverse(narrow, 5);
  EXPECT_EQ(sn.lead_min, 0);
  EXPECT_EQ(sn.lead_max, 11);
  EXPECT_EQ(sn.remainder_bits, 3);
}

TEST(Pipeline, NamesOptionsAndFullTyping) {
  EXPECT_EQ(pipeline_pass_names(),
            (std::vector<std::string>{"remove_noops", "fold_constants", "fold_affine_into_threshold",
                                      "absorb_input_quantizers", "fuse_dense_elementwise", "fuse_batchnorm", "resolve_types",
                                      "quantize_constants", "infer_precision", "snap_thresholds", "build_tables"}));
  ir::Graph g = mlp_16_64();
  config::Config cfg;
  std::vector<Warning> warnings;
  PassContext ctx{cfg, warnings};
  PipelineOptions opts;
  opts.stop_after = "resolve_types";
  run_pipeline(g, ctx, opts);
  EXPECT_THROW(g.verify(true), Error);  // not quantized yet
  ir::Graph full = mlp_16_64();
  run_pipeline(full, ctx);
  EXPECT_NO_THROW(full.verify(true));
  opts.stop_after = "resolve_type";
  try {
    run_pipeline(g, ctx, opts);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("--stop-after: no pass is named 'resolve_type' (hint: did you mean "
                                          "'resolve_types'?", 0),
              0u)
        << e.what();
  }
}

}  // namespace
}  // namespace firmnet::passes
