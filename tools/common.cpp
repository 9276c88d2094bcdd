#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "cli.h"
#include "runtime/npy.h"

namespace saywhen::cli {

std::map<std::string, Tensor> read_inputs(const std::vector<std::string>& specs) {
  std::map<std::string, Tensor> out;
  for (const auto& spec : specs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      throw Error("--input '" + spec + "': expected NAME=FILE.npy");
    out[spec.substr(0, eq)] = read_npy(spec.substr(eq + 1));
  }
  return out;
}

namespace {
// Small deterministic generator so `onnx run` gives the same inputs everywhere.
struct Lcg {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint32_t next() {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>(s >> 33);
  }
  float uniform() { return static_cast<float>(next()) / 2147483648.0f * 2.0f - 1.0f; }  // [-1, 1)
};
}  // namespace

std::map<std::string, Tensor> complete_inputs(const Model& model, std::map<std::string, Tensor> given) {
  for (const auto& [name, t] : given) {
    bool known = false;
    for (const auto& in : model.inputs()) known |= in.name == name;
    if (!known) throw Error(model.path() + ": no input named '" + name + "'");
  }
  Lcg rng;
  for (const auto& in : model.inputs()) {
    if (given.count(in.name)) continue;
    Shape shape;
    for (int64_t d : in.dims) shape.push_back(d < 0 ? 1 : d);
    Tensor t(in.dtype == DType::Undefined ? DType::Float32 : in.dtype, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      switch (t.dtype()) {
        case DType::Float32: t.data<float>()[i] = rng.uniform(); break;
        case DType::Float64: t.data<double>()[i] = rng.uniform(); break;
        case DType::Int64: t.data<int64_t>()[i] = rng.next() % 8; break;
        case DType::Int32: t.data<int32_t>()[i] = static_cast<int32_t>(rng.next() % 8); break;
        case DType::Bool: t.data<uint8_t>()[i] = rng.next() & 1; break;
        case DType::UInt8: t.data<uint8_t>()[i] = static_cast<uint8_t>(rng.next()); break;
        case DType::Int8: t.data<int8_t>()[i] = static_cast<int8_t>(rng.next()); break;
        default:
          throw Error(model.path() + ": cannot make random data for input '" + in.name + "' of type " +
                      dtype_name(t.dtype()) + "; pass it with --input");
      }
    }
    given[in.name] = std::move(t);
  }
  return given;
}

void for_each_jsonl(const std::string& path, const std::string& missing_hint,
                    const std::function<bool(const nlohmann::json&)>& fn) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open" + missing_hint);
  std::string line;
  for (int n = 1; std::getline(f, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(n);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      throw Error(where + ": not JSON (" + e.what() + ")");
    }
    try {
      if (!fn(j)) return;
    } catch (const std::exception& e) {
      throw Error(where + ": " + e.what());
    }
  }
}

double peak_rss_mb() {
  // VmHWM, not getrusage: ru_maxrss survives execve, so a process started from a
  // large parent (a Python benchmark driver) would report the parent's peak.
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f) {
    char line[256];
    while (std::fgets(line, sizeof line, f)) {
      long kb = 0;
      if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) {
        std::fclose(f);
        return static_cast<double>(kb) / 1024.0;
      }
    }
    std::fclose(f);
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

double float_value(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  return std::strtod(buf, nullptr);
}

}  // namespace saywhen::cli
