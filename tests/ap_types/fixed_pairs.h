#pragma once
// Exhaustive fixed -> fixed conformance: for each (source type, destination geometry) pair below, all
// 28 rounding x overflow modes are instantiated and every source raw value is assigned in ap_types and
// compared with numeric::quantize(raw, F_src, dst).
#include <array>
#include <cstddef>
#include <utility>

#include "harness.h"

namespace aptest {

struct Pair {
  int ws, is;
  bool ss;
  int wd, id;
  bool sd;
};

// Sources: W 1..8, signed and unsigned, I in {-2 (I<0), W/2, W+2 (I>W)}: 48 types, 3 slots each.
// The 144 slots cycle through the 72 destination geometries (W 1..6) x (I in {-1, 0, 1, W/2, W, W+2})
// x (signed, unsigned), so every destination geometry meets two different sources.
inline constexpr int kSlotsPerSource = 3;
inline constexpr std::size_t kPairs = 48 * kSlotsPerSource;

constexpr std::array<Pair, kPairs> make_pairs() {
  std::array<Pair, kPairs> out{};
  std::size_t slot = 0;
  for (int ws = 1; ws <= 8; ++ws)
    for (int ss = 1; ss >= 0; --ss)
      for (int k = 0; k < 3; ++k)
        for (int g = 0; g < kSlotsPerSource; ++g, ++slot) {
          const int is = k == 0 ? -2 : k == 1 ? ws / 2 : ws + 2;
          const int combo = static_cast<int>(slot % 72);
          const int wd = 1 + combo % 6;
          const int idk = (combo / 6) % 6;
          const int id = idk == 0 ? -1 : idk == 1 ? 0 : idk == 2 ? 1 : idk == 3 ? wd / 2 : idk == 4 ? wd : wd + 2;
          out[slot] = {ws, is, ss == 1, wd, id, combo < 36};
        }
  return out;
}
inline constexpr std::array<Pair, kPairs> kPairList = make_pairs();

template <std::size_t K, int M>
void run_pair_mode(Recorder& rec) {
  constexpr Pair p = kPairList[K];
  using Src = typename Ap<p.ws, p.is, p.ss>::type;
  using Dst = typename Ap<p.wd, p.id, p.sd, kApQ[M / 4], kApO[M % 4]>::type;
  const FixedType from = fixed_type(p.ws, p.is, p.ss);
  const FixedType to = fixed_type(p.wd, p.id, p.sd, M);
  for (int64_t r = from.raw_min(); r <= from.raw_max(); ++r) {
    Src s;
    s.V = r;
    const Dst d = s;
    rec.check(firmnet::numeric::quantize(r, from.frac(), to).raw, raw_of<p.wd, p.sd>(d), to,
              [&] { return fmt::format("{} raw {}", from.cpp(), r); });
  }
}

template <std::size_t K, int... M>
void run_pair(Recorder& rec, std::integer_sequence<int, M...>) {
  (run_pair_mode<K, M>(rec), ...);
}

// Runs the slots Part, Part + Parts, Part + 2*Parts, ... (interleaved, so that the parts, built in
// parallel, are equally heavy).
template <std::size_t Part, std::size_t Parts, std::size_t... K>
void run_pairs(Recorder& rec, std::index_sequence<K...>) {
  (run_pair<K * Parts + Part>(rec, std::make_integer_sequence<int, kModes>{}), ...);
}

}  // namespace aptest
