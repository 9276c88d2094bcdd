// saywhen turn engine: live audio in, end-of-turn events out.
//
//   auto engine = saywhen::turn::Engine::load({});            // models found as in models.h
//   saywhen::turn::Stream stream(engine, {.preset = "pipecat"});
//   stream.push(samples);                                     // 16 kHz mono float, any chunk size
//   for (const auto& e : stream.take_events()) ...            // speech_started, pause, end_of_turn...
//
// One Engine holds the models (loaded once, immutable) and serves any number of
// Streams on any threads; a Stream holds one conversation's state and is used by
// one thread at a time. Events depend only on the audio, never on how it was
// chunked or on wall-clock time: `t` is the position in the stream, in seconds.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "saywhen/audio.h"

namespace saywhen::turn {

enum class EventType {
  speech_started,     // the VAD confirmed speech
  pause,              // the VAD confirmed silence after speech; carries the audio model's view
  end_of_turn_eager,  // likely done: an agent may start preparing its answer
  turn_resumed,       // the user went on after an eager event
  end_of_turn,        // the user is done: the agent should answer
  barge_in,           // while the agent speaks: a real interruption, stop talking
  backchannel,        // while the agent speaks: an acknowledgement, keep talking
};
const char* event_name(EventType type);

struct Event {
  EventType type = EventType::pause;
  double t = 0;  // seconds of audio pushed when the event was decided
  float audio_p = std::numeric_limits<float>::quiet_NaN();  // Smart Turn probability, if it ran
  float text_p = std::numeric_limits<float>::quiet_NaN();   // text model probability, if it ran
  float score = std::numeric_limits<float>::quiet_NaN();    // the fused score compared to the threshold
  std::string reason;     // "model", "text", "timeout", "max_duration", "vad" ("" for VAD events)
  double compute_ms = 0;  // model time spent on this decision
  double pause_s = 0;     // silence so far, for events decided in a pause
};

struct EngineOptions {
  std::string models_dir;        // searched first (see models.h); "" = the default search path
  std::string vad_model;         // explicit file; "" = silero-vad/silero_vad.onnx in the models path
  std::string smart_turn_model;  // explicit file; "" = smart-turn/smart-turn-v3.2-cpu.onnx
  bool load_text_model = false;  // the text model, for transcripts (preset "saywhen")
  std::string text_model;        // its folder; "" = the shipped models/text-turn
  int threads = 1;               // intra-op threads per model run
};

class Engine {
 public:
  static std::shared_ptr<const Engine> load(const EngineOptions& options);
  ~Engine();
  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  Engine() = default;
  std::unique_ptr<Impl> impl_;
};

struct StreamOptions {
  // "saywhen": Silero VAD, Smart Turn re-scored as the pause grows, fused with the
  //   text model when a transcript is given, capped by a silence timeout.
  // "pipecat": Pipecat 1.14's SileroVADAnalyzer + LocalSmartTurnAnalyzerV3 decisions,
  //   reproduced exactly (see docs/architecture.md).
  std::string preset = "saywhen";
  // Overrides of the preset's parameters by name (see parameter_names()).
  std::map<std::string, double> settings;
  int sample_rate = audio::kModelSampleRate;  // of the audio given to push()
  int channels = 1;
};

class Stream {
 public:
  Stream(std::shared_ptr<const Engine> engine, const StreamOptions& options);
  ~Stream();
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;

  // Interleaved samples at options.sample_rate / channels, any count.
  void push(std::span<const float> interleaved);
  void push_bytes(std::span<const uint8_t> bytes, audio::Encoding encoding);
  // End of stream: a last partial chunk is completed with zeros, then
  // `tail_silence_s` seconds of silence are processed (so that timeouts can fire).
  void finish(double tail_silence_s = 0);
  // The user's words from speech-to-text: `text` spoken between start_s and end_s
  // (stream time, seconds). Pieces of one turn are joined in order. An interim
  // result (final = false) stands until the next piece, which replaces it. A
  // piece that arrives during a pause is scored at the next 32 ms window.
  void add_transcript(const std::string& text, double start_s, double end_s, bool final = true);
  // What the agent said (context for the text model).
  void add_agent_turn(const std::string& text);
  // While the agent speaks, user speech is a barge_in or a backchannel.
  void set_agent_speaking(bool speaking);

  // Events decided since the last call, oldest first.
  std::vector<Event> take_events();
  double seconds() const;  // audio consumed so far, at 16 kHz

  // The parameters `settings` may set for `preset`, with their defaults.
  static std::map<std::string, double> parameter_names(const std::string& preset);
  // The score at which `preset` ends the turn after `pause_s` seconds of silence when
  // its `threshold` parameter is `threshold` (the saywhen preset's threshold falls as
  // the silence grows; `settings` as in StreamOptions, unset keys at their defaults).
  // Returns f(threshold, pause_s).
  static std::function<double(double threshold, double pause_s)> end_threshold(
      const std::string& preset, const std::map<std::string, double>& settings);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace saywhen::turn
