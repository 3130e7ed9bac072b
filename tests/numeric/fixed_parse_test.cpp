// FixedType spelling: str()/cpp() round trips, parse() forms and every error path, validate(), and the
// value helpers (raw_min/raw_max/to_double/lsb).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "numeric/fixed.h"
#include "support/error.h"

namespace firmnet::numeric {
namespace {


TEST(FixedTypeSpelling, StrAndCpp) {
  EXPECT_EQ(make_type(16, 6).str(), "fixed<16,6>");
  EXPECT_EQ(make_type(16, 6).cpp(), "ap_fixed<16,6>");
  EXPECT_EQ(make_type(8, 3, false, Rounding::RND_CONV, Overflow::SAT).str(), "ufixed<8,3,RND_CONV,SAT>");
  EXPECT_EQ(make_type(8, 3, false, Rounding::RND_CONV, Overflow::SAT).cpp(), "ap_ufixed<8,3,AP_RND_CONV,AP_SAT>");
  // Rounding alone when only it differs; the default rounding is spelled when the overflow is not.
  EXPECT_EQ(make_type(8, 3, true, Rounding::RND).str(), "fixed<8,3,RND>");
  EXPECT_EQ(make_type(8, 3, true, Rounding::TRN, Overflow::SAT_SYM).str(), "fixed<8,3,TRN,SAT_SYM>");
  EXPECT_EQ(make_type(8, 3, true, Rounding::TRN, Overflow::SAT_SYM).cpp(), "ap_fixed<8,3,AP_TRN,AP_SAT_SYM>");
  EXPECT_EQ(make_type(4, -2).str(), "fixed<4,-2>");
}

struct ParseCase {
  const char* text;
  const char* canonical;
};

TEST(FixedTypeSpelling, ParseForms) {
  const ParseCase cases[] = {
      {"fixed<16,6>", "fixed<16,6>"},
      {"ufixed<8,3>", "ufixed<8,3>"},
      {"ap_fixed<16, 6, AP_RND_CONV, AP_SAT>", "fixed<16,6,RND_CONV,SAT>"},
      {"  ufixed < 8 , 3 , RND >  ", "ufixed<8,3,RND>"},
      {"fixed<8,3,TRN,SAT>", "fixed<8,3,TRN,SAT>"},
      {"fixed<8,3,TRN,WRAP>", "fixed<8,3>"},
      {"fixed<8,3,RND,WRAP,0>", "fixed<8,3,RND>"},
      {"ap_ufixed<8,3,ap_rnd_inf,ap_sat_zero,0>", "ufixed<8,3,RND_INF,SAT_ZERO>"},
      {"fixed<8,3,RND_MIN_INF,AP_SAT_SYM>", "fixed<8,3,RND_MIN_INF,SAT_SYM>"},
      {"fixed<8,3,AP_TRN_ZERO>", "fixed<8,3,TRN_ZERO>"},
      {"fixed<8,3,RND_ZERO>", "fixed<8,3,RND_ZERO>"},
      {"int<8>", "fixed<8,8>"},
      {"uint<4>", "ufixed<4,4>"},
      {"ap_int<32>", "fixed<32,32>"},
      {"ap_uint< 1 >", "ufixed<1,1>"},
      {"fixed<64,32>", "fixed<64,32>"},
      {"ufixed<63,0>", "ufixed<63,0>"},
      {"fixed<4,-2>", "fixed<4,-2>"},     // I < 0: ap_fixed accepts it (only bits below 2^-2)
      {"fixed<4,10>", "fixed<4,10>"},     // I > W: a grid of 2^6
      {"fixed<1,129>", "fixed<1,129>"},   // F = -128, the bound
      {"ufixed<8,-120>", "ufixed<8,-120>"},  // F = 128, the bound
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(FixedType::parse(c.text).str(), c.canonical);
  }
  const FixedType t = FixedType::parse("ap_ufixed<12,-3,AP_RND_CONV,AP_SAT_SYM>");
  EXPECT_EQ(t.width, 12);
  EXPECT_EQ(t.int_bits, -3);
  EXPECT_FALSE(t.is_signed);
  EXPECT_EQ(t.rounding, Rounding::RND_CONV);
  EXPECT_EQ(t.overflow, Overflow::SAT_SYM);
  EXPECT_EQ(t.frac(), 15);
}

TEST(FixedTypeSpelling, RoundTripEveryMode) {
  const Rounding qs[] = {Rounding::TRN,     Rounding::TRN_ZERO,    Rounding::RND,     Rounding::RND_ZERO,
                         Rounding::RND_INF, Rounding::RND_MIN_INF, Rounding::RND_CONV};
  const Overflow os[] = {Overflow::WRAP, Overflow::SAT, Overflow::SAT_ZERO, Overflow::SAT_SYM};
  int n = 0;
  for (bool s : {true, false})
    for (Rounding q : qs)
      for (Overflow o : os)
        for (int w : {1, 7, 63}) {
          const FixedType t = make_type(w, w / 2 - 1, s, q, o);
          EXPECT_EQ(FixedType::parse(t.str()), t) << t.str();
          EXPECT_EQ(FixedType::parse(t.cpp()), t) << t.cpp();
          ++n;
        }
  EXPECT_EQ(n, 2 * 7 * 4 * 3);
}

// Parses `text`, expecting a firmnet::Error whose message quotes the text and contains `part`.
void expect_parse_error(const std::string& text, const std::string& part) {
  SCOPED_TRACE(text);
  try {
    FixedType::parse(text);
    ADD_FAILURE() << "no error for " << text;
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("precision \"" + text + "\""), std::string::npos) << msg;
    EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(FixedTypeSpelling, ParseErrors) {
  // The exact wording of the most common mistake.
  try {
    FixedType::parse("fixed<70,6>");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "precision \"fixed<70,6>\"");
    EXPECT_EQ(e.message(), "width 70 is outside 1..64");
  }
  expect_parse_error("fixed<0,0>", "width 0 is outside 1..64");
  expect_parse_error("int<65>", "width 65 is outside 1..64");
  expect_parse_error("ufixed<64,10>", "unsigned width 64 is outside 1..63");
  expect_parse_error("fixed<16,200>", "integer bits 200 give -184 fractional bits");
  expect_parse_error("fixed<16,-113>", "integer bits -113 give 129 fractional bits");
  expect_parse_error("fixed<16,6,RND_FOO>", "unknown rounding mode \"RND_FOO\"");
  expect_parse_error("fixed<16,6,RND_FOO>", "RND_CONV");  // the hint lists the valid modes
  expect_parse_error("fixed<16,6,SAT>", "unknown rounding mode \"SAT\"");
  expect_parse_error("fixed<16,6,RND,SATURATE>", "unknown overflow mode \"SATURATE\"");
  expect_parse_error("fixed<16,6,RND,SATURATE>", "WRAP, SAT, SAT_ZERO, SAT_SYM");
  expect_parse_error("fixed<16,6,RND,AP_WRAP_SM>", "unsupported overflow mode \"AP_WRAP_SM\"");
  expect_parse_error("fixed<16,6,RND,SAT,3>", "saturation bits N=3 are not supported");
  expect_parse_error("fixed<16,6,RND,SAT,x>", "saturation bits \"x\" is not an integer");
  expect_parse_error("fixed<16,6,RND,SAT,0,1>", "2 to 5");
  expect_parse_error("fixed<16>", "got 1");
  expect_parse_error("int<8,2>", "int/uint takes 1 (the width) arguments, got 2");
  expect_parse_error("float<16,6>", "unknown type \"float\"");
  expect_parse_error("fixed16,6", "expected TYPE<args>");
  expect_parse_error("", "expected TYPE<args>");
  expect_parse_error("fixed<16,6>x", "unexpected text \"x\" after '>'");
  expect_parse_error("fixed<a,6>", "width \"a\" is not an integer");
  expect_parse_error("fixed<16,6.5>", "integer bits \"6.5\" is not an integer");
  expect_parse_error("fixed<16,,6>", "empty argument");
  expect_parse_error("fixed<99999999999,6>", "width 99999999999 is out of range");
}

TEST(FixedTypeSpelling, ValidateNamesTheContext) {
  try {
    make_type(0, 0).validate("layer dense1 accum");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "layer dense1 accum");
    EXPECT_NE(std::string(e.what()).find("width 0"), std::string::npos);
  }
  EXPECT_THROW(make_type(64, 10, false).validate("x"), Error);
  EXPECT_NO_THROW(make_type(64, 10, true).validate("x"));
  EXPECT_NO_THROW(make_type(63, 10, false).validate("x"));
}

TEST(FixedTypeValues, RangesAndDoubles) {
  const FixedType a = make_type(16, 6);
  EXPECT_EQ(a.raw_min(), -32768);
  EXPECT_EQ(a.raw_max(), 32767);
  EXPECT_EQ(a.lsb(), 1.0 / 1024);
  EXPECT_EQ(a.min_value(), -32.0);
  EXPECT_EQ(a.max_value(), 32 - 1.0 / 1024);
  EXPECT_EQ(a.to_double(-1536), -1.5);

  const FixedType u = make_type(8, 3, false);
  EXPECT_EQ(u.raw_min(), 0);
  EXPECT_EQ(u.raw_max(), 255);
  EXPECT_EQ(u.max_value(), 8 - 1.0 / 32);

  EXPECT_EQ(make_type(64, 64).raw_min(), INT64_MIN);
  EXPECT_EQ(make_type(64, 64).raw_max(), INT64_MAX);
  EXPECT_EQ(make_type(63, 0, false).raw_max(), INT64_MAX);
  EXPECT_EQ(make_type(1, 1).raw_min(), -1);
  EXPECT_EQ(make_type(1, 1).raw_max(), 0);
  EXPECT_EQ(make_type(1, 1, false).raw_max(), 1);

  const FixedType neg_i = make_type(4, -2);  // values k * 2^-6, k in -8..7
  EXPECT_EQ(neg_i.lsb(), 1.0 / 64);
  EXPECT_EQ(neg_i.max_value(), 7.0 / 64);
  const FixedType big_i = make_type(4, 10);  // values k * 2^6
  EXPECT_EQ(big_i.lsb(), 64.0);
  EXPECT_EQ(big_i.min_value(), -512.0);
}

}  // namespace
}  // namespace firmnet::numeric
