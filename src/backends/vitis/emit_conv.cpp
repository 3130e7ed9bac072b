// Conv, Pool, Transpose, Upsample and Slice over channels-last maps (kernels/firmnet_conv.h, io_parallel; io_stream:
// the line-buffer Conv and Pool of kernels/firmnet_stream.h with the same config structs).
#include <fmt/format.h>

#include "backends/vitis/emit.h"
#include "backends/vitis/vitis_backend.h"
#include "ir/spatial.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

namespace {

// The window_config fields of a 1-D or 2-D window (a 1-D map is one row: height 1).
void window_fields(const ir::Node& n, LayerCode& code, const ir::Window& w, int64_t channels) {
  if (w.rank() != 1 && w.rank() != 2)
    throw Error(EmitContext::where(n), fmt::format("has a {}-D window; the HLS kernels take 1-D and 2-D maps", w.rank()));
  const size_t r = w.rank();
  auto axis = [&](const std::vector<int64_t>& v, size_t a, int64_t one) { return r == 1 && a == 0 ? one : v[a - (2 - r)]; };
  for (size_t k = 0; k < r; ++k)
    if (w.kernel[k] < 1 || w.stride[k] < 1 || w.dilation[k] < 1 || w.pad_begin[k] < 0)
      throw Error(EmitContext::where(n), "has a window with a non-positive kernel, stride or dilation, or a negative pad");
  code.uint("in_height", axis(w.in, 0, 1));
  code.uint("in_width", axis(w.in, 1, 1));
  code.uint("n_chan", channels);
  code.uint("out_height", axis(w.out, 0, 1));
  code.uint("out_width", axis(w.out, 1, 1));
  code.uint("filt_height", axis(w.kernel, 0, 1));
  code.uint("filt_width", axis(w.kernel, 1, 1));
  code.uint("n_taps", w.taps());
  code.uint("stride_height", axis(w.stride, 0, 1));
  code.uint("stride_width", axis(w.stride, 1, 1));
  code.uint("dilation_height", axis(w.dilation, 0, 1));
  code.uint("dilation_width", axis(w.dilation, 1, 1));
  code.uint("pad_top", axis(w.pad_begin, 0, 0));
  code.uint("pad_left", axis(w.pad_begin, 1, 0));
  if (w.dilates_input()) {
    code.uint("in_dilation_height", axis(w.in_dilation, 0, 1));
    code.uint("in_dilation_width", axis(w.in_dilation, 1, 1));
  }
}

void check_map(const EmitContext& ctx, const ir::Node& n, const ir::Window& w, int64_t in_channels, int64_t out_channels) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  if (x.size() != w.in_pixels() * in_channels || y.size() != w.out_pixels() * out_channels)
    throw Error(EmitContext::where(n),
                fmt::format("input {} and output {} do not match the window ({} input and {} output pixels)",
                            ir::to_string(x.shape), ir::to_string(y.shape), w.in_pixels(), w.out_pixels()));
}

}  // namespace

void emit_conv(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::ConvAttrs a = ir::ConvAttrs::of(ctx.graph(), n);
  check_map(ctx, n, a.win, a.in_channels, a.out_channels);
  if (a.depthwise() && a.group != a.in_channels)
    throw Error(EmitContext::where(n), fmt::format("has group {} with {} input channels", a.group, a.in_channels),
                "the HLS kernels take group 1 or depthwise (group = input channels)");
  begin_config(ctx, n, code, "conv_config", "firmnet_conv.h");
  window_fields(n, code, a.win, a.in_channels);
  code.uint("n_filt", a.out_channels);
  code.value(fmt::format("static const bool depthwise = {};", a.depthwise() ? "true" : "false"));
  if (a.depthwise()) code.uint("multiplier", a.out_per_group());
  // The Dense over each window: group 1 [taps * in, out]; depthwise `taps` products per output channel,
  // always the unrolled product (the reuse factor caps its multipliers).
  const int64_t n_in = a.depthwise() ? a.win.taps() : a.rows();
  const DenseFields f =
      emit_dense_fields(ctx, n, code, n_in, a.out_channels, a.depthwise() ? ir::Strategy::Latency : n.strategy);
  if (ctx.stream()) code.kernel_header = "firmnet_stream.h";
  code.call = kernel_call(ctx, n, code, ctx.stream() ? "conv_stream" : "conv") +
              fmt::format("{}, {}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), f.weight, f.bias);
}

void emit_pool(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::PoolAttrs a = ir::PoolAttrs::of(ctx.graph(), n);
  check_map(ctx, n, a.win, a.channels, a.channels);
  begin_config(ctx, n, code, "pool_config", "firmnet_conv.h");
  window_fields(n, code, a.win, a.channels);
  code.uint("reuse_factor", n.reuse_factor);
  if (ctx.stream()) code.kernel_header = "firmnet_stream.h";
  else if (ctx.hardware(n).pool_unrolled) code.value("static const bool unrolled = true;");
  if (a.mode == ir::PoolMode::Max) {
    code.call = kernel_call(ctx, n, code, ctx.stream() ? "pool_max_stream" : "pool_max") +
                fmt::format("{}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]));
    return;
  }
  code.value(fmt::format("static const bool count_include_pad = {};", a.count_include_pad ? "true" : "false"));
  internal_type(ctx, n, code, "accum");
  const std::string r = param_array(ctx, n, code, "reciprocal", "reciprocal_t", {a.win.taps() + 1});
  code.call = kernel_call(ctx, n, code, ctx.stream() ? "pool_avg_stream" : "pool_avg") +
              fmt::format("{}, {}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]), r);
}

void emit_transpose(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const std::vector<int64_t>& perm = n.attr_ints("perm");
  const size_t r = x.shape.size();
  if (perm.size() != r || y.shape.size() != r || r > 4)
    throw Error(EmitContext::where(n),
                fmt::format("permutes {} axes of input {} into {}", perm.size(), ir::to_string(x.shape),
                            ir::to_string(y.shape)),
                "the HLS transpose kernel takes up to 4 axes");
  std::vector<int64_t> in_stride(r);
  int64_t st = 1;
  for (size_t k = r; k-- > 0;) in_stride[k] = st, st *= x.shape[k];
  // Output axes padded with leading 1s to 4: dims d0..d3, input strides s0..s3.
  std::vector<int64_t> d(4, 1), s(4, 0);
  for (size_t k = 0; k < r; ++k) {
    const int64_t p = perm[k];
    if (p < 0 || static_cast<size_t>(p) >= r || y.shape[k] != x.shape[static_cast<size_t>(p)])
      throw Error(EmitContext::where(n), fmt::format("perm {} does not map input {} to output {}", ir::to_string(perm),
                                                     ir::to_string(x.shape), ir::to_string(y.shape)));
    d[4 - r + k] = y.shape[k];
    s[4 - r + k] = in_stride[static_cast<size_t>(p)];
  }
  begin_config(ctx, n, code, "transpose_config", "firmnet_conv.h");
  code.uint("n_in", x.size());
  for (size_t k = 0; k < 4; ++k) code.uint("d" + std::to_string(k), d[k]);
  for (size_t k = 0; k < 4; ++k) code.uint("s" + std::to_string(k), s[k]);
  code.call = kernel_call(ctx, n, code, "transpose") +
              fmt::format("{}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]));
}

void emit_upsample(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const std::vector<int64_t>& scales = n.attr_ints("scales");
  const size_t r = x.shape.size();
  if (scales.size() != r || r > 4)
    throw Error(EmitContext::where(n), fmt::format("upsamples input {} by {}", ir::to_string(x.shape), ir::to_string(scales)),
                "the HLS upsample kernel takes up to 4 axes");
  // Axes padded with leading 1s to 4: input dims i0..i3, factors f0..f3.
  std::vector<int64_t> d(4, 1), f(4, 1);
  for (size_t k = 0; k < r; ++k) d[4 - r + k] = x.shape[k], f[4 - r + k] = scales[k];
  begin_config(ctx, n, code, "upsample_config", "firmnet_conv.h");
  code.uint("n_in", x.size());
  code.uint("n_out", y.size());
  for (size_t k = 0; k < 4; ++k) code.uint("i" + std::to_string(k), d[k]);
  for (size_t k = 0; k < 4; ++k) code.uint("f" + std::to_string(k), f[k]);
  code.call = kernel_call(ctx, n, code, "upsample") +
              fmt::format("{}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]));
}

void emit_slice(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  const std::vector<int64_t>& starts = n.attr_ints("starts");
  const size_t r = x.shape.size();
  if (starts.size() != r || r > 4)
    throw Error(EmitContext::where(n), fmt::format("slices input {} from {}", ir::to_string(x.shape), ir::to_string(starts)),
                "the HLS slice kernel takes up to 4 axes");
  // Axes padded with leading 1s to 4: input dims i0..i3, output dims o0..o3, starts b0..b3.
  std::vector<int64_t> d(4, 1), o(4, 1), b(4, 0);
  for (size_t k = 0; k < r; ++k) d[4 - r + k] = x.shape[k], o[4 - r + k] = y.shape[k], b[4 - r + k] = starts[k];
  begin_config(ctx, n, code, "slice_config", "firmnet_conv.h");
  code.uint("n_in", x.size());
  code.uint("n_out", y.size());
  for (size_t k = 0; k < 4; ++k) code.uint("i" + std::to_string(k), d[k]);
  for (size_t k = 0; k < 4; ++k) code.uint("o" + std::to_string(k), o[k]);
  for (size_t k = 0; k < 4; ++k) code.uint("b" + std::to_string(k), b[k]);
  code.call = kernel_call(ctx, n, code, "slice") +
              fmt::format("{}, {});", ctx.var(n.inputs[0]), ctx.var(n.outputs[0]));
}

}  // namespace firmnet::backends::vitis
