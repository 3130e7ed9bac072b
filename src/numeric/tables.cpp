// Lookup-table geometry and contents (docs/NUMERICS.md, "Lookup tables").
#include "numeric/tables.h"

#include <cmath>

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::numeric {

namespace {
constexpr int kMaxLog2Size = 24;   // 16M entries: far beyond any firmware ROM, catches garbage sizes
constexpr int kMaxLog2Step = 128;  // matches the fractional-bit bound of FixedType
}  // namespace

double TableSpec::step() const { return std::ldexp(1.0, log2_step); }
double TableSpec::lo() const { return std::ldexp(static_cast<double>(-offset), log2_step); }
double TableSpec::hi() const { return std::ldexp(static_cast<double>(size() - offset), log2_step); }

TableSpec make_table_spec(double lo, int log2_size, int log2_step, const FixedType& entry) {
  const std::string where = "lookup table";
  if (log2_size < 0 || log2_size > kMaxLog2Size)
    throw Error(where, fmt::format("log2 of the size {} is outside 0..{}", log2_size, kMaxLog2Size),
                "use a table of at most 2^24 entries");
  if (log2_step < -kMaxLog2Step || log2_step > kMaxLog2Step)
    throw Error(where, fmt::format("log2 of the step {} is outside -{}..{}", log2_step, kMaxLog2Step, kMaxLog2Step));
  if (!std::isfinite(lo))
    throw Error(where, fmt::format("start {} is not a finite number", lo));
  // lo = -offset * step exactly; the index arithmetic of the kernels needs an integer offset.
  const double buckets = std::ldexp(lo, -log2_step);
  if (buckets != std::floor(buckets) || std::fabs(buckets) > 0x1p62)
    throw Error(where,
                fmt::format("start {} is not a multiple of the step 2^{} = {}", lo, log2_step,
                            std::ldexp(1.0, log2_step)),
                fmt::format("round the start down to {}", std::ldexp(std::floor(buckets), log2_step)));
  entry.validate(where + " entry type");
  TableSpec s;
  s.log2_size = log2_size;
  s.log2_step = log2_step;
  s.offset = -static_cast<int64_t>(buckets);
  s.entry = entry;
  return s;
}

std::vector<int64_t> build_table(const std::function<double(double)>& f, const TableSpec& s,
                                 int64_t* overflows) {
  std::vector<int64_t> out(static_cast<std::size_t>(s.size()));
  int64_t count = 0;
  for (int64_t i = 0; i < s.size(); ++i) {
    // Centre of bucket i; exact in double for any sane size/offset.
    const double x = std::ldexp(static_cast<double>(i - s.offset) + 0.5, s.log2_step);
    const double y = f(x);
    if (!std::isfinite(y))
      throw Error(fmt::format("lookup table entry {} (x = {})", i, x),
                  fmt::format("the function gives {}", y),
                  "restrict the table range to where the function is finite");
    const Cast c = quantize_double(y, s.entry);
    out[static_cast<std::size_t>(i)] = c.raw;
    count += c.overflow ? 1 : 0;
  }
  if (overflows) *overflows = count;
  return out;
}

}  // namespace firmnet::numeric
