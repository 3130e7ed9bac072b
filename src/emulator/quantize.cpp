// Quantize: a QONNX Quant with a power-of-two scale as integer logic on the raw bits
// (numeric::quantize_level: add, arithmetic shift, clip), the same arithmetic as the HLS kernel. The clip is
// the model's own saturation, never an overflow; only a cast into a result type the configuration chose
// (other than the exact type of the levels) can overflow.
#include "emulator/kernel.h"
#include "numeric/quantizer.h"

namespace firmnet::emulator {
namespace {

class QuantizeKernel final : public Kernel {
 public:
  explicit QuantizeKernel(const NodeContext& c) {
    numel_ = c.input(0).size();
    if (c.output().size() != numel_) c.fail("output size differs from input size");
    const auto m = numeric::parse_quant_mode(c.node.attr_str("rounding_mode"));
    if (!m) c.fail("unknown rounding mode '" + c.node.attr_str("rounding_mode") + "'");
    mode_ = *m;
    k_ = static_cast<int>(c.node.attr_int("log2_scale"));
    z_ = c.node.attr_int("zero_point");
    qmin_ = c.node.attr_int("qmin");
    qmax_ = c.node.attr_int("qmax");
    if (qmin_ > qmax_ || k_ < -256 || k_ > 256) c.fail("invalid quantizer attributes");
    fx_ = c.in_type(0).frac();
    out_ = c.out_type();
    // The preset output type holds every level q - z on the grid 2^k: its raw value is q - z itself.
    direct_ = out_.frac() == -k_ && qmin_ - z_ >= out_.raw_min() && qmax_ - z_ <= out_.raw_max();
    lowering_ = c.node.has_attr("lowering") ? c.node.attr_str("lowering") : "raw bits";
  }

  void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const override {
    const int64_t* x = in[0];
    const size_t total = n * static_cast<size_t>(numel_);
    for (size_t e = 0; e < total; ++e) {
      const int64_t level = numeric::quantize_level(x[e], fx_, k_, z_, qmin_, qmax_, mode_);
      if (direct_) {
        out[e] = level;
      } else {
        const numeric::Cast cst = numeric::quantize(level, -k_, out_);
        overflows += cst.overflow ? 1 : 0;
        out[e] = cst.raw;
      }
    }
  }

  std::string info() const override {
    return std::string("quantize ") + numeric::name(mode_) + " (firmware: " + lowering_ + ")";
  }

 private:
  int64_t numel_ = 0;
  numeric::QuantMode mode_ = numeric::QuantMode::ROUND;
  int k_ = 0, fx_ = 0;
  int64_t z_ = 0, qmin_ = 0, qmax_ = 0;
  numeric::FixedType out_;
  bool direct_ = true;
  std::string lowering_;
};

}  // namespace

std::unique_ptr<Kernel> make_quantize(const NodeContext& c) { return std::make_unique<QuantizeKernel>(c); }

}  // namespace firmnet::emulator
