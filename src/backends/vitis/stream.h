#pragma once
// io_stream: the writer of the DATAFLOW top function. What it builds (each layer's mode over its streams, the
// line buffers, the wiring of every stream with its clones, the FIFO depths) is the hardware plan's
// (ir/hardware.h); this writes it down (docs/BACKEND_VITIS.md "io_stream").
#include <string>
#include <vector>

#include "backends/vitis/emit.h"
#include "backends/vitis/project.h"
#include "backends/vitis/vendor.h"
#include "backends/vitis/vitis_backend.h"
#include "ir/graph.h"

namespace firmnet::backends::vitis {

using ir::row_count;
using ir::row_length;
using ir::StreamReader;
using ir::TensorStreams;

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
