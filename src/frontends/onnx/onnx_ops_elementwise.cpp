// Binary arithmetic: Add, Sub, Mul, Div → Elementwise (with a tensor or a constant), constant folding,
// and MatMul + Add(constant) → one Dense.
#include <algorithm>

#include "frontends/onnx/onnx_context.h"

namespace firmnet::frontends::onnx_detail {

namespace {

enum class Arith { Add, Sub, Mul, Div };

double apply(Arith op, double a, double b) {
  switch (op) {
    case Arith::Add: return a + b;
    case Arith::Sub: return a - b;
    case Arith::Mul: return a * b;
    case Arith::Div: return a / b;
  }
  return 0;
}

const char* ir_op(Arith op) {
  switch (op) {
    case Arith::Add: return "add";
    case Arith::Sub: return "sub";
    case Arith::Mul: return "mul";
    case Arith::Div: return "mul";  // by the reciprocal
  }
  return "?";
}

void fold_constants(Context& ctx, const OnnxNode& n, Arith op, const Value& a, const Value& b) {
  auto shape = broadcast_shapes(a.full_shape, b.full_shape);
  if (!shape)
    ctx.fail(n, "constant shapes " + shape_str(a.full_shape) + " and " + shape_str(b.full_shape) + " do not broadcast");
  checked_elements(*shape, n.where, "the folded constant");
  const auto av = broadcast_values(a.values, a.full_shape, *shape);
  const auto bv = broadcast_values(b.values, b.full_shape, *shape);
  Value r;
  r.is_const = true;
  r.full_shape = *shape;
  r.values.resize(av.size());
  for (size_t i = 0; i < av.size(); ++i) {
    if (op == Arith::Div && bv[i] == 0) ctx.fail(n, "divides a constant by zero");
    r.values[i] = apply(op, av[i], bv[i]);
  }
  ctx.alias_output(n, 0, r);
}

// Shrinks a per-sample constant to the smallest form the IR accepts: size 1, the last axis, or full.
ir::Shape compress_constant(std::vector<double>& v, const ir::Shape& sample) {
  if (std::all_of(v.begin(), v.end(), [&](double x) { return x == v[0]; })) {
    v.resize(1);
    return {1};
  }
  const int64_t last = sample.empty() ? 1 : sample.back();
  bool periodic = true;
  for (size_t i = static_cast<size_t>(last); i < v.size() && periodic; ++i)
    periodic = v[i] == v[i % static_cast<size_t>(last)];
  if (periodic) {
    v.resize(static_cast<size_t>(last));
    return {last};
  }
  return sample;
}

// data (op) constant. Returns true when it folded an Add into the bias of the Dense made from a MatMul.
bool try_fold_into_dense(Context& ctx, const OnnxNode& n, Arith op, const std::string& data_name, const Value& x,
                         const std::vector<double>& c) {
  if (op != Arith::Add && op != Arith::Sub) return false;
  auto it = ctx.foldable_dense.find(x.id);
  if (it == ctx.foldable_dense.end() || ctx.uses[data_name] != 1) return false;  // the product is used elsewhere
  ir::Node& dense = ctx.graph.nodes[it->second];
  ir::Tensor& bias = ctx.graph.tensor(dense.param("bias"));
  if (bias.values.size() != c.size()) return false;
  for (size_t j = 0; j < c.size(); ++j) bias.values[j] += op == Arith::Add ? c[j] : -c[j];
  dense.source += " + " + n.source;
  if (!n.proto.name().empty()) dense.aliases.push_back(n.proto.name());
  ctx.foldable_dense.erase(it);
  ctx.alias_output(n, 0, x);
  return true;
}

void convert_arith(Context& ctx, const OnnxNode& n, Arith op) {
  // Held layouts stay where the op is elementwise on them: a data tensor with a constant (the constant is
  // reordered like the data), or two data tensors held alike. Anything else is computed in ONNX order.
  const Value* ap0 = &ctx.input_as_is(n, 0);
  const Value* bp0 = &ctx.input_as_is(n, 1);
  const bool keep = ctx.opset >= 7 && (ap0->is_const || bp0->is_const ||
                                       (ap0->layout == bp0->layout && ap0->full_shape == bp0->full_shape &&
                                        ap0->batch_axis == bp0->batch_axis));
  const Value& a = keep ? *ap0 : ctx.input(n, 0);
  const Value* bp = keep ? bp0 : &ctx.input(n, 1);
  Value legacy_b;
  if (ctx.opset < 7) {
    // B broadcasts onto A as the legacy attributes say; give B the equivalent numpy shape.
    const auto* ax = ctx.attr(n, "axis");
    const auto shape = legacy_broadcast_shape(a.full_shape, bp->full_shape, ctx.attr_int(n, "broadcast", 0),
                                              ax ? std::optional<int64_t>(ctx.attr_int(n, "axis", 0)) : std::nullopt,
                                              n.where);
    if (shape != bp->full_shape) {
      if (!bp->is_const)
        ctx.fail(n, "legacy broadcasting of a data tensor of shape " + shape_str(bp->full_shape) + " onto " +
                        shape_str(a.full_shape) + " is not supported", "only a constant B may be broadcast");
      legacy_b = *bp;
      legacy_b.full_shape = shape;
      bp = &legacy_b;
    }
  }
  const Value& b = *bp;
  if (a.is_const && b.is_const) return fold_constants(ctx, n, op, a, b);

  if (!a.is_const && !b.is_const) {
    if (op == Arith::Div)
      ctx.fail(n, "division by a data tensor is not supported", "only division by a constant is supported");
    if (a.full_shape != b.full_shape || a.batch_axis != b.batch_axis)
      ctx.fail(n, "operands of shapes " + shape_str(a.full_shape) + " and " + shape_str(b.full_shape) +
                      " differ; broadcasting between two data tensors is not supported");
    const ir::TensorId ia = a.id, ib = b.id;
    const std::vector<int64_t> full = a.full_shape;
    const int batch_axis = a.batch_axis;
    const ir::TensorId out = a.layout ? ctx.add_activation_like(n, 0, a) : ctx.add_activation(n, 0, full, batch_axis);
    ir::Node& node = ctx.add_node(n, ir::OpKind::Elementwise);
    node.inputs = {ia, ib};
    node.outputs = {out};
    node.attrs["op"] = std::string(ir_op(op));
    return;
  }

  const bool const_first = a.is_const;
  if (const_first && (op == Arith::Sub || op == Arith::Div))
    ctx.fail(n, std::string(op == Arith::Sub ? "constant - data" : "constant / data") + " is not supported",
             "only data - constant and data / constant are supported");
  const Value& x = const_first ? b : a;
  const Value& c = const_first ? a : b;
  const std::string& data_name = n.proto.input(const_first ? 1 : 0);
  auto shape = broadcast_shapes(x.full_shape, c.full_shape);
  if (!shape || *shape != x.full_shape)
    ctx.fail(n, "constant of shape " + shape_str(c.full_shape) + " does not broadcast to the data shape " +
                    shape_str(x.full_shape) + " (batch counted as 1)");
  std::vector<double> values = broadcast_values(c.values, c.full_shape, x.full_shape);
  if (x.layout) values = x.layout->to_held(values);  // in the order the data is held
  std::vector<double> divisors = op == Arith::Div ? values : std::vector<double>{};
  if (op == Arith::Div)
    for (double& v : values) {
      if (v == 0) ctx.fail(n, "divides by a constant that contains 0");
      v = 1.0 / v;
    }
  if (try_fold_into_dense(ctx, n, op, data_name, x, values)) return;

  const ir::Shape held_shape = ctx.graph.tensor(x.id).shape;
  const ir::Shape cshape = compress_constant(values, x.layout ? held_shape : sample_shape(x));
  const ir::TensorId in = x.id;
  const std::vector<int64_t> full = x.full_shape;
  const int batch_axis = x.batch_axis;
  const ir::TensorId out = x.layout ? ctx.add_activation_like(n, 0, x) : ctx.add_activation(n, 0, full, batch_axis);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Elementwise);
  node.inputs = {in};
  node.outputs = {out};
  node.attrs["op"] = std::string(ir_op(op));
  if (op == Arith::Div) {
    // 1/c is rounded (in double, then to the constant's type); the exact divisor lets
    // passes/fold_affine_into_threshold fold the division into thresholds as t * c instead.
    if (x.layout) divisors = x.layout->to_held(divisors);
    compress_constant(divisors, x.layout ? held_shape : sample_shape(x));
    node.attrs["divisor"] = divisors;
  }
  const std::string name = node.name;
  const ir::TensorId k = ctx.add_constant(name, "constant", cshape, std::move(values));
  ctx.graph.nodes.back().params["constant"] = k;
}

}  // namespace

std::vector<int64_t> legacy_broadcast_shape(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                                            int64_t broadcast, std::optional<int64_t> axis, const std::string& where) {
  const auto ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  if (broadcast == 0) {
    // Equal shapes, except that the batch dimension (counted as 1 here) may be the symbol of either side.
    if (ra == rb) return b;
    throw Error(where, "operands of shapes " + shape_str(a) + " and " + shape_str(b) +
                           " differ and the legacy (opset < 7) attribute broadcast is not 1",
                "re-export the model, or set broadcast=1 where B is meant to be broadcast");
  }
  if (broadcast != 1) throw Error(where, "attribute broadcast=" + std::to_string(broadcast) + " is not 0 or 1");
  if (b.size() == 1 && b[0] == 1) return b;  // a scalar-like B broadcasts anywhere
  int64_t at = axis ? *axis : ra - rb;
  if (at < 0) at += ra;
  if (at < 0 || at + rb > ra)
    throw Error(where, "B of shape " + shape_str(b) + " does not fit A of shape " + shape_str(a) + " from axis " +
                           std::to_string(axis ? *axis : ra - rb));
  std::vector<int64_t> r = b;
  for (int64_t k = at + rb; k < ra; ++k) r.push_back(1);
  return r;
}

void convert_add(Context& ctx, const OnnxNode& n) { convert_arith(ctx, n, Arith::Add); }
void convert_sub(Context& ctx, const OnnxNode& n) { convert_arith(ctx, n, Arith::Sub); }
void convert_mul(Context& ctx, const OnnxNode& n) { convert_arith(ctx, n, Arith::Mul); }
void convert_div(Context& ctx, const OnnxNode& n) { convert_arith(ctx, n, Arith::Div); }

}  // namespace firmnet::frontends::onnx_detail
