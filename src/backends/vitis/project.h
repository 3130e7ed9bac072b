#pragma once
// The pieces of a generated project that the project writer assembles: the description of its
// interface (shared by the top function, the testbench, the marker file and run_csim), the testbench
// and the Tcl scripts.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backends/vitis/vendor.h"
#include "config/config.h"
#include "ir/graph.h"
#include "ir/input_quantizer.h"

namespace firmnet::backends::vitis {

inline constexpr const char* kMarkerFile = ".firmnet-project";
inline constexpr const char* kVivadoXdcFile = "vivado_synth.xdc";
const char* firmnet_version();

struct Port {
  std::string var;        // in0 / out0
  std::string type_name;  // input_t / result_t
  std::string size_macro; // N_IN0 / N_OUT0
  int64_t size = 0;
  std::optional<ir::InputQuantizer> quantizer;  // inputs: the model's quantizer, applied by the testbench
  std::optional<ir::ModelLayout> layout;        // the port holds the model's data in this order (ir/graph.h)
  // io_stream: the port is an hls::stream of `elem_type` (firmnet_hls::pixel of elem_values values).
  std::string elem_type;
  int64_t elem_values = 0;
};

struct ProjectInterface {
  std::string name;  // the top function, file stems
  std::vector<Port> inputs, outputs;
};

std::string testbench_cpp(const ProjectInterface& p);
std::string build_prj_tcl(const ProjectInterface& p, const config::Config& cfg, const VendorSpelling& v);
std::string vivado_synth_tcl(const ProjectInterface& p, const config::Config& cfg);
std::string vivado_synth_xdc(const config::Config& cfg);

// Marker file: identifies a firmnet project and records its interface for run_csim.
std::string marker_text(const ProjectInterface& p);
ProjectInterface parse_marker(const std::string& text, const std::string& where);  // throws firmnet::Error

// Writes `files` (relative path -> content) as directory `dir`, atomically (see write_vitis_project).
void write_tree_atomically(const std::string& dir, const std::map<std::string, std::string>& files);

}  // namespace firmnet::backends::vitis
