// Golden projects: the HLS projects `firmnet convert` writes for a few shared models and configurations are
// checked in under tests/golden/<case>/project/. Each case regenerates its project with the firmnet executable
// into a scratch folder and compares it with the checked-in one byte for byte, so any change to the emitted
// firmware, weights, kernels, testbench or scripts shows up as a failing test and, once accepted, as a
// reviewable diff in git.
//
// To accept a change: FIRMNET_UPDATE_GOLDEN=1 ctest -R golden   (or scripts/update_golden.sh)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;   // folder under tests/golden/, holding config.yml and project/
  std::string model;  // relative to the shared models folder
  std::string input;  // optional test inputs (relative to the shared models folder) for tb_data/
};

// What each case pins: Latency with automatic types and a Softmax table; Resource with ReuseFactor 4 and
// batch-norm folding; a Sigmoid table with rounding and saturation; QONNX Quant types; the FINN model with
// MultiThresholds and its test images as testbench data (which pins the emulator's outputs too); io_stream:
// the SVHN CNN (line buffers, stream processes) and two branches joined by a Concat (a clone, FIFO depths).
const std::vector<Case> kCases = {
    {"jet_latency", "onnx/three_layer_keras.onnx", ""},
    {"jet_bn_resource", "onnx/three_layer_bn_keras.onnx", ""},
    {"two_layer_sigmoid", "onnx/two_layer_pytorch.onnx", ""},
    {"qonnx_bnn", "onnx/bnn_model_fc_1layer.onnx", ""},
    {"finn_tfc", "finn/tfc_mnist_streamlined.onnx", "finn/tfc_mnist_input.npy"},
    {"svhn_stream", "cases/cnn/svhn_cnn.onnx", ""},
    {"branches_stream", "cases/cnn/concat_branches.onnx", ""},
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name << " (" << c.model << ")"; }

const fs::path kGoldenDir = fs::path(FIRMNET_SOURCE_DIR) / "tests" / "golden";
const fs::path kShared = FIRMNET_SHARED_MODELS;

bool update_mode() {
  const char* v = std::getenv("FIRMNET_UPDATE_GOLDEN");
  return v && *v && std::string(v) != "0";
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every regular file below `dir`, hidden ones included, as sorted relative paths.
std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files.push_back(fs::relative(e.path(), dir).string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string convert_command(const Case& c, const fs::path& out) {
  std::string cmd = std::string(FIRMNET_EXE) + " convert " + quote((kShared / c.model).string()) + " -c " +
                    quote((kGoldenDir / c.name / "config.yml").string()) + " -o " + quote(out.string());
  if (!c.input.empty()) cmd += " --input " + quote((kShared / c.input).string());
  return cmd;
}

// Runs `cmd`, returning its exit code and its stdout+stderr.
int run(const std::string& cmd, std::string& output) {
  output.clear();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output.append(buf, n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// The first lines where two texts differ (used when `diff` is not available).
std::string first_difference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "  (the files differ only in their final newline)\n";
    if (!ha || !hb || la != lb)
      return "  first difference at line " + std::to_string(line) + ":\n  - " + (ha ? la : "<end of file>") +
             "\n  + " + (hb ? lb : "<end of file>") + "\n";
  }
}

// A unified diff of the two files, at most `max_lines` lines of it.
std::string unified_diff(const std::string& file, const fs::path& want, const fs::path& got, size_t max_lines = 60) {
  std::string out;
  const int code = run("diff -u --label " + quote("golden/" + file) + " --label " + quote("new/" + file) + " " +
                           quote(want.string()) + " " + quote(got.string()),
                       out);
  if (code != 1) return first_difference(slurp(want), slurp(got));
  std::istringstream in(out);
  std::string line, shown;
  size_t n = 0, total = 0;
  while (std::getline(in, line))
    if (++total <= max_lines) shown += "  " + line + "\n", ++n;
  if (total > n) shown += "  ... (" + std::to_string(total - n) + " more diff lines)\n";
  return shown;
}

class Golden : public ::testing::TestWithParam<Case> {};

TEST_P(Golden, EmittedProjectMatchesCheckedInFiles) {
  const Case& c = GetParam();
  if (!fs::exists(kShared / c.model))
    GTEST_SKIP() << "shared model " << (kShared / c.model) << " not found (../shared/models is absent): golden case "
                 << c.name << " not checked";
  const fs::path golden = kGoldenDir / c.name / "project";
  std::string log;

  if (update_mode()) {  // the writer replaces an existing project folder atomically, so stale files go too
    ASSERT_EQ(run(convert_command(c, golden), log), 0) << convert_command(c, golden) << "\n" << log;
    std::printf("updated %s\n", golden.string().c_str());
    return;
  }

  const fs::path scratch = fs::path(FIRMNET_BINARY_DIR) / "golden_work" / c.name;
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  const fs::path fresh = scratch / "project";
  ASSERT_EQ(run(convert_command(c, fresh), log), 0) << convert_command(c, fresh) << "\n" << log;

  const std::vector<std::string> want = listing(golden), got = listing(fresh);
  ASSERT_FALSE(want.empty()) << "no golden project in " << golden
                             << "; create it with: FIRMNET_UPDATE_GOLDEN=1 ctest -R golden";
  std::string report;
  size_t differing = 0;
  for (const std::string& f : want)
    if (!std::binary_search(got.begin(), got.end(), f)) report += "missing from the new project: " + f + "\n";
  for (const std::string& f : got)
    if (!std::binary_search(want.begin(), want.end(), f)) report += "new file, not in the golden project: " + f + "\n";
  for (const std::string& f : want) {
    if (!std::binary_search(got.begin(), got.end(), f) || slurp(golden / f) == slurp(fresh / f)) continue;
    ++differing;
    report += "differs: " + f + "\n" + unified_diff(f, golden / f, fresh / f);
  }
  EXPECT_TRUE(report.empty())
      << "golden case '" << c.name << "': the project firmnet writes is not the checked-in one (" << differing
      << " of " << want.size() << " files differ)\n"
      << report << "\nreproduce:  " << convert_command(c, fresh) << "\ncompare:    diff -ru " << golden << " "
      << fresh << "\nif the change is intended, accept it and review the diff in git:\n"
      << "            FIRMNET_UPDATE_GOLDEN=1 ctest -R golden   (or scripts/update_golden.sh)\n";
}

INSTANTIATE_TEST_SUITE_P(golden, Golden, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

}  // namespace
