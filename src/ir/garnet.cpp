// The GarNet op family: attributes, structural rules and defaults (ir/garnet.h).
#include "ir/garnet.h"

#include <cmath>

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::ir {

const char* name(GarNetCollapse c) {
  switch (c) {
    case GarNetCollapse::None: return "none";
    case GarNetCollapse::Mean: return "mean";
    case GarNetCollapse::Sum: return "sum";
    case GarNetCollapse::Max: return "max";
  }
  return "";
}

std::optional<GarNetCollapse> garnet_collapse_from_name(const std::string& s) {
  for (GarNetCollapse c : {GarNetCollapse::None, GarNetCollapse::Mean, GarNetCollapse::Sum, GarNetCollapse::Max})
    if (s == name(c)) return c;
  return std::nullopt;
}

namespace {

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw Error("node '" + n.name + "' (garnet)", what, "docs/IR.md \"GarNet\" says what the op reads and holds");
}

const Tensor& param(const Graph& g, const Node& n, const char* role) {
  if (!n.has_param(role)) fail(n, std::string("has no parameter '") + role + "'");
  return g.tensor(n.param(role));
}

}  // namespace

GarNetAttrs GarNetAttrs::of(const Graph& g, const Node& n) {
  GarNetAttrs a;
  if (n.inputs.size() != 2) fail(n, fmt::format("has {} inputs, 2 expected (x [V, F] and n_vertices [1])", n.inputs.size()));
  if (n.outputs.size() != 1) fail(n, fmt::format("has {} outputs, 1 expected", n.outputs.size()));
  const Tensor& x = g.tensor(n.inputs[0]);
  const Tensor& nv = g.tensor(n.inputs[1]);
  if (x.shape.size() != 2 || x.shape[0] < 1 || x.shape[1] < 1)
    fail(n, "input x has shape " + to_string(x.shape) + "; [V, F] expected");
  if (nv.size() != 1) fail(n, "input n_vertices has shape " + to_string(nv.shape) + "; one value expected");
  a.vertices = x.shape[0];
  a.in_features = x.shape[1];
  auto it = n.attrs.find("collapse");
  if (it == n.attrs.end() || !std::holds_alternative<std::string>(it->second))
    fail(n, "has no string attribute 'collapse' (none, mean, sum, max)");
  const auto c = garnet_collapse_from_name(std::get<std::string>(it->second));
  if (!c) fail(n, "collapse '" + std::get<std::string>(it->second) + "' is not one of none, mean, sum, max");
  a.collapse = *c;
  const Tensor& sb = param(g, n, "s_bias");
  const Tensor& fb = param(g, n, "flr_bias");
  const Tensor& ob = param(g, n, "fout_bias");
  a.aggregators = sb.size(), a.propagate = fb.size(), a.out_features = ob.size();
  if (a.aggregators < 1 || a.propagate < 1 || a.out_features < 1) fail(n, "has an empty transform");
  auto want = [&](const char* role, int64_t size) {
    if (param(g, n, role).size() != size)
      fail(n, fmt::format("parameter '{}' has {} values; {} expected", role, param(g, n, role).size(), size));
  };
  want("flr_weight", a.in_features * a.propagate);
  want("s_weight", a.in_features * a.aggregators);
  want("fout_weight", a.aggregators * a.propagate * a.out_features);
  want("reciprocal", 1);
  const Shape out = a.collapsed() ? Shape{a.out_features} : Shape{a.vertices, a.out_features};
  if (g.tensor(n.outputs[0]).size() != num_elements(out))
    fail(n, "output has shape " + to_string(g.tensor(n.outputs[0]).shape) + "; " + to_string(out) + " expected");
  return a;
}

void verify_garnet(const Graph& g, const Node& n) {
  const GarNetAttrs a = GarNetAttrs::of(g, n);
  // The firmware's vertex loop runs ReuseFactor iterations of V / ReuseFactor vertices.
  if (n.reuse_factor < 1 || a.vertices % n.reuse_factor != 0)
    fail(n, fmt::format("reuse factor {} does not divide its {} vertices", n.reuse_factor, a.vertices));
}

double garnet_edge_weight(double d) { return std::exp(-d * d); }

numeric::FixedType garnet_default_type(const std::string& var) {
  using numeric::Overflow;
  using numeric::Rounding;
  if (var == "distance") return numeric::make_type(16, 4, true, Rounding::RND_CONV, Overflow::SAT);
  if (var == "edge_weight") return numeric::make_type(18, 1, false, Rounding::RND_CONV, Overflow::SAT);
  if (var == "edge_weight_aggr") return numeric::make_type(18, 1, false, Rounding::RND_CONV, Overflow::SAT);
  return numeric::make_type(24, 8, true, Rounding::RND_CONV, Overflow::SAT);  // aggr
}

int64_t garnet_valid_vertices(int64_t raw, const numeric::FixedType& t, int64_t vertices) {
  const int64_t fl = static_cast<int64_t>(numeric::shift_floor(raw, t.frac()));
  return fl < 0 ? 0 : fl > vertices ? vertices : fl;
}

}  // namespace firmnet::ir
