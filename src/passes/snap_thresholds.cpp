// snap_thresholds: puts every MultiThreshold's thresholds on its input's fixed-point grid, once the input
// type is known (after infer_precision), so that emulator and firmware compare integers exactly:
//   x >= t  <=>  x_raw >= ceil(t * 2^F)        x > t  <=>  x_raw >= floor(t * 2^F) + 1   (attrs["strict"])
// clamped to [raw_min, raw_max + 1] of the input type (below: always counted; above: never). The thresholds
// get the type fixed<W + 1 (+1 if the input is unsigned), ..., F> of the input's grid, their raw values are
// these integers, and their float values stay the model's thresholds (the float reference compares x >= t).
// The attribute "strict" is consumed here.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "passes/internal.h"

namespace firmnet::passes {

namespace {

class SnapThresholds : public Pass {
 public:
  const char* name() const override { return "snap_thresholds"; }

  bool run(ir::Graph& g, PassContext&) override {
    bool changed = false;
    for (auto& n : g.nodes) {
      if (n.kind != ir::OpKind::MultiThreshold) continue;
      const numeric::FixedType& tx = *g.tensor(n.inputs.at(0)).type;
      ir::Tensor& th = g.tensor(n.param("thresholds"));
      const std::vector<int64_t> strict = n.has_attr("strict") ? n.attr_ints("strict") : std::vector<int64_t>{};
      if (!strict.empty() && strict.size() != th.values.size())
        throw Error(layer_where(n), fmt::format("attribute 'strict' has {} entries for {} thresholds", strict.size(),
                                                th.values.size()));
      numeric::FixedType t;
      t.width = tx.width + (tx.is_signed ? 1 : 2);
      t.int_bits = t.width - tx.frac();
      t.is_signed = true;
      t.rounding = numeric::Rounding::TRN;
      t.overflow = numeric::Overflow::SAT;
      if (t.width > numeric::kMaxWidth)
        throw Error(layer_where(n), "thresholds on the grid of the " + tx.str() + " input need " +
                                        std::to_string(t.width) + " bits",
                    "give the MultiThreshold's input a type of at most 63 bits");
      const double lo = static_cast<double>(tx.raw_min()), hi = static_cast<double>(tx.raw_max()) + 1;
      th.raw.resize(th.values.size());
      for (size_t i = 0; i < th.values.size(); ++i) {
        const double scaled = std::ldexp(th.values[i], tx.frac());  // exact (a power-of-two scaling)
        double r = strict.empty() || strict[i] == 0 ? std::ceil(scaled) : std::floor(scaled) + 1;
        r = std::clamp(r, lo, hi);
        th.raw[i] = static_cast<int64_t>(r);
      }
      th.type = t;
      th.origin = "the input's grid (" + tx.str() + "), exact compare";
      n.attrs.erase("strict");
      changed = true;
    }
    return changed;
  }
};

}  // namespace

std::unique_ptr<Pass> make_snap_thresholds() { return std::make_unique<SnapThresholds>(); }

}  // namespace firmnet::passes
