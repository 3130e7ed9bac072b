// run_float: the graph in double with the model's float constants and exact functions, ignoring every
// type. Activation parameters follow the ONNX formulas with the float attrs (alpha, beta, gamma), falling
// back to the param tensor's float value, then to ONNX's defaults.
#include <algorithm>
#include <cmath>

#include "emulator/emulator.h"
#include "ir/activations.h"
#include "ir/garnet.h"
#include "ir/recurrent.h"
#include "ir/spatial.h"
#include "numeric/qonnx_input.h"
#include "numeric/quantizer.h"
#include "support/error.h"

namespace firmnet::emulator {
namespace {

struct FloatNode {
  const ir::Graph& g;
  const ir::Node& n;

  std::string where() const { return "node '" + n.name + "' (" + ir::name(n.kind) + ")"; }
  const std::vector<double>& values(const std::string& key) const {
    const ir::Tensor& t = g.tensor(n.param(key));
    if (static_cast<int64_t>(t.values.size()) != t.size())
      throw Error(where(), "parameter '" + key + "' has no float values", "the float reference needs the model's constants");
    return t.values;
  }
  // Per-element value of a constant with 1, C (last axis) or numel values.
  double at(const std::vector<double>& v, size_t e, int64_t channels) const {
    return v.size() == 1 ? v[0] : v[v.size() == static_cast<size_t>(channels) ? e % static_cast<size_t>(channels) : e];
  }
  double attr_or(const char* key, const char* param, double onnx_default) const {
    if (n.has_attr(key)) return n.attr_float(key);
    if (param && n.has_param(param)) return values(param).at(0);
    return onnx_default;
  }
};

// Exact functions by their definition; looked-up ones by the float definition their table samples
// (ir/activations.cpp), used as the form says.
double activation(ir::ActivationFn f, const ir::TableFunction* table, double x, const FloatNode& c) {
  if (const auto e = ir::exact_fn(f)) {
    switch (*e) {
      case ir::ExactFn::Linear: return x;
      case ir::ExactFn::Relu: return std::max(x, 0.0);
      case ir::ExactFn::LeakyRelu: return x >= 0 ? x : x * c.attr_or("alpha", "alpha", 0.01);
      case ir::ExactFn::HardTanh: return std::clamp(x, -1.0, 1.0);
      case ir::ExactFn::Clip: return std::min(std::max(x, c.values("min").at(0)), c.values("max").at(0));
      case ir::ExactFn::HardSigmoid:
        return std::clamp(x * c.attr_or("alpha", "slope", 0.2) + c.attr_or("beta", "offset", 0.5), 0.0, 1.0);
    }
  }
  switch (*ir::table_form(f)) {
    case ir::TableForm::Table:
    case ir::TableForm::TableOrPass: return table->f(x);
    case ir::TableForm::TableBelowZero: return x >= 0 ? table->gamma * x : table->f(x);
  }
  return x;
}

// One node on one sample: in[k] points at input k's values, y receives the output.
void eval(const FloatNode& c, const std::vector<const double*>& in, double* y) {
  const ir::Graph& g = c.g;
  const ir::Node& n = c.n;
  const ir::Tensor& out = g.tensor(n.outputs.at(0));
  const size_t ny = static_cast<size_t>(out.size());
  auto in_tensor = [&](size_t k) -> const ir::Tensor& { return g.tensor(n.inputs.at(k)); };
  auto last_axis = [&](size_t k) { return in_tensor(k).shape.empty() ? int64_t{1} : in_tensor(k).shape.back(); };
  switch (n.kind) {
    case ir::OpKind::Input:
    case ir::OpKind::Reshape: std::copy_n(in.at(0), ny, y); return;
    case ir::OpKind::Dense: {
      const auto& w = c.values("weight");
      const auto& b = c.values("bias");
      const size_t n_in = static_cast<size_t>(in_tensor(0).size());
      for (size_t j = 0; j < ny; ++j) {
        double acc = b.at(j);
        for (size_t i = 0; i < n_in; ++i) acc += in[0][i] * w.at(i * ny + j);
        y[j] = acc;
      }
      return;
    }
    case ir::OpKind::Conv: {
      const ir::ConvAttrs a = ir::ConvAttrs::of(g, n);
      const auto& w = c.values("weight");
      const auto& b = c.values("bias");
      const int64_t cout = a.out_channels, cin = a.in_channels, taps = a.win.taps();
      const int64_t ipg = a.in_per_group(), opg = a.out_per_group();
      for (int64_t p = 0; p < a.win.out_pixels(); ++p)
        for (int64_t o = 0; o < cout; ++o) {
          double acc = b.at(static_cast<size_t>(o));
          const int64_t c0 = (o / opg) * ipg;  // the group's first input channel
          for (int64_t t = 0; t < taps; ++t) {
            const int64_t ip = a.win.input_pixel(p, t);
            if (ip < 0) continue;
            for (int64_t i = 0; i < ipg; ++i)
              acc += in[0][ip * cin + c0 + i] * w.at(static_cast<size_t>((t * ipg + i) * cout + o));
          }
          y[p * cout + o] = acc;
        }
      return;
    }
    case ir::OpKind::Pool: {
      const ir::PoolAttrs a = ir::PoolAttrs::of(g, n);
      const int64_t ch = a.channels;
      for (int64_t p = 0; p < a.win.out_pixels(); ++p)
        for (int64_t k = 0; k < ch; ++k) {
          double acc = a.mode == ir::PoolMode::Max ? -INFINITY : 0.0;
          for (int64_t t = 0; t < a.win.taps(); ++t) {
            const int64_t ip = a.win.input_pixel(p, t);
            if (ip < 0) continue;
            const double v = in[0][ip * ch + k];
            acc = a.mode == ir::PoolMode::Max ? std::max(acc, v) : acc + v;
          }
          y[p * ch + k] = a.mode == ir::PoolMode::Max ? acc : acc / static_cast<double>(a.divisor(p));
        }
      return;
    }
    case ir::OpKind::GarNet: {  // Keras's GarNet (simplified) as written: per-vertex features, then the means
      const ir::GarNetAttrs a = ir::GarNetAttrs::of(g, n);
      const int64_t V = a.vertices, Fi = a.in_features, A = a.aggregators, P = a.propagate, Fo = a.out_features;
      const auto& fw = c.values("flr_weight");
      const auto& fb = c.values("flr_bias");
      const auto& sw = c.values("s_weight");
      const auto& sb = c.values("s_bias");
      const auto& ow = c.values("fout_weight");
      const auto& ob = c.values("fout_bias");
      // Keras: vertex v is valid when v < int(n) (a cast toward zero; n >= 0 in practice).
      const double nv = std::trunc(in[1][0]);
      auto at = [](const std::vector<double>& v, int64_t k) { return v[static_cast<size_t>(k)]; };
      std::vector<double> f(static_cast<size_t>(V * P)), ew(static_cast<size_t>(V * A)), agg(static_cast<size_t>(A * P), 0.0);
      for (int64_t v = 0; v < V; ++v) {
        const double mask = static_cast<double>(v) < nv ? 1.0 : 0.0;
        for (int64_t p = 0; p < P; ++p) {
          double s = at(fb, p);
          for (int64_t i = 0; i < Fi; ++i) s += in[0][v * Fi + i] * at(fw, i * P + p);
          f[static_cast<size_t>(v * P + p)] = s;
        }
        for (int64_t ia = 0; ia < A; ++ia) {
          double d = at(sb, ia);
          for (int64_t i = 0; i < Fi; ++i) d += in[0][v * Fi + i] * at(sw, i * A + ia);
          ew[static_cast<size_t>(v * A + ia)] = mask * ir::garnet_edge_weight(d);
        }
      }
      for (int64_t ia = 0; ia < A; ++ia)
        for (int64_t p = 0; p < P; ++p) {
          double s = 0;
          for (int64_t v = 0; v < V; ++v) s += ew[static_cast<size_t>(v * A + ia)] * f[static_cast<size_t>(v * P + p)];
          agg[static_cast<size_t>(ia * P + p)] = s / static_cast<double>(V);
        }
      std::vector<double> rows(static_cast<size_t>(V * Fo));
      for (int64_t v = 0; v < V; ++v) {
        const double mask = static_cast<double>(v) < nv ? 1.0 : 0.0;
        for (int64_t o = 0; o < Fo; ++o) {
          double s = at(ob, o);
          for (int64_t ia = 0; ia < A; ++ia)
            for (int64_t p = 0; p < P; ++p)
              s += ew[static_cast<size_t>(v * A + ia)] * agg[static_cast<size_t>(ia * P + p)] * at(ow, (ia * P + p) * Fo + o);
          rows[static_cast<size_t>(v * Fo + o)] = mask * s;
        }
      }
      for (int64_t o = 0; o < Fo; ++o) {
        double s = 0, mx = -INFINITY;
        for (int64_t v = 0; v < V; ++v) s += rows[static_cast<size_t>(v * Fo + o)], mx = std::max(mx, rows[static_cast<size_t>(v * Fo + o)]);
        switch (a.collapse) {
          case ir::GarNetCollapse::None:
            for (int64_t v = 0; v < V; ++v) y[v * Fo + o] = rows[static_cast<size_t>(v * Fo + o)];
            break;
          case ir::GarNetCollapse::Mean: y[o] = s / static_cast<double>(V); break;
          case ir::GarNetCollapse::Sum: y[o] = s; break;
          case ir::GarNetCollapse::Max: y[o] = mx; break;
        }
      }
      return;
    }
    case ir::OpKind::Recurrent: {  // the cell in double with the float functions the tables sample
      const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(g, n);
      const auto act = ir::cell_function(n, a.activation, false);
      const auto gate = a.has_recurrent_activation() ? std::optional(ir::cell_function(n, a.recurrent_activation, true)) : std::nullopt;
      const auto& W = c.values("weight");
      const auto& R = c.values("recurrent_weight");
      const auto& B = c.values("bias");
      const auto& RB = c.values("recurrent_bias");
      const int64_t T = a.steps, F = a.features, H = a.units, GW = a.gate_width();
      std::vector<double> h(static_cast<size_t>(H), 0.0), cs(static_cast<size_t>(H), 0.0), ax(static_cast<size_t>(GW)),
          ah(static_cast<size_t>(GW));
      for (int64_t k = 0; k < T; ++k) {
        const int64_t t = a.reverse ? T - 1 - k : k;
        for (int64_t q = 0; q < GW; ++q) {
          double s1 = B[static_cast<size_t>(q)], s2 = RB[static_cast<size_t>(q)];
          for (int64_t i = 0; i < F; ++i) s1 += in[0][t * F + i] * W[static_cast<size_t>(i * GW + q)];
          for (int64_t i = 0; i < H; ++i) s2 += h[static_cast<size_t>(i)] * R[static_cast<size_t>(i * GW + q)];
          ax[static_cast<size_t>(q)] = s1, ah[static_cast<size_t>(q)] = s2;
        }
        if (a.reset_before()) {  // GRU, linear_before_reset 0: n = act(x W_n + b_n + (r ⊙ h) R_n + rb_n)
          std::vector<double> rh(static_cast<size_t>(H)), z(static_cast<size_t>(H));
          for (int64_t j = 0; j < H; ++j) {
            z[static_cast<size_t>(j)] = gate->f(ax[static_cast<size_t>(j)] + ah[static_cast<size_t>(j)]);
            rh[static_cast<size_t>(j)] =
                gate->f(ax[static_cast<size_t>(H + j)] + ah[static_cast<size_t>(H + j)]) * h[static_cast<size_t>(j)];
          }
          for (int64_t j = 0; j < H; ++j) {
            double s = RB[static_cast<size_t>(2 * H + j)];
            for (int64_t i = 0; i < H; ++i) s += rh[static_cast<size_t>(i)] * R[static_cast<size_t>(i * GW + 2 * H + j)];
            const double cand = act.f(ax[static_cast<size_t>(2 * H + j)] + s), zj = z[static_cast<size_t>(j)];
            double& hj = h[static_cast<size_t>(j)];
            hj = (1 - zj) * cand + zj * hj;
          }
          if (a.return_sequences) std::copy(h.begin(), h.end(), y + t * H);
          continue;
        }
        for (int64_t j = 0; j < H; ++j) {
          auto pre = [&](int64_t gi) { return ax[static_cast<size_t>(gi * H + j)] + ah[static_cast<size_t>(gi * H + j)]; };
          double& hj = h[static_cast<size_t>(j)];
          switch (a.cell) {
            case ir::CellKind::LSTM: {
              double& cj = cs[static_cast<size_t>(j)];
              cj = gate->f(pre(1)) * cj + gate->f(pre(0)) * act.f(pre(2));
              hj = gate->f(pre(3)) * act.f(cj);
              break;
            }
            case ir::CellKind::GRU: {
              const double z = gate->f(pre(0)), r = gate->f(pre(1));
              const double cand = act.f(ax[static_cast<size_t>(2 * H + j)] + r * ah[static_cast<size_t>(2 * H + j)]);
              hj = (1 - z) * cand + z * hj;
              break;
            }
            case ir::CellKind::RNN: hj = act.f(pre(0)); break;
          }
        }
        if (a.return_sequences) std::copy(h.begin(), h.end(), y + t * H);
      }
      if (!a.return_sequences) std::copy(h.begin(), h.end(), y);
      return;
    }
    case ir::OpKind::Upsample: {
      const std::vector<int64_t> src = ir::upsample_sources(in_tensor(0).shape, n.attr_ints("scales"));
      for (size_t k = 0; k < ny; ++k) y[k] = in[0][src[k]];
      return;
    }
    case ir::OpKind::Slice: {
      const std::vector<int64_t> src = ir::slice_sources(in_tensor(0).shape, n.attr_ints("starts"), out.shape);
      for (size_t k = 0; k < ny; ++k) y[k] = in[0][src[k]];
      return;
    }
    case ir::OpKind::Transpose: {  // the input seen through a layout (ir::ModelLayout)
      const ir::ModelLayout l{in_tensor(0).shape, n.attr_ints("perm"), out.shape};
      const std::vector<int64_t> idx = l.model_index();
      for (size_t k = 0; k < ny; ++k) y[idx[k]] = in[0][k];
      return;
    }
    case ir::OpKind::BatchNorm: {
      const auto& s = c.values("scale");
      const auto& b = c.values("bias");
      for (size_t e = 0; e < ny; ++e) y[e] = in[0][e] * c.at(s, e, last_axis(0)) + c.at(b, e, last_axis(0));
      return;
    }
    case ir::OpKind::Activation: {
      const ir::ActivationFn f = ir::activation_fn(n);
      const auto table = ir::table_function(n);
      for (size_t e = 0; e < ny; ++e) y[e] = activation(f, table ? &*table : nullptr, in[0][e], c);
      return;
    }
    case ir::OpKind::Softmax: {
      const size_t len = static_cast<size_t>(last_axis(0));
      for (size_t r = 0; r < ny; r += len) {
        const double m = *std::max_element(in[0] + r, in[0] + r + len);
        double sum = 0;
        for (size_t k = 0; k < len; ++k) sum += (y[r + k] = std::exp(in[0][r + k] - m));
        for (size_t k = 0; k < len; ++k) y[r + k] /= sum;
      }
      return;
    }
    case ir::OpKind::Elementwise: {
      const std::string& op = n.attr_str("op");
      const std::vector<double>* k = n.inputs.size() >= 2 ? nullptr : &c.values("constant");
      for (size_t e = 0; e < ny; ++e) {
        const double a = in[0][e], b = k ? c.at(*k, e, last_axis(0)) : in[1][e];
        if (op == "add") y[e] = a + b;
        else if (op == "sub") y[e] = a - b;
        else if (op == "mul") y[e] = a * b;
        else throw Error(c.where(), "unknown op '" + op + "'");
      }
      return;
    }
    case ir::OpKind::Concat: {
      int64_t axis = n.has_attr("axis") ? n.attr_int("axis") : 0;
      if (axis < 0) axis += static_cast<int64_t>(out.shape.size());
      int64_t outer = 1;
      for (int64_t d = 0; d < axis && d < static_cast<int64_t>(out.shape.size()); ++d) outer *= out.shape[static_cast<size_t>(d)];
      double* o = y;
      for (int64_t r = 0; r < outer; ++r)
        for (size_t k = 0; k < n.inputs.size(); ++k) {
          const int64_t inner = in_tensor(k).size() / outer;
          o = std::copy_n(in[k] + r * inner, inner, o);
        }
      return;
    }
    case ir::OpKind::MultiThreshold: {
      const ir::Tensor& th = g.tensor(n.param("thresholds"));
      const auto& t = c.values("thresholds");
      const int64_t rows = th.shape.at(0), n_thr = th.shape.at(1);
      const bool nchw = n.has_attr("data_layout") && n.attr_str("data_layout") == "NCHW";
      const ir::Shape& xs = in_tensor(0).shape;
      const int64_t channels = xs.empty() ? 1 : (nchw ? xs.front() : xs.back());
      const std::vector<double> levels = ir::threshold_levels(g, n);
      for (size_t e = 0; e < ny; ++e) {
        const int64_t ch = rows == 1 ? 0 : (nchw ? static_cast<int64_t>(e) / (static_cast<int64_t>(ny) / channels)
                                                 : static_cast<int64_t>(e) % channels);
        int64_t count = 0;
        for (int64_t k = 0; k < n_thr; ++k) count += in[0][e] >= t[static_cast<size_t>(ch * n_thr + k)];
        y[e] = levels[static_cast<size_t>(count)];
      }
      return;
    }
    case ir::OpKind::Rescale: {
      const auto& s = c.values("scale");
      const std::vector<double>* p = n.has_param("pre_add") ? &c.values("pre_add") : nullptr;
      for (size_t e = 0; e < ny; ++e)
        y[e] = (in[0][e] + (p ? c.at(*p, e, last_axis(0)) : 0.0)) * c.at(s, e, last_axis(0));
      return;
    }
    case ir::OpKind::Quantize: {  // the model's quantizer on the float value (exact for a power-of-two scale)
      const int k = static_cast<int>(n.attr_int("log2_scale"));
      const int64_t z = n.attr_int("zero_point"), qmin = n.attr_int("qmin"), qmax = n.attr_int("qmax");
      const auto mode = numeric::parse_quant_mode(n.attr_str("rounding_mode"));
      if (!mode) throw Error(c.where(), "unknown rounding mode '" + n.attr_str("rounding_mode") + "'");
      for (size_t e = 0; e < ny; ++e)
        y[e] = std::ldexp(static_cast<double>(firmnet_qonnx::level_po2(in[0][e], k, z, qmin, qmax, static_cast<int>(*mode)) - z), k);
      return;
    }
    case ir::OpKind::ArgMax: {
      const size_t len = static_cast<size_t>(last_axis(0));
      for (size_t r = 0; r < ny; ++r)
        y[r] = static_cast<double>(std::max_element(in[0] + r * len, in[0] + (r + 1) * len) - (in[0] + r * len));
      return;
    }
  }
}

}  // namespace

std::vector<std::vector<double>> run_float(const ir::Graph& g, const std::vector<std::vector<double>>& inputs,
                                           size_t batch, std::map<std::string, std::vector<double>>* trace) {
  if (inputs.size() != g.inputs.size())
    throw Error("run_float", "got " + std::to_string(inputs.size()) + " input arrays, the graph has " +
                                 std::to_string(g.inputs.size()));
  // Whole-batch buffers per activation tensor: the reference favours clarity over speed.
  std::vector<std::vector<double>> buf(g.tensors.size());
  std::vector<bool> have(g.tensors.size(), false);
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    const ir::Tensor& t = g.tensor(g.inputs[k]);
    if (inputs[k].size() != batch * static_cast<size_t>(t.size()))
      throw Error("input '" + t.name + "'", "has " + std::to_string(inputs[k].size()) + " values, expected " +
                                                std::to_string(batch * static_cast<size_t>(t.size())));
    buf[static_cast<size_t>(g.inputs[k])] = inputs[k];
    have[static_cast<size_t>(g.inputs[k])] = true;
    if (t.quantizer)  // the model's input quantizer, which the graph no longer holds as a node
      for (size_t e = 0; e < inputs[k].size(); ++e)
        buf[static_cast<size_t>(g.inputs[k])][e] =
            t.quantizer->value(inputs[k][e], static_cast<int64_t>(e % static_cast<size_t>(t.size())));
  }
  for (const ir::Node& n : g.nodes) {
    const FloatNode c{g, n};
    if (n.outputs.size() != 1) throw Error(c.where(), "has " + std::to_string(n.outputs.size()) + " outputs, expected 1");
    const size_t out_id = static_cast<size_t>(n.outputs[0]);
    const size_t ny = static_cast<size_t>(g.tensor(n.outputs[0]).size());
    if (n.kind == ir::OpKind::Input && n.inputs.empty()) {
      if (!have[out_id]) throw Error(c.where(), "its output is not a graph input");
    } else {
      std::vector<double> y(batch * ny);
      std::vector<const double*> in(n.inputs.size());
      for (size_t s = 0; s < batch; ++s) {
        for (size_t k = 0; k < n.inputs.size(); ++k) {
          const ir::Tensor& t = g.tensor(n.inputs[k]);
          if (t.is_const()) {  // a constant read as an input: the same values for every sample
            if (static_cast<int64_t>(t.values.size()) != t.size())
              throw Error(c.where(), "constant input '" + t.name + "' has no float values");
            in[k] = t.values.data();
          } else {
            in[k] = buf[static_cast<size_t>(n.inputs[k])].data() + s * static_cast<size_t>(t.size());
          }
        }
        eval(c, in, y.data() + s * ny);
      }
      buf[out_id] = std::move(y);
      have[out_id] = true;
    }
    if (trace) (*trace)[n.name] = buf[out_id];
  }
  std::vector<std::vector<double>> result;
  for (ir::TensorId id : g.outputs) result.push_back(buf[static_cast<size_t>(id)]);
  return result;
}

}  // namespace firmnet::emulator
