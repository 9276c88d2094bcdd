// saywhen audio layer: reading any audio into 16 kHz mono float, and the log-mel
// features Smart Turn v3 reads.
//
//   auto pcm = saywhen::audio::read_audio("call.wav");          // any rate, channels
//   auto tel = saywhen::audio::read_raw_audio("-", {Encoding::mulaw, 8000, 1});
//
//   saywhen::audio::MelFrontEnd mel;                 // once per stream / thread
//   std::vector<float> features(MelFrontEnd::kFeatureSize);
//   mel.compute(audio_16k, features);                // [1, 80, 800], row-major
//
// The output matches Hugging Face transformers' WhisperFeatureExtractor(chunk_length=8)
// called the way Smart Turn v3 calls it (last 8 s kept, zero padding at the front,
// do_normalize=True) to within 1e-4. compute() allocates no heap memory: every buffer
// is sized in the constructor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace saywhen::audio {

constexpr int kModelSampleRate = 16000;  // what Silero VAD and Smart Turn read

// ---- input -----------------------------------------------------------------
// Headerless sample encodings (telephony and pipes).
enum class Encoding { s16le, f32le, mulaw, alaw };
// "s16le", "f32le", "mulaw" (also "ulaw", "pcmu"), "alaw" ("pcma"); throws saywhen::Error.
Encoding parse_encoding(std::string_view name);
const char* encoding_name(Encoding e);
size_t bytes_per_sample(Encoding e);

struct RawFormat {
  Encoding encoding = Encoding::s16le;
  int sample_rate = kModelSampleRate;
  int channels = 1;
};
// Throws saywhen::Error naming the field if the rate or channel count is absurd.
void validate_format(int sample_rate, int channels, const std::string& where);

// Streaming conversion of interleaved frames at any rate and channel count to
// mono float at `output_rate` (16 kHz unless asked otherwise): channels are
// averaged, then libsoxr resamples (very high quality, as Pipecat does). The output
// does not depend on how the input is chunked. Input already at the output rate
// passes through unchanged.
class Converter {
 public:
  Converter(int input_rate, int channels, int output_rate = kModelSampleRate);
  ~Converter();
  Converter(Converter&&) noexcept;
  Converter& operator=(Converter&&) noexcept;
  Converter(const Converter&) = delete;
  Converter& operator=(const Converter&) = delete;

  int input_rate() const;
  int channels() const;
  // `interleaved`: whole frames (a multiple of channels() samples). Appends to `out`.
  void push(std::span<const float> interleaved, std::vector<float>& out);
  // Same, from encoded bytes; a partial sample or frame at the end is kept for the next call.
  void push_bytes(std::span<const uint8_t> bytes, Encoding encoding, std::vector<float>& out);
  // End of stream: appends the resampler's remaining output.
  void finish(std::vector<float>& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes one G.711 or PCM sample to [-1, 1].
float decode_mulaw(uint8_t code);
float decode_alaw(uint8_t code);

// A whole file in any format libsndfile reads (WAV, FLAC, OGG/Vorbis, AIFF, ...),
// or "-" for stdin, as mono at `output_rate` (0: the file's own rate). If
// `file_rate` is given it receives the file's rate. Throws saywhen::Error naming
// the file and the problem (unreadable, empty, truncated, absurd rate or channels).
std::vector<float> read_audio(const std::string& path, int output_rate = kModelSampleRate, int* file_rate = nullptr);
// Headerless samples from a file or "-" (stdin), as mono at `output_rate` (0: the
// format's own rate).
std::vector<float> read_raw_audio(const std::string& path, const RawFormat& format,
                                  int output_rate = kModelSampleRate);

// ---- Smart Turn v3 features ------------------------------------------------

// fast: float arithmetic, within ~3e-5 of transformers, ~0.4 ms per 8 s window.
// exact: numpy's float32 normalisation and a double-precision STFT, mel and log, as
// the numpy extractors (transformers', Pipecat's vendored copy) compute them: the
// same float32 features in all but rare elements, so an int8 model quantises them
// identically. Slower; used where decisions must match those extractors.
enum class MelPrecision { fast, exact };

class MelFrontEnd {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kWindowSamples = 8 * kSampleRate;  // the model sees the last 8 s
  static constexpr int kMels = 80;
  static constexpr int kFrames = 800;
  static constexpr size_t kFeatureSize = static_cast<size_t>(kMels) * kFrames;

  explicit MelFrontEnd(MelPrecision precision = MelPrecision::fast);
  ~MelFrontEnd();
  MelFrontEnd(MelFrontEnd&&) noexcept;
  MelFrontEnd& operator=(MelFrontEnd&&) noexcept;
  MelFrontEnd(const MelFrontEnd&) = delete;
  MelFrontEnd& operator=(const MelFrontEnd&) = delete;

  // `audio`: 16 kHz mono samples in [-1, 1], any length (the newest sample last).
  // Only the last kWindowSamples are used; shorter input is zero-padded at the front.
  // `features`: kFeatureSize floats, written as [80 mels][800 frames] (the model's
  // input_features [1, 80, 800]). Throws saywhen::Error if its size is wrong.
  // Not thread-safe: the object holds the scratch buffers.
  void compute(std::span<const float> audio, std::span<float> features);

  struct Impl;  // fast or exact implementation (mel.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace saywhen::audio
