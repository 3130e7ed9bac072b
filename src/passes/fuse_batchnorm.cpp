// fuse_batchnorm: Dense followed by BatchNorm over the Dense's outputs folds into the Dense:
//   W'[i][j] = W[i][j] * scale_j,   b'_j = b_j * scale_j + bias_j
// Only when the Dense output feeds nothing else, is not a graph output and has no type of its own, and the
// Dense weights and bias have none either (a quantizer's type would not hold the scaled values).
#include "passes/internal.h"

namespace firmnet::passes {

namespace {

class FuseBatchNorm : public Pass {
 public:
  const char* name() const override { return "fuse_batchnorm"; }

  bool run(ir::Graph& g, PassContext&) override {
    return sweep_until_stable(g, [](ir::Graph& g, size_t i) {
      const int c = fusable_consumer_of_dense(g, i);
      if (c < 0 || g.nodes[static_cast<size_t>(c)].kind != ir::OpKind::BatchNorm) return -1;
      const ir::Node& bn = g.nodes[static_cast<size_t>(c)];
      const ir::Tensor& scale = g.tensor(bn.param("scale"));
      const ir::Tensor& shift = g.tensor(bn.param("bias"));
      const int64_t n_out = g.tensor(g.nodes[i].param("bias")).size();
      if (scale.size() != n_out || shift.size() != n_out || scale.values.empty() || shift.values.empty()) return -1;
      fold_affine_into_dense(g, i, static_cast<size_t>(c), scale.values, shift.values, "_bn");
      return c;
    });
  }
};

}  // namespace

std::unique_ptr<Pass> make_fuse_batchnorm() { return std::make_unique<FuseBatchNorm>(); }

}  // namespace firmnet::passes
