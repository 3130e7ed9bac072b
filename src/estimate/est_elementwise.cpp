// Element-wise families: Elementwise (add/sub/mul with a tensor or a constant), BatchNorm, Rescale
// (per-channel constant products) and MultiThreshold (compares against constants, levels table).
#include <algorithm>
#include <fmt/format.h>

#include "estimate/model.h"

namespace firmnet::estimate {
namespace {

// Constant products x * k[i % K] for every element (BatchNorm scale, Rescale scale, Elementwise mul).
struct Products {
  Resources res;
  double ns = 0;
  int64_t zero = 0, dsp = 0;
};
Products per_element_products(const Context& c, int x_width, const ir::Tensor& k, int64_t N) {
  Products out;
  const int64_t K = static_cast<int64_t>(k.raw.size());
  for (int64_t i = 0; i < N && K > 0; ++i) {
    const Product p = constant_product(x_width, k.raw[static_cast<size_t>(i % K)], c.dsp48e2());
    out.res.dsp += p.dsp;
    out.res.lut += p.lut;
    out.ns = std::max(out.ns, p.ns);
    out.zero += p.kind == Product::Zero;
    out.dsp += p.kind == Product::Dsp;
  }
  return out;
}

// Adders of a constant per element; adding zero costs nothing.
int64_t constant_adds(const ir::Tensor& k, int64_t N) {
  const int64_t K = static_cast<int64_t>(k.raw.size());
  int64_t n = 0;
  for (int64_t i = 0; i < N && K > 0; ++i) n += k.raw[static_cast<size_t>(i % K)] != 0;
  return n;
}

Row finish(const Context& c, Row row, int64_t start, int64_t ff0) {
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  return row;
}

}  // namespace

Row estimate_elementwise(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& at = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  const std::string op = n.attr_str("op");
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  const int w = std::max(at.width, rt.width) + 1;
  if (n.inputs.size() >= 2) {
    const auto& bt = type_of(g, n.inputs.at(1));
    if (op == "mul") {
      const Product p = variable_product(at.width, bt.width, c.dsp48e2());
      row.res.dsp = N * p.dsp;
      row.res.lut = N * p.lut;
      c.chain.op(p.ns, N * (at.width + bt.width));
    } else {
      row.res.lut = N * w;
      c.chain.op(add_ns(w), N * (at.width + bt.width));
    }
  } else {
    const ir::Tensor& k = g.tensor(n.param("constant"));
    if (op == "mul") {
      const Products p = per_element_products(c, at.width, k, N);
      row.res += p.res;
      c.chain.op(p.ns, N * at.width);
    } else {
      row.res.lut = constant_adds(k, N) * w;
      c.chain.op(add_ns(w), N * at.width);
    }
  }
  row.res.lut += N * cast_lut(at, rt);
  return finish(c, row, start, ff0);
}

Row estimate_batchnorm(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  const Products p = per_element_products(c, xt.width, g.tensor(n.param("scale")), N);
  row.res += p.res;
  row.res.lut += constant_adds(g.tensor(n.param("bias")), N) * (rt.width + 1) + N * cast_lut(xt, rt);
  c.chain.op(p.ns + add_ns(rt.width + 1), N * xt.width);
  row.detail = fmt::format("{} DSP products, {} zero scales", p.dsp, p.zero);
  return finish(c, row, start, ff0);
}

Row estimate_rescale(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  double ns = 0;
  int xw = xt.width;
  if (n.has_param("pre_add")) {
    const ir::Tensor& a = g.tensor(n.param("pre_add"));
    row.res.lut += constant_adds(a, N) * (xt.width + 1);
    ns += add_ns(xt.width + 1);
    xw += 1;
  }
  const Products p = per_element_products(c, xw, g.tensor(n.param("scale")), N);
  row.res += p.res;
  row.res.lut += N * cast_lut(xt, rt);
  c.chain.op(ns + p.ns, N * xt.width);
  return finish(c, row, start, ff0);
}

Row estimate_multithreshold(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  const auto& th = g.tensor(n.param("thresholds"));
  const int64_t T = th.shape.size() >= 2 ? th.shape.back() : th.size();
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  // T compares of x against constants (a LUT6 per 3 bits with the carry chain), the count of true
  // compares (a thermometer code: a priority encoder), and the levels table as a (T+1):1 mux.
  int cbits = 0;
  while ((int64_t{1} << cbits) < T + 1) ++cbits;
  row.res.lut = N * (T * ((xt.width + 2) / 3) + T + rt.width * ((T + 3) / 4));
  c.chain.op(add_ns(xt.width) + kCmpSelNs * std::max(1, cbits / 2), N * xt.width);
  row.detail = fmt::format("{} x {} threshold compares", N, T);
  return finish(c, row, start, ff0);
}

}  // namespace firmnet::estimate
