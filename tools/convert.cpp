// saywhen convert AUDIO --out OUT: any supported input as the 16 kHz mono float
// samples every model reads (the exact samples `vad` and `mel` see).
#include <cstdio>
#include <cstring>
#include <memory>

#include "cli.h"
#include "runtime/npy.h"
#include "saywhen/audio.h"

namespace saywhen::cli {
namespace {

void put_u32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u16(std::string& s, uint16_t v) {
  for (int i = 0; i < 2; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// IEEE-float WAV (format tag 3): keeps the samples bit-exact.
void write_float_wav(const std::string& path, const std::vector<float>& pcm) {
  const uint64_t data_bytes = pcm.size() * sizeof(float);
  if (data_bytes > 0xffffffffull - 36) throw Error(path + ": too long for a WAV file; write .npy or .f32");
  std::string h;
  h += "RIFF";
  put_u32(h, static_cast<uint32_t>(36 + data_bytes));
  h += "WAVEfmt ";
  put_u32(h, 16);
  put_u16(h, 3);  // WAVE_FORMAT_IEEE_FLOAT
  put_u16(h, 1);
  put_u32(h, audio::kModelSampleRate);
  put_u32(h, audio::kModelSampleRate * 4);
  put_u16(h, 4);
  put_u16(h, 32);
  h += "data";
  put_u32(h, static_cast<uint32_t>(data_bytes));
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) throw Error(path + ": cannot create: " + std::strerror(errno));
  if (std::fwrite(h.data(), 1, h.size(), f.get()) != h.size() ||
      std::fwrite(pcm.data(), sizeof(float), pcm.size(), f.get()) != pcm.size())
    throw Error(path + ": write failed");
}

}  // namespace

void add_convert(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "Convert AUDIO to 16 kHz mono float (.wav, .npy or raw .f32)");
  static std::string path, out;
  static AudioInputOptions input;
  cmd->add_option("AUDIO", path, "Audio file, or - for stdin")->required();
  cmd->add_option("--out", out, "Output: OUT.wav (32-bit float WAV), OUT.npy or OUT.f32 (raw f32le)")->required();
  add_audio_input_options(*cmd, input);
  cmd->callback([] {
    std::vector<float> pcm = load_audio_input(path, input);
    if (out.ends_with(".npy")) {
      Tensor t = Tensor::view(DType::Float32, {static_cast<int64_t>(pcm.size())}, pcm.data());
      write_npy(out, t);
    } else if (out.ends_with(".wav")) {
      write_float_wav(out, pcm);
    } else if (out.ends_with(".f32")) {
      std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(out.c_str(), "wb"), &std::fclose);
      if (!f) throw Error(out + ": cannot create: " + std::strerror(errno));
      if (std::fwrite(pcm.data(), sizeof(float), pcm.size(), f.get()) != pcm.size())
        throw Error(out + ": write failed");
    } else {
      throw Error("--out " + out + ": expected a .wav, .npy or .f32 file name");
    }
  });
}

}  // namespace saywhen::cli
