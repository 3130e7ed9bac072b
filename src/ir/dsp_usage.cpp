// Per-layer products against one DSP48E2 (dsp_usage.h): each op's multiplications, as the kernels
// spell them (kernels/firmnet_hls.h), with the operand types the emulator and the firmware use.
#include "ir/dsp_usage.h"

#include "ir/activations.h"
#include "ir/garnet.h"
#include "ir/recurrent.h"
#include "ir/spatial.h"

#include <algorithm>

namespace firmnet::ir {

namespace {

int signed_bits(const numeric::FixedType& t) { return t.width + (t.is_signed ? 0 : 1); }

void add(DspProducts& d, int64_t count, const std::optional<numeric::FixedType>& a,
         const std::optional<numeric::FixedType>& b) {
  d.products += count;
  if (a && b && !fits_one_dsp(*a, *b)) d.wide += count;
}

std::optional<numeric::FixedType> type_of(const Graph& g, TensorId id) { return g.tensor(id).type; }

std::optional<numeric::FixedType> param_type(const Graph& g, const Node& n, const std::string& key) {
  return n.has_param(key) ? type_of(g, n.param(key)) : std::nullopt;
}

}  // namespace

bool fits_one_dsp(const numeric::FixedType& a, const numeric::FixedType& b) {
  const int x = signed_bits(a), y = signed_bits(b);
  return (x <= kDspWideBits && y <= kDspNarrowBits) || (x <= kDspNarrowBits && y <= kDspWideBits);
}

DspProducts dsp_products(const Graph& g, const Node& n) {
  DspProducts d;
  if (n.inputs.empty() || n.outputs.empty()) return d;
  const auto x = type_of(g, n.inputs[0]);
  const int64_t size = g.tensor(n.outputs[0]).size();
  switch (n.kind) {
    case OpKind::Dense:
      if (n.has_param("weight")) add(d, g.tensor(n.param("weight")).size(), x, param_type(g, n, "weight"));
      break;
    case OpKind::Conv: {  // the products of one window: the firmware reuses them for every output pixel
      const ConvAttrs c = ConvAttrs::of(g, n);
      add(d, c.rows() * c.out_channels, x, param_type(g, n, "weight"));
      break;
    }
    case OpKind::Pool: {  // an average: each channel's sum times 1/count, one pixel at a time
      const PoolAttrs p = PoolAttrs::of(g, n);
      if (p.mode == PoolMode::Avg) {
        auto a = n.types.find("accum"), s = n.types.find("scale");
        add(d, p.channels, a == n.types.end() ? std::nullopt : std::optional<numeric::FixedType>(a->second),
            s == n.types.end() ? std::nullopt : std::optional<numeric::FixedType>(s->second));
      }
      break;
    }
    case OpKind::BatchNorm: add(d, size, x, param_type(g, n, "scale")); break;
    case OpKind::Recurrent: {  // one step's products (static: reused every step; non-static: one set per step)
      const RecurrentAttrs r = RecurrentAttrs::of(g, n);
      const int64_t copies = r.is_static ? 1 : r.steps;
      auto internal = [&](const char* k) {
        auto it = n.types.find(k);
        return it == n.types.end() ? std::nullopt : std::optional<numeric::FixedType>(it->second);
      };
      add(d, copies * r.features * r.gate_width(), x, param_type(g, n, "weight"));
      add(d, copies * r.units * r.gate_width(), internal("state"), param_type(g, n, "recurrent_weight"));
      break;
    }
    case OpKind::GarNet: {  // the products of docs/NUMERICS.md "GarNet" with their operand types
      const GarNetAttrs a = GarNetAttrs::of(g, n);
      auto internal = [&](const char* k) {
        auto it = n.types.find(k);
        return it == n.types.end() ? std::nullopt : std::optional<numeric::FixedType>(it->second);
      };
      // The vertex loop runs V / ReuseFactor vertices per iteration: their products exist once each.
      const int64_t lanes = std::max<int64_t>(1, a.vertices / std::max(1, n.reuse_factor));
      add(d, lanes * a.in_features * a.aggregators, x, param_type(g, n, "s_weight"));
      add(d, lanes * a.in_features * a.aggregators, x, internal("edge_weight"));
      if (a.per_vertex_output()) add(d, lanes * a.aggregators * a.out_features, internal("edge_weight"), internal("aggr"));
      add(d, a.aggregators * a.propagate * (a.in_features + 1), internal("aggr"), param_type(g, n, "flr_weight"));
      add(d, a.out_features * a.aggregators * a.propagate, internal("aggr"), param_type(g, n, "fout_weight"));
      break;
    }
    case OpKind::Elementwise:
      if (n.has_attr("op") && n.attr_str("op") == "mul")
        add(d, size, x, n.inputs.size() > 1 ? type_of(g, n.inputs[1]) : param_type(g, n, "constant"));
      break;
    case OpKind::Rescale: {
      auto operand = x;  // (x + pre_add) has the exact sum type
      if (x && n.has_param("pre_add") && param_type(g, n, "pre_add")) {
        const auto s = numeric::sum_type(numeric::exact(*x), numeric::exact(*param_type(g, n, "pre_add")));
        numeric::FixedType t = *x;
        t.width = s.width;
        t.int_bits = s.int_bits;
        t.is_signed = s.is_signed;
        operand = t;
      }
      add(d, size, operand, param_type(g, n, "scale"));
      break;
    }
    case OpKind::Activation: {
      if (const char* p = product_param(n)) add(d, size, x, param_type(g, n, p));
      break;
    }
    case OpKind::Softmax: {  // exp_hi * exp_lo and e * v per element; the inverse's interpolation per row
      auto table = [&](const char* k) -> std::optional<numeric::FixedType> {
        auto it = n.tables.find(k);
        return it == n.tables.end() ? std::nullopt : std::optional<numeric::FixedType>(it->second.entry);
      };
      add(d, size, table("exp_hi"), table("exp_lo"));
      auto e = n.types.find("exp_table");
      add(d, size, e == n.types.end() ? std::nullopt : std::optional<numeric::FixedType>(e->second), table("inv"));
      const ir::Shape& shape = g.tensor(n.outputs[0]).shape;
      const int64_t rows = shape.empty() || shape.back() == 0 ? 1 : size / shape.back();
      if (n.tables.count("inv") && n.table_data.count("inv") && n.types.count("accum")) {  // delta x r
        const SoftmaxInverse inv = softmax_inverse(n, shape.empty() ? 1 : shape.back());
        if (inv.remainder_bits > 0)
          add(d, rows, numeric::FixedType{inv.delta_width, inv.delta_width, true},
              numeric::FixedType{inv.remainder_bits, inv.remainder_bits, false});
      } else {
        add(d, rows, std::nullopt, std::nullopt);
      }
      break;
    }
    case OpKind::Input:
    case OpKind::Transpose:
    case OpKind::Upsample:
    case OpKind::Slice:
    case OpKind::Reshape:
    case OpKind::Concat:
    case OpKind::MultiThreshold:
    case OpKind::Quantize:
    case OpKind::ArgMax: break;
  }
  return d;
}

}  // namespace firmnet::ir
