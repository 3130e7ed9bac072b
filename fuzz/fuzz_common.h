#pragma once
// Shared by the libFuzzer targets (docs/FUZZING.md). A target accepts every firmnet::Error as the right
// answer to bad input, except those that firmnet marks as its own bug (marked_internal): those abort, and so
// do foreign exceptions (they escape to libFuzzer) and sanitizer reports. Everything runs single-threaded so
// that a crash reproduces.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/config.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "support/error.h"

namespace firmnet::fuzz {

// firmnet marks its own bugs by these exact hints (the frontend's safety net for foreign exceptions, the
// pass manager's IR verification) and the safety net's message prefix. Exact matches, not substrings: a
// message may quote the input, and the fuzzer learns to write "firmnet bug" into a CSV file.
inline bool marked_internal(const Error& e) {
  return e.hint() == "please report this model to the firmnet developers" ||
         e.hint() == "this is a firmnet bug; please report it with the model" ||
         e.message().rfind("internal error", 0) == 0;
}

inline void check_error(const Error& e) {
  if (marked_internal(e)) {
    std::fprintf(stderr, "FINDING (firmnet::Error marked internal): %s\n", e.what());
    std::abort();
  }
  if (e.message().empty()) {
    std::fprintf(stderr, "FINDING (firmnet::Error without a message): %s\n", e.what());
    std::abort();
  }
}

// One sample through the compiled graph: the bit-exact emulator and the float reference. A resource bound,
// not a filter of bugs: a model whose activations hold more than 2^22 values per sample (the frontend
// accepts tensors of up to 2^26) legitimately needs more memory than libFuzzer's 2 GiB limit allows, so it
// is compiled but not emulated; so is a model whose sample takes more than ~4 M multiplications.
inline void emulate_one_sample(const ir::Graph& g) {
  int64_t values = 0;
  for (const ir::Tensor& t : g.tensors)
    if (!t.is_const()) values += t.size();
  if (values > (int64_t{1} << 22)) return;
  // Nor one whose sample takes more than about 2^22 multiplications: under ASan+UBSan a conv of 10 M
  // products (eltwise_chanlast_quant, 224x224 pixels) takes longer than -timeout=10, natively 20 ms.
  int64_t products = 0;
  for (const ir::Node& n : g.nodes) products += ir::multiplier_count(g, n);
  if (products > (int64_t{1} << 22)) return;
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
