#pragma once
// Builds graphs through the ir::Graph API for the pass tests.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace firmnet::passes::testing_support {

using ir::OpKind;
using ir::TensorId;

struct Builder {
  ir::Graph g;

  TensorId tensor(const std::string& name, ir::Shape shape) {
    ir::Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    return g.add_tensor(std::move(t));
  }
  TensorId constant(const std::string& name, ir::Shape shape, std::vector<double> v) {
    ir::Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.kind = ir::TensorKind::Constant;
    t.values = std::move(v);
    return g.add_tensor(std::move(t));
  }
  TensorId input(const std::string& name, ir::Shape shape) {
    const TensorId t = tensor(name, std::move(shape));
    g.inputs.push_back(t);
    ir::Node n;
    n.name = name;
    n.kind = OpKind::Input;
    n.outputs = {t};
    g.add_node(std::move(n));
    return t;
  }
  TensorId node(OpKind k, const std::string& name, std::vector<TensorId> in, ir::Shape out_shape,
                std::map<std::string, TensorId> params = {}, std::map<std::string, ir::AttrValue> attrs = {}) {
    const TensorId out = tensor(name + "_out", std::move(out_shape));
    ir::Node n;
    n.name = name;
    n.source = name;
    n.kind = k;
    n.inputs = std::move(in);
    n.outputs = {out};
    n.params = std::move(params);
    n.attrs = std::move(attrs);
    g.add_node(std::move(n));
    return out;
  }
  TensorId dense(const std::string& name, TensorId x, int64_t n_in, int64_t n_out, std::vector<double> w,
                 std::vector<double> b) {
    return node(OpKind::Dense, name, {x}, {n_out},
                {{"weight", constant(name + "_w", {n_in, n_out}, std::move(w))},
                 {"bias", constant(name + "_b", {n_out}, std::move(b))}});
  }
  TensorId eltwise(const std::string& name, TensorId a, const std::string& op, std::vector<double> c) {
    const auto size = static_cast<int64_t>(c.size());
    return node(OpKind::Elementwise, name, {a}, g.tensor(a).shape, {{"constant", constant(name + "_c", {size}, std::move(c))}},
                {{"op", op}});
  }
  TensorId act(const std::string& name, TensorId x, const std::string& fn) {
    return node(OpKind::Activation, name, {x}, g.tensor(x).shape, {}, {{"function", fn}});
  }
  const ir::Node& find(const std::string& name) const {
    for (const auto& n : g.nodes)
      if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
  }
  bool has(const std::string& name) const {
    for (const auto& n : g.nodes)
      if (n.name == name) return true;
    return false;
  }
};

}  // namespace firmnet::passes::testing_support
