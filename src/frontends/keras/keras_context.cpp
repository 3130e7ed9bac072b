// Context: config access, weights, IR building and Keras's built-in activations (keras_context.h).
#include "frontends/keras/keras_context.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

namespace firmnet::frontends::keras {

namespace {

std::string type_name(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "text";
  if (v.is_array()) return "a list";
  return "an object";
}

std::string dump_short(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

bool is_cpp_keyword(const std::string& s) {
  static const std::set<std::string> kw = {
      "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "const",
      "continue", "default", "delete", "do", "double", "else", "enum", "explicit", "export", "extern", "false",
      "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "not",
      "operator", "or", "private", "protected", "public", "register", "return", "short", "signed", "sizeof",
      "static", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
      "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "while", "xor", "input", "output"};
  return kw.count(s) != 0;
}

}  // namespace

void Context::fail(const Layer& l, const std::string& what, const std::string& hint) const {
  throw Error(file.where + ": " + l.where, what, hint);
}

void Context::warn(const Layer& l, const std::string& what) { warnings.push_back({l.where, what}); }

bool Context::has(const Layer& l, const std::string& key) const {
  return l.config && l.config->is_object() && l.config->contains(key) && !(*l.config)[key].is_null();
}

const json& Context::get(const Layer& l, const std::string& key) const {
  if (!has(l, key)) fail(l, "config key '" + key + "' is missing");
  return (*l.config)[key];
}

int64_t Context::get_int(const Layer& l, const std::string& key, std::optional<int64_t> def) const {
  if (!has(l, key)) {
    if (def) return *def;
    fail(l, "config key '" + key + "' is missing");
  }
  const json& v = (*l.config)[key];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_boolean()) return v.get<bool>() ? 1 : 0;
  if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() && std::fabs(v.get<double>()) < 1e15)
    return static_cast<int64_t>(v.get<double>());
  fail(l, fmt::format("config key '{}' is {} ({}), expected an integer", key, type_name(v), dump_short(v)));
}

double Context::get_float(const Layer& l, const std::string& key, std::optional<double> def) const {
  if (!has(l, key)) {
    if (def) return *def;
    fail(l, "config key '" + key + "' is missing");
  }
  const json& v = (*l.config)[key];
  if (v.is_number()) return v.get<double>();
  fail(l, fmt::format("config key '{}' is {} ({}), expected a number", key, type_name(v), dump_short(v)));
}

bool Context::get_bool(const Layer& l, const std::string& key, std::optional<bool> def) const {
  if (!has(l, key)) {
    if (def) return *def;
    fail(l, "config key '" + key + "' is missing");
  }
  const json& v = (*l.config)[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number_integer()) return v.get<int64_t>() != 0;
  fail(l, fmt::format("config key '{}' is {} ({}), expected true or false", key, type_name(v), dump_short(v)));
}

std::string Context::get_str(const Layer& l, const std::string& key, std::optional<std::string> def) const {
  if (!has(l, key)) {
    if (def) return *def;
    fail(l, "config key '" + key + "' is missing");
  }
  const json& v = (*l.config)[key];
  if (v.is_string()) return v.get<std::string>();
  fail(l, fmt::format("config key '{}' is {} ({}), expected text", key, type_name(v), dump_short(v)));
}

std::vector<int64_t> Context::get_ints(const Layer& l, const std::string& key, size_t rank,
                                       std::optional<int64_t> def) const {
  if (!has(l, key)) {
    if (def) return std::vector<int64_t>(rank, *def);
    fail(l, "config key '" + key + "' is missing");
  }
  const json& v = (*l.config)[key];
  std::vector<int64_t> out;
  if (v.is_number_integer()) {
    out.assign(rank, v.get<int64_t>());
  } else if (v.is_array() && v.size() == rank) {
    for (const json& e : v) {
      if (!e.is_number_integer())
        fail(l, fmt::format("config key '{}' = {} holds a non-integer", key, dump_short(v)));
      out.push_back(e.get<int64_t>());
    }
  } else {
    fail(l, fmt::format("config key '{}' = {} is not an integer or a list of {}", key, dump_short(v), rank));
  }
  for (int64_t x : out)
    if (x < 0 || x > (int64_t{1} << 24)) fail(l, fmt::format("config key '{}' = {} is out of range", key, dump_short(v)));
  return out;
}

const std::vector<Array>& Context::weights(const Layer& l, size_t at_least, const std::string& sub) const {
  static const std::vector<Array> none;
  if (!file.has_weights)
    fail(l, "needs weights, but no weights file was given", "pass the weights .h5 with --weights");
  const std::string key = sub.empty() ? l.name : l.name + "/" + sub;
  const auto it = file.weights.find(key);
  const std::vector<Array>& w = it == file.weights.end() ? none : it->second;
  if (w.size() < at_least)
    fail(l, fmt::format("has {} weight array(s) in the weights file{}, expected {}", w.size(),
                        sub.empty() ? "" : " under '" + sub + "'", at_least),
         "check that the weights file belongs to this architecture");
  return w;
}

const Array& Context::weight(const Layer& l, size_t index, const std::string& role, const ir::Shape& shape,
                             const std::string& sub) const {
  const Array& a = weights(l, index + 1, sub)[index];
  if (a.shape != shape)
    fail(l, fmt::format("weight {} ('{}', the {}) has shape {}, expected {}", index, a.name, role,
                        ir::to_string(a.shape), ir::to_string(shape)),
         "check that the weights file belongs to this architecture");
  for (double v : a.values)
    if (!std::isfinite(v)) fail(l, fmt::format("the {} holds a non-finite value ({})", role, v));
  return a;
}

std::string Context::unique_name(const std::string& raw) {
  std::string s;
  for (char c : raw) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  while (s.find("__") != std::string::npos) s.replace(s.find("__"), 2, "_");
  if (s.empty()) s = "layer";
  if (std::isdigit(static_cast<unsigned char>(s[0])) || is_cpp_keyword(s) || s[0] == '_') s = "layer_" + s;
  std::string name = s;
  for (int k = 2; used_names_.count(name); ++k) name = s + "_" + std::to_string(k);
  used_names_.insert(name);
  return name;
}

const Value& Context::plain(const Layer& consumer, const Value& v) const {
  if (!v.pending_pads.empty())
    fail(consumer, fmt::format("reads the output of '{}' (ZeroPadding), which firmnet supports only before a convolution",
                               v.padded_by),
         "move the padding into the convolution (padding='same'), or pad the data before the model");
  return v;
}

Value Context::emit(const Layer& l, ir::OpKind kind, const std::vector<Value>& inputs, const ir::Shape& shape,
                    const std::string& suffix) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d <= 0 || d > kMaxElements || n * d > kMaxElements)
      fail(l, fmt::format("output shape {} is empty or too large", ir::to_string(shape)));
    n *= d;
  }
  const std::string name = unique_name(suffix.empty() ? l.name : l.name + "_" + suffix);
  ir::Tensor t;
  t.name = name;
  t.shape = shape;
  Value out;
  out.shape = shape;
  out.id = graph.add_tensor(std::move(t));
  ir::Node node;
  node.name = name;
  node.kind = kind;
  node.source = fmt::format("{} '{}'", l.cls, l.name);
  const std::string raw = suffix.empty() ? l.name : l.name + "_" + suffix;
  if (raw != name) node.aliases.push_back(raw);
  for (const Value& v : inputs) node.inputs.push_back(plain(l, v).id);
  node.outputs = {out.id};
  graph.add_node(std::move(node));
  return out;
}

ir::TensorId Context::add_constant(const std::string& node_name, const std::string& role, ir::Shape shape,
                                   std::vector<double> values) {
  ir::Tensor t;
  t.name = unique_name(node_name + "_" + role);
  t.shape = std::move(shape);
  t.kind = ir::TensorKind::Constant;
  t.values = std::move(values);
  return graph.add_tensor(std::move(t));
}

void Context::param(const std::string& role, ir::Shape shape, std::vector<double> values,
                    std::optional<numeric::FixedType> type, const std::string& origin) {
  const std::string node_name = graph.nodes.back().name;
  const ir::TensorId id = add_constant(node_name, role, std::move(shape), std::move(values));
  if (type) graph.tensor(id).type = type;
  if (!origin.empty()) graph.tensor(id).origin = origin;
  graph.nodes.back().params[role] = id;
}

std::string Context::activation_name(const Layer& l, const json& a) const {
  if (a.is_null()) return "linear";
  if (a.is_string()) return a.get<std::string>();
  // Keras 3 may serialize a built-in as {"module": "keras.activations", "class_name": "function", "config": "relu"}.
  if (a.is_object() && a.contains("config") && a["config"].is_string()) return a["config"].get<std::string>();
  if (a.is_object() && a.contains("class_name") && a["class_name"].is_string())
    return a["class_name"].get<std::string>();
  fail(l, "activation " + dump_short(a) + " is not a name");
}

Value Context::activation(const Layer& l, const Value& x, const std::string& fn_in, const std::string& suffix) {
  std::string fn = fn_in;
  for (auto& c : fn) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto unary = [&](const char* ir_fn) {
    Value y = emit(l, ir::OpKind::Activation, {x}, x.shape, suffix);
    graph.nodes.back().attrs["function"] = std::string(ir_fn);
    return y;
  };
  if (fn == "linear" || fn == "identity") {
    // hls4ml makes a layer's linear activation a layer of its own, '<layer>_linear', which configurations name
    // (hls4ml's GarNet examples: regression_linear): here it is the layer itself, so that name is its alias.
    if (!suffix.empty() && !graph.nodes.empty()) {
      ir::Node& producer = graph.nodes.back();
      const std::string alias = l.name + "_" + suffix;
      if (producer.outputs.size() == 1 && producer.outputs[0] == x.id && producer.name != alias &&
          std::find(producer.aliases.begin(), producer.aliases.end(), alias) == producer.aliases.end())
        producer.aliases.push_back(alias);
    }
    return x;
  }
  if (fn == "relu") return unary("relu");
  if (fn == "sigmoid") return unary("sigmoid");
  if (fn == "tanh") return unary("tanh");
  if (fn == "softsign") return unary("softsign");
  if (fn == "softplus") return unary("softplus");
  if (fn == "hard_tanh") return unary("hard_tanh");
  if (fn == "elu") {
    Value y = unary("elu");
    graph.nodes.back().attrs["alpha"] = 1.0;
    return y;
  }
  if (fn == "selu") {  // Keras's constants
    const double alpha = 1.6732632423543772848170429916717, gamma = 1.0507009873554804934193349852946;
    Value y = unary("selu");
    graph.nodes.back().attrs["alpha"] = alpha;
    graph.nodes.back().attrs["gamma"] = gamma;
    param("gamma", {1}, {gamma});
    return y;
  }
  if (fn == "hard_sigmoid") {
    // Keras 2: clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6 = clip(x/6 + 0.5, 0, 1).
    const double slope = major() >= 3 ? 1.0 / 6.0 : 0.2;
    Value y = unary("hard_sigmoid");
    graph.nodes.back().attrs["alpha"] = slope;
    graph.nodes.back().attrs["beta"] = 0.5;
    param("slope", {1}, {slope});
    param("offset", {1}, {0.5});
    return y;
  }
  if (fn == "relu6") {
    Value y = unary("clip");
    param("min", {1}, {0.0});
    param("max", {1}, {6.0});
    return y;
  }
  if (fn == "leaky_relu") {  // Keras 3's function: negative_slope 0.2
    Value y = unary("leaky_relu");
    graph.nodes.back().attrs["alpha"] = 0.2;
    param("alpha", {1}, {0.2});
    return y;
  }
  if (auto y = binarynet_activation(*this, l, x, fn, suffix)) return *y;
  if (fn == "softmax") {
    if (x.shape.empty()) fail(l, "softmax of a scalar");
    return emit(l, ir::OpKind::Softmax, {x}, x.shape, suffix);
  }
  fail(l, "activation '" + fn_in + "' is not supported",
       "supported: linear, relu, relu6, leaky_relu, sigmoid, hard_sigmoid, tanh, hard_tanh, softsign, softplus, elu, "
       "selu, softmax, BinaryNet's binary_tanh, ternary_tanh and relu1 (swish/silu, gelu, exponential and mish have no exact fixed-point form in firmnet yet)");
}

}  // namespace firmnet::frontends::keras
