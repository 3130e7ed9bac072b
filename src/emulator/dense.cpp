// Dense: acc_j = Q_accum(bias_j); acc_j = Q_accum(acc_j + x_i*W_ij) for i = 0..n_in-1; y_j = Q_res(acc_j).
//
// The plans, chosen at construction:
//  * Exact: the accumulator is lossless for these weights (accum keeps every fractional bit of the
//    products and of the bias, and the interval bound of every partial sum fits accum's range), so every
//    Q_accum is the identity and the sum is computed exactly in the narrowest arithmetic that cannot
//    overflow, then cast once: int16 pairs into int32 lanes (lanes16.h: vpdpwssd / vpmaddwd) when the inputs
//    and the scaled weights are int16 and every partial sum is below 2^31 (each lane adds x_2i * w_2i +
//    x_2i+1 * w_2i+1 modulo 2^32; the exact sum lies in int32, so the sum modulo 2^32 is that sum: the one
//    pair beyond int32, 2 * (-2^15)^2 = 2^31, only occurs in layers whose bound reaches 2^31; an odd last
//    row pairs with a zero input and zero weights, a Conv pads each pixel's channels to an even count);
//    int32 lanes when every input, weight, term and partial sum is below 2^31;
//    double lanes (fused multiply-add) when all of them are below 2^53, where every double holding an
//    integer is that integer exactly, so each product and each partial sum is computed without rounding
//    (the sum is started from the bias and runs over the inputs in order, so its partial sums are the
//    bounded ones); else, when the inputs split as x = xh * 2^k + xl (xl = the low k bits, 0 <= xl < 2^k)
//    such that b + sum xl*w and sum xh*w both stay below 2^53 (bounded by sums of absolute values), those
//    two sums on double lanes, combined as high * 2^k + low in int64 (modulo 2^64: the exact sum fits);
//    int64 lanes otherwise. (Partial sums then fit accum's <= 64 bits; only single terms at
//    the very edge could need more, and those layers take the step plans, still exact.) The int32 and
//    double plans also run a Conv's windows directly on the map (run_windows).
//  * Step64: a lossy accumulator with WRAP/SAT overflow whose values fit int64: each step is
//    acc + round(p / 2^k) then wrap/clamp (the wrap deferred to the end where that is exact).
//  * Step16: a TRN, WRAP accumulator of W <= 16 bits with inputs within int16 (hls4ml's `Precision:
//    fixed<16,6>` everywhere, accum included), on int16 lanes (lanes16.h: AVX-512BW, AVX2 or portable).
//    Let k = F_x + F_w - F_accum (> 0: each step truncates k bits of the product), a the accumulator in its
//    raw units, p = x * w the product in units of 2^-(F_x + F_w). Exact because:
//    (1) TRN commutes with adding a value on the accumulator's grid: a * 2^k is a multiple of 2^k, so
//        floor((a * 2^k + p) / 2^k) = a + floor(p / 2^k); the rounded term t = floor(p / 2^k) does not
//        depend on a. (k <= 0: t = x * (w * 2^-k), nothing rounds.)
//    (2) WRAP is reduction modulo 2^W into [lo, lo + 2^W), and reduction modulo 2^W is compatible with
//        addition, so wrapping after every step equals one wrap of acc0 + sum t at the end; and that sum
//        modulo 2^W follows from the sum modulo 2^16 (2^W divides 2^16). So every term and the sum may be
//        computed modulo 2^16, in int16 lanes, and the final value is ((S - lo) mod 2^W) + lo.
//    (3) The terms on int16: for 1 <= k <= 16, write w = q * 2^k + r with r in [-2^(k-1), 2^(k-1))
//        (so q = (w - r) / 2^k is an integer). Then x * w / 2^k = x * q + x * r / 2^k, and as x * q is an
//        integer, t = x * q + floor(x * R / 2^16) with R = r * 2^(16-k) in [-2^15, 2^15): an int16. With
//        x an int16 too, x * R is exact in 32 bits and floor(x * R / 2^16) is its high half (vpmulhw,
//        `mulhi`); x * q modulo 2^16 needs only q modulo 2^16 (vpmullw, `mullo`). Tiles whose q (or R)
//        are all 0 skip that multiply: weights below 2^(k-1) in magnitude cost one multiply per term.
//        For k = 0 (products on or above accum's grid, p * 2^s with s = F_accum - F_x - F_w >= 0), t =
//        x * (w * 2^s) modulo 2^16 = mullo(x, w * 2^s mod 2^16). For k > 16 (only when every w is an
//        int16): t = floor(floor(x * w / 2^16) / 2^(k-16)) (nested floors), mulhi then an arithmetic shift
//        by min(k - 16, 15) (|mulhi| <= 2^14, so every shift of 15 or more gives floor = 0 or -1 alike).
//    Padding taps add t = floor(0 / 2^k) = 0 and are left out like in the exact plans.
//  * StepGeneral: anything else, each step through numeric::quantize on __int128.
// The int32/int64 plans run on GCC/Clang vector extensions over tiles of outputs whose accumulators stay
// in registers for the whole input loop; tests/emulator/dense_test.cpp checks every plan against a naive
// per-step reference.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <type_traits>

#include "emulator/kernel.h"
#include "emulator/lanes16.h"
#include "numeric/rounding.h"

namespace firmnet::emulator {
namespace {

i128 abs128(i128 v) { return v < 0 ? -v : v; }

// Output tile widths of the lane plans: two 32-byte vectors (one AVX2 register each) of doubles / int32.
constexpr int kLanesF64 = 8, kLanesI32 = 16;

class DenseKernel final : public DenseCore {
 public:
  // n_in x n_out over the rows of `w` (raw, in the type of param "weight"), the bias and accum of the node.
  DenseKernel(const NodeContext& c, int64_t n_in, int64_t n_out, const std::vector<int64_t>& w);
  DenseKernel(const NodeContext& c, const DenseOperands& d);
  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override;
  std::string info() const override {
    switch (plan_) {
      case Plan::Exact32: return "dense exact int32";
      case Plan::Exact16: return "dense exact int16 pairs";
      case Plan::Exact64: return "dense exact int64";
      case Plan::ExactF64: return limb_k_ > 0 ? "dense exact double x2" : "dense exact double";
      case Plan::Step64: return "dense step64";
      case Plan::Step16: return "dense step int16";
      case Plan::StepGeneral: return "dense step general";
    }
    return {};
  }

 private:
  enum class Plan { Exact16, Exact32, ExactF64, Exact64, Step64, Step16, StepGeneral };
  bool prepare_windows(const ConvWindows& w) override;
  void run_windows(const int64_t* x, int64_t* out, size_t n, int64_t& overflows) const override;
  bool try_exact(const std::vector<int64_t>& w, const std::vector<int64_t>& b);
  bool try_step64(const std::vector<int64_t>& w);
  bool try_step16(const std::vector<int64_t>& w);
  lanes16::StepWeights step16_weights() const;
  // Sums modulo 2^16 (n rows of `row` lanes) wrapped to accum, then Q_res.
  void step16_finish(const int16_t* sums, size_t row, int64_t* out, size_t n, int64_t& ovf) const;
  void step16_rows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;
  void step16_windows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;
  // Exact16: weights (int16, rows padded to an even count) as pairs; see lanes16.h.
  std::vector<int16_t> pack_pairs(const std::vector<int16_t>& w, int64_t rows) const;
  void exact16_rows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;
  void exact16_windows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;
  lanes16::PairWeights pair_weights(const std::vector<int16_t>& w, int64_t rows) const {
    lanes16::PairWeights pw;
    pw.w = w.data();
    pw.bias = b16p_.data();
    pw.pairs = rows / 2;
    pw.tiles = (n_out_ + lanes16::kLanes - 1) / lanes16::kLanes;
    return pw;
  }
  void setup_general(const NodeContext& c, const std::vector<int64_t>& w);

  // Kernels over a block of samples. The tiled ones keep TJ accumulators in registers across the whole
  // input loop, on weights packed as [tile][i][TJ] (zero-padded: padding lanes stay 0 and are not stored).
  using BlockFn = void (*)(const DenseKernel&, const int64_t* x, int64_t* out, size_t n, int64_t& ovf);
  template <class Acc, int TJ, bool Mul32 = false>
  static void exact_tiled(const DenseKernel& d, const int64_t* x, int64_t* out, size_t n, int64_t& ovf);
  template <class Acc, int TJ, bool Mul32, int S>
  static void exact_group(const DenseKernel& d, const int64_t* x, Acc* sums, int64_t row);
  template <Rounding R, Overflow O, bool Mul32>
  static void step64_tiled(const DenseKernel& d, const int64_t* x, int64_t* out, size_t n, int64_t& ovf);
  template <Rounding R, Overflow O, bool Mul32, int S>
  static void step64_group(const DenseKernel& d, const int64_t* x, int64_t* sums, int64_t row);
  // out[s][j] = Q_res(sums[s * row + j]) for a block: a single cast call when there is no padding.
  template <class Acc>
  void cast_block(const Acc* sums, size_t row, int64_t* out, size_t n, int64_t& ovf) const {
    const size_t n_out = static_cast<size_t>(n_out_);
    if (row == n_out) return out_cast_.cast_many(sums, out, n * n_out, ovf);
    for (size_t s = 0; s < n; ++s) out_cast_.cast_many(sums + s * row, out + s * n_out, n_out, ovf);
  }
  void run_general(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;

  // The window kernels (int32 or double lanes, exact plans): a group of up to kWinRows rows that read the
  // same converted buffer `base`, each row a list of segments (runs of consecutive weight rows read from
  // consecutive values), row r of segment g starting at base + offs[g * ostride + r].
  using Seg = lanes16::Seg;  // first weight row, number of rows
  struct WinGroup {
    int32_t first, rows, seg0, nseg, off0;  // first output pixel, rows, its segments and offsets
  };
  static constexpr int kWinRows = 6;
  template <class T, int S>
  void mac_group(const T* bp, const T* base, const Seg* segs, int nseg, const int32_t* offs, int ostride, T* sums,
                 int64_t row) const;
  template <class T>
  void mac_rows(const T* bp, const T* base, const WinGroup& g, T* sums, int64_t row) const;
  // Integers held in doubles (sums of the double plans) to int64.
  void to_int64(const double* in, int64_t* out, size_t n) const;
  // int64 sums of the two-limb double plan: high * 2^k + low (modulo 2^64).
  void combine_limbs(const double* lo, const double* hi, int64_t* out, size_t n) const;
  bool try_limbs(const std::vector<i128>& ww, const std::vector<i128>& bb, i128 xmin, i128 xmax);
  template <class T>
  void rows_lanes(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;
  template <class T>
  void windows_lanes(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const;
  template <class T>
  const std::vector<T>& lane_weights() const {
    if constexpr (std::is_same_v<T, double>) return wf_;
    else return wi_;
  }
  template <class T>
  const std::vector<T>& lane_bias() const {
    if constexpr (std::is_same_v<T, double>) return bf_;
    else return bi_;
  }
  int64_t lane_row() const;  // n_out padded to whole tiles of the lane plan
  // out[s][j] = Q_res(sums[s * row + j]) for lane sums (double sums go through int64 first).
  // `scratch`: n * row int64 values (double sums only).
  template <class T>
  void cast_lanes(const T* sums, size_t row, int64_t* out, size_t n, int64_t& ovf, int64_t* scratch) const;
  template <class A>
  std::vector<A> pack(const std::vector<A>& w, int tj, bool rows) const;

  int64_t n_in_ = 0, n_out_ = 0;
  numeric::FixedType tx_, tw_, tb_, ta_, ty_;
  int fx_ = 0, fw_ = 0, fb_ = 0, fa_ = 0;
  Plan plan_ = Plan::StepGeneral;
  CastPlan out_cast_;
  // Exact plans: weights and bias scaled to the sum's fraction.
  std::vector<int32_t> w32_, b32_;
  std::vector<int64_t> w64_, b64_;
  // Step plans: acc0 = Q_accum(bias) raw. Step64: weights pre-shifted (in w64_), rounding shift k_.
  std::vector<int64_t> acc0_;
  int k_ = 0;
  int64_t mask_ = 0, half_ = 1, a_lo_ = 0, a_hi_ = 0, a_wrap_mask_ = 0;
  BlockFn block_fn_ = nullptr;
  static constexpr int kTileStep = 16;
  // StepGeneral: raw weights (in w64_), shifts to the common fraction fc_ of accum and product.
  int sa_ = 0, sp_ = 0, fc_ = 0;
  // Lane plans (int32 windows, double rows and windows): weights [tile][n_in][TJ], bias [tile][TJ].
  std::vector<int32_t> wi_, bi_;
  std::vector<double> wf_, bf_;
  bool f64_small_ = false;  // double plan: every sum below 2^51 (converted to int64 by the magic-number add)
  int limb_k_ = 0;          // > 0: the two-limb double plan, x split at bit k
  std::vector<double> bz_;  // zero bias (the high limb's sums)
  // Window geometry (prepare_windows): per group of output pixels its segments and row offsets; the map of
  // one sample is converted into [in_pixels * cin values, then taps * cin zeros] (padding tap t reads the
  // zeros at t * cin, so that consecutive padding taps stay consecutive).
  bool windows_ = false;
  int64_t win_in_values_ = 0, win_buffer_ = 0, win_pixels_ = 0;
  std::vector<WinGroup> groups_;
  std::vector<Seg> segs_;
  std::vector<int32_t> offs_;
  // Step16: weights [tile][n_in][32] as mulhi and mullo operands, per-tile use flags, Q_accum(bias) modulo
  // 2^16, the arithmetic shift after mulhi.
  std::vector<int16_t> w16_hi_, w16_lo_, acc16_;
  std::vector<uint8_t> tile16_hi_, tile16_lo_;
  int shift16_ = 0;
  // Exact16: the scaled weights as int16 [n_in][n_out], packed as pairs for rows (n_in rounded up to even)
  // and for windows (each tap's channels rounded up to even: win_cin2_, the map converted with that stride).
  std::vector<int16_t> w16_, w16p_rows_, w16p_win_;
  std::vector<int32_t> b16p_;
  int64_t win_cin_ = 0, win_cin2_ = 0, win_in_pixels_ = 0;
};

DenseKernel::DenseKernel(const NodeContext& c, int64_t n_in, int64_t n_out, const std::vector<int64_t>& w)
    : DenseKernel(c, DenseOperands{n_in, n_out, w, c.param("bias").raw, c.in_type(0), *c.param("weight").type,
                                   *c.param("bias").type, c.internal_type("accum"), c.out_type(),
                                   c.param("weight").name, c.param("bias").name}) {}

DenseKernel::DenseKernel(const NodeContext& c, const DenseOperands& d) {
  const std::vector<int64_t>& w = d.weight;
  n_in_ = d.n_in;
  n_out_ = d.n_out;
  if (static_cast<int64_t>(w.size()) != n_in_ * n_out_)
    c.fail("weight '" + d.weight_name + "' has " + std::to_string(w.size()) + " values, expected n_in*n_out = " +
           std::to_string(n_in_) + "*" + std::to_string(n_out_));
  if (static_cast<int64_t>(d.bias.size()) != n_out_)
    c.fail("bias '" + d.bias_name + "' has " + std::to_string(d.bias.size()) + " values, expected " +
           std::to_string(n_out_));
  tx_ = d.tx;
  tw_ = d.tw;
  tb_ = d.tb;
  ta_ = d.ta;
  ty_ = d.ty;
  fx_ = tx_.frac();
  fw_ = tw_.frac();
  fb_ = tb_.frac();
  fa_ = ta_.frac();
  if (try_exact(w, d.bias)) return;
  acc0_.resize(static_cast<size_t>(n_out_));
  int64_t ignored = 0;  // the bias cast is not a layer-output cast: not counted
  const CastPlan bias_cast(ta_, fb_);
  for (size_t j = 0; j < acc0_.size(); ++j) acc0_[j] = bias_cast(d.bias[j], ignored);
  out_cast_ = CastPlan(ty_, fa_);
  if (!try_step16(w) && !try_step64(w)) setup_general(c, w);
}

bool DenseKernel::try_exact(const std::vector<int64_t>& w, const std::vector<int64_t>& b) {
  const int fp = fx_ + fw_;
  if (fa_ < fp || fa_ < fb_) return false;  // some step would round
  const int fs = std::max(fp, fb_), ws = fs - fp, bs = fs - fb_;
  int log_n = 0;
  while ((int64_t{1} << log_n) < n_in_ + 1) ++log_n;
  if (tx_.width + tw_.width + ws + log_n + 2 > 120 || tb_.width + bs + 2 > 120) return false;

  const i128 xmin = tx_.raw_min(), xmax = tx_.raw_max();
  i128 bound = std::max(abs128(xmin), abs128(xmax)), max_w = 0;
  std::vector<i128> ww(w.size()), bb(b.size());
  for (size_t e = 0; e < w.size(); ++e) ww[e] = static_cast<i128>(w[e]) << ws;
  for (size_t j = 0; j < b.size(); ++j) bb[j] = static_cast<i128>(b[j]) << bs;
  const int up = fa_ - fs;  // a sum in accum raw units is sum * 2^up
  for (int64_t j = 0; j < n_out_; ++j) {
    // Every term's interval contains 0 (x's range does), so the partial sums' intervals only grow with i:
    // the final interval bounds them all.
    i128 lo = bb[static_cast<size_t>(j)], hi = lo;
    for (int64_t i = 0; i < n_in_; ++i) {
      const i128 wv = ww[static_cast<size_t>(i * n_out_ + j)];
      const i128 t1 = xmin * wv, t2 = xmax * wv;
      lo += std::min(t1, t2);
      hi += std::max(t1, t2);
      bound = std::max({bound, abs128(t1), abs128(t2)});
      max_w = std::max(max_w, abs128(wv));
    }
    bound = std::max({bound, abs128(lo), abs128(hi), abs128(bb[static_cast<size_t>(j)])});
    for (i128 v : {lo, hi}) {
      if (v == 0) continue;
      if (bit_length(v) + up > 100) return false;
      const i128 a = v * (static_cast<i128>(1) << up);
      if (a < ta_.raw_min() || a > ta_.raw_max()) return false;
    }
  }
  // The narrowest integer that holds every input, weight, term and partial sum.
  const i128 lim32 = static_cast<i128>(1) << 31, lim64 = static_cast<i128>(1) << 63;
  const i128 i16min = std::numeric_limits<int16_t>::min(), i16max = std::numeric_limits<int16_t>::max();
  const bool int16_operands = xmin >= i16min && xmax <= i16max &&
                              std::all_of(ww.begin(), ww.end(), [&](i128 v) { return v >= i16min && v <= i16max; });
  if (bound < lim32 && int16_operands && n_in_ < std::numeric_limits<int32_t>::max() / (2 * kWinRows) - 2) {
    // Pairs of int16 products into int32 lanes (vpmaddwd / vpdpwssd): every operation modulo 2^32 (a pair of
    // (-2^15)^2 products wraps), and the exact sum lies in int32 (the bound), so the sum modulo 2^32 is it.
    plan_ = Plan::Exact16;
    for (i128 v : ww) w16_.push_back(static_cast<int16_t>(v));
    std::vector<int32_t> b32;
    for (i128 v : bb) b32.push_back(static_cast<int32_t>(v));
    b16p_ = pack(b32, lanes16::kLanes, false);
    std::vector<int16_t> padded(w16_);
    padded.resize(static_cast<size_t>((n_in_ + 1) / 2 * 2 * n_out_), 0);  // an odd last row pairs with zeros
    w16p_rows_ = pack_pairs(padded, (n_in_ + 1) / 2 * 2);
  } else if (bound < lim32) {
    plan_ = Plan::Exact32;
    for (i128 v : ww) w32_.push_back(static_cast<int32_t>(v));
    for (i128 v : bb) b32_.push_back(static_cast<int32_t>(v));
    const int tj = n_out_ <= 16 ? 16 : 32;
    w32_ = pack(w32_, tj, true);
    b32_ = pack(b32_, tj, false);
    block_fn_ = tj == 16 ? &exact_tiled<int32_t, 16> : &exact_tiled<int32_t, 32>;
    std::vector<int32_t> wi, bi;
    for (i128 v : ww) wi.push_back(static_cast<int32_t>(v));
    for (i128 v : bb) bi.push_back(static_cast<int32_t>(v));
    wi_ = pack(wi, kLanesI32, true);
    bi_ = pack(bi, kLanesI32, false);
  } else if (bound < (static_cast<i128>(1) << 53)) {
    plan_ = Plan::ExactF64;
    f64_small_ = bound < (static_cast<i128>(1) << 51);
    std::vector<double> wd, bd;
    for (i128 v : ww) wd.push_back(static_cast<double>(static_cast<int64_t>(v)));
    for (i128 v : bb) bd.push_back(static_cast<double>(static_cast<int64_t>(v)));
    wf_ = pack(wd, kLanesF64, true);
    bf_ = pack(bd, kLanesF64, false);
  } else if (bound < lim64 && try_limbs(ww, bb, xmin, xmax)) {
    plan_ = Plan::ExactF64;
  } else if (bound < lim64) {
    plan_ = Plan::Exact64;
    for (i128 v : ww) w64_.push_back(static_cast<int64_t>(v));
    for (i128 v : bb) b64_.push_back(static_cast<int64_t>(v));
    w64_ = pack(w64_, 16, true);
    b64_ = pack(b64_, 16, false);
    // Inputs and weights within int32 multiply as 32x32 -> 64 bits (one instruction on AVX-512).
    const bool mul32 = std::max(abs128(xmin), abs128(xmax)) < lim32 && max_w < lim32;
    block_fn_ = mul32 ? &exact_tiled<int64_t, 16, true> : &exact_tiled<int64_t, 16, false>;
  } else {
    return false;
  }
  out_cast_ = CastPlan(ty_, fs);
  return true;
}

// The split point k of the two-limb double plan: low = |b| + (2^k - 1) * sum |w| and high = max|x >> k| *
// sum |w| both below 2^51 (else 2^53), the smaller of the two as small as possible.
bool DenseKernel::try_limbs(const std::vector<i128>& ww, const std::vector<i128>& bb, i128 xmin, i128 xmax) {
  std::vector<i128> wsum(static_cast<size_t>(n_out_), 0);
  for (int64_t i = 0; i < n_in_; ++i)
    for (int64_t j = 0; j < n_out_; ++j) wsum[static_cast<size_t>(j)] += abs128(ww[static_cast<size_t>(i * n_out_ + j)]);
  for (const int lim : {51, 53}) {
    const i128 top = static_cast<i128>(1) << lim;
    int best = 0;
    i128 best_worst = 0;
    for (int k = 1; k <= 62; ++k) {
      const i128 xh = std::max(abs128(xmin >> k), abs128(xmax >> k));
      i128 worst = 0;
      bool ok = true;
      for (int64_t j = 0; j < n_out_ && ok; ++j) {
        const i128 ws = wsum[static_cast<size_t>(j)];
        if (bit_length(ws) + k > 120 || bit_length(ws) + bit_length(xh) > 120) {
          ok = false;
          break;
        }
        const i128 low = abs128(bb[static_cast<size_t>(j)]) + ((static_cast<i128>(1) << k) - 1) * ws, high = xh * ws;
        ok = low < top && high < top;
        worst = std::max({worst, low, high});
      }
      if (ok && (best == 0 || worst < best_worst)) {
        best = k;
        best_worst = worst;
      }
    }
    if (best > 0) {
      limb_k_ = best;
      f64_small_ = lim == 51;
      std::vector<double> wd, bd;
      for (i128 v : ww) wd.push_back(static_cast<double>(static_cast<int64_t>(v)));
      for (i128 v : bb) bd.push_back(static_cast<double>(static_cast<int64_t>(v)));
      wf_ = pack(wd, kLanesF64, true);
      bf_ = pack(bd, kLanesF64, false);
      bz_.assign(bf_.size(), 0.0);
      return true;
    }
  }
  return false;
}

template <class A>
std::vector<A> DenseKernel::pack(const std::vector<A>& w, int tj, bool rows) const {
  const int64_t tiles = (n_out_ + tj - 1) / tj, n_rows = rows ? n_in_ : 1;
  std::vector<A> p(static_cast<size_t>(tiles * n_rows * tj), A{0});
  for (int64_t i = 0; i < n_rows; ++i)
    for (int64_t j = 0; j < n_out_; ++j)
      p[static_cast<size_t>(((j / tj) * n_rows + i) * tj + j % tj)] = w[static_cast<size_t>(i * n_out_ + j)];
  return p;
}

// The vector helpers below are internal (anonymous namespace, inlined): the ABI note GCC gives for
// 64-byte vector returns on targets without AVX-512 does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

// Explicit SIMD through GCC/Clang vector extensions (64-byte vectors: one AVX-512 register, or two AVX2
// ones, or scalar code where neither exists), so vectorisation does not depend on the optimiser's mood.
typedef int32_t VecI32 __attribute__((vector_size(64)));
typedef int64_t VecI64 __attribute__((vector_size(64)));
typedef uint64_t VecU64 __attribute__((vector_size(64)));
template <class T>
struct VecOf;
template <>
struct VecOf<int32_t> {
  using type = VecI32;
};
template <>
struct VecOf<int64_t> {
  using type = VecI64;
};
template <class T>
using Vec = typename VecOf<T>::type;
static_assert(sizeof(Vec<int64_t>) == 64 && sizeof(Vec<int32_t>) == 64);

template <class V, class T>
inline V load32(const T* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class T>
inline Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// (a copy, so that the accumulator arrays never have their address taken and stay in registers)
template <class T>
inline void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}

// a * b for lanes holding values in int32 range.
inline VecI64 mul_small(VecI64 a, VecI64 b) {
#if defined(__AVX512F__)
  // (the maskz form: GCC 12 warns about the plain one's internal undefined operand)
  return reinterpret_cast<VecI64>(_mm512_maskz_mul_epi32(0xFF, reinterpret_cast<__m512i>(a), reinterpret_cast<__m512i>(b)));
#else
  return a * b;
#endif
}

template <class Acc, int TJ, bool Mul32, int S>
void DenseKernel::exact_group(const DenseKernel& d, const int64_t* x, Acc* sums, int64_t row) {
  using V = Vec<Acc>;
  constexpr int L = sizeof(V) / sizeof(Acc), NV = TJ / L;
  const int64_t n_in = d.n_in_, tiles = row / TJ;
  const Acc* wp;
  const Acc* bp;
  if constexpr (std::is_same_v<Acc, int32_t>) {
    wp = d.w32_.data();
    bp = d.b32_.data();
  } else {
    wp = d.w64_.data();
    bp = d.b64_.data();
  }
  for (int64_t t = 0; t < tiles; ++t) {
    V acc[S][NV];
    for (int s = 0; s < S; ++s)
      for (int v = 0; v < NV; ++v) acc[s][v] = load(bp + t * TJ + v * L);
    const Acc* wt = wp + t * n_in * TJ;
    for (int64_t i = 0; i < n_in; ++i) {
      V w[NV];
      for (int v = 0; v < NV; ++v) w[v] = load(wt + i * TJ + v * L);
      for (int s = 0; s < S; ++s) {  // S samples: independent adds, weights loaded once
        const Acc xi = static_cast<Acc>(x[s * n_in + i]);
        if constexpr (Mul32) {
          const V xv = V{} + xi;
          for (int v = 0; v < NV; ++v) acc[s][v] += mul_small(xv, w[v]);
        } else {
          for (int v = 0; v < NV; ++v) acc[s][v] += xi * w[v];
        }
      }
    }
    for (int s = 0; s < S; ++s)
      for (int v = 0; v < NV; ++v) store(sums + s * row + t * TJ + v * L, acc[s][v]);
  }
}

template <class Acc, int TJ, bool Mul32>
void DenseKernel::exact_tiled(const DenseKernel& d, const int64_t* x, int64_t* out, size_t n, int64_t& ovf) {
  // Sums for the whole block, padded to whole tiles, then one cast over the block (one mode dispatch).
  constexpr size_t kGroup = 4;
  const size_t n_in = static_cast<size_t>(d.n_in_);
  const int64_t row = (d.n_out_ + TJ - 1) / TJ * TJ;
  std::vector<Acc> sums(n * static_cast<size_t>(row));
  size_t s = 0;
  for (; s + kGroup <= n; s += kGroup) exact_group<Acc, TJ, Mul32, kGroup>(d, x + s * n_in, sums.data() + s * row, row);
  for (; s < n; ++s) exact_group<Acc, TJ, Mul32, 1>(d, x + s * n_in, sums.data() + s * row, row);
  d.cast_block(sums.data(), static_cast<size_t>(row), out, n, ovf);
}

// round_increment on vectors: the comparisons give lane masks (-1 for true), so the increment is the negated mask.
template <Rounding R>
inline Vec<int64_t> round_increment_v(Vec<int64_t> q, Vec<int64_t> rem, int64_t half) {
  const Vec<int64_t> zero = q - q;
  return -numeric::round_up<R, Vec<int64_t>>(q < zero, rem >= half, (rem & (half - 1)) != zero, (q & 1) != zero);
}

template <Rounding R, Overflow O, bool Mul32, int S>
void DenseKernel::step64_group(const DenseKernel& d, const int64_t* x, int64_t* sums, int64_t row) {
  using V = Vec<int64_t>;
  constexpr int TJ = kTileStep, L = sizeof(V) / sizeof(int64_t), NV = TJ / L;
  constexpr bool kDeferredWrap =
      O == Overflow::WRAP && (R == Rounding::TRN || R == Rounding::RND || R == Rounding::RND_MIN_INF);
  auto mul = [](int64_t xi, V w) -> V {
    if constexpr (Mul32) return mul_small(V{} + xi, w);
    else return xi * w;
  };
  const int64_t n_in = d.n_in_, n_out = d.n_out_, tiles = (n_out + TJ - 1) / TJ;
  const int k = d.k_;
  const int64_t mask = d.mask_, half = d.half_, lo = d.a_lo_, hi = d.a_hi_, wrap = d.a_wrap_mask_;
  for (int64_t t = 0; t < tiles; ++t) {
    V acc[S][NV];
    for (int s = 0; s < S; ++s)
      for (int v = 0; v < NV; ++v) acc[s][v] = load(d.acc0_.data() + t * TJ + v * L);
    const int64_t* wt = d.w64_.data() + t * n_in * TJ;
    for (int64_t i = 0; i < n_in; ++i) {
      V w[NV];
      for (int v = 0; v < NV; ++v) w[v] = load(wt + i * TJ + v * L);
      for (int s = 0; s < S; ++s) {  // S independent samples hide the step's latency chain
        const int64_t xi = x[s * n_in + i];
        for (int v = 0; v < NV; ++v) {
          const V p = mul(xi, w[v]);
          if constexpr (kDeferredWrap) {
            // With WRAP and a rounding that ignores acc (TRN, RND, RND_MIN_INF), acc_{i+1} =
            // wrap(acc_i + r_i) with r_i from the product alone; wrapping is modular, so one wrap at
            // the end gives the same result. The sum runs modulo 2^64 (a multiple of 2^W).
            const V r = (p >> k) + round_increment_v<R>(p, p & mask, half);
            acc[s][v] = (V)((VecU64)acc[s][v] + (VecU64)r);  // vector casts reinterpret the bits
          } else {
            V q = acc[s][v] + (p >> k);  // floor((acc * 2^k + p) / 2^k)
            q += round_increment_v<R>(q, p & mask, half);
            if constexpr (O == Overflow::SAT) {
              q = q < lo ? lo : q;
              q = q > hi ? hi : q;
            } else {  // WRAP: ((q - lo) mod 2^W) + lo
              q = ((q - lo) & wrap) + lo;
            }
            acc[s][v] = q;
          }
        }
      }
    }
    for (int s = 0; s < S; ++s) {
      if constexpr (kDeferredWrap) {
        const uint64_t ulo = static_cast<uint64_t>(lo), uwrap = static_cast<uint64_t>(wrap);
        for (int v = 0; v < NV; ++v) {
          acc[s][v] = (V)((((VecU64)acc[s][v] - ulo) & uwrap) + ulo);
        }
      }
      for (int v = 0; v < NV; ++v) store(sums + s * row + t * TJ + v * L, acc[s][v]);
    }
  }
}

template <Rounding R, Overflow O, bool Mul32>
void DenseKernel::step64_tiled(const DenseKernel& d, const int64_t* x, int64_t* out, size_t n, int64_t& ovf) {
  constexpr size_t kGroup = 4;
  const size_t n_in = static_cast<size_t>(d.n_in_);
  const int64_t row = (d.n_out_ + kTileStep - 1) / kTileStep * kTileStep;
  std::vector<int64_t> sums(n * static_cast<size_t>(row));
  size_t s = 0;
  for (; s + kGroup <= n; s += kGroup) step64_group<R, O, Mul32, kGroup>(d, x + s * n_in, sums.data() + s * row, row);
  for (; s < n; ++s) step64_group<R, O, Mul32, 1>(d, x + s * n_in, sums.data() + s * row, row);
  d.cast_block(sums.data(), static_cast<size_t>(row), out, n, ovf);
}

bool DenseKernel::try_step64(const std::vector<int64_t>& w) {
  const int fp = fx_ + fw_;
  if (ta_.overflow != Overflow::WRAP && ta_.overflow != Overflow::SAT) return false;
  // acc + p/2^k must not overflow int64 while acc is kept in range (wrapped/clamped every step); the
  // deferred-wrap kernels sum modulo 2^64 instead, so they take any accumulator up to 64 bits.
  const bool deferred = ta_.overflow == Overflow::WRAP && (ta_.rounding == Rounding::TRN ||
                                                           ta_.rounding == Rounding::RND ||
                                                           ta_.rounding == Rounding::RND_MIN_INF);
  if (ta_.width > (deferred ? 64 : 61)) return false;
  k_ = std::max(0, fp - fa_);
  const int ws = std::max(0, fa_ - fp);  // products brought up to accum's fraction when it has more bits
  if (k_ > 60 || ws > 60) return false;
  const i128 max_x = std::max(abs128(tx_.raw_min()), abs128(tx_.raw_max()));
  i128 max_w = 0;
  for (int64_t v : w) max_w = std::max(max_w, abs128(static_cast<i128>(v) << ws));
  if (bit_length(max_w) + bit_length(max_x) > 61) return false;  // p and acc + p/2^k stay inside int64
  for (int64_t v : w) w64_.push_back(v * (int64_t{1} << ws));
  w64_ = pack(w64_, kTileStep, true);
  acc0_ = pack(acc0_, kTileStep, false);
  mask_ = k_ > 0 ? (int64_t{1} << k_) - 1 : 0;
  half_ = k_ > 0 ? int64_t{1} << (k_ - 1) : 1;
  a_lo_ = ta_.raw_min();
  a_hi_ = ta_.raw_max();
  a_wrap_mask_ = ta_.width >= 64 ? int64_t{-1} : static_cast<int64_t>((uint64_t{1} << ta_.width) - 1);  // no UB at 63
  plan_ = Plan::Step64;
  // Inputs and (pre-shifted) weights within int32 multiply as 32x32 -> 64 bits.
  const bool mul32 = max_x < (static_cast<i128>(1) << 31) && max_w < (static_cast<i128>(1) << 31);
  auto pick = [&]<Rounding R>() -> BlockFn {
    if (ta_.overflow == Overflow::SAT)
      return mul32 ? &step64_tiled<R, Overflow::SAT, true> : &step64_tiled<R, Overflow::SAT, false>;
    return mul32 ? &step64_tiled<R, Overflow::WRAP, true> : &step64_tiled<R, Overflow::WRAP, false>;
  };
  block_fn_ = numeric::with_rounding(ta_.rounding, [&]<Rounding R>() { return pick.template operator()<R>(); });
  return true;
}

void DenseKernel::setup_general(const NodeContext& c, const std::vector<int64_t>& w) {
  plan_ = Plan::StepGeneral;
  const int fp = fx_ + fw_;
  fc_ = std::max(fa_, fp);
  sa_ = fc_ - fa_;
  sp_ = fc_ - fp;
  if (fc_ > 256 || ta_.width + sa_ > 124 || tx_.width + tw_.width + sp_ > 124)
    c.fail("input " + tx_.str() + " x weight " + tw_.str() + " with accumulator " + ta_.str() +
               " needs more than 128-bit intermediates",
           "use narrower types (at most 64 bits and compatible fractions)");
  w64_ = w;
}

void DenseKernel::run_general(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  std::vector<int64_t> acc(static_cast<size_t>(n_out_));
  for (size_t s = 0; s < n; ++s) {
    const int64_t* xs = x + s * static_cast<size_t>(n_in_);
    acc = acc0_;
    for (int64_t i = 0; i < n_in_; ++i) {
      const i128 xi = xs[i];
      const int64_t* wr = w64_.data() + i * n_out_;
      for (int64_t j = 0; j < n_out_; ++j) {
        const i128 v = (static_cast<i128>(acc[static_cast<size_t>(j)]) << sa_) + ((xi * wr[j]) << sp_);
        acc[static_cast<size_t>(j)] = numeric::quantize(v, fc_, ta_).raw;
      }
    }
    out_cast_.cast_many(acc.data(), out + s * static_cast<size_t>(n_out_), acc.size(), ovf);
  }
}


// ------------------------------------------------------------------------------------ lane plans
// 32-byte vectors: one AVX2 register (two SSE ones, or scalar code, elsewhere).
typedef double VecF64x4 __attribute__((vector_size(32)));
typedef int32_t VecI32x8 __attribute__((vector_size(32)));
template <class T>
struct Vec32Of;
template <>
struct Vec32Of<double> {
  using type = VecF64x4;
};
template <>
struct Vec32Of<int32_t> {
  using type = VecI32x8;
};

// v in every lane, as one broadcast from memory (`V{} + v` costs a scalar add first for doubles: 0.0 + v is
// not v for v = -0.0, so the compiler keeps it).
template <class V, class T>
inline V splat(T v) {
  if constexpr (sizeof(V) / sizeof(T) == 4) return V{v, v, v, v};
  else return V{v, v, v, v, v, v, v, v};
}

int64_t DenseKernel::lane_row() const {
  const int64_t tj = plan_ == Plan::ExactF64 ? kLanesF64 : kLanesI32;
  return (n_out_ + tj - 1) / tj * tj;
}

// S rows times one tile of outputs at a time, the tile's 2*S accumulators in registers for the whole row:
// acc = bias, then acc += x * w over the row's segments in order (exact: see the top of this file).
template <class T, int S>
void DenseKernel::mac_group(const T* bp, const T* base, const Seg* segs, int nseg, const int32_t* offs, int ostride,
                            T* sums, int64_t row) const {
  using V = typename Vec32Of<T>::type;
  constexpr int L = sizeof(V) / sizeof(T), NV = 2, TJ = L * NV;
  const int64_t tiles = row / TJ;
  const T* wp = lane_weights<T>().data();
  for (int64_t t = 0; t < tiles; ++t) {
    V acc[S][NV];
    for (int s = 0; s < S; ++s)
      for (int v = 0; v < NV; ++v) acc[s][v] = load32<V>(bp + t * TJ + v * L);
    const T* wt = wp + t * n_in_ * TJ;
    for (int g = 0; g < nseg; ++g) {
      const T* x[S];
      for (int s = 0; s < S; ++s) x[s] = base + offs[g * ostride + s];
      const T* w = wt + static_cast<int64_t>(segs[g].start) * TJ;
      const int len = segs[g].len;
      for (int c = 0; c < len; ++c, w += TJ) {
        V wv[NV];
        for (int v = 0; v < NV; ++v) wv[v] = load32<V>(w + v * L);
        for (int s = 0; s < S; ++s) {
          const V xb = splat<V>(x[s][c]);
          for (int v = 0; v < NV; ++v) acc[s][v] += xb * wv[v];
        }
      }
    }
    for (int s = 0; s < S; ++s)
      for (int v = 0; v < NV; ++v) std::memcpy(sums + s * row + t * TJ + v * L, &acc[s][v], sizeof(V));
  }
}

template <class T>
void DenseKernel::mac_rows(const T* bp, const T* base, const WinGroup& g, T* sums, int64_t row) const {
  const Seg* segs = segs_.data() + g.seg0;
  const int32_t* offs = offs_.data() + g.off0;
  if (g.rows == kWinRows) return mac_group<T, kWinRows>(bp, base, segs, g.nseg, offs, kWinRows, sums, row);
  for (int r = 0; r < g.rows; ++r) mac_group<T, 1>(bp, base, segs, g.nseg, offs + r, kWinRows, sums + r * row, row);
}

// Dense rows on lanes: the block's inputs converted once, then groups of kWinRows samples.
template <class T>
void DenseKernel::rows_lanes(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  const size_t n_in = static_cast<size_t>(n_in_);
  const int64_t row = lane_row();
  std::vector<T> xs(n * n_in), sums(n * static_cast<size_t>(row));
  std::vector<int64_t> q(std::is_same_v<T, double> ? sums.size() : 0);
  const Seg seg{0, static_cast<int32_t>(n_in_)};
  int32_t offs[kWinRows];
  for (int r = 0; r < kWinRows; ++r) offs[r] = static_cast<int32_t>(r * n_in_);
  auto mac_all = [&](const T* bp, T* sm) {
    size_t s = 0;
    for (; s + kWinRows <= n; s += kWinRows)
      mac_group<T, kWinRows>(bp, xs.data() + s * n_in, &seg, 1, offs, kWinRows, sm + s * row, row);
    for (; s < n; ++s) mac_group<T, 1>(bp, xs.data() + s * n_in, &seg, 1, offs, 1, sm + s * row, row);
  };
  if constexpr (std::is_same_v<T, double>) {
    if (limb_k_ > 0) {  // two limbs: low = b + sum xl*w, high = sum xh*w
      const int64_t mask = (int64_t{1} << limb_k_) - 1;
      std::vector<double> hi(sums.size());
      for (size_t e = 0; e < xs.size(); ++e) xs[e] = static_cast<double>(x[e] & mask);
      mac_all(bf_.data(), sums.data());
      for (size_t e = 0; e < xs.size(); ++e) xs[e] = static_cast<double>(x[e] >> limb_k_);
      mac_all(bz_.data(), hi.data());
      combine_limbs(sums.data(), hi.data(), q.data(), q.size());
      cast_block(q.data(), static_cast<size_t>(row), out, n, ovf);
      return;
    }
  }
  for (size_t e = 0; e < xs.size(); ++e) xs[e] = static_cast<T>(x[e]);
  mac_all(lane_bias<T>().data(), sums.data());
  cast_lanes(sums.data(), static_cast<size_t>(row), out, n, ovf, q.data());
}

void DenseKernel::to_int64(const double* in, int64_t* out, size_t n) const {
  if (f64_small_) {
    // Integers held in doubles to int64 in a loop that vectorises: for |v| < 2^51, v + 1.5 * 2^52 lies in
    // [2^52, 2^53), where the last mantissa bit is 1, so the add is exact and the mantissa holds v + 2^51.
    constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
    const int64_t bits = std::bit_cast<int64_t>(kMagic);
    for (size_t e = 0; e < n; ++e) out[e] = std::bit_cast<int64_t>(in[e] + kMagic) - bits;
  } else {
    for (size_t e = 0; e < n; ++e) out[e] = static_cast<int64_t>(in[e]);
  }
}

void DenseKernel::combine_limbs(const double* lo, const double* hi, int64_t* out, size_t n) const {
  int64_t tmp[256];
  for (size_t e0 = 0; e0 < n; e0 += 256) {
    const size_t m = std::min<size_t>(256, n - e0);
    to_int64(hi + e0, tmp, m);
    to_int64(lo + e0, out + e0, m);
    for (size_t e = 0; e < m; ++e)
      out[e0 + e] = static_cast<int64_t>((static_cast<uint64_t>(tmp[e]) << limb_k_) + static_cast<uint64_t>(out[e0 + e]));
  }
}

template <class T>
void DenseKernel::cast_lanes(const T* sums, size_t row, int64_t* out, size_t n, int64_t& ovf, int64_t* scratch) const {
  if constexpr (std::is_same_v<T, double>) {
    to_int64(sums, scratch, n * row);
    cast_block(scratch, row, out, n, ovf);
  } else {
    cast_block(sums, row, out, n, ovf);
  }
}

bool DenseKernel::prepare_windows(const ConvWindows& w0) {
  if (plan_ != Plan::ExactF64 && plan_ != Plan::Exact32 && plan_ != Plan::Step16 && plan_ != Plan::Exact16)
    return false;
  if (w0.taps * w0.cin != n_in_ || static_cast<int64_t>(w0.gather.size()) != w0.out_pixels * w0.taps) return false;
  // Exact16 reads pairs of channels: the map is converted with an even number of channels per pixel (an odd
  // count gets a zero channel, whose weight rows are zero), so that every segment starts and ends on a pair.
  ConvWindows padded;
  if (plan_ == Plan::Exact16 && w0.cin % 2 != 0) {
    padded = w0;
    padded.cin = w0.cin + 1;
  }
  const ConvWindows& w = padded.cin > 0 ? padded : w0;
  win_cin_ = w0.cin;
  win_cin2_ = w.cin;
  win_in_pixels_ = w.in_pixels;
  if (plan_ == Plan::Exact16) {
    if (w.cin == w0.cin) {
      w16p_win_ = w16p_rows_;
    } else {
      std::vector<int16_t> wp(static_cast<size_t>(w.taps * w.cin * n_out_), 0);
      for (int64_t t = 0; t < w.taps; ++t)
        for (int64_t c = 0; c < w0.cin; ++c)
          std::copy_n(w16_.begin() + (t * w0.cin + c) * n_out_, n_out_, wp.begin() + (t * w.cin + c) * n_out_);
      w16p_win_ = pack_pairs(wp, w.taps * w.cin);
    }
  }
  win_in_values_ = w.in_pixels * w.cin;
  win_buffer_ = win_in_values_ + w.taps * w.cin;
  if (win_buffer_ > std::numeric_limits<int32_t>::max()) return false;
  win_pixels_ = w.out_pixels;
  auto off = [&](int64_t p, int64_t t) -> int64_t {  // where tap t of pixel p starts in the converted buffer
    const int32_t q = w.gather[static_cast<size_t>(p * w.taps + t)];
    return q >= 0 ? q * w.cin : win_in_values_ + t * w.cin;
  };
  auto padding = [&](int64_t p, int64_t t) { return w.gather[static_cast<size_t>(p * w.taps + t)] < 0; };
  for (int64_t p0 = 0; p0 < w.out_pixels; p0 += kWinRows) {
    WinGroup g{static_cast<int32_t>(p0), static_cast<int32_t>(std::min<int64_t>(kWinRows, w.out_pixels - p0)),
               static_cast<int32_t>(segs_.size()), 0, static_cast<int32_t>(offs_.size())};
    bool open = false;
    for (int64_t t = 0; t < w.taps; ++t) {
      bool all_pad = true, extends = open;
      for (int r = 0; r < g.rows; ++r) {
        all_pad = all_pad && padding(p0 + r, t);
        extends = extends && off(p0 + r, t) == off(p0 + r, t - 1) + w.cin;
      }
      if (all_pad) {  // every row reads zeros here: adding x * w = 0 changes no sum
        open = false;
        continue;
      }
      if (extends) {
        segs_.back().len += static_cast<int32_t>(w.cin);
        continue;
      }
      segs_.push_back({static_cast<int32_t>(t * w.cin), static_cast<int32_t>(w.cin)});
      for (int r = 0; r < kWinRows; ++r) offs_.push_back(static_cast<int32_t>(off(p0 + std::min(r, g.rows - 1), t)));
      ++g.nseg;
      open = true;
    }
    groups_.push_back(g);
  }
  windows_ = true;
  return true;
}

template <class T>
void DenseKernel::windows_lanes(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  const int64_t row = lane_row();
  const size_t n_out = static_cast<size_t>(n_out_), pixels = static_cast<size_t>(win_pixels_);
  std::vector<T> map(static_cast<size_t>(win_buffer_), T{0}), sums(pixels * static_cast<size_t>(row));
  auto mac_all = [&](const T* bp, T* sm) {
    for (const WinGroup& g : groups_) mac_rows<T>(bp, map.data(), g, sm + static_cast<size_t>(g.first * row), row);
  };
  std::vector<double> hi(limb_k_ > 0 ? sums.size() : 0);
  std::vector<int64_t> q(std::is_same_v<T, double> ? sums.size() : 0);
  for (size_t s = 0; s < n; ++s) {
    const int64_t* xs = x + s * static_cast<size_t>(win_in_values_);
    int64_t* ys = out + s * pixels * n_out;
    if constexpr (std::is_same_v<T, double>) {
      if (limb_k_ > 0) {  // two limbs (the zeros after the map split into zeros)
        const int64_t mask = (int64_t{1} << limb_k_) - 1;
        for (int64_t e = 0; e < win_in_values_; ++e) map[static_cast<size_t>(e)] = static_cast<double>(xs[e] & mask);
        mac_all(bf_.data(), sums.data());
        for (int64_t e = 0; e < win_in_values_; ++e) map[static_cast<size_t>(e)] = static_cast<double>(xs[e] >> limb_k_);
        mac_all(bz_.data(), hi.data());
        combine_limbs(sums.data(), hi.data(), q.data(), q.size());
        cast_block(q.data(), static_cast<size_t>(row), ys, pixels, ovf);
        continue;
      }
    }
    for (int64_t e = 0; e < win_in_values_; ++e) map[static_cast<size_t>(e)] = static_cast<T>(xs[e]);
    mac_all(lane_bias<T>().data(), sums.data());
    cast_lanes(sums.data(), static_cast<size_t>(row), ys, pixels, ovf, q.data());
  }
}

void DenseKernel::run_windows(const int64_t* x, int64_t* out, size_t n, int64_t& overflows) const {
  if (plan_ == Plan::ExactF64) return windows_lanes<double>(x, out, n, overflows);
  if (plan_ == Plan::Step16) return step16_windows(x, out, n, overflows);
  if (plan_ == Plan::Exact16) return exact16_windows(x, out, n, overflows);
  return windows_lanes<int32_t>(x, out, n, overflows);
}

// ------------------------------------------------------------------------------------ exact int16 pairs
std::vector<int16_t> DenseKernel::pack_pairs(const std::vector<int16_t>& w, int64_t rows) const {
  constexpr int64_t L = lanes16::kLanes;
  const int64_t tiles = (n_out_ + L - 1) / L, pairs = rows / 2;
  std::vector<int16_t> p(static_cast<size_t>(tiles * pairs * L * 2), 0);
  for (int64_t t = 0; t < tiles; ++t)
    for (int64_t q = 0; q < pairs; ++q)
      for (int64_t l = 0; l < L && t * L + l < n_out_; ++l)
        for (int64_t h = 0; h < 2; ++h)
          p[static_cast<size_t>(((t * pairs + q) * L + l) * 2 + h)] = w[static_cast<size_t>((2 * q + h) * n_out_ + t * L + l)];
  return p;
}

void DenseKernel::exact16_rows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  const size_t n_in = static_cast<size_t>(n_in_), n_in2 = (n_in + 1) / 2 * 2;
  const int64_t row = (n_out_ + lanes16::kLanes - 1) / lanes16::kLanes * lanes16::kLanes;
  std::vector<int16_t> xs(n * n_in2, 0);
  std::vector<int32_t> sums(n * static_cast<size_t>(row));
  for (size_t s = 0; s < n; ++s)
    for (size_t i = 0; i < n_in; ++i) xs[s * n_in2 + i] = static_cast<int16_t>(x[s * n_in + i]);  // int16: the input type
  const Seg seg{0, static_cast<int32_t>(n_in2)};
  int32_t offs[kWinRows];
  for (int r = 0; r < kWinRows; ++r) offs[r] = static_cast<int32_t>(static_cast<size_t>(r) * n_in2);
  const lanes16::PairWeights pw = pair_weights(w16p_rows_, static_cast<int64_t>(n_in2));
  for (size_t s = 0; s < n; s += kWinRows) {
    const int rows = static_cast<int>(std::min<size_t>(kWinRows, n - s));
    lanes16::pair_rows(pw, xs.data() + s * n_in2, &seg, 1, offs, kWinRows, rows, sums.data() + s * row, row);
  }
  cast_block(sums.data(), static_cast<size_t>(row), out, n, ovf);
}

void DenseKernel::exact16_windows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  const int64_t row = (n_out_ + lanes16::kLanes - 1) / lanes16::kLanes * lanes16::kLanes;
  const size_t n_out = static_cast<size_t>(n_out_), pixels = static_cast<size_t>(win_pixels_);
  std::vector<int16_t> map(static_cast<size_t>(win_buffer_), 0);  // the padding channel and tail stay 0
  std::vector<int32_t> sums(pixels * static_cast<size_t>(row));
  const lanes16::PairWeights pw = pair_weights(w16p_win_, n_in_ / win_cin_ * win_cin2_);
  const size_t in_values = static_cast<size_t>(win_in_pixels_ * win_cin_);
  for (size_t s = 0; s < n; ++s) {
    const int64_t* xs = x + s * in_values;
    for (int64_t q = 0; q < win_in_pixels_; ++q)
      for (int64_t c = 0; c < win_cin_; ++c)
        map[static_cast<size_t>(q * win_cin2_ + c)] = static_cast<int16_t>(xs[q * win_cin_ + c]);
    for (const WinGroup& g : groups_)
      lanes16::pair_rows(pw, map.data(), segs_.data() + g.seg0, g.nseg, offs_.data() + g.off0, kWinRows, g.rows,
                         sums.data() + static_cast<size_t>(g.first) * static_cast<size_t>(row), row);
    cast_block(sums.data(), static_cast<size_t>(row), out + s * pixels * n_out, pixels, ovf);
  }
}

// ------------------------------------------------------------------------------------ step int16
// The Step16 plan (why it is exact: the top of this file). Weights become mulhi/mullo operands, packed per
// tile of 32 outputs.
bool DenseKernel::try_step16(const std::vector<int64_t>& w) {
  if (ta_.overflow != Overflow::WRAP || ta_.rounding != Rounding::TRN || ta_.width > 16) return false;
  if (tx_.raw_min() < std::numeric_limits<int16_t>::min() || tx_.raw_max() > std::numeric_limits<int16_t>::max())
    return false;
  if (n_in_ > std::numeric_limits<int32_t>::max() / (2 * kWinRows)) return false;  // row offsets are int32
  const int fp = fx_ + fw_, k = std::max(0, fp - fa_), ws = std::max(0, fa_ - fp);
  std::vector<int16_t> hi(w.size(), 0), lo(w.size(), 0);
  auto mod16 = [](i128 v) { return static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint64_t>(v))); };
  for (size_t e = 0; e < w.size(); ++e) {
    const i128 v = w[e];
    if (k == 0) {  // nothing rounds: the term is x * (w * 2^ws) modulo 2^16
      lo[e] = ws >= 16 ? 0 : mod16(v << ws);
    } else if (k <= 16) {  // w = q * 2^k + r, r in [-2^(k-1), 2^(k-1))
      const i128 m = static_cast<i128>(1) << k;
      i128 r = v & (m - 1);
      if (r >= m / 2) r -= m;
      hi[e] = static_cast<int16_t>(r << (16 - k));  // in [-2^15, 2^15)
      lo[e] = mod16((v - r) >> k);                  // q modulo 2^16 (v - r is a multiple of 2^k)
    } else {  // floor(x * w / 2^k) = floor(mulhi(x, w) / 2^(k-16)): w itself must be an int16
      if (v < std::numeric_limits<int16_t>::min() || v > std::numeric_limits<int16_t>::max()) return false;
      hi[e] = static_cast<int16_t>(v);
    }
  }
  shift16_ = k > 16 ? std::min(k - 16, 15) : 0;
  const int64_t tiles = (n_out_ + lanes16::kLanes - 1) / lanes16::kLanes, per_tile = n_in_ * lanes16::kLanes;
  w16_hi_ = pack(hi, lanes16::kLanes, true);
  w16_lo_ = pack(lo, lanes16::kLanes, true);
  for (int64_t t = 0; t < tiles; ++t) {
    auto any = [&](const std::vector<int16_t>& v) {
      return std::any_of(v.begin() + t * per_tile, v.begin() + (t + 1) * per_tile, [](int16_t e) { return e != 0; });
    };
    tile16_hi_.push_back(any(w16_hi_) ? 1 : 0);
    tile16_lo_.push_back(any(w16_lo_) ? 1 : 0);
  }
  std::vector<int16_t> a(acc0_.size());
  for (size_t j = 0; j < a.size(); ++j) a[j] = mod16(acc0_[j]);
  acc16_ = pack(a, lanes16::kLanes, false);
  a_lo_ = ta_.raw_min();
  a_wrap_mask_ = static_cast<int64_t>((uint64_t{1} << ta_.width) - 1);
  plan_ = Plan::Step16;
  return true;
}

lanes16::StepWeights DenseKernel::step16_weights() const {
  lanes16::StepWeights sw;
  sw.hi = w16_hi_.data();
  sw.lo = w16_lo_.data();
  sw.tile_hi = tile16_hi_.data();
  sw.tile_lo = tile16_lo_.data();
  sw.acc0 = acc16_.data();
  sw.shift = shift16_;
  sw.n_in = n_in_;
  sw.tiles = static_cast<int64_t>(tile16_hi_.size());
  return sw;
}

void DenseKernel::step16_finish(const int16_t* sums, size_t row, int64_t* out, size_t n, int64_t& ovf) const {
  const size_t n_out = static_cast<size_t>(n_out_);
  std::vector<int64_t> acc(n * n_out);
  // ((S - lo) mod 2^W) + lo from S mod 2^16 (2^W divides 2^16 and 2^64).
  const uint64_t lo = static_cast<uint64_t>(a_lo_), mask = static_cast<uint64_t>(a_wrap_mask_);
  for (size_t s = 0; s < n; ++s)
    for (size_t j = 0; j < n_out; ++j) {
      const uint64_t u = static_cast<uint16_t>(sums[s * row + j]);
      acc[s * n_out + j] = static_cast<int64_t>(((u - lo) & mask) + lo);
    }
  out_cast_.cast_many(acc.data(), out, acc.size(), ovf);
}

void DenseKernel::step16_rows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  const size_t n_in = static_cast<size_t>(n_in_);
  const int64_t row = static_cast<int64_t>(tile16_hi_.size()) * lanes16::kLanes;
  std::vector<int16_t> xs(n * n_in), sums(n * static_cast<size_t>(row));
  for (size_t e = 0; e < xs.size(); ++e) xs[e] = static_cast<int16_t>(x[e]);  // inside int16: the input type's range
  const Seg seg{0, static_cast<int32_t>(n_in_)};
  int32_t offs[kWinRows];
  for (int r = 0; r < kWinRows; ++r) offs[r] = static_cast<int32_t>(r * n_in_);
  const lanes16::StepWeights sw = step16_weights();
  for (size_t s = 0; s < n; s += kWinRows) {
    const int rows = static_cast<int>(std::min<size_t>(kWinRows, n - s));
    lanes16::step_rows(sw, xs.data() + s * n_in, &seg, 1, offs, kWinRows, rows, sums.data() + s * row, row);
  }
  step16_finish(sums.data(), static_cast<size_t>(row), out, n, ovf);
}

void DenseKernel::step16_windows(const int64_t* x, int64_t* out, size_t n, int64_t& ovf) const {
  const int64_t row = static_cast<int64_t>(tile16_hi_.size()) * lanes16::kLanes;
  const size_t n_out = static_cast<size_t>(n_out_), pixels = static_cast<size_t>(win_pixels_);
  std::vector<int16_t> map(static_cast<size_t>(win_buffer_), 0), sums(pixels * static_cast<size_t>(row));
  const lanes16::StepWeights sw = step16_weights();
  for (size_t s = 0; s < n; ++s) {
    const int64_t* xs = x + s * static_cast<size_t>(win_in_values_);
    for (int64_t e = 0; e < win_in_values_; ++e) map[static_cast<size_t>(e)] = static_cast<int16_t>(xs[e]);
    for (const WinGroup& g : groups_)
      lanes16::step_rows(sw, map.data(), segs_.data() + g.seg0, g.nseg, offs_.data() + g.off0, kWinRows, g.rows,
                         sums.data() + static_cast<size_t>(g.first) * static_cast<size_t>(row), row);
    step16_finish(sums.data(), static_cast<size_t>(row), out + s * pixels * n_out, pixels, ovf);
  }
}

void DenseKernel::run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const {
  switch (plan_) {
    case Plan::Exact32:
    case Plan::Exact64:
    case Plan::Step64: return block_fn_(*this, in[0], out, n, overflows);
    case Plan::ExactF64: return rows_lanes<double>(in[0], out, n, overflows);
    case Plan::Step16: return step16_rows(in[0], out, n, overflows);
    case Plan::Exact16: return exact16_rows(in[0], out, n, overflows);
    case Plan::StepGeneral: return run_general(in[0], out, n, overflows);
  }
}

}  // namespace

std::unique_ptr<Kernel> make_dense(const NodeContext& c) {
  return std::make_unique<DenseKernel>(c, c.input(0).size(), c.output().size(), c.param("weight").raw);
}

std::unique_ptr<DenseCore> make_dense_core(const NodeContext& c, int64_t n_in, int64_t n_out, const std::vector<int64_t>& w) {
  return std::make_unique<DenseKernel>(c, n_in, n_out, w);
}

std::unique_ptr<Kernel> make_dense_product(const NodeContext& c, const DenseOperands& d) {
  return std::make_unique<DenseKernel>(c, d);
}

}  // namespace firmnet::emulator
