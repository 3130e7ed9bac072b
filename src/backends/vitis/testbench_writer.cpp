// tb/<project>_test.cpp: runs the firmware on tb_data/ and compares exactly, or maps IN.dat to OUT.dat.
#include <fmt/format.h>

#include <cstdio>

#include "backends/vitis/code_writer.h"
#include "backends/vitis/project.h"

namespace firmnet::backends::vitis {

namespace {

// The fixed part: line parsing, the comparison driver and main().
const char* const kDriver = R"TB(
// One sample per line, space-separated values; strtod reads the %.17g of a double back exactly.
static bool parse_line(const std::string& line, std::vector<double>& values) {
  values.clear();
  const char* p = line.c_str();
  while (true) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == ',') p++;
    if (*p == '\0') return true;
    char* end = 0;
    const double v = std::strtod(p, &end);
    if (end == p) return false;
    values.push_back(v);
    p = end;
  }
}

static bool next_sample(std::ifstream& in, std::vector<double>& values, unsigned expected, const char* what,
                        unsigned line_no, bool& bad) {
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (!parse_line(line, values) || values.size() != expected) {
      std::fprintf(stderr, "%s line %u: expected %u numbers, got %u\n", what, line_no + 1, expected,
                   (unsigned)values.size());
      bad = true;
      return false;
    }
    return true;
  }
  return false;
}

// ./csim IN.dat OUT.dat: outputs of every input line, %.17g.
static int map_file(const char* in_path, const char* out_path) {
  std::ifstream in(in_path);
  if (!in.is_open()) {
    std::fprintf(stderr, "cannot open %s\n", in_path);
    return 2;
  }
  std::FILE* out = std::fopen(out_path, "w");
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", out_path);
    return 2;
  }
  std::vector<double> x, y;
  bool bad = false;
  unsigned n = 0;
  while (next_sample(in, x, kInputValues, in_path, n, bad)) {
    run_sample(x, y);
    for (unsigned j = 0; j < y.size(); j++) std::fprintf(out, j ? " %.17g" : "%.17g", y[j]);
    std::fprintf(out, "\n");
    n++;
  }
  std::fclose(out);
  if (bad) return 2;
  std::printf("%u samples\n", n);
  return 0;
}

// ./csim: compares the firmware with tb_data/ exactly; non-zero exit on any difference.
static int compare_tb_data() {
  std::ifstream in("tb_data/tb_input_features.dat"), expected("tb_data/tb_output_predictions.dat");
  std::vector<double> x, y, want;
  if (!in.is_open() || !expected.is_open()) {
    std::printf("no tb_data/: running one all-zero sample\n");
    x.assign(kInputValues, 0.0);
    run_sample(x, y);
    for (unsigned j = 0; j < y.size(); j++) std::printf(j ? " %.17g" : "%.17g", y[j]);
    std::printf("\n0 passed, 0 failed (no test vectors)\n");
    return 0;
  }
  unsigned passed = 0, failed = 0, n = 0, reported = 0;
  bool bad = false;
  while (next_sample(in, x, kInputValues, "tb_input_features.dat", n, bad)) {
    if (!next_sample(expected, want, kOutputValues, "tb_output_predictions.dat", n, bad)) {
      std::fprintf(stderr, "tb_output_predictions.dat has no line for sample %u\n", n);
      bad = true;
      break;
    }
    run_sample(x, y);
    bool ok = true;
    for (unsigned j = 0; j < kOutputValues; j++) {
      if (y[j] == want[j]) continue;
      ok = false;
      if (reported++ < 10)
        std::printf("sample %u output value %u: firmware %.17g, expected %.17g\n", n, j, y[j], want[j]);
    }
    (ok ? passed : failed)++;
    n++;
  }
  std::printf("%u passed, %u failed\n", passed, failed);
  if (bad) return 2;
  return failed ? 1 : 0;
}

int main(int argc, char** argv) {
  if (argc == 3) return map_file(argv[1], argv[2]);
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s [IN.dat OUT.dat]\n", argv[0]);
    return 2;
  }
  return compare_tb_data();
}
)TB";

std::string g17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

template <class T, class F>
std::string join(const std::vector<T>& v, F f) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? (i % 8 ? ", " : ",\n    ") : "") + f(v[i]);
  return s;
}

// The model's input quantizer of one port as a function of the double value and the element index: the
// code of firmware/firmnet/qonnx_input.h with this quantizer's constants, as firmnet's emulator runs it.
void input_quantizer(CodeWriter& w, const Port& port) {
  const ir::InputQuantizer& q = *port.quantizer;
  const std::string f = "quantize_" + port.var;
  w.comment(fmt::format("Input '{}': the model's input quantizer {}, applied to the float value exactly as\n"
                        "firmnet predict does (the port type holds every level exactly).",
                        port.var, q.description));
  if (q.kind == ir::InputQuantizer::Kind::Quant) {
    w.open(fmt::format("static double {}(double x, unsigned)", f));
    w.line(fmt::format("const long long q = firmnet_qonnx::level_po2(x, {}, {}LL, {}LL, {}LL, {});", q.log2_scale,
                       q.zero_point, q.qmin, q.qmax, q.mode));
    w.line(fmt::format("return std::ldexp((double)(q - ({}LL)), {});", q.zero_point, q.log2_scale));
    w.close();
    return;
  }
  w.line(fmt::format("static const double {}_thresholds[{}] = {{\n    {}}};", f, q.thresholds.size(),
                     join(q.thresholds, g17)));
  w.line(fmt::format("static const double {}_levels[{}] = {{\n    {}}};", f, q.levels.size(), join(q.levels, g17)));
  if (!q.strict.empty())
    w.line(fmt::format("static const unsigned char {}_strict[{}] = {{{}}};", f, q.strict.size(),
                       join(q.strict, [](unsigned char c) { return std::to_string(c); })));
  w.open(fmt::format("static double {}(double x, unsigned j)", f));
  if (q.rows == 1) w.line("const unsigned row = 0; (void)j;");
  else if (q.channels_last) w.line(fmt::format("const unsigned row = j % {};", q.channels));
  else w.line(fmt::format("const unsigned row = j / {};", q.numel / q.channels));
  w.line(fmt::format("return {}_levels[firmnet_qonnx::threshold_count(x, {}_thresholds + row * {}, {}, {})];", f, f,
                     q.count, q.strict.empty() ? "0" : f + "_strict", q.count));
  w.close();
}

}  // namespace

std::string testbench_cpp(const ProjectInterface& p) {
  CodeWriter w;
  w.comment(fmt::format("{}_test.cpp: testbench generated by firmnet {}.", p.name, firmnet_version()));
  w.comment("Inputs are assigned from double to the input type (ap_fixed from double), as the firmnet emulator\n"
            "does; outputs are compared exactly.");
  for (const char* h : {"cstdio", "cstdlib", "fstream", "string", "vector"}) w.line(fmt::format("#include <{}>", h));
  w.line().line("#include \"../firmware/" + p.name + ".h\"");
  bool any_quantizer = false;
  for (const Port& port : p.inputs) any_quantizer = any_quantizer || port.quantizer.has_value();
  if (any_quantizer) w.line("#include <cmath>").line("#include \"../firmware/firmnet/qonnx_input.h\"");
  w.line();
  std::string in_sum, out_sum;
  for (const Port& port : p.inputs) in_sum += (in_sum.empty() ? "" : " + ") + port.size_macro;
  for (const Port& port : p.outputs) out_sum += (out_sum.empty() ? "" : " + ") + port.size_macro;
  w.line("static const unsigned kInputValues = " + in_sum + ";");
  w.line("static const unsigned kOutputValues = " + out_sum + ";").line();
  for (const Port& port : p.inputs)
    if (port.quantizer) {
      input_quantizer(w, port);
      w.line();
    }
  w.comment("One sample through the firmware: x holds the inputs one after the other, y gets the outputs.");
  w.open("static void run_sample(const std::vector<double>& x, std::vector<double>& y)");
  const bool stream = !p.inputs.empty() && !p.inputs[0].elem_type.empty();
  std::string args;
  std::string offset = "0";
  for (const Port& port : p.inputs) {
    const std::string value = port.quantizer ? fmt::format("quantize_{}(x[{} + j], j)", port.var, offset)
                                             : fmt::format("x[{} + j]", offset);
    if (stream) {  // io_stream: the values in stream elements of elem_values, in order
      w.line(fmt::format("hls::stream<{} > {}(\"{}\");", port.elem_type, port.var, port.var));
      w.open(fmt::format("for (unsigned e = 0; e < {} / {}; e++)", port.size_macro, port.elem_values));
      w.line(fmt::format("{} px;", port.elem_type));
      w.open(fmt::format("for (unsigned c = 0; c < {}; c++)", port.elem_values));
      w.line(fmt::format("const unsigned j = e * {} + c;", port.elem_values));
      w.line(fmt::format("px.data[c] = {};", value));
      w.close();
      w.line(fmt::format("{}.write(px);", port.var));
      w.close();
    } else {
      w.line(fmt::format("static {} {}[{}];", port.type_name, port.var, port.size_macro));
      w.line(fmt::format("for (unsigned j = 0; j < {}; j++) {}[j] = {};", port.size_macro, port.var, value));
    }
    offset += " + " + port.size_macro;
    args += (args.empty() ? "" : ", ") + port.var;
  }
  for (const Port& port : p.outputs) {
    if (stream)
      w.line(fmt::format("hls::stream<{} > {}(\"{}\");", port.elem_type, port.var, port.var));
    else
      w.line(fmt::format("static {} {}[{}];", port.type_name, port.var, port.size_macro));
    args += ", " + port.var;
  }
  w.line(p.name + "(" + args + ");");
  w.line("y.resize(kOutputValues);");
  offset = "0";
  for (const Port& port : p.outputs) {
    if (stream) {
      w.open(fmt::format("for (unsigned e = 0; e < {} / {}; e++)", port.size_macro, port.elem_values));
      w.line(fmt::format("const {} px = {}.read();", port.elem_type, port.var));
      w.line(fmt::format("for (unsigned c = 0; c < {}; c++) y[{} + e * {} + c] = px.data[c].to_double();",
                         port.elem_values, offset, port.elem_values));
      w.close();
    } else {
      w.line(fmt::format("for (unsigned j = 0; j < {}; j++) y[{} + j] = {}[j].to_double();", port.size_macro, offset,
                         port.var));
    }
    offset += " + " + port.size_macro;
  }
  w.close();
  w.raw(kDriver);
  return w.str();
}

}  // namespace firmnet::backends::vitis
