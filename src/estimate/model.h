#pragma once
// Internal to src/estimate: the cost library (what one operator costs in DSP/LUT/FF and in ns) and the
// per-op-family estimators. Every constant here is documented, with its calibration, in docs/ESTIMATE.md.
#include <cstdint>
#include <string>

#include "estimate/estimate.h"
#include "numeric/bits.h"
#include "ir/graph.h"
#include "numeric/fixed.h"

namespace firmnet::estimate {

// ---- operator delays (ns, UltraScale+ speed grade -2; 7-series parts scale by kSlowFamily) ----
inline constexpr double kDspMulNs = 2.2;      // a DSP48 product, unregistered
inline constexpr double kLutMulNs = 1.6;      // a shift-add constant product in LUTs
inline constexpr double kCmpSelNs = 0.7;      // compare + 2:1 select
inline constexpr double kRomSetupNs = 0.8;    // address setup before the clock edge of a ROM read
inline constexpr double kRomOutNs = 1.2;      // clock-to-out of a ROM read
inline constexpr double kSlowFamily = 1.35;   // 7-series vs UltraScale+
double add_ns(int width);                     // carry-chain adder of `width` bits
// LUTs HLS's C-synthesis estimate attributes to operators (calibrated on the shared csynth reports):
inline constexpr int64_t kDspGlueLut = 5;     // per DSP product: operand sign extension, result slicing
inline int64_t cmp_lut(int width) { return width; }   // a compare: a carry-chain subtract
inline int64_t sel_lut(int width) { return width; }   // a 2:1 select, one LUT per bit
// An R:1 multiplexer of `width` bits in LUT6s (a 4:1 mux per LUT6, two levels per 16:1).
inline int64_t mux_lut(int64_t inputs, int width) { return inputs <= 1 ? 0 : width * ((inputs + 2) / 3); }
using numeric::ceil_log2;

// ---- the schedule of one pipelined top function ----
// HLS chains combinational operators within a cycle until the clock budget (period minus uncertainty)
// is spent, then inserts a register stage. Estimates walk the graph in order through one Chain; each
// layer reads off the cycles and the register bits it added.
class Chain {
 public:
  explicit Chain(double budget_ns, double slow = 1.0) : budget_(budget_ns), slow_(slow) {}
  // A combinational step of `ns`; when it does not fit, a register stage holding `live_bits` first.
  void op(double ns, int64_t live_bits);
  // A registered ROM (or BRAM) read: address setup (a register stage of `address_bits` plus the carried
  // bits when the address comes too late in the cycle), then the data one cycle later.
  void rom_read(int64_t address_bits, int64_t carried_bits);
  // `cycles` extra register stages (folded loops, DSP pipelining), each holding `live_bits`.
  void stages(int64_t cycles, int64_t live_bits);
  int64_t cycles() const { return cycles_; }
  int64_t ff() const { return ff_; }

 private:
  void cut(int64_t live_bits);
  double budget_, slow_;
  double now_ = 0;
  int64_t cycles_ = 0, ff_ = 0;
};

// ---- products by a constant ----
// What HLS builds for x * c with x of width `x_width` and c the raw integer of a quantized constant:
// nothing (c = 0), wires or a negation (c = +-2^k), LUT shift-adds (few significant bits), or DSPs.
struct Product {
  enum Kind { Zero, Shift, Lut, Dsp } kind = Zero;
  int64_t dsp = 0;
  int64_t lut = 0;
  double ns = 0;
};
Product constant_product(int x_width, int64_t c, bool dsp48e2);
// A product of two variable operands (shared multipliers, tensor * tensor).
Product variable_product(int a_width, int b_width, bool dsp48e2);
// DSP48 slices for an a x b bit signed product (27x18 or 25x18 per slice).
int64_t dsp_slices(int a_width, int b_width, bool dsp48e2);
// Non-zero digits of c in canonical signed-digit form (adders of a shift-add product + 1).
int csd_digits(int64_t c);
// Significant bits of |c| after dropping trailing zeros (0 for c = 0).
int significant_bits(int64_t c);

// Extra LUTs of a cast from `from` to `to` (rounding adds an incrementer, saturation a compare-select).
int64_t cast_lut(const numeric::FixedType& from, const numeric::FixedType& to);

// A constant table of `entries` x `width` bits read `reads` times per cycle: as LUTs (small) or BRAM.
struct Rom {
  bool bram = false;
  Resources res;
};
Rom rom(int64_t entries, int width, int64_t reads);

// ---- per op family (one file each); each adds its layer to the chain and fills the row ----
struct Context {
  const ir::Graph& g;
  const Target& target;
  const Part* part;  // may be null: UltraScale+ assumed
  Chain& chain;
  // io_stream per-element process: the kernel handles one of `rows` stream elements at a time, so a layer
  // costs elements / rows values (elements() below); 1 for io_parallel and whole-tensor processes.
  int64_t rows = 1;
  const ir::HardwarePlan& hw;  // what the firmware builds
  bool dsp48e2() const { return part ? part->dsp48e2 : true; }
};
// One layer through its op family's estimator (estimate.cpp).
Row estimate_layer(const Context& c, const ir::Node& n);
// A pool's arithmetic for one output pixel (compare-selects or the sum and its reciprocal product), without
// io_parallel's gather and pixel loop (est_conv.cpp).
Row pool_window(const Context& c, const ir::Node& n);
// A RAM of `depth` words of `width` bits with one read and one write port: LUTRAM when small, else BRAM.
Rom ram(int64_t depth, int width);
// A FIFO of `depth` elements of `bits`: shift registers (SRL) when shallow, else a RAM; plus its pointers.
Resources fifo(int64_t depth, int64_t bits);
// io_stream: the DATAFLOW region of the plan (est_stream.cpp): fills e's layers and total.
void estimate_dataflow(const ir::Graph& g, const Target& t, const ir::HardwarePlan& plan, Estimate& e);
Row estimate_dense(const Context& c, const ir::Node& n);
Row estimate_conv(const Context& c, const ir::Node& n);
Row estimate_recurrent(const Context& c, const ir::Node& n);
Row estimate_garnet(const Context& c, const ir::Node& n);
Row estimate_pool(const Context& c, const ir::Node& n);
Row estimate_activation(const Context& c, const ir::Node& n);
Row estimate_softmax(const Context& c, const ir::Node& n);
Row estimate_elementwise(const Context& c, const ir::Node& n);
Row estimate_batchnorm(const Context& c, const ir::Node& n);
Row estimate_rescale(const Context& c, const ir::Node& n);
Row estimate_multithreshold(const Context& c, const ir::Node& n);
Row estimate_shape(const Context& c, const ir::Node& n);   // Input, Reshape, Concat
Row estimate_argmax(const Context& c, const ir::Node& n);
Row estimate_quantize(const Context& c, const ir::Node& n);

// The part's capacity (feasibility.cpp).
void check_capacity(const Estimate& e, std::vector<Finding>& out);

// Helpers shared by the families.
const numeric::FixedType& type_of(const ir::Graph& g, ir::TensorId id);
int64_t elements(const Context& c, ir::TensorId id);  // the tensor's values, / c.rows
Row start_row(const ir::Node& n);

}  // namespace firmnet::estimate
