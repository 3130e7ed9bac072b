#pragma once
// hls4ml-compatible configuration (YAML). Every key is honoured or rejected, naming the key and the
// nearest valid one. A missing config means all defaults.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::config {

// Settings at one level of HLSConfig (Model, one LayerType entry, or one LayerName entry).
struct LayerSettings {
  // Precision per variable: "result", "accum", "weight", "bias", "scale", "table", ... ; a plain string
  // Precision sets "default", which applies to every variable the level does not name.
  std::map<std::string, std::string> precision;
  std::optional<int> reuse_factor;
  std::optional<ir::Strategy> strategy;
  std::optional<int> table_size;            // entries of lookup tables (power of two)
  std::optional<std::string> implementation;  // softmax: "stable"
  std::optional<bool> trace;
  // Recurrent layers (hls4ml's names): `static` (one cell instance reused every time step, the default; false:
  // the time steps unrolled) and `recurrent_reuse_factor` (the recurrent product's; default: ReuseFactor).
  std::optional<bool> is_static;
  std::optional<int> recurrent_reuse_factor;
};

struct Config {
  std::string backend = "Vitis";          // Vitis | Vivado
  std::string part = "xcvu13p-flga2577-2-e";
  double clock_period = 5.0;               // ns
  std::optional<double> clock_uncertainty; // percent; unset: the HLS tool's own default (backend)
  std::string io_type = "io_parallel";
  std::string project_name = "myproject";
  std::string output_dir;                  // empty: the CLI's -o decides
  // The model files an hls4ml configuration names (KerasJson + KerasH5, KerasH5 alone, OnnxModel), as written;
  // driver::model_from_config resolves them. The command line's model wins over them.
  std::string keras_json, keras_h5, onnx_model;
  std::string source;                      // the configuration file (empty: parsed from text)
  LayerSettings model;
  std::map<std::string, LayerSettings> layer_type;   // keyed by LayerType name, e.g. "Dense", "Softmax"
  std::map<std::string, LayerSettings> layer_name;   // keyed by layer name
  // Load-time findings that are not errors (e.g. hls4ml path keys firmnet ignores); the driver prints them.
  std::vector<Warning> warnings;

  static Config defaults() { return Config{}; }
  static Config load_file(const std::string& path);                 // throws firmnet::Error
  static Config parse(const std::string& yaml, const std::string& display_name);
};

// The precision variables a level may name ("result", "accum", ..., "default").
const std::vector<std::string>& precision_variables();

// LayerType names accepted in HLSConfig.LayerType, canonical spelling (aliases map onto these).
const std::vector<std::string>& layer_type_names();
// Canonical LayerType for a name or alias, case-insensitive ("Relu" -> "ReLU", "Add" -> "Elementwise",
// "BatchNorm" -> "BatchNormalization"); nullopt when unknown.
std::optional<std::string> canonical_layer_type(const std::string& name);

// The candidate closest to `key` by edit distance (case-insensitive), or "" when none is close enough
// to be a plausible typo. Used for every "did you mean" hint.
std::string nearest(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace firmnet::config
