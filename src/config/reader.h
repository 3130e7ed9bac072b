#pragma once
// Internal to src/config: typed reads of YAML nodes that fail with a firmnet::Error naming the file, the
// full key path and the offending value, never a yaml-cpp exception or a crash.
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace firmnet::config::detail {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const std::string& what, const std::string& hint = {}) const;
  // Error for a key not in `valid`, with the nearest valid key as hint.
  [[noreturn]] void unknown_key(const std::string& path, const std::string& key,
                                const std::vector<std::string>& valid) const;

  // The node must be a map (or null, read as empty); its keys are returned in file order.
  std::vector<std::pair<std::string, YAML::Node>> map_entries(const YAML::Node& n, const std::string& path) const;
  std::string str(const YAML::Node& n, const std::string& path) const;
  int integer(const YAML::Node& n, const std::string& path) const;
  double number(const YAML::Node& n, const std::string& path) const;
  bool boolean(const YAML::Node& n, const std::string& path) const;

 private:
  std::string file_;
};

// Parses one level of HLSConfig (Model, a LayerType entry, a LayerName entry) at key path `path`.
LayerSettings parse_level(const Reader& r, const YAML::Node& n, const std::string& path);

}  // namespace firmnet::config::detail
