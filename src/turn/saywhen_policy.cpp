// The "saywhen" preset: Silero VAD finds speech and pauses; while a pause lasts,
// Smart Turn re-scores the turn's audio every rescore_ms (it hears more trailing
// silence each time, and a finished turn's probability rises with it), fused with
// the text model's p(finished) when a transcript is given. The turn ends when the
// score reaches the threshold, eagerly at `eager_threshold`, or after max_silence_s.
// The threshold falls as the pause grows: `threshold` + `threshold_early` at the
// first score (pause_ms), linearly down to `threshold` at threshold_relax_s, so an
// early score must be surer than a late one. The defaults were chosen on the
// development half of the evaluation set (eval/tune.py, docs/evaluation.md run 4).
// While the agent speaks, user speech is a barge_in (long enough, or the text model
// says it is not a backchannel) or a backchannel.
//
// Everything runs on 512-sample VAD windows (32 ms): events fall on window ends, so
// they do not depend on how audio is chunked.

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>

#include "saywhen/runtime.h"
#include "turn/policy.h"

namespace saywhen::turn {
namespace {

constexpr int kRate = audio::kModelSampleRate;
constexpr int kWin = audio::VadModel::kWindow;
constexpr double kWinMs = 1000.0 * kWin / kRate;

struct SaywhenParams {
  // Defaults chosen on the development half of the evaluation set (docs/evaluation.md):
  // the VAD settings in run 6 (eval/tune_vad.py), the rule and the eager threshold for
  // the session-6 text model in run 8 (eval/tune.py, eval/tune_eager.py).
  double vad_threshold = 0.35;     // a window is speech at p >= this
  double vad_neg_threshold = 0.2;  // in speech, a window is silence at p < this
  double start_ms = 96;            // speech that starts a turn
  double resume_ms = 32;           // speech that resumes a turn in a pause (ends the pause)
  double pause_ms = 96;            // silence that makes a pause: the first score
  double rescore_ms = 576;         // re-score interval while the pause lasts
  double threshold = 0.79;         // score that ends the turn (once the pause is threshold_relax_s long)
  double threshold_early = 0.2;    // extra score needed at the first score of a pause, falling to 0 at threshold_relax_s
  double threshold_relax_s = 1.0;  // silence from which `threshold` alone applies
  double eager_threshold = 0.1;    // score for end_of_turn_eager, with the same early margin (0: off)
  double max_silence_s = 2.0;      // a pause this long ends the turn anyway
  double pre_speech_ms = 500;      // audio before the turn's first speech given to Smart Turn
  double text_weight = 1.0;        // weight of the text model's p(finished) when a transcript is given
  double wait_for_words_s = 1.0;   // longest wait for the words of speech not yet transcribed (words_wait_s)
  double stt_lag_s = 0;            // the speech-to-text's lag to assume until the stream has seen its own
  double max_turn_s = 0;           // a pause after a turn this long ends it (0: no limit)
  double barge_in_ms = 400;        // agent speaking: user speech this long is an interruption
  double audio_model = 1;          // 0: no Smart Turn (VAD-only scores)
  double trace = 0;                // 1: a pause event at every score, for evaluation

  ParamTable table() {
    ParamTable t("saywhen");
    t.bind("vad_threshold", &vad_threshold, "speech probability");
    t.bind("vad_neg_threshold", &vad_neg_threshold, "silence probability within speech");
    t.bind("start_ms", &start_ms, "speech that starts a turn");
    t.bind("resume_ms", &resume_ms, "speech that resumes a turn in a pause");
    t.bind("pause_ms", &pause_ms, "silence that makes a pause");
    t.bind("rescore_ms", &rescore_ms, "re-score interval during a pause");
    t.bind("threshold", &threshold, "score that ends the turn");
    t.bind("threshold_early", &threshold_early, "extra score needed early in a pause (falls to 0 at threshold_relax_s)");
    t.bind("threshold_relax_s", &threshold_relax_s, "silence from which threshold alone applies");
    t.bind("eager_threshold", &eager_threshold, "score for end_of_turn_eager");
    t.bind("max_silence_s", &max_silence_s, "silence timeout");
    t.bind("pre_speech_ms", &pre_speech_ms, "audio before the turn given to Smart Turn");
    t.bind("text_weight", &text_weight, "weight of the text model");
    t.bind("wait_for_words_s", &wait_for_words_s,
           "longest wait for the transcript of untranscribed speech: the stream's observed speech-to-text lag, capped by this (0: off)");
    t.bind("stt_lag_s", &stt_lag_s,
           "speech-to-text lag to assume before the first transcript piece arrives (0: none; set it only when a transcript will come)");
    t.bind("max_turn_s", &max_turn_s, "turn length that ends the turn at the next pause (0: off)");
    t.bind("barge_in_ms", &barge_in_ms, "user speech over the agent that is a barge-in");
    t.bind("audio_model", &audio_model, "1: Smart Turn scores; 0: VAD only");
    t.bind("trace", &trace, "1: a pause event at every score");
    return t;
  }

  // The score that ends the turn after pause_s of silence: threshold + threshold_early
  // at the first score (pause_ms), falling linearly to threshold at threshold_relax_s.
  double end_threshold(double th, double pause_s) const {
    const double first = pause_ms / 1000.0;
    if (threshold_early == 0 || threshold_relax_s <= first) return th;
    const double f = std::clamp((threshold_relax_s - pause_s) / (threshold_relax_s - first), 0.0, 1.0);
    return th + threshold_early * f;
  }
};

int windows_for(double ms) { return std::max(1, static_cast<int>(std::lround(ms / kWinMs))); }

struct Piece {
  std::string text;
  double start_s, end_s;
  bool final;
};

class SaywhenPolicy final : public Policy {
 public:
  SaywhenPolicy(const Engine::Impl& engine, const SaywhenParams& p)
      : p_(p), text_(engine.text), vad_(engine.vad, SessionOptions{.threads = engine.threads}),
        smart_turn_(engine.smart_turn, engine.threads) {
    if (p_.vad_neg_threshold > p_.vad_threshold)
      throw Error("preset saywhen: vad_neg_threshold must not exceed vad_threshold");
    start_windows_ = windows_for(p_.start_ms);
    resume_windows_ = windows_for(p_.resume_ms);
    pause_windows_ = windows_for(p_.pause_ms);
    rescore_windows_ = windows_for(p_.rescore_ms);
    barge_windows_ = windows_for(p_.barge_in_ms);
    // Smart Turn sees at most 8 s; keep that plus the pre-speech margin.
    keep_ = static_cast<size_t>(8 * kRate + p_.pre_speech_ms * kRate / 1000.0) + kWin;
    probs_.reserve(64);
  }

  void push(std::span<const float> audio, std::vector<Event>& out) override {
    // Windows complete inside VadStream; the audio ring mirrors what it has consumed.
    size_t pos = 0;
    while (pos < audio.size()) {
      const size_t room = static_cast<size_t>(kWin) - pending_;
      const size_t n = std::min(room, audio.size() - pos);
      append_audio(audio.subspan(pos, n));
      probs_.clear();
      vad_.push(audio.subspan(pos, n), probs_);
      pending_ += n;
      pos += n;
      if (pending_ == static_cast<size_t>(kWin)) {
        pending_ = 0;
        for (float prob : probs_) on_window(prob, out);
      }
    }
  }

  void finish(double tail_silence_s, std::vector<Event>& out) override {
    // Complete the last window with zeros (as Silero's own segmenter does), then the tail.
    std::vector<float> zeros(kWin, 0.0f);
    if (pending_ > 0) push(std::span<const float>(zeros.data(), kWin - pending_), out);
    const auto tail = static_cast<int64_t>(std::llround(tail_silence_s * kRate));
    for (int64_t done = 0; done < tail; done += kWin) push(zeros, out);
  }

  double seconds() const override { return static_cast<double>(samples_) / kRate; }

  void add_transcript(const std::string& text, double start_s, double end_s, bool final) override {
    if (!std::isfinite(start_s) || !std::isfinite(end_s) || end_s < start_s)
      throw Error("transcript piece '" + text.substr(0, 40) + "': end_s must be >= start_s");
    // An interim result stands until the next piece, which replaces it.
    if (!pieces_.empty() && !pieces_.back().final) pieces_.pop_back();
    if (!text.empty()) pieces_.push_back({text, start_s, end_s, final});
    // The speech-to-text's lag as this stream sees it: the largest of the last few.
    stt_lags_[stt_lag_count_++ % stt_lags_.size()] = std::max(0.0, seconds() - end_s);
    // Words of this turn that arrive during a pause (speech-to-text lags the
    // audio) are scored at the next window rather than at the next re-score.
    if (in_turn_ && !speaking_ && pause_start_ >= 0 && end_s >= turn_start_s())
      next_score_ = std::min(next_score_, windows_);
  }
  void add_agent_turn(const std::string& text) override {
    if (text.empty()) return;
    agent_turns_.push_back(text);
    if (agent_turns_.size() > 4) agent_turns_.erase(agent_turns_.begin());
  }
  void set_agent_speaking(bool speaking) override { agent_speaking_ = speaking; }

 private:
  void append_audio(std::span<const float> x) {
    ring_.insert(ring_.end(), x.begin(), x.end());
    samples_ += static_cast<int64_t>(x.size());
    // Trim in large steps so the erase cost is amortised.
    if (ring_.size() > 2 * keep_) {
      const size_t drop = ring_.size() - keep_;
      ring_.erase(ring_.begin(), ring_.begin() + static_cast<std::ptrdiff_t>(drop));
      ring_start_ += static_cast<int64_t>(drop);
    }
  }

  double t_of(int64_t window_end) const { return static_cast<double>(window_end) * kWin / kRate; }

  void on_window(float prob, std::vector<Event>& out) {
    const int64_t w = windows_++;
    const double t = t_of(w + 1);
    if (!speaking_) {
      speech_run_ = prob >= static_cast<float>(p_.vad_threshold) ? speech_run_ + 1 : 0;
      // Resuming may take less speech than starting: a short sound in a pause
      // should end the pause (the user is still talking), but should not by
      // itself open a turn.
      if (speech_run_ >= (in_turn_ ? resume_windows_ : start_windows_)) {
        speaking_ = true;
        silence_run_ = 0;
        const int64_t first = w - speech_run_ + 1;
        if (!in_turn_) {
          start_turn(first, t, out);
        } else {
          if (eager_sent_) out.push_back(event(EventType::turn_resumed, t));
          eager_sent_ = false;
        }
        pause_start_ = -1;
        return;
      }
      if (in_turn_ && pause_start_ >= 0) in_pause(w, t, out);
      return;
    }
    // Speaking.
    silence_run_ = prob < static_cast<float>(p_.vad_neg_threshold) ? silence_run_ + 1 : 0;
    if (agent_speaking_ && !barge_decided_ && w - turn_start_ + 1 >= barge_windows_ && silence_run_ == 0) {
      barge_decided_ = true;
      Event e = event(EventType::barge_in, t);
      e.reason = "vad";
      out.push_back(e);
    }
    if (silence_run_ >= pause_windows_) {
      speaking_ = false;
      speech_run_ = 0;
      pause_start_ = w - silence_run_ + 1;
      next_score_ = w;
      in_pause(w, t, out);
    }
  }

  void start_turn(int64_t first_window, double t, std::vector<Event>& out) {
    in_turn_ = true;
    turn_start_ = first_window;
    eager_sent_ = false;
    barge_decided_ = false;
    out.push_back(event(EventType::speech_started, t));
  }

  void end_turn() {
    in_turn_ = false;
    speaking_ = false;
    pause_start_ = -1;
    eager_sent_ = false;
  }

  Event event(EventType type, double t) const {
    Event e;
    e.type = type;
    e.t = t;
    return e;
  }

  void in_pause(int64_t w, double t, std::vector<Event>& out) {
    const double pause_s = t_of(w + 1 - pause_start_);
    const bool first = w == next_score_ && pause_s <= t_of(pause_windows_) + 1e-9;

    // Agent speaking: a short utterance that stopped before barge_in_ms.
    if (agent_speaking_ && !barge_decided_) {
      Event e = event(EventType::backchannel, t);
      e.reason = "vad";
      if (const std::string said = user_text(t); text_ && !said.empty()) {
        const auto pred = predict_text(said, true);
        e.text_p = pred.probs[static_cast<int>(TurnLabel::Backchannel)];
        e.score = e.text_p;
        e.reason = "text";
        if (pred.label != TurnLabel::Backchannel) e.type = EventType::barge_in;
      }
      out.push_back(e);
      if (e.type == EventType::backchannel) end_turn();
      else barge_decided_ = true;
      return;
    }

    if (w >= next_score_) {
      next_score_ = w + rescore_windows_;
      Event e = event(EventType::pause, t);
      e.pause_s = pause_s;
      if (const double wait = words_wait_s(t, pause_s); wait > 0) {
        // No decision on words the speech-to-text has not delivered yet: score when
        // they arrive (add_transcript) or when the wait is over.
        next_score_ = std::min(next_score_, w + std::max(1, static_cast<int>(std::ceil(wait * 1000.0 / kWinMs))));
        e.reason = "words_pending";
        if (first) out.push_back(e);
        return;
      }
      score(t, e);
      if (first || p_.trace > 0) out.push_back(e);
      if (!std::isnan(e.score) && e.score >= static_cast<float>(p_.end_threshold(p_.threshold, pause_s))) {
        Event end = e;
        end.type = EventType::end_of_turn;
        out.push_back(end);
        end_turn();
        return;
      }
      if (p_.eager_threshold > 0 && !eager_sent_ && !std::isnan(e.score) &&
          e.score >= static_cast<float>(p_.end_threshold(p_.eager_threshold, pause_s))) {
        Event eager = e;
        eager.type = EventType::end_of_turn_eager;
        out.push_back(eager);
        eager_sent_ = true;
      }
      if (p_.max_turn_s > 0 && t_of(w + 1 - turn_start_) >= p_.max_turn_s) {
        Event end = e;
        end.type = EventType::end_of_turn;
        end.reason = "max_duration";
        out.push_back(end);
        end_turn();
        return;
      }
    }
    if (pause_s >= p_.max_silence_s) {
      Event end = event(EventType::end_of_turn, t);
      end.pause_s = pause_s;
      end.reason = "timeout";
      out.push_back(end);
      end_turn();
    }
  }

  // Smart Turn on the turn so far (from pre_speech_ms before it, at most 8 s), and
  // the text model on the transcript so far.
  void score(double t, Event& e) {
    const auto t0 = std::chrono::steady_clock::now();
    if (p_.audio_model > 0) {
      const int64_t now = samples_;
      int64_t from = turn_start_ * kWin - static_cast<int64_t>(p_.pre_speech_ms * kRate / 1000.0);
      from = std::max({from, ring_start_, now - int64_t{8} * kRate});
      const auto* begin = ring_.data() + (from - ring_start_);
      e.audio_p = smart_turn_.predict(std::span<const float>(begin, static_cast<size_t>(now - from)));
      e.reason = "model";
    }
    if (const std::string said = user_text(t); text_ && p_.text_weight > 0 && !said.empty()) {
      e.text_p = predict_text(said, false).probs[static_cast<int>(TurnLabel::Finished)];
      e.reason = "text";
    }
    if (!std::isnan(e.audio_p) && !std::isnan(e.text_p))
      e.score = static_cast<float>((1 - p_.text_weight) * e.audio_p + p_.text_weight * e.text_p);
    else if (!std::isnan(e.audio_p))
      e.score = e.audio_p;
    else if (!std::isnan(e.text_p))
      e.score = e.text_p;
    e.compute_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }

  // How much longer to wait, after pause_s of silence, for the words of this turn's
  // speech that no transcript piece covers yet (0: none pending, or no transcript in
  // use). The speech-to-text delivers words some time after they are spoken; this
  // stream has seen that lag on earlier pieces (before the first, stt_lag_s stands in),
  // so a pause that follows untranscribed speech waits up to that lag (capped by
  // wait_for_words_s) before it decides. A transcript given without lag (or no
  // transcript and no stt_lag_s) never waits.
  double words_wait_s(double t, double pause_s) const {
    if (!text_ || p_.text_weight <= 0 || p_.wait_for_words_s <= 0) return 0;
    const double seen = stt_lag_count_ > 0 ? *std::max_element(stt_lags_.begin(), stt_lags_.end()) : p_.stt_lag_s;
    const double lag = std::min(p_.wait_for_words_s, seen);
    if (pause_s >= lag) return 0;
    // Speech this long past the last transcribed word has words still to come.
    constexpr double kUntranscribed = 0.3;
    double covered = t_of(turn_start_);
    for (const Piece& piece : pieces_)
      if (piece.end_s <= t + 1e-9 && piece.end_s >= turn_start_s()) covered = std::max(covered, piece.end_s);
    return t_of(pause_start_) - covered > kUntranscribed ? lag - pause_s : 0;
  }

  // Where this turn's words may start: its first speech window, less the pre-speech margin.
  double turn_start_s() const { return t_of(turn_start_) - p_.pre_speech_ms / 1000.0; }

  // The user's words of this turn heard by time t.
  std::string user_text(double t) const {
    const double turn_t = turn_start_s();
    std::string s;
    for (const Piece& piece : pieces_) {
      if (piece.end_s > t + 1e-9 || piece.end_s < turn_t) continue;
      if (!s.empty()) s += ' ';
      s += piece.text;
    }
    return s;
  }

  TextPrediction predict_text(const std::string& said, bool agent_speaking) const {
    Conversation c;
    for (const std::string& a : agent_turns_) c.messages.push_back({"assistant", a});
    c.messages.push_back({"user", said});
    c.agent_speaking = agent_speaking;
    return text_->predict(c);
  }

  SaywhenParams p_;
  std::shared_ptr<const TextModel> text_;
  audio::VadStream vad_;
  SmartTurnRunner smart_turn_;
  std::vector<float> probs_;
  size_t pending_ = 0;  // samples of the current window pushed so far

  std::vector<float> ring_;  // recent audio; ring_[0] is sample ring_start_
  int64_t ring_start_ = 0;
  int64_t samples_ = 0;
  size_t keep_ = 0;

  int start_windows_ = 3, resume_windows_ = 3, pause_windows_ = 5, rescore_windows_ = 5, barge_windows_ = 12;
  int64_t windows_ = 0;
  bool speaking_ = false, in_turn_ = false, eager_sent_ = false, barge_decided_ = false;
  int speech_run_ = 0, silence_run_ = 0;
  int64_t turn_start_ = 0, pause_start_ = -1, next_score_ = 0;

  std::vector<Piece> pieces_;
  std::array<double, 8> stt_lags_{};  // arrival - end of the last pieces, seconds
  size_t stt_lag_count_ = 0;
  std::vector<std::string> agent_turns_;
  bool agent_speaking_ = false;
};

}  // namespace

std::map<std::string, double> saywhen_defaults() {
  SaywhenParams p;
  return p.table().values();
}

std::function<double(double, double)> saywhen_end_threshold(const std::map<std::string, double>& settings) {
  SaywhenParams p;
  ParamTable t = p.table();
  for (const auto& [k, v] : settings) t.set(k, v);
  return [p](double threshold, double pause_s) { return p.end_threshold(threshold, pause_s); };
}

std::unique_ptr<Policy> make_saywhen_policy(const Engine::Impl& engine, const std::map<std::string, double>& settings) {
  SaywhenParams p;
  ParamTable t = p.table();
  for (const auto& [k, v] : settings) t.set(k, v);
  return std::make_unique<SaywhenPolicy>(engine, p);
}

}  // namespace saywhen::turn
