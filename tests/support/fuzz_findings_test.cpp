// Regression tests for the defects fuzzing found in the data readers (../shared/fuzz-findings, see
// docs/FUZZING.md): each reproducer file when that folder is present, and an equivalent built in memory
// that runs without it. Every one must be a firmnet::Error naming the file and the problem.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/data_io.h"
#include "support/error.h"

namespace firmnet::test {
namespace {

namespace fs = std::filesystem;

fs::path findings_dir() { return fs::path(FIRMNET_SHARED_FUZZ_FINDINGS); }

// The message of the firmnet::Error that parse_npy throws; fails the test on success or on any other exception.
std::string npy_error(const std::string& bytes, const std::string& name) {
  try {
    support::parse_npy(bytes, name);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "foreign exception: " << e.what();
    return "";
  }
  ADD_FAILURE() << name << " parsed without an error";
  return "";
}

// A version-1 .npy file with this header dictionary and these data bytes.
std::string npy_with_header(const std::string& dict, const std::string& data = "") {
  std::string h = dict;
  const size_t total = 10 + h.size() + 1;
  h += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + data;
}

#define SKIP_WITHOUT(path)                                                                                   \
  if (!fs::exists(path))                                                                                     \
  GTEST_SKIP() << "fuzz reproducer " << (path) << " is absent (../shared/fuzz-findings is not checked out); " \
               << "the in-memory equivalent still runs"

// F1: an empty 'shape' field made substr throw std::out_of_range out of parse_npy.
TEST(FuzzFindings, F1NpyEmptyShapeFiles) {
  for (const char* f : {"F1-npy-empty-shape.min.npy", "F1-npy-empty-shape.fuzzer-crash-2cecd30c.npy"}) {
    const fs::path p = findings_dir() / f;
    SKIP_WITHOUT(p);
    try {
      support::read_npy(p.string());
      ADD_FAILURE() << p << " read without an error";
    } catch (const Error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(p.string()), std::string::npos) << m;
      EXPECT_NE(m.find("npy header field 'shape'"), std::string::npos) << m;
    }
  }
}

TEST(FuzzFindings, F1NpyEmptyShapeInMemory) {
  EXPECT_EQ(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': , }"), "x.npy"),
            "x.npy: npy header field 'shape' '' is not a tuple (hint: write the file with numpy.save; 'shape' is a "
            "tuple such as (100, 16))");
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape':}"), "x.npy")
                .find("x.npy: npy header field 'shape' '' is not a tuple"),
            std::string::npos);
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': '', }"), "x.npy")
                .find("x.npy: npy header field 'shape' '' is not a tuple"),
            std::string::npos);
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (,), }"), "x.npy")
                .find("x.npy: npy header field 'shape' '(,)' has an empty entry"),
            std::string::npos);
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -1), }"), "x.npy")
                .find("x.npy: npy header field 'shape' '(2, -1)' has the entry '-1', which is not a dimension"),
            std::string::npos);
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }"),
                      "x.npy")
                .find("has the entry '99999999999999999999', which is not a dimension"),
            std::string::npos);
}

// F2: shape (0, 2^40, 2^40) passed the size guard (0 elements) and then overflowed in Array::row_size().
TEST(FuzzFindings, F2NpyRowSizeOverflowFile) {
  const fs::path p = findings_dir() / "F2-npy-rowsize-overflow.npy";
  SKIP_WITHOUT(p);
  try {
    support::read_npy(p.string());
    ADD_FAILURE() << p << " read without an error";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(p.string()), std::string::npos) << m;
    EXPECT_NE(m.find("npy header field 'shape' (0, 1099511627776, 1099511627776) is too large"), std::string::npos) << m;
  }
}

TEST(FuzzFindings, F2NpyRowSizeOverflowInMemory) {
  EXPECT_EQ(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }"),
                      "y.npy"),
            "y.npy: npy header field 'shape' (0, 1099511627776, 1099511627776) is too large (more than 2^40 elements) "
            "(hint: firmnet reads sample files that fit in memory)");
  // Empty arrays with reasonable dimensions still read, with their row size.
  const auto a = support::parse_npy(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (0, 16), }"), "e.npy");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{0, 16}));
  EXPECT_EQ(a.row_size(), 16);
  // An Array built in memory with such a shape: an Error, not UB.
  support::Array big{{0, int64_t{1} << 40, int64_t{1} << 40}, {}};
  EXPECT_THROW(big.row_size(), Error);
}

TEST(FuzzFindings, NpyDescrIsChecked) {
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f99999999999', 'fortran_order': False, 'shape': (1,), }"), "d.npy")
                .find("d.npy: npy header field 'descr' holds the unsupported dtype '<f99999999999'"),
            std::string::npos);
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f', 'fortran_order': False, 'shape': (1,), }"), "d.npy")
                .find("unsupported dtype '<f'"),
            std::string::npos);
  EXPECT_NE(npy_error(npy_with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", std::string(8, '\0')),
                      "d.npy")
                .find("d.npy: truncated .npy data: shape (3,) of <f8 needs 24 bytes, file has 8"),
            std::string::npos);
}

TEST(FuzzFindings, NpyRoundTripWithALongHeader) {
  // 30000 dimensions of 1: the header exceeds version 1.0's 64 KiB, so serialize_npy writes version 2.0.
  support::Array a{std::vector<int64_t>(30000, 1), {2.5}};
  const std::string bytes = support::serialize_npy(a);
  EXPECT_EQ(bytes[6], '\x02');
  EXPECT_EQ(bytes.size() % 64, 8u);  // header padded to 64 bytes, then one double
  const auto b = support::parse_npy(bytes, "long.npy");
  EXPECT_EQ(b.shape, a.shape);
  EXPECT_EQ(b.data, a.data);
  const support::Array small{{2, 1}, {1, 2}};
  EXPECT_EQ(support::serialize_npy(small)[6], '\x01');
  EXPECT_EQ(support::parse_npy(support::serialize_npy(small), "s.npy").data, small.data);
}

TEST(FuzzFindings, TextParsesFromMemory) {
  const auto a = support::parse_text("1, 2\n3 4\n", "t.csv");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2}));
  try {
    support::parse_text("1 2\n3 x\n", "t.csv");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "t.csv:2: not a number: 'x'");
  }
}

}  // namespace
}  // namespace firmnet::test
