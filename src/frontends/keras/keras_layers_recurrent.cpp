// Keras recurrent layers: LSTM, GRU, SimpleRNN (and QKeras QLSTM, QGRU, QSimpleRNN with their kernel,
// recurrent and bias quantizers), Bidirectional around one of them, as IR Recurrent nodes (ir/recurrent.h;
// docs/IR.md "Recurrent"). Keras's kernel [F, G·H], recurrent_kernel [H, G·H] and biases are in the IR's
// layout and gate order (LSTM i, f, c, o; GRU z, r, h). A GRU with reset_after keeps two bias rows
// (input, recurrent) and is the IR's linear_before_reset 1; reset_after=False (Keras before TF2, and QKeras's
// top-tagging QGRU) is linear_before_reset 0. Keras 2 files list the cell's arrays under the layer (a
// Bidirectional's forward then backward arrays); Keras 3 files keep them in the sub-object "cell".
#include <fmt/format.h>

#include "frontends/keras/keras_context.h"
#include "ir/activations.h"

namespace firmnet::frontends::keras {

namespace {

struct Cell {
  std::string kind;  // lstm, gru, rnn
  int64_t gates = 1;
};

Cell cell_of(Context& ctx, const Layer& l, const std::string& cls) {
  const std::string c = !cls.empty() && cls[0] == 'Q' ? cls.substr(1) : cls;
  if (c == "LSTM") return {"lstm", 4};
  if (c == "GRU") return {"gru", 3};
  if (c == "SimpleRNN") return {"rnn", 1};
  ctx.fail(l, "recurrent layer class '" + cls + "' is not supported", "use LSTM, GRU or SimpleRNN (or their QKeras forms)");
}

// A cell function as the IR names it (ir::cell_function): tanh, sigmoid, softsign; hard_sigmoid for the gates with
// its slope (Keras 2: 0.2; Keras 3: relu6(x + 3) / 6; a QKeras layer's string names QKeras's own, 0.5: get_quantizer
// evaluates it among QKeras's functions); hard_tanh for the candidate; QKeras quantized_tanh / quantized_sigmoid as
// hard_tanh / hard_sigmoid (0.5) on their levels (bits, symmetric).
struct CellFn {
  std::string fn;
  double slope = 0;  // hard_sigmoid
  int bits = 0;      // quantized_*
  bool symmetric = false;
};

CellFn cell_function(Context& ctx, const Layer& owner, const Layer& l, const std::string& key, const std::string& def) {
  if (!ctx.has(l, key)) return {def};
  const bool gate = key == "recurrent_activation";
  const json& a = ctx.get(l, key);
  if (is_quantizer(a)) {
    const CellQuantizer q = cell_quantizer(ctx, owner, a, key);
    if (q.name == (gate ? "quantized_sigmoid" : "quantized_tanh"))
      return {gate ? "hard_sigmoid" : "hard_tanh", gate ? 0.5 : 0.0, q.bits, q.symmetric};
    ctx.fail(owner, fmt::format("{} {} is not supported in a recurrent cell", key, q.text),
             gate ? "use quantized_sigmoid (or sigmoid, hard_sigmoid)" : "use quantized_tanh (or tanh)");
  }
  std::string fn = ctx.activation_name(l, a);
  for (auto& ch : fn) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (fn == "tanh" || fn == "sigmoid" || fn == "softsign") return {fn};
  if (fn == "hard_sigmoid" && gate)
    return {fn, l.cls.rfind('Q', 0) == 0 ? 0.5 : ctx.major() >= 3 ? 1.0 / 6.0 : 0.2};
  if (fn == "hard_tanh" && !gate) return {fn};
  ctx.fail(owner, fmt::format("{} '{}' is not supported in a recurrent cell", key, fn),
           gate ? "use sigmoid, hard_sigmoid, tanh, softsign or quantized_sigmoid"
                : "use tanh, sigmoid, softsign, hard_tanh or quantized_tanh");
}

void set_cell_function(ir::Node& n, const std::string& key, const CellFn& f) {
  n.attrs[key] = f.fn;
  if (f.slope != 0 && f.slope != 0.2) n.attrs["hard_sigmoid_slope"] = f.slope;
  if (f.bits) {
    n.attrs[key + "_bits"] = static_cast<int64_t>(f.bits);
    if (f.symmetric) n.attrs[key + "_symmetric"] = int64_t{1};
  }
}

// The cell arrays of one direction, from index `first` of the returned vector: Keras 2 lists them under the layer
// (a Bidirectional's forward arrays, then the backward ones from index 3 or 2); Keras 3 keeps them in the sub-object
// "cell" (a Bidirectional's in "forward_layer/cell" and "backward_layer/cell", each from index 0).
const std::vector<Array>& cell_weights(Context& ctx, const Layer& owner, size_t& first, size_t per,
                                       const std::string& k3_direction) {
  const auto it = ctx.file.weights.find(owner.name);
  if (it != ctx.file.weights.end() && it->second.size() >= first + per) return it->second;
  const std::string sub = k3_direction.empty() ? "cell" : k3_direction + "/cell";
  if (ctx.file.weights.count(owner.name + "/" + sub)) {
    first = 0;
    return ctx.weights(owner, per, sub);
  }
  return ctx.weights(owner, first + per);  // fails naming the layer and the count
}

// One direction of a recurrent layer: `cfg` is the layer (or the Bidirectional's inner layer), its weights
// the arrays [first, first + 3) of `owner`'s.
Value emit_direction(Context& ctx, const Layer& owner, const Layer& l, const Value& x, bool reverse, size_t first,
                     const std::string& k3_direction, const std::string& suffix) {
  const Cell c = cell_of(ctx, owner, l.cls);
  if (x.shape.size() != 2)
    ctx.fail(owner, fmt::format("a recurrent layer needs an input of shape [time, features], got {}", ir::to_string(x.shape)));
  const int64_t T = x.shape[0], F = x.shape[1];
  const int64_t H = ctx.get_int(l, "units");
  if (H <= 0 || H > 4096) ctx.fail(owner, fmt::format("units = {} is out of range", H));
  for (const char* key : {"stateful", "return_state", "time_major"})
    if (ctx.get_bool(l, key, false)) ctx.fail(owner, std::string(key) + "=True is not supported", "set it to False");
  const bool sequences = ctx.get_bool(l, "return_sequences", false);
  const bool use_bias = ctx.get_bool(l, "use_bias", true);
  const int64_t GH = c.gates * H;
  // reset_after absent: Keras before 2.1, the reset gate applied to h before the recurrent product.
  const bool reset_after = c.kind == "gru" && ctx.get_bool(l, "reset_after", false);
  const auto& w = cell_weights(ctx, owner, first, use_bias ? 3 : 2, k3_direction);
  const auto check = [&](size_t i, const ir::Shape& shape, const char* role) -> const Array& {
    const Array& a = w.at(first + i);
    if (a.shape != shape)
      ctx.fail(owner, fmt::format("{} has shape {}, expected {}", role, ir::to_string(a.shape), ir::to_string(shape)),
               "check that the weights file belongs to this architecture");
    return a;
  };
  const Array& k = check(0, {F, GH}, "kernel");
  const Array& r = check(1, {H, GH}, "recurrent_kernel");
  std::vector<double> bias(static_cast<size_t>(GH), 0.0), rbias(static_cast<size_t>(GH), 0.0);
  if (use_bias) {
    const Array& b = check(2, reset_after ? ir::Shape{2, GH} : ir::Shape{GH}, "bias");
    std::copy(b.values.begin(), b.values.begin() + GH, bias.begin());
    if (reset_after) std::copy(b.values.begin() + GH, b.values.end(), rbias.begin());
  }
  QuantizedConst wk = layer_weight(ctx, l, "kernel_quantizer", "kernel", {F, GH}, k.values);
  QuantizedConst wr = layer_weight(ctx, l, "recurrent_quantizer", "recurrent_kernel", {H, GH}, r.values);
  QuantizedConst wb = use_bias ? layer_weight(ctx, l, "bias_quantizer", "bias", {GH}, bias) : QuantizedConst{bias, std::nullopt, {}};
  QuantizedConst wrb = use_bias && reset_after ? layer_weight(ctx, l, "bias_quantizer", "bias", {GH}, rbias)
                                               : QuantizedConst{rbias, std::nullopt, {}};
  std::optional<numeric::FixedType> state;
  if (ctx.has(l, "state_quantizer")) state = cell_quantizer(ctx, owner, ctx.get(l, "state_quantizer"), "state_quantizer").type;
  if (ctx.has(l, "state_quantizer") && !state)
    ctx.fail(owner, "state_quantizer must be quantized_bits(bits, integer, alpha=1)", "or remove it (the state type is configurable)");
  Value y = ctx.emit(owner, ir::OpKind::Recurrent, {x}, sequences ? ir::Shape{T, H} : ir::Shape{H}, suffix);
  ir::Node& n = ctx.graph.nodes.back();
  n.attrs["cell"] = c.kind;
  n.attrs["direction"] = std::string(reverse ? "reverse" : "forward");
  n.attrs["return_sequences"] = static_cast<int64_t>(sequences ? 1 : 0);
  if (c.kind == "gru") n.attrs["linear_before_reset"] = int64_t{reset_after ? 1 : 0};
  set_cell_function(n, "activation", cell_function(ctx, owner, l, "activation", "tanh"));
  if (c.kind != "rnn") set_cell_function(n, "recurrent_activation", cell_function(ctx, owner, l, "recurrent_activation", "sigmoid"));
  if (state) {  // QKeras quantizes h and c with it before each step uses them: the state types
    n.types["state"] = *state;
    if (c.kind == "lstm") n.types["cell_state"] = *state;
  }
  ctx.param("weight", {F, GH}, std::move(wk.values), wk.type, wk.origin);
  ctx.param("recurrent_weight", {H, GH}, std::move(wr.values), wr.type, wr.origin);
  ctx.param("bias", {GH}, std::move(wb.values), wb.type, wb.origin);
  ctx.param("recurrent_bias", {GH}, std::move(wrb.values), wrb.type, wrb.origin);
  return y;
}

}  // namespace

std::vector<Value> convert_recurrent(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one (initial states are not supported)", in.size()));
  const Value x = ctx.plain(l, in[0]);
  const bool backwards = ctx.get_bool(l, "go_backwards", false);
  // go_backwards with return_sequences gives the outputs in reversed time order, which no IR op produces.
  if (backwards && ctx.get_bool(l, "return_sequences", false))
    ctx.fail(l, "go_backwards=True with return_sequences=True is not supported",
             "use Bidirectional, or go_backwards with return_sequences=False");
  return {emit_direction(ctx, l, l, x, backwards, 0, "", "")};
}

std::vector<Value> convert_bidirectional(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 1) ctx.fail(l, fmt::format("has {} inputs, expected one", in.size()));
  const Value x = ctx.plain(l, in[0]);
  const json& inner = ctx.get(l, "layer");
  if (!inner.is_object() || !inner.contains("class_name") || !inner["class_name"].is_string() || !inner.contains("config") ||
      !inner["config"].is_object())
    ctx.fail(l, "has no inner layer configuration ('layer')");
  if (ctx.has(l, "backward_layer"))
    ctx.fail(l, "a Bidirectional with its own backward_layer is not supported yet", "let Keras derive the backward layer");
  Layer fwd{inner["class_name"].get<std::string>(), l.name, &inner["config"], l.where};
  if (ctx.get_bool(fwd, "go_backwards", false))
    ctx.fail(l, "a Bidirectional around a go_backwards layer is not supported");
  const size_t per = ctx.get_bool(fwd, "use_bias", true) ? 3 : 2;
  Value f = emit_direction(ctx, l, fwd, x, false, 0, "forward_layer", "forward");
  Value b = emit_direction(ctx, l, fwd, x, true, per, "backward_layer", "backward");
  if (!ctx.has(l, "merge_mode")) return {f, b};  // None: the two outputs
  const std::string mode = ctx.get_str(l, "merge_mode");
  if (mode == "concat") {
    Value y = ctx.emit(l, ir::OpKind::Concat, {f, b}, [&] {
      ir::Shape s = f.shape;
      s.back() *= 2;
      return s;
    }());
    ctx.graph.nodes.back().attrs["axis"] = static_cast<int64_t>(f.shape.size() - 1);
    return {y};
  }
  if (mode == "sum" || mode == "mul" || mode == "ave") {
    Value y = ctx.emit(l, ir::OpKind::Elementwise, {f, b}, f.shape, mode == "ave" ? "sum" : "");
    ctx.graph.nodes.back().attrs["op"] = std::string(mode == "mul" ? "mul" : "add");
    if (mode != "ave") return {y};
    Value h = ctx.emit(l, ir::OpKind::Elementwise, {y}, y.shape);
    ctx.graph.nodes.back().attrs["op"] = std::string("mul");
    ctx.param("constant", {1}, {0.5});
    return {h};
  }
  ctx.fail(l, "merge_mode '" + mode + "' is not supported", "use concat, sum, mul, ave or None");
}

}  // namespace firmnet::frontends::keras
