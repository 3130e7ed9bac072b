#ifndef FIRMNET_STREAM_H_
#define FIRMNET_STREAM_H_
// firmnet HLS kernels over streams (IOType: io_stream). Semantics: docs/NUMERICS.md, the same as io_parallel;
// schedules and FIFO depths: docs/BACKEND_VITIS.md ("io_stream").
//
// A tensor travels as an hls::stream of elements: one element is one row of its last axis (a pixel of a
// channels-last map with all its channels; the whole vector of a rank-1 tensor), in row-major order. Layers
// that act on each row alone run the io_parallel kernel once per element (the generated per-layer process in
// the top function); Conv and Pool slide their window over the stream through a line buffer (below): no map
// is stored, only span_height - 1 rows and the window.
#include "hls_stream.h"
#include "firmnet_conv.h"

namespace firmnet_hls {

// One stream element: N values of T (aggregated into one word of N * T::width bits on a port or FIFO).
template <class T, unsigned N>
struct pixel {
  T data[N];
  static const unsigned size = N;
  T& operator[](unsigned i) { return data[i]; }
  const T& operator[](unsigned i) const { return data[i]; }
};

// Element <-> array (wires; a cast when the types differ).
template <class T, unsigned N, class A>
inline void unpack(const pixel<T, N>& px, A a[N]) {
#pragma HLS INLINE
  for (unsigned i = 0; i < N; i++) {
#pragma HLS UNROLL
    a[i] = px.data[i];
  }
}

template <class A, class T, unsigned N>
inline void pack(const A a[N], pixel<T, N>& px) {
#pragma HLS INLINE
  for (unsigned i = 0; i < N; i++) {
#pragma HLS UNROLL
    px.data[i] = a[i];
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// line buffer
// The window of a Conv or Pool moves over the padded map in raster order, one padded position (ph, pw) per
// iteration: positions inside the map read the next stream element, padding positions shift in zeros (a
// Pool masks them by position, as io_parallel does). win[r][c] holds padded position
// (ph - span_height + 1 + r, pw - span_width + 1 + c); line[r][pw] holds column pw of the span_height - 1
// rows above ph. Output (oh, ow) is complete when (ph, pw) is its last tap, (oh*stride + span - 1) on both
// axes: counters, no division. Its tap (kh, kw) is win[kh*dilation_height][kw*dilation_width], the same
// values in the same order as the gathered window of io_parallel, so the product is the same kernel on the
// same row and the bits are identical.

namespace firmnet_hls {

template <typename CONFIG_T>
struct stream_window {
  static const unsigned span_h = (CONFIG_T::filt_height - 1) * CONFIG_T::dilation_height + 1;
  static const unsigned span_w = (CONFIG_T::filt_width - 1) * CONFIG_T::dilation_width + 1;
  // The input as the window sees it: a transposed convolution's in_dilation - 1 zeros between pixels.
  static const unsigned st_h = (CONFIG_T::in_height - 1) * CONFIG_T::in_dilation_height + 1;
  static const unsigned st_w = (CONFIG_T::in_width - 1) * CONFIG_T::in_dilation_width + 1;
  // Padded rows and columns visited: every input pixel, and every tap of the last output (ceil_mode pools
  // may reach past the end padding).
  static const unsigned need_h = (CONFIG_T::out_height - 1) * CONFIG_T::stride_height + span_h;
  static const unsigned need_w = (CONFIG_T::out_width - 1) * CONFIG_T::stride_width + span_w;
  static const unsigned ext_h = need_h > CONFIG_T::pad_top + st_h ? need_h : CONFIG_T::pad_top + st_h;
  static const unsigned ext_w = need_w > CONFIG_T::pad_left + st_w ? need_w : CONFIG_T::pad_left + st_w;
  static const unsigned lines = span_h > 1 ? span_h - 1 : 1;  // rows in the line buffer (one unused row when 1-D)
};

// Position (ph, pw) of the padded map: the input element when it is an input pixel's position, else zeros
// (padding, and the zeros between the pixels of an input-dilated map: the remainders are by constants, and
// vanish without input dilation).
template <class data_T, typename CONFIG_T>
inline void window_input(hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in, unsigned ph, unsigned pw,
                         data_T v[CONFIG_T::n_chan]) {
#pragma HLS INLINE
  typedef stream_window<CONFIG_T> G;
  const bool inside = ph >= CONFIG_T::pad_top && ph < CONFIG_T::pad_top + G::st_h && pw >= CONFIG_T::pad_left &&
                      pw < CONFIG_T::pad_left + G::st_w && (ph - CONFIG_T::pad_top) % CONFIG_T::in_dilation_height == 0 &&
                      (pw - CONFIG_T::pad_left) % CONFIG_T::in_dilation_width == 0;
  if (inside) {
    const pixel<data_T, CONFIG_T::n_chan> px = in.read();
    unpack(px, v);
  } else {
    for (unsigned i = 0; i < CONFIG_T::n_chan; i++) {
#pragma HLS UNROLL
      v[i] = 0;
    }
  }
}

// Shifts position (ph, pw) into the window and the line buffer.
template <class data_T, typename CONFIG_T>
inline void window_shift(data_T win[stream_window<CONFIG_T>::span_h][stream_window<CONFIG_T>::span_w][CONFIG_T::n_chan],
                         data_T line[stream_window<CONFIG_T>::lines][stream_window<CONFIG_T>::ext_w][CONFIG_T::n_chan],
                         unsigned pw, const data_T v[CONFIG_T::n_chan]) {
#pragma HLS INLINE
  typedef stream_window<CONFIG_T> G;
  for (unsigned i = 0; i < CONFIG_T::n_chan; i++) {
#pragma HLS UNROLL
    for (unsigned r = 0; r < G::span_h; r++) {
#pragma HLS UNROLL
      for (unsigned c = 0; c + 1 < G::span_w; c++) {
#pragma HLS UNROLL
        win[r][c][i] = win[r][c + 1][i];
      }
    }
    for (unsigned r = 0; r + 1 < G::span_h; r++) {
#pragma HLS UNROLL
      win[r][G::span_w - 1][i] = line[r][pw][i];
    }
    win[G::span_h - 1][G::span_w - 1][i] = v[i];
    for (unsigned r = 0; r + 2 < G::span_h; r++) {
#pragma HLS UNROLL
      line[r][pw][i] = line[r + 1][pw][i];
    }
    if (G::span_h > 1) line[G::span_h > 1 ? G::span_h - 2 : 0][pw][i] = v[i];
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// conv_stream
// Conv over a stream: the line buffer above, then for each complete window the gathered row (taps in
// row-major order, each tap all its input channels, 0 for padding) and conv_product (dense_latency,
// dense_resource or depthwise_product with this config's Dense fields): the io_parallel arithmetic.
// Latency / depthwise: one padded position per iteration, pipelined at II = reuse_factor. Resource: the
// position loop is sequential and each complete window runs dense_resource's pipelined loop.

namespace firmnet_hls {

template <class data_T, class res_T, typename CONFIG_T>
inline void conv_stream_position(
    hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in, hls::stream<pixel<res_T, CONFIG_T::n_filt> >& out,
    data_T win[stream_window<CONFIG_T>::span_h][stream_window<CONFIG_T>::span_w][CONFIG_T::n_chan],
    data_T line[stream_window<CONFIG_T>::lines][stream_window<CONFIG_T>::ext_w][CONFIG_T::n_chan], unsigned ph,
    unsigned pw, bool row_done, unsigned& col_at, unsigned& ow, const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
    const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE
  data_T v[CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = v complete
  window_input<data_T, CONFIG_T>(in, ph, pw, v);
  window_shift<data_T, CONFIG_T>(win, line, pw, v);
  if (row_done && pw == col_at && ow < CONFIG_T::out_width) {
    data_T row[CONFIG_T::n_taps * CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = row complete
    for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
      const unsigned kh = t / CONFIG_T::filt_width, kw = t % CONFIG_T::filt_width;
      for (unsigned i = 0; i < CONFIG_T::n_chan; i++) {
#pragma HLS UNROLL
        row[t * CONFIG_T::n_chan + i] = win[kh * CONFIG_T::dilation_height][kw * CONFIG_T::dilation_width][i];
      }
    }
    res_T res[CONFIG_T::n_filt];
#pragma HLS ARRAY_PARTITION variable = res complete
    conv_product<conv_kind<CONFIG_T>::value>::template run<data_T, res_T, CONFIG_T>(row, res, weights, biases);
    pixel<res_T, CONFIG_T::n_filt> px;
    pack(res, px);
    out.write(px);
    col_at += CONFIG_T::stride_width;
    ow++;
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void conv_stream(hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in, hls::stream<pixel<res_T, CONFIG_T::n_filt> >& out,
                 const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                 const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
#pragma HLS INLINE off
  typedef stream_window<CONFIG_T> G;
  data_T win[G::span_h][G::span_w][CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = win complete dim = 0
  data_T line[G::lines][G::ext_w][CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = line complete dim = 1
#pragma HLS ARRAY_PARTITION variable = line complete dim = 3
  unsigned row_at = G::span_h - 1, oh = 0;
  for (unsigned ph = 0; ph < G::ext_h; ph++) {
    const bool row_done = ph == row_at && oh < CONFIG_T::out_height;
    unsigned col_at = G::span_w - 1, ow = 0;
    if (conv_kind<CONFIG_T>::value != conv_resource) {
      for (unsigned pw = 0; pw < G::ext_w; pw++) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
        conv_stream_position<data_T, res_T, CONFIG_T>(in, out, win, line, ph, pw, row_done, col_at, ow, weights, biases);
      }
    } else {
      for (unsigned pw = 0; pw < G::ext_w; pw++) {
        conv_stream_position<data_T, res_T, CONFIG_T>(in, out, win, line, ph, pw, row_done, col_at, ow, weights, biases);
      }
    }
    if (row_done) {
      row_at += CONFIG_T::stride_height;
      oh++;
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// pool_stream
// Max and average pools over the line buffer: the window's taps, masked by position exactly as io_parallel's
// pool_max / pool_avg (window_tap of the output pixel), compared or added per channel in tap order.

namespace firmnet_hls {

template <class data_T, class res_T, typename CONFIG_T, bool AVG>
inline void pool_stream_position(
    hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in, hls::stream<pixel<res_T, CONFIG_T::n_chan> >& out,
    data_T win[stream_window<CONFIG_T>::span_h][stream_window<CONFIG_T>::span_w][CONFIG_T::n_chan],
    data_T line[stream_window<CONFIG_T>::lines][stream_window<CONFIG_T>::ext_w][CONFIG_T::n_chan], unsigned ph,
    unsigned pw, bool row_done, unsigned oh, unsigned& col_at, unsigned& ow,
    const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE
  data_T v[CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = v complete
  window_input<data_T, CONFIG_T>(in, ph, pw, v);
  window_shift<data_T, CONFIG_T>(win, line, pw, v);
  if (row_done && pw == col_at && ow < CONFIG_T::out_width) {
    bool inside[CONFIG_T::n_taps];
#pragma HLS ARRAY_PARTITION variable = inside complete
    unsigned count = CONFIG_T::count_include_pad ? CONFIG_T::n_taps : 0;
    for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
      unsigned pixel_index;
      inside[t] = window_tap<CONFIG_T>(oh, ow, t, pixel_index);
      if (!CONFIG_T::count_include_pad) count += inside[t] ? 1u : 0u;
    }
    pixel<res_T, CONFIG_T::n_chan> px;
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
#pragma HLS UNROLL
      if (AVG) {
        typename CONFIG_T::accum_t acc = 0;
        for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
          const data_T x = win[(t / CONFIG_T::filt_width) * CONFIG_T::dilation_height]
                              [(t % CONFIG_T::filt_width) * CONFIG_T::dilation_width][c];
          acc = acc + (inside[t] ? x : data_T(0));
        }
        px.data[c] = acc * reciprocal[count];
      } else {
        data_T m = 0;
        bool found = false;
        for (unsigned t = 0; t < CONFIG_T::n_taps; t++) {
#pragma HLS UNROLL
          const data_T x = win[(t / CONFIG_T::filt_width) * CONFIG_T::dilation_height]
                              [(t % CONFIG_T::filt_width) * CONFIG_T::dilation_width][c];
          const bool take = inside[t] && (!found || x > m);
          m = take ? x : m;
          found = found || inside[t];
        }
        px.data[c] = m;
      }
    }
    out.write(px);
    col_at += CONFIG_T::stride_width;
    ow++;
  }
}

template <class data_T, class res_T, typename CONFIG_T, bool AVG>
void pool_stream(hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in, hls::stream<pixel<res_T, CONFIG_T::n_chan> >& out,
                 const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_PARTITION variable = reciprocal complete
  typedef stream_window<CONFIG_T> G;
  data_T win[G::span_h][G::span_w][CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = win complete dim = 0
  data_T line[G::lines][G::ext_w][CONFIG_T::n_chan];
#pragma HLS ARRAY_PARTITION variable = line complete dim = 1
#pragma HLS ARRAY_PARTITION variable = line complete dim = 3
  unsigned row_at = G::span_h - 1, oh = 0;
  for (unsigned ph = 0; ph < G::ext_h; ph++) {
    const bool row_done = ph == row_at && oh < CONFIG_T::out_height;
    unsigned col_at = G::span_w - 1, ow = 0;
    for (unsigned pw = 0; pw < G::ext_w; pw++) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
      pool_stream_position<data_T, res_T, CONFIG_T, AVG>(in, out, win, line, ph, pw, row_done, oh, col_at, ow,
                                                         reciprocal);
    }
    if (row_done) {
      row_at += CONFIG_T::stride_height;
      oh++;
    }
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void pool_max_stream(hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in,
                     hls::stream<pixel<res_T, CONFIG_T::n_chan> >& out) {
#pragma HLS INLINE
  // A max pool reads no reciprocal; one unused entry keeps a single body for both pools.
  static const typename CONFIG_T::reciprocal_t none[CONFIG_T::n_taps + 1] = {};
  pool_stream<data_T, res_T, CONFIG_T, false>(in, out, none);
}

template <class data_T, class res_T, typename CONFIG_T>
void pool_avg_stream(hls::stream<pixel<data_T, CONFIG_T::n_chan> >& in, hls::stream<pixel<res_T, CONFIG_T::n_chan> >& out,
                     const typename CONFIG_T::reciprocal_t reciprocal[CONFIG_T::n_taps + 1]) {
#pragma HLS INLINE
  pool_stream<data_T, res_T, CONFIG_T, true>(in, out, reciprocal);
}

}  // namespace firmnet_hls

#endif
