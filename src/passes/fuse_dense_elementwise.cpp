// fuse_dense_elementwise: Dense followed by Elementwise add/sub/mul with a constant (a scalar or one per
// output) folds into the Dense's float weights and bias:
//   add c: b'_j = b_j + c_j      sub c: b'_j = b_j - c_j      mul c: W'_ij = W_ij*c_j, b'_j = b_j*c_j
// Only when the Dense output feeds nothing else, is not a graph output, and has no type of its own.
#include "passes/internal.h"

namespace firmnet::passes {

namespace {

class FuseDenseElementwise : public Pass {
 public:
  const char* name() const override { return "fuse_dense_elementwise"; }

  bool run(ir::Graph& g, PassContext&) override {
    return sweep_until_stable(g, [](ir::Graph& g, size_t i) {
      const int c = fusable_consumer_of_dense(g, i);
      if (c < 0) return -1;
      const ir::Node& e = g.nodes[static_cast<size_t>(c)];
      if (e.kind != ir::OpKind::Elementwise || e.inputs.size() != 1 || !e.has_param("constant")) return -1;
      const ir::Tensor& k = g.tensor(e.param("constant"));
      const int64_t n_out = g.tensor(g.nodes[i].param("bias")).size();
      if ((k.size() != 1 && k.size() != n_out) || k.values.empty() || !k.raw.empty()) return -1;
      const std::string op = e.attr_str("op");
      std::vector<double> scale{1.0}, shift{0.0};
      if (op == "mul") scale = k.values;
      else if (op == "add") shift = k.values;
      else if (op == "sub") {
        shift = k.values;
        for (double& v : shift) v = -v;
      } else {
        return -1;
      }
      fold_affine_into_dense(g, i, static_cast<size_t>(c), scale, shift, "_" + op);
      return c;
    });
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_dense_elementwise() { return std::make_unique<FuseDenseElementwise>(); }

}  // namespace firmnet::passes
