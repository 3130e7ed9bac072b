#pragma once
// The compiler driver: the whole pipeline as a library (model file + config → compiled graph → emulator
// or HLS project). The CLI, the end-to-end tests and the benchmarks all go through it.
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "estimate/estimate.h"
#include "ir/graph.h"
#include "passes/pass.h"
#include "support/data_io.h"
#include "support/error.h"

namespace firmnet::driver {

struct Compiled {
  ir::Graph graph;
  config::Config config;
  std::vector<Warning> warnings;
};

// Empty path: the defaults.
config::Config load_config(const std::string& path);
// By file extension: .onnx (ONNX, QONNX, FINN-ONNX), .h5 / .keras / .json (Keras, QKeras; a .json takes its
// weights from `weights`, else from NAME_weights.h5 beside it when that exists) or .fnir (firmnet's IR text
// form, ir/text.h; *stage receives the pass it was printed after, "frontend" for the others). Unknown formats
// are an error naming the supported ones.
ir::Graph load_model(const std::string& path, std::vector<Warning>& warnings, std::string* stage = nullptr,
                     const std::string& weights = {});
// The model a configuration names, as hls4ml reads it: KerasJson (+ KerasH5 as its weights), KerasH5 alone (a
// full model), or OnnxModel. A relative path is looked up in the working directory, then in the configuration
// file's folder and that folder's parent (hls4ml's example configs name 'keras/model.json' from the folder
// above). nullopt when the configuration names no model; an Error naming the key when a file is missing.
struct ModelFiles {
  std::string model, weights;
};
std::optional<ModelFiles> model_from_config(const config::Config& cfg);

// Loads, then runs the pass pipeline (for an IR text model, the passes after its stage). The result is
// verified and fully typed.
Compiled compile(const std::string& model_path, const config::Config& cfg, const passes::PipelineOptions& opts = {},
                 const std::string& weights = {});
// Runs the passes after `stage` (ir/text.h: "frontend" = all of them) on a graph already in memory.
Compiled compile_graph(ir::Graph graph, const std::string& stage, const config::Config& cfg,
                       const passes::PipelineOptions& opts = {}, const std::string& where = "model");
Compiled compile(const std::string& model_path, const std::string& config_path,
                 const passes::PipelineOptions& opts = {}, const std::string& weights = {});

// The resource/latency estimate of a compiled graph for the configured part, clock and io type.
estimate::Target estimate_target(const config::Config& cfg);
estimate::Estimate estimate(const Compiled& c);

// Sample data ↔ graph inputs/outputs. An array for an input of n elements may be [N, n], [N, ...shape] or
// [n] (one sample). Errors name the input, the expected and the given shape. One array [N, n_0 + n_1 + ...] for a
// model of several inputs holds each sample's inputs one after another on its row (hls4ml's tb_input_features.dat).
std::vector<std::vector<double>> inputs_from_arrays(const ir::Graph& g, const std::vector<support::Array>& arrays,
                                                    size_t& batch);
// A graph output's values as an array [batch, ...] in the model's order and shape.
support::Array output_array(const ir::Graph& g, size_t output_index, const std::vector<double>& values,
                            size_t batch);

// The path of the ap_types headers: $FIRMNET_AP_TYPES_DIR, else the one configured at build time.
std::string ap_types_dir();

}  // namespace firmnet::driver
