#ifndef FIRMNET_QUANTIZE_H_
#define FIRMNET_QUANTIZE_H_
// QONNX Quant with a power-of-two scale 2^k as integer logic (docs/NUMERICS.md "Quantized models"), per
// element: u = x / 2^k + z on the raw bits (a shift of the binary point: exact), q = clip(round(u), qmin,
// qmax) with QONNX's rounding mode as an add and an arithmetic shift, y = Q_res((q - z) * 2^k). The same
// arithmetic as numeric::quantize_level, which the emulator runs.
#include "firmnet_hls.h"

namespace firmnet_hls {

// QONNX rounding modes, in the order of firmnet::numeric::QuantMode.
enum quant_mode_t {
  quant_round = 0,
  quant_half_even = 1,
  quant_ceil = 2,
  quant_floor = 3,
  quant_up = 4,
  quant_down = 5,
  quant_half_up = 6,
  quant_half_down = 7
};

struct quantize_config {
  static const unsigned n_in = 1;
  static const unsigned reuse_factor = 1;
  static const int mode = quant_round;
  static const int shift = 0;           // s = F_x + k: fractional bits of u = x / 2^k + z
  static const long long zero_point = 0;
  static const long long qmin = 0;
  static const long long qmax = 0;
  static const int log2_scale = 0;      // k
  static const int u_width = 64;        // bits of u plus the rounding addend (no overflow)
  static const int level_width = 64;    // bits of q - z
};

// The rounding on raw bits (s = right > 0 fractional bits): FLOOR adds 0, CEIL 2^s - 1, UP/DOWN one of the
// two by sign, HALF_UP/HALF_DOWN 2^(s-1) or 2^(s-1) - 1 by sign, HALF_EVEN 2^(s-1) - 1 + bit s of u; then
// an arithmetic shift right by s (floor).
template <class data_T, class res_T, typename CONFIG_T>
void quantize(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  typedef ap_int<CONFIG_T::u_width> u_t;
  typedef ap_int<CONFIG_T::level_width> level_t;
  const int left = CONFIG_T::shift < 0 ? -CONFIG_T::shift : 0;
  const int right = CONFIG_T::shift > 0 ? CONFIG_T::shift : 0;
  const u_t one = 1;
  const u_t ones = (one << right) - 1;
  const u_t half = (one << right) >> 1;
  const u_t qmin = CONFIG_T::qmin, qmax = CONFIG_T::qmax, z = CONFIG_T::zero_point;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    u_t u = raw_bits(data[i]);
    u = (u << left) + (z << right);
    const bool neg = u < 0;
    u_t add = 0;
    if (right > 0) {
      switch (CONFIG_T::mode) {
        case quant_ceil: add = ones; break;
        case quant_floor: add = 0; break;
        case quant_up: add = neg ? u_t(0) : ones; break;
        case quant_down: add = neg ? ones : u_t(0); break;
        case quant_half_up: add = neg ? u_t(half - 1) : half; break;
        case quant_half_down: add = neg ? half : u_t(half - 1); break;
        default: add = half - 1 + ((u >> right) & 1); break;  // ROUND, HALF_EVEN
      }
    }
    u_t q = (u + add) >> right;
    if (q < qmin) q = qmin;
    if (q > qmax) q = qmax;
    const level_t level = q - z;
    ap_fixed<CONFIG_T::level_width, CONFIG_T::level_width + CONFIG_T::log2_scale> y;
    y.range(CONFIG_T::level_width - 1, 0) = level.range(CONFIG_T::level_width - 1, 0);
    res[i] = y;
  }
}

// The same quantizer where the output type's own cast is it: ap_fixed's rounding equals the mode and its
// saturation is the clip (firmnet checks both before choosing this kernel).
template <class data_T, class res_T, typename CONFIG_T>
void quantize_cast(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    res[i] = data[i];
  }
}

}  // namespace firmnet_hls

#endif
