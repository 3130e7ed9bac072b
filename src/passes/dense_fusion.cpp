// What fuse_dense_elementwise and fuse_batchnorm share: finding the single consumer of a Dense, and folding
// a per-output affine map y'_j = y_j * scale_j + shift_j into the Dense's float weights and bias.
#include "passes/internal.h"

namespace firmnet::passes {

namespace {
// A fresh constant tensor holding `values` (the original may be shared with another node).
ir::TensorId add_constant(ir::Graph& g, const ir::Tensor& like, std::vector<double> values, const std::string& suffix) {
  ir::Tensor t;
  t.name = like.name + suffix;
  t.shape = like.shape;
  t.kind = ir::TensorKind::Constant;
  t.values = std::move(values);
  t.type = like.type;
  t.origin = like.origin;
  return g.add_tensor(std::move(t));
}
}  // namespace

int fusable_consumer_of_dense(const ir::Graph& g, size_t i) {
  const ir::Node& d = g.nodes[i];
  if ((d.kind != ir::OpKind::Dense && d.kind != ir::OpKind::Conv) || d.outputs.size() != 1 || !has_float_values(g, d)) return -1;
  const ir::TensorId y = d.outputs[0];
  const auto cons = g.consumers(y);
  // A typed intermediate would round between the two ops, which the fused layer could not reproduce.
  if (cons.size() != 1 || g.is_output(y) || g.tensor(y).type) return -1;
  // Weights or a bias with a type of their own (a quantizer's exact type: binary, ternary, quantized_bits)
  // would no longer hold the scaled values; the affine op stays a layer of its own.
  for (const char* role : {"weight", "bias"})
    if (d.params.count(role) && g.tensor(d.param(role)).type) return -1;
  return g.nodes[static_cast<size_t>(cons[0])].outputs.size() == 1 ? cons[0] : -1;
}

void fold_affine_into_dense(ir::Graph& g, size_t dense_index, size_t absorbed_index, const std::vector<double>& scale,
                            const std::vector<double>& shift, const std::string& suffix) {
  const ir::Tensor w = g.tensor(g.nodes[dense_index].param("weight"));  // copies: add_tensor may reallocate
  const ir::Tensor b = g.tensor(g.nodes[dense_index].param("bias"));
  const size_t n_out = static_cast<size_t>(b.size());
  std::vector<double> wv = w.values, bv = b.values;
  for (size_t j = 0; j < n_out; ++j) {
    const double s = broadcast_at(scale, j), t = broadcast_at(shift, j);
    bv[j] = bv[j] * s + t;
    for (size_t k = j; k < wv.size(); k += n_out) wv[k] *= s;
  }
  const ir::TensorId wid = add_constant(g, w, std::move(wv), suffix);
  const ir::TensorId bid = add_constant(g, b, std::move(bv), suffix);
  ir::Node& d = g.nodes[dense_index];
  const ir::Node& e = g.nodes[absorbed_index];
  d.params["weight"] = wid;
  d.params["bias"] = bid;
  d.outputs[0] = e.outputs[0];  // the Dense now produces what the absorbed node produced
  d.source += " + " + e.source;
  d.aliases.push_back(e.name);
  for (const auto& a : e.aliases) d.aliases.push_back(a);
}

bool sweep_until_stable(ir::Graph& g, const std::function<int(ir::Graph&, size_t)>& try_fuse) {
  bool changed = false;
  while (true) {  // a chain (Dense, Mul, Add) fuses one op per sweep
    std::vector<int> drop;
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (const int absorbed = try_fuse(g, i); absorbed >= 0) drop.push_back(absorbed);
    if (drop.empty()) return changed;
    g.erase_nodes(drop);
    changed = true;
  }
}

}  // namespace firmnet::passes
