// Activations and Softmax: compare-selects, products by the activation's constants, and lookup tables
// as LUT or BRAM ROMs, one ROM copy per two parallel reads (backends/vitis/kernels: activation, softmax).
#include <algorithm>
#include <fmt/format.h>

#include "estimate/model.h"
#include "ir/activations.h"

namespace firmnet::estimate {
namespace {

// Per element: a compare of x and a select of the result bits.
int64_t cmp_sel_lut(int x_width, int res_width) { return cmp_lut(x_width) + sel_lut(res_width); }

int64_t raw_param(const ir::Graph& g, const ir::Node& n, const std::string& key) {
  const ir::Tensor& t = g.tensor(n.param(key));
  return t.raw.at(0);
}

// Index of a table read: the shifted raw value plus the offset, clamped to the table.
struct Index {
  int64_t lut;
  double ns;
};
// The position is the raw value shifted (wires) plus the offset on x's width + 1 bits; the two clamps are
// compares of that width and selects of the index bits.
Index table_index(const numeric::FixedType& x, const numeric::TableSpec& s) {
  const int w = x.width + 1 - std::max(0, x.frac() + s.log2_step);  // bits left after the right shift
  const int pw = std::max(w, s.log2_size) + 1;
  return {pw + 2 * cmp_lut(pw) + 2 * sel_lut(s.log2_size), add_ns(pw) + kCmpSelNs};
}

}  // namespace

Row estimate_activation(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  const ir::ActivationFn f = ir::activation_fn(n);
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  const int64_t x_bits = N * xt.width;
  const bool e2 = c.dsp48e2();
  row.res.lut = cast_lut(xt, rt) * N;

  auto product = [&](const std::string& key) {
    const Product p = constant_product(xt.width, raw_param(g, n, key), e2);
    row.res.dsp += p.dsp * N;
    row.res.lut += p.lut * N;
    return p;
  };

  if (const auto e = ir::exact_fn(f)) {
    switch (*e) {
      case ir::ExactFn::Linear: break;  // a cast only
      case ir::ExactFn::Relu:
        row.res.lut += cmp_sel_lut(xt.width, rt.width) * N;
        c.chain.op(kCmpSelNs, x_bits);
        break;
      case ir::ExactFn::LeakyRelu: {
        const ir::Tensor& a = g.tensor(n.param("alpha"));
        // alpha = 1 exactly: both branches are x and HLS removes the select.
        const bool identity = a.type && a.raw.at(0) == (int64_t{1} << std::max(0, a.type->frac())) && a.type->frac() >= 0;
        if (!identity) {
          const Product p = product("alpha");
          row.res.lut += cmp_sel_lut(xt.width, rt.width) * N;
          c.chain.op(p.ns + kCmpSelNs, x_bits);
        }
        break;
      }
      case ir::ExactFn::HardTanh:
      case ir::ExactFn::Clip:
        row.res.lut += (2 * cmp_lut(xt.width) + 2 * sel_lut(rt.width)) * N;
        c.chain.op(2 * kCmpSelNs, x_bits);
        break;
      case ir::ExactFn::HardSigmoid: {
        const Product p = product("slope");
        row.res.lut += (xt.width + 2 * cmp_lut(xt.width) + 2 * sel_lut(rt.width)) * N;
        c.chain.op(p.ns + add_ns(xt.width) + 2 * kCmpSelNs, x_bits);
        break;
      }
    }
  } else {
    // Table functions: index, ROM read, and for the other forms the select against the direct branch.
    const auto& spec = n.tables.at("table");
    const Index ix = table_index(xt, spec);
    const Rom r = rom(spec.size(), spec.entry.width, N);
    row.res += r.res;
    row.res.lut += ix.lut * N;
    const bool select = ir::table_form(f) != ir::TableForm::Table;
    double after = 0;
    if (select) {
      row.res.lut += cmp_sel_lut(xt.width, rt.width) * N;
      after = kCmpSelNs;
      if (const char* p = ir::product_param(n)) after += product(p).ns;
    }
    c.chain.op(ix.ns, x_bits + N * spec.log2_size);
    c.chain.rom_read(N * spec.log2_size, select ? x_bits : 0);
    c.chain.op(after, N * rt.width);
    row.detail = fmt::format("{} reads of a {} x {} bit table in {}", N, spec.size(), spec.entry.width,
                             r.bram ? fmt::format("{} BRAM_18K", r.res.bram_18k) : "LUTs");
  }
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  return row;
}

Row estimate_softmax(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  const auto& shape = g.tensor(n.outputs.at(0)).shape;
  const int64_t n_row = shape.empty() ? N : shape.back();
  const int64_t rows = n_row ? N / n_row : 0;
  const auto& hi = n.tables.at("exp_hi");
  const auto& lo = n.tables.at("exp_lo");
  const auto& inv = n.tables.at("inv");
  const auto& acc = n.types.count("accum") ? n.types.at("accum") : rt;
  const bool e2 = c.dsp48e2();
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();

  // max tree, differences, two exp ROM reads and their product, sum tree; per row the inverse of the sum's
  // mantissa (priority encoder, normalising shift, two reads of the N+1 entry table, the interpolation
  // product and add); per element the product e * v and the shift by the leading one's position.
  const int dw = xt.width + 1;
  const Index ihi = table_index(xt, hi), ilo = table_index(xt, lo);
  const Rom rhi = rom(hi.size(), hi.entry.width, N), rlo = rom(lo.size(), lo.entry.width, N);
  const Rom rinv = rom(n.table_entries("inv"), inv.entry.width, 2 * rows);
  const ir::SoftmaxInverse si = ir::softmax_inverse(n, n_row);
  const int ew = n.types.count("exp_table") ? n.types.at("exp_table").width : hi.entry.width;
  const int span = si.lead_max - si.lead_min;  // positions of the sum's leading one beyond the lowest
  const int nw = std::max(acc.width, si.index_bits + 1), lead_bits = std::max(1, ceil_log2(span + 1));
  const int hw = ew + inv.entry.width + 2 + span;  // the shifted product
  const Product pe = variable_product(hi.entry.width, lo.entry.width, e2);
  const Product pn = variable_product(ew, inv.entry.width, e2);
  const Product pi = si.remainder_bits > 0 ? variable_product(si.delta_width, si.remainder_bits + 1, e2) : Product{};
  row.res += rhi.res;
  row.res += rlo.res;
  row.res += rinv.res;
  row.res.dsp += N * (pe.dsp + pn.dsp) + rows * pi.dsp;
  const int64_t per_row = span + mux_lut(span + 1, nw) + pi.lut + inv.entry.width + 2;  // encoder, shift, product, add
  row.res.lut += rows * (n_row - 1) * cmp_sel_lut(xt.width, xt.width) + N * dw + N * (ihi.lut + ilo.lut) +
                 rows * (n_row - 1) * acc.width + rows * per_row + N * (pe.lut + pn.lut + mux_lut(span + 1, hw));

  const int depth = ceil_log2(n_row);
  const double shift_ns = ((lead_bits + 1) / 2) * kCmpSelNs;  // two shift levels per LUT6 level
  for (int l = 0; l < depth; ++l) c.chain.op(kCmpSelNs, N * xt.width);
  c.chain.op(add_ns(dw) + ihi.ns, N * dw);
  c.chain.rom_read(N * (hi.log2_size + lo.log2_size), 0);
  c.chain.op(pe.ns, N * (hi.entry.width + lo.entry.width));
  for (int l = 0; l < depth; ++l) c.chain.op(add_ns(acc.width), N * acc.width);
  c.chain.op(2 * shift_ns, N * ew + rows * acc.width);  // lead (a priority encoder), normalise
  c.chain.rom_read(rows * 2 * (si.index_bits + 1), N * ew + rows * (si.remainder_bits + lead_bits));
  c.chain.op(pi.ns + add_ns(inv.entry.width + 2), N * ew + rows * 2 * inv.entry.width);
  c.chain.op(pn.ns, N * ew + rows * (inv.entry.width + lead_bits));
  c.chain.op(shift_ns, N * hw);
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  row.detail = fmt::format("{} row(s) of {}: 3 tables, {} products", rows, n_row, 2 * N + rows);
  return row;
}

}  // namespace firmnet::estimate
