// Conv, Pool and Transpose over channels-last maps (ir/spatial.h, docs/NUMERICS.md "Convolution").
//
// Conv is the Dense multiply-accumulate core run over the windows of the map: each output pixel gathers its
// window (taps in row-major order, each tap all its input channels; 0 for padding taps) into a row, and the
// Dense core computes the row times the weight seen as [taps * in_channels, out_channels]. A padding tap adds
// x*w = 0, which leaves every accumulator unchanged (it is already in accum's type), so padding as zeros is
// exactly the sum over the taps inside the map. A depthwise weight is expanded to that matrix with zeros
// outside each channel's block (again sums of exact zeros). The exact int32/double plans run the windows on
// the map directly (DenseCore::run_windows: each row reads its taps where they lie, taps that are padding for
// every row of a group are skipped); the other plans get rows gathered in chunks, so that the buffer stays
// small whatever the map size.
#include <algorithm>
#include <limits>

#include "emulator/kernel.h"
#include "ir/spatial.h"

namespace firmnet::emulator {
namespace {

constexpr size_t kChunkValues = size_t{1} << 16;  // values per gathered chunk of rows (512 KiB)

// For each output pixel p and tap t, the input pixel it reads or -1 (padding).
std::vector<int32_t> gather_table(const ir::Window& w) {
  std::vector<int32_t> g(static_cast<size_t>(w.out_pixels() * w.taps()));
  for (int64_t p = 0; p < w.out_pixels(); ++p)
    for (int64_t t = 0; t < w.taps(); ++t)
      g[static_cast<size_t>(p * w.taps() + t)] = static_cast<int32_t>(w.input_pixel(p, t));
  return g;
}

class ConvKernel final : public Kernel {
 public:
  explicit ConvKernel(const NodeContext& c) : a_(ir::ConvAttrs::of(c.g, c.node)) {
    if (a_.win.in_pixels() * a_.in_channels > std::numeric_limits<int32_t>::max())
      c.fail("the input map is too large");
    taps_ = a_.win.taps();
    row_ = taps_ * a_.in_channels;
    const std::vector<int64_t>& w = c.param("weight").raw;
    if (!a_.depthwise()) {
      core_ = make_dense_core(c, row_, a_.out_channels, w);
    } else {  // [taps, 1, out] -> [taps * in, out], output channel o reads input channel o / multiplier
      const int64_t cout = a_.out_channels, mult = a_.out_per_group();
      std::vector<int64_t> full(static_cast<size_t>(row_ * cout), 0);
      for (int64_t t = 0; t < taps_; ++t)
        for (int64_t o = 0; o < cout; ++o)
          full[static_cast<size_t>((t * a_.in_channels + o / mult) * cout + o)] = w[static_cast<size_t>(t * cout + o)];
      core_ = make_dense_core(c, row_, cout, full);
    }
    gather_ = gather_table(a_.win);
    direct_ = core_->prepare_windows(ConvWindows{a_.win.in_pixels(), a_.in_channels, a_.win.out_pixels(), taps_, gather_});
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    if (direct_) return core_->run_windows(in[0], out, n, overflows);
    const int64_t pixels = a_.win.out_pixels(), cin = a_.in_channels;
    const size_t in_size = static_cast<size_t>(a_.win.in_pixels() * cin);
    const size_t rows_total = n * static_cast<size_t>(pixels);
    const size_t chunk = std::max<size_t>(1, kChunkValues / static_cast<size_t>(row_));
    std::vector<int64_t> buf(std::min(chunk, rows_total) * static_cast<size_t>(row_));
    for (size_t r0 = 0; r0 < rows_total; r0 += chunk) {
      const size_t rows = std::min(chunk, rows_total - r0);
      int64_t* dst = buf.data();
      for (size_t r = r0; r < r0 + rows; ++r) {
        const int64_t* x = in[0] + (r / static_cast<size_t>(pixels)) * in_size;
        const int32_t* g = gather_.data() + (r % static_cast<size_t>(pixels)) * static_cast<size_t>(taps_);
        for (int64_t t = 0; t < taps_; ++t, dst += cin) {
          if (g[t] < 0) std::fill_n(dst, cin, 0);
          else std::copy_n(x + static_cast<int64_t>(g[t]) * cin, cin, dst);
        }
      }
      const int64_t* rows_in = buf.data();
      core_->run(&rows_in, out + r0 * static_cast<size_t>(a_.out_channels), rows, overflows);
    }
  }
  std::string info() const override { return (direct_ ? "conv windows over " : "conv over ") + core_->info(); }

 private:
  ir::ConvAttrs a_;
  int64_t taps_ = 0, row_ = 0;
  std::unique_ptr<DenseCore> core_;
  std::vector<int32_t> gather_;
  bool direct_ = false;  // the core runs the windows on the map itself (exact plans)
};

// Max: y = Q_res(max of the taps inside the map). Avg: acc = Q_accum(acc + x) over the taps inside the map
// in order, from 0; y = Q_res(acc * reciprocal[count]) with count = the divisor of that pixel.
class PoolKernel final : public Kernel {
 public:
  explicit PoolKernel(const NodeContext& c) : a_(ir::PoolAttrs::of(c.g, c.node)) {
    tx_ = c.in_type(0);
    gather_ = gather_table(a_.win);
    if (a_.mode == ir::PoolMode::Max) {
      cast_ = CastPlan(c.out_type(), tx_.frac());
      identity_ = cast_.is_identity_for(tx_);
      return;
    }
    ta_ = c.internal_type("accum");
    const ir::Tensor& r = c.param("reciprocal");
    if (r.size() != a_.win.taps() + 1) c.fail("reciprocal has " + std::to_string(r.size()) + " values, expected taps + 1");
    recip_ = r.raw;
    fr_ = r.type->frac();
    for (int64_t p = 0; p < a_.win.out_pixels(); ++p) divisor_.push_back(static_cast<int32_t>(a_.divisor(p)));
    cast_ = CastPlan(c.out_type(), ta_.frac() + fr_);
    // The sum is exact when accum keeps x's fraction and the bound of every partial sum fits its range.
    const int up = ta_.frac() - tx_.frac();
    if (up >= 0 && up < 40) {
      const i128 m = std::max(-static_cast<i128>(tx_.raw_min()), static_cast<i128>(tx_.raw_max()));
      const i128 bound = m * a_.win.taps() * (static_cast<i128>(1) << up);
      exact_ = bound <= ta_.raw_max() && -bound >= ta_.raw_min() && bit_length(bound) < 62;
      up_ = up;
    }
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    const int64_t pixels = a_.win.out_pixels(), ch = a_.channels, taps = a_.win.taps();
    const size_t in_size = static_cast<size_t>(a_.win.in_pixels() * ch);
    if (a_.mode == ir::PoolMode::Max) return run_max(in[0], out, n, overflows);
    for (size_t s = 0; s < n; ++s) {
      const int64_t* x = in[0] + s * in_size;
      int64_t* y = out + s * static_cast<size_t>(pixels * ch);
      for (int64_t p = 0; p < pixels; ++p) {
        const int32_t* g = gather_.data() + p * taps;
        for (int64_t c = 0; c < ch; ++c) {
          const i128 acc = exact_ ? exact_sum(x, g, taps, ch, c) : stepped_sum(x, g, taps, ch, c);
          y[p * ch + c] = cast_(acc * recip_[static_cast<size_t>(divisor_[static_cast<size_t>(p)])], overflows);
        }
      }
    }
  }
  std::string info() const override {
    return a_.mode == ir::PoolMode::Max ? "max pool" : exact_ ? "avg pool exact sum" : "avg pool stepped sum";
  }

 private:
  // Max over the taps inside the map, all channels of a pixel at once (a loop over contiguous channels),
  // then one cast per sample (none when the output type holds every input value unchanged).
  void run_max(const int64_t* x0, int64_t* out, size_t n, int64_t& overflows) const {
    const int64_t pixels = a_.win.out_pixels(), ch = a_.channels, taps = a_.win.taps();
    const size_t in_size = static_cast<size_t>(a_.win.in_pixels() * ch), out_size = static_cast<size_t>(pixels * ch);
    std::vector<int64_t> tmp(identity_ ? 0 : out_size);
    for (size_t s = 0; s < n; ++s) {
      const int64_t* x = x0 + s * in_size;
      int64_t* y = identity_ ? out + s * out_size : tmp.data();
      for (int64_t p = 0; p < pixels; ++p) {
        const int32_t* g = gather_.data() + p * taps;
        int64_t* __restrict m = y + p * ch;
        std::fill_n(m, ch, std::numeric_limits<int64_t>::min());
        for (int64_t t = 0; t < taps; ++t) {
          if (g[t] < 0) continue;
          const int64_t* __restrict v = x + static_cast<int64_t>(g[t]) * ch;
          for (int64_t c = 0; c < ch; ++c) m[c] = v[c] > m[c] ? v[c] : m[c];
        }
      }
      if (!identity_) cast_.cast_many(tmp.data(), out + s * out_size, out_size, overflows);
    }
  }

  i128 exact_sum(const int64_t* x, const int32_t* g, int64_t taps, int64_t ch, int64_t c) const {
    int64_t acc = 0;
    for (int64_t t = 0; t < taps; ++t)
      if (g[t] >= 0) acc += x[static_cast<int64_t>(g[t]) * ch + c];
    return static_cast<i128>(acc) << up_;
  }
  i128 stepped_sum(const int64_t* x, const int32_t* g, int64_t taps, int64_t ch, int64_t c) const {
    const int fa = ta_.frac(), fx = tx_.frac(), fc = std::max(fa, fx);
    int64_t acc = 0;
    for (int64_t t = 0; t < taps; ++t) {
      if (g[t] < 0) continue;
      const i128 v = (static_cast<i128>(acc) << (fc - fa)) + (static_cast<i128>(x[static_cast<int64_t>(g[t]) * ch + c]) << (fc - fx));
      acc = numeric::quantize(v, fc, ta_).raw;
    }
    return acc;
  }

  ir::PoolAttrs a_;
  numeric::FixedType tx_, ta_;
  std::vector<int32_t> gather_, divisor_;
  std::vector<int64_t> recip_;
  int fr_ = 0, up_ = 0;
  bool exact_ = false;
  bool identity_ = false;  // max pool whose output type holds every input value unchanged: no cast
  CastPlan cast_;
};

class TransposeKernel final : public Kernel {
 public:
  explicit TransposeKernel(const NodeContext& c) {
    // The output is the input seen through a layout: input element k lands at output element idx[k].
    const ir::ModelLayout l{c.input(0).shape, c.node.attr_ints("perm"), c.output().shape};
    const std::vector<int64_t> idx = l.model_index();
    src_.resize(idx.size());
    for (size_t k = 0; k < idx.size(); ++k) src_[static_cast<size_t>(idx[k])] = static_cast<int64_t>(k);
    cast_ = CastPlan(c.out_type(), c.in_type(0).frac());
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    const size_t size = src_.size();
    for (size_t s = 0; s < n; ++s)
      for (size_t k = 0; k < size; ++k) out[s * size + k] = cast_(in[0][s * size + static_cast<size_t>(src_[k])], overflows);
  }

 private:
  std::vector<int64_t> src_;
  CastPlan cast_;
};

// Upsample and Slice: each output element a cast copy of the input element src[k].
class GatherKernel final : public Kernel {
 public:
  GatherKernel(const NodeContext& c, std::vector<int64_t> src)
      : src_(std::move(src)),
        n_in_(static_cast<size_t>(c.input(0).size())),
        cast_(c.out_type(), c.in_type(0).frac()) {}
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    const size_t size = src_.size();
    for (size_t s = 0; s < n; ++s)
      for (size_t k = 0; k < size; ++k) out[s * size + k] = cast_(in[0][s * n_in_ + static_cast<size_t>(src_[k])], overflows);
  }

 private:
  std::vector<int64_t> src_;
  size_t n_in_;
  CastPlan cast_;
};

}  // namespace

std::unique_ptr<Kernel> make_upsample(const NodeContext& c) {
  return std::make_unique<GatherKernel>(c, ir::upsample_sources(c.input(0).shape, c.node.attr_ints("scales")));
}
std::unique_ptr<Kernel> make_slice(const NodeContext& c) {
  return std::make_unique<GatherKernel>(c, ir::slice_sources(c.input(0).shape, c.node.attr_ints("starts"), c.output().shape));
}
std::unique_ptr<Kernel> make_conv(const NodeContext& c) { return std::make_unique<ConvKernel>(c); }
std::unique_ptr<Kernel> make_pool(const NodeContext& c) { return std::make_unique<PoolKernel>(c); }
std::unique_ptr<Kernel> make_transpose(const NodeContext& c) { return std::make_unique<TransposeKernel>(c); }

}  // namespace firmnet::emulator
