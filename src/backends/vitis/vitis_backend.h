#pragma once
// Vitis/Vivado HLS backend: writes a complete, ready-to-synthesize project for a compiled graph.
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "ir/graph.h"
#include "ir/hardware.h"

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

// The hardware plan's target for this configuration: its io type and the configured tool's limits (Vivado HLS
// partitions at most kVivadoPartitionLimit elements completely, Vitis kVitisPartitionLimit).
ir::HardwareTarget hardware_target(const config::Config& cfg);

// Views of the hardware plan (ir/hardware.h) for `inspect` and the tests; the plan recorded on the graph when
// there is one for this target.
// io_parallel Pool (kernels/firmnet_conv.h): whether its output pixels are unrolled — all computed at once in
// one function pipelined at II = reuse factor, as every other Latency layer — rather than a loop pipelined over
// them (II = reuse factor per pixel).
bool pool_unrolled(const ir::Graph& g, const ir::Node& n, const config::Config& cfg);
// io_stream: every FIFO of the DATAFLOW region with its depth.
using ir::StreamFifo;
using ir::StreamMode;
using ir::StreamWindow;
std::vector<StreamFifo> stream_fifos(const ir::Graph& g);
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
