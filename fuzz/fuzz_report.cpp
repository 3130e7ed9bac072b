// libFuzzer target: bytes as the files `firmnet report` reads: a vendor report (csynth.xml, <top>_csynth.rpt,
// vivado_synth.rpt) and firmnet's own estimate.json, each parser on the same bytes, then the JSON and text
// views of what parsed and the estimate-vs-report table.
#include <cstddef>
#include <cstdint>

#include "estimate/vendor_report.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace firmnet;
  const std::string text(reinterpret_cast<const char*>(data), size);
  estimate::VendorReport r;
  try {
    r.csynth = estimate::parse_csynth_xml(text, "csynth.xml");
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  try {
    if (!r.csynth) r.csynth = estimate::parse_csynth_rpt(text, "myproject_csynth.rpt");
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  try {
    r.vivado = estimate::parse_vivado_synth(text, "vivado_synth.rpt");
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  try {
    (void)estimate::report_json(r);
    (void)estimate::report_table(r);
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  try {
    const estimate::Estimate est = estimate::read_estimate_json(text);
    (void)estimate::to_table(est);
    (void)estimate::to_json(est);
    (void)estimate::compare_table(est, r);
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
