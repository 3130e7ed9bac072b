// Quantize (a power-of-two QONNX Quant): a cast where ap_fixed's own rounding and saturation are the
// quantizer; otherwise an adder on the raw bits (the rounding addend), the shift is wiring, and two
// compare-selects for the clip.
#include "estimate/model.h"

namespace firmnet::estimate {

Row estimate_quantize(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& rt = type_of(g, n.outputs.at(0));
  const int64_t N = elements(c, n.outputs.at(0));
  row.res.lut = cast_lut(xt, rt) * N;
  if (n.has_attr("lowering") && n.attr_str("lowering") == "cast") return row;
  const int w = xt.width + 2;
  row.res.lut += N * (w + 2 * (cmp_lut(w) + sel_lut(rt.width)));
  c.chain.op(add_ns(w) + 2 * kCmpSelNs, N * xt.width);
  return row;
}

}  // namespace firmnet::estimate
