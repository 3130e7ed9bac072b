#pragma once
// Internal to src/passes: which configuration levels apply to a node (LayerName -> LayerType -> Model),
// which precision variables a node has, and where each of its constants and internal types belongs.
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "ir/graph.h"

namespace firmnet::passes {

// One level of settings that applies to a node, most specific first.
struct Level {
  enum Kind { LayerName, LayerType, Model } kind;
  std::string label;  // "config LayerName fc1", "config LayerType Dense", "config Model"
  const config::LayerSettings* settings;
};

// A precision chosen for one variable of one node: the text ("auto" or a type) and where it came from.
struct PrecisionChoice {
  std::string text;
  std::string origin;        // "config LayerName fc1", "config Model (default)", "default"
  bool from_layer_name = false;
  bool given = false;        // false: nothing in the config names it
};

// LayerType names that apply to a node, most specific first (e.g. {"ReLU", "Activation"}).
std::vector<std::string> layer_types_of(const ir::Node& n);
// "Dense 16x64", "Activation relu": how errors describe a node.
std::string describe(const ir::Graph& g, const ir::Node& n);

// Precision variables of a node (always including "default"), and those a LayerType may name.
std::vector<std::string> variables_of(const ir::Graph& g, const ir::Node& n);
std::vector<std::string> variables_of_type(const std::string& canonical_type);
// The precision variable a node's constant parameter uses ("weight", "bias", "scale" or "param").
std::string variable_of_param(const ir::Node& n, const std::string& param_key);

class LayerConfig {
 public:
  explicit LayerConfig(const config::Config& cfg) : cfg_(cfg) {}

  // Levels applying to n, most specific first.
  std::vector<Level> levels(const ir::Node& n) const;
  // LayerName -> LayerType -> Model, per variable then "default" at each level.
  // with_default false: only `var` itself counts, not a level's `default` (GarNet's internal types: hls4ml's
  // default precision of a GarNet layer is its weights', docs/NUMERICS.md "GarNet").
  PrecisionChoice precision(const ir::Node& n, const std::string& var, bool with_default = true) const;

  // Checks every LayerName refers to a node (name or alias) and every level names only variables the
  // layers it applies to have; throws firmnet::Error with the nearest names / the valid variables.
  // `warnings`: where a LayerName '<X>_linear' names no layer (hls4ml's name of a linear activation layer, which
  // firmnet folds into its layer; the layer X is absent too) it is reported there instead of refused.
  void validate(const ir::Graph& g, std::vector<Warning>* warnings = nullptr) const;

  const config::Config& config() const { return cfg_; }

 private:
  const config::Config& cfg_;
};

}  // namespace firmnet::passes
