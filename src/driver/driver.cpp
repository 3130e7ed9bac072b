#include "driver/driver.h"

#include "backends/vitis/vendor.h"
#include "backends/vitis/vitis_backend.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "frontends/keras/keras_frontend.h"
#include "frontends/onnx/onnx_frontend.h"
#include "ir/hardware.h"
#include "ir/text.h"

namespace firmnet::driver {

namespace {
std::string extension(const std::string& path) {
  auto e = std::filesystem::path(path).extension().string();
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}
}  // namespace

config::Config load_config(const std::string& path) {
  if (path.empty()) return config::Config::defaults();
  return config::Config::load_file(path);
}

namespace {
// The weights of a Keras .json: given, or NAME_weights.h5 beside NAME.json (the example-models convention).
std::string keras_weights(const std::string& path, const std::string& weights) {
  if (!weights.empty()) return weights;
  std::filesystem::path p(path);
  const auto guess = p.parent_path() / (p.stem().string() + "_weights.h5");
  std::error_code ec;
  return std::filesystem::exists(guess, ec) ? guess.string() : std::string();
}
}  // namespace

ir::Graph load_model(const std::string& path, std::vector<Warning>& warnings, std::string* stage,
                     const std::string& weights) {
  const std::string ext = extension(path);
  if (stage) *stage = ir::kFrontendStage;
  if (!weights.empty() && ext != ".json")
    throw Error(weights, "--weights is only for a Keras architecture .json, not a " + (ext.empty() ? std::string("file without extension") : ext) + " model",
                "drop --weights: " + path + " holds its own weights");
  if (ext == ".onnx") return frontends::load_onnx(path, warnings);
  if (ext == ".h5" || ext == ".hdf5" || ext == ".keras") return frontends::load_keras(path, "", warnings);
  if (ext == ".json") return frontends::load_keras(path, keras_weights(path, weights), warnings);
  if (ext == ".fnir") {
    ir::TextGraph t = ir::parse_text(support::read_file(path), path);
    if (stage) *stage = t.stage;
    return std::move(t.graph);
  }
  if (!std::filesystem::exists(path)) throw Error(path, "no such file");
  throw Error(path, "unsupported model format '" + ext + "'",
              "firmnet reads ONNX/QONNX/FINN-ONNX models (.onnx), Keras/QKeras models (.h5, .keras, or .json with "
              "--weights) and its own IR text form (.fnir)");
}

namespace {
std::string resolve_config_path(const config::Config& cfg, const std::string& key, const std::string& p) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<fs::path> tried = {fs::path(p)};
  if (fs::path(p).is_relative() && !cfg.source.empty()) {
    const fs::path dir = fs::path(cfg.source).parent_path();
    tried.push_back(dir / p);
    tried.push_back(dir.parent_path() / p);
  }
  for (const fs::path& t : tried)
    if (fs::is_regular_file(t, ec)) return t.string();
  std::string where;
  for (const fs::path& t : tried) where += (where.empty() ? "" : ", ") + t.string();
  throw Error(cfg.source.empty() ? "configuration" : cfg.source,
              "key '" + key + "': the file '" + p + "' is not found (looked for " + where + ")",
              "give the path relative to the working directory or to the configuration file");
}
}  // namespace

std::optional<ModelFiles> model_from_config(const config::Config& cfg) {
  if (!cfg.onnx_model.empty() && (!cfg.keras_json.empty() || !cfg.keras_h5.empty()))
    throw Error(cfg.source.empty() ? "configuration" : cfg.source, "names both OnnxModel and a Keras model",
                "keep one of them");
  if (!cfg.onnx_model.empty()) return ModelFiles{resolve_config_path(cfg, "OnnxModel", cfg.onnx_model), ""};
  if (!cfg.keras_json.empty())
    return ModelFiles{resolve_config_path(cfg, "KerasJson", cfg.keras_json),
                      cfg.keras_h5.empty() ? "" : resolve_config_path(cfg, "KerasH5", cfg.keras_h5)};
  if (!cfg.keras_h5.empty()) return ModelFiles{resolve_config_path(cfg, "KerasH5", cfg.keras_h5), ""};
  return std::nullopt;
}

namespace {
bool sets_layers(const config::LayerSettings& s) {
  return !s.precision.empty() || s.reuse_factor || s.strategy || s.table_size || s.implementation || s.trace;
}
}  // namespace

Compiled compile(const std::string& model_path, const config::Config& cfg, const passes::PipelineOptions& opts,
                 const std::string& weights) {
  std::vector<Warning> load_warnings;
  std::string stage;
  ir::Graph g = load_model(model_path, load_warnings, &stage, weights);
  Compiled c = compile_graph(std::move(g), stage, cfg, opts, model_path);
  c.warnings.insert(c.warnings.begin() + static_cast<std::ptrdiff_t>(cfg.warnings.size()), load_warnings.begin(),
                    load_warnings.end());
  return c;
}

Compiled compile_graph(ir::Graph graph, const std::string& stage, const config::Config& cfg,
                       const passes::PipelineOptions& opts, const std::string& where) {
  Compiled c{std::move(graph), cfg, {}};
  c.warnings.insert(c.warnings.end(), cfg.warnings.begin(), cfg.warnings.end());
  c.graph.name = cfg.project_name;
  passes::PassContext ctx{c.config, c.warnings, opts.input_ranges};
  passes::PipelineOptions popts = opts;
  popts.start_after = stage;
  // resolve_types applies the configuration's layer settings; an IR printed after it carries them already.
  const auto names = passes::pipeline_pass_names();
  const auto resolve = std::find(names.begin(), names.end(), "resolve_types");
  if (stage != ir::kFrontendStage && std::find(names.begin(), resolve, stage) == resolve &&
      (sets_layers(cfg.model) || !cfg.layer_type.empty() || !cfg.layer_name.empty()))
    c.warnings.push_back({where, "the IR was printed after pass '" + stage +
                                     "': the configuration's precision, reuse, strategy and table settings are "
                                     "already in it and are not applied again (its project, part, clock and "
                                     "IOType are)"});
  passes::run_pipeline(c.graph, ctx, popts);
  // What the firmware builds, recorded once on the graph for the emitter, the feasibility check and the
  // estimator (ir/hardware.h).
  c.graph.hardware = std::make_shared<const ir::HardwarePlan>(ir::plan_hardware(c.graph, backends::hardware_target(c.config)));
  // The HLS limits, reported at conversion (and by inspect/predict) rather than hours into synthesis.
  for (const backends::FeasibilityFinding& f : backends::check_feasibility(c.graph, c.config))
    c.warnings.push_back({f.where, "HLS: " + f.what + " (fix: " + f.hint + ")"});
  return c;
}

Compiled compile(const std::string& model_path, const std::string& config_path, const passes::PipelineOptions& opts,
                 const std::string& weights) {
  return compile(model_path, load_config(config_path), opts, weights);
}

std::vector<std::vector<double>> inputs_from_arrays(const ir::Graph& g, const std::vector<support::Array>& arrays_in,
                                                    size_t& batch) {
  std::vector<support::Array> arrays = arrays_in;
  // One file for several inputs: each row holds every input's values in turn (hls4ml's tb_input_features.dat).
  if (arrays.size() == 1 && g.inputs.size() > 1 && arrays[0].shape.size() == 2) {
    int64_t total = 0;
    for (ir::TensorId t : g.inputs) total += g.tensor(t).size();
    const support::Array& a = arrays[0];
    if (a.shape[1] == total) {
      std::vector<support::Array> split(g.inputs.size());
      for (size_t k = 0; k < split.size(); ++k) split[k].shape = {a.shape[0], g.tensor(g.inputs[k]).size()};
      for (int64_t r = 0; r < a.shape[0]; ++r) {
        int64_t at = r * total;
        for (size_t k = 0; k < split.size(); ++k) {
          const int64_t m = g.tensor(g.inputs[k]).size();
          split[k].data.insert(split[k].data.end(), a.data.begin() + at, a.data.begin() + at + m);
          at += m;
        }
      }
      arrays = std::move(split);
    }
  }
  if (arrays.size() != g.inputs.size())
    throw Error("inputs", fmt::format("the model has {} input(s), {} data file(s) given", g.inputs.size(), arrays.size()),
                "pass one --input per model input, in order");
  std::vector<std::vector<double>> out;
  batch = 0;
  for (size_t k = 0; k < arrays.size(); ++k) {
    const auto& t = g.tensor(g.inputs[k]);
    const auto& a = arrays[k];
    const int64_t n = t.size();
    int64_t rows;
    const std::string shape = ir::to_string(a.shape);
    if (a.shape.size() == 1 && a.shape[0] == n) rows = 1;
    else if (!a.shape.empty() && a.row_size() == n) rows = a.shape[0];
    else
      throw Error("input '" + t.name + "'",
                  fmt::format("data of shape {} does not fit the model input of {} values per sample {}", shape, n,
                              ir::to_string(t.shape)),
                  fmt::format("give an array of shape [N, {}]", n));
    if (rows == 0) throw Error("input '" + t.name + "'", "no samples in the data");
    if (k > 0 && static_cast<size_t>(rows) != batch)
      throw Error("input '" + t.name + "'", fmt::format("{} samples, but the first input has {}", rows, batch));
    batch = static_cast<size_t>(rows);
    out.push_back(t.layout ? t.layout->to_held(a.data) : a.data);
  }
  return out;
}

support::Array output_array(const ir::Graph& g, size_t output_index, const std::vector<double>& values, size_t batch) {
  support::Array a;
  const auto& t = g.tensor(g.outputs.at(output_index));
  a.shape = {static_cast<int64_t>(batch)};  // [batch, ...the tensor's shape]: the model's when it has no layout
  a.shape.insert(a.shape.end(), t.shape.begin(), t.shape.end());
  if (t.shape.empty()) a.shape.push_back(1);
  a.data = values;
  if (t.layout) {  // in the model's order and shape, as the framework would give it
    a.data = t.layout->to_model(values);
    a.shape = {static_cast<int64_t>(batch)};
    a.shape.insert(a.shape.end(), t.layout->model_shape.begin(), t.layout->model_shape.end());
  }
  return a;
}

std::string ap_types_dir() {
  if (const char* env = std::getenv("FIRMNET_AP_TYPES_DIR"); env && *env) return env;
  return FIRMNET_AP_TYPES_DIR;
}

}  // namespace firmnet::driver

namespace firmnet::driver {

estimate::Target estimate_target(const config::Config& cfg) {
  estimate::Target t;
  t.part = cfg.part;
  t.clock_ns = cfg.clock_period;
  // The uncertainty build_prj.tcl sets: the configured one, else the HLS tool's default (Vitis 27 %).
  t.uncertainty_pct = backends::vitis::vendor_spelling(cfg.backend).clock_uncertainty(cfg.clock_uncertainty);
  t.io_type = cfg.io_type;
  t.backend = cfg.backend;
  return t;
}

estimate::Estimate estimate(const Compiled& c) {
  const estimate::Target target = estimate_target(c.config);
  const auto hw = ir::hardware_plan(c.graph, backends::hardware_target(c.config));
  estimate::Estimate e = estimate::estimate(c.graph, target, *hw);
  // The HLS limits: the backend's own check (the one compile() warns about), ahead of the capacity.
  std::vector<estimate::Finding> limits;
  for (const backends::FeasibilityFinding& f : backends::check_feasibility(c.graph, c.config)) {
    std::string layer = f.where;
    if (layer.rfind("layer '", 0) == 0 && layer.size() > 8 && layer.back() == '\'') layer = layer.substr(7, layer.size() - 8);
    limits.push_back({layer, f.what, f.hint});
  }
  e.feasibility.insert(e.feasibility.begin(), limits.begin(), limits.end());
  return e;
}

}  // namespace firmnet::driver
