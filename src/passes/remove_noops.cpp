// remove_noops: drops nodes that do not change the data.
//  - a Reshape whose consumers all treat their input as a flat array (or see the same last axis) and whose
//    output is not a graph output; an identity-shaped Reshape that is not a graph output;
//  - a linear Activation whose output type the model did not fix (its cast would be inferred anyway)
//    and that is not a graph output.
// A node the configuration names in LayerName is kept: the user wants to set something on it.
#include "passes/internal.h"

namespace firmnet::passes {

namespace {

bool named_in_config(const ir::Node& n, const config::Config& cfg) {
  if (cfg.layer_name.count(n.name)) return true;
  for (const auto& a : n.aliases)
    if (cfg.layer_name.count(a)) return true;
  return false;
}

// Whether consumer `c` computes the same thing when its input `in` has shape `from` instead of `to`.
bool shape_independent(const ir::Graph& g, const ir::Node& c, const ir::Shape& from, const ir::Shape& to) {
  const bool same_last = !from.empty() && !to.empty() && from.back() == to.back();
  switch (c.kind) {
    case ir::OpKind::Dense:
    case ir::OpKind::Activation:
    case ir::OpKind::Quantize:
    case ir::OpKind::Reshape: return true;
    case ir::OpKind::Elementwise: {
      if (!c.has_param("constant")) return true;  // a tensor of the same size: flat
      const int64_t k = g.tensor(c.param("constant")).size();
      return k == 1 || k == ir::num_elements(to) || same_last;
    }
    case ir::OpKind::BatchNorm:  // per channel = flat index mod C: the same when the last axis is, or C = all
      return same_last || g.tensor(c.param("scale")).size() == ir::num_elements(to);
    case ir::OpKind::MultiThreshold: {  // shared thresholds: flat; per channel: the same channel axis
      const int64_t rows = g.tensor(c.param("thresholds")).shape.at(0);
      const bool nchw = c.has_attr("data_layout") && c.attr_str("data_layout") == "NCHW";
      return rows == 1 || (!nchw && same_last);
    }
    case ir::OpKind::Softmax:
    case ir::OpKind::Rescale:
    case ir::OpKind::ArgMax: return same_last;
    case ir::OpKind::Input:
    case ir::OpKind::Conv:
    case ir::OpKind::Pool:
    case ir::OpKind::Recurrent:
    case ir::OpKind::GarNet:
    case ir::OpKind::Transpose:
    case ir::OpKind::Upsample:
    case ir::OpKind::Slice:
    case ir::OpKind::Concat: return false;
  }
  return false;
}

class RemoveNoops : public Pass {
 public:
  const char* name() const override { return "remove_noops"; }

  bool run(ir::Graph& g, PassContext& ctx) override {
    std::vector<int> drop;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const ir::Node& n = g.nodes[i];
      if (n.inputs.size() != 1 || n.outputs.size() != 1) continue;
      const ir::TensorId in = n.inputs[0], out = n.outputs[0];
      if (g.is_output(out) || named_in_config(n, ctx.config)) continue;
      if (removable(g, n, in, out)) {
        g.replace_uses(out, in);
        drop.push_back(static_cast<int>(i));
      }
    }
    if (drop.empty()) return false;
    g.erase_nodes(drop);
    return true;
  }

 private:
  static bool removable(const ir::Graph& g, const ir::Node& n, ir::TensorId in, ir::TensorId out) {
    const ir::Tensor& o = g.tensor(out);
    if (n.kind == ir::OpKind::Activation)
      return n.has_attr("function") && n.attr_str("function") == "linear" && !o.type;
    if (n.kind != ir::OpKind::Reshape) return false;
    // A Reshape with a type from the model casts: keep it unless the types agree.
    if (o.type && o.type != g.tensor(in).type) return false;
    const ir::Shape& from = g.tensor(in).shape;
    if (from == o.shape) return true;
    for (int c : g.consumers(out))
      if (!shape_independent(g, g.nodes[static_cast<size_t>(c)], from, o.shape)) return false;
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> make_remove_noops() { return std::make_unique<RemoveNoops>(); }

}  // namespace firmnet::passes
