#include "firmware_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "backends/vitis/vitis_backend.h"
#include "emulator/emulator.h"

namespace firmnet::e2e {

std::vector<std::vector<double>> expect_firmware_equals_emulator(const driver::Compiled& c,
                                                                 const std::vector<std::vector<double>>& in,
                                                                 size_t batch, const std::string& label,
                                                                 size_t min_distinct) {
  namespace fs = std::filesystem;
  const auto r = emulator::Emulator(c.graph).run(in, batch);
  const ::testing::TestInfo* t = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = t ? std::string(t->test_suite_name()) + "." + t->name() + "_" + label : label;
  std::replace(name.begin(), name.end(), '/', '_');  // parameterized tests
  const fs::path dir = fs::path(FIRMNET_BINARY_DIR) / "test_projects" / name;
  fs::remove_all(dir);
  backends::write_vitis_project(c.graph, c.config, dir);
  backends::CsimOptions co;
  co.ap_types_dir = FIRMNET_AP_TYPES_DIR;
  const auto fw = backends::run_csim(dir, in, batch, co);
  EXPECT_EQ(fw.size(), r.outputs.size()) << label;
  for (size_t k = 0; k < fw.size() && k < r.outputs.size(); ++k) {
    EXPECT_EQ(fw[k].size(), r.outputs[k].size()) << label << ": output " << k;
    if (fw[k].size() != r.outputs[k].size()) continue;
    size_t differ = 0;
    for (size_t i = 0; i < fw[k].size(); ++i) differ += std::memcmp(&fw[k][i], &r.outputs[k][i], sizeof(double)) != 0;
    EXPECT_EQ(differ, 0u) << label << ": output " << k << " (" << fw[k].size() << " values)";
    std::vector<double> v = r.outputs[k];
    std::sort(v.begin(), v.end());
    const auto distinct = static_cast<size_t>(std::unique(v.begin(), v.end()) - v.begin());
    if (min_distinct > 0) {
      EXPECT_GE(distinct, min_distinct) << label << ": output " << k << " hardly varies";
    }
    std::printf("[%s] firmware vs emulator: output %zu, %zu of %zu values differ (%zu distinct values)\n", label.c_str(), k,
                differ, fw[k].size(), distinct);
  }
  return fw;
}

}  // namespace firmnet::e2e
