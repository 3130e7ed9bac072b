// The layering of docs/ARCHITECTURE.md, enforced: every `#include "stage/..."` in src/<stage>/ must name a
// stage that <stage>'s CMake target links (directly or through the PUBLIC links of what it links). All targets
// share src/ as include root, so the compiler alone would accept any include; this test makes a header of
// another stage used without the link (and so without the dependency being declared) a failing test.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// "firmnet_passes" -> "passes"; the executable "firmnet" is the cli stage.
std::string stage_of_target(const std::string& t) { return t == "firmnet" ? "cli" : t.substr(std::string("firmnet_").size()); }

TEST(Architecture, EveryIncludeFollowsADeclaredLink) {
  const fs::path root = FIRMNET_SOURCE_DIR;
  const std::string cmake = slurp(root / "CMakeLists.txt");
  ASSERT_FALSE(cmake.empty());
  std::map<std::string, std::set<std::string>> links;  // stage -> stages its target links
  const std::regex call(R"(target_link_libraries\((firmnet\w*)([^)]*)\))");
  const std::regex dep(R"(\bfirmnet_(\w+))");
  for (auto it = std::sregex_iterator(cmake.begin(), cmake.end(), call); it != std::sregex_iterator(); ++it) {
    const std::string stage = stage_of_target((*it)[1]);
    const std::string args = (*it)[2];
    for (auto d = std::sregex_iterator(args.begin(), args.end(), dep); d != std::sregex_iterator(); ++d)
      links[stage].insert((*d)[1]);
  }
  ASSERT_TRUE(links.count("driver") && links.count("ir")) << "CMakeLists.txt not understood";
  // What each stage may include: itself and the transitive closure of its links.
  const auto reach = [&](const std::string& s) {
    std::set<std::string> seen{s};
    std::vector<std::string> todo{s};
    while (!todo.empty()) {
      const std::string t = todo.back();
      todo.pop_back();
      for (const std::string& d : links[t])
        if (seen.insert(d).second) todo.push_back(d);
    }
    return seen;
  };
  const std::regex inc(R"re(#include "(\w+)/)re");
  int files = 0, includes = 0;
  for (const auto& stage_dir : fs::directory_iterator(root / "src")) {
    const std::string stage = stage_dir.path().filename().string();
    const std::set<std::string> allowed = reach(stage);
    for (const auto& f : fs::recursive_directory_iterator(stage_dir.path())) {
      const std::string ext = f.path().extension().string();
      if (ext != ".cpp" && ext != ".h") continue;
      if (f.path().string().find("/kernels/") != std::string::npos) continue;  // HLS code shipped in projects
      ++files;
      const std::string text = slurp(f.path());
      for (auto it = std::sregex_iterator(text.begin(), text.end(), inc); it != std::sregex_iterator(); ++it) {
        const std::string target = (*it)[1];
        if (!fs::is_directory(root / "src" / target)) continue;  // not a stage (e.g. a library's folder)
        ++includes;
        EXPECT_TRUE(allowed.count(target)) << fs::relative(f.path(), root).string() << " includes " << target
                                           << "/ but firmnet_" << stage << " does not link firmnet_" << target;
      }
    }
  }
  EXPECT_GT(files, 50);
  EXPECT_GT(includes, 100);
}

}  // namespace
