// Dense and BatchNorm: the layers with weight arrays.
#include <fmt/format.h>

#include "backends/vitis/dense_schedule.h"
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
  const int64_t n_in = x.size(), n_out = y.size();
  begin_config(ctx, n, code, "dense_config", "firmnet_hls.h");
  const DenseFields f = emit_dense_fields(ctx, n, code, n_in, n_out, n.strategy);
  code.call = kernel_call(ctx, n, code, f.sched.resource ? "dense_resource" : "dense_latency") +
              fmt::format("{}, {}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), f.weight, f.bias);
}

DenseFields emit_dense_fields(EmitContext& ctx, const ir::Node& n, LayerCode& code, int64_t n_in, int64_t n_out,
                              ir::Strategy strategy) {
  if (n.reuse_factor < 1)
    throw Error(EmitContext::where(n), fmt::format("reuse factor {} is not positive", n.reuse_factor));
  const DenseSchedule sched = dense_schedule(n_in, n_out, n.reuse_factor, strategy);
  code.uint("n_in", n_in);
  code.uint("n_out", n_out);
  code.uint("reuse_factor", n.reuse_factor);
  code.value(fmt::format("static const unsigned strategy = firmnet_hls::{};",
                         strategy == ir::Strategy::Resource ? "resource" : "latency"));
  code.uint("n_mult", sched.n_mult);
  code.uint("n_weights", sched.n_weights);
  if (sched.resource) {
    code.uint("n_chunks", sched.n_chunks);
    code.uint("n_iters", sched.n_iters);
    code.uint("in_per_iter", sched.in_per_iter);
    code.uint("out_per_chunk", sched.out_per_chunk);
  }
  const std::string accum = internal_type(ctx, n, code, "accum");
  std::string weight = param_array(ctx, n, code, "weight", "weight_t", {n_in * n_out});
  if (sched.resource) {  // kernel order: ROM word c*n_iters + r holds the weights of iteration r of block c
    ConstArray& a = code.arrays.back();
    a.raw = weights_in_kernel_order(sched, a.raw, n_in, n_out);
    a.comment += fmt::format("; stored in kernel order: {} ROM words of {} (word c*{} + r: inputs r*{}.., outputs "
                             "c*{}..; zero padding)", sched.rom_words(), sched.n_mult, sched.n_iters,
                             sched.in_per_iter, sched.out_per_chunk);
  }
  std::string bias = param_array(ctx, n, code, "bias", "bias_t", {n_out});
  // How the sum is spelled: same bits, but a modular add chain can be balanced by HLS.
  const numeric::FixedType& acc_t = n.types.at("accum");
  std::string why;
  const bool cast = product_cast_is_exact(acc_t, ctx.type(n.inputs[0]), ctx.type(n.param("weight")),
                                          ctx.graph().tensor(n.param("weight")), ctx.graph().tensor(n.param("bias")),
                                          ctx.type(n.param("bias")), &why);
  code.value(fmt::format("static const bool product_cast = {};  // {}", cast ? "true" : "false", why));
  if (cast && acc_t.overflow != numeric::Overflow::WRAP) {
    numeric::FixedType wrap = acc_t;
    wrap.overflow = numeric::Overflow::WRAP;
    add_type(ctx, n, code, "sum", wrap, "sum_t");
  } else {
    code.value(fmt::format("typedef {} sum_t;", accum));
  }
  return {std::move(weight), std::move(bias), sched};
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
