// Silero VAD parity: saywhen's Session, window by window with the state carried,
// against ONNX Runtime's per-window probabilities.
//
// The reference data is written by tests/parity/test_parity.py (suite "silero"), which
// also runs this binary; run it by hand with
//   SAYWHEN_SILERO_REF_DIR=<cache>/work-silero/refs ./parity_silero_test
// Every subdirectory of that directory is one case:
//   case.txt         model=PATH, sr=16000|8000|none, input=, state=, output=, state_out=,
//                    tol= (per-window probability), state_tol= (final state)
//   windows.npy      float32 [N, context+window]  exactly what ORT was given, in order
//   probs.npy        float32 [N]                  ORT's probability per window
//   state_final.npy  float32 [2, 1, 128]          ORT's state after the last window
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/npy.h"
#include "saywhen/runtime.h"

namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;  // gtest-safe
  fs::path dir;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.dir.string(); }

std::vector<Case> discover() {
  std::vector<Case> cases;
  const char* env = std::getenv("SAYWHEN_SILERO_REF_DIR");
  if (env && *env && fs::is_directory(env)) {
    for (const auto& e : fs::directory_iterator(env))
      if (e.is_directory() && fs::exists(e.path() / "case.txt")) {
        std::string n = e.path().filename().string();
        for (char& c : n)
          if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
        cases.push_back({n, e.path()});
      }
    std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.name < b.name; });
  }
  if (cases.empty()) cases.push_back({"no_reference_data", fs::path(env ? env : "")});
  return cases;
}

std::map<std::string, std::string> read_kv(const fs::path& p) {
  std::map<std::string, std::string> kv;
  std::ifstream f(p);
  std::string line;
  while (std::getline(f, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(3);
  s << std::scientific << v;
  return s.str();
}

class SileroParity : public ::testing::TestWithParam<Case> {};

TEST_P(SileroParity, Windows) {
  const Case& c = GetParam();
  ASSERT_NE(c.name, "no_reference_data")
      << "no cases in SAYWHEN_SILERO_REF_DIR='" << c.dir.string()
      << "'; run tests/parity/test_parity.py silero (or ctest -R parity_silero)";

  auto kv = read_kv(c.dir / "case.txt");
  const std::string model_path = kv.at("model");
  const double tol = std::stod(kv.at("tol"));
  const double state_tol = std::stod(kv.count("state_tol") ? kv.at("state_tol") : "1e-3");

  saywhen::Tensor windows = saywhen::read_npy((c.dir / "windows.npy").string());
  saywhen::Tensor probs = saywhen::read_npy((c.dir / "probs.npy").string());
  saywhen::Tensor state_ref = saywhen::read_npy((c.dir / "state_final.npy").string());
  ASSERT_EQ(windows.dtype(), saywhen::DType::Float32);
  ASSERT_EQ(windows.rank(), 2);
  const int64_t n = windows.dim(0), w = windows.dim(1);
  ASSERT_EQ(probs.numel(), n);

  double max_diff = 0, max_state_diff = 0;
  int64_t worst = -1, first_bad = -1, n_bad = 0, flips = 0;
  float worst_ref = 0, worst_got = 0;
  double seconds = 0;
  try {
    auto model = saywhen::Model::load(model_path);
    saywhen::Session session(model);
    if (kv.at("sr") != "none") {
      saywhen::Tensor sr(saywhen::DType::Int64, {});
      sr.data<int64_t>()[0] = std::stoll(kv.at("sr"));
      session.fix_input("sr", sr);
    }
    saywhen::Tensor state(saywhen::DType::Float32, {2, 1, 128});
    auto* rows = const_cast<float*>(windows.data<float>());
    const float* ref = probs.data<float>();
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n; ++i) {
      session.set_input(kv.at("input"), saywhen::Tensor::view(saywhen::DType::Float32, {1, w}, rows + i * w));
      session.set_input(kv.at("state"), state);
      session.run();
      const saywhen::Tensor& p = session.output(kv.at("output"));
      const saywhen::Tensor& s = session.output(kv.at("state_out"));
      if (i == 0) {
        ASSERT_EQ(p.dtype(), saywhen::DType::Float32);
        ASSERT_EQ(p.numel(), 1) << "output shape " << saywhen::shape_str(p.shape());
        ASSERT_EQ(s.numel(), state.numel()) << "state shape " << saywhen::shape_str(s.shape());
      }
      const float got = p.data<float>()[0];
      const double d = std::isfinite(got) ? std::fabs(static_cast<double>(got) - ref[i]) : INFINITY;
      if (d > max_diff || worst < 0) {
        max_diff = std::max(max_diff, d);
        worst = i;
        worst_ref = ref[i];
        worst_got = got;
      }
      if (d > tol) {
        ++n_bad;
        if (first_bad < 0) first_bad = i;
      }
      if ((got > 0.5f) != (ref[i] > 0.5f)) ++flips;
      // The output is only valid until the next run(): copy the state out now.
      std::memcpy(state.raw(), s.raw(), state.nbytes());
    }
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (int64_t k = 0; k < state.numel(); ++k)
      max_state_diff = std::max(max_state_diff,
                                std::fabs(static_cast<double>(state.data<float>()[k]) - state_ref.data<float>()[k]));
  } catch (const std::exception& e) {
    RecordProperty("detail", std::string("saywhen error: ") + e.what());
    FAIL() << "saywhen error: " << e.what();
  }

  std::ostringstream detail;
  detail << "|diff|max=" << fmt(max_diff) << " (tol " << tol << ") at window " << worst << " (ort " << worst_ref
         << ", saywhen " << worst_got << "), " << n << " windows, " << n_bad << " over tol, " << flips
         << " decision flips at 0.5, final state |diff|=" << fmt(max_state_diff) << " (tol " << state_tol << "), "
         << fmt(seconds * 1e3 / std::max<int64_t>(n, 1)) << " ms/window";
  RecordProperty("max_abs_diff", fmt(max_diff));
  RecordProperty("detail", detail.str());
  std::printf("  %s: %s\n", c.name.c_str(), detail.str().c_str());
  EXPECT_EQ(n_bad, 0) << "first window over tolerance: " << first_bad << "; " << detail.str();
  EXPECT_LE(max_state_diff, state_tol) << detail.str();
}

INSTANTIATE_TEST_SUITE_P(Models, SileroParity, ::testing::ValuesIn(discover()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

}  // namespace
