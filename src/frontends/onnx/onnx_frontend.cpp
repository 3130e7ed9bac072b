// load_onnx / load_onnx_bytes: file reading, protobuf parsing, opset checks, graph inputs and outputs, and
// the walk over the nodes that hands each one to its converter (onnx_op_table.cpp).
#include "frontends/onnx/onnx_frontend.h"

#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "frontends/onnx/onnx_context.h"

namespace firmnet::frontends {

namespace {
using namespace onnx_detail;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

std::string domain_family(const std::string& d) {
  if (d.find("brevitas") != std::string::npos || d.find("qonnx") != std::string::npos) return " (QONNX)";
  if (d.find("finn") != std::string::npos) return " (FINN)";
  if (d == "ai.onnx.ml") return " (ONNX-ML)";
  return "";
}

int64_t default_opset(const onnx::ModelProto& model, const std::string& file) {
  for (const auto& o : model.opset_import())
    if (is_default_domain(o.domain())) {
      const int64_t v = o.version();
      if (v < kMinOpset || v > kMaxOpset)
        throw Error(file, "uses ONNX opset " + std::to_string(v) + ", which is not supported",
                    "supported opsets are " + std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
                        "; convert the model with onnx.version_converter.convert_version");
      return v;
    }
  throw Error(file, "declares no opset for the default ONNX domain",
              "the model is invalid or truncated; re-export it");
}

std::string node_where(const onnx::NodeProto& n, int index) {
  return (n.name().empty() ? "node #" + std::to_string(index) : "node '" + n.name() + "'") + " (" + n.op_type() + ")";
}

std::string node_source(const onnx::NodeProto& n, int index) {
  return n.op_type() + (n.name().empty() ? " #" + std::to_string(index) : " '" + n.name() + "'");
}

// Fails on the first node that no converter handles, naming the other unsupported ops too, before any
// conversion work, so that an unsupported model gets the op error rather than a shape error.
void check_ops_supported(const onnx::GraphProto& g) {
  std::string first_where, first_what, first_hint, first_op, others;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    std::string what, hint;
    if (!is_default_domain(n.domain())) {
      if (find_custom_converter(n.domain(), n.op_type())) continue;
      what = "op '" + n.op_type() + "' of domain '" + n.domain() + "'" + domain_family(n.domain()) +
             " is not supported";
      hint = is_custom_domain(n.domain())
                 ? "the supported QONNX/FINN custom ops are " + supported_custom_ops_list()
                 : "firmnet reads plain ONNX and the QONNX/FINN custom ops " + supported_custom_ops_list();
    } else if (!find_converter(n.op_type())) {
      what = "op '" + n.op_type() + "' is not supported";
      hint = "supported ops are " + supported_ops_list();
    } else {
      continue;
    }
    if (first_where.empty()) {
      first_where = node_where(n, i);
      first_what = what;
      first_hint = hint;
      first_op = n.op_type();
    } else if (others.find("'" + n.op_type() + "'") == std::string::npos && n.op_type() != first_op) {
      others += (others.empty() ? "" : ", ") + ("'" + n.op_type() + "'");
    }
  }
  if (first_where.empty()) return;
  if (!others.empty()) first_what += " (the model also uses unsupported " + others + ")";
  throw Error(first_where, first_what, first_hint);
}

// Graph inputs that are not initializers: [batch, d1, ...] with the batch dim dropped.
// Whether the graph has ops over NCHW feature maps: its inputs of rank 3 or 4 are then held channels-last.
// (The channels-last QONNX ops read NHWC data, already in the order firmnet holds maps.)
bool has_map_ops(const onnx::GraphProto& g) {
  for (const auto& n : g.node())
    for (const char* op : {"Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ConvTranspose"})
      if (n.op_type() == op && is_default_domain(n.domain())) return true;
  return false;
}

// Whether graph input `name` is read only by Transposes: a channels-last export (Keras/tf2onnx) whose data is
// already in the order firmnet holds maps; its Transpose to NCHW is then absorbed as a layout.
bool only_transposed(const onnx::GraphProto& g, const std::string& name) {
  bool any = false;
  for (const auto& n : g.node())
    for (const auto& i : n.input())
      if (i == name) {
        if (n.op_type() != "Transpose") return false;
        any = true;
      }
  return any;
}

void add_graph_inputs(Context& ctx, const onnx::GraphProto& g, const std::set<std::string>& initializers) {
  const bool maps = has_map_ops(g);
  for (const auto& in : g.input()) {
    if (initializers.count(in.name())) continue;  // IR < 4 lists initializers as inputs too
    const std::string where = "graph input '" + in.name() + "'";
    if (in.name().empty()) throw Error(where, "has no name", "the model is invalid");
    if (!in.type().has_tensor_type() || !in.type().tensor_type().has_shape())
      throw Error(where, "has no tensor shape", "export the model with a fixed input shape");
    const auto& dims = in.type().tensor_type().shape().dim();
    if (dims.size() < 2)
      throw Error(where, "has rank " + std::to_string(dims.size()) + "; expected [batch, features, ...]",
                  "export the model with a batch dimension first");
    Value v;
    v.full_shape = {1};  // the batch: any value or symbol
    for (int k = 1; k < dims.size(); ++k) {
      if (!dims[k].has_dim_value() || dims[k].dim_value() <= 0)
        throw Error(where, "dimension " + std::to_string(k) + " is " +
                               (dims[k].has_dim_param() ? "the symbol '" + dims[k].dim_param() + "'"
                                                        : dims[k].has_dim_value() ? std::to_string(dims[k].dim_value())
                                                                                  : "unknown") +
                               "; only the batch dimension (0) may be symbolic",
                    "export the model with fixed feature dimensions");
      v.full_shape.push_back(dims[k].dim_value());
    }
    const ir::Shape shape = sample_shape(v);
    checked_elements(shape, where, "the input");
    ir::Tensor t;
    t.name = ctx.tensor_names.make(in.name(), "input", "input_");
    t.shape = shape;
    if (maps && (shape.size() == 2 || shape.size() == 3) && !only_transposed(g, in.name())) {  // [C, W] / [C, H, W] held as [W, C] / [H, W, C]
      v.layout = channels_last_layout(shape);
      t.shape = v.layout->view;
      t.layout = v.layout;
    }
    v.id = ctx.graph.add_tensor(std::move(t));
    ir::Node node;
    node.name = ctx.node_names.make(in.name(), "input", "input_");
    node.aliases = {in.name()};
    node.source = "graph input '" + in.name() + "'";
    node.kind = ir::OpKind::Input;
    node.outputs = {v.id};
    ctx.graph.add_node(std::move(node));
    ctx.graph.inputs.push_back(v.id);
    ctx.define(in.name(), std::move(v), where);
  }
  if (ctx.graph.inputs.empty())
    throw Error("graph", "has no inputs other than initializers", "the model must take at least one data input");
}

ir::Graph convert(const onnx::ModelProto& model, const std::string& file, std::vector<Warning>& warnings) {
  const auto& g = model.graph();
  const int64_t opset = default_opset(model, file);
  check_ops_supported(g);
  if (g.sparse_initializer_size() > 0)
    throw Error(file, "uses sparse initializers, which are not supported", "export dense weights");

  ir::Graph graph;
  Context ctx(graph, warnings, opset, file);
  std::set<std::string> initializer_names;
  for (const auto& t : g.initializer()) {
    const std::string where = "initializer '" + t.name() + "'";
    ctx.define(t.name(), read_tensor(t, where), where);
    initializer_names.insert(t.name());
  }
  ctx.map_ops = has_map_ops(g);
  add_graph_inputs(ctx, g, initializer_names);
  apply_input_annotations(ctx, g);

  for (const auto& n : g.node())
    for (const auto& i : n.input()) ++ctx.uses[i];
  for (const auto& o : g.output()) ++ctx.uses[o.name()];

  for (int i = 0; i < g.node_size(); ++i) {
    const auto& proto = g.node(i);
    const OnnxNode node{proto, i, node_where(proto, i), node_source(proto, i)};
    const Converter* convert = is_default_domain(proto.domain()) ? find_converter(proto.op_type())
                                                                 : find_custom_converter(proto.domain(), proto.op_type());
    for (int k = 0; k < proto.input_size(); ++k)
      if (const Value* v = ctx.find(proto.input(k)); v && !v->pending_pads.empty() &&
                                                      !(k == 0 && (proto.op_type() == "Conv" || proto.op_type() == "AveragePool")))
        throw Error(v->pad_where, "a non-zero padding read by " + node.where + " is not supported",
                    "firmnet folds a constant zero Pad into the Conv or AveragePool that reads it; pad inside that layer");
    (*convert)(ctx, node);
  }

  if (g.output_size() == 0) throw Error("graph", "has no outputs", "the model is invalid");
  for (const auto& o : g.output()) {
    const Value* v = ctx.find(o.name());
    const std::string where = "graph output '" + o.name() + "'";
    if (!v) throw Error(where, "is not produced by any node", "the model is invalid or truncated");
    if (v->is_const) throw Error(where, "is a constant; there is nothing to compute", "remove it from the outputs");
    if (!v->pending_pads.empty())
      throw Error(v->pad_where, "a padded graph output is not supported", "pad inside the layer that follows");
    if (v->layout) {  // predict and csim give it in the model's order
      ir::Tensor& t = graph.tensor(v->id);
      ir::ModelLayout l = *v->layout;
      l.model_shape = sample_shape(*v);
      if (t.layout && *t.layout != l)
        throw Error(where, "is the same data as another output in another layout", "give each output its own node");
      t.layout = l;
    }
    graph.outputs.push_back(v->id);
  }
  graph.verify();
  return graph;
}
}  // namespace

ir::Graph load_onnx(const std::string& path, std::vector<Warning>& warnings) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status))
    throw Error(path, "file not found", "check the path to the .onnx model");
  if (fs::is_directory(status)) throw Error(path, "is a directory, not an .onnx file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open the file for reading", "check its permissions");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw Error(path, "failed while reading the file");
  return load_onnx_bytes(ss.str(), path, warnings);
}

ir::Graph load_onnx_bytes(const std::string& bytes, const std::string& display_name, std::vector<Warning>& warnings) {
  const std::string& file = display_name;
  if (bytes.empty()) throw Error(file, "the file is empty (0 bytes)", "re-export the model");
  if (bytes.rfind("version https://git-lfs", 0) == 0)
    throw Error(file, "is a Git LFS pointer, not the model itself", "run 'git lfs pull' to fetch the model");
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    throw Error(file, "is larger than 2 GiB, the protobuf limit", "firmnet reads models with embedded weights only; shrink the model");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    throw Error(file, "is not a valid ONNX model: the protobuf data is truncated or corrupt",
                "check that the file is a binary .onnx model and was copied completely");
  if (!model.has_graph())
    throw Error(file, "contains no graph (is it an ONNX model?)", "re-export the model with torch.onnx.export or tf2onnx");
  try {
    return convert(model, file, warnings);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // A safety net for hostile input; every expected failure is a firmnet::Error above.
    throw Error(file, std::string("internal error while converting the model: ") + e.what(),
                "please report this model to the firmnet developers");
  }
}

}  // namespace firmnet::frontends
