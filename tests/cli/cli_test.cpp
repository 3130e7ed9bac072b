// The command line as a user meets it: the four commands on a built jet tagger, and every kind of bad
// input giving one clear error line, a non-zero exit, no crash and no output directory left behind.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <thread>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/model_builder.h"
#include "support/data_io.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

struct Run {
  int code;
  std::string out, err;
};

// ctest runs tests in parallel processes: each test works in a folder of its own.
fs::path work_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path p = fs::path(FIRMNET_BINARY_DIR) / "cli_test_work" / (info ? info->name() : "shared");
  fs::create_directories(p);
  return p;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Run run_firmnet(const std::string& args) {
  fs::create_directories(work_dir());
  const fs::path out = work_dir() / "stdout.txt", err = work_dir() / "stderr.txt";
  std::string cmd = std::string(FIRMNET_EXE) + " " + args + " >" + out.string() + " 2>" + err.string() + " </dev/null";
  int status = std::system(cmd.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return {code, slurp(out), slurp(err)};
}

void write(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

std::string jet() {
  fs::create_directories(work_dir());
  const fs::path p = work_dir() / "jet.onnx";
  if (!fs::exists(p))
    testmodels::write_mlp(p.string(), 16, {{64, "Relu"}, {32, "Relu"}, {32, "Relu"}, {5, "Softmax"}}, 3);
  return p.string();
}

std::string inputs(int64_t n, int64_t width, const std::string& name) {
  support::Array a{{n, width}, {}};
  testmodels::Rng rng{99};
  for (int64_t i = 0; i < n * width; ++i) a.data.push_back(rng.normal());
  const std::string p = (work_dir() / name).string();
  support::write_npy(p, a);
  return p;
}

// One clear line: "firmnet: error: ..." and nothing that looks like a crash.
void expect_clean_error(const Run& r, const std::string& must_contain) {
  EXPECT_NE(r.code, 0);
  EXPECT_LT(r.code, 128) << "killed by a signal: " << r.err;
  EXPECT_EQ(r.err.rfind("firmnet: error: ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(must_contain), std::string::npos) << "expected '" << must_contain << "' in: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace

TEST(Cli, ConvertPredictCsimAgreeByteForByte) {
  const std::string x = inputs(300, 16, "x300.npy");
  const fs::path prj = work_dir() / "prj_ok";
  fs::remove_all(prj);
  auto c = run_firmnet("convert " + jet() + " -o " + prj.string() + " --input " + x);
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(fs::exists(prj / "build_prj.tcl"));
  auto p = run_firmnet("predict " + jet() + " --input " + x + " --output " + (work_dir() / "y_emu.npy").string());
  ASSERT_EQ(p.code, 0) << p.err;
  auto s = run_firmnet("csim " + prj.string() + " --input " + x + " --output " + (work_dir() / "y_csim.npy").string());
  ASSERT_EQ(s.code, 0) << s.err;
  const std::string a = slurp(work_dir() / "y_emu.npy"), b = slurp(work_dir() / "y_csim.npy");
  ASSERT_GT(a.size(), 300u * 5 * 8);
  EXPECT_EQ(a, b) << "predict and csim must write identical files";
  auto y = support::read_npy((work_dir() / "y_emu.npy").string());
  EXPECT_EQ(y.shape, (std::vector<int64_t>{300, 5}));
}

TEST(Cli, PredictFloatAndTrace) {
  const std::string x = inputs(20, 16, "x20.npy");
  const fs::path tr = work_dir() / "trace";
  fs::remove_all(tr);
  auto p = run_firmnet("predict " + jet() + " --input " + x + " --output " + (work_dir() / "yf.npy").string() + " --float");
  ASSERT_EQ(p.code, 0) << p.err;
  auto t = run_firmnet("predict " + jet() + " --input " + x + " --output " + (work_dir() / "yt.npy").string() + " --trace " + tr.string());
  ASSERT_EQ(t.code, 0) << t.err;
  size_t files = 0;
  for (auto& e : fs::directory_iterator(tr)) files += e.path().extension() == ".npy";
  EXPECT_GE(files, 8u);  // every layer's output
  auto yf = support::read_npy((work_dir() / "yf.npy").string());
  auto yt = support::read_npy((work_dir() / "yt.npy").string());
  ASSERT_EQ(yf.data.size(), yt.data.size());
  for (size_t i = 0; i < yf.data.size(); ++i) EXPECT_NEAR(yf.data[i], yt.data[i], 0.05);
}

TEST(Cli, InspectShowsLayersTypesAndMultipliers) {
  auto r = run_firmnet("inspect " + jet());
  ASSERT_EQ(r.code, 0) << r.err;
  // 4,256 in the Dense layers (16·64 + 64·32 + 32·32 + 32·5) and 6 in the softmax (e_k · v, and the
  // interpolation of the inverse once per row).
  EXPECT_NE(r.out.find("4262 multipliers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(dense)"), std::string::npos);
  EXPECT_NE(r.out.find("(softmax)"), std::string::npos);
  EXPECT_NE(r.out.find("accum"), std::string::npos);
  EXPECT_NE(r.out.find("fixed<"), std::string::npos);
}

// The IR text form as a model: what `inspect --ir` writes (after any pass) predicts and converts exactly as the
// model it came from; a hand edit is applied; a broken file names its line.
TEST(Cli, IrTextIsAModel) {
  const std::string x = inputs(100, 16, "x100.npy");
  const fs::path full = work_dir() / "jet.fnir", early = work_dir() / "jet_early.fnir";
  auto i = run_firmnet("inspect --ir " + jet());
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_EQ(i.out.rfind("firmnet-ir 1\n", 0), 0u);
  write(full, i.out);
  auto e = run_firmnet("inspect --ir --stop-after fuse_batchnorm " + jet());
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("\nstage fuse_batchnorm\n"), std::string::npos);
  write(early, e.out);
  for (const auto& [model, out] : {std::pair{jet(), "y_onnx.npy"}, {full.string(), "y_full.npy"}, {early.string(), "y_early.npy"}}) {
    auto p = run_firmnet("predict " + model + " --input " + x + " --output " + (work_dir() / out).string());
    ASSERT_EQ(p.code, 0) << model << ": " << p.err;
  }
  const std::string y = slurp(work_dir() / "y_onnx.npy");
  ASSERT_GT(y.size(), 100u * 5 * 8);
  EXPECT_EQ(slurp(work_dir() / "y_full.npy"), y);
  EXPECT_EQ(slurp(work_dir() / "y_early.npy"), y);
  // Re-inspecting the text gives the same text.
  EXPECT_EQ(run_firmnet("inspect --ir " + full.string()).out, i.out);
  // The same project from the model and from its text.
  for (const auto& [model, dir] : {std::pair{jet(), "prj_onnx"}, {full.string(), "prj_fnir"}}) {
    fs::remove_all(work_dir() / dir);
    auto c = run_firmnet("convert " + model + " -o " + (work_dir() / dir).string());
    ASSERT_EQ(c.code, 0) << c.err;
  }
  EXPECT_EQ(slurp(work_dir() / "prj_onnx/firmware/parameters.h"), slurp(work_dir() / "prj_fnir/firmware/parameters.h"));
  EXPECT_EQ(slurp(work_dir() / "prj_onnx/firmware/myproject.cpp"), slurp(work_dir() / "prj_fnir/firmware/myproject.cpp"));
  // A hand edit: the last layer's reuse factor.
  std::string edited = i.out;
  const size_t last = edited.rfind("  reuse 1\n");
  ASSERT_NE(last, std::string::npos);
  edited.replace(last, 10, "  reuse 5\n");
  write(work_dir() / "edited.fnir", edited);
  auto r = run_firmnet("inspect " + (work_dir() / "edited.fnir").string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("reuse 5"), std::string::npos) << r.out;
  // Broken text: one clear line with the file and line number.
  std::string broken = i.out;
  broken.replace(broken.find("graph \""), 5, "grahp");
  write(work_dir() / "broken.fnir", broken);
  expect_clean_error(run_firmnet("predict " + (work_dir() / "broken.fnir").string() + " --input " + x + " --output " +
                                 (work_dir() / "yb.npy").string()),
                     "broken.fnir:2: unknown record 'grahp'");
  // A pass that already ran cannot be asked for again.
  expect_clean_error(run_firmnet("inspect --stop-after remove_noops " + full.string()), "pass 'remove_noops' already ran");
}

// A PyTorch NCHW CNN: predict and csim read x in the model's layout ([N, 3, 10, 10]) and write y in it
// ([N, 8, 10, 10], as onnxruntime gives it), although the firmware holds the maps channels-last; the
// project's marker records the port layouts for csim. Firmware == emulator byte for byte.
TEST(Cli, CnnPredictAndCsimUseTheModelsLayout) {
  const fs::path cases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "cnn";
  if (!fs::exists(cases / "conv2d_3x3_same.onnx")) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  const std::string model = (cases / "conv2d_3x3_same.onnx").string(), x = (cases / "conv2d_3x3_same_x.npy").string();
  const fs::path prj = work_dir() / "prj_cnn";
  fs::remove_all(prj);
  auto c = run_firmnet("convert " + model + " -o " + prj.string());
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(slurp(prj / ".firmnet-project").find("\nlayout 10,10,3 2,0,1 3,10,10\n"), std::string::npos);
  auto p = run_firmnet("predict " + model + " --input " + x + " --output " + (work_dir() / "cnn_y.npy").string());
  ASSERT_EQ(p.code, 0) << p.err;
  auto s = run_firmnet("csim " + prj.string() + " --input " + x + " --output " + (work_dir() / "cnn_y_csim.npy").string());
  ASSERT_EQ(s.code, 0) << s.err;
  const auto y = support::read_npy((work_dir() / "cnn_y.npy").string());
  EXPECT_EQ(y.shape, (std::vector<int64_t>{100, 8, 10, 10}));
  EXPECT_EQ(slurp(work_dir() / "cnn_y_csim.npy"), slurp(work_dir() / "cnn_y.npy"));
  // The model's order: compare with onnxruntime's reference (ReLU outputs, default types).
  const auto ref = support::read_npy((cases / "conv2d_3x3_same_y.npy").string());
  ASSERT_EQ(ref.data.size(), y.data.size());
  double err = 0;
  for (size_t i = 0; i < y.data.size(); ++i) err = std::max(err, std::fabs(y.data[i] - ref.data[i]));
  EXPECT_LT(err, 0.01);
}

// io_stream through the command line: inspect shows the FIFO depths, csim drives the stream ports and reads
// and writes the model's own (NCHW) layout, byte for byte what predict writes.
TEST(Cli, StreamInspectShowsFifoDepthsAndCsimEqualsPredict) {
  const fs::path cases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "cnn";
  if (!fs::exists(cases / "conv2d_3x3_same.onnx")) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  const std::string model = (cases / "conv2d_3x3_same.onnx").string(), x = (cases / "conv2d_3x3_same_x.npy").string();
  const fs::path cfg = work_dir() / "stream.yml";
  {
    std::ofstream f(cfg);
    f << "IOType: io_stream\n";
  }
  auto i = run_firmnet("inspect " + model + " -c " + cfg.string());
  ASSERT_EQ(i.code, 0) << i.err;
  EXPECT_NE(i.out.find("io_stream FIFOs: "), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("producer -> consumer"), std::string::npos) << i.out;
  EXPECT_EQ(run_firmnet("inspect " + model).out.find("io_stream FIFOs"), std::string::npos);
  const fs::path prj = work_dir() / "prj_cnn_stream";
  fs::remove_all(prj);
  auto c = run_firmnet("convert " + model + " -c " + cfg.string() + " -o " + prj.string());
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(slurp(prj / "firmware" / "myproject.cpp").find("firmnet_hls::conv_stream<"), std::string::npos);
  auto p = run_firmnet("predict " + model + " -c " + cfg.string() + " --input " + x + " --output " +
                       (work_dir() / "cnn_stream_y.npy").string());
  ASSERT_EQ(p.code, 0) << p.err;
  auto s = run_firmnet("csim " + prj.string() + " --input " + x + " --output " + (work_dir() / "cnn_stream_csim.npy").string());
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(slurp(work_dir() / "cnn_stream_csim.npy"), slurp(work_dir() / "cnn_stream_y.npy"));
}

TEST(Cli, MissingModelFile) {
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "nope.onnx").string()), "nope.onnx");
}

TEST(Cli, EmptyGarbageAndTruncatedModels) {
  write(work_dir() / "empty.onnx", "");
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "empty.onnx").string()), "empty.onnx");
  // 33 bytes (the length was 36: ASan found the test reading past the literal).
  write(work_dir() / "garbage.onnx", std::string("\x08\x07garbage\xff\xfe not a protobuf at all"));
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "garbage.onnx").string()), "garbage.onnx");
  const std::string full = slurp(jet());
  write(work_dir() / "trunc.onnx", full.substr(0, full.size() / 2));
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "trunc.onnx").string()), "trunc.onnx");
}

TEST(Cli, ConvertFailureLeavesNoDirectory) {
  write(work_dir() / "bad.yml", "HLSConfig:\n  Model:\n    Precision: fixed<70,6>\n");
  const fs::path prj = work_dir() / "prj_fail";
  fs::remove_all(prj);
  auto r = run_firmnet("convert " + jet() + " -c " + (work_dir() / "bad.yml").string() + " -o " + prj.string());
  expect_clean_error(r, "fixed<70,6>");
  EXPECT_FALSE(fs::exists(prj));
}

TEST(Cli, UnknownConfigKeySuggestsNearest) {
  write(work_dir() / "typo.yml", "HLSConfig:\n  Model:\n    ReuseFactr: 2\n");
  expect_clean_error(run_firmnet("inspect " + jet() + " -c " + (work_dir() / "typo.yml").string()), "ReuseFactor");
}

TEST(Cli, InvalidReuseFactorListsValidOnes) {
  write(work_dir() / "rf.yml", "HLSConfig:\n  LayerType:\n    Dense:\n      ReuseFactor: 3\n");
  auto r = run_firmnet("inspect " + jet() + " -c " + (work_dir() / "rf.yml").string());
  expect_clean_error(r, "ReuseFactor 3");
  EXPECT_NE(r.err.find("valid"), std::string::npos) << r.err;
}

TEST(Cli, UnsupportedOpNamesNodeAndOp) {
  // A model with an op firmnet does not support (LpNormalization) must fail at load time, by name.
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto& g = *m.mutable_graph();
  auto* in = g.add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(1);
  tt->mutable_shape()->add_dim()->set_dim_value(4);
  auto* n = g.add_node();
  n->set_op_type("LpNormalization");
  n->set_name("norm1");
  n->add_input("x");
  n->add_output("y");
  g.add_output()->set_name("y");
  std::ofstream f(work_dir() / "unsupported.onnx", std::ios::binary);
  m.SerializeToOstream(&f);
  f.close();
  auto r = run_firmnet("inspect " + (work_dir() / "unsupported.onnx").string());
  expect_clean_error(r, "LpNormalization");
  EXPECT_NE(r.err.find("norm1"), std::string::npos) << r.err;
}

TEST(Cli, WrongInputShape) {
  const std::string x = inputs(10, 15, "x_wrong.npy");
  expect_clean_error(run_firmnet("predict " + jet() + " --input " + x + " --output " + (work_dir() / "y.npy").string()), "[10,15]");
}

TEST(Cli, BadInputFiles) {
  write(work_dir() / "bad.npy", "\x93NUMPY garbage");
  expect_clean_error(run_firmnet("predict " + jet() + " --input " + (work_dir() / "bad.npy").string() + " --output " +
                             (work_dir() / "y.npy").string()),
                     "bad.npy");
  write(work_dir() / "bad.csv", "1,2,3\n4,5\n");
  expect_clean_error(run_firmnet("predict " + jet() + " --input " + (work_dir() / "bad.csv").string() + " --output " +
                             (work_dir() / "y.npy").string()),
                     "bad.csv");
}

TEST(Cli, UnparsablePrecision) {
  write(work_dir() / "prec.yml", "HLSConfig:\n  Model:\n    Precision: fixd<16,6>\n");
  expect_clean_error(run_firmnet("inspect " + jet() + " -c " + (work_dir() / "prec.yml").string()), "fixd<16,6>");
}

TEST(Cli, HelpExplainsCommands) {
  auto r = run_firmnet("--help");
  EXPECT_EQ(r.code, 0);
  for (const char* cmd : {"convert", "predict", "inspect", "csim"}) EXPECT_NE(r.out.find(cmd), std::string::npos) << cmd;
}

TEST(Cli, EstimatePrintsTheTableAndWritesJson) {
  const fs::path json = work_dir() / "est.json";
  const auto r = run_firmnet("estimate " + jet() + " --json " + json.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("DSP"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("utilisation of VU13P"), std::string::npos) << r.out;
  const std::string j = slurp(json);
  EXPECT_NE(j.find("\"bram_18k\""), std::string::npos) << j;
  EXPECT_NE(j.find("\"feasibility\""), std::string::npos) << j;
}

TEST(Cli, ConvertWritesEstimateJsonAndReportReadsVendorReports) {
  const fs::path prj = work_dir() / "prj";
  const auto c = run_firmnet("convert " + jet() + " -o " + prj.string());
  ASSERT_EQ(c.code, 0) << c.err;
  ASSERT_TRUE(fs::exists(prj / "estimate.json"));
  // For Vivado HLS, the 64x32 layer's 2048 weights exceed the partition limit: a warning with the fix.
  write(work_dir() / "vivado.yml", "Backend: Vivado\n");
  const auto v = run_firmnet("convert " + jet() + " -c " + (work_dir() / "vivado.yml").string() + " -o " +
                             (work_dir() / "prj_vivado").string());
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(v.err.find("2,048 weights"), std::string::npos) << v.err;
  EXPECT_NE(v.err.find("Strategy: Resource with ReuseFactor 2 or larger"), std::string::npos) << v.err;
  EXPECT_NE(slurp(work_dir() / "prj_vivado" / "estimate.json").find("2,048 weights"), std::string::npos);
  // io_stream projects get theirs the same way (the DATAFLOW region: a process per layer, the FIFOs).
  write(work_dir() / "stream.yml", "IOType: io_stream\n");
  const auto s = run_firmnet("convert " + jet() + " -c " + (work_dir() / "stream.yml").string() + " -o " +
                             (work_dir() / "prj_stream").string());
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(s.err.find("no estimate.json"), std::string::npos) << s.err;
  const std::string sj = slurp(work_dir() / "prj_stream" / "estimate.json");
  EXPECT_NE(sj.find("\"op\": \"fifo\""), std::string::npos) << sj;
  // Without synthesis reports: a clear error.
  const auto none = run_firmnet("report " + prj.string());
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("csynth"), std::string::npos) << none.err;
  const fs::path pair = fs::path(FIRMNET_SHARED_MODELS).parent_path() / "estimation" / "reports" /
                        "hls4ml_test_report_dense16x5";
  if (!fs::exists(pair)) GTEST_SKIP() << "shared report pair absent: " << pair;
  // The shared reports placed where Vivado HLS writes them: estimate and report side by side.
  const fs::path rep = prj / "myproject_prj" / "solution1" / "syn" / "report";
  fs::create_directories(rep);
  fs::copy_file(pair / "myproject_csynth.rpt", rep / "myproject_csynth.rpt", fs::copy_options::overwrite_existing);
  fs::copy_file(pair / "vivado_synth.rpt", prj / "vivado_synth.rpt", fs::copy_options::overwrite_existing);
  // A sub-module's report with a shorter name: the top's (build_prj.tcl's set_top) is the one read.
  write(rep / "relu_csynth.rpt", "a sub-module report\n");
  const auto r = run_firmnet("report " + prj.string());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("estimate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2532"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1526"), std::string::npos) << r.out;
  const auto j = run_firmnet("report " + prj.string() + " --json");
  ASSERT_EQ(j.code, 0) << j.err;
  EXPECT_NE(j.out.find("\"dsp\": 73"), std::string::npos) << j.out;
  EXPECT_NE(j.out.find("\"dsp\": 66"), std::string::npos) << j.out;
}

// Keras models on the command line: a .json with --weights (or the weights found beside it, or named by an
// hls4ml configuration's KerasJson/KerasH5), a full .h5, a .keras; each gives the same outputs.
TEST(Cli, KerasFileFormsAndWeights) {
  const fs::path cases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "keras";
  if (!fs::exists(cases / "dense_bn_act_a.json")) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  const std::string x = (cases / "dense_bn_act_a_x.npy").string();
  const std::string json = (cases / "dense_bn_act_a.json").string(), h5 = (cases / "dense_bn_act_a.h5").string();
  const std::string w = (cases / "dense_bn_act_a_weights.h5").string();
  const auto out = [&](const char* n) { return (work_dir() / n).string(); };
  ASSERT_EQ(run_firmnet("predict " + json + " --weights " + w + " --input " + x + " --output " + out("a.npy")).code, 0);
  ASSERT_EQ(run_firmnet("predict " + json + " --input " + x + " --output " + out("b.npy")).code, 0);  // weights beside it
  ASSERT_EQ(run_firmnet("predict " + h5 + " --input " + x + " --output " + out("c.npy")).code, 0);
  write(work_dir() / "cfg.yml", "KerasJson: " + json + "\nKerasH5: " + w + "\n");
  const auto r = run_firmnet("predict -c " + out("cfg.yml") + " --input " + x + " --output " + out("d.npy"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const std::string a = slurp(out("a.npy"));
  ASSERT_GT(a.size(), 100u * 5 * 8);
  EXPECT_EQ(a, slurp(out("b.npy")));
  EXPECT_EQ(a, slurp(out("c.npy")));
  EXPECT_EQ(a, slurp(out("d.npy")));
  // The command line's model wins over the configuration's, with a warning.
  const auto both = run_firmnet("inspect " + h5 + " -c " + out("cfg.yml"));
  EXPECT_EQ(both.code, 0);
  EXPECT_NE(both.err.find("key 'KerasJson' ignored: the model comes from the command line"), std::string::npos) << both.err;
}

TEST(Cli, KerasErrors) {
  const fs::path cases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "keras";
  if (!fs::exists(cases / "dense_bn_act_a.json")) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  // --weights with a model that holds its own.
  expect_clean_error(run_firmnet("inspect " + (cases / "dense_bn_act_a.h5").string() + " --weights " +
                                 (cases / "dense_bn_act_a_weights.h5").string()),
                     "--weights is only for a Keras architecture .json");
  // A .json without weights beside it.
  fs::copy_file(cases / "dense_bn_act_a.json", work_dir() / "alone.json", fs::copy_options::overwrite_existing);
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "alone.json").string()),
                     "layer 'dense' (Dense): needs weights, but no weights file was given");
  // Weights of another architecture.
  expect_clean_error(run_firmnet("inspect " + (cases / "dense_bn_act_a.json").string() + " --weights " +
                                 (cases / "qkeras_jet_logits_weights.h5").string()),
                     "layer 'dense' (Dense): has 0 weight array(s) in the weights file");
  // Truncated .h5 and .keras.
  const std::string h5 = slurp(cases / "dense_bn_act_a.h5");
  write(work_dir() / "cut.h5", h5.substr(0, h5.size() / 2));
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "cut.h5").string()), "cut.h5");
  const std::string k = slurp(cases / "k3_jet_tagger.keras");
  write(work_dir() / "cut.keras", k.substr(0, k.size() / 2));
  expect_clean_error(run_firmnet("inspect " + (work_dir() / "cut.keras").string()), "cut.keras: is not a valid .keras archive");
  // No model at all.
  expect_clean_error(run_firmnet("inspect"), "no model given");
  write(work_dir() / "missing.yml", "KerasJson: nowhere/model.json\n");
  expect_clean_error(run_firmnet("inspect -c " + (work_dir() / "missing.yml").string()),
                     "key 'KerasJson': the file 'nowhere/model.json' is not found");
}

// fuzz_keras's first finding: two zeroed bytes in the global heap of an .h5 make libhdf5 1.10 loop forever in
// H5Aread. This writes conv1d_same_valid.h5 with those bytes zeroed as work_dir()/name; empty when ../shared is absent.
static fs::path write_hanging_hdf5(const std::string& name) {
  const fs::path src = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "keras" / "conv1d_same_valid.h5";
  if (!fs::exists(src)) return {};
  std::string b = slurp(src);
  if (b.size() <= 8584) ADD_FAILURE() << src << " is shorter than the corrupted offsets";
  else b[8576] = 0, b[8584] = 0;
  write(work_dir() / name, b);
  return work_dir() / name;
}

// The reader (libhdf5 in a child process) gives up after FIRMNET_HDF5_TIMEOUT_S with one error line.
TEST(Cli, KerasHdf5LibraryHangEndsWithAnError) {
  const fs::path p = write_hanging_hdf5("heap.h5");
  if (p.empty()) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  const fs::path err = work_dir() / "stderr.txt";
  const std::string cmd = "FIRMNET_HDF5_TIMEOUT_S=2 " + std::string(FIRMNET_EXE) + " inspect " + p.string() + " >/dev/null 2>" +
                          err.string() + " </dev/null";
  const int status = std::system(cmd.c_str());
  const ::Run r{WIFEXITED(status) ? WEXITSTATUS(status) : 128, "", slurp(err)};
  expect_clean_error(r, "heap.h5: libhdf5 did not finish reading the file in 2 s: it is corrupt");
}

// The same hang, and firmnet killed while libhdf5 loops: the reader's child process dies with it (seen while
// fuzzing: a child outlived its parent by 10 minutes, since only the parent's timeout stops it).
TEST(Cli, KerasHdf5ReaderChildDiesWithItsParent) {
  const fs::path p = write_hanging_hdf5("heap_orphan.h5");
  if (p.empty()) GTEST_SKIP() << "../shared/models/cases/keras is absent";
  const pid_t parent = ::fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    ::setenv("FIRMNET_HDF5_TIMEOUT_S", "60", 1);
    if (std::freopen("/dev/null", "w", stdout) && std::freopen("/dev/null", "w", stderr))
      ::execl(FIRMNET_EXE, FIRMNET_EXE, "inspect", p.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Wait (up to 10 s) for firmnet's reader child to appear.
  pid_t child = 0;
  for (int i = 0; i < 100 && child == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::ifstream c("/proc/" + std::to_string(parent) + "/task/" + std::to_string(parent) + "/children");
    c >> child;
  }
  ::kill(parent, SIGKILL);
  int status = 0;
  ::waitpid(parent, &status, 0);
  ASSERT_GT(child, 0) << "firmnet started no reader process";
  bool gone = false;  // SIGKILL from the kernel on the parent's death; the child is reaped by init
  for (int i = 0; i < 50 && !gone; ++i) {
    std::ifstream st("/proc/" + std::to_string(child) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(st)), std::istreambuf_iterator<char>());
    gone = stat.empty() || stat.find(") Z ") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(gone) << "the reader process " << child << " outlived firmnet";
  if (!gone) ::kill(child, SIGKILL);
}

// convert --fit-inputs: an input with no configured precision is sized from the data (16 bits, the fewest
// integer bits that hold its range) instead of fixed<16,6>; the project's testbench data then saturate nowhere.
TEST(Cli, ConvertFitsInputTypesToTheData) {
  const std::string x = inputs(300, 16, "x_fit.npy");  // N(0, 1): 300x16 values within (-4, 4)
  const auto a = support::read_npy(x);
  const auto [lo, hi] = std::minmax_element(a.data.begin(), a.data.end());
  ASSERT_GT(std::max(-*lo, *hi), 2.0);
  ASSERT_LT(std::max(-*lo, *hi), 4.0);
  const fs::path fit = work_dir() / "prj_fit", plain = work_dir() / "prj_plain";
  fs::remove_all(fit);
  fs::remove_all(plain);
  auto c = run_firmnet("convert " + jet() + " -o " + fit.string() + " --input " + x + " --fit-inputs");
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_NE(slurp(fit / "firmware" / "defines.h").find("typedef ap_fixed<16,3,AP_RND_CONV,AP_SAT> input_t;"),
            std::string::npos);
  auto d = run_firmnet("convert " + jet() + " -o " + plain.string() + " --input " + x);
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_NE(slurp(plain / "firmware" / "defines.h").find("typedef ap_fixed<16,6,AP_RND_CONV,AP_SAT> input_t;"),
            std::string::npos);
  expect_clean_error(run_firmnet("convert " + jet() + " -o " + (work_dir() / "prj_nodata").string() + " --fit-inputs"),
                     "--fit-inputs: needs data");
  // predict --fit-inputs emulates exactly the fitted firmware.
  auto s = run_firmnet("csim " + fit.string() + " --input " + x + " --output " + (work_dir() / "y_fit_csim.npy").string());
  ASSERT_EQ(s.code, 0) << s.err;
  auto p = run_firmnet("predict " + jet() + " --fit-inputs --input " + x + " --output " + (work_dir() / "y_fit.npy").string());
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_EQ(slurp(work_dir() / "y_fit.npy"), slurp(work_dir() / "y_fit_csim.npy"));
}

namespace firmnet_cli_garnet {

// hls4ml's GarNet example (two inputs: the vertices and their count): predict --float on the one-file
// tb_input_features-style .dat (each row: x then n_vertices) writes the model's outputs within what the files'
// 6-decimal print allows; convert reads the model from the configuration's KerasJson/KerasH5 or from json + --weights.
TEST(Cli, GarNetPredictFloatAndConvert) {
  const fs::path dir = fs::path(FIRMNET_SHARED_MODELS) / "keras";
  if (!fs::exists(dir / "garnet_1layer.json")) GTEST_SKIP() << "../shared/models/keras/garnet_1layer.json is absent";
  const std::string out = (work_dir() / "garnet_y.dat").string();
  const auto r = run_firmnet("predict " + (dir / "garnet_1layer.json").string() + " --weights " +
                             (dir / "garnet_1layer_weights.h5").string() + " --float --input " +
                             (dir / "garnet_1layer_input.dat").string() + " --output " + out);
  ASSERT_EQ(r.code, 0) << r.err;
  const firmnet::support::Array y = firmnet::support::read_text(out);
  const firmnet::support::Array ref = firmnet::support::read_text((dir / "garnet_1layer_output.dat").string());
  ASSERT_EQ(y.data.size(), 256u);
  ASSERT_EQ(ref.data.size(), 256u);
  double worst = 0;
  for (size_t i = 0; i < y.data.size(); ++i) worst = std::max(worst, std::fabs(y.data[i] - ref.data[i]));
  EXPECT_LE(worst, 2e-6);  // the data files' 6-decimal print is the limit (tests/e2e/keras_garnet_test.cpp)
  const auto c = run_firmnet("convert -c " + (dir / "garnet_1layer_config.yml").string() + " -o " +
                             (work_dir() / "garnet_prj").string());
  ASSERT_EQ(c.code, 0) << c.err;
  EXPECT_TRUE(fs::exists(work_dir() / "garnet_prj" / "firmware" / "firmnet" / "firmnet_garnet.h"));
  const std::string top = slurp(work_dir() / "garnet_prj" / "firmware" / "myproject.cpp");
  EXPECT_NE(top.find("firmnet_hls::garnet<"), std::string::npos);
}

}  // namespace firmnet_cli_garnet
