#pragma once
// What differs between Vitis HLS and Vivado HLS, as spellings: the code paths are shared.
#include <string>

namespace firmnet::backends::vitis {

struct VendorSpelling {
  std::string name;             // "Vitis HLS"
  std::string tool;             // executable: "vitis_hls"
  std::string interface_mode;   // INTERFACE pragma for an array port, "{port}" replaced
  std::string open_solution;    // Tcl
  bool array_partition_limit;   // Vivado HLS: config_array_partition -maximum_size is a real option
  std::string export_format;    // export_design -format ...
};

// From Config::backend ("Vitis" or "Vivado", case-insensitive); throws firmnet::Error otherwise.
VendorSpelling vendor_spelling(const std::string& backend);

}  // namespace firmnet::backends::vitis
