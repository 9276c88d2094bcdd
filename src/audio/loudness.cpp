// BS.1770 K-weighting and block loudness (see loudness.h).
//
// The two K-weighting biquads (a high-shelf "head" filter and a 38 Hz high-pass)
// are designed for the actual sample rate from their analogue prototypes rather
// than taken from the 48 kHz table in the standard, as EBU R 128 meters do, and
// run as one 4th-order section in double precision.
#include "audio/loudness.h"

#include <array>
#include <cmath>
#include <limits>
#include <numbers>

namespace saywhen::audio {
namespace {

struct KFilter {
  std::array<double, 5> b{}, a{};

  explicit KFilter(double rate) {
    // Shelf: +4 dB above ~1.7 kHz.
    const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
    const double vh = std::pow(10.0, gain_db / 20.0);
    const double vb = std::pow(vh, 0.4996667741545416);
    double k = std::tan(std::numbers::pi * f0 / rate);
    const double a0 = 1.0 + k / q + k * k;
    const std::array<double, 3> shelf_b{(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0,
                                        (vh - vb * k / q + k * k) / a0};
    const std::array<double, 3> shelf_a{1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0};
    // High-pass at ~38 Hz: numerator 1, -2, 1.
    const double f1 = 38.13547087602444, q1 = 0.5003270373238773;
    k = std::tan(std::numbers::pi * f1 / rate);
    const double a1 = 1.0 + k / q1 + k * k;
    const std::array<double, 3> hp_b{1.0, -2.0, 1.0};
    const std::array<double, 3> hp_a{1.0, 2.0 * (k * k - 1.0) / a1, (1.0 - k / q1 + k * k) / a1};
    // Polynomial products: the cascade as one section.
    b = {shelf_b[0] * hp_b[0], shelf_b[0] * hp_b[1] + shelf_b[1] * hp_b[0],
         shelf_b[0] * hp_b[2] + shelf_b[1] * hp_b[1] + shelf_b[2] * hp_b[0], shelf_b[1] * hp_b[2] + shelf_b[2] * hp_b[1],
         shelf_b[2] * hp_b[2]};
    a = {shelf_a[0] * hp_a[0], shelf_a[0] * hp_a[1] + shelf_a[1] * hp_a[0],
         shelf_a[0] * hp_a[2] + shelf_a[1] * hp_a[1] + shelf_a[2] * hp_a[0], shelf_a[1] * hp_a[2] + shelf_a[2] * hp_a[1],
         shelf_a[2] * hp_a[2]};
  }
};

}  // namespace

double bs1770_block_loudness(std::span<const float> block, int sample_rate) {
  if (block.empty()) return -std::numeric_limits<double>::infinity();
  const KFilter f(static_cast<double>(sample_rate));
  std::array<double, 5> v{};  // direct form II state, v[0] newest
  double energy = 0.0;
  for (float x : block) {
    v[4] = v[3];
    v[3] = v[2];
    v[2] = v[1];
    v[1] = v[0];
    v[0] = static_cast<double>(x) - f.a[1] * v[1] - f.a[2] * v[2] - f.a[3] * v[3] - f.a[4] * v[4];
    const double y = f.b[0] * v[0] + f.b[1] * v[1] + f.b[2] * v[2] + f.b[3] * v[3] + f.b[4] * v[4];
    energy += y * y;
  }
  energy /= static_cast<double>(block.size());
  // -0.691 dB: the K-filter's gain at 1 kHz, so a 0 dBFS 1 kHz sine reads -3.01 LUFS.
  auto to_energy = [](double lufs) { return std::pow(10.0, (lufs + 0.691) / 10.0); };
  auto to_lufs = [](double e) { return 10.0 * std::log10(e) - 0.691; };
  constexpr double kGateLufs = -70.0, kBinLu = 0.1;
  constexpr int kBins = 1000;  // -70 .. +30 LUFS
  if (!(energy >= to_energy(kGateLufs))) return -std::numeric_limits<double>::infinity();
  // Meters that integrate over a 0.1 LU histogram (libebur128's and libloudness'
  // histogram mode, which Pipecat's `loudness` package uses) report the centre of
  // the block's bin; Pipecat's volume gate compares that value.
  int bin = 0;
  if (energy >= to_energy((kBins - 1) * kBinLu + kGateLufs)) bin = kBins - 1;
  else if (energy > to_energy(kGateLufs)) bin = static_cast<int>((to_lufs(energy) - kGateLufs) / kBinLu);
  return to_lufs(to_energy(bin * kBinLu + kGateLufs + kBinLu / 2));
}

}  // namespace saywhen::audio
