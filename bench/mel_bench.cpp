// One full Smart Turn v3 window (8 s of 16 kHz audio) through the log-mel front end.

#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "saywhen/audio.h"

namespace {

void BM_MelFrontEnd8s(benchmark::State& state) {
  using saywhen::audio::MelFrontEnd;
  std::vector<float> audio(MelFrontEnd::kWindowSamples);
  unsigned seed = 12345;
  for (size_t i = 0; i < audio.size(); ++i) {
    seed = seed * 1664525u + 1013904223u;  // white noise plus a tone: a busy spectrum
    audio[i] = 0.3f * std::sin(0.17f * static_cast<float>(i)) +
               0.1f * (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f);
  }
  // Arg 0: the fast float path; 1: the exact (double) path.
  MelFrontEnd mel(state.range(0) ? saywhen::audio::MelPrecision::exact : saywhen::audio::MelPrecision::fast);
  std::vector<float> features(MelFrontEnd::kFeatureSize);
  for (auto _ : state) {
    mel.compute(audio, features);
    benchmark::DoNotOptimize(features.data());
    benchmark::ClobberMemory();
  }
}
BENCHMARK(BM_MelFrontEnd8s)->ArgName("exact")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

}  // namespace
