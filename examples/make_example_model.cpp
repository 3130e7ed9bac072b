// Writes the bundled example: a jet-tagger-shaped MLP (16 -> 64 -> 32 -> 32 -> 5; Gemm, BatchNormalization,
// Relu, Softmax) as ONNX, with fixed pseudo-random weights, plus sample inputs as .npy.
// Usage: make_example_model MODEL.onnx [INPUTS.npy [N]]
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "support/data_io.h"
#include "support/rng.h"

namespace {

using firmnet::support::Rng;

void add_initializer(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> dims, const std::vector<float>& v) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t->add_dims(d);
  for (float x : v) t->add_float_data(x);
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::string& name,
                          std::vector<std::string> in, std::vector<std::string> out) {
  auto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (auto& i : in) n->add_input(i);
  for (auto& o : out) n->add_output(o);
  return n;
}

void value_info(onnx::ValueInfoProto* vi, const std::string& name, int64_t features) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("N");
  tt->mutable_shape()->add_dim()->set_dim_value(features);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.onnx [INPUTS.npy [N]]\n", argv[0]);
    return 2;
  }
  Rng rng{20261121};
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("firmnet examples/make_example_model");
  m.add_opset_import()->set_version(13);
  auto& g = *m.mutable_graph();
  g.set_name("jet_tagger");
  value_info(g.add_input(), "x", 16);

  const int sizes[] = {16, 64, 32, 32, 5};
  std::string cur = "x";
  for (int l = 0; l < 4; ++l) {
    const int nin = sizes[l], nout = sizes[l + 1];
    const double limit = std::sqrt(6.0 / (nin + nout));  // Glorot uniform, as Keras initialises Dense
    std::vector<float> w(static_cast<size_t>(nin * nout)), b(static_cast<size_t>(nout));
    for (auto& x : w) x = static_cast<float>((2 * rng.uniform() - 1) * limit);
    for (auto& x : b) x = static_cast<float>(0.1 * rng.normal());
    const std::string fc = "fc" + std::to_string(l + 1);
    add_initializer(g, fc + ".weight", {nout, nin}, w);  // PyTorch layout: [out, in] with transB = 1
    add_initializer(g, fc + ".bias", {nout}, b);
    auto* gemm = add_node(g, "Gemm", "/" + fc + "/Gemm", {cur, fc + ".weight", fc + ".bias"}, {fc + "_out"});
    auto* tb = gemm->add_attribute();
    tb->set_name("transB");
    tb->set_type(onnx::AttributeProto::INT);
    tb->set_i(1);
    cur = fc + "_out";
    if (l == 0) {  // a batch-norm after the first layer, as in the hls4ml jet-tagger examples
      std::vector<float> gamma(64), beta(64), mean(64), var(64);
      for (int i = 0; i < 64; ++i) {
        gamma[i] = static_cast<float>(0.8 + 0.4 * rng.uniform());
        beta[i] = static_cast<float>(0.1 * rng.normal());
        mean[i] = static_cast<float>(0.2 * rng.normal());
        var[i] = static_cast<float>(0.5 + rng.uniform());
      }
      add_initializer(g, "bn1.gamma", {64}, gamma);
      add_initializer(g, "bn1.beta", {64}, beta);
      add_initializer(g, "bn1.mean", {64}, mean);
      add_initializer(g, "bn1.var", {64}, var);
      add_node(g, "BatchNormalization", "/bn1/BatchNormalization",
               {cur, "bn1.gamma", "bn1.beta", "bn1.mean", "bn1.var"}, {"bn1_out"});
      cur = "bn1_out";
    }
    if (l < 3) {
      add_node(g, "Relu", "/relu" + std::to_string(l + 1) + "/Relu", {cur}, {"relu" + std::to_string(l + 1)});
      cur = "relu" + std::to_string(l + 1);
    }
  }
  auto* sm = add_node(g, "Softmax", "/softmax/Softmax", {cur}, {"y"});
  auto* ax = sm->add_attribute();
  ax->set_name("axis");
  ax->set_type(onnx::AttributeProto::INT);
  ax->set_i(-1);
  value_info(g.add_output(), "y", 5);

  std::ofstream f(argv[1], std::ios::binary);
  if (!f || !m.SerializeToOstream(&f)) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  if (argc >= 3) {
    const int64_t n = argc >= 4 ? std::stoll(argv[3]) : 1000;
    firmnet::support::Array a{{n, 16}, {}};
    for (int64_t i = 0; i < n * 16; ++i) a.data.push_back(rng.normal());
    firmnet::support::write_npy(argv[2], a);
  }
  return 0;
}
