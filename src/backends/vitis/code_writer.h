#pragma once
// A small structured writer for generated C++ and Tcl: indentation, blocks, HLS pragmas and comments.
#include <string>

namespace firmnet::backends::vitis {

class CodeWriter {
 public:
  explicit CodeWriter(int indent_width = 2) : indent_width_(indent_width) {}

  CodeWriter& line(const std::string& text = {});  // one line at the current indentation ("" = blank)
  CodeWriter& lines(const std::string& text);      // several '\n'-separated lines, each indented
  CodeWriter& comment(const std::string& text);    // "// " before every line of text
  CodeWriter& pragma(const std::string& text);     // "#pragma HLS <text>", indented with the code
  // `head {` ... `}` + tail: open() indents, close() dedents.
  CodeWriter& open(const std::string& head);
  CodeWriter& close(const std::string& tail = {});
  CodeWriter& raw(const std::string& text);        // appended verbatim

  const std::string& str() const { return out_; }

 private:
  std::string out_;
  int depth_ = 0;
  int indent_width_;
};

}  // namespace firmnet::backends::vitis
