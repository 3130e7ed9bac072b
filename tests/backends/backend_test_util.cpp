#include "backend_test_util.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "ir/garnet.h"
#include "ir/recurrent.h"
#include "ir/spatial.h"
#include "numeric/quantizer.h"

namespace firmnet::testing {

namespace {

using numeric::i128;

struct V {  // an exact value v * 2^-f
  i128 v;
  int f;
};
V add(V a, V b) {
  const int f = std::max(a.f, b.f);
  return {(a.v << (f - a.f)) + (b.v << (f - b.f)), f};
}
V neg(V a) { return {-a.v, a.f}; }
V mul(V a, V b) { return {a.v * b.v, a.f + b.f}; }
int cmp(V a, V b) {
  V d = add(a, neg(b));
  return d.v < 0 ? -1 : d.v > 0 ? 1 : 0;
}
int64_t q(V a, const FixedType& t) { return numeric::quantize(a.v, a.f, t).raw; }

struct Ref {
  const ir::Graph& g;
  std::map<ir::TensorId, std::vector<int64_t>> val;  // one sample

  V at(ir::TensorId id, size_t i) { return {val.at(id).at(i), g.tensor(id).type->frac()}; }
  V param(const ir::Node& n, const std::string& k, size_t i) {
    const ir::Tensor& t = g.tensor(n.param(k));
    return {t.raw.at(i % t.raw.size()), t.type->frac()};
  }
  V table(const ir::Node& n, const std::string& role, V x) {
    const numeric::TableSpec& s = n.tables.at(role);
    return {n.table_data.at(role).at(static_cast<size_t>(numeric::table_index(static_cast<int64_t>(x.v), x.f, s))),
            s.entry.frac()};
  }

  // The fine table of softmax's two-level exp: the low bits of the bucket number.
  V periodic(const ir::Node& n, const std::string& role, V x) {
    const numeric::TableSpec& s = n.tables.at(role);
    const int64_t idx = static_cast<int64_t>(numeric::shift_floor(x.v, x.f + s.log2_step) + s.offset) & (s.size() - 1);
    return {n.table_data.at(role).at(static_cast<size_t>(idx)), s.entry.frac()};
  }

  void run(const ir::Node& n) {
    if (n.kind == ir::OpKind::Input) return;
    const ir::TensorId out = n.outputs[0];
    const FixedType& rt = *g.tensor(out).type;
    const ir::TensorId x = n.inputs[0];
    const size_t nx = static_cast<size_t>(g.tensor(x).size());
    std::vector<int64_t> y(static_cast<size_t>(g.tensor(out).size()));
    switch (n.kind) {
      case ir::OpKind::Input: break;
      case ir::OpKind::Dense: {
        const FixedType& acc_t = n.types.at("accum");
        for (size_t j = 0; j < y.size(); ++j) {
          V acc{q(param(n, "bias", j), acc_t), acc_t.frac()};
          for (size_t i = 0; i < nx; ++i) acc = {q(add(acc, mul(at(x, i), param(n, "weight", i * y.size() + j))), acc_t), acc_t.frac()};
          y[j] = q(acc, rt);
        }
        break;
      }
      case ir::OpKind::BatchNorm:
        for (size_t i = 0; i < nx; ++i) y[i] = q(add(mul(at(x, i), param(n, "scale", i)), param(n, "bias", i)), rt);
        break;
      case ir::OpKind::Activation: {
        const std::string& fn = n.attr_str("function");
        const V zero{0, 0}, one{1, 0};
        for (size_t i = 0; i < nx; ++i) {
          V v = at(x, i);
          V r = v;
          if (fn == "relu") r = cmp(v, zero) > 0 ? v : zero;
          else if (fn == "leaky_relu") r = cmp(v, zero) >= 0 ? v : mul(v, param(n, "alpha", 0));
          else if (fn == "hard_tanh") r = cmp(v, one) > 0 ? one : cmp(v, neg(one)) < 0 ? neg(one) : v;
          else if (fn == "hard_sigmoid") {
            V a = add(mul(v, param(n, "slope", 0)), param(n, "offset", 0));
            r = cmp(a, one) > 0 ? one : cmp(a, zero) < 0 ? zero : a;
          } else if (fn == "elu") r = cmp(v, zero) >= 0 ? v : table(n, "table", v);
          else if (fn == "selu") r = cmp(v, zero) >= 0 ? mul(v, param(n, "gamma", 0)) : table(n, "table", v);
          else if (fn == "softplus") r = static_cast<double>(v.v) * std::ldexp(1.0, -v.f) >= n.tables.at("table").hi()
                                             ? v : table(n, "table", v);
          else if (fn != "linear") r = table(n, "table", v);
          y[i] = q(r, rt);
        }
        break;
      }
      case ir::OpKind::Softmax: {
        const size_t len = static_cast<size_t>(g.tensor(x).shape.back());
        const FixedType& acc_t = n.types.at("accum");
        for (size_t row = 0; row < nx / len; ++row) {
          V m = at(x, row * len);
          for (size_t k = 1; k < len; ++k) if (cmp(at(x, row * len + k), m) > 0) m = at(x, row * len + k);
          std::vector<V> e;
          V sum{0, acc_t.frac()};
          for (size_t k = 0; k < len; ++k) {
            const V d = add(at(x, row * len + k), neg(m));
            const FixedType& et = n.types.at("exp_table");
            e.push_back({q(mul(table(n, "exp_hi", d), periodic(n, "exp_lo", d)), et), et.frac()});
            sum = {q(add(sum, e.back()), acc_t), acc_t.frac()};
          }
          // sum = 2^lead * m on its raw bits (at least 1); j: the log2 N bits after the leading one, r: the
          // bits below them; 1/sum = v * 2^(F_a - lead) with v between inv[j] and inv[j+1].
          const int64_t s = std::max<int64_t>(static_cast<int64_t>(sum.v), 1);
          int lead = 0;
          while ((s >> (lead + 1)) != 0) ++lead;
          const int bits = n.tables.at("inv").log2_size;
          const std::vector<int64_t>& inv = n.table_data.at("inv");
          int64_t j = 0, r = 0;
          int rb = 0;
          if (lead >= bits) {
            rb = lead - bits;
            j = (s >> rb) - (int64_t{1} << bits);
            r = s - ((s >> rb) << rb);
          } else {
            j = (s << (bits - lead)) - (int64_t{1} << bits);
          }
          const i128 num = static_cast<i128>(inv.at(static_cast<size_t>(j) + 1) - inv.at(static_cast<size_t>(j))) * r;
          i128 step = num / (i128{1} << rb);  // floor: round the truncated quotient down when negative and inexact
          if (num < 0 && step * (i128{1} << rb) != num) --step;
          const V v{inv.at(static_cast<size_t>(j)) + step, n.tables.at("inv").entry.frac()};
          const V scaled{v.v, v.f - acc_t.frac() + lead};  // v * 2^(F_a - lead)
          for (size_t k = 0; k < len; ++k) y[row * len + k] = q(mul(e[k], scaled), rt);
        }
        break;
      }
      case ir::OpKind::Elementwise: {
        const std::string& op = n.attr_str("op");
        for (size_t i = 0; i < nx; ++i) {
          V a = at(x, i), b = n.inputs.size() == 2 ? at(n.inputs[1], i) : param(n, "constant", i);
          y[i] = q(op == "add" ? add(a, b) : op == "sub" ? add(a, neg(b)) : mul(a, b), rt);
        }
        break;
      }
      case ir::OpKind::Reshape:
        for (size_t i = 0; i < nx; ++i) y[i] = q(at(x, i), rt);
        break;
      case ir::OpKind::Concat: {  // flat inputs on the last axis of rank-1 or rank-2 tensors
        const ir::Shape& ys = g.tensor(out).shape;
        const size_t outer = ys.size() == 2 && n.attr_int("axis") == 1 ? static_cast<size_t>(ys[0]) : 1;
        const size_t inner_out = y.size() / outer;
        size_t off = 0;
        for (ir::TensorId in : n.inputs) {
          const size_t inner = static_cast<size_t>(g.tensor(in).size()) / outer;
          for (size_t o = 0; o < outer; ++o)
            for (size_t i = 0; i < inner; ++i) y[o * inner_out + off + i] = q(at(in, o * inner + i), rt);
          off += inner;
        }
        break;
      }
      case ir::OpKind::MultiThreshold: {
        const ir::Tensor& th = g.tensor(n.param("thresholds"));
        const size_t chan = static_cast<size_t>(g.tensor(x).shape.back()), nt = static_cast<size_t>(th.shape[1]);
        for (size_t i = 0; i < nx; ++i) {
          const size_t row = th.shape[0] == 1 ? 0 : i % chan;
          int count = 0;
          for (size_t t = 0; t < nt; ++t) count += cmp(at(x, i), V{th.raw[row * nt + t], th.type->frac()}) >= 0;
          y[i] = numeric::quantize_double(n.attr_float("out_scale") * count + n.attr_float("out_bias"), rt).raw;
        }
        break;
      }
      case ir::OpKind::Rescale:
        for (size_t i = 0; i < nx; ++i) {
          V v = n.has_param("pre_add") ? add(at(x, i), param(n, "pre_add", i)) : at(x, i);
          y[i] = q(mul(v, param(n, "scale", i)), rt);
        }
        break;
      case ir::OpKind::Quantize: {  // clip(round(x / 2^k + z)) - z on the grid 2^k, through numeric's reference
        const auto mode = *numeric::parse_quant_mode(n.attr_str("rounding_mode"));
        const int k = static_cast<int>(n.attr_int("log2_scale"));
        for (size_t i = 0; i < nx; ++i) {
          const V v = at(x, i);
          const int64_t level = numeric::quantize_level(static_cast<int64_t>(v.v), v.f, k, n.attr_int("zero_point"),
                                                        n.attr_int("qmin"), n.attr_int("qmax"), mode);
          y[i] = q(V{level, -k}, rt);
        }
        break;
      }
      case ir::OpKind::Conv: {  // by the definition: each tap inside the map, in order, each channel of its group
        const ir::ConvAttrs a = ir::ConvAttrs::of(g, n);
        const FixedType& acc_t = n.types.at("accum");
        const int64_t cin = a.in_channels, cout = a.out_channels, ipg = a.in_per_group(), opg = a.out_per_group();
        for (int64_t p = 0; p < a.win.out_pixels(); ++p)
          for (int64_t o = 0; o < cout; ++o) {
            V acc{q(param(n, "bias", static_cast<size_t>(o)), acc_t), acc_t.frac()};
            for (int64_t t = 0; t < a.win.taps(); ++t) {
              const int64_t ip = a.win.input_pixel(p, t);
              if (ip < 0) continue;
              for (int64_t i = 0; i < ipg; ++i) {
                const V xv = at(x, static_cast<size_t>(ip * cin + (o / opg) * ipg + i));
                acc = {q(add(acc, mul(xv, param(n, "weight", static_cast<size_t>((t * ipg + i) * cout + o)))), acc_t), acc_t.frac()};
              }
            }
            y[static_cast<size_t>(p * cout + o)] = q(acc, rt);
          }
        break;
      }
      case ir::OpKind::Pool: {
        const ir::PoolAttrs a = ir::PoolAttrs::of(g, n);
        const int64_t ch = a.channels;
        for (int64_t p = 0; p < a.win.out_pixels(); ++p)
          for (int64_t c = 0; c < ch; ++c) {
            std::vector<V> w;
            for (int64_t t = 0; t < a.win.taps(); ++t)
              if (const int64_t ip = a.win.input_pixel(p, t); ip >= 0) w.push_back(at(x, static_cast<size_t>(ip * ch + c)));
            V r = w.at(0);
            if (a.mode == ir::PoolMode::Max) {
              for (const V& v : w) if (cmp(v, r) > 0) r = v;
            } else {
              const FixedType& acc_t = n.types.at("accum");
              V acc{0, acc_t.frac()};
              for (const V& v : w) acc = {q(add(acc, v), acc_t), acc_t.frac()};
              r = mul(acc, param(n, "reciprocal", static_cast<size_t>(a.divisor(p))));
            }
            y[static_cast<size_t>(p * ch + c)] = q(r, rt);
          }
        break;
      }
      case ir::OpKind::Transpose: {
        const ir::Shape& xs = g.tensor(x).shape;
        const ir::Shape& ys = g.tensor(out).shape;
        const std::vector<int64_t>& perm = n.attr_ints("perm");
        for (size_t k = 0; k < y.size(); ++k) {  // output coordinates o; input coordinate perm[a] is o[a]
          std::vector<int64_t> o(ys.size()), i(xs.size());
          size_t rem = k;
          for (size_t a = ys.size(); a-- > 0;) o[a] = static_cast<int64_t>(rem % static_cast<size_t>(ys[a])), rem /= static_cast<size_t>(ys[a]);
          for (size_t a = 0; a < ys.size(); ++a) i[static_cast<size_t>(perm[a])] = o[a];
          size_t src = 0;
          for (size_t a = 0; a < xs.size(); ++a) src = src * static_cast<size_t>(xs[a]) + static_cast<size_t>(i[a]);
          y[k] = q(at(x, src), rt);
        }
        break;
      }
      case ir::OpKind::Recurrent: {  // docs/NUMERICS.md "Recurrent", step by step on exact values
        const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
        const int64_t T = a.steps, F = a.features, H = a.units, GW = a.gate_width();
        const FixedType& ta = n.types.at("accum");
        const FixedType& tr = n.types.at("recurrent_accum");
        const FixedType& ts = n.types.at("state");
        auto lookup = [&](const std::string& role, V v) {
          const numeric::TableSpec& s = n.tables.at(role);
          const i128 i = std::clamp<i128>(numeric::shift_floor(v.v, v.f + s.log2_step) + s.offset, 0, s.size() - 1);
          return V{n.table_data.at(role).at(static_cast<size_t>(i)), s.entry.frac()};
        };
        std::vector<V> h(static_cast<size_t>(H), V{0, ts.frac()}), c(static_cast<size_t>(H), V{0, 0});
        for (int64_t k = 0; k < T; ++k) {
          const int64_t t = a.reverse ? T - 1 - k : k;
          std::vector<V> ax, ah;
          for (int64_t g2 = 0; g2 < GW; ++g2) {
            V acc{q(param(n, "bias", static_cast<size_t>(g2)), ta), ta.frac()};
            for (int64_t i = 0; i < F; ++i)
              acc = {q(add(acc, mul(at(x, static_cast<size_t>(t * F + i)), param(n, "weight", static_cast<size_t>(i * GW + g2)))), ta), ta.frac()};
            ax.push_back(acc);
            V racc{q(param(n, "recurrent_bias", static_cast<size_t>(g2)), tr), tr.frac()};
            for (int64_t i = 0; i < H; ++i)
              racc = {q(add(racc, mul(h[static_cast<size_t>(i)], param(n, "recurrent_weight", static_cast<size_t>(i * GW + g2)))), tr), tr.frac()};
            ah.push_back(racc);
          }
          if (a.reset_before()) {  // GRU linear_before_reset 0: the candidate's product over r * h (exact products)
            std::vector<V> z, rh;
            for (int64_t j = 0; j < H; ++j) {
              z.push_back(lookup("recurrent_table", add(ax[static_cast<size_t>(j)], ah[static_cast<size_t>(j)])));
              rh.push_back(mul(lookup("recurrent_table", add(ax[static_cast<size_t>(H + j)], ah[static_cast<size_t>(H + j)])),
                               h[static_cast<size_t>(j)]));
            }
            for (int64_t j = 0; j < H; ++j) {
              const size_t col = static_cast<size_t>(2 * H + j);
              V racc{q(param(n, "recurrent_bias", col), tr), tr.frac()};
              for (int64_t i = 0; i < H; ++i)
                racc = {q(add(racc, mul(rh[static_cast<size_t>(i)], param(n, "recurrent_weight", static_cast<size_t>(i * GW) + col))), tr), tr.frac()};
              const V cand = lookup("table", add(ax[col], racc));
              const V zj = z[static_cast<size_t>(j)], one_minus_z = add(V{1, 0}, neg(zj));
              V& hj = h[static_cast<size_t>(j)];
              hj = {q(add(mul(one_minus_z, cand), mul(zj, hj)), ts), ts.frac()};
              if (a.return_sequences) y[static_cast<size_t>(t * H + j)] = q(hj, rt);
            }
            continue;
          }
          for (int64_t j = 0; j < H; ++j) {
            auto pre = [&](int64_t gi) { return add(ax[static_cast<size_t>(gi * H + j)], ah[static_cast<size_t>(gi * H + j)]); };
            V& hj = h[static_cast<size_t>(j)];
            if (a.cell == ir::CellKind::LSTM) {
              const FixedType& tc = n.types.at("cell_state");
              V& cj = c[static_cast<size_t>(j)];
              const V gi = lookup("recurrent_table", pre(0)), gf = lookup("recurrent_table", pre(1));
              const V gc = lookup("table", pre(2)), go = lookup("recurrent_table", pre(3));
              cj = {q(add(mul(gf, cj), mul(gi, gc)), tc), tc.frac()};
              hj = {q(mul(go, lookup("table", cj)), ts), ts.frac()};
            } else if (a.cell == ir::CellKind::GRU) {
              const V z = lookup("recurrent_table", pre(0)), r = lookup("recurrent_table", pre(1));
              const V cand = lookup("table", add(ax[static_cast<size_t>(2 * H + j)], mul(r, ah[static_cast<size_t>(2 * H + j)])));
              const V one_minus_z = add(V{1, 0}, neg(z));
              hj = {q(add(mul(one_minus_z, cand), mul(z, hj)), ts), ts.frac()};
            } else {
              hj = {q(lookup("table", pre(0)), ts), ts.frac()};
            }
            if (a.return_sequences) y[static_cast<size_t>(t * H + j)] = q(hj, rt);
          }
        }
        if (!a.return_sequences)
          for (int64_t j = 0; j < H; ++j) y[static_cast<size_t>(j)] = q(h[static_cast<size_t>(j)], rt);
        break;
      }
      case ir::OpKind::GarNet: {  // docs/NUMERICS.md "GarNet", vertex by vertex on exact values
        const ir::GarNetAttrs a = ir::GarNetAttrs::of(g, n);
        const int64_t NV = a.vertices, F = a.in_features, A = a.aggregators, P = a.propagate, O = a.out_features;
        const FixedType& td = n.types.at("distance");
        const FixedType& tea = n.types.at("edge_weight_aggr");
        const FixedType& tg = n.types.at("aggr");
        const FixedType& tn = *g.tensor(n.inputs[1]).type;
        const i128 fl = numeric::shift_floor(val.at(n.inputs[1]).at(0), tn.frac());
        const int64_t nv = static_cast<int64_t>(std::clamp<i128>(fl, 0, NV));
        const numeric::TableSpec& s = n.tables.at("edge");
        auto at2 = [&](int64_t v, int64_t i) { return at(x, static_cast<size_t>(v * F + i)); };
        auto pr = [&](const char* k, int64_t i) { return param(n, k, static_cast<size_t>(i)); };
        std::vector<V> e(static_cast<size_t>(NV * A), V{0, 0}), se(static_cast<size_t>(A), V{0, 0}),
            sx(static_cast<size_t>(A * F), V{0, 0});
        for (int64_t v = 0; v < nv; ++v)
          for (int64_t ia = 0; ia < A; ++ia) {
            V d = pr("s_bias", ia);
            for (int64_t i = 0; i < F; ++i) d = add(d, mul(at2(v, i), pr("s_weight", i * A + ia)));
            const int64_t dq = q(d, td);
            const i128 idx = std::clamp<i128>(numeric::shift_floor(dq, td.frac() + s.log2_step) + s.offset, 0, s.size() - 1);
            e[static_cast<size_t>(v * A + ia)] = V{n.table_data.at("edge").at(static_cast<size_t>(idx)), s.entry.frac()};
          }
        for (int64_t v = 0; v < NV; ++v)
          for (int64_t ia = 0; ia < A; ++ia) {
            const V ev = e[static_cast<size_t>(v * A + ia)];
            se[static_cast<size_t>(ia)] = add(se[static_cast<size_t>(ia)], ev);
            for (int64_t i = 0; i < F; ++i) sx[static_cast<size_t>(ia * F + i)] = add(sx[static_cast<size_t>(ia * F + i)], mul(ev, at2(v, i)));
          }
        const V r = pr("reciprocal", 0);
        std::vector<V> agg(static_cast<size_t>(A * P)), base(static_cast<size_t>(O * A));
        for (int64_t ia = 0; ia < A; ++ia)
          for (int64_t p = 0; p < P; ++p) {
            V acc = mul(pr("flr_bias", p), V{q(mul(se[static_cast<size_t>(ia)], r), tea), tea.frac()});
            for (int64_t i = 0; i < F; ++i)
              acc = add(acc, mul(pr("flr_weight", i * P + p), V{q(mul(sx[static_cast<size_t>(ia * F + i)], r), tg), tg.frac()}));
            agg[static_cast<size_t>(ia * P + p)] = V{q(acc, tg), tg.frac()};
          }
        for (int64_t o = 0; o < O; ++o)
          for (int64_t ia = 0; ia < A; ++ia) {
            V acc{0, 0};
            for (int64_t p = 0; p < P; ++p)
              acc = add(acc, mul(agg[static_cast<size_t>(ia * P + p)], pr("fout_weight", (ia * P + p) * O + o)));
            base[static_cast<size_t>(o * A + ia)] = V{q(acc, tg), tg.frac()};
          }
        for (int64_t o = 0; o < O; ++o) {
          if (a.per_vertex_output()) {
            std::optional<int64_t> best;
            for (int64_t v = 0; v < NV; ++v) {
              V acc = pr("fout_bias", o);
              for (int64_t ia = 0; ia < A; ++ia) acc = add(acc, mul(e[static_cast<size_t>(v * A + ia)], base[static_cast<size_t>(o * A + ia)]));
              const int64_t row = v < nv ? q(acc, rt) : 0;
              if (a.collapse == ir::GarNetCollapse::None) y[static_cast<size_t>(v * O + o)] = row;
              else best = best ? std::max(*best, row) : row;
            }
            if (best) y[static_cast<size_t>(o)] = *best;
          } else {
            V acc = mul(pr("fout_bias", o), V{nv, 0});
            for (int64_t ia = 0; ia < A; ++ia) acc = add(acc, mul(se[static_cast<size_t>(ia)], base[static_cast<size_t>(o * A + ia)]));
            y[static_cast<size_t>(o)] = q(a.collapse == ir::GarNetCollapse::Mean ? mul(acc, r) : acc, rt);
          }
        }
        break;
      }
      case ir::OpKind::Upsample: {  // output coordinate o reads input coordinate o / scale on every axis
        const ir::Shape& xs = g.tensor(x).shape;
        const ir::Shape& ys = g.tensor(out).shape;
        const std::vector<int64_t>& sc = n.attr_ints("scales");
        for (size_t k = 0; k < y.size(); ++k) {
          size_t rem = k, src = 0, stride = 1;
          for (size_t a = ys.size(); a-- > 0;) {
            const size_t o = rem % static_cast<size_t>(ys[a]);
            rem /= static_cast<size_t>(ys[a]);
            src += o / static_cast<size_t>(sc[a]) * stride;
            stride *= static_cast<size_t>(xs[a]);
          }
          y[k] = q(at(x, src), rt);
        }
        break;
      }
      case ir::OpKind::Slice: {  // output coordinate o reads input coordinate o + start on every axis
        const ir::Shape& xs = g.tensor(x).shape;
        const ir::Shape& ys = g.tensor(out).shape;
        const std::vector<int64_t>& st = n.attr_ints("starts");
        for (size_t k = 0; k < y.size(); ++k) {
          size_t rem = k, src = 0, stride = 1;
          for (size_t a = ys.size(); a-- > 0;) {
            const size_t o = rem % static_cast<size_t>(ys[a]);
            rem /= static_cast<size_t>(ys[a]);
            src += (o + static_cast<size_t>(st[a])) * stride;
            stride *= static_cast<size_t>(xs[a]);
          }
          y[k] = q(at(x, src), rt);
        }
        break;
      }
      case ir::OpKind::ArgMax: {
        const size_t len = static_cast<size_t>(g.tensor(x).shape.back());
        for (size_t row = 0; row < nx / len; ++row) {
          size_t best = 0;
          for (size_t k = 1; k < len; ++k) if (cmp(at(x, row * len + k), at(x, row * len + best)) > 0) best = k;
          y[row] = q(V{static_cast<i128>(best), 0}, rt);
        }
        break;
      }
    }
    val[out] = y;
  }
};

}  // namespace

std::vector<std::vector<int64_t>> reference_run(const ir::Graph& g, const std::vector<std::vector<double>>& inputs,
                                                size_t batch) {
  std::vector<std::vector<int64_t>> outs(g.outputs.size());
  for (size_t b = 0; b < batch; ++b) {
    Ref r{g, {}};
    for (size_t k = 0; k < g.inputs.size(); ++k) {
      const ir::Tensor& t = g.tensor(g.inputs[k]);
      const size_t n = static_cast<size_t>(t.size());
      for (size_t j = 0; j < n; ++j) r.val[g.inputs[k]].push_back(numeric::quantize_double(inputs[k][b * n + j], *t.type).raw);
    }
    for (const ir::Node& n : g.nodes) r.run(n);
    for (size_t k = 0; k < g.outputs.size(); ++k) {
      const auto& v = r.val.at(g.outputs[k]);
      outs[k].insert(outs[k].end(), v.begin(), v.end());
    }
  }
  return outs;
}

std::vector<std::vector<double>> to_doubles(const ir::Graph& g, const std::vector<std::vector<int64_t>>& raw) {
  std::vector<std::vector<double>> out(raw.size());
  for (size_t k = 0; k < raw.size(); ++k)
    for (int64_t r : raw[k]) out[k].push_back(g.tensor(g.outputs[k]).type->to_double(r));
  return out;
}

std::vector<std::vector<double>> random_inputs(const ir::Graph& g, size_t batch, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<double>> in;
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor& t = g.tensor(id);
    std::uniform_real_distribution<double> d(t.type->min_value() * 1.1 - 0.1, t.type->max_value() * 1.1 + 0.1);
    std::vector<double> v(batch * static_cast<size_t>(t.size()));
    for (double& x : v) x = d(rng);
    in.push_back(v);
  }
  return in;
}

ir::Graph every_kernel() {
  GraphBuilder b;
  ir::TensorId x = b.input("x", {3, 4}, "fixed<10,4>");
  ir::TensorId bn = b.act("bn_y", {3, 4}, "fixed<12,5>");
  ir::Node& bnn = b.node("bn", ir::OpKind::BatchNorm, {x}, bn);
  bnn.params["scale"] = b.random_constant("bn_scale", {4}, -2, 2, "fixed<10,3,RND>");
  bnn.params["bias"] = b.random_constant("bn_bias", {4}, -1, 1, "fixed<8,2,RND>");
  ir::TensorId sum = b.act("sum_y", {3, 4}, "fixed<11,5>");
  b.node("sum", ir::OpKind::Elementwise, {bn, x}, sum).attrs["op"] = std::string("add");
  ir::TensorId sc = b.act("scaled_y", {3, 4}, "fixed<12,5,RND_ZERO,SAT>");
  ir::Node& mul = b.node("scaled", ir::OpKind::Elementwise, {sum}, sc);
  mul.attrs["op"] = std::string("mul");
  mul.params["constant"] = b.random_constant("per_chan", {4}, -1.5, 1.5, "fixed<8,2>");
  ir::TensorId rs = b.act("rs_y", {3, 4}, "fixed<10,6,RND,SAT>");
  ir::Node& r = b.node("rescale", ir::OpKind::Rescale, {sc}, rs);
  r.params["scale"] = b.random_constant("rs_scale", {4}, 0.5, 3, "ufixed<8,2>");
  r.params["pre_add"] = b.random_constant("rs_add", {1}, -1, 1, "fixed<8,1>");
  ir::TensorId rs2 = b.act("rs2_y", {3, 4}, "fixed<10,6>");
  b.node("rescale2", ir::OpKind::Rescale, {rs}, rs2).params["scale"] = b.random_constant("rs2_scale", {1}, 0.5, 2, "ufixed<8,2>");
  ir::TensorId mt = b.act("mt_y", {3, 4}, "fixed<8,4,RND>");
  ir::Node& m = b.node("thresh", ir::OpKind::MultiThreshold, {rs2}, mt);
  std::vector<double> th;
  for (int c = 0; c < 3; ++c)
    for (int t = 0; t < 3; ++t) th.push_back(-3 + 2 * t + 0.5 * c);
  m.params["thresholds"] = b.constant("th", {3, 3}, th, "fixed<12,5>");
  m.attrs["data_layout"] = std::string("NCHW");
  m.attrs["out_scale"] = 1.0;
  m.attrs["out_bias"] = -1.5;
  for (int k = 0; k <= 3; ++k) m.table_data["levels"].push_back(numeric::quantize_double(k - 1.5, *b.g.tensor(mt).type).raw);
  ir::TensorId flat = b.act("flat_y", {12}, "fixed<8,4,RND>");
  b.node("flat", ir::OpKind::Reshape, {mt}, flat);
  ir::TensorId d1 = b.dense("fc1", flat, 8, "fixed<16,6>", "fixed<20,8>");
  ir::TensorId d2 = b.dense("fc2", b.activation("relu", "relu", d1, "ufixed<10,4>"), 6, "fixed<12,4>",
                            "fixed<14,5,RND_CONV,SAT>");
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 16;  // 8x6 at RF 16 > n_in: output blocks
  ir::TensorId d3 = b.dense("fc3", d1, 4, "fixed<12,4>", "fixed<20,8>");
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 4;
  std::vector<ir::TensorId> acts;
  acts.push_back(b.table_activation("sig", "sigmoid", d2, [](double v) { return 1 / (1 + std::exp(-v)); }, -8, 8, -4,
                                    "ufixed<16,1,RND_CONV,SAT>", "fixed<14,4>"));
  acts.push_back(b.table_activation("elu", "elu", d2, [](double v) { return std::exp(v) - 1; }, -8, 8, -5,
                                    "fixed<16,2,RND_CONV,SAT>", "fixed<14,4>"));
  acts.push_back(b.table_activation("splus", "softplus", d2, [](double v) { return std::log1p(std::exp(v)); }, -6, 8,
                                    -5, "ufixed<16,4,RND_CONV,SAT>", "fixed<14,4>"));
  acts.push_back(b.table_activation("selu", "selu", d2, [](double v) { return 1.7581 * (std::exp(v) - 1); }, -8, 8, -5,
                                    "fixed<16,3,RND_CONV,SAT>", "fixed<14,4>"));
  b.g.nodes.back().params["gamma"] = b.constant("gamma", {1}, {1.0507}, "fixed<12,2,RND>");
  acts.push_back(b.activation("htanh", "hard_tanh", d2, "fixed<14,4>"));
  acts.push_back(b.activation("lin", "linear", d2, "fixed<14,4>"));
  {
    ir::TensorId y = b.act("leaky_y", {6}, "fixed<14,4>");
    ir::Node& n = b.node("leaky", ir::OpKind::Activation, {d2}, y);
    n.attrs["function"] = std::string("leaky_relu");
    n.params["alpha"] = b.constant("alpha", {1}, {0.3}, "fixed<10,1,RND>");
    acts.push_back(y);
  }
  {
    ir::TensorId y = b.act("hsig_y", {6}, "fixed<14,4>");
    ir::Node& n = b.node("hsig", ir::OpKind::Activation, {d2}, y);
    n.attrs["function"] = std::string("hard_sigmoid");
    n.params["slope"] = b.constant("slope", {1}, {0.2}, "fixed<8,1,RND>");
    n.params["offset"] = b.constant("offset", {1}, {0.5}, "fixed<8,1,RND>");
    acts.push_back(y);
  }
  ir::TensorId sm = b.softmax("sm", d3, "fixed<18,2,RND,SAT>");
  // A narrow signed accumulator that truncates and wraps, a signed inverse type that rounds, 64 buckets.
  acts.push_back(b.softmax("sm_narrow", d2, "fixed<14,4>", "fixed<12,4>", "fixed<20,2,RND,SAT>", 6));
  ir::TensorId am = b.act("am_y", {1}, "ufixed<4,4>");
  b.node("argmax", ir::OpKind::ArgMax, {sm}, am);
  ir::TensorId cat = b.act("cat", {static_cast<int64_t>(acts.size() * 6)}, "fixed<14,4>");
  b.node("concat", ir::OpKind::Concat, acts, cat).attrs["axis"] = int64_t{0};
  // Constants of every raw integer type of C simulation (backends/vitis/constants.h raw_int_type): int8_t
  // with negative integer bits, int64_t (40 bits), uint32_t, uint64_t, int16_t.
  ir::TensorId w8 = b.dense("fc_narrow", flat, 5, "fixed<16,6>", "fixed<24,8>", "fixed<6,-1,RND,SAT>");
  ir::TensorId w40 = b.dense("fc_wide", flat, 3, "fixed<20,8>", "fixed<60,16>", "fixed<40,4,RND>");
  ir::TensorId u20 = b.act("ru20_y", {5}, "fixed<20,8>");
  b.node("rescale_u20", ir::OpKind::Rescale, {w8}, u20).params["scale"] =
      b.random_constant("ru20_scale", {5}, 0.5, 3, "ufixed<20,2,RND>");
  ir::TensorId u36 = b.act("ru36_y", {3}, "fixed<24,10>");
  ir::Node& r36 = b.node("rescale_u36", ir::OpKind::Rescale, {w40}, u36);
  r36.params["scale"] = b.random_constant("ru36_scale", {1}, 0.5, 3, "ufixed<36,3,RND>");
  r36.params["pre_add"] = b.random_constant("ru36_add", {3}, -1, 1, "fixed<14,2,RND>");
  // The spatial kernels (firmnet_conv.h): conv (Latency, Resource, depthwise), both pools, transpose.
  ir::TensorId map = b.input("map", {5, 5, 2}, "fixed<10,4>");
  ir::TensorId c1 = b.conv("conv_lat", map, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, "fixed<14,5>", "fixed<24,10>");
  ir::TensorId c2 = b.conv("conv_res", map, 3, {2, 2}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, "fixed<14,5>",
                           "fixed<12,4,RND_CONV,SAT>");
  b.g.nodes.back().strategy = ir::Strategy::Resource;
  b.g.nodes.back().reuse_factor = 6;
  ir::TensorId dw = b.conv("conv_dw", map, 4, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 2, "fixed<14,5>", "fixed<24,10>");
  ir::TensorId pm = b.pool("pool_max", c1, false, {2, 2}, {2, 2}, {0, 0, 1, 1}, false, "fixed<14,5>");
  ir::TensorId pa = b.pool("pool_avg", dw, true, {2, 2}, {1, 1}, {1, 1, 0, 0}, false, "fixed<14,5>", "fixed<20,8>");
  ir::TensorId tr = b.transpose("transpose", pm, {2, 0, 1}, "fixed<14,5>");
  b.g.outputs = {cat, am, acts[0], u20, u36, tr, pa, c2};  // acts[0] is also read by the concat: copied to its port
  return b.g;
}


std::filesystem::path scratch_dir(const std::string& test) {
  auto dir = std::filesystem::path(FIRMNET_BINARY_DIR) / "backend_test_scratch" / test;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace firmnet::testing

#include <fmt/format.h>

#include "driver/driver.h"
#include "ir/text.h"

namespace firmnet::testing {

ir::Graph recurrent_chain(bool is_static, int resource_reuse, config::Config* cfg_out, bool io_stream) {
  std::mt19937_64 rng(77);
  std::uniform_real_distribution<double> d(-1, 1);
  std::string text = "firmnet-ir 1\ngraph \"g\"\nstage frontend\ninputs %0\noutputs %3\n";
  text += "tensor %0 \"x\" activation [5,3]\ntensor %1 \"y1\" activation [5,4]\ntensor %2 \"y2\" activation [5,3]\n"
          "tensor %3 \"y3\" activation [2]\ntensor %4 \"y4\" activation [5,3]\n";
  int next = 5;
  auto constant = [&](const std::string& name, int64_t rows, int64_t cols) {
    std::string t = fmt::format("tensor %{} \"{}\" constant [{}{}]\n  values", next, name, rows,
                                cols > 0 ? fmt::format(",{}", cols) : "");
    for (int64_t i = 0; i < rows * std::max<int64_t>(cols, 1); ++i) t += fmt::format(" {}", d(rng));
    text += t + "\n";
    return next++;
  };
  std::string nodes;
  auto layer = [&](const char* name, const char* cell, int in, int out, int64_t F, int64_t H, int G, bool reverse,
                   bool seq) {
    const int w = constant(std::string(name) + "_w", F, G * H), r = constant(std::string(name) + "_r", H, G * H);
    const int b = constant(std::string(name) + "_b", G * H, 0), rb = constant(std::string(name) + "_rb", G * H, 0);
    nodes += fmt::format("node \"{}\" recurrent\n  inputs %{}\n  outputs %{}\n  param weight %{}\n  param recurrent_weight %{}\n"
                         "  param bias %{}\n  param recurrent_bias %{}\n  attr cell string \"{}\"\n"
                         "  attr direction string \"{}\"\n  attr return_sequences int {}\n  attr activation string \"tanh\"\n",
                         name, in, out, w, r, b, rb, cell, reverse ? "reverse" : "forward", seq ? 1 : 0);
    // gru0's gates: QKeras's hard_sigmoid clip(0.5 x + 0.5, 0, 1), sampled into its gate table.
    if (std::string(name) == "gru0")
      nodes += "  attr recurrent_activation string \"hard_sigmoid\"\n  attr hard_sigmoid_slope float 0.5\n";
    else if (std::string(cell) != "rnn")
      nodes += "  attr recurrent_activation string \"sigmoid\"\n";
    if (std::string(cell) == "gru") nodes += fmt::format("  attr linear_before_reset int {}\n", std::string(name) == "gru0" ? 0 : 1);
  };
  layer("lstm", "lstm", 0, 1, 3, 4, 4, false, true);
  layer("gru", "gru", 1, 2, 4, 3, 3, true, true);
  layer("gru0", "gru", 2, 4, 3, 3, 3, false, true);  // linear_before_reset 0 (Keras reset_after=False)
  layer("rnn", "rnn", 4, 3, 3, 2, 1, false, false);
  text += nodes;
  std::string yaml = fmt::format("{}HLSConfig:\n  LayerType:\n    Recurrent:\n      static: {}\n",
                                 io_stream ? "IOType: io_stream\n" : "", is_static ? "true" : "false");
  if (resource_reuse > 1)  // each layer's own divisors: lstm 48 and 64 products, gru 36 and 27, gru0 27, 18 and 9
    yaml += fmt::format("    LSTM:\n      Strategy: Resource\n      ReuseFactor: {}\n      recurrent_reuse_factor: 2\n"
                        "    GRU:\n      Strategy: Resource\n      ReuseFactor: 3\n", resource_reuse * 2);
  const config::Config cfg = config::Config::parse(yaml, "recurrent.yml");
  if (cfg_out) *cfg_out = cfg;
  ir::TextGraph t = ir::parse_text(text, "recurrent_chain.fnir");
  return driver::compile_graph(std::move(t.graph), t.stage, cfg).graph;
}

}  // namespace firmnet::testing

namespace firmnet::testing {
ir::Graph garnet_layer(const GarNetLayer& l, const std::string& n_type) {
  GraphBuilder b;
  const ir::TensorId x = b.input("x", {l.V, l.F}, "fixed<10,3,RND,SAT>");
  const ir::TensorId nv = b.input("nv", {1}, n_type);
  const bool collapsed = std::string(l.collapse) != "none";
  const ir::TensorId y = b.act("y", collapsed ? ir::Shape{l.O} : ir::Shape{l.V, l.O}, "fixed<12,4,TRN,WRAP>");
  const ir::TensorId fw = b.random_constant("fw", {l.F, l.P}, -1.5, 1.5, "fixed<8,2,RND>");
  const ir::TensorId fb = b.random_constant("fb", {l.P}, -1, 1, "fixed<8,2,RND>");
  const ir::TensorId sw = b.random_constant("sw", {l.F, l.A}, -0.8, 0.8, "fixed<8,1,RND>");
  const ir::TensorId sb = b.random_constant("sb", {l.A}, -0.5, 0.5, "fixed<8,1,RND>");
  const ir::TensorId ow = b.random_constant("ow", {l.A * l.P, l.O}, -1.5, 1.5, "fixed<8,2,RND>");
  const ir::TensorId ob = b.random_constant("ob", {l.O}, -1, 1, "fixed<8,2,RND>");
  const ir::TensorId r = b.constant("r", {1}, {1.0 / static_cast<double>(l.V)}, "ufixed<12,-2,RND_CONV,SAT>");
  ir::Node& n = b.node("gar", ir::OpKind::GarNet, {x, nv}, y);
  n.params = {{"flr_weight", fw}, {"flr_bias", fb}, {"s_weight", sw}, {"s_bias", sb},
              {"fout_weight", ow}, {"fout_bias", ob}, {"reciprocal", r}};
  n.attrs["collapse"] = std::string(l.collapse);
  n.reuse_factor = l.rf;
  n.types["distance"] = fx("fixed<12,3,RND,SAT>");
  n.types["edge_weight"] = fx("ufixed<10,1,RND_CONV,SAT>");
  n.types["edge_weight_aggr"] = fx("ufixed<12,1,TRN,SAT>");
  n.types["aggr"] = fx("fixed<14,3,RND,WRAP>");
  n.tables["edge"] = numeric::make_table_spec(-4, 9, -6, n.types["edge_weight"]);
  n.table_data["edge"] = numeric::build_table(ir::garnet_edge_weight, n.tables["edge"]);
  b.g.outputs = {y};
  b.g.verify(true);
  return b.g;
}
}  // namespace firmnet::testing
