#pragma once
// Internal state of one Keras → IR conversion, shared by the layer converters (keras_layers_*.cpp,
// qkeras_*.cpp).
//
// Keras holds maps channels-last ([W, C], [H, W, C]) as firmnet does, so a Keras tensor's shape without
// the batch is its IR shape and no layout is needed. A converter gets its layer's config and input Values
// and returns its output Values; the graph walk (keras_frontend.cpp) wires them.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "frontends/keras/keras_files.h"
#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::frontends::keras {

using json = nlohmann::json;

// Upper bound on elements per sample of an activation.
constexpr int64_t kMaxElements = int64_t{1} << 26;

struct Value {
  ir::TensorId id = -1;
  ir::Shape shape;  // without the batch: the IR shape
  // A ZeroPadding layer's output not yet materialized: the next convolution takes it as padding.
  // (begin..., end...) per spatial axis; `shape` is then the padded shape, the tensor holds the unpadded one.
  std::vector<int64_t> pending_pads;
  std::string padded_by;  // the ZeroPadding layer's name
};

struct Layer {
  std::string cls;     // class_name ("Dense", "QDense", ...)
  std::string name;    // the Keras layer name
  const json* config;  // its "config" object
  std::string where;   // "layer 'fc1' (Dense)"
};

class Context {
 public:
  Context(ir::Graph& g, std::vector<Warning>& w, const KerasFile& f) : graph(g), warnings(w), file(f) {}

  ir::Graph& graph;
  std::vector<Warning>& warnings;
  const KerasFile& file;
  int major() const { return file.major; }

  [[noreturn]] void fail(const Layer& l, const std::string& what, const std::string& hint = {}) const;
  void warn(const Layer& l, const std::string& what);

  // --- Config values (errors name the layer and key) ---------------------------------------------
  bool has(const Layer& l, const std::string& key) const;  // present and not null
  const json& get(const Layer& l, const std::string& key) const;
  int64_t get_int(const Layer& l, const std::string& key, std::optional<int64_t> def = std::nullopt) const;
  double get_float(const Layer& l, const std::string& key, std::optional<double> def = std::nullopt) const;
  bool get_bool(const Layer& l, const std::string& key, std::optional<bool> def = std::nullopt) const;
  std::string get_str(const Layer& l, const std::string& key, std::optional<std::string> def = std::nullopt) const;
  // An int or a list of `rank` ints (kernel_size, strides, ...).
  std::vector<int64_t> get_ints(const Layer& l, const std::string& key, size_t rank,
                                std::optional<int64_t> def = std::nullopt) const;

  // --- Weights --------------------------------------------------------------------------------------
  // The layer's weight arrays in its order (sub: a sub-object's, e.g. "kq/quantizer"). Fails when the
  // layer has fewer than `at_least`.
  const std::vector<Array>& weights(const Layer& l, size_t at_least, const std::string& sub = {}) const;
  // Weight `index` of the layer, checked against `shape`.
  const Array& weight(const Layer& l, size_t index, const std::string& role, const ir::Shape& shape,
                      const std::string& sub = {}) const;

  // --- IR building ----------------------------------------------------------------------------------
  // A unique legal C++ identifier for `raw`.
  std::string unique_name(const std::string& raw);
  // Materializes pending padding (only convolutions take it) or fails naming the consumer.
  const Value& plain(const Layer& consumer, const Value& v) const;
  // A node of `kind` named after the layer (plus `suffix`) on `inputs`, with a new output of `shape`.
  // Returns the output; the node is graph.nodes.back().
  Value emit(const Layer& l, ir::OpKind kind, const std::vector<Value>& inputs, const ir::Shape& shape,
             const std::string& suffix = {});
  ir::TensorId add_constant(const std::string& node_name, const std::string& role, ir::Shape shape,
                            std::vector<double> values);
  // A constant parameter of the last node.
  void param(const std::string& role, ir::Shape shape, std::vector<double> values,
             std::optional<numeric::FixedType> type = std::nullopt, const std::string& origin = {});

  // A Keras activation by name ("relu", "softmax", ...) after `x`; "linear" returns x.
  Value activation(const Layer& l, const Value& x, const std::string& fn, const std::string& suffix);
  // The value of a layer's "activation" config (a string, or Keras 3's serialized function).
  std::string activation_name(const Layer& l, const json& a) const;

 private:
  std::set<std::string> used_names_;
};

using Converter = std::vector<Value> (*)(Context&, const Layer&, const std::vector<Value>&);
const Converter* find_converter(const std::string& cls);
// "Dense, Conv2D, ..." for messages.
std::string supported_layers_list();

// HGQ2 layers (hgq_layers.cpp): whether a Q layer is HGQ2's (it has kq_conf / iq_conf), and its QDense.
bool is_hgq_layer(Context& ctx, const Layer& l);
std::vector<Value> convert_hgq_dense(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_hgq_conv(Context&, const Layer&, const std::vector<Value>&);  // QConv1D/2D
// HGQ 1.x proxy models' FixedPointQuantizer layer (per-element ap_fixed casts).
std::vector<Value> convert_hgq1_quantizer(Context&, const Layer&, const std::vector<Value>&);

// Layer families.
std::vector<Value> convert_dense(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_activation(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_relu(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_leaky_relu(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_prelu(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_elu(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_thresholded_relu(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_softmax(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_batchnorm(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_identity(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_flatten(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_reshape(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_permute(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_conv(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_depthwise_conv(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_separable_conv(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_pool(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_global_pool(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_zero_padding(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_cropping(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_upsampling(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_merge(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_concatenate(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_dot(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_qactivation(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_recurrent(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_bidirectional(Context&, const Layer&, const std::vector<Value>&);
std::vector<Value> convert_garnet(Context&, const Layer&, const std::vector<Value>&);

// The quantizers applied by a layer (QKeras kernel_quantizer etc.), nullptr-safe: the values as the
// framework computes them and, when they lie on a power-of-two grid, their exact type.
struct QuantizedConst {
  std::vector<double> values;
  std::optional<numeric::FixedType> type;
  std::string origin;
};
// Applies the quantizer config `q` (a dict or a string such as "quantized_bits(6,0,alpha=1)") to weight
// values of `shape` (the last axis is the output channel, as QKeras's per-channel scales).
QuantizedConst quantize_weights(Context& ctx, const Layer& l, const json& q, const std::string& role,
                                const ir::Shape& shape, std::vector<double> values);
// Applies an activation quantizer (QActivation, or a quantizer given as a Q layer's activation) to x.
Value quantize_activation(Context& ctx, const Layer& l, const Value& x, const json& q, const std::string& suffix);
// The narrowest signed type (<= 32 bits) holding every value exactly, or nullopt (qkeras_quantizers.cpp).
std::optional<numeric::FixedType> exact_type(const std::vector<double>& values);

// BinaryNet's Keras layers (BinaryDense, TernaryDense and the binary_tanh / ternary_tanh / relu1 activations
// of hls4ml's example models; keras_layers_binarynet.cpp): the kernel as the layer binarizes it at inference,
// and the activations by name (nullopt when `fn` is none of them).
QuantizedConst binarynet_kernel(Context& ctx, const Layer& l, std::vector<double> values);
std::optional<Value> binarynet_activation(Context& ctx, const Layer& l, const Value& x, const std::string& fn,
                                          const std::string& suffix);

// A Q layer's activation named by a string: QKeras's own functions (hard_sigmoid with slope 0.5, hard_tanh,
// smooth_sigmoid, smooth_tanh, binary_sigmoid, binary_tanh) before Keras's built-ins, as QKeras resolves it.
Value keras_or_qkeras_activation(Context& ctx, const Layer& l, const Value& x, const std::string& fn,
                                 const std::string& suffix);
// A QKeras quantizer inside a recurrent cell (qkeras_quantizers.cpp): quantized_tanh / quantized_sigmoid as the
// cell's functions (bits, symmetric; QKeras 0.9's hard forms), or quantized_bits(alpha=1) as the state quantizer
// (its exact type: fixed<bits, integer + 1, RND_CONV, SAT>). Anything else fails naming the layer and `key`.
struct CellQuantizer {
  std::string name, text;
  int bits = 8;
  bool symmetric = false;
  std::optional<numeric::FixedType> type;  // quantized_bits
};
CellQuantizer cell_quantizer(Context& ctx, const Layer& l, const json& q, const std::string& key);

// Whether an "activation" config names a QKeras quantizer.
bool is_quantizer(const json& a);

// A Q layer's weight after its quantizer config `key` (e.g. "kernel_quantizer"); other layers' as they are.
QuantizedConst layer_weight(Context& ctx, const Layer& l, const std::string& key, const std::string& role,
                            const ir::Shape& shape, std::vector<double> values);

// An IR Conv over x (channels-last [spatial..., C]): the window geometry from Keras's padding ('valid',
// 'same', 'causal') plus x's pending ZeroPadding; weight [k..., C/group, out] as Keras stores it.
struct ConvSpec {
  std::vector<int64_t> kernel, strides, dilations;
  std::string padding = "valid";
  int64_t group = 1, out_channels = 0;
  QuantizedConst weight, bias;
};
Value emit_conv(Context& ctx, const Layer& l, const Value& x, const ConvSpec& spec, const std::string& suffix);
// The layer's activation (a built-in name, or a QKeras quantizer) after y, as a node named <layer>_<fn>.
Value layer_activation(Context& ctx, const Layer& l, const Value& y);

}  // namespace firmnet::frontends::keras
