// check_feasibility: every layer against the limits of the HLS tools, with the schedule the kernels ask
// for (dense_schedule.h): layers the tool would stop on (Vivado HLS over its partition limit) or would
// synthesize into something unreasonable. Each names the layer, the number, the limit and the fix.
#include <fmt/format.h>

#include <algorithm>

#include "backends/vitis/dense_schedule.h"
#include "backends/vitis/stream.h"
#include "backends/vitis/vendor.h"
#include "backends/vitis/vitis_backend.h"
#include "ir/recurrent.h"
#include "ir/spatial.h"

namespace firmnet::backends {

using namespace vitis;

namespace {

std::string big(int64_t v) {  // 50176 -> "50,176"
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > (s[0] == '-' ? 1 : 0); i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string where(const ir::Node& n) { return "layer '" + n.name + "'"; }

struct Limits {
  int64_t partition;  // elements of one ARRAY_PARTITION complete
  std::string partition_what;
};

Limits limits_of(const config::Config& cfg) {
  const bool vivado = vendor_spelling(cfg.backend).tool == "vivado_hls";
  if (vivado)
    return {kVivadoPartitionLimit, "Vivado HLS's complete-partition limit (XFORM 203-103 stops synthesis)"};
  return {kVitisPartitionLimit, "the project's config_array_partition -maximum_size"};
}

// The smallest valid reuse factor whose Resource schedule fits the limits, or 0 when none does.
int suggest_reuse(int64_t n_in, int64_t n_out, int weight_bits) {
  const int64_t total = n_in * n_out;
  for (int64_t d = 2; d <= total && d <= (int64_t{1} << 30); ++d) {
    if (total % d != 0) continue;
    const DenseSchedule s = dense_schedule(n_in, n_out, static_cast<int>(d), ir::Strategy::Resource);
    if (s.n_mult <= kUnrollLimit && s.n_mult * weight_bits <= kReshapeWordBits) return static_cast<int>(d);
  }
  return 0;
}

// The Dense product of `n_in` inputs and `n_out` outputs that the layer computes at once (a Dense layer, or
// the window product of a Conv: `what` names it), with the schedule of its strategy and reuse factor.
void check_product(const ir::Node& n, const std::string& what, int64_t n_in, int64_t n_out, int wbits,
                   const std::string& extra_fix, const Limits& lim, std::vector<FeasibilityFinding>& out) {
  const DenseSchedule s = dense_schedule(n_in, n_out, n.reuse_factor, n.strategy);
  const int rf = suggest_reuse(n_in, n_out, wbits);
  const std::string fix =
      (rf ? fmt::format("use Strategy: Resource with ReuseFactor {} or larger (a divisor of {}; {} multipliers, one {}-bit "
                        "ROM word per cycle), e.g. LayerName: {{{}: {{Strategy: Resource, ReuseFactor: {}}}}}",
                        rf, big(n_in * n_out), big(dense_schedule(n_in, n_out, rf, ir::Strategy::Resource).n_mult),
                        big(dense_schedule(n_in, n_out, rf, ir::Strategy::Resource).n_mult * wbits), n.name, rf)
          : "split the layer: no reuse factor brings it under the limits") + extra_fix;
  if (!s.resource) {
    const int64_t weights = n_in * n_out;
    if (weights > lim.partition)
      out.push_back({where(n),
                     fmt::format("{}: {} weights completely partitioned (registers), over {} of {}", what, big(weights),
                                 lim.partition_what, big(lim.partition)),
                     fix});
    else if (weights > kUnrollLimit)
      out.push_back({where(n),
                     fmt::format("{}: {} products fully unrolled, over the unroll limit of {} (HLS runtime and area "
                                 "grow with every one)", what, big(weights), big(kUnrollLimit)),
                     fix});
    return;
  }
  if (s.n_mult > kUnrollLimit)
    out.push_back({where(n),
                   fmt::format("{}: {} products unrolled per iteration, over the unroll limit of {}", what,
                               big(s.n_mult), big(kUnrollLimit)),
                   fix});
  if (s.n_mult * wbits > kReshapeWordBits)
    out.push_back({where(n),
                   fmt::format("{}: the weight ROM word would be {} bits ({} weights of {} bits), over the reshape limit "
                               "of {} bits", what, big(s.n_mult * wbits), big(s.n_mult), wbits, big(kReshapeWordBits)),
                   fix});
}

int weight_bits(const ir::Graph& g, const ir::Node& n) {
  const ir::Tensor& w = g.tensor(n.param("weight"));
  return w.type ? w.type->width : 18;
}

void check_dense(const ir::Graph& g, const ir::Node& n, const Limits& lim, std::vector<FeasibilityFinding>& out) {
  if (!n.has_param("weight") || n.inputs.empty() || n.outputs.empty()) return;
  const int64_t n_in = g.tensor(n.inputs[0]).size(), n_out = g.tensor(n.outputs[0]).size();
  check_product(n, fmt::format("Dense {}x{}, {} strategy, ReuseFactor {}", n_in, n_out, ir::name(n.strategy),
                               n.reuse_factor),
                n_in, n_out, weight_bits(g, n), "", lim, out);
}

// Recurrent (kernels/firmnet_rnn.h): the input product [F x G*H] and the recurrent product [H x G*H] are Dense
// products (one set in a static layer, one per step unrolled). Under io_stream the layer's process reads the whole
// sequence from its stream, runs the same kernel and writes the result (hardware plan: Whole).
void check_recurrent(const ir::Graph& g, const ir::Node& n, const Limits& lim, std::vector<FeasibilityFinding>& out) {
  const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
  check_product(n, fmt::format("the input product {}x{} ({} strategy, ReuseFactor {})", a.features, a.gate_width(),
                               ir::name(n.strategy), n.reuse_factor),
                a.features, a.gate_width(), weight_bits(g, n), "", lim, out);
  const ir::Tensor& r = g.tensor(n.param("recurrent_weight"));
  ir::Node rn = n;  // the recurrent product's own reuse factor
  if (n.has_attr("recurrent_reuse_factor")) rn.reuse_factor = static_cast<int>(n.attr_int("recurrent_reuse_factor"));
  check_product(rn, fmt::format("the recurrent product {}x{} (recurrent_reuse_factor {})", a.units, a.gate_width(),
                                rn.reuse_factor),
                a.units, a.gate_width(), r.type ? r.type->width : 18, "", lim, out);
  // Unrolled: every step has its own products.
  const int64_t unrolled = a.steps * (a.features + a.units) * a.gate_width();
  if (!a.is_static && unrolled > kUnrollLimit)
    out.push_back({where(n),
                   fmt::format("static: false unrolls {} steps of {} products each: {} products, over the unroll limit "
                               "of {}", a.steps, big((a.features + a.units) * a.gate_width()), big(unrolled),
                               big(kUnrollLimit)),
                   "use static: true (one cell for every step; the default)"});
}

std::string window_str(const ir::Window& w) {
  std::string s;
  for (int64_t k : w.kernel) s += (s.empty() ? "" : "x") + std::to_string(k);
  return s;
}

// Conv (kernels/firmnet_conv.h): the window product of each output pixel is a Dense of taps*C_in inputs and
// C_out outputs (group 1), with the layer's strategy and reuse factor; a depthwise layer always unrolls its
// taps*C_out products (the reuse factor only caps the multipliers). The gathered window is registers too.
void check_conv(const ir::Graph& g, const ir::Node& n, const Limits& lim, bool io_stream,
                std::vector<FeasibilityFinding>& out) {
  if (!n.has_param("weight") || n.inputs.empty() || n.outputs.empty()) return;
  ir::ConvAttrs a;
  try {
    a = ir::ConvAttrs::of(g, n);
  } catch (const std::exception&) {
    return;  // malformed: Graph::verify and the emitter report it
  }
  const std::string kind = a.depthwise() ? "DepthwiseConv" : "Conv";
  const std::string stream =
      io_stream ? "" : "; or IOType: io_stream, which keeps the line buffer and one window in registers, not the map";
  const int wbits = weight_bits(g, n);
  if (!a.depthwise()) {
    check_product(n, fmt::format("{}{}D {}, {}->{} channels: window product {}x{} per output pixel, {} strategy, "
                                 "ReuseFactor {}", kind, a.win.rank(), window_str(a.win), a.in_channels,
                                 a.out_channels, a.rows(), a.out_channels, ir::name(n.strategy), n.reuse_factor),
                  a.rows(), a.out_channels, wbits, stream, lim, out);
  } else {
    const int64_t products = a.win.taps() * a.out_channels;
    const std::string what = fmt::format("{}{}D {}, {}->{} channels: {} products per output pixel, ReuseFactor {}",
                                         kind, a.win.rank(), window_str(a.win), a.in_channels, a.out_channels,
                                         big(products), n.reuse_factor);
    const std::string fix = "split the channels into several layers (the reuse factor only caps the multipliers of a "
                            "depthwise layer)" + stream;
    if (products > lim.partition)
      out.push_back({where(n),
                     fmt::format("{}: {} weights completely partitioned (registers), over {} of {}", what,
                                 big(products), lim.partition_what, big(lim.partition)),
                     fix});
    else if (products > kUnrollLimit)
      out.push_back({where(n),
                     fmt::format("{}: {} products fully unrolled, over the unroll limit of {}", what, big(products),
                                 big(kUnrollLimit)),
                     fix});
  }
  const int64_t window = a.win.taps() * a.in_channels;
  if (window > lim.partition)  // the same gathered row under io_stream
    out.push_back({where(n),
                   fmt::format("{}{}D {}: the gathered window holds {} values ({} taps x {} channels), completely "
                               "partitioned, over {} of {}", kind, a.win.rank(), window_str(a.win), big(window),
                               a.win.taps(), a.in_channels, lim.partition_what, big(lim.partition)),
                   "use a smaller kernel or fewer input channels" + stream});
}

// Pool (kernels/firmnet_conv.h): each output pixel compares or adds all its taps of every channel at once.
void check_pool(const ir::Graph& g, const ir::Node& n, bool io_stream, std::vector<FeasibilityFinding>& out) {
  ir::PoolAttrs a;
  try {
    a = ir::PoolAttrs::of(g, n);
  } catch (const std::exception&) {
    return;
  }
  const int64_t ops = a.win.taps() * a.channels;
  if (ops > kUnrollLimit)
    out.push_back({where(n),
                   fmt::format("{} pool {}, {} channels: {} {} unrolled per output pixel ({} taps x {} channels), over "
                               "the unroll limit of {}", a.mode == ir::PoolMode::Max ? "Max" : "Average",
                               window_str(a.win), a.channels, big(ops),
                               a.mode == ir::PoolMode::Max ? "comparisons" : "additions", a.win.taps(), a.channels,
                               big(kUnrollLimit)),
                   io_stream ? "reduce the channels or the window before this layer (a global pool over a large map: "
                               "downsample first)"
                             : "reduce the channels or the window before this layer"});
}

// Arrays the kernels or the top function partition completely: layer outputs and small constant tables.
void check_partitioned(const ir::Graph& g, const ir::Node& n, const Limits& lim, std::vector<FeasibilityFinding>& out) {
  auto check = [&](const std::string& array, int64_t size, const std::string& fix) {
    if (size > lim.partition)
      out.push_back({where(n),
                     fmt::format("{} ({}) has {} elements, completely partitioned, over {} of {}", array,
                                 ir::name(n.kind), big(size), lim.partition_what, big(lim.partition)),
                     fix});
  };
  for (ir::TensorId t : n.outputs)
    if (n.kind != ir::OpKind::Input)
      check("output '" + g.tensor(t).name + "'", g.tensor(t).size(), "io_parallel keeps every activation in registers; "
            "a layer this wide needs IOType: io_stream");
  if (n.kind == ir::OpKind::MultiThreshold && n.has_param("thresholds"))
    check("thresholds", g.tensor(n.param("thresholds")).size(), "share one threshold row between channels");
  if (n.kind == ir::OpKind::Elementwise && n.has_param("constant"))
    check("constant operand", g.tensor(n.param("constant")).size(), "use a per-channel constant");
}


// io_stream: a layer that holds its tensors whole (stream_mode Whole) partitions them completely.
void check_whole(const ir::Graph& g, const ir::Node& n, const Limits& lim, std::vector<FeasibilityFinding>& out) {
  std::vector<ir::TensorId> ids = n.inputs;
  ids.insert(ids.end(), n.outputs.begin(), n.outputs.end());
  for (ir::TensorId id : ids) {
    const ir::Tensor& t = g.tensor(id);
    if (t.size() > lim.partition)
      out.push_back({where(n),
                     fmt::format("{} reads and writes whole tensors under io_stream: '{}' ({} values) is completely "
                                 "partitioned, over {} of {}", ir::name(n.kind), t.name, big(t.size()),
                                 lim.partition_what, big(lim.partition)),
                     "reduce the map before this layer (pooling, fewer channels), or use IOType: io_parallel"});
  }
}

// io_stream: each stream element (a pixel, all its channels; a vector) is one aggregated word on a port or FIFO.
void check_stream_elements(const ir::Graph& g, const ir::HardwarePlan& hw, std::vector<FeasibilityFinding>& out) {
  for (const TensorStreams& s : hw.wiring) {
    const ir::Tensor& t = g.tensor(s.tensor);
    const int64_t values = row_length(t), width = t.type ? t.type->width : 16;
    const int64_t bits = values * width;
    if (bits <= kStreamAggregateBits) continue;
    const std::string layer = s.producer >= 0 ? g.nodes[static_cast<size_t>(s.producer)].name : "";
    const int64_t fit = kStreamAggregateBits / values;
    std::string fix = fit >= 2 ? fmt::format("a precision of at most {} bits for these values ({} x {} <= {:})", fit,
                                             values, fit, big(kStreamAggregateBits))
                               : "fewer values per element (channels)";
    if (fit >= 2 && !layer.empty())
      fix += fmt::format(", e.g. LayerName: {{{}: {{Precision: {{result: fixed<{},{}>}}}}}}", layer, fit,
                         std::min<int64_t>(fit, t.type ? t.type->int_bits : fit / 2));
    fix += "; or IOType: io_parallel";
    out.push_back({layer.empty() ? "graph input '" + t.name + "'" : where(g.nodes[static_cast<size_t>(s.producer)]),
                   fmt::format("io_stream element of '{}' is {} values of {} bits = {} bits, over the {}-bit aggregate "
                               "limit of a stream port or FIFO word", t.name, big(values), width, big(bits),
                               big(kStreamAggregateBits)),
                   fix});
  }
}

}  // namespace

ir::HardwareTarget hardware_target(const config::Config& cfg) {
  ir::HardwareTarget t;
  t.io_type = cfg.io_type;
  t.partition_limit = limits_of(cfg).partition;
  t.unroll_limit = kUnrollLimit;
  return t;
}

std::vector<FeasibilityFinding> check_feasibility(const ir::Graph& g, const config::Config& cfg) {
  const Limits lim = limits_of(cfg);
  const bool io_stream = cfg.io_type == "io_stream";
  const auto hw = ir::hardware_plan(g, hardware_target(cfg));
  std::vector<FeasibilityFinding> out;
  for (const ir::Node& n : g.nodes) {
    if (n.kind == ir::OpKind::Dense) check_dense(g, n, lim, out);
    if (n.kind == ir::OpKind::Conv) check_conv(g, n, lim, io_stream, out);
    if (n.kind == ir::OpKind::Pool) check_pool(g, n, io_stream, out);
    if (n.kind == ir::OpKind::Recurrent) check_recurrent(g, n, lim, out);
    if (!io_stream) {
      check_partitioned(g, n, lim, out);
      continue;
    }
    if (n.kind == ir::OpKind::MultiThreshold || n.kind == ir::OpKind::Elementwise) {
      std::vector<FeasibilityFinding> constants;  // only the constant checks: tensors are checked below
      check_partitioned(g, n, lim, constants);
      for (FeasibilityFinding& f : constants)
        if (f.what.rfind("output", 0) != 0) out.push_back(f);
    }
    if (!(n.kind == ir::OpKind::Input && n.inputs.empty()) && n.outputs.size() == 1 &&
        hw->layer(g, n).mode == StreamMode::Whole)
      check_whole(g, n, lim, out);
  }
  if (io_stream) {
    check_stream_elements(g, *hw, out);
    return out;  // the input ports are streams (checked above), not reshaped words
  }
  // The input ports are one reshaped word each.
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor& t = g.tensor(id);
    const int64_t bits = t.size() * (t.type ? t.type->width : 16);
    if (bits > kReshapeWordBits)
      out.push_back({"graph input '" + t.name + "'",
                     fmt::format("the input port is one reshaped word of {} bits ({} values), over the reshape limit "
                                 "of {} bits", big(bits), big(t.size()), big(kReshapeWordBits)),
                     "use a narrower input precision"});
  }
  return out;
}

}  // namespace firmnet::backends
