#pragma once
// Lookup tables: computed once by firmnet, used by the emulator and written verbatim as constants into
// the generated firmware, so C simulation, synthesis and emulation cannot differ.
//
// A table samples f on N = 2^log2_size buckets of width 2^log2_step. The input value x (raw r with
// F fractional bits) selects   index = clamp(floor(x / 2^log2_step) + offset, 0, N-1)
//                                    = clamp(shift_floor(r, F + log2_step) + offset, 0, N-1),
// pure integer arithmetic that the kernels repeat. Entry i holds f at the centre of its bucket,
// x_i = (i - offset + 1/2) * 2^log2_step, cast to the entry type with its own rounding/overflow modes.
#include <cstdint>
#include <functional>
#include <vector>

#include "numeric/fixed.h"

namespace firmnet::numeric {

struct TableSpec {
  int log2_size = 10;
  int log2_step = -6;
  int64_t offset = 512;
  FixedType entry;

  int64_t size() const { return int64_t{1} << log2_size; }
  double step() const;
  double lo() const;  // input value where bucket 0 starts
  double hi() const;  // input value where the last bucket ends
  bool operator==(const TableSpec&) const = default;
};

// Table covering [lo, lo + 2^log2_size * 2^log2_step): lo must be a multiple of the step.
TableSpec make_table_spec(double lo, int log2_size, int log2_step, const FixedType& entry);

inline int64_t table_index(int64_t raw, int frac, const TableSpec& s) {
  i128 i = shift_floor(raw, frac + s.log2_step) + s.offset;
  if (i < 0) return 0;
  if (i >= s.size()) return s.size() - 1;
  return static_cast<int64_t>(i);
}

// Raw entries of f sampled as described above. Counts entries that overflowed the entry type into
// *overflows when given.
std::vector<int64_t> build_table(const std::function<double(double)>& f, const TableSpec& s,
                                 int64_t* overflows = nullptr);

}  // namespace firmnet::numeric
