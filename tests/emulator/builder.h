#pragma once
// Builds small typed graphs for the emulator tests by hand, through the ir::Graph API.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "numeric/fixed.h"

namespace firmnet::emutest {

using numeric::FixedType;

inline FixedType T(const std::string& s) { return FixedType::parse(s); }

struct Builder {
  ir::Graph g;

  ir::TensorId tensor(const std::string& name, ir::Shape shape, FixedType t) {
    ir::Tensor x;
    x.name = name;
    x.shape = std::move(shape);
    x.type = t;
    return g.add_tensor(std::move(x));
  }
  // A quantized constant; its float values are the exact values of the raw integers.
  ir::TensorId constant(const std::string& name, ir::Shape shape, FixedType t, std::vector<int64_t> raw) {
    ir::Tensor x;
    x.name = name;
    x.shape = std::move(shape);
    x.kind = ir::TensorKind::Constant;
    x.type = t;
    for (int64_t r : raw) x.values.push_back(t.to_double(r));
    x.raw = std::move(raw);
    return g.add_tensor(std::move(x));
  }
  // A graph input with its Input node (named `name`).
  ir::TensorId input(const std::string& name, ir::Shape shape, FixedType t) {
    const ir::TensorId id = tensor(name + "_t", std::move(shape), t);
    ir::Node n;
    n.name = name;
    n.kind = ir::OpKind::Input;
    n.outputs = {id};
    g.add_node(std::move(n));
    g.inputs.push_back(id);
    return id;
  }
  // A node with a fresh output tensor `name`_out; returns the node (valid until the next add).
  ir::Node& node(ir::OpKind kind, const std::string& name, std::vector<ir::TensorId> inputs, ir::Shape out_shape,
                 FixedType out_type) {
    const ir::TensorId out = tensor(name + "_out", std::move(out_shape), out_type);
    ir::Node n;
    n.name = name;
    n.kind = kind;
    n.inputs = std::move(inputs);
    n.outputs = {out};
    return g.add_node(std::move(n));
  }
  ir::TensorId out(const ir::Node& n) const { return n.outputs.at(0); }
  void output(ir::TensorId id) { g.outputs.push_back(id); }
};

struct Rng {  // splitmix64: deterministic across platforms
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  int64_t range(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(next() % static_cast<uint64_t>(hi - lo + 1));
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
};

}  // namespace firmnet::emutest
