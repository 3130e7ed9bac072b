// Recurrent layers: ONNX LSTM, GRU and RNN as IR Recurrent nodes (ir/recurrent.h; docs/IR.md "Recurrent"), a
// bidirectional one as a forward and a reverse node and a Concat; ConstantOfShape (folded: PyTorch builds its zero
// initial states from the input's shape); and the Gather that takes a sequence's last step (PyTorch's
// out[:, -1]), which becomes the layer's final state.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "frontends/onnx/onnx_context.h"
#include "ir/recurrent.h"

namespace firmnet::frontends::onnx_detail {

namespace {

constexpr int64_t kMaxFolded = int64_t{1} << 24;

// ONNX's gate order (LSTM i, o, f, c; GRU z, r, h; RNN one) for each IR gate (LSTM i, f, c, o; GRU z, r, h).
std::vector<int64_t> onnx_gate_of(const std::string& op) {
  if (op == "LSTM") return {0, 2, 3, 1};
  if (op == "GRU") return {0, 1, 2};
  return {0};
}

ir::ActivationFn onnx_function(Context& ctx, const OnnxNode& n, const std::string& s) {
  if (s == "Sigmoid") return ir::ActivationFn::Sigmoid;
  if (s == "Tanh") return ir::ActivationFn::Tanh;
  if (s == "Softsign") return ir::ActivationFn::Softsign;
  if (s == "HardSigmoid") return ir::ActivationFn::HardSigmoid;  // the gates only (alpha 0.2, beta 0.5)
  ctx.fail(n, "attribute 'activations' names '" + s + "', which is not supported in a recurrent cell",
           "use Sigmoid, Tanh, Softsign or (for the gates) HardSigmoid, looked up in tables as the standalone activations");
}

bool all_zero(const Value& v) {
  return std::all_of(v.values.begin(), v.values.end(), [](double x) { return x == 0; });
}

bool used(const Context& ctx, const OnnxNode& n, int i) {
  if (n.proto.output_size() <= i || n.proto.output(i).empty()) return false;
  auto it = ctx.uses.find(n.proto.output(i));
  return it != ctx.uses.end() && it->second > 0;
}

}  // namespace

void convert_recurrent(Context& ctx, const OnnxNode& n) {
  const std::string& op = n.op();
  const int64_t G = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
  const ir::CellKind cell = op == "LSTM" ? ir::CellKind::LSTM : op == "GRU" ? ir::CellKind::GRU : ir::CellKind::RNN;
  const int64_t layout = ctx.attr_int(n, "layout", 0);
  if (layout != 0 && layout != 1) ctx.fail(n, fmt::format("attribute layout {} is not 0 or 1", layout));
  const Value& x = ctx.act_input(n, 0, "the sequence X");
  const int want_batch = layout == 0 ? 1 : 0;
  if (x.full_shape.size() != 3 || x.batch_axis != want_batch)
    ctx.fail(n, fmt::format("X has shape {} with the batch at axis {}; [T, batch, F] (layout 0) or [batch, T, F] "
                            "(layout 1) expected", shape_str(x.full_shape), x.batch_axis),
             "export the sequence with the batch on the axis the layout attribute says");
  const int64_t T = x.full_shape[layout == 0 ? 0 : 1], F = x.full_shape[2];
  const std::string direction = [&] {
    const auto* a = ctx.attr(n, "direction");
    return a ? a->s() : std::string("forward");
  }();
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional")
    ctx.fail(n, "attribute direction '" + direction + "' is not forward, reverse or bidirectional");
  const int64_t D = direction == "bidirectional" ? 2 : 1;
  const int64_t H = ctx.attr_int(n, "hidden_size", 0);
  if (H < 1) ctx.fail(n, "attribute hidden_size is missing or not positive");
  if (ctx.attr(n, "clip")) ctx.fail(n, "attribute 'clip' is not supported yet", "export the cell without clip");
  if (ctx.attr(n, "activation_alpha") || ctx.attr(n, "activation_beta"))
    ctx.fail(n, "attributes activation_alpha/activation_beta are not supported",
             "use activations without parameters (Sigmoid, Tanh, Softsign)");
  if (op == "LSTM" && ctx.attr_int(n, "input_forget", 0) != 0)
    ctx.fail(n, "attribute input_forget=1 (coupled input and forget gates) is not supported");
  const bool lbr = op == "GRU" && ctx.attr_int(n, "linear_before_reset", 0) != 0;
  // Activations: LSTM f, g, h; GRU f, g; RNN g (default Tanh); per direction.
  std::vector<std::string> acts;
  if (const auto* a = ctx.attr(n, "activations"))
    for (const auto& s : a->strings()) acts.push_back(s);
  const size_t per_dir = op == "LSTM" ? 3 : op == "GRU" ? 2 : 1;
  if (acts.empty()) {
    const std::vector<std::string> def = op == "LSTM"  ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
                                         : op == "GRU" ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                       : std::vector<std::string>{"Tanh"};
    for (int64_t d = 0; d < D; ++d) acts.insert(acts.end(), def.begin(), def.end());
  }
  if (acts.size() != per_dir * static_cast<size_t>(D))
    ctx.fail(n, fmt::format("attribute 'activations' has {} functions; {} expected", acts.size(), per_dir * D));

  // Weights: W [D, G*H, F], R [D, G*H, H], B [D, 2*G*H] (Wb then Rb).
  const Value& W = ctx.const_input(n, 1, "the input weights W");
  const Value& R = ctx.const_input(n, 2, "the recurrent weights R");
  if (W.full_shape != std::vector<int64_t>{D, G * H, F})
    ctx.fail(n, fmt::format("W has shape {}; {} expected", shape_str(W.full_shape), shape_str({D, G * H, F})));
  if (R.full_shape != std::vector<int64_t>{D, G * H, H})
    ctx.fail(n, fmt::format("R has shape {}; {} expected", shape_str(R.full_shape), shape_str({D, G * H, H})));
  std::vector<double> B(static_cast<size_t>(D * 2 * G * H), 0.0);
  if (ctx.has_input(n, 3)) {
    const Value& b = ctx.const_input(n, 3, "the biases B");
    if (b.values.size() != B.size())
      ctx.fail(n, fmt::format("B has {} values; {} expected", b.values.size(), B.size()));
    B = b.values;
  }
  if (ctx.has_input(n, 4)) {
    const Value& sl = ctx.const_input(n, 4, "sequence_lens");
    for (double v : sl.values)
      if (v != static_cast<double>(T))
        ctx.fail(n, fmt::format("sequence_lens holds {}, not the full length {}", v, T),
                 "only full-length sequences are supported");
  }
  const char* state_names[] = {"initial_h", "initial_c", "P (peepholes)"};
  for (int i = 5; i < (op == "LSTM" ? 8 : 6); ++i)
    if (ctx.has_input(n, i)) {
      const Value& s = ctx.input_as_is(n, i);
      if (!s.is_const || !all_zero(s))
        ctx.fail(n, std::string("input ") + state_names[i - 5] + " is not a constant zero",
                 "only zero initial states (and no peepholes) are supported");
    }
  const bool want_y = used(ctx, n, 0), want_h = used(ctx, n, 1);
  if (used(ctx, n, 2))
    ctx.fail(n, "output Y_c (the final cell state) is read, which is not supported",
             "read Y or Y_h (the hidden state)");
  if (!want_y && !want_h) ctx.fail(n, "none of its outputs is read");

  const std::vector<int64_t> og = onnx_gate_of(op);
  const int64_t GW = G * H;
  std::vector<ir::TensorId> outs;
  const ir::Shape dir_shape = want_y ? ir::Shape{T, 1, H} : ir::Shape{1, H};
  // The ONNX output's Value: Y [T, D, batch, H] / [batch, T, D, H]; Y_h [D, batch, H] / [batch, D, H].
  const int out_index = want_y ? 0 : 1;
  std::vector<int64_t> full = want_y ? (layout == 0 ? std::vector<int64_t>{T, D, 1, H} : std::vector<int64_t>{1, T, D, H})
                                     : (layout == 0 ? std::vector<int64_t>{D, 1, H} : std::vector<int64_t>{1, D, H});
  const int out_batch = want_y ? (layout == 0 ? 2 : 0) : (layout == 0 ? 1 : 0);
  ir::TensorId final_id = -1;
  if (D == 1) final_id = ctx.add_activation(n, out_index, full, out_batch);
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = direction == "reverse" || d == 1;
    std::vector<double> w(static_cast<size_t>(F * GW)), r(static_cast<size_t>(H * GW)), b(static_cast<size_t>(GW)),
        rb(static_cast<size_t>(GW));
    for (int64_t g = 0; g < G; ++g)
      for (int64_t j = 0; j < H; ++j) {
        const int64_t row = og[static_cast<size_t>(g)] * H + j, k = g * H + j;  // ONNX row, IR column
        for (int64_t i = 0; i < F; ++i) w[static_cast<size_t>(i * GW + k)] = W.values[static_cast<size_t>((d * GW + row) * F + i)];
        for (int64_t i = 0; i < H; ++i) r[static_cast<size_t>(i * GW + k)] = R.values[static_cast<size_t>((d * GW + row) * H + i)];
        b[static_cast<size_t>(k)] = B[static_cast<size_t>(d * 2 * GW + row)];
        rb[static_cast<size_t>(k)] = B[static_cast<size_t>(d * 2 * GW + GW + row)];
      }
    ir::TensorId y = final_id;
    if (D == 2) {
      ir::Tensor t;
      t.name = ctx.tensor_names.make(ctx.output_name(n, out_index) + (reverse ? "_reverse" : "_forward"), "t", "t_");
      t.shape = dir_shape;
      y = ctx.graph.add_tensor(std::move(t));
      outs.push_back(y);
    }
    ir::Node& node = ctx.add_node(n, ir::OpKind::Recurrent);
    const std::string name = node.name;
    node.inputs = {x.id};
    node.outputs = {y};
    node.attrs["cell"] = std::string(ir::name(cell));
    node.attrs["direction"] = std::string(reverse ? "reverse" : "forward");
    node.attrs["return_sequences"] = static_cast<int64_t>(want_y ? 1 : 0);
    if (op == "GRU") node.attrs["linear_before_reset"] = int64_t{lbr ? 1 : 0};
    const size_t a0 = static_cast<size_t>(d) * per_dir;
    if (op == "LSTM") {
      if (acts[a0 + 1] != acts[a0 + 2])
        ctx.fail(n, fmt::format("activations g '{}' and h '{}' differ", acts[a0 + 1], acts[a0 + 2]),
                 "the IR's LSTM uses one function for both (as Keras's activation)");
      node.attrs["recurrent_activation"] = std::string(ir::name(onnx_function(ctx, n, acts[a0])));
      node.attrs["activation"] = std::string(ir::name(onnx_function(ctx, n, acts[a0 + 1])));
    } else if (op == "GRU") {
      node.attrs["recurrent_activation"] = std::string(ir::name(onnx_function(ctx, n, acts[a0])));
      node.attrs["activation"] = std::string(ir::name(onnx_function(ctx, n, acts[a0 + 1])));
    } else {
      node.attrs["activation"] = std::string(ir::name(onnx_function(ctx, n, acts[a0])));
    }
    // add_constant may grow the graph's tensors, not its nodes: the reference stays valid
    const ir::TensorId wi = ctx.add_constant(name, "weight", {F, GW}, std::move(w));
    const ir::TensorId ri = ctx.add_constant(name, "recurrent_weight", {H, GW}, std::move(r));
    const ir::TensorId bi = ctx.add_constant(name, "bias", {GW}, std::move(b));
    const ir::TensorId rbi = ctx.add_constant(name, "recurrent_bias", {GW}, std::move(rb));
    ir::Node& nn = ctx.graph.nodes.back();
    nn.params = {{"weight", wi}, {"recurrent_weight", ri}, {"bias", bi}, {"recurrent_bias", rbi}};
  }
  if (D == 2) {  // forward then reverse on the direction axis
    final_id = ctx.add_activation(n, out_index, full, out_batch);
    ir::Node& cat = ctx.add_node(n, ir::OpKind::Concat);
    cat.inputs = outs;
    cat.outputs = {final_id};
    cat.attrs["axis"] = static_cast<int64_t>(want_y ? 1 : 0);
  }
  if (want_y && want_h) {  // Y_h is the step each direction computes last: Y[T-1] forward, Y[0] reverse
    std::vector<ir::TensorId> last;
    for (int64_t d = 0; d < D; ++d) {
      const bool reverse = direction == "reverse" || d == 1;
      last.push_back(ctx.add_internal_node(n, ir::OpKind::Slice, D == 1 ? final_id : outs[static_cast<size_t>(d)],
                                           {1, 1, H}, reverse ? "_first_step" : "_last_step"));
      ctx.graph.nodes.back().attrs["starts"] = std::vector<int64_t>{reverse ? 0 : T - 1, 0, 0};
    }
    ir::TensorId steps = last[0];
    if (D == 2) {
      steps = ctx.add_internal_node(n, ir::OpKind::Concat, last[0], {1, 2, H}, "_final_states");
      ctx.graph.nodes.back().inputs = last;
      ctx.graph.nodes.back().attrs["axis"] = int64_t{1};
    }
    const ir::TensorId yh = ctx.add_activation(n, 1, layout == 0 ? std::vector<int64_t>{D, 1, H} : std::vector<int64_t>{1, D, H},
                                               layout == 0 ? 1 : 0);
    ir::Node& rs = ctx.add_node(n, ir::OpKind::Reshape);
    rs.inputs = {steps};
    rs.outputs = {yh};
  }
}

void convert_constant_of_shape(Context& ctx, const OnnxNode& n) {
  const Value& s = ctx.const_input(n, 0, "the shape");
  std::vector<int64_t> shape;
  int64_t count = 1;
  for (double v : s.values) {
    if (v < 0 || v != std::floor(v) || v > static_cast<double>(kMaxFolded))
      ctx.fail(n, fmt::format("shape entry {} is not a valid dimension", v));
    shape.push_back(static_cast<int64_t>(v));
    count *= std::max<int64_t>(shape.back(), 1);
    if (count > kMaxFolded) ctx.fail(n, "the constant is too large to fold");
  }
  double fill = 0;
  if (const auto* a = ctx.attr(n, "value")) {
    if (!a->has_t()) ctx.fail(n, "attribute 'value' holds no tensor");
    const Value v = read_tensor(a->t(), n.where);
    if (v.values.size() != 1) ctx.fail(n, "attribute 'value' must hold one value");
    fill = v.values[0];
  }
  Value out;
  out.is_const = true;
  out.full_shape = shape;
  out.values.assign(static_cast<size_t>(ir::num_elements(shape)), fill);
  ctx.alias_output(n, 0, out);
}

// Gather of one step of a recurrent layer's sequence Y (possibly after Squeeze/Transpose, which keep the data):
// the last step the layer computes is its final state, so the layer returns that instead of the sequence.
bool gather_recurrent_step(Context& ctx, const OnnxNode& n) {
  const Value& data = ctx.input_as_is(n, 0);
  if (data.is_const || data.layout) return false;
  const Value& idx = ctx.const_input(n, 1, "the indices");
  const auto rank = static_cast<int64_t>(data.full_shape.size());
  int64_t axis = ctx.attr_int(n, "axis", 0);
  if (axis < -rank || axis >= rank) ctx.fail(n, fmt::format("axis {} is out of range for rank {}", axis, rank));
  if (axis < 0) axis += rank;
  if (axis == data.batch_axis || idx.values.size() != 1) return false;
  for (int64_t a = 0; a < axis; ++a)
    if (a != data.batch_axis && data.full_shape[static_cast<size_t>(a)] != 1) return false;  // not the outermost axis
  // Back through the Reshapes (single readers) to the recurrent node.
  std::vector<ir::TensorId> chain;
  ir::TensorId t = data.id;
  int p = ctx.graph.producer(t);
  while (p >= 0 && ctx.graph.nodes[static_cast<size_t>(p)].kind == ir::OpKind::Reshape) {
    if (ctx.graph.consumers(t).size() > 1 || ctx.graph.is_output(t)) return false;
    chain.push_back(t);
    t = ctx.graph.nodes[static_cast<size_t>(p)].inputs.at(0);
    p = ctx.graph.producer(t);
  }
  if (p < 0 || ctx.graph.consumers(t).size() > 1 || ctx.graph.is_output(t)) return false;
  ir::Node& rec = ctx.graph.nodes[static_cast<size_t>(p)];
  if (rec.kind != ir::OpKind::Recurrent) return false;
  const ir::RecurrentAttrs a = ir::RecurrentAttrs::of(ctx.graph, rec);
  const int64_t len = data.full_shape[static_cast<size_t>(axis)];
  if (!a.return_sequences || len != a.steps) return false;
  int64_t i = static_cast<int64_t>(idx.values[0]);
  if (i < 0) i += len;
  const int64_t last = a.reverse ? 0 : len - 1;
  if (i != last)
    ctx.fail(n, fmt::format("takes step {} of the sequence of recurrent layer '{}'; only the step it computes last ({}) "
                            "is supported", i, rec.name, last),
             "take the final state (Y_h, or out[:, -1] of a forward layer)");
  rec.attrs["return_sequences"] = int64_t{0};
  chain.push_back(t);
  for (ir::TensorId c : chain) ctx.graph.tensor(c).shape = {a.units};
  Value out = data;
  out.full_shape.erase(out.full_shape.begin() + axis);
  out.full_shape.insert(out.full_shape.begin() + axis, idx.full_shape.begin(), idx.full_shape.end());
  if (data.batch_axis > axis) out.batch_axis += static_cast<int>(idx.full_shape.size()) - 1;
  ctx.alias_output(n, 0, out);
  return true;
}

}  // namespace firmnet::frontends::onnx_detail
