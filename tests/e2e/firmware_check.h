#pragma once
// The end-to-end tests' one firmware check: the generated project compiled with g++ against ap_types and
// run on the same inputs as the emulator, every output value compared bit for bit.
#include <string>
#include <vector>

#include "driver/driver.h"

namespace firmnet::e2e {

// Writes c's project into <build>/test_projects/<test suite>.<test>_<label> (unique per test, so that tests
// running in parallel never share a directory), runs its C simulation on `in` (`batch` samples) and expects
// every output value to equal the emulator's bit for bit; with min_distinct > 0, each output must also take at
// least that many distinct values (the comparison is not between constants). Returns the firmware's outputs.
std::vector<std::vector<double>> expect_firmware_equals_emulator(const driver::Compiled& c,
                                                                 const std::vector<std::vector<double>>& in,
                                                                 size_t batch, const std::string& label,
                                                                 size_t min_distinct = 0);

}  // namespace firmnet::e2e
