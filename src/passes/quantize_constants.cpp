// quantize_constants: raw = quantize_double(value, type) for every constant, with the type's rounding but
// overflow always saturating (a weight never wraps). One Warning per layer and constant that did not fit,
// naming how many values, the worst one and the type's range.
#include <cmath>

#include <fmt/format.h>

#include "passes/internal.h"

namespace firmnet::passes {

namespace {

std::string plural(const std::string& key) {
  if (key == "weight") return "weights";
  if (key == "bias") return "biases";
  if (key == "scale") return "scales";
  return "values of '" + key + "'";
}

class QuantizeConstants : public Pass {
 public:
  const char* name() const override { return "quantize_constants"; }

  bool run(ir::Graph& g, PassContext& ctx) override {
    std::vector<bool> done(g.tensors.size(), false);
    bool changed = false;
    for (const auto& n : g.nodes)
      for (const auto& [key, id] : n.params) {
        if (done[static_cast<size_t>(id)]) continue;
        done[static_cast<size_t>(id)] = true;
        changed |= quantize(g.tensor(id), &n, key, ctx);
      }
    for (size_t id = 0; id < g.tensors.size(); ++id)  // constants outside params (folded graph outputs)
      if (!done[id] && g.tensors[id].is_const()) changed |= quantize(g.tensors[id], nullptr, "", ctx);
    return changed;
  }

 private:
  static bool quantize(ir::Tensor& t, const ir::Node* n, const std::string& key, PassContext& ctx) {
    const std::string where = n ? layer_where(*n) : "constant '" + t.name + "'";
    if (!t.raw.empty()) return false;  // already quantized (a frontend with integer constants)
    if (!t.type) throw Error(where, "constant '" + t.name + "' has no type", "resolve_types must run first");
    if (static_cast<int64_t>(t.values.size()) != t.size())
      throw Error(where, "constant '" + t.name + "' holds " + std::to_string(t.values.size()) + " values for shape " +
                             ir::to_string(t.shape));
    numeric::FixedType sat = *t.type;
    if (sat.overflow == numeric::Overflow::WRAP || sat.overflow == numeric::Overflow::SAT_ZERO)
      sat.overflow = numeric::Overflow::SAT;
    t.raw.resize(t.values.size());
    int64_t misfits = 0;
    double worst = 0, worst_excess = -1;
    for (size_t i = 0; i < t.values.size(); ++i) {
      const double v = t.values[i];
      if (!std::isfinite(v))
        throw Error(where, fmt::format("constant '{}' holds {} at index {}", t.name, v, i), "fix the model's weights");
      const numeric::Cast c = numeric::quantize_double(v, sat);
      t.raw[i] = c.raw;
      if (!c.overflow) continue;
      ++misfits;
      const double excess = v > 0 ? v - t.type->max_value() : t.type->min_value() - v;
      if (excess > worst_excess) worst_excess = excess, worst = v;
    }
    if (misfits > 0)
      ctx.warnings.push_back(
          {where, fmt::format("{} of {} {} do not fit {} (worst {:g}, range [{:g}, {:g}]); saturated", misfits,
                              t.values.size(), key.empty() ? "values of '" + t.name + "'" : plural(key),
                              t.type->str(), worst, t.type->min_value(), t.type->max_value())});
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> make_quantize_constants() { return std::make_unique<QuantizeConstants>(); }

}  // namespace firmnet::passes
