#pragma once
// PReLU, one IR form for every frontend (ONNX PRelu, Keras PReLU): y = x >= 0 ? x : alpha·x, alpha given per
// element of x. docs/NUMERICS.md "PReLU".
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace firmnet::frontends {

// How a frontend appends one node of the PReLU: a node of `kind` on `inputs` whose output has x's shape,
// named after the frontend's node and `suffix` ("relu", "neg", "scaled"; empty for the result); `last` marks
// the PReLU's result (the frontend registers it as its node's output). Returns the output tensor; the node is
// then graph.nodes.back().
using PreluNodeFn = std::function<ir::TensorId(ir::OpKind kind, const std::vector<ir::TensorId>& inputs,
                                               const std::string& suffix, bool last)>;
// A constant parameter tensor named after `node_name` and `role` (the frontends' add_constant).
using PreluConstFn =
    std::function<ir::TensorId(const std::string& node_name, const std::string& role, ir::Shape shape,
                               std::vector<double> values)>;

// Builds PReLU(x) with `alpha` holding one slope per element of x in the order x is held (the IR order; a
// frontend broadcasts the model's slope to x and permutes it into a held layout first). Uniform slopes give
// one Activation leaky_relu (attr and param `alpha`); otherwise relu(x) + alpha·(x − relu(x)): Activation relu,
// Elementwise sub (x − relu(x), i.e. min(x, 0)), Elementwise mul by the constant `alpha` (the size of x's last
// axis when the slopes only vary along it — per channel of a channels-last map —, else all of x), Elementwise
// add. Throws firmnet::Error naming `where` for a non-finite slope or a slope count that is not x's size.
ir::TensorId build_prelu(ir::Graph& g, ir::TensorId x, std::vector<double> alpha, const std::string& where,
                         const PreluNodeFn& node, const PreluConstFn& constant);

}  // namespace firmnet::frontends
