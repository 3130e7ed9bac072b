#pragma once
// Helpers for the frontend tests: build ONNX models from onnx::OnnxParser's textual syntax.
//
// firmnet_frontends links ONNX privately, so its compile definitions do not reach the tests: set the
// same ones (ONNX_ML=1, ONNX_NAMESPACE=onnx) as the ONNX CMake package before including ONNX headers.
#ifndef ONNX_ML
#define ONNX_ML 1
#endif
#ifndef ONNX_NAMESPACE
#define ONNX_NAMESPACE onnx
#endif
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "frontends/onnx/onnx_frontend.h"

namespace firmnet::test {

// Serialized ModelProto from the textual syntax; fails the test on a parse error.
inline std::string onnx_bytes(const std::string& text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text.c_str());
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  return m.SerializeAsString();
}

inline ir::Graph load_text(const std::string& text, std::vector<Warning>* warnings = nullptr) {
  std::vector<Warning> local;
  return frontends::load_onnx_bytes(onnx_bytes(text), "test.onnx", warnings ? *warnings : local);
}

// The message of the firmnet::Error that loading `text` throws ("" when it loads).
inline std::string load_error(const std::string& text) {
  try {
    load_text(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline std::vector<ir::OpKind> kinds(const ir::Graph& g) {
  std::vector<ir::OpKind> k;
  for (const auto& n : g.nodes) k.push_back(n.kind);
  return k;
}

inline const std::vector<double>& param_values(const ir::Graph& g, const ir::Node& n, const std::string& role) {
  return g.tensor(n.param(role)).values;
}

}  // namespace firmnet::test
