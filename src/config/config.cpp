// Loading the top level of an hls4ml-style YAML configuration; HLSConfig levels are in levels.cpp.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include "config/reader.h"

namespace firmnet::config {

namespace detail {

void Reader::fail(const std::string& what, const std::string& hint) const { throw Error(file_, what, hint); }

void Reader::unknown_key(const std::string& path, const std::string& key, const std::vector<std::string>& valid) const {
  const std::string full = path.empty() ? key : path + "." + key;
  const std::string guess = nearest(key, valid);
  std::string hint;
  if (!guess.empty()) {
    hint = "did you mean '" + guess + "'?";
  } else {
    hint = "valid keys here: ";
    for (size_t i = 0; i < valid.size(); ++i) hint += (i ? ", " : "") + valid[i];
  }
  fail("unknown key '" + full + "'", hint);
}

namespace {
const char* kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined: return "nothing";
    case YAML::NodeType::Null: return "an empty value";
    case YAML::NodeType::Scalar: return "a scalar";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
  }
  return "?";
}
}  // namespace

std::vector<std::pair<std::string, YAML::Node>> Reader::map_entries(const YAML::Node& n, const std::string& path) const {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (!n || n.IsNull()) return out;
  if (!n.IsMap()) fail("key '" + path + "' must be a map of settings, got " + kind_name(n));
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) fail("key '" + path + "' holds a key that is not a plain name");
    out.emplace_back(kv.first.Scalar(), kv.second);
  }
  return out;
}

std::string Reader::str(const YAML::Node& n, const std::string& path) const {
  if (!n.IsScalar()) fail("key '" + path + "' must be a string, got " + kind_name(n));
  return n.Scalar();
}

int Reader::integer(const YAML::Node& n, const std::string& path) const {
  const std::string s = str(n, path);
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    fail("key '" + path + "' must be an integer, got '" + s + "'");
  return v;
}

double Reader::number(const YAML::Node& n, const std::string& path) const {
  const std::string s = str(n, path);
  std::istringstream in(s);
  double v = 0;
  in >> v;
  if (in.fail() || !in.eof() || !std::isfinite(v)) fail("key '" + path + "' must be a number, got '" + s + "'");
  return v;
}

bool Reader::boolean(const YAML::Node& n, const std::string& path) const {
  const std::string s = str(n, path);
  bool v = false;
  if (!YAML::convert<bool>::decode(n, v)) fail("key '" + path + "' must be true or false, got '" + s + "'");
  return v;
}

}  // namespace detail

namespace {

using detail::Reader;

bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void parse_hls_config(const Reader& r, const YAML::Node& n, Config& c) {
  static const std::vector<std::string> keys = {"Model", "LayerType", "LayerName"};
  for (const auto& [key, value] : r.map_entries(n, "HLSConfig")) {
    const std::string path = "HLSConfig." + key;
    if (key == "Model") {
      c.model = detail::parse_level(r, value, path);
    } else if (key == "LayerType") {
      std::map<std::string, std::string> given_as;  // canonical -> spelling used, to catch duplicates
      for (const auto& [type, settings] : r.map_entries(value, path)) {
        const auto canonical = canonical_layer_type(type);
        if (!canonical) r.unknown_key(path, type, layer_type_names());
        if (given_as.count(*canonical))
          r.fail("key '" + path + "." + type + "' configures the same layers as '" + path + "." +
                     given_as[*canonical] + "'",
                 "merge the two entries");
        given_as[*canonical] = type;
        c.layer_type[*canonical] = detail::parse_level(r, settings, path + "." + type);
      }
    } else if (key == "LayerName") {
      for (const auto& [layer, settings] : r.map_entries(value, path))
        c.layer_name[layer] = detail::parse_level(r, settings, path + "." + layer);
    } else {
      r.unknown_key("HLSConfig", key, keys);
    }
  }
}

// ClockUncertainty: "12.5%" is a percentage of the clock period; a plain number is in ns (as in Vitis).
void parse_uncertainty(const Reader& r, const YAML::Node& n, std::optional<double>& percent,
                       std::optional<double>& ns) {
  std::string s = r.str(n, "ClockUncertainty");
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  if (!s.empty() && s.back() == '%') {
    percent = r.number(YAML::Node(s.substr(0, s.size() - 1)), "ClockUncertainty");
  } else {
    ns = r.number(n, "ClockUncertainty");
  }
}

}  // namespace

Config Config::parse(const std::string& yaml, const std::string& display_name) {
  const Reader r(display_name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    r.fail("invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1) +
               ": " + e.msg,
           "check the indentation and the ':' after each key");
  }
  Config c;
  if (root && root.IsScalar() && !root.Scalar().empty())
    r.fail("the file is not a YAML map of settings (it is the single value '" + root.Scalar() + "')");

  static const std::vector<std::string> keys = {
      "Backend",   "Part",     "XilinxPart", "ClockPeriod",  "ClockUncertainty",  "IOType", "ProjectName",
      "OutputDir", "HLSConfig", "KerasJson", "KerasH5",      "OnnxModel",         "InputData",
      "OutputPredictions",      "Stamp",     "Version"};
  static const std::vector<std::string> ignored = {"InputData", "OutputPredictions", "Stamp", "Version"};
  std::optional<double> unc_percent, unc_ns;
  for (const auto& [key, value] : r.map_entries(root, "(top level)")) {
    if (key == "Backend") {
      const std::string b = r.str(value, key);
      if (lower(b) == "vitis") c.backend = "Vitis";
      else if (lower(b) == "vivado") c.backend = "Vivado";
      else r.fail("Backend '" + b + "' is not supported", "use Vitis or Vivado");
    } else if (key == "Part" || key == "XilinxPart") {
      c.part = r.str(value, key);
    } else if (key == "ClockPeriod") {
      c.clock_period = r.number(value, key);
      if (c.clock_period <= 0) r.fail("key 'ClockPeriod' must be a positive number of ns, got '" + value.Scalar() + "'");
    } else if (key == "ClockUncertainty") {
      parse_uncertainty(r, value, unc_percent, unc_ns);
    } else if (key == "IOType") {
      const std::string io = r.str(value, key);
      if (io != "io_parallel" && io != "io_stream") r.fail("IOType '" + io + "' is unknown", "use io_parallel or io_stream");
      c.io_type = io;
    } else if (key == "ProjectName") {
      c.project_name = r.str(value, key);
      if (!is_identifier(c.project_name))
        r.fail("ProjectName '" + c.project_name + "' is not a C++ identifier",
               "use letters, digits and '_', not starting with a digit");
    } else if (key == "OutputDir") {
      c.output_dir = r.str(value, key);
    } else if (key == "KerasJson") {
      c.keras_json = r.str(value, key);
    } else if (key == "KerasH5") {
      c.keras_h5 = r.str(value, key);
    } else if (key == "OnnxModel") {
      c.onnx_model = r.str(value, key);
    } else if (key == "HLSConfig") {
      parse_hls_config(r, value, c);
    } else if (std::find(ignored.begin(), ignored.end(), key) != ignored.end()) {
      c.warnings.push_back({display_name, "key '" + key + "' ignored: the model and data come from the command line"});
    } else {
      r.unknown_key("", key, keys);
    }
  }
  if (unc_ns) unc_percent = 100.0 * *unc_ns / c.clock_period;
  if (unc_percent) {
    if (*unc_percent < 0 || *unc_percent >= 100)
      r.fail("ClockUncertainty must be between 0% and 100% of the clock period, got " + std::to_string(*unc_percent) + "%");
    c.clock_uncertainty = *unc_percent;
  }
  return c;
}

Config Config::load_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open the configuration file", "check the path given to --config");
  std::ostringstream s;
  s << f.rdbuf();
  Config c = parse(s.str(), path);
  c.source = path;
  return c;
}

}  // namespace firmnet::config
