// Conv and Pool over channels-last maps, io_parallel (backends/vitis/kernels/firmnet_conv.h): the Conv's output-pixel
// loop is pipelined at II = reuse factor (Latency; Resource: one dense_resource pass per pixel), and each pixel
// gathers its window from the partitioned input map. So a conv costs one pixel's arithmetic (the Dense model
// over the window's actual weights) plus the gather — every window value a mux over the input positions it
// takes across the output pixels — and takes out_pixels × II cycles. A Pool is the same when its pixel loop is
// pipelined; unrolled (the hardware plan's choice) it is every pixel's compares or sums at once.
#include <algorithm>
#include <fmt/format.h>

#include "estimate/model.h"
#include "ir/spatial.h"

namespace firmnet::estimate {
namespace {

// The window registers and their gather muxes: `values` window values of `width` bits, each choosing among
// the `pixels` input positions it reads over the layer (and 0 for padding).
Resources gather(int64_t values, int64_t pixels, int width, bool padding) {
  Resources r;
  r.lut = values * (mux_lut(pixels, width) + (padding ? sel_lut(width) : 0));
  r.ff = values * width;
  return r;
}

bool padded(const ir::Window& w) {
  for (size_t a = 0; a < w.rank(); ++a)
    if (w.pad_begin[a] > 0 || w.pad_end[a] > 0 || w.in_dilation[a] > 1) return true;
  return false;
}

}  // namespace

Row estimate_conv(const Context& c, const ir::Node& n) {
  const ir::ConvAttrs a = ir::ConvAttrs::of(c.g, n);
  const auto& xt = type_of(c.g, n.inputs.at(0));
  const int64_t start = c.chain.cycles();
  Row row = estimate_dense(c, n);  // one pixel: its products, adders and schedule at the layer's reuse factor
  const int64_t pixel_cycles = std::max<int64_t>(1, row.latency_max);
  const bool resource = n.strategy == ir::Strategy::Resource && n.reuse_factor > 1 && !a.depthwise();
  const int64_t pixel_ii = resource ? pixel_cycles : std::max(1, n.reuse_factor);
  const int64_t pixels = a.win.out_pixels();
  const int64_t values = a.win.taps() * a.in_channels;
  row.res += gather(values, pixels, xt.width, padded(a.win));
  // The pixel loop: the first pixel's result after one pixel's latency, the others every pixel_ii cycles.
  c.chain.stages((pixels - 1) * pixel_ii, 0);
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.ii = pixels * pixel_ii;
  row.detail += fmt::format("; per output pixel, {} pixels at II {}; window of {} values, each a {}:1 mux", pixels,
                            pixel_ii, values, pixels);
  return row;
}

Row pool_window(const Context& c, const ir::Node& n) {
  const ir::PoolAttrs p = ir::PoolAttrs::of(c.g, n);
  Row row = start_row(n);
  const auto& xt = type_of(c.g, n.inputs.at(0));
  const auto& rt = type_of(c.g, n.outputs.at(0));
  const int64_t taps = p.win.taps(), ch = p.channels;
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  if (p.mode == ir::PoolMode::Max) {
    // A compare-select chain per channel over the taps inside the map.
    row.res.lut += ch * (taps - 1) * (cmp_lut(xt.width) + sel_lut(xt.width)) + ch * cast_lut(xt, rt);
    for (int64_t t = 1; t < taps; ++t) c.chain.op(kCmpSelNs, ch * xt.width);
    row.detail = fmt::format("max of {} taps per channel, {} channels", taps, ch);
  } else {
    // The sum in order (an adder chain in accum), then one product by the pixel's reciprocal.
    const auto& acc = n.types.count("accum") ? n.types.at("accum") : rt;
    const auto& recip = type_of(c.g, n.param("reciprocal"));
    const Product prod = variable_product(acc.width, recip.width, c.dsp48e2());
    row.res.lut += ch * (taps - 1) * acc.width + ch * (prod.lut + cast_lut(acc, rt)) +
                   mux_lut(p.count_include_pad ? 1 : taps, recip.width);
    row.res.dsp += ch * prod.dsp;
    for (int64_t t = 1; t < taps; ++t) c.chain.op(add_ns(acc.width), ch * acc.width);
    c.chain.op(prod.ns, ch * acc.width);
    row.detail = fmt::format("average of {} taps per channel, {} channels, {} {} products", taps, ch, ch,
                             prod.kind == Product::Dsp ? "DSP" : "LUT");
  }
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  return row;
}

namespace {

bool unrolled_pool(const Context& c, const ir::Node& n) { return c.hw.layer(c.g, n).pool_unrolled; }

// Every output pixel at once (kernels/firmnet_conv.h pool_pixels<true>): each pixel's taps are constant
// positions (wires, no gather), padding taps drop out, and an average's reciprocal is the pixel's constant.
Row pool_unrolled(const Context& c, const ir::Node& n) {
  const ir::PoolAttrs p = ir::PoolAttrs::of(c.g, n);
  Row row = start_row(n);
  const auto& xt = type_of(c.g, n.inputs.at(0));
  const auto& rt = type_of(c.g, n.outputs.at(0));
  const int64_t pixels = p.win.out_pixels(), ch = p.channels;
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  int64_t longest = 1;  // the most taps of one pixel inside the map
  for (int64_t q = 0; q < pixels; ++q) longest = std::max(longest, p.win.valid_taps(q));
  if (p.mode == ir::PoolMode::Max) {
    for (int64_t q = 0; q < pixels; ++q)
      row.res.lut += ch * std::max<int64_t>(0, p.win.valid_taps(q) - 1) * (cmp_lut(xt.width) + sel_lut(xt.width));
    row.res.lut += pixels * ch * cast_lut(xt, rt);
    for (int64_t t = 1; t < longest; ++t) c.chain.op(kCmpSelNs, pixels * ch * xt.width);
    row.detail = fmt::format("max of up to {} taps per channel, {} channels, {} output pixels at once", longest, ch,
                             pixels);
  } else {
    const auto& acc = n.types.count("accum") ? n.types.at("accum") : rt;
    const ir::Tensor& recip = c.g.tensor(n.param("reciprocal"));
    double product_ns = 0;
    int64_t dsp_products = 0, lut_products = 0;
    for (int64_t q = 0; q < pixels; ++q) {
      const int64_t k = p.divisor(q);
      const int64_t raw = static_cast<size_t>(k) < recip.raw.size() ? recip.raw[static_cast<size_t>(k)] : 0;
      const Product prod = constant_product(acc.width, raw, c.dsp48e2());
      row.res.lut += ch * (std::max<int64_t>(0, p.win.valid_taps(q) - 1) * acc.width + prod.lut + cast_lut(acc, rt));
      row.res.dsp += ch * prod.dsp;
      product_ns = std::max(product_ns, prod.ns);
      dsp_products += prod.kind == Product::Dsp ? ch : 0;
      lut_products += prod.kind == Product::Lut ? ch : 0;
    }
    for (int64_t t = 1; t < longest; ++t) c.chain.op(add_ns(acc.width), pixels * ch * acc.width);
    if (product_ns > 0) c.chain.op(product_ns, pixels * ch * acc.width);
    row.detail = fmt::format("average of up to {} taps per channel, {} channels, {} output pixels at once; "
                             "reciprocal products: {} DSP, {} LUT, the rest shifts", longest, ch, pixels,
                             dsp_products, lut_products);
  }
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  row.ii = std::max(1, n.reuse_factor);
  return row;
}

}  // namespace

Row estimate_pool(const Context& c, const ir::Node& n) {
  if (unrolled_pool(c, n)) return pool_unrolled(c, n);
  const ir::PoolAttrs p = ir::PoolAttrs::of(c.g, n);
  const auto& xt = type_of(c.g, n.inputs.at(0));
  const int64_t pixels = p.win.out_pixels();
  const int64_t start = c.chain.cycles();
  const int R = std::max(1, n.reuse_factor);
  Row row = pool_window(c, n);
  row.res += gather(p.win.taps() * p.channels, pixels, xt.width, padded(p.win));
  c.chain.stages((pixels - 1) * R, 0);
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.ii = pixels * R;
  row.detail += fmt::format("; {} output pixels at II {} (a pipelined loop: {} compares or additions in all; unrolled "
                            "only at Latency within the unroll limit of 4,096 and the partition limit)",
                            pixels, R, pixels * p.channels * p.win.taps());
  return row;
}

}  // namespace firmnet::estimate
