// fuse_dense_elementwise: Dense followed by Elementwise add/sub/mul with a constant (a scalar or one per
// output) folds into the Dense's float weights and bias:
//   add c: b'_j = b_j + c_j      sub c: b'_j = b_j - c_j      mul c: W'_ij = W_ij*c_j, b'_j = b_j*c_j
// Only when the Dense output feeds nothing else, is not a graph output, and has no type of its own (a
// typed intermediate would round between the two ops, which the fused layer could not reproduce).
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

class FuseDenseElementwise : public Pass {
 public:
  const char* name() const override { return "fuse_dense_elementwise"; }

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
      const ir::Node& e = g.nodes[static_cast<size_t>(cons[0])];
      if (e.kind != ir::OpKind::Elementwise || e.inputs.size() != 1 || !e.has_param("constant")) continue;
      const ir::Tensor& c = g.tensor(e.param("constant"));
      const int64_t n_out = g.tensor(g.nodes[i].param("bias")).size();
      if ((c.size() != 1 && c.size() != n_out) || c.values.empty() || !c.raw.empty()) continue;
      if (!has_float_values(g, g.nodes[i])) continue;
      const std::string op = e.attr_str("op");
      if (op != "add" && op != "sub" && op != "mul") continue;
      fuse(g, i, e, c.values, op);
      drop.push_back(cons[0]);
    }
    if (drop.empty()) return false;
    g.erase_nodes(drop);
    return true;
  }

  static void fuse(ir::Graph& g, size_t dense_index, const ir::Node& e, const std::vector<double>& c,
                   const std::string& op) {
    ir::Node& d = g.nodes[dense_index];
    const ir::Tensor& w = g.tensor(d.param("weight"));
    const ir::Tensor& b = g.tensor(d.param("bias"));
    const size_t n_out = static_cast<size_t>(b.size());
    std::vector<double> wv = w.values, bv = b.values;
    for (size_t j = 0; j < n_out; ++j) {
      const double cj = broadcast_at(c, j);
      if (op == "add") bv[j] += cj;
      if (op == "sub") bv[j] -= cj;
      if (op == "mul") {
        bv[j] *= cj;
        for (size_t k = j; k < wv.size(); k += n_out) wv[k] *= cj;
      }
    }
    const ir::Tensor w_like = w, b_like = b;
    d.params["weight"] = add_constant(g, w_like, std::move(wv), "_" + op);
    d.params["bias"] = add_constant(g, b_like, std::move(bv), "_" + op);
    d.outputs[0] = e.outputs[0];  // the Dense now produces what the Elementwise produced
    d.source += " + " + e.source;
    d.aliases.push_back(e.name);
    for (const auto& a : e.aliases) d.aliases.push_back(a);
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_dense_elementwise() { return std::make_unique<FuseDenseElementwise>(); }

}  // namespace firmnet::passes
