#pragma once
// Vitis/Vivado HLS backend: writes a complete, ready-to-synthesize project for a compiled graph.
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "ir/graph.h"

namespace firmnet::backends {

struct TestVectors {                    // written to tb_data/ for the testbench (optional)
  size_t batch = 0;
  std::vector<std::vector<double>> inputs;   // per graph input, [batch * numel]
  std::vector<std::vector<double>> outputs;  // per graph output, expected (emulator) values
};

// The limits of the HLS tools that check_feasibility holds every layer to (docs/BACKEND_VITIS.md).
inline constexpr int64_t kVivadoPartitionLimit = 1024;  // Vivado HLS: ARRAY_PARTITION complete, XFORM 203-103
inline constexpr int64_t kVitisPartitionLimit = 4096;   // Vitis: the project's config_array_partition -maximum_size
inline constexpr int64_t kUnrollLimit = 4096;           // unrolled loop iterations (products) per pipelined body
inline constexpr int64_t kReshapeWordBits = 65536;      // widest word of an ARRAY_RESHAPE
inline constexpr int64_t kStreamAggregateBits = 4096;   // io_stream: widest stream element (aggregated struct)

// One layer against those limits: `what` says what the tool would do (stop, for Vivado HLS over its
// partition limit; or synthesize badly), `hint` is the fix. Reported as warnings: the project is still
// written, so that it can be edited by hand.
struct FeasibilityFinding {
  std::string where;
  std::string what;
  std::string hint;
};

// Every layer with the schedule the kernels give it (backends/vitis/feasibility.cpp). Never throws for a
// finding; driver::compile adds them to its warnings.
std::vector<FeasibilityFinding> check_feasibility(const ir::Graph& g, const config::Config& cfg);

// io_parallel Pool (kernels/firmnet_conv.h): whether its output pixels are unrolled — all computed at once in
// one function pipelined at II = reuse factor, as every other Latency layer — rather than a loop pipelined over
// them (II = reuse factor per pixel). Unrolled under io_parallel with the Latency strategy when its compares or
// additions (output pixels x channels x taps) fit the unroll limit and its input and output maps the partition
// limit of the configured tool; the pipelined loop beyond (and under the Resource strategy).
bool pool_unrolled(const ir::Graph& g, const ir::Node& n, const config::Config& cfg);

// io_stream: one FIFO of the top function's DATAFLOW region (docs/BACKEND_VITIS.md "io_stream"). A tensor
// read by one layer has one FIFO; a tensor read by several (or also a graph output) has the producer's FIFO
// into a clone process and one FIFO per reading layer. Depths come from a model of each layer's schedule:
// when each element is produced and consumed with every process running as early as its inputs allow.
struct StreamFifo {
  std::string tensor;      // the tensor's name
  std::string producer;    // layer name, "clone"
  std::string consumer;    // layer name, "clone"
  int64_t elements = 0;    // stream elements per sample
  int64_t element_values = 0;
  int64_t element_bits = 0;
  int64_t peak = 0;        // most elements waiting in the FIFO in the schedule model
  int64_t depth = 0;       // written into the project: #pragma HLS STREAM depth
  ir::TensorId tensor_id = -1;
  int reader = -1;         // -1: the producer's FIFO; else the index of the reader its clone feeds
};
std::vector<StreamFifo> stream_fifos(const ir::Graph& g);

// io_stream: how a layer runs over its streams (backends/vitis/stream_plan.cpp).
enum class StreamMode {
  Row,     // the io_parallel kernel once per element (every tensor of the layer has the same element count)
  Whole,   // all input elements read into arrays, the io_parallel kernel once, the output written element-wise
  Window,  // Conv / Pool over a line buffer (kernels/firmnet_stream.h)
};
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
// One layer of the DATAFLOW region: its mode, and for a Window layer its geometry.
struct StreamProcess {
  int node = -1;  // index into g.nodes
  StreamMode mode = StreamMode::Row;
  StreamWindow window;
};
// Every layer's process, in graph order (graph inputs' Input nodes have none).
std::vector<StreamProcess> stream_processes(const ir::Graph& g);
// The FIFOs as the table `firmnet inspect` prints for an io_stream configuration.
std::string stream_fifo_table(const ir::Graph& g);

// Writes the project into `dir` atomically: built in a sibling temporary directory and renamed into
// place only when complete, so a failure never leaves a half-written project that looks complete.
// Throws firmnet::Error (e.g. a type the backend cannot express, an existing non-project directory).
void write_vitis_project(const ir::Graph& g, const config::Config& cfg, const std::filesystem::path& dir,
                         const TestVectors* tv = nullptr);

struct CsimOptions {
  std::string ap_types_dir;             // Xilinx ap_types headers
  std::string cxx = "g++";
  std::string opt = "-O1";
  bool verbose = false;
};

// Compiles the project's firmware and testbench with g++ against ap_types and runs it on `inputs`
// (per graph input, [batch * numel] float values). Returns per graph output [batch * numel] values.
std::vector<std::vector<double>> run_csim(const std::filesystem::path& project_dir,
                                          const std::vector<std::vector<double>>& inputs, size_t batch,
                                          const CsimOptions& opts);

// The model layouts of a written project's input and output ports (std::nullopt: the model's own order),
// from its marker file; `firmnet csim` converts data in the model's order with them.
struct PortLayouts {
  std::vector<std::optional<ir::ModelLayout>> inputs, outputs;
};
PortLayouts project_port_layouts(const std::filesystem::path& project_dir);

// The kernel library headers embedded in the binary (name, content).
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_kernel_files();

}  // namespace firmnet::backends
