// AVX-512 sgemm micro-kernels: MR rows x 32 columns (two zmm) of C held in
// registers, A broadcast from memory, B loaded a panel row at a time.
//
// 12x32 keeps 24 accumulators + 2 B vectors in the 32 zmm registers, and gives
// 24 independent FMA chains: enough to cover FMA latency on two pipes (Zen 4/5,
// Sapphire Rapids) with room to spare.
#include "sgemm.h"

#if defined(__AVX512F__)
#include "x86_intrinsics.h"

#include <algorithm>
#include <array>
#include <utility>

namespace saywhen::rt {
namespace {

constexpr int kMR = 12;
constexpr int kNV = static_cast<int>(kSgemmNR / 16);
static_assert(kSgemmNR % 16 == 0);

inline __mmask16 cols_mask(int64_t valid) {
  if (valid >= 16) return static_cast<__mmask16>(0xFFFF);
  if (valid <= 0) return 0;
  return static_cast<__mmask16>((1u << valid) - 1u);
}

// Each output is summed in plain k order, one fused multiply-add after
// another, as MLAS does: that and MLAS's K blocks (sgemm_k_block) give ONNX
// Runtime's bits. Tiles of few rows then leave the FMA pipes waiting on
// latency; they only occur at the edges of a product, or in small ones.
//
// C tile at rows [0, MR) and columns [0, 16*NV) (masked by `mask`).
// MASKED: the B loads must also be masked (unpadded B, last panel).
template <int MR, int NV, bool MASKED>
void micro(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t kc, float* c,
           int64_t ldc, const __mmask16* mask, const SgemmBlock& blk, const float* bias_n,
           const float* bias_m) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();

  const float* ar[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) ar[r] = a + r * lda;

  // One k step.
  auto step = [&](int64_t k, const float* brow) __attribute__((always_inline)) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v)
      bv[v] = MASKED ? _mm512_maskz_loadu_ps(mask[v], brow + 16 * v) : _mm512_loadu_ps(brow + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(ar[r][k]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
  };
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    step(k, b);
    b += ldb;
  }

  const __m512 alpha = _mm512_set1_ps(blk.alpha);
  const __m512 beta = _mm512_set1_ps(blk.beta);
  const bool scale = blk.alpha != 1.0f;
  const bool biased = bias_n || bias_m;
  __m512 bn[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v)
    bn[v] = bias_n ? _mm512_maskz_loadu_ps(mask[v], bias_n + 16 * v) : _mm512_setzero_ps();
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const __m512 bm = bias_m ? _mm512_set1_ps(bias_m[r]) : _mm512_setzero_ps();
    float* cr = c + r * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      __m512 x;
      if (blk.first) {
        x = scale ? _mm512_mul_ps(acc[r][v], alpha) : acc[r][v];
        if (blk.beta != 0.0f) x = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(mask[v], cr + 16 * v), x);
      } else {
        const __m512 old = _mm512_maskz_loadu_ps(mask[v], cr + 16 * v);
        x = scale ? _mm512_fmadd_ps(acc[r][v], alpha, old) : _mm512_add_ps(acc[r][v], old);
      }
      if (biased) x = _mm512_add_ps(x, _mm512_add_ps(bn[v], bm));
      _mm512_mask_storeu_ps(cr + 16 * v, mask[v], x);
    }
  }
}

using MicroFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t,
                         const __mmask16*, const SgemmBlock&, const float*, const float*);

template <int NV, bool MASKED, int... R>
constexpr auto make_table(std::integer_sequence<int, R...>) {
  return std::array<MicroFn, sizeof...(R)>{&micro<R + 1, NV, MASKED>...};
}

// [nv-1][masked][rows-1]
const std::array<MicroFn, kMR> kTables[2][2] = {
    {make_table<1, false>(std::make_integer_sequence<int, kMR>{}),
     make_table<1, true>(std::make_integer_sequence<int, kMR>{})},
    {make_table<2, false>(std::make_integer_sequence<int, kMR>{}),
     make_table<2, true>(std::make_integer_sequence<int, kMR>{})},
};
static_assert(kNV == 2);

}  // namespace

void sgemm_block_avx512(const SgemmBlock& blk) {
  // Each A tile (MR x kc) is reused, from L1/L2, by every B panel of the block.
  for (int64_t i = 0; i < blk.m; i += kMR) {
    const int rows = static_cast<int>(std::min<int64_t>(kMR, blk.m - i));
    const float* a = blk.a + i * blk.lda;
    float* c = blk.c + i * blk.ldc;
    const float* bias_m = blk.bias_m ? blk.bias_m + i : nullptr;
    for (int64_t j = 0; j < blk.n; j += kSgemmNR) {
      const int64_t cols = std::min<int64_t>(kSgemmNR, blk.n - j);
      const __mmask16 mask[2] = {cols_mask(cols), cols_mask(cols - 16)};
      const int nv = cols > 16 ? 2 : 1;
      const bool masked = cols < kSgemmNR && !blk.b_padded;
      const float* b = blk.b + (j / kSgemmNR) * blk.panel_stride;
      kTables[nv - 1][masked][rows - 1](a, blk.lda, b, blk.ldb, blk.kc, c + j, blk.ldc, mask, blk,
                                        blk.bias_n ? blk.bias_n + j : nullptr, bias_m);
    }
  }
}

namespace {

// One 16 x 16 block, in registers: pairs of rows interleaved by element, then
// by pairs of elements, then by 128-bit quarters twice.
void transpose16(const float* src, int64_t lds, float* dst, int64_t ldd) {
  __m512 r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
  for (int i = 0; i < 16; ++i) _mm512_storeu_ps(dst + i * ldd, r[i]);
}

}  // namespace

void transpose_f32_avx512(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  const int64_t rows16 = rows / 16 * 16, cols16 = cols / 16 * 16;
  for (int64_t r = 0; r < rows16; r += 16)
    for (int64_t c = 0; c < cols16; c += 16) transpose16(src + r * lds + c, lds, dst + c * ldd + r, ldd);
  // The ragged right strip, then the bottom one.
  transpose_f32_ref(src + cols16, lds, rows16, cols - cols16, dst + cols16 * ldd, ldd);
  transpose_f32_ref(src + rows16 * lds, lds, rows - rows16, cols, dst + rows16, ldd);
}

}  // namespace saywhen::rt

#else

namespace saywhen::rt {
void sgemm_block_avx512(const SgemmBlock& blk) { sgemm_block_ref(blk); }
void transpose_f32_avx512(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  transpose_f32_ref(src, lds, rows, cols, dst, ldd);
}
}  // namespace saywhen::rt

#endif
