// Looking up a node's configuration: LayerName (node name or alias) -> LayerType -> Model.
#include "passes/layer_config.h"

#include <algorithm>

#include <fmt/format.h>

#include "passes/internal.h"

namespace firmnet::passes {

namespace {

std::string kind_type(ir::OpKind k) {
  switch (k) {
    case ir::OpKind::Input: return "Input";
    case ir::OpKind::Dense: return "Dense";
    case ir::OpKind::BatchNorm: return "BatchNormalization";
    case ir::OpKind::Activation: return "Activation";
    case ir::OpKind::Softmax: return "Softmax";
    case ir::OpKind::Elementwise: return "Elementwise";
    case ir::OpKind::Reshape: return "Reshape";
    case ir::OpKind::Concat: return "Concatenate";
    case ir::OpKind::MultiThreshold: return "MultiThreshold";
    case ir::OpKind::Rescale: return "Rescale";
    case ir::OpKind::Quantize: return "Quantize";
    case ir::OpKind::ArgMax: return "ArgMax";
    case ir::OpKind::Conv: return "Conv";
    case ir::OpKind::Pool: return "Pooling";
    case ir::OpKind::Transpose: return "Transpose";
    case ir::OpKind::Upsample: return "Resize";
    case ir::OpKind::Slice: return "Slice";
    case ir::OpKind::Recurrent: return "Recurrent";
    case ir::OpKind::GarNet: return "GarNet";
  }
  return "";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

void check_variables(const config::LayerSettings& s, const std::vector<std::string>& valid, const std::string& path,
                     const std::string& who) {
  for (const auto& [var, text] : s.precision)
    if (std::find(valid.begin(), valid.end(), var) == valid.end())
      throw Error(path + ".Precision." + var, who + " has no precision variable '" + var + "'",
                  "valid ones are " + join(valid));
}

}  // namespace

std::vector<std::string> layer_types_of(const ir::Node& n) {
  std::vector<std::string> v;
  if (n.kind == ir::OpKind::Activation && n.has_attr("function")) {
    if (const auto f = ir::activation_from_name(n.attr_str("function"))) v.push_back(ir::layer_type(*f));
  }
  // hls4ml's Keras layer class names: Conv1D/Conv2D/DepthwiseConv1D/DepthwiseConv2D,
  // MaxPooling1D/2D, AveragePooling1D/2D (global pools are pools whose window is the whole map).
  if (n.kind == ir::OpKind::Conv && n.has_attr("kernel")) {
    const size_t rank = n.attr_ints("kernel").size();
    const bool dw = n.has_attr("group") && std::holds_alternative<int64_t>(n.attrs.at("group")) && n.attr_int("group") > 1;
    v.push_back(fmt::format("{}Conv{}D", dw ? "Depthwise" : "", rank));
  }
  if (n.kind == ir::OpKind::Pool && n.has_attr("kernel") && n.has_attr("mode")) {
    const size_t rank = n.attr_ints("kernel").size();
    v.push_back(fmt::format("{}Pooling{}D", n.attr_str("mode") == "max" ? "Max" : "Average", rank));
  }
  // hls4ml's Keras layer class names: LSTM, GRU, SimpleRNN.
  if (n.kind == ir::OpKind::Recurrent && n.has_attr("cell") && std::holds_alternative<std::string>(n.attrs.at("cell"))) {
    const std::string& c = n.attr_str("cell");
    v.push_back(c == "lstm" ? "LSTM" : c == "gru" ? "GRU" : "SimpleRNN");
  }
  // A GarNetStack's sublayers (one node each) also answer to hls4ml's GarNetStack type.
  if (n.kind == ir::OpKind::GarNet && n.has_attr("stack") && std::holds_alternative<int64_t>(n.attrs.at("stack")) &&
      n.attr_int("stack") != 0)
    v.push_back("GarNetStack");
  v.push_back(kind_type(n.kind));
  return v;
}

std::string describe(const ir::Graph& g, const ir::Node& n) {
  std::string s = ir::name(n.kind);
  s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  if (n.kind == ir::OpKind::Dense && n.has_param("weight") && n.has_param("bias")) {
    const int64_t n_out = g.tensor(n.param("bias")).size();
    const int64_t n_in = n_out > 0 ? g.tensor(n.param("weight")).size() / n_out : 0;
    s += fmt::format(" {}x{}", n_in, n_out);
  }
  if (n.kind == ir::OpKind::Activation && n.has_attr("function")) s += " " + n.attr_str("function");
  return s;
}

std::vector<std::string> variables_of(const ir::Graph& g, const ir::Node& n) {
  (void)g;
  std::vector<std::string> v = {"result"};
  switch (n.kind) {
    case ir::OpKind::Dense:
    case ir::OpKind::Conv: v.insert(v.end(), {"accum", "weight", "bias"}); break;
    case ir::OpKind::Pool:
      if (avg_pool(n)) v.push_back("accum");
      break;
    case ir::OpKind::BatchNorm: v.insert(v.end(), {"scale", "bias"}); break;
    case ir::OpKind::Softmax: v.insert(v.end(), {"accum", "exp_table", "inv_table"}); break;
    case ir::OpKind::Activation:
      if (table_function(n)) v.push_back("table");
      if (!n.params.empty()) v.push_back("param");
      break;
    case ir::OpKind::Elementwise:
    case ir::OpKind::MultiThreshold:
      if (!n.params.empty()) v.push_back("param");
      break;
    case ir::OpKind::Rescale: v.insert(v.end(), {"scale", "param"}); break;
    case ir::OpKind::Recurrent: {
      v.insert(v.end(), {"accum", "recurrent_accum", "weight", "recurrent_weight", "bias", "recurrent_bias", "state",
                         "table"});
      const bool lstm = n.has_attr("cell") && std::holds_alternative<std::string>(n.attrs.at("cell")) &&
                        n.attr_str("cell") == "lstm";
      if (lstm) v.push_back("cell_state");
      if (n.has_attr("recurrent_activation")) v.push_back("recurrent_table");
      break;
    }
    case ir::OpKind::GarNet:
      v.insert(v.end(), {"weight", "bias", "distance", "edge_weight", "edge_weight_aggr", "aggr"});
      break;
    case ir::OpKind::Input:
    case ir::OpKind::Reshape:
    case ir::OpKind::Transpose:
    case ir::OpKind::Upsample:
    case ir::OpKind::Slice:
    case ir::OpKind::Concat:
    case ir::OpKind::Quantize:
    case ir::OpKind::ArgMax: break;
  }
  v.push_back("default");
  return v;
}

std::vector<std::string> variables_of_type(const std::string& t) {
  if (t == "Dense" || t == "Conv" || t == "Conv1D" || t == "Conv2D" || t == "DepthwiseConv1D" ||
      t == "DepthwiseConv2D")
    return {"result", "accum", "weight", "bias", "default"};
  if (t == "LSTM" || t == "GRU" || t == "SimpleRNN" || t == "Recurrent") {
    std::vector<std::string> v = {"result", "accum", "recurrent_accum", "weight", "recurrent_weight", "bias",
                                  "recurrent_bias", "state", "table"};
    if (t != "SimpleRNN") v.push_back("recurrent_table");
    if (t == "LSTM" || t == "Recurrent") v.push_back("cell_state");
    v.push_back("default");
    return v;
  }
  if (t == "GarNet" || t == "GarNetStack")
    return {"result", "weight", "bias", "distance", "edge_weight", "edge_weight_aggr", "aggr", "default"};
  if (t == "AveragePooling1D" || t == "AveragePooling2D") return {"result", "accum", "default"};
  if (t == "BatchNormalization") return {"result", "scale", "bias", "default"};
  if (t == "Softmax") return {"result", "accum", "exp_table", "inv_table", "default"};
  if (t == "Activation") return {"result", "table", "param", "default"};
  if (t == "ELU" || t == "Sigmoid" || t == "TanH" || t == "Softplus" || t == "Softsign")
    return {"result", "table", "default"};
  if (t == "SELU") return {"result", "table", "param", "default"};
  if (t == "LeakyReLU" || t == "HardSigmoid" || t == "Clip" || t == "Elementwise" || t == "MultiThreshold")
    return {"result", "param", "default"};
  if (t == "Rescale") return {"result", "scale", "param", "default"};
  return {"result", "default"};  // Input, ReLU, HardTanh, Reshape, Concatenate, ArgMax
}

std::string variable_of_param(const ir::Node& n, const std::string& key) {
  if ((n.kind == ir::OpKind::Dense || n.kind == ir::OpKind::Conv) && (key == "weight" || key == "bias")) return key;
  if (n.kind == ir::OpKind::BatchNorm && (key == "scale" || key == "bias")) return key;
  if (n.kind == ir::OpKind::Rescale && key == "scale") return key;
  if (n.kind == ir::OpKind::GarNet) {  // flr_weight, s_weight, fout_weight; flr_bias, s_bias, fout_bias
    if (key.size() > 7 && key.substr(key.size() - 7) == "_weight") return "weight";
    if (key.size() > 5 && key.substr(key.size() - 5) == "_bias") return "bias";
    return "param";  // reciprocal: typed by resolve_types
  }
  if (n.kind == ir::OpKind::Recurrent) return key;  // weight, recurrent_weight, bias, recurrent_bias
  return "param";
}

std::vector<Level> LayerConfig::levels(const ir::Node& n) const {
  std::vector<Level> v;
  auto by_name = [&](const std::string& name) {
    auto it = cfg_.layer_name.find(name);
    if (it != cfg_.layer_name.end()) v.push_back({Level::LayerName, "config LayerName " + name, &it->second});
  };
  by_name(n.name);
  for (const auto& a : n.aliases)
    if (a != n.name) by_name(a);
  for (const auto& t : layer_types_of(n)) {
    auto it = cfg_.layer_type.find(t);
    if (it != cfg_.layer_type.end()) v.push_back({Level::LayerType, "config LayerType " + t, &it->second});
  }
  v.push_back({Level::Model, "config Model", &cfg_.model});
  return v;
}

PrecisionChoice LayerConfig::precision(const ir::Node& n, const std::string& var, bool with_default) const {
  for (const Level& l : levels(n)) {
    const auto& p = l.settings->precision;
    for (const std::string& key : {var, std::string("default")}) {
      if (key != var && !with_default) continue;
      auto it = p.find(key);
      if (it == p.end()) continue;
      return {it->second, key == var ? l.label : l.label + " (default)", l.kind == Level::LayerName, true};
    }
  }
  return {"auto", "default", false, false};
}

void LayerConfig::validate(const ir::Graph& g, std::vector<Warning>* warnings) const {
  std::vector<std::string> names;
  for (const auto& n : g.nodes) {
    names.push_back(n.name);
    names.insert(names.end(), n.aliases.begin(), n.aliases.end());
  }
  for (const auto& [key, settings] : cfg_.layer_name) {
    const ir::Node* match = nullptr;
    for (const auto& n : g.nodes)
      if (n.name == key || std::find(n.aliases.begin(), n.aliases.end(), key) != n.aliases.end()) match = &n;
    const std::string path = "HLSConfig.LayerName." + key;
    const std::string suffix = "_linear";
    if (!match && warnings && key.size() > suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      warnings->push_back({path, "names no layer: hls4ml's linear activation layer of a layer '" +
                                     key.substr(0, key.size() - suffix.size()) + "', which this model does not have; ignored"});
      continue;
    }
    if (!match) {
      const std::string guess = config::nearest(key, names);
      std::vector<std::string> shown(names.begin(), names.begin() + std::min<size_t>(names.size(), 12));
      throw Error(path, "no layer is named '" + key + "'",
                  (guess.empty() ? "" : "did you mean '" + guess + "'? ") + "the layers are " + join(shown) +
                      (names.size() > shown.size() ? ", ..." : "") + " (see `firmnet inspect`)");
    }
    check_variables(settings, variables_of(g, *match), path,
                    "layer '" + match->name + "' (" + describe(g, *match) + ")");
  }
  for (const auto& [type, settings] : cfg_.layer_type)
    check_variables(settings, variables_of_type(type), "HLSConfig.LayerType." + type, "LayerType " + type);
}

}  // namespace firmnet::passes
