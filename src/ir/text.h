#pragma once
// The IR text form (`.fnir`): every field of an ir::Graph — tensors with their types, float values and
// quantized raw integers, nodes with params, attributes, internal types, table specs and table contents,
// per-layer settings, the input quantizers — as line-oriented text that parses back to the same graph.
// print_text(parse_text(print_text(g))) == print_text(g) byte for byte (doubles in their shortest exact
// decimal form). `firmnet inspect --ir` writes it; every command that reads a model accepts it, so a pass
// can be tested "text in, text out" and a user can hand-edit a graph. Grammar: docs/IR.md "Text form".
#include <string>
#include <string_view>

#include "ir/graph.h"

namespace firmnet::ir {

// The stage a text graph was printed at: "frontend" (before any pass) or the name of the last pass that ran.
inline constexpr const char* kFrontendStage = "frontend";

struct TextGraph {
  Graph graph;
  std::string stage = kFrontendStage;
};

std::string print_text(const Graph& g, const std::string& stage = kFrontendStage);

// Parses the text form. `file` names the source in errors ("model.fnir:12: ..."). Checks the structure
// (ids, counts, sizes, types, table specs) and then Graph::verify; throws firmnet::Error, never anything else.
TextGraph parse_text(std::string_view text, const std::string& file);

}  // namespace firmnet::ir
