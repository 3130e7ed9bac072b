// libFuzzer target: ONNX bytes through the whole compile: the frontend (load_onnx_bytes), the pass
// pipeline with the default configuration, the HLS-limit check and estimate, and one emulated sample.
#include <cstddef>
#include <cstdint>

#include "frontends/onnx/onnx_frontend.h"
#include "fuzz_common.h"
#include "passes/pass.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace firmnet;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<Warning> warnings;
    ir::Graph g = frontends::load_onnx_bytes(bytes, "fuzz.onnx", warnings);
    const config::Config cfg = config::Config::defaults();
    passes::PassContext ctx{cfg, warnings};
    passes::run_pipeline(g, ctx);
    fuzz::check_and_estimate(g, cfg);
    fuzz::emulate_one_sample(g);
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
