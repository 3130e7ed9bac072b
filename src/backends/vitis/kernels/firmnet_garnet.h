#ifndef FIRMNET_GARNET_H_
#define FIRMNET_GARNET_H_
// firmnet HLS kernel of the GarNet layer (io_parallel): one simplified GarNet sublayer over x [V, F] and the
// number of valid vertices n. Semantics: docs/NUMERICS.md "GarNet"; schedule: docs/BACKEND_VITIS.md "GarNet".
//
// The vertex loop runs reuse_factor pipelined iterations of V / reuse_factor vertices each: per vertex and
// aggregator the distance (an exact sum cast to distance_t), its edge weight from the exp(-d^2) table (0 for an
// invalid vertex) and the exact sums of the edge weights and of the edge-weighted features. Then, once: the
// means (times 1/V), the aggregated features (FLR applied to the means), the output base (Fout applied to them),
// and the output: per vertex (collapse none, max) or from the sums over the vertices (mean, sum). Every *_sum_t
// holds its sum exactly (the emitter sizes it), so the only roundings are the assignments to distance_t,
// edge_weight_aggr_t, aggr_t and res_T.
#include "firmnet_hls.h"

namespace firmnet_hls {

enum garnet_collapse_t { garnet_none = 0, garnet_mean = 1, garnet_sum = 2, garnet_max = 3 };

struct garnet_config {
  static const unsigned n_vertices = 1;
  static const unsigned n_in = 1;
  static const unsigned n_aggregators = 1;
  static const unsigned n_propagate = 1;
  static const unsigned n_out = 1;
  static const unsigned collapse = garnet_mean;
  static const unsigned reuse_factor = 1;  // divides n_vertices
  typedef ap_fixed<16, 4> distance_t;
  typedef ap_ufixed<18, 1> table_t;  // the edge weight
  typedef ap_ufixed<18, 1> edge_weight_aggr_t;
  typedef ap_fixed<24, 8> aggr_t;
  typedef ap_uint<1> nv_t;  // the valid-vertex count, 0..V
  typedef ap_fixed<32, 8> dist_sum_t, edge_sum_t, feature_sum_t, aggr_sum_t, base_sum_t, out_sum_t;
  typedef ap_fixed<16, 6> s_weight_t, s_bias_t, flr_weight_t, flr_bias_t, fout_weight_t, fout_bias_t;
  typedef ap_ufixed<1, 0> reciprocal_t;
  static const unsigned table_size = 1;
  static const int table_log2_step = 0;
  static const long long table_offset = 0;
};

// floor(n) clamped to [0, V]: the table index arithmetic of firmnet_hls.h with a step of 1 and no offset.
template <class nvtx_T, unsigned V>
inline unsigned garnet_valid_vertices(const nvtx_T& n) {
  ap_int<table_shift<nvtx_T, 0>::pos_width> pos = table_position<nvtx_T, 0, 0>(n);
  if (pos < 0) return 0;
  if (pos > (long long)V) return V;
  return (unsigned)pos.to_int64();
}

template <class data_T, class nvtx_T, class res_T, typename CONFIG_T>
void garnet(const data_T x[CONFIG_T::n_vertices * CONFIG_T::n_in], const nvtx_T nvtx[1],
            res_T res[CONFIG_T::collapse == garnet_none ? CONFIG_T::n_vertices * CONFIG_T::n_out : CONFIG_T::n_out],
            const typename CONFIG_T::flr_weight_t flr_weight[CONFIG_T::n_in * CONFIG_T::n_propagate],
            const typename CONFIG_T::flr_bias_t flr_bias[CONFIG_T::n_propagate],
            const typename CONFIG_T::s_weight_t s_weight[CONFIG_T::n_in * CONFIG_T::n_aggregators],
            const typename CONFIG_T::s_bias_t s_bias[CONFIG_T::n_aggregators],
            const typename CONFIG_T::fout_weight_t fout_weight[CONFIG_T::n_aggregators * CONFIG_T::n_propagate * CONFIG_T::n_out],
            const typename CONFIG_T::fout_bias_t fout_bias[CONFIG_T::n_out],
            const typename CONFIG_T::reciprocal_t reciprocal[1],
            const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
  const unsigned V = CONFIG_T::n_vertices, F = CONFIG_T::n_in, A = CONFIG_T::n_aggregators, P = CONFIG_T::n_propagate,
                 O = CONFIG_T::n_out;
  const unsigned lanes = V / CONFIG_T::reuse_factor;
  const unsigned nv = garnet_valid_vertices<nvtx_T, V>(nvtx[0]);

  typename CONFIG_T::edge_sum_t edge_sum[A];
  typename CONFIG_T::feature_sum_t feature_sum[A * F];
  typename CONFIG_T::table_t edge[V * A];
#pragma HLS ARRAY_PARTITION variable = edge_sum complete
#pragma HLS ARRAY_PARTITION variable = feature_sum complete
#pragma HLS ARRAY_PARTITION variable = edge cyclic factor = lanes * A
  for (unsigned a = 0; a < A; a++) {
#pragma HLS UNROLL
    edge_sum[a] = 0;
    for (unsigned i = 0; i < F; i++) feature_sum[a * F + i] = 0;
  }

  for (unsigned vo = 0; vo < CONFIG_T::reuse_factor; vo++) {
#pragma HLS PIPELINE II = 1
    for (unsigned vi = 0; vi < lanes; vi++) {
#pragma HLS UNROLL
      const unsigned v = vo * lanes + vi;
      for (unsigned a = 0; a < A; a++) {
        typename CONFIG_T::dist_sum_t d = s_bias[a];
        for (unsigned i = 0; i < F; i++) d += x[v * F + i] * s_weight[i * A + a];
        typename CONFIG_T::distance_t dq = d;
        typename CONFIG_T::table_t e = 0;
        if (v < nv)
          e = table[table_index<typename CONFIG_T::distance_t, CONFIG_T::table_log2_step, CONFIG_T::table_offset,
                                CONFIG_T::table_size>(dq)];
        edge[v * A + a] = e;
        edge_sum[a] += e;
        for (unsigned i = 0; i < F; i++) feature_sum[a * F + i] += e * x[v * F + i];
      }
    }
  }

  // The means over the V vertices, the aggregated features and the output base.
  typename CONFIG_T::edge_weight_aggr_t edge_mean[A];
  typename CONFIG_T::aggr_t feature_mean[A * F], aggr[A * P], base[O * A];
#pragma HLS ARRAY_PARTITION variable = edge_mean complete
#pragma HLS ARRAY_PARTITION variable = feature_mean complete
#pragma HLS ARRAY_PARTITION variable = aggr complete
#pragma HLS ARRAY_PARTITION variable = base complete
  for (unsigned a = 0; a < A; a++) {
#pragma HLS UNROLL
    edge_mean[a] = edge_sum[a] * reciprocal[0];
    for (unsigned i = 0; i < F; i++) feature_mean[a * F + i] = feature_sum[a * F + i] * reciprocal[0];
  }
  for (unsigned a = 0; a < A; a++) {
#pragma HLS UNROLL
    for (unsigned p = 0; p < P; p++) {
      typename CONFIG_T::aggr_sum_t s = flr_bias[p] * edge_mean[a];
      for (unsigned i = 0; i < F; i++) s += flr_weight[i * P + p] * feature_mean[a * F + i];
      aggr[a * P + p] = s;
    }
  }
  for (unsigned o = 0; o < O; o++) {
#pragma HLS UNROLL
    for (unsigned a = 0; a < A; a++) {
      typename CONFIG_T::base_sum_t s = 0;
      for (unsigned p = 0; p < P; p++) s += aggr[a * P + p] * fout_weight[(a * P + p) * O + o];
      base[o * A + a] = s;
    }
  }

  if (CONFIG_T::collapse == garnet_mean || CONFIG_T::collapse == garnet_sum) {
    const typename CONFIG_T::nv_t n_valid = nv;
    for (unsigned o = 0; o < O; o++) {
#pragma HLS UNROLL
      typename CONFIG_T::out_sum_t s = fout_bias[o] * n_valid;
      for (unsigned a = 0; a < A; a++) s += edge_sum[a] * base[o * A + a];
      if (CONFIG_T::collapse == garnet_mean) res[o] = s * reciprocal[0];
      else res[o] = s;
    }
    return;
  }
  res_T best[O];
#pragma HLS ARRAY_PARTITION variable = best complete
  for (unsigned vo = 0; vo < CONFIG_T::reuse_factor; vo++) {
#pragma HLS PIPELINE II = 1
    for (unsigned vi = 0; vi < lanes; vi++) {
#pragma HLS UNROLL
      const unsigned v = vo * lanes + vi;
      for (unsigned o = 0; o < O; o++) {
        typename CONFIG_T::out_sum_t s = fout_bias[o];
        for (unsigned a = 0; a < A; a++) s += edge[v * A + a] * base[o * A + a];
        res_T y = s;
        if (v >= nv) y = 0;
        if (CONFIG_T::collapse == garnet_none) res[v * O + o] = y;
        else if (v == 0 || y > best[o]) best[o] = y;
      }
    }
  }
  if (CONFIG_T::collapse == garnet_max)
    for (unsigned o = 0; o < O; o++) {
#pragma HLS UNROLL
      res[o] = best[o];
    }
}

}  // namespace firmnet_hls

#endif
