#include "ir/recurrent.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::ir {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 20;

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw Error("node '" + n.name + "' (" + name(n.kind) + ")", what, "docs/IR.md \"Recurrent\" lists what the op reads and holds");
}

const std::string& str_attr(const Node& n, const char* key) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) fail(n, std::string("has no attribute '") + key + "'");
  const auto* s = std::get_if<std::string>(&it->second);
  if (!s) fail(n, std::string("attribute '") + key + "' is not a string");
  return *s;
}

int64_t flag_attr(const Node& n, const char* key, int64_t def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  const auto* v = std::get_if<int64_t>(&it->second);
  if (!v || (*v != 0 && *v != 1)) fail(n, std::string("attribute '") + key + "' is not 0 or 1");
  return *v;
}

ActivationFn table_fn(const Node& n, const char* key) {
  const std::string& s = str_attr(n, key);
  const auto f = activation_from_name(s);
  // hard_sigmoid (gates) and hard_tanh (the candidate) are exact as standalone activations; in a cell they are
  // sampled into the cell's tables (cell_function).
  const bool gate = std::string(key) == "recurrent_activation";
  const bool sampled = (f == ActivationFn::HardSigmoid && gate) || (f == ActivationFn::HardTanh && !gate);
  if (!f || (table_form(*f) != TableForm::Table && !sampled))
    fail(n, fmt::format("attribute {} '{}' is not a table function of the plain form (sigmoid, tanh, softsign, or {})", key,
                        s, gate ? "hard_sigmoid" : "hard_tanh"));
  return *f;
}

int64_t flag_or_int(const Node& n, const char* key, int64_t def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  const auto* v = std::get_if<int64_t>(&it->second);
  if (!v) fail(n, std::string("attribute '") + key + "' is not an integer");
  return *v;
}

double float_attr(const Node& n, const char* key, double def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return def;
  const auto* v = std::get_if<double>(&it->second);
  if (!v || !std::isfinite(*v)) fail(n, std::string("attribute '") + key + "' is not a finite float");
  return *v;
}

}  // namespace

const char* name(CellKind c) {
  switch (c) {
    case CellKind::LSTM: return "lstm";
    case CellKind::GRU: return "gru";
    case CellKind::RNN: return "rnn";
  }
  return "";
}

RecurrentAttrs RecurrentAttrs::of(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1 || n.outputs.size() != 1)
    fail(n, fmt::format("has {} inputs and {} outputs, 1 and 1 expected", n.inputs.size(), n.outputs.size()));
  RecurrentAttrs a;
  const std::string& cell = str_attr(n, "cell");
  if (cell == "lstm") a.cell = CellKind::LSTM;
  else if (cell == "gru") a.cell = CellKind::GRU;
  else if (cell == "rnn") a.cell = CellKind::RNN;
  else fail(n, "attribute cell '" + cell + "' is not one of lstm, gru, rnn");
  const std::string& dir = str_attr(n, "direction");
  if (dir != "forward" && dir != "reverse") fail(n, "attribute direction '" + dir + "' is not one of forward, reverse");
  a.reverse = dir == "reverse";
  a.return_sequences = flag_attr(n, "return_sequences", 0) == 1;
  a.linear_before_reset = flag_attr(n, "linear_before_reset", 1) == 1;
  if (a.cell != CellKind::GRU && n.attrs.count("linear_before_reset")) fail(n, "only a GRU has linear_before_reset");
  a.is_static = flag_attr(n, "static", 1) == 1;
  a.activation = table_fn(n, "activation");
  if (a.has_recurrent_activation()) a.recurrent_activation = table_fn(n, "recurrent_activation");
  else if (n.attrs.count("recurrent_activation")) fail(n, "a SimpleRNN cell has no recurrent_activation");
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (x.size() != 2) fail(n, fmt::format("input {} is not a sequence [T, F]", to_string(x)));
  a.steps = x[0], a.features = x[1];
  if (!n.has_param("recurrent_weight")) fail(n, "has no parameter 'recurrent_weight'");
  const Shape& r = g.tensor(n.param("recurrent_weight")).shape;
  if (r.size() != 2) fail(n, fmt::format("recurrent_weight has shape {}; [H, G*H] expected", to_string(r)));
  a.units = r[0];
  if (a.steps < 1 || a.features < 1 || a.units < 1 || a.steps > kMaxDim || a.features > kMaxDim || a.units > kMaxDim)
    fail(n, fmt::format("steps {}, features {} and units {} must be in [1, 2^20]", a.steps, a.features, a.units));
  const Shape want_y = a.return_sequences ? Shape{a.steps, a.units} : Shape{a.units};
  if (num_elements(y) != num_elements(want_y))
    fail(n, fmt::format("output {} does not hold {} values", to_string(y), to_string(want_y)));
  return a;
}

void verify_recurrent(const Graph& g, const Node& n) {
  const RecurrentAttrs a = RecurrentAttrs::of(g, n);
  const int64_t gw = a.gate_width();
  auto check = [&](const char* role, const Shape& want) {
    if (!n.has_param(role)) fail(n, std::string("has no parameter '") + role + "'");
    const Shape& s = g.tensor(n.param(role)).shape;
    if (s != want) fail(n, fmt::format("{} has shape {}; {} expected", role, to_string(s), to_string(want)));
  };
  check("weight", {a.features, gw});
  check("recurrent_weight", {a.units, gw});
  check("bias", {gw});
  check("recurrent_bias", {gw});
  for (const auto& [role, id] : n.params)
    if (role != "weight" && role != "recurrent_weight" && role != "bias" && role != "recurrent_bias")
      fail(n, "has an unknown parameter '" + role + "'");
}

numeric::FixedType default_cell_state_type(int64_t steps) {
  int i = 1;  // signed integer bits: 2^(i-1) > steps, so that c in [-steps, steps] and its roundings fit
  while ((int64_t{1} << (i - 1)) <= steps) ++i;
  return numeric::make_type(16 + i, i, true, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
}

numeric::FixedType default_state_type() {
  return numeric::make_type(18, 2, true, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
}

TableFunction cell_function(const Node& n, ActivationFn fn, bool gate) {
  const std::string role = gate ? "recurrent_activation" : "activation";
  // QKeras quantized_tanh / quantized_sigmoid (their hard forms): the function's value on a grid of 2^-k, rounded half
  // to even (tf.round) and clipped to [lo, hi] levels.
  const int64_t bits = flag_or_int(n, (role + "_bits").c_str(), 0);
  const bool symmetric = flag_or_int(n, (role + "_symmetric").c_str(), 0) != 0;
  if (bits != 0 && (bits < 2 || bits > 16 || (fn != ActivationFn::HardSigmoid && fn != ActivationFn::HardTanh)))
    fail(n, fmt::format("{}_bits {} applies to hard_sigmoid and hard_tanh with 2 to 16 bits", role, bits));
  auto levels = [bits, symmetric](double y, bool is_signed) {
    const double m = std::ldexp(1.0, static_cast<int>(is_signed ? bits - 1 : bits));
    const double lo = is_signed ? -m + (symmetric ? 1 : 0) : (symmetric ? 1 : 0);
    return std::clamp(std::nearbyint(y * m), lo, m - 1) / m;
  };
  if (fn == ActivationFn::HardTanh) {
    if (gate) fail(n, "hard_tanh is not a gate function (recurrent_activation)");
    TableFunction t = *table_function(ActivationFn::Tanh, n);  // its domain [-4, 4) and entry type fixed<18,2>
    if (bits) {
      t.f = [levels](double x) { return levels(std::clamp(x, -1.0, 1.0), true); };
      t.describe = fmt::format("quantized_tanh({}{}) on [-4, 4)", bits, symmetric ? ", symmetric" : "");
    } else {
      t.f = [](double x) { return std::clamp(x, -1.0, 1.0); };
      t.describe = "hard_tanh on [-4, 4)";
    }
    return t;
  }
  if (fn != ActivationFn::HardSigmoid) return *table_function(fn, n);
  // clamp(slope * x + offset, 0, 1): Keras 2 and ONNX 0.2, 0.5; Keras 3 1/6, 0.5; QKeras 0.5, 0.5. The sigmoid's
  // domain and entry type (ufixed<16,0>: 1.0 is held as 1 - 2^-16, the saturated entry).
  if (!gate) fail(n, "hard_sigmoid is a gate function (recurrent_activation) only");
  const double slope = float_attr(n, "hard_sigmoid_slope", 0.2), offset = float_attr(n, "hard_sigmoid_offset", 0.5);
  if (!(slope > 0) || slope > 64 || offset < -64 || offset > 64)
    fail(n, fmt::format("hard_sigmoid slope {} and offset {} are out of range (slope in (0, 64], |offset| <= 64)", slope, offset));
  TableFunction t = *table_function(ActivationFn::Sigmoid, n);
  if (bits) {
    t.f = [slope, offset, levels](double x) { return levels(std::clamp(slope * x + offset, 0.0, 1.0), false); };
    t.describe = fmt::format("quantized_sigmoid({}{}) on [-8, 8)", bits, symmetric ? ", symmetric" : "");
  } else {
    t.f = [slope, offset](double x) { return std::clamp(slope * x + offset, 0.0, 1.0); };
    t.describe = fmt::format("hard_sigmoid clamp({} x + {}, 0, 1) on [-8, 8)", slope, offset);
  }
  return t;
}

numeric::FixedType reset_state_type(const Node& n, const numeric::FixedType& gate_entry, const numeric::FixedType& state) {
  const numeric::ExactType e = numeric::product_type(gate_entry, state);
  if (e.width > 62)
    throw Error("node '" + n.name + "' (" + name(n.kind) + ")",
                fmt::format("r * h ({} times {}) needs {} bits (over 62)", gate_entry.str(), state.str(), e.width),
                "give the recurrent_table or the state a narrower precision");
  return numeric::make_type(e.width, e.int_bits, e.is_signed);
}

}  // namespace firmnet::ir
