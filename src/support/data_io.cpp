#include "support/data_io.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <span>
#include <sstream>
#include <string_view>

#include <fmt/format.h>

#include "support/checked.h"
#include "support/error.h"
#include "support/parse.h"

namespace firmnet::support {

int64_t Array::row_size() const {
  if (shape.size() <= 1) return 1;
  const auto n = checked_elements(std::span<const int64_t>(shape).subspan(1), std::numeric_limits<int64_t>::max());
  if (!n) throw Error("array of shape " + shape_string(shape), "the row size does not fit in 64 bits");
  return *n;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open file", "check the path");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw Error(path, "cannot read file");
  return ss.str();
}

namespace {

constexpr int64_t kMaxNpyElements = int64_t{1} << 40;

static_assert(std::endian::native == std::endian::little, "firmnet assumes a little-endian host");

// Value of a Python-literal header entry: 'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
std::string header_field(const std::string& h, const std::string& key, const std::string& where) {
  auto k = h.find("'" + key + "'");
  if (k == std::string::npos) throw Error(where, "npy header has no '" + key + "'");
  auto colon = h.find(':', k);
  if (colon == std::string::npos) throw Error(where, "malformed npy header");
  size_t b = colon + 1;
  while (b < h.size() && h[b] == ' ') ++b;
  if (b >= h.size()) throw Error(where, "malformed npy header");
  size_t e = b;
  if (h[b] == '\'') {
    e = h.find('\'', b + 1);
    if (e == std::string::npos) throw Error(where, "malformed npy header");
    return h.substr(b + 1, e - b - 1);
  }
  if (h[b] == '(') {
    e = h.find(')', b);
    if (e == std::string::npos) throw Error(where, "malformed npy header");
    return h.substr(b, e - b + 1);
  }
  while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
  return h.substr(b, e - b);
}

// The 'shape' field: "()", "(3,)", "(3, 4)"; every entry a non-negative integer.
std::vector<int64_t> parse_npy_shape(const std::string& shape_s, const std::string& where) {
  const auto bad = [&](const std::string& why) {
    return Error(where, "npy header field 'shape' '" + shape_s + "' " + why,
                 "write the file with numpy.save; 'shape' is a tuple such as (100, 16)");
  };
  if (shape_s.size() < 2 || shape_s.front() != '(' || shape_s.back() != ')') throw bad("is not a tuple");
  std::vector<int64_t> shape;
  std::string_view rest = std::string_view(shape_s).substr(1, shape_s.size() - 2);
  while (true) {
    const size_t comma = rest.find(',');
    std::string_view tok = rest.substr(0, comma);
    while (!tok.empty() && tok.front() == ' ') tok.remove_prefix(1);
    while (!tok.empty() && tok.back() == ' ') tok.remove_suffix(1);
    const bool last = comma == std::string_view::npos;
    if (tok.empty()) {
      // Only "()" and the trailing comma of "(3,)" leave an empty entry.
      if (!last || (shape.empty() && rest.find_first_not_of(' ') != std::string_view::npos)) throw bad("has an empty entry");
      break;
    }
    const auto d = parse_int<int64_t>(tok);
    if (!d || *d < 0) throw bad("has the entry '" + std::string(tok) + "', which is not a dimension");
    shape.push_back(*d);
    if (last) break;
    rest.remove_prefix(comma + 1);
  }
  return shape;
}

template <class T>
void convert(const char* p, size_t n, std::vector<double>& out) {
  out.resize(n);
  for (size_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, p + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

double half_to_double(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v;
  if (e == 0) v = std::ldexp(m, -24);
  else if (e == 31) v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  else v = std::ldexp(m + 1024, e - 25);
  return s ? -v : v;
}

}  // namespace

Array parse_npy(const std::string& bytes, const std::string& where) {
  static const char magic[] = "\x93NUMPY";
  if (bytes.size() < 10 || bytes.compare(0, 6, magic, 6) != 0)
    throw Error(where, "not a .npy file (bad magic)", "write it with numpy.save");
  int major = static_cast<unsigned char>(bytes[6]);
  size_t hlen, hstart;
  if (major == 1) {
    hlen = static_cast<unsigned char>(bytes[8]) | (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw Error(where, "truncated .npy header");
    hlen = 0;
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    hstart = 12;
  } else {
    throw Error(where, fmt::format("unsupported .npy version {}", major));
  }
  if (hlen > bytes.size() - hstart) throw Error(where, "truncated .npy header");
  const std::string h = bytes.substr(hstart, hlen);
  const std::string descr = header_field(h, "descr", where);
  const std::string fortran = header_field(h, "fortran_order", where);
  const std::string shape_s = header_field(h, "shape", where);
  if (fortran.find("True") != std::string::npos)
    throw Error(where, "Fortran-order arrays are not supported", "save a C-contiguous array (numpy.ascontiguousarray)");
  Array a;
  a.shape = parse_npy_shape(shape_s, where);
  const auto count = checked_elements(a.shape, kMaxNpyElements);
  if (!count)
    throw Error(where, "npy header field 'shape' " + shape_s + " is too large (more than 2^40 elements)",
                "firmnet reads sample files that fit in memory");
  const int64_t n = *count;
  if (descr.size() < 3 || std::string_view("<>|=").find(descr[0]) == std::string_view::npos)
    throw Error(where, "npy header field 'descr' holds the unsupported dtype '" + descr + "'", "use float32 or float64");
  const char order = descr[0], kind = descr[1];
  const auto parsed_size = parse_int<int>(std::string_view(descr).substr(2));
  if (!parsed_size || *parsed_size <= 0 || *parsed_size > 16)
    throw Error(where, "npy header field 'descr' holds the unsupported dtype '" + descr + "'", "use float32 or float64");
  const int size = *parsed_size;
  if (order == '>' && size > 1) throw Error(where, "big-endian arrays are not supported", "use numpy's native little-endian order");
  const size_t data_off = hstart + hlen;
  const size_t need = static_cast<size_t>(n) * static_cast<size_t>(size);  // n <= 2^40, size <= 16
  if (bytes.size() - data_off < need)
    throw Error(where, fmt::format("truncated .npy data: shape {} of {} needs {} bytes, file has {}", shape_s, descr, need,
                                   bytes.size() - data_off));
  const char* p = bytes.data() + data_off;
  const size_t cnt = static_cast<size_t>(n);
  if (kind == 'f' && size == 8) convert<double>(p, cnt, a.data);
  else if (kind == 'f' && size == 4) convert<float>(p, cnt, a.data);
  else if (kind == 'f' && size == 2) {
    a.data.resize(cnt);
    for (size_t i = 0; i < cnt; ++i) {
      uint16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      a.data[i] = half_to_double(v);
    }
  } else if (kind == 'i' && size == 8) convert<int64_t>(p, cnt, a.data);
  else if (kind == 'i' && size == 4) convert<int32_t>(p, cnt, a.data);
  else if (kind == 'i' && size == 2) convert<int16_t>(p, cnt, a.data);
  else if (kind == 'i' && size == 1) convert<int8_t>(p, cnt, a.data);
  else if (kind == 'u' && size == 8) convert<uint64_t>(p, cnt, a.data);
  else if (kind == 'u' && size == 4) convert<uint32_t>(p, cnt, a.data);
  else if (kind == 'u' && size == 2) convert<uint16_t>(p, cnt, a.data);
  else if ((kind == 'u' || kind == 'b') && size == 1) convert<uint8_t>(p, cnt, a.data);
  else throw Error(where, "unsupported dtype '" + descr + "'", "use float32 or float64");
  for (double v : a.data)
    if (!std::isfinite(v)) throw Error(where, "contains NaN or infinity");
  return a;
}

Array read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

std::string serialize_npy(const Array& a) {
  std::string shape = "(";
  for (size_t i = 0; i < a.shape.size(); ++i) shape += std::to_string(a.shape[i]) + (a.shape.size() == 1 ? "," : (i + 1 < a.shape.size() ? ", " : ""));
  shape += ")";
  std::string h = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
  // Version 1.0 has a 2-byte header length; a longer header (thousands of dimensions) needs version 2.0.
  const bool v2 = 10 + h.size() + 1 + 64 > 0xffff;
  const size_t prefix = v2 ? 12 : 10;
  const size_t total = prefix + h.size() + 1;
  h += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out(v2 ? "\x93NUMPY\x02\x00" : "\x93NUMPY\x01\x00", 8);
  for (size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  out += h;
  out.append(reinterpret_cast<const char*>(a.data.data()), a.data.size() * sizeof(double));
  return out;
}

void write_npy(const std::string& path, const Array& a) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot write file");
  const std::string s = serialize_npy(a);
  f.write(s.data(), static_cast<std::streamsize>(s.size()));
  if (!f) throw Error(path, "write failed");
}

Array read_text(const std::string& path) { return parse_text(read_file(path), path); }

Array parse_text(const std::string& text, const std::string& path) {
  Array a;
  int64_t cols = -1, line_no = 0, rows = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    for (char& c : line)
      if (c == ',' || c == '\t' || c == '\r' || c == ';') c = ' ';
    const char* p = line.data();
    const char* end = p + line.size();
    int64_t n = 0;
    while (true) {
      while (p < end && *p == ' ') ++p;
      if (p >= end || *p == '#') break;
      double v;
      auto [q, ec] = std::from_chars(p, end, v);
      if (ec != std::errc() || !std::isfinite(v))
        throw Error(fmt::format("{}:{}", path, line_no), "not a number: '" + std::string(p, std::min<size_t>(20, static_cast<size_t>(end - p))) + "'");
      a.data.push_back(v);
      ++n;
      p = q;
    }
    if (n == 0) continue;
    if (cols >= 0 && n != cols)
      throw Error(fmt::format("{}:{}", path, line_no), fmt::format("row has {} values, earlier rows have {}", n, cols));
    cols = n;
    ++rows;
  }
  if (rows == 0) throw Error(path, "no data rows");
  a.shape = {rows, cols};
  return a;
}

void write_text(const std::string& path, const Array& a) {
  std::ofstream f(path);
  if (!f) throw Error(path, "cannot write file");
  const int64_t cols = a.row_size();
  for (int64_t r = 0; r < a.rows(); ++r) {
    for (int64_t c = 0; c < cols; ++c) f << (c ? " " : "") << fmt::format("{:.17g}", a.data[static_cast<size_t>(r * cols + c)]);
    f << "\n";
  }
}

namespace {
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
}  // namespace

Array read_array(const std::string& path) { return ends_with(path, ".npy") ? read_npy(path) : read_text(path); }
void write_array(const std::string& path, const Array& a) {
  if (ends_with(path, ".npy")) write_npy(path, a);
  else write_text(path, a);
}

}  // namespace firmnet::support
