#pragma once
// Overflow-checked size arithmetic for every reader: element counts of shapes and byte counts that come
// from a file are computed here, never with a bare `*`, so that a hostile shape is a firmnet::Error, not
// signed-overflow UB or a huge allocation. Only readers call these; hot loops use the checked results.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace firmnet::support {

inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// The number of elements of `dims`, or nullopt when a dimension is negative or the product of the
// non-zero dimensions exceeds `limit`. Zeros are skipped in the bound on purpose: then every partial
// product of the shape (a row size, a suffix, a prefix) is at most `limit` too, also for an empty array
// such as (0, 2^40, 2^40), whose row size would otherwise overflow.
inline std::optional<int64_t> checked_elements(std::span<const int64_t> dims, int64_t limit) {
  int64_t nonzero = 1;
  bool empty = false;
  for (int64_t d : dims) {
    if (d < 0) return std::nullopt;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (d > limit || nonzero > limit / d) return std::nullopt;
    nonzero *= d;
  }
  return empty ? 0 : nonzero;
}

// "[2,3,4]": how the readers print a shape in their messages.
inline std::string shape_string(std::span<const int64_t> dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace firmnet::support
