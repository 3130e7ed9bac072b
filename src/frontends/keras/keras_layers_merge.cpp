// Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum → Elementwise (add/sub/mul), Concatenate →
// Concat. Maximum and Minimum have no IR op of their own: max(a, b) = a + relu(b - a) and
// min(a, b) = a - relu(a - b), exact in fixed point when the types hold the difference (the lossless default
// types do). Dot → products and sums with weights 1 (convert_dot).
#include <fmt/format.h>

#include "frontends/keras/keras_context.h"

namespace firmnet::frontends::keras {

namespace {

Value elementwise(Context& ctx, const Layer& l, const Value& a, const Value& b, const char* op, const std::string& suffix) {
  Value y = ctx.emit(l, ir::OpKind::Elementwise, {a, b}, a.shape, suffix);
  ctx.graph.nodes.back().attrs["op"] = std::string(op);
  return y;
}

Value relu(Context& ctx, const Layer& l, const Value& x, const std::string& suffix) {
  Value y = ctx.emit(l, ir::OpKind::Activation, {x}, x.shape, suffix);
  ctx.graph.nodes.back().attrs["function"] = std::string("relu");
  return y;
}

}  // namespace

std::vector<Value> convert_merge(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() < 2) ctx.fail(l, fmt::format("has {} input(s); a merge needs at least two", in.size()));
  for (const Value& v : in) {
    ctx.plain(l, v);
    if (v.shape != in[0].shape)
      ctx.fail(l, fmt::format("inputs of shapes {} and {} differ", ir::to_string(in[0].shape), ir::to_string(v.shape)),
               "firmnet merges inputs of equal shapes only (no broadcasting)");
  }
  const std::string& c = l.cls;
  const size_t n = in.size();
  // The last step of each chain carries the layer's own name.
  const auto step = [&](size_t k) { return k + 1 == n ? std::string() : fmt::format("{}", k); };
  if (c == "Add" || c == "Multiply") {
    Value acc = in[0];
    for (size_t k = 1; k < n; ++k) acc = elementwise(ctx, l, acc, in[k], c == "Add" ? "add" : "mul", step(k));
    return {acc};
  }
  if (c == "Subtract") {
    if (n != 2) ctx.fail(l, fmt::format("has {} inputs; Subtract takes two", n));
    return {elementwise(ctx, l, in[0], in[1], "sub", "")};
  }
  if (c == "Average") {
    Value acc = in[0];
    for (size_t k = 1; k < n; ++k) acc = elementwise(ctx, l, acc, in[k], "add", fmt::format("sum{}", k));
    Value y = ctx.emit(l, ir::OpKind::Elementwise, {acc}, acc.shape);
    ctx.graph.nodes.back().attrs["op"] = std::string("mul");
    ctx.param("constant", {1}, {1.0 / static_cast<double>(n)});
    if ((n & (n - 1)) != 0) ctx.graph.nodes.back().attrs["divisor"] = std::vector<double>{static_cast<double>(n)};
    return {y};
  }
  if (c == "Maximum" || c == "Minimum") {
    Value acc = in[0];
    for (size_t k = 1; k < n; ++k) {
      const std::string s = fmt::format("{}", k);
      if (c == "Maximum") {  // acc + relu(b - acc)
        const Value d = elementwise(ctx, l, in[k], acc, "sub", "diff" + s);
        const Value r = relu(ctx, l, d, "relu" + s);
        acc = elementwise(ctx, l, acc, r, "add", step(k));
      } else {  // acc - relu(acc - b)
        const Value d = elementwise(ctx, l, acc, in[k], "sub", "diff" + s);
        const Value r = relu(ctx, l, d, "relu" + s);
        acc = elementwise(ctx, l, acc, r, "sub", step(k));
      }
    }
    return {acc};
  }
  ctx.fail(l, "merge '" + c + "' is not supported");
}

std::vector<Value> convert_concatenate(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.empty()) ctx.fail(l, "has no inputs");
  const auto rank = static_cast<int64_t>(in[0].shape.size());
  int64_t axis = ctx.get_int(l, "axis", -1);
  if (axis < 0) axis += rank + 1;  // Keras counts the batch: -1 is the last axis
  if (axis < 1 || axis > rank) ctx.fail(l, fmt::format("axis {} is out of range for inputs of rank {}", ctx.get_int(l, "axis", -1), rank));
  const auto a = static_cast<size_t>(axis - 1);
  ir::Shape out = in[0].shape;
  out[a] = 0;
  for (const Value& v : in) {
    ctx.plain(l, v);
    if (static_cast<int64_t>(v.shape.size()) != rank)
      ctx.fail(l, fmt::format("inputs of shapes {} and {} have different ranks", ir::to_string(in[0].shape),
                              ir::to_string(v.shape)));
    for (size_t k = 0; k < v.shape.size(); ++k)
      if (k != a && v.shape[k] != in[0].shape[k])
        ctx.fail(l, fmt::format("inputs of shapes {} and {} differ outside axis {}", ir::to_string(in[0].shape),
                                ir::to_string(v.shape), axis));
    out[a] += v.shape[a];
  }
  if (in.size() == 1) return {in[0]};
  Value y = ctx.emit(l, ir::OpKind::Concat, in, out);
  ctx.graph.nodes.back().attrs["axis"] = static_cast<int64_t>(a);
  return {y};
}

// Dot(axes, normalize=False) of two per-sample tensors of rank 1 or 2 (Keras's batch_dot: the contracted axes
// summed, the output holds x1's remaining axis, then x2's). Built from exact ops, with weights 1:
//   rank 1, [d] . [d] -> [1]: the elementwise product, then a Dense [d, 1] of ones;
//   rank 2, [n, d] . [m, d] -> [n, m] (each operand transposed first when its contracted axis is the first):
//     a as [n, 1, d] and b as [1, m, d], each repeated by an Upsample to [n, m, d], their product, then a 1x1
//     Conv over the [n*m, d] map with a [1, d, 1] kernel of ones (the sum over d), reshaped to [n, m].
std::vector<Value> convert_dot(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  if (in.size() != 2) ctx.fail(l, fmt::format("has {} input(s); Dot takes two", in.size()));
  if (ctx.get_bool(l, "normalize", false))
    ctx.fail(l, "normalize=True divides by the inputs' L2 norms (a square root and a division), which firmnet "
                "cannot compute exactly",
             "use normalize=False (the plain dot product), normalizing before the model if needed");
  const Value a = ctx.plain(l, in[0]), b = ctx.plain(l, in[1]);
  const auto rank = static_cast<int64_t>(a.shape.size());
  if (static_cast<int64_t>(b.shape.size()) != rank || rank < 1 || rank > 2)
    ctx.fail(l, fmt::format("inputs of shapes {} and {}: firmnet computes Dot of two vectors or two matrices",
                            ir::to_string(a.shape), ir::to_string(b.shape)),
             "reshape the inputs to [d] or [n, d]");
  // axes: an int or a pair, counting the batch axis as Keras does (1..rank; negative from the end).
  const json& aj = ctx.get(l, "axes");
  int64_t ax[2];
  for (int k = 0; k < 2; ++k) {
    const json& v = aj.is_array() ? (aj.size() == 2 ? aj[static_cast<size_t>(k)] : json()) : aj;
    if (!v.is_number_integer()) ctx.fail(l, "axes " + aj.dump() + " is not an integer or a pair of integers");
    int64_t x = v.get<int64_t>();
    if (x < 0) x += rank + 1;
    if (x < 1 || x > rank) ctx.fail(l, fmt::format("axes {} is out of range for inputs of rank {}", aj.dump(), rank));
    ax[k] = x - 1;
  }
  const int64_t d = a.shape[static_cast<size_t>(ax[0])];
  if (b.shape[static_cast<size_t>(ax[1])] != d)
    ctx.fail(l, fmt::format("the contracted axes of inputs {} and {} differ in size ({} and {})", ir::to_string(a.shape),
                            ir::to_string(b.shape), d, b.shape[static_cast<size_t>(ax[1])]));
  const std::vector<double> ones(static_cast<size_t>(d), 1.0);
  if (rank == 1) {
    const Value p = elementwise(ctx, l, a, b, "mul", "mul");
    Value y = ctx.emit(l, ir::OpKind::Dense, {p}, {1});
    ctx.param("weight", {d, 1}, ones, exact_type(ones), "Dot: the sum of the products");
    ctx.param("bias", {1}, {0.0}, exact_type({0.0}));
    return {y};
  }
  // Contracted axis last on each operand.
  const auto last = [&](const Value& v, int64_t axis, const char* suffix) {
    if (axis == 1) return v;
    Value t = ctx.emit(l, ir::OpKind::Transpose, {v}, {v.shape[1], v.shape[0]}, suffix);
    ctx.graph.nodes.back().attrs["perm"] = std::vector<int64_t>{1, 0};
    return t;
  };
  const Value at = last(a, ax[0], "t0"), bt = last(b, ax[1], "t1");
  const int64_t n = at.shape[0], m = bt.shape[0];
  if (n * m * d > kMaxElements) ctx.fail(l, fmt::format("the products of a [{}, {}] . [{}, {}] Dot are too many", n, d, m, d));
  const Value a3 = ctx.emit(l, ir::OpKind::Reshape, {at}, {n, 1, d}, "a3");
  const Value b3 = ctx.emit(l, ir::OpKind::Reshape, {bt}, {1, m, d}, "b3");
  Value ar = a3, br = b3;
  if (m > 1) {
    ar = ctx.emit(l, ir::OpKind::Upsample, {a3}, {n, m, d}, "a_rep");
    ctx.graph.nodes.back().attrs["scales"] = std::vector<int64_t>{1, m, 1};
  }
  if (n > 1) {
    br = ctx.emit(l, ir::OpKind::Upsample, {b3}, {n, m, d}, "b_rep");
    ctx.graph.nodes.back().attrs["scales"] = std::vector<int64_t>{n, 1, 1};
  }
  const Value p = elementwise(ctx, l, ar, br, "mul", "mul");
  const Value map = ctx.emit(l, ir::OpKind::Reshape, {p}, {n * m, d}, "map");
  ConvSpec s;
  s.kernel = {1}, s.strides = {1}, s.dilations = {1};
  s.out_channels = 1;
  s.weight = {ones, exact_type(ones), "Dot: the sum of the products"};
  const Value sum = emit_conv(ctx, l, map, s, "sum");
  return {ctx.emit(l, ir::OpKind::Reshape, {sum}, {n, m})};
}

}  // namespace firmnet::frontends::keras
