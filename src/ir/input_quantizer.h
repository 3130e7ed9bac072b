#pragma once
// The model's input quantizer: a QONNX Quant (power-of-two scale) or a MultiThreshold that the model applies
// to a float graph input, kept on the input tensor by passes/absorb_input_quantizers. It IS the conversion
// of float inputs to the input type outside the firmware: the emulator's input conversion (predict), the
// float reference, and the generated testbench (firmware/firmnet/qonnx_input.h, the same code) apply it to
// the double value, exactly as QONNX does, instead of a cast to a default input type followed by the
// quantizer (a double rounding). docs/NUMERICS.md "Quantized models".
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "numeric/qonnx_input.h"

namespace firmnet::ir {

struct InputQuantizer {
  enum class Kind { Quant, Thresholds };
  Kind kind = Kind::Quant;
  std::string description;  // "QONNX Quant(bits=8, scale=2^-4, signed, CEIL)"

  // Quant: y = (q - z) * 2^k, q the QONNX level of x (firmnet_qonnx::level_po2).
  int log2_scale = 0;
  int64_t zero_point = 0, qmin = 0, qmax = 0;
  int mode = 0;  // numeric::QuantMode as firmnet_qonnx::mode_t

  // Thresholds: y = levels[#{t : x >= t}] (x > t where strict[t]), one row of `count` ascending thresholds
  // per channel (or one shared row); the channel is the last axis (channels_last) or the first.
  int64_t rows = 1, count = 0, channels = 1, numel = 1;
  bool channels_last = true;
  std::vector<double> thresholds;  // rows * count
  std::vector<unsigned char> strict;  // count values, or empty
  std::vector<double> levels;      // count + 1 exact values

  // The input value for element e of a sample (0 <= e < numel), x not NaN.
  double value(double x, int64_t e) const {
    if (kind == Kind::Quant)
      return std::ldexp(static_cast<double>(firmnet_qonnx::level_po2(x, log2_scale, zero_point, qmin, qmax, mode) -
                                            zero_point),
                        log2_scale);
    const int64_t row = rows == 1 ? 0 : (channels_last ? e % channels : e / (numel / channels));
    return levels[firmnet_qonnx::threshold_count(x, thresholds.data() + row * count,
                                                 strict.empty() ? nullptr : strict.data(),
                                                 static_cast<unsigned>(count))];
  }
};

}  // namespace firmnet::ir
