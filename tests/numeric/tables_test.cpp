// Lookup tables: geometry, index arithmetic and contents on small hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "numeric/tables.h"
#include "support/error.h"

namespace firmnet::numeric {
namespace {


TEST(Tables, Geometry) {
  const TableSpec s = make_table_spec(-8.0, 10, -6, make_type(18, 8));
  EXPECT_EQ(s.size(), 1024);
  EXPECT_EQ(s.offset, 512);
  EXPECT_EQ(s.step(), 1.0 / 64);
  EXPECT_EQ(s.lo(), -8.0);
  EXPECT_EQ(s.hi(), 8.0);

  const TableSpec pos = make_table_spec(0.0, 3, 1, make_type(8, 4));  // [0, 16) in steps of 2
  EXPECT_EQ(pos.offset, 0);
  EXPECT_EQ(pos.hi(), 16.0);
  const TableSpec shifted = make_table_spec(4.0, 2, 0, make_type(8, 4));  // [4, 8)
  EXPECT_EQ(shifted.offset, -4);
  EXPECT_EQ(shifted.lo(), 4.0);
  EXPECT_EQ(shifted.hi(), 8.0);
}

TEST(Tables, SpecErrors) {
  try {
    make_table_spec(-8.01, 10, -6, make_type(18, 8));
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a multiple of the step"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("-8.015625"), std::string::npos) << e.what();  // the fix
  }
  EXPECT_THROW(make_table_spec(0, 25, 0, make_type(8, 4)), Error);
  EXPECT_THROW(make_table_spec(0, -1, 0, make_type(8, 4)), Error);
  EXPECT_THROW(make_table_spec(NAN, 4, 0, make_type(8, 4)), Error);
  EXPECT_THROW(make_table_spec(0, 4, 0, make_type(80, 4)), Error);
}

TEST(Tables, Index) {
  // 8 buckets of 0.5 from -2: input with F=2 (x = r/4), index = clamp(floor(r/2) + 4, 0, 7).
  const TableSpec s = make_table_spec(-2.0, 3, -1, make_type(8, 4));
  EXPECT_EQ(s.offset, 4);
  EXPECT_EQ(table_index(-8, 2, s), 0);   // -2.0: first bucket
  EXPECT_EQ(table_index(-9, 2, s), 0);   // -2.25: clamped
  EXPECT_EQ(table_index(-100, 2, s), 0);
  EXPECT_EQ(table_index(-7, 2, s), 0);   // -1.75
  EXPECT_EQ(table_index(-6, 2, s), 1);   // -1.5
  EXPECT_EQ(table_index(-1, 2, s), 3);   // -0.25: floor goes down
  EXPECT_EQ(table_index(0, 2, s), 4);
  EXPECT_EQ(table_index(7, 2, s), 7);    // 1.75: last bucket
  EXPECT_EQ(table_index(8, 2, s), 7);    // 2.0: clamped
  EXPECT_EQ(table_index(1000, 2, s), 7);
  // Input with F = -1 (x = 2r): the shift is a left shift, index = 4r + 4.
  EXPECT_EQ(table_index(-1, -1, s), 0);
  EXPECT_EQ(table_index(0, -1, s), 4);
  EXPECT_EQ(table_index(1, -1, s), 7);
}

TEST(Tables, BuildRoundsAndSaturates) {
  const TableSpec base = make_table_spec(-2.0, 3, -1, make_type(8, 4, true, Rounding::RND_CONV));
  // Identity: bucket centres -1.75 .. 1.75, exact in F=4.
  int64_t overflows = -1;
  auto id = build_table([](double x) { return x; }, base, &overflows);
  EXPECT_EQ(id, (std::vector<int64_t>{-28, -20, -12, -4, 4, 12, 20, 28}));
  EXPECT_EQ(overflows, 0);

  // x^2 in ufixed<6,3> (F=3): 8 * centre^2 = 24.5, 12.5, 4.5, 0.5, ... -> ties decided by the mode.
  TableSpec sq = base;
  sq.entry = make_type(6, 3, false, Rounding::RND_CONV);
  EXPECT_EQ(build_table([](double x) { return x * x; }, sq),
            (std::vector<int64_t>{24, 12, 4, 0, 0, 4, 12, 24}));
  sq.entry = make_type(6, 3, false, Rounding::RND);
  EXPECT_EQ(build_table([](double x) { return x * x; }, sq),
            (std::vector<int64_t>{25, 13, 5, 1, 1, 5, 13, 25}));

  // 10x in fixed<6,3,RND_CONV,SAT> (raw -32..31): six entries saturate and are counted.
  TableSpec big = base;
  big.entry = make_type(6, 3, true, Rounding::RND_CONV, Overflow::SAT);
  EXPECT_EQ(build_table([](double x) { return 10 * x; }, big, &overflows),
            (std::vector<int64_t>{-32, -32, -32, -20, 20, 31, 31, 31}));
  EXPECT_EQ(overflows, 6);
}

TEST(Tables, NonFiniteFunctionIsAnError) {
  const TableSpec s = make_table_spec(-2.0, 3, -1, make_type(8, 4));
  try {
    build_table([](double x) { return std::log(x); }, s);  // NaN for x < 0
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("entry 0 (x = -1.75)"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace firmnet::numeric
