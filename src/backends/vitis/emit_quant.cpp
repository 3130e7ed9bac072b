// MultiThreshold, Rescale and ArgMax: the integer-network (FINN / QONNX) layers.
#include <fmt/format.h>

#include "backends/vitis/emit.h"
#include "numeric/fixed.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

void emit_multithreshold(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const ir::Tensor& th = ctx.graph().tensor(n.param("thresholds"));
  const std::string layout = n.has_attr("data_layout") ? n.attr_str("data_layout") : "NHWC";
  if (layout != "NHWC" && layout != "NCHW")
    throw Error(EmitContext::where(n), "data_layout '" + layout + "' is not supported", "use NHWC or NCHW");
  if (x.size() != y.size() || x.shape.empty())
    throw Error(EmitContext::where(n), fmt::format("input {} and output {} differ in size",
                                                   ir::to_string(x.shape), ir::to_string(y.shape)));
  const int64_t chan = layout == "NHWC" ? x.shape.back() : x.shape.front();
  if (th.shape.size() != 2 || (th.shape[0] != 1 && th.shape[0] != chan))
    throw Error(EmitContext::where(n), fmt::format("thresholds shape {} is not [1 or {}, T]",
                                                   ir::to_string(th.shape), chan));
  const int64_t n_thresholds = th.shape[1];
  begin_config(ctx, n, code, "multithreshold_config", "firmnet_hls.h");
  code.uint("n_in", x.size());
  code.uint("n_chan", chan);
  code.uint("n_thresholds", n_thresholds);
  code.uint("n_rows", th.shape[0]);
  code.value(fmt::format("static const bool channels_last = {};", layout == "NHWC" ? "true" : "false"));
  code.uint("reuse_factor", n.reuse_factor);
  std::string thresholds = param_array(ctx, n, code, "thresholds", "threshold_t");
  // The output per count, Q_res(out_scale*k + out_bias) or Q_res(out_levels[k]), comes from passes/build_tables
  // (table_data "levels"), the same table the emulator reads: the firmware holds no floating point.
  const bool listed = n.has_attr("out_levels");
  const double out_scale = !listed && n.has_attr("out_scale") ? n.attr_float("out_scale") : 1.0;
  const double out_bias = !listed && n.has_attr("out_bias") ? n.attr_float("out_bias") : 0.0;
  const auto levels = n.table_data.find("levels");
  if (levels == n.table_data.end() || static_cast<int64_t>(levels->second.size()) != n_thresholds + 1)
    throw Error(EmitContext::where(n), "the output levels table is missing or has the wrong size",
                "run the pass pipeline (build_tables) before writing the project");
  const numeric::FixedType& rt = ctx.type(n.outputs[0]);
  ConstArray values{ctx.names().claim(n.name + "_out_values"), ctx.type_name(n.outputs[0]), rt, levels->second,
                    listed ? fmt::format("MultiThreshold '{}': output per count k, Q_res(out_levels[k])", n.name)
                           : fmt::format("MultiThreshold '{}': output per count k, Q_res({} * k + {})", n.name,
                                         out_scale, out_bias)};
  code.arrays.push_back(values);
  code.types_comment += listed ? fmt::format(", out_levels, {}", layout)
                               : fmt::format(", out_scale {}, out_bias {}", out_scale, out_bias) + ", " + layout;
  code.call = kernel_call(ctx, n, code, "multithreshold") +
              fmt::format("{}, {}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), thresholds, values.name);
}

void emit_rescale(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  if (x.size() != y.size())
    throw Error(EmitContext::where(n), fmt::format("input {} and output {} differ in size",
                                                   ir::to_string(x.shape), ir::to_string(y.shape)));
  const int64_t last = x.shape.empty() ? 1 : x.shape.back();
  begin_config(ctx, n, code, "rescale_config", "firmnet_hls.h");
  code.uint("n_in", x.size());
  code.uint("n_last", last);
  code.uint("n_scale", ctx.graph().tensor(n.param("scale")).size());
  code.uint("reuse_factor", n.reuse_factor);
  std::string scale = param_array(ctx, n, code, "scale", "scale_t", {1, last});
  const std::string io = ctx.var(n.inputs[0]) + ", " + ctx.var(n.outputs[0]);
  if (n.has_param("pre_add")) {
    code.uint("n_pre_add", ctx.graph().tensor(n.param("pre_add")).size());
    std::string pre_add = param_array(ctx, n, code, "pre_add", "pre_add_t", {1, last});
    code.call = kernel_call(ctx, n, code, "rescale_add") + fmt::format("{}, {}, {});", io, scale, pre_add);
  } else {
    code.call = kernel_call(ctx, n, code, "rescale") + fmt::format("{}, {});", io, scale);
  }
}

void emit_argmax(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const int64_t row = x.shape.empty() ? 1 : x.shape.back();
  if (y.size() * row != x.size())
    throw Error(EmitContext::where(n), fmt::format("output {} does not hold one index per row of input {}",
                                                   ir::to_string(y.shape), ir::to_string(x.shape)));
  begin_config(ctx, n, code, "argmax_config", "firmnet_hls.h");
  code.uint("n_in", x.size());
  code.uint("n_row", row);
  code.uint("reuse_factor", n.reuse_factor);
  code.call = kernel_call(ctx, n, code, "argmax") + ctx.var(n.inputs[0]) + ", " + ctx.var(n.outputs[0]) + ");";
}

}  // namespace firmnet::backends::vitis
