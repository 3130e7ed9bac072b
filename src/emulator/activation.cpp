// Activation (every function of docs/IR.md) and Softmax (stable, by tables). Table lookups use the
// node's raw table entries; the cast of an entry to the output type is a constant per entry, so it is
// done once here (with its overflow flag) instead of per element.
#include <algorithm>

#include "emulator/kernel.h"
#include "ir/activations.h"

namespace firmnet::emulator {
namespace {

// The index formula of numeric::table_index on a 128-bit raw value (softmax differences need 65 bits
// when the input type is 64 bits wide).
int64_t table_index128(i128 raw, int frac, const numeric::TableSpec& s) {
  const i128 i = numeric::shift_floor(raw, frac + s.log2_step) + s.offset;
  return i < 0 ? 0 : (i >= s.size() ? s.size() - 1 : static_cast<int64_t>(i));
}

// A table whose entries are already cast to the output type.
struct CastTable {
  numeric::TableSpec spec;
  std::vector<int64_t> out;
  std::vector<uint8_t> ovf;
  CastTable() = default;
  CastTable(const NodeContext& c, const std::string& role) : spec(c.table(role)) {
    const CastPlan cast(c.out_type(), spec.entry.frac());
    for (int64_t e : c.table_data(role)) {
      int64_t o = 0;
      out.push_back(cast(e, o));
      ovf.push_back(o ? 1 : 0);
    }
  }
};

class ActivationKernel final : public Kernel {
 public:
  explicit ActivationKernel(const NodeContext& c) {
    const ir::ActivationFn fn = ir::activation_fn(c.node);
    exact_ = ir::exact_fn(fn);
    form_ = ir::table_form(fn).value_or(ir::TableForm::Table);
    const ir::Tensor& x = c.input(0);
    numel_ = x.size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    const numeric::FixedType& tx = c.in_type(0);
    const numeric::FixedType& ty = c.out_type();
    fx_ = tx.frac();
    cast_x_ = CastPlan(ty, fx_);
    identity_ = cast_x_.is_identity_for(tx);  // e.g. relu with equal input and output types: no cast
    auto scalar = [&](const char* key, numeric::FixedType* t) {
      const ir::Tensor& p = c.param(key);
      if (p.size() != 1) c.fail(std::string("parameter '") + key + "' must hold 1 value, has " + std::to_string(p.size()));
      *t = *p.type;
      return p.raw[0];
    };
    numeric::FixedType tp;
    if (!exact_) {
      table_ = CastTable(c, "table");
      // x >= 0 ? x * gamma : table: with a 'gamma' param (selu), else x itself (elu).
      gamma_ = form_ == ir::TableForm::TableBelowZero && c.node.has_param("gamma");
      if (gamma_) {
        k1_ = scalar("gamma", &tp);
        cast_p_ = CastPlan(ty, fx_ + tp.frac());
      }
      return;
    }
    switch (*exact_) {
      case ir::ExactFn::Linear:
      case ir::ExactFn::Relu: break;
      case ir::ExactFn::LeakyRelu:
        k1_ = scalar("alpha", &tp);
        cast_p_ = CastPlan(ty, fx_ + tp.frac());
        break;
      case ir::ExactFn::HardTanh:
        // clamp(x, -1, 1) at fraction f = max(Fx, 0), where 1 is an integer.
        f_ = std::max(fx_, 0);
        sx_ = f_ - fx_;
        if (tx.width + sx_ > 120) c.fail("input type " + tx.str() + " is too far from 1 to clamp in 128 bits");
        cast_p_ = CastPlan(ty, f_);
        break;
      case ir::ExactFn::Clip: {  // clamp at the common fraction of x, min and max
        numeric::FixedType tlo, thi;
        k1_ = scalar("min", &tlo);
        k2_ = scalar("max", &thi);
        f_ = std::max({fx_, tlo.frac(), thi.frac()});
        sx_ = f_ - fx_;
        so_ = f_ - tlo.frac();
        sp_ = f_ - thi.frac();
        if (f_ > 120 || tx.width + sx_ > 124 || tlo.width + so_ > 124 || thi.width + sp_ > 124)
          c.fail("min/max types need more than 128-bit intermediates");
        cast_p_ = CastPlan(ty, f_);
        break;
      }
      case ir::ExactFn::HardSigmoid: {
        numeric::FixedType to;
        k1_ = scalar("slope", &tp);
        k2_ = scalar("offset", &to);
        const int fp = fx_ + tp.frac();
        f_ = std::max({fp, to.frac(), 0});
        sx_ = f_ - fp;
        so_ = f_ - to.frac();
        if (f_ > 120 || tx.width + tp.width + sx_ > 124 || to.width + so_ > 124)
          c.fail("slope/offset types need more than 128-bit intermediates");
        cast_p_ = CastPlan(ty, f_);
        break;
      }
    }
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    const size_t total = n * static_cast<size_t>(numel_);
    const int64_t* x = in[0];
    if (!exact_) {
      run_table(x, out, total, ovf);
      return;
    }
    switch (*exact_) {
      case ir::ExactFn::Linear:
        if (identity_) std::copy_n(x, total, out);
        else cast_x_.cast_many(x, out, total, ovf);
        break;
      case ir::ExactFn::Relu:
        if (identity_) {
          for (size_t e = 0; e < total; ++e) out[e] = std::max<int64_t>(x[e], 0);
        } else {
          int64_t tmp[256];
          for (size_t e0 = 0; e0 < total; e0 += 256) {
            const size_t m = std::min<size_t>(256, total - e0);
            for (size_t e = 0; e < m; ++e) tmp[e] = std::max<int64_t>(x[e0 + e], 0);
            cast_x_.cast_many(tmp, out + e0, m, ovf);
          }
        }
        break;
      case ir::ExactFn::LeakyRelu:
        for (size_t e = 0; e < total; ++e)
          out[e] = x[e] >= 0 ? cast_x_(x[e], ovf) : cast_p_(static_cast<i128>(x[e]) * k1_, ovf);
        break;
      case ir::ExactFn::HardTanh: {
        const i128 one = static_cast<i128>(1) << f_;
        for (size_t e = 0; e < total; ++e) out[e] = cast_p_(std::clamp(static_cast<i128>(x[e]) << sx_, -one, one), ovf);
        break;
      }
      case ir::ExactFn::Clip: {
        const i128 lo = static_cast<i128>(k1_) << so_, hi = static_cast<i128>(k2_) << sp_;
        for (size_t e = 0; e < total; ++e) {
          const i128 v = static_cast<i128>(x[e]) << sx_;
          out[e] = cast_p_(std::min(std::max(v, lo), hi), ovf);  // ONNX: min(max(x, min), max)
        }
        break;
      }
      case ir::ExactFn::HardSigmoid: {
        const i128 one = static_cast<i128>(1) << f_;
        for (size_t e = 0; e < total; ++e) {
          const i128 v = ((static_cast<i128>(x[e]) * k1_) << sx_) + (static_cast<i128>(k2_) << so_);
          out[e] = cast_p_(std::clamp(v, i128{0}, one), ovf);
        }
        break;
      }
    }
  }

 private:
  void run_table(const int64_t* x, int64_t* out, size_t total, int64_t& ovf) const {
    switch (form_) {
      case ir::TableForm::Table:
        for (size_t e = 0; e < total; ++e) out[e] = lookup(x[e], ovf);
        break;
      case ir::TableForm::TableBelowZero:
        if (gamma_) {
          for (size_t e = 0; e < total; ++e)
            out[e] = x[e] >= 0 ? cast_p_(static_cast<i128>(x[e]) * k1_, ovf) : lookup(x[e], ovf);
        } else {
          for (size_t e = 0; e < total; ++e) out[e] = x[e] >= 0 ? cast_x_(x[e], ovf) : lookup(x[e], ovf);
        }
        break;
      case ir::TableForm::TableOrPass:
        // x >= table hi  <=>  the unclamped index reaches N (hi is a multiple of the step).
        for (size_t e = 0; e < total; ++e) {
          const i128 idx = numeric::shift_floor(x[e], fx_ + table_.spec.log2_step) + table_.spec.offset;
          out[e] = idx >= table_.spec.size() ? cast_x_(x[e], ovf) : lookup(x[e], ovf);
        }
        break;
    }
  }

  int64_t lookup(int64_t x, int64_t& ovf) const {
    const size_t i = static_cast<size_t>(numeric::table_index(x, fx_, table_.spec));
    ovf += table_.ovf[i];
    return table_.out[i];
  }

  std::optional<ir::ExactFn> exact_;  // else a table function of form_
  ir::TableForm form_ = ir::TableForm::Table;
  bool gamma_ = false;
  bool identity_ = false;
  int64_t numel_ = 0;
  int fx_ = 0, f_ = 0, sx_ = 0, so_ = 0, sp_ = 0;
  int64_t k1_ = 0, k2_ = 0;  // raw scalar params: alpha/gamma/slope/min, offset/max
  CastPlan cast_x_, cast_p_;
  CastTable table_;
};

// -------------------------------------------------------------------------------------------- Softmax

class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(const NodeContext& c)
      : hi_(c.table("exp_hi")), lo_(c.table("exp_lo")), inv_(c.table("inv")), hi_data_(c.table_data("exp_hi")),
        lo_data_(c.table_data("exp_lo")), inv_data_(c.table_data("inv")), exp_type_(c.internal_type("exp_table")) {
    if (c.node.has_attr("implementation") && c.node.attr_str("implementation") != "stable")
      c.fail("softmax implementation '" + c.node.attr_str("implementation") + "' is not defined in docs/NUMERICS.md",
             "use implementation: stable");
    const ir::Tensor& x = c.input(0);
    numel_ = x.size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    n_ = x.shape.empty() ? 1 : x.shape.back();
    fx_ = c.in_type(0).frac();
    accum_ = c.internal_type("accum");
    const int fe = exp_type_.frac();
    exp_cast_ = CastPlan(exp_type_, hi_.entry.frac() + lo_.entry.frac());
    if (hi_.entry.width + lo_.entry.width > 62) c.fail("the two exp tables' entries are wider than 62 bits together");
    if (exp_type_.width + inv_.entry.width > 120)
      c.fail("exp table type " + exp_type_.str() + " and inverse table type " + inv_.entry.str() +
             " need more than 120 bits together");
    if (inv_.log2_size < 1) c.fail("the inverse table needs at least 2 buckets");
    if (inv_.entry.width + accum_.width > 124)  // (inv[j+1] - inv[j]) * r, r below the sum's leading bits
      c.fail("inverse table type " + inv_.entry.str() + " and accum " + accum_.str() + " need more than 124 bits");
    // sum = Q_accum(sum + e_k) at the common fraction (the identity when accum is lossless, as the
    // passes make it; a narrower accum is emulated as the firmware's accumulation would be).
    fs_ = std::max(accum_.frac(), fe);
    ss_ = fs_ - accum_.frac();
    se_ = fs_ - fe;
    if (accum_.width + ss_ > 124 || exp_type_.width + se_ > 124)
      c.fail("accum " + accum_.str() + " and exp table type " + exp_type_.str() + " need more than 128 bits");
    sum_cast_ = CastPlan(accum_, fs_);
    // y_k = Q_res(e_k * v * 2^(F_a - lead)): the product of raw values has fe + F_inv fractional bits, the
    // power of two moves the point by lead - F_a; one cast per position of the sum's leading one.
    for (int lead = 0; lead < accum_.width; ++lead)
      out_cast_.emplace_back(c.out_type(), fe + inv_.entry.frac() - accum_.frac() + lead);

    // Fast path: differences, entries and products fit int64, and accum holds every partial sum of n
    // entries exactly (then each Q_accum is the identity and the sum is plain integer addition).
    const int64_t max_e = exp_type_.raw_max(), min_e = std::min<int64_t>(0, exp_type_.raw_min());  // e's range
    const int up = accum_.frac() - fe;
    if (up >= 0 && up < 30) {
      const i128 hi_sum = (static_cast<i128>(max_e) * n_) << up, lo_sum = (static_cast<i128>(min_e) * n_) << up;
      fast_ = c.in_type(0).width <= 62 && exp_type_.width <= 31 && inv_.entry.width <= 31 &&
              bit_length(hi_sum) <= 62 && bit_length(lo_sum) <= 62 && hi_sum <= accum_.raw_max() &&
              lo_sum >= accum_.raw_min();
    }
    up_ = up;
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& ovf) const override {
    if (fast_) return run_fast(in[0], out, n, ovf);
    std::vector<int64_t> e(static_cast<size_t>(n_));
    int64_t ignored = 0;  // accumulator casts are not layer-output casts
    const size_t rows = n * static_cast<size_t>(numel_ / n_);
    for (size_t r = 0; r < rows; ++r) {
      const int64_t* x = in[0] + r * static_cast<size_t>(n_);
      int64_t* y = out + r * static_cast<size_t>(n_);
      const int64_t m = *std::max_element(x, x + n_);
      int64_t sum = 0;
      for (int64_t k = 0; k < n_; ++k) {
        const i128 d = static_cast<i128>(x[k]) - m;
        e[static_cast<size_t>(k)] = exp_of(d);
        sum = sum_cast_((static_cast<i128>(sum) << ss_) + (static_cast<i128>(e[static_cast<size_t>(k)]) << se_), ignored);
      }
      int lead = 0;
      const int64_t v = inverse(sum, lead);
      const CastPlan& cast = out_cast_[static_cast<size_t>(lead)];
      for (int64_t k = 0; k < n_; ++k) y[k] = cast(static_cast<i128>(e[static_cast<size_t>(k)]) * v, ovf);
    }
  }

 private:
  void run_fast(const int64_t* in, int64_t* out, size_t n, int64_t& ovf) const {
    std::vector<int64_t> prod(static_cast<size_t>(n_));
    const size_t rows = n * static_cast<size_t>(numel_ / n_);
    for (size_t r = 0; r < rows; ++r) {
      const int64_t* x = in + r * static_cast<size_t>(n_);
      const int64_t m = *std::max_element(x, x + n_);
      int64_t sum = 0;
      for (int64_t k = 0; k < n_; ++k) {
        const int64_t e = exp_of(static_cast<i128>(x[k]) - m);
        prod[static_cast<size_t>(k)] = e;
        sum += e;
      }
      int lead = 0;
      const int64_t v = inverse(sum << up_, lead);
      for (auto& p : prod) p *= v;
      out_cast_[static_cast<size_t>(lead)].cast_many(prod.data(), out + r * static_cast<size_t>(n_), prod.size(), ovf);
    }
  }

  // The interpolated inverse of the sum's mantissa (docs/NUMERICS.md, "Softmax"): s = max(sum_raw, 1) =
  // 2^lead * m with m in [1, 2); j = the L bits after the leading one, r the rb = lead - L bits below them
  // (none when lead < L: then j is s shifted left); v = inv[j] + floor((inv[j+1] - inv[j]) * r / 2^rb).
  int64_t inverse(int64_t sum_raw, int& lead) const {
    const uint64_t s = static_cast<uint64_t>(std::max<int64_t>(sum_raw, 1));
    lead = 63 - __builtin_clzll(s);
    const int L = inv_.log2_size, rb = lead - L;
    const uint64_t mask = (uint64_t{1} << L) - 1;
    if (rb <= 0) return inv_data_[static_cast<size_t>((s << -rb) & mask)];
    const size_t j = static_cast<size_t>((s >> rb) & mask);
    const int64_t r = static_cast<int64_t>(s & ((uint64_t{1} << rb) - 1));
    const i128 step = (static_cast<i128>(inv_data_[j + 1]) - inv_data_[j]) * r;
    return inv_data_[j] + static_cast<int64_t>(numeric::shift_floor(step, rb));
  }

  // e = Q_exp(exp_hi[coarse index of d] * exp_lo[fine index of d]) (docs/NUMERICS.md, "Softmax"): the coarse
  // index is the clamped bucket number, the fine index its low bits, both from the exact difference d.
  int64_t exp_of(i128 d) const {
    const int64_t h = hi_data_[static_cast<size_t>(table_index128(d, fx_, hi_))];
    const i128 q = numeric::shift_floor(d, fx_ + lo_.log2_step) + lo_.offset;
    const int64_t l = lo_data_[static_cast<size_t>(q & static_cast<i128>(lo_.size() - 1))];
    int64_t ignored = 0;  // entry products are table values: their overflow is reported by passes/build_tables
    return exp_cast_(static_cast<i128>(h) * l, ignored);
  }

  bool fast_ = false;
  int up_ = 0;
  numeric::TableSpec hi_, lo_, inv_;
  std::vector<int64_t> hi_data_, lo_data_, inv_data_;
  numeric::FixedType exp_type_;
  CastPlan exp_cast_;
  numeric::FixedType accum_;
  int64_t numel_ = 0, n_ = 1;
  int fx_ = 0, fs_ = 0, ss_ = 0, se_ = 0;
  CastPlan sum_cast_;
  std::vector<CastPlan> out_cast_;  // by the position of the sum's leading one
};

}  // namespace

std::unique_ptr<Kernel> make_activation(const NodeContext& c) { return std::make_unique<ActivationKernel>(c); }
std::unique_ptr<Kernel> make_softmax(const NodeContext& c) { return std::make_unique<SoftmaxKernel>(c); }

}  // namespace firmnet::emulator
