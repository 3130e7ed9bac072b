// The int16-lane kernels (lanes16.h): the same kernels (lanes16_kernel.inc) compiled for AVX-512 VNNI (the
// pair products as vpdpwssd), AVX-512BW (one 512-bit register per tile of 32 outputs), AVX2 (two 256-bit
// registers) and portable C++,
// each in functions with their own target attribute (the rest of the build is compiled without AVX-512), and
// picked at run time. The results are the same bits on every path (tests/emulator/dense_test.cpp runs each).
#include "emulator/lanes16.h"

#include <atomic>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FIRMNET_LANES16_X86 1
#endif

namespace firmnet::emulator::lanes16 {
namespace {

// ------------------------------------------------------------------------------------------- portable
namespace portable {
#define LANES16_TARGET
constexpr int kS = 2;
struct Ops {
  struct V {
    int16_t v[kLanes];
  };
  static V load(const int16_t* p) {
    V r;
    std::memcpy(r.v, p, sizeof r.v);
    return r;
  }
  static void store(int16_t* p, const V& a) { std::memcpy(p, a.v, sizeof a.v); }
  static V splat(const int16_t* p) {
    V r;
    for (int l = 0; l < kLanes; ++l) r.v[l] = *p;
    return r;
  }
  // Sums modulo 2^16 through uint16 (no signed overflow); an int16 conversion of a value beyond its range
  // is modular (C++20).
  static V add(const V& a, const V& b) {
    V r;
    for (int l = 0; l < kLanes; ++l) r.v[l] = static_cast<int16_t>(static_cast<uint16_t>(a.v[l]) + static_cast<uint16_t>(b.v[l]));
    return r;
  }
  static V mulhi(const V& a, const V& b) {  // floor(a * b / 2^16): an arithmetic shift of the exact product
    V r;
    for (int l = 0; l < kLanes; ++l) r.v[l] = static_cast<int16_t>((int32_t{a.v[l]} * int32_t{b.v[l]}) >> 16);
    return r;
  }
  static V mullo(const V& a, const V& b) {
    V r;
    for (int l = 0; l < kLanes; ++l) r.v[l] = static_cast<int16_t>(int32_t{a.v[l]} * int32_t{b.v[l]});
    return r;
  }
  static V sra(const V& a, int k) {
    V r;
    for (int l = 0; l < kLanes; ++l) r.v[l] = static_cast<int16_t>(a.v[l] >> k);
    return r;
  }
};
struct Ops32 {
  struct V {
    int32_t v[16];
  };
  static V load(const int32_t* p) {
    V r;
    std::memcpy(r.v, p, sizeof r.v);
    return r;
  }
  static V load16(const int16_t* p) {  // 16 pairs of int16, each pair as the int32 lane holding its bytes
    V r;
    std::memcpy(r.v, p, sizeof r.v);
    return r;
  }
  static void store(int32_t* p, const V& a) { std::memcpy(p, a.v, sizeof a.v); }
  static V splat2(const int16_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    V r;
    for (int l = 0; l < 16; ++l) r.v[l] = v;
    return r;
  }
  static V dp(const V& acc, const V& x, const V& w) {  // modulo 2^32 through uint32 (no signed overflow)
    V r;
    for (int l = 0; l < 16; ++l) {
      int16_t xs[2], ws[2];
      std::memcpy(xs, &x.v[l], sizeof xs);
      std::memcpy(ws, &w.v[l], sizeof ws);
      r.v[l] = static_cast<int32_t>(static_cast<uint32_t>(acc.v[l]) + static_cast<uint32_t>(int32_t{xs[0]} * ws[0]) +
                                    static_cast<uint32_t>(int32_t{xs[1]} * ws[1]));
    }
    return r;
  }
};
#include "emulator/lanes16_kernel.inc"
#undef LANES16_TARGET
}  // namespace portable

#if defined(FIRMNET_LANES16_X86)
// ----------------------------------------------------------------------------------------------- AVX2
namespace avx2 {
#define LANES16_TARGET __attribute__((target("avx2")))
constexpr int kS = 3;  // 6 accumulator registers of 16 (two per row)
struct Ops {
  struct V {
    __m256i a, b;
  };
  LANES16_TARGET static V load(const int16_t* p) {
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16))};
  }
  LANES16_TARGET static void store(int16_t* p, const V& v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v.a);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p + 16), v.b);
  }
  LANES16_TARGET static V splat(const int16_t* p) {
    const __m256i x = _mm256_set1_epi16(*p);
    return {x, x};
  }
  LANES16_TARGET static V add(const V& x, const V& y) { return {_mm256_add_epi16(x.a, y.a), _mm256_add_epi16(x.b, y.b)}; }
  LANES16_TARGET static V mulhi(const V& x, const V& y) { return {_mm256_mulhi_epi16(x.a, y.a), _mm256_mulhi_epi16(x.b, y.b)}; }
  LANES16_TARGET static V mullo(const V& x, const V& y) { return {_mm256_mullo_epi16(x.a, y.a), _mm256_mullo_epi16(x.b, y.b)}; }
  LANES16_TARGET static V sra(const V& x, int k) {
    const __m128i c = _mm_cvtsi32_si128(k);
    return {_mm256_sra_epi16(x.a, c), _mm256_sra_epi16(x.b, c)};
  }
};
struct Ops32 {
  struct V {
    __m256i a, b;
  };
  LANES16_TARGET static V load(const int32_t* p) {
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 8))};
  }
  LANES16_TARGET static V load16(const int16_t* p) {
    return {_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16))};
  }
  LANES16_TARGET static void store(int32_t* p, const V& v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v.a);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p + 8), v.b);
  }
  LANES16_TARGET static V splat2(const int16_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    const __m256i x = _mm256_set1_epi32(v);
    return {x, x};
  }
  LANES16_TARGET static V dp(const V& acc, const V& x, const V& w) {
    return {_mm256_add_epi32(acc.a, _mm256_madd_epi16(x.a, w.a)), _mm256_add_epi32(acc.b, _mm256_madd_epi16(x.b, w.b))};
  }
};
#include "emulator/lanes16_kernel.inc"
#undef LANES16_TARGET
}  // namespace avx2

// -------------------------------------------------------------------------------------------- AVX-512
namespace avx512 {
#define LANES16_TARGET __attribute__((target("avx512f,avx512bw")))
constexpr int kS = 6;
struct Ops {
  using V = __m512i;
  LANES16_TARGET static V load(const int16_t* p) { return _mm512_loadu_si512(p); }
  LANES16_TARGET static void store(int16_t* p, V v) { _mm512_storeu_si512(p, v); }
  LANES16_TARGET static V splat(const int16_t* p) { return _mm512_set1_epi16(*p); }
  LANES16_TARGET static V add(V x, V y) { return _mm512_add_epi16(x, y); }
  LANES16_TARGET static V mulhi(V x, V y) { return _mm512_mulhi_epi16(x, y); }
  LANES16_TARGET static V mullo(V x, V y) { return _mm512_mullo_epi16(x, y); }
  LANES16_TARGET static V sra(V x, int k) { return _mm512_sra_epi16(x, _mm_cvtsi32_si128(k)); }
};
struct Ops32 {
  using V = __m512i;
  LANES16_TARGET static V load(const int32_t* p) { return _mm512_loadu_si512(p); }
  LANES16_TARGET static V load16(const int16_t* p) { return _mm512_loadu_si512(p); }
  LANES16_TARGET static void store(int32_t* p, V v) { _mm512_storeu_si512(p, v); }
  LANES16_TARGET static V splat2(const int16_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
  }
  // vpmaddwd: lo * lo + hi * hi per int32 lane (exact but for (-2^15)^2 * 2 = 2^31, which wraps: modulo 2^32)
  LANES16_TARGET static V dp(V acc, V x, V w) { return _mm512_add_epi32(acc, _mm512_madd_epi16(x, w)); }
};
#include "emulator/lanes16_kernel.inc"
#undef LANES16_TARGET
}  // namespace avx512

// ---------------------------------------------------------------------------------- AVX-512 VNNI
namespace avx512vnni {
#define LANES16_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
constexpr int kS = 6;
using Ops = avx512::Ops;
struct Ops32 : avx512::Ops32 {
  // vpdpwssd: the same products added to acc in one instruction (modulo 2^32; not the saturating vpdpwssds)
  LANES16_TARGET static V dp(V acc, V x, V w) { return _mm512_dpwssd_epi32(acc, x, w); }
};
#include "emulator/lanes16_kernel.inc"
#undef LANES16_TARGET
}  // namespace avx512vnni
#endif

bool detect(Isa isa) {
  switch (isa) {
    case Isa::Portable: return true;
    case Isa::Avx2:
#if defined(FIRMNET_LANES16_X86)
      return __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case Isa::Avx512:
#if defined(FIRMNET_LANES16_X86)
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#else
      return false;
#endif
    case Isa::Avx512Vnni:
#if defined(FIRMNET_LANES16_X86)
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vnni");
#else
      return false;
#endif
  }
  return false;
}

Isa best() {
  if (detect(Isa::Avx512Vnni)) return Isa::Avx512Vnni;
  if (detect(Isa::Avx512)) return Isa::Avx512;
  if (detect(Isa::Avx2)) return Isa::Avx2;
  return Isa::Portable;
}

std::atomic<Isa>& current() {
  static std::atomic<Isa> isa{best()};
  return isa;
}

}  // namespace

void step_rows(const StepWeights& w, const int16_t* base, const Seg* segs, int nseg, const int32_t* offs, int ostride,
               int rows, int16_t* sums, int64_t row) {
  switch (current().load(std::memory_order_relaxed)) {
#if defined(FIRMNET_LANES16_X86)
    case Isa::Avx512Vnni: return avx512vnni::step_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
    case Isa::Avx512: return avx512::step_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
    case Isa::Avx2: return avx2::step_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
#else
    case Isa::Avx512Vnni:
    case Isa::Avx512:
    case Isa::Avx2:
#endif
    case Isa::Portable: return portable::step_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
  }
}

void pair_rows(const PairWeights& w, const int16_t* base, const Seg* segs, int nseg, const int32_t* offs, int ostride,
               int rows, int32_t* sums, int64_t row) {
  switch (current().load(std::memory_order_relaxed)) {
#if defined(FIRMNET_LANES16_X86)
    case Isa::Avx512Vnni: return avx512vnni::pair_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
    case Isa::Avx512: return avx512::pair_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
    case Isa::Avx2: return avx2::pair_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
#else
    case Isa::Avx512Vnni:
    case Isa::Avx512:
    case Isa::Avx2:
#endif
    case Isa::Portable: return portable::pair_rows(w, base, segs, nseg, offs, ostride, rows, sums, row);
  }
}

Isa active_isa() { return current().load(); }
bool cpu_has(Isa isa) { return detect(isa); }
bool force_isa(Isa isa) {
  if (!detect(isa)) return false;
  current().store(isa);
  return true;
}
const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Portable: return "portable";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    case Isa::Avx512Vnni: return "avx512vnni";
  }
  return "";
}

}  // namespace firmnet::emulator::lanes16
