#pragma once
// The activation functions of the Activation op (attr "function"), declared once in activations.def. Code that
// computes in fixed point switches over ExactFn (the functions with code of their own) and over TableForm (how a
// looked-up function uses its table), never over names: a new table function needs its line in activations.def
// and its float definition in activations.cpp, and the build (-Werror=switch) names any other place it misses.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "numeric/fixed.h"

namespace firmnet::ir {

struct Node;

enum class ActivationFn {
#define FIRMNET_EXACT_ACTIVATION(e, n, lt, d) e,
#define FIRMNET_TABLE_ACTIVATION(e, n, lt, form, d) e,
#include "ir/activations.def"
#undef FIRMNET_EXACT_ACTIVATION
#undef FIRMNET_TABLE_ACTIVATION
};

// The functions computed by code of their own.
enum class ExactFn {
#define FIRMNET_EXACT_ACTIVATION(e, n, lt, d) e,
#define FIRMNET_TABLE_ACTIVATION(e, n, lt, form, d)
#include "ir/activations.def"
#undef FIRMNET_EXACT_ACTIVATION
#undef FIRMNET_TABLE_ACTIVATION
};

// How a looked-up function uses its table (activations.def).
enum class TableForm { Table, TableBelowZero, TableOrPass };

const char* name(ActivationFn f);        // "leaky_relu"
const char* layer_type(ActivationFn f);  // hls4ml's LayerType: "LeakyReLU"
const char* description(ActivationFn f);
std::optional<ActivationFn> activation_from_name(const std::string& name);
std::vector<ActivationFn> all_activations();
// "linear, relu, ...", for messages.
std::string activation_names();

// Exactly one of these holds for every function.
std::optional<ExactFn> exact_fn(ActivationFn f);
std::optional<TableForm> table_form(ActivationFn f);

// The Activation node's function; firmnet::Error naming the node when it has none or an unknown one.
ActivationFn activation_fn(const Node& n);

// The constant parameter that multiplies x once per element (leaky_relu alpha, hard_sigmoid slope, a
// TableBelowZero function's gamma), or nullptr: the multiplier count, the DSP estimate and the cost model use it.
const char* product_param(const Node& n);
// The parameters the function reads (each one value); Graph::verify requires them.
std::vector<const char*> required_params(ActivationFn f);

// A looked-up function's float definition (the float reference computes it, the table samples it), the table
// domain [lo, lo + 2^log2_range) and the default entry type. Reads the node's float attributes (elu/selu alpha,
// gamma).
struct TableFunction {
  std::function<double(double)> f;
  double lo = 0;
  int log2_range = 4;
  numeric::FixedType entry;
  std::string describe;  // "sigmoid on [-8, 8)"
  double gamma = 1;      // TableBelowZero: y = gamma * x for x >= 0 (the firmware multiplies by the 'gamma' param)
};
std::optional<TableFunction> table_function(const Node& n);
// The same for function fn used inside another op (a recurrent cell's sigmoid/tanh); reads n's float attributes.
std::optional<TableFunction> table_function(ActivationFn fn, const Node& n);

}  // namespace firmnet::ir
