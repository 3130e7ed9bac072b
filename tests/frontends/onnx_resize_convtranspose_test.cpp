// Resize/Upsample (nearest, integer factors) → Upsample; ConvTranspose → Conv over the input dilated by the
// stride; and the attributes either has that firmnet does not support, refused at load time naming the node,
// the attribute and its value.
#include "frontends/onnx_test_util.h"
#include "ir/spatial.h"

namespace firmnet::test {
namespace {
using ir::OpKind;

const char* kHeader = "<ir_version: 8, opset_import: [\"\" : 13]>\n";

std::string resize(const std::string& attrs, const std::string& scales = "1.0, 1.0, 2.0, 2.0") {
  return std::string(kHeader) + "g (float[N,2,3,3] x) => (float[N,2,6,6] y) <float[0] roi = {}, float[4] s = {" +
         scales + "}> { y = Resize " + attrs + " (x, roi, s) }";
}

TEST(OnnxResize, NearestIntegerFactorsBecomeUpsample) {
  for (const char* attrs : {"<mode = \"nearest\", coordinate_transformation_mode = \"asymmetric\", nearest_mode = \"floor\">",
                            "<mode = \"nearest\">",  // half_pixel + round_prefer_floor: the same map for integer factors
                            "<mode = \"nearest\", coordinate_transformation_mode = \"pytorch_half_pixel\">"}) {
    SCOPED_TRACE(attrs);
    const auto g = load_text(resize(attrs));
    ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Upsample}));
    EXPECT_EQ(g.nodes[1].attr_ints("scales"), (std::vector<int64_t>{1, 2, 2}));  // no map ops: in ONNX order
    EXPECT_EQ(g.tensor(g.nodes[1].outputs[0]).shape, (ir::Shape{2, 6, 6}));
  }
  // After a Conv the map is held channels-last, and the factors move with the axes.
  const auto g = load_text(std::string(kHeader) +
                           "g (float[N,2,3,3] x) => (float[N,1,6,6] y) <float[1,2,1,1] w = {1.0, -1.0}, float[0] roi = {}, "
                           "float[4] s = {1.0, 1.0, 2.0, 2.0}> { c = Conv(x, w)\n y = Resize <mode = \"nearest\"> (c, roi, s) }");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Conv, OpKind::Upsample}));
  EXPECT_EQ(g.nodes[2].attr_ints("scales"), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(g.tensor(g.nodes[2].outputs[0]).shape, (ir::Shape{6, 6, 1}));
  EXPECT_EQ(ir::upsample_sources({2, 2}, {2, 1}), (std::vector<int64_t>{0, 1, 0, 1, 2, 3, 2, 3}));
}

TEST(OnnxResize, UnsupportedModesFailNamingTheAttribute) {
  EXPECT_NE(load_error(resize("<mode = \"linear\">")).find("node #0 (Resize): attribute mode = 'linear' is not "
                                                           "supported"),
            std::string::npos)
      << load_error(resize("<mode = \"linear\">"));
  EXPECT_NE(load_error(resize("<mode = \"nearest\">", "1.0, 1.0, 1.5, 1.5")).find("scale 1.5 on axis 2 is not a positive integer"),
            std::string::npos);
  EXPECT_NE(load_error(resize("<mode = \"nearest\", coordinate_transformation_mode = \"tf_crop_and_resize\">"))
                .find("coordinate_transformation_mode = 'tf_crop_and_resize' is not supported"),
            std::string::npos);
  // asymmetric + ceil maps output 1 to input ceil(0.5) = 1: not a repeat of input 0.
  const std::string ceil = "<mode = \"nearest\", coordinate_transformation_mode = \"asymmetric\", nearest_mode = \"ceil\">";
  EXPECT_NE(load_error(resize(ceil)).find("does not repeat each input element 2 times on axis 2 (output 1 reads input 1)"),
            std::string::npos)
      << load_error(resize(ceil));
  EXPECT_NE(load_error(resize("<mode = \"nearest\">", "2.0, 1.0, 2.0, 2.0")).find("scale 2 on the batch axis is not 1"),
            std::string::npos);
}

std::string conv_transpose(const std::string& attrs) {
  return std::string(kHeader) +
         "g (float[N,1,2,2] x) => (float[N,1,4,4] y) <float[1,1,2,2] w = {1.0, 2.0, 3.0, 4.0}> { y = ConvTranspose " +
         attrs + " (x, w) }";
}

TEST(OnnxConvTranspose, BecomesAConvOverTheStretchedInput) {
  const auto g = load_text(conv_transpose("<strides = [2, 2]>"));
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Conv}));
  const ir::Node& n = g.nodes[1];
  EXPECT_EQ(n.attr_ints("input_dilations"), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(n.attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));  // (k-1)*d - pad on each side
  EXPECT_EQ(param_values(g, n, "weight"), (std::vector<double>{4, 3, 2, 1}));  // the kernel flipped
  EXPECT_EQ(g.tensor(n.outputs[0]).shape, (ir::Shape{4, 4, 1}));
  // Output (0, 0) reads only input (0, 0) through tap 3 of the flipped kernel (the original W[0][0]).
  const ir::ConvAttrs a = ir::ConvAttrs::of(g, n);
  EXPECT_EQ(a.win.input_pixel(0, 0), -1);
  EXPECT_EQ(a.win.input_pixel(0, 3), 0);
  EXPECT_EQ(a.win.valid_taps(5), 1);  // every output pixel of a k = s transposed conv has one tap
}

TEST(OnnxConvTranspose, UnsupportedAttributesFailNamingThem) {
  EXPECT_NE(load_error(conv_transpose("<strides = [2, 2], output_shape = [4, 4]>")).find("attribute output_shape is not supported"),
            std::string::npos);
  EXPECT_NE(load_error(conv_transpose("<strides = [2, 2], auto_pad = \"SAME_UPPER\">"))
                .find("attribute auto_pad = 'SAME_UPPER' is not supported"),
            std::string::npos);
  EXPECT_NE(load_error(conv_transpose("<strides = [2, 2], pads = [2, 2, 0, 0]>")).find("pads 2+0 on axis 0 crop more"),
            std::string::npos);
}

}  // namespace
}  // namespace firmnet::test

namespace firmnet::test {
namespace {

// A constant zero Pad goes into the padding of the Conv or AveragePool that reads it (torch exports
// AvgPool2d(count_include_pad=True) as Pad + AveragePool); anything else is refused naming the Pad.
TEST(OnnxPad, ZeroPadFoldsIntoTheNextConvOrAveragePool) {
  const std::string head = "<ir_version: 8, opset_import: [\"\" : 13]>\n";
  const auto g = load_text(head + R"(g (float[N,1,3,3] x) => (float[N,1,2,2] y)
      <int64[8] p = {0, 0, 1, 1, 0, 0, 0, 0}, float[1,1,2,2] w = {1.0, 1.0, 1.0, 1.0}>
      { q = Pad(x, p)
        y = Conv <strides = [2, 2]> (q, w) })");
  ASSERT_EQ(kinds(g), (std::vector<OpKind>{OpKind::Input, OpKind::Conv}));
  EXPECT_EQ(g.nodes[1].attr_ints("pads"), (std::vector<int64_t>{1, 1, 0, 0}));  // top and left only
  const auto a = load_text(head + R"(g (float[N,1,3,3] x) => (float[N,1,2,2] y) <int64[8] p = {0, 0, 1, 1, 0, 0, 1, 1}>
      { q = Pad(x, p)
        y = AveragePool <kernel_shape = [3, 3], strides = [2, 2]> (q) })");
  ASSERT_EQ(kinds(a), (std::vector<OpKind>{OpKind::Input, OpKind::Pool}));
  EXPECT_EQ(a.nodes[1].attr_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(a.nodes[1].attrs.at("count_include_pad"), ir::AttrValue(int64_t{1}));  // the Pad's zeros are counted
  EXPECT_NE(load_error(head + R"(g (float[N,1,3,3] x) => (float[N,1,5,5] y) <int64[8] p = {0, 0, 1, 1, 0, 0, 1, 1}>
      { q = Pad(x, p)
        y = Relu(q) })").find("node #0 (Pad): a non-zero padding read by node #1 (Relu) is not supported"),
            std::string::npos);
  EXPECT_NE(load_error(head + R"(g (float[N,1,3,3] x) => (float[N,1,5,5] y) <int64[8] p = {0, 0, 1, 1, 0, 0, 1, 1}>
      { y = Pad <mode = "reflect"> (x, p) })").find("attribute mode = 'reflect' is not supported"),
            std::string::npos);
}

}  // namespace
}  // namespace firmnet::test

namespace firmnet::test {
namespace {
// A grouped Conv that is neither plain (group 1) nor depthwise (group = channels): refused at load time naming
// the node, the attribute and its value (issue 8).
TEST(OnnxConv, GroupNeitherOneNorDepthwiseFailsNamingTheAttribute) {
  const std::string m = std::string(kHeader) +
                        "g (float[N,4,5,5] x) => (float[N,4,5,5] y) <float[4,2,1,1] w = {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, "
                        "1.0, 1.0}> { y = Conv <group = 2> (x, w) }";
  const std::string e = load_error(m);
  EXPECT_NE(e.find("node #0 (Conv)"), std::string::npos) << e;
  EXPECT_NE(e.find("attribute group = 2 is neither 1 nor the input channel count 4 (depthwise)"), std::string::npos) << e;
}
}  // namespace
}  // namespace firmnet::test
