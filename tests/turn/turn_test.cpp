// The turn engine through the C API (what bindings use) and the C++ API: events do
// not depend on chunking or threads, settings are validated, the agent-speaking
// path gives barge-ins, encoded input works.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "saywhen/audio.h"
#include "saywhen/saywhen.h"
#include "saywhen/turn.h"

namespace {

std::string shared_dir() {
  const char* env = std::getenv("SAYWHEN_SHARED");
  return env && *env ? env : "../shared";
}

struct Ev {
  std::string type, reason;
  double t;
  float score;
  bool operator==(const Ev& o) const {
    return type == o.type && reason == o.reason && t == o.t &&
           (score == o.score || (std::isnan(score) && std::isnan(o.score)));
  }
};

std::vector<Ev> drain(sw_stream* s) {
  const sw_event* ev = nullptr;
  const size_t n = sw_stream_events(s, &ev);
  EXPECT_NE(n, static_cast<size_t>(-1)) << sw_last_error();
  std::vector<Ev> out;
  for (size_t i = 0; i < n && n != static_cast<size_t>(-1); ++i)
    out.push_back({ev[i].type, ev[i].reason, ev[i].t, ev[i].score});
  return out;
}

std::vector<Ev> run(sw_engine* engine, const std::vector<float>& pcm, size_t max_chunk, unsigned seed,
                    const char* preset = "saywhen") {
  sw_stream* s = sw_stream_create(engine, preset, nullptr, nullptr, 0, 16000, 1);
  EXPECT_NE(s, nullptr) << sw_last_error();
  if (!s) return {};
  std::mt19937 rng(seed);
  std::vector<Ev> all;
  for (size_t pos = 0; pos < pcm.size();) {
    const size_t n = std::min(pcm.size() - pos, max_chunk ? std::uniform_int_distribution<size_t>(0, max_chunk)(rng)
                                                          : pcm.size());
    EXPECT_EQ(sw_stream_push(s, pcm.data() + pos, n), 0) << sw_last_error();
    pos += n;
    for (auto& e : drain(s)) all.push_back(e);
  }
  EXPECT_EQ(sw_stream_finish(s, 2.0), 0);
  for (auto& e : drain(s)) all.push_back(e);
  sw_stream_free(s);
  return all;
}

class Turn : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = sw_engine_load((shared_dir() + "/models").c_str(), 0, 1);
    ASSERT_NE(engine_, nullptr) << sw_last_error();
    jfk_ = saywhen::audio::read_audio(shared_dir() + "/audio/jfk.wav");
  }
  static void TearDownTestSuite() { sw_engine_free(engine_); }
  static sw_engine* engine_;
  static std::vector<float> jfk_;
};
sw_engine* Turn::engine_ = nullptr;
std::vector<float> Turn::jfk_;

TEST_F(Turn, EventsDoNotDependOnChunking) {
  const auto whole = run(engine_, jfk_, 0, 1);
  ASSERT_FALSE(whole.empty());
  EXPECT_EQ(whole.front().type, "speech_started");
  // The sentence ends at 10.53 s: a final end_of_turn follows it.
  bool end_after = false;
  for (const auto& e : whole) end_after |= e.type == "end_of_turn" && e.t > 10.5 && e.t < 13.0;
  EXPECT_TRUE(end_after);
  EXPECT_EQ(run(engine_, jfk_, 700, 2), whole);
  EXPECT_EQ(run(engine_, jfk_, 5, 3), whole);
}

TEST_F(Turn, PipecatPresetToo) {
  const auto whole = run(engine_, jfk_, 0, 1, "pipecat");
  ASSERT_GE(whole.size(), 3u);
  EXPECT_EQ(run(engine_, jfk_, 1000, 4, "pipecat"), whole);
}

TEST_F(Turn, StreamsShareTheEngineAcrossThreads) {
  const auto want = run(engine_, jfk_, 0, 1);
  std::vector<std::vector<Ev>> got(3);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i)
    threads.emplace_back([&, i] { got[i] = run(engine_, jfk_, 3000, static_cast<unsigned>(10 + i)); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

TEST_F(Turn, EncodedTelephoneInput) {
  // jfk at 8 kHz as mu-law bytes, pushed in odd sizes.
  const auto x8 = saywhen::audio::read_audio(shared_dir() + "/audio/jfk_8k.wav", 8000);
  std::vector<uint8_t> ulaw(x8.size());
  for (size_t i = 0; i < x8.size(); ++i) {
    // Nearest mu-law code by search: exact inverse of the decoder.
    float best = 1e9f;
    for (int c = 0; c < 256; ++c) {
      const float d = std::fabs(saywhen::audio::decode_mulaw(static_cast<uint8_t>(c)) - x8[i]);
      if (d < best) best = d, ulaw[i] = static_cast<uint8_t>(c);
    }
  }
  sw_stream* s = sw_stream_create(engine_, nullptr, nullptr, nullptr, 0, 8000, 1);
  ASSERT_NE(s, nullptr) << sw_last_error();
  std::vector<Ev> all;
  for (size_t pos = 0; pos < ulaw.size(); pos += 333) {
    ASSERT_EQ(sw_stream_push_bytes(s, ulaw.data() + pos, std::min<size_t>(333, ulaw.size() - pos), "mulaw"), 0);
    for (auto& e : drain(s)) all.push_back(e);
  }
  ASSERT_EQ(sw_stream_finish(s, 2.0), 0);
  for (auto& e : drain(s)) all.push_back(e);
  sw_stream_free(s);
  bool end_after = false;
  for (const auto& e : all) end_after |= e.type == "end_of_turn" && e.t > 10.5;
  EXPECT_TRUE(end_after);
}

TEST_F(Turn, AgentSpeakingGivesBargeIn) {
  sw_stream* s = sw_stream_create(engine_, nullptr, nullptr, nullptr, 0, 16000, 1);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(sw_stream_set_agent_speaking(s, 1), 0);
  ASSERT_EQ(sw_stream_push(s, jfk_.data(), jfk_.size()), 0);
  const auto ev = drain(s);
  sw_stream_free(s);
  ASSERT_GE(ev.size(), 2u);
  EXPECT_EQ(ev[0].type, "speech_started");
  EXPECT_EQ(ev[1].type, "barge_in");  // 1.9 s of speech over the agent
}

// JFK's words as a speech-to-text would give them: text, start_s, end_s.
struct Piece {
  const char* text;
  double start_s, end_s;
};
const Piece kJfkWords[] = {{"And so my fellow Americans,", 0.35, 2.24},
                           {"ask not", 3.3, 4.38},
                           {"what your country can do for you,", 5.41, 7.62},
                           {"ask what you can do for your country.", 8.19, 10.53}};

// Runs JFK through a stream with the text model, every score traced. Pieces
// arrive `latency_s` after their end (< 0: all before the audio); with
// `interim`, each is preceded by an interim result of its first half.
std::vector<Ev> run_with_words(sw_engine* engine, const std::vector<float>& pcm, double latency_s, bool interim,
                               double wait_for_words_s = 1.0, double stt_lag_s = 0) {
  const char* keys[] = {"trace", "wait_for_words_s", "stt_lag_s"};
  const double values[] = {1, wait_for_words_s, stt_lag_s};
  sw_stream* s = sw_stream_create(engine, nullptr, keys, values, 3, 16000, 1);
  EXPECT_NE(s, nullptr) << sw_last_error();
  if (!s) return {};
  auto give = [&](const Piece& p) {
    if (interim) {
      const std::string half(p.text, std::string(p.text).size() / 2);
      EXPECT_EQ(sw_stream_add_transcript(s, half.c_str(), p.start_s, (p.start_s + p.end_s) / 2, 0), 0);
    }
    EXPECT_EQ(sw_stream_add_transcript(s, p.text, p.start_s, p.end_s, 1), 0) << sw_last_error();
  };
  std::vector<Ev> all;
  size_t pos = 0;
  for (const Piece& p : kJfkWords) {
    if (latency_s < 0) {
      give(p);
      continue;
    }
    const auto at = std::min(pcm.size(), static_cast<size_t>((p.end_s + latency_s) * 16000));
    EXPECT_EQ(sw_stream_push(s, pcm.data() + pos, at - pos), 0);
    pos = at;
    for (auto& e : drain(s)) all.push_back(e);
    give(p);
  }
  EXPECT_EQ(sw_stream_push(s, pcm.data() + pos, pcm.size() - pos), 0);
  EXPECT_EQ(sw_stream_finish(s, 2.0), 0);
  for (auto& e : drain(s)) all.push_back(e);
  sw_stream_free(s);
  return all;
}

TEST(TurnText, InterimResultsAreReplacedAndLateWordsAreScoredOnArrival) {
  sw_engine* engine = sw_engine_load((shared_dir() + "/models").c_str(), 1, 1);
  ASSERT_NE(engine, nullptr) << sw_last_error();
  const auto jfk = saywhen::audio::read_audio(shared_dir() + "/audio/jfk.wav");
  const auto finals = run_with_words(engine, jfk, -1, false);
  ASSERT_FALSE(finals.empty());
  // An interim result counts only until the next piece replaces it.
  EXPECT_EQ(run_with_words(engine, jfk, -1, true), finals);
  // Words that arrive 0.5 s late, during a pause, are scored in the next 32 ms window.
  const auto late = run_with_words(engine, jfk, 0.5, false);
  for (const double arrival : {2.74, 4.88}) {
    bool scored = false;
    for (const auto& e : late) scored |= e.type == "pause" && e.reason == "text" && e.t > arrival && e.t <= arrival + 0.033;
    EXPECT_TRUE(scored) << "no score within a window of words arriving at " << arrival << " s";
  }
  EXPECT_NE(late, finals);
  sw_engine_free(engine);
}

TEST(TurnText, APauseWaitsForWordsTheSpeechToTextHasNotDeliveredYet) {
  sw_engine* engine = sw_engine_load((shared_dir() + "/models").c_str(), 1, 1);
  ASSERT_NE(engine, nullptr) << sw_last_error();
  const auto jfk = saywhen::audio::read_audio(shared_dir() + "/audio/jfk.wav");
  // Words arrive 0.5 s after their end. From the second piece on the stream knows that
  // lag, so the pause after "ask not" (speech from 3.3 s, transcribed at 4.88 s) is not
  // scored before its words arrive, unless the wait is switched off.
  auto scored_before_words = [](const std::vector<Ev>& ev) {
    bool scored = false, pending = false;
    for (const auto& e : ev) {
      if (e.type != "pause" || e.t <= 4.38 || e.t >= 4.88) continue;
      scored |= !std::isnan(e.score);
      pending |= e.reason == "words_pending";
    }
    return std::make_pair(scored, pending);
  };
  EXPECT_EQ(scored_before_words(run_with_words(engine, jfk, 0.5, false, 1.0)), std::make_pair(false, true));
  EXPECT_EQ(scored_before_words(run_with_words(engine, jfk, 0.5, false, 0.0)), std::make_pair(true, false));
  // Words given without lag never make a pause wait.
  for (const auto& e : run_with_words(engine, jfk, -1, false, 1.0)) EXPECT_NE(e.reason, "words_pending");
  // The first pause (from 2.24 s) comes before any piece: the stream knows no lag yet and
  // scores it, unless stt_lag_s says what lag to expect.
  auto first_pause_scored = [](const std::vector<Ev>& ev) {
    for (const auto& e : ev)
      if (e.type == "pause" && e.t > 2.24 && e.t < 2.74 && !std::isnan(e.score)) return true;
    return false;
  };
  EXPECT_TRUE(first_pause_scored(run_with_words(engine, jfk, 0.5, false, 1.0, 0.0)));
  EXPECT_FALSE(first_pause_scored(run_with_words(engine, jfk, 0.5, false, 1.0, 0.5)));
  sw_engine_free(engine);
}

TEST_F(Turn, BadArgumentsAreOneLineErrors) {
  const char* key = "no_such_setting";
  const double value = 1;
  EXPECT_EQ(sw_stream_create(engine_, "saywhen", &key, &value, 1, 16000, 1), nullptr);
  EXPECT_NE(std::string(sw_last_error()).find("no_such_setting"), std::string::npos) << sw_last_error();
  EXPECT_EQ(sw_stream_create(engine_, "nope", nullptr, nullptr, 0, 16000, 1), nullptr);
  EXPECT_NE(std::string(sw_last_error()).find("nope"), std::string::npos);
  EXPECT_EQ(sw_stream_create(engine_, nullptr, nullptr, nullptr, 0, 0, 1), nullptr);
  EXPECT_NE(std::string(sw_last_error()).find("sample rate"), std::string::npos) << sw_last_error();
  const char* neg = "threshold";
  const double minus = -1;
  EXPECT_EQ(sw_stream_create(engine_, nullptr, &neg, &minus, 1, 16000, 1), nullptr);
  sw_stream* s = sw_stream_create(engine_, nullptr, nullptr, nullptr, 0, 16000, 1);
  EXPECT_EQ(sw_stream_push_bytes(s, reinterpret_cast<const uint8_t*>("ab"), 2, "mp3"), -1);
  EXPECT_NE(std::string(sw_last_error()).find("mp3"), std::string::npos);
  EXPECT_EQ(sw_stream_add_transcript(s, "\xff\xfe", 0, 1, 1), -1);
  EXPECT_NE(std::string(sw_last_error()).find("UTF-8"), std::string::npos) << sw_last_error();
  EXPECT_EQ(sw_stream_add_transcript(s, "hello", 2, 1, 1), -1);
  sw_stream_free(s);
}

}  // namespace
