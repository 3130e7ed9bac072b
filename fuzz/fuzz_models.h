#pragma once
// The small models the fuzz targets for the configuration and the data files run their input through,
// built in memory from ONNX's textual syntax (no file needed).
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "frontends/onnx/onnx_frontend.h"

namespace firmnet::fuzz {

inline onnx::ModelProto parse_onnx_text(const std::string& text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text.c_str());
  if (!status.IsOK()) {
    std::fprintf(stderr, "fuzz: a built-in model does not parse: %s\n", status.ErrorMessage().c_str());
    std::abort();
  }
  return m;
}

// n values in [-0.625, 0.625] (or all `fill` when given).
inline std::string values(int n, int seed, const char* fill = nullptr) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + (fill ? std::string(fill) : std::to_string(((i * 7 + seed) % 11 - 5) * 0.125));
  return s;
}

// input_1 [8] -> fc1 (Gemm 8x16) -> bn1 -> relu1 -> fc2 (16x8) -> sigmoid1 -> fc3 (8x4) -> softmax,
// named as hls4ml configurations name layers.
inline ir::Graph mlp_model() {
  onnx::ModelProto m = parse_onnx_text(
      std::string(R"(<ir_version: 8, opset_import: ["" : 13]>
  g (float[N,8] input_1) => (float[N,4] y) <float[8,16] W1 = {)") +
      values(128, 1) + "}, float[16] B1 = {" + values(16, 2) + "}, float[16] s = {" + values(16, 3) +
      "}, float[16] b = {" + values(16, 4) + "}, float[16] m = {" + values(16, 5) + "}, float[16] v = {" +
      values(16, 0, "1.5") + "}, float[16,8] W2 = {" + values(128, 6) + "}, float[8] B2 = {" + values(8, 7) +
      "}, float[8,4] W3 = {" + values(32, 8) + "}, float[4] B3 = {" + values(4, 9) + R"(}> {
    a = Gemm (input_1, W1, B1)
    n = BatchNormalization (a, s, b, m, v)
    r = Relu (n)
    c = Gemm (r, W2, B2)
    t = Sigmoid (c)
    d = Gemm (t, W3, B3)
    y = Softmax (d)
  })");
  const char* names[] = {"fc1", "bn1", "relu1", "fc2", "sigmoid1", "fc3", "softmax"};
  for (int i = 0; i < m.graph().node_size(); ++i) m.mutable_graph()->mutable_node(i)->set_name(names[i]);
  std::vector<Warning> w;
  return frontends::load_onnx_bytes(m.SerializeAsString(), "mlp.onnx", w);
}

// x [16] -> Relu -> y [16].
inline ir::Graph relu16_model() {
  const onnx::ModelProto m = parse_onnx_text(R"(<ir_version: 8, opset_import: ["" : 13]>
  g (float[N,16] x) => (float[N,16] y) { y = Relu (x) })");
  std::vector<Warning> w;
  return frontends::load_onnx_bytes(m.SerializeAsString(), "relu16.onnx", w);
}

}  // namespace firmnet::fuzz
