// The "pipecat" preset: Pipecat 1.14's SileroVADAnalyzer + LocalSmartTurnAnalyzerV3
// reproduced decision for decision (tests/turn/pipecat_parity_test.py).
//
//   - VAD: Silero confidence per 512-sample window AND a smoothed BS.1770 loudness
//     ("volume", 0.4 s window, exponential smoothing 0.2) must pass their thresholds;
//     start/stop need round(0.2 s / 32 ms) = 6 consecutive windows; the Silero state is
//     reset after >= 2 s when quiet and 5 windows in a row were below 0.1.
//   - Turn: each 20 ms chunk goes to the turn analyzer with the VAD flag of the
//     previous chunk (the VAD frame is queued behind the audio frame). When the VAD
//     reports silence, Smart Turn runs once on the turn's audio (from 0.7 s before the
//     first speech chunk, at most the last 8 s): > 0.5 ends the turn. Otherwise the
//     turn ends after 3 s of silence (a timeout).
// The transport carries 16-bit samples, so audio is quantised to int16 first. Time
// is the audio position (chunk n ends at (n + 1) * 20 ms).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>

#include "audio/loudness.h"
#include "saywhen/runtime.h"
#include "turn/policy.h"

namespace saywhen::turn {
namespace {

// ---- the Pipecat-compatible policy -------------------------------------------

struct PipecatParams {
  double vad_confidence = 0.7;
  double vad_start_secs = 0.2;
  double vad_stop_secs = 0.2;
  double vad_min_volume = 0.6;
  double stop_secs = 3.0;          // silence that ends a turn without the model
  double pre_speech_ms = 500;      // audio kept before the first speech chunk
  double max_duration_secs = 8.0;  // the longest turn audio the model sees
  double threshold = 0.5;          // Smart Turn probability above which the turn ends
  double chunk_ms = 20;            // transport chunk

  ParamTable table() {
    ParamTable t("pipecat");
    t.bind("vad_confidence", &vad_confidence, "Silero confidence for speech");
    t.bind("vad_start_secs", &vad_start_secs, "speech needed to start");
    t.bind("vad_stop_secs", &vad_stop_secs, "silence needed to stop");
    t.bind("vad_min_volume", &vad_min_volume, "smoothed loudness for speech, 0..1 over -110..-10 LUFS");
    t.bind("stop_secs", &stop_secs, "silence that ends a turn without the model");
    t.bind("pre_speech_ms", &pre_speech_ms, "audio kept before the first speech chunk");
    t.bind("max_duration_secs", &max_duration_secs, "longest turn audio the model sees");
    t.bind("threshold", &threshold, "Smart Turn probability above which the turn ends");
    t.bind("chunk_ms", &chunk_ms, "transport chunk");
    return t;
  }
};

enum class VadState { quiet, starting, speaking, stopping };

constexpr int kSampleRate = audio::kModelSampleRate;
constexpr int kWindow = audio::VadModel::kWindow;
constexpr int kVolumeWindow = 6400;  // ceil(0.4 s * 16 kHz): Pipecat's loudness window
constexpr double kVolumeSmoothing = 0.2;
constexpr double kResetIntervalSecs = 2.0;
constexpr double kResetMaxConfidence = 0.1;
constexpr int kResetLowWindows = 5;

class PipecatPolicy final : public Policy {
 public:
  PipecatPolicy(const Engine::Impl& engine, const PipecatParams& p)
      : p_(p),
        vad_(engine.vad, SessionOptions{.threads = engine.threads}),
        // Pipecat computes features with numpy in double precision: the exact path gives
        // the same float32 features, so the int8 model sees the same input.
        smart_turn_(engine.smart_turn, engine.threads, audio::MelPrecision::exact) {
    chunk_ = static_cast<size_t>(std::llround(p_.chunk_ms * kSampleRate / 1000.0));
    if (chunk_ == 0) throw Error("preset pipecat: chunk_ms is too small");
    const double window_secs = static_cast<double>(kWindow) / kSampleRate;
    start_windows_ = static_cast<int>(std::nearbyint(p_.vad_start_secs / window_secs));
    stop_windows_ = static_cast<int>(std::nearbyint(p_.vad_stop_secs / window_secs));
    volume_ring_.assign(kVolumeWindow, 0.0f);
  }

  void push(std::span<const float> audio, std::vector<Event>& out) override {
    for (float x : audio) {
      // The transport's 16-bit sample.
      const auto s = static_cast<int16_t>(std::clamp(std::nearbyint(x * 32768.0f), -32768.0f, 32767.0f));
      pending_.push_back(s);
      if (pending_.size() == chunk_) {
        process_chunk(out);
        pending_.clear();
      }
    }
  }

  void finish(double tail_silence_s, std::vector<Event>& out) override {
    if (!pending_.empty()) {
      pending_.resize(chunk_, 0);
      process_chunk(out);
      pending_.clear();
    }
    const auto tail = static_cast<int64_t>(std::llround(tail_silence_s * kSampleRate));
    std::vector<float> zeros(chunk_, 0.0f);
    for (int64_t done = 0; done < tail; done += static_cast<int64_t>(chunk_)) {
      const auto n = static_cast<size_t>(std::min<int64_t>(tail - done, static_cast<int64_t>(chunk_)));
      push(std::span<const float>(zeros.data(), n), out);
    }
    if (!pending_.empty()) {
      pending_.resize(chunk_, 0);
      process_chunk(out);
      pending_.clear();
    }
  }

  double seconds() const override { return static_cast<double>(chunks_) * static_cast<double>(chunk_) / kSampleRate; }

 private:
  // ---- VAD: SileroVADAnalyzer._run_analyzer ----
  // Returns the state after this chunk; transitions are only checked when at least
  // one window completed, as in Pipecat.
  VadState analyze_vad(std::span<const int16_t> chunk) {
    vad_buf_.insert(vad_buf_.end(), chunk.begin(), chunk.end());
    if (vad_buf_.size() < static_cast<size_t>(kWindow)) return state_;
    while (vad_buf_.size() >= static_cast<size_t>(kWindow)) {
      for (int i = 0; i < kWindow; ++i) window_[i] = static_cast<float>(vad_buf_[i]) / 32768.0f;
      vad_buf_.erase(vad_buf_.begin(), vad_buf_.begin() + kWindow);
      const float confidence = vad_.process_window(window_);
      maybe_reset_model(confidence);
      const double volume = smoothed_volume();
      const bool speaking = confidence >= static_cast<float>(p_.vad_confidence) && volume >= p_.vad_min_volume;
      if (speaking) {
        if (state_ == VadState::quiet) {
          state_ = VadState::starting;
          starting_ = 1;
        } else if (state_ == VadState::starting) {
          ++starting_;
        } else if (state_ == VadState::stopping) {
          state_ = VadState::speaking;
          stopping_ = 0;
        }
      } else {
        if (state_ == VadState::starting) {
          state_ = VadState::quiet;
          starting_ = 0;
        } else if (state_ == VadState::speaking) {
          state_ = VadState::stopping;
          stopping_ = 1;
        } else if (state_ == VadState::stopping) {
          ++stopping_;
        }
      }
    }
    if (state_ == VadState::starting && starting_ >= start_windows_) {
      state_ = VadState::speaking;
      starting_ = 0;
    }
    if (state_ == VadState::stopping && stopping_ >= stop_windows_) {
      state_ = VadState::quiet;
      stopping_ = 0;
    }
    return state_;
  }

  // Pipecat resets Silero's recurrent state in long quiet stretches (the model drifts
  // otherwise); the state checked is the one before this window's update.
  void maybe_reset_model(float confidence) {
    ++windows_since_reset_;
    low_windows_ = static_cast<double>(confidence) < kResetMaxConfidence ? low_windows_ + 1 : 0;
    if (static_cast<double>(windows_since_reset_) * kWindow >= kResetIntervalSecs * kSampleRate &&
        state_ == VadState::quiet && low_windows_ >= kResetLowWindows) {
      vad_.reset();
      windows_since_reset_ = 0;
    }
  }

  // AudioVolumeTracker + exp_smoothing: loudness of the last 0.4 s once that much
  // audio has been seen (0 before), mapped from [-110, -10] LUFS to [0, 1].
  double smoothed_volume() {
    for (int i = 0; i < kWindow; ++i) {
      volume_ring_[volume_pos_] = window_[i];
      volume_pos_ = (volume_pos_ + 1) % kVolumeWindow;
    }
    volume_seen_ += kWindow;
    double volume = 0.0;
    if (volume_seen_ >= kVolumeWindow) {
      for (int i = 0; i < kVolumeWindow; ++i) volume_block_[i] = volume_ring_[(volume_pos_ + i) % kVolumeWindow];
      const double lufs = audio::bs1770_block_loudness(volume_block_, kSampleRate);
      volume = std::clamp((lufs + 110.0) / 100.0, 0.0, 1.0);
      if (std::isnan(volume) || lufs == -INFINITY) volume = 0.0;
    }
    prev_volume_ = prev_volume_ + kVolumeSmoothing * (volume - prev_volume_);
    return prev_volume_;
  }

  // ---- turn: BaseSmartTurn ----
  void process_chunk(std::vector<Event>& out) {
    const int64_t n = chunks_++;
    const double t = static_cast<double>(n + 1) * static_cast<double>(chunk_) / kSampleRate;

    // 1) the VAD sees the chunk first.
    const VadState s = analyze_vad(pending_);
    int vad_event = 0;  // +1 start, -1 stop
    if (s != reported_ && (s == VadState::quiet || s == VadState::speaking)) {
      vad_event = s == VadState::speaking ? 1 : -1;
      reported_ = s;
    }

    // 2) the turn analyzer gets the chunk with the previous VAD flag.
    turn_audio_.emplace_back(n, std::vector<int16_t>(pending_.begin(), pending_.end()));
    if (user_speaking_) {
      silence_ms_ = 0;
      speech_triggered_ = true;
      if (speech_start_ < 0) speech_start_ = n;
    } else if (speech_triggered_) {
      silence_ms_ += p_.chunk_ms;
      if (silence_ms_ >= p_.stop_secs * 1000.0) {
        Event e;
        e.type = EventType::end_of_turn;
        e.t = t;
        e.reason = "timeout";
        out.push_back(e);
        clear_turn();
      }
    } else {
      // Keep pre-speech + stop + max-duration worth of chunks (boundary chunk kept).
      const auto keep = chunks_within(p_.pre_speech_ms / 1000.0 + p_.stop_secs + p_.max_duration_secs);
      while (!turn_audio_.empty() && turn_audio_.front().first < n - keep) turn_audio_.pop_front();
    }

    // 3) then the VAD's frame.
    if (vad_event == 1) {
      vad_start_secs_ = p_.vad_start_secs;
      user_speaking_ = true;
      Event e;
      e.type = EventType::speech_started;
      e.t = t;
      out.push_back(e);
    } else if (vad_event == -1) {
      user_speaking_ = false;
      analyze_end_of_turn(t, out);
    }
  }

  // Chunks whose start lies within `secs` before the newest one, boundary included.
  int64_t chunks_within(double secs) const {
    return static_cast<int64_t>(std::floor(secs * 1000.0 / p_.chunk_ms + 1e-9));
  }

  void analyze_end_of_turn(double t, std::vector<Event>& out) {
    Event e;
    e.type = EventType::pause;
    e.t = t;
    if (!turn_audio_.empty()) {
      int64_t first = turn_audio_.front().first;
      if (speech_start_ >= 0)
        first = std::max(first, speech_start_ - chunks_within((p_.pre_speech_ms + vad_start_secs_ * 1000.0) / 1000.0));
      segment_.clear();
      for (const auto& [idx, chunk] : turn_audio_)
        if (idx >= first)
          for (int16_t v : chunk) segment_.push_back(static_cast<float>(v) / 32768.0f);
      const auto max_samples = static_cast<size_t>(p_.max_duration_secs * kSampleRate);
      std::span<const float> audio(segment_);
      if (audio.size() > max_samples) audio = audio.subspan(audio.size() - max_samples);
      if (!audio.empty()) {
        const auto t0 = std::chrono::steady_clock::now();
        const float p = smart_turn_.predict(audio);
        e.compute_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        e.audio_p = p;
        e.score = p;
        e.reason = "model";
      }
    }
    out.push_back(e);
    if (!std::isnan(e.score) && e.score > static_cast<float>(p_.threshold)) {
      Event end = e;
      end.type = EventType::end_of_turn;
      out.push_back(end);
      clear_turn();
    }
  }

  void clear_turn() {
    speech_triggered_ = false;
    turn_audio_.clear();
    speech_start_ = -1;
    silence_ms_ = 0;
  }

  PipecatParams p_;
  size_t chunk_ = 320;
  std::vector<int16_t> pending_;
  int64_t chunks_ = 0;

  // VAD
  audio::VadStream vad_;
  std::vector<int16_t> vad_buf_;
  float window_[kWindow] = {};
  VadState state_ = VadState::quiet;
  VadState reported_ = VadState::quiet;
  int starting_ = 0, stopping_ = 0, start_windows_ = 6, stop_windows_ = 6;
  int64_t windows_since_reset_ = 0;
  int low_windows_ = 0;
  std::vector<float> volume_ring_;
  float volume_block_[kVolumeWindow] = {};
  int volume_pos_ = 0;
  int64_t volume_seen_ = 0;
  double prev_volume_ = 0.0;

  // Turn
  bool user_speaking_ = false;
  bool speech_triggered_ = false;
  double silence_ms_ = 0;
  int64_t speech_start_ = -1;
  double vad_start_secs_ = 0;
  std::deque<std::pair<int64_t, std::vector<int16_t>>> turn_audio_;
  std::vector<float> segment_;
  SmartTurnRunner smart_turn_;
};

}  // namespace


std::map<std::string, double> pipecat_defaults() {
  PipecatParams p;
  return p.table().values();
}

std::unique_ptr<Policy> make_pipecat_policy(const Engine::Impl& engine, const std::map<std::string, double>& settings) {
  PipecatParams p;
  ParamTable t = p.table();
  for (const auto& [k, v] : settings) t.set(k, v);
  return std::make_unique<PipecatPolicy>(engine, p);
}

}  // namespace saywhen::turn
