// The pass pipeline: the declared order of passes and the runner that verifies the IR after each one.
#include <algorithm>
#include <iostream>

#include "ir/text.h"
#include "ir/recurrent.h"
#include "passes/internal.h"

namespace firmnet::passes {

namespace {

// The pipeline, in order. Each pass has one job; see its file for what it does.
using Factory = std::unique_ptr<Pass> (*)();
constexpr Factory kPipeline[] = {
    make_remove_noops,            // drop Reshapes nobody needs and untyped linear activations
    make_fold_constants,          // Elementwise of constants -> a constant
    make_fold_affine_into_threshold,  // add/sub/mul/div/BatchNorm/Reshape before a MultiThreshold -> its thresholds
    make_absorb_input_quantizers,  // a quantizer reading a float graph input -> the input's type and conversion
    make_fuse_dense_elementwise,  // Dense + Add/Sub/Mul by a constant -> Dense
    make_fuse_batchnorm,          // Dense + BatchNorm -> Dense
    make_resolve_types,           // config -> settings and types of every tensor ("auto" left to infer_precision)
    make_quantize_constants,      // float constants -> raw integers (saturating)
    make_infer_precision,         // "auto" accumulators (lossless) and results (interval bounds)
    make_snap_thresholds,         // MultiThreshold thresholds -> integers on the input's grid (exact compare)
    make_build_tables,            // lookup tables of activations and softmax, MultiThreshold output levels
};

void check_pass_name(const std::string& option, const std::string& value) {
  if (value.empty() || (option == "IR stage" && value == ir::kFrontendStage)) return;
  const auto names = pipeline_pass_names();
  if (std::find(names.begin(), names.end(), value) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  const std::string guess = config::nearest(value, names);
  throw Error(option, "no pass is named '" + value + "'",
              guess.empty() ? "the passes are " + list : "did you mean '" + guess + "'? the passes are " + list);
}

}  // namespace

std::vector<std::unique_ptr<Pass>> default_pipeline() {
  std::vector<std::unique_ptr<Pass>> v;
  for (Factory f : kPipeline) v.push_back(f());
  return v;
}

std::vector<std::string> pipeline_pass_names() {
  std::vector<std::string> v;
  for (const auto& p : default_pipeline()) v.emplace_back(p->name());
  return v;
}

void run_pipeline(ir::Graph& g, PassContext& ctx, const PipelineOptions& opts) {
  check_pass_name("--print-after", opts.print_after);
  check_pass_name("--stop-after", opts.stop_after);
  check_pass_name("IR stage", opts.start_after);
  const auto names = pipeline_pass_names();
  auto index = [&](const std::string& n) {
    return n.empty() || n == ir::kFrontendStage ? -1 : std::find(names.begin(), names.end(), n) - names.begin();
  };
  const auto start = index(opts.start_after);
  for (const auto* option : {&opts.stop_after, &opts.print_after})
    if (!option->empty() && index(*option) <= start)
      throw Error(option == &opts.stop_after ? "--stop-after" : "--print-after",
                  "pass '" + *option + "' already ran: the model is an IR printed after pass '" + opts.start_after + "'",
                  "give a pass that runs after '" + opts.start_after + "', or the model the IR was printed from");
  // A graph resumed after infer_precision (IR text) must already be what that stage guarantees: every
  // tensor typed, every constant quantized. Checked here, so that a hand-edited or damaged text gets an error
  // about the text, not the internal error of the check after the pipeline (found by fuzz_ir).
  const auto typed_from = std::find(names.begin(), names.end(), "infer_precision") - names.begin();
  const auto tables_from = std::find(names.begin(), names.end(), "build_tables") - names.begin();
  if (start >= typed_from) {
    try {
      g.verify(true);
      for (const ir::Node& n : g.nodes) {
        const bool accum = n.kind == ir::OpKind::Dense || n.kind == ir::OpKind::Conv || n.kind == ir::OpKind::Softmax ||
                           avg_pool(n);
        if (accum && !n.types.count("accum"))
          throw Error("node '" + n.name + "'", "has no 'accum' type", "infer_precision sets it");
        if (n.kind == ir::OpKind::Recurrent) {
          const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
          std::vector<std::string> need = {"accum", "recurrent_accum", "state", "table"};
          if (a.cell == ir::CellKind::LSTM) need.push_back("cell_state");
          if (a.has_recurrent_activation()) need.push_back("recurrent_table");
          for (const std::string& k : need)
            if (!n.types.count(k))
              throw Error("node '" + n.name + "'", "has no '" + k + "' type", "resolve_types and infer_precision set it");
        }
        if (n.kind == ir::OpKind::GarNet)
          for (const char* k : {"distance", "edge_weight", "edge_weight_aggr", "aggr"})
            if (!n.types.count(k))
              throw Error("node '" + n.name + "'", std::string("has no '") + k + "' type", "resolve_types sets it");
        if (start < tables_from) continue;
        std::vector<std::string> roles;
        if (n.kind == ir::OpKind::Softmax) roles = {"exp_hi", "exp_lo", "inv"};
        else if (table_function(n)) roles = {"table"};
        else if (n.kind == ir::OpKind::GarNet)
          roles = {"edge"};
        else if (n.kind == ir::OpKind::Recurrent)
          roles = n.has_attr("recurrent_activation") ? std::vector<std::string>{"table", "recurrent_table"}
                                                     : std::vector<std::string>{"table"};
        for (const std::string& r : roles) {
          auto spec = n.tables.find(r);
          auto data = n.table_data.find(r);
          if (spec == n.tables.end() || data == n.table_data.end() ||
              static_cast<int64_t>(data->second.size()) != n.table_entries(r))
            throw Error("node '" + n.name + "'", "has no complete lookup table '" + r + "'", "build_tables builds it");
        }
      }
    } catch (const Error& e) {
      throw Error("IR stage " + opts.start_after + ": " + e.where(), e.message(),
                  "a graph printed after infer_precision has every tensor and accumulator typed and every constant "
                  "quantized, and after build_tables every lookup table built; "
                  "print it again with firmnet inspect --ir, or give an earlier stage");
    }
  }
  int64_t i = -1;
  for (const auto& pass : default_pipeline()) {
    const std::string name = pass->name();
    if (++i <= start) continue;
    try {
      pass->run(g, ctx);
    } catch (const Error& e) {
      throw Error(e.where().empty() ? name : name + ": " + e.where(), e.message(), e.hint());
    }
    if (opts.verify_each) {
      try {
        g.verify(false);
      } catch (const Error& e) {
        throw Error("after pass " + name + ": " + e.where(), "invalid IR: " + e.message(),
                    "this is a firmnet bug; please report it with the model");
      }
    }
    if (opts.print_after == name) std::cerr << "// IR after " << name << "\n" << ir::print(g);
    if (opts.stop_after == name) return;
  }
  try {
    g.verify(true);
  } catch (const Error& e) {
    throw Error("after the pipeline: " + e.where(), e.message(), "this is a firmnet bug; please report it with the model");
  }
}

}  // namespace firmnet::passes
