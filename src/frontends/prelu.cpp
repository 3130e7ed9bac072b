// PReLU as IR (prelu.h): a leaky_relu for one slope, else relu(x) + alpha·(x − relu(x)).
#include "frontends/prelu.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::frontends {

ir::TensorId build_prelu(ir::Graph& g, ir::TensorId x, std::vector<double> alpha, const std::string& where,
                         const PreluNodeFn& node, const PreluConstFn& constant) {
  const ir::Shape shape = g.tensor(x).shape;
  const int64_t numel = ir::num_elements(shape);
  if (static_cast<int64_t>(alpha.size()) != numel)
    throw Error(where, fmt::format("has {} slopes for an input of shape {} ({} values)", alpha.size(),
                                   ir::to_string(shape), numel),
                "give one slope, one per channel, or one per element");
  for (double a : alpha)
    if (!std::isfinite(a)) throw Error(where, fmt::format("has a slope that is not finite ({})", a));
  if (std::all_of(alpha.begin(), alpha.end(), [&](double a) { return a == alpha[0]; })) {
    const ir::TensorId y = node(ir::OpKind::Activation, {x}, "", true);
    const std::string name = g.nodes.back().name;
    const ir::TensorId a = constant(name, "alpha", {1}, {alpha[0]});
    ir::Node& n = g.nodes.back();  // constant() adds a tensor, not a node
    n.attrs["function"] = std::string("leaky_relu");
    n.attrs["alpha"] = alpha[0];
    n.params["alpha"] = a;
    return y;
  }
  // The slopes per channel (x's last axis) when they repeat along every other axis.
  const int64_t last = shape.empty() ? 1 : shape.back();
  bool per_channel = true;
  for (size_t i = static_cast<size_t>(last); i < alpha.size() && per_channel; ++i)
    per_channel = alpha[i] == alpha[i % static_cast<size_t>(last)];
  ir::Shape ashape = shape;
  if (per_channel) {
    alpha.resize(static_cast<size_t>(last));
    ashape = {last};
  }
  const ir::TensorId r = node(ir::OpKind::Activation, {x}, "relu", false);
  g.nodes.back().attrs["function"] = std::string("relu");
  const ir::TensorId d = node(ir::OpKind::Elementwise, {x, r}, "neg", false);
  g.nodes.back().attrs["op"] = std::string("sub");
  const ir::TensorId m = node(ir::OpKind::Elementwise, {d}, "scaled", false);
  const std::string mname = g.nodes.back().name;
  const ir::TensorId k = constant(mname, "constant", ashape, std::move(alpha));
  g.nodes.back().attrs["op"] = std::string("mul");
  g.nodes.back().params["constant"] = k;
  const ir::TensorId y = node(ir::OpKind::Elementwise, {r, m}, "", true);
  g.nodes.back().attrs["op"] = std::string("add");
  return y;
}

}  // namespace firmnet::frontends
