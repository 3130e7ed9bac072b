// Every op kind and every activation function, from IR text: parse, verify, print back, run the passes, emulate
// one sample, and write the HLS project. A new op or function that one of these stages does not handle fails
// here by name (the build already fails where a switch misses it).
#include <gtest/gtest.h>

#include <filesystem>

#include "backends/vitis/vitis_backend.h"
#include "config/config.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "ir/activations.h"
#include "ir/text.h"

namespace firmnet {
namespace {

namespace fs = std::filesystem;

const char* kHead = "firmnet-ir 1\ngraph \"g\"\nstage frontend\n";

// A graph x[4] -> op -> y, in text, for each op kind ("" where it needs more than that: listed below).
std::string op_text(ir::OpKind k) {
  const std::string in = std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [4]\n";
  const std::string y4 = "tensor %1 \"y\" activation [4]\n";
  auto node = [](const char* op, const std::string& fields) {
    return std::string("node \"n\" ") + op + "\n  inputs %0\n  outputs %1\n" + fields;
  };
  switch (k) {
    case ir::OpKind::Input: return "";  // graph inputs are tensors; the frontend emits no Input node
    case ir::OpKind::Dense:
      return in + "tensor %1 \"y\" activation [3]\ntensor %2 \"w\" constant [4,3]\n  values 1 2 3 4 5 6 7 8 9 10 11 12\n" +
             "tensor %3 \"b\" constant [3]\n  values 0.5 0 -0.5\n" + node("dense", "  param weight %2\n  param bias %3\n");
    case ir::OpKind::BatchNorm:
      return in + y4 + "tensor %2 \"s\" constant [4]\n  values 1 2 0.5 -1\ntensor %3 \"b\" constant [4]\n  values 0 1 0 1\n" +
             node("batchnorm", "  param scale %2\n  param bias %3\n");
    case ir::OpKind::Activation: return in + y4 + node("activation", "  attr function string \"relu\"\n");
    case ir::OpKind::Softmax: return in + y4 + node("softmax", "");
    case ir::OpKind::Elementwise:
      return in + y4 + "tensor %2 \"c\" constant [1]\n  values 0.25\n" +
             node("elementwise", "  param constant %2\n  attr op string \"mul\"\n");
    case ir::OpKind::Reshape: return in + "tensor %1 \"y\" activation [2,2]\n" + node("reshape", "");
    case ir::OpKind::Concat:
      return std::string(kHead) + "inputs %0 %2\noutputs %1\ntensor %0 \"x\" activation [4]\n" +
             "tensor %1 \"y\" activation [6]\ntensor %2 \"z\" activation [2]\n" +
             "node \"n\" concat\n  inputs %0 %2\n  outputs %1\n  attr axis int 0\n";
    case ir::OpKind::MultiThreshold:
      return in + y4 + "tensor %2 \"t\" constant [1,3]\n  values -1 0 1\n" +
             node("multithreshold", "  param thresholds %2\n  attr out_scale float 1\n  attr out_bias float 0\n");
    case ir::OpKind::Rescale:
      return in + y4 + "tensor %2 \"s\" constant [1]\n  values 0.5\n" + node("rescale", "  param scale %2\n");
    case ir::OpKind::Quantize:
      return in + y4 +
             node("quantize",
                  "  attr rounding_mode string \"CEIL\"\n  attr log2_scale int -2\n  attr zero_point int 0\n"
                  "  attr qmin int -8\n  attr qmax int 7\n");
    case ir::OpKind::ArgMax: return in + "tensor %1 \"y\" activation [1]\n" + node("argmax", "");
    case ir::OpKind::Conv:  // 3x3 map of 2 channels, 2x2 kernel, padding 1 at the end of each axis
      return std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [3,3,2]\n" +
             "tensor %1 \"y\" activation [3,3,1]\ntensor %2 \"w\" constant [2,2,2,1]\n  values 1 -2 3 0.5 -1 2 0.25 1\n" +
             "tensor %3 \"b\" constant [1]\n  values 0.5\n" +
             node("conv", "  param weight %2\n  param bias %3\n  attr kernel ints 2 2\n  attr pads ints 0 0 1 1\n");
    case ir::OpKind::Pool:  // average over 2x2 windows of a 3x3 map, stride 2, padding at the end
      return std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [3,3,2]\n" +
             "tensor %1 \"y\" activation [2,2,2]\ntensor %2 \"r\" constant [5]\n  values 0 1 0.5 0.3333333333333333 0.25\n" +
             node("pool", "  param reciprocal %2\n  attr mode string \"avg\"\n  attr kernel ints 2 2\n"
                          "  attr strides ints 2 2\n  attr pads ints 0 0 1 1\n");
    case ir::OpKind::Transpose:
      return std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [2,3]\n" +
             "tensor %1 \"y\" activation [3,2]\n" + node("transpose", "  attr perm ints 1 0\n");
    case ir::OpKind::Upsample:  // a 2x3 map of 2 channels repeated 2x on rows, 3x on columns
      return std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [2,3,2]\n" +
             "tensor %1 \"y\" activation [4,9,2]\n" + node("upsample", "  attr scales ints 2 3 1\n");
    case ir::OpKind::Slice:  // a 4x5 map of 2 channels cropped to rows 1..2 and columns 2..4
      return std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [4,5,2]\n" +
             "tensor %1 \"y\" activation [2,3,2]\n" + node("slice", "  attr starts ints 1 2 0\n");
    case ir::OpKind::Recurrent:  // an LSTM of 2 units over 3 steps of 2 features, the last state
      return std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [3,2]\n" +
             "tensor %1 \"y\" activation [2]\n" +
             "tensor %2 \"w\" constant [2,8]\n  values 0.5 -0.25 1 0.75 -1 0.5 0.25 -0.5 0.1 0.2 -0.3 0.4 0.5 -0.6 0.7 0.8\n" +
             "tensor %3 \"r\" constant [2,8]\n  values -0.5 0.25 0.5 -0.75 1 -0.5 0.125 0.5 0.3 -0.2 0.1 0.4 -0.5 0.6 0.2 -0.1\n" +
             "tensor %4 \"b\" constant [8]\n  values 0.1 0 -0.1 0.2 1 0 0.5 -0.5\n" +
             "tensor %5 \"rb\" constant [8]\n  values 0 0 0 0 0 0 0 0\n" +
             node("recurrent", "  param weight %2\n  param recurrent_weight %3\n  param bias %4\n"
                               "  param recurrent_bias %5\n  attr cell string \"lstm\"\n"
                               "  attr direction string \"forward\"\n  attr activation string \"tanh\"\n"
                               "  attr recurrent_activation string \"sigmoid\"\n");
    case ir::OpKind::GarNet:  // 4 vertices of 2 features and their count, 2 aggregators, 2 propagated, 2 out, mean
      return std::string(kHead) + "inputs %0 %2\noutputs %1\ntensor %0 \"x\" activation [4,2]\n" +
             "tensor %1 \"y\" activation [2]\ntensor %2 \"nv\" activation [1]\n" +
             "tensor %3 \"fw\" constant [2,2]\n  values 0.5 -0.25 1 0.75\ntensor %4 \"fb\" constant [2]\n  values 0.1 -0.2\n" +
             "tensor %5 \"sw\" constant [2,2]\n  values -1 0.5 0.25 -0.5\ntensor %6 \"sb\" constant [2]\n  values 0 0.5\n" +
             "tensor %7 \"ow\" constant [4,2]\n  values 0.3 -0.2 0.1 0.4 -0.5 0.6 0.2 -0.1\n" +
             "tensor %8 \"ob\" constant [2]\n  values 0.25 -0.125\ntensor %9 \"r\" constant [1]\n  values 0.25\n" +
             "node \"n\" garnet\n  inputs %0 %2\n  outputs %1\n  param flr_weight %3\n  param flr_bias %4\n"
             "  param s_weight %5\n  param s_bias %6\n  param fout_weight %7\n  param fout_bias %8\n"
             "  param reciprocal %9\n  attr collapse string \"mean\"\n";
  }
  return "";
}

// Parse, check the round trip, compile, emulate one sample and write the project; returns the compiled graph.
ir::Graph through_everything(const std::string& text, const std::string& label) {
  SCOPED_TRACE(label);
  ir::TextGraph t = ir::parse_text(text, label + ".fnir");
  EXPECT_EQ(ir::print_text(ir::parse_text(ir::print_text(t.graph, t.stage), "again").graph, t.stage),
            ir::print_text(t.graph, t.stage));
  driver::Compiled c = driver::compile_graph(std::move(t.graph), t.stage, config::Config::defaults());
  std::vector<std::vector<double>> in;
  for (ir::TensorId id : c.graph.inputs) in.emplace_back(static_cast<size_t>(c.graph.tensor(id).size()), -0.75);
  const auto r = emulator::Emulator(c.graph).run(in, 1);
  EXPECT_EQ(r.outputs.size(), c.graph.outputs.size());
  const fs::path dir = fs::temp_directory_path() / ("firmnet_vocab_" + label);
  fs::remove_all(dir);
  try {  // every op kind is written (no refusal)
    backends::write_vitis_project(c.graph, c.config, dir);
    EXPECT_TRUE(fs::exists(dir / "firmware" / "myproject.cpp"));
  } catch (const Error& e) {
    ADD_FAILURE() << "the Vitis backend refused " << label << ": " << e.what();
  }
  fs::remove_all(dir);
  return c.graph;
}

TEST(Vocabulary, EveryOpKindParsesVerifiesEmulatesAndEmits) {
  int covered = 0;
  for (ir::OpKind k : ir::all_op_kinds()) {
    const std::string text = op_text(k);
    if (text.empty()) continue;
    ir::Graph g = through_everything(text, ir::name(k));
    bool found = false;
    for (const auto& n : g.nodes) found = found || n.kind == k;
    // A pure Reshape may be removed as a no-op; quantizers reading a float graph input become its conversion.
    const bool absorbed = g.tensor(g.inputs.at(0)).quantizer.has_value();
    EXPECT_TRUE(found || k == ir::OpKind::Reshape || absorbed) << ir::name(k);
    ++covered;
  }
  EXPECT_EQ(covered + 1, static_cast<int>(ir::all_op_kinds().size()));  // all but Input
}

TEST(Vocabulary, EveryActivationFunctionParsesVerifiesEmulatesAndEmits) {
  for (ir::ActivationFn f : ir::all_activations()) {
    std::string text = std::string(kHead) + "inputs %0\noutputs %1\ntensor %0 \"x\" activation [4]\n"
                                            "tensor %1 \"y\" activation [4]\n";
    std::string params;
    int id = 2;
    for (const char* p : ir::required_params(f)) {
      text += "tensor %" + std::to_string(id) + " \"" + p + "\" constant [1]\n  values 0.5\n";
      params += std::string("  param ") + p + " %" + std::to_string(id++) + "\n";
    }
    text += std::string("node \"n\" activation\n  inputs %0\n  outputs %1\n  attr function string \"") + ir::name(f) +
            "\"\n" + params;
    const ir::Graph g = through_everything(text, ir::name(f));
    // Each function has a LayerType the configuration accepts, and exactly one way of being computed.
    EXPECT_EQ(config::canonical_layer_type(ir::layer_type(f)), std::string(ir::layer_type(f)));
    EXPECT_NE(ir::exact_fn(f).has_value(), ir::table_form(f).has_value()) << ir::name(f);
    EXPECT_EQ(ir::activation_from_name(ir::name(f)), f);
    if (ir::table_form(f)) {
      EXPECT_TRUE(g.nodes.back().tables.count("table")) << ir::name(f);
    }
    // A required parameter that is missing is an error naming it.
    for (const char* p : ir::required_params(f)) {
      const std::string without = text.substr(0, text.find("  param ")) ;
      try {
        ir::parse_text(without, "missing.fnir");
        ADD_FAILURE() << ir::name(f) << " without " << p;
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("has no parameter"), std::string::npos) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace firmnet
