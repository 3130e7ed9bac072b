#include "backend_test_util.h"

#include <algorithm>
#include <map>

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
          V inv = table(n, "inv", sum);
          for (size_t k = 0; k < len; ++k) y[row * len + k] = q(mul(e[k], inv), rt);
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

std::filesystem::path scratch_dir(const std::string& test) {
  auto dir = std::filesystem::path(FIRMNET_BINARY_DIR) / "backend_test_scratch" / test;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace firmnet::testing
