// The estimate as JSON (estimate.json, `firmnet estimate --json`) and as the text table.
#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "estimate/estimate.h"
#include "support/error.h"

namespace firmnet::estimate {
namespace {

nlohmann::ordered_json row_json(const Row& r, double clock_ns, bool with_name) {
  nlohmann::ordered_json j;
  if (with_name) {
    j["name"] = r.name;
    j["op"] = r.op;
  }
  j["latency_min"] = r.latency_min;
  j["latency_max"] = r.latency_max;
  j["latency_min_ns"] = double(r.latency_min) * clock_ns;
  j["latency_max_ns"] = double(r.latency_max) * clock_ns;
  j["ii"] = r.ii;
  j["dsp"] = r.res.dsp;
  j["lut"] = r.res.lut;
  j["ff"] = r.res.ff;
  j["bram_18k"] = r.res.bram_18k;
  j["uram"] = r.res.uram;
  if (with_name && !r.detail.empty()) j["detail"] = r.detail;
  return j;
}

}  // namespace

std::string to_json(const Estimate& e) {
  nlohmann::ordered_json j;
  j["total"] = row_json(e.total, e.clock_ns, false);
  j["layers"] = nlohmann::ordered_json::array();
  for (const Row& r : e.layers) j["layers"].push_back(row_json(r, e.clock_ns, true));
  j["part"] = e.part;
  j["part_family"] = e.part_info ? e.part_info->key : "unknown";
  j["clock_ns"] = e.clock_ns;
  nlohmann::ordered_json u = nlohmann::ordered_json::object();
  for (const auto& [k, v] : utilisation(e)) u[k] = std::round(v * 100.0) / 100.0;
  j["utilisation_pct"] = u;
  j["feasibility"] = nlohmann::ordered_json::array();
  for (const Finding& f : e.feasibility) j["feasibility"].push_back({{"layer", f.layer}, {"what", f.what}, {"fix", f.fix}});
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";  // model names need not be UTF-8
}

Estimate read_estimate_json(const std::string& text) {
  Estimate e;
  try {
    const auto j = nlohmann::json::parse(text);
    // A count: an integer JSON number within int64 (a float such as 4e95 would make nlohmann's conversion UB).
    auto count = [](const nlohmann::json& r, const char* key) -> int64_t {
      const nlohmann::json& v = r.at(key);
      if (v.is_number_unsigned() && v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX)) return v.get<int64_t>();
      if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<int64_t>();
      throw Error("estimate.json", fmt::format("is malformed: '{}' is {}, not an integer count", key, v.dump().substr(0, 40)),
                  "rewrite it with firmnet convert");
    };
    auto row = [&count](const nlohmann::json& r) {
      Row out;
      out.name = r.value("name", "");
      out.op = r.value("op", "total");
      out.latency_min = count(r, "latency_min");
      out.latency_max = count(r, "latency_max");
      out.ii = count(r, "ii");
      out.res = {count(r, "dsp"), count(r, "lut"), count(r, "ff"), count(r, "bram_18k"), count(r, "uram")};
      return out;
    };
    e.total = row(j.at("total"));
    for (const auto& r : j.at("layers")) e.layers.push_back(row(r));
    e.part = j.at("part").get<std::string>();
    e.part_info = find_part(e.part);
    e.clock_ns = j.at("clock_ns").get<double>();
    for (const auto& f : j.at("feasibility"))
      e.feasibility.push_back({f.value("layer", ""), f.value("what", ""), f.value("fix", "")});
  } catch (const nlohmann::json::exception& ex) {
    throw Error("estimate.json", std::string("is malformed: ") + ex.what(), "rewrite it with firmnet convert");
  }
  return e;
}

std::string to_table(const Estimate& e) {
  std::string s = fmt::format("Estimate for {} at {} ns ({})\n", e.part, e.clock_ns,
                              e.part_info ? e.part_info->family : "part not in the table: no utilisation");
  size_t nw = 8;
  for (const Row& r : e.layers) nw = std::max(nw, r.name.size());
  const auto line = [&](const Row& r) {
    return fmt::format("{:<{}} {:<14} {:>9} {:>5} {:>7} {:>9} {:>9} {:>8} {:>5}\n", r.name, nw, r.op,
                       r.latency_min == r.latency_max ? std::to_string(r.latency_min)
                                                      : fmt::format("{}-{}", r.latency_min, r.latency_max),
                       r.ii, r.res.dsp, r.res.lut, r.res.ff, r.res.bram_18k, r.res.uram);
  };
  s += fmt::format("{:<{}} {:<14} {:>9} {:>5} {:>7} {:>9} {:>9} {:>8} {:>5}\n", "layer", nw, "op", "latency", "II",
                   "DSP", "LUT", "FF", "BRAM18K", "URAM");
  for (const Row& r : e.layers) s += line(r);
  s += line(e.total);
  s += fmt::format("latency {}-{} cycles = {:.1f}-{:.1f} ns, II {} cycles\n", e.total.latency_min, e.total.latency_max,
                   double(e.total.latency_min) * e.clock_ns, double(e.total.latency_max) * e.clock_ns, e.total.ii);
  const auto u = utilisation(e);
  if (!u.empty()) {
    s += "utilisation of " + e.part_info->key + ":";
    for (const auto& [k, v] : u) s += fmt::format(" {} {:.1f}%", k, v);
    s += "\n";
  }
  if (e.feasibility.empty()) {
    s += "feasibility: no HLS limit or capacity breached\n";
  } else {
    for (const Finding& f : e.feasibility)
      s += fmt::format("feasibility: {}{} (fix: {})\n", f.layer.empty() ? "" : "layer '" + f.layer + "': ", f.what,
                       f.fix);
  }
  return s;
}

}  // namespace firmnet::estimate
