// Feasibility: the HLS limits a layer can breach, and the part's capacity. Each finding names the layer,
// the value and the limit, and a fix that the configuration can express.
#include <fmt/format.h>

#include "estimate/model.h"

namespace firmnet::estimate {
namespace {

// The most elements HLS partitions an array into completely: 1024 in Vivado HLS (XFORM 203-103 stops
// synthesis), 4096 in Vitis HLS (config_array_partition -maximum_size in build_prj.tcl). firmnet's
// io_parallel Latency Dense partitions its weights completely. (The same limits as the backend's own
// feasibility check on the hls branch, docs/BACKEND_VITIS.md.)
int64_t partition_limit(const Target& t) { return t.backend == "Vivado" ? 1024 : 4096; }

// The smallest valid reuse factor (a divisor of the weight count) that brings each multiplier block
// under the limit.
int64_t reuse_for(int64_t weights, int64_t limit) {
  for (int64_t r = 1; r <= weights; ++r)
    if (weights % r == 0 && weights / r <= limit) return r;
  return weights;
}

}  // namespace

void check_layer_limits(const ir::Graph& g, const ir::Node& n, const Target& t, std::vector<Finding>& out) {
  const int64_t kPartitionLimit = partition_limit(t);
  if (n.kind != ir::OpKind::Dense) return;
  const int64_t weights = g.tensor(n.param("weight")).size();
  const int64_t R = std::max(1, n.reuse_factor);
  if (n.strategy == ir::Strategy::Latency && weights > kPartitionLimit) {
    const int64_t r = reuse_for(weights, kPartitionLimit);
    out.push_back({n.name,
                   fmt::format("Latency strategy partitions all {} weights completely, over the {} HLS limit "
                               "of {} elements", weights, t.backend, kPartitionLimit),
                   fmt::format("set Strategy: Resource with ReuseFactor >= {} for this layer (LayerName: {{{}: "
                               "{{Strategy: Resource, ReuseFactor: {}}}}})", r, n.name, r)});
  } else if (n.strategy == ir::Strategy::Resource && weights / R > kPartitionLimit) {
    const int64_t r = reuse_for(weights, kPartitionLimit);
    out.push_back({n.name,
                   fmt::format("Resource strategy reshapes the weights into blocks of {}, over the {} HLS limit of {}",
                               weights / R, t.backend, kPartitionLimit),
                   fmt::format("raise ReuseFactor to {} or more for this layer", r)});
  }
}

void check_capacity(const Estimate& e, std::vector<Finding>& out) {
  if (!e.part_info) return;
  const Resources& cap = e.part_info->capacity;
  const Resources& use = e.total.res;
  const struct {
    const char* name;
    int64_t used, avail;
  } rows[] = {{"DSP", use.dsp, cap.dsp},
              {"LUT", use.lut, cap.lut},
              {"FF", use.ff, cap.ff},
              {"BRAM_18K", use.bram_18k, cap.bram_18k},
              {"URAM", use.uram, cap.uram}};
  for (const auto& r : rows)
    if (r.used > r.avail)
      out.push_back({"", fmt::format("{} {} exceed the {} of {} ({}%)", r.used, r.name, r.avail, e.part_info->key,
                                     r.avail ? r.used * 100 / r.avail : 0),
                     r.name == std::string("DSP") || r.name == std::string("LUT")
                         ? "raise ReuseFactor (or use Strategy: Resource) on the largest layers, narrow the "
                           "weight/data precision, or choose a larger Part"
                         : "choose a larger Part, or narrow the precision of the largest tables and layers"});
}

}  // namespace firmnet::estimate
