// The Keras graph walk: Sequential and functional models (Keras 2 and Keras 3 config formats), nested
// models flattened, graph inputs and outputs. Layer converters: keras_layers_*.cpp, qkeras_*.cpp.
#include "frontends/keras/keras_frontend.h"

#include <map>

#include <fmt/format.h>

#include "frontends/keras/keras_context.h"

namespace firmnet::frontends {

namespace keras {
namespace {

struct Ref {
  std::string layer;
  int64_t tensor = 0;
  std::string key() const { return layer + ":" + std::to_string(tensor); }
};

bool is_model_class(const std::string& c) { return c == "Sequential" || c == "Functional" || c == "Model"; }

// Sequence layers firmnet does not read (LSTM, GRU, SimpleRNN, Bidirectional and the QKeras forms are).
bool is_unsupported_sequence_layer(const std::string& c) {
  static const std::set<std::string> rnn = {"RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "CuDNNLSTM",
                                            "CuDNNGRU", "QBidirectional", "TimeDistributed"};
  return rnn.count(c) != 0;
}

class Walker {
 public:
  Walker(Context& ctx) : ctx_(ctx) {}

  // Quantized models (QKeras, HGQ2): the layers the framework computes in float between its quantizers,
  // which firmnet computes in fixed point (close, not bit for bit). Empty for float models.
  std::vector<std::string> float_layers() const { return quantized_ ? float_layers_ : std::vector<std::string>{}; }

  // Converts model `m`; `bound`: the values of a nested model's inputs (none: the graph's inputs).
  std::vector<Value> model(const json& m, const std::vector<Value>* bound, int depth) {
    if (depth > 16) throw Error(ctx_.file.where, "models are nested more than 16 deep");
    if (m.is_array()) return sequential(m, nullptr, bound, depth);  // old Sequential: a bare list of layers
    if (!m.is_object() || !m.contains("config"))
      throw Error(ctx_.file.where, "the model configuration has no 'config'", "is this a Keras model file?");
    const std::string cls = m.value("class_name", std::string());
    const json& cfg = m["config"];
    if (cls == "Sequential") {
      if (cfg.is_array()) return sequential(cfg, nullptr, bound, depth);
      if (!cfg.is_object() || !cfg.contains("layers") || !cfg["layers"].is_array())
        throw Error(ctx_.file.where, "the Sequential model's config has no list of layers");
      return sequential(cfg["layers"], &cfg, bound, depth);
    }
    if (cls == "Functional" || cls == "Model") return functional(cfg, bound, depth);
    throw Error(ctx_.file.where, "the model class '" + cls + "' is not Sequential, Functional or Model",
                "save a Keras Sequential or functional model (subclassed models have no config firmnet can read)");
  }

 private:
  Context& ctx_;
  std::map<std::string, Value> tensors_;
  std::set<std::string> seen_layers_;
  bool quantized_ = false;
  std::vector<std::string> float_layers_;

  void note_arithmetic(const Layer& l) {
    if (!l.cls.empty() && l.cls[0] == 'Q') {
      quantized_ = true;
      // QBatchNormalization quantizes its parameters, then computes the batch norm in float; the QKeras
      // average pools compute Keras's float32 average, times the area, times the quantized 1/area.
      if (l.cls == "QBatchNormalization" || l.cls == "QAveragePooling2D" || l.cls == "QGlobalAveragePooling2D")
        float_layers_.push_back(l.name);
      // QLSTM/QGRU/QSimpleRNN quantize their weights (and states), then run the cell in float: sigmoid/tanh or the
      // hard functions on float pre-activations, float products.
      if (l.cls == "QLSTM" || l.cls == "QGRU" || l.cls == "QSimpleRNN") float_layers_.push_back(l.name);
      return;
    }
    static const std::set<std::string> exact = {
        "Flatten", "Reshape", "Permute", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise",
        "GaussianDropout", "AlphaDropout", "ActivityRegularization", "MaxPooling1D", "MaxPooling2D", "MaxPool1D",
        "MaxPool2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
        "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D", "Concatenate",
        "Maximum", "Minimum"};
    if (exact.count(l.cls)) return;
    if (l.cls == "Activation" && ctx_.has(l, "activation")) {
      const std::string fn = ctx_.activation_name(l, ctx_.get(l, "activation"));
      if (fn == "relu" || fn == "linear") return;
    }
    if (l.cls == "ReLU" && !ctx_.has(l, "max_value") && ctx_.get_float(l, "negative_slope", 0.0) == 0.0) return;
    float_layers_.push_back(l.name);
  }

  Layer layer_of(const json& lj) {
    if (!lj.is_object()) throw Error(ctx_.file.where, "a layer entry is not an object");
    Layer l;
    l.cls = lj.value("class_name", std::string());
    if (!lj.contains("config") || !lj["config"].is_object())
      throw Error(ctx_.file.where, "layer of class '" + l.cls + "' has no config object");
    l.config = &lj["config"];
    l.name = l.config->value("name", std::string());
    if (l.name.empty() && lj.contains("name") && lj["name"].is_string()) l.name = lj["name"].get<std::string>();
    if (l.name.empty()) throw Error(ctx_.file.where, "a layer of class '" + l.cls + "' has no name");
    l.where = fmt::format("layer '{}' ({})", l.name, l.cls);
    return l;
  }

  // A graph input of Keras shape `shape` ([None, d1, ...]).
  Value make_input(const std::string& name, const json& shape, const std::string& where) {
    if (!shape.is_array() || shape.size() < 2)
      throw Error(ctx_.file.where + ": " + where, "input shape " + shape.dump() + " is not [batch, d1, ...]",
                  "give the model a fixed input shape");
    ir::Shape s;
    for (size_t k = 1; k < shape.size(); ++k) {
      if (!shape[k].is_number_integer() || shape[k].get<int64_t>() <= 0 || shape[k].get<int64_t>() > kMaxElements)
        throw Error(ctx_.file.where + ": " + where,
                    fmt::format("input dimension {} is {}; only the batch dimension may be unknown", k, shape[k].dump()),
                    "build the model with a fixed input shape");
      s.push_back(shape[k].get<int64_t>());
    }
    int64_t n = 1;
    for (int64_t d : s) {
      if (n * d > kMaxElements) throw Error(ctx_.file.where + ": " + where, "the input is too large");
      n *= d;
    }
    const std::string nm = ctx_.unique_name(name);
    ir::Tensor t;
    t.name = nm;
    t.shape = s;
    Value v;
    v.shape = s;
    v.id = ctx_.graph.add_tensor(std::move(t));
    ir::Node node;
    node.name = nm;
    if (nm != name) node.aliases = {name};
    node.source = "Keras input '" + name + "'";
    node.kind = ir::OpKind::Input;
    node.outputs = {v.id};
    ctx_.graph.add_node(std::move(node));
    ctx_.graph.inputs.push_back(v.id);
    return v;
  }

  static const json* input_shape_of(const json& cfg) {
    for (const char* k : {"batch_input_shape", "batch_shape"})
      if (cfg.contains(k) && cfg[k].is_array()) return &cfg[k];
    return nullptr;
  }

  // Converts one layer on its inputs; returns its outputs.
  std::vector<Value> layer(const json& lj, const std::vector<Value>& in, int depth) {
    const Layer l = layer_of(lj);
    if (!seen_layers_.insert(l.name).second)
      ctx_.fail(l, "the layer name is used twice", "give every layer a unique name");
    if (is_model_class(l.cls)) return model(lj, &in, depth + 1);
    const Converter* conv = find_converter(l.cls);
    if (!conv) {
      if (is_unsupported_sequence_layer(l.cls))
        ctx_.fail(l, "this sequence layer is not supported",
                  "firmnet reads LSTM, GRU, SimpleRNN (and QLSTM, QGRU, QSimpleRNN), alone or in Bidirectional");
      if (l.cls == "Lambda")
        ctx_.fail(l, "a Lambda layer holds Python code, which firmnet cannot read",
                  "replace the Lambda by built-in Keras layers (e.g. Activation, Reshape, Add, Multiply) and re-save");
      ctx_.fail(l, "unknown layer class '" + l.cls + "'", "supported layers: " + supported_layers_list());
    }
    for (const Value& v : in)
      if (v.id < 0) ctx_.fail(l, "has an undefined input");
    note_arithmetic(l);
    std::vector<Value> out = (*conv)(ctx_, l, in);
    if (out.empty()) ctx_.fail(l, "produced no output");
    return out;
  }

  std::vector<Value> sequential(const json& layers, const json* cfg, const std::vector<Value>* bound, int depth) {
    std::optional<Value> cur;
    if (bound) {
      if (bound->size() != 1) throw Error(ctx_.file.where, "a nested Sequential model has more than one input");
      cur = (*bound)[0];
    }
    for (const json& lj : layers) {
      if (!lj.is_object() || !lj.contains("config") || !lj["config"].is_object())
        throw Error(ctx_.file.where, "a layer entry of the Sequential model has no config object");
      const std::string cls = lj.value("class_name", std::string());
      if (cls == "InputLayer") {
        const Layer l = layer_of(lj);
        if (cur) continue;  // a nested model's input is the outer value
        const json* shape = input_shape_of(*l.config);
        if (!shape) ctx_.fail(l, "has no batch_input_shape / batch_shape");
        cur = make_input(l.name, *shape, l.where);
        seen_layers_.insert(l.name);
        continue;
      }
      if (!cur) {  // no InputLayer: the first layer carries the input shape (Keras 2), or the model's build shape
        const json* shape = input_shape_of(lj["config"]);
        if (!shape && cfg && cfg->contains("build_input_shape")) shape = &(*cfg)["build_input_shape"];
        if (!shape)
          throw Error(ctx_.file.where, "the Sequential model has no input shape (no InputLayer, no batch_input_shape)",
                      "build the model with an Input or input_shape before saving");
        const std::string first = lj["config"].value("name", std::string("model"));
        cur = make_input(first + "_input", *shape, "the model input");
      }
      std::vector<Value> out = layer(lj, {*cur}, depth);
      if (out.size() != 1)
        throw Error(ctx_.file.where, "a layer of a Sequential model has more than one output");
      cur = out[0];
    }
    if (!cur) throw Error(ctx_.file.where, "the Sequential model has no layers");
    return {*cur};
  }

  // [name, node, tensor] (Keras 2 lists, Keras 3 keras_history).
  Ref ref_of(const json& r, const std::string& where) const {
    if (!r.is_array() || r.size() < 3 || !r[0].is_string() || !r[2].is_number_integer())
      throw Error(ctx_.file.where + ": " + where, "a tensor reference " + r.dump() + " is not [layer, node, tensor]");
    if (r[1].is_number_integer() && r[1].get<int64_t>() != 0)
      throw Error(ctx_.file.where + ": " + where,
                  "reads the output of a shared layer's call " + std::to_string(r[1].get<int64_t>()) + " of '" +
                      r[0].get<std::string>() + "'",
                  "layers called more than once are not supported; use separate layers");
    return {r[0].get<std::string>(), r[2].get<int64_t>()};
  }

  void collect_keras_tensors(const json& j, std::vector<Ref>& out, const std::string& where, int depth) const {
    if (depth > 64) return;
    if (j.is_object()) {
      if (j.value("class_name", std::string()) == "__keras_tensor__" && j.contains("config") &&
          j["config"].is_object() && j["config"].contains("keras_history")) {
        out.push_back(ref_of(j["config"]["keras_history"], where));
        return;
      }
      for (const auto& [k, v] : j.items()) collect_keras_tensors(v, out, where, depth + 1);
    } else if (j.is_array()) {
      for (const json& e : j) collect_keras_tensors(e, out, where, depth + 1);
    }
  }

  std::vector<Ref> inbound(const json& lj, const Layer& l) const {
    std::vector<Ref> refs;
    if (!lj.contains("inbound_nodes") || !lj["inbound_nodes"].is_array()) return refs;
    const json& nodes = lj["inbound_nodes"];
    if (nodes.size() > 1)
      ctx_.fail(l, fmt::format("is called {} times (a shared layer)", nodes.size()),
                "layers called more than once are not supported; use separate layers");
    if (nodes.empty()) return refs;
    const json& node = nodes[0];
    if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
      if (node.contains("args")) collect_keras_tensors(node["args"], refs, l.where, 0);
      return refs;
    }
    if (!node.is_array()) ctx_.fail(l, "inbound_nodes entry " + node.dump() + " is not understood");
    for (const json& r : node) refs.push_back(ref_of(r, l.where));  // Keras 2: [[name, node, tensor, kwargs], ...]
    return refs;
  }

  std::vector<Ref> refs_list(const json& cfg, const char* key) const {
    std::vector<Ref> refs;
    if (!cfg.contains(key)) throw Error(ctx_.file.where, std::string("the functional model has no '") + key + "'");
    const json& v = cfg[key];
    if (v.is_array() && !v.empty() && v[0].is_string()) return {ref_of(v, key)};  // Keras 3: a single [name, 0, 0]
    if (!v.is_array()) throw Error(ctx_.file.where, std::string("'") + key + "' is not a list");
    for (const json& r : v) refs.push_back(ref_of(r, key));
    return refs;
  }

  std::vector<Value> functional(const json& cfg, const std::vector<Value>* bound, int depth) {
    if (!cfg.is_object() || !cfg.contains("layers") || !cfg["layers"].is_array())
      throw Error(ctx_.file.where, "the functional model's config has no list of layers");
    const json& layers = cfg["layers"];
    const std::vector<Ref> ins = refs_list(cfg, "input_layers");
    const std::vector<Ref> outs = refs_list(cfg, "output_layers");
    if (bound && bound->size() != ins.size())
      throw Error(ctx_.file.where, fmt::format("a nested model has {} inputs but is called with {}", ins.size(), bound->size()));
    // Inputs: bound values, or graph inputs in the model's order.
    for (size_t k = 0; k < ins.size(); ++k) {
      const json* lj = nullptr;
      for (const json& c : layers)
        if (c.is_object() && c.contains("config") && c["config"].is_object() &&
            c["config"].value("name", std::string()) == ins[k].layer)
          lj = &c;
      if (!lj) throw Error(ctx_.file.where, "input layer '" + ins[k].layer + "' is not among the layers");
      const Layer l = layer_of(*lj);
      if (bound) {
        tensors_[ins[k].key()] = (*bound)[k];
      } else {
        const json* shape = input_shape_of(*l.config);
        if (!shape) ctx_.fail(l, "has no batch_input_shape / batch_shape");
        tensors_[ins[k].key()] = make_input(l.name, *shape, l.where);
      }
      seen_layers_.insert(l.name);
    }
    // Layers in dependency order (configs list them topologically; a pass guards against any other order).
    std::vector<bool> done(layers.size(), false);
    size_t remaining = layers.size();
    for (size_t k = 0; k < layers.size(); ++k) {
      const Layer l = layer_of(layers[k]);
      if (l.cls == "InputLayer") done[k] = true, --remaining;
    }
    while (remaining > 0) {
      bool progress = false;
      std::string waiting;
      for (size_t k = 0; k < layers.size(); ++k) {
        if (done[k]) continue;
        const Layer l = layer_of(layers[k]);
        const std::vector<Ref> refs = inbound(layers[k], l);
        if (refs.empty()) ctx_.fail(l, "has no inbound tensors", "is the model configuration complete?");
        std::vector<Value> in;
        for (const Ref& r : refs) {
          const auto it = tensors_.find(r.key());
          if (it == tensors_.end()) {
            if (waiting.empty()) waiting = fmt::format("'{}' waits for '{}'", l.name, r.layer);
            break;
          }
          in.push_back(it->second);
        }
        if (in.size() != refs.size()) continue;
        const std::vector<Value> out = layer(layers[k], in, depth);
        for (size_t t = 0; t < out.size(); ++t) tensors_[Ref{l.name, static_cast<int64_t>(t)}.key()] = out[t];
        done[k] = true;
        --remaining;
        progress = true;
      }
      if (!progress)
        throw Error(ctx_.file.where, "the layers cannot be ordered: " + waiting,
                    "the model refers to a layer that does not exist, or its graph has a cycle");
    }
    std::vector<Value> result;
    for (const Ref& r : outs) {
      const auto it = tensors_.find(r.key());
      if (it == tensors_.end()) throw Error(ctx_.file.where, "output '" + r.layer + "' is not produced by any layer");
      result.push_back(it->second);
    }
    return result;
  }
};

ir::Graph convert(const KerasFile& kf, std::vector<Warning>& warnings) {
  ir::Graph graph;
  Context ctx(graph, warnings, kf);
  Walker w(ctx);
  std::vector<Value> outs;
  try {
    outs = w.model(kf.model, nullptr, 0);
  } catch (const json::exception& e) {
    throw Error(kf.where, std::string("the model configuration is malformed (") + e.what() + ")",
                "check that the file was written by Keras");
  }
  if (graph.inputs.empty()) throw Error(kf.where, "the model has no inputs");
  if (const auto fl = w.float_layers(); !fl.empty()) {
    std::string names;
    for (const std::string& n : fl) names += (names.empty() ? "'" : ", '") + n + "'";
    warnings.push_back({kf.where, fmt::format("the quantized model computes layer(s) {} in float between its quantizers; "
                                              "firmnet computes them in fixed point (close to the framework, not bit "
                                              "for bit: see 'inspect' for their types)",
                                              names)});
  }
  for (const Value& v : outs) {
    if (!v.pending_pads.empty())
      throw Error(kf.where, "a model output is a ZeroPadding layer's output, which firmnet supports only before a convolution");
    if (std::find(graph.inputs.begin(), graph.inputs.end(), v.id) != graph.inputs.end())
      throw Error(kf.where, "a model output is a model input; there is nothing to compute");
    graph.outputs.push_back(v.id);
  }
  graph.verify();
  return graph;
}

}  // namespace
}  // namespace keras

ir::Graph load_keras_bytes(const std::string& bytes, const std::string& display_name, std::vector<Warning>& warnings) {
  const keras::KerasFile kf = keras::read_keras_bytes(bytes, display_name);
  try {
    return keras::convert(kf, warnings);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(display_name, std::string("internal error while converting the model: ") + e.what(),
                "please report this model to the firmnet developers");
  }
}

ir::Graph load_keras_model(const keras::KerasFile& kf, std::vector<Warning>& warnings) {
  try {
    return keras::convert(kf, warnings);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(kf.where, std::string("internal error while converting the model: ") + e.what(),
                "please report this model to the firmnet developers");
  }
}

ir::Graph load_keras(const std::string& path, const std::string& weights_path, std::vector<Warning>& warnings) {
  const keras::KerasFile kf = keras::read_keras_file(path, weights_path);
  try {
    return keras::convert(kf, warnings);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(path, std::string("internal error while converting the model: ") + e.what(),
                "please report this model to the firmnet developers");
  }
}

}  // namespace firmnet::frontends
