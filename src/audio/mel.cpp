// Whisper-style log-mel features for Smart Turn v3 (see include/saywhen/audio.h).
//
// Speed comes from running the FFT on kLanes frames at once: every value in a butterfly
// is a vector holding the same point of kLanes consecutive frames, so each radix is
// written once, as scalar-looking code, and runs at full SIMD width. The 400-point real
// FFT is a 200-point complex one (200 = 4 * 2 * 5 * 5) plus a split pass. 800 frames is
// an exact multiple of kLanes.
//
// Incremental use (a window sliding by a few frames) would need more than recomputing
// the new frames: the waveform normalisation is global, so every frame changes. The
// spectra are affine in it, though (X = scale * (X_raw - mean * H) with H the window's
// spectrum), except for the two reflect-padded frames at each end; caching X_raw per
// frame is the way to get there.

#include "audio/mel.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numbers>
#include <type_traits>
#include <string>
#include <vector>

#include "saywhen/audio.h"
#include "saywhen/runtime.h"

namespace saywhen::audio {
namespace {

constexpr int kNfft = 400;
constexpr int kHop = 160;
constexpr int kBins = kNfft / 2 + 1;  // 201
constexpr int kHalf = kNfft / 2;      // complex FFT size that carries the real one
constexpr int kPad = kNfft / 2;       // centred frames: reflect padding on both sides
// One SSE / NEON register. 8 lanes only pays with AVX enabled, which the baseline
// x86-64 build is not (then it is split into pairs and runs 3x slower).
constexpr int kLanes = 4;
constexpr int kWindow = MelFrontEnd::kWindowSamples;
constexpr int kFrames = MelFrontEnd::kFrames;
constexpr int kMels = MelFrontEnd::kMels;
static_assert(kFrames % kLanes == 0);
// transformers computes kWindow / kHop + 1 frames and drops the last one.
static_assert(kFrames == kWindow / kHop);

// kLanes floats processed as one value. GNU vector extensions (GCC and Clang) rather
// than intrinsics, so the same code compiles to SSE on x86-64 and NEON on ARM.
typedef float V __attribute__((vector_size(kLanes * sizeof(float))));
typedef uint32_t VU __attribute__((vector_size(kLanes * sizeof(uint32_t))));
typedef int32_t VI __attribute__((vector_size(kLanes * sizeof(int32_t))));
// The exact path (MelPrecision::exact) runs the same code on doubles.
typedef double VD __attribute__((vector_size(kLanes * sizeof(double))));
template <typename T> struct VecOf;
template <> struct VecOf<float> { using type = V; };
template <> struct VecOf<double> { using type = VD; };

inline V splat(float x) { return V{} + x; }

// log10 for finite x > 0 (normal floats).
inline V log10_pos(V x) {
  // Rebias so the mantissa lands in [sqrt(1/2), sqrt(2)) with the exponent adjusted to
  // match, using integer adds only. Centring the mantissa on 1 keeps |t| <= 0.172
  // below, where five series terms reach ~1e-9 in ln(m).
  constexpr uint32_t kSqrtHalf = 0x3f3504f3u;
  const VU bits = std::bit_cast<VU>(x) + (0x3f800000u - kSqrtHalf);
  const VI e = __builtin_convertvector(bits >> 23, VI) - 127;
  const V m = std::bit_cast<V>((bits & 0x007fffffu) + kSqrtHalf);
  // ln(m) = 2 atanh(t), t = (m - 1) / (m + 1).
  const V t = (m - 1.0f) / (m + 1.0f);
  const V t2 = t * t;
  const V ln_m = t * (2.0f + t2 * (2.0f / 3.0f + t2 * (2.0f / 5.0f +
                                                      t2 * (2.0f / 7.0f + t2 * (2.0f / 9.0f)))));
  return __builtin_convertvector(e, V) * 0.301029995663981f + ln_m * 0.434294481903252f;
}

// Forward DFT of R points, on vectors of kLanes frames of scalar type T.
template <int R, typename T, typename W = typename VecOf<T>::type>
inline void dft_small(const W* ar, const W* ai, W* br, W* bi) {
  using V = W;
  if constexpr (R == 2) {
  br[0] = ar[0] + ar[1];
  bi[0] = ai[0] + ai[1];
  br[1] = ar[0] - ar[1];
  bi[1] = ai[0] - ai[1];
  } else if constexpr (R == 4) {
  const V u0r = ar[0] + ar[2], u0i = ai[0] + ai[2];
  const V u1r = ar[0] - ar[2], u1i = ai[0] - ai[2];
  const V u2r = ar[1] + ar[3], u2i = ai[1] + ai[3];
  const V u3r = ar[1] - ar[3], u3i = ai[1] - ai[3];
  br[0] = u0r + u2r;
  bi[0] = u0i + u2i;
  br[2] = u0r - u2r;
  bi[2] = u0i - u2i;
  br[1] = u1r + u3i;  // u1 - i*u3
  bi[1] = u1i - u3r;
  br[3] = u1r - u3i;  // u1 + i*u3
  bi[3] = u1i + u3r;
  } else {
  static_assert(R == 5);
  // float: the constants as the fast path always used them; double: full precision.
  const T c1 = static_cast<T>(std::is_same_v<T, float> ? 0.309016994374947 : 0.30901699437494742410);
  const T c2 = static_cast<T>(std::is_same_v<T, float> ? -0.809016994374947 : -0.80901699437494742410);
  const T s1 = static_cast<T>(std::is_same_v<T, float> ? 0.951056516295154 : 0.95105651629515357212);
  const T s2 = static_cast<T>(std::is_same_v<T, float> ? 0.587785252292473 : 0.58778525229247312917);
  const V t1r = ar[1] + ar[4], t1i = ai[1] + ai[4];
  const V t2r = ar[2] + ar[3], t2i = ai[2] + ai[3];
  const V t3r = ar[1] - ar[4], t3i = ai[1] - ai[4];
  const V t4r = ar[2] - ar[3], t4i = ai[2] - ai[3];
  br[0] = ar[0] + t1r + t2r;
  bi[0] = ai[0] + t1i + t2i;
  const V a1r = ar[0] + c1 * t1r + c2 * t2r, a1i = ai[0] + c1 * t1i + c2 * t2i;
  const V a2r = ar[0] + c2 * t1r + c1 * t2r, a2i = ai[0] + c2 * t1i + c1 * t2i;
  const V b1r = s1 * t3r + s2 * t4r, b1i = s1 * t3i + s2 * t4i;
  const V b2r = s2 * t3r - s1 * t4r, b2i = s2 * t3i - s1 * t4i;
  // Output k = A -/+ i*B, with -i*(x + iy) = y - ix.
  br[1] = a1r + b1i;
  bi[1] = a1i - b1r;
  br[4] = a1r - b1i;
  bi[4] = a1i + b1r;
  br[2] = a2r + b2i;
  bi[2] = a2i - b2r;
  br[3] = a2r - b2i;
  bi[3] = a2i + b2r;
  }
}

// One decimation-in-frequency Stockham stage on a length-n transform repeated with
// stride s: reads the sub-sequence x[p + j*m] (m = n / R), writes the R outputs scaled
// by w_n^(p*k) to y[R*p + k]. Autosorting, so the result comes out in natural order
// without a bit-reversal pass.
template <int R, bool kTwiddle, typename T, typename V = typename VecOf<T>::type>
inline void fft_stage(int n, int s, const T* twr, const T* twi, const V* __restrict xr,
                      const V* __restrict xi, V* __restrict yr, V* __restrict yi) {
  const int m = n / R;
  for (int p = 0; p < m; ++p) {
    const V* xr_p = xr + p * s;
    const V* xi_p = xi + p * s;
    V* yr_p = yr + R * p * s;
    V* yi_p = yi + R * p * s;
    for (int q = 0; q < s; ++q) {
      V ar[R], ai[R], br[R], bi[R];
      for (int j = 0; j < R; ++j) {
        ar[j] = xr_p[j * m * s + q];
        ai[j] = xi_p[j * m * s + q];
      }
      dft_small<R, T>(ar, ai, br, bi);
      yr_p[q] = br[0];
      yi_p[q] = bi[0];
      for (int k = 1; k < R; ++k) {
        if constexpr (kTwiddle) {
          const T wr = twr[p * R + k], wi = twi[p * R + k];
          yr_p[k * s + q] = br[k] * wr - bi[k] * wi;
          yi_p[k * s + q] = br[k] * wi + bi[k] * wr;
        } else {
          yr_p[k * s + q] = br[k];
          yi_p[k * s + q] = bi[k];
        }
      }
    }
  }
}

// Twiddles w_n^(p*k) = exp(-2 pi i p k / n) for one stage, laid out [p][k].
template <typename T>
void stage_twiddles(int n, int radix, std::vector<T>& re, std::vector<T>& im) {
  const int m = n / radix;
  re.resize(static_cast<size_t>(m * radix));
  im.resize(re.size());
  for (int p = 0; p < m; ++p) {
    for (int k = 0; k < radix; ++k) {
      const double a = -2.0 * std::numbers::pi * p * k / n;
      re[static_cast<size_t>(p * radix + k)] = static_cast<T>(std::cos(a));
      im[static_cast<size_t>(p * radix + k)] = static_cast<T>(std::sin(a));
    }
  }
}

}  // namespace

float fast_log10(float x) { return log10_pos(splat(x))[0]; }

std::vector<double> slaney_mel_filterbank_f64(int n_fft, int n_mels, int sample_rate, double f_min, double f_max) {
  // Same operation order as transformers' hertz_to_mel / mel_to_hertz / np.linspace,
  // so the weights agree bit for bit in almost every entry.
  const double logstep = 27.0 / std::log(6.4);
  auto hz_to_mel = [&](double f) {
    return f >= 1000.0 ? 15.0 + std::log(f / 1000.0) * logstep : 3.0 * f / 200.0;
  };
  auto mel_to_hz = [&](double mel) {
    return mel >= 15.0 ? 1000.0 * std::exp(std::log(6.4) / 27.0 * (mel - 15.0)) : 200.0 * mel / 3.0;
  };
  const int n_bins = n_fft / 2 + 1;
  const int n_pts = n_mels + 2;
  const double mel_lo = hz_to_mel(f_min), mel_hi = hz_to_mel(f_max);
  const double mel_step = (mel_hi - mel_lo) / (n_pts - 1);
  std::vector<double> edge(static_cast<size_t>(n_pts));
  for (int i = 0; i < n_pts; ++i) {
    const double mel = i == n_pts - 1 ? mel_hi : i * mel_step + mel_lo;
    edge[static_cast<size_t>(i)] = mel_to_hz(mel);
  }
  const double nyquist = static_cast<double>(sample_rate / 2);
  const double bin_step = nyquist / (n_bins - 1);

  std::vector<double> fb(static_cast<size_t>(n_mels) * static_cast<size_t>(n_bins));
  for (int m = 0; m < n_mels; ++m) {
    const double lo = edge[static_cast<size_t>(m)], mid = edge[static_cast<size_t>(m + 1)],
                 hi = edge[static_cast<size_t>(m + 2)];
    const double enorm = 2.0 / (hi - lo);
    for (int k = 0; k < n_bins; ++k) {
      const double f = k == n_bins - 1 ? nyquist : k * bin_step;
      const double down = -(lo - f) / (mid - lo);
      const double up = (hi - f) / (hi - mid);
      fb[static_cast<size_t>(m) * static_cast<size_t>(n_bins) + static_cast<size_t>(k)] =
          std::max(0.0, std::min(down, up)) * enorm;
    }
  }
  return fb;
}

std::vector<float> slaney_mel_filterbank(int n_fft, int n_mels, int sample_rate, double f_min, double f_max) {
  const std::vector<double> fb = slaney_mel_filterbank_f64(n_fft, n_mels, sample_rate, f_min, f_max);
  return std::vector<float>(fb.begin(), fb.end());
}

namespace {

// numpy's float32 sum (pairwise, 8 accumulators, blocks of 128), reproduced so that
// the exact path normalises the waveform to the same float32 values as numpy-based
// extractors (Pipecat's vendored one) do.
float numpy_pairwise_sum(const float* a, size_t n) {
  if (n < 8) {
    float r = 0.0f;
    for (size_t i = 0; i < n; ++i) r += a[i];
    return r;
  }
  if (n <= 128) {
    float r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - n % 8; i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + static_cast<size_t>(j)];
    float res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

}  // namespace

struct MelFrontEnd::Impl {
  virtual ~Impl() = default;
  virtual void compute(std::span<const float> audio, std::span<float> out) = 0;
};

namespace {

// The front end on scalar type T: float (fast path) or double (exact path).
template <typename T>
struct MelImpl final : MelFrontEnd::Impl {
  using VT = typename VecOf<T>::type;
  std::vector<T> window;  // periodic Hann, 400
  std::vector<T> tw0r, tw0i, tw1r, tw1i, tw2r, tw2i;
  std::vector<T> post_r, post_i;  // exp(-2 pi i k / 400), k = 0..200
  std::vector<int> filt_first, filt_count, filt_offset;
  std::vector<T> filt_w;  // nonzero weights of every filter, concatenated
  std::vector<T> padded;  // normalised window with reflect padding
  std::vector<float> window_f32;  // exact path: the 8 s window as float32
  std::vector<VT> ar, ai, br, bi;  // 200 complex points x kLanes frames
  std::vector<VT> power;
  std::vector<double> logmel;  // exact path: [mel][frame] before the final cast

  MelImpl() {
    window.resize(kNfft);
    for (int i = 0; i < kNfft; ++i)
      window[static_cast<size_t>(i)] = static_cast<T>(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * i / kNfft));
    stage_twiddles(200, 4, tw0r, tw0i);
    stage_twiddles(50, 2, tw1r, tw1i);
    stage_twiddles(25, 5, tw2r, tw2i);
    post_r.resize(kBins);
    post_i.resize(kBins);
    for (int k = 0; k < kBins; ++k) {
      const double a = -2.0 * std::numbers::pi * k / kNfft;
      post_r[static_cast<size_t>(k)] = static_cast<T>(std::cos(a));
      post_i[static_cast<size_t>(k)] = static_cast<T>(std::sin(a));
    }
    const std::vector<double> fb = slaney_mel_filterbank_f64(kNfft, kMels, MelFrontEnd::kSampleRate, 0.0, 8000.0);
    for (int m = 0; m < kMels; ++m) {
      const double* row = fb.data() + static_cast<size_t>(m) * kBins;
      int first = 0, last = -1;
      for (int k = 0; k < kBins; ++k) {
        if (static_cast<T>(row[k]) != T{0}) {
          if (last < 0) first = k;
          last = k;
        }
      }
      filt_first.push_back(first);
      filt_count.push_back(last - first + 1);
      filt_offset.push_back(static_cast<int>(filt_w.size()));
      // The FFT post-processing yields 2*X, so |2X|^2 carries a factor 4 that the
      // weights absorb (exact: a power of two).
      for (int k = first; k <= last; ++k) filt_w.push_back(static_cast<T>(row[k]) * T{0.25});
    }
    padded.resize(static_cast<size_t>(kWindow + 2 * kPad));
    for (auto* v : {&ar, &ai, &br, &bi}) v->resize(kHalf);
    power.resize(kBins);
    if constexpr (std::is_same_v<T, double>) {
      window_f32.resize(kWindow);
      logmel.resize(MelFrontEnd::kFeatureSize);
    }
  }

  void normalise(std::span<const float> audio);
  void frames(int f0, T* out, VT& lane_max);
  void compute(std::span<const float> audio, std::span<float> out) override;

  static void log10_lanes(VT& x) {
    if constexpr (std::is_same_v<T, float>) {
      x = log10_pos(x);
    } else {
      for (int l = 0; l < kLanes; ++l) x[l] = std::log10(x[l]);
    }
  }
};

template <>
void MelImpl<float>::normalise(std::span<const float> audio) {
  const size_t take = std::min(audio.size(), static_cast<size_t>(kWindow));
  const float* src = audio.data() + (audio.size() - take);
  const size_t front = static_cast<size_t>(kWindow) - take;

  // Independent partial sums let the compiler vectorise the double accumulation.
  double acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= take; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += src[i + static_cast<size_t>(l)];
  double sum = 0.0;
  for (; i < take; ++i) sum += src[i];
  for (double a : acc) sum += a;
  const double mean = sum / kWindow;

  double sq[kLanes] = {};
  i = 0;
  for (; i + kLanes <= take; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const double d = src[i + static_cast<size_t>(l)] - mean;
      sq[l] += d * d;
    }
  double ss = static_cast<double>(front) * mean * mean;
  for (; i < take; ++i) ss += (src[i] - mean) * (src[i] - mean);
  for (double a : sq) ss += a;
  const double var = ss / kWindow;

  const float mean_f = static_cast<float>(mean);
  const float scale = static_cast<float>(1.0 / std::sqrt(var + 1e-7));
  float* x = padded.data() + kPad;
  std::fill(x, x + front, -mean_f * scale);
  for (size_t j = 0; j < take; ++j) x[front + j] = (src[j] - mean_f) * scale;
  for (int j = 1; j <= kPad; ++j) {
    x[-j] = x[j];
    x[kWindow - 1 + j] = x[kWindow - 1 - j];
  }
}

// Exact path: numpy's float32 arithmetic, (x - x.mean()) / sqrt(x.var() + 1e-7).
template <>
void MelImpl<double>::normalise(std::span<const float> audio) {
  const size_t take = std::min(audio.size(), static_cast<size_t>(kWindow));
  float* w = window_f32.data();
  const size_t front = static_cast<size_t>(kWindow) - take;
  std::fill(w, w + front, 0.0f);
  std::copy(audio.end() - static_cast<std::ptrdiff_t>(take), audio.end(), w + front);
  const float n = static_cast<float>(kWindow);
  const float mean = numpy_pairwise_sum(w, kWindow) / n;
  std::vector<float>& sq = window_f32;  // reused below only after the copy into padded
  double* x = padded.data() + kPad;
  for (int j = 0; j < kWindow; ++j) x[j] = static_cast<double>(w[j] - mean);  // stash x - mean
  for (int j = 0; j < kWindow; ++j) {
    const float d = static_cast<float>(x[j]);
    sq[static_cast<size_t>(j)] = d * d;
  }
  const float var = numpy_pairwise_sum(sq.data(), kWindow) / n;
  const float denom = std::sqrt(var + 1e-7f);
  for (int j = 0; j < kWindow; ++j) x[j] = static_cast<double>(static_cast<float>(x[j]) / denom);
  for (int j = 1; j <= kPad; ++j) {
    x[-j] = x[j];
    x[kWindow - 1 + j] = x[kWindow - 1 - j];
  }
}

// kLanes consecutive frames starting at f0: log10 mel energies into out[mel][frame].
template <typename T>
void MelImpl<T>::frames(int f0, T* out, VT& lane_max) {
  // The 400 real samples of a frame ride as 200 complex ones: even in re, odd in im.
  const T* src = padded.data() + static_cast<size_t>(f0 * kHop);
  for (int n = 0; n < kHalf; ++n) {
    VT re, im;
    for (int l = 0; l < kLanes; ++l) {
      re[l] = src[l * kHop + 2 * n];
      im[l] = src[l * kHop + 2 * n + 1];
    }
    ar[static_cast<size_t>(n)] = re * window[static_cast<size_t>(2 * n)];
    ai[static_cast<size_t>(n)] = im * window[static_cast<size_t>(2 * n + 1)];
  }
  // 200 = 4 * 2 * 5 * 5; the last stage has m = 1, so no twiddles.
  fft_stage<4, true, T>(200, 1, tw0r.data(), tw0i.data(), ar.data(), ai.data(), br.data(), bi.data());
  fft_stage<2, true, T>(50, 4, tw1r.data(), tw1i.data(), br.data(), bi.data(), ar.data(), ai.data());
  fft_stage<5, true, T>(25, 8, tw2r.data(), tw2i.data(), ar.data(), ai.data(), br.data(), bi.data());
  fft_stage<5, false, T>(5, 40, nullptr, nullptr, br.data(), bi.data(), ar.data(), ai.data());

  // Split the packed transform Z into the real signal's spectrum:
  // 2X[k] = (Z[k] + conj Z[N-k]) - i w^k (Z[k] - conj Z[N-k]), w = exp(-2 pi i / 400).
  for (int k = 0; k < kBins; ++k) {
    const VT zr = ar[static_cast<size_t>(k % kHalf)], zi = ai[static_cast<size_t>(k % kHalf)];
    const VT cr = ar[static_cast<size_t>((kHalf - k) % kHalf)];
    const VT ci = ai[static_cast<size_t>((kHalf - k) % kHalf)];
    const T wr = post_r[static_cast<size_t>(k)], wi = post_i[static_cast<size_t>(k)];
    const VT er = zr + cr, ei = zi - ci;
    const VT orr = zi + ci, oi = cr - zr;
    const VT xr = er + wr * orr - wi * oi;
    const VT xi = ei + wr * oi + wi * orr;
    power[static_cast<size_t>(k)] = xr * xr + xi * xi;
  }

  const VT floor = VT{} + static_cast<T>(1e-10);
  for (int m = 0; m < kMels; ++m) {
    const T* w = filt_w.data() + filt_offset[static_cast<size_t>(m)];
    const VT* p = power.data() + filt_first[static_cast<size_t>(m)];
    const int count = filt_count[static_cast<size_t>(m)];
    VT acc{};
    for (int j = 0; j < count; ++j) acc += w[j] * p[j];
    VT v = acc > floor ? acc : floor;
    log10_lanes(v);
    lane_max = v > lane_max ? v : lane_max;
    std::memcpy(out + static_cast<size_t>(m) * kFrames + f0, &v, sizeof v);
  }
}

template <typename T>
void MelImpl<T>::compute(std::span<const float> audio, std::span<float> out) {
  normalise(audio);
  VT lane_max = VT{} + static_cast<T>(-1e30);
  T* dst;
  if constexpr (std::is_same_v<T, float>) dst = out.data();
  else dst = logmel.data();
  for (int f0 = 0; f0 < kFrames; f0 += kLanes) frames(f0, dst, lane_max);
  T top = lane_max[0];
  for (int l = 1; l < kLanes; ++l) top = std::max(top, lane_max[l]);
  const T floor = top - T{8};
  if constexpr (std::is_same_v<T, float>) {
    for (float& v : out) v = (std::max(v, floor) + 4.0f) * 0.25f;
  } else {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<float>((std::max(logmel[i], floor) + 4.0) / 4.0);
  }
}

}  // namespace

MelFrontEnd::MelFrontEnd(MelPrecision precision) {
  if (precision == MelPrecision::exact) impl_ = std::make_unique<MelImpl<double>>();
  else impl_ = std::make_unique<MelImpl<float>>();
}
MelFrontEnd::~MelFrontEnd() = default;
MelFrontEnd::MelFrontEnd(MelFrontEnd&&) noexcept = default;
MelFrontEnd& MelFrontEnd::operator=(MelFrontEnd&&) noexcept = default;

void MelFrontEnd::compute(std::span<const float> audio, std::span<float> features) {
  if (features.size() != kFeatureSize)
    throw Error("MelFrontEnd::compute: features has " + std::to_string(features.size()) +
                " floats, expected " + std::to_string(kFeatureSize) + " ([80, 800])");
  if (!impl_) throw Error("MelFrontEnd::compute: called on a moved-from object");
  impl_->compute(audio, features);
}

}  // namespace saywhen::audio
