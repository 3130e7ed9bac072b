// Regression tests for the defects fuzzing found in the ONNX reader (../shared/fuzz-findings, see
// docs/FUZZING.md): each reproducer model when that folder is present, and an equivalent built in memory
// that runs without it. Every one must be a firmnet::Error naming the file and the problem.
#include <filesystem>

#include "frontends/onnx/qonnx_quant.h"
#include "frontends/onnx_test_util.h"

namespace firmnet::test {
namespace {

namespace fs = std::filesystem;

// A FINN-style model whose graph input 'x' carries the annotation finn_datatype = `dt`.
std::string annotated_model(const std::string& dt) {
  onnx::ModelProto m;
  EXPECT_TRUE(onnx::OnnxParser::Parse(m, R"(<ir_version: 8, opset_import: ["" : 11]>
  g (float[N,3] x) => (float[N,3] y) {
    t = Constant <value = float[3,2] {0.5, 1.5, -1, 0, 2, 3}> ()
    y = MultiThreshold <out_scale = 1.0, out_bias = 0.0> (x, t)
  })").IsOK());
  m.mutable_graph()->mutable_node(1)->set_domain("finn.custom_op.general");
  auto* qa = m.mutable_graph()->add_quantization_annotation();
  qa->set_tensor_name("x");
  auto* kv = qa->add_quant_parameter_tensor_names();
  kv->set_key("finn_datatype");
  kv->set_value(dt);
  return m.SerializeAsString();
}

// The firmnet::Error message of loading `bytes`; fails on success or on any other exception.
std::string error_of(const std::string& bytes, const std::string& name) {
  std::vector<Warning> w;
  try {
    frontends::load_onnx_bytes(bytes, name, w);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "foreign exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << name << " loaded without an error";
  return "";
}

// F3: an over-long number in a FINN datatype made std::stoi throw, reported as "internal error ... stoi".
TEST(FuzzFindings, F3FinnDatatypeFiles) {
  const fs::path dir(FIRMNET_SHARED_FUZZ_FINDINGS);
  for (const auto& [file, problem] :
       std::vector<std::pair<std::string, std::string>>{
           {"F3-finn-int-stoi.onnx", "finn_datatype 'INT99999999999' has the width 99999999999, which is out of range"},
           {"F3b-finn-fixed-stoi.onnx",
            "finn_datatype 'FIXED<8,-99999999999>' has the integer bits -99999999999, which is out of range"}}) {
    const fs::path p = dir / file;
    if (!fs::exists(p))
      GTEST_SKIP() << "fuzz reproducer " << p << " is absent (../shared/fuzz-findings is not checked out); "
                   << "the in-memory equivalent still runs";
    std::vector<Warning> w;
    try {
      frontends::load_onnx(p.string(), w);
      ADD_FAILURE() << p << " loaded without an error";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(p.string() + ": graph input 'x.1'"), std::string::npos) << m;
      EXPECT_NE(m.find(problem), std::string::npos) << m;
      EXPECT_EQ(m.find("internal error"), std::string::npos) << m;
    }
  }
}

TEST(FuzzFindings, F3FinnDatatypeInMemory) {
  EXPECT_EQ(error_of(annotated_model("INT99999999999"), "f.onnx"),
            "f.onnx: graph input 'x': the quantization annotation finn_datatype 'INT99999999999' has the width "
            "99999999999, which is out of range (hint: use a FINN datatype of at most 64 bits)");
  EXPECT_EQ(error_of(annotated_model("UINT99999999999"), "f.onnx"),
            "f.onnx: graph input 'x': the quantization annotation finn_datatype 'UINT99999999999' has the width "
            "99999999999, which is out of range (hint: use a FINN datatype of at most 64 bits)");
  EXPECT_EQ(error_of(annotated_model("FIXED<8,-99999999999>"), "f.onnx"),
            "f.onnx: graph input 'x': the quantization annotation finn_datatype 'FIXED<8,-99999999999>' has the "
            "integer bits -99999999999, which is out of range (hint: use a FINN datatype of at most 64 bits)");
  EXPECT_EQ(error_of(annotated_model("FIXED<99999999999, 2>"), "f.onnx"),
            "f.onnx: graph input 'x': the quantization annotation finn_datatype 'FIXED<99999999999, 2>' has the "
            "width 99999999999, which is out of range (hint: use a FINN datatype of at most 64 bits)");
  // Widths that fit in an int but not in firmnet's types were already rejected by validation.
  EXPECT_NE(error_of(annotated_model("INT100000"), "f.onnx").find("f.onnx: graph input 'x': "), std::string::npos);
}

TEST(FuzzFindings, FinnDatatypesStillRead) {
  std::vector<Warning> w;
  for (const auto& [dt, type] : std::vector<std::pair<std::string, std::string>>{
           {"INT4", "fixed<4,4,RND_CONV,SAT>"},
           {"UINT8", "ufixed<8,8,RND_CONV,SAT>"},
           {"FIXED<8,3>", "fixed<8,3,RND_CONV,SAT>"},
           {"FIXED<8, -2>", "fixed<8,-2,RND_CONV,SAT>"}}) {
    const auto g = frontends::load_onnx_bytes(annotated_model(dt), "f.onnx", w);
    EXPECT_EQ(g.tensor(g.inputs[0]).type->str(), type) << dt;
  }
  // Names that are no FINN datatype are a warning, as before, also very long ones (no regex recursion).
  for (const std::string& dt : {std::string("INT"), std::string("INTx"), std::string("INT-4"), std::string("FIXED<8>"),
                               std::string("FIXED<,3>"), std::string("FIXED<8,->"),
                               "FIXED<8," + std::string(200000, '9') + "x>"}) {
    w.clear();
    const auto g = frontends::load_onnx_bytes(annotated_model(dt), "f.onnx", w);
    ASSERT_FALSE(w.empty()) << dt;
    EXPECT_NE(w[0].str().find("is not understood"), std::string::npos) << w[0].str();
  }
  EXPECT_NE(error_of(annotated_model("INT" + std::string(200000, '9')), "f.onnx").find("which is out of range"),
            std::string::npos);
}

}  // namespace
}  // namespace firmnet::test

namespace firmnet::test {
namespace {

// Found by scripts/sanitize.sh (UBSan): an unsigned 63-bit quantizer's qmax computed 2^63 - 1 in int64_t.
TEST(FuzzFindings, UnsignedQuantizerOf63BitsHasNoOverflow) {
  frontends::qonnx::IntQuantSpec q;
  q.bits = 63;
  q.is_signed = false;
  EXPECT_EQ(q.qmax(), INT64_MAX);
  q.narrow = true;
  EXPECT_EQ(q.qmax(), INT64_MAX - 1);
  q.is_signed = true;
  q.narrow = false;
  EXPECT_EQ(q.qmax(), (int64_t{1} << 62) - 1);
  EXPECT_EQ(q.qmin(), -(int64_t{1} << 62));
}

}  // namespace
}  // namespace firmnet::test
