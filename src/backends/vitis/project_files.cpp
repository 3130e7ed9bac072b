// The marker file and the atomic directory writer.
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/vitis/project.h"
#include "support/error.h"
#include "support/parse.h"

namespace firmnet::backends::vitis {

namespace fs = std::filesystem;

const char* firmnet_version() {
#ifdef FIRMNET_VERSION
  return FIRMNET_VERSION;
#else
  return "0.1.0";
#endif
}

std::string marker_text(const ProjectInterface& p) {
  std::string s = fmt::format("firmnet-project 1\nfirmnet {}\nproject {}\n", firmnet_version(), p.name);
  // A port held in another order than the model's: "layout VIEW PERM MODEL_SHAPE" after its line.
  auto layout = [](const Port& port) {
    if (!port.layout) return std::string();
    return fmt::format("layout {} {} {}\n", fmt::join(port.layout->view, ","), fmt::join(port.layout->perm, ","),
                       fmt::join(port.layout->model_shape, ","));
  };
  for (const Port& port : p.inputs)
    s += fmt::format("input {} {} {} {}\n", port.var, port.type_name, port.size_macro, port.size) + layout(port);
  for (const Port& port : p.outputs)
    s += fmt::format("output {} {} {} {}\n", port.var, port.type_name, port.size_macro, port.size) + layout(port);
  return s;
}

ProjectInterface parse_marker(const std::string& text, const std::string& where) {
  ProjectInterface p;
  std::istringstream in(text);
  std::string line;
  bool header = false;
  Port* last = nullptr;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key;
    ls >> key;
    if (key == "firmnet-project") {
      header = true;
    } else if (key == "project") {
      ls >> p.name;
    } else if (key == "input" || key == "output") {
      Port port;
      ls >> port.var >> port.type_name >> port.size_macro >> port.size;
      if (!ls || port.size <= 0) throw Error(where, "malformed line '" + line + "'", "rewrite the project");
      (key == "input" ? p.inputs : p.outputs).push_back(port);
      last = key == "input" ? &p.inputs.back() : &p.outputs.back();
    } else if (key == "layout") {
      std::string v, pm, m;
      ls >> v >> pm >> m;
      if (!ls || !last) throw Error(where, "malformed line '" + line + "'", "rewrite the project");
      auto ints = [&](const std::string& text) {
        std::vector<int64_t> r;
        std::istringstream is(text);
        for (std::string tok; std::getline(is, tok, ',');) {
          const auto x = support::parse_int<int64_t>(tok);
          if (!x || *x < 0 || *x >= (int64_t{1} << 24)) throw Error(where, "malformed line '" + line + "'", "rewrite the project");
          r.push_back(*x);
        }
        return r;
      };
      const ir::ModelLayout l{ints(v), ints(pm), ints(m)};
      if (!l.fits(last->size)) throw Error(where, "inconsistent layout line '" + line + "'", "rewrite the project");
      last->layout = l;
    }
  }
  if (!header || p.name.empty() || p.inputs.empty() || p.outputs.empty())
    throw Error(where, "is not a firmnet project marker", "write the project with firmnet first");
  return p;
}

namespace {

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  out.close();
  if (!out) throw Error(path.string(), "cannot write file", "check the permissions and free space");
}

}  // namespace

void write_tree_atomically(const std::string& dir_text, const std::map<std::string, std::string>& files) {
  static std::atomic<int> counter{0};
  fs::path dir = fs::absolute(fs::path(dir_text)).lexically_normal();
  if (dir.filename().empty()) dir = dir.parent_path();
  const fs::path parent = dir.parent_path();
  const std::string stem = dir.filename().string();
  std::error_code ec;
  if (fs::exists(dir, ec) && (!fs::is_directory(dir, ec) || !fs::exists(dir / kMarkerFile, ec)))
    throw Error(dir.string(), "exists and is not a firmnet project, so it is not replaced",
                "choose another output directory or remove this one");
  const std::string tag = fmt::format("{}-{}", ::getpid(), counter++);
  const fs::path tmp = parent / fmt::format(".{}.firmnet-tmp-{}", stem, tag);
  const fs::path old = parent / fmt::format(".{}.firmnet-old-{}", stem, tag);
  try {
    fs::create_directories(parent);
    fs::remove_all(tmp);
    fs::create_directory(tmp);
    for (const auto& [rel, content] : files) write_file(tmp / rel, content);
    const bool replacing = fs::exists(dir);
    if (replacing) fs::rename(dir, old);
    try {
      fs::rename(tmp, dir);
    } catch (...) {
      if (replacing) fs::rename(old, dir, ec);  // put the previous project back
      throw;
    }
    if (replacing) fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(dir.string(), std::string("cannot write the project: ") + e.what(),
                "check that the parent directory is writable");
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace firmnet::backends::vitis
