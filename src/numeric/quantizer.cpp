// QONNX rounding on raw bits and the Quantize op's integer arithmetic (see quantizer.h).
#include "numeric/quantizer.h"

#include <algorithm>
#include <cctype>

namespace firmnet::numeric {

namespace {
constexpr QuantMode kModes[] = {QuantMode::ROUND, QuantMode::HALF_EVEN, QuantMode::CEIL,    QuantMode::FLOOR,
                                QuantMode::UP,    QuantMode::DOWN,      QuantMode::HALF_UP, QuantMode::HALF_DOWN};
}  // namespace

const char* name(QuantMode m) {
  switch (m) {
    case QuantMode::ROUND: return "ROUND";
    case QuantMode::HALF_EVEN: return "HALF_EVEN";
    case QuantMode::CEIL: return "CEIL";
    case QuantMode::FLOOR: return "FLOOR";
    case QuantMode::UP: return "UP";
    case QuantMode::DOWN: return "DOWN";
    case QuantMode::HALF_UP: return "HALF_UP";
    case QuantMode::HALF_DOWN: return "HALF_DOWN";
  }
  return "?";
}

std::optional<QuantMode> parse_quant_mode(const std::string& s) {
  std::string up = s;
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (QuantMode m : kModes)
    if (up == name(m)) return m;
  return std::nullopt;
}

std::optional<Rounding> ap_rounding(QuantMode m) {
  switch (m) {
    case QuantMode::ROUND:
    case QuantMode::HALF_EVEN: return Rounding::RND_CONV;
    case QuantMode::FLOOR: return Rounding::TRN;
    case QuantMode::DOWN: return Rounding::TRN_ZERO;
    case QuantMode::HALF_UP: return Rounding::RND_INF;
    case QuantMode::HALF_DOWN: return Rounding::RND_ZERO;
    case QuantMode::CEIL:
    case QuantMode::UP: return std::nullopt;
  }
  return std::nullopt;
}

i128 round_shift(i128 u, int s, QuantMode m) {
  const i128 one = 1, ones = (one << s) - 1, half = one << (s - 1);
  const bool neg = u < 0;
  i128 add = 0;
  switch (m) {
    case QuantMode::FLOOR: add = 0; break;
    case QuantMode::CEIL: add = ones; break;
    case QuantMode::UP: add = neg ? 0 : ones; break;            // ceil above 0, floor below
    case QuantMode::DOWN: add = neg ? ones : 0; break;          // floor above 0, ceil below
    case QuantMode::HALF_UP: add = neg ? half - 1 : half; break;    // a tie goes away from 0
    case QuantMode::HALF_DOWN: add = neg ? half : half - 1; break;  // a tie goes toward 0
    case QuantMode::ROUND:
    case QuantMode::HALF_EVEN: add = half - 1 + ((u >> s) & 1); break;  // a tie goes to the even neighbour
  }
  return (u + add) >> s;
}

int64_t quantize_level(int64_t r, int f, int k, int64_t z, int64_t qmin, int64_t qmax, QuantMode m) {
  const int s = f + k;  // fractional bits of u = r * 2^-s + z
  i128 q;
  if (s <= 0) {
    // u is an integer: no rounding. Beyond 2^64 it only matters that it clips.
    if (r == 0) q = z;
    else if (-s > 63) q = r > 0 ? qmax : qmin;
    else q = (static_cast<i128>(r) << -s) + z;
  } else {
    // Below 2^-62 of fraction only the sign of r decides any mode (no tie is possible): r -> sign(r)/4.
    i128 rr = r;
    int ss = s;
    if (s > 62) {
      rr = r > 0 ? 1 : (r < 0 ? -1 : 0);
      ss = 2;
    }
    q = round_shift(rr + (static_cast<i128>(z) << ss), ss, m);
  }
  q = std::clamp<i128>(q, qmin, qmax);
  return static_cast<int64_t>(q - z);
}

}  // namespace firmnet::numeric
