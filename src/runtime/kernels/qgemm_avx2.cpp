// AVX2 int8 GEMM without VNNI. vpmaddubsw (u8 x s8 pairs summed into int16)
// saturates: 255*127 + 255*127 > 32767, so with arbitrary int8 weights it is
// wrong for large activations. Instead both operands are widened to int16 and
// multiplied with vpmaddwd (pairs summed into int32), which is exact for every
// u8 x s8 input at half vpmaddubsw's rate.
//
// B is packed with the 2 k-values of each column adjacent (sign-extended in the
// kernel): column blocks of 24 (the last: N rounded up to 8), inside a block
// for each k-pair: [col 0: k0 k1][col 1: k0 k1]... (zero padded).
// A tile of 4 rows x NV*8 columns keeps 4*NV accumulators in registers.
//
// Helpers stay in an anonymous namespace and no header inline function is
// called: this file is compiled with AVX2 flags, and an out-of-line copy of a
// shared inline function could be picked by the linker for other callers.
#include <immintrin.h>

// GCC 12 flags the deliberately undefined pass-through operands of several
// intrinsics (_mm512_undefined_*) as (maybe-)uninitialized.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <cstring>

#include "qgemm.h"

namespace saywhen::rt::qgemm_detail {
namespace {

// GCC keeps the accumulator array in registers only when these loops are fully
// unrolled before its other loop passes run.
#define SAYWHEN_UNROLL _Pragma("GCC unroll 16")

constexpr int64_t kBlock = 24;
constexpr int kMaxRows = 4;

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t pairs(int64_t K) { return (K + 1) / 2; }
inline int64_t block_width(int64_t N, int64_t n0) { return (min64(kBlock, N - n0) + 7) & ~int64_t{7}; }

// [a0 a1 a0 a1 ...] as int16 from two consecutive u8.
inline __m256i broadcast_pair(const uint8_t* p) {
  int16_t v;
  std::memcpy(&v, p, 2);
  return _mm256_cvtepu8_epi16(_mm_set1_epi16(v));
}

inline __m256i broadcast_last(const uint8_t* p) { return _mm256_cvtepu8_epi16(_mm_set1_epi16(*p)); }

struct Epilogue {
  __m256 lo, hi;
  __m256i zp;
  __m256i gather;  // low byte of each int32 to the front of its 128-bit lane
};

inline __m256i lane_mask(int64_t valid) {
  alignas(32) static const int32_t ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(valid)),
                            _mm256_load_si256(reinterpret_cast<const __m256i*>(ramp)));
}

// Out of line: one register allocation problem per tile shape.
template <int MR, int NV>
__attribute__((noinline)) void tile(const QGemmArgs& g, const Epilogue& ep, const int8_t* bp, int64_t m, int64_t n0) {
  __m256i acc[MR][NV];
  SAYWHEN_UNROLL for (int i = 0; i < MR; ++i)
    SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_setzero_si256();

  const uint8_t* a = g.A + m * g.lda;
  const int64_t lda = g.lda;
  const int64_t kfull = g.K / 2;
  for (int64_t p = 0; p < kfull; ++p) {
    __m256i b[NV];
    SAYWHEN_UNROLL for (int j = 0; j < NV; ++j)
      b[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + j * 16)));
    bp += NV * 16;
    SAYWHEN_UNROLL for (int i = 0; i < MR; ++i) {
      const __m256i av = broadcast_pair(a + i * lda + 2 * p);
      SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(av, b[j]));
    }
  }
  if (g.K & 1) {
    __m256i b[NV];
    SAYWHEN_UNROLL for (int j = 0; j < NV; ++j)
      b[j] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bp + j * 16)));
    SAYWHEN_UNROLL for (int i = 0; i < MR; ++i) {
      // The padded k of B is zero, so whatever sits in the pair's high half is harmless.
      const __m256i av = broadcast_last(a + i * lda + 2 * kfull);
      SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(av, b[j]));
    }
  }

  SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) {
    const int64_t n = n0 + 8 * j;
    const int64_t valid = min64(8, g.N - n);
    const __m256i mask = lane_mask(valid);
    const __m256i off = _mm256_maskload_epi32(g.col_off + n, mask);
    __m256i bzp = _mm256_setzero_si256();
    if (g.b_zp) bzp = _mm256_maskload_epi32(g.b_zp + n, mask);
    __m256 scale = _mm256_setzero_ps();
    if (g.scale) scale = _mm256_maskload_ps(g.scale + n, mask);
    __m256 dq_scale = _mm256_setzero_ps(), dq_bias = _mm256_setzero_ps();
    if (g.dq_scale) dq_scale = _mm256_maskload_ps(g.dq_scale + n, mask);
    if (g.dq_bias) dq_bias = _mm256_maskload_ps(g.dq_bias + n, mask);
    SAYWHEN_UNROLL for (int i = 0; i < MR; ++i) {
      __m256i c = _mm256_add_epi32(acc[i][j], off);
      if (g.b_zp) c = _mm256_sub_epi32(c, _mm256_mullo_epi32(_mm256_set1_epi32(g.row_sum[m + i]), bzp));
      if (g.dq_scale) {
        __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(c), dq_scale);
        if (g.dq_bias) f = _mm256_add_ps(f, dq_bias);
        if (g.dq_addend) f = _mm256_add_ps(f, _mm256_maskload_ps(g.dq_addend + (m + i) * g.ldc + n, mask));
        _mm256_maskstore_ps(static_cast<float*>(g.C) + (m + i) * g.ldc + n, mask, f);
        continue;
      }
      if (!g.scale) {
        _mm256_maskstore_epi32(static_cast<int32_t*>(g.C) + (m + i) * g.ldc + n, mask, c);
        continue;
      }
      __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(c), scale);
      f = _mm256_min_ps(_mm256_max_ps(f, ep.lo), ep.hi);
      const __m256i q = _mm256_shuffle_epi8(_mm256_add_epi32(_mm256_cvtps_epi32(f), ep.zp), ep.gather);
      const uint64_t bytes = static_cast<uint32_t>(_mm256_extract_epi32(q, 0)) |
                             (static_cast<uint64_t>(static_cast<uint32_t>(_mm256_extract_epi32(q, 4))) << 32);
      std::memcpy(static_cast<uint8_t*>(g.C) + (m + i) * g.ldc + n, &bytes, static_cast<size_t>(valid));
    }
  }
}

template <int NV>
void row_block(const QGemmArgs& g, const Epilogue& ep, const int8_t* bp, int64_t m0, int64_t m1, int64_t n0) {
  int64_t m = m0;
  for (; m + kMaxRows <= m1; m += kMaxRows) tile<kMaxRows, NV>(g, ep, bp, m, n0);
  switch (m1 - m) {
    case 3: tile<3, NV>(g, ep, bp, m, n0); break;
    case 2: tile<2, NV>(g, ep, bp, m, n0); break;
    case 1: tile<1, NV>(g, ep, bp, m, n0); break;
    default: break;
  }
}

}  // namespace

size_t packed_bytes_avx2(int64_t K, int64_t N) {
  const int64_t np = (N + 7) & ~int64_t{7};
  return static_cast<size_t>(pairs(K) * np * 2 + 63) & ~size_t{63};
}

void pack_avx2(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn, void* packed,
               int32_t* col_sums) {
  int8_t* dst = static_cast<int8_t*>(packed);
  const int64_t kp = pairs(K);
  std::memset(dst, 0, packed_bytes_avx2(K, N));
  const uint8_t flip = b_unsigned ? 0x80 : 0;
  const uint8_t* src = static_cast<const uint8_t*>(B);
  for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
    const int64_t w = block_width(N, n0);
    int8_t* blk = dst + n0 * kp * 2;
    for (int64_t n = n0; n < min64(N, n0 + kBlock); ++n)
      for (int64_t k = 0; k < K; ++k)
        blk[(k / 2) * w * 2 + (n - n0) * 2 + (k & 1)] = static_cast<int8_t>(src[k * sk + n * sn] ^ flip);
  }
  col_sums_generic(B, b_unsigned, K, N, sk, sn, col_sums);
}

void gemm_avx2(const QGemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  Epilogue ep;
  ep.lo = _mm256_set1_ps(static_cast<float>((g.y_signed ? -128 : 0) - g.y_zp));
  ep.hi = _mm256_set1_ps(static_cast<float>((g.y_signed ? 127 : 255) - g.y_zp));
  ep.zp = _mm256_set1_epi32(g.y_zp);
  ep.gather = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,  //
                               0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const int8_t* packed = static_cast<const int8_t*>(g.packed_b);
  const int64_t kp = pairs(g.K);
  for (int64_t n = n0; n < min64(n1, g.N); n += kBlock) {
    const int8_t* bp = packed + n * kp * 2;
    switch (block_width(g.N, n) / 8) {
      case 3: row_block<3>(g, ep, bp, m0, m1, n); break;
      case 2: row_block<2>(g, ep, bp, m0, m1, n); break;
      default: row_block<1>(g, ep, bp, m0, m1, n); break;
    }
  }
}

}  // namespace saywhen::rt::qgemm_detail
