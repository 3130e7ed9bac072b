// The textual view of the IR used by `firmnet inspect` and --print-after: per layer its op, where it came
// from, every tensor with shape, type and the origin of that type, internal types, tables and settings.
#include <fmt/format.h>

#include "ir/dsp_usage.h"
#include "ir/graph.h"
#include "ir/hardware.h"

namespace firmnet::ir {

namespace {

std::string type_str(const Tensor& t) { return t.type ? t.type->str() : "(untyped)"; }

std::string tensor_line(const char* role, const Tensor& t) {
  std::string s = fmt::format("    {:<9} {:<28} {:<10} {}", role, t.name, to_string(t.shape), type_str(t));
  if (!t.origin.empty()) s += "  <- " + t.origin;
  return s + "\n";
}

std::string attr_str(const AttrValue& v) {
  struct V {
    std::string operator()(int64_t x) const { return std::to_string(x); }
    std::string operator()(double x) const { return fmt::format("{:g}", x); }
    std::string operator()(const std::string& x) const { return x; }
    std::string operator()(const std::vector<int64_t>& x) const { return fmt::format("[{}]", fmt::join(x, ",")); }
    std::string operator()(const std::vector<double>& x) const {
      if (x.size() > 8) return fmt::format("[{} values]", x.size());
      return fmt::format("[{}]", fmt::join(x, ","));
    }
  };
  return std::visit(V{}, v);
}

// What the recorded hardware plan builds for n (driver::compile records it; none shown when the graph has
// changed since): the kernel's multipliers after reuse and its II; under io_stream how the layer runs over its
// streams.
std::string hardware_line(const Graph& g, const HardwarePlan* plan, const Node& n) {
  if (!plan) return "";
  const LayerHardware& l = plan->layer(g, n);
  if (!l.process) return "";
  std::string s;
  if (l.multipliers > 0) s += fmt::format("; builds {} multipliers at II {}", l.multipliers, l.ii);
  if (l.pool_unrolled) s += "; every output pixel at once";
  if (plan->target.io_type == "io_stream") {
    s += fmt::format("; io_stream: {}", name(l.mode));
    if (l.mode == StreamMode::Window)
      s += fmt::format(" ({} x {} window, buffer of {} x {} positions)", l.window.span_h, l.window.span_w,
                       l.window.span_h - 1, l.window.ext_w);
  }
  return s;
}

}  // namespace

std::string print(const Graph& g) {
  int64_t mults = 0, wide = 0;
  for (const auto& n : g.nodes) {
    mults += multiplier_count(g, n);
    wide += dsp_products(g, n).wide;
  }
  std::string s = fmt::format("model '{}': {} input(s), {} output(s), {} layers, {} multipliers", g.name,
                              g.inputs.size(), g.outputs.size(), g.nodes.size(), mults);
  if (wide) s += fmt::format(", {} of the products wider than one DSP48E2 ({}x{})", wide, kDspWideBits, kDspNarrowBits);
  s += "\n";
  const HardwarePlan* plan = current_hardware_plan(g);
  for (const auto& n : g.nodes) {
    s += fmt::format("\n{} ({})", n.name, name(n.kind));
    if (n.kind == OpKind::Activation && n.has_attr("function")) s += " " + n.attr_str("function");
    if (!n.source.empty()) s += "  from " + n.source;
    s += "\n";
    for (auto id : n.inputs) s += tensor_line("in", g.tensor(id));
    for (auto id : n.outputs) s += tensor_line("out", g.tensor(id));
    for (const auto& [role, id] : n.params) s += tensor_line(role.c_str(), g.tensor(id));
    for (const auto& [role, t] : n.types) s += fmt::format("    {:<9} {}\n", role, t.str());
    for (const auto& [role, spec] : n.tables)
      s += interpolated_table(n.kind, role)
               ? fmt::format("    {:<9} {} entries of {} at [{:g}, {:g}] in steps of {:g}, interpolated\n",
                             "table " + role, n.table_entries(role), spec.entry.str(), spec.lo(), spec.hi(), spec.step())
               : fmt::format("    {:<9} {} entries of {} on [{:g}, {:g}), step {:g}\n", "table " + role, spec.size(),
                             spec.entry.str(), spec.lo(), spec.hi(), spec.step());
    for (const auto& [k, v] : n.attrs)
      if (!(n.kind == OpKind::Activation && k == "function")) s += fmt::format("    {:<9} {}\n", k, attr_str(v));
    const DspProducts dsp = dsp_products(g, n);
    s += fmt::format("    reuse {}, strategy {}, multipliers {}{}{}{}\n", n.reuse_factor, name(n.strategy),
                     multiplier_count(g, n),
                     dsp.wide ? fmt::format(" ({} wider than one DSP48E2 {}x{}: 2+ DSPs each)", dsp.wide, kDspWideBits,
                                            kDspNarrowBits)
                              : "",
                     n.trace ? ", traced" : "", hardware_line(g, plan, n));
  }
  return s;
}

}  // namespace firmnet::ir
