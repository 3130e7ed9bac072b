#include "ir/spatial.h"

#include <fmt/format.h>

#include "support/error.h"

namespace firmnet::ir {

namespace {

constexpr int64_t kMaxDim = int64_t{1} << 24;  // any kernel, stride, dilation or pad beyond this is not a model

[[noreturn]] void fail(const Node& n, const std::string& what) {
  throw Error("node '" + n.name + "' (" + name(n.kind) + ")", what, "docs/IR.md lists what each op reads and holds");
}

std::vector<int64_t> ints_or(const Node& n, const char* key, size_t rank, int64_t def) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) return std::vector<int64_t>(rank, def);
  const auto* v = std::get_if<std::vector<int64_t>>(&it->second);
  if (!v) fail(n, std::string("attribute '") + key + "' is not a list of integers");
  return *v;
}

Window window_of(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1 || n.outputs.size() != 1)
    fail(n, fmt::format("has {} inputs and {} outputs, 1 and 1 expected", n.inputs.size(), n.outputs.size()));
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  Window w;
  auto k = n.attrs.find("kernel");
  if (k == n.attrs.end() || !std::holds_alternative<std::vector<int64_t>>(k->second))
    fail(n, "has no attribute 'kernel' (a list of integers)");
  w.kernel = std::get<std::vector<int64_t>>(k->second);
  const size_t r = w.kernel.size();
  if (r < 1 || r > 2) fail(n, fmt::format("has a {}-D kernel; 1-D and 2-D windows are supported", r));
  if (x.size() != r + 1 || y.size() != r + 1)
    fail(n, fmt::format("input {} and output {} are not {}-D channels-last maps", to_string(x), to_string(y), r));
  w.stride = ints_or(n, "strides", r, 1);
  w.dilation = ints_or(n, "dilations", r, 1);
  w.in_dilation = ints_or(n, "input_dilations", r, 1);
  if (w.in_dilation.size() != r) fail(n, fmt::format("input_dilations needs {} values", r));
  if (n.kind != OpKind::Conv && n.attrs.count("input_dilations"))
    fail(n, "only a Conv has attribute 'input_dilations'");
  const std::vector<int64_t> pads = ints_or(n, "pads", 2 * r, 0);
  if (w.stride.size() != r || w.dilation.size() != r || pads.size() != 2 * r)
    fail(n, fmt::format("strides/dilations need {} values and pads {}", r, 2 * r));
  w.pad_begin.assign(pads.begin(), pads.begin() + static_cast<long>(r));
  w.pad_end.assign(pads.begin() + static_cast<long>(r), pads.end());
  w.in.assign(x.begin(), x.end() - 1);
  w.out.assign(y.begin(), y.end() - 1);
  for (size_t a = 0; a < r; ++a) {
    if (w.kernel[a] < 1 || w.stride[a] < 1 || w.dilation[a] < 1 || w.kernel[a] > kMaxDim || w.stride[a] > kMaxDim ||
        w.dilation[a] > kMaxDim || w.in_dilation[a] < 1 || w.in_dilation[a] > kMaxDim)
      fail(n, fmt::format("kernel {}, stride {}, dilation {} and input dilation {} must be in [1, 2^24]", w.kernel[a],
                          w.stride[a], w.dilation[a], w.in_dilation[a]));
    if (w.in[a] > kMaxDim) fail(n, fmt::format("input size {} on axis {} is beyond 2^24", w.in[a], a));
    if (w.pad_begin[a] < 0 || w.pad_end[a] < 0 || w.pad_begin[a] > kMaxDim || w.pad_end[a] > kMaxDim)
      fail(n, "pads must be in [0, 2^24]");
    const int64_t span = w.dilation[a] * (w.kernel[a] - 1) + 1;
    if (w.pad_begin[a] >= span || w.pad_end[a] >= span)
      fail(n, fmt::format("padding {}+{} on axis {} is as wide as the window ({}): a window would read only padding",
                          w.pad_begin[a], w.pad_end[a], a, span));
    const int64_t o = Window::out_size(w.stretched_in(a), w.kernel[a], w.stride[a], w.dilation[a],
                                       w.pad_begin[a] + w.pad_end[a], false);
    if (o != w.out[a])
      fail(n, fmt::format("output size {} on axis {} does not follow from input {} (input dilation {}), kernel {}, "
                          "stride {}, dilation {}, pads {}+{} (expected {})",
                          w.out[a], a, w.in[a], w.in_dilation[a], w.kernel[a], w.stride[a], w.dilation[a],
                          w.pad_begin[a], w.pad_end[a], o));
  }
  // The emulator tabulates the input pixel of every (output pixel, tap): bound the table.
  if (w.taps() > (int64_t{1} << 24) || w.taps() * w.out_pixels() > (int64_t{1} << 28))
    fail(n, fmt::format("a window of {} taps over {} output pixels is beyond any FPGA model (at most 2^28 reads)",
                        w.taps(), w.out_pixels()));
  return w;
}

}  // namespace

int64_t Window::taps() const {
  int64_t t = 1;
  for (int64_t k : kernel) t *= k;
  return t;
}

int64_t Window::out_pixels() const { return num_elements(out); }
int64_t Window::in_pixels() const { return num_elements(in); }

int64_t Window::out_size(int64_t in, int64_t kernel, int64_t stride, int64_t dilation, int64_t pads, bool ceil_mode) {
  const int64_t span = in + pads - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  return (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
}

int64_t Window::input_pixel(int64_t p, int64_t t) const {
  int64_t idx = 0, step = 1;
  for (size_t a = rank(); a-- > 0;) {  // last axis first: p and t are row-major over out and kernel
    const int64_t o = p % out[a], k = t % kernel[a];
    p /= out[a], t /= kernel[a];
    const int64_t q = o * stride[a] - pad_begin[a] + k * dilation[a];  // in the stretched input
    if (q < 0 || q % in_dilation[a] != 0) return -1;
    const int64_t i = q / in_dilation[a];
    if (i >= in[a]) return -1;
    idx += i * step;
    step *= in[a];
  }
  return idx;
}

bool Window::dilates_input() const {
  for (int64_t d : in_dilation)
    if (d != 1) return true;
  return false;
}

int64_t Window::valid_taps(int64_t p) const {
  int64_t c = 0;
  for (int64_t t = 0; t < taps(); ++t) c += input_pixel(p, t) >= 0 ? 1 : 0;
  return c;
}

void set_window_attrs(Node& n, const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                      const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads,
                      const std::vector<int64_t>& input_dilations) {
  n.attrs["kernel"] = kernel;
  n.attrs["strides"] = strides;
  n.attrs["dilations"] = dilations;
  n.attrs["pads"] = pads;
  for (int64_t d : input_dilations)
    if (d != 1) {
      n.attrs["input_dilations"] = input_dilations;
      break;
    }
}

ConvAttrs ConvAttrs::of(const Graph& g, const Node& n) {
  ConvAttrs c;
  c.win = window_of(g, n);
  c.in_channels = g.tensor(n.inputs[0]).shape.back();
  c.out_channels = g.tensor(n.outputs[0]).shape.back();
  auto it = n.attrs.find("group");
  if (it != n.attrs.end()) {
    const auto* v = std::get_if<int64_t>(&it->second);
    if (!v) fail(n, "attribute 'group' is not an integer");
    c.group = *v;
  }
  if (c.group != 1 && c.group != c.in_channels)
    fail(n, fmt::format("group {} is neither 1 nor the input channel count {} (depthwise)", c.group, c.in_channels));
  if (c.out_channels % c.group != 0)
    fail(n, fmt::format("{} output channels are not a multiple of group {}", c.out_channels, c.group));
  return c;
}

PoolAttrs PoolAttrs::of(const Graph& g, const Node& n) {
  PoolAttrs p;
  p.win = window_of(g, n);
  p.channels = g.tensor(n.inputs[0]).shape.back();
  if (g.tensor(n.outputs[0]).shape.back() != p.channels)
    fail(n, fmt::format("output has {} channels, input {}", g.tensor(n.outputs[0]).shape.back(), p.channels));
  auto m = n.attrs.find("mode");
  const auto* mode = m == n.attrs.end() ? nullptr : std::get_if<std::string>(&m->second);
  if (!mode || (*mode != "max" && *mode != "avg")) fail(n, "attribute 'mode' is not 'max' or 'avg'");
  p.mode = *mode == "max" ? PoolMode::Max : PoolMode::Avg;
  auto c = n.attrs.find("count_include_pad");
  if (c != n.attrs.end()) {
    const auto* v = std::get_if<int64_t>(&c->second);
    if (!v || (*v != 0 && *v != 1)) fail(n, "attribute 'count_include_pad' is not 0 or 1");
    p.count_include_pad = *v == 1;
  }
  for (size_t a = 0; a < p.win.rank(); ++a)
    if (p.win.dilation[a] != 1) fail(n, "pooling windows have no dilation");
  return p;
}

void verify_conv(const Graph& g, const Node& n) {
  const ConvAttrs c = ConvAttrs::of(g, n);
  if (!n.has_param("weight") || !n.has_param("bias")) fail(n, "needs parameters 'weight' and 'bias'");
  Shape want = c.win.kernel;
  want.push_back(c.in_per_group());
  want.push_back(c.out_channels);
  const Tensor& w = g.tensor(n.param("weight"));
  if (w.shape != want) fail(n, fmt::format("weight has shape {}; {} expected", to_string(w.shape), to_string(want)));
  if (g.tensor(n.param("bias")).size() != c.out_channels)
    fail(n, fmt::format("bias has {} values; {} expected", g.tensor(n.param("bias")).size(), c.out_channels));
}

void verify_pool(const Graph& g, const Node& n) {
  const PoolAttrs p = PoolAttrs::of(g, n);
  if (p.mode != PoolMode::Avg) return;
  if (!n.has_param("reciprocal")) fail(n, "an average needs parameter 'reciprocal' (1/c for c = 0..taps)");
  if (g.tensor(n.param("reciprocal")).size() != p.win.taps() + 1)
    fail(n, fmt::format("reciprocal has {} values; {} expected (taps + 1)", g.tensor(n.param("reciprocal")).size(),
                        p.win.taps() + 1));
}

void verify_upsample(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1 || n.outputs.size() != 1)
    fail(n, fmt::format("has {} inputs and {} outputs, 1 and 1 expected", n.inputs.size(), n.outputs.size()));
  const std::vector<int64_t> s = ints_or(n, "scales", 0, 1);
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (s.size() != x.size()) fail(n, fmt::format("scales has {} values for an input of rank {}", s.size(), x.size()));
  Shape want;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] < 1 || s[k] > kMaxDim) fail(n, fmt::format("scale {} of axis {} is not an integer in [1, 2^24]", s[k], k));
    if (x[k] > (int64_t{1} << 40) / s[k]) fail(n, fmt::format("axis {} of {} upsampled by {} is too large", k, x[k], s[k]));
    want.push_back(x[k] * s[k]);
  }
  if (y != want) fail(n, fmt::format("output has shape {}; {} expected", to_string(y), to_string(want)));
}

std::vector<int64_t> upsample_sources(const Shape& in, const std::vector<int64_t>& scales) {
  const size_t r = in.size();
  std::vector<int64_t> out_dim(r), in_stride(r, 1);
  int64_t n_out = 1;
  for (size_t k = 0; k < r; ++k) out_dim[k] = in[k] * scales[k], n_out *= out_dim[k];
  for (size_t k = r; k-- > 1;) in_stride[k - 1] = in_stride[k] * in[k];
  std::vector<int64_t> src(static_cast<size_t>(n_out));
  std::vector<int64_t> idx(r, 0);  // the output index, counted row-major
  for (int64_t o = 0; o < n_out; ++o) {
    int64_t s = 0;
    for (size_t k = 0; k < r; ++k) s += idx[k] / scales[k] * in_stride[k];
    src[static_cast<size_t>(o)] = s;
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < out_dim[k]) break;
      idx[k] = 0;
    }
  }
  return src;
}

void verify_slice(const Graph& g, const Node& n) {
  if (n.inputs.size() != 1 || n.outputs.size() != 1)
    fail(n, fmt::format("has {} inputs and {} outputs, 1 and 1 expected", n.inputs.size(), n.outputs.size()));
  const std::vector<int64_t> s = ints_or(n, "starts", 0, 0);
  const Shape& x = g.tensor(n.inputs[0]).shape;
  const Shape& y = g.tensor(n.outputs[0]).shape;
  if (s.size() != x.size()) fail(n, fmt::format("starts has {} values for an input of rank {}", s.size(), x.size()));
  if (y.size() != x.size()) fail(n, fmt::format("output of rank {} for an input of rank {}", y.size(), x.size()));
  for (size_t k = 0; k < s.size(); ++k)
    if (s[k] < 0 || y[k] < 1 || s[k] > x[k] - y[k])
      fail(n, fmt::format("axis {}: a window of {} from {} does not lie in the input's {}", k, y[k], s[k], x[k]));
}

std::vector<int64_t> slice_sources(const Shape& in, const std::vector<int64_t>& starts, const Shape& out) {
  const size_t r = in.size();
  std::vector<int64_t> in_stride(r, 1);
  for (size_t k = r; k-- > 1;) in_stride[k - 1] = in_stride[k] * in[k];
  std::vector<int64_t> src(static_cast<size_t>(num_elements(out)));
  std::vector<int64_t> idx(r, 0);  // the output index, counted row-major
  for (size_t o = 0; o < src.size(); ++o) {
    int64_t s = 0;
    for (size_t k = 0; k < r; ++k) s += (idx[k] + starts[k]) * in_stride[k];
    src[o] = s;
    for (size_t k = r; k-- > 0;) {
      if (++idx[k] < out[k]) break;
      idx[k] = 0;
    }
  }
  return src;
}

}  // namespace firmnet::ir
