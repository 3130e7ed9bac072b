#pragma once
// io_stream: how each tensor travels (one stream element = one row of its last axis), how each layer runs
// over its streams (once per element, on the whole tensor, or through a line buffer), the wiring of every
// stream (fan-out through a clone process) and the FIFO depth of each, from a model of each layer's
// production and consumption schedule (docs/BACKEND_VITIS.md "io_stream").
#include <string>
#include <vector>

#include "backends/vitis/emit.h"
#include "backends/vitis/project.h"
#include "backends/vitis/vendor.h"
#include "backends/vitis/vitis_backend.h"
#include "ir/graph.h"

namespace firmnet::backends::vitis {

// Values per stream element (the last axis; 1 for a scalar) and elements per sample.
int64_t row_length(const ir::Tensor& t);
int64_t row_count(const ir::Tensor& t);

StreamMode stream_mode(const ir::Graph& g, const ir::Node& n);
const char* name(StreamMode m);
StreamWindow stream_window(const ir::Graph& g, const ir::Node& n);  // a Conv or Pool

// Who reads a tensor's stream: node `node` as its input `input`, or output port `port` (node = -1).
struct StreamReader {
  int node = -1;
  size_t input = 0;
  int port = -1;
};

// The streams of one tensor: the producer writes `primary`; with one node reader it reads `primary`, else a
// clone process copies every element to each reader (a node's own FIFO, or an output port).
struct TensorStreams {
  ir::TensorId tensor = -1;
  int producer = -1;             // node index; -1: a graph input port
  bool into_port = false;        // the producer writes an output port directly (no reader)
  std::vector<StreamReader> readers;
  bool cloned() const { return readers.size() > 1 || (readers.size() == 1 && readers[0].node < 0); }
};
std::vector<TensorStreams> stream_wiring(const ir::Graph& g);

struct StreamLayer {
  const ir::Node* node;
  const LayerCode* code;
  StreamMode mode;
};

// The name of every stream of the top function: a tensor's first stream is its variable name (ctx.var: a
// port, or a local stream); a reader of a cloned tensor reads its own stream.
struct StreamNames {
  std::vector<TensorStreams> wiring;
  std::map<std::pair<int, size_t>, std::string> reader;  // (node, input) -> the stream it reads
  std::map<ir::TensorId, std::vector<std::string>> clone_targets;  // per reader of a cloned tensor
  std::map<ir::TensorId, std::string> elem_type;  // firmnet_hls::pixel<type, row_length> typedef per tensor
};
StreamNames name_streams(EmitContext& ctx, const ProjectInterface& p);

// The top function of an io_stream project (and a process function per Row / Whole layer and clone).
std::string stream_top_cpp(const ProjectInterface& p, EmitContext& ctx, const std::vector<StreamLayer>& layers,
                           const StreamNames& names, const VendorSpelling& v);

}  // namespace firmnet::backends::vitis
