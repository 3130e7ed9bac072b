#pragma once
// What the firmware builds, as data on the IR: per layer, its multipliers after reuse, its initiation
// interval, how it runs over its streams (io_stream: per element, on the whole tensor, or through a line
// buffer with its geometry), whether a Pool is unrolled (io_parallel); per stream, its wiring and FIFO depth.
// plan_hardware computes it once from the typed graph and the backend's limits; driver::compile records it
// on the graph (Graph::hardware), and the emitter and the estimator read it instead of each re-deriving it
// (docs/ARCHITECTURE.md "Hardware plan"). The FIFO depths come from a model of each layer's production and
// consumption schedule (docs/BACKEND_VITIS.md "io_stream").
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace firmnet::ir {

// The schedule of one Dense product (also a Conv's per-pixel product and the recurrent products) in the HLS
// kernels: which kernel, how many multipliers, how the Resource strategy cuts the work into pipelined
// iterations.
struct DenseSchedule {
  bool resource = false;      // dense_resource (Resource strategy with reuse_factor > 1), else dense_latency
  int64_t n_in = 0, n_out = 0, reuse_factor = 1;
  int64_t n_mult = 0;         // multipliers (dense_resource: weights per ROM word)
  int64_t n_weights = 0;      // stored weights (dense_resource: padded to n_chunks * n_iters * n_mult)
  // dense_resource: n_chunks output blocks of out_per_chunk, n_iters iterations of in_per_iter inputs.
  int64_t n_chunks = 1, n_iters = 1, in_per_iter = 1, out_per_chunk = 1;
  int64_t rom_words() const { return n_chunks * n_iters; }
};
DenseSchedule dense_schedule(int64_t n_in, int64_t n_out, int reuse_factor, Strategy strategy);

// What the backend's tool allows (backends::hardware_target) and which io type the project uses.
struct HardwareTarget {
  std::string io_type = "io_parallel";
  int64_t partition_limit = 4096;  // elements of one complete ARRAY_PARTITION
  int64_t unroll_limit = 4096;     // operations of one fully unrolled loop body
  bool operator==(const HardwareTarget&) const = default;
};

// io_stream: how a layer runs over its streams.
enum class StreamMode {
  Row,     // the io_parallel kernel once per element (every tensor of the layer has the same element count)
  Whole,   // all input elements read into arrays, the io_parallel kernel once, the output written element-wise
  Window,  // Conv / Pool over a line buffer (kernels/firmnet_stream.h)
};
const char* name(StreamMode m);

// The line-buffer kernel's geometry (firmnet_stream.h stream_window; a 1-D map as one row): the window spans
// span_h x span_w positions, the loop visits ext_h x ext_w positions of the padded map, the line buffer holds
// (span_h - 1) rows of ext_w positions of `channels` values.
struct StreamWindow {
  int64_t span_h = 1, span_w = 1, ext_h = 1, ext_w = 1, channels = 1;
  int64_t in_h = 1, in_w = 1, out_h = 1, out_w = 1, pad_top = 0, pad_left = 0, stride_h = 1, stride_w = 1;
  int64_t in_dil_h = 1, in_dil_w = 1;  // a transposed convolution's input dilation
  // The input as the window sees it, in_dil - 1 zeros between pixels.
  int64_t stretched_h() const { return (in_h - 1) * in_dil_h + 1; }
  int64_t stretched_w() const { return (in_w - 1) * in_dil_w + 1; }
  // Whether padded position (ph, pw) reads an input element (else the kernel shifts in zeros).
  bool reads(int64_t ph, int64_t pw) const {
    const int64_t qh = ph - pad_top, qw = pw - pad_left;
    return qh >= 0 && qh < stretched_h() && qw >= 0 && qw < stretched_w() && qh % in_dil_h == 0 && qw % in_dil_w == 0;
  }
};

// Who reads a tensor's stream: node `node` as its input `input`, or output port `port` (node = -1).
struct StreamReader {
  int node = -1;
  size_t input = 0;
  int port = -1;
};
// The streams of one tensor: the producer writes `primary`; with one node reader it reads `primary`, else a
// clone process copies every element to each reader (a node's own FIFO, or an output port).
struct TensorStreams {
  TensorId tensor = -1;
  int producer = -1;             // node index; -1: a graph input port
  bool into_port = false;        // the producer writes an output port directly (no reader)
  std::vector<StreamReader> readers;
  bool cloned() const { return readers.size() > 1 || (readers.size() == 1 && readers[0].node < 0); }
};

// io_stream: one FIFO of the top function's DATAFLOW region. A tensor read by one layer has one FIFO; a tensor
// read by several (or also a graph output) has the producer's FIFO into a clone process and one FIFO per
// reading layer. The depth is the most elements waiting in the schedule model, plus one (at least 2).
struct StreamFifo {
  std::string tensor;      // the tensor's name
  std::string producer;    // layer name, "clone"
  std::string consumer;    // layer name, "clone"
  int64_t elements = 0;    // stream elements per sample
  int64_t element_values = 0;
  int64_t element_bits = 0;
  int64_t peak = 0;        // most elements waiting in the FIFO in the schedule model
  int64_t depth = 0;       // written into the project: #pragma HLS STREAM depth
  TensorId tensor_id = -1;
  int reader = -1;         // -1: the producer's FIFO; else the index of the reader its clone feeds
};

// One layer's hardware.
struct LayerHardware {
  bool process = false;        // a layer of the firmware (graph inputs' Input nodes are not)
  int64_t multipliers = 0;     // the kernel's multipliers after reuse (Dense, Conv, Recurrent products; else 0)
  int64_t ii = 1;              // initiation interval of one kernel call, in cycles (the reuse factor)
  StreamMode mode = StreamMode::Row;  // io_stream
  StreamWindow window;                // io_stream, mode Window
  bool pool_unrolled = false;         // io_parallel Pool: every output pixel at once (else a pipelined loop)
};

struct HardwarePlan {
  HardwareTarget target;
  std::vector<LayerHardware> layers;  // per g.nodes index
  std::vector<TensorStreams> wiring;  // io_stream: every tensor's streams
  std::vector<StreamFifo> fifos;      // io_stream: every FIFO with its depth
  uint64_t fingerprint = 0;           // of the graph it was made for (node kinds, reuse, strategies, tensors)
  const LayerHardware& layer(const Graph& g, const Node& n) const { return layers.at(static_cast<size_t>(&n - g.nodes.data())); }
};

// Values per stream element (the last axis; 1 for a scalar) and elements per sample.
int64_t row_length(const Tensor& t);
int64_t row_count(const Tensor& t);

// The plan of a typed graph for a target. Pure: computing it twice gives the same plan.
HardwarePlan plan_hardware(const Graph& g, const HardwareTarget& t);
// The plan recorded on g (driver::compile) when it was made for this target and graph size, else one computed
// now (graphs built by hand, a graph changed since).
std::shared_ptr<const HardwarePlan> hardware_plan(const Graph& g, const HardwareTarget& t);
// The plan recorded on g when it was made for g as it is now (same nodes, reuse, strategies and tensors), for
// any target; else null.
const HardwarePlan* current_hardware_plan(const Graph& g);

}  // namespace firmnet::ir
