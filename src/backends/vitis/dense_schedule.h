#pragma once
// The Dense kernels' weight order (kernels/firmnet_hls.h, docs/BACKEND_VITIS.md) for the schedule of the
// hardware plan, and how the products are accumulated. Shared by the emitter and the feasibility check.
#include <cstdint>
#include <vector>
#include <string>

#include "ir/graph.h"
#include "ir/hardware.h"
#include "numeric/fixed.h"

namespace firmnet::backends::vitis {

// The schedule itself is part of the hardware plan (ir/hardware.h); the ROM order and the product-cast proof
// below are this backend's.
using ir::DenseSchedule;
using ir::dense_schedule;

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
