// ONNX LSTM / GRU / RNN → IR Recurrent nodes: the gate order (ONNX i, o, f, c → IR i, f, c, o), the weight layout
// (ONNX W [D, G*H, F] rows → IR weight [F, G*H] columns), biases (Wb → bias, Rb → recurrent_bias), directions
// (bidirectional: a forward and a reverse node and a Concat), outputs Y / Y_h, layout 0 and 1; and the attributes
// and inputs firmnet does not support, refused naming the node and what it is.
#include "frontends/onnx_test_util.h"
#include "ir/recurrent.h"

#include <fmt/format.h>

namespace firmnet::test {
namespace {
using ir::OpKind;

const char* kHeader = "<ir_version: 8, opset_import: [\"\" : 14]>\n";

// "{v0, v1, ...}" with v = base + k (distinct, identifiable values).
std::string values(int64_t n, int64_t base) {
  std::string s;
  for (int64_t k = 0; k < n; ++k) s += (k ? ", " : "") + fmt::format("{}.0", base + k);
  return "{" + s + "}";
}

TEST(OnnxRecurrent, BidirectionalLstmFinalStateIsTwoNodesAndAConcatWithGatesInIrOrder) {
  const int64_t D = 2, G = 4, H = 2, F = 3;
  const std::string text = std::string(kHeader) + "g (float[N,4,3] xb) => (float[N,2,2] out) <float[2,8,3] w = " +
                           values(D * G * H * F, 0) + ", float[2,8,2] r = " + values(D * G * H * H, 1000) +
                           ", float[2,16] b = " + values(D * 2 * G * H, 2000) +
                           "> { x = Transpose <perm = [1, 0, 2]> (xb)\n y, yh = LSTM <hidden_size = 2, direction = \"bidirectional\"> (x, w, r, b)\n"
                           " out = Transpose <perm = [1, 0, 2]> (yh) }";
  const auto g = load_text(text);
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Recurrent, OpKind::Recurrent, OpKind::Concat}));
  EXPECT_EQ(g.tensor(g.outputs.at(0)).shape, (ir::Shape{2, 2}));
  EXPECT_EQ(g.nodes[3].attr_int("axis"), 0);
  const int64_t onnx_gate[] = {0, 2, 3, 1};  // IR i, f, c, o in ONNX's i, o, f, c
  for (int64_t d = 0; d < D; ++d) {
    const ir::Node& n = g.nodes[static_cast<size_t>(1 + d)];
    const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
    EXPECT_EQ(a.cell, ir::CellKind::LSTM);
    EXPECT_EQ(a.reverse, d == 1);
    EXPECT_FALSE(a.return_sequences);
    EXPECT_EQ(a.steps, 4);
    EXPECT_EQ(a.features, F);
    EXPECT_EQ(a.units, H);
    EXPECT_EQ(n.attr_str("activation"), "tanh");
    EXPECT_EQ(n.attr_str("recurrent_activation"), "sigmoid");
    const auto& w = param_values(g, n, "weight");
    const auto& r = param_values(g, n, "recurrent_weight");
    const auto& b = param_values(g, n, "bias");
    const auto& rb = param_values(g, n, "recurrent_bias");
    for (int64_t gate = 0; gate < G; ++gate)
      for (int64_t j = 0; j < H; ++j) {
        const int64_t k = gate * H + j, row = d * G * H + onnx_gate[gate] * H + j;
        for (int64_t i = 0; i < F; ++i) EXPECT_EQ(w[static_cast<size_t>(i * G * H + k)], static_cast<double>(row * F + i));
        for (int64_t m = 0; m < H; ++m)
          EXPECT_EQ(r[static_cast<size_t>(m * G * H + k)], static_cast<double>(1000 + row * H + m));
        EXPECT_EQ(b[static_cast<size_t>(k)], static_cast<double>(2000 + d * 2 * G * H + onnx_gate[gate] * H + j));
        EXPECT_EQ(rb[static_cast<size_t>(k)], static_cast<double>(2000 + d * 2 * G * H + G * H + onnx_gate[gate] * H + j));
      }
  }
}

TEST(OnnxRecurrent, ReverseGruSequenceBatchFirstAndPlainRnn) {
  // layout 1: X [N, T, F], Y [N, T, D, H].
  const std::string gru = std::string(kHeader) + "g (float[N,4,3] x) => (float[N,4,1,2] y) <float[1,6,3] w = " +
                          values(18, 0) + ", float[1,6,2] r = " + values(12, 100) +
                          "> { y, yh = GRU <hidden_size = 2, direction = \"reverse\", linear_before_reset = 1, layout = 1> "
                          "(x, w, r) }";
  const auto g = load_text(gru);
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Recurrent}));
  const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, g.nodes[1]);
  EXPECT_EQ(a.cell, ir::CellKind::GRU);
  EXPECT_TRUE(a.reverse);
  EXPECT_TRUE(a.return_sequences);
  EXPECT_TRUE(a.linear_before_reset);
  EXPECT_EQ(g.tensor(g.outputs.at(0)).size(), 8);
  // IR weight[i][k] = W[0][k][i] (GRU gates keep their order): [i=0][k=1] is row 1, input 0 = 3
  EXPECT_EQ(param_values(g, g.nodes[1], "weight")[1], 3.0);
  EXPECT_EQ(param_values(g, g.nodes[1], "bias"), std::vector<double>(6, 0.0));  // no B: zeros
  const std::string rnn = std::string(kHeader) + "g (float[N,5,2] xb) => (float[N,1,3] out) <float[1,3,2] w = " +
                          values(6, 0) + ", float[1,3,3] r = " + values(9, 10) +
                          "> { x = Transpose <perm = [1, 0, 2]> (xb)\n y, yh = RNN <hidden_size = 3> (x, w, r)\n"
                         " out = Transpose <perm = [1, 0, 2]> (yh) }";
  const auto g2 = load_text(rnn);
  ASSERT_EQ(kinds(g2), (std::vector<OpKind>{OpKind::Input, OpKind::Recurrent}));
  EXPECT_EQ(g2.nodes[1].attr_str("cell"), "rnn");
  EXPECT_EQ(g2.nodes[1].attr_str("activation"), "tanh");
  EXPECT_FALSE(g2.nodes[1].has_attr("recurrent_activation"));
}

TEST(OnnxRecurrent, UnsupportedAttributesAndInputsAreRefusedByName) {
  auto lstm = [](const std::string& attrs, const std::string& extra_inputs = "", const std::string& outs = "y, yh",
                 const std::string& graph_out = "yh") {
    return std::string(kHeader) + "g (float[N,4,3] xb) => (float[N,1,2] out) <float[1,8,3] w = " + values(24, 0) +
           ", float[1,8,2] r = " + values(16, 0) + ", float[1,1,2] h0 = {0.5, 0.0}> { x = Transpose <perm = [1, 0, 2]> (xb)\n" +
           outs + " = LSTM <hidden_size = 2" + attrs + "> (x, w, r" + extra_inputs + ")\n out = Transpose <perm = [1, 0, 2]> (" +
           graph_out + ") }";
  };
  EXPECT_NE(load_error(lstm(", clip = 3.0")).find("attribute 'clip' is not supported"), std::string::npos);
  EXPECT_NE(load_error(lstm(", input_forget = 1")).find("input_forget"), std::string::npos);
  EXPECT_NE(load_error(lstm(", activations = [\"Relu\", \"Tanh\", \"Tanh\"]")).find("'Relu'"), std::string::npos);
  EXPECT_NE(load_error(lstm(", activations = [\"Sigmoid\", \"HardSigmoid\", \"HardSigmoid\"]")).find("hard_sigmoid"),
            std::string::npos);  // a gate function only
  const auto hs = load_text(lstm(", activations = [\"HardSigmoid\", \"Tanh\", \"Tanh\"]"));
  EXPECT_EQ(hs.nodes.at(1).attr_str("recurrent_activation"), "hard_sigmoid");
  EXPECT_NE(load_error(lstm("", ", , , h0")).find("initial_h is not a constant zero"), std::string::npos);
  EXPECT_NE(load_error(lstm("", "", "y, yh, yc", "yc")).find("Y_c"), std::string::npos);
  const std::string gru0 = std::string(kHeader) + "g (float[N,4,3] x) => (float[N,4,1,2] y) <float[1,6,3] w = " +
                           values(18, 0) + ", float[1,6,2] r = " + values(12, 0) +
                           "> { y, yh = GRU <hidden_size = 2, layout = 1> (x, w, r) }";
  const auto g0 = load_text(gru0);  // linear_before_reset 0 (the default) is read as such
  ASSERT_EQ(kinds(g0), (std::vector<OpKind>{OpKind::Input, OpKind::Recurrent}));
  EXPECT_FALSE(ir::RecurrentAttrs::of(g0, g0.nodes[1]).linear_before_reset);
  EXPECT_TRUE(ir::RecurrentAttrs::of(g0, g0.nodes[1]).reset_before());
}

}  // namespace
}  // namespace firmnet::test
