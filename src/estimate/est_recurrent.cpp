// Recurrent layers: not modelled yet (refused by name).
#include "estimate/model.h"
#include "support/error.h"

namespace firmnet::estimate {

Row estimate_recurrent(const Context& c, const ir::Node& n) {
  (void)c;
  throw Error("layer '" + n.name + "' (recurrent)", "the estimate does not model recurrent layers yet",
              "estimate the model without its recurrent layer, or synthesize it (the vendor report is read)");
}

}  // namespace firmnet::estimate
