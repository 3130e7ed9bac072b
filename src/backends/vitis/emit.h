#pragma once
// Shared state of the per-op emitters: names of every array and type, and what one layer contributes
// to the project (a config struct, constant arrays, the call in the top function).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/vitis/dense_schedule.h"
#include "backends/vitis/names.h"
#include "config/config.h"
#include "ir/graph.h"
#include "ir/hardware.h"
#include "numeric/fixed.h"

namespace firmnet::backends::vitis {

// One firmware/weights/<name>.h: a constant array written from raw integers, exactly.
struct ConstArray {
  std::string name;       // array and file stem, e.g. "fc1_weight"
  std::string type_name;  // element typedef
  numeric::FixedType type;
  std::vector<int64_t> raw;
  std::string comment;    // what it holds
};

struct Typedef {
  std::string name;
  numeric::FixedType type;
  std::string comment;
};

struct LayerCode {
  std::string config_name;                // "config_fc1"; empty when the kernel takes no config
  std::string config_base;                // "dense_config"
  std::vector<std::string> config_lines;  // struct body
  std::vector<Typedef> typedefs;          // the layer's internal and parameter types
  std::vector<ConstArray> arrays;
  std::string kernel_header;              // "firmnet_dense.h"
  std::string call;                       // statement in the top function
  std::string types_comment;              // "accum fixed<..>, weight fixed<..>" for the top-function comment

  void value(const std::string& decl) { config_lines.push_back(decl); }
  void uint(const std::string& key, int64_t v) { value("static const unsigned " + key + " = " + std::to_string(v) + ";"); }
};

class EmitContext {
 public:
  explicit EmitContext(const ir::Graph& g);

  const ir::Graph& graph() const { return g_; }
  NameTable& names() { return names_; }

  // Array name and element typedef of an activation tensor in the top function.
  const std::string& var(ir::TensorId id) const;
  const std::string& type_name(ir::TensorId id) const;
  const numeric::FixedType& type(ir::TensorId id) const;  // throws when untyped
  void set_tensor_names(ir::TensorId id, std::string var, std::string type_name);

  // "layer 'fc1' (dense)": the `where` of every error about a node.
  static std::string where(const ir::Node& n);

  // io_stream: kernels write stream kernels (Conv, Pool), and a layer run once per stream element sees its
  // tensors as one row (set_row_view: shape [1, ..., 1, last axis]) through input_tensor / output_tensor.
  bool stream() const { return stream_; }
  void set_stream(bool s) { stream_ = s; }
  // The configuration the project is written for (schedules that depend on the tool's limits read it).
  const config::Config& config() const { return *config_; }
  void set_config(const config::Config& c) { config_ = &c; }
  // What the firmware builds (the graph's recorded hardware plan, or one made for this configuration).
  const ir::HardwarePlan& hardware() const { return *hardware_; }
  const ir::LayerHardware& hardware(const ir::Node& n) const { return hardware_->layer(g_, n); }
  void set_hardware(std::shared_ptr<const ir::HardwarePlan> h) { hardware_ = std::move(h); }
  void set_row_view(const ir::Node& n);
  void clear_views() { views_.clear(); }
  const ir::Tensor& tensor(ir::TensorId id) const;  // the view when set, else the graph's tensor

 private:
  const ir::Graph& g_;
  NameTable names_;
  std::map<ir::TensorId, std::pair<std::string, std::string>> tensor_names_;
  bool stream_ = false;
  const config::Config* config_ = nullptr;
  std::shared_ptr<const ir::HardwarePlan> hardware_;
  std::map<ir::TensorId, ir::Tensor> views_;
};

// Helpers used by every emitter (emit_common.cpp).
const ir::Tensor& input_tensor(const EmitContext& ctx, const ir::Node& n, size_t k);
const ir::Tensor& output_tensor(const EmitContext& ctx, const ir::Node& n);
// Adds the typedef "<node>_<role>_t" to the layer and `typedef <that> <alias>;` to its config struct.
std::string add_type(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& role,
                     const numeric::FixedType& t, const std::string& alias);
// The node's internal type types[key] (required), added as above with alias "<key>_t".
std::string internal_type(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& key);
// The constant param `key` as an array "<node>_<key>" of its own type (alias `alias` in the config);
// checks its size against `expected` sizes when given. Returns the array name.
std::string param_array(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& key,
                        const std::string& alias, const std::vector<int64_t>& expected = {});
// Lookup table `role` as an array "<node>_<role>_table" of its entry type; config gets
// `<prefix>table_t`, `<prefix>table_size`, `<prefix>table_log2_step`, `<prefix>table_offset`.
std::string table_array(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& role,
                        const std::string& prefix);
// The two comment lines above a layer's call in the top function (both io types): "fc1 (Dense) from ..." and
// "  inputs -> output type shape; <types_comment>".
class CodeWriter;
void comment_layer(CodeWriter& w, const EmitContext& ctx, const ir::Node& n, const std::string& types_comment);
// "firmnet_hls::<kernel><in_t, out_t, config_x>("
std::string kernel_call(const EmitContext& ctx, const ir::Node& n, const LayerCode& code, const std::string& kernel);
void begin_config(EmitContext& ctx, const ir::Node& n, LayerCode& code, const std::string& base,
                  const std::string& header);

// The Dense fields of a config struct (dense_config in kernels/firmnet_hls.h): sizes, reuse factor,
// `strategy`'s schedule, accum_t, the weight array (n_in x n_out values; Resource: reordered into kernel order)
// and the bias array, product_cast and sum_t. Shared by Dense and Conv (a Dense over each window).
struct DenseFields {
  std::string weight, bias;  // array names
  DenseSchedule sched;
};
DenseFields emit_dense_fields(EmitContext& ctx, const ir::Node& n, LayerCode& code, int64_t n_in, int64_t n_out,
                              ir::Strategy strategy);

// Per op family. Each fills `code` or throws firmnet::Error naming the node.
void emit_dense(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_batchnorm(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_activation(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_softmax(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_elementwise(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_reshape(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_concat(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_multithreshold(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_rescale(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_argmax(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_quantize(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_conv(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_pool(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_transpose(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_upsample(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_slice(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_recurrent(EmitContext& ctx, const ir::Node& n, LayerCode& code);
void emit_garnet(EmitContext& ctx, const ir::Node& n, LayerCode& code);

// Dispatch over every op kind (no default: a new op in ops.def must be handled here).
// Returns false for ops that generate no code (Input).
bool emit_layer(EmitContext& ctx, const ir::Node& n, LayerCode& code);

}  // namespace firmnet::backends::vitis
