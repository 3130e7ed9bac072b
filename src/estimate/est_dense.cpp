// Dense: the products by the actual quantized weights, the adder tree per output, and reuse folding
// (backends/vitis/kernels: dense_latency, dense_resource).
#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "estimate/model.h"
#include "ir/hardware.h"

namespace firmnet::estimate {
Row estimate_dense(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const ir::Tensor& w = g.tensor(n.param("weight"));
  const ir::Tensor& b = g.tensor(n.param("bias"));
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& acc = n.types.count("accum") ? n.types.at("accum") : type_of(g, n.outputs.at(0));
  const auto& res = type_of(g, n.outputs.at(0));
  const int64_t n_out = b.size();
  const int64_t n_in = n_out ? w.size() / n_out : 0;
  const int R = std::max(1, n.reuse_factor);
  const bool e2 = c.dsp48e2();

  // Per weight: what HLS makes of the constant product; per output: how many terms reach the adders.
  int64_t zeros = 0, shifts = 0, luts = 0, dsps = 0, dsp_slices_const = 0, lut_const = 0;
  std::vector<int64_t> terms(static_cast<size_t>(n_out), 0);
  double mul_ns = 0;
  for (int64_t i = 0; i < n_in; ++i)
    for (int64_t j = 0; j < n_out; ++j) {
      const Product p = constant_product(xt.width, w.raw.at(static_cast<size_t>(i * n_out + j)), e2);
      switch (p.kind) {
        case Product::Zero: ++zeros; continue;
        case Product::Shift: ++shifts; break;
        case Product::Lut: ++luts; break;
        case Product::Dsp: ++dsps; break;
      }
      dsp_slices_const += p.dsp;
      lut_const += p.lut;
      mul_ns = std::max(mul_ns, p.ns);
      ++terms[static_cast<size_t>(j)];
    }
  int64_t adders = 0, max_terms = 0;
  for (int64_t j = 0; j < n_out; ++j) {
    const int64_t t = terms[static_cast<size_t>(j)] + (b.raw.at(static_cast<size_t>(j)) != 0 ? 1 : 0);
    adders += std::max<int64_t>(t - 1, 0);
    max_terms = std::max(max_terms, t);
  }
  const int64_t cast = cast_lut(acc, res) * n_out;
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  const int64_t in_bits = n_in * xt.width, acc_bits = n_out * acc.width;

  // acc = Q_accum(acc + x*w) in order: with a truncating, wrapping accumulator this equals summing the
  // truncated products modulo 2^W, which HLS balances into a tree; rounding or saturation keeps the chain.
  const bool tree = acc.rounding == numeric::Rounding::TRN && acc.overflow == numeric::Overflow::WRAP;
  const int depth = tree ? ceil_log2(max_terms) : static_cast<int>(std::max<int64_t>(max_terms - 1, 0));
  auto adder_levels = [&] {
    for (int l = 0; l < depth; ++l)
      c.chain.op(add_ns(acc.width), acc_bits * (tree ? std::max<int64_t>(1, max_terms >> l) : 1));
  };
  if (R == 1) {
    // Fully unrolled (either strategy: one ROM word of all weights is constants): one constant product
    // per non-zero weight, an adder tree (or chain) per output.
    row.res.dsp = dsp_slices_const;
    row.res.lut = lut_const + adders * acc.width + cast;
    c.chain.op(mul_ns, in_bits);
    adder_levels();
    row.detail = fmt::format("{} DSP / {} LUT / {} shift products, {} zero weights; adder {} depth {}", dsps, luts,
                             shifts, zeros, tree ? "tree" : "chain", depth);
  } else {
    // Folded: the products share ceil(products / R) multipliers fed through R:1 operand muxes. Latency
    // strategy keeps constant zeros out (HLS removes them before allocation); Resource strategy reads
    // the weights from a reshaped array, so every weight takes a multiplier slot.
    const bool resource = n.strategy == ir::Strategy::Resource;
    const int64_t products = resource ? n_in * n_out : dsps + luts;
    // Resource: the multipliers dense_resource instantiates (the hardware plan's schedule, ir/hardware.h: one
    // ROM word of weights per iteration, padded where R does not divide n_in).
    const int64_t n_mult = resource ? ir::dense_schedule(n_in, n_out, R, n.strategy).n_mult : (products + R - 1) / R;
    const Product p = variable_product(xt.width, w.type ? w.type->width : 18, e2);
    row.res.dsp = n_mult * p.dsp;
    row.res.lut = n_mult * (p.lut + mux_lut(R, xt.width)) + cast;  // each multiplier selects its input
    if (resource) {
      // The weights: R words of n_mult weights (ARRAY_RESHAPE), one ROM word per iteration; each
      // multiplier feeds one accumulator lane.
      const Rom wr = rom(R, static_cast<int>(n_mult * (w.type ? w.type->width : 18)), 1);
      row.res += wr.res;
      row.res.lut += n_mult * acc.width;
      // Pipelined loop of R iterations: read, multiply (DSP registered), accumulate; then the result.
      c.chain.stages(R + (wr.bram ? 1 : 0) + 1, acc_bits);
      c.chain.op(add_ns(acc.width), acc_bits);
    } else {
      // The constant weights reach the shared multipliers through R:1 muxes, and every product still has
      // its own adder.
      row.res.lut += n_mult * mux_lut(R, w.type ? w.type->width : 18) + adders * acc.width;
      // ALLOCATION limits the multipliers: HLS spreads the products over R cycles, then the adder tree.
      c.chain.op(p.ns, in_bits);
      c.chain.stages(R - 1, n_mult * acc.width);
      adder_levels();
    }
    row.detail = fmt::format("{} shared multipliers ({} {}) for {} products, reuse {}", n_mult,
                             p.kind == Product::Dsp ? "DSP" : "LUT", resource ? "resource" : "latency", products, R);
  }
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  return row;
}

}  // namespace firmnet::estimate
