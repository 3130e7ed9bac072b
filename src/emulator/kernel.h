#pragma once
// Per-node kernels of the emulator. The constructor of Emulator compiles every node into a Kernel with all
// decisions taken up front (shifts, integer widths, cast plans, channel indexing); run() then only streams
// blocks of samples through the kernels. Activations are raw int64 values in their tensor's type, one
// sample as a flat row-major array, samples one after another.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "emulator/cast.h"
#include "numeric/bits.h"
#include "ir/graph.h"
#include "support/error.h"

namespace firmnet::emulator {

class Kernel {
 public:
  virtual ~Kernel() = default;
  // in[k]: block of `n` samples of the node's k-th input; out: block of `n` samples of its output.
  // Adds the number of output casts that overflowed to `overflows`.
  virtual void run(const int64_t* const* in, int64_t* out, size_t n, int64_t& overflows) const = 0;
  // The plan chosen at construction, when the op has several (Emulator::kernel_info).
  virtual std::string info() const { return {}; }
};

// What every kernel builder reads from the graph, with error reporting that names the node.
struct NodeContext {
  const ir::Graph& g;
  const ir::Node& node;

  std::string where() const { return "node '" + node.name + "' (" + ir::name(node.kind) + ")"; }
  [[noreturn]] void fail(const std::string& what, const std::string& hint = {}) const {
    throw Error(where(), what, hint);
  }
  const ir::Tensor& input(size_t k) const;
  const ir::Tensor& output() const;
  const numeric::FixedType& type_of(const ir::Tensor& t) const;
  const numeric::FixedType& in_type(size_t k) const { return type_of(input(k)); }
  const numeric::FixedType& out_type() const { return type_of(output()); }
  const ir::Tensor& param(const std::string& key) const;  // must be quantized (raw filled)
  const numeric::FixedType& internal_type(const std::string& key) const;  // node.types[key], required
  // A table role: spec plus its raw entries, checked for size.
  const numeric::TableSpec& table(const std::string& role) const;
  const std::vector<int64_t>& table_data(const std::string& role) const;
  // Size of the last axis of input k (1 for an empty shape): the channel count of per-channel params.
  int64_t channels_of_input(size_t k) const;
};

// A Conv's windows over a channels-last map: output pixel p reads, for tap t, input pixel
// gather[p * taps + t] (-1: padding, which reads as 0), all `cin` channels of it.
struct ConvWindows {
  int64_t in_pixels = 0, cin = 0, out_pixels = 0, taps = 0;
  std::vector<int32_t> gather;
};

// The Dense multiply-accumulate core. Besides rows of n_in values (Kernel::run), the exact plans run a Conv's
// windows directly on the map (no gathered rows): the row of an output pixel is its taps' channels in order.
class DenseCore : public Kernel {
 public:
  // Sets up run_windows for this geometry (rows = taps * cin); false when the plan has no window kernel (the
  // caller then gathers rows and calls run()).
  virtual bool prepare_windows(const ConvWindows& w) = 0;
  // in[0]: n samples of the map [in_pixels, cin]; out: n samples of [out_pixels, n_out].
  virtual void run_windows(const int64_t* x, int64_t* out, size_t n, int64_t& overflows) const = 0;
};

std::unique_ptr<Kernel> make_dense(const NodeContext& c);
// The Dense multiply-accumulate core over rows of n_in values: weights `w` ([n_in, n_out] raw, in the type of
// the node's "weight"), the node's bias, accum and output type. Conv runs it over the windows of a map.
std::unique_ptr<DenseCore> make_dense_core(const NodeContext& c, int64_t n_in, int64_t n_out, const std::vector<int64_t>& w);
// The same core over explicit operands (a recurrent layer's input and recurrent products): raw weights
// [n_in, n_out] and bias [n_out], the input, weight, bias, accumulator and output types.
struct DenseOperands {
  int64_t n_in = 0, n_out = 0;
  std::vector<int64_t> weight, bias;
  numeric::FixedType tx, tw, tb, ta, ty;
  std::string weight_name, bias_name;
};
std::unique_ptr<Kernel> make_dense_product(const NodeContext& c, const DenseOperands& d);
std::unique_ptr<Kernel> make_conv(const NodeContext& c);
std::unique_ptr<Kernel> make_recurrent(const NodeContext& c);
std::unique_ptr<Kernel> make_garnet(const NodeContext& c);
std::unique_ptr<Kernel> make_pool(const NodeContext& c);
std::unique_ptr<Kernel> make_transpose(const NodeContext& c);
std::unique_ptr<Kernel> make_upsample(const NodeContext& c);
std::unique_ptr<Kernel> make_slice(const NodeContext& c);
std::unique_ptr<Kernel> make_activation(const NodeContext& c);
std::unique_ptr<Kernel> make_softmax(const NodeContext& c);
std::unique_ptr<Kernel> make_batchnorm(const NodeContext& c);
std::unique_ptr<Kernel> make_elementwise(const NodeContext& c);
std::unique_ptr<Kernel> make_convert(const NodeContext& c);  // Reshape, and Input with an input tensor
std::unique_ptr<Kernel> make_concat(const NodeContext& c);
std::unique_ptr<Kernel> make_multithreshold(const NodeContext& c);
std::unique_ptr<Kernel> make_rescale(const NodeContext& c);
std::unique_ptr<Kernel> make_argmax(const NodeContext& c);
std::unique_ptr<Kernel> make_quantize(const NodeContext& c);

using numeric::bit_length;

}  // namespace firmnet::emulator
