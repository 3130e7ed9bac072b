#include "ir/graph.h"

#include "ir/garnet.h"
#include "ir/recurrent.h"
#include "ir/spatial.h"

#include "ir/activations.h"
#include "numeric/bits.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "support/error.h"

namespace firmnet::ir {

namespace {
struct OpInfo {
  OpKind kind;
  const char* name;
  const char* description;
};
constexpr OpInfo kOps[] = {
#define FIRMNET_OP(e, n, d) {OpKind::e, n, d},
#include "ir/ops.def"
#undef FIRMNET_OP
};
}  // namespace

const char* name(OpKind k) { return kOps[static_cast<int>(k)].name; }
const char* description(OpKind k) { return kOps[static_cast<int>(k)].description; }
std::optional<OpKind> op_kind_from_name(const std::string& n) {
  for (const auto& o : kOps)
    if (n == o.name) return o.kind;
  return std::nullopt;
}
std::vector<OpKind> all_op_kinds() {
  std::vector<OpKind> v;
  for (const auto& o : kOps) v.push_back(o.kind);
  return v;
}

const char* name(Strategy s) {
  switch (s) {
    case Strategy::Latency: return "Latency";
    case Strategy::Resource: return "Resource";
  }
  return "?";
}

std::vector<double> threshold_levels(const Graph& g, const Node& n) {
  const int64_t steps = g.tensor(n.param("thresholds")).shape.at(1);
  if (n.has_attr("out_levels")) return std::get<std::vector<double>>(n.attrs.at("out_levels"));
  const double scale = n.has_attr("out_scale") ? n.attr_float("out_scale") : 1.0;
  const double bias = n.has_attr("out_bias") ? n.attr_float("out_bias") : 0.0;
  std::vector<double> levels;
  for (int64_t k = 0; k <= steps; ++k) levels.push_back(scale * static_cast<double>(k) + bias);
  return levels;
}

int64_t num_elements(const Shape& s) {
  return std::accumulate(s.begin(), s.end(), int64_t{1}, [](int64_t a, int64_t b) { return a * b; });
}

std::string to_string(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

namespace {
template <class T>
const T& get_attr(const Node& n, const std::string& key, const char* type) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) throw Error("node '" + n.name + "'", "missing attribute '" + key + "'");
  if (const T* v = std::get_if<T>(&it->second)) return *v;
  throw Error("node '" + n.name + "'", "attribute '" + key + "' is not of type " + type);
}
}  // namespace

int64_t Node::attr_int(const std::string& key) const { return get_attr<int64_t>(*this, key, "int"); }
double Node::attr_float(const std::string& key) const {
  auto it = attrs.find(key);
  if (it != attrs.end())
    if (const int64_t* v = std::get_if<int64_t>(&it->second)) return static_cast<double>(*v);
  return get_attr<double>(*this, key, "float");
}
const std::string& Node::attr_str(const std::string& key) const { return get_attr<std::string>(*this, key, "string"); }
const std::vector<int64_t>& Node::attr_ints(const std::string& key) const {
  return get_attr<std::vector<int64_t>>(*this, key, "ints");
}
const std::vector<double>& Node::attr_floats(const std::string& key) const {
  return get_attr<std::vector<double>>(*this, key, "floats");
}
TensorId Node::param(const std::string& key) const {
  auto it = params.find(key);
  if (it == params.end()) throw Error("node '" + name + "'", "missing parameter '" + key + "'");
  return it->second;
}

int64_t Node::table_entries(const std::string& role) const {
  auto it = tables.find(role);
  if (it == tables.end()) throw Error("node '" + name + "'", "missing lookup table '" + role + "'");
  return it->second.size() + (interpolated_table(kind, role) ? 1 : 0);
}

namespace {

// The leading-one range of s = max(raw sum, 1) (SoftmaxInverse): [0, W_accum - 1] unless the sum is provably
// lossless, then the bits of the smallest and largest possible sum of n entries.
void softmax_lead_range(const Node& n, int64_t row_length, SoftmaxInverse& r) {
  const numeric::FixedType& acc = n.types.at("accum");
  r.lead_min = 0;
  r.lead_max = std::max(0, acc.width - 1);
  auto hs = n.tables.find("exp_hi"), ls = n.tables.find("exp_lo");
  auto hd = n.table_data.find("exp_hi"), ld = n.table_data.find("exp_lo");
  auto et = n.types.find("exp_table");
  if (hs == n.tables.end() || ls == n.tables.end() || hd == n.table_data.end() || ld == n.table_data.end() ||
      et == n.types.end() || hd->second.empty() || ld->second.empty() || row_length < 1)
    return;
  const auto& h = hd->second;
  const auto& l = ld->second;
  if (*std::min_element(h.begin(), h.end()) < 0 || *std::min_element(l.begin(), l.end()) < 0) return;
  const int fp = hs->second.entry.frac() + ls->second.entry.frac();
  const numeric::Cast emax = numeric::quantize(static_cast<numeric::i128>(*std::max_element(h.begin(), h.end())) *
                                                   *std::max_element(l.begin(), l.end()), fp, et->second);
  const int up = acc.frac() - et->second.frac();
  if (emax.overflow || emax.raw < 0 || up < 0 || up > 60) return;
  const numeric::i128 smax = (static_cast<numeric::i128>(emax.raw) * row_length) << up;
  if (smax > acc.raw_max()) return;
  // The row's maximum has d = 0: its coarse and fine indices are those of 0.
  const int64_t ih = numeric::table_index(0, 0, hs->second);
  const int64_t il = static_cast<int64_t>(numeric::shift_floor(0, ls->second.log2_step) + ls->second.offset) &
                     (ls->second.size() - 1);
  if (ih < 0 || static_cast<size_t>(ih) >= h.size() || il < 0 || static_cast<size_t>(il) >= l.size()) return;
  const numeric::Cast etop =
      numeric::quantize(static_cast<numeric::i128>(h[static_cast<size_t>(ih)]) * l[static_cast<size_t>(il)], fp, et->second);
  const numeric::i128 smin = std::max<numeric::i128>(static_cast<numeric::i128>(etop.raw) << up, 1);
  r.lead_min = numeric::bit_length(smin) - 1;
  r.lead_max = std::max(r.lead_min, numeric::bit_length(std::max<numeric::i128>(smax, 1)) - 1);
}

}  // namespace

SoftmaxInverse softmax_inverse(const Node& n, int64_t row_length) {
  SoftmaxInverse r;
  auto spec = n.tables.find("inv");
  auto data = n.table_data.find("inv");
  auto acc = n.types.find("accum");
  if (spec == n.tables.end() || data == n.table_data.end() || acc == n.types.end())
    throw Error("node '" + n.name + "'", "the softmax has no inverse table or accum type yet",
                "run passes/infer_precision and passes/build_tables first");
  softmax_lead_range(n, row_length, r);
  r.index_bits = spec->second.log2_size;
  r.remainder_bits = std::max(acc->second.width, r.index_bits + 1) - 1 - r.index_bits;
  numeric::i128 lo = 0, hi = 0;
  const std::vector<int64_t>& v = data->second;
  for (size_t j = 0; j + 1 < v.size(); ++j) {
    const numeric::i128 d = static_cast<numeric::i128>(v[j + 1]) - v[j];
    lo = std::min(lo, d), hi = std::max(hi, d);
  }
  r.delta_width = numeric::signed_width(lo, hi);
  return r;
}

TensorId Graph::add_tensor(Tensor t) {
  tensors.push_back(std::move(t));
  return static_cast<TensorId>(tensors.size() - 1);
}

Node& Graph::add_node(Node n) {
  nodes.push_back(std::move(n));
  return nodes.back();
}

int Graph::producer(TensorId id) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    for (TensorId o : nodes[i].outputs)
      if (o == id) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumers(TensorId id) const {
  std::vector<int> r;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (std::find(nodes[i].inputs.begin(), nodes[i].inputs.end(), id) != nodes[i].inputs.end())
      r.push_back(static_cast<int>(i));
  return r;
}

bool Graph::is_output(TensorId id) const { return std::find(outputs.begin(), outputs.end(), id) != outputs.end(); }

void Graph::replace_uses(TensorId from, TensorId to) {
  for (auto& n : nodes)
    for (auto& i : n.inputs)
      if (i == from) i = to;
  for (auto& o : outputs)
    if (o == from) o = to;
}

size_t Graph::erase_nodes(const std::vector<int>& node_indices) {
  std::set<int> drop(node_indices.begin(), node_indices.end());
  std::vector<Node> kept;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!drop.count(static_cast<int>(i))) kept.push_back(std::move(nodes[i]));
  size_t removed = nodes.size() - kept.size();
  nodes = std::move(kept);
  compact_tensors();
  return removed;
}

void Graph::compact_tensors() {
  std::vector<bool> used(tensors.size(), false);
  auto mark = [&](TensorId id) {
    if (id >= 0 && static_cast<size_t>(id) < used.size()) used[static_cast<size_t>(id)] = true;
  };
  for (auto id : inputs) mark(id);
  for (auto id : outputs) mark(id);
  for (const auto& n : nodes) {
    for (auto id : n.inputs) mark(id);
    for (auto id : n.outputs) mark(id);
    for (const auto& [k, id] : n.params) mark(id);
  }
  std::vector<TensorId> remap(tensors.size(), -1);
  std::vector<Tensor> kept;
  for (size_t i = 0; i < tensors.size(); ++i)
    if (used[i]) {
      remap[i] = static_cast<TensorId>(kept.size());
      kept.push_back(std::move(tensors[i]));
    }
  tensors = std::move(kept);
  auto fix = [&](TensorId& id) { id = remap.at(static_cast<size_t>(id)); };
  for (auto& id : inputs) fix(id);
  for (auto& id : outputs) fix(id);
  for (auto& n : nodes) {
    for (auto& id : n.inputs) fix(id);
    for (auto& id : n.outputs) fix(id);
    for (auto& [k, id] : n.params) fix(id);
  }
}

void Graph::verify(bool typed) const {
  auto where = [](const Node& n) { return "node '" + n.name + "' (" + std::string(ir::name(n.kind)) + ")"; };
  std::vector<int> producer_of(tensors.size(), -1);
  std::vector<bool> available(tensors.size(), false);
  auto check_id = [&](const Node& n, TensorId id) {
    if (id < 0 || static_cast<size_t>(id) >= tensors.size())
      throw Error(where(n), "refers to tensor id " + std::to_string(id) + " out of range");
  };
  for (auto id : inputs) {
    if (id < 0 || static_cast<size_t>(id) >= tensors.size()) throw Error("graph", "input tensor id " + std::to_string(id) + " out of range");
    available[static_cast<size_t>(id)] = true;
  }
  for (size_t t = 0; t < tensors.size(); ++t)
    if (tensors[t].is_const()) available[t] = true;
  std::set<std::string> names;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (!names.insert(n.name).second) throw Error(where(n), "duplicate node name");
    for (auto id : n.inputs) {
      check_id(n, id);
      if (!available[static_cast<size_t>(id)])
        throw Error(where(n), "reads tensor '" + tensors[static_cast<size_t>(id)].name + "' before it is produced");
    }
    for (const auto& [k, id] : n.params) {
      check_id(n, id);
      if (!tensors[static_cast<size_t>(id)].is_const())
        throw Error(where(n), "parameter '" + k + "' is not a constant tensor");
    }
    for (auto id : n.outputs) {
      check_id(n, id);
      if (producer_of[static_cast<size_t>(id)] != -1) throw Error(where(n), "tensor '" + tensors[static_cast<size_t>(id)].name + "' has two producers");
      producer_of[static_cast<size_t>(id)] = static_cast<int>(i);
      available[static_cast<size_t>(id)] = true;
    }
    verify_op(*this, n);
  }
  for (auto id : outputs)
    if (id < 0 || static_cast<size_t>(id) >= tensors.size()) throw Error("graph", "output tensor id " + std::to_string(id) + " out of range");
    else if (!available.at(static_cast<size_t>(id))) throw Error("graph", "output '" + tensors[static_cast<size_t>(id)].name + "' is never produced");
  for (const auto& t : tensors) {
    for (auto d : t.shape)
      if (d <= 0) throw Error("tensor '" + t.name + "'", "has a non-positive dimension in shape " + to_string(t.shape));
    if (t.is_const() && !t.values.empty() && static_cast<int64_t>(t.values.size()) != t.size())
      throw Error("tensor '" + t.name + "'", "holds " + std::to_string(t.values.size()) + " values for shape " + to_string(t.shape));
    if (t.layout && !t.layout->fits(t.size()))
      throw Error("tensor '" + t.name + "'", "layout view " + to_string(t.layout->view) + " / perm " +
                                                 to_string(t.layout->perm) + " / model shape " +
                                                 to_string(t.layout->model_shape) + " does not fit shape " +
                                                 to_string(t.shape));
    if (typed) {
      if (!t.type) throw Error("tensor '" + t.name + "'", "has no fixed-point type after type resolution");
      if (t.is_const() && static_cast<int64_t>(t.raw.size()) != t.size())
        throw Error("tensor '" + t.name + "'", "constant is not quantized");
    }
  }
}

std::vector<int64_t> ModelLayout::model_index() const {
  // Model element m sits at view position (i_perm[0], ..., i_perm[r-1]) where the model's coordinates are
  // (i_perm[0], ...) = coordinates of m in the transposed shape; invert by walking the view.
  const size_t r = view.size();
  std::vector<int64_t> tshape(r), tstride(r);
  for (size_t a = 0; a < r; ++a) tshape[a] = view[static_cast<size_t>(perm[a])];
  int64_t st = 1;
  for (size_t a = r; a-- > 0;) tstride[a] = st, st *= tshape[a];
  std::vector<int64_t> vstride(r);  // stride in the transposed (model) order of each view axis
  for (size_t a = 0; a < r; ++a) vstride[static_cast<size_t>(perm[a])] = tstride[a];
  const int64_t n = num_elements(view);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  std::vector<int64_t> c(r, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t m = 0;
    for (size_t a = 0; a < r; ++a) m += c[a] * vstride[a];
    idx[static_cast<size_t>(k)] = m;
    for (size_t a = r; a-- > 0;) {
      if (++c[a] < view[a]) break;
      c[a] = 0;
    }
  }
  return idx;
}

bool ModelLayout::fits(int64_t numel) const {
  if (perm.size() != view.size() || view.size() > 8 || model_shape.size() > 8) return false;
  std::vector<bool> seen(perm.size(), false);
  for (int64_t a : perm) {
    if (a < 0 || a >= static_cast<int64_t>(perm.size()) || seen[static_cast<size_t>(a)]) return false;
    seen[static_cast<size_t>(a)] = true;
  }
  int64_t nv = 1, nm = 1;
  for (int64_t d : view) {
    if (d <= 0 || d > numel) return false;
    nv *= d;
    if (nv > numel) return false;
  }
  for (int64_t d : model_shape) {
    if (d <= 0 || d > numel) return false;
    nm *= d;
    if (nm > numel) return false;
  }
  return nv == numel && nm == numel;
}

std::vector<double> ModelLayout::to_held(const std::vector<double>& model_order) const {
  const std::vector<int64_t> idx = model_index();
  const size_t n = idx.size();
  std::vector<double> held(model_order.size());
  for (size_t s = 0; s + n <= model_order.size(); s += n)
    for (size_t k = 0; k < n; ++k) held[s + k] = model_order[s + static_cast<size_t>(idx[k])];
  return held;
}

std::vector<double> ModelLayout::to_model(const std::vector<double>& held) const {
  const std::vector<int64_t> idx = model_index();
  const size_t n = idx.size();
  std::vector<double> model(held.size());
  for (size_t s = 0; s + n <= held.size(); s += n)
    for (size_t k = 0; k < n; ++k) model[s + static_cast<size_t>(idx[k])] = held[s + k];
  return model;
}

int64_t multiplier_count(const Graph& g, const Node& n) {
  switch (n.kind) {
    case OpKind::Dense: return g.tensor(n.param("weight")).size();
    case OpKind::Conv: {  // per output pixel, a Dense of its window (padding taps still counted: HLS decides)
      const ConvAttrs c = ConvAttrs::of(g, n);
      return c.win.out_pixels() * c.rows() * c.out_channels;
    }
    case OpKind::Pool: {  // an average multiplies each sum by 1/count
      const PoolAttrs p = PoolAttrs::of(g, n);
      return p.mode == PoolMode::Avg ? g.tensor(n.outputs.at(0)).size() : 0;
    }
    case OpKind::BatchNorm: return g.tensor(n.outputs.at(0)).size();
    case OpKind::Recurrent: {  // per step: the input and recurrent products, and the cell's 3 products per unit
      const RecurrentAttrs r = RecurrentAttrs::of(g, n);
      const int64_t cell = r.cell == CellKind::RNN ? 0 : 3 * r.units;
      return r.steps * ((r.features + r.units) * r.gate_width() + cell);
    }
    case OpKind::GarNet: {  // the kernel's products (docs/NUMERICS.md "GarNet")
      const GarNetAttrs a = GarNetAttrs::of(g, n);
      const int64_t per_vertex = 2 * a.in_features * a.aggregators + (a.per_vertex_output() ? a.aggregators * a.out_features : 0);
      const int64_t once = a.aggregators * (a.in_features + 1) + a.aggregators * a.propagate * (a.in_features + 1) +
                           a.out_features * a.aggregators * a.propagate +
                           (a.per_vertex_output() ? 0 : a.out_features * (a.aggregators + 2));
      return a.vertices * per_vertex + once;
    }
    case OpKind::Elementwise:
      return n.has_attr("op") && n.attr_str("op") == "mul" ? g.tensor(n.outputs.at(0)).size() : 0;
    case OpKind::Softmax: {  // e_k * v per element, the inverse's interpolation (inv[j+1] - inv[j]) * r per row
      const Tensor& y = g.tensor(n.outputs.at(0));
      const int64_t row = y.shape.empty() || y.shape.back() == 0 ? 1 : y.shape.back();
      return y.size() + y.size() / row;
    }
    case OpKind::Rescale: return g.tensor(n.outputs.at(0)).size();
    case OpKind::Activation: return product_param(n) ? g.tensor(n.outputs.at(0)).size() : 0;
    case OpKind::Input:
    case OpKind::Transpose:
    case OpKind::Upsample:
    case OpKind::Slice:
    case OpKind::Reshape:
    case OpKind::Concat:
    case OpKind::MultiThreshold:
    case OpKind::Quantize:
    case OpKind::ArgMax: return 0;
  }
  return 0;
}

}  // namespace firmnet::ir
