#pragma once
// Name legalization for the generated project, in one place: every identifier the backend writes
// (arrays, typedefs, config structs, files) is claimed here, so none is illegal or collides.
#include <set>
#include <string>

namespace firmnet::backends::vitis {

// Maps any string to a legal C++ identifier that is not reserved (no keyword, no "__", no leading '_').
std::string legal_identifier(const std::string& text);
bool is_legal_identifier(const std::string& text);

class NameTable {
 public:
  NameTable();  // C++ keywords and the names the kernels and testbench use are taken from the start
  // The legalized `wanted`, made unique by a numeric suffix if needed; recorded as taken.
  std::string claim(const std::string& wanted);
  bool taken(const std::string& name) const { return taken_.count(name) != 0; }

 private:
  std::set<std::string> taken_;
};

}  // namespace firmnet::backends::vitis
