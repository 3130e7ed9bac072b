// The IR text form: printer and parser (text.h). One record per line: a header line opens a tensor or a
// node, indented lines give its fields. Strings are double-quoted with \" \\ \n escapes; doubles are
// printed in their shortest exact form ({} in fmt) and read back with from_chars, so a round trip is exact.
#include "ir/text.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::ir {

namespace {

constexpr int kVersion = 1;
// A text graph is data a user may hand-edit or receive from anyone: bound what it may ask for.
constexpr int64_t kMaxTensorElements = int64_t{1} << 24;  // 16 M per tensor
constexpr int64_t kMaxTotalElements = int64_t{1} << 27;   // all tensors together
constexpr int kMaxTableLog2 = 24;

// ---------------------------------------------------------------------------------------------- printing

std::string quote(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\', r += c;
    else if (c == '\n') r += "\\n";
    else r += c;
  }
  return r + "\"";
}

std::string num(double d) { return fmt::format("{}", d); }

// Roles and attribute keys are bare words in the text: the printer refuses anything that would not read back.
const std::string& word(const std::string& s) {
  bool ok = !s.empty();
  for (char c : s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  if (!ok) throw Error("IR text", "role or attribute key '" + s + "' is not a word ([A-Za-z0-9_]+)",
                       "this is a firmnet bug; please report it with the model");
  return s;
}

template <class T, class F>
std::string join(const std::vector<T>& v, F f) {
  std::string s;
  for (const auto& x : v) s += " " + f(x);
  return s;
}
std::string ints(const std::vector<int64_t>& v) {
  return join(v, [](int64_t x) { return std::to_string(x); });
}
std::string doubles(const std::vector<double>& v) { return join(v, num); }

std::string id(TensorId t) { return "%" + std::to_string(t); }

std::string attr_text(const AttrValue& v) {
  struct V {
    std::string operator()(int64_t x) const { return "int " + std::to_string(x); }
    std::string operator()(double x) const { return "float " + num(x); }
    std::string operator()(const std::string& x) const { return "string " + quote(x); }
    std::string operator()(const std::vector<int64_t>& x) const { return "ints" + ints(x); }
    std::string operator()(const std::vector<double>& x) const { return "floats" + doubles(x); }
  };
  return std::visit(V{}, v);
}

std::string quantizer_text(const InputQuantizer& q) {
  std::string s = fmt::format("  quantizer {} {}\n", q.kind == InputQuantizer::Kind::Quant ? "quant" : "thresholds",
                              quote(q.description));
  s += fmt::format(
      "  quantizer_params log2_scale {} zero_point {} qmin {} qmax {} mode {} rows {} count {} channels {} numel {} "
      "channels_last {}\n",
      q.log2_scale, q.zero_point, q.qmin, q.qmax, q.mode, q.rows, q.count, q.channels, q.numel, q.channels_last ? 1 : 0);
  if (!q.thresholds.empty()) s += "  quantizer_thresholds" + doubles(q.thresholds) + "\n";
  if (!q.strict.empty())
    s += "  quantizer_strict" + join(q.strict, [](unsigned char c) { return std::to_string(int{c}); }) + "\n";
  if (!q.levels.empty()) s += "  quantizer_levels" + doubles(q.levels) + "\n";
  return s;
}

}  // namespace

std::string print_text(const Graph& g, const std::string& stage) {
  std::string s = fmt::format("firmnet-ir {}\ngraph {}\nstage {}\n", kVersion, quote(g.name), stage);
  s += "inputs" + join(g.inputs, id) + "\n";
  s += "outputs" + join(g.outputs, id) + "\n";
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const Tensor& t = g.tensors[i];
    s += fmt::format("\ntensor {} {} {} [{}]\n", id(static_cast<TensorId>(i)), quote(t.name),
                     t.is_const() ? "constant" : "activation", fmt::join(t.shape, ","));
    if (t.type) s += "  type " + t.type->str() + "\n";
    if (!t.origin.empty()) s += "  origin " + quote(t.origin) + "\n";
    if (!t.values.empty()) s += "  values" + doubles(t.values) + "\n";
    if (!t.raw.empty()) s += "  raw" + ints(t.raw) + "\n";
    if (t.quantizer) s += quantizer_text(*t.quantizer);
    if (t.layout)
      s += fmt::format("  layout view [{}] perm [{}] model [{}]\n", fmt::join(t.layout->view, ","),
                       fmt::join(t.layout->perm, ","), fmt::join(t.layout->model_shape, ","));
  }
  for (const Node& n : g.nodes) {
    s += fmt::format("\nnode {} {}\n", quote(n.name), name(n.kind));
    if (!n.source.empty()) s += "  source " + quote(n.source) + "\n";
    for (const auto& a : n.aliases) s += "  alias " + quote(a) + "\n";
    s += "  inputs" + join(n.inputs, id) + "\n";
    s += "  outputs" + join(n.outputs, id) + "\n";
    for (const auto& [role, t] : n.params) s += fmt::format("  param {} {}\n", word(role), id(t));
    for (const auto& [key, v] : n.attrs) s += fmt::format("  attr {} {}\n", word(key), attr_text(v));
    for (const auto& [role, t] : n.types) s += fmt::format("  type {} {}\n", word(role), t.str());
    for (const auto& [role, spec] : n.tables)
      s += fmt::format("  table {} log2_size {} log2_step {} offset {} entry {}\n", word(role), spec.log2_size,
                       spec.log2_step, spec.offset, spec.entry.str());
    for (const auto& [role, data] : n.table_data) s += fmt::format("  table_data {}{}\n", word(role), ints(data));
    s += fmt::format("  reuse {}\n  strategy {}\n", n.reuse_factor, name(n.strategy));
    if (n.trace) s += "  trace\n";
  }
  return s;
}

// ----------------------------------------------------------------------------------------------- parsing

namespace {

class Parser {
 public:
  Parser(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

  TextGraph parse() {
    TextGraph r;
    Graph& g = r.graph;
    bool have_header = false, have_graph = false, have_stage = false, have_inputs = false, have_outputs = false;
    Tensor* tensor = nullptr;
    Node* node = nullptr;
    std::set<std::string> seen;  // fields of the current record, each at most once (repeatable: alias, param, ...)
    while (next_line()) {
      const std::string key = word_token("a keyword");
      if (!have_header) {
        if (key != "firmnet-ir") fail("the file does not start with 'firmnet-ir " + std::to_string(kVersion) + "'",
                                      "an IR text file is what 'firmnet inspect --ir' writes");
        const int64_t v = int_token("the version");
        if (v != kVersion) fail(fmt::format("IR text version {} is not supported (this firmnet reads version {})", v, kVersion));
        have_header = true;
      } else if (!indented_) {
        tensor = nullptr;
        node = nullptr;
        seen.clear();
        if (key == "graph") once(have_graph, key), g.name = string_token("the graph name");
        else if (key == "stage") once(have_stage, key), r.stage = word_token("the stage");
        else if (key == "inputs") once(have_inputs, key), g.inputs = id_list();
        else if (key == "outputs") once(have_outputs, key), g.outputs = id_list();
        else if (key == "tensor") tensor = &g.tensors.emplace_back(tensor_header(g));
        else if (key == "node") node = &g.add_node(node_header());
        else fail("unknown record '" + key + "'", "records are graph, stage, inputs, outputs, tensor, node");
      } else if (tensor) {
        tensor_field(*tensor, key, seen);
      } else if (node) {
        node_field(*node, key, seen);
      } else {
        fail("an indented field '" + key + "' outside a tensor or node record");
      }
      end_of_line();
    }
    if (!have_header) fail("empty file", "an IR text file is what 'firmnet inspect --ir' writes");
    if (!have_inputs || !have_outputs) fail("the graph declares no 'inputs' or no 'outputs' line");
    finish(g);
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& hint = {}) const {
    throw Error(fmt::format("{}:{}", file_, line_no_), what, hint);
  }

  // --- lines and tokens
  bool next_line() {
    while (pos_ < text_.size()) {
      const size_t end = std::min(text_.find('\n', pos_), text_.size());
      line_ = text_.substr(pos_, end - pos_);
      pos_ = end + 1;
      ++line_no_;
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
      col_ = 0;
      indented_ = !line_.empty() && (line_[0] == ' ' || line_[0] == '\t');
      skip_space();
      if (col_ < line_.size() && line_[col_] != '#') return true;  // blank lines and # comments are skipped
    }
    return false;
  }
  void skip_space() {
    while (col_ < line_.size() && (line_[col_] == ' ' || line_[col_] == '\t')) ++col_;
  }
  bool at_end() {
    skip_space();
    return col_ >= line_.size();
  }
  void end_of_line() {
    if (!at_end()) fail("unexpected '" + std::string(raw_token()) + "' at the end of the line");
  }
  std::string_view raw_token() {
    skip_space();
    const size_t b = col_;
    while (col_ < line_.size() && line_[col_] != ' ' && line_[col_] != '\t') ++col_;
    return line_.substr(b, col_ - b);
  }
  std::string_view token(const char* what) {
    if (at_end()) fail(std::string("expected ") + what + " before the end of the line");
    return raw_token();
  }
  // A role or attribute key: [A-Za-z0-9_]+, what the printer writes (no '-', which word_token allows).
  std::string key_token(const char* what) {
    const std::string t = word_token(what);
    if (t.find('-') != std::string::npos) fail(std::string("expected ") + what + " ([A-Za-z0-9_]+), got '" + t + "'");
    return t;
  }
  std::string word_token(const char* what) {
    const std::string_view t = token(what);
    for (char c : t)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
        fail(std::string("expected ") + what + ", got '" + std::string(t) + "'");
    return std::string(t);
  }
  int64_t int_token(const char* what) {
    const std::string_view t = token(what);
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size())
      fail(std::string("expected an integer for ") + what + ", got '" + std::string(t) + "'");
    return v;
  }
  // "[a,b,c]" (possibly "[]"): non-negative integers below 2^24.
  std::vector<int64_t> bracket_ints(const char* what) {
    const std::string_view t = token(what);
    if (t.size() < 2 || t.front() != '[' || t.back() != ']') fail(std::string("expected ") + what + ", got '" + std::string(t) + "'");
    std::vector<int64_t> v;
    for (size_t b = 1; b + 1 < t.size();) {
      size_t e = t.find(',', b);
      if (e == std::string_view::npos) e = t.size() - 1;
      int64_t d = 0;
      const auto [p, ec] = std::from_chars(t.data() + b, t.data() + e, d);
      if (ec != std::errc() || p != t.data() + e || d < 0 || d >= (int64_t{1} << 24))
        fail(std::string("bad value in ") + what + " '" + std::string(t) + "'");
      v.push_back(d);
      if (v.size() > 64) fail(std::string("too many values in ") + what);
      b = e + 1;
    }
    return v;
  }
  int64_t int_in(const char* what, int64_t lo, int64_t hi) {
    const int64_t v = int_token(what);
    if (v < lo || v > hi) fail(fmt::format("{} {} is outside [{}, {}]", what, v, lo, hi));
    return v;
  }
  double double_token(const char* what) {
    const std::string_view t = token(what);
    double v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size())
      fail(std::string("expected a number for ") + what + ", got '" + std::string(t) + "'");
    return v;
  }
  std::string string_token(const char* what) {
    skip_space();
    if (col_ >= line_.size() || line_[col_] != '"') fail(std::string("expected a quoted string for ") + what);
    std::string s;
    for (++col_; col_ < line_.size(); ++col_) {
      char c = line_[col_];
      if (c == '"') {
        ++col_;
        return s;
      }
      if (c == '\\') {
        if (++col_ >= line_.size()) break;
        c = line_[col_];
        if (c == 'n') c = '\n';
        else if (c != '"' && c != '\\') fail(std::string("unknown escape '\\") + c + "' in " + what);
      }
      s += c;
    }
    fail(std::string("unterminated string for ") + what);
  }
  TensorId id_token(const char* what) {
    const std::string_view t = token(what);
    if (t.empty() || t[0] != '%') fail(std::string("expected a tensor id %N for ") + what + ", got '" + std::string(t) + "'");
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(t.data() + 1, t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || v < 0 || v > std::numeric_limits<int>::max())
      fail(std::string("bad tensor id '") + std::string(t) + "' for " + what);
    ids_.push_back({static_cast<TensorId>(v), line_no_});
    return static_cast<TensorId>(v);
  }
  std::vector<TensorId> id_list() {
    std::vector<TensorId> v;
    while (!at_end()) v.push_back(id_token("a tensor id"));
    return v;
  }
  template <class T, class F>
  std::vector<T> list(F read, int64_t max_count) {
    std::vector<T> v;
    while (!at_end()) {
      if (static_cast<int64_t>(v.size()) >= max_count) fail(fmt::format("more than {} values on one line", max_count));
      v.push_back(read());
    }
    return v;
  }
  std::vector<int64_t> int_list(int64_t max_count = kMaxTensorElements) {
    return list<int64_t>([&] { return int_token("a list element"); }, max_count);
  }
  std::vector<double> double_list(int64_t max_count = kMaxTensorElements) {
    return list<double>([&] { return double_token("a list element"); }, max_count);
  }
  numeric::FixedType type_token(const char* what) {
    const std::string t(token(what));
    try {
      return numeric::FixedType::parse(t);
    } catch (const Error& e) {
      fail(std::string(what) + ": " + e.message());
    }
  }
  void once(bool& flag, const std::string& key) {
    if (flag) fail("a second '" + key + "' line");
    flag = true;
  }
  void once(std::set<std::string>& seen, const std::string& key) {
    if (!seen.insert(key).second) fail("a second '" + key + "' line in this record");
  }

  // --- records
  Tensor tensor_header(const Graph& g) {
    const TensorId tid = id_token("the tensor id");
    ids_.pop_back();  // a declaration, not a reference
    if (static_cast<size_t>(tid) != g.tensors.size())
      fail(fmt::format("tensor %{} declared where %{} is expected", tid, g.tensors.size()),
           "tensors are declared in order %0, %1, ...");
    Tensor t;
    t.name = string_token("the tensor name");
    const std::string kind = word_token("activation or constant");
    if (kind == "activation") t.kind = TensorKind::Activation;
    else if (kind == "constant") t.kind = TensorKind::Constant;
    else fail("tensor kind '" + kind + "' is neither activation nor constant");
    const std::string_view shape = token("the shape [d0,d1,...]");
    if (shape.size() < 2 || shape.front() != '[' || shape.back() != ']') fail("expected a shape [d0,d1,...], got '" + std::string(shape) + "'");
    int64_t elements = 1;
    for (size_t b = 1; b + 1 < shape.size();) {
      size_t e = shape.find(',', b);
      if (e == std::string_view::npos || e > shape.size() - 1) e = shape.size() - 1;
      int64_t d = 0;
      const auto [p, ec] = std::from_chars(shape.data() + b, shape.data() + e, d);
      if (ec != std::errc() || p != shape.data() + e || d <= 0)
        fail("bad dimension in shape '" + std::string(shape) + "'", "dimensions are positive integers");
      if (d > kMaxTensorElements / elements)
        fail(fmt::format("shape {} has more than {} elements", std::string(shape), kMaxTensorElements));
      elements *= d;
      t.shape.push_back(d);
      b = e + 1;
    }
    total_elements_ += elements;
    if (total_elements_ > kMaxTotalElements)
      fail(fmt::format("the tensors hold more than {} elements together", kMaxTotalElements));
    return t;
  }

  void tensor_field(Tensor& t, const std::string& key, std::set<std::string>& seen) {
    const std::string where = "tensor '" + t.name + "'";
    if (key == "type") once(seen, key), t.type = type_token("the tensor type");
    else if (key == "origin") once(seen, key), t.origin = string_token("the origin");
    else if (key == "values" || key == "raw") {
      once(seen, key);
      if (!t.is_const()) fail(where + " is an activation: only constants hold " + key);
      if (key == "values") t.values = double_list(t.size());
      else t.raw = int_list(t.size());
      const size_t n = key == "values" ? t.values.size() : t.raw.size();
      if (static_cast<int64_t>(n) != t.size())
        fail(fmt::format("{} has {} {} for shape {} ({} elements)", where, n, key, to_string(t.shape), t.size()));
      if (key == "raw") {
        if (!t.type) fail(where + ": 'raw' before the tensor's 'type'", "give the type first: raw values are in that type");
        for (int64_t v : t.raw)
          if (v < t.type->raw_min() || v > t.type->raw_max())
            fail(fmt::format("{}: raw value {} does not fit {}", where, v, t.type->str()));
      }
    } else if (key == "layout") {
      once(seen, key);
      ModelLayout l;
      expect_word("view");
      l.view = bracket_ints("the view shape [d0,d1,...]");
      expect_word("perm");
      l.perm = bracket_ints("the permutation [a0,a1,...]");
      expect_word("model");
      l.model_shape = bracket_ints("the model shape [d0,d1,...]");
      if (l.view.size() > 8 || l.perm.size() > 8 || l.model_shape.size() > 8) fail("a layout has at most 8 axes");
      t.layout = l;
    } else if (key.rfind("quantizer", 0) == 0) {
      quantizer_field(t, key, seen);
    } else {
      fail("unknown tensor field '" + key + "'", "tensor fields are type, origin, values, raw, quantizer*, layout");
    }
  }

  void quantizer_field(Tensor& t, const std::string& key, std::set<std::string>& seen) {
    once(seen, key);
    if (key == "quantizer") {
      InputQuantizer q;
      const std::string kind = word_token("quant or thresholds");
      if (kind == "quant") q.kind = InputQuantizer::Kind::Quant;
      else if (kind == "thresholds") q.kind = InputQuantizer::Kind::Thresholds;
      else fail("quantizer kind '" + kind + "' is neither quant nor thresholds");
      q.description = string_token("the quantizer description");
      t.quantizer = q;
      return;
    }
    if (!t.quantizer) fail("'" + key + "' before the tensor's 'quantizer' line");
    InputQuantizer& q = *t.quantizer;
    if (key == "quantizer_params") {
      while (!at_end()) {
        const std::string k = word_token("a quantizer parameter");
        if (k == "log2_scale") q.log2_scale = static_cast<int>(int_in("log2_scale", -256, 256));
        else if (k == "zero_point") q.zero_point = int_in("zero_point", -(int64_t{1} << 62), int64_t{1} << 62);
        else if (k == "qmin") q.qmin = int_in("qmin", -(int64_t{1} << 62), int64_t{1} << 62);
        else if (k == "qmax") q.qmax = int_in("qmax", -(int64_t{1} << 62), int64_t{1} << 62);
        else if (k == "mode") q.mode = static_cast<int>(int_in("mode", firmnet_qonnx::ROUND, firmnet_qonnx::HALF_DOWN));
        else if (k == "rows") q.rows = int_in("rows", 1, kMaxTensorElements);
        else if (k == "count") q.count = int_in("count", 0, int64_t{1} << 20);
        else if (k == "channels") q.channels = int_in("channels", 1, kMaxTensorElements);
        else if (k == "numel") q.numel = int_in("numel", 1, kMaxTensorElements);
        else if (k == "channels_last") q.channels_last = int_in("channels_last", 0, 1) != 0;
        else fail("unknown quantizer parameter '" + k + "'");
      }
    } else if (key == "quantizer_thresholds") q.thresholds = double_list();
    else if (key == "quantizer_strict") {
      for (int64_t v : int_list()) {
        if (v != 0 && v != 1) fail("quantizer_strict values are 0 or 1");
        q.strict.push_back(static_cast<unsigned char>(v));
      }
    } else if (key == "quantizer_levels") q.levels = double_list();
    else fail("unknown tensor field '" + key + "'");
  }

  Node node_header() {
    Node n;
    n.name = string_token("the node name");
    const std::string op = word_token("the op");
    const auto k = op_kind_from_name(op);
    if (!k) {
      std::string list;
      for (OpKind o : all_op_kinds()) list += (list.empty() ? "" : ", ") + std::string(name(o));
      fail("unknown op '" + op + "'", "the ops are " + list);
    }
    n.kind = *k;
    return n;
  }

  void node_field(Node& n, const std::string& key, std::set<std::string>& seen) {
    const std::string where = "node '" + n.name + "'";
    auto unique_role = [&](const auto& map, const std::string& role) {
      if (map.count(role)) fail(where + ": a second " + key + " '" + role + "'");
    };
    if (key == "source") once(seen, key), n.source = string_token("the source");
    else if (key == "alias") n.aliases.push_back(string_token("the alias"));
    else if (key == "inputs") once(seen, key), n.inputs = id_list();
    else if (key == "outputs") once(seen, key), n.outputs = id_list();
    else if (key == "param") {
      const std::string role = key_token("the parameter role");
      unique_role(n.params, role);
      n.params[role] = id_token("the parameter tensor");
    } else if (key == "attr") {
      const std::string k = key_token("the attribute key");
      unique_role(n.attrs, k);
      const std::string type = word_token("the attribute type (int, float, string, ints, floats)");
      if (type == "int") n.attrs[k] = int_token("the attribute value");
      else if (type == "float") n.attrs[k] = double_token("the attribute value");
      else if (type == "string") n.attrs[k] = string_token("the attribute value");
      else if (type == "ints") n.attrs[k] = int_list();
      else if (type == "floats") n.attrs[k] = double_list();
      else fail("unknown attribute type '" + type + "'", "attribute types are int, float, string, ints, floats");
    } else if (key == "type") {
      const std::string role = key_token("the type role");
      unique_role(n.types, role);
      n.types[role] = type_token("the internal type");
    } else if (key == "table") {
      const std::string role = key_token("the table role");
      unique_role(n.tables, role);
      numeric::TableSpec s;
      expect_word("log2_size");
      s.log2_size = static_cast<int>(int_in("log2_size", 0, kMaxTableLog2));
      expect_word("log2_step");
      s.log2_step = static_cast<int>(int_in("log2_step", -128, 128));
      expect_word("offset");
      s.offset = int_in("offset", -(int64_t{1} << 40), int64_t{1} << 40);
      expect_word("entry");
      s.entry = type_token("the table entry type");
      n.tables[role] = s;
    } else if (key == "table_data") {
      const std::string role = key_token("the table role");
      unique_role(n.table_data, role);
      n.table_data[role] = int_list((int64_t{1} << kMaxTableLog2) + 1);  // + 1: an interpolated table
    } else if (key == "reuse") {
      once(seen, key);
      n.reuse_factor = static_cast<int>(int_in("reuse", 1, std::numeric_limits<int>::max()));
    } else if (key == "strategy") {
      once(seen, key);
      const std::string s = word_token("the strategy");
      if (s == name(Strategy::Latency)) n.strategy = Strategy::Latency;
      else if (s == name(Strategy::Resource)) n.strategy = Strategy::Resource;
      else fail("unknown strategy '" + s + "'", "Latency or Resource");
    } else if (key == "trace") {
      once(seen, key);
      n.trace = true;
    } else {
      fail("unknown node field '" + key + "'",
           "node fields are source, alias, inputs, outputs, param, attr, type, table, table_data, reuse, strategy, trace");
    }
  }

  void expect_word(const char* w) {
    const std::string t = word_token(w);
    if (t != w) fail(std::string("expected '") + w + "', got '" + t + "'");
  }

  // Every id in range, the input quantizers consistent with their tensor, then the graph's own invariants.
  void finish(Graph& g) {
    for (const auto& [tid, line] : ids_)
      if (static_cast<size_t>(tid) >= g.tensors.size()) {
        line_no_ = line;
        fail(fmt::format("tensor %{} is not declared (the file declares {} tensors)", tid, g.tensors.size()));
      }
    for (const Tensor& t : g.tensors)
      if (t.quantizer) check_quantizer(t);
    try {
      g.verify(false);
      for (const Tensor& t : g.tensors)
        if (t.type) t.type->validate("tensor '" + t.name + "'");
    } catch (const Error& e) {
      throw Error(file_ + ": " + e.where(), e.message(), e.hint());
    }
  }

  void check_quantizer(const Tensor& t) const {
    const InputQuantizer& q = *t.quantizer;
    auto bad = [&](const std::string& what) { throw Error(file_ + ": tensor '" + t.name + "'", "input quantizer: " + what); };
    if (q.kind == InputQuantizer::Kind::Quant) {
      if (q.qmin > q.qmax) bad("qmin > qmax");
      return;
    }
    if (q.numel != t.size()) bad(fmt::format("numel {} differs from the tensor's {} elements", q.numel, t.size()));
    if (q.numel % q.channels) bad(fmt::format("{} channels do not divide {} elements", q.channels, q.numel));
    if (q.rows != 1 && q.rows != q.channels) bad(fmt::format("{} threshold rows for {} channels", q.rows, q.channels));
    if (static_cast<int64_t>(q.thresholds.size()) != q.rows * q.count)
      bad(fmt::format("{} thresholds for {} rows of {}", q.thresholds.size(), q.rows, q.count));
    if (!q.strict.empty() && static_cast<int64_t>(q.strict.size()) != q.count)
      bad(fmt::format("{} strict flags for {} thresholds", q.strict.size(), q.count));
    if (static_cast<int64_t>(q.levels.size()) != q.count + 1)
      bad(fmt::format("{} levels for {} thresholds (count + 1 expected)", q.levels.size(), q.count));
  }

  std::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  std::string_view line_;
  size_t col_ = 0;
  int line_no_ = 0;
  bool indented_ = false;
  std::vector<std::pair<TensorId, int>> ids_;
  int64_t total_elements_ = 0;  // references to check once every tensor is declared
};

}  // namespace

TextGraph parse_text(std::string_view text, const std::string& file) { return Parser(text, file).parse(); }

}  // namespace firmnet::ir
