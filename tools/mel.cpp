// saywhen mel AUDIO --out FEATS.npy: the Smart Turn v3 input features of a clip.
#include "cli.h"
#include "runtime/npy.h"
#include "saywhen/audio.h"

namespace saywhen::cli {

void add_mel(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "mel", "Smart Turn v3 log-mel features [1, 80, 800] of the last 8 s of AUDIO (\"-\" = stdin)");
  static std::string path, out;
  static AudioInputOptions input;
  static bool exact = false;
  cmd->add_option("AUDIO", path, "Audio file, or - for stdin")->required();
  cmd->add_option("--out", out, "Output .npy file (float32 [1, 80, 800])")->required();
  cmd->add_flag("--exact", exact,
                "Double-precision path: the features numpy-based extractors (Pipecat) compute, bit for bit "
                "in all but rare elements");
  add_audio_input_options(*cmd, input);
  cmd->callback([] {
    std::vector<float> pcm = load_audio_input(path, input);
    Tensor feats(DType::Float32, {1, audio::MelFrontEnd::kMels, audio::MelFrontEnd::kFrames});
    audio::MelFrontEnd mel(exact ? audio::MelPrecision::exact : audio::MelPrecision::fast);
    mel.compute(pcm, std::span<float>(feats.data<float>(), audio::MelFrontEnd::kFeatureSize));
    write_npy(out, feats);
  });
}

}  // namespace saywhen::cli
