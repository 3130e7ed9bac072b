// The estimate of a whole graph: every layer through one chained schedule (the io_parallel top function
// is one pipeline), totals, the block-level control, the part's capacity.
#include "estimate/estimate.h"

#include <algorithm>

#include "estimate/model.h"
#include "support/error.h"

namespace firmnet::estimate {
Row estimate_layer(const Context& c, const ir::Node& n) {
  switch (n.kind) {
    case ir::OpKind::Dense: return estimate_dense(c, n);
    case ir::OpKind::Activation: return estimate_activation(c, n);
    case ir::OpKind::Softmax: return estimate_softmax(c, n);
    case ir::OpKind::Elementwise: return estimate_elementwise(c, n);
    case ir::OpKind::BatchNorm: return estimate_batchnorm(c, n);
    case ir::OpKind::Rescale: return estimate_rescale(c, n);
    case ir::OpKind::MultiThreshold: return estimate_multithreshold(c, n);
    case ir::OpKind::ArgMax: return estimate_argmax(c, n);
    case ir::OpKind::Quantize: return estimate_quantize(c, n);
    case ir::OpKind::Conv: return estimate_conv(c, n);
    case ir::OpKind::Pool: return estimate_pool(c, n);
    case ir::OpKind::Recurrent: return estimate_recurrent(c, n);
    case ir::OpKind::GarNet: return estimate_garnet(c, n);
    case ir::OpKind::Input:
    case ir::OpKind::Transpose:
    case ir::OpKind::Upsample:
    case ir::OpKind::Slice:
    case ir::OpKind::Reshape:
    case ir::OpKind::Concat: return estimate_shape(c, n);
  }
  return start_row(n);
}

namespace {

// The top function's block-level handshake (ap_ctrl_hs) and pipeline enables: one register per stage; and the
// input ports' registers (an ap_vld input is held in a register, its `_preg`, so that it stays valid: the
// reports' FF of a combinational design are its input bits + 2, e.g. 16 + 2 for Dense 1->64 + ReLU, 363 x 16 + 2
// for a MaxPooling1D over 121 x 3).
inline constexpr int64_t kControlFF = 2;
inline constexpr int64_t kControlLut = 8;

}  // namespace

Estimate estimate(const ir::Graph& g, const Target& t, const ir::HardwarePlan& hw) {
  if (t.io_type != "io_parallel" && t.io_type != "io_stream")
    throw Error("estimate", "IOType '" + t.io_type + "' is not modelled", "use IOType io_parallel or io_stream");
  if (hw.target.io_type != t.io_type || hw.layers.size() != g.nodes.size())
    throw Error("estimate", "the hardware plan was made for IOType " + hw.target.io_type + " or another graph, not for this " + t.io_type + " estimate",
                "call driver::estimate (it plans the graph for its configuration)");
  g.verify(true);
  Estimate e;
  e.part = t.part;
  e.part_info = find_part(t.part);
  e.clock_ns = t.clock_ns;
  if (t.io_type == "io_stream") {
    estimate_dataflow(g, t, hw, e);
    check_capacity(e, e.feasibility);
    return e;
  }
  const bool slow = e.part_info && !e.part_info->dsp48e2;  // 7-series fabric
  Chain chain(t.budget_ns(), slow ? kSlowFamily : 1.0);
  Context c{g, t, e.part_info, chain, 1, hw};
  e.total.name = g.name;
  e.total.op = "total";
  for (const ir::Node& n : g.nodes) {
    if (n.kind == ir::OpKind::Input) continue;
    Row r = estimate_layer(c, n);
    e.total.res += r.res;
    e.total.ii = std::max(e.total.ii, r.ii);
    e.layers.push_back(std::move(r));
  }
  e.total.latency_min = e.total.latency_max = chain.cycles();
  int64_t input_bits = 0;
  for (ir::TensorId id : g.inputs) input_bits += g.tensor(id).size() * type_of(g, id).width;
  e.total.res.ff += input_bits + kControlFF + 2 * chain.cycles();
  e.total.res.lut += kControlLut + chain.cycles();
  check_capacity(e, e.feasibility);
  return e;
}

std::vector<std::pair<std::string, double>> utilisation(const Estimate& e) {
  std::vector<std::pair<std::string, double>> u;
  if (!e.part_info) return u;
  const Resources& cap = e.part_info->capacity;
  const Resources& r = e.total.res;
  auto pct = [](int64_t used, int64_t avail) { return avail > 0 ? 100.0 * double(used) / double(avail) : 0.0; };
  u.emplace_back("dsp", pct(r.dsp, cap.dsp));
  u.emplace_back("lut", pct(r.lut, cap.lut));
  u.emplace_back("ff", pct(r.ff, cap.ff));
  u.emplace_back("bram_18k", pct(r.bram_18k, cap.bram_18k));
  u.emplace_back("uram", pct(r.uram, cap.uram));
  return u;
}

}  // namespace firmnet::estimate
