// Small helpers shared by several passes: fitting types, table sizes, broadcasting. (The functions behind
// lookup tables are ir/activations.cpp.)
#include <cmath>

#include "passes/internal.h"

namespace firmnet::passes {

int table_size_of(const ir::Node& n) {
  return n.has_attr("table_size") ? static_cast<int>(n.attr_int("table_size")) : kDefaultTableSize;
}

double broadcast_at(const std::vector<double>& c, size_t i) { return c.size() == 1 ? c[0] : c[i % c.size()]; }

bool broadcasts(int64_t size, const ir::Shape& shape) {
  return size == 1 || size == ir::num_elements(shape) || (!shape.empty() && size == shape.back());
}

}  // namespace firmnet::passes
