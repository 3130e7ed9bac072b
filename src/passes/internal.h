#pragma once
// Internal to src/passes: the pass factories the pipeline table lists, and helpers several passes share.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/activations.h"
#include "numeric/bits.h"
#include "passes/pass.h"

namespace firmnet::passes {

std::unique_ptr<Pass> make_remove_noops();
std::unique_ptr<Pass> make_fold_constants();
std::unique_ptr<Pass> make_fuse_dense_elementwise();
std::unique_ptr<Pass> make_fuse_batchnorm();
std::unique_ptr<Pass> make_resolve_types();
std::unique_ptr<Pass> make_quantize_constants();
std::unique_ptr<Pass> make_infer_precision();
std::unique_ptr<Pass> make_build_tables();
std::unique_ptr<Pass> make_fold_affine_into_threshold();
std::unique_ptr<Pass> make_snap_thresholds();
std::unique_ptr<Pass> make_absorb_input_quantizers();

// The narrowest exact type: numeric::exact_type (numeric/fixed.h).
using numeric::exact_type;
// A tensor origin that keeps the quantizer a frontend named ("QONNX Quant(...)", "FINN ...") in front of
// the reason for the type: "QONNX Quant(...) -> auto: bound [..]"; other origins are replaced by `why`.
std::string with_quantizer(const std::string& old_origin, const std::string& why);

// Whether a tensor's type was set by a quantizer of the model (QONNX Quant, FINN annotation/MultiThreshold).
bool set_by_quantizer(const ir::Tensor& t);
// A Dense of a quantized model: its input and its weights are typed by the model's quantizers. Its float
// bias then keeps its exact value and its auto result is lossless, so that the layer computes exactly what
// QONNX computes (docs/NUMERICS.md "Quantized models").
bool quantized_dense(const ir::Graph& g, const ir::Node& n);
// Widest exact type a quantized Dense's float bias gets (float32: 24 significant bits plus their spread).
inline constexpr int kExactBiasWidth = 40;

// An average Pool (it has an accumulator and a reciprocal).
inline bool avg_pool(const ir::Node& n) {
  if (n.kind != ir::OpKind::Pool) return false;
  auto it = n.attrs.find("mode");
  return it != n.attrs.end() && std::holds_alternative<std::string>(it->second) && std::get<std::string>(it->second) == "avg";
}

// "layer 'fc1'": how diagnostics name a node.
inline std::string layer_where(const ir::Node& n) { return "layer '" + n.name + "'"; }

// Whether a Dense node's weight and bias still hold float values not yet quantized (fusions need them).
inline bool has_float_values(const ir::Graph& g, const ir::Node& dense) {
  const ir::Tensor& w = g.tensor(dense.param("weight"));
  const ir::Tensor& b = g.tensor(dense.param("bias"));
  return w.size() == static_cast<int64_t>(w.values.size()) && b.size() == static_cast<int64_t>(b.values.size()) &&
         w.raw.empty() && b.raw.empty() && b.size() > 0 && w.size() % b.size() == 0;
}

// Dense fusions (dense_fusion.cpp). The index of the one node reading Dense i's output when it can be
// folded into the Dense (float constants, output neither typed nor a graph output), else -1.
int fusable_consumer_of_dense(const ir::Graph& g, size_t i);
// Folds y'_j = y_j * scale_j + shift_j (scale/shift broadcast: size 1 or n_out) into Dense i's float weight
// and bias, which then produces the absorbed node's output; the caller erases the absorbed node.
void fold_affine_into_dense(ir::Graph& g, size_t dense_index, size_t absorbed_index, const std::vector<double>& scale,
                            const std::vector<double>& shift, const std::string& suffix);
// Runs try_fuse(g, i) over every node, erases the nodes it returns (>= 0), and repeats until none.
bool sweep_until_stable(ir::Graph& g, const std::function<int(ir::Graph&, size_t)>& try_fuse);

// The value of a broadcast constant operand (size 1, size of the last axis, or full size) at flat index i.
double broadcast_at(const std::vector<double>& c, size_t i);
// Whether a constant of `size` elements broadcasts onto a tensor of shape `shape` as IR.md allows.
bool broadcasts(int64_t size, const ir::Shape& shape);

// Lookup-table functions: what build_tables samples and resolve_types picks the default entry type from.
// For an Activation node's function (nullopt when the function needs no table): ir/activations.h.
using ir::TableFunction;
using ir::table_function;

// Softmax tables (docs/NUMERICS.md "Softmax"): exp on [-kSoftmaxExpRange, 0), 1/x on [0, 2^ceil(log2 n)].
inline constexpr int kSoftmaxLog2ExpRange = 3;  // R = 8: exp(-8) = 3.4e-4 is still above the entry lsb
using numeric::ceil_log2;

// fixed<width, I, RND_CONV, SAT> with the fewest integer bits I such that lo and hi fit after rounding.
using numeric::fit_type;

inline constexpr int kDefaultTableSize = 1024;

// Reads the resolved table size that resolve_types stores in attrs["table_size"] (default otherwise).
int table_size_of(const ir::Node& n);

}  // namespace firmnet::passes
