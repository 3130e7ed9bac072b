#pragma once
// Builds small ONNX MLPs for tests through the ONNX protobuf API: a chain of Gemm layers with chosen
// activations and deterministic pseudo-random weights.
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "support/rng.h"

namespace firmnet::testmodels {

using support::Rng;

struct LayerSpec {
  int units;
  std::string activation;  // ONNX op after the Gemm ("Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu",
                           // "Softplus", "Softsign", "HardSigmoid", "Softmax", "BatchNormalization+Relu", "" = none)
};

inline void add_attr_f(onnx::NodeProto* n, const char* name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
inline void add_attr_i(onnx::NodeProto* n, const char* name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

// Writes the model to `path`; returns the path.
inline std::string write_mlp(const std::string& path, int n_in, const std::vector<LayerSpec>& layers, uint64_t seed,
                             int opset = 13) {
  Rng rng{seed};
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(opset);
  auto& g = *m.mutable_graph();
  g.set_name("test_mlp");
  auto vi = [](onnx::ValueInfoProto* v, const std::string& name, int64_t n) {
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("N");
    tt->mutable_shape()->add_dim()->set_dim_value(n);
  };
  auto init = [&](const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v) {
    auto* t = g.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    for (float x : v) t->add_float_data(x);
  };
  auto node = [&](const std::string& op, const std::string& name, std::vector<std::string> in, const std::string& out) {
    auto* n = g.add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
    return n;
  };
  vi(g.add_input(), "x", n_in);
  std::string cur = "x";
  int prev = n_in;
  for (size_t l = 0; l < layers.size(); ++l) {
    const int nout = layers[l].units;
    const double limit = std::sqrt(6.0 / (prev + nout));
    std::vector<float> w(static_cast<size_t>(prev * nout)), b(static_cast<size_t>(nout));
    for (auto& x : w) x = static_cast<float>((2 * rng.uniform() - 1) * limit);
    for (auto& x : b) x = static_cast<float>(0.1 * rng.normal());
    const std::string L = "l" + std::to_string(l);
    init(L + "_W", {prev, nout}, w);
    init(L + "_B", {nout}, b);
    node("Gemm", L + "_gemm", {cur, L + "_W", L + "_B"}, L + "_y");
    cur = L + "_y";
    std::string act = layers[l].activation;
    if (act.rfind("BatchNormalization+", 0) == 0) {
      std::vector<float> ga(static_cast<size_t>(nout)), be(ga), mu(ga), var(ga);
      for (int i = 0; i < nout; ++i) {
        ga[static_cast<size_t>(i)] = static_cast<float>(0.7 + 0.6 * rng.uniform());
        be[static_cast<size_t>(i)] = static_cast<float>(0.1 * rng.normal());
        mu[static_cast<size_t>(i)] = static_cast<float>(0.2 * rng.normal());
        var[static_cast<size_t>(i)] = static_cast<float>(0.5 + rng.uniform());
      }
      init(L + "_g", {nout}, ga);
      init(L + "_be", {nout}, be);
      init(L + "_mu", {nout}, mu);
      init(L + "_var", {nout}, var);
      node("BatchNormalization", L + "_bn", {cur, L + "_g", L + "_be", L + "_mu", L + "_var"}, L + "_bn_y");
      cur = L + "_bn_y";
      act = act.substr(std::string("BatchNormalization+").size());
    }
    if (!act.empty()) {
      auto* n = node(act, L + "_" + act, {cur}, L + "_a");
      if (act == "Softmax") add_attr_i(n, "axis", -1);
      if (act == "LeakyRelu") add_attr_f(n, "alpha", 0.1f);
      cur = L + "_a";
    }
    prev = nout;
  }
  vi(g.add_output(), cur, prev);
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
  return path;
}

}  // namespace firmnet::testmodels
