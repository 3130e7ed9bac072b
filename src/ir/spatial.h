#pragma once
// The spatial op families, Conv and Pool, as typed records over a node's attributes.
//
// Maps are channels-last: a 1-D map is [W, C], a 2-D map [H, W, C] (one pixel, all its channels, is what a
// stream element carries). A window of `kernel` taps with `dilation` moves by `stride` over the input
// padded by `pad_begin`/`pad_end` (padding reads as 0 for Conv and is skipped by Pool); output position o
// on an axis reads input positions o*stride - pad_begin + k*dilation, k = 0..kernel-1.
// A Conv may also have an input dilation d (ONNX ConvTranspose, docs/IR.md): the input is seen with d-1
// zeros between neighbours, so position q of that stretched input is element q/d where d divides q, and
// padding (0) elsewhere.
//
// Stored in Node::attrs (so the text form round-trips them): "kernel", "strides", "dilations", "pads"
// (begin values then end values, as ONNX), Conv "group" and "input_dilations" (absent = all 1), Pool "mode" ("max"/"avg") and
// "count_include_pad" (0/1). Every reader goes through of(); verify() states the rules.
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace firmnet::ir {

struct Window {
  Shape in;  // input spatial dims
  std::vector<int64_t> kernel, stride, dilation, pad_begin, pad_end;
  std::vector<int64_t> in_dilation;  // 1 on every axis except for a transposed convolution
  Shape out;  // output spatial dims

  bool dilates_input() const;
  // The stretched input's size on axis a: (in - 1) * in_dilation + 1.
  int64_t stretched_in(size_t a) const { return (in[a] - 1) * in_dilation[a] + 1; }
  size_t rank() const { return kernel.size(); }
  int64_t taps() const;          // product of kernel
  int64_t out_pixels() const;    // product of out
  int64_t in_pixels() const;     // product of in
  // Output size of one axis: floor((in + pads - dilation*(kernel-1) - 1) / stride) + 1 (ceil with ceil_mode).
  static int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pads, bool ceil_mode);
  // Input pixel index read by tap `t` of output pixel `p`, or -1 where the tap falls in the padding.
  int64_t input_pixel(int64_t p, int64_t t) const;
  // Number of taps of output pixel p inside the input (not in the padding).
  int64_t valid_taps(int64_t p) const;
};

struct ConvAttrs {
  Window win;
  int64_t in_channels = 0, out_channels = 0, group = 1;
  int64_t in_per_group() const { return in_channels / group; }
  int64_t out_per_group() const { return out_channels / group; }
  bool depthwise() const { return group > 1; }  // group == in_channels (verify), channel multiplier out/in
  // Rows of the weight seen as a Dense matrix [taps * in_per_group, out_channels] (the weight's layout).
  int64_t rows() const { return win.taps() * in_per_group(); }
  static ConvAttrs of(const Graph& g, const Node& n);
};

enum class PoolMode { Max, Avg };
struct PoolAttrs {
  Window win;
  int64_t channels = 0;
  PoolMode mode = PoolMode::Max;
  bool count_include_pad = false;
  // The divisor of an average at output pixel p.
  int64_t divisor(int64_t p) const { return count_include_pad ? win.taps() : win.valid_taps(p); }
  static PoolAttrs of(const Graph& g, const Node& n);
};

// Stores a window's geometry in node attrs ("kernel", "strides", "dilations", "pads", and "input_dilations"
// when given and not all 1).
void set_window_attrs(Node& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                      const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads,
                      const std::vector<int64_t>& input_dilations = {});

// The structural rules (called by verify_op): attribute kinds and ranks, shapes consistent with the geometry,
// weight [kernel..., in/group, out], bias [out], group 1 or depthwise. Throw firmnet::Error naming the node.
void verify_conv(const Graph& g, const Node& n);
void verify_pool(const Graph& g, const Node& n);

// Upsample (nearest neighbour): attr "scales", one positive integer per axis of the input (1 on the channel
// axis); output shape = input shape * scales. Checked by verify_upsample.
void verify_upsample(const Graph& g, const Node& n);
// For each output element (row-major), the input element it copies: index i_k on axis k reads i_k / scales[k].
std::vector<int64_t> upsample_sources(const Shape& in, const std::vector<int64_t>& scales);

// Slice (a window of x, Keras Cropping1D/2D): attr "starts", one integer >= 0 per axis of the input; output
// element i reads input element i + starts on every axis, so starts[k] + y[k] <= x[k]. Checked by verify_slice.
void verify_slice(const Graph& g, const Node& n);
// For each output element (row-major), the input element it copies.
std::vector<int64_t> slice_sources(const Shape& in, const std::vector<int64_t>& starts, const Shape& out);

}  // namespace firmnet::ir
