#ifndef FIRMNET_CONV_H_
#define FIRMNET_CONV_H_
// firmnet HLS kernels over channels-last maps (io_parallel): Conv, Pool, Transpose, Upsample, Slice. Semantics:
// docs/NUMERICS.md ("Conv", "Pool", "Transpose"); schedules: docs/BACKEND_VITIS.md.
//
// A map is [H, W, C] (a 1-D map [W, C] is H = 1), element (h, w, c) at (h*W + w)*C + c. Output pixel
// (oh, ow) reads tap (kh, kw) at input position (oh*stride_height - pad_top + kh*dilation_height,
// ow*stride_width - pad_left + kw*dilation_width); a position outside the map is padding. The geometry
// is all compile-time constants; the pixel loop computes the tap positions from its indices (no table,
// no branch on data): padding taps select 0 (Conv) or are masked (Pool).
#include "firmnet_hls.h"

namespace firmnet_hls {

// The window geometry shared by conv and pool (1-D: in_height = out_height = filt_height = 1).
struct window_config {
  static const unsigned in_height = 1;
  static const unsigned in_width = 1;
  static const unsigned n_chan = 1;  // input channels
  static const unsigned out_height = 1;
  static const unsigned out_width = 1;
  static const unsigned filt_height = 1;
  static const unsigned filt_width = 1;
  static const unsigned n_taps = 1;  // filt_height * filt_width
  static const unsigned stride_height = 1;
  static const unsigned stride_width = 1;
  static const unsigned dilation_height = 1;
  static const unsigned dilation_width = 1;
  static const unsigned pad_top = 0;
  static const unsigned pad_left = 0;
  // A transposed convolution's input dilation: the input seen with in_dilation - 1 zeros between pixels.
  static const unsigned in_dilation_height = 1;
  static const unsigned in_dilation_width = 1;
};

// Input pixel of tap t (a constant once unrolled) of output pixel (oh, ow); false for padding, with
// pixel = 0 so that the read that follows stays in bounds.
template <typename CONFIG_T>
inline bool window_tap(unsigned oh, unsigned ow, unsigned t, unsigned& pixel) {
#pragma HLS INLINE
  const unsigned kh = t / CONFIG_T::filt_width, kw = t % CONFIG_T::filt_width;
  // Positions in the (input-dilated) input; with no input dilation the divisions and remainders vanish.
  const int qh = (int)(oh * CONFIG_T::stride_height + kh * CONFIG_T::dilation_height) - (int)CONFIG_T::pad_top;
  const int qw = (int)(ow * CONFIG_T::stride_width + kw * CONFIG_T::dilation_width) - (int)CONFIG_T::pad_left;
  const int dh = (int)CONFIG_T::in_dilation_height, dw = (int)CONFIG_T::in_dilation_width;
  const bool on_grid = qh >= 0 && qw >= 0 && qh % dh == 0 && qw % dw == 0;
  const int ih = qh / dh, iw = qw / dw;
  const bool inside = on_grid && ih < (int)CONFIG_T::in_height && iw < (int)CONFIG_T::in_width;
  pixel = inside ? (unsigned)ih * CONFIG_T::in_width + (unsigned)iw : 0u;
  return inside;
}

// The window of output pixel (oh, ow): win[t*n_chan + i] = x[tap t][i], 0 for padding taps.
template <class data_T, typename CONFIG_T>
inline void gather_window(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                          unsigned oh, unsigned ow, data_T win[CONFIG_T::n_taps * CONFIG_T::n_chan]) {
#pragma HLS INLINE
  for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
    unsigned pixel;
    const bool inside = window_tap<CONFIG_T>(oh, ow, t, pixel);
    for (unsigned i = 0; i < CONFIG_T::n_chan; i++) {
#pragma HLS UNROLL
      const data_T v = data[pixel * CONFIG_T::n_chan + i];
      win[t * CONFIG_T::n_chan + i] = inside ? v : data_T(0);
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// conv
// Conv: for each output pixel p, the window row (taps in row-major order, each tap all its input channels,
// 0 for padding) times the weight seen as a Dense [n_in, n_filt] (group 1: n_in = n_taps*n_chan, the
// weight's own layout [kh][kw][i][o]). A padding tap adds x*w = 0, which leaves the accumulator unchanged,
// so the sum is exactly NUMERICS.md's sum over the taps inside the map, in the same order. The Dense part
// is the Dense kernel itself (dense_latency / dense_resource, with this config's dense fields), so the
// accumulation and product_cast are the Dense ones. Depthwise (depthwise = true): output channel o reads
// only input channel o / multiplier: n_in = n_taps products per output, weights [t][o] at t*n_filt + o,
// never a product with an implicit zero.

namespace firmnet_hls {

struct conv_config : window_config, dense_config {
  static const unsigned n_filt = 1;       // output channels (= dense n_out)
  static const bool depthwise = false;
  static const unsigned multiplier = 1;   // depthwise: output channels per input channel
};

// Depthwise product of one window: y_o = Q_res(Q(bias_o) + sum_t x[t][o / multiplier] * w[t][o]), the sum
// in tap order (multiply_accumulate, as Dense). All n_taps * n_filt products unrolled; reuse_factor > 1
// shares the multipliers (ALLOCATION) at II = reuse_factor.
template <class data_T, class res_T, typename CONFIG_T>
void depthwise_product(const data_T win[CONFIG_T::n_taps * CONFIG_T::n_chan], res_T res[CONFIG_T::n_filt],
                       const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                       const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = weights complete
#pragma HLS ARRAY_PARTITION variable = biases complete
#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::n_mult
  for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
#pragma HLS UNROLL
    const typename CONFIG_T::accum_t bias = biases[o];
    typename CONFIG_T::sum_t acc = bias;
    for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
      multiply_accumulate<CONFIG_T>(acc, win[t * CONFIG_T::n_chan + o / CONFIG_T::multiplier],
                                    weights[t * CONFIG_T::n_filt + o]);
    }
    res[o] = acc;
  }
}

// The schedule of a conv layer, chosen at compile time by specialization so that only the kernel the layer
// uses is instantiated (the Dense kernels bind the weights differently: partitioned registers, or a ROM).
enum conv_kind_t { conv_latency = 0, conv_resource = 1, conv_depthwise = 2 };

template <typename CONFIG_T>
struct conv_kind {
  static const unsigned value = CONFIG_T::depthwise ? conv_depthwise
                                : (CONFIG_T::strategy == resource && CONFIG_T::reuse_factor > 1) ? conv_resource
                                                                                                 : conv_latency;
};

// The product of one gathered window: dense_latency, dense_resource or depthwise_product.
template <unsigned KIND>
struct conv_product;

template <>
struct conv_product<conv_latency> {
  template <class data_T, class res_T, typename CONFIG_T>
  static void run(const data_T win[CONFIG_T::n_taps * CONFIG_T::n_chan], res_T row[CONFIG_T::n_filt],
                  const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                  const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE
    dense_latency<data_T, res_T, CONFIG_T>(win, row, weights, biases);
  }
};

template <>
struct conv_product<conv_resource> {
  template <class data_T, class res_T, typename CONFIG_T>
  static void run(const data_T win[CONFIG_T::n_taps * CONFIG_T::n_chan], res_T row[CONFIG_T::n_filt],
                  const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                  const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE
    dense_resource<data_T, res_T, CONFIG_T>(win, row, weights, biases);
  }
};

template <>
struct conv_product<conv_depthwise> {
  template <class data_T, class res_T, typename CONFIG_T>
  static void run(const data_T win[CONFIG_T::n_taps * CONFIG_T::n_chan], res_T row[CONFIG_T::n_filt],
                  const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                  const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE
    depthwise_product<data_T, res_T, CONFIG_T>(win, row, weights, biases);
  }
};

// One output pixel: gather its window, compute its product, write its n_filt outputs.
template <class data_T, class res_T, typename CONFIG_T>
inline void conv_pixel(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                       res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt], unsigned oh,
                       unsigned ow, const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                       const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE
  data_T win[CONFIG_T::n_taps * CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = win complete
  res_T row[CONFIG_T::n_filt];
#pragma HLS ARRAY_PARTITION variable = row complete
  gather_window<data_T, CONFIG_T>(data, oh, ow, win);
  conv_product<conv_kind<CONFIG_T>::value>::template run<data_T, res_T, CONFIG_T>(win, row, weights, biases);
  for (unsigned o = 0; o < CONFIG_T::n_filt; o++) {
#pragma HLS UNROLL
    res[(oh * CONFIG_T::out_width + ow) * CONFIG_T::n_filt + o] = row[o];
  }
}

// Latency and depthwise: the output-pixel loop is pipelined at II = reuse_factor; each iteration gathers
// its window (a mux over the input pixels, indices from the loop counters) and computes every product of
// the pixel at once (dense_latency / depthwise_product, multipliers capped at n_mult).
// Resource (reuse_factor > 1, group 1): the pixel loop is sequential; each pixel runs dense_resource's
// pipelined loop of n_chunks * n_iters iterations over its ROM words. Only the layer's product kernel is
// instantiated (conv_kind), so the weights get one binding: registers, or dense_resource's ROM.
template <class data_T, class res_T, typename CONFIG_T>
void conv(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
          res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
          const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
          const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE off
  if (conv_kind<CONFIG_T>::value != conv_resource) {
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
        conv_pixel<data_T, res_T, CONFIG_T>(data, res, oh, ow, weights, biases);
      }
    }
  } else {
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
        conv_pixel<data_T, res_T, CONFIG_T>(data, res, oh, ow, weights, biases);
      }
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// pool
// Max: y = Q_res(max of the taps inside the map) (padding never a candidate). Average: acc = 0;
// acc = Q_accum(acc + x) over the taps in order (a padding tap adds 0, which leaves acc unchanged);
// y = Q_res(acc * reciprocal[count]), count = n_taps with count_include_pad, else the taps inside the map.
// Channels and taps are unrolled per output pixel. The output pixels: unrolled (io_parallel Latency within the
// unroll and partition limits, `unrolled`): every pixel at once in one function pipelined at II = reuse_factor,
// so each tap position, padding mask and reciprocal is a constant (wires, no muxes); otherwise one pipelined
// loop over the output pixels (II = reuse_factor per pixel), each gathering its taps from the map.

namespace firmnet_hls {

struct pool_config : window_config {
  static const unsigned reuse_factor = 1;
  static const bool unrolled = false;
  static const bool count_include_pad = false;
  typedef ap_fixed<24, 12> accum_t;
  typedef ap_ufixed<18, 1> reciprocal_t;
};

// Output pixel (oh, ow) of a max pool, every channel.
template <class data_T, class res_T, typename CONFIG_T>
inline void pool_max_pixel(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                           res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan], unsigned oh,
                           unsigned ow) {
#pragma HLS INLINE
  bool inside[CONFIG_T::n_taps];
  unsigned pixel[CONFIG_T::n_taps];
#pragma HLS ARRAY_PARTITION variable = inside complete
#pragma HLS ARRAY_PARTITION variable = pixel complete
  for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
    inside[t] = window_tap<CONFIG_T>(oh, ow, t, pixel[t]);
  }
  for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
#pragma HLS UNROLL
    data_T m = 0;
    bool found = false;
    for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
      const data_T v = data[pixel[t] * CONFIG_T::n_chan + c];
      const bool take = inside[t] && (!found || v > m);
      m = take ? v : m;
      found = found || inside[t];
    }
    res[(oh * CONFIG_T::out_width + ow) * CONFIG_T::n_chan + c] = m;
  }
}

// Output pixel (oh, ow) of an average pool, every channel.
template <class data_T, class res_T, typename CONFIG_T>
inline void pool_avg_pixel(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                           res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan], unsigned oh,
                           unsigned ow, const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE
  bool inside[CONFIG_T::n_taps];
  unsigned pixel[CONFIG_T::n_taps];
#pragma HLS ARRAY_PARTITION variable = inside complete
#pragma HLS ARRAY_PARTITION variable = pixel complete
  unsigned count = CONFIG_T::count_include_pad ? CONFIG_T::n_taps : 0;
  for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
    inside[t] = window_tap<CONFIG_T>(oh, ow, t, pixel[t]);
    if (!CONFIG_T::count_include_pad) count += inside[t] ? 1u : 0u;
  }
  const typename CONFIG_T::reciprocal_t r = reciprocal[count];
  for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
#pragma HLS UNROLL
    typename CONFIG_T::accum_t acc = 0;
    for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
      const data_T v = data[pixel[t] * CONFIG_T::n_chan + c];
      const data_T x = inside[t] ? v : data_T(0);
      acc = acc + x;
    }
    res[(oh * CONFIG_T::out_width + ow) * CONFIG_T::n_chan + c] = acc * r;
  }
}

// The schedule over the output pixels, chosen at compile time (only the one the layer uses is instantiated).
template <bool UNROLLED>
struct pool_pixels;

template <>
struct pool_pixels<true> {  // every output pixel at once
  template <class data_T, class res_T, typename CONFIG_T>
  static void max(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                  res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
#pragma HLS UNROLL
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
#pragma HLS UNROLL
        pool_max_pixel<data_T, res_T, CONFIG_T>(data, res, oh, ow);
      }
    }
  }
  template <class data_T, class res_T, typename CONFIG_T>
  static void avg(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                  res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan],
                  const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = reciprocal complete
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
#pragma HLS UNROLL
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
#pragma HLS UNROLL
        pool_avg_pixel<data_T, res_T, CONFIG_T>(data, res, oh, ow, reciprocal);
      }
    }
  }
};

template <>
struct pool_pixels<false> {  // one output pixel per II cycles
  template <class data_T, class res_T, typename CONFIG_T>
  static void max(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                  res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
#pragma HLS INLINE off
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
        pool_max_pixel<data_T, res_T, CONFIG_T>(data, res, oh, ow);
      }
    }
  }
  template <class data_T, class res_T, typename CONFIG_T>
  static void avg(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                  res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan],
                  const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable = reciprocal complete
    for (unsigned oh = 0; oh < CONFIG_T::out_height; oh++) {
      for (unsigned ow = 0; ow < CONFIG_T::out_width; ow++) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
        pool_avg_pixel<data_T, res_T, CONFIG_T>(data, res, oh, ow, reciprocal);
      }
    }
  }
};

template <class data_T, class res_T, typename CONFIG_T>
void pool_max(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
              res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan]) {
#pragma HLS INLINE
  pool_pixels<CONFIG_T::unrolled>::template max<data_T, res_T, CONFIG_T>(data, res);
}

template <class data_T, class res_T, typename CONFIG_T>
void pool_avg(const data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
              res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_chan],
              const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE
  pool_pixels<CONFIG_T::unrolled>::template avg<data_T, res_T, CONFIG_T>(data, res, reciprocal);
}

}  // namespace firmnet_hls

// ====================================================================================================
// transpose
// y = Q_res(x) with the axes permuted: output element (a, b, c, d) of the output dims (d0, d1, d2, d3)
// (lower ranks padded with leading 1s) reads input element a*s0 + b*s1 + c*s2 + d*s3, s_k the input
// stride of the axis perm[k]. Wires (and casts) only, all unrolled.

namespace firmnet_hls {

struct transpose_config {
  static const unsigned n_in = 1;
  static const unsigned d0 = 1, d1 = 1, d2 = 1, d3 = 1;
  static const unsigned s0 = 0, s1 = 0, s2 = 0, s3 = 1;
  static const unsigned reuse_factor = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void transpose(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS INLINE
  for (unsigned a = 0; a < CONFIG_T::d0; a++) {
#pragma HLS UNROLL
    for (unsigned b = 0; b < CONFIG_T::d1; b++) {
#pragma HLS UNROLL
      for (unsigned c = 0; c < CONFIG_T::d2; c++) {
#pragma HLS UNROLL
        for (unsigned d = 0; d < CONFIG_T::d3; d++) {
#pragma HLS UNROLL
          res[((a * CONFIG_T::d1 + b) * CONFIG_T::d2 + c) * CONFIG_T::d3 + d] =
              data[a * CONFIG_T::s0 + b * CONFIG_T::s1 + c * CONFIG_T::s2 + d * CONFIG_T::s3];
        }
      }
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// upsample (nearest neighbour)
// y = Q_res(x) repeated f_k times along each axis k: output element (a, b, c, d) of the output dims
// (i0*f0, i1*f1, i2*f2, i3*f3) (lower ranks padded with leading 1s) reads input element
// (a/f0, b/f1, c/f2, d/f3). The divisions are by constants of unrolled loops: wires only.

namespace firmnet_hls {

struct upsample_config {
  static const unsigned n_in = 1, n_out = 1;
  static const unsigned i0 = 1, i1 = 1, i2 = 1, i3 = 1;
  static const unsigned f0 = 1, f1 = 1, f2 = 1, f3 = 1;
  static const unsigned reuse_factor = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void upsample(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out]) {
#pragma HLS INLINE
  for (unsigned a = 0; a < CONFIG_T::i0 * CONFIG_T::f0; a++) {
#pragma HLS UNROLL
    for (unsigned b = 0; b < CONFIG_T::i1 * CONFIG_T::f1; b++) {
#pragma HLS UNROLL
      for (unsigned c = 0; c < CONFIG_T::i2 * CONFIG_T::f2; c++) {
#pragma HLS UNROLL
        for (unsigned d = 0; d < CONFIG_T::i3 * CONFIG_T::f3; d++) {
#pragma HLS UNROLL
          res[((a * CONFIG_T::i1 * CONFIG_T::f1 + b) * CONFIG_T::i2 * CONFIG_T::f2 + c) * CONFIG_T::i3 * CONFIG_T::f3 + d] =
              data[((a / CONFIG_T::f0 * CONFIG_T::i1 + b / CONFIG_T::f1) * CONFIG_T::i2 + c / CONFIG_T::f2) * CONFIG_T::i3 +
                   d / CONFIG_T::f3];
        }
      }
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// slice (a window of the map: Keras Cropping1D/2D)
// y = Q_res(x) over the window: output element (a, b, c, d) of the output dims (o0, o1, o2, o3) (lower ranks
// padded with leading 1s) reads input element (a + b0, b + b1, c + b2, d + b3) of the input dims (i0..i3).
// Constant offsets of unrolled indices: wires only.

namespace firmnet_hls {

struct slice_config {
  static const unsigned n_in = 1, n_out = 1;
  static const unsigned i0 = 1, i1 = 1, i2 = 1, i3 = 1;
  static const unsigned o0 = 1, o1 = 1, o2 = 1, o3 = 1;
  static const unsigned b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  static const unsigned reuse_factor = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void slice(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out]) {
#pragma HLS INLINE
  for (unsigned a = 0; a < CONFIG_T::o0; a++) {
#pragma HLS UNROLL
    for (unsigned b = 0; b < CONFIG_T::o1; b++) {
#pragma HLS UNROLL
      for (unsigned c = 0; c < CONFIG_T::o2; c++) {
#pragma HLS UNROLL
        for (unsigned d = 0; d < CONFIG_T::o3; d++) {
#pragma HLS UNROLL
          res[((a * CONFIG_T::o1 + b) * CONFIG_T::o2 + c) * CONFIG_T::o3 + d] =
              data[(((a + CONFIG_T::b0) * CONFIG_T::i1 + b + CONFIG_T::b1) * CONFIG_T::i2 + c + CONFIG_T::b2) * CONFIG_T::i3 +
                   d + CONFIG_T::b3];
        }
      }
    }
  }
}

}  // namespace firmnet_hls

#endif
