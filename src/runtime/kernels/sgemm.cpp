// sgemm driver: ISA dispatch, B packing, cache blocking and threading. The
// per-ISA files only compute one (M x n x kc) block.
#include "sgemm.h"

#include <algorithm>
#include <cstring>

#include "../cpu.h"

namespace saywhen::rt {

namespace {

using BlockFn = void (*)(const SgemmBlock&);

BlockFn block_fn(SgemmIsa isa) {
  switch (isa) {
    case SgemmIsa::Avx512: return &sgemm_block_avx512;
    case SgemmIsa::Avx2: return &sgemm_block_avx2;
    case SgemmIsa::Ref: break;
  }
  return &sgemm_block_ref;
}

// Rows per micro-tile, so thread splits fall on tile boundaries.
int64_t rows_per_tile(SgemmIsa isa) {
  switch (isa) {
    case SgemmIsa::Avx512: return 12;
    case SgemmIsa::Avx2: return 6;
    case SgemmIsa::Ref: break;
  }
  return 4;
}

// B block (kc x nc) kept in L2 while every row tile of A sweeps it.
constexpr int64_t kL2BlockBytes = 512 * 1024;
// Below this many multiply-adds (~10 us on one core) waking a worker costs
// about as much as it saves.
constexpr int64_t kMinParallelMacs = 1 << 21;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// C = beta*C + biases, for K == 0.
void epilogue_only(const SgemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; ++i) {
    float* c = g.c + i * g.ldc;
    for (int64_t j = n0; j < n1; ++j) {
      float x = g.beta != 0.0f ? g.beta * c[j] : 0.0f;
      if (g.bias_n) x += g.bias_n[j];
      if (g.bias_m) x += g.bias_m[i];
      c[j] = x;
    }
  }
}

struct Split {
  int64_t tm = 1, tn = 1;  // tasks along M (in row tiles) and along N (in panels)
};

Split split_for(const SgemmArgs& g, int threads, int64_t tile_rows) {
  Split s;
  const int64_t units_m = ceil_div(g.M, tile_rows);
  const int64_t units_n = ceil_div(g.N, kSgemmNR);
  // Rows split evenly once there are a few tiles per thread (B panels are then
  // shared, A rows are not); otherwise columns, so no thread gets one thin tile.
  if (units_m >= 4 * threads) {
    s.tm = threads;
    return s;
  }
  s.tn = std::min<int64_t>(threads, units_n);
  s.tm = std::min<int64_t>(ceil_div(threads, s.tn), units_m);
  return s;
}

void range_of(int64_t index, int64_t parts, int64_t units, int64_t unit, int64_t limit, int64_t& b,
              int64_t& e) {
  const int64_t per = units / parts, extra = units % parts;
  const int64_t ub = index * per + std::min(index, extra);
  const int64_t ue = ub + per + (index < extra ? 1 : 0);
  b = std::min(limit, ub * unit);
  e = std::min(limit, ue * unit);
}

}  // namespace

int64_t sgemm_k_block(int64_t N, int64_t K) {
  // MLAS starts from 128 x 128 slices of (K, N) and trades one for the other:
  // a long K slice when N is narrow (N < K), a short one when K is small.
  int64_t kc = 128;
  if (N < K)
    for (int64_t sn = 128; sn > 16 && sn / 2 >= N; sn /= 2) kc *= 2;
  return kc;
}

bool sgemm_isa_supported(SgemmIsa isa) {
  switch (isa) {
    case SgemmIsa::Avx512: return cpu().avx512;
    case SgemmIsa::Avx2: return cpu().avx2;
    case SgemmIsa::Ref: return true;
  }
  return false;
}

SgemmIsa sgemm_default_isa() {
  static const SgemmIsa isa = cpu().avx512 ? SgemmIsa::Avx512 : cpu().avx2 ? SgemmIsa::Avx2 : SgemmIsa::Ref;
  return isa;
}

const char* sgemm_isa_name(SgemmIsa isa) {
  switch (isa) {
    case SgemmIsa::Avx512: return "avx512";
    case SgemmIsa::Avx2: return "avx2";
    case SgemmIsa::Ref: break;
  }
  return "ref";
}

void sgemm_pack_b(const float* b, int64_t ldb, bool trans_b, int64_t K, int64_t N, float* packed,
                  int64_t panel_begin, int64_t panel_end) {
  const int64_t panels = ceil_div(N, kSgemmNR);
  if (panel_end < 0 || panel_end > panels) panel_end = panels;
  for (int64_t p = panel_begin; p < panel_end; ++p) {
    float* dst = packed + p * K * kSgemmNR;
    const int64_t j0 = p * kSgemmNR;
    const int64_t cols = std::min(kSgemmNR, N - j0);
    if (!trans_b) {
      for (int64_t k = 0; k < K; ++k) {
        float* d = dst + k * kSgemmNR;
        std::memcpy(d, b + k * ldb + j0, static_cast<size_t>(cols) * sizeof(float));
        std::fill(d + cols, d + kSgemmNR, 0.0f);
      }
    } else {
      if (cols < kSgemmNR)
        for (int64_t k = 0; k < K; ++k) std::fill(dst + k * kSgemmNR + cols, dst + (k + 1) * kSgemmNR, 0.0f);
      // Row j of B^T is contiguous in k: read it straight, scatter at stride NR.
      for (int64_t jj = 0; jj < cols; ++jj) {
        const float* src = b + (j0 + jj) * ldb;
        for (int64_t k = 0; k < K; ++k) dst[k * kSgemmNR + jj] = src[k];
      }
    }
  }
}

void transpose_f32_ref(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * ldd + r] = src[r * lds + c];
}

void transpose_f32(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  if (sgemm_default_isa() == SgemmIsa::Avx512) return transpose_f32_avx512(src, lds, rows, cols, dst, ldd);
  transpose_f32_ref(src, lds, rows, cols, dst, ldd);
}

void sgemm_range(const SgemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1, SgemmIsa isa) {
  if (m0 >= m1 || n0 >= n1) return;
  if (g.K <= 0) {
    epilogue_only(g, m0, m1, n0, n1);
    return;
  }
  const BlockFn fn = block_fn(isa);
  const int64_t kc_step = std::min(g.K, g.kc > 0 ? g.kc : sgemm_k_block(g.N, g.K));
  const int64_t nc = std::max<int64_t>(1, kL2BlockBytes / (kc_step * kSgemmNR * 4)) * kSgemmNR;
  for (int64_t k0 = 0; k0 < g.K; k0 += kc_step) {
    const int64_t kc = std::min(kc_step, g.K - k0);
    for (int64_t j0 = n0; j0 < n1; j0 += nc) {
      SgemmBlock blk;
      blk.a = g.a + m0 * g.lda + k0;
      blk.lda = g.lda;
      if (g.b_packed) {
        blk.b = g.b + (j0 / kSgemmNR) * g.K * kSgemmNR + k0 * kSgemmNR;
        blk.ldb = kSgemmNR;
        blk.panel_stride = g.K * kSgemmNR;
      } else {
        blk.b = g.b + k0 * g.ldb + j0;
        blk.ldb = g.ldb;
        blk.panel_stride = kSgemmNR;
      }
      blk.b_padded = g.b_packed;
      blk.m = m1 - m0;
      blk.n = std::min(nc, n1 - j0);
      blk.kc = kc;
      blk.c = g.c + m0 * g.ldc + j0;
      blk.ldc = g.ldc;
      blk.alpha = g.alpha;
      blk.beta = g.beta;
      const bool with_bias = g.bias_after_sum ? k0 + kc >= g.K : k0 == 0;
      blk.bias_n = g.bias_n && with_bias ? g.bias_n + j0 : nullptr;
      blk.bias_m = g.bias_m && with_bias ? g.bias_m + m0 : nullptr;
      blk.first = k0 == 0;
      fn(blk);
    }
  }
}

void sgemm(const SgemmArgs& g, ThreadPool* pool, SgemmIsa isa) {
  if (g.M <= 0 || g.N <= 0) return;
  const int threads = pool ? pool->size() : 1;
  if (threads <= 1 || g.M * g.N * g.K < kMinParallelMacs) {
    sgemm_range(g, 0, g.M, 0, g.N, isa);
    return;
  }
  const int64_t tile = rows_per_tile(isa);
  const Split s = split_for(g, threads, tile);
  pool->parallel_for(s.tm * s.tn, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t m0, m1, n0, n1;
      range_of(t / s.tn, s.tm, ceil_div(g.M, tile), tile, g.M, m0, m1);
      range_of(t % s.tn, s.tn, ceil_div(g.N, kSgemmNR), kSgemmNR, g.N, n0, n1);
      sgemm_range(g, m0, m1, n0, n1, isa);
    }
  });
}

void sgemm_batch(const SgemmArgs& g, const SgemmBatchOffsets* offsets, int64_t count, ThreadPool* pool,
                 SgemmIsa isa) {
  if (g.M <= 0 || g.N <= 0 || count <= 0) return;
  auto one = [&](int64_t i) {
    SgemmArgs a = g;
    a.a += offsets[i].a;
    a.b += offsets[i].b;
    a.c += offsets[i].c;
    return a;
  };
  const int threads = pool ? pool->size() : 1;
  if (threads <= 1 || count * g.M * g.N * g.K < kMinParallelMacs) {
    for (int64_t i = 0; i < count; ++i) sgemm_range(one(i), 0, g.M, 0, g.N, isa);
    return;
  }
  if (count == 1) {
    sgemm(one(0), pool, isa);
    return;
  }
  // Whole products per task while there are enough of them; otherwise also split rows.
  const int64_t tile = rows_per_tile(isa);
  const int64_t per = std::min(ceil_div(g.M, tile), count >= threads ? 1 : ceil_div(threads, count));
  pool->parallel_for(count * per, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t m0, m1;
      range_of(t % per, per, ceil_div(g.M, tile), tile, g.M, m0, m1);
      sgemm_range(one(t / per), m0, m1, 0, g.N, isa);
    }
  });
}

}  // namespace saywhen::rt
