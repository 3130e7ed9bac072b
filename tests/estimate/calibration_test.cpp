// The estimator against real synthesis results (shared/estimation: hls4ml's CI baselines). Every Xilinx
// case firmnet can load is estimated with the case's own part, clock, uncertainty and precision, printed
// next to the report, and the accuracy targets are asserted over the covered cases:
//   latency and II within +-10 % or +-2 cycles on >= 80 %; DSP within +-15 % or +-2 on >= 80 %;
//   LUT and FF median relative error <= 30 %.
// io_parallel and io_stream cases alike (io_stream with the backend's stream plan, through driver::estimate).
// Every Xilinx case is covered (the oneAPI ones are listed as skipped: no oneAPI backend); a case that fails to
// load fails the test.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "driver/driver.h"
#include "estimate/estimate.h"
#include "support/error.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

struct Reported {
  int64_t latency = 0, ii = 0, dsp = 0, lut = 0, ff = 0, bram = 0;
};

Reported reported_of(const nlohmann::json& r) {
  const nlohmann::json& c = r.contains("csynth") ? r.at("csynth") : r;
  auto i = [&](const char* k) { return static_cast<int64_t>(std::llround(c.at(k).get<double>())); };
  return {i("WorstLatency"), i("IntervalMax"), i("DSP"), i("LUT"), i("FF"), i("BRAM_18K")};
}

std::string config_yaml(const nlohmann::json& cs) {
  const nlohmann::json& cfg = cs.at("config");
  const std::string tool = cs.at("tool").get<std::string>();
  std::string backend = cs.value("backend", tool.rfind("Vitis", 0) == 0 ? "Vitis" : "Vivado");
  std::string unc = cfg.value("ClockUncertainty", "12.5%");
  if (!unc.empty() && unc.back() == '%') unc.pop_back();
  // The baselines use one precision everywhere ("fixed<16,6> (everything ...)", "ap_fixed<16,6> everywhere"), or
  // name a default and the types hls4ml's 'auto' resolved the conv's result and accumulator to
  // ("granularity='name', default fixed<16,6>; ... accum = result = fixed<35,15> ...").
  const std::string text = cfg.at("Precision").get<std::string>();
  auto type_after = [&](const std::string& key) {
    const size_t at = text.find(key);
    if (at == std::string::npos) return std::string();
    std::string t = text.substr(at + key.size());
    t = t.substr(0, t.find_first_of(" ;,(", t.find('>')));
    return t.rfind("ap_", 0) == 0 ? t.substr(3) : t;
  };
  std::string prec = type_after("default ");
  if (prec.empty()) prec = type_after("");
  const std::string conv_result = type_after("accum = result = ");
  std::string y = "Backend: " + backend + "\nPart: " + cs.at("part").get<std::string>() +
                  "\nClockPeriod: " + std::to_string(cs.at("clock_ns").get<double>()) + "\nClockUncertainty: \"" + unc + "%\"" +
                  "\nIOType: " + cfg.at("IOType").get<std::string>() + "\nHLSConfig:\n  Model:\n    Precision: " + prec +
                  "\n    ReuseFactor: " + std::to_string(cfg.at("ReuseFactor").get<int>()) +
                  "\n    Strategy: " + cfg.at("Strategy").get<std::string>() + "\n";
  // hls4ml's table defaults (table_t ap_fixed<18,8>, 1024 entries) where the case names them.
  if (cfg.contains("table") || !conv_result.empty()) y += "  LayerType:\n";
  if (cfg.contains("table")) y += "    Activation:\n      TableSize: 1024\n      Precision: {table: \"fixed<18,8>\"}\n";
  // firmnet's types are at most 64 bits: where hls4ml's is wider, firmnet's own 'auto' (the exact sum) stands in.
  if (!conv_result.empty()) {
    const std::string t = std::stoi(conv_result.substr(conv_result.find('<') + 1)) <= 64 ? conv_result : "auto";
    y += "    Conv:\n      Precision: {result: \"" + t + "\", accum: \"" + t + "\"}\n";
  }
  return y;
}

bool within(int64_t est, int64_t rep, double rel, int64_t abs) {
  return std::llabs(est - rep) <= std::max<double>(double(abs), rel * double(rep));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

TEST(EstimateCalibration, SharedXilinxCases) {
  const fs::path root(FIRMNET_SHARED_ESTIMATION);
  if (!fs::exists(root / "cases")) GTEST_SKIP() << "shared estimation cases absent: " << root;
  std::vector<fs::path> files;
  for (const auto& f : fs::directory_iterator(root / "cases"))
    if (f.path().extension() == ".json") files.push_back(f.path());
  std::sort(files.begin(), files.end());

  int covered = 0, xilinx = 0, lat_ok = 0, ii_ok = 0, dsp_ok = 0;
  std::vector<double> lut_err, ff_err;
  std::map<std::string, std::vector<double>> lut_by_io, ff_by_io;
  std::printf("%-68s %9s %7s %11s %13s %13s %9s\n", "case", "latency", "II", "DSP", "LUT", "FF", "BRAM");
  std::printf("%-68s %9s %7s %11s %13s %13s %9s\n", "", "est/rep", "est/rep", "est/rep", "est/rep", "est/rep",
              "est/rep");
  std::vector<std::string> skipped;
  for (const fs::path& f : files) {
    std::ifstream in(f);
    const nlohmann::json cs = nlohmann::json::parse(in);
    const std::string id = cs.at("id").get<std::string>();
    const std::string tool = cs.at("tool").get<std::string>();
    const std::string status = cs.value("status", "");
    if (status.rfind("REFERENCE ONLY", 0) == 0) {  // e.g. a figure without its model: not a case to score
      skipped.push_back(id + ": " + status);
      continue;
    }
    if (tool.find("oneAPI") != std::string::npos) {
      skipped.push_back(id + ": Intel oneAPI backend not modelled");
      continue;
    }
    ++xilinx;
    estimate::Estimate e;
    try {
      const auto cfg = config::Config::parse(config_yaml(cs), id);
      auto c = driver::compile((root / cs.at("model").at("onnx").get<std::string>()).string(), cfg);
      e = driver::estimate(c);
    } catch (const Error& err) {
      skipped.push_back(id + ": " + err.what());
      continue;
    } catch (const nlohmann::json::exception& err) {
      skipped.push_back(id + ": the case's configuration is not in the flat form this test reads (" +
                        std::string(err.what()) + ")");
      continue;
    }
    const Reported r = reported_of(cs.at("reported"));
    ++covered;
    lat_ok += within(e.total.latency_max, r.latency, 0.10, 2);
    ii_ok += within(e.total.ii, r.ii, 0.10, 2);
    dsp_ok += within(e.total.res.dsp, r.dsp, 0.15, 2);
    lut_err.push_back(std::fabs(double(e.total.res.lut - r.lut)) / double(std::max<int64_t>(r.lut, 1)));
    ff_err.push_back(std::fabs(double(e.total.res.ff - r.ff)) / double(std::max<int64_t>(r.ff, 1)));
    const std::string io = cs.at("config").at("IOType").get<std::string>();
    lut_by_io[io].push_back(lut_err.back());
    ff_by_io[io].push_back(ff_err.back());
    std::printf("%-68s %4lld/%-4lld %3lld/%-3lld %5lld/%-5lld %6lld/%-6lld %6lld/%-6lld %4lld/%-4lld\n", id.c_str(),
                (long long)e.total.latency_max, (long long)r.latency, (long long)e.total.ii, (long long)r.ii,
                (long long)e.total.res.dsp, (long long)r.dsp, (long long)e.total.res.lut, (long long)r.lut,
                (long long)e.total.res.ff, (long long)r.ff, (long long)e.total.res.bram_18k, (long long)r.bram);
  }
  std::printf("\nskipped (%zu):\n", skipped.size());
  for (const auto& s : skipped) std::printf("  %s\n", s.c_str());
  ASSERT_GT(covered, 0) << "no case could be estimated";
  EXPECT_EQ(covered, xilinx) << "every Xilinx case loads and is estimated";
  const double lut_med = median(lut_err), ff_med = median(ff_err);
  std::printf("\ncovered %d: latency within 10%%/2 on %d, II on %d, DSP within 15%%/2 on %d; median relative "
              "error LUT %.1f%%, FF %.1f%%\n",
              covered, lat_ok, ii_ok, dsp_ok, 100 * lut_med, 100 * ff_med);
  for (const auto& [io, v] : lut_by_io)
    std::printf("  %s (%zu cases): median relative error LUT %.1f%%, FF %.1f%%\n", io.c_str(), v.size(),
                100 * median(v), 100 * median(ff_by_io[io]));
  EXPECT_GE(lat_ok, 0.8 * covered) << "latency target";
  EXPECT_GE(ii_ok, 0.8 * covered) << "II target";
  EXPECT_GE(dsp_ok, 0.8 * covered) << "DSP target";
  EXPECT_LE(lut_med, 0.30) << "LUT median relative error";
  EXPECT_LE(ff_med, 0.30) << "FF median relative error";
}
