// GarNet, io_parallel (backends/vitis/kernels/firmnet_garnet.h): an approximation from the kernel's plan
// (docs/ESTIMATE.md "GarNet"). The vertex loop runs ReuseFactor pipelined iterations of L = V / ReuseFactor
// vertices: per vertex and aggregator F constant products and an adder tree (the distance), one read of the
// exp(-d^2) table, F variable products e * x into the sums. Then once: the means (products by the constant 1/V),
// FLR (A*P*(F+1) constant products) and Fout (O*A*P constant products) on them, and the output: per vertex
// (collapse none/max: a second loop of ReuseFactor iterations, L*A*O variable products) or from the sums
// (mean/sum: O*A variable products). The layer is not pipelined across samples: its II is its latency.
#include <algorithm>
#include <fmt/format.h>

#include "estimate/model.h"
#include "ir/garnet.h"
#include "numeric/bits.h"

namespace firmnet::estimate {

Row estimate_garnet(const Context& c, const ir::Node& n) {
  const ir::GarNetAttrs a = ir::GarNetAttrs::of(c.g, n);
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  Row row = start_row(n);
  const bool dsp48e2 = c.dsp48e2();
  const int64_t R = std::max(1, n.reuse_factor), L = std::max<int64_t>(1, a.vertices / R);
  const int64_t F = a.in_features, A = a.aggregators, P = a.propagate, O = a.out_features;
  const auto& tx = type_of(c.g, n.inputs.at(0));
  const auto& te = n.types.at("edge_weight");
  const auto& tg = n.types.at("aggr");
  const auto& td = n.types.at("distance");
  Resources res;
  // Products by the constants of a parameter (each weight once), copied `copies` times.
  auto constant_products = [&](const char* key, int x_width, int64_t copies) {
    double ns = 0;
    for (int64_t r : c.g.tensor(n.param(key)).raw) {
      const Product p = constant_product(x_width, r, dsp48e2);
      res.dsp += copies * p.dsp;
      res.lut += copies * (p.lut + (p.kind == Product::Dsp ? kDspGlueLut : 0));
      ns = std::max(ns, p.ns);
    }
    return ns;
  };
  // The vertex loop body (L vertices).
  const double ns_d = constant_products("s_weight", tx.width, L);
  res.lut += L * A * F * td.width;  // the distance adders
  const Rom table = rom(n.tables.at("edge").size(), te.width, L * A);
  res += table.res;
  const Product pe = variable_product(te.width, tx.width, dsp48e2);
  res.dsp += L * A * F * pe.dsp;
  res.lut += L * A * F * (pe.lut + te.width + tx.width);  // and the accumulators' adders
  c.chain.op(ns_d, L * F * tx.width);
  c.chain.op(add_ns(td.width) * numeric::ceil_log2(F + 1), L * A * td.width);
  c.chain.rom_read(n.tables.at("edge").log2_size, L * A * te.width);
  c.chain.op(pe.ns, A * F * (te.width + tx.width));
  c.chain.stages(R - 1, A * (F + 1) * (te.width + tx.width + numeric::ceil_log2(a.vertices)));
  // Once: means, FLR, Fout.
  const int sum_width = te.width + tx.width + numeric::ceil_log2(a.vertices);
  const double ns_m = constant_products("reciprocal", sum_width, A * (F + 1));
  const double ns_f = constant_products("flr_weight", tg.width, A);
  const double ns_o = constant_products("fout_weight", tg.width, 1);
  res.lut += A * P * (F + 1) * tg.width + O * A * P * tg.width;  // the adders of FLR and Fout
  c.chain.op(ns_m, A * (F + 1) * tg.width);
  c.chain.op(ns_f + add_ns(tg.width) * numeric::ceil_log2(F + 1), A * P * tg.width);
  c.chain.op(ns_o + add_ns(tg.width) * numeric::ceil_log2(P), O * A * tg.width);
  // The output.
  const int out_width = type_of(c.g, n.outputs.at(0)).width;
  if (a.per_vertex_output()) {
    const Product po = variable_product(te.width, tg.width, dsp48e2);
    res.dsp += L * A * O * po.dsp;
    res.lut += L * A * O * (po.lut + tg.width) + (a.collapse == ir::GarNetCollapse::Max ? L * O * 2 * out_width : 0);
    c.chain.op(po.ns + add_ns(tg.width) * numeric::ceil_log2(A + 1), L * O * out_width);
    c.chain.stages(R - 1, O * out_width);
  } else {
    const Product po = variable_product(sum_width, tg.width, dsp48e2);
    res.dsp += O * A * po.dsp;
    res.lut += O * A * (po.lut + tg.width);
    c.chain.op(po.ns + add_ns(tg.width) * numeric::ceil_log2(A + 1), O * out_width);
  }
  row.res = res;
  row.res.ff = c.chain.ff() - ff0;  // the pipeline registers of the chain above
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.ii = std::max<int64_t>(1, row.latency_max);
  row.detail = fmt::format("GarNet {} vertices in {} iterations of {}, {} aggregators, {} propagated, {} out, collapse {}; "
                           "edge table {} entries",
                           a.vertices, R, L, A, P, O, ir::name(a.collapse), n.tables.at("edge").size());
  return row;
}

}  // namespace firmnet::estimate
