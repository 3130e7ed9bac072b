// Benchmarks (not tests): conversion and estimation time, emulation throughput, g++ compile time of the
// generated project.
// Run: scripts/bench.sh  (Google Benchmark prints the table; items_per_second is samples/s for emulation).
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "backends/vitis/vitis_backend.h"
#include "common/model_builder.h"
#include "driver/driver.h"
#include "emulator/emulator.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

// The jet tagger 16-64-32-32-5: the shared Keras export when present, else the same shape built here.
std::string jet_tagger() {
  const std::string shared = std::string(FIRMNET_SHARED_MODELS) + "/onnx/three_layer_keras.onnx";
  if (fs::exists(shared)) return shared;
  static std::string built = testmodels::write_mlp((fs::temp_directory_path() / "firmnet_bench_jet.onnx").string(), 16,
                                                {{64, "Relu"}, {32, "Relu"}, {32, "Relu"}, {5, "Softmax"}}, 5);
  return built;
}

config::Config fixed16_6() {
  return config::Config::parse("HLSConfig:\n  Model:\n    Precision: fixed<16,6>\n", "bench");
}

void BM_Convert_LoadAndPasses(benchmark::State& st) {
  const auto cfg = fixed16_6();
  for (auto _ : st) benchmark::DoNotOptimize(driver::compile(jet_tagger(), cfg));
}
BENCHMARK(BM_Convert_LoadAndPasses)->Unit(benchmark::kMillisecond);

// The resource/latency estimate of the compiled jet tagger (no vendor tool): a per-weight walk.
void BM_Estimate_JetTagger(benchmark::State& st) {
  const auto c = driver::compile(jet_tagger(), fixed16_6());
  for (auto _ : st) benchmark::DoNotOptimize(driver::estimate(c));
}
BENCHMARK(BM_Estimate_JetTagger)->Unit(benchmark::kMicrosecond);

void BM_Convert_WholeProcess(benchmark::State& st) {
  // `firmnet convert` as a user runs it: process start, load, passes, project written.
  const fs::path exe = fs::path(FIRMNET_SOURCE_DIR) / "build" / "firmnet";
  const fs::path out = fs::temp_directory_path() / "firmnet_bench_prj";
  const std::string cmd = exe.string() + " -q convert " + jet_tagger() + " -o " + out.string() + " >/dev/null";
  for (auto _ : st)
    if (std::system(cmd.c_str()) != 0) st.SkipWithError("firmnet convert failed (build/firmnet missing?)");
}
BENCHMARK(BM_Convert_WholeProcess)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Emulate_JetTagger_fixed16_6(benchmark::State& st) {
  auto c = driver::compile(jet_tagger(), fixed16_6());
  const size_t batch = 100000;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 16);
  for (auto& v : x) v = rng.normal();
  emulator::Options o;
  o.threads = static_cast<int>(st.range(0));
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_JetTagger_fixed16_6)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Emulate_JetTagger_defaults(benchmark::State& st) {
  auto c = driver::compile(jet_tagger(), config::Config::defaults());
  const size_t batch = 100000;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 16);
  for (auto& v : x) v = rng.normal();
  emulator::Emulator emu(c.graph);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_JetTagger_defaults)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GxxCompile_JetTagger(benchmark::State& st) {
  auto c = driver::compile(jet_tagger(), fixed16_6());
  const fs::path dir = fs::temp_directory_path() / "firmnet_bench_csim";
  backends::CsimOptions co;
  co.ap_types_dir = driver::ap_types_dir();
  std::vector<double> x(16, 0.5);
  for (auto _ : st) {
    st.PauseTiming();
    fs::remove_all(dir);
    backends::write_vitis_project(c.graph, c.config, dir);
    st.ResumeTiming();
    benchmark::DoNotOptimize(backends::run_csim(dir, {x}, 1, co));  // compile + one sample
  }
}
BENCHMARK(BM_GxxCompile_JetTagger)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
