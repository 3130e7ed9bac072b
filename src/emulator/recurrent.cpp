// Recurrent layers (LSTM, GRU, SimpleRNN; ir/recurrent.h, docs/NUMERICS.md "Recurrent").
//
// The input product a_t = Q_accum(bias + x_t W) of every step does not depend on the state: the Dense core runs
// it once over all T rows of the block's samples. The recurrent product r = Q_raccum(recurrent_bias + h R) runs
// once per step over the block's samples (their states side by side). The cell's arithmetic is then exact
// integer arithmetic on raw values (sums and products of ap_fixed values are exact) and the casts of
// docs/NUMERICS.md: the tables' indices from the exact pre-activations, Q_cell, Q_state and Q_res.
#include <algorithm>

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
};

class RecurrentKernel final : public Kernel {
 public:
  explicit RecurrentKernel(const NodeContext& c) : a_(ir::RecurrentAttrs::of(c.g, c.node)) {
    T_ = a_.steps, F_ = a_.features, H_ = a_.units, GW_ = a_.gate_width();
    const numeric::FixedType ta = c.internal_type("accum"), tr = c.internal_type("recurrent_accum");
    ts_ = c.internal_type("state");
    const ir::Tensor &W = c.param("weight"), &R = c.param("recurrent_weight");
    const ir::Tensor &B = c.param("bias"), &RB = c.param("recurrent_bias");
    xw_ = make_dense_product(c, {F_, GW_, W.raw, B.raw, c.in_type(0), *W.type, *B.type, ta, ta, W.name, B.name});
    hr_ = make_dense_product(c, {H_, GW_, R.raw, RB.raw, ts_, *R.type, *RB.type, tr, tr, R.name, RB.name});
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
    const size_t gw = static_cast<size_t>(GW_), H = static_cast<size_t>(H_), T = static_cast<size_t>(T_);
    std::vector<int64_t> ax(n * T * gw), ah(n * gw), h(n * H, 0), cell(n * H, 0);
    int64_t ignored = 0;  // the products' casts to their own accumulator type are the identity
    const int64_t* x = in[0];
    xw_->run(&x, ax.data(), n * T, ignored);
    const size_t out_len = a_.return_sequences ? T * H : H;
    for (size_t k = 0; k < T; ++k) {
      const size_t t = a_.reverse ? T - 1 - k : k;
      const int64_t* hp = h.data();
      hr_->run(&hp, ah.data(), n, ignored);
      for (size_t s = 0; s < n; ++s) {
        const int64_t* a = ax.data() + (s * T + t) * gw;
        const int64_t* r = ah.data() + s * gw;
        int64_t* hs = h.data() + s * H;
        step(a, r, hs, cell.data() + s * H, overflows);
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

  std::string info() const override { return "recurrent over " + xw_->info() + " and " + hr_->info(); }

 private:
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
  int64_t T_ = 0, F_ = 0, H_ = 0, GW_ = 0;
  numeric::FixedType ts_, tc_;
  std::unique_ptr<Kernel> xw_, hr_;
  int fa_ = 0, fr_ = 0, fp_ = 0, fs_ = 0, fcell_prod_ = 0, fgru_ = 0, fcand_ = 0;
  Table act_, gate_;
  CastPlan cell_cast_, state_cast_, out_cast_;
};

}  // namespace

std::unique_ptr<Kernel> make_recurrent(const NodeContext& c) { return std::make_unique<RecurrentKernel>(c); }

}  // namespace firmnet::emulator
