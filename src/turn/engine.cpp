// The turn engine (see include/saywhen/turn.h): Engine loads the models, Stream
// converts audio to 16 kHz mono and hands it to the preset's Policy
// (pipecat_policy.cpp, saywhen_policy.cpp).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>

#include "audio/loudness.h"
#include "saywhen/models.h"
#include "saywhen/runtime.h"
#include "saywhen/turn.h"
#include "saywhen/vad.h"
#include "turn/policy.h"

namespace saywhen::turn {

const char* event_name(EventType type) {
  switch (type) {
    case EventType::speech_started: return "speech_started";
    case EventType::pause: return "pause";
    case EventType::end_of_turn_eager: return "end_of_turn_eager";
    case EventType::turn_resumed: return "turn_resumed";
    case EventType::end_of_turn: return "end_of_turn";
    case EventType::barge_in: return "barge_in";
    case EventType::backchannel: return "backchannel";
  }
  return "?";
}

Engine::~Engine() = default;

std::shared_ptr<const Engine> Engine::load(const EngineOptions& options) {
  std::shared_ptr<Engine> e(new Engine());
  e->impl_ = std::make_unique<Impl>();
  e->impl_->threads = std::max(1, options.threads);
  e->impl_->vad = audio::VadModel::load(
      options.vad_model.empty() ? find_model_file(kSileroVadFile, options.models_dir) : options.vad_model);
  e->impl_->smart_turn = SmartTurnModel::load(options.smart_turn_model.empty()
                                                  ? find_model_file(kSmartTurnFile, options.models_dir)
                                                  : options.smart_turn_model);
  if (options.load_text_model) e->impl_->text = TextModel::load(options.text_model);
  return e;
}

void ParamTable::set(const std::string& key, double value) {
  auto it = fields_.find(key);
  if (it == fields_.end()) {
    std::string known;
    for (const auto& [k, _] : fields_) known += (known.empty() ? "" : ", ") + k;
    throw Error("preset " + preset_ + ": unknown setting '" + key + "' (known: " + known + ")");
  }
  if (!std::isfinite(value) || value < 0)
    throw Error("preset " + preset_ + ": setting " + key + " must be a finite number >= 0");
  *it->second.value = value;
}

std::map<std::string, double> ParamTable::values() const {
  std::map<std::string, double> out;
  for (const auto& [k, f] : fields_) out[k] = *f.value;
  return out;
}

struct Stream::Impl {
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<audio::Converter> converter;  // passes 16 kHz mono through unchanged
  std::vector<float> converted;
  std::unique_ptr<Policy> policy;
  std::vector<Event> events;

  void feed() { policy->push(converted, events); }
};

Stream::Stream(std::shared_ptr<const Engine> engine, const StreamOptions& options) : impl_(std::make_unique<Impl>()) {
  if (!engine) throw Error("turn stream: no engine");
  impl_->engine = std::move(engine);
  if (options.preset == "pipecat") impl_->policy = make_pipecat_policy(impl_->engine->impl(), options.settings);
  else if (options.preset == "saywhen") impl_->policy = make_saywhen_policy(impl_->engine->impl(), options.settings);
  else throw Error("turn stream: unknown preset '" + options.preset + "' (available: saywhen, pipecat)");
  impl_->converter = std::make_unique<audio::Converter>(options.sample_rate, options.channels);
}

Stream::~Stream() = default;
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;

void Stream::push(std::span<const float> interleaved) {
  impl_->converted.clear();
  impl_->converter->push(interleaved, impl_->converted);
  impl_->feed();
}

void Stream::push_bytes(std::span<const uint8_t> bytes, audio::Encoding encoding) {
  impl_->converted.clear();
  impl_->converter->push_bytes(bytes, encoding, impl_->converted);
  impl_->feed();
}

void Stream::finish(double tail_silence_s) {
  impl_->converted.clear();
  impl_->converter->finish(impl_->converted);
  impl_->feed();
  impl_->policy->finish(tail_silence_s, impl_->events);
}

void Stream::add_transcript(const std::string& text, double start_s, double end_s, bool final) {
  impl_->policy->add_transcript(text, start_s, end_s, final);
}
void Stream::add_agent_turn(const std::string& text) { impl_->policy->add_agent_turn(text); }
void Stream::set_agent_speaking(bool speaking) { impl_->policy->set_agent_speaking(speaking); }

std::vector<Event> Stream::take_events() {
  std::vector<Event> out;
  out.swap(impl_->events);
  return out;
}

double Stream::seconds() const { return impl_->policy->seconds(); }

std::map<std::string, double> Stream::parameter_names(const std::string& preset) {
  if (preset == "pipecat") return pipecat_defaults();
  if (preset == "saywhen") return saywhen_defaults();
  throw Error("unknown preset '" + preset + "' (available: saywhen, pipecat)");
}

std::function<double(double, double)> Stream::end_threshold(const std::string& preset,
                                                           const std::map<std::string, double>& settings) {
  if (preset == "pipecat") return [](double threshold, double) { return threshold; };
  if (preset == "saywhen") return saywhen_end_threshold(settings);
  throw Error("unknown preset '" + preset + "' (available: saywhen, pipecat)");
}

}  // namespace saywhen::turn
