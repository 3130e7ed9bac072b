// Recurrent layers (LSTM, GRU, SimpleRNN; kernels/firmnet_rnn.h): the layer's config with its two Dense products
// as nested configs (mult_x: the input product, ReuseFactor; mult_h: the recurrent product,
// recurrent_reuse_factor), the exact pre-activation types, the states' types and the two tables. `static` picks
// recurrent_static (one cell reused every step) or recurrent_unrolled (the steps unrolled).
#include <fmt/format.h>

#include "backends/vitis/dense_schedule.h"
#include "backends/vitis/emit.h"
#include "ir/recurrent.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

namespace {

numeric::FixedType fixed_of(const ir::Node& n, const numeric::ExactType& e, const char* what) {
  if (e.width > 64)
    throw Error(EmitContext::where(n), fmt::format("the exact {} needs {} bits (over 64)", what, e.width),
                "give narrower accum / recurrent_accum precisions");
  return numeric::make_type(e.width, e.int_bits, e.is_signed);
}

// One product's nested config (a firmnet_hls::dense_config) and its weight and bias arrays; returns the array
// names "weight, bias".
// Columns [first, first + n_out) of the parameters, which have `total` columns (a reset_before GRU splits its
// recurrent weight in two products).
struct Columns {
  int64_t first = 0, total = 0;
};

std::vector<int64_t> column_slice(const std::vector<int64_t>& m, int64_t rows, int64_t n_out, const Columns& c) {
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(rows * n_out));
  for (int64_t i = 0; i < rows; ++i)
    out.insert(out.end(), m.begin() + i * c.total + c.first, m.begin() + i * c.total + c.first + n_out);
  return out;
}

std::string product_config(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& nested,
                           const std::string& weight_role, const std::string& bias_role, const std::string& accum_role,
                           const numeric::FixedType& input_type, int64_t n_in, int64_t n_out, int reuse,
                           const Columns& cols) {
  const DenseSchedule sched = dense_schedule(n_in, n_out, reuse, n.strategy);
  const std::string weight = param_array(ctx, n, code, weight_role, "", {n_in * cols.total});
  const std::string weight_t = code.typedefs.back().name;
  const bool sliced = n_out != cols.total;
  if (sliced) {
    ConstArray& a = code.arrays.back();
    a.raw = column_slice(a.raw, n_in, n_out, cols);
    a.comment += fmt::format(": columns {} to {}", cols.first, cols.first + n_out - 1);
  }
  if (sched.resource) {  // kernel order, as a Dense's (emit_dense_fields)
    ConstArray& a = code.arrays.back();
    a.raw = weights_in_kernel_order(sched, a.raw, n_in, n_out);
    a.comment += fmt::format("; stored in kernel order: {} ROM words of {}", sched.rom_words(), sched.n_mult);
  }
  const std::string bias = param_array(ctx, n, code, bias_role, "", {cols.total});
  const std::string bias_t = code.typedefs.back().name;
  if (sliced) {
    ConstArray& a = code.arrays.back();
    a.raw = column_slice(a.raw, 1, n_out, cols);
    a.comment += fmt::format(": columns {} to {}", cols.first, cols.first + n_out - 1);
  }
  const numeric::FixedType& acc = n.types.at(accum_role);
  // The layer's recurrent_accum_t typedef comes with mult_h (mult_hn shares the type).
  const std::string accum_t = add_type(ctx, n, code, accum_role, acc, nested == "mult_hn" ? "" : accum_role + "_t");
  std::string why;
  const bool cast = product_cast_is_exact(acc, input_type, ctx.type(n.param(weight_role)),
                                          ctx.graph().tensor(n.param(weight_role)), ctx.graph().tensor(n.param(bias_role)),
                                          ctx.type(n.param(bias_role)), &why);
  std::string sum_t = accum_t;
  if (cast && acc.overflow != numeric::Overflow::WRAP) {
    numeric::FixedType wrap = acc;
    wrap.overflow = numeric::Overflow::WRAP;
    sum_t = add_type(ctx, n, code, accum_role + "_sum", wrap, "");
  }
  code.value(fmt::format("struct {} : firmnet_hls::dense_config {{", nested));
  auto line = [&](const std::string& s) { code.value("  " + s); };
  auto uint = [&](const char* k, int64_t v) { line(fmt::format("static const unsigned {} = {};", k, v)); };
  uint("n_in", n_in);
  uint("n_out", n_out);
  uint("reuse_factor", reuse);
  line(fmt::format("static const unsigned strategy = firmnet_hls::{};",
                   n.strategy == ir::Strategy::Resource ? "resource" : "latency"));
  uint("n_mult", sched.n_mult);
  uint("n_weights", sched.n_weights);
  if (sched.resource) {
    uint("n_chunks", sched.n_chunks);
    uint("n_iters", sched.n_iters);
    uint("in_per_iter", sched.in_per_iter);
    uint("out_per_chunk", sched.out_per_chunk);
  }
  line(fmt::format("static const bool product_cast = {};  // {}", cast ? "true" : "false", why));
  line(fmt::format("typedef {} accum_t;", accum_t));
  line(fmt::format("typedef {} sum_t;", sum_t));
  line(fmt::format("typedef {} weight_t;", weight_t));
  line(fmt::format("typedef {} bias_t;", bias_t));
  code.value("};");
  return weight + ", " + bias;
}

}  // namespace

void emit_recurrent(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(ctx.graph(), n);
  const int64_t GW = a.gate_width();
  begin_config(ctx, n, code, "recurrent_config", "firmnet_rnn.h");
  code.uint("n_steps", a.steps);
  code.uint("n_in", a.features);
  code.uint("n_units", a.units);
  code.uint("n_gates", a.gates());
  code.value(fmt::format("static const unsigned cell = firmnet_hls::cell_{};", ir::name(a.cell)));
  code.value(fmt::format("static const bool reverse = {};", a.reverse ? "true" : "false"));
  code.value(fmt::format("static const bool return_sequences = {};", a.return_sequences ? "true" : "false"));
  const int rrf = n.has_attr("recurrent_reuse_factor") ? static_cast<int>(n.attr_int("recurrent_reuse_factor")) : n.reuse_factor;
  const std::string x_arrays = product_config(ctx, n, code, "mult_x", "weight", "bias", "accum", ctx.type(n.inputs[0]),
                                              a.features, GW, n.reuse_factor, {0, GW});
  const numeric::FixedType& ts = n.types.at("state");
  const int64_t SW = a.state_product_width();
  std::string h_arrays = product_config(ctx, n, code, "mult_h", "recurrent_weight", "recurrent_bias",
                                        "recurrent_accum", ts, a.units, SW, rrf, {0, GW});
  if (a.reset_before()) {  // the candidate's product over r * h (exact)
    const numeric::FixedType trh = ir::reset_state_type(n, n.types.at("recurrent_table"), ts);
    code.value("static const bool reset_before = true;");
    add_type(ctx, n, code, "reset_state", trh, "reset_state_t");
    h_arrays += ", " + product_config(ctx, n, code, "mult_hn", "recurrent_weight", "recurrent_bias", "recurrent_accum",
                                      trh, a.units, a.units, rrf, {SW, GW});
  }
  const numeric::FixedType& ta = n.types.at("accum");
  const numeric::FixedType& tr = n.types.at("recurrent_accum");
  add_type(ctx, n, code, "pre", fixed_of(n, numeric::sum_type(numeric::exact(ta), numeric::exact(tr)), "gate sum"), "pre_t");
  add_type(ctx, n, code, "state", ts, "state_t");
  if (a.cell == ir::CellKind::LSTM) add_type(ctx, n, code, "cell_state", n.types.at("cell_state"), "cell_t");
  else code.value("typedef state_t cell_t;  // unused: no cell state");
  const std::string table = table_array(ctx, n, code, "table", "");
  std::string recurrent_table = table;
  if (a.has_recurrent_activation()) {
    recurrent_table = table_array(ctx, n, code, "recurrent_table", "recurrent_");
  } else {
    code.value("typedef table_t recurrent_table_t;  // unused: the table is passed twice");
    code.value("static const unsigned recurrent_table_size = table_size;");
    code.value("static const int recurrent_table_log2_step = table_log2_step;");
    code.value("static const long long recurrent_table_offset = table_offset;");
  }
  if (a.cell == ir::CellKind::GRU && !a.reset_before())
    add_type(ctx, n, code, "cand_pre",
             fixed_of(n, numeric::sum_type(numeric::exact(ta), numeric::product_type(n.tables.at("recurrent_table").entry, tr)),
                      "candidate sum"),
             "cand_pre_t");
  else
    code.value("typedef pre_t cand_pre_t;  // unused: GRU with linear_before_reset 1 only");
  const char* kernel = a.reset_before() ? (a.is_static ? "gru_reset_before_static" : "gru_reset_before_unrolled")
                                        : (a.is_static ? "recurrent_static" : "recurrent_unrolled");
  code.call = kernel_call(ctx, n, code, kernel) +
              fmt::format("{}, {}, {}, {}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), x_arrays, h_arrays,
                          table, recurrent_table);
  code.types_comment = fmt::format("{}{} {} {}, {}", ir::name(a.cell), a.reset_before() ? " reset_before" : "",
                                   a.is_static ? "static" : "unrolled",
                                   a.reverse ? "reverse" : "forward", code.types_comment);
}

}  // namespace firmnet::backends::vitis
