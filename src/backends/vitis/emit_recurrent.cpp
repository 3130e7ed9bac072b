// Recurrent layers (LSTM, GRU, SimpleRNN).
#include "backends/vitis/emit.h"
#include "support/error.h"

namespace firmnet::backends::vitis {

void emit_recurrent(EmitContext& ctx, const ir::Node& n, LayerCode& code) {
  (void)ctx, (void)code;
  throw Error(EmitContext::where(n), "recurrent layers have no HLS kernel yet",
              "emulate the model (firmnet predict) or wait for the recurrent firmware");
}

}  // namespace firmnet::backends::vitis
