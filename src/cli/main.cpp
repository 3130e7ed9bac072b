// firmnet: the command line: convert, predict, inspect, csim, estimate, report.
// Every failure prints one line "firmnet: error: ..." and exits non-zero.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <algorithm>

#include <fmt/format.h>
#include <iostream>
#include <thread>

#include "backends/vitis/vitis_backend.h"
#include "driver/driver.h"
#include "emulator/emulator.h"
#include "estimate/vendor_report.h"
#include "ir/text.h"
#include <fstream>

using namespace firmnet;

namespace {

void print_warnings(const std::vector<Warning>& ws, bool quiet) {
  if (quiet) return;
  for (const auto& w : ws) fmt::print(stderr, "firmnet: warning: {}\n", w.str());
}

std::vector<support::Array> read_inputs(const std::vector<std::string>& paths) {
  std::vector<support::Array> arrays;
  for (const auto& p : paths) arrays.push_back(support::read_array(p));
  return arrays;
}

void write_outputs(const ir::Graph& g, const std::vector<std::vector<double>>& outs, size_t batch,
                   const std::vector<std::string>& paths) {
  if (paths.size() != outs.size())
    throw Error("outputs", fmt::format("the model has {} output(s), {} --output path(s) given", outs.size(), paths.size()),
                "pass one --output per model output, in order");
  for (size_t k = 0; k < outs.size(); ++k) support::write_array(paths[k], driver::output_array(g, k, outs[k], batch));
}

void report_overflows(const std::map<std::string, int64_t>& ovf, size_t batch, bool quiet) {
  if (quiet) return;
  for (const auto& [layer, count] : ovf)
    if (count > 0)
      fmt::print(stderr,
                 "firmnet: warning: layer '{}': {} value(s) overflowed their type over {} sample(s) "
                 "(hint: widen the layer's result precision, or use SAT)\n",
                 layer, count, batch);
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  if (!(out << text)) throw Error(path, "cannot be written");
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path, "cannot be read");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "firmnet: compile trained neural networks (ONNX) into FPGA firmware (Vitis/Vivado HLS C++),\n"
      "emulate them bit-exactly, and inspect their fixed-point types.\n"
      "Configuration: hls4ml-style YAML (Model / LayerType / LayerName; Precision, ReuseFactor, Strategy)."};
  app.footer(
      "\nExamples:\n"
      "  firmnet inspect model.onnx -c config.yml\n"
      "  firmnet convert model.onnx -c config.yml -o prj/ --input x.npy\n"
      "  firmnet predict model.onnx -c config.yml --input x.npy --output y.npy [--float] [--trace tr/]\n"
      "  firmnet csim prj/ --input x.npy --output y_csim.npy\n"
      "  firmnet estimate model.onnx -c config.yml [--json estimate.json]\n"
      "  firmnet report prj/ [--json]\n"
      "Run 'firmnet COMMAND --help' for a command's options. Docs: README.md, docs/NUMERICS.md.");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("firmnet ") + FIRMNET_VERSION);
  bool quiet = false;
  app.add_flag("-q,--quiet", quiet, "Do not print warnings");

  std::string model, weights, cfg_path, outdir, prj;
  std::vector<std::string> inputs, outputs;
  std::string trace_dir, print_after, stop_after, json_out;
  bool json_flag = false;
  bool use_float = false;
  bool ir_text = false;
  bool fit_inputs = false;
  int threads = 0;

  auto add_model = [&](CLI::App* c) {
    c->add_option("model", model,
                  "Trained model (.onnx: ONNX, QONNX, FINN-ONNX; .h5, .keras, .json: Keras, QKeras) or firmnet IR "
                  "text (.fnir); default: the configuration's KerasJson/KerasH5/OnnxModel");
    c->add_option("--weights", weights, "The weights .h5 of a Keras architecture .json (default: NAME_weights.h5 beside it)");
    c->add_option("-c,--config", cfg_path, "hls4ml-style YAML configuration (optional: defaults apply)")
        ;
    c->add_option("--print-after", print_after, "Print the IR after this pass (to stderr)");
  };

  auto* convert = app.add_subcommand("convert", "Write a complete Vitis/Vivado HLS project for the model");
  add_model(convert);
  convert->add_option("-o,--output-dir", outdir, "Project directory (default: OutputDir from the config)");
  convert->add_option("--input", inputs, "Optional test inputs (.npy/.csv/.dat) for the project's testbench");
  convert->add_flag("--fit-inputs", fit_inputs,
                    "Size each input whose precision is not configured from the --input data's range (16 bits, the "
                    "fewest integer bits holding it) instead of fixed<16,6>; values beyond it saturate");

  auto* predict = app.add_subcommand("predict", "Run the model bit-exactly (as the firmware computes) on inputs");
  add_model(predict);
  predict->add_option("--input", inputs, "Input data, one per model input: .npy or .csv/.dat, one row per sample")
      ->required();
  predict->add_option("--output", outputs, "Where to write the outputs (.npy float64 or .dat), one per model output")
      ->required();
  predict->add_flag("--fit-inputs", fit_inputs, "Size the inputs from the --input data, as 'convert --fit-inputs' does");
  predict->add_flag("--float", use_float, "Run the float (double precision) reference instead of fixed point");
  predict->add_option("--trace", trace_dir, "Write every layer's output to DIR/<layer>.npy");
  predict->add_option("--threads", threads, "Worker threads (default: all cores)");

  auto* inspect = app.add_subcommand("inspect", "Print the compiled graph: per layer op, shapes, every type, reuse");
  add_model(inspect);
  inspect->add_option("--stop-after", stop_after, "Stop the pass pipeline after this pass");
  inspect->add_flag("--ir", ir_text,
                    "Print the IR text form (.fnir: every type, constant and table; reads back as a model)");

  auto* csim = app.add_subcommand("csim", "Compile a generated project with g++ and ap_types and run it on inputs");
  csim->add_option("project", prj, "Project directory written by 'firmnet convert'")->required();
  csim->add_option("--input", inputs, "Input data (.npy/.csv/.dat), one per model input")->required();
  csim->add_option("--output", outputs, "Where to write the outputs, one per model output")->required();

  auto* est = app.add_subcommand("estimate", "Estimate latency, II, DSP, LUT, FF, BRAM, URAM per layer (no vendor tool)");
  add_model(est);
  est->add_option("--json", json_out, "Also write the estimate as JSON to this file");

  auto* report = app.add_subcommand("report", "Read a synthesised project's HLS/Vivado reports (vs estimate.json)");
  report->add_option("project", prj, "Project directory (searched for csynth.xml, *_csynth.rpt, vivado_synth.rpt)")
      ->required();
  report->add_flag("--json", json_flag, "Print the report as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    passes::PipelineOptions popts;
    // The model from the command line, else the one the configuration names (hls4ml's KerasJson/KerasH5).
    const auto compile_model = [&]() {
      config::Config cfg = driver::load_config(cfg_path);
      if (model.empty()) {
        const auto named = driver::model_from_config(cfg);
        if (!named)
          throw Error("firmnet", "no model given",
                      "pass the model file, or name it in the configuration (KerasJson + KerasH5, or OnnxModel)");
        model = named->model;
        if (weights.empty()) weights = named->weights;
      } else {
        for (const auto& [key, v] : {std::pair<const char*, std::string>{"KerasJson", cfg.keras_json},
                                     {"KerasH5", cfg.keras_h5}, {"OnnxModel", cfg.onnx_model}})
          if (!v.empty())
            cfg.warnings.push_back({cfg.source, std::string("key '") + key + "' ignored: the model comes from the command line"});
      }
      return driver::compile(model, cfg, popts, weights);
    };
    popts.print_after = print_after;
    popts.stop_after = stop_after;
    if (fit_inputs) {  // convert and predict: the same input types from the same data
        if (inputs.empty()) throw Error("--fit-inputs", "needs data", "pass --input FILE for every model input");
        for (size_t k = 0; k < inputs.size(); ++k) {
          const support::Array a = read_inputs({inputs[k]}).at(0);
          if (a.data.empty()) throw Error(inputs[k], "holds no values to fit the input type to");
          const auto [lo, hi] = std::minmax_element(a.data.begin(), a.data.end());
          popts.input_ranges.push_back({*lo, *hi, static_cast<size_t>(a.rows()), inputs[k]});
        }
    }
    if (*convert) {
      auto c = compile_model();
      print_warnings(c.warnings, quiet);
      std::string dir = !outdir.empty() ? outdir : c.config.output_dir;
      if (dir.empty()) throw Error("convert", "no output directory", "pass -o DIR or set OutputDir in the config");
      backends::TestVectors tv;
      backends::TestVectors* tvp = nullptr;
      if (!inputs.empty()) {
        tv.inputs = driver::inputs_from_arrays(c.graph, read_inputs(inputs), tv.batch);
        emulator::Emulator emu(c.graph);
        auto r = emu.run(tv.inputs, tv.batch);
        tv.outputs = r.outputs;
        report_overflows(r.overflows, tv.batch, quiet);
        tvp = &tv;
      }
      backends::write_vitis_project(c.graph, c.config, dir, tvp);
      std::vector<Warning> findings;
      try {
        const auto est = driver::estimate(c);
        write_text((std::filesystem::path(dir) / "estimate.json").string(), estimate::to_json(est));
        // A design over the part: say so now, not when implementation fails (the layers over an HLS limit
        // are among compile()'s warnings already).
        for (const auto& f : est.feasibility)
          if (f.layer.empty()) findings.push_back({"estimate", f.what + " (fix: " + f.fix + ")"});
      } catch (const Error& e) {  // the project is written; only the estimate is missing
        findings.push_back({"estimate", std::string("no estimate.json written: ") + e.what()});
      }
      print_warnings(findings, quiet);
      fmt::print("firmnet: wrote {} project '{}' to {}\n", c.config.backend, c.config.project_name, dir);
    } else if (*predict) {
      auto c = compile_model();
      print_warnings(c.warnings, quiet);
      size_t batch = 0;
      auto in = driver::inputs_from_arrays(c.graph, read_inputs(inputs), batch);
      if (use_float) {
        std::map<std::string, std::vector<double>> trace;
        auto outs = emulator::run_float(c.graph, in, batch, trace_dir.empty() ? nullptr : &trace);
        write_outputs(c.graph, outs, batch, outputs);
        if (!trace_dir.empty()) {
          std::filesystem::create_directories(trace_dir);
          for (const auto& [layer, v] : trace) {
            support::Array a{{static_cast<int64_t>(batch), static_cast<int64_t>(v.size() / batch)}, v};
            support::write_npy((std::filesystem::path(trace_dir) / (layer + ".npy")).string(), a);
          }
        }
      } else {
        emulator::Options eo;
        eo.threads = threads;
        eo.trace = !trace_dir.empty();
        emulator::Emulator emu(c.graph, eo);
        auto r = emu.run(in, batch);
        report_overflows(r.overflows, batch, quiet);
        write_outputs(c.graph, r.outputs, batch, outputs);
        if (!trace_dir.empty()) {
          std::filesystem::create_directories(trace_dir);
          for (const auto& node : c.graph.nodes) {
            auto it = r.trace_raw.find(node.name);
            if (it == r.trace_raw.end() || node.outputs.empty()) continue;
            const auto& t = c.graph.tensor(node.outputs[0]);
            support::Array a{{static_cast<int64_t>(batch), t.size()}, {}};
            a.data.reserve(it->second.size());
            for (int64_t raw : it->second) a.data.push_back(t.type->to_double(raw));
            support::write_npy((std::filesystem::path(trace_dir) / (node.name + ".npy")).string(), a);
          }
        }
      }
    } else if (*inspect) {
      auto c = compile_model();
      print_warnings(c.warnings, quiet);
      if (ir_text)
        fmt::print("{}", ir::print_text(c.graph, stop_after.empty() ? passes::pipeline_pass_names().back() : stop_after));
      else
        fmt::print("{}", ir::print(c.graph));
      if (!ir_text && c.config.io_type == "io_stream") fmt::print("{}", backends::stream_fifo_table(c.graph));
    } else if (*est) {
      auto c = compile_model();
      print_warnings(c.warnings, quiet);
      const auto e = driver::estimate(c);
      fmt::print("{}", estimate::to_table(e));
      if (!json_out.empty()) write_text(json_out, estimate::to_json(e));
    } else if (*report) {
      const auto r = estimate::read_project_reports(prj);
      if (json_flag) {
        fmt::print("{}", estimate::report_json(r));
      } else {
        // Side by side with the estimate convert wrote into the project, when there is one.
        const auto est_path = std::filesystem::path(prj) / "estimate.json";
        std::error_code ec;
        if (std::filesystem::exists(est_path, ec))
          fmt::print("{}", estimate::compare_table(estimate::read_estimate_json(read_text(est_path.string())), r));
        else
          fmt::print("{}", estimate::report_table(r));
      }
    } else if (*csim) {
      backends::CsimOptions co;
      co.ap_types_dir = driver::ap_types_dir();
      auto arrays = read_inputs(inputs);
      size_t batch = arrays.empty() ? 0 : static_cast<size_t>(arrays[0].rows());
      // Data in the model's order (e.g. NCHW), ports held in the firmware's (channels-last): convert.
      const backends::PortLayouts layouts = backends::project_port_layouts(prj);
      std::vector<std::vector<double>> in;
      for (size_t k = 0; k < arrays.size(); ++k) {
        const bool held = k < layouts.inputs.size() && layouts.inputs[k];
        in.push_back(held ? layouts.inputs[k]->to_held(arrays[k].data) : arrays[k].data);
      }
      auto outs = backends::run_csim(prj, in, batch, co);
      if (outs.size() != outputs.size())
        throw Error("csim", fmt::format("the project has {} output(s), {} --output path(s) given", outs.size(), outputs.size()));
      for (size_t k = 0; k < outs.size(); ++k) {
        support::Array a{{static_cast<int64_t>(batch), static_cast<int64_t>(batch ? outs[k].size() / batch : 0)}, outs[k]};
        if (k < layouts.outputs.size() && layouts.outputs[k]) {
          a.data = layouts.outputs[k]->to_model(outs[k]);
          a.shape = {static_cast<int64_t>(batch)};
          a.shape.insert(a.shape.end(), layouts.outputs[k]->model_shape.begin(), layouts.outputs[k]->model_shape.end());
        }
        support::write_array(outputs[k], a);
      }
    }
  } catch (const Error& e) {
    fmt::print(stderr, "firmnet: error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "firmnet: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
