#pragma once
// Keras model files read into memory: the model's configuration (JSON) and its weight arrays by layer.
//
//   Keras 2 / Keras 3 legacy .h5   root attribute 'model_config' (JSON); weights in group 'model_weights':
//                                  attribute 'layer_names', per layer group attribute 'weight_names' (paths
//                                  of the datasets in the layer's group, in the layer's order)
//   weights-only .h5               the same layout at the root (Keras 2 save_weights; the .json holds the config)
//   Keras 3 .keras                 a zip: config.json + model.weights.h5 ('layers/<name>/vars/0..n'; sub-objects
//                                  of a layer, e.g. an HGQ quantizer, under 'layers/<name>/<attr>/.../vars')
//   Keras 3 .weights.h5            the weights of a .keras alone (with a .json config)
//
// Every HDF5, zip and JSON failure is one firmnet::Error naming the file and what is wrong; HDF5's own
// error printing is silenced, and libhdf5 runs in a child process (it crashes and hangs on some corrupt
// files: keras_files.cpp), bounded by FIRMNET_HDF5_TIMEOUT_S seconds (default 60).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace firmnet::frontends::keras {

// Upper bound on the values of one weight array and of a whole file's weights.
constexpr int64_t kMaxArrayElements = int64_t{1} << 26;

struct Array {
  std::string name;           // "kernel", "bias", "gamma", ... (Keras 3 .keras: "0", "1", ...)
  std::vector<int64_t> shape;
  std::vector<double> values;  // row-major
};

struct KerasFile {
  std::string where;          // the file(s), for messages
  nlohmann::json model;       // {"class_name": ..., "config": ...}, or a bare list of layers (old Sequential)
  int major = 2;              // Keras major version (2: tf.keras / Keras 2; 3: Keras 3)
  // Weights by layer name in the layer's own order; sub-objects of a layer under "layer/attr/...".
  std::map<std::string, std::vector<Array>> weights;
  bool has_weights = false;   // a weights file was read
};

// path: .h5 (full model), .keras, or .json (architecture; weights_path then names the weights .h5).
KerasFile read_keras_file(const std::string& path, const std::string& weights_path);
// The same from bytes, sniffed by content (HDF5 signature, zip, JSON); for the fuzzer and tests.
KerasFile read_keras_bytes(const std::string& bytes, const std::string& display_name);

}  // namespace firmnet::frontends::keras
