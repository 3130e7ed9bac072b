#pragma once
// The GarNet op family (OpKind::GarNet): one simplified GarNet graph layer (hls4ml's contrib GarNet with
// simplified=True and a linear output; a GarNetStack is one node per sublayer), as a typed record over a node's
// attributes (docs/IR.md "GarNet", docs/NUMERICS.md "GarNet").
//
// Inputs: x [V, Fi] (V vertices of Fi features) and n [1] (the number of valid vertices: vertex v is valid when
// v < floor(n), clamped to [0, V]). Output: [V, Fo] (collapse none; rows of invalid vertices are 0) or [Fo]
// (collapse mean: the sum over the V rows divided by V, hls4ml's mean_by_nvert=False; sum; max).
// Params: "flr_weight" [Fi, P], "flr_bias" [P] (the input feature transform FLR), "s_weight" [Fi, A], "s_bias" [A]
// (the aggregator distances S), "fout_weight" [A*P, Fo] (row a*P + p), "fout_bias" [Fo] (the output transform
// Fout), "reciprocal" [1] (1/V).
// Internal types: "distance", "edge_weight" (the entries of tables["edge"], exp(-d^2)), "edge_weight_aggr" (the
// mean edge weight per aggregator), "aggr" (the weighted feature means, the aggregated features and the output
// base); every sum before these casts is exact.
#include <cstdint>
#include <string>

#include "ir/graph.h"

namespace firmnet::ir {

enum class GarNetCollapse { None, Mean, Sum, Max };
const char* name(GarNetCollapse c);
std::optional<GarNetCollapse> garnet_collapse_from_name(const std::string& s);

struct GarNetAttrs {
  int64_t vertices = 0, in_features = 0, propagate = 0, aggregators = 0, out_features = 0;
  GarNetCollapse collapse = GarNetCollapse::Mean;
  bool collapsed() const { return collapse != GarNetCollapse::None; }
  // Each vertex's output row is computed (collapse none and max); mean and sum need only the sums over vertices.
  bool per_vertex_output() const { return collapse == GarNetCollapse::None || collapse == GarNetCollapse::Max; }
  static GarNetAttrs of(const Graph& g, const Node& n);
};

// Structural rules (called by verify_op): inputs, output shape, parameter shapes, the collapse attribute, a reuse
// factor that divides V.
void verify_garnet(const Graph& g, const Node& n);

// exp(-d^2): the edge weight the table samples and the float reference computes.
double garnet_edge_weight(double d);

// Default internal types (docs/NUMERICS.md "GarNet").
numeric::FixedType garnet_default_type(const std::string& var);

// The number of valid vertices for the raw value `raw` of n (in type t): floor(n) clamped to [0, V].
int64_t garnet_valid_vertices(int64_t raw, const numeric::FixedType& t, int64_t vertices);

}  // namespace firmnet::ir
