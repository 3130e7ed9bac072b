// Recurrent layers, io_parallel (backends/vitis/kernels/firmnet_rnn.h): one step is the input product and the
// recurrent product (the Dense model over the layer's actual weights, at ReuseFactor and recurrent_reuse_factor),
// then the cell: table reads for every gate, the cell's products (3 per unit: LSTM f*c, i*g, o*tanh(c); GRU
// r*(h R), (1-z)*n, z*h) and a second table read (LSTM tanh(c)). A static layer runs that step T times in turn
// (each step waits for the previous state: latency and II T x step); an unrolled layer has T copies of it in a
// chain (latency T x step, II the reuse factor, resources x T). A GRU with linear_before_reset 0 adds r*h and a
// second pass of the recurrent product's depth (its candidate columns over r*h) to every step.
#include <algorithm>
#include <fmt/format.h>

#include "estimate/model.h"
#include "ir/recurrent.h"

namespace firmnet::estimate {

Row estimate_recurrent(const Context& c, const ir::Node& n) {
  const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(c.g, n);
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  Row row = start_row(n);
  // The input product: the node's own weight, bias and accum, as a Dense.
  const Row x = estimate_dense(c, n);
  // The recurrent product: a Dense over h (the state type) with the recurrent weights.
  ir::Graph rg;
  ir::Tensor h;
  h.name = "h";
  h.shape = {a.units};
  h.type = n.types.at("state");
  const ir::TensorId hi = rg.add_tensor(h);
  ir::Tensor r = h;
  r.name = "r";
  r.shape = {a.gate_width()};
  r.type = n.types.at("recurrent_accum");
  const ir::TensorId ri = rg.add_tensor(r);
  const ir::TensorId wi = rg.add_tensor(c.g.tensor(n.param("recurrent_weight")));
  const ir::TensorId bi = rg.add_tensor(c.g.tensor(n.param("recurrent_bias")));
  ir::Node d;
  d.name = n.name + "_recurrent";
  d.kind = ir::OpKind::Dense;
  d.inputs = {hi};
  d.outputs = {ri};
  d.params = {{"weight", wi}, {"bias", bi}};
  d.types["accum"] = n.types.at("recurrent_accum");
  d.reuse_factor = n.has_attr("recurrent_reuse_factor") ? static_cast<int>(n.attr_int("recurrent_reuse_factor")) : n.reuse_factor;
  d.strategy = n.strategy;
  const Context rc{rg, c.target, c.part, c.chain, c.rows, c.hw};  // estimate_dense reads no plan entry
  const int64_t rr_start = c.chain.cycles();
  const Row rr = estimate_dense(rc, d);
  const int64_t rr_cycles = c.chain.cycles() - rr_start;
  // The cell: gate table reads, the cell's products, the state table read (LSTM) and product.
  const int64_t H = a.units, G = a.gates();
  const auto& tt = n.tables.at("table").entry;
  const int sw = n.types.at("state").width;
  Resources cell;
  const int64_t act_reads = a.cell == ir::CellKind::LSTM ? 2 * H : H;
  const Rom t1 = rom(n.tables.at("table").size(), tt.width, act_reads);
  cell += t1.res;
  if (a.has_recurrent_activation()) {
    const auto& gt = n.tables.at("recurrent_table").entry;
    cell += rom(n.tables.at("recurrent_table").size(), gt.width, (G - 1) * H).res;
  }
  const int64_t cell_products = a.cell == ir::CellKind::RNN ? 0 : 3 * H;
  const Product p = variable_product(tt.width, sw, c.dsp48e2());
  cell.dsp += cell_products * p.dsp;
  cell.lut += cell_products * p.lut + G * H * sw;  // and the gate sums a + r
  c.chain.rom_read(12, G * H * sw);
  if (a.reset_before()) {  // r * h, then the candidate's product (a third of the recurrent product's multipliers,
    cell.dsp += H * p.dsp;  // counted above) in sequence: as deep as the product over h
    cell.lut += H * p.lut;
    c.chain.op(p.ns, H * sw);
    c.chain.stages(rr_cycles, 0);
  }
  if (cell_products) c.chain.op(p.ns, H * sw);
  if (a.cell == ir::CellKind::LSTM) {
    c.chain.rom_read(12, H * sw);
    c.chain.op(p.ns, H * sw);
  }
  const int64_t step = std::max<int64_t>(1, c.chain.cycles() - start);
  const int64_t copies = a.is_static ? 1 : a.steps;
  const int64_t step_ff = c.chain.ff() - ff0;  // one step's pipeline registers (a static layer reuses them)
  c.chain.stages((a.steps - 1) * step, 0);
  row.res = x.res;
  row.res += rr.res;
  row.res += cell;
  row.res.ff = 0;  // the products' registers are in step_ff (the chain), counted below
  if (copies > 1) {  // (the pipeline registers are added below, per copy)
    Resources one = row.res;
    row.res = Resources{};
    for (int64_t k = 0; k < copies; ++k) row.res += one;
  }
  row.res.ff += step_ff * copies;
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.ii = a.is_static ? row.latency_max : std::max({1, n.reuse_factor, d.reuse_factor});
  row.detail = fmt::format("{} {} x {} steps of {} cycles; input product: {}; recurrent product: {}; cell: {} products, "
                           "{} table reads", ir::name(a.cell), a.is_static ? "static" : "unrolled", a.steps, step,
                           x.detail, rr.detail, cell_products, act_reads + (a.has_recurrent_activation() ? (G - 1) * H : 0));
  return row;
}

}  // namespace firmnet::estimate
