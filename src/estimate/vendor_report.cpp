// Vendor report readers: HLS csynth (text and XML) and Vivado report_utilization, into the estimate's keys.
#include "estimate/vendor_report.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>
#include <sstream>

#include "support/error.h"
#include "support/parse.h"

namespace firmnet::estimate {
namespace fs = std::filesystem;
namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r*");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r*");
  return s.substr(a, b - a + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The cells of a table row "| a | b |" (trimmed), empty when the line is not a row.
std::vector<std::string> cells(const std::string& line) {
  std::vector<std::string> out;
  const std::string t = trim(line);
  if (t.size() < 2 || t.front() != '|') return out;
  size_t p = 1;
  while (p < t.size()) {
    size_t q = t.find('|', p);
    if (q == std::string::npos) break;
    out.push_back(trim(t.substr(p, q - p)));
    p = q + 1;
  }
  return out;
}

bool is_int(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

int64_t to_int(const std::string& s, const std::string& file, const std::string& what) {
  // "-" means none in the HLS tables; "0.5" block RAM tiles are rounded up by callers that need halves.
  if (s == "-" || s.empty()) return 0;
  const auto v = support::parse_leading_double(s);
  if (!v) throw Error(file, "cannot read " + what + " from '" + s + "'");
  // The message starts with firmnet's words, not with `what` (a row label quoted from the report).
  if (!(*v >= 0 && *v < 9.0e15)) throw Error(file, "the value '" + s + "' of " + what + " is not a plausible count");
  return static_cast<int64_t>(*v);
}

double leading_number(const std::string& s) { return support::parse_leading_double(s).value_or(0); }

std::string after_colon(const std::string& line) {
  size_t p = line.find(':');
  return p == std::string::npos ? "" : trim(line.substr(p + 1));
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(p.string(), "cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Assigns a utilisation-table column to a resource by its header name.
void set_resource(Resources& r, const std::string& header, int64_t v) {
  std::string h = header;
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::toupper(c); });
  if (h.rfind("BRAM", 0) == 0) r.bram_18k = v;
  else if (h.rfind("DSP", 0) == 0) r.dsp = v;
  else if (h == "FF") r.ff = v;
  else if (h == "LUT") r.lut = v;
  else if (h == "URAM") r.uram = v;
}

}  // namespace

CsynthReport parse_csynth_rpt(const std::string& text, const std::string& file) {
  CsynthReport r;
  r.file = file;
  const auto L = lines_of(text);
  bool have_latency = false, have_total = false;
  enum { None, Timing, Latency, Utilisation } section = None;
  std::vector<std::string> util_header;
  for (size_t i = 0; i < L.size(); ++i) {
    const std::string t = trim(L[i]);
    if (t.rfind("== Vivado HLS Report for", 0) == 0 || t.rfind("== Vitis HLS Report for", 0) == 0) {
      size_t a = t.find('\''), b = t.rfind('\'');
      if (a != std::string::npos && b > a) r.top = t.substr(a + 1, b - a - 1);
    } else if (t.rfind("Version:", 0) == 0) {
      r.tool_version = after_colon(t);
    } else if (t.rfind("Target device:", 0) == 0) {
      r.part = after_colon(t);
    } else if (t.rfind("+ Timing", 0) == 0) {
      section = Timing;
    } else if (t.rfind("+ Latency", 0) == 0) {
      section = Latency;
    } else if (t.rfind("== Utilization Estimates", 0) == 0) {
      section = Utilisation;
    } else if (t.rfind("== Interface", 0) == 0) {
      section = None;
    }
    const auto c = cells(L[i]);
    if (c.empty()) continue;
    if (section == Timing && c.size() >= 3 && c[0] == "ap_clk") {
      r.target_clock_ns = leading_number(c[1]);
      r.estimated_clock_ns = leading_number(c[2]);
    } else if (section == Latency && !have_latency && c.size() >= 6 && is_int(c[0]) && is_int(c[1])) {
      // | min | max | abs min | abs max | II min | II max | type |  (the first data row is the summary)
      r.latency_min = to_int(c[0], file, "the latency");
      r.latency_max = to_int(c[1], file, "the latency");
      r.ii_min = to_int(c[4], file, "the interval");
      r.ii_max = to_int(c[5], file, "the interval");
      if (c.size() >= 7) r.pipeline = c[6];
      have_latency = true;
    } else if (section == Utilisation && !have_total) {
      if (c.size() >= 5 && c[0] == "Name") util_header = c;
      if (!util_header.empty() && (c[0] == "Total" || c[0] == "Available") && c.size() == util_header.size()) {
        Resources& dst = c[0] == "Total" ? r.res : r.available;
        for (size_t k = 1; k < c.size(); ++k) set_resource(dst, util_header[k], to_int(c[k], file, util_header[k]));
        if (c[0] == "Available") have_total = true;
      }
    }
  }
  if (!have_latency) throw Error(file, "has no latency summary", "is this a Vivado/Vitis HLS *_csynth.rpt?");
  if (util_header.empty()) throw Error(file, "has no utilization summary", "is this a Vivado/Vitis HLS *_csynth.rpt?");
  return r;
}

CsynthReport parse_csynth_xml(const std::string& text, const std::string& file) {
  pugi::xml_document doc;
  const pugi::xml_parse_result ok = doc.load_string(text.c_str());
  if (!ok) throw Error(file, std::string("is not valid XML: ") + ok.description());
  const pugi::xml_node prof = doc.child("profile");
  if (!prof) throw Error(file, "has no <profile>", "is this a Vivado/Vitis HLS csynth.xml?");
  CsynthReport r;
  r.file = file;
  r.tool_version = prof.child("ReportVersion").child_value("Version");
  const pugi::xml_node ua = prof.child("UserAssignments");
  r.part = ua.child_value("Part");
  r.top = ua.child_value("TopModelName");
  r.target_clock_ns = leading_number(ua.child_value("TargetClockPeriod"));
  const pugi::xml_node perf = prof.child("PerformanceEstimates");
  r.estimated_clock_ns = leading_number(perf.child("SummaryOfTimingAnalysis").child_value("EstimatedClockPeriod"));
  const pugi::xml_node lat = perf.child("SummaryOfOverallLatency");
  if (!lat) throw Error(file, "has no <SummaryOfOverallLatency>");
  r.latency_min = to_int(lat.child_value("Best-caseLatency"), file, "Best-caseLatency");
  r.latency_max = to_int(lat.child_value("Worst-caseLatency"), file, "Worst-caseLatency");
  r.ii_min = to_int(lat.child_value("Interval-min"), file, "Interval-min");
  r.ii_max = to_int(lat.child_value("Interval-max"), file, "Interval-max");
  r.pipeline = lat.child_value("PipelineType");
  const pugi::xml_node area = prof.child("AreaEstimates");
  if (!area.child("Resources")) throw Error(file, "has no <AreaEstimates><Resources>");
  for (pugi::xml_node n : area.child("Resources").children())
    set_resource(r.res, n.name(), to_int(n.child_value(), file, n.name()));
  for (pugi::xml_node n : area.child("AvailableResources").children())
    set_resource(r.available, n.name(), to_int(n.child_value(), file, n.name()));
  return r;
}

VivadoSynthReport parse_vivado_synth(const std::string& text, const std::string& file) {
  VivadoSynthReport r;
  r.file = file;
  bool have_lut = false;
  int64_t ramb18 = 0, ramb36 = 0;
  for (const std::string& line : lines_of(text)) {
    const std::string t = trim(line.size() && line[0] == '|' ? line.substr(1) : line);
    if (t.rfind("Tool Version", 0) == 0) r.tool_version = after_colon(t);
    if (t.rfind("Device", 0) == 0 && t.find(':') != std::string::npos) r.device = after_colon(t);
    const auto c = cells(line);
    if (c.size() < 5 || c[1].empty() || !std::isdigit(static_cast<unsigned char>(c[1][0]))) continue;
    // | Site Type | Used | Fixed | (Prohibited |) Available | Util% |
    const std::string& name = c[0];
    const int64_t used = to_int(c[1], file, name);
    const int64_t avail = to_int(c[c.size() - 2], file, name);
    if (name == "Slice LUTs" || name == "CLB LUTs") {
      r.res.lut = used, r.available.lut = avail, have_lut = true;
    } else if (name == "Slice Registers" || name == "CLB Registers") {
      r.res.ff = used, r.available.ff = avail;
    } else if (name == "RAMB18") {
      ramb18 = used, r.available.bram_18k = avail;
    } else if (name == "RAMB36/FIFO") {
      ramb36 = used;
    } else if (name == "DSPs") {
      r.res.dsp = used, r.available.dsp = avail;
    } else if (name == "URAM") {
      r.res.uram = used, r.available.uram = avail;
    }
  }
  if (!have_lut) throw Error(file, "has no LUT row", "is this Vivado's report_utilization output (vivado_synth.rpt)?");
  r.res.bram_18k = ramb18 + 2 * ramb36;
  return r;
}

VendorReport read_project_reports(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) throw Error(dir, "is not a directory");
  std::vector<fs::path> xmls, rpts;
  std::optional<fs::path> vivado;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    if (name == "csynth.xml") xmls.push_back(it->path());
    else if (name.size() > 11 && name.substr(name.size() - 11) == "_csynth.rpt") rpts.push_back(it->path());
    else if (name == "vivado_synth.rpt" && !vivado) vivado = it->path();
  }
  VendorReport r;
  if (!xmls.empty()) {
    std::sort(xmls.begin(), xmls.end());
    r.csynth = parse_csynth_xml(read_text(xmls.front()), xmls.front().string());
  } else if (!rpts.empty()) {
    // One report per module. The top's: <top>_csynth.rpt with the top from build_prj.tcl's set_top when
    // the project has one, else the shortest name (myproject_csynth.rpt next to dense_..._csynth.rpt).
    std::string top;
    if (fs::exists(root / "build_prj.tcl", ec)) {
      std::istringstream tcl(read_text(root / "build_prj.tcl"));
      for (std::string l; std::getline(tcl, l);)
        if (l.rfind("set_top ", 0) == 0) top = trim(l.substr(8));
    }
    std::stable_sort(rpts.begin(), rpts.end(), [&](const fs::path& a, const fs::path& b) {
      const bool ta = a.filename().string() == top + "_csynth.rpt", tb = b.filename().string() == top + "_csynth.rpt";
      if (ta != tb) return ta;
      return a.filename().string().size() != b.filename().string().size()
                 ? a.filename().string().size() < b.filename().string().size()
                 : a < b;
    });
    r.csynth = parse_csynth_rpt(read_text(rpts.front()), rpts.front().string());
  }
  if (vivado) r.vivado = parse_vivado_synth(read_text(*vivado), vivado->string());
  if (!r.csynth && !r.vivado)
    throw Error(dir, "holds no csynth.xml, *_csynth.rpt or vivado_synth.rpt",
                "run the HLS synthesis first (build_prj.tcl synth=1; vsynth=1 for vivado_synth.rpt)");
  return r;
}

namespace {

nlohmann::ordered_json res_json(const Resources& r) {
  return {{"dsp", r.dsp}, {"lut", r.lut}, {"ff", r.ff}, {"bram_18k", r.bram_18k}, {"uram", r.uram}};
}

}  // namespace

std::string report_json(const VendorReport& r) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (r.csynth) {
    const CsynthReport& c = *r.csynth;
    nlohmann::ordered_json t = {{"latency_min", c.latency_min}, {"latency_max", c.latency_max},
                                {"latency_min_ns", double(c.latency_min) * c.target_clock_ns},
                                {"latency_max_ns", double(c.latency_max) * c.target_clock_ns},
                                {"ii", c.ii_max}};
    t.update(res_json(c.res));
    j["csynth"] = {{"file", c.file},          {"tool_version", c.tool_version},
                   {"part", c.part},          {"top", c.top},
                   {"clock_ns", c.target_clock_ns}, {"estimated_clock_ns", c.estimated_clock_ns},
                   {"ii_min", c.ii_min},      {"pipeline", c.pipeline},
                   {"total", t},              {"available", res_json(c.available)}};
  }
  if (r.vivado) {
    const VivadoSynthReport& v = *r.vivado;
    j["vivado_synth"] = {{"file", v.file}, {"tool_version", v.tool_version}, {"part", v.device},
                         {"total", res_json(v.res)}, {"available", res_json(v.available)}};
  }
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";  // report text need not be UTF-8
}

namespace {

std::string fmt_row(const std::string& what, const std::string& a, const std::string& b, const std::string& c) {
  return fmt::format("{:<10} {:>14} {:>14} {:>14}\n", what, a, b, c);
}

std::string opt(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

std::string compare_impl(const Estimate* e, const VendorReport& r) {
  std::string s;
  if (r.csynth) s += fmt::format("csynth: {} ({}, {})\n", r.csynth->file, r.csynth->tool_version, r.csynth->part);
  if (r.vivado) s += fmt::format("vivado: {} ({})\n", r.vivado->file, r.vivado->device);
  s += fmt_row("", e ? "estimate" : "", "csynth", "vivado synth");
  const auto row = [&](const std::string& key, std::optional<int64_t> est, std::optional<int64_t> cs,
                       std::optional<int64_t> vv) { s += fmt_row(key, e ? opt(est) : "", opt(cs), opt(vv)); };
  const std::optional<int64_t> none;
  using O = std::optional<int64_t>;
  const auto* c = r.csynth ? &*r.csynth : nullptr;
  const auto* v = r.vivado ? &*r.vivado : nullptr;
  row("latency", e ? O(e->total.latency_max) : none, c ? O(c->latency_max) : none, none);
  row("II", e ? O(e->total.ii) : none, c ? O(c->ii_max) : none, none);
  row("DSP", e ? O(e->total.res.dsp) : none, c ? O(c->res.dsp) : none, v ? O(v->res.dsp) : none);
  row("LUT", e ? O(e->total.res.lut) : none, c ? O(c->res.lut) : none, v ? O(v->res.lut) : none);
  row("FF", e ? O(e->total.res.ff) : none, c ? O(c->res.ff) : none, v ? O(v->res.ff) : none);
  row("BRAM_18K", e ? O(e->total.res.bram_18k) : none, c ? O(c->res.bram_18k) : none, v ? O(v->res.bram_18k) : none);
  row("URAM", e ? O(e->total.res.uram) : none, c ? O(c->res.uram) : none, v ? O(v->res.uram) : none);
  return s;
}

}  // namespace

std::string report_table(const VendorReport& r) { return compare_impl(nullptr, r); }
std::string compare_table(const Estimate& e, const VendorReport& r) { return compare_impl(&e, r); }

}  // namespace firmnet::estimate
