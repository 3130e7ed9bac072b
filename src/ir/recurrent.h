#pragma once
// The recurrent op family (OpKind::Recurrent): LSTM, GRU and SimpleRNN cells run over a sequence, as a typed
// record over a node's attributes (docs/IR.md "Recurrent", docs/NUMERICS.md "Recurrent").
//
// Input x: [T, F] (time steps, features). Output: [T, H] with return_sequences (h after each step, at the
// position of the input step it consumed: a reverse layer's y[t] is the state after reading x[t]), else [H]
// (the final state). A bidirectional layer is two nodes (forward, reverse) and a Concat on the last axis,
// which gives ONNX's Y [T, 2, H] and Keras's [T, 2H] order.
//
// Gates (G of them), in the IR's order: LSTM i, f, c (the candidate, "g"), o; GRU z, r, h (the candidate,
// "n"); SimpleRNN one. Column k = g*H + j of every parameter is gate g of unit j.
// Params: "weight" [F, G*H] (W[i][k] at i*G*H + k, as Dense), "recurrent_weight" [H, G*H],
// "bias" [G*H], "recurrent_bias" [G*H] (always present; zeros when the model has none).
// Attrs: "cell" (lstm/gru/rnn), "direction" (forward/reverse), "return_sequences" (0/1),
// "linear_before_reset" (GRU: 1 = the reset gate multiplies the recurrent product, ONNX's
// linear_before_reset=1 and Keras's reset_after=True; 0 = it multiplies h before the candidate's recurrent
// product, ONNX's 0 and Keras's reset_after=False), "activation" (the candidate's and the LSTM output's
// function), "recurrent_activation" (the gates' function; LSTM, GRU), "static" (0/1: the firmware's
// implementation, one cell reused every step or the steps unrolled; set from the configuration).
// Internal types: "accum" (the input product), "recurrent_accum" (the recurrent product), "state" (h),
// "cell_state" (LSTM c), "table" / "recurrent_table" (the entries of the two lookup tables; tables["table"],
// tables["recurrent_table"]).
#include <cstdint>
#include <string>

#include "ir/activations.h"
#include "ir/graph.h"

namespace firmnet::ir {

enum class CellKind { LSTM, GRU, RNN };
const char* name(CellKind c);

struct RecurrentAttrs {
  CellKind cell = CellKind::LSTM;
  int64_t steps = 0, features = 0, units = 0;
  bool reverse = false;
  bool return_sequences = false;
  bool linear_before_reset = true;  // GRU only
  ActivationFn activation = ActivationFn::Tanh;
  ActivationFn recurrent_activation = ActivationFn::Sigmoid;  // LSTM, GRU
  bool is_static = true;

  int64_t gates() const { return cell == CellKind::LSTM ? 4 : cell == CellKind::GRU ? 3 : 1; }
  int64_t gate_width() const { return gates() * units; }
  bool has_recurrent_activation() const { return cell != CellKind::RNN; }
  // GRU with linear_before_reset 0: the candidate's recurrent product reads r ⊙ h, after the gates z and r.
  bool reset_before() const { return cell == CellKind::GRU && !linear_before_reset; }
  // Columns of recurrent_weight multiplied by h itself (all but the candidate's when reset_before()).
  int64_t state_product_width() const { return reset_before() ? 2 * units : gate_width(); }
  static RecurrentAttrs of(const Graph& g, const Node& n);
};

// Structural rules (called by verify_op): attributes, shapes, parameter sizes, the functions (table functions
// of the Table form: sigmoid, tanh, softsign). Throws firmnet::Error naming the node.
void verify_recurrent(const Graph& g, const Node& n);

// A cell function (a.activation, gate false; a.recurrent_activation, gate true) as its table samples it and the float
// reference computes it: table_function(fn, n); for the gates also hard_sigmoid, clamp(slope x + offset, 0, 1) with
// the node's float attributes hard_sigmoid_slope and hard_sigmoid_offset (default 0.2, 0.5: Keras 2 and ONNX;
// Keras 3: 1/6, 0.5; QKeras 0.5, 0.5); for the candidate also hard_tanh, clamp(x, -1, 1). The int attributes
// <role>_bits and <role>_symmetric (role: activation / recurrent_activation) put hard_tanh / hard_sigmoid on QKeras's
// quantized_tanh / quantized_sigmoid levels: round half to even on a grid of 2^-(bits-1) (tanh) or 2^-bits (sigmoid),
// clipped to the levels [-2^(bits-1) + symmetric, 2^(bits-1) - 1] or [symmetric, 2^bits - 1].
TableFunction cell_function(const Node& n, ActivationFn fn, bool gate);

// The default cell-state type for T steps: |c_t| <= t since |f| < 1 and |i*g| <= 1 (docs/NUMERICS.md).
numeric::FixedType default_cell_state_type(int64_t steps);
// The default hidden-state type: h is within [-1, 1] (a tanh/sigmoid product, or a convex combination of them).
numeric::FixedType default_state_type();
// The exact type of r ⊙ h (a recurrent_table entry times the state): the input of a reset_before() GRU's
// candidate product. Throws naming the node when it needs more than 62 bits.
numeric::FixedType reset_state_type(const Node& n, const numeric::FixedType& gate_entry, const numeric::FixedType& state);

}  // namespace firmnet::ir
