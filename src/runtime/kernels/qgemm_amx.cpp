// AMX int8 GEMM (Intel AMX-INT8: Sapphire Rapids and later). One tdpbusd
// multiplies a 16 x 64 tile of u8 A by a 16 x 64-byte tile of s8 B, whose row
// q holds the 4 k-values of k-quad q for 16 columns: exactly a 16-column slice
// of the AVX-512 VNNI packed layout (qgemm_avx512.cpp), read with the block's
// row stride. So this ISA packs B the VNNI way, and the rows and shapes that
// do not fill whole tiles (fewer than 16 rows left, K not a multiple of 64)
// go to the VNNI kernel on the same packed B. The zero-point corrections and
// output conversion are the VNNI file's too: the products are exact integers,
// so both ISAs give identical results.
//
// The process must be granted the tile state first (cpu.cpp asks the kernel
// at detection); the tile registers are configured per call and released
// before returning, so a thread that leaves this file holds no tile state.
#include "x86_intrinsics.h"

#include <cstring>

#include "qgemm.h"

namespace saywhen::rt::qgemm_detail {
namespace {

constexpr int64_t kBlock = 64;  // the VNNI layout's column block
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileK = 64;  // bytes of a tile row: 64 k-values of A, 16 quads of B

// The 64-byte operand of ldtilecfg (palette 1).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

// Tiles 0-3: accumulators (row tile r, column tile c at 2r + c); 4-5: A row
// tiles; 6-7: B column tiles. R row tiles x C column tiles of 16 x 16 int32,
// stored into acc (rows of 64 int32) at column tile `col`.
template <int R, int C>
void tiles(const uint8_t* a, int64_t lda, const int8_t* b, int64_t b_stride, int64_t k_steps, int32_t* acc,
           int64_t col) {
  _tile_zero(0);
  if constexpr (C == 2) _tile_zero(1);
  if constexpr (R == 2) _tile_zero(2);
  if constexpr (R == 2 && C == 2) _tile_zero(3);
  for (int64_t s = 0; s < k_steps; ++s) {
    const uint8_t* as = a + s * kTileK;
    const int8_t* bs = b + s * kTileRows * b_stride;
    _tile_loadd(4, as, lda);
    _tile_loadd(6, bs, b_stride);
    _tile_dpbusd(0, 4, 6);
    if constexpr (C == 2) {
      _tile_loadd(7, bs + 64, b_stride);
      _tile_dpbusd(1, 4, 7);
    }
    if constexpr (R == 2) {
      _tile_loadd(5, as + kTileRows * lda, lda);
      _tile_dpbusd(2, 5, 6);
      if constexpr (C == 2) _tile_dpbusd(3, 5, 7);
    }
  }
  constexpr int64_t ld = 64 * sizeof(int32_t);
  int32_t* c0 = acc + col * 16;
  _tile_stored(0, c0, ld);
  if constexpr (C == 2) _tile_stored(1, c0 + 16, ld);
  if constexpr (R == 2) _tile_stored(2, c0 + kTileRows * 64, ld);
  if constexpr (R == 2 && C == 2) _tile_stored(3, c0 + kTileRows * 64 + 16, ld);
}

template <int R>
void row_tiles(const uint8_t* a, int64_t lda, const int8_t* bp, int64_t b_stride, int64_t k_steps, int nv,
               int32_t* acc) {
  int j = 0;
  for (; j + 2 <= nv; j += 2) tiles<R, 2>(a, lda, bp + j * 64, b_stride, k_steps, acc, j);
  if (j < nv) tiles<R, 1>(a, lda, bp + j * 64, b_stride, k_steps, acc, j);
}

}  // namespace

void gemm_amx(const QGemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int64_t m_tiled = m0 + (m1 - m0) / kTileRows * kTileRows;
  if (g.K % kTileK != 0 || m_tiled == m0) return gemm_avx512(g, m0, m1, n0, n1);

  TileConfig cfg;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = kTileRows;
    cfg.colsb[t] = 64;
  }
  _tile_loadconfig(&cfg);
  const int8_t* packed = static_cast<const int8_t*>(g.packed_b);
  const int64_t kq = g.K / 4, k_steps = g.K / kTileK;
  alignas(64) int32_t acc[2 * kTileRows * 64];
  for (int64_t n = n0; n < (n1 < g.N ? n1 : g.N); n += kBlock) {
    const int64_t w = ((g.N - n < kBlock ? g.N - n : kBlock) + 15) & ~int64_t{15};  // as the VNNI packer
    const int nv = static_cast<int>(w / 16);
    const int8_t* bp = packed + n * kq * 4;
    for (int64_t m = m0; m < m_tiled; m += 2 * kTileRows) {
      const uint8_t* a = g.A + m * g.lda;
      const int64_t rows = m_tiled - m >= 2 * kTileRows ? 2 * kTileRows : kTileRows;
      if (rows == 2 * kTileRows)
        row_tiles<2>(a, g.lda, bp, w * 4, k_steps, nv, acc);
      else
        row_tiles<1>(a, g.lda, bp, w * 4, k_steps, nv, acc);
      store_rows_avx512(g, acc, m, rows, n, nv);
    }
  }
  _tile_release();
  if (m_tiled < m1) gemm_avx512(g, m_tiled, m1, n0, n1);
}

}  // namespace saywhen::rt::qgemm_detail
