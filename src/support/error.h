#pragma once
// Diagnostics: every user-facing failure is a firmnet::Error carrying where it happened (file, node,
// config key), what is wrong, and a hint for the fix. `assert` guards only firmnet's own invariants.
#include <stdexcept>
#include <string>

namespace firmnet {

class Error : public std::runtime_error {
 public:
  Error(std::string where, std::string what, std::string hint = {})
      : std::runtime_error(compose(where, what, hint)), where_(std::move(where)), what_(std::move(what)),
        hint_(std::move(hint)) {}
  const std::string& where() const { return where_; }
  const std::string& message() const { return what_; }
  const std::string& hint() const { return hint_; }

 private:
  static std::string compose(const std::string& where, const std::string& what, const std::string& hint) {
    std::string s = where.empty() ? what : where + ": " + what;
    if (!hint.empty()) s += " (hint: " + hint + ")";
    return s;
  }
  std::string where_, what_, hint_;
};

// Warnings are collected, not printed from deep inside the library: the driver decides where they go.
struct Warning {
  std::string where;
  std::string message;
  std::string str() const { return where.empty() ? message : where + ": " + message; }
};

}  // namespace firmnet
