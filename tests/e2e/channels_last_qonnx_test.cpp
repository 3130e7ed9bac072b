// The channels-last QONNX ops (domain qonnx.custom_op.channels_last: Conv, MaxPool, BatchNormalization over
// NHWC data, a Conv's weight as [M, k..., C/group]) and a plain Resize over NHWC data. qonnx defines them as
// Transpose to NCHW, the standard op, Transpose back. The test rewrites PyTorch's NCHW cases
// (../shared/models/cases/cnn) into that form — NHWC input, wrapped ops, transposed weights, Resize scales
// moved to the NHWC axes — and checks that firmnet gives onnxruntime's outputs in NHWC order, and the very
// same bits as the NCHW model in the emulator.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "driver/driver.h"
#include "emulator/emulator.h"
#include "support/data_io.h"

namespace fs = std::filesystem;
using namespace firmnet;

namespace {

const fs::path kCases = fs::path(FIRMNET_SHARED_MODELS) / "cases" / "cnn";

std::vector<float> floats_of(const onnx::TensorProto& t) {
  std::vector<float> v(t.float_data().begin(), t.float_data().end());
  if (t.has_raw_data()) {
    v.resize(t.raw_data().size() / 4);
    std::memcpy(v.data(), t.raw_data().data(), v.size() * 4);
  }
  return v;
}

void set_floats(onnx::TensorProto& t, const std::vector<int64_t>& dims, const std::vector<float>& v) {
  t.clear_raw_data();
  t.clear_float_data();
  t.clear_dims();
  for (int64_t d : dims) t.add_dims(d);
  for (float x : v) t.add_float_data(x);
}

// NCHW sample axes -> NHWC: [N, C, s...] data transposed to [N, s..., C].
support::Array to_nhwc(const support::Array& a) {
  support::Array r;
  const size_t rank = a.shape.size();
  r.shape = {a.shape[0]};
  for (size_t k = 2; k < rank; ++k) r.shape.push_back(a.shape[k]);
  r.shape.push_back(a.shape[1]);
  const int64_t n = a.shape[0], c = a.shape[1];
  const int64_t pix = static_cast<int64_t>(a.data.size()) / (n * c);
  r.data.resize(a.data.size());
  for (int64_t s = 0; s < n; ++s)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = 0; p < pix; ++p)
        r.data[static_cast<size_t>((s * pix + p) * c + ch)] = a.data[static_cast<size_t>((s * c + ch) * pix + p)];
  return r;
}

// The channels-last twin of an NCHW model of Conv/MaxPool/Relu/Resize nodes.
std::string rewrite_channels_last(const fs::path& src, const fs::path& dst) {
  onnx::ModelProto m;
  {
    std::ifstream f(src, std::ios::binary);
    EXPECT_TRUE(m.ParseFromIstream(&f));
  }
  auto* g = m.mutable_graph();
  auto nhwc_dims = [](onnx::TensorShapeProto* s) {
    onnx::TensorShapeProto t;
    *t.add_dim() = s->dim(0);
    for (int k = 2; k < s->dim_size(); ++k) *t.add_dim() = s->dim(k);
    *t.add_dim() = s->dim(1);
    *s = t;
  };
  for (auto& v : *g->mutable_input()) nhwc_dims(v.mutable_type()->mutable_tensor_type()->mutable_shape());
  for (auto& v : *g->mutable_output()) nhwc_dims(v.mutable_type()->mutable_tensor_type()->mutable_shape());
  g->clear_value_info();
  auto* opset = m.add_opset_import();
  opset->set_domain("qonnx.custom_op.channels_last");
  opset->set_version(1);
  for (auto& n : *g->mutable_node()) {
    if (n.op_type() == "Conv" || n.op_type() == "MaxPool") n.set_domain("qonnx.custom_op.channels_last");
    if (n.op_type() == "Conv")  // weight [M, C/g, k...] -> [M, k..., C/g]
      for (auto& t : *g->mutable_initializer())
        if (t.name() == n.input(1)) {
          const std::vector<float> w = floats_of(t);
          std::vector<int64_t> d(t.dims().begin(), t.dims().end());
          const int64_t mo = d[0], cg = d[1], taps = static_cast<int64_t>(w.size()) / (mo * cg);
          std::vector<float> r(w.size());
          for (int64_t o = 0; o < mo; ++o)
            for (int64_t i = 0; i < cg; ++i)
              for (int64_t k = 0; k < taps; ++k)
                r[static_cast<size_t>((o * taps + k) * cg + i)] = w[static_cast<size_t>((o * cg + i) * taps + k)];
          std::vector<int64_t> nd = {mo};
          nd.insert(nd.end(), d.begin() + 2, d.end());
          nd.push_back(cg);
          set_floats(t, nd, r);
        }
  }
  // Resize scales [1, 1, s...] (a Constant node) -> [1, s..., 1].
  for (auto& n : *g->mutable_node())
    if (n.op_type() == "Resize")
      for (auto& c : *g->mutable_node())
        if (c.op_type() == "Constant" && c.output(0) == n.input(2)) {
          onnx::TensorProto* t = c.mutable_attribute(0)->mutable_t();
          std::vector<float> s = floats_of(*t);
          std::vector<float> r = {s[0]};
          r.insert(r.end(), s.begin() + 2, s.end());
          r.push_back(s[1]);
          set_floats(*t, {static_cast<int64_t>(r.size())}, r);
        }
  std::ofstream f(dst, std::ios::binary);
  EXPECT_TRUE(m.SerializeToOstream(&f));
  return dst.string();
}

TEST(ChannelsLastQonnx, WrappedOpsEqualOnnxruntimeAndTheirNchwModelBitForBit) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "../shared/models/cases/cnn is absent";
  const fs::path dir = fs::temp_directory_path() / "firmnet_channels_last_test";
  fs::create_directories(dir);
  for (const char* name : {"conv2d_3x3_same", "conv2d_depthwise_3x3", "maxpool2x2", "conv1d_k3_s1_p1", "upsample_nearest2x"}) {
    SCOPED_TRACE(name);
    const fs::path src = kCases / (std::string(name) + ".onnx");
    if (!fs::exists(src)) continue;
    const std::string cl = rewrite_channels_last(src, dir / (std::string(name) + "_cl.onnx"));
    const support::Array x = support::read_npy((kCases / (std::string(name) + "_x.npy")).string());
    const support::Array y = to_nhwc(support::read_npy((kCases / (std::string(name) + "_y.npy")).string()));
    const auto c = driver::compile(cl, config::Config::defaults());
    for (const ir::Node& n : c.graph.nodes) EXPECT_NE(n.kind, ir::OpKind::Transpose) << n.name << ": NHWC needs no data movement";
    size_t batch = 0;
    const auto in = driver::inputs_from_arrays(c.graph, {to_nhwc(x)}, batch);
    const support::Array yf = driver::output_array(c.graph, 0, emulator::run_float(c.graph, in, batch).at(0), batch);
    ASSERT_EQ(yf.shape, y.shape);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < y.data.size(); ++i)
      worst = std::max(worst, std::fabs(yf.data[i] - y.data[i])), scale = std::max(scale, std::fabs(y.data[i]));
    EXPECT_LE(worst, 1e-5 * std::max(1.0, scale));
    // The emulator at the default types: the same bits as the NCHW model, reordered.
    const auto nchw = driver::compile(src.string(), config::Config::defaults());
    size_t b2 = 0;
    const auto in2 = driver::inputs_from_arrays(nchw.graph, {x}, b2);
    const support::Array e1 =
        driver::output_array(c.graph, 0, emulator::Emulator(c.graph).run(in, batch).outputs.at(0), batch);
    const support::Array e2 = to_nhwc(
        driver::output_array(nchw.graph, 0, emulator::Emulator(nchw.graph).run(in2, b2).outputs.at(0), b2));
    ASSERT_EQ(e1.shape, e2.shape);
    size_t differ = 0;
    for (size_t i = 0; i < e1.data.size(); ++i) differ += e1.data[i] != e2.data[i];
    EXPECT_EQ(differ, 0u) << "of " << e1.data.size() << " values";
    std::printf("[%s channels-last] float vs onnxruntime max abs error %.2e; emulator == NCHW model on %zu values\n",
                name, worst, e1.data.size() - differ);
  }
}

}  // namespace
