// Shared by the kernels that compile hot loops twice inside one file (the
// baseline ISA and AVX2+FMA, or AVX-512, through function target attributes)
// and pick one at run time from cpu(): the attribute macros, and the
// branch-free float math those loops call, so that both clones of a loop
// compute the same function.
//
// Internal linkage (anonymous namespace), always inlined: each clone gets its
// own copy compiled for its ISA.
#pragma once

#include <bit>
#include <cstdint>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SW_HAVE_AVX2_CLONES 1
#define SW_AVX2 __attribute__((target("avx2,fma")))
#define SW_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#else
#define SW_HAVE_AVX2_CLONES 0
#define SW_AVX2
#define SW_AVX512
#endif
#define SW_INLINE inline __attribute__((always_inline))

namespace saywhen::rt {
namespace {

// a if c else b, as bit operations. A float ?: would do, except that GCC
// (with the default -ftrapping-math) turns it into branches that it then may
// not if-convert back, and the loop stays scalar.
SW_INLINE float blend(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}

// exp(x) for float, branch-free so loops over it vectorise. Cody-Waite range
// reduction to |r| <= ln2/2 and a degree-7 polynomial: about 1-2 ulp. Below
// the smallest normal result it returns exactly 0; above ~88.37 it saturates
// at ~2.4e38 instead of overflowing; NaN stays NaN.
SW_INLINE float fast_exp(float x) {
  float xc = blend(x < -87.33654f, -87.33654f, x);
  xc = blend(xc > 88.37626f, 88.37626f, xc);
  const float t = xc * 1.44269504088896341f + 12582912.0f;  // 1.5 * 2^23: rounds to nearest
  const float n = t - 12582912.0f;
  const int32_t ni = std::bit_cast<int32_t>(t) - 0x4B400000;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float e = p * z + r + 1.0f;
  const float scale = std::bit_cast<float>((ni + 127) << 23);
  return blend(x < -87.33654f, 0.0f, e * scale);
}

}  // namespace
}  // namespace saywhen::rt
