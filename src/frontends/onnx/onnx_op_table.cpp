// The one place that maps ONNX op types (default domain) to converters. QONNX/FINN custom ops (Quant,
// BipolarQuant, Trunc, MultiThreshold) will get their own table keyed by domain.
#include <string_view>

#include "frontends/onnx/onnx_context.h"

namespace firmnet::frontends::onnx_detail {

namespace {
struct OpEntry {
  std::string_view op_type;
  Converter convert;
};

constexpr OpEntry kOps[] = {
    // linear
    {"Gemm", convert_gemm},
    {"MatMul", convert_matmul},
    {"BatchNormalization", convert_batchnorm},
    // activations
    {"Relu", convert_relu},
    {"LeakyRelu", convert_leaky_relu},
    {"Elu", convert_elu},
    {"Selu", convert_selu},
    {"Sigmoid", convert_sigmoid},
    {"Tanh", convert_tanh},
    {"Softplus", convert_softplus},
    {"Softsign", convert_softsign},
    {"HardSigmoid", convert_hard_sigmoid},
    {"Clip", convert_clip},
    {"Softmax", convert_softmax},
    // elementwise arithmetic
    {"Add", convert_add},
    {"Sub", convert_sub},
    {"Mul", convert_mul},
    {"Div", convert_div},
    // data movement
    {"Flatten", convert_flatten},
    {"Reshape", convert_reshape},
    {"Transpose", convert_transpose},
    {"Concat", convert_concat},
    {"Identity", convert_identity},
    {"Dropout", convert_identity},
    {"Constant", convert_constant},
};
}  // namespace

const Converter* find_converter(const std::string& op_type) {
  for (const auto& e : kOps)
    if (e.op_type == op_type) return &e.convert;
  return nullptr;
}

std::string supported_ops_list() {
  std::string s;
  for (const auto& e : kOps) {
    if (!s.empty()) s += ", ";
    s += e.op_type;
  }
  return s;
}

}  // namespace firmnet::frontends::onnx_detail
