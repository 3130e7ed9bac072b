// Exhaustive ap_fixed -> ap_fixed conformance, half 0 of the pair list (split to build in parallel).
#include <gtest/gtest.h>

#include <iostream>

#include "fixed_pairs.h"

namespace {

TEST(ApTypesFixedToFixed, Part0) {
  aptest::Recorder rec;
  constexpr std::size_t kHalf = aptest::kPairs / 2;
  aptest::run_pairs<0, 2>(rec, std::make_index_sequence<kHalf>{});
  std::cout << "[ compared ] " << rec.compared << " fixed->fixed casts (" << kHalf * aptest::kModes
            << " type pairs)\n";
  EXPECT_EQ(rec.compared, 128520);  // sum over the slots of 28 * 2^W_src
  EXPECT_EQ(rec.mismatched, 0) << rec.report();
}

}  // namespace
