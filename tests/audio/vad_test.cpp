// Silero VAD: streaming behaviour (chunking, reset, empty input, options, threads,
// allocations) and parity with silero-vad's get_speech_timestamps.
//
// The model and clips come from $SAYWHEN_SHARED (default ../shared next to the
// repository). The reference cases are written by tests/audio/make_vad_refs.py (CTest
// fixture vad_make_refs) into SAYWHEN_VAD_REFS; without it those tests are skipped.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "runtime/npy.h"
#include "saywhen/runtime.h"
#include "saywhen/vad.h"

// Counting every global allocation is the simplest proof that steady-state windows stay off the heap.
#include "../alloc_counter.h"

namespace fs = std::filesystem;
using saywhen::audio::SpeechSegment;
using saywhen::audio::SpeechSegmenter;
using saywhen::audio::VadModel;
using saywhen::audio::VadOptions;
using saywhen::audio::VadSegmenter;
using saywhen::audio::VadStream;

namespace saywhen::audio {
void PrintTo(const SpeechSegment& s, std::ostream* os) { *os << "[" << s.start << ", " << s.end << ")"; }
}  // namespace saywhen::audio

namespace {

fs::path shared_dir() {
  const char* env = std::getenv("SAYWHEN_SHARED");
  return env && *env ? fs::path(env) : fs::path(SAYWHEN_SHARED_DEFAULT);
}

// 16-bit PCM mono WAV at 16 kHz, chunks walked (jfk.wav has a LIST chunk before data).
std::vector<float> read_wav16k(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto u32 = [&](size_t o) {
    uint32_t v;
    std::memcpy(&v, b.data() + o, 4);
    return v;
  };
  if (b.size() < 12 || std::memcmp(b.data(), "RIFF", 4) != 0) throw std::runtime_error(p.string() + ": not a WAV");
  for (size_t o = 12; o + 8 <= b.size();) {
    const uint32_t n = u32(o + 4);
    if (std::memcmp(b.data() + o, "data", 4) == 0) {
      std::vector<float> x(std::min<size_t>(n, b.size() - o - 8) / 2);
      for (size_t i = 0; i < x.size(); ++i) {
        int16_t s;
        std::memcpy(&s, b.data() + o + 8 + 2 * i, 2);
        x[i] = static_cast<float>(s) / 32768.0f;
      }
      return x;
    }
    o += 8 + n + (n & 1);
  }
  throw std::runtime_error(p.string() + ": no data chunk");
}

const std::shared_ptr<const VadModel>& vad_model() {
  static auto m = VadModel::load((shared_dir() / "models/silero-vad/silero_vad.onnx").string());
  return m;
}

const std::vector<float>& clip(const std::string& name) {
  static std::map<std::string, std::vector<float>> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, read_wav16k(shared_dir() / "audio" / name)).first;
  return it->second;
}

struct Result {
  std::vector<float> probs;
  std::vector<SpeechSegment> segments;
  size_t before_finish = 0;  // segments emitted before finish()
};

// Pushes `audio` in chunks of the given sizes (cycled); 0 = all at once.
Result run_chunked(VadSegmenter& seg, std::span<const float> audio, const std::vector<size_t>& sizes) {
  Result r;
  size_t i = 0, k = 0;
  while (i < audio.size()) {
    size_t n = sizes.empty() ? audio.size() : std::min(sizes[k++ % sizes.size()], audio.size() - i);
    seg.push(audio.subspan(i, n), r.segments, &r.probs);
    i += n;
  }
  r.before_finish = r.segments.size();
  seg.finish(r.segments, &r.probs);
  return r;
}

std::vector<size_t> random_chunks(uint32_t seed, size_t max) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> d(0, max);
  std::vector<size_t> v(257);
  for (auto& x : v) x = d(rng);  // zero-length pushes included
  v[0] = 1;                       // never all zeros
  return v;
}

TEST(Vad, ChunkingDoesNotChangeAnything) {
  // 30 s of silero_test.wav: a dozen segments, and cheap enough under the sanitizers.
  const auto audio = std::span(clip("silero_test.wav")).first(30 * 16000);
  VadSegmenter seg(vad_model());
  const Result whole = run_chunked(seg, audio, {});
  ASSERT_EQ(whole.probs.size(), (audio.size() + 511) / 512);
  ASSERT_GT(whole.segments.size(), 5u);
  // Tiny chunks (mostly inside one window, some empty) and large ones (across windows).
  for (auto [seed, max] : {std::pair{1u, size_t{40}}, std::pair{2u, size_t{3000}}}) {
    SCOPED_TRACE("seed " + std::to_string(seed) + ", chunks up to " + std::to_string(max));
    const Result r = run_chunked(seg, audio, random_chunks(seed, max));
    EXPECT_EQ(r.probs, whole.probs);  // bit for bit
    EXPECT_EQ(r.segments, whole.segments);
    // Streaming: segments come out while audio is still arriving.
    EXPECT_GE(r.before_finish + 2, whole.segments.size());
  }
}

TEST(Vad, ChunkingWithSplitsAndPadding) {
  const auto& audio = clip("jfk.wav");
  for (const VadOptions& o : {VadOptions{.speech_pad_ms = 100, .max_speech_s = 1.0},
                              VadOptions{.min_silence_ms = 0, .speech_pad_ms = 300, .max_speech_s = 2.0,
                                         .use_max_possible_silence_at_max_speech = false}}) {
    VadSegmenter seg(vad_model(), o);
    const Result whole = run_chunked(seg, audio, {});
    ASSERT_GT(whole.segments.size(), 4u);
    const Result r = run_chunked(seg, audio, random_chunks(9, 1500));
    EXPECT_EQ(r.segments, whole.segments);
    EXPECT_EQ(r.probs, whole.probs);
  }
}

TEST(Vad, SegmentsAreOrderedAndInsideTheAudio) {
  const auto audio = std::span(clip("silero_test.wav")).first(30 * 16000);
  auto segs = saywhen::audio::speech_segments(vad_model(), audio, {.speech_pad_ms = 200, .max_speech_s = 3});
  ASSERT_FALSE(segs.empty());
  for (size_t i = 0; i < segs.size(); ++i) {
    EXPECT_LT(segs[i].start, segs[i].end);
    EXPECT_GE(segs[i].start, 0);
    EXPECT_LE(segs[i].end, static_cast<int64_t>(audio.size()));
    if (i) {
      EXPECT_LE(segs[i - 1].end, segs[i].start);
    }
  }
}

TEST(Vad, ResetStartsAFreshStream) {
  const auto& audio = clip("jfk.wav");
  VadSegmenter fresh(vad_model());
  const Result ref = run_chunked(fresh, audio, {});

  VadSegmenter seg(vad_model());
  std::vector<SpeechSegment> junk;
  seg.push(std::span(audio).subspan(0, 70001), junk);  // mid-speech, mid-window
  seg.reset();
  EXPECT_EQ(seg.samples_pushed(), 0);
  EXPECT_EQ(run_chunked(seg, audio, {}).segments, ref.segments);
  // finish() leaves it ready for the next stream too.
  EXPECT_EQ(run_chunked(seg, audio, {777}).probs, ref.probs);

  VadStream stream(vad_model());
  std::vector<float> p1, p2;
  stream.push(std::span(audio).subspan(0, 5000), p1);
  stream.reset();
  stream.push(audio, p2);
  stream.finish(p2);
  EXPECT_EQ(p2, ref.probs);
}

TEST(Vad, EmptyAndShortAudio) {
  VadSegmenter seg(vad_model());
  Result r = run_chunked(seg, {}, {});
  EXPECT_TRUE(r.probs.empty());
  EXPECT_TRUE(r.segments.empty());

  std::vector<float> silence(100, 0.0f);
  r = run_chunked(seg, silence, {});
  EXPECT_EQ(r.probs.size(), 1u);  // one zero-padded window
  EXPECT_TRUE(r.segments.empty());

  // Exactly one window: no partial window at the end.
  std::vector<float> one(512, 0.0f);
  r = run_chunked(seg, one, {});
  EXPECT_EQ(r.probs.size(), 1u);

  SpeechSegmenter s;
  std::vector<SpeechSegment> out;
  s.finish(0, out);
  EXPECT_TRUE(out.empty());
}

TEST(Vad, SegmenterLogicOnHandMadeProbabilities) {
  // 10 windows of speech between silence; defaults: pad 480, min silence 1600 samples.
  std::vector<float> p(40, 0.0f);
  for (int i = 5; i < 15; ++i) p[static_cast<size_t>(i)] = 0.9f;
  SpeechSegmenter s;
  std::vector<SpeechSegment> out;
  for (float x : p) s.push(x, out);
  // Released before the end of the stream: nothing later can come within 2 * pad.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (SpeechSegment{5 * 512 - 480, 15 * 512 + 480}));
  s.finish(40 * 512, out);
  EXPECT_EQ(out.size(), 1u);

  // Speech to the end: the segment ends at the audio's real length.
  out.clear();
  for (int i = 0; i < 20; ++i) s.push(i < 3 ? 0.0f : 0.95f, out);
  EXPECT_TRUE(out.empty());
  s.finish(19 * 512 + 7, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (SpeechSegment{3 * 512 - 480, 19 * 512 + 7}));

  // Silence in a last, partial window shorter than the padding: the end is clipped to
  // the audio, so the segment must wait for finish() (values from silero-vad 6.2.3).
  SpeechSegmenter quick({.min_speech_ms = 0, .min_silence_ms = 0, .speech_pad_ms = 10});
  out.clear();
  for (int i = 0; i < 14; ++i) quick.push(i >= 3 && i < 13 ? 0.9f : 0.0f, out);
  EXPECT_TRUE(out.empty());
  quick.finish(13 * 512 + 5, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], (SpeechSegment{1376, 6661}));
}

TEST(Vad, OptionsAreValidated) {
  auto throws_naming = [](VadOptions o, const std::string& field) {
    try {
      SpeechSegmenter s(o);
      ADD_FAILURE() << "no error for " << field;
    } catch (const saywhen::Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  throws_naming({.threshold = 1.5}, "threshold");
  throws_naming({.threshold = -0.1}, "threshold");
  throws_naming({.threshold = std::nan("")}, "threshold");
  throws_naming({.threshold = 0.5, .neg_threshold = 0.6}, "neg_threshold");
  throws_naming({.min_speech_ms = -1}, "min_speech_ms");
  throws_naming({.min_silence_ms = std::numeric_limits<double>::infinity()}, "min_silence_ms");
  throws_naming({.speech_pad_ms = -30}, "speech_pad_ms");
  throws_naming({.max_speech_s = 0}, "max_speech_s");
  throws_naming({.max_speech_s = std::nan("")}, "max_speech_s");
  throws_naming({.min_silence_at_max_speech_ms = -1}, "min_silence_at_max_speech_ms");
  EXPECT_THROW(VadSegmenter(vad_model(), {.threshold = 2}), saywhen::Error);
  EXPECT_NO_THROW(SpeechSegmenter({.threshold = 0.2, .neg_threshold = 0.2, .min_speech_ms = 0}));

  VadStream stream(vad_model());
  std::vector<float> w(511, 0.0f), probs;
  EXPECT_THROW(stream.process_window(w), saywhen::Error);
  stream.push(w, probs);
  w.push_back(0.0f);
  EXPECT_THROW(stream.process_window(w), saywhen::Error);  // 511 samples pending

  EXPECT_THROW(VadModel::load((shared_dir() / "models/silero-vad/missing.onnx").string()), saywhen::Error);
}

TEST(Vad, ModelFilesV5AndV6) {
  // The v5 file has no sample-rate input; the op15 export is the 16 kHz-only v6.
  const auto& audio = clip("jfk.wav");
  std::vector<float> p6, p15;
  {
    VadStream s(vad_model());
    s.push(audio, p6);
  }
  for (const char* f : {"silero_vad_16k_op15.onnx", "silero_vad_half.onnx"}) {
    auto m = VadModel::load((shared_dir() / "models/silero-vad" / f).string());
    VadStream s(m);
    std::vector<float> p;
    s.push(audio, p);
    ASSERT_EQ(p.size(), p6.size()) << f;
    if (std::string(f) == "silero_vad_16k_op15.onnx") p15 = p;
  }
  for (size_t i = 0; i < p6.size(); ++i) ASSERT_NEAR(p15[i], p6[i], 1e-5) << "window " << i;
}

TEST(Vad, TelephoneAudioAtItsOwnRate) {
  // jfk_8k.wav is jfk.wav at 8 kHz. Run natively (the model's 8 kHz branch) it finds the
  // same segments within one 16 kHz window.
  const auto segs16 = saywhen::audio::speech_segments(vad_model(), clip("jfk.wav"));
  VadSegmenter seg8(vad_model(), {}, {}, 8000);
  EXPECT_EQ(seg8.sample_rate(), 8000);
  const Result r8 = run_chunked(seg8, clip("jfk_8k.wav"), random_chunks(3, 700));
  EXPECT_EQ(r8.probs.size(), (clip("jfk_8k.wav").size() + 255) / 256);
  ASSERT_EQ(r8.segments.size(), segs16.size());
  for (size_t i = 0; i < segs16.size(); ++i) {
    EXPECT_EQ(r8.segments[i].sample_rate, 8000);
    EXPECT_NEAR(r8.segments[i].start_s(), segs16[i].start_s(), 512.0 / 16000 + 1e-9) << "segment " << i;
    EXPECT_NEAR(r8.segments[i].end_s(), segs16[i].end_s(), 512.0 / 16000 + 1e-9) << "segment " << i;
  }

  EXPECT_TRUE(vad_model()->supports_rate(8000));
  EXPECT_FALSE(vad_model()->supports_rate(44100));
  EXPECT_THROW(VadStream(vad_model(), {}, 44100), saywhen::Error);
  EXPECT_THROW(SpeechSegmenter({}, 22050), saywhen::Error);
  for (const char* f : {"silero_vad_16k_op15.onnx", "silero_vad_half.onnx"}) {
    auto m = VadModel::load((shared_dir() / "models/silero-vad" / f).string());
    EXPECT_FALSE(m->supports_rate(8000)) << f;
    EXPECT_THROW(VadStream(m, {}, 8000), saywhen::Error) << f;
  }
}

TEST(Vad, StreamsShareOneModelAcrossThreads) {
  const auto& audio = clip("jfk.wav");
  std::vector<float> ref;
  {
    VadStream s(vad_model());
    s.push(audio, ref);
  }
  std::vector<std::vector<float>> got(3);
  std::vector<std::thread> threads;
  for (auto& g : got)
    threads.emplace_back([&audio, &g] {
      VadStream s(vad_model());
      s.push(audio, g);
    });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, ref);
}

TEST(Vad, NoAllocationPerWindow) {
  const auto& audio = clip("jfk.wav");
  VadSegmenter seg(vad_model(), {.max_speech_s = 1.0});
  std::vector<SpeechSegment> out;
  std::vector<float> probs;
  out.reserve(1024);
  probs.reserve(1024);
  seg.push(std::span(audio).subspan(0, 4096), out, &probs);  // first run plans the session
  const long before = g_allocations.load();
  for (size_t i = 4096; i + 160 <= audio.size(); i += 160) seg.push(std::span(audio).subspan(i, 160), out, &probs);
  EXPECT_EQ(g_allocations.load(), before) << "push() allocated";
  EXPECT_GT(probs.size(), 300u);
}

// ---- parity with silero-vad (reference data from make_vad_refs.py) ----------------

fs::path refs_dir() {
  const char* d = std::getenv("SAYWHEN_VAD_REFS");
  return d && *d ? fs::path(d) : fs::path();
}

std::vector<std::pair<std::string, int>> ref_cases() {
  std::vector<std::pair<std::string, int>> cases;
  std::ifstream f(refs_dir() / "cases.txt");
  std::string name;
  int rate;
  while (f >> name >> rate) cases.emplace_back(name, rate);
  return cases;
}

VadOptions options_from(const nlohmann::json& j) {
  VadOptions o;
  for (const auto& [k, v] : j.items()) {
    if (k == "threshold") o.threshold = v;
    else if (k == "neg_threshold") o.neg_threshold = v;
    else if (k == "min_speech_ms") o.min_speech_ms = v;
    else if (k == "min_silence_ms") o.min_silence_ms = v;
    else if (k == "speech_pad_ms") o.speech_pad_ms = v;
    else if (k == "max_speech_s") o.max_speech_s = v;
    else if (k == "min_silence_at_max_speech_ms") o.min_silence_at_max_speech_ms = v;
    else if (k == "use_max_possible_silence_at_max_speech") o.use_max_possible_silence_at_max_speech = v;
    else throw std::runtime_error("unknown option " + k);
  }
  return o;
}

std::vector<float> floats(const saywhen::Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

std::string str(const std::vector<SpeechSegment>& v) {
  std::ostringstream s;
  for (const auto& x : v) s << "[" << x.start << "," << x.end << ") ";
  return s.str();
}

TEST(VadParity, AgainstSileroVad) {
  if (refs_dir().empty()) GTEST_SKIP() << "SAYWHEN_VAD_REFS not set (run through CTest)";
  const auto names = ref_cases();
  ASSERT_GE(names.size(), 9u) << "no cases in " << refs_dir();
  double worst = 0;
  std::string worst_case;
  for (const auto& [name, rate] : names) {
    SCOPED_TRACE(name + " at " + std::to_string(rate) + " Hz");
    const auto audio = floats(saywhen::read_npy((refs_dir() / (name + ".input.npy")).string()));
    const auto ort = floats(saywhen::read_npy((refs_dir() / (name + ".probs.npy")).string()));
    std::ifstream jf(refs_dir() / (name + ".segments.json"));
    const auto refs = nlohmann::json::parse(jf);

    // Probabilities: saywhen's runtime against ONNX Runtime, window by window.
    VadSegmenter seg(vad_model(), {}, {}, rate);
    const Result mine = run_chunked(seg, audio, random_chunks(static_cast<uint32_t>(name.size()), 2048));
    ASSERT_EQ(mine.probs.size(), ort.size());
    for (size_t i = 0; i < ort.size(); ++i) {
      const double d = std::fabs(static_cast<double>(mine.probs[i]) - ort[i]);
      if (d > worst) worst = d, worst_case = name + " window " + std::to_string(i);
      ASSERT_LE(d, 1e-4) << "window " << i << ": saywhen " << mine.probs[i] << ", ORT " << ort[i];
    }

    for (const auto& r : refs) {
      const VadOptions o = options_from(r["options"]);
      std::vector<SpeechSegment> want;
      for (const auto& s : r["segments"]) want.push_back({s[0].get<int64_t>(), s[1].get<int64_t>(), rate});
      SCOPED_TRACE("options " + r["options"].dump());
      // The state machine alone, on ONNX Runtime's own probabilities: must be exact.
      SpeechSegmenter logic(o, rate);
      std::vector<SpeechSegment> got;
      for (float p : ort) logic.push(p, got);
      logic.finish(static_cast<int64_t>(audio.size()), got);
      EXPECT_EQ(got, want) << "want " << str(want) << "\n got " << str(got);
      // End to end: saywhen's own probabilities (from the chunked run above; a VadSegmenter
      // is exactly a VadStream feeding a SpeechSegmenter, and chunking is tested apart).
      if (r["options"].empty()) {
        EXPECT_EQ(mine.segments, want) << "want " << str(want) << "\n got " << str(mine.segments);
      } else {
        SpeechSegmenter e2e(o, rate);
        std::vector<SpeechSegment> full;
        for (float p : mine.probs) e2e.push(p, full);
        e2e.finish(static_cast<int64_t>(audio.size()), full);
        EXPECT_EQ(full, want) << "want " << str(want) << "\n got " << str(full);
      }
    }
  }
  std::printf("  %zu cases; worst |p - p_ort| = %.2e at %s\n", names.size(), worst, worst_case.c_str());
  RecordProperty("max_abs_diff", std::to_string(worst));
}

}  // namespace
