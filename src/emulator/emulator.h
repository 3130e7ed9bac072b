#pragma once
// Bit-exact emulation of a compiled (typed, quantized) graph on integers, and its float reference.
// Follows docs/NUMERICS.md exactly: same products, accumulation order, casts and tables as the firmware.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace firmnet::emulator {

struct Options {
  int threads = 0;      // 0: all hardware threads
  bool trace = false;   // keep every node's output (raw) for the whole batch
};

struct Result {
  std::vector<std::vector<int64_t>> outputs_raw;  // per graph output, [batch * numel], raw in its type
  std::vector<std::vector<double>> outputs;       // the same as exact values
  std::map<std::string, int64_t> overflows;       // per node name: casts that overflowed (saturated/wrapped)
  std::map<std::string, std::vector<int64_t>> trace_raw;  // per node name (Options::trace), [batch * numel]
};

class Emulator {
 public:
  explicit Emulator(const ir::Graph& g, Options opts = {});  // g must be verified with typed=true
  ~Emulator();
  // inputs: per graph input, [batch * numel] float values, quantized to the input type as ap_fixed
  // assignment from double does.
  Result run(const std::vector<std::vector<double>>& inputs, size_t batch) const;
  // inputs already raw in the input types.
  Result run_raw(const std::vector<std::vector<int64_t>>& inputs, size_t batch) const;
  // How the node was compiled, e.g. "dense exact int32" or "dense step64": for inspection and tests.
  // Throws firmnet::Error for an unknown node name.
  std::string kernel_info(const std::string& node_name) const;
  // Samples per block: 64, fewer only for models with tensors of more than 1024 values (64 Ki values per
  // tensor block: memory bound, and conv feature maps stay in cache).
  size_t samples_per_block() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The same graph in double precision with the model's float constants (tensor.values) and exact
// functions: the reference every fixed-point result is compared with. Returns per graph output
// [batch * numel]; per-node outputs into *trace when given.
std::vector<std::vector<double>> run_float(const ir::Graph& g, const std::vector<std::vector<double>>& inputs,
                                           size_t batch, std::map<std::string, std::vector<double>>* trace = nullptr);

}  // namespace firmnet::emulator
