// Quantize: a QONNX Quant with a power-of-two scale, as a cast when the output type's own rounding and
// saturation are the quantizer, else as integer logic on the raw bits (kernels/firmnet_quantize.h).
#include <fmt/format.h>

#include <cstdlib>

#include "backends/vitis/emit.h"
#include "numeric/bits.h"
#include "numeric/quantizer.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

namespace {

using numeric::bit_length;

// Whether assigning to `t` is exactly the quantizer: ap_fixed's rounding is the mode, the grid is 2^k, and
// the saturation bounds are exactly [qmin, qmax] (z = 0).
bool cast_is_exact(const numeric::FixedType& t, numeric::QuantMode mode, int64_t k, int64_t z, int64_t qmin,
                   int64_t qmax) {
  const auto r = numeric::ap_rounding(mode);
  if (!r || *r != t.rounding || z != 0 || t.frac() != -k) return false;
  if (t.overflow == numeric::Overflow::SAT) return t.raw_min() == qmin && t.raw_max() == qmax;
  if (t.overflow == numeric::Overflow::SAT_SYM) return -t.raw_max() == qmin && t.raw_max() == qmax;
  return false;
}

}  // namespace

void emit_quantize(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  const ir::Tensor& x = input_tensor(ctx, n, 0);
  const ir::Tensor& y = output_tensor(ctx, n);
  if (x.size() != y.size())
    throw Error(EmitContext::where(n), fmt::format("input {} and output {} differ in size",
                                                   ir::to_string(x.shape), ir::to_string(y.shape)));
  const auto mode = numeric::parse_quant_mode(n.attr_str("rounding_mode"));
  if (!mode) throw Error(EmitContext::where(n), "unknown rounding mode '" + n.attr_str("rounding_mode") + "'");
  const int64_t k = n.attr_int("log2_scale"), z = n.attr_int("zero_point");
  const int64_t qmin = n.attr_int("qmin"), qmax = n.attr_int("qmax");
  const numeric::FixedType& tx = ctx.type(n.inputs[0]);
  const numeric::FixedType& ty = ctx.type(n.outputs[0]);
  const bool cast = n.has_attr("lowering") && n.attr_str("lowering") == "cast" && cast_is_exact(ty, *mode, k, z, qmin, qmax);
  const int64_t shift = tx.frac() + k;
  const int64_t left = shift < 0 ? -shift : 0, right = shift > 0 ? shift : 0;
  // |u + addend| < 2^(max(W_x + left, bits(z) + right, right) + 2): one more bit for the sign.
  const int64_t u_width = std::max({tx.width + left, bit_length(z) + right, right}) + 3;
  const int64_t level_width = std::max(bit_length(qmin - z), bit_length(qmax - z)) + 1;
  if (u_width > 1024 || level_width > 64)
    throw Error(EmitContext::where(n), fmt::format("the quantizer needs {} bits on the raw input", u_width),
                "give the quantizer's input a narrower type");
  begin_config(ctx, n, code, "quantize_config", "firmnet_quantize.h");
  code.uint("n_in", x.size());
  code.uint("reuse_factor", n.reuse_factor);
  code.value(fmt::format("static const int mode = {};  // {}", static_cast<int>(*mode), numeric::name(*mode)));
  code.value(fmt::format("static const int shift = {};", shift));
  code.value(fmt::format("static const long long zero_point = {};", z));
  code.value(fmt::format("static const long long qmin = {};", qmin));
  code.value(fmt::format("static const long long qmax = {};", qmax));
  code.value(fmt::format("static const int log2_scale = {};", k));
  code.value(fmt::format("static const int u_width = {};", u_width));
  code.value(fmt::format("static const int level_width = {};", level_width));
  code.types_comment = fmt::format("QONNX {} at 2^{}, levels [{}, {}]{}: {}", numeric::name(*mode), k, qmin, qmax,
                                   z ? fmt::format(", zero point {}", z) : "", cast ? "a cast" : "raw-bit logic");
  code.call = kernel_call(ctx, n, code, cast ? "quantize_cast" : "quantize") + ctx.var(n.inputs[0]) + ", " +
              ctx.var(n.outputs[0]) + ");";
}

}  // namespace firmnet::backends::vitis
