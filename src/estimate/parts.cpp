// The common parts and their capacities (AMD/Xilinx and Intel product tables; sources in
// docs/ESTIMATE.md). BRAM is counted in 18 Kb blocks (two per 36 Kb block RAM); for Agilex, LUTs are
// ALUTs (two per ALM) and BRAM is M20K blocks.
#include <algorithm>
#include <cctype>

#include "estimate/estimate.h"

namespace firmnet::estimate {

const std::vector<Part>& parts() {
  //                       key      prefix      family          xilinx e2     {dsp, lut, ff, bram_18k, uram}
  static const std::vector<Part> table = {
      {"VU9P", "xcvu9p", "Virtex UltraScale+", true, true, {6840, 1182240, 2364480, 4320, 960}},
      {"VU13P", "xcvu13p", "Virtex UltraScale+", true, true, {12288, 1728000, 3456000, 5376, 1280}},
      {"U250", "xcu250", "Alveo (Virtex UltraScale+)", true, true, {12288, 1728000, 3456000, 5376, 1280}},
      {"ZU9EG", "xczu9eg", "Zynq UltraScale+", true, true, {2520, 274080, 548160, 1824, 0}},
      {"KU115", "xcku115", "Kintex UltraScale", true, true, {5520, 663360, 1326720, 4320, 0}},
      {"Z7020", "xc7z020", "Zynq-7000", true, false, {220, 53200, 106400, 280, 0}},
      {"Agilex7", "agf", "Agilex 7 (AGF 014)", false, true, {4510, 974400, 1948800, 7110, 0}},
  };
  return table;
}

const Part* find_part(const std::string& part_number) {
  std::string s = part_number;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  for (const Part& p : parts()) {
    std::string key = p.key;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (s == key || s.rfind(p.prefix, 0) == 0) return &p;
  }
  if (s.rfind("agilex", 0) == 0) return &parts().back();
  return nullptr;
}

}  // namespace firmnet::estimate
