// The Recurrent kernel (docs/NUMERICS.md "Recurrent"): a one-step SimpleRNN computed by hand; and, on random
// LSTM/GRU/SimpleRNN layers, exact relations between runs: a reverse layer equals a forward one on the
// time-reversed sequence, a sequence's last row equals the final state, and results do not depend on how samples
// are batched. (tests/backends compares it with an independent step-by-step reference and the firmware.)
#include <gtest/gtest.h>

#include <cmath>

#include "emulator/builder.h"
#include "emulator/emulator.h"
#include "ir/recurrent.h"
#include "numeric/tables.h"

namespace firmnet::emutest {
namespace {

using Raw = std::vector<int64_t>;

void add_table(ir::Node& n, const std::string& role, double (*f)(double), double lo, const FixedType& entry) {
  const numeric::TableSpec s = numeric::make_table_spec(lo, 4, lo < -4 ? 0 : -1, entry);  // 16 buckets
  n.tables[role] = s;
  n.table_data[role] = numeric::build_table(f, s);
  n.types[role] = entry;
}
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }
double tanh_f(double x) { return std::tanh(x); }

struct Layer {
  ir::CellKind cell;
  bool reverse, sequences;
  bool reset_before = false;  // GRU linear_before_reset 0
};

// x [T, F] -> recurrent (H units) with random 8-bit weights.
Builder layer(const Layer& l, int64_t T, int64_t F, int64_t H, uint64_t seed) {
  Builder b;
  Rng rng{seed};
  const int64_t G = l.cell == ir::CellKind::LSTM ? 4 : l.cell == ir::CellKind::GRU ? 3 : 1;
  const auto x = b.input("x", {T, F}, FixedType::parse("fixed<10,3,RND_CONV,SAT>"));
  auto rand_raw = [&](int64_t n, int64_t lo, int64_t hi) {
    Raw r;
    for (int64_t i = 0; i < n; ++i) r.push_back(rng.range(lo, hi));
    return r;
  };
  const auto w = b.constant("w", {F, G * H}, FixedType::parse("fixed<8,1>"), rand_raw(F * G * H, -128, 127));
  const auto r = b.constant("r", {H, G * H}, FixedType::parse("fixed<8,1>"), rand_raw(H * G * H, -128, 127));
  const auto bias = b.constant("b", {G * H}, FixedType::parse("fixed<8,1>"), rand_raw(G * H, -64, 64));
  const auto rbias = b.constant("rb", {G * H}, FixedType::parse("fixed<8,1>"), rand_raw(G * H, -64, 64));
  ir::Node& n = b.node(ir::OpKind::Recurrent, "rnn", {x}, l.sequences ? ir::Shape{T, H} : ir::Shape{H},
                       FixedType::parse("fixed<12,2,RND_CONV,SAT>"));
  n.params = {{"weight", w}, {"recurrent_weight", r}, {"bias", bias}, {"recurrent_bias", rbias}};
  n.attrs["cell"] = std::string(ir::name(l.cell));
  n.attrs["direction"] = std::string(l.reverse ? "reverse" : "forward");
  n.attrs["return_sequences"] = static_cast<int64_t>(l.sequences);
  n.attrs["activation"] = std::string("tanh");
  if (l.cell != ir::CellKind::RNN) n.attrs["recurrent_activation"] = std::string("sigmoid");
  if (l.cell == ir::CellKind::GRU) n.attrs["linear_before_reset"] = int64_t{l.reset_before ? 0 : 1};
  n.types["accum"] = FixedType::parse("fixed<24,8>");
  n.types["recurrent_accum"] = FixedType::parse("fixed<24,8>");
  n.types["state"] = FixedType::parse("fixed<14,2,RND_CONV,SAT>");
  if (l.cell == ir::CellKind::LSTM) n.types["cell_state"] = FixedType::parse("fixed<16,5,RND_CONV,SAT>");
  add_table(n, "table", tanh_f, -4, FixedType::parse("fixed<12,2,RND_CONV,SAT>"));
  if (l.cell != ir::CellKind::RNN) add_table(n, "recurrent_table", sigmoid, -8, FixedType::parse("ufixed<10,0,RND_CONV,SAT>"));
  b.output(b.out(n));
  b.g.verify(true);
  return b;
}

TEST(Recurrent, OneStepSimpleRnnByHand) {
  Builder b = layer({ir::CellKind::RNN, false, false}, 1, 1, 1, 1);
  ir::Node& n = b.g.nodes.back();
  auto set = [&](const char* role, int64_t raw) { b.g.tensor(n.param(role)).raw = {raw}; };
  set("weight", 64);          // 0.5
  set("recurrent_weight", 0);
  set("bias", 32);            // 0.25
  set("recurrent_bias", -16); // -0.125
  // x = 1.5 (raw 96 at 2^-6): pre = 0.25 + 0.75 - 0.125 = 0.875, bucket floor(0.875 / 0.5) + 8 = 9, whose
  // entry is tanh(0.75) = 0.635149 in fixed<12,2,RND_CONV> (2^-10): raw 650; in the state fixed<14,2> (2^-12): 2600;
  // the output fixed<12,2> (2^-10): 650.
  const auto r = emulator::Emulator(b.g).run_raw({{96}}, 1);
  EXPECT_EQ(n.table_data.at("table").at(9), 650);
  EXPECT_EQ(r.outputs_raw[0], (Raw{650}));
}

Raw run(const Builder& b, const Raw& x, size_t batch) { return emulator::Emulator(b.g).run_raw({x}, batch).outputs_raw[0]; }

TEST(Recurrent, ReverseIsForwardOnTheReversedSequence) {
  const int64_t T = 7, F = 3, H = 5;
  for (int variant = 0; variant < 4; ++variant) {
    const ir::CellKind cell = variant == 0 ? ir::CellKind::LSTM : variant == 3 ? ir::CellKind::RNN : ir::CellKind::GRU;
    const bool rb = variant == 2;  // GRU with linear_before_reset 0
    SCOPED_TRACE(std::string(ir::name(cell)) + (rb ? " reset_before" : ""));
    const Builder fwd = layer({cell, false, true, rb}, T, F, H, 11), rev = layer({cell, true, true, rb}, T, F, H, 11);
    Rng rng{5};
    const size_t batch = 70;  // more than one block of 64
    Raw x, xr(static_cast<size_t>(batch * T * F));
    for (size_t i = 0; i < batch * T * F; ++i) x.push_back(rng.range(-512, 511));
    for (size_t s = 0; s < batch; ++s)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t f = 0; f < F; ++f)
          xr[(s * T + static_cast<size_t>(T - 1 - t)) * F + static_cast<size_t>(f)] = x[(s * T + static_cast<size_t>(t)) * F + static_cast<size_t>(f)];
    const Raw yf = run(fwd, x, batch), yr = run(rev, xr, batch);
    size_t nonzero = 0;
    for (size_t s = 0; s < batch; ++s)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t j = 0; j < H; ++j) {
          const int64_t a = yf[(s * T + static_cast<size_t>(t)) * H + static_cast<size_t>(j)];
          ASSERT_EQ(a, yr[(s * T + static_cast<size_t>(T - 1 - t)) * H + static_cast<size_t>(j)]);
          nonzero += a != 0;
        }
    EXPECT_GT(nonzero, batch * T * H / 2);  // the layer does something
    // The last state is the sequence's last row; one sample at a time gives the same as the batch.
    const Builder last = layer({cell, false, false, rb}, T, F, H, 11);
    const Raw yl = run(last, x, batch);
    for (size_t s = 0; s < batch; ++s) {
      const Raw one = run(last, Raw(x.begin() + static_cast<long>(s * T * F), x.begin() + static_cast<long>((s + 1) * T * F)), 1);
      for (int64_t j = 0; j < H; ++j) {
        ASSERT_EQ(yl[s * H + static_cast<size_t>(j)], yf[(s * T + T - 1) * H + static_cast<size_t>(j)]);
        ASSERT_EQ(one[static_cast<size_t>(j)], yl[s * H + static_cast<size_t>(j)]);
      }
    }
  }
}

}  // namespace
}  // namespace firmnet::emutest
