// Recurrent layers (LSTM, GRU, SimpleRNN; ir/recurrent.h, docs/NUMERICS.md "Recurrent").
//
// The input product a_t = Q_accum(bias + x_t W) of every step does not depend on the state: the Dense core runs
// it once over all T rows of the block's samples. The recurrent product r = Q_raccum(recurrent_bias + h R) runs
// once per step over the block's samples (their states side by side). The cell's arithmetic is then exact
// integer arithmetic on raw values (sums and products of ap_fixed values are exact) and the casts of
// docs/NUMERICS.md: the tables' indices from the exact pre-activations, Q_cell, Q_state and Q_res.
#include <algorithm>
#include <cmath>

#include "emulator/kernel.h"
#include "ir/recurrent.h"

namespace firmnet::emulator {
namespace {

struct Table {
  numeric::TableSpec spec;
  std::vector<int64_t> raw;
  int frac = 0;
  int64_t at(i128 v, int f) const {  // entry for the exact value v * 2^-f
    i128 i = numeric::shift_floor(v, f + spec.log2_step) + spec.offset;
    i = std::clamp<i128>(i, 0, spec.size() - 1);
    return raw[static_cast<size_t>(i)];
  }
  // The same for a value that fits int64 and a shift sh = f + log2_step in [-62, 62] (left shifts of values whose
  // bucket is beyond the table clamp the same: callers check that v << -sh fits).
  int64_t at64(int64_t v, int sh) const {
    int64_t i = (sh >= 0 ? (v >> sh) : (v * (int64_t{1} << -sh))) + spec.offset;
    i = std::clamp<int64_t>(i, 0, spec.size() - 1);
    return raw[static_cast<size_t>(i)];
  }
};

// A product whose every partial sum is exact in double (integers below 2^53 at the product's fraction) and whose
// accumulator keeps every bit and never overflows (the lossless default): then each Q_accum is the identity and
// the sum is computed with double FMAs, sample by sample, over contiguous outputs (vectorised). Otherwise the
// Dense core's plans run it.
class ExactProduct {
 public:
  bool setup(const DenseOperands& d) {
    const int fp = d.tx.frac() + d.tw.frac(), fb = d.tb.frac(), fs = std::max(fp, fb), fa = d.ta.frac();
    if (fa < fs || fs - fp > 40 || fs - fb > 40 || fa - fs > 40) return false;
    n_in_ = d.n_in, n_out_ = d.n_out, up_ = fa - fs;
    const double lim = 0x1p52;
    const double xmax = std::max(std::fabs(static_cast<double>(d.tx.raw_min())), static_cast<double>(d.tx.raw_max()));
    w_.resize(d.weight.size());
    b_.resize(d.bias.size());
    for (size_t k = 0; k < w_.size(); ++k) w_[k] = std::ldexp(static_cast<double>(d.weight[k]), fs - fp);
    for (size_t k = 0; k < b_.size(); ++k) b_[k] = std::ldexp(static_cast<double>(d.bias[k]), fs - fb);
    for (int64_t j = 0; j < n_out_; ++j) {
      double bound = std::fabs(b_[static_cast<size_t>(j)]);
      for (int64_t i = 0; i < n_in_; ++i) bound += xmax * std::fabs(w_[static_cast<size_t>(i * n_out_ + j)]);
      const double in_accum = std::ldexp(bound, up_);
      if (bound >= lim || in_accum > static_cast<double>(d.ta.raw_max()) ||
          -in_accum < static_cast<double>(d.ta.raw_min()))
        return false;
    }
    return true;
  }
  // rows of n_in raw values -> n_out raw accumulators each.
  void run(const int64_t* x, int64_t* out, size_t rows) const {
    std::vector<double> acc(static_cast<size_t>(n_out_));
    const size_t no = static_cast<size_t>(n_out_), ni = static_cast<size_t>(n_in_);
    constexpr size_t kTile = 16;  // accumulators that stay in registers over the input loop
    std::vector<double> xd(ni);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < ni; ++i) xd[i] = static_cast<double>(x[r * ni + i]);
      size_t k0 = 0;
      for (; k0 + kTile <= no; k0 += kTile) {
        double t[kTile];
        for (size_t k = 0; k < kTile; ++k) t[k] = b_[k0 + k];
        for (size_t i = 0; i < ni; ++i) {
          const double xi = xd[i];
          const double* w = w_.data() + i * no + k0;
          for (size_t k = 0; k < kTile; ++k) t[k] += xi * w[k];
        }
        for (size_t k = 0; k < kTile; ++k) acc[k0 + k] = t[k];
      }
      for (size_t k = k0; k < no; ++k) {
        double t = b_[k];
        for (size_t i = 0; i < ni; ++i) t += xd[i] * w_[i * no + k];
        acc[k] = t;
      }
      int64_t* y = out + r * no;
      for (size_t k = 0; k < no; ++k) y[k] = static_cast<int64_t>(acc[k]) * (int64_t{1} << up_);
    }
  }

 private:
  int64_t n_in_ = 0, n_out_ = 0;
  int up_ = 0;
  std::vector<double> w_, b_;
};

class RecurrentKernel final : public Kernel {
 public:
  explicit RecurrentKernel(const NodeContext& c) : a_(ir::RecurrentAttrs::of(c.g, c.node)) {
    T_ = a_.steps, F_ = a_.features, H_ = a_.units, GW_ = a_.gate_width();
    const numeric::FixedType ta = c.internal_type("accum"), tr = c.internal_type("recurrent_accum");
    ts_ = c.internal_type("state");
    const ir::Tensor &W = c.param("weight"), &R = c.param("recurrent_weight");
    const ir::Tensor &B = c.param("bias"), &RB = c.param("recurrent_bias");
    SW_ = a_.state_product_width();
    const DenseOperands xo{F_, GW_, W.raw, B.raw, c.in_type(0), *W.type, *B.type, ta, ta, W.name, B.name};
    const DenseOperands ho{H_, SW_, columns(R.raw, H_, GW_, 0, SW_), columns(RB.raw, 1, GW_, 0, SW_), ts_, *R.type,
                           *RB.type, tr, tr, R.name, RB.name};
    xw_ = make_dense_product(c, xo);
    hr_ = make_dense_product(c, ho);
    xw_fast_ = xw_exact_.setup(xo);
    hr_fast_ = hr_exact_.setup(ho);
    if (a_.reset_before()) {  // the candidate's recurrent product over r ⊙ h (exact products)
      const numeric::FixedType trh = ir::reset_state_type(c.node, c.internal_type("recurrent_table"), ts_);
      const DenseOperands no{H_, H_, columns(R.raw, H_, GW_, SW_, GW_), columns(RB.raw, 1, GW_, SW_, GW_), trh, *R.type,
                             *RB.type, tr, tr, R.name, RB.name};
      hn_ = make_dense_product(c, no);
      hn_fast_ = hn_exact_.setup(no);
    }
    fa_ = ta.frac(), fr_ = tr.frac(), fp_ = std::max(fa_, fr_);
    if (ta.width + fp_ - fa_ > 62 || tr.width + fp_ - fr_ > 62)
      c.fail("the accumulators " + ta.str() + " and " + tr.str() + " need more than 62 bits side by side",
             "give accum and recurrent_accum closer fractional bits");
    act_ = table(c, "table");
    if (a_.has_recurrent_activation()) gate_ = table(c, "recurrent_table");
    fs_ = ts_.frac();
    const int ft = act_.frac, fg = gate_.frac;
    switch (a_.cell) {
      case ir::CellKind::LSTM:
        tc_ = c.internal_type("cell_state");
        fcell_prod_ = std::max(fg + tc_.frac(), fg + ft);
        cell_cast_ = CastPlan(tc_, fcell_prod_);
        state_cast_ = CastPlan(ts_, fg + ft);
        {  // int64 suffices when every intermediate has at most 61 bits and every shift is in [-30, 30]
          const int wg = gate_.spec.entry.width + 1, wt = act_.spec.entry.width + 1;
          const int up1 = fcell_prod_ - (fg + tc_.frac()), up2 = fcell_prod_ - (fg + ft);
          const int wpre = std::max(ta.width + fp_ - fa_, tr.width + fp_ - fr_) + 1;
          const int shifts[] = {fp_ + gate_.spec.log2_step, fp_ + act_.spec.log2_step, tc_.frac() + act_.spec.log2_step};
          bool ok = wpre <= 61 && wg + tc_.width + up1 <= 60 && wg + wt + up2 <= 60 && wg + wt <= 61;
          for (int sh : shifts) ok = ok && sh >= -30 && sh <= 30 && (sh >= 0 || wpre - sh <= 61) && (sh >= 0 || tc_.width - sh <= 61);
          narrow_ = ok;
        }
        break;
      case ir::CellKind::GRU:
        fgru_ = std::max(fg + ft, fg + fs_);
        state_cast_ = CastPlan(ts_, fgru_);
        fcand_ = std::max(fa_, fg + fr_);
        break;
      case ir::CellKind::RNN: state_cast_ = CastPlan(ts_, ft); break;
    }
    out_cast_ = CastPlan(c.out_type(), fs_);
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    const size_t gw = static_cast<size_t>(GW_), sw = static_cast<size_t>(SW_), H = static_cast<size_t>(H_),
                 T = static_cast<size_t>(T_);
    std::vector<int64_t> ax(n * T * gw), ah(n * sw), h(n * H, 0), cell(n * H, 0);
    std::vector<int64_t> rh(a_.reset_before() ? n * H : 0), an(rh.size()), z(rh.size());
    int64_t ignored = 0;  // the products' casts to their own accumulator type are the identity
    const int64_t* x = in[0];
    if (xw_fast_) xw_exact_.run(x, ax.data(), n * T);
    else xw_->run(&x, ax.data(), n * T, ignored);
    const size_t out_len = a_.return_sequences ? T * H : H;
    for (size_t k = 0; k < T; ++k) {
      const size_t t = a_.reverse ? T - 1 - k : k;
      const int64_t* hp = h.data();
      if (hr_fast_) hr_exact_.run(hp, ah.data(), n);
      else hr_->run(&hp, ah.data(), n, ignored);
      if (a_.reset_before()) {  // z and r of every unit, then the candidate's product over r ⊙ h
        for (size_t s = 0; s < n; ++s)
          reset_gates(ax.data() + (s * T + t) * gw, ah.data() + s * sw, h.data() + s * H, z.data() + s * H,
                      rh.data() + s * H);
        const int64_t* rp = rh.data();
        if (hn_fast_) hn_exact_.run(rp, an.data(), n);
        else hn_->run(&rp, an.data(), n, ignored);
      }
      for (size_t s = 0; s < n; ++s) {
        const int64_t* a = ax.data() + (s * T + t) * gw;
        int64_t* hs = h.data() + s * H;
        if (a_.reset_before()) reset_before_update(a, an.data() + s * H, z.data() + s * H, hs);
        else step(a, ah.data() + s * sw, hs, cell.data() + s * H, overflows);
        if (a_.return_sequences) {
          int64_t* y = out + s * out_len + t * H;
          for (size_t j = 0; j < H; ++j) y[j] = out_cast_(hs[j], overflows);
        }
      }
    }
    if (!a_.return_sequences)
      for (size_t s = 0; s < n; ++s)
        for (size_t j = 0; j < H; ++j) out[s * H + j] = out_cast_(h[s * H + j], overflows);
  }

  // A reset_before GRU's gates of one sample: z (raw table entries) and r ⊙ h (exact, at the gate's plus the
  // state's fractional bits).
  void reset_gates(const int64_t* a, const int64_t* r, const int64_t* h, int64_t* z, int64_t* rh) const {
    for (int64_t j = 0; j < H_; ++j) {
      z[j] = gate_.at(pre(a[j], r[j]), fp_);
      rh[j] = gate_.at(pre(a[H_ + j], r[H_ + j]), fp_) * h[j];  // < 2^62: reset_state_type
    }
  }
  // Its update from the candidate's product rn: n = τ(a_h + rn), h = Q_state((1 - z) n + z h).
  void reset_before_update(const int64_t* a, const int64_t* rn, const int64_t* z, int64_t* h) const {
    int64_t cast_ovf = 0;
    const int fg = gate_.frac, ft = act_.frac;
    const i128 one = static_cast<i128>(1) << fg;
    for (int64_t j = 0; j < H_; ++j) {
      const int64_t nn = act_.at(pre(a[2 * H_ + j], rn[j]), fp_);
      const i128 v = (((one - z[j]) * nn) << (fgru_ - fg - ft)) + ((static_cast<i128>(z[j]) * h[j]) << (fgru_ - fg - fs_));
      h[j] = state_cast_(v, cast_ovf);
    }
  }

  std::string info() const override {
    return "recurrent over " + (xw_fast_ ? std::string("exact double") : xw_->info()) + " and " +
           (hr_fast_ ? std::string("exact double") : hr_->info());
  }

 private:
  // Columns [c0, c1) of a row-major [rows, cols] matrix.
  static std::vector<int64_t> columns(const std::vector<int64_t>& m, int64_t rows, int64_t cols, int64_t c0, int64_t c1) {
    if (c0 == 0 && c1 == cols) return m;
    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(rows * (c1 - c0)));
    for (int64_t i = 0; i < rows; ++i)
      out.insert(out.end(), m.begin() + i * cols + c0, m.begin() + i * cols + c1);
    return out;
  }
  static Table table(const NodeContext& c, const std::string& role) {
    Table t{c.table(role), c.table_data(role), 0};
    t.frac = t.spec.entry.frac();
    return t;
  }
  // The exact pre-activation a + r at fp_ fractional bits.
  i128 pre(int64_t a, int64_t r) const {
    return (static_cast<i128>(a) << (fp_ - fa_)) + (static_cast<i128>(r) << (fp_ - fr_));
  }

  // One step of one sample: a, r the products (GW values each), h and c its state (updated in place).
  void step(const int64_t* a, const int64_t* r, int64_t* h, int64_t* c, int64_t& ovf) const {
    const int64_t H = H_;
    int64_t cast_ovf = 0;  // the state casts are internal: not counted as layer-output overflows
    switch (a_.cell) {
      case ir::CellKind::LSTM:
        if (narrow_) {  // the same arithmetic on int64 (every intermediate fits: checked at construction)
          const int sg = fp_ + gate_.spec.log2_step, sa = fp_ + act_.spec.log2_step, sc = tc_.frac() + act_.spec.log2_step;
          const int ua = fp_ - fa_, ur = fp_ - fr_;
          const int up1 = fcell_prod_ - (gate_.frac + tc_.frac()), up2 = fcell_prod_ - (gate_.frac + act_.frac);
          auto p64 = [&](int64_t x, int64_t y) { return x * (int64_t{1} << ua) + y * (int64_t{1} << ur); };
          for (int64_t j = 0; j < H; ++j) {
            const int64_t gi = gate_.at64(p64(a[j], r[j]), sg);
            const int64_t gf = gate_.at64(p64(a[H + j], r[H + j]), sg);
            const int64_t gc = act_.at64(p64(a[2 * H + j], r[2 * H + j]), sa);
            const int64_t go = gate_.at64(p64(a[3 * H + j], r[3 * H + j]), sg);
            const int64_t v = gf * c[j] * (int64_t{1} << up1) + gi * gc * (int64_t{1} << up2);
            c[j] = cell_cast_(v, cast_ovf);
            h[j] = state_cast_(go * act_.at64(c[j], sc), cast_ovf);
          }
          break;
        }
        for (int64_t j = 0; j < H; ++j) {
          const int64_t gi = gate_.at(pre(a[j], r[j]), fp_);
          const int64_t gf = gate_.at(pre(a[H + j], r[H + j]), fp_);
          const int64_t gc = act_.at(pre(a[2 * H + j], r[2 * H + j]), fp_);
          const int64_t go = gate_.at(pre(a[3 * H + j], r[3 * H + j]), fp_);
          const int up1 = fcell_prod_ - (gate_.frac + tc_.frac()), up2 = fcell_prod_ - (gate_.frac + act_.frac);
          const i128 v = ((static_cast<i128>(gf) * c[j]) << up1) + ((static_cast<i128>(gi) * gc) << up2);
          c[j] = cell_cast_(v, cast_ovf);
          const int64_t th = act_.at(c[j], tc_.frac());
          h[j] = state_cast_(static_cast<i128>(go) * th, cast_ovf);
        }
        break;
      case ir::CellKind::GRU: {
        const int fg = gate_.frac, ft = act_.frac;
        const i128 one = static_cast<i128>(1) << fg;
        for (int64_t j = 0; j < H; ++j) {
          const int64_t z = gate_.at(pre(a[j], r[j]), fp_);
          const int64_t rr = gate_.at(pre(a[H + j], r[H + j]), fp_);
          const i128 p = (static_cast<i128>(a[2 * H + j]) << (fcand_ - fa_)) +
                         ((static_cast<i128>(rr) * r[2 * H + j]) << (fcand_ - fg - fr_));
          const int64_t nn = act_.at(p, fcand_);
          const i128 v = (((one - z) * nn) << (fgru_ - fg - ft)) + ((static_cast<i128>(z) * h[j]) << (fgru_ - fg - fs_));
          h[j] = state_cast_(v, cast_ovf);
        }
        break;
      }
      case ir::CellKind::RNN:
        for (int64_t j = 0; j < H; ++j) h[j] = state_cast_(static_cast<i128>(act_.at(pre(a[j], r[j]), fp_)), cast_ovf);
        break;
    }
    (void)ovf;
  }

  ir::RecurrentAttrs a_;
  int64_t T_ = 0, F_ = 0, H_ = 0, GW_ = 0, SW_ = 0;  // SW_: the columns of the product over h
  numeric::FixedType ts_, tc_;
  std::unique_ptr<Kernel> xw_, hr_, hn_;  // hn_: a reset_before GRU's candidate product over r ⊙ h
  ExactProduct xw_exact_, hr_exact_, hn_exact_;
  bool xw_fast_ = false, hr_fast_ = false, hn_fast_ = false, narrow_ = false;
  int fa_ = 0, fr_ = 0, fp_ = 0, fs_ = 0, fcell_prod_ = 0, fgru_ = 0, fcand_ = 0;
  Table act_, gate_;
  CastPlan cell_cast_, state_cast_, out_cast_;
};

}  // namespace

std::unique_ptr<Kernel> make_recurrent(const NodeContext& c) { return std::make_unique<RecurrentKernel>(c); }

}  // namespace firmnet::emulator
