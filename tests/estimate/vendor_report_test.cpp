// The vendor report readers on the shared csynth + Vivado pair, on a csynth.xml, and on malformed input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "estimate/vendor_report.h"
#include "support/error.h"

namespace fs = std::filesystem;
using namespace firmnet;
using namespace firmnet::estimate;

namespace {

const fs::path kPair = fs::path(FIRMNET_SHARED_ESTIMATION) / "reports" / "hls4ml_test_report_dense16x5";

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(VendorReport, ReadsTheSharedCsynthRpt) {
  if (!fs::exists(kPair)) GTEST_SKIP() << "shared report pair absent: " << kPair;
  const CsynthReport r = parse_csynth_rpt(slurp(kPair / "myproject_csynth.rpt"), "myproject_csynth.rpt");
  EXPECT_EQ(r.top, "myproject");
  EXPECT_EQ(r.part, "xc7z020-clg400-1");
  EXPECT_EQ(r.tool_version, "2020.1 (Build 2897737 on Wed May 27 20:21:37 MDT 2020)");
  EXPECT_DOUBLE_EQ(r.target_clock_ns, 5.0);
  EXPECT_DOUBLE_EQ(r.estimated_clock_ns, 4.049);
  EXPECT_EQ(r.latency_min, 10);
  EXPECT_EQ(r.latency_max, 10);
  EXPECT_EQ(r.ii_min, 8);
  EXPECT_EQ(r.ii_max, 8);
  EXPECT_EQ(r.pipeline, "dataflow");
  EXPECT_EQ(r.res.bram_18k, 0);
  EXPECT_EQ(r.res.dsp, 73);
  EXPECT_EQ(r.res.ff, 7969);
  EXPECT_EQ(r.res.lut, 2532);
  EXPECT_EQ(r.res.uram, 0);
  EXPECT_EQ(r.available.bram_18k, 280);
  EXPECT_EQ(r.available.dsp, 220);
  EXPECT_EQ(r.available.ff, 106400);
  EXPECT_EQ(r.available.lut, 53200);
}

TEST(VendorReport, ReadsTheSharedVivadoSynthRpt) {
  if (!fs::exists(kPair)) GTEST_SKIP() << "shared report pair absent: " << kPair;
  const VivadoSynthReport v = parse_vivado_synth(slurp(kPair / "vivado_synth.rpt"), "vivado_synth.rpt");
  EXPECT_EQ(v.device, "7z020clg400-1");
  EXPECT_EQ(v.res.lut, 1526);
  EXPECT_EQ(v.res.ff, 2428);
  EXPECT_EQ(v.res.dsp, 66);
  EXPECT_EQ(v.res.bram_18k, 0);
  EXPECT_EQ(v.available.lut, 53200);
  EXPECT_EQ(v.available.dsp, 220);
  EXPECT_EQ(v.available.bram_18k, 280);
}

TEST(VendorReport, FindsBothReportsInAProjectDirectory) {
  if (!fs::exists(kPair)) GTEST_SKIP() << "shared report pair absent: " << kPair;
  const VendorReport r = read_project_reports(kPair.string());
  ASSERT_TRUE(r.csynth && r.vivado);
  EXPECT_EQ(r.csynth->res.dsp, 73);
  EXPECT_EQ(r.vivado->res.dsp, 66);
  const std::string t = report_table(r);
  EXPECT_NE(t.find("2532"), std::string::npos) << t;
  EXPECT_NE(t.find("1526"), std::string::npos) << t;
}

TEST(VendorReport, ReadsCsynthXml) {
  // The layout Vivado/Vitis HLS write to solution1/syn/report/csynth.xml (Vitis names the DSP column DSP).
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<profile>
  <ReportVersion><Version>2023.1</Version></ReportVersion>
  <UserAssignments><unit>ns</unit><ProductFamily>virtexuplus</ProductFamily><Part>xcvu13p-flga2577-2-e</Part>
    <TopModelName>myproject</TopModelName><TargetClockPeriod>5.00</TargetClockPeriod></UserAssignments>
  <PerformanceEstimates>
    <SummaryOfTimingAnalysis><unit>ns</unit><EstimatedClockPeriod>3.015</EstimatedClockPeriod></SummaryOfTimingAnalysis>
    <SummaryOfOverallLatency><unit>clock cycles</unit><Best-caseLatency>2</Best-caseLatency>
      <Average-caseLatency>2</Average-caseLatency><Worst-caseLatency>3</Worst-caseLatency>
      <Interval-min>1</Interval-min><Interval-max>1</Interval-max></SummaryOfOverallLatency>
  </PerformanceEstimates>
  <AreaEstimates>
    <Resources><BRAM_18K>32</BRAM_18K><DSP>63</DSP><FF>2135</FF><LUT>4821</LUT><URAM>0</URAM></Resources>
    <AvailableResources><BRAM_18K>5376</BRAM_18K><DSP>12288</DSP><FF>3456000</FF><LUT>1728000</LUT><URAM>1280</URAM></AvailableResources>
  </AreaEstimates>
</profile>)";
  const CsynthReport r = parse_csynth_xml(xml, "csynth.xml");
  EXPECT_EQ(r.tool_version, "2023.1");
  EXPECT_EQ(r.part, "xcvu13p-flga2577-2-e");
  EXPECT_EQ(r.latency_min, 2);
  EXPECT_EQ(r.latency_max, 3);
  EXPECT_EQ(r.ii_max, 1);
  EXPECT_EQ(r.res.bram_18k, 32);
  EXPECT_EQ(r.res.dsp, 63);
  EXPECT_EQ(r.res.ff, 2135);
  EXPECT_EQ(r.res.lut, 4821);
  EXPECT_EQ(r.available.uram, 1280);
}

TEST(VendorReport, MalformedInputIsAClearError) {
  EXPECT_THROW(parse_csynth_xml("<profile><oops>", "csynth.xml"), Error);
  EXPECT_THROW(parse_csynth_xml("<other/>", "csynth.xml"), Error);
  EXPECT_THROW(parse_csynth_rpt("not a report\n| a | b |\n", "x_csynth.rpt"), Error);
  EXPECT_THROW(parse_vivado_synth("", "vivado_synth.rpt"), Error);
  // Numbers no report holds: an error, not an overflowing cast.
  EXPECT_THROW(parse_csynth_xml("<profile><PerformanceEstimates><SummaryOfOverallLatency><Best-caseLatency>1e300"
                                "</Best-caseLatency></SummaryOfOverallLatency></PerformanceEstimates></profile>",
                                "csynth.xml"),
               Error);
  EXPECT_THROW(parse_vivado_synth("| Slice LUTs | 1e30 | 0 | 5 | 1 |\n", "vivado_synth.rpt"), Error);
  const fs::path empty = fs::temp_directory_path() / "firmnet_empty_report_dir";
  fs::create_directories(empty);
  try {
    read_project_reports(empty.string());
    FAIL() << "no error for a directory without reports";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("csynth"), std::string::npos) << e.what();
  }
}
