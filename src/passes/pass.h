#pragma once
// Passes: small transformations of the IR, one job each, run in a declared order by the pass manager.
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::passes {

struct PassContext {
  const config::Config& config;
  std::vector<Warning>& warnings;
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
};

// The declared pipeline, in order (see pass_manager.cpp).
std::vector<std::unique_ptr<Pass>> default_pipeline();
std::vector<std::string> pipeline_pass_names();
// Runs the default pipeline; afterwards the graph is fully typed, constants quantized, tables built.
void run_pipeline(ir::Graph& g, PassContext& ctx, const PipelineOptions& opts = {});

}  // namespace firmnet::passes
