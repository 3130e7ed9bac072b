// support/parse.h and support/checked.h: the number parsing and size arithmetic every reader uses.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "support/checked.h"
#include "support/parse.h"

namespace firmnet::test {
namespace {

using support::checked_elements;
using support::parse_double;
using support::parse_int;

TEST(Parse, IntegersWholeStringInRange) {
  EXPECT_EQ(parse_int<int>("42"), 42);
  EXPECT_EQ(parse_int<int>("-7"), -7);
  EXPECT_EQ(parse_int<int>("2147483647"), 2147483647);
  EXPECT_FALSE(parse_int<int>("2147483648"));
  EXPECT_FALSE(parse_int<int>("99999999999"));
  EXPECT_FALSE(parse_int<int>(""));
  EXPECT_FALSE(parse_int<int>("-"));
  EXPECT_FALSE(parse_int<int>(" 1"));
  EXPECT_FALSE(parse_int<int>("1 "));
  EXPECT_FALSE(parse_int<int>("1x"));
  EXPECT_FALSE(parse_int<unsigned>("-1"));
  EXPECT_EQ(parse_int<int64_t>("1099511627776"), int64_t{1} << 40);
}

TEST(Parse, Doubles) {
  EXPECT_EQ(parse_double("1.5"), 1.5);
  EXPECT_EQ(parse_double("-2e3"), -2000.0);
  EXPECT_FALSE(parse_double("1e999"));
  EXPECT_FALSE(parse_double("inf"));
  EXPECT_FALSE(parse_double("nan"));
  EXPECT_FALSE(parse_double("1.5ns"));
  EXPECT_EQ(support::parse_leading_double("  12.5 ns"), 12.5);
  EXPECT_FALSE(support::parse_leading_double("ns"));
}

TEST(Checked, MulAndAdd) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(support::checked_mul(int64_t{1} << 31, int64_t{1} << 31), int64_t{1} << 62);
  EXPECT_FALSE(support::checked_mul(int64_t{1} << 40, int64_t{1} << 40));
  EXPECT_FALSE(support::checked_add(kMax, 1));
  EXPECT_EQ(support::checked_add(kMax - 1, 1), kMax);
}

TEST(Checked, ElementsBoundEveryPartialProduct) {
  const int64_t big = int64_t{1} << 40;
  EXPECT_EQ(checked_elements(std::vector<int64_t>{}, 10), 1);
  EXPECT_EQ(checked_elements(std::vector<int64_t>{2, 5}, 10), 10);
  EXPECT_FALSE(checked_elements(std::vector<int64_t>{2, 6}, 10));
  EXPECT_FALSE(checked_elements(std::vector<int64_t>{2, -1}, 10));
  EXPECT_EQ(checked_elements(std::vector<int64_t>{0, 10}, 10), 0);
  // Empty, but its row size would overflow: rejected (F2).
  EXPECT_FALSE(checked_elements(std::vector<int64_t>{0, big, big}, big));
  EXPECT_FALSE(checked_elements(std::vector<int64_t>{big, big, big, 0}, std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(support::shape_string(std::vector<int64_t>{0, 3}), "[0,3]");
}

}  // namespace
}  // namespace firmnet::test
