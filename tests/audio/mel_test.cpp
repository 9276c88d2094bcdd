// Log-mel front end against transformers' WhisperFeatureExtractor.
// The references come from tests/audio/make_mel_refs.py; CTest runs it first and passes
// its output directory in SAYWHEN_MEL_REFS.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "audio/mel.h"
#include "runtime/npy.h"
#include "saywhen/audio.h"

// Counting every global allocation is the simplest proof that compute() stays off the heap.
#include "../alloc_counter.h"

namespace saywhen::audio {
namespace {

std::string refs_dir() {
  const char* d = std::getenv("SAYWHEN_MEL_REFS");
  return d ? d : "";
}

std::vector<float> read_floats(const std::string& path) {
  const Tensor t = read_npy(path);
  std::vector<float> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::Float32) {
    std::copy_n(t.data<float>(), v.size(), v.begin());
  } else if (t.dtype() == DType::Float64) {
    std::transform(t.data<double>(), t.data<double>() + v.size(), v.begin(),
                   [](double x) { return static_cast<float>(x); });
  } else {
    ADD_FAILURE() << path << ": unexpected dtype " << dtype_name(t.dtype());
  }
  return v;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0.0f;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

class MelRefs : public ::testing::Test {
 protected:
  void SetUp() override {
    if (refs_dir().empty()) GTEST_SKIP() << "SAYWHEN_MEL_REFS not set (run through CTest)";
  }
};

TEST_F(MelRefs, FilterbankMatchesWhisperAndTransformers) {
  const std::vector<float> fb = slaney_mel_filterbank(400, 80, 16000, 0.0, 8000.0);
  ASSERT_EQ(fb.size(), 80u * 201u);
  const std::vector<float> whisper = read_floats(refs_dir() + "/mel_filters_whisper.npy");
  const std::vector<float> hf = read_floats(refs_dir() + "/mel_filters_transformers.npy");
  ASSERT_EQ(whisper.size(), fb.size());
  ASSERT_EQ(hf.size(), fb.size());
  // The weights peak near 0.026; librosa (whisper's asset) rounds differently in the
  // last bits only.
  const float d_whisper = max_abs_diff(fb, whisper), d_hf = max_abs_diff(fb, hf);
  std::printf("filterbank max |diff|: whisper mel_80 %.3g, transformers %.3g\n", d_whisper, d_hf);
  EXPECT_LT(d_whisper, 1e-8f);
  EXPECT_LT(d_hf, 1e-8f);
}

TEST_F(MelRefs, MatchesTransformersOnEveryCase) {
  std::ifstream list(refs_dir() + "/cases.txt");
  ASSERT_TRUE(list) << "no cases.txt in " << refs_dir();
  MelFrontEnd mel;
  std::vector<float> out(MelFrontEnd::kFeatureSize);
  int n_cases = 0;
  for (std::string name; std::getline(list, name);) {
    if (name.empty()) continue;
    SCOPED_TRACE(name);
    const std::vector<float> audio = read_floats(refs_dir() + "/" + name + ".input.npy");
    const std::vector<float> want = read_floats(refs_dir() + "/" + name + ".features.npy");
    ASSERT_EQ(want.size(), MelFrontEnd::kFeatureSize);
    const long before = g_allocations.load();
    mel.compute(audio, out);
    EXPECT_EQ(g_allocations.load(), before) << "compute() allocated";
    const float d = max_abs_diff(out, want);
    std::printf("%-16s %7zu samples  max |diff| %.3g\n", name.c_str(), audio.size(), d);
    EXPECT_LE(d, 1e-4f);
    ++n_cases;
  }
  EXPECT_GE(n_cases, 15);
}

}  // namespace

TEST(MelFrontEnd, RejectsWrongOutputSize) {
  MelFrontEnd mel;
  std::vector<float> audio(1000, 0.1f), out(MelFrontEnd::kFeatureSize - 1);
  EXPECT_THROW(mel.compute(audio, out), Error);
}

TEST(MelFrontEnd, KeepsOnlyTheLastEightSeconds) {
  std::vector<float> audio(200000);
  for (size_t i = 0; i < audio.size(); ++i)
    audio[i] = std::sin(0.001f * static_cast<float>(i * i % 7919));
  std::vector<float> tail(audio.end() - MelFrontEnd::kWindowSamples, audio.end());
  MelFrontEnd mel;
  std::vector<float> a(MelFrontEnd::kFeatureSize), b(MelFrontEnd::kFeatureSize);
  mel.compute(audio, a);
  mel.compute(tail, b);
  EXPECT_EQ(a, b);
}

TEST(MelFrontEnd, FastLog10) {
  float worst = 0.0f;
  for (float x = 1e-10f; x < 1e6f; x *= 1.0009f)
    worst = std::max(worst, std::abs(fast_log10(x) - static_cast<float>(std::log10(double{x}))));
  EXPECT_LT(worst, 2e-6f);
}

}  // namespace saywhen::audio
