// Smart Turn v3: is the speaker done? From up to the last 8 s of 16 kHz audio.
#pragma once

#include <memory>
#include <span>
#include <string>

#include "saywhen/audio.h"
#include "saywhen/runtime.h"

namespace saywhen::turn {

// The loaded model, shared read-only by every stream.
class SmartTurnModel {
 public:
  // Throws saywhen::Error naming the file if it is not a Smart Turn v3 model
  // (input "input_features" [batch, 80, 800], one probability out).
  static std::shared_ptr<const SmartTurnModel> load(const std::string& path);
  const std::shared_ptr<const Model>& model() const { return model_; }

 private:
  std::shared_ptr<const Model> model_;
};

// One stream's features buffer and session. Not thread-safe; one per stream.
class SmartTurnRunner {
 public:
  SmartTurnRunner(std::shared_ptr<const SmartTurnModel> model, int threads = 1,
                  audio::MelPrecision precision = audio::MelPrecision::fast);
  // Probability that the turn is complete. `audio`: 16 kHz mono; the last 8 s are
  // used, shorter audio is zero-padded at the front (as Smart Turn v3 was trained).
  float predict(std::span<const float> audio);

 private:
  std::shared_ptr<const SmartTurnModel> model_;
  std::unique_ptr<Session> session_;
  audio::MelFrontEnd mel_;
  Tensor features_;
};

}  // namespace saywhen::turn
