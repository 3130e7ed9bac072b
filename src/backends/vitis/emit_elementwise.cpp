// Elementwise (tensor or constant operand), Reshape and Concat: data movement and one exact operation.
#include <fmt/format.h>

#include "backends/vitis/emit.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

void emit_elementwise(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& a = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const std::string& op = n.attr_str("op");
  if (op != "add" && op != "sub" && op != "mul")
    throw Error(EmitContext::where(n), "elementwise op '" + op + "' has no HLS kernel", "use add, sub or mul");
  if (a.size() != y.size())
    throw Error(EmitContext::where(n), fmt::format("input {} and output {} differ in size",
                                                   ir::to_string(a.shape), ir::to_string(y.shape)));
  begin_config(ctx, n, code, "elementwise_config", "firmnet_hls.h");
  code.uint("n_in", a.size());
  code.value("static const unsigned op = firmnet_hls::op_" + op + ";");
  code.uint("reuse_factor", n.reuse_factor);
  code.types_comment = "op " + op;
  const std::string out = ctx.var(n.outputs[0]);
  if (n.inputs.size() == 2) {
    const ir::Tensor& b = input_tensor(ctx, n, 1);
    if (b.size() != a.size())
      throw Error(EmitContext::where(n), fmt::format("operands {} and {} differ in size; only equal sizes "
                                                     "are supported for two tensors",
                                                     ir::to_string(a.shape), ir::to_string(b.shape)),
                  "broadcast constants are supported as the 'constant' parameter");
    code.call = fmt::format("firmnet_hls::elementwise<{}, {}, {}, {}>({}, {}, {});", ctx.type_name(n.inputs[0]),
                            ctx.type_name(n.inputs[1]), ctx.type_name(n.outputs[0]), code.config_name,
                            ctx.var(n.inputs[0]), ctx.var(n.inputs[1]), out);
    return;
  }
  if (n.inputs.size() != 1 || !n.has_param("constant"))
    throw Error(EmitContext::where(n), fmt::format("has {} inputs and {} constant", n.inputs.size(),
                                                   n.has_param("constant") ? "a" : "no"),
                "an elementwise layer needs two tensors, or one tensor and the parameter 'constant'");
  const int64_t last = a.shape.empty() ? 1 : a.shape.back();
  const int64_t n_const = ctx.graph().tensor(n.param("constant")).size();
  std::string c = param_array(ctx, n, code, "constant", "const_t", {1, last, a.size()});
  code.uint("n_const", n_const);
  code.call = kernel_call(ctx, n, code, "elementwise_const") +
              fmt::format("{}, {}, {});", ctx.var(n.inputs[0]), out, c);
}

void emit_reshape(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  if (x.size() != y.size())
    throw Error(EmitContext::where(n), fmt::format("reshape from {} to {} changes the number of elements",
                                                   ir::to_string(x.shape), ir::to_string(y.shape)));
  code.kernel_header = "firmnet_hls.h";
  code.types_comment = ir::to_string(x.shape) + " -> " + ir::to_string(y.shape);
  code.call = fmt::format("firmnet_hls::copy<{}, {}, {}>({}, {});", ctx.type_name(n.inputs[0]),
                          ctx.type_name(n.outputs[0]), x.size(), ctx.var(n.inputs[0]), ctx.var(n.outputs[0]));
}

// Each input becomes one concat_part call: `outer` blocks (the axes before `axis`) of its inner size.
void emit_concat(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& y = output_tensor(ctx, n);
  if (n.inputs.empty()) throw Error(EmitContext::where(n), "has no inputs");
  const int64_t rank = static_cast<int64_t>(y.shape.size());
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank)
    throw Error(EmitContext::where(n), fmt::format("axis {} is outside the output shape {}", n.attr_int("axis"),
                                                   ir::to_string(y.shape)),
                "the axis counts per-sample dimensions (ONNX axis - 1)");
  auto product = [](const ir::Shape& s, size_t from, size_t to) {
    int64_t p = 1;
    for (size_t d = from; d < to && d < s.size(); ++d) p *= s[d];
    return p;
  };
  const size_t ax = static_cast<size_t>(axis);
  const int64_t outer = product(y.shape, 0, ax);
  const int64_t inner_out = product(y.shape, ax, y.shape.size());
  code.kernel_header = "firmnet_hls.h";
  code.types_comment = "axis " + std::to_string(axis);
  int64_t offset = 0;
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const ir::Tensor& x = input_tensor(ctx, n, k);
    bool ok = x.shape.size() == y.shape.size();
    for (size_t d = 0; ok && d < x.shape.size(); ++d) ok = d == ax || x.shape[d] == y.shape[d];
    if (!ok)
      throw Error(EmitContext::where(n), fmt::format("input {} shape {} does not concatenate into {} on axis {}",
                                                     k, ir::to_string(x.shape), ir::to_string(y.shape), axis));
    const int64_t inner_in = product(x.shape, ax, x.shape.size());
    code.call += fmt::format("{}firmnet_hls::concat_part<{}, {}, {}, {}, {}, {}>({}, {});", k ? "\n" : "",
                             ctx.type_name(n.inputs[k]), ctx.type_name(n.outputs[0]), outer, inner_in, inner_out,
                             offset, ctx.var(n.inputs[k]), ctx.var(n.outputs[0]));
    offset += inner_in;
  }
  if (offset != inner_out)
    throw Error(EmitContext::where(n), fmt::format("inputs fill {} of the {} values per block on axis {}", offset,
                                                   inner_out, axis));
}

}  // namespace firmnet::backends::vitis
