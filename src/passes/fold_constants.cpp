// fold_constants: an Elementwise node whose operands are all constants becomes a constant tensor,
// computed in double from the model's float values (quantized later like any other constant).
#include "passes/internal.h"

namespace firmnet::passes {

namespace {

double apply(const std::string& op, double a, double b, const ir::Node& n) {
  if (op == "add") return a + b;
  if (op == "sub") return a - b;
  if (op == "mul") return a * b;
  throw Error(layer_where(n), "unknown elementwise op '" + op + "'", "use add, sub or mul");
}

class FoldConstants : public Pass {
 public:
  const char* name() const override { return "fold_constants"; }

  bool run(ir::Graph& g, PassContext&) override {
    std::vector<int> drop;
    for (size_t i = 0; i < g.nodes.size(); ++i) {  // topological order: chains fold in one sweep
      const ir::Node& n = g.nodes[i];
      if (n.kind != ir::OpKind::Elementwise || n.inputs.empty() || n.outputs.size() != 1) continue;
      bool all_const = true;
      for (ir::TensorId t : n.inputs) all_const = all_const && g.tensor(t).is_const();
      if (!all_const) continue;
      fold(g, n);
      drop.push_back(static_cast<int>(i));
    }
    if (drop.empty()) return false;
    g.erase_nodes(drop);
    return true;
  }

 private:
  static void fold(ir::Graph& g, const ir::Node& n) {
    const std::string op = n.attr_str("op");
    ir::Tensor& out = g.tensor(n.outputs[0]);
    const ir::Tensor& a = g.tensor(n.inputs[0]);
    const std::vector<double>* b = nullptr;
    if (n.inputs.size() == 2) b = &g.tensor(n.inputs[1]).values;
    else if (n.has_param("constant")) b = &g.tensor(n.param("constant")).values;
    if (!b || a.values.empty() || b->empty())
      throw Error(layer_where(n), "constant operands without values", "the frontend must give constant values");
    if (!broadcasts(static_cast<int64_t>(b->size()), a.shape) || out.size() != a.size())
      throw Error(layer_where(n), "operand of " + std::to_string(b->size()) + " values does not broadcast onto " +
                                      ir::to_string(a.shape));
    std::vector<double> v(a.values.size());
    for (size_t k = 0; k < v.size(); ++k) v[k] = apply(op, a.values[k], broadcast_at(*b, k), n);
    out.kind = ir::TensorKind::Constant;
    out.values = std::move(v);
    if (out.origin.empty()) out.origin = "folded from constant " + op + " '" + n.name + "'";
  }
};

}  // namespace

std::unique_ptr<Pass> make_fold_constants() { return std::make_unique<FoldConstants>(); }

}  // namespace firmnet::passes
