// Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum → Elementwise (add/sub/mul), Concatenate →
// Concat. Maximum and Minimum have no IR op of their own: max(a, b) = a + relu(b - a) and
// min(a, b) = a - relu(a - b), exact in fixed point when the types hold the difference (the lossless default
// types do).
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

}  // namespace firmnet::frontends::keras
