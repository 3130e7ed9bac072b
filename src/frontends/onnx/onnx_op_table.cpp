// The one place that maps ONNX op types to converters: the default domain, and the QONNX/FINN custom ops
// (Quant, BipolarQuant, Trunc, MultiThreshold) in their own table keyed by domain family.
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
    // convolution and pooling (channels-last inside)
    {"Conv", convert_conv},
    {"MaxPool", convert_max_pool},
    {"AveragePool", convert_average_pool},
    {"GlobalAveragePool", convert_global_average_pool},
    {"GlobalMaxPool", convert_global_max_pool},
    {"Pad", convert_pad},
    {"Resize", convert_resize},
    {"ConvTranspose", convert_conv_transpose},
    {"Upsample", convert_resize},
    // activations (plain ones: one line here and the function in ir/activations.def)
    {"Relu", convert_plain<ir::ActivationFn::Relu>},
    {"LeakyRelu", convert_leaky_relu},
    {"PRelu", convert_prelu},
    {"Elu", convert_elu},
    {"Selu", convert_selu},
    {"Sigmoid", convert_plain<ir::ActivationFn::Sigmoid>},
    {"Tanh", convert_plain<ir::ActivationFn::Tanh>},
    {"Softplus", convert_plain<ir::ActivationFn::Softplus>},
    {"Softsign", convert_plain<ir::ActivationFn::Softsign>},
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
    {"Shape", convert_shape},
    {"Gather", convert_gather},
    {"ConstantOfShape", convert_constant_of_shape},
    // recurrent layers
    {"LSTM", convert_recurrent},
    {"GRU", convert_recurrent},
    {"RNN", convert_recurrent},
    {"Cast", convert_cast},
    {"Squeeze", convert_squeeze},
    {"Unsqueeze", convert_unsqueeze},
    {"TopK", convert_topk},
};

// Custom ops: accepted in any of the QONNX/FINN domains (exporters are not consistent about which one
// they write, e.g. Brevitas writes Quant into onnx.brevitas, FINN's MultiThreshold lives in
// finn.custom_op.general, qonnx re-exports all of them under qonnx.custom_op.general).
constexpr OpEntry kCustomOps[] = {
    {"Quant", convert_quant},
    {"IntQuant", convert_quant},
    {"BipolarQuant", convert_bipolar_quant},
    {"Trunc", convert_trunc},
    {"MultiThreshold", convert_multithreshold},
};

// The channels-last wrappers (qonnx.custom_op.channels_last, as qonnx's to_channels_last and hls4ml's
// channels-last QONNX models write them): the standard op over an NHWC input, giving NHWC.
constexpr OpEntry kChannelsLastOps[] = {
    {"Conv", convert_channels_last},
    {"MaxPool", convert_channels_last},
    {"BatchNormalization", convert_channels_last},
};

bool starts_with(const std::string& s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }
}  // namespace

bool is_custom_domain(const std::string& d) {
  return starts_with(d, "qonnx.custom_op") || starts_with(d, "finn.custom_op") || starts_with(d, "onnx.brevitas") ||
         d == "finn" || d == "qonnx";
}

const Converter* find_custom_converter(const std::string& domain, const std::string& op_type) {
  if (!is_custom_domain(domain)) return nullptr;
  if (domain.find("channels_last") != std::string::npos) {
    for (const auto& e : kChannelsLastOps)
      if (e.op_type == op_type) return &e.convert;
    return nullptr;
  }
  for (const auto& e : kCustomOps)
    if (e.op_type == op_type) return &e.convert;
  return nullptr;
}

std::string supported_custom_ops_list() {
  std::string s;
  for (const auto& e : kCustomOps) {
    if (!s.empty()) s += ", ";
    s += e.op_type;
  }
  s += " and the channels-last Conv, MaxPool, BatchNormalization";
  return s;
}

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
