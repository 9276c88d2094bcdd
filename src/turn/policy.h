// Turn policies: what the engine decides from VAD, Smart Turn and text scores.
// Each preset is one Policy; Stream (engine.cpp) feeds it 16 kHz mono audio.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "saywhen/text.h"
#include "saywhen/turn.h"
#include "saywhen/vad.h"
#include "turn/smart_turn.h"

namespace saywhen::turn {

struct Engine::Impl {
  std::shared_ptr<const audio::VadModel> vad;
  std::shared_ptr<const SmartTurnModel> smart_turn;
  std::shared_ptr<const TextModel> text;  // null when not loaded
  int threads = 1;
};

// A preset's named numeric parameters, bound to the fields that hold them, so that
// listing, defaults and `--set KEY=VALUE` share one table.
class ParamTable {
 public:
  explicit ParamTable(std::string preset) : preset_(std::move(preset)) {}
  void bind(const char* name, double* field, const char* help) { fields_[name] = {field, help}; }
  // Throws saywhen::Error naming the preset and the known keys.
  void set(const std::string& key, double value);
  std::map<std::string, double> values() const;

 private:
  struct Field {
    double* value;
    const char* help;
  };
  std::string preset_;
  std::map<std::string, Field> fields_;
};

class Policy {
 public:
  virtual ~Policy() = default;
  virtual void push(std::span<const float> audio16k, std::vector<Event>& out) = 0;
  virtual void finish(double tail_silence_s, std::vector<Event>& out) = 0;
  virtual double seconds() const = 0;
  // Transcript and agent state; presets that do not use them ignore them.
  virtual void add_transcript(const std::string& /*text*/, double /*start_s*/, double /*end_s*/, bool /*final*/) {}
  virtual void add_agent_turn(const std::string& /*text*/) {}
  virtual void set_agent_speaking(bool /*speaking*/) {}
};

std::unique_ptr<Policy> make_pipecat_policy(const Engine::Impl& engine, const std::map<std::string, double>& settings);
std::map<std::string, double> pipecat_defaults();
std::unique_ptr<Policy> make_saywhen_policy(const Engine::Impl& engine, const std::map<std::string, double>& settings);
std::map<std::string, double> saywhen_defaults();
// The saywhen preset's end-of-turn threshold after pause_s of silence (Stream::end_threshold).
std::function<double(double, double)> saywhen_end_threshold(const std::map<std::string, double>& settings);

}  // namespace saywhen::turn
