#pragma once
// What differs between Vitis HLS and Vivado HLS, as spellings: the code paths are shared.
#include <optional>
#include <string>

namespace firmnet::backends::vitis {

struct VendorSpelling {
  std::string name;             // "Vitis HLS"
  std::string tool;             // executable: "vitis_hls"
  std::string unified_tool;     // the newer launcher of the same Tcl flow ("vitis-run --mode hls"), or ""
  std::string interface_mode;   // INTERFACE pragma for an array port, "{port}" replaced
  std::string open_solution;    // Tcl
  bool array_partition_limit;   // Vivado HLS: config_array_partition -maximum_size is a real option
  std::string export_format;    // export_design -format ...
  // C++ standard flag of add_files -cflags: Vivado HLS (<= 2020.1) compiles with a gcc 4.6 / clang 3.1
  // front end that rejects -std=c++14 (hls4ml passes -std=c++0x); the firmware is C++11-clean.
  std::string cflags;
  // Clock uncertainty when the configuration gives none, percent of the period: each tool's own default
  // (Vitis HLS 27 %, as hls4ml's Vitis backend; Vivado HLS 12.5 %).
  double default_clock_uncertainty;

  double clock_uncertainty(const std::optional<double>& configured) const {
    return configured.value_or(default_clock_uncertainty);
  }
};

// From Config::backend ("Vitis" or "Vivado", case-insensitive); throws firmnet::Error otherwise.
VendorSpelling vendor_spelling(const std::string& backend);

}  // namespace firmnet::backends::vitis
