// Data movement: Input, Reshape, Concat are wires (plus a cast when the types differ); ArgMax is a
// compare-select tree carrying the index.
#include <algorithm>

#include "estimate/model.h"

namespace firmnet::estimate {

Row estimate_shape(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  if (n.outputs.empty()) return row;
  const auto& rt = type_of(g, n.outputs.at(0));
  for (ir::TensorId id : n.inputs) row.res.lut += elements(c, id) * cast_lut(type_of(g, id), rt);
  return row;
}

Row estimate_argmax(const Context& c, const ir::Node& n) {
  Row row = start_row(n);
  const ir::Graph& g = c.g;
  const auto& xt = type_of(g, n.inputs.at(0));
  const auto& shape = g.tensor(n.inputs.at(0)).shape;
  const int64_t N = elements(c, n.inputs.at(0));
  const int64_t n_row = shape.empty() ? N : shape.back();
  const int64_t rows = n_row ? N / n_row : 0;
  int ib = 0;  // index bits, also the depth of the compare-select tree
  while ((int64_t{1} << ib) < n_row) ++ib;
  const int64_t start = c.chain.cycles(), ff0 = c.chain.ff();
  row.res.lut = rows * (n_row - 1) * ((xt.width + 3) / 4 + xt.width + ib);
  for (int l = 0; l < ib; ++l) c.chain.op(kCmpSelNs, N * xt.width);
  row.latency_min = row.latency_max = c.chain.cycles() - start;
  row.res.ff += c.chain.ff() - ff0;
  return row;
}

}  // namespace firmnet::estimate
