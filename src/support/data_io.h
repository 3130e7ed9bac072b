#pragma once
// Sample data files: NumPy .npy (read: float16/32/64, (u)int8..64, bool; write: float64) and text
// (.csv/.dat/.txt: one sample per line, values separated by spaces, tabs or commas).
// Malformed files give a firmnet::Error naming the file and the problem, never a crash.
#include <cstdint>
#include <string>
#include <vector>

namespace firmnet::support {

struct Array {
  std::vector<int64_t> shape;  // C order
  std::vector<double> data;
  int64_t rows() const { return shape.empty() ? 1 : shape[0]; }
  int64_t row_size() const;    // product of shape[1:]; firmnet::Error if it does not fit in 64 bits
};

Array read_npy(const std::string& path);
Array parse_npy(const std::string& bytes, const std::string& display_name);
void write_npy(const std::string& path, const Array& a);  // float64, C order
std::string serialize_npy(const Array& a);

Array read_text(const std::string& path);  // shape [rows, columns]; every row must have the same length
Array parse_text(const std::string& text, const std::string& display_name);
void write_text(const std::string& path, const Array& a);  // %.17g

// By extension: .npy → read_npy, else read_text.
Array read_array(const std::string& path);
void write_array(const std::string& path, const Array& a);

std::string read_file(const std::string& path);  // throws firmnet::Error if missing/unreadable

}  // namespace firmnet::support
