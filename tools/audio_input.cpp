// Audio input options shared by every subcommand that reads audio.
#include "cli.h"
#include "saywhen/audio.h"

namespace saywhen::cli {

void add_audio_input_options(CLI::App& cmd, AudioInputOptions& o) {
  cmd.add_option("--raw", o.raw,
                 "AUDIO is headerless samples in this encoding: s16le, f32le, mulaw, alaw "
                 "(needs --rate; default: a WAV/FLAC/OGG/... file read by libsndfile)");
  cmd.add_option("--rate", o.rate, "Sample rate of --raw input in Hz");
  cmd.add_option("--channels", o.channels, "Channels of --raw input (interleaved)")->default_val(1);
}

std::vector<float> load_audio_input(const std::string& path, const AudioInputOptions& o, int output_rate,
                                    int* input_rate) {
  if (o.raw.empty()) {
    if (o.rate != -1) throw Error("--rate is only for --raw input (files carry their own rate)");
    return audio::read_audio(path, output_rate, input_rate);
  }
  if (o.rate == -1) throw Error("--raw " + o.raw + " needs --rate HZ");
  audio::RawFormat f;
  f.encoding = audio::parse_encoding(o.raw);
  f.sample_rate = o.rate;
  f.channels = o.channels;
  if (input_rate) *input_rate = o.rate;
  return audio::read_raw_audio(path, f, output_rate);
}

}  // namespace saywhen::cli
