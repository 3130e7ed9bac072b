#pragma once
// Keras frontend: reads Keras 2 / Keras 3 / QKeras models directly (libhdf5, libzip, nlohmann-json; no Python):
// a full-model .h5, a Keras 3 .keras, or an architecture .json with its weights .h5. Sequential (also the old
// bare-list form without an InputLayer) and functional models, several inputs and outputs, nested models
// flattened. Every unsupported layer or setting fails here, at load time, naming the layer.
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::frontends {

namespace keras {
struct KerasFile;
}

// path: .h5, .keras or .json; weights_path: the weights .h5 of a .json (empty otherwise).
ir::Graph load_keras(const std::string& path, const std::string& weights_path, std::vector<Warning>& warnings);
// A model from bytes, recognised by content (HDF5, zip, JSON): the fuzzer's entry point.
ir::Graph load_keras_bytes(const std::string& bytes, const std::string& display_name, std::vector<Warning>& warnings);
// A model already in memory (keras_files.h: a configuration and weight arrays by layer name), as the readers
// return it: the tests' models built inline, weights included.
ir::Graph load_keras_model(const keras::KerasFile& model, std::vector<Warning>& warnings);

}  // namespace firmnet::frontends
