#pragma once
// The one numeric core of firmnet: Xilinx ap_fixed semantics on raw two's-complement integers.
//
// A value of type fixed<W,I,S,Q,O> is raw * 2^-(W-I), with raw a W-bit (un)signed integer.
// Every cast in firmnet (emulator, constant quantization, table contents, precision inference) goes
// through quantize(); the generated HLS code performs the same cast by assigning to an ap_fixed
// variable. Tests check quantize() exhaustively against the ap_types headers for small widths.
#include <cstdint>
#include <string>
#include <optional>
#include <vector>

namespace firmnet::numeric {

using i128 = __int128;

// Quantization (on losing fractional bits), with ap_fixed's names.
enum class Rounding { TRN, TRN_ZERO, RND, RND_ZERO, RND_INF, RND_MIN_INF, RND_CONV };
// Overflow handling (after quantization).
enum class Overflow { WRAP, SAT, SAT_ZERO, SAT_SYM };

const char* name(Rounding r);  // "TRN", ... exactly as in ap_fixed without the AP_ prefix
const char* name(Overflow o);  // "WRAP", ...

inline constexpr int kMaxWidth = 64;

struct FixedType {
  int width = 16;       // W: total bits, 1..64
  int int_bits = 6;     // I: integer bits including the sign bit; may be < 0 or > W as in ap_fixed
  bool is_signed = true;
  Rounding rounding = Rounding::TRN;
  Overflow overflow = Overflow::WRAP;

  int frac() const { return width - int_bits; }  // F: fractional bits (may be negative)
  int64_t raw_min() const;                       // -2^(W-1) or 0
  int64_t raw_max() const;                       // 2^(W-1)-1 or 2^W-1 (W=64 unsigned: raw stored as int64 bit pattern is not supported)
  double to_double(int64_t raw) const;           // exact when W <= 53
  double lsb() const;                            // 2^-F
  double min_value() const;
  double max_value() const;

  // hls4ml spelling: "fixed<16,6>", "ufixed<8,3,RND_CONV,SAT>", modes omitted when default (TRN, WRAP).
  std::string str() const;
  // C++ spelling for the ap_types headers: "ap_fixed<16,6,AP_RND_CONV,AP_SAT>".
  std::string cpp() const;

  bool operator==(const FixedType&) const = default;

  // Parses fixed<W,I>, ufixed<W,I>, fixed<W,I,Q>, fixed<W,I,Q,O>, fixed<W,I,Q,O,N>(N ignored only if 0),
  // ap_fixed<...>, ap_ufixed<...>, int<W>, uint<W>, ap_int<W>, ap_uint<W>. Modes with or without "AP_".
  // Throws firmnet::Error naming the string and what is wrong (W outside 1..64, unknown mode, ...).
  static FixedType parse(const std::string& text);
  // Validates the invariants (1 <= W <= 64, unsigned W <= 63); throws firmnet::Error naming `what`.
  void validate(const std::string& what) const;
};

// FixedType{...} spelled as a call, for the common case of naming all five parameters in order.
inline FixedType make_type(int width, int int_bits, bool is_signed = true, Rounding q = Rounding::TRN,
                           Overflow o = Overflow::WRAP) {
  return FixedType{width, int_bits, is_signed, q, o};
}

// Result of a cast: the raw value in the destination type and whether the value did not fit
// (overflow handling changed it). Rounding alone is not an overflow.
struct Cast {
  int64_t raw;
  bool overflow;
};

// Casts the exact value v * 2^-f (v any 128-bit integer, f any fractional-bit count in [-256, 256])
// to type t, exactly as ap_fixed assignment does: first quantization (t.rounding) to t.frac()
// fractional bits, then overflow handling (t.overflow) to t.width bits.
Cast quantize(i128 v, int f, const FixedType& t);

// Casts a double exactly as `ap_fixed<...> x = d;` does in the ap_types headers (NaN/inf: error).
Cast quantize_double(double d, const FixedType& t);

// Floor of v * 2^-shift for shift >= 0, v * 2^(-shift) for shift < 0 (arithmetic shift; used by table
// indexing, identical in the generated kernels).
inline i128 shift_floor(i128 v, int shift) { return shift >= 0 ? (v >> shift) : (v << (-shift)); }

// The signed RND_CONV/SAT type of `width` bits with the fewest integer bits that holds lo and hi without
// overflow (tables' entries, constants' defaults); firmnet::Error when no such type exists.
FixedType fit_type(double lo, double hi, int width);

// The narrowest type holding every value exactly (the fewest fractional bits making each an integer, then the
// fewest bits for the largest), signed unless allow_unsigned and no value is negative; nullopt when that needs
// more than max_width bits, a value is not finite or the binary point is beyond 128 bits. Modes TRN/WRAP:
// callers set their own. Quantized constants, threshold levels and QONNX/QKeras/HGQ weights all use it.
std::optional<FixedType> exact_type(const std::vector<double>& values, int max_width, bool allow_unsigned);

// Smallest signed type (lossless) that holds every value of a and b; used by precision inference.
FixedType union_type(const FixedType& a, const FixedType& b);
// Exact result type of a*b and of a+b (ap_fixed's own result-type rules), width may exceed 64:
// returned as (width, int_bits, signed) with rounding/overflow TRN/WRAP.
struct ExactType {
  int width;
  int int_bits;
  bool is_signed;
  int frac() const { return width - int_bits; }
};
ExactType product_type(const FixedType& a, const FixedType& b);
ExactType sum_type(const ExactType& a, const ExactType& b);
// Exact result type of a-b: the width and integer bits of a+b, but always signed (ap_fixed's minus_*).
ExactType difference_type(const ExactType& a, const ExactType& b);
ExactType exact(const FixedType& a);

}  // namespace firmnet::numeric
