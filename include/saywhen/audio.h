// saywhen audio front end: the log-mel features Smart Turn v3 reads.
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
#include <memory>
#include <span>

namespace saywhen::audio {

class MelFrontEnd {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kWindowSamples = 8 * kSampleRate;  // the model sees the last 8 s
  static constexpr int kMels = 80;
  static constexpr int kFrames = 800;
  static constexpr size_t kFeatureSize = static_cast<size_t>(kMels) * kFrames;

  MelFrontEnd();
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

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace saywhen::audio
