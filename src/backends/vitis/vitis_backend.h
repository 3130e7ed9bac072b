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

// The kernel library headers embedded in the binary (name, content).
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_kernel_files();

}  // namespace firmnet::backends
