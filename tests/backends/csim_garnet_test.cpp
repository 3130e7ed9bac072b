// GarNet in firmware (kernels/firmnet_garnet.h): hand-built layers with narrow types (rounding, saturating and
// wrapping casts inside the layer), a vertex count that is not a power of two (an inexact 1/V), every collapse and
// reuse factors that fold the vertex loop: the emulator equals the independent vertex-by-vertex reference of
// docs/NUMERICS.md "GarNet", and the generated project, compiled with g++ and ap_types, equals the emulator bit for
// bit; the n_vertices input's fractions and values beyond V (random inputs beyond its type) are covered.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "backend_test_util.h"
#include "backends/vitis/vitis_backend.h"
#include "emulator/emulator.h"
#include "ir/garnet.h"

namespace firmnet::testing {
namespace {

namespace fs = std::filesystem;

bool have_ap_types() { return fs::exists(fs::path(FIRMNET_AP_TYPES_DIR) / "ap_fixed.h"); }

TEST(GarNetCsim, EveryCollapseAndReuseIsBitExact) {
  const GarNetLayer layers[] = {{"mean", 12, 3, 2, 3, 2, 3}, {"sum", 12, 3, 2, 3, 2, 1}, {"max", 16, 2, 3, 2, 3, 4},
                          {"none", 8, 3, 2, 2, 3, 2}, {"mean", 16, 4, 4, 4, 4, 16}};
  for (const GarNetLayer& l : layers) {
    const std::string label = std::string(l.collapse) + "_V" + std::to_string(l.V) + "_rf" + std::to_string(l.rf);
    SCOPED_TRACE(label);
    // n: an integer type a little beyond V, or a fixed type with fractions (floor(n) counts).
    const ir::Graph g = garnet_layer(l, l.V == 12 ? "fixed<8,6,TRN,SAT>" : "ufixed<5,5,TRN,SAT>");
    const size_t batch = 60;
    const auto in = random_inputs(g, batch, 17);
    const auto ref = reference_run(g, in, batch);
    const auto emu = emulator::Emulator(g).run(in, batch);
    ASSERT_EQ(ref.size(), 1u);
    EXPECT_EQ(ref[0], emu.outputs_raw[0]);
    size_t distinct = 0;
    {
      std::vector<int64_t> v = ref[0];
      std::sort(v.begin(), v.end());
      distinct = static_cast<size_t>(std::unique(v.begin(), v.end()) - v.begin());
    }
    EXPECT_GT(distinct, 20u) << "the outputs should vary";
    if (!have_ap_types()) continue;
    const fs::path dir = scratch_dir("garnet_" + label) / "prj";
    backends::write_vitis_project(g, config::Config::defaults(), dir);
    EXPECT_TRUE(fs::exists(dir / "firmware" / "firmnet" / "firmnet_garnet.h"));
    backends::CsimOptions co;
    co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
    const auto fw = backends::run_csim(dir, in, batch, co);
    ASSERT_EQ(fw.size(), 1u);
    ASSERT_EQ(fw[0].size(), emu.outputs[0].size());
    size_t differ = 0;
    for (size_t i = 0; i < fw[0].size(); ++i) differ += std::memcmp(&fw[0][i], &emu.outputs[0][i], sizeof(double)) != 0;
    EXPECT_EQ(differ, 0u);
    std::printf("[garnet %s] firmware vs emulator: %zu of %zu values differ (%zu distinct)\n", label.c_str(), differ,
                fw[0].size(), distinct);
  }
}

}  // namespace
}  // namespace firmnet::testing
