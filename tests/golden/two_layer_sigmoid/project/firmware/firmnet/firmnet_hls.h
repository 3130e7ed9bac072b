#ifndef FIRMNET_HLS_H_
#define FIRMNET_HLS_H_
// firmnet HLS kernel library (namespace firmnet_hls), generated into firmware/firmnet/ by firmnet.
// Semantics: docs/NUMERICS.md. Every cast is an assignment to an ap_fixed variable; every product and sum
// is exact ap_fixed arithmetic. One section per op family.
#include "ap_fixed.h"
#include "ap_int.h"
#ifndef __SYNTHESIS__
#include <stdint.h>
#endif

// ====================================================================================================
// common
// shared helpers

namespace firmnet_hls {

enum strategy_t { latency = 0, resource = 1 };

// The raw two's-complement bits of a fixed-point value, sign- or zero-extended by one bit so that
// signed and unsigned types share one code path. Deduces any ap_fixed / ap_ufixed (or exact result) type.
template <int W, int I, bool S, ap_q_mode Q, ap_o_mode O, int N>
inline ap_int<W + 1> raw_bits(const ap_fixed_base<W, I, S, Q, O, N>& x) {
  ap_int_base<W, S> bits;
  bits.range(W - 1, 0) = x.range(W - 1, 0);
  ap_int<W + 1> wide = bits;
  return wide;
}

// Lookup-table indexing (numeric/tables.h): pos = floor(raw * 2^-(F + LOG2_STEP)) + OFFSET, computed on
// integers wide enough that no shift or offset can overflow. SHIFT may be negative (a left shift).
template <class data_T, int LOG2_STEP>
struct table_shift {
  static const int value = data_T::width - data_T::iwidth + LOG2_STEP;  // F + s
  static const int left = value < 0 ? -value : 0;
  static const int right = value > 0 ? value : 0;
  static const int pos_width = data_T::width + 1 + left + 66;  // raw, left shift, 64-bit offset, sign
};

template <class data_T, int LOG2_STEP, long long OFFSET>
inline ap_int<table_shift<data_T, LOG2_STEP>::pos_width> table_position(const data_T& x) {
  typedef table_shift<data_T, LOG2_STEP> shift;
  ap_int<shift::pos_width> pos = raw_bits(x);
  pos = pos >> shift::right;  // arithmetic shift: floor
  pos = pos << shift::left;
  pos = pos + OFFSET;
  return pos;
}

// The low bits of the bucket number: the fine table of softmax's two-level exp (SIZE a power of two).
template <class data_T, int LOG2_STEP, long long OFFSET, unsigned SIZE>
inline unsigned periodic_table_index(const data_T& x) {
  ap_int<table_shift<data_T, LOG2_STEP>::pos_width> pos = table_position<data_T, LOG2_STEP, OFFSET>(x);
  return (unsigned)(pos.to_int64() & (long long)(SIZE - 1));
}

template <class data_T, int LOG2_STEP, long long OFFSET, unsigned SIZE>
inline unsigned table_index(const data_T& x) {
  ap_int<table_shift<data_T, LOG2_STEP>::pos_width> pos = table_position<data_T, LOG2_STEP, OFFSET>(x);
  if (pos < 0) return 0;
  if (pos >= (long long)SIZE) return SIZE - 1;
  return (unsigned)pos.to_int64();
}

#ifndef __SYNTHESIS__
// A constant array in C simulation (firmware/weights/*.h, docs/BACKEND_VITIS.md "Constants"): its elements get
// the bits of raw integers once, at start-up. g++ compiles the integer data in no time, whereas an array of
// ap_fixed initialised from literals costs it seconds and megabytes per thousand elements. Synthesis sees the
// same values as exact decimal literals instead (a plain constant ROM array).
template <class T, unsigned N>
struct rom_array {
  T v[N];
  template <class R>
  explicit rom_array(const R (&raw)[N]) {
    for (unsigned i = 0; i < N; i++) v[i].range(T::width - 1, 0) = (long long)raw[i];
  }
};
#endif

// y = Q_res(x) element by element (Reshape, output copies).
template <class data_T, class res_T, unsigned N>
void copy(const data_T data[N], res_T res[N]) {
#pragma HLS INLINE
  for (unsigned i = 0; i < N; i++) {
#pragma HLS UNROLL
    res[i] = data[i];
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// dense
// Dense: acc_j = Q_accum(bias_j); for i = 0..n_in-1 in this order: acc_j = Q_accum(acc_j + x_i*W_ij);
// y_j = Q_res(acc_j). The strategies and the reuse factor change pragmas and loop grouping only: every
// output keeps the order i = 0..n_in-1 (docs/NUMERICS.md), so all strategies give identical bits.
// Schedules (II, what is unrolled, where the weights live): docs/BACKEND_VITIS.md.

namespace firmnet_hls {

struct dense_config {
  static const unsigned n_in = 1;
  static const unsigned n_out = 1;
  static const unsigned reuse_factor = 1;
  static const unsigned strategy = latency;
  static const unsigned n_mult = 1;       // multipliers of the kernel (dense_resource: weights per ROM word)
  static const unsigned n_weights = 1;    // length of the weight array (dense_resource: padded, kernel order)
  // dense_resource only: n_chunks blocks of out_per_chunk outputs, each n_iters pipelined iterations
  // that read in_per_iter inputs and ROM word (chunk * n_iters + iteration).
  static const unsigned n_chunks = 1;
  static const unsigned n_iters = 1;
  static const unsigned in_per_iter = 1;
  static const unsigned out_per_chunk = 1;
  // product_cast: firmnet proved (from the accumulator's rounding and overflow modes, or from the value
  // bounds) that acc = Q(acc + x*w) equals acc = acc + Q(x*w) with a wrapping sum_t, a plain modular add
  // chain that HLS can balance into a tree. Otherwise sum_t = accum_t and the serial chain is kept.
  static const bool product_cast = false;
  typedef ap_fixed<16, 6> accum_t;
  typedef ap_fixed<16, 6> sum_t;
  typedef ap_fixed<16, 6> weight_t;
  typedef ap_fixed<16, 6> bias_t;
};

// acc = Q_accum(acc + x*w), spelled as CONFIG_T::product_cast says (the same bits either way).
template <typename CONFIG_T, class data_T, class weight_T>
inline void multiply_accumulate(typename CONFIG_T::sum_t& acc, const data_T& x, const weight_T& w) {
#pragma HLS INLINE
  if (CONFIG_T::product_cast) {
    const typename CONFIG_T::sum_t product = x * w;
    acc = acc + product;
  } else {
    acc = acc + x * w;
  }
}

// Latency strategy: one pipelined function, every product unrolled; weights in registers (complete
// partition, constant indices); reuse_factor > 1 only raises II and caps the multipliers.
template <class data_T, class res_T, typename CONFIG_T>
void dense_latency(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                   const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                   const typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = weights complete
#pragma HLS ARRAY_PARTITION variable = biases complete
#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::n_mult
  typename CONFIG_T::sum_t acc[CONFIG_T::n_out];
#pragma HLS ARRAY_PARTITION variable = acc complete
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
#pragma HLS UNROLL
    const typename CONFIG_T::accum_t bias = biases[j];
    acc[j] = bias;
  }
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
#pragma HLS UNROLL
      multiply_accumulate<CONFIG_T>(acc[j], data[i], weights[i * CONFIG_T::n_out + j]);
    }
  }
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) {
#pragma HLS UNROLL
    res[j] = acc[j];
  }
}

// Resource strategy (reuse_factor > 1): the outputs are cut into n_chunks blocks (more than one only when
// reuse_factor > n_in); for each block a loop of n_iters iterations, pipelined at II = 1, handles inputs
// i = r*in_per_iter + ii for every output of the block. Iteration r of block c reads exactly ROM word
// c*n_iters + r (firmnet writes the weights in this order, padded: cyclic reshape by n_mult), the
// accumulator index jj is the unrolled index, and there is no division or modulo. Every output still
// accumulates i = 0..n_in-1 in order.
template <class data_T, class res_T, typename CONFIG_T>
void dense_resource(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
                    const typename CONFIG_T::weight_t weights[CONFIG_T::n_weights],
                    const typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
#pragma HLS INLINE off
#pragma HLS ARRAY_RESHAPE variable = weights cyclic factor = CONFIG_T::n_mult
#ifdef __VITIS_HLS__
#pragma HLS BIND_STORAGE variable = weights type = rom_2p
#else
#pragma HLS RESOURCE variable = weights core = ROM_2P_BRAM
#endif
#pragma HLS ARRAY_PARTITION variable = biases complete
#pragma HLS ALLOCATION operation instances = mul limit = CONFIG_T::n_mult
  for (unsigned c = 0; c < CONFIG_T::n_chunks; c++) {
    typename CONFIG_T::sum_t acc[CONFIG_T::out_per_chunk];
#pragma HLS ARRAY_PARTITION variable = acc complete
    for (unsigned jj = 0; jj < CONFIG_T::out_per_chunk; jj++) {
#pragma HLS UNROLL
      const unsigned j = c * CONFIG_T::out_per_chunk + jj;
      const typename CONFIG_T::accum_t bias = j < CONFIG_T::n_out ? biases[j] : typename CONFIG_T::bias_t(0);
      acc[jj] = bias;
    }
    for (unsigned r = 0; r < CONFIG_T::n_iters; r++) {
#pragma HLS PIPELINE II = 1
      const unsigned word = c * CONFIG_T::n_iters + r;
      for (unsigned ii = 0; ii < CONFIG_T::in_per_iter; ii++) {
#pragma HLS UNROLL
        const unsigned i = r * CONFIG_T::in_per_iter + ii;
        if (CONFIG_T::n_iters * CONFIG_T::in_per_iter == CONFIG_T::n_in || i < CONFIG_T::n_in) {
          for (unsigned jj = 0; jj < CONFIG_T::out_per_chunk; jj++) {
#pragma HLS UNROLL
            multiply_accumulate<CONFIG_T>(
                acc[jj], data[i], weights[word * CONFIG_T::n_mult + ii * CONFIG_T::out_per_chunk + jj]);
          }
        }
      }
    }
    for (unsigned jj = 0; jj < CONFIG_T::out_per_chunk; jj++) {
#pragma HLS UNROLL
      const unsigned j = c * CONFIG_T::out_per_chunk + jj;
      if (CONFIG_T::n_chunks * CONFIG_T::out_per_chunk == CONFIG_T::n_out || j < CONFIG_T::n_out) res[j] = acc[jj];
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// batchnorm
// BatchNorm: y = Q_res(x*scale_c + bias_c), c = flat index mod n_chan (the last axis).

namespace firmnet_hls {

struct batchnorm_config {
  static const unsigned n_in = 1;
  static const unsigned n_chan = 1;
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<16, 6> scale_t;
  typedef ap_fixed<16, 6> bias_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void batchnorm(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
               const typename CONFIG_T::scale_t scale[CONFIG_T::n_chan],
               const typename CONFIG_T::bias_t bias[CONFIG_T::n_chan]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = scale complete
#pragma HLS ARRAY_PARTITION variable = bias complete
  for (unsigned o = 0; o < CONFIG_T::n_in / CONFIG_T::n_chan; o++) {
#pragma HLS UNROLL
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
#pragma HLS UNROLL
      const unsigned i = o * CONFIG_T::n_chan + c;
      res[i] = data[i] * scale[c] + bias[c];
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// activation
// Activations (docs/IR.md): closed-form functions computed exactly then cast once, and table functions
// that read firmnet's precomputed table at the integer index of numeric/tables.h.

namespace firmnet_hls {

struct activation_config {
  static const unsigned n_in = 1;
  static const unsigned reuse_factor = 1;
  // Table functions only: the table's geometry (numeric::TableSpec).
  static const unsigned table_size = 1;
  static const int table_log2_step = 0;
  static const long long table_offset = 0;
  typedef ap_fixed<18, 8> table_t;
};

template <class data_T, class res_T, typename CONFIG_T>
void linear(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    res[i] = data[i];
  }
}

template <class data_T, class res_T, typename CONFIG_T>
void relu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] > 0)
      res[i] = data[i];
    else
      res[i] = 0;
  }
}

// y = Q_res(x >= 0 ? x : x*alpha)
template <class data_T, class res_T, typename CONFIG_T>
void leaky_relu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                const typename CONFIG_T::alpha_t alpha[1]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] >= 0)
      res[i] = data[i];
    else
      res[i] = data[i] * alpha[0];
  }
}

// y = Q_res(min(max(x, min), max)) (ONNX Clip, e.g. ReLU6); ap_fixed comparisons across types are exact.
template <class data_T, class res_T, typename CONFIG_T>
void clip(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in], const typename CONFIG_T::min_t lo[1],
          const typename CONFIG_T::max_t hi[1]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] > hi[0] || lo[0] > hi[0])
      res[i] = hi[0];
    else if (data[i] < lo[0])
      res[i] = lo[0];
    else
      res[i] = data[i];
  }
}

// y = Q_res(clamp(x, -1, 1)); the constants are cast by the result type like any other value.
template <class data_T, class res_T, typename CONFIG_T>
void hard_tanh(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  const ap_fixed<2, 2> one = 1, minus_one = -1;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] > one)
      res[i] = one;
    else if (data[i] < minus_one)
      res[i] = minus_one;
    else
      res[i] = data[i];
  }
}

// y = Q_res(clamp(x*slope + offset, 0, 1)), the affine part exact.
template <class data_T, class res_T, typename CONFIG_T>
void hard_sigmoid(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                  const typename CONFIG_T::slope_t slope[1], const typename CONFIG_T::offset_t offset[1]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  const ap_fixed<2, 2> one = 1, zero = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] * slope[0] + offset[0] > one)
      res[i] = one;
    else if (data[i] * slope[0] + offset[0] < zero)
      res[i] = zero;
    else
      res[i] = data[i] * slope[0] + offset[0];
  }
}

// sigmoid, tanh, softsign: y = Q_res(table[idx(x)])
template <class data_T, class res_T, typename CONFIG_T>
void table_function(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                    const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    res[i] = table[table_index<data_T, CONFIG_T::table_log2_step, CONFIG_T::table_offset, CONFIG_T::table_size>(
        data[i])];
  }
}

// elu: x >= 0 ? Q_res(x) : Q_res(table[idx(x)])
template <class data_T, class res_T, typename CONFIG_T>
void elu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
         const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] >= 0)
      res[i] = data[i];
    else
      res[i] = table[table_index<data_T, CONFIG_T::table_log2_step, CONFIG_T::table_offset, CONFIG_T::table_size>(
          data[i])];
  }
}

// selu: x >= 0 ? Q_res(x*gamma) : Q_res(table[idx(x)])
template <class data_T, class res_T, typename CONFIG_T>
void selu(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
          const typename CONFIG_T::table_t table[CONFIG_T::table_size],
          const typename CONFIG_T::gamma_t gamma[1]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (data[i] >= 0)
      res[i] = data[i] * gamma[0];
    else
      res[i] = table[table_index<data_T, CONFIG_T::table_log2_step, CONFIG_T::table_offset, CONFIG_T::table_size>(
          data[i])];
  }
}

// softplus: x >= table hi ? Q_res(x) : Q_res(table[idx(x)]). "x >= hi" is exactly "unclamped index >=
// table_size" because hi = (table_size - offset) * 2^log2_step is a multiple of the step.
template <class data_T, class res_T, typename CONFIG_T>
void softplus(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
              const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (table_position<data_T, CONFIG_T::table_log2_step, CONFIG_T::table_offset>(data[i]) >=
        (long long)CONFIG_T::table_size)
      res[i] = data[i];
    else
      res[i] = table[table_index<data_T, CONFIG_T::table_log2_step, CONFIG_T::table_offset, CONFIG_T::table_size>(
          data[i])];
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// softmax
// Softmax, implementation "stable" (docs/NUMERICS.md), per row of n_row values along the last axis:
//   m = max x; d_k = x_k - m (exact); e_k = Q_exp(exp_hi[idx(d_k)] * exp_lo[low bits of d_k's fine bucket]);
//   sum = e_0 + ... (cast to accum per step); s = max(raw sum, 1) = 2^lead * mantissa;
//   v = inv[j] + floor((inv[j+1] - inv[j]) * r / 2^rb) (j, r: the bits after s's leading one);
//   y_k = Q_res(e_k * v * 2^(F_accum - lead)).

namespace firmnet_hls {

struct softmax_config {
  static const unsigned n_in = 1;
  static const unsigned n_row = 1;  // length of the last axis
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<17, 7> diff_t;  // exact type of x - max(x)
  typedef ap_ufixed<23, 4> accum_t;
  typedef ap_ufixed<20, 1> exp_table_t;
  typedef ap_ufixed<20, 1> exp_hi_table_t;
  typedef ap_ufixed<20, 1> exp_lo_table_t;
  typedef ap_ufixed<24, 1> inv_table_t;
  static const unsigned exp_hi_table_size = 1;
  static const int exp_hi_table_log2_step = 0;
  static const long long exp_hi_table_offset = 0;
  static const unsigned exp_lo_table_size = 1;
  static const int exp_lo_table_log2_step = 0;
  static const long long exp_lo_table_offset = 0;
  static const unsigned inv_table_size = 3;   // N + 1: 1/m at m = 1 + j/N, j = 0..N
  static const unsigned inv_index_bits = 1;   // log2 N
  static const unsigned inv_delta_width = 2;  // signed bits of every raw inv[j+1] - inv[j]
  static const int lead_min = 0;              // the leading one of max(raw sum, 1) lies in [lead_min, lead_max]
  static const int lead_max = 22;             // (firmnet's bound: the whole accum unless the sum is lossless)
};

// The leading one of a positive raw sum (at least bit 0), and the mantissa bits after it, normalised to the top
// of NW >= AW bits: j = the INDEX_BITS bits after the leading one, r = the RB = NW - 1 - INDEX_BITS bits below
// them. r / 2^RB is the docs' r / 2^rb: both are the bits below j as a fraction of their bucket.
template <int AW, int INDEX_BITS, int SPAN>
struct softmax_mantissa {
  static const int NW = AW > INDEX_BITS + 1 ? AW : INDEX_BITS + 1;
  static const int RB = NW - 1 - INDEX_BITS;
  // bits of lead - lead_min, in [0, SPAN]
  static const int SHIFT_BITS = SPAN < 2 ? 1 : (SPAN < 4 ? 2 : (SPAN < 8 ? 3 : (SPAN < 16 ? 4 : (SPAN < 32 ? 5 : 6))));
};

template <class data_T, class res_T, typename CONFIG_T>
void softmax_stable(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                    const typename CONFIG_T::exp_hi_table_t exp_hi_table[CONFIG_T::exp_hi_table_size],
                    const typename CONFIG_T::exp_lo_table_t exp_lo_table[CONFIG_T::exp_lo_table_size],
                    const typename CONFIG_T::inv_table_t inv_table[CONFIG_T::inv_table_size]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  typedef typename CONFIG_T::diff_t diff_t;
  typedef typename CONFIG_T::accum_t accum_t;
  typedef typename CONFIG_T::exp_table_t exp_t;
  typedef typename CONFIG_T::inv_table_t inv_t;
  static const int LMIN = CONFIG_T::lead_min;
  static const int LMAX = CONFIG_T::lead_max;
  static const int C = LMAX - LMIN;  // lead - LMIN in [0, C]
  typedef softmax_mantissa<accum_t::width, CONFIG_T::inv_index_bits, C> mant;
  static const int AW = accum_t::width;
  static const int FA = accum_t::width - accum_t::iwidth;
  static const int L = CONFIG_T::inv_index_bits;
  static const int NW = mant::NW;
  static const int RB = mant::RB;
  // e * v on raw bits (sign-extended by one bit each), then placed C bits up in a holder whose point makes the
  // right shift by lead - LMIN the exact e * v * 2^(FA - lead) (only zeros drop): HF = PF + C + LMIN - FA.
  static const int PW = exp_t::width + inv_t::width + 2;
  static const int PF = (exp_t::width - exp_t::iwidth) + (inv_t::width - inv_t::iwidth);
  static const int HW = PW + C;
  static const int HF = PF + C + LMIN - FA;
  typedef ap_fixed<HW, HW - HF> scaled_t;
  for (unsigned row = 0; row < CONFIG_T::n_in / CONFIG_T::n_row; row++) {
#pragma HLS UNROLL
    const unsigned base = row * CONFIG_T::n_row;
    data_T m = data[base];
    for (unsigned k = 1; k < CONFIG_T::n_row; k++) {
#pragma HLS UNROLL
      if (data[base + k] > m) m = data[base + k];
    }
    exp_t e[CONFIG_T::n_row];
#pragma HLS ARRAY_PARTITION variable = e complete
    accum_t sum = 0;
    for (unsigned k = 0; k < CONFIG_T::n_row; k++) {
#pragma HLS UNROLL
      const diff_t d = data[base + k] - m;
      e[k] = exp_hi_table[table_index<diff_t, CONFIG_T::exp_hi_table_log2_step, CONFIG_T::exp_hi_table_offset,
                                      CONFIG_T::exp_hi_table_size>(d)] *
             exp_lo_table[periodic_table_index<diff_t, CONFIG_T::exp_lo_table_log2_step,
                                               CONFIG_T::exp_lo_table_offset, CONFIG_T::exp_lo_table_size>(d)];
      sum = sum + e[k];
    }
    // s = max(raw sum, 1); lead = LMIN + shift, the position of its leading one (a priority encoder over the
    // bits LMIN + 1 .. LMAX, where firmnet bounds it).
    const ap_int<AW + 1> sum_raw = raw_bits(sum);
    const ap_uint<NW> s = sum_raw > 0 ? ap_uint<NW>(sum_raw) : ap_uint<NW>(1);
    ap_uint<mant::SHIFT_BITS> shift = 0;
    for (int i = 1; i <= C; i++) {
#pragma HLS UNROLL
      if (s[LMIN + i]) shift = i;
    }
    const ap_uint<NW> norm = s << (unsigned)(NW - 1 - LMIN - shift.to_int());  // the leading one at bit NW - 1
    const unsigned j = (unsigned)((norm >> RB) & ap_uint<NW>((1u << L) - 1)).to_uint();
    const ap_uint<RB + 1> r = norm & ((ap_uint<NW>(1) << RB) - 1);
    // v = inv[j] + floor((inv[j+1] - inv[j]) * r / 2^RB): between inv[j] and inv[j+1], so in inv_t's range.
    const ap_int<inv_t::width + 1> v0 = raw_bits(inv_table[j]);
    const ap_int<inv_t::width + 1> v1 = raw_bits(inv_table[j + 1]);
    const ap_int<CONFIG_T::inv_delta_width> delta = v1 - v0;
    const ap_int<CONFIG_T::inv_delta_width + RB + 1> step = delta * r;
    const ap_int<inv_t::width + 2> v_raw = v0 + (step >> RB);  // arithmetic shift: floor
    inv_t v;
    v.range(inv_t::width - 1, 0) = v_raw.range(inv_t::width - 1, 0);
    for (unsigned k = 0; k < CONFIG_T::n_row; k++) {
#pragma HLS UNROLL
      const ap_int<PW> p = raw_bits(e[k]) * raw_bits(v);
      ap_int<HW> h_raw = p;
      h_raw = (h_raw << C) >> shift;
      scaled_t h;
      h.range(HW - 1, 0) = h_raw;
      res[base + k] = h;
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// elementwise
// Elementwise add/sub/mul with a tensor or a broadcast constant, and Concat: y = Q_res(exact value).

namespace firmnet_hls {

enum elementwise_op_t { op_add = 0, op_sub = 1, op_mul = 2 };

struct elementwise_config {
  static const unsigned n_in = 1;
  static const unsigned op = op_add;
  static const unsigned n_const = 1;  // constant operand: 1, the last axis, or n_in values (element o*n_const + k)
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<16, 6> const_t;
};

template <class a_T, class b_T, class res_T, typename CONFIG_T>
void elementwise(const a_T a[CONFIG_T::n_in], const b_T b[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    if (CONFIG_T::op == op_add)
      res[i] = a[i] + b[i];
    else if (CONFIG_T::op == op_sub)
      res[i] = a[i] - b[i];
    else
      res[i] = a[i] * b[i];
  }
}

template <class a_T, class res_T, typename CONFIG_T>
void elementwise_const(const a_T a[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                       const typename CONFIG_T::const_t c[CONFIG_T::n_const]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = c complete
  for (unsigned o = 0; o < CONFIG_T::n_in / CONFIG_T::n_const; o++) {
#pragma HLS UNROLL
    for (unsigned k = 0; k < CONFIG_T::n_const; k++) {
#pragma HLS UNROLL
      const unsigned i = o * CONFIG_T::n_const + k;
      if (CONFIG_T::op == op_add)
        res[i] = a[i] + c[k];
      else if (CONFIG_T::op == op_sub)
        res[i] = a[i] - c[k];
      else
        res[i] = a[i] * c[k];
    }
  }
}

// One input's share of a concatenation: the input is OUTER blocks of INNER_IN values, written at column
// OFFSET of OUTER blocks of INNER_OUT values.
template <class data_T, class res_T, unsigned OUTER, unsigned INNER_IN, unsigned INNER_OUT, unsigned OFFSET>
void concat_part(const data_T data[OUTER * INNER_IN], res_T res[OUTER * INNER_OUT]) {
#pragma HLS INLINE
  for (unsigned o = 0; o < OUTER; o++) {
#pragma HLS UNROLL
    for (unsigned i = 0; i < INNER_IN; i++) {
#pragma HLS UNROLL
      res[o * INNER_OUT + OFFSET + i] = data[o * INNER_IN + i];
    }
  }
}

}  // namespace firmnet_hls

// ====================================================================================================
// quant
// Integer-network ops: MultiThreshold, Rescale, ArgMax.

namespace firmnet_hls {

struct multithreshold_config {
  static const unsigned n_in = 1;
  static const unsigned n_chan = 1;
  static const unsigned n_thresholds = 1;  // per row
  static const unsigned n_rows = 1;        // 1 (shared) or n_chan
  static const bool channels_last = true;  // NHWC: i = o*n_chan + c; NCHW: i = c*(n_in/n_chan) + o
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<16, 6> threshold_t;
};

// y = out_values[#{t : x >= thresholds[c][t]}]: out_values[k] = Q_res(out_scale*k + out_bias) is the levels
// table of passes/build_tables (the emulator reads the same table), and the thresholds lie on the grid of
// data_T (passes/snap_thresholds), so the compare is exact and the firmware has no floating point.
template <class data_T, class res_T, typename CONFIG_T>
void multithreshold(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                    const typename CONFIG_T::threshold_t thresholds[CONFIG_T::n_rows * CONFIG_T::n_thresholds],
                    const res_T out_values[CONFIG_T::n_thresholds + 1]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
#pragma HLS ARRAY_PARTITION variable = thresholds complete
#pragma HLS ARRAY_PARTITION variable = out_values complete
  // NHWC: element i = o*n_chan + c; NCHW: i = c*n_spatial + o. Both loops are unrolled, so c is a constant.
  static const unsigned n_spatial = CONFIG_T::n_in / CONFIG_T::n_chan;
  for (unsigned o = 0; o < n_spatial; o++) {
#pragma HLS UNROLL
    for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
#pragma HLS UNROLL
      const unsigned i = CONFIG_T::channels_last ? o * CONFIG_T::n_chan + c : c * n_spatial + o;
      const unsigned row = CONFIG_T::n_rows == 1 ? 0 : c;
      unsigned count = 0;
      for (unsigned t = 0; t < CONFIG_T::n_thresholds; t++) {
#pragma HLS UNROLL
        if (data[i] >= thresholds[row * CONFIG_T::n_thresholds + t]) count++;
      }
      res[i] = out_values[count];
    }
  }
}

struct rescale_config {
  static const unsigned n_in = 1;
  static const unsigned n_last = 1;   // length of the last axis: element i = o*n_last + k
  static const unsigned n_scale = 1;  // 1 or n_last
  static const unsigned n_pre_add = 1;
  static const unsigned reuse_factor = 1;
  typedef ap_fixed<16, 6> scale_t;
  typedef ap_fixed<16, 6> pre_add_t;
};

// y = Q_res((x + pre_add_c) * scale_c)
template <class data_T, class res_T, typename CONFIG_T>
void rescale_add(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                 const typename CONFIG_T::scale_t scale[CONFIG_T::n_scale],
                 const typename CONFIG_T::pre_add_t pre_add[CONFIG_T::n_pre_add]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned o = 0; o < CONFIG_T::n_in / CONFIG_T::n_last; o++) {
#pragma HLS UNROLL
    for (unsigned k = 0; k < CONFIG_T::n_last; k++) {
#pragma HLS UNROLL
      res[o * CONFIG_T::n_last + k] = (data[o * CONFIG_T::n_last + k] + pre_add[CONFIG_T::n_pre_add == 1 ? 0 : k]) *
                                      scale[CONFIG_T::n_scale == 1 ? 0 : k];
    }
  }
}

// y = Q_res(x * scale_c)
template <class data_T, class res_T, typename CONFIG_T>
void rescale(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
             const typename CONFIG_T::scale_t scale[CONFIG_T::n_scale]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned o = 0; o < CONFIG_T::n_in / CONFIG_T::n_last; o++) {
#pragma HLS UNROLL
    for (unsigned k = 0; k < CONFIG_T::n_last; k++) {
#pragma HLS UNROLL
      res[o * CONFIG_T::n_last + k] = data[o * CONFIG_T::n_last + k] * scale[CONFIG_T::n_scale == 1 ? 0 : k];
    }
  }
}

struct argmax_config {
  static const unsigned n_in = 1;
  static const unsigned n_row = 1;  // length of the last axis; one index per row
  static const unsigned reuse_factor = 1;
};

// y = Q_res(index of the first maximum of each row)
template <class data_T, class res_T, typename CONFIG_T>
void argmax(const data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in / CONFIG_T::n_row]) {
#pragma HLS PIPELINE II = CONFIG_T::reuse_factor
  for (unsigned row = 0; row < CONFIG_T::n_in / CONFIG_T::n_row; row++) {
#pragma HLS UNROLL
    data_T best = data[row * CONFIG_T::n_row];
    unsigned best_k = 0;
    for (unsigned k = 1; k < CONFIG_T::n_row; k++) {
#pragma HLS UNROLL
      if (data[row * CONFIG_T::n_row + k] > best) {
        best = data[row * CONFIG_T::n_row + k];
        best_k = k;
      }
    }
    res[row] = best_k;
  }
}

}  // namespace firmnet_hls

#endif
