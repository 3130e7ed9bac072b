// Data movement: Flatten, Reshape, Transpose (layout-preserving only), Concat, Identity/Dropout (aliases),
// and Constant.
#include <algorithm>
#include <cmath>

#include "frontends/onnx/onnx_context.h"

namespace firmnet::frontends::onnx_detail {

namespace {
int64_t normalize_axis(Context& ctx, const OnnxNode& n, int64_t axis, int64_t rank, bool inclusive_end) {
  const int64_t hi = inclusive_end ? rank : rank - 1;
  if (axis < -rank || axis > hi)
    ctx.fail(n, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

// A reshape of a value held in another order: the data stays, the layout gets the new ONNX shape (a
// reshape keeps the ONNX row-major order, so view and permutation are unchanged).
bool reshape_held(Context& ctx, const OnnxNode& n, const Value& x, const std::vector<int64_t>& full) {
  if (!x.layout || x.is_const || x.batch_axis != 0 || full.empty() || full[0] != 1) return false;
  Value out = x;
  out.full_shape = full;
  out.layout->model_shape.assign(full.begin() + 1, full.end());
  ctx.alias_output(n, 0, out);
  return true;
}

void require_batch_first(Context& ctx, const OnnxNode& n, const Value& x) {
  if (x.batch_axis != 0)
    ctx.fail(n, "input '" + n.proto.input(0) + "' has its batch dimension at axis " + std::to_string(x.batch_axis),
             "the op needs the batch dimension first; remove the preceding Transpose");
}
}  // namespace

// Identity and Dropout (inference): the output is the input.
void convert_identity(Context& ctx, const OnnxNode& n) {
  if (n.op() == "Dropout" && ctx.opset < 7 && ctx.attr_int(n, "is_test", 0) == 0)
    ctx.fail(n, "is_test=0 (training mode: random dropout) is not supported",
             "export the model in inference mode (model.eval()), which writes is_test=1 or no Dropout");
  const Value& x = ctx.input(n, 0);
  ctx.alias_output(n, 0, x);
  if (n.op() == "Dropout" && n.proto.output_size() > 1 && !n.proto.output(1).empty())
    ctx.warn(n, "the dropout mask output '" + n.proto.output(1) + "' is not computed (inference mode)");
}

void convert_flatten(Context& ctx, const OnnxNode& n) {
  {
    const Value& h = ctx.input_as_is(n, 0);
    const int64_t axis = ctx.attr_int(n, "axis", 1);
    if (h.layout && (axis == 0 || axis == 1 || axis == 1 - static_cast<int64_t>(h.full_shape.size())) &&
        reshape_held(ctx, n, h, {1, ir::num_elements(sample_shape(h))}))
      return;
  }
  const Value& x = ctx.act_input(n, 0, "the data");
  const auto rank = static_cast<int64_t>(x.full_shape.size());
  const int64_t axis = normalize_axis(ctx, n, ctx.attr_int(n, "axis", 1), rank, true);
  require_batch_first(ctx, n, x);
  // axis=0 (tf2onnx writes it for Keras models exported with batch 1) flattens the whole sample, as axis=1.
  if (axis != 1 && axis != 0)
    ctx.fail(n, "Flatten with axis=" + std::to_string(axis) + " is not supported",
             "only Flatten(axis=1), which keeps the batch dimension, is supported");
  ctx.reshape_or_alias(n, 0, x, {1, ir::num_elements(sample_shape(x))}, 0);
}

void convert_reshape(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.input_as_is(n, 0);
  Value shape_attr;
  if (ctx.opset < 5) {  // Reshape-1: the target shape is the attribute `shape`
    const auto s = ctx.attr_ints(n, "shape");
    if (!s) ctx.fail(n, "attribute 'shape' is missing (opset < 5 Reshape)");
    shape_attr.is_const = true;
    shape_attr.full_shape = {static_cast<int64_t>(s->size())};
    shape_attr.values.assign(s->begin(), s->end());
  }
  const Value& target = ctx.opset < 5 ? shape_attr : ctx.const_input(n, 1, "the target shape");
  const bool allow_zero = ctx.opset >= 14 && ctx.attr_int(n, "allowzero", 0) != 0;
  if (target.full_shape.size() > 1) ctx.fail(n, "the target shape is not a 1-D tensor");
  const int64_t count = ir::num_elements(x.full_shape);  // batch counted as 1
  std::vector<int64_t> shape;
  int infer = -1;
  for (size_t k = 0; k < target.values.size(); ++k) {
    const double v = target.values[k];
    if (v != std::floor(v) || std::abs(v) > static_cast<double>(kMaxElements))
      ctx.fail(n, "target shape entry " + std::to_string(v) + " is not a valid dimension");
    int64_t d = static_cast<int64_t>(v);
    if (d == 0 && !allow_zero) {
      if (k >= x.full_shape.size()) ctx.fail(n, "target shape copies dimension " + std::to_string(k) + " (0), which the input lacks");
      d = x.full_shape[k];
    } else if (d == -1) {
      if (infer >= 0) ctx.fail(n, "target shape has more than one -1");
      infer = static_cast<int>(k);
    } else if (d <= 0) {
      ctx.fail(n, "target shape " + shape_str(std::vector<int64_t>(target.values.begin(), target.values.end())) +
                      " has the invalid dimension " + std::to_string(d));
    }
    shape.push_back(d);
  }
  int64_t known = 1;
  for (size_t k = 0; k < shape.size(); ++k)
    if (static_cast<int>(k) != infer) {
      if (shape[k] > kMaxElements || known > kMaxElements / std::max<int64_t>(shape[k], 1))
        ctx.fail(n, "target shape is too large");
      known *= shape[k];
    }
  if (infer >= 0) {
    if (known == 0 || count % known != 0)
      ctx.fail(n, "cannot infer -1 when reshaping " + std::to_string(count) + " elements to " + shape_str(shape));
    shape[static_cast<size_t>(infer)] = count / known;
  }
  if (ir::num_elements(shape) != count)
    ctx.fail(n, "cannot reshape " + shape_str(x.full_shape) + " (" + std::to_string(count) + " elements per sample) to " +
                    shape_str(shape));
  if (x.is_const) {  // a weight reshaped in the graph (the ONNX model zoo's MNIST): folded
    Value c = x;
    c.full_shape = shape;
    ctx.alias_output(n, 0, c);
    return;
  }
  if (shape.size() < 2 || shape[0] != 1)
    ctx.fail(n, "the target shape " + shape_str(shape) + " does not keep the batch dimension first",
             "reshape to [batch, ...] (e.g. [-1, 64] or [1, 8, 8])");
  if (reshape_held(ctx, n, ctx.input_as_is(n, 0), shape)) return;
  ctx.reshape_or_alias(n, 0, ctx.act_input(n, 0, "the data"), shape, 0);
}

// Only permutations that keep the row-major order of the data (all dims other than 1 keep their relative
// order, e.g. [1,64] -> [64,1]) are supported: they are free, since the data does not move.
void convert_transpose(Context& ctx, const OnnxNode& n) {
  const auto rank = static_cast<int64_t>(ctx.input_as_is(n, 0).full_shape.size());
  std::vector<int64_t> perm;
  if (auto p = ctx.attr_ints(n, "perm")) {
    perm = *p;
  } else {
    for (int64_t k = rank - 1; k >= 0; --k) perm.push_back(k);
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool valid = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t k = 0; valid && k < rank; ++k) valid = sorted[static_cast<size_t>(k)] == k;
  if (!valid) ctx.fail(n, "perm " + shape_str(perm) + " is not a permutation of the " + std::to_string(rank) + " axes");
  bool keeps_order = true;  // every dim other than 1 keeps its relative order: a free reshape
  {
    const Value& h = ctx.input_as_is(n, 0);
    int64_t last = -1;
    for (size_t j = 0; j < perm.size(); ++j) {
      if (h.full_shape[static_cast<size_t>(perm[j])] == 1) continue;
      keeps_order = keeps_order && perm[j] >= last;
      last = perm[j];
    }
  }
  // NHWC -> NCHW ([0, R-1, 1, ..., R-2], what tf2onnx writes before a Conv) is absorbed even where it
  // would be a free reshape (one channel): the result is then held channels-last, as the Conv wants it.
  bool to_channels_first = ctx.map_ops && rank >= 3 && perm[1] == rank - 1 && perm[0] == 0;
  for (int64_t a = 2; to_channels_first && a < rank; ++a) to_channels_first = perm[static_cast<size_t>(a)] == a - 1;
  if (!keeps_order || to_channels_first || ctx.input_as_is(n, 0).layout) {
    // With the batch first and staying first, any permutation of the sample axes is a change of layout:
    // the data does not move (a later op that needs another order gets one IR Transpose).
    const Value& h = ctx.input_as_is(n, 0);
    if (h.batch_axis == 0 && perm[0] == 0 && rank >= 2) {
      const ir::Shape s = sample_shape(h);
      // The held data as a layout (plain data: the sample in row-major order, the identity permutation).
      ir::ModelLayout base{s, {}, s};
      if (h.layout) base = *h.layout;
      else for (size_t a = 0; a < s.size(); ++a) base.perm.push_back(static_cast<int64_t>(a));
      // Composable when the sample is the transposed view (no reshape in between changed its shape).
      ir::Shape moved;
      for (int64_t a : base.perm) moved.push_back(base.view[static_cast<size_t>(a)]);
      if (moved == s) {
        ir::ModelLayout l{base.view, {}, {}};
        for (size_t j = 1; j < perm.size(); ++j) {
          l.perm.push_back(base.perm[static_cast<size_t>(perm[j] - 1)]);
          l.model_shape.push_back(s[static_cast<size_t>(perm[j] - 1)]);
        }
        Value out = h;
        out.full_shape = {1};
        out.full_shape.insert(out.full_shape.end(), l.model_shape.begin(), l.model_shape.end());
        bool identity = ctx.graph.tensor(h.id).shape == l.model_shape;
        for (size_t a = 0; a < l.perm.size(); ++a) identity = identity && l.perm[a] == static_cast<int64_t>(a);
        if (identity) out.layout.reset();
        else out.layout = l;
        ctx.alias_output(n, 0, out);
        return;
      }
    }
  }
  const Value& x = ctx.act_input(n, 0, "the data");
  std::vector<int64_t> out(static_cast<size_t>(rank));
  int out_batch = 0;
  int64_t last_moved = -1;
  for (size_t j = 0; j < perm.size(); ++j) {
    const auto src = static_cast<size_t>(perm[j]);
    out[j] = x.full_shape[src];
    if (static_cast<int>(src) == x.batch_axis) out_batch = static_cast<int>(j);
    if (out[j] == 1) continue;
    if (perm[j] < last_moved)
      ctx.fail(n, "perm " + shape_str(perm) + " reorders the data of shape " + shape_str(x.full_shape),
               "only transposes that keep the row-major order are supported (e.g. [1,N] -> [N,1]); a "
               "channels-first/channels-last conversion is not");
    last_moved = perm[j];
  }
  ctx.reshape_or_alias(n, 0, x, out, out_batch);
}

// Maps held channels-last concatenated on their channels (ONNX axis 1): an IR Concat on the last axis, the
// result held channels-last too (no Transposes around it).
bool concat_channels_last(Context& ctx, const OnnxNode& n) {
  const Value& first = ctx.input_as_is(n, 0);
  if (first.is_const || !is_channels_last(ctx.graph, first)) return false;
  const auto rank = static_cast<int64_t>(first.full_shape.size());
  int64_t axis = ctx.attr_int(n, "axis", 1);
  if (axis < 0) axis += rank;
  if (axis != 1) return false;
  std::vector<int64_t> full = first.full_shape;
  full[1] = 0;
  std::vector<ir::TensorId> ids;
  for (int i = 0; i < n.proto.input_size(); ++i) {
    const Value& v = ctx.input_as_is(n, i);
    if (v.is_const || !is_channels_last(ctx.graph, v) || v.full_shape.size() != first.full_shape.size()) return false;
    for (size_t k = 2; k < full.size(); ++k)
      if (v.full_shape[k] != first.full_shape[k]) return false;
    full[1] += v.full_shape[1];
    ids.push_back(v.id);
  }
  const ir::ModelLayout cl = channels_last_layout(ir::Shape(full.begin() + 1, full.end()));
  const ir::TensorId y = ctx.add_activation_held(n, 0, full, 0, cl, cl.view);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Concat);
  node.inputs = ids;
  node.outputs = {y};
  node.attrs["axis"] = static_cast<int64_t>(cl.view.size()) - 1;
  return true;
}

void convert_concat(Context& ctx, const OnnxNode& n) {
  if (n.proto.input_size() < 1) ctx.fail(n, "has no inputs");
  if (fold_constant_concat(ctx, n)) return;
  if (concat_channels_last(ctx, n)) return;
  const Value& first = ctx.act_input(n, 0, "input 0");
  const auto rank = static_cast<int64_t>(first.full_shape.size());
  const auto attr = ctx.attr(n, "axis");
  if (!attr && ctx.opset >= 4) ctx.fail(n, "attribute 'axis' is missing");
  const int64_t axis = normalize_axis(ctx, n, ctx.attr_int(n, "axis", 1), rank, false);  // opset < 4: default 1
  if (axis == 0) ctx.fail(n, "concatenation along the batch axis is not supported");
  std::vector<int64_t> out = first.full_shape;
  out[static_cast<size_t>(axis)] = 0;
  std::vector<ir::TensorId> ids;
  for (int i = 0; i < n.proto.input_size(); ++i) {
    const Value& v = ctx.act_input(n, i, "input " + std::to_string(i));
    require_batch_first(ctx, n, v);
    bool same = v.full_shape.size() == first.full_shape.size();
    for (size_t k = 0; same && k < out.size(); ++k)
      same = static_cast<int64_t>(k) == axis || v.full_shape[k] == first.full_shape[k];
    if (!same)
      ctx.fail(n, "input '" + n.proto.input(i) + "' of shape " + shape_str(v.full_shape) +
                      " does not match " + shape_str(first.full_shape) + " outside axis " + std::to_string(axis));
    out[static_cast<size_t>(axis)] += v.full_shape[static_cast<size_t>(axis)];
    ids.push_back(v.id);
  }
  const ir::TensorId y = ctx.add_activation(n, 0, out);
  ir::Node& node = ctx.add_node(n, ir::OpKind::Concat);
  node.inputs = ids;
  node.outputs = {y};
  node.attrs["axis"] = axis - 1;  // per-sample axis
}

void convert_constant(Context& ctx, const OnnxNode& n) {
  if (n.proto.attribute_size() != 1) ctx.fail(n, "must have exactly one value attribute");
  const auto& a = n.proto.attribute(0);
  Value v;
  v.is_const = true;
  if (a.name() == "value") {
    if (!a.has_t()) ctx.fail(n, "attribute 'value' holds no tensor");
    v = read_tensor(a.t(), n.where);
  } else if (a.name() == "value_float") {
    v.values = {static_cast<double>(a.f())};
  } else if (a.name() == "value_int") {
    v.values = {static_cast<double>(a.i())};
  } else if (a.name() == "value_floats") {
    for (float f : a.floats()) v.values.push_back(f);
    v.full_shape = {static_cast<int64_t>(v.values.size())};
  } else if (a.name() == "value_ints") {
    for (int64_t i : a.ints()) v.values.push_back(static_cast<double>(i));
    v.full_shape = {static_cast<int64_t>(v.values.size())};
  } else {
    ctx.fail(n, "constant attribute '" + a.name() + "' is not supported", "use a dense float or integer tensor");
  }
  ctx.alias_output(n, 0, v);
}

}  // namespace firmnet::frontends::onnx_detail
