// Views of the hardware plan (ir/hardware.h) for `firmnet inspect` and the tests: a Pool's unrolling, the
// io_stream FIFOs and their table.
#include <fmt/format.h>

#include <algorithm>

#include "backends/vitis/vitis_backend.h"

namespace firmnet::backends {

bool pool_unrolled(const ir::Graph& g, const ir::Node& n, const config::Config& cfg) {
  return ir::hardware_plan(g, hardware_target(cfg))->layer(g, n).pool_unrolled;
}

std::vector<StreamFifo> stream_fifos(const ir::Graph& g) {
  config::Config cfg;
  cfg.io_type = "io_stream";
  return ir::hardware_plan(g, hardware_target(cfg))->fifos;
}

std::string stream_fifo_table(const ir::Graph& g) {
  const std::vector<StreamFifo> fifos = stream_fifos(g);
  std::string s = fmt::format("\nio_stream FIFOs: {} (depths from the schedule model: docs/BACKEND_VITIS.md \"io_stream\")\n",
                              fifos.size());
  size_t wt = 6, wp = 8;
  for (const StreamFifo& f : fifos) {
    wt = std::max(wt, f.tensor.size());
    wp = std::max(wp, f.producer.size() + f.consumer.size() + 4);
  }
  s += fmt::format("    {:<{}}  {:<{}}  {:>9}  {:>6}  {:>6}  {:>5}\n", "tensor", wt, "producer -> consumer", wp, "elements",
                   "values", "bits", "depth");
  for (const StreamFifo& f : fifos)
    s += fmt::format("    {:<{}}  {:<{}}  {:>9}  {:>6}  {:>6}  {:>5}\n", f.tensor, wt, f.producer + " -> " + f.consumer, wp,
                     f.elements, f.element_values, f.element_bits, f.depth);
  return s;
}

}  // namespace firmnet::backends
