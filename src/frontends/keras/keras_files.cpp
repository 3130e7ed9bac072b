// Keras model files → KerasFile: HDF5 (libhdf5, opened from memory), .keras zips (libzip), JSON configs
// (nlohmann-json). Layouts: keras_files.h. Every failure of a library becomes one firmnet::Error naming the
// file and what is wrong; nothing is printed.
#include "frontends/keras/keras_files.h"

#include <hdf5.h>
#include <zip.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "support/error.h"
#include "support/parse.h"

// Present only in sanitizer builds (weak: null otherwise).
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace firmnet::frontends::keras {

namespace {

constexpr int64_t kMaxTotalElements = int64_t{1} << 27;
constexpr uint64_t kMaxEntryBytes = uint64_t{1} << 31;  // one zip entry
constexpr hssize_t kMaxNames = 1 << 20;                 // strings in one attribute

void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

// An HDF5 identifier closed on scope exit.
class Hid {
 public:
  Hid(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() {
    if (id_ >= 0) close_(id_);
  }
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

class H5Reader {
 public:
  H5Reader(const std::string& bytes, std::string where) : where_(std::move(where)) {
    silence_hdf5();
    Hid fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
    if (!fapl.ok() || H5Pset_fapl_core(fapl.get(), 1 << 16, 0) < 0 ||
        H5Pset_file_image(fapl.get(), const_cast<char*>(bytes.data()), bytes.size()) < 0)
      fail("the HDF5 library could not take the file into memory");
    static std::atomic<int> counter{0};
    const std::string name = fmt::format("firmnet_keras_image_{}", counter++);
    file_ = H5Fopen(name.c_str(), H5F_ACC_RDONLY, fapl.get());
    if (file_ < 0) fail("is not a readable HDF5 file (truncated or corrupt)", "check that the file was copied completely");
  }
  ~H5Reader() {
    if (file_ >= 0) H5Fclose(file_);
  }
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  hid_t root() const { return file_; }
  const std::string& where() const { return where_; }

  [[noreturn]] void fail(const std::string& what, const std::string& hint = {}) const { throw Error(where_, what, hint); }

  bool has_link(hid_t loc, const std::string& path) const {
    // Each component must exist before the next is asked about.
    size_t pos = !path.empty() && path[0] == '/' ? 1 : 0;
    while (true) {
      const size_t slash = path.find('/', pos);
      const std::string prefix = path.substr(0, slash);
      if (prefix.empty() || H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0) return false;
      if (slash == std::string::npos) return true;
      pos = slash + 1;
    }
  }
  bool is_group(hid_t loc, const std::string& path) const {
    if (!has_link(loc, path)) return false;
    H5O_info_t info;
    if (H5Oget_info_by_name(loc, path.c_str(), &info, H5P_DEFAULT) < 0) return false;
    return info.type == H5O_TYPE_GROUP;
  }

  // The strings of attribute `name` of `obj` (a string or an array of strings); nullopt when absent.
  // An empty numeric attribute (Keras writes weight_names = [] as float64[0]) is an empty list.
  std::optional<std::vector<std::string>> strings(hid_t obj, const std::string& name, const std::string& what) const {
    if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
    Hid a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!a.ok()) fail(fmt::format("attribute '{}' of {} cannot be opened (corrupt file)", name, what));
    Hid type(H5Aget_type(a.get()), H5Tclose);
    Hid space(H5Aget_space(a.get()), H5Sclose);
    if (!type.ok() || !space.ok()) fail(fmt::format("attribute '{}' of {} is unreadable (corrupt file)", name, what));
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    if (n < 0 || n > kMaxNames) fail(fmt::format("attribute '{}' of {} has an invalid size", name, what));
    std::vector<std::string> out;
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_STRING) {
      if (n == 0) return out;
      fail(fmt::format("attribute '{}' of {} is not text", name, what));
    }
    if (n == 0) return out;
    const htri_t vlen = H5Tis_variable_str(type.get());
    if (vlen < 0) fail(fmt::format("attribute '{}' of {} has a corrupt string type", name, what));
    if (vlen) {
      Hid mem(H5Tcopy(H5T_C_S1), H5Tclose);
      H5Tset_size(mem.get(), H5T_VARIABLE);
      H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
      std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
      if (H5Aread(a.get(), mem.get(), ptrs.data()) < 0)
        fail(fmt::format("attribute '{}' of {} cannot be read (corrupt file)", name, what));
      for (char* p : ptrs) {
        out.emplace_back(p ? p : "");
        if (p) H5free_memory(p);
      }
    } else {
      const size_t size = H5Tget_size(type.get());
      if (size == 0 || size > (size_t{1} << 28) / static_cast<size_t>(n))
        fail(fmt::format("attribute '{}' of {} has an invalid string size", name, what));
      Hid mem(H5Tcopy(type.get()), H5Tclose);
      std::vector<char> buf(size * static_cast<size_t>(n) + 1, '\0');
      if (H5Aread(a.get(), mem.get(), buf.data()) < 0)
        fail(fmt::format("attribute '{}' of {} cannot be read (corrupt file)", name, what));
      for (hssize_t k = 0; k < n; ++k) {
        const char* s = buf.data() + static_cast<size_t>(k) * size;
        out.emplace_back(s, strnlen(s, size));
      }
    }
    return out;
  }

  std::optional<std::string> string(hid_t obj, const std::string& name, const std::string& what) const {
    auto v = strings(obj, name, what);
    if (!v) return std::nullopt;
    if (v->size() != 1) fail(fmt::format("attribute '{}' of {} holds {} strings, expected one", name, what, v->size()));
    return (*v)[0];
  }

  // The numeric dataset at `path` (relative to loc) as doubles.
  Array dataset(hid_t loc, const std::string& path, const std::string& name) {
    if (!has_link(loc, path)) fail(fmt::format("weight '{}' is missing", path), "the weights file is incomplete");
    Hid d(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), H5Dclose);
    if (!d.ok()) fail(fmt::format("weight '{}' is not a readable dataset (corrupt file)", path));
    Hid type(H5Dget_type(d.get()), H5Tclose);
    Hid space(H5Dget_space(d.get()), H5Sclose);
    if (!type.ok() || !space.ok()) fail(fmt::format("weight '{}' is unreadable (corrupt file)", path));
    const H5T_class_t cls = H5Tget_class(type.get());
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
      fail(fmt::format("weight '{}' is not a numeric array (HDF5 type class {})", path, static_cast<int>(cls)));
    const int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 8) fail(fmt::format("weight '{}' has an invalid rank", path));
    hsize_t dims[8] = {};
    if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0)
      fail(fmt::format("weight '{}' has unreadable dimensions", path));
    Array a;
    a.name = name;
    int64_t n = 1;
    for (int k = 0; k < rank; ++k) {
      if (dims[k] > static_cast<hsize_t>(kMaxArrayElements) || n * static_cast<int64_t>(dims[k]) > kMaxArrayElements)
        fail(fmt::format("weight '{}' has more than {} values", path, kMaxArrayElements));
      a.shape.push_back(static_cast<int64_t>(dims[k]));
      n *= static_cast<int64_t>(dims[k]);
    }
    total_ += n;
    if (total_ > kMaxTotalElements) fail(fmt::format("the weights hold more than {} values", kMaxTotalElements));
    a.values.assign(static_cast<size_t>(n), 0.0);
    if (n > 0 && H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.values.data()) < 0)
      fail(fmt::format("weight '{}' cannot be read (truncated or corrupt file)", path));
    return a;
  }

  // The names of the links in group `path` of loc.
  std::vector<std::string> children(hid_t loc, const std::string& path) const {
    std::vector<std::string> names;
    Hid g(H5Gopen2(loc, path.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.ok()) fail(fmt::format("group '{}' cannot be opened (corrupt file)", path));
    H5G_info_t info;
    if (H5Gget_info(g.get(), &info) < 0 || info.nlinks > static_cast<hsize_t>(kMaxNames))
      fail(fmt::format("group '{}' is unreadable (corrupt file)", path));
    for (hsize_t i = 0; i < info.nlinks; ++i) {
      const ssize_t len = H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
      if (len < 0 || len > 4096) fail(fmt::format("a link name in group '{}' is unreadable (corrupt file)", path));
      std::string s(static_cast<size_t>(len) + 1, '\0');
      H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, s.data(), s.size(), H5P_DEFAULT);
      s.resize(static_cast<size_t>(len));
      names.push_back(s);
    }
    return names;
  }

 private:
  std::string where_;
  hid_t file_ = -1;
  int64_t total_ = 0;
};

std::string basename_of(const std::string& p) {
  const size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

std::string strip_suffix(std::string s) {  // "kernel:0" -> "kernel"
  const size_t c = s.rfind(':');
  if (c != std::string::npos && c + 1 < s.size() &&
      std::all_of(s.begin() + static_cast<std::ptrdiff_t>(c + 1), s.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
    s.resize(c);
  return s;
}

int major_of(const std::string& version) {
  if (!version.empty() && version[0] >= '1' && version[0] <= '9') return version[0] - '0';
  return 0;
}

// Python's json module writes the non-standard literals Infinity, -Infinity and NaN (HGQ2 configs hold
// i_decay_speed: Infinity); outside strings they become ±1e308 and null, which firmnet never reads as data.
std::string python_json_literals(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t k = 0; k < text.size(); ++k) {
    const char c = text[k];
    if (in_string) {
      out += c;
      if (c == '\\' && k + 1 < text.size()) out += text[++k];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    if (text.compare(k, 8, "Infinity") == 0) {
      out += "1e308";
      k += 7;
    } else if (text.compare(k, 3, "NaN") == 0) {
      out += "null";
      k += 2;
    } else {
      out += c;
    }
  }
  return out;
}

nlohmann::json parse_json(const std::string& text, const std::string& where, const std::string& what) {
  try {
    return nlohmann::json::parse(python_json_literals(text));
  } catch (const nlohmann::json::exception& e) {
    std::string msg = e.what();
    for (char& c : msg)
      if (c == '\n' || c == '\r') c = ' ';
    throw Error(where, fmt::format("{} is not valid JSON ({})", what, msg),
                "check that the file was written by Keras and copied completely");
  }
}

// Legacy layout: `group` has attribute layer_names, each layer group attribute weight_names.
void read_legacy_weights(H5Reader& h5, const std::string& group, KerasFile& kf) {
  Hid g(H5Gopen2(h5.root(), group.c_str(), H5P_DEFAULT), H5Gclose);
  if (!g.ok()) h5.fail(fmt::format("group '{}' cannot be opened (corrupt file)", group));
  const auto layers = h5.strings(g.get(), "layer_names", "the weights");
  if (!layers) h5.fail("has no attribute 'layer_names': not a Keras weights file");
  for (const std::string& layer : *layers) {
    const std::string lpath = group == "/" ? layer : group + "/" + layer;
    if (layer.empty() || !h5.is_group(h5.root(), lpath))
      h5.fail(fmt::format("layer '{}' is listed in layer_names but has no group", layer), "the file is incomplete");
    Hid lg(H5Gopen2(h5.root(), lpath.c_str(), H5P_DEFAULT), H5Gclose);
    if (!lg.ok()) h5.fail(fmt::format("the group of layer '{}' cannot be opened (corrupt file)", layer));
    const auto names = h5.strings(lg.get(), "weight_names", "layer '" + layer + "'");
    auto& own = kf.weights[layer];
    if (!names) continue;
    for (const std::string& p : *names) {
      Array a = h5.dataset(h5.root(), lpath + "/" + p, strip_suffix(basename_of(p)));
      // A nested model's group holds its layers' weights: index them by the inner layer too.
      const size_t last = p.rfind('/');
      if (last != std::string::npos && last > 0) {
        const std::string dir = p.substr(0, last);
        const std::string inner = basename_of(dir);
        if (inner != layer && !inner.empty()) kf.weights[inner].push_back(a);
      }
      own.push_back(std::move(a));
    }
  }
  kf.has_weights = true;
}

// Keras 3 layout: layers/<name>/vars/<0..n-1>, sub-objects in other groups of the layer.
void read_v3_group(H5Reader& h5, const std::string& path, const std::string& key, KerasFile& kf, int depth) {
  if (depth > 32) h5.fail("the weights are nested too deeply");
  for (const std::string& c : h5.children(h5.root(), path)) {
    const std::string cp = path + "/" + c;
    if (!h5.is_group(h5.root(), cp)) continue;
    if (c == "vars") {
      const auto vars = h5.children(h5.root(), cp);
      auto& list = kf.weights[key];
      for (size_t i = 0; i < vars.size(); ++i) {
        const std::string v = std::to_string(i);
        if (std::find(vars.begin(), vars.end(), v) == vars.end())
          h5.fail(fmt::format("the variables of '{}' are not numbered 0..{}", key, vars.size() - 1));
        list.push_back(h5.dataset(h5.root(), cp + "/" + v, v));
      }
    } else if (c == "layers") {
      // A nested model's layers: keyed by their object path (renamed to layer names by keras3_layer_names).
      for (const std::string& l : h5.children(h5.root(), cp))
        if (h5.is_group(h5.root(), cp + "/" + l)) read_v3_group(h5, cp + "/" + l, key + "/layers/" + l, kf, depth + 1);
    } else {
      read_v3_group(h5, cp, key + "/" + c, kf, depth + 1);
    }
  }
}

void read_weights_h5(H5Reader& h5, KerasFile& kf) {
  if (h5.is_group(h5.root(), "model_weights")) return read_legacy_weights(h5, "model_weights", kf);
  if (H5Aexists(h5.root(), "layer_names") > 0) return read_legacy_weights(h5, "/", kf);
  if (h5.is_group(h5.root(), "layers")) {
    for (const std::string& l : h5.children(h5.root(), "/layers"))
      if (h5.is_group(h5.root(), "/layers/" + l)) read_v3_group(h5, "/layers/" + l, l, kf, 0);
    kf.has_weights = true;
    return;
  }
  h5.fail("holds no Keras weights (no 'model_weights' group, 'layer_names' attribute or 'layers' group)",
          "give a file written by Keras model.save() or save_weights()");
}

std::string read_file_bytes(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw Error(path, "file not found", "check the path to the " + what);
  if (fs::is_directory(st)) throw Error(path, "is a directory, not a " + what);
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "cannot open the file for reading", "check its permissions");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) throw Error(path, "failed while reading the file");
  return ss.str();
}

bool is_hdf5(const std::string& b) { return b.size() >= 8 && b.compare(0, 8, "\x89HDF\r\n\x1a\n", 8) == 0; }
bool is_zip(const std::string& b) { return b.size() >= 4 && b.compare(0, 4, "PK\x03\x04", 4) == 0; }

void check_not_empty(const std::string& bytes, const std::string& where) {
  if (bytes.empty()) throw Error(where, "the file is empty (0 bytes)", "re-save the model");
  if (bytes.rfind("version https://git-lfs", 0) == 0)
    throw Error(where, "is a Git LFS pointer, not the model itself", "run 'git lfs pull' to fetch the model");
}

void set_major_from_config(KerasFile& kf) {
  if (kf.major == 2 || kf.major == 3) return;
  // Keras 3 configs name each layer's module; Keras 2 ones do not (or name tf.keras's).
  kf.major = 2;
  if (kf.model.is_object() && kf.model.contains("module")) kf.major = 3;
}


// ---- libhdf5 in a child process ---------------------------------------------------------------------------
// libhdf5 1.10 is not robust against corrupt files: fuzz_keras found it looping forever (a corrupt global heap
// makes H5Aread spin in H5C_protect), reading out of bounds and asking for terabytes (H5HG_read, H5C_protect),
// none of which firmnet can catch or interrupt. So every HDF5 file is read by a forked child, which sends
// back what it read (or its firmnet::Error) through a pipe: a crash or a hang of the library becomes one Error
// naming the file, and the parent never runs HDF5 code. FIRMNET_HDF5_TIMEOUT_S (default 60) bounds a read.

// What an HDF5 file holds for firmnet: a full model's configuration and Keras version, and the weights.
struct H5Content {
  std::optional<std::string> model_config, keras_version;
  std::map<std::string, std::vector<Array>> weights;
};

class Packer {
 public:
  void u64(uint64_t v) { buf.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(const std::string& v) { u64(v.size()), buf += v; }
  void opt(const std::optional<std::string>& v) {
    u64(v ? 1 : 0);
    if (v) str(*v);
  }
  void f64s(const std::vector<double>& v) {
    u64(v.size());
    buf.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
  }
  std::string buf;
};

class Unpacker {
 public:
  Unpacker(const std::string& b, const std::string& where) : b_(b), where_(where) {}
  uint64_t u64() {
    need(sizeof(uint64_t));
    uint64_t v;
    std::memcpy(&v, b_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string str() {
    const uint64_t n = u64();
    need(n);
    std::string v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::optional<std::string> opt() {
    if (u64() == 0) return std::nullopt;
    return str();
  }
  std::vector<double> f64s() {
    const uint64_t n = u64();
    if (n > (b_.size() - pos_) / sizeof(double)) fail();
    std::vector<double> v(n);
    std::memcpy(v.data(), b_.data() + pos_, n * sizeof(double));
    pos_ += n * sizeof(double);
    return v;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  void need(uint64_t n) const {
    if (n > b_.size() - pos_) fail();
  }
  [[noreturn]] void fail() const { throw Error(where_, "the HDF5 reader process sent a truncated answer", "retry; report it if it persists"); }
  const std::string& b_;
  std::string where_;
  size_t pos_ = 0;
};

void write_all(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    const ssize_t r = ::write(fd, s.data() + done, s.size() - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return;
    done += static_cast<size_t>(r);
  }
}

int hdf5_timeout_s() {
  if (const char* env = std::getenv("FIRMNET_HDF5_TIMEOUT_S"))
    if (const auto v = support::parse_int<int>(env); v && *v > 0) return *v;
  return 60;
}

// The child: reads `bytes` with libhdf5 and writes the answer: 0 + content, or 1 + the Error.
[[noreturn]] void h5_child(pid_t parent, int fd, const std::string& bytes, const std::string& where, bool want_config) {
  // Sanitizer reports of libhdf5's own faults would only be noise here: the parent reports the failure.
  if (const int null = ::open("/dev/null", O_WRONLY); null >= 0) ::dup2(null, 2);
  // A fault of libhdf5 ends this process and nothing else: the default actions, not the handlers inherited from
  // the parent (a libFuzzer parent's would record the child's death as a crash of firmnet's and write a crash-*
  // file; a sanitizer's report would call the fuzzer's death callback).
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
  // A parent that is interrupted (Ctrl-C) or killed takes this child with it: libhdf5 may be looping on a
  // corrupt file, and only the parent's timeout would stop it (seen while fuzzing: a 10-minute orphan).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(1);  // the parent was gone before the request took effect
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(nullptr);
  Packer p;
  try {
    H5Reader h5(bytes, where);
    H5Content c;
    if (want_config) {
      c.model_config = h5.string(h5.root(), "model_config", "the file");
      c.keras_version = h5.string(h5.root(), "keras_version", "the file");
    }
    if (!want_config || c.model_config) {
      KerasFile kf;
      read_weights_h5(h5, kf);
      c.weights = std::move(kf.weights);
    }
    p.u64(0);
    p.opt(c.model_config);
    p.opt(c.keras_version);
    p.u64(c.weights.size());
    for (const auto& [key, arrays] : c.weights) {
      p.str(key);
      p.u64(arrays.size());
      for (const Array& a : arrays) {
        p.str(a.name);
        p.u64(a.shape.size());
        for (int64_t d : a.shape) p.u64(static_cast<uint64_t>(d));
        p.f64s(a.values);
      }
    }
  } catch (const Error& e) {
    p.buf.clear();
    p.u64(1), p.str(e.where()), p.str(e.message()), p.str(e.hint());
  } catch (const std::exception& e) {
    p.buf.clear();
    p.u64(1), p.str(where), p.str(std::string("reading the HDF5 file failed: ") + e.what()), p.str("");
  }
  write_all(fd, p.buf);
  ::close(fd);
  ::_exit(0);
}

H5Content read_h5(const std::string& bytes, const std::string& where, bool want_config) {
  const int timeout = hdf5_timeout_s();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(where, "cannot start the HDF5 reader (no pipe)");
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]), ::close(fds[1]);
    throw Error(where, "cannot start the HDF5 reader process (fork failed)");
  }
  if (pid == 0) {
    ::close(fds[0]);
    h5_child(parent, fds[1], bytes, where, want_config);
  }
  ::close(fds[1]);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  bool timed_out = false;
  char chunk[1 << 16];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd pfd{fds[0], POLLIN, 0};
    const int r = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left, 1000)));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) continue;
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string hint = "check that the file was copied completely";
  if (timed_out)
    throw Error(where, fmt::format("libhdf5 did not finish reading the file in {} s: it is corrupt (libhdf5 loops "
                                   "forever on some corrupt files)", timeout),
                hint + "; FIRMNET_HDF5_TIMEOUT_S sets the limit");
  if (WIFSIGNALED(status))
    throw Error(where, fmt::format("libhdf5 crashed (signal {}) while reading the file: it is corrupt", WTERMSIG(status)), hint);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || answer.empty())
    throw Error(where, fmt::format("libhdf5 failed while reading the file (exit status {}): it is corrupt",
                                   WIFEXITED(status) ? WEXITSTATUS(status) : -1),
                hint);
  Unpacker u(answer, where);
  if (u.u64() != 0) {
    std::string w = u.str(), what = u.str(), h = u.str();
    throw Error(std::move(w), std::move(what), std::move(h));
  }
  H5Content c;
  c.model_config = u.opt();
  c.keras_version = u.opt();
  const uint64_t keys = u.u64();
  for (uint64_t k = 0; k < keys; ++k) {
    const std::string key = u.str();
    auto& list = c.weights[key];
    const uint64_t n = u.u64();
    for (uint64_t i = 0; i < n; ++i) {
      Array a;
      a.name = u.str();
      const uint64_t rank = u.u64();
      if (rank > 8) throw Error(where, "the HDF5 reader process sent a malformed answer");
      for (uint64_t d = 0; d < rank; ++d) a.shape.push_back(static_cast<int64_t>(u.u64()));
      a.values = u.f64s();
      list.push_back(std::move(a));
    }
  }
  if (!u.done()) throw Error(where, "the HDF5 reader process sent a malformed answer");
  return c;
}

KerasFile read_h5_model(const std::string& bytes, const std::string& where) {
  H5Content c = read_h5(bytes, where, true);
  KerasFile kf;
  kf.where = where;
  kf.major = 0;
  if (!c.model_config)
    throw Error(where, "holds no model configuration (attribute 'model_config'): it is a weights-only file",
                "convert the architecture .json and pass this file with --weights");
  kf.model = parse_json(*c.model_config, where, "the model configuration");
  if (c.keras_version) kf.major = major_of(*c.keras_version);
  kf.weights = std::move(c.weights);
  kf.has_weights = true;
  set_major_from_config(kf);
  return kf;
}

class Zip {
 public:
  Zip(const std::string& bytes, std::string where) : where_(std::move(where)) {
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
    if (!src) fail("cannot be read as a zip archive");
    za_ = zip_open_from_source(src, ZIP_RDONLY, &err);
    if (!za_) {
      zip_source_free(src);
      const std::string msg = zip_error_strerror(&err);
      zip_error_fini(&err);
      fail("is not a valid .keras archive (zip: " + msg + ")", "check that the file was copied completely");
    }
    zip_error_fini(&err);
  }
  ~Zip() {
    if (za_) zip_discard(za_);
  }
  Zip(const Zip&) = delete;
  Zip& operator=(const Zip&) = delete;

  std::optional<std::string> entry(const std::string& name) {
    const zip_int64_t idx = zip_name_locate(za_, name.c_str(), 0);
    if (idx < 0) return std::nullopt;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za_, static_cast<zip_uint64_t>(idx), 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
      fail(fmt::format("entry '{}' is unreadable (corrupt archive)", name));
    if (st.size > kMaxEntryBytes) fail(fmt::format("entry '{}' is larger than 2 GiB", name));
    zip_file_t* f = zip_fopen_index(za_, static_cast<zip_uint64_t>(idx), 0);
    if (!f) fail(fmt::format("entry '{}' cannot be opened ({})", name, zip_strerror(za_)));
    std::string out(static_cast<size_t>(st.size), '\0');
    zip_uint64_t got = 0;
    while (got < st.size) {
      const zip_int64_t r = zip_fread(f, out.data() + got, st.size - got);
      if (r <= 0) {
        const std::string msg = zip_file_strerror(f);
        zip_fclose(f);
        fail(fmt::format("entry '{}' is truncated or corrupt ({})", name, msg), "check that the file was copied completely");
      }
      got += static_cast<zip_uint64_t>(r);
    }
    // The CRC is checked at the end of the entry: read once more to reach it.
    char extra;
    const zip_int64_t r = zip_fread(f, &extra, 1);
    const std::string msg = r < 0 ? zip_file_strerror(f) : "";
    zip_fclose(f);
    if (r != 0) fail(fmt::format("entry '{}' is corrupt ({})", name, r < 0 ? msg : "longer than its recorded size"));
    return out;
  }

  [[noreturn]] void fail(const std::string& what, const std::string& hint = {}) const { throw Error(where_, what, hint); }

 private:
  std::string where_;
  zip_t* za_ = nullptr;
};

// Keras 3's snake_case of a class name (keras.src.utils.naming.to_snake_case): QDense -> q_dense,
// BatchNormalization -> batch_normalization, Conv2D -> conv2d.
std::string keras3_snake_case(const std::string& cls) {
  std::string w;
  for (char ch : cls)
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') w += ch;
  auto upper = [](char ch) { return ch >= 'A' && ch <= 'Z'; };
  auto lower = [](char ch) { return ch >= 'a' && ch <= 'z'; };
  // (.)([A-Z][a-z]+) -> \1_\2, then ([a-z])([A-Z]) -> \1_\2, then lower case.
  std::string a;
  for (size_t i = 0; i < w.size(); ++i) {
    if (i > 0 && upper(w[i]) && i + 1 < w.size() && lower(w[i + 1])) a += '_';
    a += w[i];
  }
  std::string b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && lower(a[i - 1]) && upper(a[i])) b += '_';
    b += a[i];
  }
  for (auto& ch : b) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return b;
}

// Keras 3's model.weights.h5 names each layer by its object path, not its name: the snake_case of its class,
// numbered per container in the order of the model's layers (InputLayer excluded): layers/q_dense,
// layers/q_dense_1, layers/functional/layers/dense. Collects object path -> layer name from the config.
void keras3_object_paths(const nlohmann::json& model, const std::string& prefix,
                         std::map<std::string, std::string>& out, int depth) {
  if (depth > 32 || !model.is_object() || !model.contains("config") || !model["config"].is_object()) return;
  const nlohmann::json& cfg = model["config"];
  if (!cfg.contains("layers") || !cfg["layers"].is_array()) return;
  std::map<std::string, int> used;
  for (const auto& l : cfg["layers"]) {
    if (!l.is_object() || !l.contains("class_name") || !l["class_name"].is_string()) continue;
    const std::string cls = l["class_name"].get<std::string>();
    if (cls == "InputLayer") continue;
    std::string name = keras3_snake_case(cls);
    if (auto it = used.find(name); it != used.end()) name += "_" + std::to_string(++it->second);
    else used[name] = 0;
    const std::string path = prefix + name;
    if (l.contains("config") && l["config"].is_object() && l["config"].contains("name") &&
        l["config"]["name"].is_string())
      out[path] = l["config"]["name"].get<std::string>();
    keras3_object_paths(l, path + "/layers/", out, depth + 1);
  }
}

// Re-keys Keras 3 weights from object paths to layer names ("q_dense/kq" -> "fc1/kq"); keys that are no
// object path of this config (layer-named files) stay as they are.
void keras3_layer_names(KerasFile& kf) {
  std::map<std::string, std::string> paths;
  keras3_object_paths(kf.model, "", paths, 0);
  std::map<std::string, std::vector<Array>> renamed;
  for (auto& [key, arrays] : kf.weights) {
    std::string k = key;
    // The longest object path that is the key or a prefix of it ("path/sub").
    for (size_t end = key.size(); end > 0;) {
      if (const auto it = paths.find(key.substr(0, end)); it != paths.end()) {
        k = it->second + key.substr(end);
        break;
      }
      const size_t slash = key.rfind('/', end - 1);
      if (slash == std::string::npos || slash == 0) break;
      end = slash;
    }
    auto& dst = renamed[k];
    for (auto& a : arrays) dst.push_back(std::move(a));
  }
  kf.weights = std::move(renamed);
}

KerasFile read_keras_zip(const std::string& bytes, const std::string& where) {
  Zip zip(bytes, where);
  KerasFile kf;
  kf.where = where;
  kf.major = 3;
  const auto config = zip.entry("config.json");
  if (!config) zip.fail("has no config.json: not a Keras 3 .keras file", "save the model with Keras 3 model.save('m.keras')");
  kf.model = parse_json(*config, where + " (config.json)", "config.json");
  if (const auto meta = zip.entry("metadata.json")) {
    const nlohmann::json m = parse_json(*meta, where + " (metadata.json)", "metadata.json");
    if (m.is_object() && m.contains("keras_version") && m["keras_version"].is_string())
      kf.major = major_of(m["keras_version"].get<std::string>());
  }
  const auto weights = zip.entry("model.weights.h5");
  if (!weights) zip.fail("has no model.weights.h5", "save the model with Keras 3 model.save('m.keras')");
  check_not_empty(*weights, where + " (model.weights.h5)");
  if (!is_hdf5(*weights)) zip.fail("model.weights.h5 is not an HDF5 file");
  kf.weights = read_h5(*weights, where + " (model.weights.h5)", false).weights;
  kf.has_weights = true;
  if (kf.major != 3) kf.major = 3;
  keras3_layer_names(kf);
  return kf;
}

KerasFile read_json_config(const std::string& bytes, const std::string& where) {
  KerasFile kf;
  kf.where = where;
  kf.major = 0;
  kf.model = parse_json(bytes, where, "the architecture");
  if (kf.model.is_object() && kf.model.contains("keras_version") && kf.model["keras_version"].is_string())
    kf.major = major_of(kf.model["keras_version"].get<std::string>());
  set_major_from_config(kf);
  return kf;
}

}  // namespace

KerasFile read_keras_bytes(const std::string& bytes, const std::string& display_name) {
  check_not_empty(bytes, display_name);
  if (is_hdf5(bytes)) return read_h5_model(bytes, display_name);
  if (is_zip(bytes)) return read_keras_zip(bytes, display_name);
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (bytes[first] == '{' || bytes[first] == '['))
    return read_json_config(bytes, display_name);
  throw Error(display_name, "is neither an HDF5 file, a .keras zip nor a JSON architecture",
              "give a Keras .h5, .keras or .json (+ --weights) file");
}

KerasFile read_keras_file(const std::string& path, const std::string& weights_path) {
  const std::string bytes = read_file_bytes(path, "Keras model");
  check_not_empty(bytes, path);
  if (!weights_path.empty() && (is_hdf5(bytes) || is_zip(bytes)))
    throw Error(path, "holds its own weights; --weights is only for a .json architecture",
                "drop --weights, or give the architecture .json");
  KerasFile kf = read_keras_bytes(bytes, path);
  if (is_hdf5(bytes) || is_zip(bytes)) return kf;
  if (weights_path.empty()) return kf;  // the frontend asks for weights when a layer needs them
  const std::string wbytes = read_file_bytes(weights_path, "Keras weights file");
  check_not_empty(wbytes, weights_path);
  if (!is_hdf5(wbytes)) throw Error(weights_path, "is not an HDF5 weights file", "give the .h5 written by save_weights()");
  kf.weights = read_h5(wbytes, weights_path, false).weights;
  kf.has_weights = true;
  kf.where = path + " + " + weights_path;
  if (kf.major == 3) keras3_layer_names(kf);
  return kf;
}

}  // namespace firmnet::frontends::keras
