// AVX2/FMA sgemm micro-kernels: 6 rows x 16 columns (two ymm) per tile, the
// classic shape for 16 ymm registers (12 accumulators, 2 B vectors, 1 broadcast).
// A 32-column panel is swept in two 16-column halves.
#include "sgemm.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>

namespace saywhen::rt {
namespace {

constexpr int kMR = 6;

// Wrapped so function-pointer types carry no vector attributes.
struct Masks {
  __m256i v[2];
};

inline __m256i cols_mask(int64_t valid) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::clamp<int64_t>(valid, 0, 8))), idx);
}

// Each output is summed in plain k order, one fused multiply-add after
// another, as MLAS does: that and MLAS's K blocks (sgemm_k_block) give ONNX
// Runtime's bits. Tiles of few rows then leave the FMA pipes waiting on
// latency; they only occur at the edges of a product, or in small ones.
//
// C tile at rows [0, MR), columns [0, 8*NV) masked by `mask`; MASKED also masks B loads.
template <int MR, int NV, bool MASKED>
void micro(const float* a, int64_t lda, const float* b, int64_t ldb, int64_t kc, float* c,
           int64_t ldc, const Masks& mask, const SgemmBlock& blk, const float* bias_n,
           const float* bias_m) {
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();

  const float* ar[MR];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) ar[r] = a + r * lda;

  auto step = [&](int64_t k, const float* brow) __attribute__((always_inline)) {
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      bv[v] = MASKED ? _mm256_maskload_ps(brow + 8 * v, mask.v[v]) : _mm256_loadu_ps(brow + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 av = _mm256_broadcast_ss(ar[r] + k);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
  };
#pragma GCC unroll 2
  for (int64_t k = 0; k < kc; ++k) {
    step(k, b);
    b += ldb;
  }

  const __m256 alpha = _mm256_set1_ps(blk.alpha);
  const __m256 beta = _mm256_set1_ps(blk.beta);
  const bool scale = blk.alpha != 1.0f;
  const bool biased = bias_n || bias_m;
  __m256 bn[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
    bn[v] = bias_n ? _mm256_maskload_ps(bias_n + 8 * v, mask.v[v]) : _mm256_setzero_ps();
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const __m256 bm = bias_m ? _mm256_set1_ps(bias_m[r]) : _mm256_setzero_ps();
    float* cr = c + r * ldc;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      __m256 x;
      if (blk.first) {
        x = scale ? _mm256_mul_ps(acc[r][v], alpha) : acc[r][v];
        if (blk.beta != 0.0f) x = _mm256_fmadd_ps(beta, _mm256_maskload_ps(cr + 8 * v, mask.v[v]), x);
      } else {
        const __m256 old = _mm256_maskload_ps(cr + 8 * v, mask.v[v]);
        x = scale ? _mm256_fmadd_ps(acc[r][v], alpha, old) : _mm256_add_ps(acc[r][v], old);
      }
      if (biased) x = _mm256_add_ps(x, _mm256_add_ps(bn[v], bm));
      _mm256_maskstore_ps(cr + 8 * v, mask.v[v], x);
    }
  }
}

using MicroFn = void (*)(const float*, int64_t, const float*, int64_t, int64_t, float*, int64_t,
                         const Masks&, const SgemmBlock&, const float*, const float*);

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

}  // namespace

void sgemm_block_avx2(const SgemmBlock& blk) {
  for (int64_t i = 0; i < blk.m; i += kMR) {
    const int rows = static_cast<int>(std::min<int64_t>(kMR, blk.m - i));
    const float* a = blk.a + i * blk.lda;
    float* c = blk.c + i * blk.ldc;
    const float* bias_m = blk.bias_m ? blk.bias_m + i : nullptr;
    for (int64_t j = 0; j < blk.n; j += 16) {
      const int64_t cols = std::min<int64_t>(16, blk.n - j);
      const Masks mask = {{cols_mask(cols), cols_mask(cols - 8)}};
      const int nv = cols > 8 ? 2 : 1;
      const bool masked = cols < 16 && !blk.b_padded;
      const float* b = blk.b + (j / kSgemmNR) * blk.panel_stride + j % kSgemmNR;
      kTables[nv - 1][masked][rows - 1](a, blk.lda, b, blk.ldb, blk.kc, c + j, blk.ldc, mask, blk,
                                        blk.bias_n ? blk.bias_n + j : nullptr, bias_m);
    }
  }
}

}  // namespace saywhen::rt

#else

namespace saywhen::rt {
void sgemm_block_avx2(const SgemmBlock& blk) { sgemm_block_ref(blk); }
}  // namespace saywhen::rt

#endif
