// hls4ml's contrib GarNet layers (hls4ml/contrib/garnet.py): GarNet and GarNetStack, with simplified=True, a linear
// output activation and input_format 'xn' (the vertices x [V, F] and the number of valid vertices n), as hls4ml
// converts them. One IR GarNet node per (sub)layer (ir/garnet.h); a stack's sublayers keep every vertex (collapse
// none) and the last one collapses. Weights by name: FLR_kernel, FLR_bias, S_kernel, S_bias, Fout_kernel,
// Fout_bias (GarNetStack: FLR0_kernel, ...).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "frontends/keras/keras_context.h"
#include "numeric/bits.h"

namespace firmnet::frontends::keras {

namespace {

std::string base_name(const std::string& s) {
  std::string b = s.substr(s.rfind('/') == std::string::npos ? 0 : s.rfind('/') + 1);
  const size_t c = b.rfind(':');
  if (c != std::string::npos) b.resize(c);
  return b;
}

const Array& named_weight(Context& ctx, const Layer& l, const std::string& name, const ir::Shape& shape) {
  for (const Array& a : ctx.weights(l, 0))
    if (base_name(a.name) == name) {
      if (a.shape != shape)
        ctx.fail(l, fmt::format("weight '{}' has shape {}, expected {}", name, ir::to_string(a.shape), ir::to_string(shape)),
                 "check that the weights file belongs to this architecture");
      for (double v : a.values)
        if (!std::isfinite(v)) ctx.fail(l, fmt::format("weight '{}' holds a non-finite value ({})", name, v));
      return a;
    }
  std::string have;
  for (const Array& a : ctx.weights(l, 0)) have += (have.empty() ? "" : ", ") + base_name(a.name);
  ctx.fail(l, "has no weight '" + name + "' in the weights file", "it holds: " + (have.empty() ? "none" : have));
}

// An int (GarNet) or the k-th of a list (GarNetStack).
int64_t size_of(Context& ctx, const Layer& l, const std::string& key, bool stack, size_t k) {
  const json& v = ctx.get(l, key);
  const json* e = &v;
  if (stack) {
    if (!v.is_array() || k >= v.size()) ctx.fail(l, "'" + key + "' must be a list with one size per sublayer");
    e = &v[k];
  }
  if (!e->is_number_integer() || e->get<int64_t>() < 1 || e->get<int64_t>() > 4096)
    ctx.fail(l, "'" + key + "' must be " + (stack ? "a list of integers" : "an integer") + " in [1, 4096]");
  return e->get<int64_t>();
}

}  // namespace

std::vector<Value> convert_garnet(Context& ctx, const Layer& l, const std::vector<Value>& in) {
  const bool stack = l.cls == "GarNetStack";
  if (!ctx.get_bool(l, "simplified", false))
    ctx.fail(l, "simplified=False is not supported", "hls4ml's GarNet firmware (and firmnet's) implement simplified=True");
  const std::string act = ctx.has(l, "output_activation") ? ctx.activation_name(l, ctx.get(l, "output_activation")) : "linear";
  if (act != "linear")
    ctx.fail(l, "output_activation '" + act + "' is not supported",
             "use None or 'linear' (the layer's output transform is linear; add an Activation after the layer)");
  const std::string format = ctx.get_str(l, "input_format", "xn");
  if (format != "xn")
    ctx.fail(l, "input_format '" + format + "' is not supported",
             "use 'xn': the vertices [V, F] and the number of valid vertices as a second input");
  std::string collapse = "none";
  if (ctx.has(l, "collapse")) {
    collapse = ctx.get_str(l, "collapse");
    if (collapse != "mean" && collapse != "sum" && collapse != "max")
      ctx.fail(l, "collapse '" + collapse + "' is not one of None, 'mean', 'sum', 'max'");
  }
  if (ctx.get_bool(l, "mean_by_nvert", false))
    ctx.fail(l, "mean_by_nvert=True is not supported yet", "use mean_by_nvert=False (means over all V vertices)");
  if (ctx.get_bool(l, "quantize_transforms", false))
    ctx.warn(l, "quantize_transforms: the transforms' weights are read as stored (the quantizer's total_bits and "
                "int_bits are not in the layer's configuration) and get the layer's weight and bias precision, as hls4ml does");
  if (in.size() != 2)
    ctx.fail(l, fmt::format("has {} inputs; input_format 'xn' takes 2 (x and n_vertices)", in.size()));
  Value x = ctx.plain(l, in[0]);
  const Value& nv = ctx.plain(l, in[1]);
  if (x.shape.size() != 2) ctx.fail(l, "x must have shape [vertices, features], got " + ir::to_string(x.shape));
  if (ir::num_elements(nv.shape) != 1)
    ctx.fail(l, "n_vertices must be one value per sample, got shape " + ir::to_string(nv.shape));
  const int64_t V = x.shape[0];
  // The number of valid vertices is an integer in [0, V]: an unsigned integer input type unless configured.
  ir::Tensor& nt = ctx.graph.tensor(nv.id);
  const int nb = numeric::bit_length(V);
  if (!nt.type && std::find(ctx.graph.inputs.begin(), ctx.graph.inputs.end(), nv.id) != ctx.graph.inputs.end()) {
    nt.type = numeric::make_type(nb, nb, false, numeric::Rounding::TRN, numeric::Overflow::SAT);
    nt.origin = fmt::format("GarNet '{}': the number of valid vertices, 0..{}", l.name, V);
  }
  const size_t layers = stack ? static_cast<size_t>(ctx.get_int(l, "n_sublayers")) : 1;
  if (layers < 1 || layers > 64) ctx.fail(l, "n_sublayers must be in [1, 64]");
  Value y = x;
  for (size_t k = 0; k < layers; ++k) {
    const int64_t F = y.shape[1];
    const int64_t A = size_of(ctx, l, "n_aggregators", stack, k), P = size_of(ctx, l, "n_propagate", stack, k),
                  O = size_of(ctx, l, "n_filters", stack, k);
    const std::string s = stack ? std::to_string(k) : "";
    const Array& fw = named_weight(ctx, l, "FLR" + s + "_kernel", {F, P});
    const Array& fb = named_weight(ctx, l, "FLR" + s + "_bias", {P});
    const Array& sw = named_weight(ctx, l, "S" + s + "_kernel", {F, A});
    const Array& sb = named_weight(ctx, l, "S" + s + "_bias", {A});
    const Array& ow = named_weight(ctx, l, "Fout" + s + "_kernel", {A * P, O});
    const Array& ob = named_weight(ctx, l, "Fout" + s + "_bias", {O});
    const bool last = k + 1 == layers;
    const std::string c = last ? collapse : "none";
    y = ctx.emit(l, ir::OpKind::GarNet, {y, nv}, c == "none" ? ir::Shape{V, O} : ir::Shape{O}, s);
    ir::Node& n = ctx.graph.nodes.back();
    n.attrs["collapse"] = c;
    if (stack) {
      n.attrs["stack"] = int64_t{1};
      n.aliases.push_back(l.name);  // LayerName of the stack configures every sublayer
    }
    ctx.param("flr_weight", {F, P}, fw.values);
    ctx.param("flr_bias", {P}, fb.values);
    ctx.param("s_weight", {F, A}, sw.values);
    ctx.param("s_bias", {A}, sb.values);
    ctx.param("fout_weight", {A * P, O}, ow.values);
    ctx.param("fout_bias", {O}, ob.values);
    ctx.param("reciprocal", {1}, {1.0 / static_cast<double>(V)});
  }
  return {y};
}

}  // namespace firmnet::frontends::keras
