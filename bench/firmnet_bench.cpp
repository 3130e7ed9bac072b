// Benchmarks (not tests): conversion and estimation time, emulation throughput, g++ compile time of the
// generated project.
// Run: scripts/bench.sh  (Google Benchmark prints the table; items_per_second is samples/s for emulation).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <filesystem>
#include <thread>

#include "backends/vitis/vitis_backend.h"
#include "common/model_builder.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "ir/hardware.h"
#include "ir/text.h"
#include <fmt/format.h>

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

// Issue 10's top-tag QLSTM: input (20, 6) -> LSTM(20) -> Dense 64 -> ReLU -> Dense 1 -> sigmoid, 9-bit weights
// (fixed<9,1>, values k/256), default types elsewhere, built in memory through the IR text form. Target:
// >= 50,000 sequences/s on 2 cores.
driver::Compiled top_tag_qlstm() {
  testmodels::Rng rng{7};
  std::string text = "firmnet-ir 1\ngraph \"qlstm\"\nstage frontend\ninputs %0\noutputs %5\n";
  text += "tensor %0 \"x\" activation [20,6]\ntensor %1 \"h\" activation [20]\ntensor %2 \"d1\" activation [64]\n"
          "tensor %3 \"r1\" activation [64]\ntensor %4 \"d2\" activation [1]\ntensor %5 \"y\" activation [1]\n";
  int next = 6;
  auto constant = [&](const char* name, std::vector<int64_t> shape) {
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    std::string t = "tensor %" + std::to_string(next) + " \"" + name + "\" constant [";
    for (size_t i = 0; i < shape.size(); ++i) t += (i ? "," : "") + std::to_string(shape[i]);
    t += "]\n  type fixed<9,1,RND_CONV,SAT>\n  values";
    for (int64_t i = 0; i < count; ++i)
      t += fmt::format(" {}", std::clamp(std::round(rng.normal() * 0.3 * 256), -255.0, 255.0) / 256);
    text += t + "\n";
    return next++;
  };
  const int w = constant("w", {6, 80}), r = constant("r", {20, 80}), b = constant("b", {80}), rb = constant("rb", {80});
  const int w1 = constant("w1", {20, 64}), b1 = constant("b1", {64}), w2 = constant("w2", {64, 1}), b2 = constant("b2", {1});
  auto id = [](int k) { return " %" + std::to_string(k); };
  text += "node \"lstm\" recurrent\n  inputs %0\n  outputs %1\n  param weight" + id(w) + "\n  param recurrent_weight" + id(r) +
          "\n  param bias" + id(b) + "\n  param recurrent_bias" + id(rb) +
          "\n  attr cell string \"lstm\"\n  attr direction string \"forward\"\n  attr activation string \"tanh\"\n"
          "  attr recurrent_activation string \"sigmoid\"\n";
  text += "node \"fc1\" dense\n  inputs %1\n  outputs %2\n  param weight" + id(w1) + "\n  param bias" + id(b1) + "\n";
  text += "node \"relu\" activation\n  inputs %2\n  outputs %3\n  attr function string \"relu\"\n";
  text += "node \"fc2\" dense\n  inputs %3\n  outputs %4\n  param weight" + id(w2) + "\n  param bias" + id(b2) + "\n";
  text += "node \"out\" activation\n  inputs %4\n  outputs %5\n  attr function string \"sigmoid\"\n";
  ir::TextGraph t = ir::parse_text(text, "qlstm.fnir");
  return driver::compile_graph(std::move(t.graph), t.stage, config::Config::defaults());
}

void BM_Emulate_TopTagQLstm(benchmark::State& st) {
  const auto c = top_tag_qlstm();
  const size_t batch = 20000;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 20 * 6);
  for (auto& v : x) v = rng.normal();
  emulator::Options o;
  o.threads = static_cast<int>(st.range(0));
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_TopTagQLstm)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// A softmax alone over rows of n (the argument: 5 as in the jet tagger, 64), default types, one thread:
// the two-level exp, the sum, the inverse and the products (docs/NUMERICS.md "Softmax").
void BM_Emulate_Softmax(benchmark::State& st) {
  const int64_t n = st.range(0);
  const std::string text = fmt::format(
      "firmnet-ir 1\ngraph \"sm\"\nstage frontend\ninputs %0\noutputs %1\ntensor %0 \"x\" activation [{0}]\n"
      "tensor %1 \"y\" activation [{0}]\nnode \"sm\" softmax\n  inputs %0\n  outputs %1\n",
      n);
  ir::TextGraph t = ir::parse_text(text, "softmax.fnir");
  const auto c = driver::compile_graph(std::move(t.graph), t.stage, config::Config::defaults());
  const size_t batch = 2000000 / static_cast<size_t>(n);
  testmodels::Rng rng{1};
  std::vector<double> x(batch * static_cast<size_t>(n));
  for (auto& v : x) v = 3 * rng.normal();
  emulator::Options o;
  o.threads = 1;
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_Softmax)->Arg(5)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

// g++ build of a generated project (what `firmnet csim` compiles: firmware + testbench, -O1), plus one
// sample. Counters: gxx_cpu_s (user + system seconds of g++ and cc1plus, less sensitive to a busy machine
// than the wall time) and peak_MB (largest resident set of the compiler), both from /usr/bin/time.
void gxx_compile(benchmark::State& st, const std::string& model, const config::Config& cfg, const char* tag) {
  auto c = driver::compile(model, cfg);
  const fs::path dir = fs::temp_directory_path() / (std::string("firmnet_bench_csim_") + tag);
  const fs::path usage = fs::temp_directory_path() / (std::string("firmnet_bench_gxx_") + tag + ".time");
  backends::CsimOptions co;
  co.ap_types_dir = driver::ap_types_dir();
  const bool timed = fs::exists("/usr/bin/time");
  if (timed) co.cxx = "/usr/bin/time -f '%U %S %M' -o '" + usage.string() + "' g++";
  std::vector<std::vector<double>> x;
  for (ir::TensorId id : c.graph.inputs) x.emplace_back(static_cast<size_t>(c.graph.tensor(id).size()), 0.5);
  double cpu = 0, peak_kb = 0;
  for (auto _ : st) {
    st.PauseTiming();
    fs::remove_all(dir);
    backends::write_vitis_project(c.graph, c.config, dir);
    st.ResumeTiming();
    benchmark::DoNotOptimize(backends::run_csim(dir, x, 1, co));  // compile + one sample
    st.PauseTiming();
    double user = 0, sys = 0, kb = 0;
    std::ifstream in(usage);
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;  // GNU time may print "Command exited ..." first
    if (timed && std::sscanf(last.c_str(), "%lf %lf %lf", &user, &sys, &kb) == 3) {
      cpu += user + sys;
      peak_kb = std::max(peak_kb, kb);
    }
    st.ResumeTiming();
  }
  if (timed) {
    st.counters["gxx_cpu_s"] = cpu / static_cast<double>(st.iterations());
    st.counters["peak_MB"] = peak_kb / 1024;
  }
  int64_t constants = 0;
  for (const ir::Tensor& t : c.graph.tensors)
    if (t.is_const()) constants += t.size();
  st.counters["constants"] = static_cast<double>(constants);
}

void BM_GxxCompile_JetTagger(benchmark::State& st) { gxx_compile(st, jet_tagger(), fixed16_6(), "jet"); }
BENCHMARK(BM_GxxCompile_JetTagger)->Unit(benchmark::kSecond)->Iterations(2)->UseRealTime();

// The 16-200-200-200-200-200-5 MLP of issue 8 (164,200 weights) at fixed<16,6>, Latency: before constants
// were written as raw integers for C simulation, g++ took ~560 s and 5.2 GB for it.
void BM_GxxCompile_Mlp165k(benchmark::State& st) {
  static const std::string model = testmodels::write_mlp(
      (fs::temp_directory_path() / "firmnet_bench_mlp165k.onnx").string(), 16,
      {{200, "Relu"}, {200, "Relu"}, {200, "Relu"}, {200, "Relu"}, {200, "Relu"}, {5, "Softmax"}}, 7);
  gxx_compile(st, model, fixed16_6(), "mlp165k");
}
BENCHMARK(BM_GxxCompile_Mlp165k)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The shared dense_big_keras.onnx at the default (overflow-free) types.
void BM_GxxCompile_DenseBigKeras(benchmark::State& st) {
  const std::string model = std::string(FIRMNET_SHARED_MODELS) + "/onnx/dense_big_keras.onnx";
  if (!fs::exists(model)) {
    st.SkipWithError(("missing " + model).c_str());
    return;
  }
  gxx_compile(st, model, config::Config::defaults(), "dense_big");
}
BENCHMARK(BM_GxxCompile_DenseBigKeras)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// ---- The hls4ml CNN paper's SVHN classifier (../shared/models/cases/cnn/svhn_cnn.onnx: 32x32x3, three
// Conv3x3 -> MaxPool -> BN -> ReLU blocks, Dense 42/64/10), issue 8's targets: emulation >= 5,000 images/s on
// 2 cores, convert <= 50 ms, g++ build of the project <= 30 s and 1.5 GB.
std::string svhn() { return std::string(FIRMNET_SHARED_MODELS) + "/cases/cnn/svhn_cnn.onnx"; }

void BM_Convert_Svhn(benchmark::State& st) {
  if (!fs::exists(svhn())) return st.SkipWithError(("missing " + svhn()).c_str());
  for (auto _ : st) benchmark::DoNotOptimize(driver::compile(svhn(), config::Config::defaults()));
}
BENCHMARK(BM_Convert_Svhn)->Unit(benchmark::kMillisecond);

// The hardware plan alone (ir::plan_hardware, part of every driver::compile since issue 7 item 5): what the
// plan adds to the conversion. Arg 0: io_parallel; 1: io_stream (stream modes, wiring, the FIFO schedule model).
void BM_PlanHardware_Svhn(benchmark::State& st) {
  if (!fs::exists(svhn())) return st.SkipWithError(("missing " + svhn()).c_str());
  config::Config cfg;
  cfg.io_type = st.range(0) ? "io_stream" : "io_parallel";
  const auto c = driver::compile(svhn(), cfg);
  const ir::HardwareTarget t = backends::hardware_target(cfg);
  for (auto _ : st) benchmark::DoNotOptimize(ir::plan_hardware(c.graph, t));
}
BENCHMARK(BM_PlanHardware_Svhn)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_Emulate_Svhn_defaults(benchmark::State& st) {
  if (!fs::exists(svhn())) return st.SkipWithError(("missing " + svhn()).c_str());
  auto c = driver::compile(svhn(), config::Config::defaults());
  const size_t batch = 2000;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 32 * 32 * 3);
  for (auto& v : x) v = rng.uniform();
  emulator::Options o;
  o.threads = static_cast<int>(st.range(0));
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_Svhn_defaults)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GxxCompile_Svhn(benchmark::State& st) {
  if (!fs::exists(svhn())) return st.SkipWithError(("missing " + svhn()).c_str());
  gxx_compile(st, svhn(), config::Config::defaults(), "svhn");
}
BENCHMARK(BM_GxxCompile_Svhn)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The same under IOType: io_stream (line-buffer convs and pools, stream processes): target <= 30 s, <= 1.5 GB.
void BM_GxxCompile_Svhn_io_stream(benchmark::State& st) {
  if (!fs::exists(svhn())) return st.SkipWithError(("missing " + svhn()).c_str());
  config::Config cfg = config::Config::defaults();
  cfg.io_type = "io_stream";
  gxx_compile(st, svhn(), cfg, "svhn_stream");
}
BENCHMARK(BM_GxxCompile_Svhn_io_stream)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// ---- The Keras example model KERAS_conv1d (../shared/models/keras/KERAS_conv1d.json + _weights.h5: 100x7 input,
// three Conv1D 40 taps -> 32 filters with ReLU, Dense 50, Dense 5 softmax; ~8.4 M multiply-accumulates per sample
// inside the map, 9.2 M with the padding taps), issue 9's target: emulation >= 10,000 samples/s.
std::string keras_conv1d() { return std::string(FIRMNET_SHARED_MODELS) + "/keras/KERAS_conv1d.json"; }

void BM_Emulate_KerasConv1d_defaults(benchmark::State& st) {
  if (!fs::exists(keras_conv1d())) return st.SkipWithError(("missing " + keras_conv1d()).c_str());
  auto c = driver::compile(keras_conv1d(), config::Config::defaults());
  const size_t batch = 500;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 100 * 7);
  for (auto& v : x) v = rng.normal();
  emulator::Options o;
  o.threads = static_cast<int>(st.range(0));
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_KerasConv1d_defaults)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// Its generated project at fixed<16,6> (Latency) built by g++ for C simulation (hls4ml's: 11 minutes, 5.8 GB);
// issue 9's target: <= 60 s.
void BM_GxxCompile_KerasConv1d_fixed16_6(benchmark::State& st) {
  if (!fs::exists(keras_conv1d())) return st.SkipWithError(("missing " + keras_conv1d()).c_str());
  gxx_compile(st, keras_conv1d(), fixed16_6(), "keras_conv1d");
}
BENCHMARK(BM_GxxCompile_KerasConv1d_fixed16_6)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The same at hls4ml's usual `Model: {Precision: fixed<16,6>}` (accum fixed<16,6> too: each product
// truncated, the sum wrapping): the int16 step plan. hls4ml: 6 samples/s.
void BM_Emulate_KerasConv1d_fixed16_6(benchmark::State& st) {
  if (!fs::exists(keras_conv1d())) return st.SkipWithError(("missing " + keras_conv1d()).c_str());
  auto c = driver::compile(keras_conv1d(), fixed16_6());
  const size_t batch = 2000;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 100 * 7);
  for (auto& v : x) v = rng.normal();
  emulator::Options o;
  o.threads = static_cast<int>(st.range(0));
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_KerasConv1d_fixed16_6)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// And with a lossless accumulator (`Precision: {default: fixed<16,6>, accum: auto}`, as for a quantized model
// whose weights and activations fit 16 bits): the exact plan on int16 pairs (vpdpwssd / vpmaddwd).
void BM_Emulate_KerasConv1d_fixed16_6_lossless(benchmark::State& st) {
  if (!fs::exists(keras_conv1d())) return st.SkipWithError(("missing " + keras_conv1d()).c_str());
  const auto cfg = config::Config::parse("HLSConfig:\n  Model:\n    Precision:\n      default: fixed<16,6>\n      accum: auto\n",
                                         "bench");
  auto c = driver::compile(keras_conv1d(), cfg);
  const size_t batch = 2000;
  testmodels::Rng rng{1};
  std::vector<double> x(batch * 100 * 7);
  for (auto& v : x) v = rng.normal();
  emulator::Options o;
  o.threads = static_cast<int>(st.range(0));
  emulator::Emulator emu(c.graph, o);
  for (auto _ : st) benchmark::DoNotOptimize(emu.run({x}, batch));
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations() * batch));
}
BENCHMARK(BM_Emulate_KerasConv1d_fixed16_6_lossless)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
