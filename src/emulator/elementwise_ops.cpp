// Elementwise-family kernels: BatchNorm, Elementwise, Reshape (and a typed Input), Concat, MultiThreshold,
// Rescale, ArgMax. Each computes one exact expression per element on __int128 (values are at most 64-bit
// raw integers, so products and aligned sums fit) and casts it once with a CastPlan.
#include <algorithm>

#include "emulator/kernel.h"

namespace firmnet::emulator {
namespace {

// Checks that raw values of `bits` magnitude bits shifted left by `shift` stay well inside __int128.
void check_bits(const NodeContext& c, int bits, int shift, const std::string& what) {
  if (shift < 0 || bits + shift > 124)
    c.fail(what + " needs more than 128-bit intermediates (" + std::to_string(bits) + " bits shifted by " +
               std::to_string(shift) + ")",
           "use narrower types or closer fractional bit counts");
}

// Per-element view of a per-channel constant with 1, C (last axis) or numel values: the constant's raw
// value for every element of one sample.
std::vector<int64_t> expand_param(const NodeContext& c, const ir::Tensor& p, int64_t numel, int64_t channels) {
  const int64_t n = p.size();
  if (n != 1 && n != channels && n != numel)
    c.fail("parameter '" + p.name + "' has " + std::to_string(n) + " values; expected 1, " +
           std::to_string(channels) + " (last axis) or " + std::to_string(numel));
  std::vector<int64_t> v(static_cast<size_t>(numel));
  for (int64_t e = 0; e < numel; ++e)
    v[static_cast<size_t>(e)] = p.raw[static_cast<size_t>(n == 1 ? 0 : (n == numel ? e : e % channels))];
  return v;
}

// ------------------------------------------------------------------------------------------ BatchNorm

class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const NodeContext& c) {
    const ir::Tensor& x = c.input(0);
    numel_ = x.size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    const ir::Tensor& s = c.param("scale");
    const ir::Tensor& b = c.param("bias");
    scale_ = expand_param(c, s, numel_, c.channels_of_input(0));
    bias_ = expand_param(c, b, numel_, c.channels_of_input(0));
    const int fp = c.in_type(0).frac() + s.type->frac();
    const int f = std::max(fp, b.type->frac());
    sp_ = f - fp;
    sb_ = f - b.type->frac();
    check_bits(c, c.in_type(0).width + s.type->width, sp_, "x*scale");
    check_bits(c, b.type->width, sb_, "bias");
    cast_ = CastPlan(c.out_type(), f);
    // x * (scale << sp) and bias << sb each below 2^62: the sum is computed in int64 (a loop that vectorises)
    // and cast in runs.
    const numeric::FixedType& tx = c.in_type(0);
    const int bx = bit_length(std::max(-static_cast<i128>(tx.raw_min()), static_cast<i128>(tx.raw_max())));
    int bs = 0, bb = 0;
    for (int64_t v : scale_) bs = std::max(bs, bit_length(v));
    for (int64_t v : bias_) bb = std::max(bb, bit_length(v));
    narrow_ = bx + bs + sp_ <= 62 && bb + sb_ <= 62;
    if (narrow_) {
      for (int64_t& v : scale_) v *= int64_t{1} << sp_;
      for (int64_t& v : bias_) v *= int64_t{1} << sb_;
    }
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    const size_t ne = static_cast<size_t>(numel_);
    if (narrow_) {
      int64_t tmp[512];
      for (size_t s = 0; s < n; ++s)
        for (size_t e0 = 0; e0 < ne; e0 += 512) {
          const size_t m = std::min<size_t>(512, ne - e0);
          const int64_t* __restrict x = in[0] + s * ne + e0;
          const int64_t* __restrict sc = scale_.data() + e0;
          const int64_t* __restrict bi = bias_.data() + e0;
          for (size_t e = 0; e < m; ++e) tmp[e] = x[e] * sc[e] + bi[e];
          cast_.cast_many(tmp, out + s * ne + e0, m, ovf);
        }
      return;
    }
    for (size_t s = 0; s < n; ++s)
      for (size_t e = 0; e < ne; ++e) {
        const i128 v = ((static_cast<i128>(in[0][s * ne + e]) * scale_[e]) << sp_) + (static_cast<i128>(bias_[e]) << sb_);
        out[s * ne + e] = cast_(v, ovf);
      }
  }

 private:
  int64_t numel_;
  std::vector<int64_t> scale_, bias_;  // raw; narrow: already shifted by sp_ / sb_
  int sp_ = 0, sb_ = 0;
  bool narrow_ = false;
  CastPlan cast_;
};

// ---------------------------------------------------------------------------------------- Elementwise

class ElementwiseKernel final : public Kernel {
 public:
  explicit ElementwiseKernel(const NodeContext& c) {
    const ir::Tensor& a = c.input(0);
    numel_ = a.size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    const std::string op = c.node.attr_str("op");
    if (op == "add") op_ = Op::Add;
    else if (op == "sub") op_ = Op::Sub;
    else if (op == "mul") op_ = Op::Mul;
    else c.fail("unknown op '" + op + "'", "use add, sub or mul");
    numeric::FixedType tb;
    if (c.node.inputs.size() >= 2) {
      const ir::Tensor& b = c.input(1);
      if (b.size() != numel_)
        c.fail("input b has " + std::to_string(b.size()) + " elements, a has " + std::to_string(numel_));
      tb = c.in_type(1);
    } else {
      const ir::Tensor& k = c.param("constant");
      constant_ = expand_param(c, k, numel_, c.channels_of_input(0));
      tb = *k.type;
    }
    const numeric::FixedType& ta = c.in_type(0);
    int f;
    if (op_ == Op::Mul) {
      f = ta.frac() + tb.frac();
    } else {
      f = std::max(ta.frac(), tb.frac());
      sa_ = f - ta.frac();
      sb_ = f - tb.frac();
      check_bits(c, ta.width, sa_, "a");
      check_bits(c, tb.width, sb_, "b");
    }
    cast_ = CastPlan(c.out_type(), f);
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    const size_t ne = static_cast<size_t>(numel_);
    for (size_t s = 0; s < n; ++s)
      for (size_t e = 0; e < ne; ++e) {
        const i128 a = in[0][s * ne + e];
        const i128 b = constant_.empty() ? in[1][s * ne + e] : constant_[e];
        i128 v = 0;
        switch (op_) {
          case Op::Add: v = (a << sa_) + (b << sb_); break;
          case Op::Sub: v = (a << sa_) - (b << sb_); break;
          case Op::Mul: v = a * b; break;
        }
        out[s * ne + e] = cast_(v, ovf);
      }
  }

 private:
  enum class Op { Add, Sub, Mul };
  Op op_ = Op::Add;
  int64_t numel_;
  std::vector<int64_t> constant_;  // per element; empty when b is a tensor
  int sa_ = 0, sb_ = 0;
  CastPlan cast_;
};

// ------------------------------------------------------------------------------------ Reshape / Input

class ConvertKernel final : public Kernel {
 public:
  explicit ConvertKernel(const NodeContext& c) {
    numel_ = c.input(0).size();
    if (c.output().size() != numel_)
      c.fail("output has " + std::to_string(c.output().size()) + " elements, input has " + std::to_string(numel_));
    same_ = c.in_type(0) == c.out_type();
    cast_ = CastPlan(c.out_type(), c.in_type(0).frac());
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    const size_t total = n * static_cast<size_t>(numel_);
    if (same_) {
      std::copy_n(in[0], total, out);
    } else {
      for (size_t e = 0; e < total; ++e) out[e] = cast_(in[0][e], ovf);
    }
  }

 private:
  int64_t numel_;
  bool same_ = false;
  CastPlan cast_;
};

// ---------------------------------------------------------------------------------------------- Concat

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(const NodeContext& c) {
    const ir::Shape& out_shape = c.output().shape;
    int64_t axis = c.node.has_attr("axis") ? c.node.attr_int("axis") : 0;
    const int64_t rank = static_cast<int64_t>(out_shape.size());
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
      c.fail("axis " + std::to_string(c.node.attr_int("axis")) + " is outside the per-sample rank " + std::to_string(rank));
    outer_ = 1;
    for (int64_t d = 0; d < axis && d < rank; ++d) outer_ *= out_shape[static_cast<size_t>(d)];
    int64_t total = 0;
    for (size_t k = 0; k < c.node.inputs.size(); ++k) {
      const ir::Tensor& t = c.input(k);
      if (t.size() % outer_ != 0) c.fail("input '" + t.name + "' shape " + ir::to_string(t.shape) + " does not match the output's leading axes");
      inner_.push_back(t.size() / outer_);
      in_numel_.push_back(t.size());
      casts_.emplace_back(c.out_type(), c.in_type(k).frac());
      total += t.size();
    }
    out_numel_ = c.output().size();
    if (total != out_numel_)
      c.fail("inputs have " + std::to_string(total) + " elements together, the output " + std::to_string(out_numel_));
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    for (size_t s = 0; s < n; ++s) {
      int64_t* o = out + s * static_cast<size_t>(out_numel_);
      for (int64_t r = 0; r < outer_; ++r)
        for (size_t k = 0; k < inner_.size(); ++k) {
          const int64_t* src = in[k] + s * static_cast<size_t>(in_numel_[k]) + r * inner_[k];
          for (int64_t e = 0; e < inner_[k]; ++e) *o++ = casts_[k](src[e], ovf);
        }
    }
  }

 private:
  int64_t outer_ = 1, out_numel_ = 0;
  std::vector<int64_t> inner_, in_numel_;
  std::vector<CastPlan> casts_;
};

// ------------------------------------------------------------------------------------- MultiThreshold

class MultiThresholdKernel final : public Kernel {
 public:
  explicit MultiThresholdKernel(const NodeContext& c) {
    const ir::Tensor& x = c.input(0);
    numel_ = x.size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    const ir::Tensor& th = c.param("thresholds");
    if (th.shape.size() != 2) c.fail("thresholds must have shape [C or 1, T], has " + ir::to_string(th.shape));
    rows_ = th.shape[0];
    n_thr_ = th.shape[1];
    const std::string layout = c.node.has_attr("data_layout") ? c.node.attr_str("data_layout") : "NHWC";
    if (layout != "NHWC" && layout != "NCHW") c.fail("data_layout '" + layout + "' is not NHWC or NCHW");
    nchw_ = layout == "NCHW";
    const int64_t channels = x.shape.empty() ? 1 : (nchw_ ? x.shape.front() : x.shape.back());
    if (rows_ != 1 && rows_ != channels)
      c.fail("thresholds have " + std::to_string(rows_) + " rows, the input has " + std::to_string(channels) + " channels");
    per_channel_inner_ = nchw_ ? numel_ / channels : 1;
    channels_ = channels;

    // x >= t  <=>  x_raw >= ceil(t * 2^(Fx - Ft)), clamped to [xmin, xmax + 1]: integer compares only.
    const numeric::FixedType& tx = c.in_type(0);
    const int d = tx.frac() - th.type->frac();
    const i128 lo = tx.raw_min(), hi = static_cast<i128>(tx.raw_max()) + 1;
    for (int64_t t : th.raw) {
      i128 v;
      if (d >= 0) v = (t != 0 && bit_length(t) + d > 100) ? (t > 0 ? hi : lo) : static_cast<i128>(t) << d;
      else v = -d > 100 ? (t > 0 ? 1 : 0) : -((-static_cast<i128>(t)) >> -d);
      thr_.push_back(static_cast<int64_t>(std::clamp(v, lo, hi)));
    }
    sorted_ = true;
    for (int64_t r = 0; r < rows_; ++r)
      sorted_ = sorted_ && std::is_sorted(thr_.begin() + r * n_thr_, thr_.begin() + (r + 1) * n_thr_);

    // The output for each count: passes/build_tables computed Q_res(out_scale * k + out_bias) once
    // (table_data "levels", with "levels_overflow"); the backend writes the same table.
    const auto lv = c.node.table_data.find("levels");
    const auto lov = c.node.table_data.find("levels_overflow");
    if (lv == c.node.table_data.end() || static_cast<int64_t>(lv->second.size()) != n_thr_ + 1)
      c.fail("the output levels table is missing or has the wrong size", "run passes/build_tables");
    out_ = lv->second;
    out_ovf_ = lov != c.node.table_data.end() ? lov->second : std::vector<int64_t>(out_.size(), 0);
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    const size_t ne = static_cast<size_t>(numel_);
    for (size_t s = 0; s < n; ++s)
      for (size_t e = 0; e < ne; ++e) {
        const int64_t x = in[0][s * ne + e];
        const int64_t ch = rows_ == 1 ? 0 : (nchw_ ? static_cast<int64_t>(e) / per_channel_inner_ : static_cast<int64_t>(e) % channels_);
        const int64_t* row = thr_.data() + ch * n_thr_;
        int64_t count = 0;
        if (sorted_) {
          count = std::upper_bound(row, row + n_thr_, x) - row;
        } else {
          for (int64_t k = 0; k < n_thr_; ++k) count += x >= row[k];
        }
        out[s * ne + e] = out_[static_cast<size_t>(count)];
        ovf += out_ovf_[static_cast<size_t>(count)];
      }
  }

 private:
  int64_t numel_, rows_, n_thr_, channels_ = 1, per_channel_inner_ = 1;
  bool nchw_ = false, sorted_ = true;
  std::vector<int64_t> thr_;  // in x's raw units
  std::vector<int64_t> out_, out_ovf_;
};

// -------------------------------------------------------------------------------------------- Rescale

class RescaleKernel final : public Kernel {
 public:
  explicit RescaleKernel(const NodeContext& c) {
    const ir::Tensor& x = c.input(0);
    numel_ = x.size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    const ir::Tensor& s = c.param("scale");
    scale_ = expand_param(c, s, numel_, c.channels_of_input(0));
    const numeric::FixedType& tx = c.in_type(0);
    int f = tx.frac();
    if (c.node.has_param("pre_add")) {
      const ir::Tensor& p = c.param("pre_add");
      pre_add_ = expand_param(c, p, numel_, c.channels_of_input(0));
      f = std::max(tx.frac(), p.type->frac());
      sp_ = f - p.type->frac();
      check_bits(c, p.type->width, sp_, "pre_add");
    } else {
      pre_add_.assign(static_cast<size_t>(numel_), 0);
    }
    sx_ = f - tx.frac();
    check_bits(c, tx.width + 1 + s.type->width, sx_, "(x + pre_add) * scale");
    cast_ = CastPlan(c.out_type(), f + s.type->frac());
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    const size_t ne = static_cast<size_t>(numel_);
    for (size_t s = 0; s < n; ++s)
      for (size_t e = 0; e < ne; ++e) {
        const i128 sum = (static_cast<i128>(in[0][s * ne + e]) << sx_) + (static_cast<i128>(pre_add_[e]) << sp_);
        out[s * ne + e] = cast_(sum * scale_[e], ovf);
      }
  }

 private:
  int64_t numel_;
  std::vector<int64_t> scale_, pre_add_;
  int sx_ = 0, sp_ = 0;
  CastPlan cast_;
};

// --------------------------------------------------------------------------------------------- ArgMax

class ArgMaxKernel final : public Kernel {
 public:
  explicit ArgMaxKernel(const NodeContext& c) {
    const ir::Tensor& x = c.input(0);
    in_numel_ = x.size();
    n_ = x.shape.empty() ? 1 : x.shape.back();
    rows_ = in_numel_ / n_;
    if (c.output().size() != rows_)
      c.fail("output has " + std::to_string(c.output().size()) + " elements, expected one index per row (" +
             std::to_string(rows_) + ")");
    cast_ = CastPlan(c.out_type(), 0);
  }
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    for (size_t s = 0; s < n; ++s)
      for (int64_t r = 0; r < rows_; ++r) {
        const int64_t* x = in[0] + s * static_cast<size_t>(in_numel_) + r * n_;
        const int64_t best = std::max_element(x, x + n_) - x;  // the first maximum
        out[s * static_cast<size_t>(rows_) + static_cast<size_t>(r)] = cast_(best, ovf);
      }
  }

 private:
  int64_t in_numel_, n_, rows_;
  CastPlan cast_;
};

}  // namespace

std::unique_ptr<Kernel> make_batchnorm(const NodeContext& c) { return std::make_unique<BatchNormKernel>(c); }
std::unique_ptr<Kernel> make_elementwise(const NodeContext& c) { return std::make_unique<ElementwiseKernel>(c); }
std::unique_ptr<Kernel> make_convert(const NodeContext& c) { return std::make_unique<ConvertKernel>(c); }
std::unique_ptr<Kernel> make_concat(const NodeContext& c) { return std::make_unique<ConcatKernel>(c); }
std::unique_ptr<Kernel> make_multithreshold(const NodeContext& c) { return std::make_unique<MultiThresholdKernel>(c); }
std::unique_ptr<Kernel> make_rescale(const NodeContext& c) { return std::make_unique<RescaleKernel>(c); }
std::unique_ptr<Kernel> make_argmax(const NodeContext& c) { return std::make_unique<ArgMaxKernel>(c); }

}  // namespace firmnet::emulator
