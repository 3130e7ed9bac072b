// run_csim: compiles the generated firmware and testbench with g++ (reusing the binary while the
// sources and the command are unchanged) and maps inputs to outputs through it.
#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backends/vitis/project.h"
#include "backends/vitis/vitis_backend.h"
#include "support/error.h"
#include "support/parse.h"

namespace firmnet::backends {

using namespace vitis;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string quote(const std::string& s) {  // for /bin/sh
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// FNV-1a over the command and every source file (path and content), in path order.
std::string sources_stamp(const fs::path& project, const std::string& command) {
  std::vector<fs::path> files;
  for (const char* sub : {"firmware", "tb"})
    for (const auto& e : fs::recursive_directory_iterator(project / sub))
      if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
  };
  mix(command);
  for (const fs::path& f : files) {
    mix(fs::relative(f, project).string());
    mix(read_text(f));
  }
  return fmt::format("{:016x}", h);
}

// The compiler's first error lines (or the first lines when none says "error").
std::string first_errors(const std::string& log, size_t max_lines) {
  std::istringstream in(log);
  std::string line, errors, head;
  size_t n_err = 0, n_head = 0;
  while (std::getline(in, line)) {
    if (n_head++ < max_lines) head += line + "\n";
    if (line.find("error") != std::string::npos && n_err < max_lines) {
      errors += line + "\n";
      ++n_err;
    }
  }
  return errors.empty() ? head : errors;
}

void compile(const fs::path& project, const ProjectInterface& p, const CsimOptions& opts, const fs::path& binary) {
  if (opts.ap_types_dir.empty() || !fs::exists(fs::path(opts.ap_types_dir) / "ap_fixed.h"))
    throw Error("csim", "ap_types headers not found in '" + opts.ap_types_dir + "'",
                "run scripts/setup.sh or point CsimOptions::ap_types_dir at the Xilinx ap_types headers");
  // GCC 12's pointer-access analysis (-Wfree-nonheap-object, -Wmismatched-new-delete) is quadratic in the
  // size of the static initializer of the constant arrays when they are spelled as decimals (it took ~80% of
  // the compile time of a 4k-weight project); C simulation reads raw integers (constants.h), but
  // -DFIRMNET_DECIMAL_CONSTANTS in `opt` selects the decimals again. The warnings are irrelevant for generated code; compilers that lack them ignore them.
  const std::string command = fmt::format(
      "{} -std=c++14 {} -Wno-free-nonheap-object -Wno-mismatched-new-delete -I{} -I{} {} {} -o {}", opts.cxx,
      opts.opt, quote(opts.ap_types_dir),
      quote((project / "firmware").string()), quote((project / "firmware" / (p.name + ".cpp")).string()),
      quote((project / "tb" / (p.name + "_test.cpp")).string()), quote(binary.string()));
  const fs::path stamp_file = binary.parent_path() / "csim.stamp";
  const std::string stamp = sources_stamp(project, command);
  if (fs::exists(binary) && fs::exists(stamp_file) && read_text(stamp_file) == stamp) return;
  fs::remove(stamp_file);
  const fs::path log = binary.parent_path() / "build.log";
  if (opts.verbose) std::fprintf(stderr, "firmnet csim: %s\n", command.c_str());
  const int rc = std::system((command + " > " + quote(log.string()) + " 2>&1").c_str());
  if (rc != 0)
    throw Error("csim", fmt::format("compiling {} failed:\n{}", project.string(), first_errors(read_text(log), 12)),
                "the full compiler output is in " + log.string());
  std::ofstream(stamp_file) << stamp;
}

}  // namespace

PortLayouts project_port_layouts(const std::filesystem::path& project_dir) {
  const fs::path marker = fs::absolute(project_dir) / kMarkerFile;
  if (!fs::exists(marker))
    throw Error(project_dir.string(), "is not a firmnet HLS project (no " + std::string(kMarkerFile) + ")",
                "write it with firmnet convert first");
  const ProjectInterface p = parse_marker(read_text(marker), marker.string());
  PortLayouts l;
  for (const Port& port : p.inputs) l.inputs.push_back(port.layout);
  for (const Port& port : p.outputs) l.outputs.push_back(port.layout);
  return l;
}

std::vector<std::vector<double>> run_csim(const std::filesystem::path& project_dir,
                                          const std::vector<std::vector<double>>& inputs, size_t batch,
                                          const CsimOptions& opts) {
  const fs::path project = fs::absolute(project_dir);
  const fs::path marker = project / kMarkerFile;
  if (!fs::exists(marker))
    throw Error(project.string(), "is not a firmnet HLS project (no " + std::string(kMarkerFile) + ")",
                "write it with write_vitis_project / firmnet compile first");
  const ProjectInterface p = parse_marker(read_text(marker), marker.string());
  if (inputs.size() != p.inputs.size())
    throw Error("csim", fmt::format("{} input arrays given, the project has {} inputs", inputs.size(), p.inputs.size()));
  for (size_t k = 0; k < inputs.size(); ++k)
    if (inputs[k].size() != batch * static_cast<size_t>(p.inputs[k].size))
      throw Error("csim", fmt::format("input {} holds {} values, expected batch {} x {}", k, inputs[k].size(), batch,
                                      p.inputs[k].size));
  const fs::path dir = project / "csim";
  fs::create_directories(dir);
  const fs::path binary = dir / "csim";
  compile(project, p, opts, binary);

  const fs::path in_file = dir / "input.dat", out_file = dir / "output.dat", log = dir / "run.log";
  {
    std::ofstream in(in_file);
    char buf[40];
    for (size_t b = 0; b < batch; ++b) {
      for (size_t k = 0; k < inputs.size(); ++k) {
        const size_t n = static_cast<size_t>(p.inputs[k].size);
        for (size_t j = 0; j < n; ++j) {
          std::snprintf(buf, sizeof buf, "%.17g", inputs[k][b * n + j]);
          in << (k == 0 && j == 0 ? "" : " ") << buf;
        }
      }
      in << '\n';
    }
    if (!in) throw Error(in_file.string(), "cannot write the csim inputs");
  }
  fs::remove(out_file);
  // io_parallel keeps every layer's output array on the top function's stack (as HLS C simulation does): a
  // 512x512 feature map alone needs more than the usual 8 MiB. The testbench runs with the stack limit raised
  // as far as the hard limit allows.
  const std::string run = "ulimit -s unlimited 2>/dev/null || ulimit -s \"$(ulimit -H -s)\" 2>/dev/null; exec " +
                          quote(binary.string()) + " " + quote(in_file.string()) + " " + quote(out_file.string()) +
                          " > " + quote(log.string()) + " 2>&1";
  const int status = std::system(run.c_str());
  if (status != 0) {
    std::string what = first_errors(read_text(log), 12);
    if (status > 0 && WIFSIGNALED(status))
      what += fmt::format("{}killed by signal {} ({})", what.empty() ? "" : "\n", WTERMSIG(status), strsignal(WTERMSIG(status)));
    throw Error("csim", "the compiled testbench failed:\n" + what,
                "its output is in " + log.string() +
                    "; a segmentation fault without a message can be the stack (io_parallel keeps every layer's "
                    "output as a local array; the stack limit was raised to the hard limit, `ulimit -H -s`)");
  }

  std::vector<std::vector<double>> outputs(p.outputs.size());
  std::ifstream out(out_file);
  std::string line;
  size_t b = 0;
  while (b < batch && std::getline(out, line)) {
    std::istringstream ls(line);
    for (size_t k = 0; k < p.outputs.size(); ++k)
      for (int64_t j = 0; j < p.outputs[k].size; ++j) {
        std::string tok;
        if (!(ls >> tok))
          throw Error(out_file.string(), fmt::format("line {} has too few values", b + 1));
        const auto v = support::parse_double(tok);
        if (!v) throw Error(out_file.string(), fmt::format("line {} has '{}', which is not a number", b + 1, tok));
        outputs[k].push_back(*v);
      }
    ++b;
  }
  if (b != batch) throw Error(out_file.string(), fmt::format("holds {} samples, expected {}", b, batch));
  return outputs;
}

}  // namespace firmnet::backends
