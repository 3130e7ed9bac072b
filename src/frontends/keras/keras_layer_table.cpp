// Keras layer class → converter. QKeras layers share their Keras counterparts' converters (the kernel and
// bias quantizers are read by layer_weight, a quantizer activation by layer_activation).
#include <map>

#include "frontends/keras/keras_context.h"

namespace firmnet::frontends::keras {

namespace {

const std::map<std::string, Converter>& table() {
  static const std::map<std::string, Converter> t = {
      {"Dense", convert_dense},
      {"QDense", convert_dense},
      {"BinaryDense", convert_dense},   // BinaryNet (hls4ml's example models): binarized kernel
      {"TernaryDense", convert_dense},  // and ternarized kernel, keras_layers_binarynet.cpp
      {"Activation", convert_activation},
      {"FixedPointQuantizer", convert_hgq1_quantizer},  // HGQ 1.x proxy models
      {"QActivation", convert_qactivation},
      {"ReLU", convert_relu},
      {"LeakyReLU", convert_leaky_relu},
      {"PReLU", convert_prelu},
      {"ELU", convert_elu},
      {"ThresholdedReLU", convert_thresholded_relu},
      {"Softmax", convert_softmax},
      {"BatchNormalization", convert_batchnorm},
      {"QBatchNormalization", convert_batchnorm},  // quantized parameters, float arithmetic
      {"Dropout", convert_identity},
      {"SpatialDropout1D", convert_identity},
      {"SpatialDropout2D", convert_identity},
      {"GaussianNoise", convert_identity},
      {"GaussianDropout", convert_identity},
      {"AlphaDropout", convert_identity},
      {"ActivityRegularization", convert_identity},
      {"Flatten", convert_flatten},
      {"Reshape", convert_reshape},
      {"Permute", convert_permute},
      {"Conv1D", convert_conv},
      {"Conv2D", convert_conv},
      {"QConv1D", convert_conv},
      {"QConv2D", convert_conv},
      {"DepthwiseConv1D", convert_depthwise_conv},
      {"DepthwiseConv2D", convert_depthwise_conv},
      {"QDepthwiseConv2D", convert_depthwise_conv},
      {"SeparableConv1D", convert_separable_conv},
      {"SeparableConv2D", convert_separable_conv},
      {"QSeparableConv1D", convert_separable_conv},
      {"QSeparableConv2D", convert_separable_conv},
      {"MaxPooling1D", convert_pool},
      {"MaxPooling2D", convert_pool},
      {"AveragePooling1D", convert_pool},
      {"AveragePooling2D", convert_pool},
      {"MaxPool1D", convert_pool},
      {"MaxPool2D", convert_pool},
      {"AvgPool1D", convert_pool},
      {"AvgPool2D", convert_pool},
      {"QAveragePooling2D", convert_pool},                // average_quantizer: keras_layers_conv.cpp
      {"QGlobalAveragePooling2D", convert_global_pool},
      {"GlobalAveragePooling1D", convert_global_pool},
      {"GlobalAveragePooling2D", convert_global_pool},
      {"GlobalMaxPooling1D", convert_global_pool},
      {"GlobalMaxPooling2D", convert_global_pool},
      {"GlobalAvgPool1D", convert_global_pool},
      {"GlobalAvgPool2D", convert_global_pool},
      {"GlobalMaxPool1D", convert_global_pool},
      {"GlobalMaxPool2D", convert_global_pool},
      {"ZeroPadding1D", convert_zero_padding},
      {"ZeroPadding2D", convert_zero_padding},
      {"Cropping1D", convert_cropping},
      {"Cropping2D", convert_cropping},
      {"UpSampling1D", convert_upsampling},
      {"UpSampling2D", convert_upsampling},
      {"Add", convert_merge},
      {"Subtract", convert_merge},
      {"Multiply", convert_merge},
      {"Average", convert_merge},
      {"Maximum", convert_merge},
      {"Minimum", convert_merge},
      {"Concatenate", convert_concatenate},
      {"Dot", convert_dot},
      {"LSTM", convert_recurrent},  // keras_layers_recurrent.cpp
      {"GRU", convert_recurrent},
      {"SimpleRNN", convert_recurrent},
      {"QLSTM", convert_recurrent},
      {"QGRU", convert_recurrent},
      {"QSimpleRNN", convert_recurrent},
      {"Bidirectional", convert_bidirectional},
      {"GarNet", convert_garnet},       // hls4ml's contrib GarNet layers, keras_layers_garnet.cpp
      {"GarNetStack", convert_garnet},
  };
  return t;
}

}  // namespace

const Converter* find_converter(const std::string& cls) {
  const auto it = table().find(cls);
  return it == table().end() ? nullptr : &it->second;
}

std::string supported_layers_list() {
  std::string s;
  for (const auto& [k, v] : table()) s += (s.empty() ? "" : ", ") + k;
  return s;
}

}  // namespace firmnet::frontends::keras
