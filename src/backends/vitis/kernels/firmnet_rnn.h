#ifndef FIRMNET_RNN_H_
#define FIRMNET_RNN_H_
// firmnet HLS kernels of the recurrent layers (io_parallel): LSTM, GRU, SimpleRNN over a sequence [T, F].
// Semantics: docs/NUMERICS.md "Recurrent"; schedules: docs/BACKEND_VITIS.md "Recurrent".
//
// Each step t (reverse: T-1 down to 0) computes the input product a = Q_accum(bias + x_t W) and the recurrent
// product r = Q_recurrent_accum(recurrent_bias + h R) with the Dense kernels (dense_latency / dense_resource of
// firmnet_hls.h, configured by the nested mult_x and mult_h), then the cell: the gates' pre-activations are exact
// sums (pre_t, cand_pre_t hold them exactly), looked up in the tables at the integer index of numeric/tables.h,
// and the states are cast once per update (cell_t, state_t). recurrent_static runs one cell instance per step
// (the step loop is not unrolled); recurrent_unrolled unrolls the steps. A GRU with linear_before_reset 0
// (reset_before) runs gru_reset_before_static / gru_reset_before_unrolled: three products per step.
#include "firmnet_hls.h"

namespace firmnet_hls {

enum cell_kind_t { cell_lstm = 0, cell_gru = 1, cell_rnn = 2 };

struct recurrent_config {
  static const unsigned n_steps = 1;
  static const unsigned n_in = 1;     // features per step
  static const unsigned n_units = 1;  // H
  static const unsigned n_gates = 1;  // G: LSTM 4 (i, f, c, o), GRU 3 (z, r, h), SimpleRNN 1
  static const unsigned cell = cell_rnn;
  static const bool reverse = false;
  static const bool return_sequences = false;
  static const bool reset_before = false;     // GRU linear_before_reset 0: gru_reset_before_* kernels
  typedef ap_fixed<16, 6> accum_t;            // the input product
  typedef ap_fixed<16, 6> recurrent_accum_t;  // the recurrent product
  typedef ap_fixed<17, 7> pre_t;              // accum_t + recurrent_accum_t, exactly
  typedef ap_fixed<17, 7> cand_pre_t;         // GRU: accum_t + recurrent_table_t * recurrent_accum_t, exactly
  typedef ap_fixed<18, 2> state_t;
  typedef ap_fixed<18, 2> cell_t;
  typedef ap_fixed<18, 2> table_t;
  typedef ap_ufixed<16, 0> recurrent_table_t;
  static const unsigned table_size = 1;
  static const int table_log2_step = 0;
  static const long long table_offset = 0;
  static const unsigned recurrent_table_size = 1;
  static const int recurrent_table_log2_step = 0;
  static const long long recurrent_table_offset = 0;
  typedef ap_fixed<34, 2> reset_state_t;      // GRU reset_before: r * h, exactly
  struct mult_x : dense_config {};
  struct mult_h : dense_config {};            // reset_before: the z and r columns only
  struct mult_hn : dense_config {};           // reset_before: the candidate's columns, over r * h
};

// The products of one step: a = Q_accum(bias + x W), r = Q_recurrent_accum(recurrent_bias + h R).
template <class data_T, typename CONFIG_T>
void recurrent_products(const data_T x[CONFIG_T::n_in], const typename CONFIG_T::state_t h[CONFIG_T::n_units],
                        typename CONFIG_T::accum_t a[CONFIG_T::n_gates * CONFIG_T::n_units],
                        typename CONFIG_T::recurrent_accum_t r[CONFIG_T::mult_h::n_out],
                        const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
                        const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
                        const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
                        const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out]) {
#pragma HLS INLINE
  if (CONFIG_T::mult_x::strategy == resource && CONFIG_T::mult_x::reuse_factor > 1)
    dense_resource<data_T, typename CONFIG_T::accum_t, typename CONFIG_T::mult_x>(x, a, weight, bias);
  else
    dense_latency<data_T, typename CONFIG_T::accum_t, typename CONFIG_T::mult_x>(x, a, weight, bias);
  if (CONFIG_T::mult_h::strategy == resource && CONFIG_T::mult_h::reuse_factor > 1)
    dense_resource<typename CONFIG_T::state_t, typename CONFIG_T::recurrent_accum_t, typename CONFIG_T::mult_h>(
        h, r, recurrent_weight, recurrent_bias);
  else
    dense_latency<typename CONFIG_T::state_t, typename CONFIG_T::recurrent_accum_t, typename CONFIG_T::mult_h>(
        h, r, recurrent_weight, recurrent_bias);
}

// Table lookups at the integer index of numeric/tables.h.
template <typename CONFIG_T, class data_T>
inline typename CONFIG_T::recurrent_table_t gate_of(
    const data_T& v, const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE
  return recurrent_table[table_index<data_T, CONFIG_T::recurrent_table_log2_step, CONFIG_T::recurrent_table_offset,
                                     CONFIG_T::recurrent_table_size>(v)];
}
template <typename CONFIG_T, class data_T>
inline typename CONFIG_T::table_t act_of(const data_T& v, const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
#pragma HLS INLINE
  return table[table_index<data_T, CONFIG_T::table_log2_step, CONFIG_T::table_offset, CONFIG_T::table_size>(v)];
}

template <unsigned CELL>
struct cell_tag {};

// One unit j of the cell, per cell kind (only the layer's own kind is instantiated).
template <typename CONFIG_T>
inline void recurrent_unit(cell_tag<cell_lstm>, unsigned j, const typename CONFIG_T::accum_t* a,
                           const typename CONFIG_T::recurrent_accum_t* r, typename CONFIG_T::state_t* h,
                           typename CONFIG_T::cell_t* c, const typename CONFIG_T::table_t* table,
                           const typename CONFIG_T::recurrent_table_t* recurrent_table) {
#pragma HLS INLINE
  const unsigned H = CONFIG_T::n_units;
  const typename CONFIG_T::pre_t pi = a[j] + r[j];
  const typename CONFIG_T::pre_t pf = a[H + j] + r[H + j];
  const typename CONFIG_T::pre_t pc = a[2 * H + j] + r[2 * H + j];
  const typename CONFIG_T::pre_t po = a[3 * H + j] + r[3 * H + j];
  const typename CONFIG_T::recurrent_table_t gi = gate_of<CONFIG_T>(pi, recurrent_table);
  const typename CONFIG_T::recurrent_table_t gf = gate_of<CONFIG_T>(pf, recurrent_table);
  const typename CONFIG_T::table_t gc = act_of<CONFIG_T>(pc, table);
  const typename CONFIG_T::recurrent_table_t go = gate_of<CONFIG_T>(po, recurrent_table);
  c[j] = gf * c[j] + gi * gc;  // exact products and sum, one cast to cell_t
  const typename CONFIG_T::table_t tc = act_of<CONFIG_T>(c[j], table);
  h[j] = go * tc;
}

template <typename CONFIG_T>
inline void recurrent_unit(cell_tag<cell_gru>, unsigned j, const typename CONFIG_T::accum_t* a,
                           const typename CONFIG_T::recurrent_accum_t* r, typename CONFIG_T::state_t* h,
                           typename CONFIG_T::cell_t*, const typename CONFIG_T::table_t* table,
                           const typename CONFIG_T::recurrent_table_t* recurrent_table) {
#pragma HLS INLINE
  const unsigned H = CONFIG_T::n_units;
  const typename CONFIG_T::pre_t pz = a[j] + r[j];
  const typename CONFIG_T::pre_t pr = a[H + j] + r[H + j];
  const typename CONFIG_T::recurrent_table_t z = gate_of<CONFIG_T>(pz, recurrent_table);
  const typename CONFIG_T::recurrent_table_t rg = gate_of<CONFIG_T>(pr, recurrent_table);
  const typename CONFIG_T::cand_pre_t pn = a[2 * H + j] + rg * r[2 * H + j];  // linear_before_reset
  const typename CONFIG_T::table_t cand = act_of<CONFIG_T>(pn, table);
  const ap_ufixed<1, 1> one = 1;
  h[j] = (one - z) * cand + z * h[j];
}

template <typename CONFIG_T>
inline void recurrent_unit(cell_tag<cell_rnn>, unsigned j, const typename CONFIG_T::accum_t* a,
                           const typename CONFIG_T::recurrent_accum_t* r, typename CONFIG_T::state_t* h,
                           typename CONFIG_T::cell_t*, const typename CONFIG_T::table_t* table,
                           const typename CONFIG_T::recurrent_table_t*) {
#pragma HLS INLINE
  const typename CONFIG_T::pre_t p = a[j] + r[j];
  h[j] = act_of<CONFIG_T>(p, table);
}

// The cell of one step: h (and the LSTM's c) updated from the products. Every unit reads the products only, so
// the units are independent (unrolled).
template <typename CONFIG_T>
void recurrent_cell(const typename CONFIG_T::accum_t a[CONFIG_T::n_gates * CONFIG_T::n_units],
                    const typename CONFIG_T::recurrent_accum_t r[CONFIG_T::n_gates * CONFIG_T::n_units],
                    typename CONFIG_T::state_t h[CONFIG_T::n_units], typename CONFIG_T::cell_t c[CONFIG_T::n_units],
                    const typename CONFIG_T::table_t table[CONFIG_T::table_size],
                    const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE
  for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
#pragma HLS UNROLL
    recurrent_unit<CONFIG_T>(cell_tag<CONFIG_T::cell>(), j, a, r, h, c, table, recurrent_table);
  }
}

// One step t: the products, the cell, the output row (return_sequences).
template <class data_T, class res_T, typename CONFIG_T>
void recurrent_step(unsigned t, const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
                    res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units],
                    typename CONFIG_T::state_t h[CONFIG_T::n_units], typename CONFIG_T::cell_t c[CONFIG_T::n_units],
                    const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
                    const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
                    const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
                    const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out],
                    const typename CONFIG_T::table_t table[CONFIG_T::table_size],
                    const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE
  data_T x[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = x complete
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    x[i] = data[t * CONFIG_T::n_in + i];
  }
  typename CONFIG_T::accum_t a[CONFIG_T::n_gates * CONFIG_T::n_units];
  typename CONFIG_T::recurrent_accum_t r[CONFIG_T::n_gates * CONFIG_T::n_units];
#pragma HLS ARRAY_PARTITION variable = a complete
#pragma HLS ARRAY_PARTITION variable = r complete
  recurrent_products<data_T, CONFIG_T>(x, h, a, r, weight, bias, recurrent_weight, recurrent_bias);
  recurrent_cell<CONFIG_T>(a, r, h, c, table, recurrent_table);
  if (CONFIG_T::return_sequences) {
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
#pragma HLS UNROLL
      res[t * CONFIG_T::n_units + j] = h[j];
    }
  }
}

// The states before the first step (zero), and the final state as the layer's result (return_sequences off).
template <class T, unsigned N>
inline void recurrent_zero(T a[N]) {
#pragma HLS INLINE
  for (unsigned j = 0; j < N; j++) {
#pragma HLS UNROLL
    a[j] = 0;
  }
}
template <class res_T, typename CONFIG_T>
inline void recurrent_final_state(const typename CONFIG_T::state_t h[CONFIG_T::n_units],
                                  res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units]) {
#pragma HLS INLINE
  if (!CONFIG_T::return_sequences) {
    for (unsigned j = 0; j < CONFIG_T::n_units; j++) {
#pragma HLS UNROLL
      res[j] = h[j];
    }
  }
}

// Static: one cell instance (one set of product multipliers and table ports) used by every step in turn; the
// step loop is pipelined at the products' II, each step waits for the previous state.
template <class data_T, class res_T, typename CONFIG_T>
void recurrent_static(const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
                      res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units],
                      const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
                      const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
                      const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
                      const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out],
                      const typename CONFIG_T::table_t table[CONFIG_T::table_size],
                      const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE off
  typename CONFIG_T::state_t h[CONFIG_T::n_units];
  typename CONFIG_T::cell_t c[CONFIG_T::n_units];
#pragma HLS ARRAY_PARTITION variable = h complete
#pragma HLS ARRAY_PARTITION variable = c complete
  recurrent_zero<typename CONFIG_T::state_t, CONFIG_T::n_units>(h);
  recurrent_zero<typename CONFIG_T::cell_t, CONFIG_T::n_units>(c);
  for (unsigned k = 0; k < CONFIG_T::n_steps; k++) {
#pragma HLS LOOP_FLATTEN off
    const unsigned t = CONFIG_T::reverse ? CONFIG_T::n_steps - 1 - k : k;
    recurrent_step<data_T, res_T, CONFIG_T>(t, data, res, h, c, weight, bias, recurrent_weight, recurrent_bias, table,
                                            recurrent_table);
  }
  recurrent_final_state<res_T, CONFIG_T>(h, res);
}

// Non-static: the steps unrolled, each its own cell instance; one pass through the layer is a chain of T cells.
template <class data_T, class res_T, typename CONFIG_T>
void recurrent_unrolled(const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
                        res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units],
                        const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
                        const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
                        const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
                        const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out],
                        const typename CONFIG_T::table_t table[CONFIG_T::table_size],
                        const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::mult_x::reuse_factor
  typename CONFIG_T::state_t h[CONFIG_T::n_units];
  typename CONFIG_T::cell_t c[CONFIG_T::n_units];
#pragma HLS ARRAY_PARTITION variable = h complete
#pragma HLS ARRAY_PARTITION variable = c complete
  recurrent_zero<typename CONFIG_T::state_t, CONFIG_T::n_units>(h);
  recurrent_zero<typename CONFIG_T::cell_t, CONFIG_T::n_units>(c);
  for (unsigned k = 0; k < CONFIG_T::n_steps; k++) {
#pragma HLS UNROLL
    const unsigned t = CONFIG_T::reverse ? CONFIG_T::n_steps - 1 - k : k;
    recurrent_step<data_T, res_T, CONFIG_T>(t, data, res, h, c, weight, bias, recurrent_weight, recurrent_bias, table,
                                            recurrent_table);
  }
  recurrent_final_state<res_T, CONFIG_T>(h, res);
}

// GRU with linear_before_reset 0 (Keras reset_after=False): the candidate's recurrent product reads r * h, so a
// step is two products in sequence: z and r from a + Q_recurrent_accum(rb + h R_zr), then
// n = act(a_h + Q_recurrent_accum(rb_h + (r * h) R_h)) and h = (1 - z) n + z h.
template <class data_T, class res_T, typename CONFIG_T>
void gru_reset_before_step(unsigned t, const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
                           res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units],
                           typename CONFIG_T::state_t h[CONFIG_T::n_units],
                           const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
                           const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
                           const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
                           const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out],
                           const typename CONFIG_T::mult_hn::weight_t candidate_weight[CONFIG_T::mult_hn::n_weights],
                           const typename CONFIG_T::mult_hn::bias_t candidate_bias[CONFIG_T::mult_hn::n_out],
                           const typename CONFIG_T::table_t table[CONFIG_T::table_size],
                           const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE
  const unsigned H = CONFIG_T::n_units;
  data_T x[CONFIG_T::n_in];
#pragma HLS ARRAY_PARTITION variable = x complete
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
#pragma HLS UNROLL
    x[i] = data[t * CONFIG_T::n_in + i];
  }
  typename CONFIG_T::accum_t a[3 * CONFIG_T::n_units];
  typename CONFIG_T::recurrent_accum_t r[2 * CONFIG_T::n_units];
  typename CONFIG_T::recurrent_accum_t rn[CONFIG_T::n_units];
  typename CONFIG_T::recurrent_table_t z[CONFIG_T::n_units];
  typename CONFIG_T::reset_state_t rh[CONFIG_T::n_units];
#pragma HLS ARRAY_PARTITION variable = a complete
#pragma HLS ARRAY_PARTITION variable = r complete
#pragma HLS ARRAY_PARTITION variable = rn complete
#pragma HLS ARRAY_PARTITION variable = z complete
#pragma HLS ARRAY_PARTITION variable = rh complete
  recurrent_products<data_T, CONFIG_T>(x, h, a, r, weight, bias, recurrent_weight, recurrent_bias);
  for (unsigned j = 0; j < H; j++) {
#pragma HLS UNROLL
    const typename CONFIG_T::pre_t pz = a[j] + r[j];
    const typename CONFIG_T::pre_t pr = a[H + j] + r[H + j];
    z[j] = gate_of<CONFIG_T>(pz, recurrent_table);
    rh[j] = gate_of<CONFIG_T>(pr, recurrent_table) * h[j];  // exact
  }
  if (CONFIG_T::mult_hn::strategy == resource && CONFIG_T::mult_hn::reuse_factor > 1)
    dense_resource<typename CONFIG_T::reset_state_t, typename CONFIG_T::recurrent_accum_t, typename CONFIG_T::mult_hn>(
        rh, rn, candidate_weight, candidate_bias);
  else
    dense_latency<typename CONFIG_T::reset_state_t, typename CONFIG_T::recurrent_accum_t, typename CONFIG_T::mult_hn>(
        rh, rn, candidate_weight, candidate_bias);
  const ap_ufixed<1, 1> one = 1;
  for (unsigned j = 0; j < H; j++) {
#pragma HLS UNROLL
    const typename CONFIG_T::pre_t pn = a[2 * H + j] + rn[j];
    const typename CONFIG_T::table_t cand = act_of<CONFIG_T>(pn, table);
    h[j] = (one - z[j]) * cand + z[j] * h[j];
  }
  if (CONFIG_T::return_sequences) {
    for (unsigned j = 0; j < H; j++) {
#pragma HLS UNROLL
      res[t * H + j] = h[j];
    }
  }
}

// The reset_before GRU over the sequence, static: one cell reused every step (as recurrent_static).
template <class data_T, class res_T, typename CONFIG_T>
void gru_reset_before_static(
    const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
    res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units],
    const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
    const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
    const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
    const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out],
    const typename CONFIG_T::mult_hn::weight_t candidate_weight[CONFIG_T::mult_hn::n_weights],
    const typename CONFIG_T::mult_hn::bias_t candidate_bias[CONFIG_T::mult_hn::n_out],
    const typename CONFIG_T::table_t table[CONFIG_T::table_size],
    const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE off
  typename CONFIG_T::state_t h[CONFIG_T::n_units];
#pragma HLS ARRAY_PARTITION variable = h complete
  recurrent_zero<typename CONFIG_T::state_t, CONFIG_T::n_units>(h);
  for (unsigned k = 0; k < CONFIG_T::n_steps; k++) {
#pragma HLS LOOP_FLATTEN off
    const unsigned t = CONFIG_T::reverse ? CONFIG_T::n_steps - 1 - k : k;
    gru_reset_before_step<data_T, res_T, CONFIG_T>(t, data, res, h, weight, bias, recurrent_weight, recurrent_bias,
                                                   candidate_weight, candidate_bias, table, recurrent_table);
  }
  recurrent_final_state<res_T, CONFIG_T>(h, res);
}

// Unrolled: each step its own cell (as recurrent_unrolled).
template <class data_T, class res_T, typename CONFIG_T>
void gru_reset_before_unrolled(
    const data_T data[CONFIG_T::n_steps * CONFIG_T::n_in],
    res_T res[CONFIG_T::return_sequences ? CONFIG_T::n_steps * CONFIG_T::n_units : CONFIG_T::n_units],
    const typename CONFIG_T::mult_x::weight_t weight[CONFIG_T::mult_x::n_weights],
    const typename CONFIG_T::mult_x::bias_t bias[CONFIG_T::mult_x::n_out],
    const typename CONFIG_T::mult_h::weight_t recurrent_weight[CONFIG_T::mult_h::n_weights],
    const typename CONFIG_T::mult_h::bias_t recurrent_bias[CONFIG_T::mult_h::n_out],
    const typename CONFIG_T::mult_hn::weight_t candidate_weight[CONFIG_T::mult_hn::n_weights],
    const typename CONFIG_T::mult_hn::bias_t candidate_bias[CONFIG_T::mult_hn::n_out],
    const typename CONFIG_T::table_t table[CONFIG_T::table_size],
    const typename CONFIG_T::recurrent_table_t recurrent_table[CONFIG_T::recurrent_table_size]) {
#pragma HLS INLINE off
#pragma HLS PIPELINE II = CONFIG_T::mult_x::reuse_factor
  typename CONFIG_T::state_t h[CONFIG_T::n_units];
#pragma HLS ARRAY_PARTITION variable = h complete
  recurrent_zero<typename CONFIG_T::state_t, CONFIG_T::n_units>(h);
  for (unsigned k = 0; k < CONFIG_T::n_steps; k++) {
#pragma HLS UNROLL
    const unsigned t = CONFIG_T::reverse ? CONFIG_T::n_steps - 1 - k : k;
    gru_reset_before_step<data_T, res_T, CONFIG_T>(t, data, res, h, weight, bias, recurrent_weight, recurrent_bias,
                                                   candidate_weight, candidate_bias, table, recurrent_table);
  }
  recurrent_final_state<res_T, CONFIG_T>(h, res);
}

}  // namespace firmnet_hls

#endif
