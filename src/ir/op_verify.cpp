// Per-op structural rules (docs/IR.md's table): arity, parameter roles and sizes, attribute kinds. Graph::verify
// applies them to every node, so a pass, the emulator or the backend never meets a node of the wrong shape,
// whether it came from a frontend or from hand-edited IR text. One case per op and no default: a new op in
// ops.def does not build until it states its rules here.
#include <fmt/format.h>

#include "ir/activations.h"
#include "ir/garnet.h"
#include "ir/graph.h"
#include "ir/recurrent.h"
#include "ir/spatial.h"
#include "support/error.h"

namespace firmnet::ir {

namespace {

class Rules {
 public:
  Rules(const Graph& g, const Node& n) : g_(g), n_(n) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("node '" + n_.name + "' (" + name(n_.kind) + ")", what,
                "docs/IR.md lists what each op reads and holds");
  }
  void arity(size_t lo, size_t hi, size_t outputs = 1) const {
    if (n_.inputs.size() < lo || n_.inputs.size() > hi)
      fail(lo == hi ? fmt::format("has {} inputs, {} expected", n_.inputs.size(), lo)
                    : fmt::format("has {} inputs, {} to {} expected", n_.inputs.size(), lo, hi));
    if (n_.outputs.size() != outputs) fail(fmt::format("has {} outputs, {} expected", n_.outputs.size(), outputs));
  }
  const Tensor& in(size_t i = 0) const { return g_.tensor(n_.inputs[i]); }
  const Tensor& out() const { return g_.tensor(n_.outputs[0]); }
  void same_size() const {
    if (in().size() != out().size())
      fail(fmt::format("input {} and output {} differ in size", to_string(in().shape), to_string(out().shape)));
  }
  const Tensor& param(const char* role) const {
    if (!n_.has_param(role)) fail(std::string("has no parameter '") + role + "'");
    return g_.tensor(n_.param(role));
  }
  // A per-channel constant: 1 value, one per channel (the last axis) or one per element.
  void per_channel(const char* role, bool required = true) const {
    if (!required && !n_.has_param(role)) return;
    const int64_t k = param(role).size(), numel = in().size();
    const int64_t c = in().shape.empty() ? 1 : in().shape.back();
    if (k != 1 && k != c && k != numel)
      fail(fmt::format("parameter '{}' has {} values; 1, {} (last axis) or {} expected", role, k, c, numel));
  }
  template <class T>
  void attr(const char* key, const char* kind, bool required = true) const {
    auto it = n_.attrs.find(key);
    if (it == n_.attrs.end()) {
      if (required) fail(std::string("has no attribute '") + key + "'");
      return;
    }
    const bool number_as_int = std::is_same_v<T, double> && std::holds_alternative<int64_t>(it->second);
    if (!std::holds_alternative<T>(it->second) && !number_as_int) fail(std::string("attribute '") + key + "' is not " + kind);
  }
  void one_of(const char* key, std::initializer_list<const char*> values) const {
    attr<std::string>(key, "a string");
    const std::string& v = n_.attr_str(key);
    std::string list;
    for (const char* x : values) {
      if (v == x) return;
      list += (list.empty() ? "" : ", ") + std::string(x);
    }
    fail(fmt::format("attribute {} '{}' is not one of {}", key, v, list));
  }

 private:
  const Graph& g_;
  const Node& n_;
};

}  // namespace

void verify_op(const Graph& g, const Node& n) {
  const Rules r(g, n);
  switch (n.kind) {
    case OpKind::Input: r.arity(0, 0); return;
    case OpKind::Dense: {
      r.arity(1, 1);
      const Tensor& w = r.param("weight");
      const int64_t n_in = r.in().size(), n_out = r.out().size();
      if (w.shape.size() != 2 || w.shape[0] != n_in || w.shape[1] != n_out)
        r.fail(fmt::format("weight has shape {}; [{}, {}] expected", to_string(w.shape), n_in, n_out));
      if (r.param("bias").size() != n_out)
        r.fail(fmt::format("bias has {} values; {} expected", r.param("bias").size(), n_out));
      return;
    }
    case OpKind::BatchNorm:
      r.arity(1, 1), r.same_size(), r.per_channel("scale"), r.per_channel("bias");
      return;
    case OpKind::Activation:
      r.arity(1, 1), r.same_size();
      r.attr<std::string>("function", "a string");
      for (const char* p : required_params(activation_fn(n))) r.param(p);
      for (const auto& [role, id] : n.params)
        if (g.tensor(id).size() != 1) r.fail("parameter '" + role + "' must hold one value");
      return;
    case OpKind::Softmax: r.arity(1, 1), r.same_size(); return;
    case OpKind::Elementwise:
      r.arity(1, 2), r.same_size(), r.one_of("op", {"add", "sub", "mul"});
      if (n.inputs.size() == 2 && r.in(1).size() != r.in(0).size())
        r.fail(fmt::format("inputs {} and {} differ in size", to_string(r.in(0).shape), to_string(r.in(1).shape)));
      if (n.inputs.size() == 1) r.per_channel("constant");
      return;
    case OpKind::Reshape: r.arity(1, 1), r.same_size(); return;
    case OpKind::Concat: {
      r.arity(1, n.inputs.size() + 1);
      r.attr<int64_t>("axis", "an integer", false);
      int64_t total = 0;
      for (size_t i = 0; i < n.inputs.size(); ++i) total += r.in(i).size();
      if (total != r.out().size()) r.fail(fmt::format("inputs hold {} values, the output {}", total, r.out().size()));
      return;
    }
    case OpKind::MultiThreshold: {
      r.arity(1, 1), r.same_size();
      if (r.param("thresholds").shape.size() != 2) r.fail("thresholds must have shape [C or 1, T]");
      r.attr<double>("out_scale", "a number", false), r.attr<double>("out_bias", "a number", false);
      if (n.has_attr("data_layout")) r.one_of("data_layout", {"NHWC", "NCHW"});
      if (n.has_attr("out_levels")) {
        r.attr<std::vector<double>>("out_levels", "a list of numbers");
        if (n.has_attr("out_scale") || n.has_attr("out_bias")) r.fail("has out_levels and out_scale/out_bias");
        const auto& v = std::get<std::vector<double>>(n.attrs.at("out_levels"));
        const int64_t steps = r.param("thresholds").shape.at(1);
        if (static_cast<int64_t>(v.size()) != steps + 1)
          r.fail(fmt::format("out_levels has {} values for {} thresholds (needs {})", v.size(), steps, steps + 1));
        for (double x : v)
          if (!std::isfinite(x)) r.fail("out_levels holds a value that is not finite");
      }
      return;
    }
    case OpKind::Rescale: r.arity(1, 1), r.same_size(), r.per_channel("scale"), r.per_channel("pre_add", false); return;
    case OpKind::Quantize:
      r.arity(1, 1), r.same_size();
      r.one_of("rounding_mode", {"ROUND", "HALF_EVEN", "CEIL", "FLOOR", "UP", "DOWN", "HALF_UP", "HALF_DOWN"});
      for (const char* k : {"log2_scale", "zero_point", "qmin", "qmax"}) r.attr<int64_t>(k, "an integer");
      if (n.attr_int("log2_scale") < -256 || n.attr_int("log2_scale") > 256) r.fail("log2_scale outside [-256, 256]");
      if (n.attr_int("qmin") > n.attr_int("qmax")) r.fail("qmin > qmax");
      return;
    case OpKind::ArgMax:
      r.arity(1, 1);
      // One index per row of the last axis.
      if (r.in().shape.empty() || r.out().size() * r.in().shape.back() != r.in().size())
        r.fail(fmt::format("output {} is not one index per row of input {}", to_string(r.out().shape),
                           to_string(r.in().shape)));
      return;
    case OpKind::Conv: verify_conv(g, n); return;
    case OpKind::Pool: verify_pool(g, n); return;
    case OpKind::Recurrent: verify_recurrent(g, n); return;
    case OpKind::GarNet: verify_garnet(g, n); return;
    case OpKind::Upsample:
      r.arity(1, 1);
      r.attr<std::vector<int64_t>>("scales", "a list of integers");
      verify_upsample(g, n);
      return;
    case OpKind::Slice:
      r.arity(1, 1);
      r.attr<std::vector<int64_t>>("starts", "a list of integers");
      verify_slice(g, n);
      return;
    case OpKind::Transpose: {
      r.arity(1, 1);
      r.attr<std::vector<int64_t>>("perm", "a list of integers");
      const std::vector<int64_t>& perm = n.attr_ints("perm");
      const Shape& x = r.in().shape;
      if (perm.size() != x.size()) r.fail(fmt::format("perm has {} axes, the input {}", perm.size(), x.size()));
      std::vector<bool> seen(perm.size(), false);
      Shape want;
      for (int64_t a : perm) {
        if (a < 0 || a >= static_cast<int64_t>(perm.size()) || seen[static_cast<size_t>(a)])
          r.fail("perm is not a permutation of the input's axes");
        seen[static_cast<size_t>(a)] = true;
        want.push_back(x[static_cast<size_t>(a)]);
      }
      if (r.out().shape != want)
        r.fail(fmt::format("output has shape {}; {} expected", to_string(r.out().shape), to_string(want)));
      return;
    }
  }
}

}  // namespace firmnet::ir
