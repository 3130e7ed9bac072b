// build_tables: the lookup tables of table activations (role "table") and of Softmax ("exp_hi", "exp_lo", "inv"),
// following docs/NUMERICS.md "Lookup tables" and "Softmax": geometry by numeric::make_table_spec, entries
// by numeric::build_table, sizes from TableSize (attrs["table_size"], set by resolve_types).
#include <cmath>

#include <fmt/format.h>

#include "ir/garnet.h"
#include "ir/recurrent.h"
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
      if (n.kind == ir::OpKind::MultiThreshold) {
        levels(g, n);
        changed = true;
      } else if (n.kind == ir::OpKind::Softmax) {
        softmax(n, ctx);
        changed = true;
      } else if (n.kind == ir::OpKind::Recurrent) {
        const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
        function_table(n, "table", ir::cell_function(n, a.activation, false), ctx);
        if (a.has_recurrent_activation())
          function_table(n, "recurrent_table", ir::cell_function(n, a.recurrent_activation, true), ctx);
        changed = true;
      } else if (n.kind == ir::OpKind::GarNet) {
        // exp(-d^2) on [-4, 4) (docs/NUMERICS.md "GarNet"): beyond, the clamped end entries (exp(-16) ~ 1e-7).
        ir::TableFunction f;
        f.f = ir::garnet_edge_weight;
        f.lo = -4.0;
        f.log2_range = 3;
        f.entry = n.types.at("edge_weight");
        function_table(n, "edge", f, ctx, "edge_weight");
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
  // Table `role` of function f with entry type types[role] (a recurrent cell's tables).
  static void function_table(ir::Node& n, const std::string& role, const ir::TableFunction& f, PassContext& ctx,
                             const std::string& type_key = {}) {
    const int log2_size = log2_exact(table_size_of(n), n);
    const numeric::TableSpec s = numeric::make_table_spec(f.lo, log2_size, f.log2_range - log2_size,
                                                          n.types.at(type_key.empty() ? role : type_key));
    int64_t overflows = 0;
    n.table_data[role] = numeric::build_table(f.f, s, &overflows);
    n.tables[role] = s;
    warn_overflows(n, role.c_str(), overflows, s, ctx);
  }

  // MultiThreshold output per count k = 0..T: Q_res(level k) (ir::threshold_levels: out_scale * k + out_bias,
  // or the listed out_levels), computed once here (in double, exact for the scales quantized models use) for
  // the emulator and the firmware alike, with whether the cast overflowed.
  static void levels(const ir::Graph& g, ir::Node& n) {
    const numeric::FixedType& rt = *g.tensor(n.outputs.at(0)).type;
    std::vector<int64_t> raw, ovf;
    for (double level : ir::threshold_levels(g, n)) {
      const numeric::Cast c = numeric::quantize_double(level, rt);
      raw.push_back(c.raw);
      ovf.push_back(c.overflow ? 1 : 0);
    }
    n.table_data["levels"] = raw;
    n.table_data["levels_overflow"] = ovf;
  }

  static void softmax(ir::Node& n, PassContext& ctx) {
    const int log2_size = log2_exact(table_size_of(n), n);
    // Two-level exp (docs/NUMERICS.md, "Softmax"): exp(d) = exp(d_hi) * exp(d_lo). The coarse table has
    // buckets of 2^s_hi on [-R + 2^s_hi, 2^s_hi), sampled at their left edges (so d_hi = 0 gives exactly 1);
    // the fine table splits one coarse bucket into buckets of 2^s_lo, sampled at their centres, and is
    // indexed by the low bits of the bucket number. Two tables of N entries resolve d to R / N^2.
    const numeric::FixedType& et = n.types.at("exp_table");
    const int s_hi = kSoftmaxLog2ExpRange - log2_size, s_lo = s_hi - log2_size;
    const double step_hi = std::ldexp(1.0, s_hi);
    const numeric::TableSpec hi =
        numeric::make_table_spec(-std::ldexp(1.0, kSoftmaxLog2ExpRange) + step_hi, log2_size, s_hi, et);
    const numeric::TableSpec lo = numeric::make_table_spec(0.0, log2_size, s_lo, et);
    int64_t overflows = 0;
    n.table_data["exp_hi"] = numeric::build_table([&](double x) { return std::exp(x - step_hi / 2); }, hi, &overflows);
    n.tables["exp_hi"] = hi;
    warn_overflows(n, "exp (coarse)", overflows, hi, ctx);
    overflows = 0;
    n.table_data["exp_lo"] = numeric::build_table([](double x) { return std::exp(x); }, lo, &overflows);
    n.tables["exp_lo"] = lo;
    warn_overflows(n, "exp (fine)", overflows, lo, ctx);
    overflows = 0;
    // The inverse of the sum's mantissa m in [1, 2] (the sum is 2^(b-1-F_a) * m): N buckets of 2^-L on [1, 2),
    // sampled at both edges, inv[j] = 1 / (1 + j/N) for j = 0..N (inv[N] = 1/2), interpolated between them.
    // Each entry is Q_inv of the exact N / (N + j): its quotient on kInvGuard fractional bits, with a sticky
    // last bit for a non-zero remainder (N / (N + j) is not dyadic for 0 < j < N), rounds as the exact value.
    const numeric::TableSpec inv = numeric::make_table_spec(1.0, log2_size, -log2_size, n.types.at("inv_table"));
    constexpr int kInvGuard = 96;  // N <= 2^24: N * 2^96 fits 128 bits
    if (inv.entry.frac() > kInvGuard - 2)
      throw Error(layer_where(n), fmt::format("inv_table precision {} has more than {} fractional bits",
                                              inv.entry.str(), kInvGuard - 2), "use e.g. ufixed<24,1,RND_CONV,SAT>");
    std::vector<int64_t> inv_data;
    for (int64_t j = 0; j <= inv.size(); ++j) {
      const numeric::i128 num = static_cast<numeric::i128>(inv.size()) << kInvGuard, den = inv.size() + j;
      const numeric::Cast c = numeric::quantize(num / den | (num % den != 0 ? 1 : 0), kInvGuard, inv.entry);
      inv_data.push_back(c.raw);
      overflows += c.overflow ? 1 : 0;
    }
    n.table_data["inv"] = std::move(inv_data);
    n.tables["inv"] = inv;
    if (overflows)
      ctx.warnings.push_back({layer_where(n), fmt::format("{} of {} entries of the inverse table do not fit {}; saturated",
                                                          overflows, inv.size() + 1, inv.entry.str())});
  }
};

}  // namespace

std::unique_ptr<Pass> make_build_tables() { return std::make_unique<BuildTables>(); }

}  // namespace firmnet::passes
