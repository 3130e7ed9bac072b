// The int16-operand multiply-accumulate kernels of the Dense core (dense.cpp, plans "dense step int16" and
// "dense exact int16 pairs"), with one implementation per instruction set (AVX-512 VNNI, AVX-512BW, AVX2,
// portable C++) picked at run time from the CPU: the build itself does not enable AVX-512 (see
// CMakeLists.txt), so the AVX-512 code lives in functions with their own target attribute, called only where
// __builtin_cpu_supports says the CPU has it.
//
// What the step kernels compute (the proof that this equals the per-step accumulation is in dense.cpp): for
// each row r, each output lane j of each tile of 32 outputs,
//   sums[r][j] = acc0[j] + sum over segments g, c < len_g of term(x = base[offs[g][r] + c], row start_g + c, j)
// modulo 2^16, where term = mulhi(x, hi[row][j]) >> shift (arithmetic) + mullo(x, lo[row][j]) modulo 2^16,
// mulhi(a, b) = floor(a * b / 2^16) and mullo(a, b) = a * b modulo 2^16 on int16 a, b.
#pragma once

#include <cstdint>

namespace firmnet::emulator::lanes16 {

constexpr int kLanes = 32;  // outputs per tile

struct Seg {
  int32_t start, len;  // first weight row, number of rows
};

struct StepWeights {
  const int16_t* hi = nullptr;       // [tiles][n_in][32]: the mulhi operand
  const int16_t* lo = nullptr;       // [tiles][n_in][32]: the mullo operand
  const uint8_t* tile_hi = nullptr;  // per tile: whether any hi is nonzero (else the mulhi is left out)
  const uint8_t* tile_lo = nullptr;  // per tile: whether any lo is nonzero
  const int16_t* acc0 = nullptr;     // [tiles][32]
  int shift = 0;                     // 0..15
  int64_t n_in = 0, tiles = 0;
};

// The exact plan on int16 pairs ("dense exact int16 pairs"): sums[r][j] = bias[j] + sum over segments g, pairs
// i < len_g / 2 of x[2i] * w[start_g + 2i][j] + x[2i + 1] * w[start_g + 2i + 1][j] modulo 2^32, x read at
// base + offs[g * ostride + r] (start_g and len_g even). Weights [tiles][pairs][32 outputs][2] (the two rows
// of a pair side by side), bias [tiles][32].
struct PairWeights {
  const int16_t* w = nullptr;
  const int32_t* bias = nullptr;
  int64_t pairs = 0, tiles = 0;
};
void pair_rows(const PairWeights& w, const int16_t* base, const Seg* segs, int nseg, const int32_t* offs, int ostride,
               int rows, int32_t* sums, int64_t row);

enum class Isa { Portable, Avx2, Avx512, Avx512Vnni };

// rows <= 6 rows; row r reads base + offs[g * ostride + r] for segment g; writes sums[r * row + t * 32 + j].
void step_rows(const StepWeights& w, const int16_t* base, const Seg* segs, int nseg, const int32_t* offs, int ostride,
               int rows, int16_t* sums, int64_t row);

// The instruction set in use (the best the CPU has), and a switch for tests to run every implementation:
// force_isa switches (for every thread) and returns true, or false for an Isa the CPU lacks.
Isa active_isa();
bool force_isa(Isa isa);
bool cpu_has(Isa isa);
const char* isa_name(Isa isa);

}  // namespace firmnet::emulator::lanes16
