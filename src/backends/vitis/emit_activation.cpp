// Activation functions and Softmax: the table-driven layers.
#include <fmt/format.h>

#include "backends/vitis/emit.h"
#include "ir/activations.h"
#include "support/error.h"

namespace firmnet::backends::vitis {
namespace {

void same_size(const EmitContext& ctx, const ir::Node& n) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  if (x.size() != y.size())
    throw Error(EmitContext::where(n), fmt::format("input {} and output {} differ in size",
                                                   ir::to_string(x.shape), ir::to_string(y.shape)));
}

}  // namespace

void emit_activation(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  same_size(ctx, n);
  const ir::ActivationFn f = ir::activation_fn(n);
  const std::string fn = ir::name(f);
  begin_config(ctx, n, code, "activation_config", "firmnet_hls.h");
  code.uint("n_in", input_tensor(ctx, n, 0).size());
  code.uint("reuse_factor", n.reuse_factor);
  const std::string io = ctx.var(n.inputs[0]) + ", " + ctx.var(n.outputs[0]);
  std::string args;  // extra kernel arguments after (in, out)
  std::string kernel = fn;  // firmnet_hls.h has a kernel per exact function
  if (const auto e = ir::exact_fn(f)) {
    switch (*e) {
      case ir::ExactFn::Linear:
      case ir::ExactFn::Relu:
      case ir::ExactFn::HardTanh: break;
      case ir::ExactFn::LeakyRelu: args = ", " + param_array(ctx, n, code, "alpha", "alpha_t", {1}); break;
      case ir::ExactFn::Clip:
        args = ", " + param_array(ctx, n, code, "min", "min_t", {1});
        args += ", " + param_array(ctx, n, code, "max", "max_t", {1});
        break;
      case ir::ExactFn::HardSigmoid:
        args = ", " + param_array(ctx, n, code, "slope", "slope_t", {1});
        args += ", " + param_array(ctx, n, code, "offset", "offset_t", {1});
        break;
    }
  } else {
    // One kernel per table form: table_function; elu (x >= 0 ? x : table) or selu (x * gamma); softplus.
    args = ", " + table_array(ctx, n, code, "table", "");
    switch (*ir::table_form(f)) {
      case ir::TableForm::Table: kernel = "table_function"; break;
      case ir::TableForm::TableBelowZero:
        kernel = n.has_param("gamma") ? "selu" : "elu";
        if (n.has_param("gamma")) args += ", " + param_array(ctx, n, code, "gamma", "gamma_t", {1});
        break;
      case ir::TableForm::TableOrPass: kernel = "softplus"; break;
    }
  }
  code.call = kernel_call(ctx, n, code, kernel) + io + args + ");";
  code.types_comment = "function " + fn + (code.types_comment.empty() ? "" : ", " + code.types_comment);
}

// Stable softmax: max, exact differences, two-level exp tables, sum, interpolated inverse of the sum's
// mantissa, products.
void emit_softmax(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  same_size(ctx, n);
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  if (n.has_attr("implementation") && n.attr_str("implementation") != "stable")
    throw Error(EmitContext::where(n), "softmax implementation '" + n.attr_str("implementation") +
                                           "' has no HLS kernel", "use implementation: stable");
  const numeric::FixedType& xt = ctx.type(n.inputs[0]);
  // x_k - max is exact in one more bit, signed (it is <= 0 and may reach -(max - min)).
  numeric::FixedType diff{xt.width + 1, xt.int_bits + 1, true};
  if (diff.width > numeric::kMaxWidth)
    throw Error(EmitContext::where(n), "softmax input type " + xt.str() + " is too wide for the exact difference",
                "use an input precision of at most 63 bits");
  begin_config(ctx, n, code, "softmax_config", "firmnet_hls.h");
  code.uint("n_in", x.size());
  code.uint("n_row", x.shape.empty() ? 1 : x.shape.back());
  code.uint("reuse_factor", n.reuse_factor);
  add_type(ctx, n, code, "diff", diff, "diff_t");
  internal_type(ctx, n, code, "accum");
  internal_type(ctx, n, code, "exp_table");
  std::string exp_hi = table_array(ctx, n, code, "exp_hi", "exp_hi_");
  std::string exp_lo = table_array(ctx, n, code, "exp_lo", "exp_lo_");
  std::string inv_table = table_array(ctx, n, code, "inv", "inv_");
  // The interpolation's difference inv[j+1] - inv[j] in as few bits as the table needs (a narrow multiplier).
  const ir::SoftmaxInverse inv = ir::softmax_inverse(n, x.shape.empty() ? 1 : x.shape.back());
  if (inv.index_bits < 1 || inv.index_bits > 24)
    throw Error(EmitContext::where(n), fmt::format("the inverse table has 2^{} buckets", inv.index_bits),
                "use a table size between 2 and 2^24");
  code.uint("inv_index_bits", inv.index_bits);
  code.uint("inv_delta_width", inv.delta_width);
  // Where the sum's leading one can be: the priority encoder and the final shift span only these positions.
  code.value(fmt::format("static const int lead_min = {};", inv.lead_min));
  code.value(fmt::format("static const int lead_max = {};", inv.lead_max));
  code.call = kernel_call(ctx, n, code, "softmax_stable") + fmt::format("{}, {}, {}, {}, {});", ctx.var(n.inputs[0]),
                                                                        ctx.var(n.outputs[0]), exp_hi, exp_lo, inv_table);
}

}  // namespace firmnet::backends::vitis
