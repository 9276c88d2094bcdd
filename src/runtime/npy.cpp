#include "npy.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace saywhen {
namespace {

struct NpyType {
  const char* descr;
  DType dtype;
};
constexpr NpyType kTypes[] = {
    {"<f4", DType::Float32}, {"<f8", DType::Float64}, {"<f2", DType::Float16}, {"<i8", DType::Int64},
    {"<i4", DType::Int32},   {"<i2", DType::Int16},   {"|i1", DType::Int8},    {"|u1", DType::UInt8},
    {"<u2", DType::UInt16},  {"<u4", DType::UInt32},  {"<u8", DType::UInt64},  {"|b1", DType::Bool},
};

// Value of `'key': <value>` in the header dict, as raw text.
std::string header_field(const std::string& h, const std::string& key, const std::string& name) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos) throw Error(name + ": .npy header has no '" + key + "'");
  size_t colon = h.find(':', k);
  if (colon == std::string::npos) throw Error(name + ": malformed .npy header");
  size_t start = h.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos) throw Error(name + ": malformed .npy header");
  size_t end;
  if (h[start] == '(') end = h.find(')', start) + 1;
  else if (h[start] == '\'') end = h.find('\'', start + 1) + 1;
  else end = h.find_first_of(",}", start);
  if (end == std::string::npos || end == 0) throw Error(name + ": malformed .npy header");
  return h.substr(start, end - start);
}

}  // namespace

Tensor parse_npy(const void* data, size_t size, const std::string& name) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (size < 10 || std::memcmp(p, "\x93NUMPY", 6) != 0) throw Error(name + ": not a .npy file (bad magic)");
  int major = p[6];
  size_t header_len, offset;
  if (major == 1) {
    header_len = p[8] | (p[9] << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw Error(name + ": truncated .npy header");
    header_len = p[8] | (p[9] << 8) | (static_cast<size_t>(p[10]) << 16) | (static_cast<size_t>(p[11]) << 24);
    offset = 12;
  } else {
    throw Error(name + ": unsupported .npy version " + std::to_string(major));
  }
  if (header_len > size - offset) throw Error(name + ": truncated .npy header");
  std::string h(reinterpret_cast<const char*>(p + offset), header_len);
  std::string descr = header_field(h, "descr", name);
  std::string order = header_field(h, "fortran_order", name);
  std::string shape_txt = header_field(h, "shape", name);
  if (order != "False") throw Error(name + ": Fortran-order .npy arrays are not supported");
  if (descr.size() < 2) throw Error(name + ": malformed dtype in .npy header");
  descr = descr.substr(1, descr.size() - 2);
  if (descr == "=f4") descr = "<f4";
  DType dtype = DType::Undefined;
  for (const auto& t : kTypes)
    if (descr == t.descr || (descr.size() == 3 && descr[0] == '|' && descr.substr(1) == std::string(t.descr).substr(1)))
      dtype = t.dtype;
  if (descr == "<b1" || descr == "?") dtype = DType::Bool;
  if (dtype == DType::Undefined) throw Error(name + ": unsupported .npy dtype '" + descr + "'");
  Shape shape;
  std::string dims = shape_txt.substr(1, shape_txt.size() - 2);
  std::stringstream ss(dims);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    size_t a = tok.find_first_not_of(' ');
    if (a == std::string::npos) continue;
    char* end = nullptr;
    long long d = std::strtoll(tok.c_str() + a, &end, 10);
    if (d < 0 || end == tok.c_str() + a) throw Error(name + ": bad dimension in .npy shape " + shape_txt);
    shape.push_back(d);
  }
  size_t data_off = offset + header_len;
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d > 0 && numel > std::numeric_limits<int32_t>::max() / d) throw Error(name + ": .npy shape is absurdly large");
    numel *= d;
  }
  size_t need = static_cast<size_t>(numel) * dtype_size(dtype);
  if (size - data_off < need)
    throw Error(name + ": .npy data is truncated (" + std::to_string(size - data_off) + " of " +
                std::to_string(need) + " bytes)");
  Tensor t(dtype, shape);
  if (need) std::memcpy(t.raw(), p + data_off, need);
  return t;
}

Tensor read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open file");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string bytes = ss.str();
  return parse_npy(bytes.data(), bytes.size(), path);
}

void write_npy(const std::string& path, const Tensor& t) {
  const char* descr = nullptr;
  for (const auto& k : kTypes)
    if (k.dtype == t.dtype()) descr = k.descr;
  if (!descr) throw Error(path + ": cannot write " + std::string(dtype_name(t.dtype())) + " to .npy");
  std::string shape = "(";
  for (int64_t d : t.shape()) shape += std::to_string(d) + ",";
  if (t.rank() > 1) shape.pop_back();
  shape += ")";
  std::string h = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot write file");
  uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                     static_cast<uint8_t>(h.size() & 0xff), static_cast<uint8_t>(h.size() >> 8)};
  f.write(reinterpret_cast<const char*>(pre), 10);
  f.write(h.data(), static_cast<std::streamsize>(h.size()));
  f.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  if (!f) throw Error(path + ": write failed");
}

}  // namespace saywhen
