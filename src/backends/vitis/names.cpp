#include "backends/vitis/names.h"

#include <cctype>

namespace firmnet::backends::vitis {
namespace {

const char* const kReserved[] = {
    // C++ keywords
    "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch",
    "char", "char16_t", "char32_t", "char8_t", "class", "compl", "concept", "const", "consteval", "constexpr",
    "constinit", "const_cast", "continue", "co_await", "co_return", "co_yield", "decltype", "default", "delete",
    "do", "double", "dynamic_cast", "else", "enum", "explicit", "export", "extern", "false", "float", "for",
    "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq",
    "nullptr", "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "requires", "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
    "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
    // names used by the generated code, the kernels, ap_types and the C library
    "main", "firmnet_hls", "std", "ap_fixed", "ap_ufixed", "ap_int", "ap_uint", "data", "res", "weights",
    "biases", "table", "exp", "log", "max", "min", "abs", "printf", "fopen", "NULL", "EOF"};

}  // namespace

bool is_legal_identifier(const std::string& t) {
  if (t.empty() || std::isdigit(static_cast<unsigned char>(t[0])) || t[0] == '_') return false;
  for (char c : t)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return t.find("__") == std::string::npos;
}

std::string legal_identifier(const std::string& text) {
  std::string s;
  for (char c : text) {
    char d = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    if (d == '_' && (s.empty() || s.back() == '_')) continue;  // no leading '_' and no "__"
    s += d;
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  if (s.empty()) s = "n";
  if (std::isdigit(static_cast<unsigned char>(s[0]))) s = "n" + s;
  return s;
}

NameTable::NameTable() {
  for (const char* r : kReserved) taken_.insert(r);
}

std::string NameTable::claim(const std::string& wanted) {
  std::string base = legal_identifier(wanted);
  std::string name = base;
  for (int k = 2; taken_.count(name); ++k) name = base + "_" + std::to_string(k);
  taken_.insert(name);
  return name;
}

}  // namespace firmnet::backends::vitis
