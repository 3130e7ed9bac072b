// Feasibility: the part's capacity. The HLS limits of each layer are the backend's own check
// (backends/vitis/feasibility.cpp), which driver::estimate adds to the same list.
#include <fmt/format.h>

#include "estimate/model.h"

namespace firmnet::estimate {

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
