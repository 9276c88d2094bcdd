// saywhen Silero VAD: speech probabilities and speech segments from 16 kHz audio,
// run by saywhen's own runtime from Silero's ONNX files.
//
//   auto vad = saywhen::audio::VadModel::load(saywhen::find_model_file(saywhen::kSileroVadFile));
//   saywhen::audio::VadSegmenter seg(vad);              // one per stream / thread
//   std::vector<saywhen::audio::SpeechSegment> segments;
//   seg.push(chunk, segments);                          // any chunk sizes; appends final segments
//   seg.finish(segments);                               // end of stream
//
// Probabilities follow silero-vad's OnnxWrapper exactly: 512 new samples per window,
// preceded by the last 64 samples of the previous window (zeros at the start), the
// recurrent state carried from window to window. Telephone audio can also run at its
// native 8 kHz (256 + 32 samples, the model's 8 kHz branch), which agrees with the 16 kHz
// original better than the same audio resampled to 16 kHz does. Segments are those of silero-vad
// 6.2.3's get_speech_timestamps on the same audio with the same parameters, sample
// for sample, whatever the chunking: a segment is appended as soon as nothing that
// can still arrive would change it. A VadModel is immutable and shared by any number
// of streams on any threads; a stream allocates no heap memory per window once running.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "saywhen/runtime.h"

namespace saywhen::audio {

// get_speech_timestamps' parameters, with silero-vad 6.2.3's defaults.
struct VadOptions {
  double threshold = 0.5;        // a window with p >= threshold is speech
  double neg_threshold = -1;     // in speech, p < this is silence; < 0: max(threshold - 0.15, 0.01)
  double min_speech_ms = 250;    // shorter segments ending in silence are dropped
  double min_silence_ms = 100;   // silence that ends a segment
  double speech_pad_ms = 30;     // added on both sides (half the gap when neighbours are closer)
  double max_speech_s = std::numeric_limits<double>::infinity();  // longer segments are split
  double min_silence_at_max_speech_ms = 98;  // pauses this long are split candidates
  bool use_max_possible_silence_at_max_speech = true;  // split at the longest pause, not the last

  double effective_neg_threshold() const;
  // Throws saywhen::Error naming the first field that is out of range.
  void validate() const;
};

// [start, end) in samples at the stream's rate.
struct SpeechSegment {
  int64_t start = 0;
  int64_t end = 0;
  int sample_rate = 16000;
  double start_s() const { return static_cast<double>(start) / sample_rate; }
  double end_s() const { return static_cast<double>(end) / sample_rate; }
  bool operator==(const SpeechSegment&) const = default;
};

class VadModel {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kWindow = 512;   // new samples per window at 16 kHz
  static constexpr int kContext = 64;   // samples of the previous window prepended
  static constexpr int kStateSize = 2 * 128;
  // 512 / 64 at 16 kHz, 256 / 32 at 8 kHz; throws saywhen::Error for other rates.
  static int window_samples(int sample_rate);
  static int context_samples(int sample_rate);

  // Throws saywhen::Error naming the file when it is not a Silero VAD model
  // (inputs audio [1, 576] and state [2, 1, 128], optional sample rate "sr").
  static std::shared_ptr<const VadModel> load(const std::string& path);
  static std::shared_ptr<const VadModel> from_model(std::shared_ptr<const Model> model);

  const std::shared_ptr<const Model>& model() const { return model_; }
  const std::string& path() const { return model_->path(); }
  const std::string& audio_input() const { return audio_in_; }
  const std::string& state_input() const { return state_in_; }
  const std::string& rate_input() const { return rate_in_; }  // "" when the model has none
  size_t probability_output() const { return prob_out_; }
  size_t state_output() const { return state_out_; }
  // 16000 always; 8000 for the dual-rate files (an "sr" input, and, as silero-vad
  // decides, no "16k" in the file name).
  bool supports_rate(int sample_rate) const;

 private:
  VadModel() = default;
  std::shared_ptr<const Model> model_;
  std::string audio_in_, state_in_, rate_in_;
  size_t prob_out_ = 0, state_out_ = 1;
  bool has_8k_ = false;
};

// Audio in, one speech probability per 512-sample window out (silero's OnnxWrapper).
class VadStream {
 public:
  // sample_rate: 16000, or 8000 where the model supports_rate it; throws saywhen::Error otherwise.
  explicit VadStream(std::shared_ptr<const VadModel> model, const SessionOptions& opts = {},
                     int sample_rate = VadModel::kSampleRate);
  ~VadStream();
  VadStream(const VadStream&) = delete;
  VadStream& operator=(const VadStream&) = delete;

  // Mono samples at sample_rate(), any count; appends the probability of every window completed.
  void push(std::span<const float> audio, std::vector<float>& probs);
  // End of stream: a partial last window is zero-padded and run (as get_speech_timestamps
  // does), its probability appended. The stream is then reset.
  void finish(std::vector<float>& probs);
  // Back to the start of a stream: zero state and context, no samples pending.
  void reset();

  // One window of exactly window_samples() new samples, bypassing the buffering above.
  float process_window(std::span<const float> window);

  int sample_rate() const { return rate_; }
  int window_samples() const { return static_cast<int>(window_); }
  int64_t samples_pushed() const { return samples_; }
  int64_t windows() const { return windows_; }

 private:
  std::shared_ptr<const VadModel> model_;
  std::unique_ptr<Session> session_;
  int rate_;
  size_t window_, context_;
  std::vector<float> x_;      // context + window: the model's input
  Tensor x_view_;
  Tensor state_;
  size_t fill_ = 0;           // new samples in x_ so far
  int64_t samples_ = 0;
  int64_t windows_ = 0;
  float run_();
};

// Per-window probabilities in, speech segments out: get_speech_timestamps' state
// machine run incrementally, its padding pass applied as soon as it is decided.
class SpeechSegmenter {
 public:
  explicit SpeechSegmenter(const VadOptions& options = {}, int sample_rate = VadModel::kSampleRate);

  // The probability of the next window; appends any segment now final.
  void push(float prob, std::vector<SpeechSegment>& out);
  // End of stream after `audio_samples` samples (the real length, not rounded up to
  // windows); appends the remaining segments and resets.
  void finish(int64_t audio_samples, std::vector<SpeechSegment>& out);
  void reset();

  const VadOptions& options() const { return opt_; }

 private:
  void append_raw(SpeechSegment s, std::vector<SpeechSegment>& out);
  void maybe_release(int64_t next_start_bound, std::vector<SpeechSegment>& out);

  VadOptions opt_;
  int rate_, window_size_;
  double neg_threshold_, min_speech_, speech_pad_, max_speech_, min_silence_, min_silence_at_max_;
  // get_speech_timestamps' loop variables; 0 means unset, as there.
  int64_t window_ = 0;
  bool triggered_ = false;
  int64_t start_ = 0;
  int64_t temp_end_ = 0, prev_end_ = 0, next_start_ = 0;
  struct Pause {
    int64_t end, duration;
  };
  std::vector<Pause> possible_ends_;
  // Padding pass: the last raw segment, start already padded, end waiting for the next.
  bool pending_ = false;
  SpeechSegment pend_;
};

// Audio in, segments out: a VadStream feeding a SpeechSegmenter.
class VadSegmenter {
 public:
  explicit VadSegmenter(std::shared_ptr<const VadModel> model, const VadOptions& options = {},
                        const SessionOptions& opts = {}, int sample_rate = VadModel::kSampleRate);

  // Appends the segments that became final. If `probs` is given, the probability of
  // every window completed is appended to it too.
  void push(std::span<const float> audio, std::vector<SpeechSegment>& out, std::vector<float>* probs = nullptr);
  // End of stream: appends the remaining segments, then resets for a new stream.
  void finish(std::vector<SpeechSegment>& out, std::vector<float>* probs = nullptr);
  void reset();

  int64_t samples_pushed() const { return stream_.samples_pushed(); }
  int sample_rate() const { return stream_.sample_rate(); }

 private:
  VadStream stream_;
  SpeechSegmenter seg_;
  std::vector<float> scratch_;
};

// The whole of `audio` at once (get_speech_timestamps).
std::vector<SpeechSegment> speech_segments(std::shared_ptr<const VadModel> model, std::span<const float> audio,
                                           const VadOptions& options = {}, int sample_rate = VadModel::kSampleRate);

}  // namespace saywhen::audio
