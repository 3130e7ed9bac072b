// libFuzzer target: bytes as the IR text form (.fnir, ir/text.h). What parses must print, parse and print
// again to the same bytes (the round trip docs/IR.md promises), and then compile through the passes after its
// stage, pass the HLS-limit check and the estimate, and emulate one sample; anything else must be a
// firmnet::Error naming the line.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_common.h"
#include "ir/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace firmnet;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ir::TextGraph t;
  try {
    t = ir::parse_text(text, "fuzz.fnir");
  } catch (const Error& e) {
    fuzz::check_error(e);
    return 0;
  }
  const std::string printed = ir::print_text(t.graph, t.stage);
  std::string again;
  try {
    again = ir::print_text(ir::parse_text(printed, "printed.fnir").graph, t.stage);
  } catch (const Error& e) {
    std::fprintf(stderr, "FINDING (printed text does not parse): %s\n", e.what());
    std::abort();
  }
  if (again != printed) {
    std::fprintf(stderr, "FINDING (print -> parse -> print differs)\n");
    std::abort();
  }
  try {
    const config::Config cfg = config::Config::defaults();
    driver::Compiled c = driver::compile_graph(std::move(t.graph), t.stage, cfg);
    fuzz::check_and_estimate(c.graph, cfg);
    fuzz::emulate_one_sample(c.graph);
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
