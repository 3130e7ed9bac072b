#pragma once
// Passes: small transformations of the IR, one job each, run in a declared order by the pass manager.
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::passes {

// The range of one graph input's values in data the user gave (`convert --fit-inputs`): an input whose
// precision is not configured gets the narrowest 16-bit type holding it instead of the fixed<16,6> default.
struct InputRange {
  double lo = 0, hi = 0;
  size_t samples = 0;
  std::string source;  // the data file, for the type's origin
};

struct PassContext {
  const config::Config& config;
  std::vector<Warning>& warnings;
  std::vector<InputRange> input_ranges = {};  // per graph input, in order; empty: no data given
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual const char* name() const = 0;
  // Returns whether the graph changed. Throws firmnet::Error on invalid input (naming layer and key).
  virtual bool run(ir::Graph& g, PassContext& ctx) = 0;
};

struct PipelineOptions {
  bool verify_each = true;               // verify the IR after every pass; errors name the pass
  std::string print_after;               // pass name: print the IR to stderr after it
  std::string stop_after;                // pass name: stop the pipeline after it
  std::string start_after;               // "frontend" (all passes) or a pass name: run only the passes after it
                                         // (an IR text graph printed at that stage)
  std::vector<InputRange> input_ranges;  // see InputRange; copied into the PassContext
};

// The declared pipeline, in order (see pass_manager.cpp).
std::vector<std::unique_ptr<Pass>> default_pipeline();
std::vector<std::string> pipeline_pass_names();
// Runs the default pipeline; afterwards the graph is fully typed, constants quantized, tables built.
void run_pipeline(ir::Graph& g, PassContext& ctx, const PipelineOptions& opts = {});

}  // namespace firmnet::passes
