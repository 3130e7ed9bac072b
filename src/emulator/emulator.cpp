#include "emulator/emulator.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "emulator/kernel.h"
#include "numeric/rounding.h"

namespace firmnet::emulator {

// ---------------------------------------------------------------------------------------------- CastPlan

CastPlan::CastPlan(const numeric::FixedType& t, int from_frac) : type_(t), from_frac_(from_frac) {
  shift_ = from_frac - t.frac();
  lo_ = t.raw_min();
  hi_ = t.raw_max();
  wrap_mask_ = t.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << t.width) - 1;
  if (shift_ > 0 && shift_ <= 63) {
    mask_ = (uint64_t{1} << shift_) - 1;
    half_ = uint64_t{1} << (shift_ - 1);
  }
  const bool common_overflow = t.overflow == Overflow::WRAP || t.overflow == Overflow::SAT;
  inline_ok_ = common_overflow && shift_ >= -63 && shift_ <= 63;
  if (shift_ <= 0) {
    // Beyond 127 the i128 shift would be UB; the bounds are 0 from 64 on anyway (|lo|, hi <= 2^63).
    const int up = std::min(-shift_, 127);
    vlo_ = static_cast<int64_t>(-((-static_cast<i128>(lo_)) >> up));  // ceil(lo / 2^up), lo <= 0
    vhi_ = static_cast<int64_t>(static_cast<i128>(hi_) >> up);         // floor(hi / 2^up), hi >= 0
  }
}

int64_t CastPlan::general(i128 v, int64_t& overflows) const {
  const numeric::Cast c = numeric::quantize(v, from_frac_, type_);
  overflows += c.overflow ? 1 : 0;
  return c.raw;
}

// ------------------------------------------------------------------------------------------ NodeContext

const ir::Tensor& NodeContext::input(size_t k) const {
  if (k >= node.inputs.size())
    fail("expects at least " + std::to_string(k + 1) + " input(s), has " + std::to_string(node.inputs.size()));
  return g.tensor(node.inputs[k]);
}

const ir::Tensor& NodeContext::output() const {
  if (node.outputs.size() != 1) fail("has " + std::to_string(node.outputs.size()) + " outputs, the emulator expects 1");
  return g.tensor(node.outputs[0]);
}

const numeric::FixedType& NodeContext::type_of(const ir::Tensor& t) const {
  if (!t.type) fail("tensor '" + t.name + "' has no fixed-point type", "run the type resolution passes before emulating");
  return *t.type;
}

const ir::Tensor& NodeContext::param(const std::string& key) const {
  auto it = node.params.find(key);
  if (it == node.params.end()) fail("missing parameter '" + key + "'");
  const ir::Tensor& t = g.tensor(it->second);
  type_of(t);
  if (static_cast<int64_t>(t.raw.size()) != t.size())
    fail("parameter '" + key + "' (tensor '" + t.name + "') is not quantized",
         "run passes/quantize_constants before emulating");
  const auto& ty = *t.type;
  for (int64_t r : t.raw)
    if (r < ty.raw_min() || r > ty.raw_max())
      fail("parameter '" + key + "' holds raw value " + std::to_string(r) + " outside its type " + ty.str());
  return t;
}

const numeric::FixedType& NodeContext::internal_type(const std::string& key) const {
  auto it = node.types.find(key);
  if (it == node.types.end())
    fail("has no internal type '" + key + "'", "run passes/infer_precision (it sets the '" + key + "' type)");
  return it->second;
}

const numeric::TableSpec& NodeContext::table(const std::string& role) const {
  auto it = node.tables.find(role);
  if (it == node.tables.end()) fail("has no lookup table '" + role + "'", "run passes/build_tables before emulating");
  // The entry type is also the node's internal type "table" / "exp_table" / "inv_table" (what the
  // firmware declares): the two must agree.
  const std::string key = role == "table" ? role : role + "_table";
  auto ty = node.types.find(key);
  if (ty != node.types.end() && ty->second != it->second.entry)
    fail("table '" + role + "' holds entries of type " + it->second.entry.str() + " but the node's '" + key +
             "' type is " + ty->second.str(),
         "rebuild the tables after changing the precision (passes/build_tables)");
  return it->second;
}

const std::vector<int64_t>& NodeContext::table_data(const std::string& role) const {
  const numeric::TableSpec& s = table(role);
  auto it = node.table_data.find(role);
  const int64_t entries = s.size() + (ir::interpolated_table(node.kind, role) ? 1 : 0);
  if (it == node.table_data.end() || static_cast<int64_t>(it->second.size()) != entries)
    fail("table '" + role + "' has " + std::to_string(it == node.table_data.end() ? 0 : it->second.size()) +
             " entries, its spec says " + std::to_string(entries),
         "run passes/build_tables before emulating");
  return it->second;
}

int64_t NodeContext::channels_of_input(size_t k) const {
  const ir::Tensor& t = input(k);
  return t.shape.empty() ? 1 : t.shape.back();
}

// ------------------------------------------------------------------------------------------- Emulator

namespace {

constexpr size_t kBlock = 64;  // samples per block: buffers stay in L1/L2, kernels loop over a block
// A block buffer holds at most this many values of one tensor (or one sample of it, 512 KiB): a model with
// large tensors gets fewer samples per block, so that memory grows with the model, not 64 times it, and a
// block of a conv net's feature maps stays in the L2 cache between one layer and the next (SVHN: 4 samples
// of 30x30x16). MLPs (tensors of up to 1024 values) keep blocks of kBlock.
constexpr size_t kBlockValues = size_t{1} << 16;

struct Step {
  std::string name;
  std::unique_ptr<Kernel> kernel;  // null for a graph Input node (its output is loaded, not computed)
  std::vector<ir::TensorId> inputs;
  ir::TensorId output = -1;
  bool trace = false;
  size_t counter = 0;  // index into the overflow counters
};

// ap_fixed assignment from double, inline for WRAP/SAT: d * 2^F is exact in double (a power-of-two scale
// of a normal result), and floor and the comparison of the remainder with 1/2 are exact, so this equals
// numeric::quantize_double; anything unusual (huge or tiny values, other overflow modes, NaN/inf) goes to
// quantize_double itself.
class InputCast {
 public:
  explicit InputCast(const numeric::FixedType& t) : t_(t), lo_(t.raw_min()), hi_(t.raw_max()) {
    scale_ = std::ldexp(1.0, t.frac());
    common_ = (t.overflow == Overflow::WRAP || t.overflow == Overflow::SAT) && t.frac() > -900 && t.frac() < 900;
    sat_ = t.overflow == Overflow::SAT;
    mask_ = t.width >= 64 ? ~uint64_t{0} : (uint64_t{1} << t.width) - 1;
  }
  // dst[e] = Q_t(src[e]) for a run of values; the common case runs branch-free, rare values are redone
  // through quantize_double.
  void operator()(const double* src, int64_t* dst, size_t n, int64_t& overflows) const {
    if (!common_) {
      for (size_t e = 0; e < n; ++e) dst[e] = slow(src[e], overflows);
      return;
    }
    numeric::with_rounding(t_.rounding, [&]<Rounding R>() { this->template loop<R>(src, dst, n, overflows); });
  }

 private:
  // |d * 2^F| < 2^51: floor's result converts to int64 by the magic-number add (below), which vectorises.
  bool fast_ok(double d, double s) const { return std::fabs(s) < 0x1p51 && (std::fabs(s) >= 0x1p-900 || d == 0); }
  int64_t slow(double d, int64_t& overflows) const {
    const numeric::Cast c = numeric::quantize_double(d, t_);
    overflows += c.overflow ? 1 : 0;
    return c.raw;
  }
  template <Rounding R>
  void loop(const double* __restrict src, int64_t* __restrict dst, size_t n, int64_t& overflows) const {
    int64_t ov = 0;
    bool any_slow = false;
    for (size_t e = 0; e < n; ++e) {
      const double d = src[e], s0 = d * scale_;
      const bool ok = fast_ok(d, s0);  // false for NaN/inf too
      const double s = ok ? s0 : 0.0;
      const double fl = std::floor(s);
      const double frac = s - fl;  // exact, in [0, 1)
      // fl is an integer of magnitude below 2^51: fl + 1.5 * 2^52 is exact and its mantissa holds fl + 2^51.
      const int64_t q0 = std::bit_cast<int64_t>(fl + 0x1.8p52) - std::bit_cast<int64_t>(0x1.8p52);
      // round_increment with rem and half in units of 1/4: only the comparison with 1/2 matters.
      const uint64_t rem = uint64_t{frac != 0} + uint64_t{frac >= 0.5} + uint64_t{frac > 0.5};
      const int64_t q = q0 + round_increment<R>(q0, rem, 2);
      ov += (q < lo_) | (q > hi_);
      const uint64_t ulo = static_cast<uint64_t>(lo_);
      const int64_t wrapped = static_cast<int64_t>(((static_cast<uint64_t>(q) - ulo) & mask_) + ulo);
      dst[e] = sat_ ? (q < lo_ ? lo_ : (q > hi_ ? hi_ : q)) : wrapped;
      any_slow |= !ok;
    }
    if (any_slow)  // those were computed as 0 (in range, not counted): redo them exactly
      for (size_t e = 0; e < n; ++e)
        if (!fast_ok(src[e], src[e] * scale_)) dst[e] = slow(src[e], ov);
    overflows += ov;
  }

  numeric::FixedType t_;
  double scale_ = 1;
  bool common_ = false, sat_ = false;
  int64_t lo_, hi_;
  uint64_t mask_ = 0;
};

// The model's input quantizer as the input conversion: its exact value cast to the input type (exact: the
// type holds every level). Its clip is the model's saturation, never an overflow.
void quantize_inputs(const ir::InputQuantizer& q, const numeric::FixedType& t, const std::string& name,
                     const double* src, int64_t* dst, size_t n, size_t numel) {
  const double scale = std::ldexp(1.0, t.frac());
  for (size_t e = 0; e < n; ++e) {
    if (std::isnan(src[e]))
      throw Error("input '" + name + "'", "value " + std::to_string(e % numel) + " of a sample is NaN");
    dst[e] = static_cast<int64_t>(q.value(src[e], static_cast<int64_t>(e % numel)) * scale);
  }
}

struct GraphInput {
  ir::TensorId id;
  numeric::FixedType type;
  size_t counter;
  std::string name;  // for errors: the input node's name, or the tensor's
  InputCast cast;
  std::optional<ir::InputQuantizer> quantizer;
};

std::unique_ptr<Kernel> make_kernel(const NodeContext& c) {
  switch (c.node.kind) {
    case ir::OpKind::Input: return c.node.inputs.empty() ? nullptr : make_convert(c);
    case ir::OpKind::Dense: return make_dense(c);
    case ir::OpKind::BatchNorm: return make_batchnorm(c);
    case ir::OpKind::Activation: return make_activation(c);
    case ir::OpKind::Softmax: return make_softmax(c);
    case ir::OpKind::Elementwise: return make_elementwise(c);
    case ir::OpKind::Reshape: return make_convert(c);
    case ir::OpKind::Concat: return make_concat(c);
    case ir::OpKind::MultiThreshold: return make_multithreshold(c);
    case ir::OpKind::Rescale: return make_rescale(c);
    case ir::OpKind::ArgMax: return make_argmax(c);
    case ir::OpKind::Quantize: return make_quantize(c);
    case ir::OpKind::Conv: return make_conv(c);
    case ir::OpKind::Pool: return make_pool(c);
    case ir::OpKind::Transpose: return make_transpose(c);
    case ir::OpKind::Upsample: return make_upsample(c);
    case ir::OpKind::Slice: return make_slice(c);
    case ir::OpKind::Recurrent: return make_recurrent(c);
    case ir::OpKind::GarNet: return make_garnet(c);
  }
  c.fail("unknown op kind");
}

}  // namespace

struct Emulator::Impl {
  Options opts;
  std::vector<int64_t> numel;  // per tensor id
  std::vector<bool> is_activation;
  // Constant tensors read as node inputs (not params): their raw values repeated for a block of samples.
  std::map<ir::TensorId, std::vector<int64_t>> const_blocks;
  size_t block = kBlock;  // samples per block
  std::vector<GraphInput> inputs;
  std::vector<ir::TensorId> outputs;
  std::vector<numeric::FixedType> output_types;
  std::vector<Step> steps;
  std::vector<std::string> counter_names;
  // Activation buffers by liveness: tensor id -> slot (-1: none, or a constant block); a slot is reused once
  // the last step reading its tensor has run (graph outputs live to the end of the block), so a chain of
  // layers needs two or three buffers whatever its depth. slot_values: values per sample of each slot.
  std::vector<int> slot_of;
  std::vector<size_t> slot_values;

  Result run(const std::vector<std::vector<double>>* floats, const std::vector<std::vector<int64_t>>* raws,
             size_t batch) const;
};

namespace {

// Slots for the activation tensors (Impl::slot_of): graph inputs first, then each step's output takes a free
// slot (never one of its own inputs', which are released only after it), and the inputs whose last reader
// this step is are released. Graph outputs are never released.
template <class ImplT>
void assign_slots_impl(ImplT& m, const std::vector<ir::TensorId>& graph_inputs, const std::vector<ir::TensorId>& graph_outputs) {
  const size_t n_tensors = m.numel.size();
  std::vector<int64_t> last_use(n_tensors, -1);
  std::vector<bool> keep(n_tensors, false);
  for (ir::TensorId id : graph_outputs) keep[static_cast<size_t>(id)] = true;
  for (size_t i = 0; i < m.steps.size(); ++i)
    for (ir::TensorId id : m.steps[i].inputs) last_use[static_cast<size_t>(id)] = static_cast<int64_t>(i);
  m.slot_of.assign(n_tensors, -1);
  std::vector<int> free_slots;
  auto take = [&](ir::TensorId id) {
    const size_t k = static_cast<size_t>(id);
    if (!m.is_activation[k] || m.const_blocks.count(id) || m.slot_of[k] >= 0) return;
    const size_t need = static_cast<size_t>(m.numel[k]);
    int best = -1;  // the smallest free slot that holds it, else the largest free one (grown)
    for (size_t f = 0; f < free_slots.size(); ++f) {
      const int s = free_slots[f];
      const size_t cap = m.slot_values[static_cast<size_t>(s)];
      if (best < 0) {
        best = static_cast<int>(f);
        continue;
      }
      const size_t bcap = m.slot_values[static_cast<size_t>(free_slots[static_cast<size_t>(best)])];
      if ((cap >= need && (bcap < need || cap < bcap)) || (bcap < need && cap > bcap)) best = static_cast<int>(f);
    }
    int slot;
    if (best >= 0) {
      slot = free_slots[static_cast<size_t>(best)];
      free_slots.erase(free_slots.begin() + best);
    } else {
      slot = static_cast<int>(m.slot_values.size());
      m.slot_values.push_back(0);
    }
    m.slot_values[static_cast<size_t>(slot)] = std::max(m.slot_values[static_cast<size_t>(slot)], need);
    m.slot_of[k] = slot;
  };
  auto release = [&](ir::TensorId id) {
    const size_t k = static_cast<size_t>(id);
    const int slot = m.slot_of[k];
    if (slot < 0 || keep[k] || std::find(free_slots.begin(), free_slots.end(), slot) != free_slots.end()) return;
    free_slots.push_back(slot);
  };
  for (ir::TensorId id : graph_inputs) take(id);
  for (size_t i = 0; i < m.steps.size(); ++i) {
    const Step& s = m.steps[i];
    take(s.output);
    for (ir::TensorId id : s.inputs)
      if (last_use[static_cast<size_t>(id)] == static_cast<int64_t>(i)) release(id);
    // An output no later step reads (and not a graph output) is free again at once (a trace copies it first).
    if (last_use[static_cast<size_t>(s.output)] <= static_cast<int64_t>(i)) release(s.output);
  }
  // Anything read but never written (not expected of a verified graph) keeps a buffer of its own, as before.
  free_slots.clear();
  for (const auto& s : m.steps)
    for (ir::TensorId id : s.inputs) take(id);
  for (ir::TensorId id : graph_outputs) take(id);
}

}  // namespace

Emulator::Emulator(const ir::Graph& g, Options opts) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.opts = opts;
  for (const auto& t : g.tensors) {
    m.numel.push_back(t.size());
    m.is_activation.push_back(!t.is_const());
  }
  size_t widest = 1;  // the largest tensor a block buffer holds: node inputs (not params) and outputs
  for (const ir::Node& n : g.nodes) {
    for (ir::TensorId id : n.inputs) widest = std::max(widest, static_cast<size_t>(m.numel[static_cast<size_t>(id)]));
    for (ir::TensorId id : n.outputs) widest = std::max(widest, static_cast<size_t>(m.numel[static_cast<size_t>(id)]));
  }
  for (ir::TensorId id : g.outputs) widest = std::max(widest, static_cast<size_t>(m.numel[static_cast<size_t>(id)]));
  m.block = std::clamp<size_t>(kBlockValues / widest, 1, kBlock);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    NodeContext c{g, n};
    Step s;
    s.name = n.name;
    s.kernel = make_kernel(c);
    s.inputs = n.inputs;
    c.out_type();  // checks there is exactly one, typed output
    s.output = n.outputs[0];
    s.trace = opts.trace || n.trace;
    for (ir::TensorId id : n.inputs) {
      const ir::Tensor& t = g.tensor(id);
      if (!t.is_const() || m.const_blocks.count(id)) continue;
      if (static_cast<int64_t>(t.raw.size()) != t.size() || !t.type)
        c.fail("reads constant '" + t.name + "', which is not quantized", "run passes/quantize_constants first");
      for (int64_t r : t.raw)
        if (r < t.type->raw_min() || r > t.type->raw_max())
          c.fail("constant '" + t.name + "' holds raw value " + std::to_string(r) + " outside its type " + t.type->str());
      std::vector<int64_t>& blk = m.const_blocks[id];
      for (size_t r = 0; r < m.block; ++r) blk.insert(blk.end(), t.raw.begin(), t.raw.end());
    }
    s.counter = m.counter_names.size();
    m.counter_names.push_back(n.name);
    if (!s.kernel && n.kind == ir::OpKind::Input &&
        std::find(g.inputs.begin(), g.inputs.end(), s.output) == g.inputs.end())
      c.fail("Input node's output '" + g.tensor(s.output).name + "' is not a graph input");
    m.steps.push_back(std::move(s));
  }
  for (ir::TensorId id : g.inputs) {
    const ir::Tensor& t = g.tensor(id);
    if (!t.type) throw Error("graph input '" + t.name + "'", "has no fixed-point type", "set the input precision");
    GraphInput in{id, *t.type, 0, t.name, InputCast(*t.type), t.quantizer};
    if (t.quantizer && (t.type->width > 53 || t.type->frac() < -900 || t.type->frac() > 900))
      throw Error("graph input '" + t.name + "'", "the input quantizer's type " + t.type->str() + " is wider than 53 bits");
    // Overflows of the input cast count under the Input node that declares it, when there is one.
    auto it = std::find_if(m.steps.begin(), m.steps.end(), [&](const Step& s) { return !s.kernel && s.output == id; });
    if (it != m.steps.end()) {
      in.counter = it->counter;
      in.name = it->name;
    } else {
      in.counter = m.counter_names.size();
      m.counter_names.push_back(t.name);
    }
    m.inputs.push_back(in);
  }
  assign_slots_impl(m, g.inputs, g.outputs);
  for (ir::TensorId id : g.outputs) {
    const ir::Tensor& t = g.tensor(id);
    if (!t.type) throw Error("graph output '" + t.name + "'", "has no fixed-point type");
    if (t.is_const() && !m.const_blocks.count(id)) {  // a constant output (folded, or IR text): its values per sample
      if (static_cast<int64_t>(t.raw.size()) != t.size())
        throw Error("graph output '" + t.name + "'", "is a constant that is not quantized", "run passes/quantize_constants first");
      for (int64_t r : t.raw)
        if (r < t.type->raw_min() || r > t.type->raw_max())
          throw Error("graph output '" + t.name + "'", "holds raw value " + std::to_string(r) + " outside its type " + t.type->str());
      std::vector<int64_t>& blk = m.const_blocks[id];
      for (size_t r = 0; r < m.block; ++r) blk.insert(blk.end(), t.raw.begin(), t.raw.end());
    }
    m.outputs.push_back(id);
    m.output_types.push_back(*t.type);
  }
}

Emulator::~Emulator() = default;

size_t Emulator::samples_per_block() const { return impl_->block; }

std::string Emulator::kernel_info(const std::string& node_name) const {
  for (const Step& s : impl_->steps)
    if (s.name == node_name) return s.kernel ? s.kernel->info() : "input";
  throw Error("emulator", "no node named '" + node_name + "'");
}

Result Emulator::run(const std::vector<std::vector<double>>& inputs, size_t batch) const {
  return impl_->run(&inputs, nullptr, batch);
}

Result Emulator::run_raw(const std::vector<std::vector<int64_t>>& inputs, size_t batch) const {
  return impl_->run(nullptr, &inputs, batch);
}

Result Emulator::Impl::run(const std::vector<std::vector<double>>* floats,
                           const std::vector<std::vector<int64_t>>* raws, size_t batch) const {
  const size_t n_given = floats ? floats->size() : raws->size();
  if (n_given != inputs.size())
    throw Error("emulator", "got " + std::to_string(n_given) + " input arrays, the graph has " +
                                std::to_string(inputs.size()) + " inputs");
  for (size_t k = 0; k < inputs.size(); ++k) {
    const size_t expect = batch * static_cast<size_t>(numel[static_cast<size_t>(inputs[k].id)]);
    const size_t got = floats ? (*floats)[k].size() : (*raws)[k].size();
    if (got != expect)
      throw Error("input '" + inputs[k].name + "'",
                  "has " + std::to_string(got) + " values, expected " + std::to_string(expect) + " (batch " +
                      std::to_string(batch) + " x " + std::to_string(numel[static_cast<size_t>(inputs[k].id)]) + ")");
    if (raws) {  // kernels rely on raw values being in range of their type
      const int64_t lo = inputs[k].type.raw_min(), hi = inputs[k].type.raw_max();
      for (int64_t r : (*raws)[k])
        if (r < lo || r > hi)
          throw Error("input '" + inputs[k].name + "'",
                      "raw value " + std::to_string(r) + " does not fit its type " + inputs[k].type.str());
    }
  }

  Result res;
  for (ir::TensorId id : outputs) res.outputs_raw.emplace_back(batch * static_cast<size_t>(numel[static_cast<size_t>(id)]));
  std::vector<std::vector<int64_t>*> trace_of(steps.size(), nullptr);
  for (size_t i = 0; i < steps.size(); ++i)
    if (steps[i].trace) {
      auto& v = res.trace_raw[steps[i].name];
      v.resize(batch * static_cast<size_t>(numel[static_cast<size_t>(steps[i].output)]));
      trace_of[i] = &v;
    }

  const size_t n_blocks = (batch + block - 1) / block;
  size_t n_threads = opts.threads > 0 ? static_cast<size_t>(opts.threads) : std::max(1u, std::thread::hardware_concurrency());
  n_threads = std::max<size_t>(1, std::min(n_threads, n_blocks));
  std::vector<std::vector<int64_t>> counters(n_threads, std::vector<int64_t>(counter_names.size(), 0));
  std::atomic<size_t> next_block{0};
  std::exception_ptr error;
  std::mutex error_mutex;

  auto worker = [&](size_t t) {
    try {
      std::vector<std::vector<int64_t>> slots(slot_values.size());
      for (size_t k = 0; k < slots.size(); ++k) slots[k].resize(block * slot_values[k]);
      std::vector<int64_t*> buf(numel.size(), nullptr);  // each tensor's block: its slot, or its constant block
      for (size_t id = 0; id < numel.size(); ++id)
        if (slot_of[id] >= 0) buf[id] = slots[static_cast<size_t>(slot_of[id])].data();
      std::vector<std::vector<int64_t>> consts;
      for (const auto& [id, blk] : const_blocks) buf[static_cast<size_t>(id)] = consts.emplace_back(blk).data();
      std::vector<const int64_t*> in_ptrs;
      std::vector<int64_t>& cnt = counters[t];
      for (size_t b = next_block++; b < n_blocks; b = next_block++) {
        const size_t first = b * block, n = std::min(block, batch - first);
        for (size_t k = 0; k < inputs.size(); ++k) {
          const size_t ne = static_cast<size_t>(numel[static_cast<size_t>(inputs[k].id)]);
          int64_t* dst = buf[static_cast<size_t>(inputs[k].id)];
          if (raws) {
            std::copy_n((*raws)[k].data() + first * ne, n * ne, dst);
          } else if (inputs[k].quantizer) {
            quantize_inputs(*inputs[k].quantizer, inputs[k].type, inputs[k].name, (*floats)[k].data() + first * ne, dst,
                            n * ne, ne);
          } else {
            inputs[k].cast((*floats)[k].data() + first * ne, dst, n * ne, cnt[inputs[k].counter]);
          }
        }
        for (size_t i = 0; i < steps.size(); ++i) {
          const Step& s = steps[i];
          const size_t ne = static_cast<size_t>(numel[static_cast<size_t>(s.output)]);
          int64_t* out = buf[static_cast<size_t>(s.output)];
          if (s.kernel) {
            in_ptrs.clear();
            for (ir::TensorId id : s.inputs) in_ptrs.push_back(buf[static_cast<size_t>(id)]);
            s.kernel->run(in_ptrs.data(), out, n, cnt[s.counter]);
          }
          if (trace_of[i]) std::copy_n(out, n * ne, trace_of[i]->data() + first * ne);
        }
        for (size_t k = 0; k < outputs.size(); ++k) {
          const size_t ne = static_cast<size_t>(numel[static_cast<size_t>(outputs[k])]);
          std::copy_n(buf[static_cast<size_t>(outputs[k])], n * ne, res.outputs_raw[k].data() + first * ne);
        }
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      next_block = n_blocks;  // stop the other workers early
    }
  };
  if (n_threads == 1) {
    worker(0);
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < n_threads; ++t) pool.emplace_back(worker, t);
    for (auto& th : pool) th.join();
  }
  if (error) std::rethrow_exception(error);

  for (size_t c = 0; c < counter_names.size(); ++c) {
    int64_t total = 0;
    for (const auto& v : counters) total += v[c];
    res.overflows[counter_names[c]] += total;
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    // raw * 2^-F: a multiplication by an exact power of two equals to_double's ldexp for normal results.
    const numeric::FixedType& t = output_types[k];
    const bool by_scale = t.frac() > -900 && t.frac() < 900 && t.width <= 53;
    const double scale = std::ldexp(1.0, -t.frac());
    std::vector<double> v(res.outputs_raw[k].size());
    for (size_t e = 0; e < v.size(); ++e) {
      const int64_t r = res.outputs_raw[k][e];
      v[e] = by_scale ? static_cast<double>(r) * scale : t.to_double(r);
    }
    res.outputs.push_back(std::move(v));
  }
  return res;
}

}  // namespace firmnet::emulator
