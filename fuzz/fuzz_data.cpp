// libFuzzer target: bytes as a sample file, both as .npy (parse_npy) and as text (.csv/.dat, parse_text);
// what parses is matched to the inputs of a small compiled model (driver::inputs_from_arrays: shapes and
// row sizes), emulated on at most 4 samples, and written back and re-read (serialize_npy/parse_npy).
#include <cstddef>
#include <cstdint>

#include <cstdio>
#include <cstdlib>

#include "fuzz_common.h"
#include "fuzz_models.h"
#include "passes/pass.h"
#include "support/data_io.h"

namespace {

// x [16] -> Relu -> y [16], compiled with the default configuration.
const firmnet::ir::Graph& model() {
  static const firmnet::ir::Graph g = [] {
    firmnet::ir::Graph graph = firmnet::fuzz::relu16_model();
    std::vector<firmnet::Warning> w;
    const firmnet::config::Config cfg = firmnet::config::Config::defaults();
    firmnet::passes::PassContext ctx{cfg, w};
    firmnet::passes::run_pipeline(graph, ctx);
    return graph;
  }();
  return g;
}

void use(const firmnet::support::Array& a) {
  using namespace firmnet;
  (void)a.rows();
  (void)a.row_size();
  // Written back and read again: the same values.
  const support::Array b = support::parse_npy(support::serialize_npy(a), "roundtrip.npy");
  if (b.shape != a.shape || b.data != a.data) {
    std::fprintf(stderr, "FINDING: .npy round trip changed the array\n");
    std::abort();
  }
  try {
    size_t batch = 0;
    auto inputs = driver::inputs_from_arrays(model(), {a}, batch);
    if (batch > 4) {
      batch = 4;
      inputs[0].resize(4 * 16);
    }
    emulator::Options opts;
    opts.threads = 1;
    const auto r = emulator::Emulator(model(), opts).run(inputs, batch);
    (void)driver::output_array(model(), 0, r.outputs[0], batch);
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)model();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace firmnet;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (bool npy : {true, false}) {
    try {
      use(npy ? support::parse_npy(bytes, "fuzz.npy") : support::parse_text(bytes, "fuzz.csv"));
    } catch (const Error& e) {
      fuzz::check_error(e);
    }
  }
  return 0;
}
