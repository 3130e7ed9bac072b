// libFuzzer target: YAML bytes as the hls4ml-style configuration (Config::parse) applied to a small MLP
// built in memory (Gemm, BatchNormalization, ReLU, Sigmoid, Softmax, named as hls4ml configs name them):
// the pass pipeline, the HLS-limit check and estimate, and one emulated sample.
#include <cstddef>
#include <cstdint>

#include "fuzz_common.h"
#include "fuzz_models.h"
#include "passes/pass.h"

namespace {

const firmnet::ir::Graph& model() {
  static const firmnet::ir::Graph g = firmnet::fuzz::mlp_model();
  return g;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)model();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace firmnet;
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    const config::Config cfg = config::Config::parse(yaml, "fuzz.yml");
    ir::Graph g = model();
    std::vector<Warning> warnings;
    passes::PassContext ctx{cfg, warnings};
    passes::run_pipeline(g, ctx);
    fuzz::check_and_estimate(g, cfg);
    fuzz::emulate_one_sample(g);
  } catch (const Error& e) {
    fuzz::check_error(e);
  }
  return 0;
}
