#pragma once
// The schedule of one Dense layer in the HLS kernels (kernels/firmnet_hls.h, docs/BACKEND_VITIS.md):
// which kernel, how many multipliers, how the Resource strategy cuts the work into pipelined iterations,
// and how the products are accumulated. Shared by the emitter and the feasibility check.
#include <cstdint>
#include <vector>
#include <string>

#include "ir/graph.h"
#include "numeric/fixed.h"

namespace firmnet::backends::vitis {

struct DenseSchedule {
  bool resource = false;      // dense_resource (Resource strategy with reuse_factor > 1), else dense_latency
  int64_t n_in = 0, n_out = 0, reuse_factor = 1;
  int64_t n_mult = 0;         // multipliers (dense_resource: weights per ROM word)
  int64_t n_weights = 0;      // stored weights (dense_resource: padded to n_chunks * n_iters * n_mult)
  // dense_resource: n_chunks output blocks of out_per_chunk, n_iters iterations of in_per_iter inputs.
  int64_t n_chunks = 1, n_iters = 1, in_per_iter = 1, out_per_chunk = 1;
  int64_t rom_words() const { return n_chunks * n_iters; }
};

DenseSchedule dense_schedule(int64_t n_in, int64_t n_out, int reuse_factor, ir::Strategy strategy);

// Index in the stored weight array (kernel order) of W[i][j] (model order i*n_out + j).
int64_t stored_weight_index(const DenseSchedule& s, int64_t i, int64_t j);
// Row-major weights [n_in][n_out] rearranged into the Resource kernel's ROM order (stored_weight_index; the
// padding words zero): Dense, Conv and the recurrent products store their weights this way.
std::vector<int64_t> weights_in_kernel_order(const DenseSchedule& s, const std::vector<int64_t>& row_major,
                                             int64_t n_in, int64_t n_out);

// Whether acc = Q_accum(acc + x*w), step by step from Q_accum(bias), gives the same bits as summing
// Q(x*w) in `accum` with WRAP overflow (so a balanced modular adder tree): true when the accumulator's
// rounding commutes with adding a value on its grid (TRN, RND, RND_MIN_INF, or no bits are dropped) and
// either it wraps or no partial sum can leave its range (checked from the weights, the biases and the
// input type). `why` says which. Bits never change: when false the kernel keeps the serial chain.
bool product_cast_is_exact(const numeric::FixedType& accum, const numeric::FixedType& input,
                           const numeric::FixedType& weight, const ir::Tensor& weights, const ir::Tensor& biases,
                           const numeric::FixedType& bias_type, std::string* why);

}  // namespace firmnet::backends::vitis
