// The cost library: operator delays, the chained schedule, products, casts and ROMs (docs/ESTIMATE.md).
#include <algorithm>
#include <bit>
#include <cmath>

#include "estimate/model.h"
#include "support/error.h"

namespace firmnet::estimate {

double add_ns(int width) { return 0.5 + 0.03 * width; }

void Chain::cut(int64_t live_bits) {
  ++cycles_;
  ff_ += std::max<int64_t>(live_bits, 0);
  now_ = 0;
}

void Chain::op(double ns, int64_t live_bits) {
  ns *= slow_;
  if (ns <= 0) return;
  if (now_ > 0 && now_ + ns > budget_) cut(live_bits);
  now_ += ns;
  // An operator longer than a cycle is pipelined by HLS: one register stage per budget it exceeds.
  while (now_ > budget_) {
    cut(live_bits);
    now_ = std::max(0.0, ns - budget_);
    ns -= budget_;
  }
}

void Chain::rom_read(int64_t address_bits, int64_t carried_bits) {
  if (now_ > 0 && now_ + kRomSetupNs * slow_ > budget_) cut(address_bits + carried_bits);
  cut(carried_bits);  // the read itself: data one cycle after the address
  now_ = kRomOutNs * slow_;
}

void Chain::stages(int64_t cycles, int64_t live_bits) {
  for (int64_t k = 0; k < cycles; ++k) cut(live_bits);
}

int significant_bits(int64_t c) {
  if (c == 0) return 0;
  uint64_t m = c < 0 ? uint64_t(0) - static_cast<uint64_t>(c) : static_cast<uint64_t>(c);
  m >>= std::countr_zero(m);
  return 64 - std::countl_zero(m);
}

int csd_digits(int64_t c) {
  // Canonical signed digits: the fewest +-2^k terms summing to c (non-adjacent form).
  __int128 v = c;
  if (v < 0) v = -v;
  int n = 0;
  while (v != 0) {
    if (v & 1) {
      const int d = (v & 3) == 3 ? -1 : 1;
      v -= d;
      ++n;
    }
    v >>= 1;
  }
  return n;
}

int64_t dsp_slices(int a_width, int b_width, bool dsp48e2) {
  // Signed ports: 27x18 (DSP48E2) or 25x18 (DSP48E1); wider products cascade slices, one per
  // (port-width - 1)-bit limb of each operand beyond the first.
  const int pa = dsp48e2 ? 27 : 25, pb = 18;
  auto limbs = [](int w, int port) { return w <= port ? 1 : 1 + (w - port + port - 2) / (port - 1); };
  const int64_t ab = int64_t{limbs(a_width, pa)} * limbs(b_width, pb);
  const int64_t ba = int64_t{limbs(b_width, pa)} * limbs(a_width, pb);
  return std::min(ab, ba);
}

// Calibrated on the shared hls4ml baselines (docs/ESTIMATE.md): a constant with at most this many
// significant bits is built as shift-adds in LUTs; so is any product whose data operand is this narrow.
inline constexpr int kLutConstBits = 4;
inline constexpr int kLutDataBits = 6;

Product constant_product(int x_width, int64_t c, bool dsp48e2) {
  Product p;
  if (c == 0) return p;
  const int sig = significant_bits(c);
  if (sig == 1) {  // +-2^k: wires, and a negation for negative c
    p.kind = Product::Shift;
    p.lut = c < 0 ? x_width : 0;
    p.ns = c < 0 ? add_ns(x_width) : 0;
    return p;
  }
  const int c_width = 65 - std::countl_zero(static_cast<uint64_t>(c < 0 ? -(c + 1) : c));  // signed width
  if (sig <= kLutConstBits || x_width <= kLutDataBits) {
    p.kind = Product::Lut;
    // csd_digits - 1 shift-adds, plus the sign and alignment of the result: one adder per digit.
    p.lut = int64_t{std::max(1, csd_digits(c))} * (x_width + sig);
    p.ns = kLutMulNs;
    return p;
  }
  p.kind = Product::Dsp;
  p.dsp = dsp_slices(x_width, c_width, dsp48e2);
  p.lut = kDspGlueLut;
  p.ns = kDspMulNs;
  return p;
}

Product variable_product(int a_width, int b_width, bool dsp48e2) {
  Product p;
  if (std::min(a_width, b_width) <= kLutDataBits) {
    p.kind = Product::Lut;
    p.lut = int64_t{a_width} * b_width * 3 / 4 + a_width + b_width;
    p.ns = kLutMulNs + 0.1 * std::min(a_width, b_width);
    return p;
  }
  p.kind = Product::Dsp;
  p.dsp = dsp_slices(a_width, b_width, dsp48e2);
  p.lut = kDspGlueLut;
  p.ns = kDspMulNs;
  return p;
}

int64_t cast_lut(const numeric::FixedType& from, const numeric::FixedType& to) {
  using numeric::Overflow;
  using numeric::Rounding;
  int64_t lut = 0;
  if (to.frac() < from.frac() && to.rounding != Rounding::TRN) lut += to.width;  // the rounding increment
  if (to.overflow != Overflow::WRAP && (to.int_bits < from.int_bits || (from.is_signed && !to.is_signed)))
    lut += to.width + (from.int_bits - to.int_bits + 5) / 6;  // range check + clamp select
  return lut;
}

// Below this many bits a ROM is built from LUTs (64 x 1 bit per LUT6); above, from BRAM.
inline constexpr int64_t kLutRomBits = 4096;

Rom rom(int64_t entries, int width, int64_t reads) {
  Rom r;
  if (entries <= 0 || width <= 0 || reads <= 0) return r;
  const int64_t bits = entries * width;
  if (bits <= kLutRomBits) {
    // Each read is its own LUT mux tree over the constant bits.
    r.res.lut = reads * ((entries + 63) / 64) * width;
    return r;
  }
  r.bram = true;
  // 18 Kb block: 16K x 1, 8K x 2, 4K x 4, 2K x 9, 1K x 18, 512 x 36; two read ports per block.
  static const int64_t depth[] = {16384, 8192, 4096, 2048, 1024, 512};
  static const int64_t bits_per[] = {1, 2, 4, 9, 18, 36};
  int64_t best = INT64_MAX;
  for (size_t k = 0; k < 6; ++k)
    best = std::min(best, ((entries + depth[k] - 1) / depth[k]) * ((width + bits_per[k] - 1) / bits_per[k]));
  r.res.bram_18k = best * ((reads + 1) / 2);
  return r;
}

Rom ram(int64_t depth, int width) {
  // One read and one write per cycle: a simple dual-port RAM (LUTRAM: RAM64M-style, 64 x 1 bit per LUT and
  // one more for the write port; BRAM: both ports of one block).
  if (depth * width <= kLutRomBits) {
    Rom r;
    r.res.lut = 2 * ((depth + 63) / 64) * width;
    return r;
  }
  return rom(depth, width, 1);
}

// Shift-register FIFOs (SRL32: 32 elements per LUT and bit) up to this depth; deeper ones are a RAM (LUTRAM
// when small, else BRAM) with an output register.
inline constexpr int64_t kSrlFifoDepth = 64;

Resources fifo(int64_t depth, int64_t bits) {
  Resources r;
  if (depth <= 0 || bits <= 0) return r;
  const int ab = ceil_log2(depth + 1);
  // The pointers (read address / count, full and empty flags).
  r.ff = 2 * ab + 4;
  r.lut = 3 * ab + 6;
  if (depth <= kSrlFifoDepth) {
    r.lut += bits * ((depth + 31) / 32);
  } else {
    r += ram(depth, static_cast<int>(std::min<int64_t>(bits, INT32_MAX))).res;
    r.ff += bits;  // the output register of a RAM FIFO
  }
  return r;
}

const numeric::FixedType& type_of(const ir::Graph& g, ir::TensorId id) {
  const auto& t = g.tensor(id);
  if (!t.type) throw Error("estimate", "tensor '" + t.name + "' has no type", "run the pass pipeline first");
  return *t.type;
}

int64_t elements(const Context& c, ir::TensorId id) {
  return c.g.tensor(id).size() / std::max<int64_t>(1, c.rows);
}

Row start_row(const ir::Node& n) {
  Row r;
  r.name = n.name;
  r.op = ir::name(n.kind);
  r.ii = std::max(1, n.reuse_factor);
  return r;
}

}  // namespace firmnet::estimate
