// io_stream (docs/ESTIMATE.md "io_stream"): the top function is a DATAFLOW region of one process per layer
// (backends/vitis/stream_writer.cpp, kernels/firmnet_stream.h) with FIFOs between them. The hardware plan
// (ir/hardware.h: each layer's mode, the line-buffer geometry, the FIFOs with their depths) says what is built;
// this file costs it: each process is the layer's io_parallel kernel on its own schedule (one Chain per
// process) for one stream element, one whole tensor or one window, inside its element or position loop;
// the region's latency follows the elements through the processes, its interval is the slowest process's.
#include <algorithm>
#include <fmt/format.h>
#include <map>

#include "estimate/model.h"
#include "ir/spatial.h"
#include "support/error.h"

namespace firmnet::estimate {
namespace {

// Calibrated on the shared io_stream csynth reports (docs/ESTIMATE.md "io_stream"):
// an element iteration reads its FIFO and writes the result through a register: one cycle beyond the kernel.
inline constexpr int64_t kStreamIterCycles = 1;
// A line-buffer position: the line-buffer RAM read and the window shift ahead of the window's arithmetic.
inline constexpr int64_t kLineBufferCycles = 2;
// Each process: its start/done handshake with the region and its loop's state machine.
inline constexpr int64_t kProcessFF = 6;
inline constexpr int64_t kProcessLut = 10;
// A Vitis HLS AXI4-Stream register slice: two data registers per bit (counted in ports), its valid/ready logic.
inline constexpr int64_t kRegSliceFF = 4;
inline constexpr int64_t kRegSliceLut = 8;
// The top function's block-level handshake (ap_ctrl_hs) and the DATAFLOW region's start/done logic.
inline constexpr int64_t kTopFF = 16;
inline constexpr int64_t kTopLut = 8;

using ir::row_count;
using ir::row_length;

// A loop counter of `trips` iterations (its register and its increment-compare).
Resources counter(int64_t trips) {
  Resources r;
  if (trips <= 1) return r;
  const int b = ceil_log2(trips + 1);
  r.ff = b;
  r.lut = 2 * b;
  return r;
}

// When the first and the last element of a tensor enter its stream, in cycles from the region's start.
struct Flow {
  int64_t first = 0, last = 0;
};

}  // namespace

void estimate_dataflow(const ir::Graph& g, const Target& t, const ir::HardwarePlan& plan, Estimate& e) {
  const bool slow = e.part_info && !e.part_info->dsp48e2;
  const bool vitis = t.backend == "Vitis";
  e.total.name = g.name;
  e.total.op = "total";
  std::map<ir::TensorId, Flow> flow;
  for (ir::TensorId id : g.inputs) flow[id] = {0, row_count(g.tensor(id)) - 1};  // the port: one per cycle
  std::map<std::string, int64_t> cloned_readers;  // tensor -> readers of its clone
  for (const ir::StreamFifo& f : plan.fifos)
    if (f.producer == "clone") ++cloned_readers[f.tensor];
  auto arrival = [&](ir::TensorId id) {  // through a clone process: one cycle later
    Flow fl = flow.at(id);
    if (cloned_readers.count(g.tensor(id).name)) fl.first += 1, fl.last += 1;
    return fl;
  };

  int64_t slowest = 1;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::LayerHardware& p = plan.layers[i];
    if (!p.process) continue;
    const ir::Node& n = g.nodes[i];
    if (n.outputs.size() != 1) continue;  // the writer refuses it
    const ir::Tensor& yt = g.tensor(n.outputs[0]);
    Flow in{0, 0};
    bool any = false;
    int64_t rows_in = 0;
    for (ir::TensorId id : n.inputs) {
      const Flow a = arrival(id);
      in.first = any ? std::max(in.first, a.first) : a.first;
      in.last = any ? std::max(in.last, a.last) : a.last;
      any = true;
      rows_in += row_count(g.tensor(id));
    }
    Chain chain(t.budget_ns(), slow ? kSlowFamily : 1.0);
    Context c{g, t, e.part_info, chain, 1, plan};
    const int64_t rows_out = row_count(yt);
    Row row;
    Flow out;
    int64_t busy = 0;  // the process's cycles per sample: its interval
    switch (p.mode) {
      case ir::StreamMode::Row: {
        // for each element: PIPELINE II=reuse_factor { read, the kernel on one row, write }; a Resource Dense
        // keeps its own pipelined loop, so its elements follow each other.
        c.rows = rows_out;
        row = estimate_layer(c, n);
        const int64_t lat = row.latency_max + kStreamIterCycles;
        const bool inner_loop = n.kind == ir::OpKind::Dense && n.strategy == ir::Strategy::Resource && n.reuse_factor > 1;
        const int64_t ii = inner_loop ? lat + 1 : std::max<int64_t>(1, n.reuse_factor);
        out.first = in.first + lat;
        out.last = std::max(in.last + lat, out.first + (rows_out - 1) * ii);
        row.latency_min = row.latency_max = lat + (rows_out - 1) * ii;
        // One element: Vivado HLS pipelines the process like a function (the reports' II 1); a loop over
        // several drains before the process returns.
        busy = rows_out == 1 ? ii : row.latency_max + 1;
        row.res += counter(rows_out);
        row.detail += fmt::format("{}per element: {} x II {}", row.detail.empty() ? "" : "; ", rows_out, ii);
        break;
      }
      case ir::StreamMode::Whole: {
        // Every element read into a partitioned array (II 1), the kernel once, every element written (II 1).
        row = estimate_layer(c, n);
        const int64_t k = row.latency_max;
        out.first = std::max(in.last + 1, in.first + rows_in) + k + 1;
        out.last = out.first + rows_out - 1;
        row.latency_min = row.latency_max = rows_in + k + rows_out + 2;
        busy = row.latency_max + 1;
        for (ir::TensorId id : n.inputs) {
          const ir::Tensor& x = g.tensor(id);
          row.res.ff += x.size() * type_of(g, id).width;  // the array, written element by element
          row.res.lut += row_count(x);                    // its write enables
          row.res += counter(row_count(x));
        }
        row.res.ff += yt.size() * type_of(g, n.outputs[0]).width;
        row.res.lut += row_length(yt) * mux_lut(rows_out, type_of(g, n.outputs[0]).width);  // the element out
        row.res += counter(rows_out);
        row.detail += fmt::format("{}whole tensor: {} elements in, {} out", row.detail.empty() ? "" : "; ", rows_in,
                                  rows_out);
        break;
      }
      case ir::StreamMode::Window: {
        // One loop iteration per position of the padded map (PIPELINE II=reuse_factor; a Resource conv runs
        // dense_resource's loop per complete window); the window's arithmetic is io_parallel's for one pixel.
        const ir::StreamWindow& w = p.window;
        row = n.kind == ir::OpKind::Conv ? estimate_dense(c, n) : pool_window(c, n);
        const int64_t lat = row.latency_max + kLineBufferCycles;
        const int64_t ii = std::max<int64_t>(1, n.reuse_factor);
        const bool resource = n.kind == ir::OpKind::Conv && n.strategy == ir::Strategy::Resource &&
                              n.reuse_factor > 1 && !ir::ConvAttrs::of(g, n).depthwise();
        const int64_t positions = w.ext_h * w.ext_w;
        const int64_t out_pixels = w.out_h * w.out_w;
        const int64_t per_window = resource ? std::max<int64_t>(0, row.latency_max + 1 - ii) : 0;
        const int64_t first_pos = (w.span_h - 1) * w.ext_w + w.span_w;  // positions until the first window
        // Positions after the last input element (bottom/right padding, ceil_mode taps), on the input-dilated
        // map of a transposed convolution.
        const int64_t last_inside =
            (w.pad_top + (w.in_h - 1) * w.in_dil_h) * w.ext_w + w.pad_left + (w.in_w - 1) * w.in_dil_w + 1;
        const int64_t trailing = positions - last_inside;
        out.first = in.first + first_pos * ii + lat;
        out.last = std::max(in.last + trailing * ii, in.first + positions * ii + out_pixels * per_window) + lat;
        row.latency_min = row.latency_max = positions * ii + out_pixels * per_window + lat;
        busy = row.latency_max + 1;
        const int xw = type_of(g, n.inputs.at(0)).width;
        // The window registers, the line buffer (span_h - 1 rows of ext_w positions, one RAM per row and
        // channel), zeros shifted in at padding positions, the position counters.
        row.res.ff += w.span_h * w.span_w * w.channels * xw;
        const Rom line = ram(w.ext_w, xw);
        const int64_t rams = (w.span_h - 1) * w.channels;
        row.res.lut += rams * line.res.lut;
        row.res.bram_18k += rams * line.res.bram_18k;
        if (positions > w.in_h * w.in_w) row.res.lut += w.channels * sel_lut(xw);
        row.res += counter(w.ext_h);
        row.res += counter(w.ext_w);
        row.res += counter(w.out_h);
        row.res += counter(w.out_w);
        row.detail += fmt::format("; line buffer: {} positions at II {}, {} x {} x {} bit {}", positions, ii, rams,
                                  w.ext_w, xw, line.bram ? "BRAM" : "LUTRAM");
        break;
      }
    }
    row.name = n.name;
    row.op = ir::name(n.kind);
    row.ii = busy;
    row.res.ff += kProcessFF;
    row.res.lut += kProcessLut;
    flow[n.outputs[0]] = out;
    slowest = std::max(slowest, busy);
    e.total.res += row.res;
    e.layers.push_back(std::move(row));
  }

  // The FIFOs the backend sized, and the clone processes.
  Resources fifos;
  for (const ir::StreamFifo& f : plan.fifos) fifos += fifo(f.depth, f.element_bits);
  for (const auto& [tensor, readers] : cloned_readers) {
    (void)tensor;
    fifos.ff += kProcessFF;
    fifos.lut += kProcessLut + readers;
  }
  Row fr;
  fr.name = "fifos";
  fr.op = "fifo";
  fr.latency_min = fr.latency_max = 0;
  fr.res = fifos;
  fr.detail = fmt::format("{} FIFOs, {} clone processes", plan.fifos.size(), cloned_readers.size());
  e.total.res += fifos;
  e.layers.push_back(fr);

  // The ports: Vitis HLS puts a register slice (a two-entry skid buffer) on every AXI4-Stream port.
  if (vitis) {
    Resources ports;
    for (const auto* ids : {&g.inputs, &g.outputs})
      for (ir::TensorId id : *ids) {
        const int64_t bits = row_length(g.tensor(id)) * type_of(g, id).width;
        ports.ff += 2 * bits + kRegSliceFF;
        ports.lut += kRegSliceLut;
      }
    Row pr;
    pr.name = "ports";
    pr.op = "ports";
    pr.res = ports;
    pr.detail = "AXI4-Stream register slices";
    e.total.res += ports;
    e.layers.push_back(pr);
  }

  int64_t latency = 0;
  for (ir::TensorId id : g.outputs) latency = std::max(latency, arrival(id).last);
  e.total.latency_min = e.total.latency_max = latency;
  // Vitis HLS reports the DATAFLOW top's interval as its latency (the top's ap_ctrl_hs: a sample starts when
  // the previous one is done); Vivado HLS overlaps samples at the slowest process's interval.
  e.total.ii = vitis ? std::max(slowest, latency) : slowest;
  e.total.res.ff += kTopFF;
  e.total.res.lut += kTopLut;
}

}  // namespace firmnet::estimate
