// saywhen vad AUDIO [--probs]: Silero VAD speech segments (or per-window
// probabilities) of a clip, one JSON object per line.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "saywhen/audio.h"
#include "saywhen/models.h"
#include "saywhen/vad.h"

namespace saywhen::cli {

void add_vad(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "vad", "Silero VAD speech segments of AUDIO (\"-\" = stdin): one JSON line {\"start_s\", \"end_s\"} each");
  static std::string path, model_file, models_dir;
  static AudioInputOptions input;
  static audio::VadOptions opt;
  static bool probs = false;
  static int threads = 1;
  cmd->add_option("AUDIO", path, "Audio file, or - for stdin")->required();
  cmd->add_flag("--probs", probs, "Print {\"t\": START_S, \"p\": PROBABILITY} per 512-sample window instead");
  cmd->add_option("--model", model_file, "Silero VAD ONNX file (default: silero-vad/silero_vad.onnx in the models folder)");
  cmd->add_option("--models", models_dir, "Models folder (else $SAYWHEN_MODELS, then ~/.local/share/saywhen/models)");
  cmd->add_option("--threshold", opt.threshold, "Speech when p >= this")->default_val(opt.threshold);
  cmd->add_option("--neg-threshold", opt.neg_threshold, "In speech, silence when p < this (default: threshold - 0.15)");
  cmd->add_option("--min-speech-ms", opt.min_speech_ms, "Drop shorter segments")->default_val(opt.min_speech_ms);
  cmd->add_option("--min-silence-ms", opt.min_silence_ms, "Silence that ends a segment")
      ->default_val(opt.min_silence_ms);
  cmd->add_option("--speech-pad-ms", opt.speech_pad_ms, "Padding on both sides of a segment")
      ->default_val(opt.speech_pad_ms);
  cmd->add_option("--max-speech-s", opt.max_speech_s, "Split longer segments (default: no limit)");
  cmd->add_option("--threads", threads, "Intra-op threads")->check(CLI::Range(1, 256));
  add_audio_input_options(*cmd, input);
  cmd->callback([] {
    opt.validate();
    const std::string file = model_file.empty() ? find_model_file(kSileroVadFile, models_dir) : model_file;
    auto model = audio::VadModel::load(file);
    // Telephone audio (8 kHz) runs through the model's own 8 kHz branch when it has
    // one: that agrees with the 16 kHz original better than the same audio resampled.
    int input_rate = 0;
    std::vector<float> pcm = load_audio_input(path, input, 0, &input_rate);
    int rate = audio::VadModel::kSampleRate;
    if (input_rate == 8000 && model->supports_rate(8000)) {
      rate = 8000;
    } else if (input_rate != rate) {
      audio::Converter conv(input_rate, 1, rate);
      std::vector<float> resampled;
      conv.push(pcm, resampled);
      conv.finish(resampled);
      pcm.swap(resampled);
    }
    SessionOptions so;
    so.threads = threads;
    std::string out;
    if (probs) {
      audio::VadStream stream(model, so, rate);
      std::vector<float> p;
      p.reserve(pcm.size() / static_cast<size_t>(stream.window_samples()) + 1);
      stream.push(pcm, p);
      stream.finish(p);
      for (size_t i = 0; i < p.size(); ++i) {
        nlohmann::ordered_json j;
        j["t"] = static_cast<double>(i * static_cast<size_t>(stream.window_samples())) / rate;
        j["p"] = float_value(p[i]);
        out += j.dump() + "\n";
      }
    } else {
      audio::VadSegmenter seg(model, opt, so, rate);
      std::vector<audio::SpeechSegment> segments;
      seg.push(pcm, segments);
      seg.finish(segments);
      for (const auto& s : segments) {
        // Shortest round-trip decimals: start_s * 16000 gives back the exact sample.
        nlohmann::ordered_json j;
        j["start_s"] = s.start_s();
        j["end_s"] = s.end_s();
        out += j.dump() + "\n";
      }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace saywhen::cli
