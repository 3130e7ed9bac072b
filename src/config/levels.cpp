// One level of HLSConfig (Model, a LayerType entry or a LayerName entry): Precision, ReuseFactor, Strategy,
// TableSize, Implementation, Trace, and hls4ml's layer-level aliases (exp_table_t, inv_table_t, table_t).
#include <algorithm>
#include <cctype>

#include "config/reader.h"

namespace firmnet::config::detail {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Sets one precision variable, checking the string at load time ("auto" is resolved by the passes).
void set_precision(const Reader& r, LayerSettings& s, const std::string& var, const std::string& text,
                   const std::string& path) {
  if (s.precision.count(var) && s.precision[var] != text)
    r.fail("key '" + path + "' sets precision '" + var + "' a second time ('" + s.precision[var] + "', then '" + text +
               "')",
           "give each precision variable once per layer");
  if (text != "auto") {
    try {
      numeric::FixedType::parse(text);
    } catch (const Error& e) {
      // In a YAML flow map {weight: fixed<8,2>} the comma splits the value: say so.
      const bool split = text.find('<') != std::string::npos && text.find('>') == std::string::npos;
      const std::string hint = split ? "quote precisions inside {...}: {weight: \"fixed<8,2>\"}"
                               : e.hint().empty() ? "e.g. fixed<16,6> or ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
                                                  : e.hint();
      r.fail("key '" + path + "': " + (e.where().empty() ? "" : e.where() + ": ") + e.message(), hint);
    }
  }
  s.precision[var] = text;
}

void parse_precision(const Reader& r, LayerSettings& s, const YAML::Node& n, const std::string& path) {
  if (n.IsScalar()) {
    set_precision(r, s, "default", n.Scalar(), path);
    return;
  }
  if (!n.IsMap()) r.fail("key '" + path + "' must be a precision string or a map of variable: precision");
  const auto& vars = precision_variables();
  for (const auto& [var, value] : r.map_entries(n, path)) {
    if (std::find(vars.begin(), vars.end(), var) == vars.end()) r.unknown_key(path, var, vars);
    set_precision(r, s, var, r.str(value, path + "." + var), path + "." + var);
  }
}

int parse_table_size(const Reader& r, const YAML::Node& n, const std::string& path) {
  const int v = r.integer(n, path);
  const bool pow2 = v > 0 && (v & (v - 1)) == 0;
  if (!pow2 || v < 16 || v > 65536)
    r.fail("key '" + path + "' must be a power of two from 16 to 65536, got " + std::to_string(v),
           "e.g. 1024 (the default)");
  return v;
}

// The softmax implementation (Implementation, or hls4ml's Strategy: Stable). Only 'stable' has a kernel.
void set_implementation(const Reader& r, LayerSettings& s, const std::string& impl, const std::string& path) {
  if (lower(impl) != "stable")
    r.fail("key '" + path + "': softmax implementation '" + impl + "' is not supported yet",
           "use Stable (the two-level table softmax of docs/NUMERICS.md)");
  s.implementation = "stable";
}

}  // namespace

LayerSettings parse_level(const Reader& r, const YAML::Node& n, const std::string& path) {
  static const std::vector<std::string> keys = {"Precision",      "ReuseFactor", "Strategy",    "TableSize",
                                                "table_size",     "Implementation", "Trace",    "exp_table_t",
                                                "inv_table_t",    "table_t",  "static", "recurrent_reuse_factor"};
  LayerSettings s;
  bool size_given = false;
  for (const auto& [key, value] : r.map_entries(n, path)) {
    const std::string p = path + "." + key;
    if (key == "Precision") {
      parse_precision(r, s, value, p);
    } else if (key == "ReuseFactor") {
      const int rf = r.integer(value, p);
      if (rf < 1) r.fail("key '" + p + "' must be an integer >= 1, got " + std::to_string(rf));
      s.reuse_factor = rf;
    } else if (key == "Strategy") {
      const std::string st = r.str(value, p);
      // hls4ml's example configs choose the softmax implementation with Strategy (Stable, Argmax, Legacy).
      if (lower(st) == "latency") s.strategy = ir::Strategy::Latency;
      else if (lower(st) == "resource") s.strategy = ir::Strategy::Resource;
      else if (lower(st) == "stable" || lower(st) == "argmax" || lower(st) == "legacy") set_implementation(r, s, st, p);
      else r.fail("key '" + p + "' has unknown strategy '" + st + "'", "use Latency or Resource (or Stable on a Softmax)");
    } else if (key == "TableSize" || key == "table_size") {
      const int size = parse_table_size(r, value, p);
      if (size_given && s.table_size != size)
        r.fail("key '" + p + "' contradicts the other table size given at '" + path + "'", "give TableSize once");
      size_given = true;
      s.table_size = size;
    } else if (key == "Implementation") {
      set_implementation(r, s, r.str(value, p), p);
    } else if (key == "Trace") {
      s.trace = r.boolean(value, p);
    } else if (key == "static") {
      s.is_static = r.boolean(value, p);
    } else if (key == "recurrent_reuse_factor") {
      const int rf = r.integer(value, p);
      if (rf < 1) r.fail("key '" + p + "' must be an integer >= 1, got " + std::to_string(rf));
      s.recurrent_reuse_factor = rf;
    } else if (key == "exp_table_t" || key == "inv_table_t" || key == "table_t") {
      set_precision(r, s, key.substr(0, key.size() - 2), r.str(value, p), p);
    } else {
      r.unknown_key(path, key, keys);
    }
  }
  return s;
}

}  // namespace firmnet::config::detail
