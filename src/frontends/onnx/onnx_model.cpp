// ONNX protobuf reading for the frontend: tensors, shapes, broadcasting, names, attributes, and the
// Context that the op converters build the IR through.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "frontends/onnx/onnx_context.h"
#include "support/checked.h"

namespace firmnet::frontends::onnx_detail {

std::string shape_str(const std::vector<int64_t>& s) { return support::shape_string(s); }

ir::Shape sample_shape(const Value& v) {
  ir::Shape s;
  for (size_t i = 0; i < v.full_shape.size(); ++i)
    if (static_cast<int>(i) != v.batch_axis) s.push_back(v.full_shape[i]);
  return s;
}

int64_t checked_elements(const std::vector<int64_t>& dims, const std::string& where, const std::string& what) {
  for (int64_t d : dims)
    if (d < 0) throw Error(where, what + " has a negative dimension in shape " + shape_str(dims));
  const auto n = support::checked_elements(dims, kMaxElements);
  if (!n)
    throw Error(where, what + " of shape " + shape_str(dims) + " is too large (more than " +
                           std::to_string(kMaxElements) + " elements)",
                "firmnet targets FPGA-sized networks; check the exported shapes");
  return *n;
}

std::optional<std::vector<int64_t>> broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  const size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t k = 0; k < rank; ++k) {
    // Align from the right, as numpy does.
    const int64_t da = k < rank - a.size() ? 1 : a[k - (rank - a.size())];
    const int64_t db = k < rank - b.size() ? 1 : b[k - (rank - b.size())];
    if (da != db && da != 1 && db != 1) return std::nullopt;
    out[k] = da == 1 ? db : da;
  }
  return out;
}

std::vector<double> broadcast_values(const std::vector<double>& values, const std::vector<int64_t>& from,
                                     const std::vector<int64_t>& to) {
  const size_t rank = to.size();
  const size_t pad = rank - from.size();
  int64_t total = 1;
  for (int64_t d : to) total *= d;
  // Strides of `from` aligned to `to`; 0 on broadcast dims.
  std::vector<int64_t> stride(rank, 0);
  int64_t s = 1;
  for (size_t k = rank; k-- > pad;) {
    const int64_t d = from[k - pad];
    stride[k] = d == 1 ? 0 : s;
    s *= d;
  }
  std::vector<double> out(static_cast<size_t>(total));
  std::vector<int64_t> idx(rank, 0);
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t src = 0;
    for (size_t k = 0; k < rank; ++k) src += idx[k] * stride[k];
    out[static_cast<size_t>(flat)] = values[static_cast<size_t>(src)];
    for (size_t k = rank; k-- > 0;) {  // odometer increment
      if (++idx[k] < to[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

namespace {
template <class T>
void append_raw(const std::string& raw, int64_t n, std::vector<double>& out) {
  static_assert(std::endian::native == std::endian::little, "raw_data is little-endian");
  out.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, raw.data() + i * static_cast<int64_t>(sizeof(T)), sizeof(T));
    out[static_cast<size_t>(i)] = static_cast<double>(v);
  }
}

template <class Field>
void append_field(const Field& f, std::vector<double>& out) {
  out.reserve(static_cast<size_t>(f.size()));
  for (const auto& v : f) out.push_back(static_cast<double>(v));
}
}  // namespace

Value read_tensor(const onnx::TensorProto& t, const std::string& where) {
  const std::string what = "tensor '" + t.name() + "'";
  if (t.data_location() == onnx::TensorProto::EXTERNAL)
    throw Error(where, what + " stores its data in an external file, which is not supported",
                "re-export the model with the weights embedded (onnx.save(..., save_as_external_data=False))");
  if (t.has_segment()) throw Error(where, what + " is segmented, which is not supported");
  Value v;
  v.is_const = true;
  v.full_shape.assign(t.dims().begin(), t.dims().end());
  const int64_t n = checked_elements(v.full_shape, where, what);
  const auto type = t.data_type();
  size_t elem = 0;
  switch (type) {
    case onnx::TensorProto::FLOAT: elem = 4; break;
    case onnx::TensorProto::DOUBLE: elem = 8; break;
    case onnx::TensorProto::INT64: elem = 8; break;
    case onnx::TensorProto::INT32: elem = 4; break;
    default: {
      const std::string tn = onnx::TensorProto::DataType_IsValid(type)
                                 ? onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(type))
                                 : std::to_string(type);
      throw Error(where, what + " has data type " + tn + ", which is not supported",
                  "constants must be float32, float64, int32 or int64");
    }
  }
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    const int64_t expected = *support::checked_mul(n, static_cast<int64_t>(elem));  // n <= kMaxElements
    if (raw.size() != static_cast<size_t>(expected))
      throw Error(where, what + " of shape " + shape_str(v.full_shape) + " has " + std::to_string(raw.size()) +
                             " bytes of raw data, expected " + std::to_string(expected),
                  "the model file is corrupt or truncated");
    switch (type) {
      case onnx::TensorProto::FLOAT: append_raw<float>(raw, n, v.values); break;
      case onnx::TensorProto::DOUBLE: append_raw<double>(raw, n, v.values); break;
      case onnx::TensorProto::INT64: append_raw<int64_t>(raw, n, v.values); break;
      default: append_raw<int32_t>(raw, n, v.values); break;
    }
  } else {
    switch (type) {
      case onnx::TensorProto::FLOAT: append_field(t.float_data(), v.values); break;
      case onnx::TensorProto::DOUBLE: append_field(t.double_data(), v.values); break;
      case onnx::TensorProto::INT64: append_field(t.int64_data(), v.values); break;
      default: append_field(t.int32_data(), v.values); break;
    }
    if (static_cast<int64_t>(v.values.size()) != n)
      throw Error(where, what + " of shape " + shape_str(v.full_shape) + " holds " +
                             std::to_string(v.values.size()) + " values, expected " + std::to_string(n),
                  "the model file is corrupt or truncated");
  }
  return v;
}

// --- Names ---------------------------------------------------------------------------------------

namespace {
bool is_cpp_keyword(const std::string& s) {
  static const std::set<std::string> kKeywords = {
      "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case",
      "catch", "char", "char8_t", "char16_t", "char32_t", "class", "compl", "concept", "const", "consteval",
      "constexpr", "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype",
      "default", "delete", "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern",
      "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new",
      "noexcept", "not", "not_eq", "nullptr", "operator", "or", "or_eq", "private", "protected", "public",
      "register", "reinterpret_cast", "requires", "return", "short", "signed", "sizeof", "static",
      "static_assert", "static_cast", "struct", "switch", "template", "this", "thread_local", "throw", "true",
      "try", "typedef", "typeid", "typename", "union", "unsigned", "using", "virtual", "void", "volatile",
      "wchar_t", "while", "xor", "xor_eq"};
  return kKeywords.count(s) != 0;
}
bool is_ident_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
}  // namespace

std::string legalize_identifier(const std::string& raw, const std::string& prefix) {
  // Illegal characters become '_'; runs of '_' collapse and leading/trailing '_' go, because "__" and a
  // leading "_" are reserved identifiers in C++ ("/fc1/Gemm" -> "fc1_Gemm").
  std::string s;
  for (char c : raw) {
    const char o = is_ident_char(c) ? c : '_';
    if (o == '_' && (s.empty() || s.back() == '_')) continue;
    s += o;
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  if (s.empty()) return s;
  if ((s[0] >= '0' && s[0] <= '9') || is_cpp_keyword(s)) s = prefix + s;
  return s;
}

std::string NameTable::make(const std::string& raw, const std::string& fallback, const std::string& prefix) {
  std::string base = legalize_identifier(raw, prefix);
  if (base.empty()) base = legalize_identifier(fallback, prefix);
  if (base.empty()) base = "layer";
  std::string name = base;
  for (int k = 2; used_.count(name); ++k) name = base + "_" + std::to_string(k);
  used_.insert(name);
  return name;
}

// --- Context -------------------------------------------------------------------------------------

Context::Context(ir::Graph& g, std::vector<Warning>& w, int64_t opset_, std::string model_name_)
    : graph(g), warnings(w), opset(opset_), model_name(std::move(model_name_)) {}

void Context::fail(const OnnxNode& n, const std::string& what, const std::string& hint) const {
  throw Error(n.where, what, hint);
}

void Context::warn(const OnnxNode& n, const std::string& what) { warnings.push_back({n.where, what}); }

bool Context::has_input(const OnnxNode& n, int i) const {
  return i >= 0 && i < n.proto.input_size() && !n.proto.input(i).empty();
}

const Value* Context::find(const std::string& onnx_name) const {
  auto it = values_.find(onnx_name);
  return it == values_.end() ? nullptr : &it->second;
}

const Value& Context::input(const OnnxNode& n, int i) {
  const Value& v = input_as_is(n, i);
  if (!v.layout) return v;
  const std::string& name = n.proto.input(i);
  auto it = plain_.find(name);
  if (it != plain_.end()) return it->second;
  // IR data -> reshape to the view -> transpose by perm -> the ONNX sample shape.
  const ir::ModelLayout& l = *v.layout;
  ir::TensorId t = v.id;
  if (graph.tensor(t).shape != l.view) t = add_internal_node(n, ir::OpKind::Reshape, t, l.view, "_view");
  ir::Shape moved;
  for (int64_t a : l.perm) moved.push_back(l.view[static_cast<size_t>(a)]);
  t = add_internal_node(n, ir::OpKind::Transpose, t, moved, "_to_model_order");
  graph.nodes.back().attrs["perm"] = l.perm;
  const ir::Shape sample = sample_shape(v);
  if (moved != sample) t = add_internal_node(n, ir::OpKind::Reshape, t, sample, "_model_shape");
  Value p = v;
  p.layout.reset();
  p.id = t;
  return plain_.emplace(name, std::move(p)).first->second;
}

ir::TensorId Context::channels_last_input(const OnnxNode& n, int i, const std::string& role) {
  const Value& v = input_as_is(n, i);
  if (v.is_const) fail(n, role + " (input '" + n.proto.input(i) + "') is a constant; expected a data tensor");
  if (v.batch_axis != 0) fail(n, role + " has its batch dimension at axis " + std::to_string(v.batch_axis));
  const ir::Shape s = sample_shape(v);
  if (s.size() < 2 || s.size() > 3)
    fail(n, role + " of shape " + shape_str(v.full_shape) + " is not a 1-D or 2-D map [N, C, W] / [N, C, H, W]");
  if (is_channels_last(graph, v)) return v.id;
  const Value& p = input(n, i);
  const ir::ModelLayout cl = channels_last_layout(s);
  std::vector<int64_t> perm;  // CL axis b reads sample axis: spatial axes 1.., then the channels
  for (size_t a = 1; a < s.size(); ++a) perm.push_back(static_cast<int64_t>(a));
  perm.push_back(0);
  const ir::TensorId t = add_internal_node(n, ir::OpKind::Transpose, p.id, cl.view, "_channels_last");
  graph.nodes.back().attrs["perm"] = perm;
  return t;
}

ir::TensorId Context::add_internal_node(const OnnxNode& n, ir::OpKind kind, ir::TensorId in, ir::Shape shape,
                                        const std::string& suffix) {
  const std::string base = (n.proto.name().empty() ? n.op() + "_" + std::to_string(n.index) : n.proto.name()) + suffix;
  ir::Tensor t;
  t.name = tensor_names.make(base, "t", "t_");
  t.shape = std::move(shape);
  const ir::TensorId id = graph.add_tensor(std::move(t));
  ir::Node node;
  node.name = node_names.make(base, "node");
  node.source = n.source + " (layout)";
  node.kind = kind;
  node.inputs = {in};
  node.outputs = {id};
  graph.add_node(std::move(node));
  return id;
}

ir::TensorId Context::add_activation_like(const OnnxNode& n, int i, const Value& like) {
  return add_activation_held(n, i, like.full_shape, like.batch_axis, like.layout, graph.tensor(like.id).shape);
}

ir::TensorId Context::add_activation_held(const OnnxNode& n, int i, std::vector<int64_t> full_shape, int batch_axis,
                                          std::optional<ir::ModelLayout> layout, ir::Shape ir_shape) {
  const std::string& onnx_name = output_name(n, i);
  Value v;
  v.full_shape = std::move(full_shape);
  v.batch_axis = batch_axis;
  v.layout = std::move(layout);
  ir::Tensor t;
  t.name = tensor_names.make(onnx_name, "t", "t_");
  t.shape = std::move(ir_shape);
  v.id = graph.add_tensor(std::move(t));
  const ir::TensorId id = v.id;
  define(onnx_name, std::move(v), n.where);
  return id;
}

ir::ModelLayout channels_last_layout(const ir::Shape& s) {
  ir::ModelLayout l;
  l.view.assign(s.begin() + 1, s.end());
  l.view.push_back(s[0]);
  l.perm.push_back(static_cast<int64_t>(s.size()) - 1);
  for (size_t a = 0; a + 1 < s.size(); ++a) l.perm.push_back(static_cast<int64_t>(a));
  l.model_shape = s;
  return l;
}

bool is_channels_last(const ir::Graph& g, const Value& v) {
  if (!v.layout || v.is_const) return false;
  const ir::Shape s = sample_shape(v);
  if (s.size() < 2) return false;
  const ir::ModelLayout cl = channels_last_layout(s);
  return v.layout->view == cl.view && v.layout->perm == cl.perm && g.tensor(v.id).shape == cl.view;
}

const Value& Context::input_as_is(const OnnxNode& n, int i) const {
  if (!has_input(n, i)) fail(n, "input " + std::to_string(i) + " is missing", "check the exported model");
  const std::string& name = n.proto.input(i);
  const Value* v = find(name);
  if (!v)
    fail(n, "input '" + name + "' is not a graph input, an initializer or the output of an earlier node",
         "the ONNX graph must be topologically sorted and complete");
  return *v;
}

const Value& Context::const_input(const OnnxNode& n, int i, const std::string& role) {
  const Value& v = input(n, i);
  if (!v.is_const)
    fail(n, role + " (input '" + n.proto.input(i) + "') must be a constant (initializer or Constant node)",
         "firmnet compiles weights into the firmware; fold the computation of '" + n.proto.input(i) +
             "' into a constant when exporting");
  return v;
}

const Value& Context::act_input(const OnnxNode& n, int i, const std::string& role) {
  const Value& v = input(n, i);
  if (v.is_const)
    fail(n, role + " (input '" + n.proto.input(i) + "') is a constant; expected a data tensor",
         "constant-only subgraphs are not supported here; fold them when exporting");
  return v;
}

void Context::define(const std::string& onnx_name, Value v, const std::string& where) {
  if (onnx_name.empty()) return;  // an omitted optional output
  if (!values_.emplace(onnx_name, std::move(v)).second)
    throw Error(where, "tensor '" + onnx_name + "' is defined twice", "ONNX graphs are in SSA form; the model is invalid");
}

const std::string& Context::output_name(const OnnxNode& n, int i) const {
  if (i < 0 || i >= n.proto.output_size() || n.proto.output(i).empty())
    fail(n, "output " + std::to_string(i) + " is missing", "check the exported model");
  return n.proto.output(i);
}

void Context::alias_output(const OnnxNode& n, int i, const Value& v) {
  Value copy = v;  // `v` may live in values_, which define() may rehash
  define(output_name(n, i), std::move(copy), n.where);
}

ir::TensorId Context::add_activation(const OnnxNode& n, int i, std::vector<int64_t> full_shape, int batch_axis) {
  const std::string& onnx_name = output_name(n, i);
  Value v;
  v.full_shape = std::move(full_shape);
  v.batch_axis = batch_axis;
  const ir::Shape shape = sample_shape(v);
  checked_elements(shape, n.where, "output '" + onnx_name + "'");
  for (int64_t d : shape)
    if (d <= 0) fail(n, "output '" + onnx_name + "' would have the empty shape " + shape_str(shape));
  ir::Tensor t;
  t.name = tensor_names.make(onnx_name, "t", "t_");
  t.shape = shape;
  v.id = graph.add_tensor(std::move(t));
  const ir::TensorId id = v.id;
  define(onnx_name, std::move(v), n.where);
  return id;
}

ir::TensorId Context::add_constant(const std::string& node_name, const std::string& role, ir::Shape shape,
                                   std::vector<double> values) {
  for (double x : values)
    if (!std::isfinite(x))
      throw Error("node '" + node_name + "'", "parameter '" + role + "' holds a non-finite value (" +
                                                  std::to_string(x) + ")",
                  "check the trained model for NaN/Inf weights");
  ir::Tensor t;
  t.name = tensor_names.make(node_name + "_" + role, "c", "t_");
  t.shape = std::move(shape);
  t.kind = ir::TensorKind::Constant;
  t.values = std::move(values);
  return graph.add_tensor(std::move(t));
}

ir::Node& Context::add_node(const OnnxNode& n, ir::OpKind kind) {
  ir::Node node;
  node.name = node_names.make(n.proto.name(), n.op() + "_" + std::to_string(n.index));
  if (!n.proto.name().empty()) node.aliases.push_back(n.proto.name());
  node.source = n.source;
  node.kind = kind;
  return graph.add_node(std::move(node));
}

void Context::reshape_or_alias(const OnnxNode& n, int i, const Value& in, std::vector<int64_t> full_shape,
                               int batch_axis) {
  Value out;
  out.full_shape = std::move(full_shape);
  out.batch_axis = batch_axis;
  if (sample_shape(out) == sample_shape(in)) {
    out.id = in.id;
    alias_output(n, i, out);
    return;
  }
  const ir::TensorId src = in.id;
  const ir::TensorId dst = add_activation(n, i, out.full_shape, out.batch_axis);
  ir::Node& node = add_node(n, ir::OpKind::Reshape);
  node.inputs = {src};
  node.outputs = {dst};
}

// --- Attributes ----------------------------------------------------------------------------------

const onnx::AttributeProto* Context::attr(const OnnxNode& n, const std::string& name) const {
  for (const auto& a : n.proto.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

int64_t Context::attr_int(const OnnxNode& n, const std::string& name, int64_t def) const {
  const auto* a = attr(n, name);
  if (!a) return def;
  // Very old exporters leave `type` unset; accept the field that is present.
  if (a->type() == onnx::AttributeProto::INT || (a->type() == onnx::AttributeProto::UNDEFINED && a->has_i()))
    return a->i();
  fail(n, "attribute '" + name + "' must be an integer");
}

double Context::attr_float(const OnnxNode& n, const std::string& name, double def) const {
  const auto* a = attr(n, name);
  if (!a) return def;
  if (a->type() == onnx::AttributeProto::FLOAT || (a->type() == onnx::AttributeProto::UNDEFINED && a->has_f()))
    return static_cast<double>(a->f());
  fail(n, "attribute '" + name + "' must be a float");
}

std::optional<std::vector<int64_t>> Context::attr_ints(const OnnxNode& n, const std::string& name) const {
  const auto* a = attr(n, name);
  if (!a) return std::nullopt;
  if (a->type() == onnx::AttributeProto::INTS || a->type() == onnx::AttributeProto::UNDEFINED)
    return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  fail(n, "attribute '" + name + "' must be a list of integers");
}

}  // namespace firmnet::frontends::onnx_detail
