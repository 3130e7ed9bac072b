#pragma once
// ONNX frontend: reads a .onnx file (plain ONNX opsets 7-21 and the QONNX/FINN custom ops Quant, IntQuant,
// BipolarQuant, Trunc, MultiThreshold; docs/NUMERICS.md "Quantized models") into the IR.
// Every unsupported op or attribute combination fails here, at load time, naming the node and op.
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::frontends {

// Throws firmnet::Error for a missing/truncated/garbage file, unsupported op, or unsupported attribute.
// Non-fatal findings (e.g. an ignored training-only attribute) go to `warnings`.
ir::Graph load_onnx(const std::string& path, std::vector<Warning>& warnings);
ir::Graph load_onnx_bytes(const std::string& bytes, const std::string& display_name,
                          std::vector<Warning>& warnings);

}  // namespace firmnet::frontends
