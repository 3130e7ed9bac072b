// Shape arithmetic on constants, folded at conversion: Shape, Gather, Cast, and Squeeze/Unsqueeze/Concat of
// constants. PyTorch exports `x.view(x.size(0), -1)` as Shape → Gather → Unsqueeze → Concat → Reshape; every
// value in that chain is known once the input shape is, so it folds to the constant target shape the Reshape
// converter reads. The batch dimension of an activation reads as 1, as everywhere in the frontend (one sample;
// a Reshape keeps it first). Gather of activations (an embedding or a channel pick) is refused.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "frontends/onnx/onnx_context.h"

namespace firmnet::frontends::onnx_detail {

namespace {

constexpr int64_t kMaxFolded = int64_t{1} << 24;  // a folded constant is shape data, never a weight tensor

int64_t axis_in(Context& ctx, const OnnxNode& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    ctx.fail(n, fmt::format("axis {} is out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

Value constant(std::vector<int64_t> shape, std::vector<double> values) {
  Value v;
  v.is_const = true;
  v.full_shape = std::move(shape);
  v.values = std::move(values);
  return v;
}

}  // namespace

void convert_shape(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  const auto rank = static_cast<int64_t>(x.full_shape.size());
  int64_t start = ctx.attr_int(n, "start", 0), end = ctx.attr_int(n, "end", rank);  // opset 15
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  std::vector<double> dims;
  for (int64_t a = start; a < end; ++a) dims.push_back(static_cast<double>(x.full_shape[static_cast<size_t>(a)]));
  const auto k = static_cast<int64_t>(dims.size());
  ctx.alias_output(n, 0, constant({k}, std::move(dims)));
}

void convert_gather(Context& ctx, const OnnxNode& n) {
  const Value& data = ctx.input_as_is(n, 0);
  if (!data.is_const && gather_recurrent_step(ctx, n)) return;
  if (!data.is_const)
    ctx.fail(n, "Gather of data (not of a constant or a shape) is not supported",
             "only the shape arithmetic of exported graphs (Shape -> Gather -> ...) is folded");
  const Value& idx = ctx.const_input(n, 1, "the indices");
  const auto rank = static_cast<int64_t>(data.full_shape.size());
  if (rank == 0) ctx.fail(n, "Gather of a scalar");
  const int64_t axis = axis_in(ctx, n, ctx.attr_int(n, "axis", 0), rank);
  const std::vector<int64_t>& ds = data.full_shape;
  const int64_t len = ds[static_cast<size_t>(axis)];
  int64_t outer = 1, inner = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= ds[static_cast<size_t>(a)];
  for (int64_t a = axis + 1; a < rank; ++a) inner *= ds[static_cast<size_t>(a)];
  const auto count = static_cast<int64_t>(idx.values.size());
  if (outer * count * inner > kMaxFolded) ctx.fail(n, "the gathered constant is too large to fold");
  std::vector<int64_t> shape(ds.begin(), ds.begin() + axis);
  shape.insert(shape.end(), idx.full_shape.begin(), idx.full_shape.end());
  shape.insert(shape.end(), ds.begin() + axis + 1, ds.end());
  std::vector<double> out;
  out.reserve(static_cast<size_t>(outer * count * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (double iv : idx.values) {
      auto i = static_cast<int64_t>(iv);
      if (iv != static_cast<double>(i) || i < -len || i >= len)
        ctx.fail(n, fmt::format("index {} is out of range for axis {} of size {}", iv, axis, len));
      if (i < 0) i += len;
      for (int64_t k = 0; k < inner; ++k) out.push_back(data.values[static_cast<size_t>((o * len + i) * inner + k)]);
    }
  ctx.alias_output(n, 0, constant(std::move(shape), std::move(out)));
}

// Cast: a constant keeps its values (to an integer type: truncated toward zero, as ONNX casts); data passes
// through unchanged only when cast to a float type (firmnet's types are set by its passes, not by Cast).
void convert_cast(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  const int64_t to = ctx.attr_int(n, "to", 0);
  const bool to_float = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE ||
                        to == onnx::TensorProto::FLOAT16 || to == onnx::TensorProto::BFLOAT16;
  const bool to_int = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32 || to == onnx::TensorProto::INT16 ||
                      to == onnx::TensorProto::INT8 || to == onnx::TensorProto::UINT8;
  if (x.is_const && (to_float || to_int)) {
    Value c = x;
    if (to_int)
      for (double& v : c.values) v = std::trunc(v);
    ctx.alias_output(n, 0, c);
    return;
  }
  if (!x.is_const && to_float) {
    ctx.alias_output(n, 0, x);
    return;
  }
  ctx.fail(n, fmt::format("Cast to type {} of {} is not supported", to, x.is_const ? "a constant" : "data"),
           "firmnet computes in its own fixed-point types; remove the Cast from the exported graph");
}

// Squeeze/Unsqueeze/Concat of constants (the shape chain's pieces): the same values under a new shape.
bool fold_constant_reshape(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  if (!x.is_const) return false;
  const auto rank = static_cast<int64_t>(x.full_shape.size());
  std::vector<int64_t> axes;
  if (auto a = ctx.attr_ints(n, "axes")) axes = *a;
  else if (ctx.has_input(n, 1))
    for (double v : ctx.const_input(n, 1, "the axes").values) axes.push_back(static_cast<int64_t>(v));
  std::vector<int64_t> shape;
  if (n.op() == "Unsqueeze") {
    const int64_t out_rank = rank + static_cast<int64_t>(axes.size());
    for (int64_t& a : axes) a = axis_in(ctx, n, a, out_rank);
    std::sort(axes.begin(), axes.end());
    size_t next = 0;
    for (int64_t a = 0; a < out_rank; ++a)
      shape.push_back(std::binary_search(axes.begin(), axes.end(), a) ? 1 : x.full_shape.at(next++));
  } else {  // Squeeze
    for (int64_t& a : axes) a = axis_in(ctx, n, a, rank);
    for (int64_t a = 0; a < rank; ++a) {
      const int64_t d = x.full_shape[static_cast<size_t>(a)];
      const bool listed = std::find(axes.begin(), axes.end(), a) != axes.end();
      if ((axes.empty() && d == 1) || listed) {
        if (d != 1) ctx.fail(n, fmt::format("axis {} of shape {} is not 1", a, shape_str(x.full_shape)));
        continue;
      }
      shape.push_back(d);
    }
  }
  Value c = x;
  c.full_shape = std::move(shape);
  ctx.alias_output(n, 0, c);
  return true;
}

bool fold_constant_concat(Context& ctx, const OnnxNode& n) {
  for (int i = 0; i < n.proto.input_size(); ++i)
    if (!ctx.input_as_is(n, i).is_const) return false;
  const Value& first = ctx.input_as_is(n, 0);
  const auto rank = static_cast<int64_t>(first.full_shape.size());
  if (rank == 0) ctx.fail(n, "concatenation of scalars");
  const int64_t axis = axis_in(ctx, n, ctx.attr_int(n, "axis", 0), rank);
  int64_t outer = 1;
  for (int64_t a = 0; a < axis; ++a) outer *= first.full_shape[static_cast<size_t>(a)];
  std::vector<int64_t> shape = first.full_shape;
  shape[static_cast<size_t>(axis)] = 0;
  std::vector<std::vector<double>> parts;
  std::vector<int64_t> chunk;  // values per outer index of each input
  for (int i = 0; i < n.proto.input_size(); ++i) {
    const Value& v = ctx.input_as_is(n, i);
    bool same = v.full_shape.size() == first.full_shape.size();
    for (int64_t a = 0; same && a < rank; ++a)
      same = a == axis || v.full_shape[static_cast<size_t>(a)] == first.full_shape[static_cast<size_t>(a)];
    if (!same) ctx.fail(n, fmt::format("input {} of shape {} does not match {} off axis {}", i, shape_str(v.full_shape),
                                       shape_str(first.full_shape), axis));
    shape[static_cast<size_t>(axis)] += v.full_shape[static_cast<size_t>(axis)];
    parts.push_back(v.values);
    chunk.push_back(static_cast<int64_t>(v.values.size()) / std::max<int64_t>(outer, 1));
  }
  std::vector<double> out;
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < parts.size(); ++i)
      out.insert(out.end(), parts[i].begin() + o * chunk[i], parts[i].begin() + (o + 1) * chunk[i]);
  if (static_cast<int64_t>(out.size()) > kMaxFolded) ctx.fail(n, "the concatenated constant is too large to fold");
  ctx.alias_output(n, 0, constant(std::move(shape), std::move(out)));
  return true;
}

}  // namespace firmnet::frontends::onnx_detail
