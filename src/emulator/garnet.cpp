// GarNet (ir/garnet.h, docs/NUMERICS.md "GarNet"): every sum is exact integer arithmetic on raw values (i128,
// aligned to the larger fraction), cast only where the op names a type: distance, edge_weight (the table),
// edge_weight_aggr, aggr, and the result. Samples are independent; the kernel runs them one after another.
#include <algorithm>
#include <cmath>

#include "emulator/kernel.h"
#include "ir/garnet.h"

namespace firmnet::emulator {
namespace {

using numeric::FixedType;

// Raw values of a constant with its fraction.
struct Const {
  std::vector<int64_t> raw;
  int frac = 0;
};

class GarNetKernel : public Kernel {
 public:
  explicit GarNetKernel(const NodeContext& c) : a_(ir::GarNetAttrs::of(c.g, c.node)) {
    tx_ = c.in_type(0), tn_ = c.in_type(1), ty_ = c.out_type();
    td_ = c.internal_type("distance"), te_ = c.internal_type("edge_weight");
    tea_ = c.internal_type("edge_weight_aggr"), tg_ = c.internal_type("aggr");
    auto load = [&](const char* k) {
      const ir::Tensor& t = c.param(k);
      return Const{t.raw, t.type->frac()};
    };
    sw_ = load("s_weight"), sb_ = load("s_bias"), fw_ = load("flr_weight"), fb_ = load("flr_bias");
    ow_ = load("fout_weight"), ob_ = load("fout_bias"), r_ = load("reciprocal");
    spec_ = c.table("edge");
    table_ = c.table_data("edge");
    if (spec_.entry != te_)
      c.fail("table 'edge' holds entries of type " + spec_.entry.str() + " but the node's 'edge_weight' type is " +
                 te_.str(),
             "rebuild the tables after changing the precision (passes/build_tables)");
    // Every exact intermediate stays far inside i128: each operand is at most 64 bits, the sums add
    // log2(terms) bits and the alignments below at most the difference of two fractions.
    const int spread = std::max({tx_.frac(), te_.frac(), tea_.frac(), tg_.frac(), sw_.frac, sb_.frac, fw_.frac,
                                 fb_.frac, ow_.frac, ob_.frac, r_.frac, ty_.frac()}) -
                       std::min({tx_.frac(), te_.frac(), tea_.frac(), tg_.frac(), sw_.frac, sb_.frac, fw_.frac,
                                 fb_.frac, ow_.frac, ob_.frac, r_.frac, ty_.frac()});
    const int widest = std::max({tx_.width, te_.width, tea_.width, tg_.width, td_.width, 18});
    if (spread + 2 * widest + 2 * 24 > 124)
      c.fail("its types are too far apart for exact emulation (fractions spread over " + std::to_string(spread) +
                 " bits)",
             "give distance, edge_weight, edge_weight_aggr and aggr types closer to the input's and the weights'");
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    const int64_t V = a_.vertices, Fi = a_.in_features, A = a_.aggregators, P = a_.propagate, Fo = a_.out_features;
    const size_t xin = static_cast<size_t>(V * Fi);
    const size_t yout = static_cast<size_t>(a_.collapsed() ? Fo : V * Fo);
    std::vector<int64_t> e(static_cast<size_t>(V * A));
    std::vector<i128> se(static_cast<size_t>(A)), sx(static_cast<size_t>(A * Fi));
    std::vector<int64_t> ebar(static_cast<size_t>(A)), m(static_cast<size_t>(A * Fi)), agg(static_cast<size_t>(A * P)),
        base(static_cast<size_t>(Fo * A));
    // Fractions of the exact sums.
    const int fd = std::max(sb_.frac, tx_.frac() + sw_.frac);
    const int fe = te_.frac(), fsx = fe + tx_.frac();
    const int fagg = std::max(fb_.frac + tea_.frac(), fw_.frac + tg_.frac());
    const int fbase = tg_.frac() + ow_.frac;
    const int fout = std::max(ob_.frac, fe + tg_.frac());
    for (size_t s = 0; s < n; ++s) {
      const int64_t* x = in[0] + s * xin;
      const int64_t nv = ir::garnet_valid_vertices(in[1][s], tn_, V);
      int64_t* y = out + s * yout;
      std::fill(se.begin(), se.end(), 0);
      std::fill(sx.begin(), sx.end(), 0);
      std::fill(e.begin(), e.end(), 0);
      for (int64_t v = 0; v < nv; ++v) {
        const int64_t* xv = x + v * Fi;
        for (int64_t ia = 0; ia < A; ++ia) {
          i128 d = align(sb_.raw[static_cast<size_t>(ia)], sb_.frac, fd);
          for (int64_t i = 0; i < Fi; ++i)
            d += align(i128{xv[i]} * sw_.raw[static_cast<size_t>(i * A + ia)], tx_.frac() + sw_.frac, fd);
          const int64_t draw = numeric::quantize(d, fd, td_).raw;
          const int64_t ew = table_[static_cast<size_t>(numeric::table_index(draw, td_.frac(), spec_))];
          e[static_cast<size_t>(v * A + ia)] = ew;
          se[static_cast<size_t>(ia)] += ew;
          for (int64_t i = 0; i < Fi; ++i) sx[static_cast<size_t>(ia * Fi + i)] += i128{ew} * xv[i];
        }
      }
      const i128 r = r_.raw.at(0);
      for (int64_t ia = 0; ia < A; ++ia) {
        ebar[static_cast<size_t>(ia)] = numeric::quantize(se[static_cast<size_t>(ia)] * r, fe + r_.frac, tea_).raw;
        for (int64_t i = 0; i < Fi; ++i)
          m[static_cast<size_t>(ia * Fi + i)] =
              numeric::quantize(sx[static_cast<size_t>(ia * Fi + i)] * r, fsx + r_.frac, tg_).raw;
      }
      for (int64_t ia = 0; ia < A; ++ia)
        for (int64_t p = 0; p < P; ++p) {
          i128 acc = align(i128{fb_.raw[static_cast<size_t>(p)]} * ebar[static_cast<size_t>(ia)], fb_.frac + tea_.frac(), fagg);
          for (int64_t i = 0; i < Fi; ++i)
            acc += align(i128{fw_.raw[static_cast<size_t>(i * P + p)]} * m[static_cast<size_t>(ia * Fi + i)],
                         fw_.frac + tg_.frac(), fagg);
          agg[static_cast<size_t>(ia * P + p)] = numeric::quantize(acc, fagg, tg_).raw;
        }
      for (int64_t o = 0; o < Fo; ++o)
        for (int64_t ia = 0; ia < A; ++ia) {
          i128 acc = 0;
          for (int64_t p = 0; p < P; ++p)
            acc += i128{agg[static_cast<size_t>(ia * P + p)]} * ow_.raw[static_cast<size_t>((ia * P + p) * Fo + o)];
          base[static_cast<size_t>(o * A + ia)] = numeric::quantize(acc, fbase, tg_).raw;
        }
      switch (a_.collapse) {
        case ir::GarNetCollapse::None:
        case ir::GarNetCollapse::Max: {
          const bool max = a_.collapse == ir::GarNetCollapse::Max;
          if (max) std::fill(y, y + Fo, nv < V ? 0 : ty_.raw_min());
          else std::fill(y, y + V * Fo, 0);
          for (int64_t v = 0; v < nv; ++v)
            for (int64_t o = 0; o < Fo; ++o) {
              i128 acc = align(ob_.raw[static_cast<size_t>(o)], ob_.frac, fout);
              for (int64_t ia = 0; ia < A; ++ia)
                acc += align(i128{e[static_cast<size_t>(v * A + ia)]} * base[static_cast<size_t>(o * A + ia)],
                             fe + tg_.frac(), fout);
              const numeric::Cast q = numeric::quantize(acc, fout, ty_);
              overflows += q.overflow;
              if (max) y[o] = std::max(y[o], q.raw);
              else y[v * Fo + o] = q.raw;
            }
          break;
        }
        case ir::GarNetCollapse::Sum:
        case ir::GarNetCollapse::Mean: {
          const bool mean = a_.collapse == ir::GarNetCollapse::Mean;
          for (int64_t o = 0; o < Fo; ++o) {
            i128 acc = align(i128{ob_.raw[static_cast<size_t>(o)]} * nv, ob_.frac, fout);
            for (int64_t ia = 0; ia < A; ++ia)
              acc += align(se[static_cast<size_t>(ia)] * base[static_cast<size_t>(o * A + ia)], fe + tg_.frac(), fout);
            const numeric::Cast q = mean ? numeric::quantize(acc * r, fout + r_.frac, ty_) : numeric::quantize(acc, fout, ty_);
            overflows += q.overflow;
            y[o] = q.raw;
          }
          break;
        }
      }
    }
  }

 private:
  static i128 align(i128 v, int from, int to) { return v * (i128{1} << (to - from)); }

  ir::GarNetAttrs a_;
  FixedType tx_, tn_, ty_, td_, te_, tea_, tg_;
  Const sw_, sb_, fw_, fb_, ow_, ob_, r_;
  numeric::TableSpec spec_;
  std::vector<int64_t> table_;
};

}  // namespace

std::unique_ptr<Kernel> make_garnet(const NodeContext& c) { return std::make_unique<GarNetKernel>(c); }

}  // namespace firmnet::emulator
