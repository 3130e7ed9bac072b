#include "backends/vitis/vendor.h"

#include <algorithm>
#include <cctype>

#include "support/error.h"

namespace firmnet::backends::vitis {

VendorSpelling vendor_spelling(const std::string& backend) {
  std::string b = backend;
  std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (b == "vitis" || b == "vitishls" || b == "vitis_hls")
    return {"Vitis HLS", "vitis_hls", "vitis-run --mode hls", "INTERFACE mode=ap_vld port={port}",
            "open_solution -flow_target vivado \"solution1\"", false, "ip_catalog", "-std=c++14", 27.0};
  if (b == "vivado" || b == "vivadohls" || b == "vivado_hls")
    return {"Vivado HLS", "vivado_hls", "", "INTERFACE ap_vld port={port}", "open_solution \"solution1\"", true,
            "ip_catalog", "-std=c++0x", 12.5};
  throw Error("config Backend", "unknown backend '" + backend + "' for the HLS project writer",
              "use Backend: Vitis or Backend: Vivado");
}

}  // namespace firmnet::backends::vitis
