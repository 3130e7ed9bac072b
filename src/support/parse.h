#pragma once
// Text → number for every reader (.npy headers, FINN datatype names, fixed<W,I> precisions, vendor
// reports). std::from_chars only: malformed or out-of-range text is a nullopt that the caller turns into a
// firmnet::Error naming the file, the field and the text, never a std::stoi/std::stod exception.
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace firmnet::support {

// The whole of `s` as a decimal integer of type T (an optional leading '-'; no spaces, no '+'); nullopt
// when `s` is empty, holds any other character, or is outside T's range.
template <class T>
std::optional<T> parse_int(std::string_view s) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  T v{};
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v);
  if (s.empty() || ec != std::errc() || p != end) return std::nullopt;
  return v;
}

// The whole of `s` as a finite double (decimal or scientific, an optional leading '-'); nullopt otherwise.
inline std::optional<double> parse_double(std::string_view s) {
  double v = 0;
  const char* end = s.data() + s.size();
  const auto [p, ec] = std::from_chars(s.data(), end, v, std::chars_format::general);
  if (s.empty() || ec != std::errc() || p != end || !std::isfinite(v)) return std::nullopt;
  return v;
}

// The number that `s` starts with (after spaces), ignoring what follows ("12.5 ns" → 12.5); nullopt
// when it does not start with a finite number.
inline std::optional<double> parse_leading_double(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (s.empty() || ec != std::errc() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace firmnet::support
