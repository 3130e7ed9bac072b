// The top function of an io_stream project: a DATAFLOW region with one process per layer, the streams
// between them with their FIFO depths, clone processes where a tensor has several readers. Conv and Pool call
// their line-buffer kernels directly; every other layer gets a process function here that runs its
// io_parallel kernel once per stream element (Row) or once on the whole tensor (Whole).
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "backends/vitis/code_writer.h"
#include "backends/vitis/stream.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

namespace {

std::string stream_t(const std::string& elem) { return "hls::stream<" + elem + " >"; }

// A node reads the Resource schedule's own pipelined loop: its element loop must stay a loop.
bool has_inner_loop(const ir::Node& n) {
  return n.kind == ir::OpKind::Dense && n.strategy == ir::Strategy::Resource && n.reuse_factor > 1;
}

struct Locals {  // identifiers of the process functions, claimed once per project
  std::vector<std::string> in, in_px;
  std::string out, out_px, e, i;
};

Locals claim_locals(EmitContext& ctx, size_t max_inputs) {
  Locals l;
  for (size_t k = 0; k < std::max<size_t>(max_inputs, 1); ++k) {
    l.in.push_back(ctx.names().claim(fmt::format("in_s{}", k)));
    l.in_px.push_back(ctx.names().claim(fmt::format("in_px{}", k)));
  }
  l.out = ctx.names().claim("out_s");
  l.out_px = ctx.names().claim("out_px");
  l.e = ctx.names().claim("elem");
  l.i = ctx.names().claim("val");
  return l;
}

void partitioned_array(CodeWriter& w, const std::string& type, const std::string& var, int64_t n) {
  w.line(fmt::format("{} {}[{}];", type, var, n));
  w.pragma(fmt::format("ARRAY_PARTITION variable={} complete", var));
}

// Row: the kernel once per element, every tensor seen as one row. Whole: all elements in, the kernel, all out.
void process_function(CodeWriter& w, EmitContext& ctx, const StreamLayer& l, const StreamNames& sn,
                      const std::string& fn, const Locals& loc) {
  const ir::Graph& g = ctx.graph();
  const ir::Node& n = *l.node;
  const ir::TensorId y = n.outputs.at(0);
  std::string params;
  for (size_t k = 0; k < n.inputs.size(); ++k)
    params += fmt::format("{}& {}, ", stream_t(sn.elem_type.at(n.inputs[k])), loc.in[k]);
  params += fmt::format("{}& {}", stream_t(sn.elem_type.at(y)), loc.out);
  w.comment(fmt::format("{} ({}), {}: {}", n.name, ir::name(n.kind), name(l.mode),
                        l.mode == StreamMode::Row ? "its kernel once per stream element"
                                                  : "every element read, its kernel once, every element written"));
  w.open(fmt::format("static void {}({})", fn, params));
  w.pragma("INLINE off");
  const int64_t rows = row_count(g.tensor(y));
  std::set<ir::TensorId> seen;
  if (l.mode == StreamMode::Row) {
    w.open(fmt::format("for (unsigned {0} = 0; {0} < {1}; {0}++)", loc.e, rows));
    if (!has_inner_loop(n)) w.pragma(fmt::format("PIPELINE II={}", std::max(1, n.reuse_factor)));
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const ir::TensorId x = n.inputs[k];
      w.line(fmt::format("const {} {} = {}.read();", sn.elem_type.at(x), loc.in_px[k], loc.in[k]));
      if (!seen.insert(x).second) {
        w.line(fmt::format("(void){};  // the same tensor as an earlier input", loc.in_px[k]));
        continue;
      }
      partitioned_array(w, ctx.type_name(x), ctx.var(x), row_length(g.tensor(x)));
      w.line(fmt::format("firmnet_hls::unpack({}, {});", loc.in_px[k], ctx.var(x)));
    }
    partitioned_array(w, ctx.type_name(y), ctx.var(y), row_length(g.tensor(y)));
    w.lines(l.code->call);
    w.line(fmt::format("{} {};", sn.elem_type.at(y), loc.out_px));
    w.line(fmt::format("firmnet_hls::pack({}, {});", ctx.var(y), loc.out_px));
    w.line(fmt::format("{}.write({});", loc.out, loc.out_px));
    w.close();
    w.close();
    return;
  }
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    const ir::TensorId x = n.inputs[k];
    const ir::Tensor& t = g.tensor(x);
    const bool first = seen.insert(x).second;
    if (first) partitioned_array(w, ctx.type_name(x), ctx.var(x), t.size());
    w.open(fmt::format("for (unsigned {0} = 0; {0} < {1}; {0}++)", loc.e, row_count(t)));
    w.pragma("PIPELINE II=1");
    w.line(fmt::format("const {} {} = {}.read();", sn.elem_type.at(x), loc.in_px[k], loc.in[k]));
    if (first) {
      w.open(fmt::format("for (unsigned {0} = 0; {0} < {1}; {0}++)", loc.i, row_length(t)));
      w.pragma("UNROLL");
      w.line(fmt::format("{0}[{1} * {2} + {3}] = {4}.data[{3}];", ctx.var(x), loc.e, row_length(t), loc.i, loc.in_px[k]));
      w.close();
    } else {
      w.line(fmt::format("(void){};  // the same tensor as an earlier input", loc.in_px[k]));
    }
    w.close();
  }
  const ir::Tensor& yt = g.tensor(y);
  partitioned_array(w, ctx.type_name(y), ctx.var(y), yt.size());
  w.lines(l.code->call);
  w.open(fmt::format("for (unsigned {0} = 0; {0} < {1}; {0}++)", loc.e, rows));
  w.pragma("PIPELINE II=1");
  w.line(fmt::format("{} {};", sn.elem_type.at(y), loc.out_px));
  w.open(fmt::format("for (unsigned {0} = 0; {0} < {1}; {0}++)", loc.i, row_length(yt)));
  w.pragma("UNROLL");
  w.line(fmt::format("{0}.data[{1}] = {2}[{3} * {4} + {1}];", loc.out_px, loc.i, ctx.var(y), loc.e, row_length(yt)));
  w.close();
  w.line(fmt::format("{}.write({});", loc.out, loc.out_px));
  w.close();
  w.close();
}

// Copies every element of a tensor's stream to each of its readers (with the port's type for a port).
void clone_function(CodeWriter& w, const ir::Graph& g, const TensorStreams& s, const std::vector<std::string>& elems,
                    const std::string& in_elem, const std::string& fn, const Locals& loc) {
  std::string params = fmt::format("{}& {}", stream_t(in_elem), loc.out_px);
  for (size_t j = 0; j < elems.size(); ++j) params += fmt::format(", {}& {}", stream_t(elems[j]), loc.in[j]);
  const ir::Tensor& t = g.tensor(s.tensor);
  w.comment(fmt::format("'{}' to its {} readers", t.name, elems.size()));
  w.open(fmt::format("static void {}({})", fn, params));
  w.pragma("INLINE off");
  w.open(fmt::format("for (unsigned {0} = 0; {0} < {1}; {0}++)", loc.e, row_count(t)));
  w.pragma("PIPELINE II=1");
  w.line(fmt::format("const {} {} = {}.read();", in_elem, loc.out, loc.out_px));
  for (size_t j = 0; j < elems.size(); ++j) {
    w.open("");
    w.line(fmt::format("{} {};", elems[j], loc.in_px[j]));
    w.line(fmt::format("firmnet_hls::pack({}.data, {});", loc.out, loc.in_px[j]));
    w.line(fmt::format("{}.write({});", loc.in[j], loc.in_px[j]));
    w.close();
  }
  w.close();
  w.close();
}

}  // namespace

StreamNames name_streams(EmitContext& ctx, const ProjectInterface& p) {
  const ir::Graph& g = ctx.graph();
  StreamNames sn;
  sn.wiring = ctx.hardware().wiring;
  for (const TensorStreams& s : sn.wiring) {
    const std::string& tn = ctx.type_name(s.tensor);
    const std::string stem = tn.size() > 2 && tn.compare(tn.size() - 2, 2, "_t") == 0 ? tn.substr(0, tn.size() - 2) : tn;
    sn.elem_type[s.tensor] = ctx.names().claim(stem + "_px_t");
    if (!s.cloned()) {
      if (!s.readers.empty()) sn.reader[{s.readers[0].node, s.readers[0].input}] = ctx.var(s.tensor);
      continue;
    }
    std::vector<std::string>& targets = sn.clone_targets[s.tensor];
    for (const StreamReader& r : s.readers) {
      if (r.node < 0) {
        targets.push_back(p.outputs.at(static_cast<size_t>(r.port)).var);
        continue;
      }
      const std::string stream =
          ctx.names().claim(ctx.var(s.tensor) + "_to_" + g.nodes[static_cast<size_t>(r.node)].name);
      sn.reader[{r.node, r.input}] = stream;
      targets.push_back(stream);
    }
  }
  return sn;
}

std::string stream_top_cpp(const ProjectInterface& p, EmitContext& ctx, const std::vector<StreamLayer>& layers,
                           const StreamNames& sn, const VendorSpelling& v) {
  const ir::Graph& g = ctx.graph();
  std::map<std::pair<ir::TensorId, int>, int64_t> depth;  // (tensor, reader or -1) -> FIFO depth
  for (const StreamFifo& f : ctx.hardware().fifos) depth[{f.tensor_id, f.reader}] = f.depth;
  size_t max_inputs = 1;
  for (const StreamLayer& l : layers) max_inputs = std::max(max_inputs, l.node->inputs.size());
  for (const auto& [id, targets] : sn.clone_targets) max_inputs = std::max(max_inputs, targets.size());
  const Locals loc = claim_locals(ctx, max_inputs);
  std::map<ir::TensorId, const TensorStreams*> wiring;
  for (const TensorStreams& s : sn.wiring) wiring[s.tensor] = &s;
  auto port_elem = [&](const Port& port) { return port.elem_type; };

  CodeWriter w;
  w.comment(p.name + ".cpp: generated by firmnet " + firmnet_version() + " from graph '" + g.name +
            "' (IOType io_stream).");
  w.line("#include \"" + p.name + ".h\"").line("#include \"parameters.h\"").line();
  // The process functions, in graph order.
  std::map<const ir::Node*, std::string> process;
  std::map<ir::TensorId, std::string> clone;
  auto clone_of = [&](ir::TensorId id) {
    const TensorStreams& s = *wiring.at(id);
    if (!s.cloned()) return;
    const std::string fn = ctx.names().claim(ctx.var(id) + "_clone");
    std::vector<std::string> elems;
    for (const StreamReader& r : s.readers)
      elems.push_back(r.node < 0 ? port_elem(p.outputs.at(static_cast<size_t>(r.port))) : sn.elem_type.at(id));
    clone_function(w, g, s, elems, sn.elem_type.at(id), fn, loc);
    w.line();
    clone[id] = fn;
  };
  for (ir::TensorId id : g.inputs) clone_of(id);
  for (const StreamLayer& l : layers) {
    if (l.mode != StreamMode::Window) {
      process[l.node] = ctx.names().claim(l.node->name + "_process");
      process_function(w, ctx, l, sn, process[l.node], loc);
      w.line();
    }
    clone_of(l.node->outputs.at(0));
  }

  std::string args;
  for (const Port& port : p.inputs)
    args += fmt::format("{}{}& {}", args.empty() ? "" : ", ", stream_t(port.elem_type), port.var);
  for (const Port& port : p.outputs) args += fmt::format(", {}& {}", stream_t(port.elem_type), port.var);
  w.open(fmt::format("void {}({})", p.name, args));
  for (const auto* ports : {&p.inputs, &p.outputs})
    for (const Port& port : *ports) {
      std::string iface = v.interface_mode;
      iface.replace(iface.find("ap_vld"), 6, "axis");
      w.pragma(iface.replace(iface.find("{port}"), 6, port.var));
    }
  // One process per layer; the FIFO depths come from the schedule model (stream_fifos).
  w.pragma("DATAFLOW");
  auto declare = [&](const std::string& elem, const std::string& var, ir::TensorId id, int reader) {
    w.line(fmt::format("{} {}(\"{}\");", stream_t(elem), var, var));
    w.pragma(fmt::format("STREAM variable={} depth={}", var, depth.at({id, reader})));
  };
  auto call_clone = [&](ir::TensorId id) {
    if (!clone.count(id)) return;
    const TensorStreams& s = *wiring.at(id);
    const std::vector<std::string>& targets = sn.clone_targets.at(id);
    std::string cargs = ctx.var(id);
    for (size_t j = 0; j < s.readers.size(); ++j) {
      if (s.readers[j].node >= 0) declare(sn.elem_type.at(id), targets[j], id, static_cast<int>(j));
      cargs += ", " + targets[j];
    }
    w.line(fmt::format("{}({});", clone.at(id), cargs));
  };
  for (ir::TensorId id : g.inputs) {
    if (!clone.count(id)) continue;
    w.line().comment("input '" + g.tensor(id).name + "' to its readers");
    call_clone(id);
  }
  for (const StreamLayer& l : layers) {
    const ir::Node& n = *l.node;
    const ir::TensorId y = n.outputs.at(0);
    const ir::Tensor& yt = g.tensor(y);
    w.line();
    comment_layer(w, ctx, n, l.code->types_comment);
    w.comment(fmt::format("  {}, {} elements of {}{}", name(l.mode), row_count(yt), row_length(yt),
                          n.reuse_factor > 1 || n.strategy == ir::Strategy::Resource
                              ? fmt::format("; strategy {}, reuse factor {}", ir::name(n.strategy), n.reuse_factor)
                              : ""));
    if (!wiring.at(y)->into_port) declare(sn.elem_type.at(y), ctx.var(y), y, -1);
    if (l.mode == StreamMode::Window) {
      w.lines(l.code->call);
    } else {
      std::string cargs;
      for (size_t k = 0; k < n.inputs.size(); ++k)
        cargs += sn.reader.at({static_cast<int>(&n - g.nodes.data()), k}) + ", ";
      w.line(fmt::format("{}({}{});", process.at(&n), cargs, ctx.var(y)));
    }
    call_clone(y);
  }
  w.close();
  return w.str();
}

}  // namespace firmnet::backends::vitis
