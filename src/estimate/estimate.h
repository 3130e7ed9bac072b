#pragma once
// Resource and latency estimation before synthesis (docs/ESTIMATE.md): per layer and in total, latency
// (cycles), initiation interval, DSP, LUT, FF, BRAM_18K and URAM of what the generated firmware builds,
// the utilisation of the target part, and the feasibility findings (HLS limits, part capacity).
//
// The stage reads only the typed, quantized IR and a Target (part, clock, io type): the actual quantized
// constants decide which products become DSPs, LUT shift-adds or nothing.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/hardware.h"

namespace firmnet::estimate {

struct Resources {
  int64_t dsp = 0;
  int64_t lut = 0;
  int64_t ff = 0;
  int64_t bram_18k = 0;
  int64_t uram = 0;
  Resources& operator+=(const Resources& o) {
    dsp += o.dsp, lut += o.lut, ff += o.ff, bram_18k += o.bram_18k, uram += o.uram;
    return *this;
  }
};

// One row of the estimate (a layer, or the total).
struct Row {
  std::string name;
  std::string op;             // ir::name(kind), "total" for the total
  int64_t latency_min = 0;    // cycles
  int64_t latency_max = 0;
  int64_t ii = 1;             // initiation interval, cycles
  Resources res;
  std::string detail;         // how the numbers came about, e.g. "60 DSP products, 3 LUT, 1 zero"
};

// A device the estimate can be compared against (parts.cpp).
struct Part {
  std::string key;            // short name: "VU9P", "Z7020", ...
  std::string prefix;         // part-number prefix matched case-insensitively: "xcvu9p"
  std::string family;         // "UltraScale+", "7-series", "Agilex 7"
  bool xilinx = true;
  bool dsp48e2 = true;        // 27x18 multipliers (UltraScale/+); false: DSP48E1 25x18 (7-series)
  Resources capacity;         // bram_18k: 18 Kb blocks (Agilex: M20K), lut: LUTs (Agilex: ALUTs)
};
const std::vector<Part>& parts();
// The table entry whose prefix starts the part number ("xcvu13p-flga2577-2-e" -> VU13P), or by key.
const Part* find_part(const std::string& part_number);

// What the firmware targets (from the configuration).
struct Target {
  std::string part = "xcvu13p-flga2577-2-e";
  double clock_ns = 5.0;
  double uncertainty_pct = 12.5;
  std::string io_type = "io_parallel";
  std::string backend = "Vitis";  // Vitis | Vivado: the HLS tool's limits differ
  double budget_ns() const { return clock_ns * (1.0 - uncertainty_pct / 100.0); }
};

// One breach: an HLS limit or the part's capacity.
struct Finding {
  std::string layer;   // empty: the whole design
  std::string what;    // the limit and the value, e.g. "4000 weights partitioned completely, limit 1024"
  std::string fix;
};

struct Estimate {
  std::vector<Row> layers;
  Row total;
  std::string part;                     // as configured
  const Part* part_info = nullptr;      // nullptr: not in the table (no utilisation)
  double clock_ns = 5.0;
  std::vector<Finding> feasibility;
};

// Costs what the hardware plan says the firmware builds (ir/hardware.h: per layer its mode over its streams,
// line buffers, FIFO depths, unrolled pools; driver::compile records it on the graph). Throws firmnet::Error
// for an io type the estimator does not model, and for a plan made for another io type. `feasibility` holds
// the part's capacity findings; driver::estimate adds the backend's HLS-limit findings in front.
Estimate estimate(const ir::Graph& g, const Target& t, const ir::HardwarePlan& hw);

// Utilisation in percent of the part's capacity, per key ("dsp", "lut", ...); empty without a part.
std::vector<std::pair<std::string, double>> utilisation(const Estimate& e);

// The JSON of docs/ESTIMATE.md (integer counts) and the text table of `firmnet estimate`.
std::string to_json(const Estimate& e);
std::string to_table(const Estimate& e);
// Reads to_json's output back (the rows, part, clock and findings); throws firmnet::Error when malformed.
Estimate read_estimate_json(const std::string& text);

}  // namespace firmnet::estimate
