// libFuzzer target: Keras model bytes (a full-model .h5, a .keras zip, or a .json architecture, recognised
// by content) through the whole compile: the Keras frontend (load_keras_bytes: libhdf5 from memory, libzip,
// nlohmann-json, the graph walk and the layer converters), the pass pipeline with the default configuration,
// the HLS-limit check and estimate, and one emulated sample.
#include <cstddef>
#include <cstdint>

#include "frontends/keras/keras_frontend.h"
#include "fuzz_common.h"
#include "passes/pass.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace firmnet;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    std::vector<Warning> warnings;
    ir::Graph g = frontends::load_keras_bytes(bytes, "fuzz.h5", warnings);
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
