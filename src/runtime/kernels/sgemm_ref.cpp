// Portable sgemm block: the fallback for CPUs without AVX2 and the yardstick the
// ISA variants are tested against. Four rows at a time so each B row loaded is
// used four times; the compiler vectorises the column loop with baseline SIMD.
#include <algorithm>

#include "sgemm.h"

namespace saywhen::rt {

namespace {

constexpr int kRows = 4;

void epilogue(const SgemmBlock& blk, const float* acc, float* c, int64_t cols, const float* bias_n,
              float bias_m) {
  for (int64_t j = 0; j < cols; ++j) {
    float x = acc[j] * blk.alpha;
    if (blk.first) {
      if (blk.beta != 0.0f) x += blk.beta * c[j];
    } else {
      x += c[j];
    }
    if (bias_n || blk.bias_m) x += (bias_n ? bias_n[j] : 0.0f) + bias_m;
    c[j] = x;
  }
}

}  // namespace

void sgemm_block_ref(const SgemmBlock& blk) {
  alignas(64) float acc[kRows][kSgemmNR];
  for (int64_t i = 0; i < blk.m; i += kRows) {
    const int64_t rows = std::min<int64_t>(kRows, blk.m - i);
    for (int64_t j = 0; j < blk.n; j += kSgemmNR) {
      const int64_t cols = std::min<int64_t>(kSgemmNR, blk.n - j);
      const float* b = blk.b + (j / kSgemmNR) * blk.panel_stride;
      for (auto& row : acc) std::fill(std::begin(row), std::end(row), 0.0f);
      for (int64_t k = 0; k < blk.kc; ++k) {
        const float* brow = b + k * blk.ldb;
        for (int64_t r = 0; r < rows; ++r) {
          const float av = blk.a[(i + r) * blk.lda + k];
          for (int64_t jj = 0; jj < cols; ++jj) acc[r][jj] += av * brow[jj];
        }
      }
      for (int64_t r = 0; r < rows; ++r)
        epilogue(blk, acc[r], blk.c + (i + r) * blk.ldc + j, cols, blk.bias_n ? blk.bias_n + j : nullptr,
                 blk.bias_m ? blk.bias_m[i + r] : 0.0f);
    }
  }
}

}  // namespace saywhen::rt
