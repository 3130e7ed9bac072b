// EmitContext, the helpers every emitter uses, and the dispatch over op kinds.
#include <fmt/format.h>

#include "backends/vitis/code_writer.h"
#include "backends/vitis/emit.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

EmitContext::EmitContext(const ir::Graph& g) : g_(g) {}

const std::string& EmitContext::var(ir::TensorId id) const { return tensor_names_.at(id).first; }
const std::string& EmitContext::type_name(ir::TensorId id) const { return tensor_names_.at(id).second; }

const numeric::FixedType& EmitContext::type(ir::TensorId id) const {
  const ir::Tensor& t = g_.tensor(id);
  if (!t.type)
    throw Error("tensor '" + t.name + "'", "has no fixed-point type",
                "run the type-resolution passes before writing the HLS project");
  return *t.type;
}

void EmitContext::set_tensor_names(ir::TensorId id, std::string var, std::string type_name) {
  tensor_names_[id] = {std::move(var), std::move(type_name)};
}

const ir::Tensor& EmitContext::tensor(ir::TensorId id) const {
  const auto it = views_.find(id);
  return it == views_.end() ? g_.tensor(id) : it->second;
}

void EmitContext::set_row_view(const ir::Node& n) {
  views_.clear();
  auto view = [&](ir::TensorId id) {
    ir::Tensor t = g_.tensor(id);
    for (size_t d = 0; d + 1 < t.shape.size(); ++d) t.shape[d] = 1;
    views_[id] = std::move(t);
  };
  for (ir::TensorId id : n.inputs) view(id);
  for (ir::TensorId id : n.outputs) view(id);
}

std::string EmitContext::where(const ir::Node& n) { return fmt::format("layer '{}' ({})", n.name, ir::name(n.kind)); }

const ir::Tensor& input_tensor(const EmitContext& ctx, const ir::Node& n, size_t k) {
  if (n.inputs.size() <= k)
    throw Error(EmitContext::where(n), fmt::format("has {} inputs, input {} is required", n.inputs.size(), k));
  return ctx.tensor(n.inputs[k]);
}

const ir::Tensor& output_tensor(const EmitContext& ctx, const ir::Node& n) {
  if (n.outputs.size() != 1)
    throw Error(EmitContext::where(n), fmt::format("has {} outputs; the HLS backend supports exactly one",
                                                   n.outputs.size()));
  return ctx.tensor(n.outputs[0]);
}

std::string add_type(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& role,
                     const numeric::FixedType& t, const std::string& alias) {
  t.validate(EmitContext::where(n) + " type '" + role + "'");
  std::string name = ctx.names().claim(n.name + "_" + role + "_t");
  code.typedefs.push_back({name, t, fmt::format("{} {}", n.name, role)});
  if (!alias.empty()) code.value(fmt::format("typedef {} {};", name, alias));
  if (!code.types_comment.empty()) code.types_comment += ", ";
  code.types_comment += role + " " + t.str();
  return name;
}

std::string internal_type(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& key) {
  auto it = n.types.find(key);
  if (it == n.types.end())
    throw Error(EmitContext::where(n), "has no '" + key + "' type",
                "run passes/infer_precision (or set the precision '" + key + "' in the configuration)");
  return add_type(ctx, n, code, key, it->second, key + "_t");
}

std::string param_array(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& key,
                        const std::string& alias, const std::vector<int64_t>& expected) {
  const ir::Tensor& t = ctx.graph().tensor(n.param(key));
  const numeric::FixedType& type = ctx.type(n.param(key));
  if (t.raw.size() != static_cast<size_t>(t.size()))
    throw Error(EmitContext::where(n),
                fmt::format("parameter '{}' (tensor '{}') holds {} quantized values for shape {}", key, t.name,
                            t.raw.size(), ir::to_string(t.shape)),
                "run passes/quantize_constants before writing the HLS project");
  if (!expected.empty()) {
    bool ok = false;
    for (int64_t e : expected) ok = ok || e == t.size();
    if (!ok) {
      std::string sizes;
      for (int64_t e : expected) sizes += (sizes.empty() ? "" : " or ") + std::to_string(e);
      throw Error(EmitContext::where(n),
                  fmt::format("parameter '{}' has {} values, expected {}", key, t.size(), sizes));
    }
  }
  std::string type_name = add_type(ctx, n, code, key, type, alias);
  std::string name = ctx.names().claim(n.name + "_" + key);
  code.arrays.push_back({name, type_name, type, t.raw,
                         fmt::format("{} '{}': {} {} from model constant '{}'", ir::name(n.kind), n.name, key,
                                     ir::to_string(t.shape), t.name)});
  return name;
}

std::string table_array(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& role,
                        const std::string& prefix) {
  auto spec = n.tables.find(role);
  auto data = n.table_data.find(role);
  if (spec == n.tables.end() || data == n.table_data.end())
    throw Error(EmitContext::where(n), "lookup table '" + role + "' is missing",
                "run passes/build_tables before writing the HLS project");
  const numeric::TableSpec& s = spec->second;
  const int64_t entries = n.table_entries(role);
  if (static_cast<int64_t>(data->second.size()) != entries)
    throw Error(EmitContext::where(n), fmt::format("table '{}' holds {} entries, its spec says {}", role,
                                                   data->second.size(), entries));
  if (s.log2_size < 0 || s.log2_size > 24)
    throw Error(EmitContext::where(n), fmt::format("table '{}' has 2^{} entries", role, s.log2_size),
                "use a table size between 1 and 2^24");
  std::string role_name = role == "table" ? "table" : role + "_table";
  std::string type_name = add_type(ctx, n, code, role_name, s.entry, prefix + "table_t");
  code.uint(prefix + "table_size", entries);
  code.value(fmt::format("static const int {}table_log2_step = {};", prefix, s.log2_step));
  code.value(fmt::format("static const long long {}table_offset = {};", prefix, s.offset));
  std::string name = ctx.names().claim(n.name + "_" + role_name);
  code.arrays.push_back({name, type_name, s.entry, data->second,
                         fmt::format("{} '{}': table '{}', {} entries from {} in steps of 2^{}", ir::name(n.kind),
                                     n.name, role, entries, s.lo(), s.log2_step)});
  return name;
}

void begin_config(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& base,
                  const std::string& header) {
  code.config_name = ctx.names().claim("config_" + n.name);
  code.config_base = base;
  code.kernel_header = header;
}

void comment_layer(CodeWriter& w, const EmitContext& ctx, const ir::Node& n, const std::string& types_comment) {
  const ir::Graph& g = ctx.graph();
  const ir::TensorId y = n.outputs.at(0);
  std::string ins;
  for (ir::TensorId id : n.inputs)
    ins += fmt::format("{}{} {} {}", ins.empty() ? "" : ", ", ctx.var(id), ctx.type(id).str(),
                       ir::to_string(g.tensor(id).shape));
  w.comment(fmt::format("{} ({}){}", n.name, ir::name(n.kind), n.source.empty() ? "" : " from " + n.source));
  w.comment(fmt::format("  {} -> {} {} {}{}", ins, ctx.var(y), ctx.type(y).str(), ir::to_string(g.tensor(y).shape),
                        types_comment.empty() ? "" : "; " + types_comment));
}

std::string kernel_call(const EmitContext& ctx, const ir::Node& n, const LayerCode& code, const std::string& kernel) {
  return fmt::format("firmnet_hls::{}<{}, {}, {}>(", kernel, ctx.type_name(n.inputs.at(0)),
                     ctx.type_name(n.outputs.at(0)), code.config_name);
}

bool emit_layer(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  switch (n.kind) {
    case ir::OpKind::Input:  // a graph input; with an input tensor it converts that input to its own type
      if (n.inputs.empty()) return false;
      emit_reshape(ctx, n, code);
      return true;
    case ir::OpKind::Dense: emit_dense(ctx, n, code); return true;
    case ir::OpKind::BatchNorm: emit_batchnorm(ctx, n, code); return true;
    case ir::OpKind::Activation: emit_activation(ctx, n, code); return true;
    case ir::OpKind::Softmax: emit_softmax(ctx, n, code); return true;
    case ir::OpKind::Elementwise: emit_elementwise(ctx, n, code); return true;
    case ir::OpKind::Reshape: emit_reshape(ctx, n, code); return true;
    case ir::OpKind::Concat: emit_concat(ctx, n, code); return true;
    case ir::OpKind::MultiThreshold: emit_multithreshold(ctx, n, code); return true;
    case ir::OpKind::Rescale: emit_rescale(ctx, n, code); return true;
    case ir::OpKind::ArgMax: emit_argmax(ctx, n, code); return true;
    case ir::OpKind::Quantize: emit_quantize(ctx, n, code); return true;
    case ir::OpKind::Conv: emit_conv(ctx, n, code); return true;
    case ir::OpKind::Pool: emit_pool(ctx, n, code); return true;
    case ir::OpKind::Transpose: emit_transpose(ctx, n, code); return true;
    case ir::OpKind::Upsample: emit_upsample(ctx, n, code); return true;
    case ir::OpKind::Slice: emit_slice(ctx, n, code); return true;
    case ir::OpKind::Recurrent: emit_recurrent(ctx, n, code); return true;
    case ir::OpKind::GarNet: emit_garnet(ctx, n, code); return true;
  }
  throw Error(EmitContext::where(n), "unknown op kind");
}

}  // namespace firmnet::backends::vitis
