// The activation catalogue (activations.def) and the float definitions of the looked-up functions: the one
// place of their math, used by the float reference and by passes/build_tables (docs/NUMERICS.md "Tables").
#include "ir/activations.h"

#include <algorithm>
#include <cmath>

#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::ir {

namespace {

struct Info {
  ActivationFn fn;
  const char* name;
  const char* layer_type;
  const char* description;
  std::optional<ExactFn> exact;
  std::optional<TableForm> form;
};

constexpr Info kFunctions[] = {
#define FIRMNET_EXACT_ACTIVATION(e, n, lt, d) {ActivationFn::e, n, lt, d, ExactFn::e, std::nullopt},
#define FIRMNET_TABLE_ACTIVATION(e, n, lt, form, d) {ActivationFn::e, n, lt, d, std::nullopt, TableForm::form},
#include "ir/activations.def"
#undef FIRMNET_EXACT_ACTIVATION
#undef FIRMNET_TABLE_ACTIVATION
};

const Info& info(ActivationFn f) { return kFunctions[static_cast<int>(f)]; }

numeric::FixedType entry_type(int width, int int_bits, bool is_signed) {
  return numeric::make_type(width, int_bits, is_signed, numeric::Rounding::RND_CONV, numeric::Overflow::SAT);
}

double float_attr_or(const Node& n, const std::string& key, double fallback) {
  return n.has_attr(key) ? n.attr_float(key) : fallback;
}

}  // namespace

const char* name(ActivationFn f) { return info(f).name; }
const char* layer_type(ActivationFn f) { return info(f).layer_type; }
const char* description(ActivationFn f) { return info(f).description; }
std::optional<ExactFn> exact_fn(ActivationFn f) { return info(f).exact; }
std::optional<TableForm> table_form(ActivationFn f) { return info(f).form; }

std::optional<ActivationFn> activation_from_name(const std::string& n) {
  for (const Info& i : kFunctions)
    if (n == i.name) return i.fn;
  return std::nullopt;
}

std::vector<ActivationFn> all_activations() {
  std::vector<ActivationFn> v;
  for (const Info& i : kFunctions) v.push_back(i.fn);
  return v;
}

std::string activation_names() {
  std::string s;
  for (const Info& i : kFunctions) s += (s.empty() ? "" : ", ") + std::string(i.name);
  return s;
}

ActivationFn activation_fn(const Node& n) {
  const std::string& f = n.attr_str("function");
  if (const auto fn = activation_from_name(f)) return *fn;
  throw Error("node '" + n.name + "'", "unknown activation function '" + f + "'", "the functions are " + activation_names());
}

const char* product_param(const Node& n) {
  const ActivationFn fn = activation_fn(n);
  if (const auto e = exact_fn(fn)) {
    switch (*e) {
      case ExactFn::Linear:
      case ExactFn::Relu:
      case ExactFn::HardTanh:
      case ExactFn::Clip: return nullptr;
      case ExactFn::LeakyRelu: return "alpha";
      case ExactFn::HardSigmoid: return "slope";
    }
  }
  return table_form(fn) == TableForm::TableBelowZero && n.has_param("gamma") ? "gamma" : nullptr;
}

std::vector<const char*> required_params(ActivationFn f) {
  switch (f) {
    case ActivationFn::LeakyRelu: return {"alpha"};
    case ActivationFn::HardSigmoid: return {"slope", "offset"};
    case ActivationFn::Clip: return {"min", "max"};
    case ActivationFn::Selu: return {"gamma"};
    case ActivationFn::Linear:
    case ActivationFn::Relu:
    case ActivationFn::HardTanh:
    case ActivationFn::Elu:
    case ActivationFn::Sigmoid:
    case ActivationFn::Tanh:
    case ActivationFn::Softsign:
    case ActivationFn::Softplus: return {};
  }
  return {};
}

std::optional<TableFunction> table_function(const Node& n) {
  if (n.kind != OpKind::Activation) return std::nullopt;
  return table_function(activation_fn(n), n);
}

std::optional<TableFunction> table_function(ActivationFn fn, const Node& n) {
  if (exact_fn(fn)) return std::nullopt;
  TableFunction t;
  switch (fn) {
    case ActivationFn::Sigmoid:
      // ufixed<16,0>: sigmoid stays below 1 - 2^-17 on [-8, 8), so 1.0 is never needed.
      t = {[](double x) { return 1 / (1 + std::exp(-x)); }, -8, 4, entry_type(16, 0, false), "sigmoid on [-8, 8)"};
      break;
    case ActivationFn::Tanh:
      t = {[](double x) { return std::tanh(x); }, -4, 3, entry_type(18, 2, true), "tanh on [-4, 4)"};
      break;
    case ActivationFn::Softsign:
      t = {[](double x) { return x / (1 + std::fabs(x)); }, -8, 4, entry_type(18, 2, true), "softsign on [-8, 8)"};
      break;
    case ActivationFn::Elu: {
      const double alpha = float_attr_or(n, "alpha", 1.0);
      t = {[alpha](double x) { return alpha * std::expm1(x); }, -8, 3, {}, "alpha*(exp(x)-1) on [-8, 0)"};
      t.entry = numeric::fit_type(t.f(-8), 0, 18);
      break;
    }
    case ActivationFn::Selu: {
      const double gamma = float_attr_or(n, "gamma", 1.05070102214813232421875);  // ONNX's float32 defaults
      const double ga = float_attr_or(n, "alpha", 1.67326319217681884765625) * gamma;
      t = {[ga](double x) { return ga * std::expm1(x); }, -8, 3, {}, "gamma*alpha*(exp(x)-1) on [-8, 0)"};
      t.entry = numeric::fit_type(t.f(-8), 0, 18);
      t.gamma = gamma;
      break;
    }
    case ActivationFn::Softplus:
      // In the form that neither overflows nor loses precision far from 0 (the float reference evaluates it anywhere).
      t = {[](double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }, -8, 4, {},
           "log(1+exp(x)) on [-8, 8)"};
      t.entry = numeric::fit_type(0, t.f(8), 18);
      break;
    // Computed, not looked up (exact_fn above).
    case ActivationFn::Linear:
    case ActivationFn::Relu:
    case ActivationFn::LeakyRelu:
    case ActivationFn::HardTanh:
    case ActivationFn::Clip:
    case ActivationFn::HardSigmoid: return std::nullopt;
  }
  return t;
}

}  // namespace firmnet::ir
