// Smart Turn v3 inference (see smart_turn.h).
#include "turn/smart_turn.h"

#include "saywhen/models.h"

namespace saywhen::turn {

std::shared_ptr<const SmartTurnModel> SmartTurnModel::load(const std::string& path) {
  auto m = std::shared_ptr<SmartTurnModel>(new SmartTurnModel());
  m->model_ = load_model_file(path);
  const auto& in = m->model_->inputs();
  if (in.size() != 1 || in[0].name != "input_features" || m->model_->outputs().empty())
    throw Error(path + ": not a Smart Turn v3 model (expected one input 'input_features' [batch, 80, 800])");
  return m;
}

SmartTurnRunner::SmartTurnRunner(std::shared_ptr<const SmartTurnModel> model, int threads,
                                 audio::MelPrecision precision)
    : model_(std::move(model)),
      mel_(precision),
      features_(DType::Float32, {1, audio::MelFrontEnd::kMels, audio::MelFrontEnd::kFrames}) {
  SessionOptions opts;
  opts.threads = threads;
  session_ = std::make_unique<Session>(model_->model(), opts);
}

float SmartTurnRunner::predict(std::span<const float> audio) {
  mel_.compute(audio, std::span<float>(features_.data<float>(), audio::MelFrontEnd::kFeatureSize));
  session_->set_input("input_features", features_);
  session_->run();
  const Tensor& out = session_->output(0);
  if (out.dtype() != DType::Float32 || out.numel() < 1)
    throw Error(model_->model()->path() + ": Smart Turn output is not a float probability");
  return out.data<float>()[0];
}

}  // namespace saywhen::turn
