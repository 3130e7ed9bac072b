// GarNet (kernels/firmnet_garnet.h, docs/NUMERICS.md "GarNet"): the layer's config with its named types, the
// exact types of every sum (sized here so that the kernel's sums never round or overflow, as the emulator's
// i128 sums), the seven constant arrays and the exp(-d^2) table.
#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "backends/vitis/emit.h"
#include "ir/garnet.h"
#include "numeric/bits.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

namespace {

using numeric::ExactType;

// The sum of `terms` values of type t: ceil(log2(terms)) more integer bits.
ExactType grow(const ExactType& t, int64_t terms) {
  const int k = numeric::ceil_log2(std::max<int64_t>(terms, 1));
  return {t.width + k, t.int_bits + k, t.is_signed};
}

numeric::FixedType fixed(const ExactType& e) { return numeric::make_type(e.width, e.int_bits, e.is_signed); }

}  // namespace

void emit_garnet(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Graph& g = ctx.graph();
  const ir::GarNetAttrs a = ir::GarNetAttrs::of(g, n);
  if (ctx.stream())
    throw Error(EmitContext::where(n), "GarNet has no io_stream implementation",
                "use IOType: io_parallel (a GarNet layer reads all its vertices before any output)");
  begin_config(ctx, n, code, "garnet_config", "firmnet_garnet.h");
  code.uint("n_vertices", a.vertices);
  code.uint("n_in", a.in_features);
  code.uint("n_aggregators", a.aggregators);
  code.uint("n_propagate", a.propagate);
  code.uint("n_out", a.out_features);
  code.value(fmt::format("static const unsigned collapse = firmnet_hls::garnet_{};", ir::name(a.collapse)));
  code.uint("reuse_factor", n.reuse_factor);
  const numeric::FixedType tx = ctx.type(n.inputs[0]);
  const numeric::FixedType& te = n.types.at("edge_weight");
  const numeric::FixedType& tea = n.types.at("edge_weight_aggr");
  const numeric::FixedType& tg = n.types.at("aggr");
  internal_type(ctx, n, code, "distance");
  add_type(ctx, n, code, "edge_weight_aggr", tea, "edge_weight_aggr_t");
  internal_type(ctx, n, code, "aggr");
  const int nv_bits = numeric::bit_length(a.vertices);
  add_type(ctx, n, code, "nv", numeric::make_type(nv_bits, nv_bits, false), "nv_t");
  std::vector<std::string> arrays;
  for (const char* k : {"flr_weight", "flr_bias", "s_weight", "s_bias", "fout_weight", "fout_bias", "reciprocal"})
    arrays.push_back(param_array(ctx, n, code, k, std::string(k) + "_t"));
  auto ptype = [&](const char* k) { return ctx.type(n.param(k)); };
  const ExactType dist = numeric::sum_type(numeric::exact(ptype("s_bias")),
                                           grow(numeric::product_type(tx, ptype("s_weight")), a.in_features));
  const ExactType edge_sum = grow(numeric::exact(te), a.vertices);
  const ExactType feature_sum = grow(numeric::product_type(te, tx), a.vertices);
  const ExactType aggr_sum = numeric::sum_type(numeric::product_type(ptype("flr_bias"), tea),
                                               grow(numeric::product_type(ptype("flr_weight"), tg), a.in_features));
  const ExactType base_sum = grow(numeric::product_type(tg, ptype("fout_weight")), a.propagate);
  const ExactType out_sum =
      a.per_vertex_output()
          ? numeric::sum_type(numeric::exact(ptype("fout_bias")), grow(numeric::product_type(te, tg), a.aggregators))
          : numeric::sum_type(numeric::product_type(ptype("fout_bias"), numeric::make_type(nv_bits, nv_bits, false)),
                              grow(numeric::product_type(fixed(edge_sum), tg), a.aggregators));
  // The exact sums' types, in the config struct itself (ap_fixed allows them beyond 64 bits).
  for (const auto& [alias, e] : {std::pair<const char*, ExactType>{"dist_sum_t", dist}, {"edge_sum_t", edge_sum},
                                 {"feature_sum_t", feature_sum}, {"aggr_sum_t", aggr_sum}, {"base_sum_t", base_sum},
                                 {"out_sum_t", out_sum}}) {
    if (e.width > 1024)
      throw Error(EmitContext::where(n), fmt::format("the exact {} needs {} bits (over ap_fixed's 1024)", alias, e.width),
                  "give the layer narrower types");
    code.value(fmt::format("typedef {} {};  // exact", fixed(e).cpp(), alias));
  }
  const std::string table = table_array(ctx, n, code, "edge", "");
  code.call = fmt::format("firmnet_hls::garnet<{}, {}, {}, {}>({}, {}, {}, {}, {});", ctx.type_name(n.inputs[0]),
                          ctx.type_name(n.inputs[1]), ctx.type_name(n.outputs[0]), code.config_name, ctx.var(n.inputs[0]),
                          ctx.var(n.inputs[1]), ctx.var(n.outputs[0]), fmt::join(arrays, ", "), table);
  code.types_comment = fmt::format("GarNet collapse {}, {} vertices / ReuseFactor {}; {}", ir::name(a.collapse),
                                   a.vertices, n.reuse_factor, code.types_comment);
}

}  // namespace firmnet::backends::vitis
