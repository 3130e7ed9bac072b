// plan_hardware: each layer's multipliers, II and stream mode, the line-buffer geometry, the wiring of every
// stream and the FIFO depths from a model of the production and consumption schedule of every layer
// (hardware.h; docs/BACKEND_VITIS.md "io_stream").
#include "ir/hardware.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "ir/spatial.h"

namespace firmnet::ir {

namespace {
int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
}  // namespace

DenseSchedule dense_schedule(int64_t n_in, int64_t n_out, int reuse_factor, Strategy strategy) {
  DenseSchedule s;
  s.n_in = n_in;
  s.n_out = n_out;
  s.reuse_factor = std::max(1, reuse_factor);
  s.resource = strategy == Strategy::Resource && s.reuse_factor > 1;
  if (!s.resource) {
    s.n_mult = ceil_div(n_in * n_out, s.reuse_factor);
    s.n_weights = n_in * n_out;
    s.in_per_iter = n_in;
    s.out_per_chunk = n_out;
    return s;
  }
  if (s.reuse_factor <= n_in) {
    // One block of all outputs; iteration r takes in_per_iter consecutive inputs.
    s.in_per_iter = ceil_div(n_in, s.reuse_factor);
    s.n_iters = ceil_div(n_in, s.in_per_iter);
    s.out_per_chunk = n_out;
    s.n_chunks = 1;
  } else {
    // More iterations than inputs: blocks of outputs, one input per iteration.
    const int64_t blocks = std::min(n_out, s.reuse_factor / n_in);
    s.in_per_iter = 1;
    s.n_iters = n_in;
    s.out_per_chunk = ceil_div(n_out, blocks);
    s.n_chunks = ceil_div(n_out, s.out_per_chunk);
  }
  s.n_mult = s.in_per_iter * s.out_per_chunk;
  s.n_weights = s.rom_words() * s.n_mult;
  return s;
}

int64_t row_length(const Tensor& t) { return t.shape.empty() || t.shape.back() < 1 ? 1 : t.shape.back(); }
int64_t row_count(const Tensor& t) { return std::max<int64_t>(1, t.size() / row_length(t)); }

const char* name(StreamMode m) {
  switch (m) {
    case StreamMode::Row: return "per element";
    case StreamMode::Whole: return "whole tensor";
    case StreamMode::Window: return "line buffer";
  }
  return "?";
}

namespace {

// Every input and the output have the same number of elements (and the op acts on each row alone).
bool same_rows(const Graph& g, const Node& n) {
  if (n.outputs.size() != 1) return false;
  const int64_t rows = row_count(g.tensor(n.outputs[0]));
  for (TensorId id : n.inputs)
    if (row_count(g.tensor(id)) != rows) return false;
  return true;
}

bool single_element(const Graph& g, const Node& n) {
  for (TensorId id : n.inputs)
    if (row_count(g.tensor(id)) != 1) return false;
  for (TensorId id : n.outputs)
    if (row_count(g.tensor(id)) != 1) return false;
  return true;
}

StreamMode stream_mode(const Graph& g, const Node& n) {
  if (single_element(g, n)) return StreamMode::Row;  // one element each: the layer's whole data at once
  const auto row_if = [&](bool row_wise) { return row_wise && same_rows(g, n) ? StreamMode::Row : StreamMode::Whole; };
  switch (n.kind) {
    case OpKind::Conv:
    case OpKind::Pool: return StreamMode::Window;
    case OpKind::Input:
    case OpKind::Reshape:  // a copy: per element when the rows keep their length
      return row_if(!n.inputs.empty() && row_length(g.tensor(n.inputs[0])) == row_length(g.tensor(n.outputs.at(0))));
    case OpKind::Activation:
    case OpKind::Softmax:  // rows of the last axis
    case OpKind::BatchNorm:
    case OpKind::Rescale:
    case OpKind::Quantize: return row_if(true);
    case OpKind::Elementwise: {
      if (!n.has_param("constant")) return row_if(true);
      const int64_t c = g.tensor(n.param("constant")).size();
      return row_if(!n.inputs.empty() && (c == 1 || c == row_length(g.tensor(n.inputs[0]))));
    }
    case OpKind::Concat: {
      const Tensor& y = g.tensor(n.outputs.at(0));
      int64_t axis = n.attr_int("axis");
      if (axis < 0) axis += static_cast<int64_t>(y.shape.size());
      return row_if(axis == static_cast<int64_t>(y.shape.size()) - 1);
    }
    case OpKind::MultiThreshold: {
      const bool nhwc = !n.has_attr("data_layout") || n.attr_str("data_layout") == "NHWC";
      const bool shared = n.has_param("thresholds") && !g.tensor(n.param("thresholds")).shape.empty() &&
                          g.tensor(n.param("thresholds")).shape[0] == 1;
      return row_if(nhwc || shared);
    }
    case OpKind::ArgMax: return row_if(row_length(g.tensor(n.outputs.at(0))) == 1);
    case OpKind::Dense:      // over a map: the flattened map
    case OpKind::Recurrent:  // reads the whole sequence: the io_parallel kernel on it
    case OpKind::GarNet:     // refused by its emitter under io_stream
    case OpKind::Transpose:  // moves values between elements
    case OpKind::Upsample:   // each input row feeds several output rows: the io_parallel kernel on the map
    case OpKind::Slice:      // a window of the map: the io_parallel kernel on the map
      return StreamMode::Whole;
  }
  return StreamMode::Whole;
}

StreamWindow stream_window(const Graph& g, const Node& n) {
  Window w;
  StreamWindow s;
  if (n.kind == OpKind::Conv) {
    const ConvAttrs a = ConvAttrs::of(g, n);
    w = a.win;
    s.channels = a.in_channels;
  } else {
    const PoolAttrs p = PoolAttrs::of(g, n);
    w = p.win;
    s.channels = p.channels;
  }
  // The kernel's geometry (firmnet_stream.h stream_window), a 1-D map as one row.
  const size_t r = w.rank();
  auto axis = [&](const std::vector<int64_t>& v, size_t a, int64_t one) { return r == 1 && a == 0 ? one : v[a - (2 - r)]; };
  s.in_h = axis(w.in, 0, 1), s.in_w = axis(w.in, 1, 1), s.out_h = axis(w.out, 0, 1), s.out_w = axis(w.out, 1, 1);
  s.span_h = (axis(w.kernel, 0, 1) - 1) * axis(w.dilation, 0, 1) + 1;
  s.span_w = (axis(w.kernel, 1, 1) - 1) * axis(w.dilation, 1, 1) + 1;
  s.pad_top = axis(w.pad_begin, 0, 0), s.pad_left = axis(w.pad_begin, 1, 0);
  s.stride_h = axis(w.stride, 0, 1), s.stride_w = axis(w.stride, 1, 1);
  s.in_dil_h = axis(w.in_dilation, 0, 1), s.in_dil_w = axis(w.in_dilation, 1, 1);
  s.ext_h = std::max((s.out_h - 1) * s.stride_h + s.span_h, s.pad_top + s.stretched_h());
  s.ext_w = std::max((s.out_w - 1) * s.stride_w + s.span_w, s.pad_left + s.stretched_w());
  return s;
}

std::vector<TensorStreams> stream_wiring(const Graph& g) {
  std::vector<TensorStreams> out;
  std::map<TensorId, size_t> at;
  auto add = [&](TensorId id, int producer) {
    at[id] = out.size();
    TensorStreams s;
    s.tensor = id;
    s.producer = producer;
    out.push_back(s);
  };
  for (TensorId id : g.inputs) add(id, -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.kind == OpKind::Input && n.inputs.empty()) continue;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      StreamReader r;
      r.node = static_cast<int>(i);
      r.input = k;
      out[at.at(n.inputs[k])].readers.push_back(r);
    }
    for (TensorId id : n.outputs) add(id, static_cast<int>(i));
  }
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    TensorStreams& s = out[at.at(g.outputs[k])];
    const bool only_output = s.producer >= 0 && s.readers.empty() &&
                             std::count(g.outputs.begin(), g.outputs.end(), g.outputs[k]) == 1;
    if (only_output) {
      s.into_port = true;  // as io_parallel: the producer writes the port
      continue;
    }
    StreamReader r;
    r.port = static_cast<int>(k);
    s.readers.push_back(r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The schedule model. Time in clock cycles; every process starts at 0 and runs as early as its inputs allow
// (FIFOs unbounded). A process is a loop: each iteration starts `ii` cycles after the previous one at the
// earliest and not before the elements it reads are there; what it writes appears `latency` cycles after the
// iteration starts. The depth of a FIFO is then the most elements produced and not yet consumed at any time.

using Times = std::vector<double>;

int log2_ceil(int64_t v) {
  int b = 0;
  while ((int64_t{1} << b) < v) ++b;
  return b;
}

// Pipeline depth of a layer's iteration: a few cycles to read and cast, plus an adder tree over the values
// each output sums (or compares).
double latency_of(int64_t summed) { return 4.0 + log2_ceil(std::max<int64_t>(summed, 1)); }

// Cycles of one iteration of a layer that computes `n_in` x `n_out` products with its strategy.
double product_cycles(const Node& n, int64_t n_in, int64_t n_out) {
  const DenseSchedule s = dense_schedule(n_in, n_out, std::max(1, n.reuse_factor), n.strategy);
  if (s.resource) return static_cast<double>(s.n_chunks * (s.n_iters + 3));
  return std::max(1, n.reuse_factor);
}

struct NodeTimes {
  std::vector<Times> consumed;  // per input
  Times produced;
};

NodeTimes run_row(const Graph& g, const Node& n, const std::vector<Times>& in) {
  const Tensor& y = g.tensor(n.outputs.at(0));
  const int64_t rows = row_count(y);
  int64_t summed = row_length(y), n_in = 0;
  for (TensorId id : n.inputs) n_in += row_length(g.tensor(id));
  double ii = std::max(1, n.reuse_factor);
  if (n.kind == OpKind::Dense) {
    ii = product_cycles(n, n_in, row_length(y));
    summed = n_in;
  } else if (n.kind == OpKind::Softmax) {
    summed = 4 * row_length(y);  // max, exp, sum, inverse
  }
  NodeTimes r;
  r.consumed.assign(in.size(), Times(static_cast<size_t>(rows)));
  r.produced.resize(static_cast<size_t>(rows));
  double t = -ii;
  for (int64_t p = 0; p < rows; ++p) {
    double start = t + ii;
    for (const Times& x : in) start = std::max(start, x.at(static_cast<size_t>(p)));
    for (Times& c : r.consumed) c[static_cast<size_t>(p)] = start;
    r.produced[static_cast<size_t>(p)] = start + latency_of(summed);
    t = start;
  }
  return r;
}

NodeTimes run_whole(const Graph& g, const Node& n, const std::vector<Times>& in) {
  const Tensor& y = g.tensor(n.outputs.at(0));
  NodeTimes r;
  double t = -1;
  int64_t n_in = 0;
  for (const Times& x : in) {
    Times c(x.size());
    for (size_t e = 0; e < x.size(); ++e) c[e] = t = std::max(t + 1, x[e]);
    r.consumed.push_back(c);
    n_in += static_cast<int64_t>(x.size());
  }
  if (n.kind == OpKind::Dense) {
    const int64_t ins = g.tensor(n.inputs.at(0)).size();
    t += product_cycles(n, ins, y.size()) + latency_of(ins);
  } else {
    t += latency_of(std::max<int64_t>(n_in, 1));
  }
  for (int64_t e = 0; e < row_count(y); ++e) r.produced.push_back(t += 1);
  return r;
}

NodeTimes run_window(const Graph& g, const Node& n, const StreamWindow& geo, const Times& in) {
  int64_t summed = 1;
  double out_cycles = std::max(1, n.reuse_factor);
  if (n.kind == OpKind::Conv) {
    const ConvAttrs a = ConvAttrs::of(g, n);
    summed = a.depthwise() ? a.win.taps() : a.rows();
    if (!a.depthwise()) out_cycles = std::max(out_cycles, product_cycles(n, a.rows(), a.out_channels));
  } else {
    summed = PoolAttrs::of(g, n).win.taps();
  }
  const int64_t out_h = geo.out_h, out_w = geo.out_w, span_h = geo.span_h, span_w = geo.span_w;
  const int64_t sh = geo.stride_h, sw = geo.stride_w, ext_h = geo.ext_h, ext_w = geo.ext_w;
  const double ii = std::max(1, n.reuse_factor);
  NodeTimes res;
  res.consumed.assign(1, Times());
  double t = -ii, cost = ii;
  size_t next = 0;
  int64_t oh = 0, row_at = span_h - 1;
  for (int64_t ph = 0; ph < ext_h; ++ph) {
    const bool row_done = ph == row_at && oh < out_h;
    int64_t col_at = span_w - 1, ow = 0;
    for (int64_t pw = 0; pw < ext_w; ++pw) {
      double start = t + cost;
      if (geo.reads(ph, pw)) {
        start = std::max(start, in.at(next));
        res.consumed[0].push_back(start);
        ++next;
      }
      cost = ii;
      if (row_done && pw == col_at && ow < out_w) {
        res.produced.push_back(start + latency_of(summed) + out_cycles - 1);
        cost = out_cycles;
        col_at += sw;
        ++ow;
      }
      t = start;
    }
    if (row_done) row_at += sh, ++oh;
  }
  return res;
}

// Most elements waiting: when element i is read, those written by then minus the i already read.
int64_t peak_occupancy(const Times& produced, const Times& consumed) {
  int64_t peak = 0;
  size_t written = 0;
  for (size_t i = 0; i < consumed.size(); ++i) {
    while (written < produced.size() && produced[written] <= consumed[i]) ++written;
    peak = std::max<int64_t>(peak, static_cast<int64_t>(written) - static_cast<int64_t>(i));
  }
  return peak;
}

std::vector<StreamFifo> stream_fifos(const Graph& g, const HardwarePlan& plan) {
  const std::vector<TensorStreams>& wiring = plan.wiring;
  std::map<TensorId, const TensorStreams*> of;
  for (const TensorStreams& s : wiring) of[s.tensor] = &s;
  std::map<TensorId, Times> produced;  // when each element enters the tensor's first stream
  // Per (node, input): when the node reads each element, and when it arrives on that node's FIFO.
  std::map<std::pair<int, size_t>, Times> consumed, arrives;
  for (TensorId id : g.inputs) {
    Times t(static_cast<size_t>(row_count(g.tensor(id))));
    for (size_t e = 0; e < t.size(); ++e) t[e] = static_cast<double>(e);  // the port delivers one per cycle
    produced[id] = t;
  }
  // Elements reach a reader on the producer's FIFO, or one cycle later through the clone.
  auto arrival = [&](TensorId id) {
    Times t = produced.at(id);
    if (of.at(id)->cloned())
      for (double& v : t) v += 1;
    return t;
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.kind == OpKind::Input && n.inputs.empty()) continue;
    if (n.outputs.size() != 1) continue;  // the writer refuses it
    std::vector<Times> in;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      in.push_back(arrival(n.inputs[k]));
      arrives[{static_cast<int>(i), k}] = in.back();
    }
    NodeTimes r;
    const LayerHardware& l = plan.layers[i];
    switch (l.mode) {
      case StreamMode::Row: r = run_row(g, n, in); break;
      case StreamMode::Whole: r = run_whole(g, n, in); break;
      case StreamMode::Window: r = run_window(g, n, l.window, in.at(0)); break;
    }
    for (size_t k = 0; k < r.consumed.size(); ++k) consumed[{static_cast<int>(i), k}] = r.consumed[k];
    produced[n.outputs[0]] = r.produced;
  }
  std::vector<StreamFifo> out;
  for (const TensorStreams& s : wiring) {
    const Tensor& t = g.tensor(s.tensor);
    StreamFifo f;
    f.tensor = t.name;
    f.tensor_id = s.tensor;
    f.elements = row_count(t);
    f.element_values = row_length(t);
    f.element_bits = f.element_values * (t.type ? t.type->width : 0);
    auto depth = [](int64_t peak) { return std::max<int64_t>(2, peak + 1); };
    const std::string producer = s.producer >= 0 ? g.nodes[static_cast<size_t>(s.producer)].name : "";
    if (s.producer >= 0 && !s.into_port) {  // the producer's own FIFO (a graph input arrives on its port)
      f.producer = producer;
      if (s.cloned()) {
        f.consumer = "clone";
        f.peak = 1;  // the clone reads every element as it comes
      } else if (!s.readers.empty()) {
        const StreamReader& r = s.readers[0];
        f.consumer = g.nodes[static_cast<size_t>(r.node)].name;
        f.peak = peak_occupancy(produced.at(s.tensor), consumed.at({r.node, r.input}));
      }
      f.depth = depth(f.peak);
      if (!f.consumer.empty()) out.push_back(f);
    }
    if (!s.cloned()) continue;
    for (size_t j = 0; j < s.readers.size(); ++j) {
      const StreamReader& r = s.readers[j];
      if (r.node < 0) continue;  // the clone writes the output port
      StreamFifo b = f;
      b.producer = "clone";
      b.consumer = g.nodes[static_cast<size_t>(r.node)].name;
      b.reader = static_cast<int>(j);
      b.peak = peak_occupancy(arrives.at({r.node, r.input}), consumed.at({r.node, r.input}));
      b.depth = depth(b.peak);
      out.push_back(b);
    }
  }
  return out;
}


// Whether an io_parallel Pool computes all its output pixels at once: under the Latency strategy when its
// compares or additions (output pixels x channels x taps) fit the unroll limit and its input and output maps
// the partition limit (else its pixel loop is pipelined).
bool pool_unrolled(const Graph& g, const Node& n, const HardwareTarget& t) {
  if (n.kind != OpKind::Pool || t.io_type == "io_stream" || n.strategy != Strategy::Latency) return false;
  PoolAttrs a;
  try {
    a = PoolAttrs::of(g, n);
  } catch (const std::exception&) {
    return false;
  }
  const int64_t ops = a.win.out_pixels() * a.channels * a.win.taps();
  return ops <= t.unroll_limit && a.win.in_pixels() * a.channels <= t.partition_limit &&
         a.win.out_pixels() * a.channels <= t.partition_limit;
}

// The multipliers of a layer's kernel after reuse: its product's schedule (a Conv per pixel; a depthwise Conv
// and the recurrent layers multiply through the same kernels).
int64_t kernel_multipliers(const Graph& g, const Node& n) {
  try {
    switch (n.kind) {
      case OpKind::Dense: {
        const int64_t n_out = g.tensor(n.param("bias")).size();
        const int64_t n_in = n_out ? g.tensor(n.param("weight")).size() / n_out : 0;
        return dense_schedule(n_in, n_out, n.reuse_factor, n.strategy).n_mult;
      }
      case OpKind::Conv: {
        const ConvAttrs a = ConvAttrs::of(g, n);
        if (a.depthwise()) return ceil_div(a.win.taps() * a.out_channels, std::max(1, n.reuse_factor));
        return dense_schedule(a.rows(), a.out_channels, n.reuse_factor, n.strategy).n_mult;
      }
      default: return 0;
    }
  } catch (const std::exception&) {
    return 0;  // a malformed node: verify_op names it
  }
}

// A cheap digest of what the plan depends on, to tell a recorded plan from a stale one.
uint64_t fingerprint(const Graph& g) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  mix(g.nodes.size());
  for (const Node& n : g.nodes) {
    mix(static_cast<uint64_t>(n.kind));
    mix(static_cast<uint64_t>(n.reuse_factor));
    mix(static_cast<uint64_t>(n.strategy));
    mix(n.inputs.size());
    for (TensorId id : n.inputs) mix(static_cast<uint64_t>(id));
    for (TensorId id : n.outputs) {
      mix(static_cast<uint64_t>(id));
      const Tensor& t = g.tensor(id);
      mix(static_cast<uint64_t>(t.size()));
      mix(t.type ? static_cast<uint64_t>(t.type->width) : 0);
    }
  }
  for (TensorId id : g.outputs) mix(static_cast<uint64_t>(id));
  return h;
}

}  // namespace

HardwarePlan plan_hardware(const Graph& g, const HardwareTarget& t) {
  HardwarePlan p;
  p.target = t;
  p.fingerprint = fingerprint(g);
  const bool stream = t.io_type == "io_stream";
  p.layers.resize(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    LayerHardware& l = p.layers[i];
    l.process = !(n.kind == OpKind::Input && n.inputs.empty());
    if (!l.process) continue;
    l.multipliers = kernel_multipliers(g, n);
    l.ii = std::max(1, n.reuse_factor);
    l.pool_unrolled = pool_unrolled(g, n, t);
    if (!stream) continue;
    l.mode = stream_mode(g, n);
    if (l.mode == StreamMode::Window) l.window = stream_window(g, n);
  }
  if (stream) {
    p.wiring = stream_wiring(g);
    p.fifos = stream_fifos(g, p);
  }
  return p;
}

const HardwarePlan* current_hardware_plan(const Graph& g) {
  return g.hardware && g.hardware->layers.size() == g.nodes.size() && g.hardware->fingerprint == fingerprint(g)
             ? g.hardware.get()
             : nullptr;
}

std::shared_ptr<const HardwarePlan> hardware_plan(const Graph& g, const HardwareTarget& t) {
  if (current_hardware_plan(g) && g.hardware->target == t) return g.hardware;
  return std::make_shared<const HardwarePlan>(plan_hardware(g, t));
}

}  // namespace firmnet::ir
