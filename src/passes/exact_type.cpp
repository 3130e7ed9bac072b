// Helpers on quantized tensors: whether a tensor holds a quantizer's levels, whether a Dense is quantized
// (the narrowest exact type itself is numeric::exact_type).
#include <cmath>

#include "passes/internal.h"

namespace firmnet::passes {

bool set_by_quantizer(const ir::Tensor& t) {
  return t.type && (t.origin.rfind("QONNX ", 0) == 0 || t.origin.rfind("FINN ", 0) == 0);
}

namespace {
// Whether tensor id holds a quantizer's levels: typed by one, or moved unchanged from such a tensor by ops
// that take their input's type by default (max pool, reshape, transpose) and were given no type of their own.
bool quantized_data(const ir::Graph& g, ir::TensorId id) {
  for (int hops = 0; hops < 64; ++hops) {
    const ir::Tensor& t = g.tensor(id);
    if (set_by_quantizer(t)) return true;
    const int p = g.producer(id);
    if (p < 0) return false;
    const ir::Node& n = g.nodes[static_cast<size_t>(p)];
    const bool moves = n.kind == ir::OpKind::Reshape || n.kind == ir::OpKind::Transpose ||
                       n.kind == ir::OpKind::Upsample || n.kind == ir::OpKind::Slice ||
                       (n.kind == ir::OpKind::Pool && !avg_pool(n));
    if (!moves || n.inputs.empty()) return false;
    const ir::Tensor& in = g.tensor(n.inputs[0]);
    if (t.type && (!in.type || *t.type != *in.type)) return false;  // a type of its own: no longer the levels
    id = n.inputs[0];
  }
  return false;
}
}  // namespace

bool quantized_dense(const ir::Graph& g, const ir::Node& n) {
  return (n.kind == ir::OpKind::Dense || n.kind == ir::OpKind::Conv) && !n.inputs.empty() &&
         quantized_data(g, n.inputs[0]) && set_by_quantizer(g.tensor(n.param("weight")));
}

std::string with_quantizer(const std::string& old_origin, const std::string& why) {
  if (old_origin.rfind("QONNX ", 0) != 0 && old_origin.rfind("FINN ", 0) != 0) return why;
  const size_t arrow = old_origin.find(" -> ");
  return old_origin.substr(0, arrow) + " -> " + why;
}

}  // namespace firmnet::passes
