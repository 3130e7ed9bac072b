#pragma once
// Shared by the libFuzzer targets (docs/FUZZING.md). A target accepts every firmnet::Error as the right
// answer to bad input, except those that firmnet marks as its own bug ("internal error", "firmnet bug",
// "report this"): those abort, and so do foreign exceptions (they escape to libFuzzer) and sanitizer
// reports. Everything runs single-threaded so that a crash reproduces.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::fuzz {

// `input`: the bytes under test. A marker that the input itself contains (a node named "internal error",
// a number "report this") may be echoed by an honest message, so it counts only when the input lacks it.
inline void check_error(const Error& e, const std::string& input) {
  const std::string m = e.what();
  for (const char* marker : {"internal error", "firmnet bug", "report this"})
    if (m.find(marker) != std::string::npos && input.find(marker) == std::string::npos) {
      std::fprintf(stderr, "FINDING (firmnet::Error marked internal): %s\n", m.c_str());
      std::abort();
    }
  if (m.empty() || e.message().empty()) {
    std::fprintf(stderr, "FINDING (firmnet::Error without a message)\n");
    std::abort();
  }
}

// One sample through the compiled graph: the bit-exact emulator and the float reference.
inline void emulate_one_sample(const ir::Graph& g) {
  std::vector<std::vector<double>> inputs;
  for (ir::TensorId id : g.inputs) {
    std::vector<double> v(static_cast<size_t>(g.tensor(id).size()));
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(static_cast<int>(i % 7) - 3) * 0.375;
    inputs.push_back(std::move(v));
  }
  emulator::Options opts;
  opts.threads = 1;
  const emulator::Emulator emu(g, opts);
  (void)emu.run(inputs, 1);
  (void)emulator::run_float(g, inputs, 1);
}

// The rest of the compile after the pipeline: the HLS-limit check and the estimate.
inline void check_and_estimate(const ir::Graph& g, const config::Config& cfg) {
  driver::Compiled c{g, cfg, {}};
  (void)driver::estimate(c);
}

}  // namespace firmnet::fuzz
