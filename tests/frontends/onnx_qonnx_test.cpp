// QONNX and FINN custom ops in the frontend: what each quantizer becomes (Quantize as a cast or raw-bit
// logic, MultiThreshold + Rescale, folded constants), FINN MultiThreshold/Squeeze/Unsqueeze/TopK and input
// annotations, and the load-time errors for unsupported combinations.
#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {

// The 1.12 text syntax has no domain-qualified ops: custom ops get their domain here.
std::string custom(const std::string& text, const std::string& domain = "qonnx.custom_op.general") {
  onnx::ModelProto m;
  const auto st = onnx::OnnxParser::Parse(m, text.c_str());
  EXPECT_TRUE(st.IsOK()) << st.ErrorMessage();
  for (auto& n : *m.mutable_graph()->mutable_node())
    if (n.op_type() == "Quant" || n.op_type() == "BipolarQuant" || n.op_type() == "Trunc" ||
        n.op_type() == "MultiThreshold" || n.op_type() == "Im2Col")
      n.set_domain(domain);
  return m.SerializeAsString();
}

ir::Graph load(const std::string& bytes) {
  std::vector<Warning> w;
  return frontends::load_onnx_bytes(bytes, "q.onnx", w);
}

std::string error(const std::string& bytes) {
  try {
    load(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const char* kHead = "<ir_version: 8, opset_import: [\"\" : 13]>\n";

std::string quant_model(const std::string& attrs, const std::string& scale, const std::string& zp, int bits) {
  return std::string(kHead) + "g (float[N,4] x) => (float[N,4] y) {\n" +
         "  s = Constant <value = " + scale + "> ()\n  z = Constant <value = " + zp + "> ()\n" +
         "  b = Constant <value = float {" + std::to_string(bits) + "}> ()\n" +
         "  y = Quant <" + attrs + "> (x, s, z, b)\n}\n";
}

TEST(OnnxQonnx, PowerOfTwoActivationQuantIsAQuantizeCast) {
  struct Case {
    std::string attrs;
    int bits;
    std::string type;
  };
  const Case cases[] = {
      {"signed = 1, narrow = 0, rounding_mode = \"ROUND\"", 4, "fixed<4,1,RND_CONV,SAT>"},
      {"signed = 1, narrow = 1, rounding_mode = \"HALF_EVEN\"", 4, "fixed<4,1,RND_CONV,SAT_SYM>"},
      {"signed = 0, narrow = 0, rounding_mode = \"FLOOR\"", 6, "ufixed<6,3,TRN,SAT>"},
      {"signed = 1, narrow = 0, rounding_mode = \"DOWN\"", 8, "fixed<8,5,TRN_ZERO,SAT>"},
      {"signed = 1, narrow = 0, rounding_mode = \"HALF_UP\"", 3, "fixed<3,0,RND_INF,SAT>"},
      {"signed = 1, narrow = 0, rounding_mode = \"HALF_DOWN\"", 16, "fixed<16,13,RND_ZERO,SAT>"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.attrs);
    const auto g = load(custom(quant_model(c.attrs, "float {0.125}", "float {0}", c.bits)));
    ASSERT_EQ(kinds(g), (std::vector<ir::OpKind>{ir::OpKind::Input, ir::OpKind::Quantize}));
    EXPECT_EQ(g.nodes[1].attr_str("lowering"), "cast");
    EXPECT_EQ(g.nodes[1].attr_int("log2_scale"), -3);
    EXPECT_EQ(g.tensor(g.outputs[0]).type->str(), c.type);
  }
  const auto g = load(custom(quant_model("signed = 1, narrow = 1, rounding_mode = \"ROUND\"", "float {0.125}", "float {0}", 4)));
  EXPECT_EQ(g.tensor(g.outputs[0]).origin, "QONNX Quant(bits=4, scale=2^-3, signed, narrow, ROUND)");
}

TEST(OnnxQonnx, OtherPowerOfTwoQuantsAreRawBitLogic) {
  struct Case {
    std::string attrs, zp;
    int bits;
    std::string type, why;
  };
  const Case cases[] = {
      // CEIL and UP have no ap_fixed rounding: an add and a shift on the raw bits, not 2^b - 1 comparators.
      {"signed = 1, narrow = 0, rounding_mode = \"CEIL\"", "float {0}", 8, "fixed<8,5,TRN,SAT>",
       "CEIL: q = (r + 2^s - 1) >> s, i.e. -floor(-x), then clip to [-128, 127] (ap_fixed has no CEIL rounding)"},
      {"signed = 1, narrow = 1, rounding_mode = \"UP\"", "float {0}", 8, "fixed<8,5,TRN,SAT>",
       "UP: q = r >= 0 ? (r + 2^s - 1) >> s : r >> s, then clip to [-127, 127] (ap_fixed has no UP rounding)"},
      // Unsigned narrow [0, 2^b - 2] is no overflow mode; a zero point shifts the levels.
      {"signed = 0, narrow = 1, rounding_mode = \"ROUND\"", "float {0}", 4, "ufixed<4,1,TRN,SAT>",
       "ROUND: q = (r + 2^(s-1) - 1 + bit s of r) >> s, then clip to [0, 14] (the clip [0, 14] is no ap_fixed "
       "overflow mode)"},
      {"signed = 0, narrow = 0, rounding_mode = \"HALF_UP\"", "float {3}", 4, "fixed<5,2,TRN,SAT>",
       "HALF_UP: q = (r + 2^(s-1) - [r < 0]) >> s, then clip to [0, 15], y = q - 3 (zero point 3)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.attrs);
    const auto g = load(custom(quant_model(c.attrs, "float {0.125}", c.zp, c.bits)));
    ASSERT_EQ(kinds(g), (std::vector<ir::OpKind>{ir::OpKind::Input, ir::OpKind::Quantize}));
    EXPECT_EQ(g.nodes[1].attr_str("lowering"), "raw bits");
    EXPECT_EQ(g.nodes[1].attr_str("lowering_why"), c.why);
    EXPECT_EQ(g.tensor(g.outputs[0]).type->str(), c.type);
  }
  // Per-channel scale and zero point: MultiThreshold -> q, Rescale (q - z_c) * s_c.
  {
    const auto g = load(custom(quant_model("signed = 1, narrow = 0, rounding_mode = \"ROUND\"",
                                           "float[4] {0.5, 0.25, 1, 2}", "float[4] {0, 1, -1, 0}", 2)));
    ASSERT_EQ(kinds(g), (std::vector<ir::OpKind>{ir::OpKind::Input, ir::OpKind::MultiThreshold, ir::OpKind::Rescale}));
    const ir::Node& mt = g.nodes[1];
    const ir::Tensor& th = g.tensor(mt.param("thresholds"));
    EXPECT_EQ(th.shape, (ir::Shape{4, 3}));
    // levels -2..1, boundaries q - 0.5 in u, x = (b - z) * s: channel 1 (s 0.25, z 1): (-1.5 - 1) * 0.25 ...
    EXPECT_EQ(th.values, (std::vector<double>{-0.75, -0.25, 0.25, -0.625, -0.375, -0.125, -0.5, 0.5, 1.5, -3, -1, 1}));
    // half-even ties: level -1 (odd) strict, 0 (even) not, 1 (odd) strict
    EXPECT_EQ(mt.attr_ints("strict"), (std::vector<int64_t>{1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1}));
    EXPECT_EQ(mt.attr_float("out_scale"), 1.0);
    EXPECT_EQ(mt.attr_float("out_bias"), -2.0);
    const ir::Node& rs = g.nodes[2];
    EXPECT_EQ(param_values(g, rs, "scale"), (std::vector<double>{0.5, 0.25, 1, 2}));
    EXPECT_EQ(param_values(g, rs, "pre_add"), (std::vector<double>{-0.0, -1, 1, -0.0}));
    EXPECT_EQ(g.tensor(rs.param("scale")).type->str(), "fixed<5,3,TRN,SAT>");  // exact: raw 2, 1, 4, 8 at 2^-2
    EXPECT_EQ(g.tensor(g.outputs[0]).origin, "QONNX Quant(bits=2, per-channel scale (4 values), signed, ROUND, zero point)");
    EXPECT_EQ(mt.attr_str("lowering"), "thresholds");
    EXPECT_EQ(mt.attr_str("lowering_why"), "per-channel scales: one shift per channel is not a single cast: 3 comparison(s) per element");
  }
}

TEST(OnnxQonnx, WeightQuantFoldsAndPresetsTheType) {
  const auto g = load(custom(std::string(kHead) + R"(g (float[N,2] x) => (float[N,2] y) {
    w = Constant <value = float[2,2] {0.3, -0.61, 1.2, 0.05}> ()
    s = Constant <value = float {0.25}> ()
    z = Constant <value = float {0}> ()
    b = Constant <value = float {3}> ()
    wq = Quant <signed = 1, narrow = 1, rounding_mode = "ROUND"> (w, s, z, b)
    y = MatMul (x, wq)
  })"));
  const ir::Tensor& w = g.tensor(g.nodes[1].param("weight"));
  EXPECT_EQ(w.values, (std::vector<double>{0.25, -0.5, 0.75, 0.0}));  // u = 1.2, -2.44, 4.8 -> 3 (clip), 0.2
  EXPECT_EQ(w.type->str(), "fixed<3,1,RND_CONV,SAT>");
  EXPECT_EQ(w.origin, "QONNX Quant(bits=3, scale=2^-2, signed, narrow, ROUND)");

  // Per-column scales ([1, 2] broadcast over the [2, 2] weight) fold too; the type is then the exact default.
  const auto g2 = load(custom(std::string(kHead) + R"(g (float[N,2] x) => (float[N,2] y) {
    w = Constant <value = float[2,2] {0.3, -0.61, 1.2, 0.05}> ()
    s = Constant <value = float[1,2] {0.25, 0.375}> ()
    z = Constant <value = float {0}> ()
    b = Constant <value = float {3}> ()
    wq = Quant <signed = 1, narrow = 0, rounding_mode = "FLOOR"> (w, s, z, b)
    y = MatMul (x, wq)
  })"));
  const ir::Tensor& w2 = g2.tensor(g2.nodes[1].param("weight"));
  // u = 1.2 -> 1; -0.61/0.375 = -1.63 -> -2; 4.8 -> clip 3; 0.133 -> 0
  EXPECT_EQ(w2.values, (std::vector<double>{0.25, -0.75, 0.75, 0.0}));
  EXPECT_FALSE(w2.type.has_value());
  EXPECT_EQ(w2.origin, "QONNX Quant(bits=3, per-channel scale (2 values), signed, FLOOR)");
}

TEST(OnnxQonnx, FinnMultiThresholdSqueezeTopKAndInputAnnotation) {
  onnx::ModelProto m;
  ASSERT_TRUE(onnx::OnnxParser::Parse(m, (std::string("<ir_version: 8, opset_import: [\"\" : 11]>\n") + R"(g (float[N,3,2,2] x) => (int64[N,1] idx) {
    t = Constant <value = float[3,2] {0.5, 1.5, -1, 0, 2, 3}> ()
    q = MultiThreshold <out_scale = 1.0, out_bias = 0.0> (x, t)
    f = Flatten (q)
    u = Unsqueeze <axes = [2]> (f)
    s = Squeeze <axes = [2]> (u)
    k = Constant <value = int64[1] {1}> ()
    v, idx = TopK <axis = -1> (s, k)
  })").c_str()).IsOK());
  m.mutable_graph()->mutable_node(1)->set_domain("finn.custom_op.general");
  auto* qa = m.mutable_graph()->add_quantization_annotation();
  qa->set_tensor_name("x");
  auto* kv = qa->add_quant_parameter_tensor_names();
  kv->set_key("finn_datatype");
  kv->set_value("INT4");
  const auto g = load(m.SerializeAsString());
  EXPECT_EQ(g.tensor(g.inputs[0]).type->str(), "fixed<4,4,RND_CONV,SAT>");
  EXPECT_EQ(g.tensor(g.inputs[0]).origin, "FINN annotation INT4");
  const ir::Node& mt = g.nodes[1];
  EXPECT_EQ(mt.kind, ir::OpKind::MultiThreshold);
  EXPECT_EQ(mt.attr_str("data_layout"), "NCHW");  // FINN's default: channels on axis 1 = first sample axis
  EXPECT_EQ(param_values(g, mt, "thresholds"), (std::vector<double>{0.5, 1.5, -1, 0, 2, 3}));
  EXPECT_EQ(kinds(g).back(), ir::OpKind::ArgMax);
  EXPECT_EQ(g.tensor(g.outputs[0]).shape, (ir::Shape{1}));
}

TEST(OnnxQonnx, UnsupportedCombinationsFailAtLoadNamingThem) {
  EXPECT_NE(error(custom(quant_model("signed = 1, narrow = 0, rounding_mode = \"CEIL\"", "float {0.1}", "float {0}", 13)))
                .find("node #3 (Quant): QONNX Quant(bits=13, scale=0.1, signed, CEIL) needs a threshold quantizer "
                      "with 8191 thresholds per channel (bit width 13 > 12)"),
            std::string::npos);
  EXPECT_NE(error(custom(quant_model("rounding_mode = \"STOCHASTIC\"", "float {0.5}", "float {0}", 4)))
                .find("node #3 (Quant): rounding_mode 'STOCHASTIC' is not supported"),
            std::string::npos);
  EXPECT_NE(error(custom(quant_model("rounding_mode = \"ROUND\"", "float {-0.5}", "float {0}", 4)))
                .find("node #3 (Quant): scale -0.5 is not positive"),
            std::string::npos);
  EXPECT_NE(error(custom(quant_model("rounding_mode = \"ROUND\"", "float {0.5}", "float {0}", 0)))
                .find("bit width 0 is not an integer in 1..63"),
            std::string::npos);
  EXPECT_NE(error(custom(std::string(kHead) + R"(g (float[N,4] x) => (float[N,4] y) {
    s = Constant <value = float {0.5}> ()
    z = Constant <value = float {0}> ()
    b = Constant <value = float {8}> ()
    c = Constant <value = float {4}> ()
    y = Trunc (x, s, z, b, c)
  })")).find("node #4 (Trunc): the input of QONNX Trunc(bits 8 -> 4, scale=2^-1, FLOOR) is not known to lie on the grid"),
            std::string::npos);
  EXPECT_NE(error(custom(std::string(kHead) + R"(g (float[N,4] x) => (float[N,1] i) {
    k = Constant <value = int64[1] {2}> ()
    v, i = TopK (x, k)
  })")).find("(TopK): only K = 1 (arg-max) is supported"),
            std::string::npos);
  EXPECT_NE(error(custom(std::string(kHead) + R"(g (float[N,4] x) => (float[N,1] v) {
    k = Constant <value = int64[1] {1}> ()
    v, i = TopK (x, k)
  })")).find("the values output 'v' is used; only the indices (arg-max) are supported"),
            std::string::npos);
}

TEST(OnnxQonnx, TruncAfterAPowerOfTwoQuantIsACast) {
  const auto g = load(custom(std::string(kHead) + R"(g (float[N,4] x) => (float[N,4] y) {
    s = Constant <value = float {0.5}> ()
    z = Constant <value = float {0}> ()
    b = Constant <value = float {8}> ()
    c = Constant <value = float {4}> ()
    q = Quant <signed = 1, narrow = 0, rounding_mode = "ROUND"> (x, s, z, b)
    y = Trunc <rounding_mode = "FLOOR"> (q, s, z, b, c)
  })"));
  // 8-bit at 2^-1 -> 4 bits at 2^-1 * 2^4 = 8: floor to multiples of 8, one extra bit for the carry.
  EXPECT_EQ(g.tensor(g.outputs[0]).type->str(), "fixed<5,8,TRN,SAT>");
}

}  // namespace
}  // namespace firmnet::test
