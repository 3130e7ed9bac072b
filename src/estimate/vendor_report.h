#pragma once
// Reading a synthesised project's vendor reports into the estimate's keys: Vivado/Vitis HLS C-synthesis
// (csynth.xml, or the text <top>_csynth.rpt) and Vivado's utilisation report after synthesis
// (vivado_synth.rpt, report_utilization).
#include <optional>
#include <string>

#include "estimate/estimate.h"

namespace firmnet::estimate {

struct CsynthReport {
  std::string file, tool_version, part, top;
  double target_clock_ns = 0, estimated_clock_ns = 0;
  int64_t latency_min = 0, latency_max = 0, ii_min = 0, ii_max = 0;
  std::string pipeline;  // "dataflow", "none", ... when the report says
  Resources res;
  Resources available;
};

struct VivadoSynthReport {
  std::string file, tool_version, device;
  Resources res;        // bram_18k = RAMB18 + 2 x RAMB36
  Resources available;
};

struct VendorReport {
  std::optional<CsynthReport> csynth;
  std::optional<VivadoSynthReport> vivado;
};

// Parsers of one report's text; `file` names it in errors. Throw firmnet::Error when a required section
// is missing or malformed.
CsynthReport parse_csynth_rpt(const std::string& text, const std::string& file);
CsynthReport parse_csynth_xml(const std::string& text, const std::string& file);
VivadoSynthReport parse_vivado_synth(const std::string& text, const std::string& file);

// Finds and reads the reports under a project directory: csynth.xml (preferred) or <top>_csynth.rpt of the
// top function anywhere below, and vivado_synth.rpt. Throws when there is none.
VendorReport read_project_reports(const std::string& dir);

// The report in the estimate's keys (JSON), and estimate vs report side by side (text).
std::string report_json(const VendorReport& r);
std::string report_table(const VendorReport& r);
std::string compare_table(const Estimate& e, const VendorReport& r);

}  // namespace firmnet::estimate
