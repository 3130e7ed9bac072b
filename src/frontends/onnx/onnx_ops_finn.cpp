// FINN-ONNX: MultiThreshold (finn.custom_op.general), the graph input's quantization_annotation, and the
// standard ops a FINN-streamlined model adds around them: Squeeze/Unsqueeze (→ Reshape) and TopK with k = 1
// (→ ArgMax). The Mul/Add/Sub/Div scalings around a MultiThreshold are ordinary Elementwise nodes here;
// passes/fold_affine_into_threshold folds them into the thresholds.
#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "frontends/onnx/onnx_context.h"
#include "support/parse.h"

namespace firmnet::frontends::onnx_detail {

namespace {

std::vector<int64_t> axes_of(Context& ctx, const OnnxNode& n, int64_t rank) {
  std::vector<int64_t> axes;
  if (auto a = ctx.attr_ints(n, "axes")) {
    axes = *a;
  } else if (ctx.has_input(n, 1)) {  // opset 13: axes is an input
    for (double v : ctx.const_input(n, 1, "the axes").values) axes.push_back(static_cast<int64_t>(v));
  }
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) ctx.fail(n, fmt::format("axis {} is out of range for rank {}", a, rank));
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) ctx.fail(n, "axes contain a duplicate");
  return axes;
}

// FINN DataType names → firmnet types (the value set of the DataType, exactly); nullopt for a name that is
// not one of these. Numbers too long for an int are an Error naming `where` and the datatype.
std::optional<numeric::FixedType> finn_type(const std::string& dt, const std::string& where) {
  numeric::FixedType t;
  t.rounding = numeric::Rounding::RND_CONV;
  t.overflow = numeric::Overflow::SAT;
  const auto number = [&](const std::string& text, const char* role) {
    const auto v = support::parse_int<int>(text);
    if (!v)
      throw Error(where,
                  "the quantization annotation finn_datatype '" + dt + "' has the " + role + " " + text +
                      ", which is out of range",
                  "use a FINN datatype of at most 64 bits");
    return *v;
  };
  // Hand-written matching, not std::regex: libstdc++'s regex recurses once per character, and an
  // annotation is file input of any length.
  const auto digits = [](std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
  };
  const std::string_view v(dt);
  const size_t int_prefix = v.starts_with("UINT") ? 4 : v.starts_with("INT") ? 3 : 0;
  if (int_prefix && digits(v.substr(int_prefix))) {
    t.width = number(std::string(v.substr(int_prefix)), "width");
    t.int_bits = t.width;
    t.is_signed = int_prefix == 3;
  } else if (dt == "BIPOLAR") {  // -1, +1
    t.width = 2;
    t.int_bits = 2;
  } else if (dt == "BINARY") {  // 0, 1
    t.width = 1;
    t.int_bits = 1;
    t.is_signed = false;
  } else if (v.starts_with("FIXED<") && v.ends_with(">") && v.find(',') != std::string_view::npos) {
    // FIXED<W,I>: W digits, I an optional '-' and digits, spaces allowed after the comma.
    const std::string_view args = v.substr(6, v.size() - 7);
    const size_t comma = args.find(',');
    const std::string_view w = args.substr(0, comma);
    std::string_view i = args.substr(comma + 1);
    while (!i.empty() && (i.front() == ' ' || i.front() == '\t')) i.remove_prefix(1);
    if (!digits(w) || !digits(i.starts_with('-') ? i.substr(1) : i)) return std::nullopt;
    t.width = number(std::string(w), "width");
    t.int_bits = number(std::string(i), "integer bits");
  } else {
    return std::nullopt;
  }
  return t;
}

}  // namespace

void apply_input_annotations(Context& ctx, const onnx::GraphProto& g) {
  for (const auto& qa : g.quantization_annotation()) {
    const Value* v = ctx.find(qa.tensor_name());
    if (!v || v->is_const) continue;  // annotations of weights and intermediate tensors are informative only
    bool is_input = false;
    for (ir::TensorId id : ctx.graph.inputs) is_input = is_input || id == v->id;
    if (!is_input) continue;
    for (const auto& kv : qa.quant_parameter_tensor_names()) {
      if (kv.key() != "finn_datatype") continue;
      const std::string& dt = kv.value();
      const std::string where = ctx.model_name + ": graph input '" + qa.tensor_name() + "'";
      if (dt == "FLOAT32" || dt == "FLOAT16") continue;
      const auto t = finn_type(dt, where);
      if (!t) {
        ctx.warnings.push_back({where, "FINN datatype '" + dt + "' is not understood; the input keeps the configured precision"});
        continue;
      }
      try {
        t->validate("FINN datatype " + dt);
      } catch (const Error& e) {
        throw Error(where, e.message(), "use a FINN datatype of at most 64 bits");
      }
      ir::Tensor& tensor = ctx.graph.tensor(v->id);
      tensor.type = *t;
      tensor.origin = "FINN annotation " + dt;
    }
  }
}

// MultiThreshold(x, thresholds [C or 1, T]), attrs out_scale, out_bias, data_layout (FINN default NCHW:
// channels on ONNX axis 1), out_dtype (informative).
void convert_multithreshold(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.act_input(n, 0, "the data");
  const Value& th = ctx.const_input(n, 1, "the thresholds");
  if (x.batch_axis != 0) ctx.fail(n, "the data has its batch dimension at axis " + std::to_string(x.batch_axis));
  if (th.full_shape.size() != 2) ctx.fail(n, "thresholds of shape " + shape_str(th.full_shape) + " are not [C or 1, T]");
  const auto* layout_attr = ctx.attr(n, "data_layout");
  const std::string layout = layout_attr ? layout_attr->s() : "NCHW";
  const std::vector<int64_t>& s = x.full_shape;
  int64_t channels = 0;
  std::string ir_layout;
  if (layout == "NCHW" || layout == "NC") {
    if (s.size() < 2) ctx.fail(n, "data of shape " + shape_str(s) + " has no channel axis");
    channels = s[1];
    ir_layout = "NCHW";  // channel = first axis of a sample
  } else if (layout == "NHWC" || layout == "NWC") {
    channels = s.back();
    ir_layout = "NHWC";  // channel = last axis
  } else {
    ctx.fail(n, "data_layout '" + layout + "' is not supported", "use NCHW or NHWC");
  }
  const int64_t rows = th.full_shape[0], n_thr = th.full_shape[1];
  if (rows != 1 && rows != channels)
    ctx.fail(n, fmt::format("thresholds have {} rows for {} channels", rows, channels));
  if (n_thr < 1) ctx.fail(n, "there are no thresholds");
  if (s.size() == 2) ir_layout = "NHWC";  // [N, C]: the one axis is both first and last
  // The count does not depend on the order: sort each row ascending, as the IR expects.
  std::vector<double> thr = th.values;
  for (int64_t r = 0; r < rows; ++r) std::sort(thr.begin() + r * n_thr, thr.begin() + (r + 1) * n_thr);
  const double out_scale = ctx.attr_float(n, "out_scale", 1.0);
  const double out_bias = ctx.attr_float(n, "out_bias", 0.0);
  const auto* dt = ctx.attr(n, "out_dtype");

  const ir::TensorId in = x.id;
  const ir::TensorId y = ctx.add_activation(n, 0, x.full_shape, 0);
  ir::Node& node = ctx.add_node(n, ir::OpKind::MultiThreshold);
  node.inputs = {in};
  node.outputs = {y};
  node.attrs["out_scale"] = out_scale;
  node.attrs["out_bias"] = out_bias;
  node.attrs["data_layout"] = ir_layout;
  const std::string name = node.name;
  const ir::TensorId t = ctx.add_constant(name, "thresholds", {rows, n_thr}, std::move(thr));
  ctx.graph.nodes.back().params["thresholds"] = t;
  ctx.graph.tensor(y).origin = fmt::format("FINN MultiThreshold({} thresholds, out_scale {:g}, out_bias {:g}{})", n_thr,
                                           out_scale, out_bias, dt ? ", out_dtype " + dt->s() : std::string());
}

void convert_squeeze(Context& ctx, const OnnxNode& n) {
  if (fold_constant_reshape(ctx, n)) return;
  const Value& x = ctx.act_input(n, 0, "the data");
  const auto rank = static_cast<int64_t>(x.full_shape.size());
  std::vector<int64_t> axes = axes_of(ctx, n, rank);
  if (axes.empty())  // all dims of size 1 but the batch
    for (int64_t a = 0; a < rank; ++a)
      if (a != x.batch_axis && x.full_shape[static_cast<size_t>(a)] == 1) axes.push_back(a);
  std::vector<int64_t> shape;
  int batch = -1;
  for (int64_t a = 0; a < rank; ++a) {
    const bool drop = std::binary_search(axes.begin(), axes.end(), a);
    if (a == x.batch_axis) {
      if (drop) ctx.fail(n, "squeezing the batch dimension is not supported");
      batch = static_cast<int>(shape.size());
    }
    if (drop) {
      if (x.full_shape[static_cast<size_t>(a)] != 1)
        ctx.fail(n, fmt::format("axis {} of shape {} is not 1", a, shape_str(x.full_shape)));
      continue;
    }
    shape.push_back(x.full_shape[static_cast<size_t>(a)]);
  }
  ctx.reshape_or_alias(n, 0, x, shape, batch);
}

void convert_unsqueeze(Context& ctx, const OnnxNode& n) {
  if (fold_constant_reshape(ctx, n)) return;
  const Value& x = ctx.act_input(n, 0, "the data");
  const auto out_rank = static_cast<int64_t>(x.full_shape.size());
  std::vector<int64_t> raw;
  if (auto a = ctx.attr_ints(n, "axes")) raw = *a;
  else if (ctx.has_input(n, 1))
    for (double v : ctx.const_input(n, 1, "the axes").values) raw.push_back(static_cast<int64_t>(v));
  if (raw.empty()) ctx.fail(n, "Unsqueeze has no axes");
  const int64_t rank = out_rank + static_cast<int64_t>(raw.size());
  for (int64_t& a : raw) {
    if (a < -rank || a >= rank) ctx.fail(n, fmt::format("axis {} is out of range for rank {}", a, rank));
    if (a < 0) a += rank;
  }
  std::sort(raw.begin(), raw.end());
  std::vector<int64_t> shape;
  int batch = -1;
  size_t next = 0;
  for (int64_t a = 0; a < rank; ++a) {
    if (std::binary_search(raw.begin(), raw.end(), a)) {
      shape.push_back(1);
      continue;
    }
    if (static_cast<int>(next) == x.batch_axis) batch = static_cast<int>(shape.size());
    shape.push_back(x.full_shape[next++]);
  }
  ctx.reshape_or_alias(n, 0, x, shape, batch);
}

// TopK(X, K) with K = 1 on the last axis, largest: the indices output is the arg-max (ONNX orders equal
// values by index, so the first maximum); the values output must be unused.
void convert_topk(Context& ctx, const OnnxNode& n) {
  const Value& x = ctx.act_input(n, 0, "the data");
  std::optional<double> k;
  if (ctx.has_input(n, 1)) {
    const Value& kv = ctx.const_input(n, 1, "K");
    if (kv.values.size() == 1) k = kv.values[0];
  } else if (ctx.attr(n, "k")) {
    k = static_cast<double>(ctx.attr_int(n, "k", 1));
  }
  if (!k || *k != 1) ctx.fail(n, "only K = 1 (arg-max) is supported", "export an ArgMax or TopK with k = 1");
  const auto rank = static_cast<int64_t>(x.full_shape.size());
  int64_t axis = ctx.attr_int(n, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis != rank - 1 || axis == x.batch_axis) ctx.fail(n, "only TopK over the last (non-batch) axis is supported");
  if (ctx.attr_int(n, "largest", 1) != 1) ctx.fail(n, "largest=0 (arg-min) is not supported");
  if (n.proto.output_size() > 0 && !n.proto.output(0).empty() && ctx.uses[n.proto.output(0)] > 0)
    ctx.fail(n, "the values output '" + n.proto.output(0) + "' is used; only the indices (arg-max) are supported");
  if (n.proto.output_size() < 2 || n.proto.output(1).empty()) ctx.fail(n, "the indices output is missing");
  std::vector<int64_t> out_shape = x.full_shape;
  out_shape.back() = 1;
  const ir::TensorId in = x.id;
  // The ArgMax writes output 1 (indices).
  Value out;
  out.full_shape = out_shape;
  out.batch_axis = x.batch_axis;
  ir::Tensor t;
  t.name = ctx.tensor_names.make(n.proto.output(1), "t", "t_");
  t.shape = sample_shape(out);
  out.id = ctx.graph.add_tensor(std::move(t));
  const ir::TensorId y = out.id;
  ctx.define(n.proto.output(1), std::move(out), n.where);
  ir::Node& node = ctx.add_node(n, ir::OpKind::ArgMax);
  node.inputs = {in};
  node.outputs = {y};
}

}  // namespace firmnet::frontends::onnx_detail
