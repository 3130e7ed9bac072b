#include "backends/vitis/code_writer.h"

#include <cassert>

namespace firmnet::backends::vitis {

CodeWriter& CodeWriter::line(const std::string& text) {
  if (!text.empty()) out_.append(static_cast<size_t>(depth_ * indent_width_), ' ');
  out_ += text;
  out_ += '\n';
  return *this;
}

CodeWriter& CodeWriter::lines(const std::string& text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end == text.size() && start == end && start != 0) break;  // trailing newline
    line(text.substr(start, end - start));
    start = end + 1;
  }
  return *this;
}

CodeWriter& CodeWriter::comment(const std::string& text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    line("// " + text.substr(start, end - start));
    start = end + 1;
  }
  return *this;
}

CodeWriter& CodeWriter::pragma(const std::string& text) { return line("#pragma HLS " + text); }

CodeWriter& CodeWriter::open(const std::string& head) {
  line(head.empty() ? "{" : head + " {");
  ++depth_;
  return *this;
}

CodeWriter& CodeWriter::close(const std::string& tail) {
  assert(depth_ > 0);
  --depth_;
  return line("}" + tail);
}

CodeWriter& CodeWriter::raw(const std::string& text) {
  out_ += text;
  return *this;
}

}  // namespace firmnet::backends::vitis
