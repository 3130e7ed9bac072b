#pragma once
// Internal state of one ONNX → IR conversion, shared by the op converters (onnx_ops_*.cpp).
//
// Every ONNX tensor name maps to a Value: either a constant (initializer, Constant node, folded
// arithmetic) kept as float values, or an activation backed by an IR tensor. Activations keep their full
// ONNX shape with the batch dimension counted as 1 (the firmware processes one sample at a time) and the
// position of that batch dimension, which a layout-preserving Transpose may move; the IR shape is the full
// shape without it.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "ir/activations.h"
#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::frontends::onnx_detail {

// Upper bound on elements per sample (activations) and per constant: far above any FPGA model, low
// enough that a hostile shape cannot make the frontend allocate gigabytes.
constexpr int64_t kMaxElements = int64_t{1} << 26;

// Default-domain opsets this frontend understands. Opsets 1-6 (e.g. old PyTorch exports) are read with
// their own semantics: the legacy broadcast/axis attributes of Add/Sub/Mul/Div and Gemm, BatchNormalization
// and Dropout's is_test, Reshape's shape attribute (opset < 5), Concat's default axis (opset < 4);
// consumed_inputs (opset 1) only described in-place reuse and is ignored.
constexpr int64_t kMinOpset = 1;
constexpr int64_t kMaxOpset = 21;

struct Value {
  bool is_const = false;
  std::vector<int64_t> full_shape;  // ONNX shape; activations count the batch dim as 1
  int batch_axis = 0;               // activations only
  ir::TensorId id = -1;             // activations only
  std::vector<double> values;       // constants only, row-major
  // Set by a quantizer (QONNX Quant on weights, FINN annotation): the exact type of this constant and
  // where it came from; converters that copy the values unchanged into an IR constant pass them on.
  std::optional<numeric::FixedType> type;
  std::string origin;
  // Activations whose IR data is not in the ONNX sample's row-major order (a map held channels-last, a
  // Flatten of one, an absorbed Transpose): ONNX sample = transpose(reshape(IR data, view), perm). Converters
  // that read inputs through Context::input() see plain values (an IR Transpose is inserted when needed);
  // layout-aware ones use input_as_is().
  std::optional<ir::ModelLayout> layout;
  // A zero constant Pad of a map, not yet applied: begin values then end values per spatial axis. Only a
  // Conv or an AveragePool may read it (they take it into their own padding, where it reads as 0); the
  // frontend refuses any other reader (onnx_frontend.cpp), naming the Pad.
  std::vector<int64_t> pending_pads;
  std::string pad_where;
};

// The channels-last layout of an ONNX sample [C, spatial...]: view [spatial..., C].
ir::ModelLayout channels_last_layout(const ir::Shape& onnx_sample);
bool is_channels_last(const ir::Graph& g, const Value& v);

// The IR shape of an activation: its full shape without the batch dimension.
ir::Shape sample_shape(const Value& v);

// Product of dims with overflow and sanity checks; throws naming `what`.
int64_t checked_elements(const std::vector<int64_t>& dims, const std::string& where, const std::string& what);

// numpy broadcasting of two shapes; nullopt when incompatible.
std::optional<std::vector<int64_t>> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b);
// Values of a constant of shape `from` broadcast to shape `to` (which broadcast_shapes accepted).
std::vector<double> broadcast_values(const std::vector<double>& values, const std::vector<int64_t>& from,
                                     const std::vector<int64_t>& to);

std::string shape_str(const std::vector<int64_t>& s);

// Opset < 7 Add/Sub/Mul/Div and Gemm's C: without broadcast=1 the shapes must be equal; with it, B's shape
// matches A's dimensions from `axis` on (default: the trailing ones). Returns B's shape padded with trailing
// 1s so that numpy broadcasting then gives the legacy result.
std::vector<int64_t> legacy_broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                            int64_t broadcast, std::optional<int64_t> axis, const std::string& where);

// Reads a TensorProto (float32/float64/int32/int64, inline or raw_data) into doubles.
Value read_tensor(const onnx::TensorProto& t, const std::string& where);

// Legal, unique C++ identifiers for node and tensor names.
class NameTable {
 public:
  // `raw` legalized ([A-Za-z0-9_], no leading digit, no keyword, no reserved "__"), deduplicated with
  // _2, _3, ...; `fallback` is used when nothing legal remains of `raw`; `prefix` goes before names
  // that start with a digit or are keywords.
  std::string make(const std::string& raw, const std::string& fallback, const std::string& prefix = "layer_");

 private:
  std::set<std::string> used_;
};
std::string legalize_identifier(const std::string& raw, const std::string& prefix = "layer_");

// One ONNX node being converted.
struct OnnxNode {
  const onnx::NodeProto& proto;
  int index;           // position in graph.node
  std::string where;   // "node 'fc1' (Gemm)" for messages
  std::string source;  // "Gemm 'fc1'" for ir::Node::source
  const std::string& op() const { return proto.op_type(); }
};

class Context {
 public:
  Context(ir::Graph& g, std::vector<Warning>& w, int64_t opset, std::string model_name);

  ir::Graph& graph;
  std::vector<Warning>& warnings;
  const int64_t opset;
  const std::string model_name;
  NameTable node_names;
  NameTable tensor_names;
  std::map<std::string, int> uses;  // ONNX tensor name -> number of node inputs + graph outputs reading it
  bool map_ops = false;             // the graph has ops over feature maps (Conv, pools): maps are held channels-last

  // --- Values -----------------------------------------------------------------------------------
  bool has_input(const OnnxNode& n, int i) const;  // present and non-empty (optional inputs may be "")
  // Input i in the ONNX sample's row-major order (a held layout is converted by an IR Transpose, once).
  const Value& input(const OnnxNode& n, int i);
  const Value& const_input(const OnnxNode& n, int i, const std::string& role);
  const Value& act_input(const OnnxNode& n, int i, const std::string& role);
  // Input i as held, possibly with a layout (for converters that understand layouts).
  const Value& input_as_is(const OnnxNode& n, int i) const;
  // Input i's IR tensor holding its ONNX sample [C, spatial...] channels-last ([spatial..., C]).
  ir::TensorId channels_last_input(const OnnxNode& n, int i, const std::string& role);
  // An IR node of `kind` on `in` with a new output tensor of `shape`, named after `n` plus `suffix`.
  ir::TensorId add_internal_node(const OnnxNode& n, ir::OpKind kind, ir::TensorId in, ir::Shape shape,
                                 const std::string& suffix);
  // Output i of n with the shape, batch axis and layout of `like` (elementwise ops).
  ir::TensorId add_activation_like(const OnnxNode& n, int i, const Value& like);
  // Output i of n holding ONNX shape `full_shape` as IR data of `ir_shape` in `layout`.
  ir::TensorId add_activation_held(const OnnxNode& n, int i, std::vector<int64_t> full_shape, int batch_axis,
                                   std::optional<ir::ModelLayout> layout, ir::Shape ir_shape);
  const Value* find(const std::string& onnx_name) const;
  void define(const std::string& onnx_name, Value v, const std::string& where);
  // Defines output `i` of `n` as the same value as `v` (Identity, layout-preserving Transpose, ...).
  void alias_output(const OnnxNode& n, int i, const Value& v);
  const std::string& output_name(const OnnxNode& n, int i) const;

  // --- IR building ------------------------------------------------------------------------------
  // New activation tensor for output `i` of `n`, registered as that output's Value.
  ir::TensorId add_activation(const OnnxNode& n, int i, std::vector<int64_t> full_shape, int batch_axis = 0);
  ir::TensorId add_constant(const std::string& node_name, const std::string& role, ir::Shape shape,
                            std::vector<double> values);
  // Appends an IR node named after `n` (legalized ONNX name, or OpType_index).
  ir::Node& add_node(const OnnxNode& n, ir::OpKind kind);
  // A Reshape node from `in` to a value with `full_shape` (batch first) for output `i` of `n`; an alias
  // when the IR shape does not change.
  void reshape_or_alias(const OnnxNode& n, int i, const Value& in, std::vector<int64_t> full_shape,
                        int batch_axis);

  // --- Attributes -------------------------------------------------------------------------------
  const onnx::AttributeProto* attr(const OnnxNode& n, const std::string& name) const;
  int64_t attr_int(const OnnxNode& n, const std::string& name, int64_t def) const;
  double attr_float(const OnnxNode& n, const std::string& name, double def) const;
  std::optional<std::vector<int64_t>> attr_ints(const OnnxNode& n, const std::string& name) const;

  // Dense nodes made from MatMul whose bias a following Add may still absorb: IR output id -> node index.
  std::map<ir::TensorId, size_t> foldable_dense;

  [[noreturn]] void fail(const OnnxNode& n, const std::string& what, const std::string& hint = {}) const;
  void warn(const OnnxNode& n, const std::string& what);

 private:
  std::map<std::string, Value> values_;
  std::map<std::string, Value> plain_;  // ONNX name -> its plain (ONNX-order) materialization
};

// Converters, one per ONNX op; the tables in onnx_op_table.cpp map (domain, op_type) to them: the
// default domain, and the QONNX/FINN custom-op domains (qonnx.custom_op.general, finn.custom_op.general,
// onnx.brevitas and their sub-domains).
using Converter = void (*)(Context&, const OnnxNode&);
const Converter* find_converter(const std::string& op_type);
const Converter* find_custom_converter(const std::string& domain, const std::string& op_type);
bool is_custom_domain(const std::string& domain);
std::string supported_ops_list();
std::string supported_custom_ops_list();

// Op families (defined in onnx_ops_*.cpp).
void convert_gemm(Context&, const OnnxNode&);
void convert_matmul(Context&, const OnnxNode&);
void convert_batchnorm(Context&, const OnnxNode&);
// An ONNX op that is an activation function with no attributes: Activation(function F).
void convert_function(Context&, const OnnxNode&, ir::ActivationFn f);
template <ir::ActivationFn F>
void convert_plain(Context& ctx, const OnnxNode& n) {
  convert_function(ctx, n, F);
}
void convert_leaky_relu(Context&, const OnnxNode&);
void convert_prelu(Context&, const OnnxNode&);
void convert_elu(Context&, const OnnxNode&);
void convert_selu(Context&, const OnnxNode&);
void convert_hard_sigmoid(Context&, const OnnxNode&);
void convert_clip(Context&, const OnnxNode&);
void convert_softmax(Context&, const OnnxNode&);
void convert_add(Context&, const OnnxNode&);
void convert_sub(Context&, const OnnxNode&);
void convert_mul(Context&, const OnnxNode&);
void convert_div(Context&, const OnnxNode&);
void convert_flatten(Context&, const OnnxNode&);
void convert_reshape(Context&, const OnnxNode&);
void convert_identity(Context&, const OnnxNode&);
void convert_constant(Context&, const OnnxNode&);
void convert_transpose(Context&, const OnnxNode&);
void convert_concat(Context&, const OnnxNode&);
void convert_squeeze(Context&, const OnnxNode&);
void convert_unsqueeze(Context&, const OnnxNode&);
void convert_topk(Context&, const OnnxNode&);
// Convolutions and pooling (onnx_ops_conv.cpp).
void convert_conv(Context&, const OnnxNode&);
void convert_max_pool(Context&, const OnnxNode&);
void convert_average_pool(Context&, const OnnxNode&);
void convert_global_average_pool(Context&, const OnnxNode&);
void convert_global_max_pool(Context&, const OnnxNode&);
void convert_pad(Context&, const OnnxNode&);
void convert_resize(Context&, const OnnxNode&);
void convert_conv_transpose(Context&, const OnnxNode&);
void convert_channels_last(Context&, const OnnxNode&);
// Shape arithmetic folded on constants (onnx_ops_shape_fold.cpp).
void convert_shape(Context&, const OnnxNode&);
void convert_gather(Context&, const OnnxNode&);
void convert_cast(Context&, const OnnxNode&);
bool fold_constant_reshape(Context&, const OnnxNode&);  // Squeeze/Unsqueeze of a constant; false for data
bool fold_constant_concat(Context&, const OnnxNode&);   // Concat of constants; false when any input is data  // qonnx.custom_op.channels_last Conv/MaxPool/BatchNormalization  // Resize, Upsample (nearest, integer factors)
// Recurrent layers (onnx_ops_recurrent.cpp): LSTM, GRU, RNN; ConstantOfShape folded; a Gather of a recurrent
// sequence's last step (false when the Gather is not one).
void convert_recurrent(Context&, const OnnxNode&);
void convert_constant_of_shape(Context&, const OnnxNode&);
bool gather_recurrent_step(Context&, const OnnxNode&);
// QONNX (onnx_ops_qonnx.cpp) and FINN (onnx_ops_finn.cpp) custom ops.
void convert_quant(Context&, const OnnxNode&);
void convert_bipolar_quant(Context&, const OnnxNode&);
void convert_trunc(Context&, const OnnxNode&);
void convert_multithreshold(Context&, const OnnxNode&);
// FINN quantization_annotation of graph inputs (finn_datatype UINT8, INT4, BIPOLAR, ...): presets the
// input tensor's type. Called by the frontend after the graph inputs exist.
void apply_input_annotations(Context&, const onnx::GraphProto& g);

}  // namespace firmnet::frontends::onnx_detail
