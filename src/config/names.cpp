// Names the configuration understands: precision variables, LayerType names with their aliases, and the
// edit-distance matcher behind every "did you mean" hint.
#include <algorithm>
#include <cctype>

#include "config/config.h"
#include "ir/activations.h"

namespace firmnet::config {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Levenshtein distance, case-insensitive (a wrong case is a typo too).
size_t edit_distance(const std::string& a_in, const std::string& b_in) {
  const std::string a = lower(a_in), b = lower(b_in);
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

struct TypeAlias {
  const char* alias;
  const char* canonical;
};

// hls4ml's class names and the spellings ONNX users reach for; every canonical name maps to itself.
constexpr TypeAlias kLayerTypes[] = {
    {"Input", "Input"},
    {"InputLayer", "Input"},
    {"Dense", "Dense"},
    {"BatchNormalization", "BatchNormalization"},
    {"BatchNorm", "BatchNormalization"},
    {"Activation", "Activation"},
    {"Softmax", "Softmax"},
    {"Elementwise", "Elementwise"},
    {"Add", "Elementwise"},
    {"Subtract", "Elementwise"},
    {"Multiply", "Elementwise"},
    {"Merge", "Elementwise"},
    {"Reshape", "Reshape"},
    {"Concatenate", "Concatenate"},
    {"MultiThreshold", "MultiThreshold"},
    {"Rescale", "Rescale"},
    {"Quantize", "Quantize"},
    {"Quant", "Quantize"},
    {"ArgMax", "ArgMax"},
    {"Conv", "Conv"},
    {"Conv1D", "Conv1D"},
    {"Conv2D", "Conv2D"},
    {"DepthwiseConv1D", "DepthwiseConv1D"},
    {"DepthwiseConv2D", "DepthwiseConv2D"},
    {"Pooling", "Pooling"},
    {"MaxPooling1D", "MaxPooling1D"},
    {"MaxPooling2D", "MaxPooling2D"},
    {"AveragePooling1D", "AveragePooling1D"},
    {"AveragePooling2D", "AveragePooling2D"},
    {"Transpose", "Transpose"},
    {"Resize", "Resize"},
    {"UpSampling1D", "Resize"},
    {"UpSampling2D", "Resize"},
    {"Slice", "Slice"},
    {"Cropping1D", "Slice"},
    {"Cropping2D", "Slice"},
    {"Recurrent", "Recurrent"},
    {"LSTM", "LSTM"},
    {"GRU", "GRU"},
    {"SimpleRNN", "SimpleRNN"},
    {"RNN", "SimpleRNN"},
    {"GarNet", "GarNet"},
    {"GarNetStack", "GarNetStack"},
    // and one per activation function (ir/activations.def: ReLU, LeakyReLU, ...)
};


}  // namespace

const std::vector<std::string>& precision_variables() {
  static const std::vector<std::string> v = {"result", "accum",     "weight",    "bias",  "scale",
                                             "table",  "exp_table", "inv_table", "param", "default",
                                             // recurrent layers
                                             "recurrent_accum", "recurrent_weight", "recurrent_bias", "state",
                                             "cell_state", "recurrent_table",
                                             // GarNet
                                             "distance", "edge_weight", "edge_weight_aggr", "aggr"};
  return v;
}

const std::vector<std::string>& layer_type_names() {
  static const std::vector<std::string> v = [] {
    std::vector<std::string> r;
    for (const auto& t : kLayerTypes) r.push_back(t.alias);
    for (ir::ActivationFn f : ir::all_activations()) r.push_back(ir::layer_type(f));
    return r;
  }();
  return v;
}

std::optional<std::string> canonical_layer_type(const std::string& name) {
  const std::string l = lower(name);
  for (const auto& t : kLayerTypes)
    if (lower(t.alias) == l) return std::string(t.canonical);
  for (ir::ActivationFn f : ir::all_activations())
    if (lower(ir::layer_type(f)) == l) return std::string(ir::layer_type(f));
  return std::nullopt;
}

std::string nearest(const std::string& key, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    const size_t d = edit_distance(key, c);
    if (d < best_d) best_d = d, best = c;
  }
  // A suggestion must be plausible: at most a third of the longer name changed (and at least 2 edits ok).
  const size_t limit = std::max<size_t>(2, std::max(key.size(), best.size()) / 3);
  return best_d <= limit ? best : std::string();
}

}  // namespace firmnet::config
