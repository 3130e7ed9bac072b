// Dense and BatchNorm: the layers with weight arrays.
#include <fmt/format.h>

#include "backends/vitis/emit.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

void emit_dense(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const ir::Tensor& w = ctx.graph().tensor(n.param("weight"));
  if (w.shape.size() != 2 || w.shape[0] != x.size() || w.shape[1] != y.size())
    throw Error(EmitContext::where(n),
                fmt::format("weight shape {} does not match input {} and output {}", ir::to_string(w.shape),
                            ir::to_string(x.shape), ir::to_string(y.shape)),
                "the weight must be [n_in, n_out] (W[i][j] at i*n_out + j)");
  if (n.reuse_factor < 1)
    throw Error(EmitContext::where(n), fmt::format("reuse factor {} is not positive", n.reuse_factor));
  const int64_t n_in = x.size(), n_out = y.size();
  const int64_t n_mult = (n_in * n_out + n.reuse_factor - 1) / n.reuse_factor;
  begin_config(ctx, n, code, "dense_config", "firmnet_hls.h");
  code.uint("n_in", n_in);
  code.uint("n_out", n_out);
  code.uint("reuse_factor", n.reuse_factor);
  code.value(fmt::format("static const unsigned strategy = firmnet_hls::{};",
                         n.strategy == ir::Strategy::Resource ? "resource" : "latency"));
  code.uint("n_mult", n_mult);
  internal_type(ctx, n, code, "accum");
  std::string weight = param_array(ctx, n, code, "weight", "weight_t");
  std::string bias = param_array(ctx, n, code, "bias", "bias_t", {n_out});
  code.call = kernel_call(ctx, n, code, "dense") +
              fmt::format("{}, {}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), weight, bias);
}

void emit_batchnorm(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  if (x.size() != y.size() || x.shape.empty())
    throw Error(EmitContext::where(n), fmt::format("input {} and output {} differ in size",
                                                   ir::to_string(x.shape), ir::to_string(y.shape)));
  const int64_t chan = x.shape.back();
  begin_config(ctx, n, code, "batchnorm_config", "firmnet_hls.h");
  code.uint("n_in", x.size());
  code.uint("n_chan", chan);
  code.uint("reuse_factor", n.reuse_factor);
  std::string scale = param_array(ctx, n, code, "scale", "scale_t", {chan});
  std::string bias = param_array(ctx, n, code, "bias", "bias_t", {chan});
  code.call = kernel_call(ctx, n, code, "batchnorm") +
              fmt::format("{}, {}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), scale, bias);
}

}  // namespace firmnet::backends::vitis
