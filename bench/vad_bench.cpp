// Silero VAD v6: one 512-sample window, and the whole streaming segmenter over the
// 60 s silero_test.wav (x_realtime = seconds of audio per second of compute).
// Model and audio come from $SAYWHEN_SHARED (default: ../shared next to the repository).

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <vector>

#include "saywhen/vad.h"

namespace {

namespace fs = std::filesystem;
using saywhen::audio::VadModel;

fs::path shared_dir() {
  if (const char* env = std::getenv("SAYWHEN_SHARED"); env && *env) return env;
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "shared";
}

std::shared_ptr<const VadModel> vad_model() {
  static auto m = VadModel::load((shared_dir() / "models/silero-vad/silero_vad.onnx").string());
  return m;
}

// 16-bit PCM mono 16 kHz WAV (silero_test.wav: plain 44-byte header).
std::vector<float> read_wav16(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> x;
  for (size_t o = 12; o + 8 <= b.size();) {
    uint32_t n;
    std::memcpy(&n, b.data() + o + 4, 4);
    if (std::memcmp(b.data() + o, "data", 4) == 0) {
      x.resize(std::min<size_t>(n, b.size() - o - 8) / 2);
      for (size_t i = 0; i < x.size(); ++i) {
        int16_t s;
        std::memcpy(&s, b.data() + o + 8 + 2 * i, 2);
        x[i] = static_cast<float>(s) / 32768.0f;
      }
      break;
    }
    o += 8 + n + (n & 1);
  }
  return x;
}

void BM_VadWindow(benchmark::State& state) {
  saywhen::SessionOptions opts;
  opts.threads = static_cast<int>(state.range(0));
  saywhen::audio::VadStream stream(vad_model(), opts);
  std::vector<float> window(VadModel::kWindow);
  for (size_t i = 0; i < window.size(); ++i) window[i] = 0.1f * std::sin(0.05f * static_cast<float>(i));
  for (auto _ : state) benchmark::DoNotOptimize(stream.process_window(window));
}
BENCHMARK(BM_VadWindow)->Arg(1)->Unit(benchmark::kMicrosecond);

// Pushed as 20 ms chunks, the way a voice agent receives audio.
void BM_VadSegmenter60s(benchmark::State& state) {
  static const std::vector<float> audio = read_wav16(shared_dir() / "audio/silero_test.wav");
  if (audio.empty()) {
    state.SkipWithError("silero_test.wav not found under $SAYWHEN_SHARED/audio");
    return;
  }
  saywhen::audio::VadSegmenter seg(vad_model());
  std::vector<saywhen::audio::SpeechSegment> out;
  out.reserve(256);
  const std::span<const float> all(audio);
  for (auto _ : state) {
    out.clear();
    for (size_t i = 0; i < audio.size(); i += 320) seg.push(all.subspan(i, std::min<size_t>(320, audio.size() - i)), out);
    seg.finish(out);
    benchmark::DoNotOptimize(out.data());
  }
  const double seconds = static_cast<double>(audio.size()) / VadModel::kSampleRate;
  state.counters["x_realtime"] =
      benchmark::Counter(seconds * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["segments"] = static_cast<double>(out.size());
}
BENCHMARK(BM_VadSegmenter60s)->Unit(benchmark::kMillisecond);

}  // namespace
