// fuse_batchnorm: Dense followed by BatchNorm over the Dense's outputs folds into the Dense:
//   W'[i][j] = W[i][j] * scale_j,   b'_j = b_j * scale_j + bias_j
// Only when the Dense output feeds nothing else, is not a graph output and has no type of its own.
#include "passes/internal.h"

namespace firmnet::passes {

namespace {

class FuseBatchNorm : public Pass {
 public:
  const char* name() const override { return "fuse_batchnorm"; }

  bool run(ir::Graph& g, PassContext&) override {
    bool changed = false;
    while (sweep(g)) changed = true;  // a chain (Dense, Mul, Add) fuses one op per sweep
    return changed;
  }

 private:
  static bool sweep(ir::Graph& g) {
    std::vector<int> drop;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      if (g.nodes[i].kind != ir::OpKind::Dense || g.nodes[i].outputs.size() != 1) continue;
      const ir::TensorId y = g.nodes[i].outputs[0];
      const auto cons = g.consumers(y);
      if (cons.size() != 1 || g.is_output(y) || g.tensor(y).type) continue;
      const ir::Node& bn = g.nodes[static_cast<size_t>(cons[0])];
      if (bn.kind != ir::OpKind::BatchNorm || bn.outputs.size() != 1) continue;
      const ir::Tensor& scale = g.tensor(bn.param("scale"));
      const ir::Tensor& shift = g.tensor(bn.param("bias"));
      const int64_t n_out = g.tensor(g.nodes[i].param("bias")).size();
      if (!has_float_values(g, g.nodes[i])) continue;
      if (scale.size() != n_out || shift.size() != n_out || scale.values.empty() || shift.values.empty()) continue;
      fuse(g, i, bn, scale.values, shift.values);
      drop.push_back(cons[0]);
    }
    if (drop.empty()) return false;
    g.erase_nodes(drop);
    return true;
  }

  static void fuse(ir::Graph& g, size_t dense_index, const ir::Node& bn, const std::vector<double>& scale,
                   const std::vector<double>& shift) {
    ir::Node& d = g.nodes[dense_index];
    ir::Tensor w = g.tensor(d.param("weight"));  // copies: the originals may be shared
    ir::Tensor b = g.tensor(d.param("bias"));
    const size_t n_out = scale.size();
    for (size_t k = 0; k < w.values.size(); ++k) w.values[k] *= scale[k % n_out];
    for (size_t j = 0; j < n_out; ++j) b.values[j] = b.values[j] * scale[j] + shift[j];
    w.name += "_bn";
    b.name += "_bn";
    d.params["weight"] = g.add_tensor(std::move(w));
    d.params["bias"] = g.add_tensor(std::move(b));
    d.outputs[0] = bn.outputs[0];
    d.source += " + " + bn.source;
    d.aliases.push_back(bn.name);
    for (const auto& a : bn.aliases) d.aliases.push_back(a);
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_batchnorm() { return std::make_unique<FuseBatchNorm>(); }

}  // namespace firmnet::passes
