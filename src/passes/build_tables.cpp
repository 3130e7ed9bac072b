// build_tables: the lookup tables of table activations (role "table") and of Softmax ("exp", "inv"),
// following docs/NUMERICS.md "Lookup tables" and "Softmax": geometry by numeric::make_table_spec, entries
// by numeric::build_table, sizes from TableSize (attrs["table_size"], set by resolve_types).
#include <cmath>

#include <fmt/format.h>

#include "passes/internal.h"

namespace firmnet::passes {

namespace {

int log2_exact(int size, const ir::Node& n) {
  const int k = ceil_log2(size);
  if ((int64_t{1} << k) != size)
    throw Error(layer_where(n), fmt::format("table size {} is not a power of two", size), "use e.g. 1024");
  return k;
}

void warn_overflows(const ir::Node& n, const char* role, int64_t count, const numeric::TableSpec& s,
                    PassContext& ctx) {
  if (count == 0) return;
  ctx.warnings.push_back({layer_where(n), fmt::format("{} of {} entries of the {} table do not fit {}; saturated",
                                                      count, s.size(), role, s.entry.str())});
}

class BuildTables : public Pass {
 public:
  const char* name() const override { return "build_tables"; }

  bool run(ir::Graph& g, PassContext& ctx) override {
    bool changed = false;
    for (auto& n : g.nodes) {
      if (n.kind == ir::OpKind::Softmax) {
        softmax(g, n, ctx);
        changed = true;
      } else if (const auto f = table_function(n)) {
        const int log2_size = log2_exact(table_size_of(n), n);
        const numeric::TableSpec s =
            numeric::make_table_spec(f->lo, log2_size, f->log2_range - log2_size, n.types.at("table"));
        int64_t overflows = 0;
        n.table_data["table"] = numeric::build_table(f->f, s, &overflows);
        n.tables["table"] = s;
        warn_overflows(n, "activation", overflows, s, ctx);
        changed = true;
      }
    }
    return changed;
  }

 private:
  static void softmax(const ir::Graph& g, ir::Node& n, PassContext& ctx) {
    const int log2_size = log2_exact(table_size_of(n), n);
    // exp on [-8, 0): d = 0 falls past the end and is clamped into the last bucket (centre -step/2).
    const numeric::TableSpec e = numeric::make_table_spec(-std::ldexp(1.0, kSoftmaxLog2ExpRange), log2_size,
                                                          kSoftmaxLog2ExpRange - log2_size, n.types.at("exp_table"));
    int64_t overflows = 0;
    n.table_data["exp"] = numeric::build_table([](double x) { return std::exp(x); }, e, &overflows);
    n.tables["exp"] = e;
    warn_overflows(n, "exp", overflows, e, ctx);
    // 1/x on [0, 2^ceil(log2 n)]: the sum of n entries, each < 1, and >= e(max) > 0.5, so bucket 0 (which
    // would need 1/(step/2)) is never read; its saturation is expected and not reported.
    const ir::Shape& shape = g.tensor(n.inputs.at(0)).shape;
    const int log2_range = ceil_log2(shape.empty() ? 1 : shape.back());
    const numeric::TableSpec inv =
        numeric::make_table_spec(0.0, log2_size, log2_range - log2_size, n.types.at("inv_table"));
    n.table_data["inv"] = numeric::build_table([](double x) { return 1.0 / x; }, inv, &overflows);
    n.tables["inv"] = inv;
    // Entries for sums above 0.5 must fit; count the overflows among them.
    int64_t used_overflows = 0;
    for (int64_t i = 0; i < inv.size(); ++i) {
      const double centre = std::ldexp(static_cast<double>(i - inv.offset) + 0.5, inv.log2_step);
      if (centre > 0.5 && numeric::quantize_double(1.0 / centre, inv.entry).overflow) ++used_overflows;
    }
    warn_overflows(n, "inverse", used_overflows, inv, ctx);
  }
};

}  // namespace

std::unique_ptr<Pass> make_build_tables() { return std::make_unique<BuildTables>(); }

}  // namespace firmnet::passes
