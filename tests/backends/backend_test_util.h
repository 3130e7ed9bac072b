#pragma once
// Hand-built typed graphs for the backend tests, and an independent reference of docs/NUMERICS.md
// written with numeric::quantize (the emulator is compared separately where it is available).
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "ir/graph.h"
#include "ir/spatial.h"
#include "numeric/fixed.h"
#include "numeric/tables.h"

namespace firmnet::testing {

using numeric::FixedType;

inline FixedType fx(const std::string& s) { return FixedType::parse(s); }

struct GraphBuilder {
  ir::Graph g;
  std::mt19937_64 rng{1234};

  ir::TensorId act(const std::string& name, ir::Shape shape, const std::string& type) {
    ir::Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.type = fx(type);
    return g.add_tensor(t);
  }
  // A constant from values, quantized with saturation (NUMERICS.md: constants never wrap).
  ir::TensorId constant(const std::string& name, ir::Shape shape, const std::vector<double>& values,
                        const std::string& type) {
    ir::Tensor t;
    t.name = name;
    t.shape = std::move(shape);
    t.kind = ir::TensorKind::Constant;
    t.type = fx(type);
    t.values = values;
    FixedType sat = *t.type;
    sat.overflow = numeric::Overflow::SAT;
    for (double v : values) t.raw.push_back(numeric::quantize_double(v, sat).raw);
    return g.add_tensor(t);
  }
  ir::TensorId random_constant(const std::string& name, ir::Shape shape, double lo, double hi,
                               const std::string& type) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<double> v(static_cast<size_t>(ir::num_elements(shape)));
    for (double& x : v) x = d(rng);
    return constant(name, std::move(shape), v, type);
  }
  ir::TensorId input(const std::string& name, ir::Shape shape, const std::string& type) {
    ir::TensorId id = act(name, std::move(shape), type);
    g.inputs.push_back(id);
    ir::Node n;
    n.name = name + "_input";
    n.kind = ir::OpKind::Input;
    n.outputs = {id};
    g.add_node(n);
    return id;
  }
  ir::Node& node(const std::string& name, ir::OpKind kind, std::vector<ir::TensorId> inputs, ir::TensorId out) {
    ir::Node n;
    n.name = name;
    n.source = "test node '" + name + "'";
    n.kind = kind;
    n.inputs = std::move(inputs);
    n.outputs = {out};
    return g.add_node(n);
  }
  ir::TensorId dense(const std::string& name, ir::TensorId x, int64_t n_out, const std::string& res,
                     const std::string& accum, const std::string& wtype = "fixed<8,2>") {
    const int64_t n_in = g.tensor(x).size();
    ir::TensorId y = act(name + "_y", {n_out}, res);
    ir::TensorId w = random_constant(name + "_w", {n_in, n_out}, -1.5, 1.5, wtype);
    ir::TensorId b = random_constant(name + "_b", {n_out}, -1, 1, wtype);
    ir::Node& n = node(name, ir::OpKind::Dense, {x}, y);
    n.params = {{"weight", w}, {"bias", b}};
    n.types["accum"] = fx(accum);
    return y;
  }
  // Conv over a channels-last map x ([W, C] or [H, W, C]); geometry per axis; pads = begin..., end....
  // in_dilations (a transposed convolution's input dilation): the map seen with d - 1 zeros between pixels.
  ir::TensorId conv(const std::string& name, ir::TensorId x, int64_t out_channels, std::vector<int64_t> kernel,
                    std::vector<int64_t> strides, std::vector<int64_t> dilations, std::vector<int64_t> pads,
                    int64_t group, const std::string& res, const std::string& accum,
                    const std::string& wtype = "fixed<8,2>", std::vector<int64_t> in_dilations = {}) {
    const ir::Shape xs = g.tensor(x).shape;
    const size_t r = kernel.size();
    ir::Shape ys;
    for (size_t a = 0; a < r; ++a) {
      const int64_t stretched = in_dilations.empty() ? xs[a] : (xs[a] - 1) * in_dilations[a] + 1;
      ys.push_back(ir::Window::out_size(stretched, kernel[a], strides[a], dilations[a], pads[a] + pads[a + r], false));
    }
    ys.push_back(out_channels);
    ir::TensorId y = act(name + "_y", ys, res);
    ir::Shape ws = kernel;
    ws.push_back(xs.back() / group);
    ws.push_back(out_channels);
    ir::TensorId w = random_constant(name + "_w", ws, -1.5, 1.5, wtype);
    ir::TensorId b = random_constant(name + "_b", {out_channels}, -1, 1, wtype);
    ir::Node& n = node(name, ir::OpKind::Conv, {x}, y);
    n.params = {{"weight", w}, {"bias", b}};
    n.types["accum"] = fx(accum);
    ir::set_window_attrs(n, kernel, strides, dilations, pads, in_dilations);
    n.attrs["group"] = group;
    return y;
  }
  // Max or average pool; an average gets reciprocal[c] = 1/c in `rtype` and the accum type.
  ir::TensorId pool(const std::string& name, ir::TensorId x, bool avg, std::vector<int64_t> kernel,
                    std::vector<int64_t> strides, std::vector<int64_t> pads, bool count_include_pad,
                    const std::string& res, const std::string& accum = "fixed<24,12>",
                    const std::string& rtype = "ufixed<18,1,RND>") {
    const ir::Shape xs = g.tensor(x).shape;
    const size_t r = kernel.size();
    ir::Shape ys;
    for (size_t a = 0; a < r; ++a)
      ys.push_back(ir::Window::out_size(xs[a], kernel[a], strides[a], 1, pads[a] + pads[a + r], false));
    ys.push_back(xs.back());
    ir::TensorId y = act(name + "_y", ys, res);
    ir::TensorId rec = -1;
    if (avg) {
      std::vector<double> inv{0};
      int64_t taps = 1;
      for (int64_t k : kernel) taps *= k;
      for (int64_t c = 1; c <= taps; ++c) inv.push_back(1.0 / static_cast<double>(c));
      rec = constant(name + "_r", {taps + 1}, inv, rtype);
    }
    ir::Node& n = node(name, ir::OpKind::Pool, {x}, y);
    ir::set_window_attrs(n, kernel, strides, std::vector<int64_t>(r, 1), pads);
    n.attrs["mode"] = std::string(avg ? "avg" : "max");
    n.attrs["count_include_pad"] = int64_t{count_include_pad ? 1 : 0};
    if (avg) {
      n.params["reciprocal"] = rec;
      n.types["accum"] = fx(accum);
    }
    return y;
  }
  ir::TensorId transpose(const std::string& name, ir::TensorId x, const std::vector<int64_t>& perm, const std::string& res) {
    ir::Shape ys;
    for (int64_t a : perm) ys.push_back(g.tensor(x).shape[static_cast<size_t>(a)]);
    ir::TensorId y = act(name + "_y", ys, res);
    node(name, ir::OpKind::Transpose, {x}, y).attrs["perm"] = perm;
    return y;
  }
  // Table activation over [lo, lo + 2^log2_size * 2^log2_step).
  ir::TensorId table_activation(const std::string& name, const std::string& fn, ir::TensorId x,
                                const std::function<double(double)>& f, double lo, int log2_size, int log2_step,
                                const std::string& entry, const std::string& res) {
    ir::TensorId y = act(name + "_y", g.tensor(x).shape, res);
    ir::Node& n = node(name, ir::OpKind::Activation, {x}, y);
    n.attrs["function"] = fn;
    n.tables["table"] = numeric::make_table_spec(lo, log2_size, log2_step, fx(entry));
    n.types["table"] = fx(entry);
    n.table_data["table"] = numeric::build_table(f, n.tables["table"]);
    return y;
  }
  ir::TensorId activation(const std::string& name, const std::string& fn, ir::TensorId x, const std::string& res) {
    ir::TensorId y = act(name + "_y", g.tensor(x).shape, res);
    node(name, ir::OpKind::Activation, {x}, y).attrs["function"] = fn;
    return y;
  }
  // Softmax tables as passes/build_tables makes them (docs/NUMERICS.md "Softmax"), 2^log2_n entries each: exp in
  // `exp`, the inverse of the sum's mantissa in `inv` (N + 1 entries, 1/m at m = 1 + j/N); accum lossless
  // unless given.
  ir::TensorId softmax(const std::string& name, ir::TensorId x, const std::string& res, const std::string& accum = "",
                       const std::string& inv = "ufixed<24,1,RND_CONV,SAT>", int log2_n = 10,
                       const std::string& exp = "ufixed<20,1,RND_CONV,SAT>") {
    ir::TensorId y = act(name + "_y", g.tensor(x).shape, res);
    ir::Node& n = node(name, ir::OpKind::Softmax, {x}, y);
    const int64_t len = g.tensor(x).shape.back();
    const int range_bits = static_cast<int>(std::ceil(std::log2(static_cast<double>(len))));
    const int s_hi = 3 - log2_n;  // exp on [-8 + 2^s_hi, 2^s_hi), coarse buckets of 2^s_hi, fine of 2^(s_hi - log2_n)
    n.tables["exp_hi"] = numeric::make_table_spec(-8 + std::ldexp(1.0, s_hi), log2_n, s_hi, fx(exp));
    n.tables["exp_lo"] = numeric::make_table_spec(0, log2_n, s_hi - log2_n, fx(exp));
    n.tables["inv"] = numeric::make_table_spec(1, log2_n, -log2_n, fx(inv));
    n.types["exp_table"] = fx(exp);
    n.types["inv_table"] = n.tables["inv"].entry;
    const FixedType et = fx(exp);
    n.types["accum"] = accum.empty() ? fx("ufixed<" + std::to_string(et.width + range_bits) + "," +
                                          std::to_string(et.int_bits + range_bits) + ">")
                                     : fx(accum);
    const double half = std::ldexp(1.0, s_hi - 1);
    n.table_data["exp_hi"] = numeric::build_table([=](double d) { return std::exp(d - half); }, n.tables["exp_hi"]);  // left edges
    n.table_data["exp_lo"] = numeric::build_table([](double d) { return std::exp(d); }, n.tables["exp_lo"]);
    for (int j = 0; j <= (1 << log2_n); ++j)
      n.table_data["inv"].push_back(numeric::quantize_double(1 / (1 + std::ldexp(j, -log2_n)), fx(inv)).raw);
    n.attrs["implementation"] = std::string("stable");
    return y;
  }
};

// The reference: raw outputs per graph output, [batch * numel], computed node by node on raw integers.
std::vector<std::vector<int64_t>> reference_run(const ir::Graph& g, const std::vector<std::vector<double>>& inputs,
                                                size_t batch);

// Raw outputs as exact doubles.
std::vector<std::vector<double>> to_doubles(const ir::Graph& g, const std::vector<std::vector<int64_t>>& raw);

// Uniform random inputs slightly beyond each input type's range (exercising the input cast).
std::vector<std::vector<double>> random_inputs(const ir::Graph& g, size_t batch, uint64_t seed);

// One graph that uses every kernel of the library and constants of every raw integer width: a dense with
// each strategy (Resource with output blocks), every activation, softmax, batchnorm, elementwise,
// rescale, multithreshold, argmax, reshape, concat.
ir::Graph every_kernel();

// A fresh, empty scratch directory for one test.
std::filesystem::path scratch_dir(const std::string& test);

}  // namespace firmnet::testing

namespace firmnet::testing {
// A chain of the three recurrent cells, compiled with the default types: x [5, 3] -> LSTM(4, the sequence, forward)
// -> GRU(3, the sequence, reverse) -> GRU(3, the sequence, linear_before_reset 0, hard_sigmoid gates) -> SimpleRNN(2, the last state); random weights in [-1, 1]. `is_static` configures
// every layer; `resource_reuse` > 1: Strategy Resource, the LSTM at ReuseFactor 2*resource_reuse and
// recurrent_reuse_factor 2, the GRU at ReuseFactor 3.
ir::Graph recurrent_chain(bool is_static, int resource_reuse, config::Config* cfg_out = nullptr, bool io_stream = false);

// One GarNet layer with narrow types (rounding, saturating and wrapping casts inside it): x [V, F] fixed<10,3,RND,SAT>
// and n_vertices of type `n_type`, random weights, 1/V in ufixed<12,-2>, the exp(-d^2) table of 512 entries.
struct GarNetLayer {
  const char* collapse;
  int64_t V, F, A, P, O;
  int rf;
};
ir::Graph garnet_layer(const GarNetLayer& l, const std::string& n_type);
}  // namespace firmnet::testing
