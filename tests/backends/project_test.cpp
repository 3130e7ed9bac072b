// The project writer without a compiler: layout, exact constants, atomic writes and error reporting.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "backend_test_util.h"
#include "backends/vitis/constants.h"
#include "backends/vitis/names.h"
#include "backends/vitis/vitis_backend.h"
#include "support/error.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;
using backends::vitis::exact_decimal;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  std::sort(files.begin(), files.end());
  return files;
}

ir::Graph small_graph(const std::string& weight_type = "fixed<8,2>") {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {4}, "fixed<16,6>");
  ir::TensorId h = b.dense("fc1", x, 3, "fixed<16,6>", "fixed<24,10>", weight_type);
  b.g.outputs = {b.table_activation("sig", "sigmoid", h, [](double v) { return 1 / (1 + std::exp(-v)); }, -8, 6, -3,
                                    "ufixed<12,1,RND_CONV,SAT>", "ufixed<12,1>")};
  return b.g;
}

TEST(VitisConstants, ExactDecimalsOfRawValues) {
  EXPECT_EQ(exact_decimal(5, 3), "0.625");
  EXPECT_EQ(exact_decimal(-5, 3), "-0.625");
  EXPECT_EQ(exact_decimal(0, 10), "0.0");
  EXPECT_EQ(exact_decimal(-1, 1), "-0.5");
  EXPECT_EQ(exact_decimal(12, 2), "3.0");
  EXPECT_EQ(exact_decimal(3, -4), "48.0");
  EXPECT_EQ(exact_decimal(1, 20), "0.00000095367431640625");
  EXPECT_EQ(exact_decimal(-(int64_t{1} << 52), 0), "-4503599627370496.0");
  // Every literal reads back as the exact value raw * 2^-F.
  for (int64_t raw : {int64_t{1}, int64_t{-3}, int64_t{(1ll << 52) - 1}, int64_t{-(1ll << 52)}, int64_t{123456789}})
    for (int f : {-8, 0, 1, 7, 30, 52, 60})
      EXPECT_EQ(std::strtod(exact_decimal(raw, f).c_str(), nullptr), std::ldexp(static_cast<double>(raw), -f))
          << raw << " " << f;
}

TEST(VitisConstants, RawIntegerTypeIsTheSmallestHoldingTheWidth) {
  using backends::vitis::raw_int_type;
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("fixed<8,2>")), "int8_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("ufixed<8,2>")), "uint8_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("fixed<6,-1>")), "int8_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("fixed<9,2>")), "int16_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("ufixed<16,1>")), "uint16_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("fixed<17,1>")), "int32_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("ufixed<32,1>")), "uint32_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("fixed<33,1>")), "int64_t");
  EXPECT_EQ(raw_int_type(numeric::FixedType::parse("ufixed<53,1>")), "uint64_t");
}

TEST(VitisNames, LegalizedAndUnique) {
  using backends::vitis::NameTable;
  EXPECT_EQ(backends::vitis::legal_identifier("/fc1/Gemm_output_0"), "fc1_Gemm_output_0");
  EXPECT_EQ(backends::vitis::legal_identifier("3x__y"), "n3x_y");
  NameTable names;
  EXPECT_EQ(names.claim("int"), "int_2");
  EXPECT_EQ(names.claim("a.b"), "a_b");
  EXPECT_EQ(names.claim("a-b"), "a_b_2");
}

TEST(VitisProject, WritesTheCompleteLayout) {
  const fs::path dir = scratch_dir("layout") / "prj";
  ir::Graph g = small_graph();
  backends::TestVectors tv{2, {{0.5, 1, 2, 3, -1, -2, -3, 0}}, {{0.25, 0.5, 0.75, 0.5, 0.5, 0.5}}};
  backends::write_vitis_project(g, config::Config::defaults(), dir, &tv);
  EXPECT_EQ(listing(dir), (std::vector<std::string>{
                              ".firmnet-project", "README.md", "build_prj.tcl", "firmware/defines.h",
                              "firmware/firmnet/firmnet_conv.h", "firmware/firmnet/firmnet_hls.h",
                              "firmware/firmnet/firmnet_quantize.h", "firmware/firmnet/qonnx_input.h",
                              "firmware/myproject.cpp", "firmware/myproject.h",
                              "firmware/parameters.h", "firmware/weights/fc1_bias.h", "firmware/weights/fc1_weight.h",
                              "firmware/weights/sig_table.h", "tb/myproject_test.cpp",
                              "tb_data/tb_input_features.dat", "tb_data/tb_output_predictions.dat",
                              "vivado_synth.tcl", "vivado_synth.xdc"}));
  const std::string top = read(dir / "firmware/myproject.cpp");
  EXPECT_NE(top.find("void myproject(const input_t in0[N_IN0], result_t out0[N_OUT0])"), std::string::npos) << top;
  EXPECT_NE(top.find("#pragma HLS PIPELINE II=1"), std::string::npos);
  EXPECT_NE(top.find("#pragma HLS ARRAY_RESHAPE variable=in0 complete dim=0"), std::string::npos) << top;
  EXPECT_NE(top.find("#pragma HLS ARRAY_PARTITION variable=out0 complete dim=0"), std::string::npos) << top;
  EXPECT_NE(top.find("// fc1 (dense) from test node 'fc1'"), std::string::npos) << top;
  EXPECT_NE(top.find("firmnet_hls::dense_latency<input_t, fc1_result_t, config_fc1>(in0, fc1_out, fc1_weight, fc1_bias);"),
            std::string::npos) << top;
  const std::string defines = read(dir / "firmware/defines.h");
  EXPECT_NE(defines.find("typedef ap_fixed<16,6> input_t;"), std::string::npos) << defines;
  EXPECT_NE(defines.find("typedef ap_fixed<24,10> fc1_accum_t;"), std::string::npos) << defines;
  EXPECT_NE(defines.find("#define N_OUT0 3"), std::string::npos) << defines;
  const std::string params = read(dir / "firmware/parameters.h");
  EXPECT_NE(params.find("static const unsigned n_in = 4;"), std::string::npos) << params;
  EXPECT_NE(params.find("static const long long table_offset = 64;"), std::string::npos) << params;
  // Weights are written as exact decimals of the raw integers.
  const ir::Tensor& w = g.tensor(g.nodes[1].param("weight"));
  const std::string weights = read(dir / "firmware/weights/fc1_weight.h");
  EXPECT_NE(weights.find("static const fc1_weight_t fc1_weight[12] = {"), std::string::npos) << weights;
  EXPECT_NE(weights.find(exact_decimal(w.raw[0], 6) + ", " + exact_decimal(w.raw[1], 6)), std::string::npos) << weights;
  // ... under __SYNTHESIS__; C simulation reads the same raw integers (docs/BACKEND_VITIS.md, "Constants").
  EXPECT_NE(weights.find("#if defined(__SYNTHESIS__) || defined(FIRMNET_DECIMAL_CONSTANTS)"), std::string::npos);
  EXPECT_NE(weights.find("static const " + backends::vitis::raw_int_type(*w.type) + " fc1_weight_raw[12] = {\n    " +
                         std::to_string(w.raw[0]) + ", " + std::to_string(w.raw[1]) + ", "),
            std::string::npos) << weights;
  EXPECT_NE(weights.find("static const firmnet_hls::rom_array<fc1_weight_t, 12> fc1_weight_rom(fc1_weight_raw);\n"
                         "static const fc1_weight_t (&fc1_weight)[12] = fc1_weight_rom.v;"),
            std::string::npos) << weights;
  EXPECT_EQ(read(dir / "tb_data/tb_input_features.dat"), "0.5 1 2 3\n-1 -2 -3 0\n");
  const std::string tcl = read(dir / "build_prj.tcl");
  for (const char* s : {"open_project myproject_prj", "set_top myproject", "-cflags \"-std=c++14\"",
                        "open_solution -flow_target vivado", "set_part {xcvu13p-flga2577-2-e}",
                        "create_clock -period 5", "set_clock_uncertainty 27%", "csim_design", "csynth_design",
                        "cosim_design", "export_design"})
    EXPECT_NE(tcl.find(s), std::string::npos) << s << "\n" << tcl;
}

TEST(VitisProject, VivadoSpellingAndProjectName) {
  const fs::path dir = scratch_dir("vivado") / "out";
  config::Config cfg;
  cfg.backend = "Vivado";
  cfg.project_name = "tagger";
  cfg.part = "xc7z020clg400-1";
  backends::write_vitis_project(small_graph(), cfg, dir);
  EXPECT_TRUE(fs::exists(dir / "firmware/tagger.cpp"));
  EXPECT_TRUE(fs::exists(dir / "tb/tagger_test.cpp"));
  const std::string tcl = read(dir / "build_prj.tcl");
  EXPECT_NE(tcl.find("open_solution \"solution1\""), std::string::npos) << tcl;
  EXPECT_NE(tcl.find("\nconfig_array_partition -maximum_size 4096"), std::string::npos) << tcl;
  EXPECT_NE(tcl.find("set_part {xc7z020clg400-1}"), std::string::npos);
  EXPECT_NE(read(dir / "firmware/tagger.cpp").find("#pragma HLS INTERFACE ap_vld port=in0"), std::string::npos);
  cfg.backend = "Quartus";
  EXPECT_THROW(backends::write_vitis_project(small_graph(), cfg, dir), Error);
  cfg.backend = "Vitis";
  cfg.project_name = "my-project";
  EXPECT_THROW(backends::write_vitis_project(small_graph(), cfg, dir), Error);
}

TEST(VitisProject, ReplacesAPreviousProjectButNothingElse) {
  const fs::path root = scratch_dir("replace");
  const fs::path dir = root / "prj";
  backends::write_vitis_project(small_graph(), config::Config::defaults(), dir);
  std::ofstream(dir / "stale.txt") << "from an older run";
  backends::write_vitis_project(small_graph(), config::Config::defaults(), dir);
  EXPECT_FALSE(fs::exists(dir / "stale.txt"));
  EXPECT_TRUE(fs::exists(dir / "firmware/myproject.cpp"));
  EXPECT_EQ(listing(root).size(), listing(dir).size());  // no temporary siblings left

  const fs::path other = root / "notes";
  fs::create_directories(other);
  std::ofstream(other / "keep.txt") << "mine";
  try {
    backends::write_vitis_project(small_graph(), config::Config::defaults(), other);
    FAIL() << "overwrote a directory that is not a firmnet project";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a firmnet project"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read(other / "keep.txt"), "mine");
}

TEST(VitisProject, FailureLeavesNoDirectoryBehind) {
  const fs::path root = scratch_dir("failure");
  // A 60-bit weight cannot be written exactly as a double literal.
  try {
    backends::write_vitis_project(small_graph("fixed<60,4>"), config::Config::defaults(), root / "prj");
    FAIL() << "wrote a 60-bit constant";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'fc1' (dense)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("fixed<60,4>"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(root));
  // An activation function the kernels do not know is rejected by name.
  ir::Graph g = small_graph();
  g.nodes.back().attrs["function"] = std::string("gelu");
  try {
    backends::write_vitis_project(g, config::Config::defaults(), root / "prj");
    FAIL() << "accepted gelu";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'gelu'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'sig'"), std::string::npos) << e.what();  // the layer
  }
  EXPECT_TRUE(fs::is_empty(root));
  // A missing table names the pass to run.
  g = small_graph();
  g.nodes.back().table_data.clear();
  EXPECT_THROW(backends::write_vitis_project(g, config::Config::defaults(), root / "prj"), Error);
  EXPECT_TRUE(fs::is_empty(root));
}

TEST(VitisProject, EmbedsTheKernelLibrary) {
  const auto& files = backends::embedded_kernel_files();
  ASSERT_FALSE(files.empty());
  bool dense = false;
  for (const auto& [name, content] : files) dense = dense || content.find("void dense_resource(") != std::string_view::npos;
  EXPECT_TRUE(dense);
}

TEST(VitisCsimErrors, NotAProjectAndWrongInputSizes) {
  const fs::path root = scratch_dir("csim_errors");
  backends::CsimOptions o;
  o.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  EXPECT_THROW(backends::run_csim(root, {{1, 2, 3, 4}}, 1, o), Error);
  backends::write_vitis_project(small_graph(), config::Config::defaults(), root / "prj");
  EXPECT_THROW(backends::run_csim(root / "prj", {{1, 2, 3}}, 1, o), Error);
  o.ap_types_dir = (root / "nowhere").string();
  EXPECT_THROW(backends::run_csim(root / "prj", {{1, 2, 3, 4}}, 1, o), Error);
}

}  // namespace
}  // namespace firmnet::testing
