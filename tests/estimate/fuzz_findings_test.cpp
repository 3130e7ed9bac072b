// Regression tests for what fuzzing (fuzz/fuzz_report, docs/FUZZING.md) found in the report readers: built
// in memory, so they run without any shared file.
#include <gtest/gtest.h>

#include <string>

#include "estimate/estimate.h"
#include "estimate/vendor_report.h"
#include "support/error.h"

using namespace firmnet;
using namespace firmnet::estimate;

namespace {

// The smallest csynth.xml that parses, with `version` as the tool version.
std::string csynth_xml(const std::string& version) {
  return "<profile><ReportVersion><Version>" + version +
         "</Version></ReportVersion><UserAssignments><Part>xcvu13p-flga2577-2-e</Part><TopModelName>myproject"
         "</TopModelName><TargetClockPeriod>5.00</TargetClockPeriod></UserAssignments><PerformanceEstimates>"
         "<SummaryOfTimingAnalysis><EstimatedClockPeriod>3.0</EstimatedClockPeriod></SummaryOfTimingAnalysis>"
         "<SummaryOfOverallLatency><Best-caseLatency>2</Best-caseLatency><Worst-caseLatency>3</Worst-caseLatency>"
         "<Interval-min>1</Interval-min><Interval-max>1</Interval-max></SummaryOfOverallLatency>"
         "</PerformanceEstimates><AreaEstimates><Resources><BRAM_18K>0</BRAM_18K><DSP>1</DSP><FF>2</FF><LUT>3</LUT>"
         "<URAM>0</URAM></Resources><AvailableResources><BRAM_18K>1</BRAM_18K><DSP>1</DSP><FF>1</FF><LUT>1</LUT>"
         "<URAM>1</URAM></AvailableResources></AreaEstimates></profile>";
}

}  // namespace

// A report whose text is not UTF-8 (a byte 0xA4 in the tool version) made report_json throw nlohmann's
// type_error 316 ("invalid UTF-8 byte"), which `firmnet report --json` printed as its error.
TEST(FuzzFindings, ReportJsonOfTextThatIsNotUtf8) {
  VendorReport r;
  r.csynth = parse_csynth_xml(csynth_xml("2020.1 \xa4"), "csynth.xml");
  EXPECT_EQ(r.csynth->tool_version, "2020.1 \xa4");
  std::string json;
  EXPECT_NO_THROW(json = report_json(r));
  EXPECT_NE(json.find("\"tool_version\": \"2020.1 \xef\xbf\xbd\""), std::string::npos) << json;  // U+FFFD
  // A valid report is unchanged by the replacement.
  r.csynth = parse_csynth_xml(csynth_xml("2023.1"), "csynth.xml");
  EXPECT_NE(report_json(r).find("\"tool_version\": \"2023.1\""), std::string::npos);
}

TEST(FuzzFindings, EstimateJsonOfNamesThatAreNotUtf8) {
  Estimate e;
  e.part = "xcvu13p\xff";
  e.clock_ns = 5;
  Row row;
  row.name = "fc\xc3";
  row.op = "dense";
  e.layers.push_back(row);
  std::string json;
  EXPECT_NO_THROW(json = to_json(e));
  EXPECT_NE(json.find("fc\xef\xbf\xbd"), std::string::npos) << json;
}

// fuzz_report (2026-12-06): a count written as 4.44e+95 reached nlohmann's get<int64_t>, a float-to-integer
// conversion out of range (UBSan: undefined behaviour).
TEST(FuzzFindings, EstimateJsonCountThatIsNotAnIntegerIsAnError) {
  for (const char* v : {"4.44444e+95", "1.5", "18446744073709551615", "-2"}) {
    const std::string text = std::string(R"({"total": {"latency_min": 1, "latency_max": 1, "ii": 1, "dsp": )") + v +
                             R"(, "lut": 0, "ff": 0, "bram_18k": 0, "uram": 0}, "layers": [], "part": "xcvu13p", )"
                             R"("clock_ns": 5, "feasibility": []})";
    if (std::string(v) == "-2") {  // a negative integer is read (the reader does not judge plausibility)
      EXPECT_EQ(read_estimate_json(text).total.res.dsp, -2);
      continue;
    }
    try {
      read_estimate_json(text);
      ADD_FAILURE() << v;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("'dsp' is " + std::string(v).substr(0, 4)), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("not an integer count"), std::string::npos) << e.what();
    }
  }
}

// fuzz_report (2026-12-06, 10 min in): a vivado_synth.rpt row labelled "internal error..." with a negative
// count. The message began with the row label, so it read as firmnet's own "internal error"; it now starts with
// firmnet's words and names the file, the value and the row.
TEST(FuzzFindings, ImplausibleVivadoCountNamesValueAndRowAfterItsOwnWords) {
  try {
    parse_vivado_synth("| internal error | 5 | 0 | 5 | -06400 | 1 |\n", "vivado_synth.rpt");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "vivado_synth.rpt");
    EXPECT_EQ(e.message(), "the value '-06400' of internal error is not a plausible count");
  }
}

TEST(FuzzFindings, MalformedEstimateJsonIsAnError) {
  for (const std::string& text : {std::string(), std::string("{"), std::string("[]"), std::string("{\"total\": 1}"), std::string(10000, '['),
                                  std::string("{\"total\": {\"latency_min\": \"x\"}}")}) {
    try {
      read_estimate_json(text);
      ADD_FAILURE() << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("estimate.json: is malformed"), std::string::npos) << e.what();
    }
  }
}
