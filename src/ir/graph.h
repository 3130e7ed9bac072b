#pragma once
// firmnet's IR: a graph of nodes in topological order over typed tensors.
//
// Shapes exclude the batch dimension: the emulator and the firmware process one sample as a flat
// row-major array. Every tensor carries a fixed-point type once passes/resolve_types has run; constant
// tensors (weights, biases, scales) carry their float values from the model and, once quantized,
// their raw integers in that type.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ir/input_quantizer.h"
#include "numeric/fixed.h"
#include "numeric/tables.h"

namespace firmnet::ir {

enum class OpKind {
#define FIRMNET_OP(e, n, d) e,
#include "ir/ops.def"
#undef FIRMNET_OP
};
const char* name(OpKind k);
const char* description(OpKind k);
std::optional<OpKind> op_kind_from_name(const std::string& n);
std::vector<OpKind> all_op_kinds();

using Shape = std::vector<int64_t>;
int64_t num_elements(const Shape& s);
std::string to_string(const Shape& s);

enum class TensorKind { Activation, Constant };

// How a graph input's or output's data relates to the model's own layout, e.g. an ONNX NCHW tensor that
// firmnet holds channels-last: the model's sample is transpose(reshape(data, view), perm), read as
// model_shape. predict, csim and the testbench convert at the boundary; the firmware port holds the data.
struct ModelLayout {
  Shape view;                 // the data's shape as axes the permutation moves
  std::vector<int64_t> perm;  // model axis a is view axis perm[a] (numpy.transpose)
  Shape model_shape;          // the model's sample shape (batch excluded)
  // model_index()[k]: the model's flat index of data element k.
  std::vector<int64_t> model_index() const;
  // Whether it describes data of `numel` values: perm a permutation of view's axes, positive dims, both
  // shapes holding numel values.
  bool fits(int64_t numel) const;
  // Samples (one after another) in the model's order -> in the held order, and back.
  std::vector<double> to_held(const std::vector<double>& model_order) const;
  std::vector<double> to_model(const std::vector<double>& held) const;
  bool operator==(const ModelLayout&) const = default;
};

struct Tensor {
  std::string name;
  Shape shape;
  TensorKind kind = TensorKind::Activation;
  std::optional<numeric::FixedType> type;  // set by resolve_types
  std::vector<double> values;              // constants: values from the model
  std::vector<int64_t> raw;                // constants: quantized values (set by quantize_constants)
  std::string origin;                      // where the type came from: "config Model", "QONNX Quant ...", "auto: ..."
  std::optional<InputQuantizer> quantizer;  // graph inputs: the model's quantizer, applied to float inputs
  std::optional<ModelLayout> layout;        // graph inputs/outputs held in another order than the model's
  bool is_const() const { return kind == TensorKind::Constant; }
  int64_t size() const { return num_elements(shape); }
};

using TensorId = int;

using AttrValue = std::variant<int64_t, double, std::string, std::vector<int64_t>, std::vector<double>>;

// Per-node HLS settings resolved from the configuration.
enum class Strategy { Latency, Resource };
const char* name(Strategy s);

struct Node {
  std::string name;    // legal C++ identifier, unique (the frontend legalizes)
  std::string source;  // the model node(s) it came from, e.g. "Gemm '/fc1/Gemm' + Relu 'r1'"
  std::vector<std::string> aliases;  // other names a config may use for it (the model's node names)
  OpKind kind = OpKind::Input;
  std::vector<TensorId> inputs;               // activation inputs, in order
  std::vector<TensorId> outputs;              // usually one
  std::map<std::string, TensorId> params;     // constants: "weight", "bias", "scale", "thresholds", ...
  std::map<std::string, AttrValue> attrs;     // op attributes: "function", "alpha", "op", "axis", ...
  std::map<std::string, numeric::FixedType> types;    // internal types: "accum", "table", "exp_table", ...
  std::map<std::string, numeric::TableSpec> tables;   // lookup tables by role: "table"; softmax "exp_hi", "exp_lo", "inv"
  std::map<std::string, std::vector<int64_t>> table_data;  // raw entries, built by passes/build_tables
  int reuse_factor = 1;
  Strategy strategy = Strategy::Latency;
  bool trace = false;

  // Typed attribute access; throw firmnet::Error naming the node when missing or of another type.
  int64_t attr_int(const std::string& key) const;
  double attr_float(const std::string& key) const;
  const std::string& attr_str(const std::string& key) const;
  const std::vector<int64_t>& attr_ints(const std::string& key) const;
  const std::vector<double>& attr_floats(const std::string& key) const;
  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  bool has_param(const std::string& key) const { return params.count(key) != 0; }
  TensorId param(const std::string& key) const;
  // Entries table_data[role] holds for tables[role]: the spec's 2^log2_size, one more for an interpolated
  // table sampled at both edges of its buckets (softmax "inv": 1/m at m = 1 + j/N, j = 0..N; docs/NUMERICS.md).
  int64_t table_entries(const std::string& role) const;
};

// Whether table `role` of a node of kind `k` is interpolated between its bucket edges (N + 1 entries).
inline bool interpolated_table(OpKind k, const std::string& role) { return k == OpKind::Softmax && role == "inv"; }

// The interpolated inverse of a Softmax with its tables built (docs/NUMERICS.md "Softmax"), as the HLS kernel
// spells it: j has index_bits = log2 N bits; the sum's raw bits normalised to the leading one hold
// remainder_bits = max(W_accum, log2 N + 1) - 1 - log2 N bits below j; every inv[j+1] - inv[j] fits
// delta_width signed bits. The interpolation product is delta (delta_width, signed) x r (remainder_bits).
// The leading one of s = max(raw sum, 1) lies in [lead_min, lead_max]: for a lossless sum of row_length
// entries (non-negative exp entries whose product never overflows exp_table, accum holding n times the
// largest e exactly) between the e of the row's maximum (d = 0) and n times the largest e; else any accum bit.
struct SoftmaxInverse {
  int index_bits = 1, delta_width = 1, remainder_bits = 0;
  int lead_min = 0, lead_max = 0;
};
SoftmaxInverse softmax_inverse(const Node& n, int64_t row_length);

struct HardwarePlan;  // ir/hardware.h

class Graph {
 public:
  std::string name = "myproject";
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;  // topological order
  std::vector<TensorId> inputs;
  std::vector<TensorId> outputs;
  // What the firmware builds (ir/hardware.h), recorded by driver::compile after the passes; not part of the IR
  // text. Readers go through ir::hardware_plan, which recomputes it when missing or stale.
  std::shared_ptr<const HardwarePlan> hardware;

  TensorId add_tensor(Tensor t);
  Tensor& tensor(TensorId id) { return tensors.at(static_cast<size_t>(id)); }
  const Tensor& tensor(TensorId id) const { return tensors.at(static_cast<size_t>(id)); }
  Node& add_node(Node n);

  // Index of the node producing tensor id, or -1 (graph input / constant).
  int producer(TensorId id) const;
  // Indices of nodes reading tensor id (as input; params excluded).
  std::vector<int> consumers(TensorId id) const;
  bool is_output(TensorId id) const;

  // Replaces every use of `from` (node inputs and graph outputs) by `to`.
  void replace_uses(TensorId from, TensorId to);
  // Drops nodes marked for removal and tensors nobody references; keeps ids dense. Returns count removed.
  size_t erase_nodes(const std::vector<int>& node_indices);
  void compact_tensors();

  // Checks the invariants (topological order, ids in range, shapes known, one producer per tensor,
  // and, when `typed`, every tensor typed and every constant quantized); throws firmnet::Error.
  void verify(bool typed = false) const;
};

// The structural rules of node n's op (arity, parameter roles and sizes, attribute kinds; op_verify.cpp);
// Graph::verify applies them to every node. Throws firmnet::Error naming the node.
void verify_op(const Graph& g, const Node& n);

// The `inspect` view: per layer op, shapes, every type, reuse, strategy, #multipliers.
std::string print(const Graph& g);

// Multiplications per inference of a node (weights that are 0 or ±2^k still count: HLS decides).
int64_t multiplier_count(const Graph& g, const Node& n);

// A MultiThreshold's output value per count k = 0..T (before the cast to its output type): the attribute
// `out_levels` when present (levels that are not evenly spaced, e.g. QKeras's powers of two), else
// out_scale * k + out_bias (each 1 / 0 when absent).
std::vector<double> threshold_levels(const Graph& g, const Node& n);

}  // namespace firmnet::ir
