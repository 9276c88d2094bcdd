// Every sgemm ISA variant against a double-precision reference on odd shapes,
// strides, packed and plain B, alpha/beta/bias, K blocking and thread splits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "runtime/kernels/sgemm.h"
#include "runtime/thread_pool.h"

namespace {

using saywhen::rt::SgemmArgs;
using saywhen::rt::SgemmIsa;

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

struct Case {
  int64_t M, N, K;
  bool packed = true;
  bool trans_b = false;
  float alpha = 1.0f, beta = 0.0f;
  bool bias_n = false, bias_m = false;
  int64_t pad = 0;  // extra elements per row of A, B and C
  int threads = 1;
};

std::string describe(const Case& c, SgemmIsa isa) {
  return std::string(saywhen::rt::sgemm_isa_name(isa)) + " M=" + std::to_string(c.M) + " N=" +
         std::to_string(c.N) + " K=" + std::to_string(c.K) + (c.packed ? " packed" : " plain") +
         (c.trans_b ? " transB" : "") + " alpha=" + std::to_string(c.alpha) + " beta=" + std::to_string(c.beta) +
         (c.bias_n ? " bias_n" : "") + (c.bias_m ? " bias_m" : "") + " pad=" + std::to_string(c.pad) +
         " threads=" + std::to_string(c.threads);
}

void check(const Case& c, SgemmIsa isa) {
  SCOPED_TRACE(describe(c, isa));
  std::mt19937 rng(static_cast<unsigned>(c.M * 131 + c.N * 17 + c.K));
  const int64_t lda = c.K + c.pad;
  const int64_t ldb = (c.trans_b ? c.K : c.N) + c.pad;
  const int64_t ldc = c.N + c.pad;
  auto a = random_floats(static_cast<size_t>(c.M * lda), rng);
  auto b = random_floats(static_cast<size_t>((c.trans_b ? c.N : c.K) * ldb), rng);
  auto c0 = random_floats(static_cast<size_t>(c.M * ldc), rng);
  auto bn = random_floats(static_cast<size_t>(c.N), rng);
  auto bm = random_floats(static_cast<size_t>(c.M), rng);
  // Beta 0 must not read C: poison it.
  if (c.beta == 0.0f)
    for (auto& x : c0) x = std::nanf("");
  auto bat = [&](int64_t k, int64_t n) { return c.trans_b ? b[static_cast<size_t>(n * ldb + k)] : b[static_cast<size_t>(k * ldb + n)]; };

  std::vector<float> packed;
  SgemmArgs g;
  g.M = c.M;
  g.N = c.N;
  g.K = c.K;
  g.a = a.data();
  g.lda = lda;
  if (c.packed) {
    packed.assign(static_cast<size_t>(saywhen::rt::sgemm_packed_b_floats(c.K, c.N)), -7.0f);
    saywhen::rt::sgemm_pack_b(b.data(), ldb, c.trans_b, c.K, c.N, packed.data());
    g.b = packed.data();
    g.b_packed = true;
  } else {
    g.b = b.data();
    g.ldb = ldb;
  }
  auto out = c0;
  g.c = out.data();
  g.ldc = ldc;
  g.alpha = c.alpha;
  g.beta = c.beta;
  g.bias_n = c.bias_n ? bn.data() : nullptr;
  g.bias_m = c.bias_m ? bm.data() : nullptr;
  saywhen::rt::ThreadPool pool(c.threads);
  saywhen::rt::sgemm(g, &pool, isa);

  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const float got = out[static_cast<size_t>(i * ldc + j)];
      const float old = c0[static_cast<size_t>(i * ldc + j)];
      if (j >= c.N) {  // row padding is never written
        ASSERT_TRUE(std::isnan(old) ? std::isnan(got) : got == old) << "row " << i << " pad col " << j;
        continue;
      }
      double s = 0, mag = 0;
      for (int64_t k = 0; k < c.K; ++k) {
        const double p = static_cast<double>(a[static_cast<size_t>(i * lda + k)]) * bat(k, j);
        s += p;
        mag += std::fabs(p);
      }
      double want = c.alpha * s;
      if (c.beta != 0.0f) want += static_cast<double>(c.beta) * old;
      if (c.bias_n) want += bn[static_cast<size_t>(j)];
      if (c.bias_m) want += bm[static_cast<size_t>(i)];
      // Worst-case float summation error for K terms, plus rounding of the epilogue.
      const double tol = (static_cast<double>(c.K) + 4.0) * 1.2e-7 * std::fabs(c.alpha) * mag + 1e-5 * (std::fabs(want) + 2.0);
      ASSERT_NEAR(got, want, tol) << "at (" << i << ", " << j << ")";
    }
  }
}

std::vector<SgemmIsa> isas() {
  std::vector<SgemmIsa> v;
  for (SgemmIsa isa : {SgemmIsa::Ref, SgemmIsa::Avx2, SgemmIsa::Avx512})
    if (saywhen::rt::sgemm_isa_supported(isa)) v.push_back(isa);
  return v;
}

TEST(Sgemm, OddShapes) {
  const int64_t dims[] = {1, 7, 33, 400};
  for (SgemmIsa isa : isas())
    for (int64_t M : dims)
      for (int64_t N : dims)
        for (int64_t K : dims)
          for (bool packed : {true, false}) {
            Case c{M, N, K};
            c.packed = packed;
            check(c, isa);
            if (HasFatalFailure()) return;
          }
}

TEST(Sgemm, TileEdges) {
  // Around the micro-tile sizes (4, 6, 12 rows; 8, 16, 32 columns).
  const int64_t ms[] = {2, 5, 6, 11, 12, 13, 24, 25};
  const int64_t ns[] = {8, 9, 15, 16, 17, 31, 32, 48, 63, 65};
  for (SgemmIsa isa : isas())
    for (int64_t M : ms)
      for (int64_t N : ns)
        for (bool packed : {true, false}) {
          Case c{M, N, 19};
          c.packed = packed;
          check(c, isa);
          if (HasFatalFailure()) return;
        }
}

TEST(Sgemm, EpilogueAndStrides) {
  for (SgemmIsa isa : isas())
    for (bool packed : {true, false})
      for (int64_t K : {0, 5, 300, 1000}) {  // 1000 spans several K blocks
        Case c{37, 70, K};
        c.packed = packed;
        c.alpha = 0.5f;
        c.beta = -1.25f;
        c.bias_n = true;
        c.bias_m = true;
        c.pad = 3;
        check(c, isa);
        c.beta = 0.0f;
        c.alpha = 2.0f;
        c.bias_m = false;
        check(c, isa);
        c.beta = 1.0f;
        c.bias_n = false;
        check(c, isa);
        if (HasFatalFailure()) return;
      }
}

// The FMA variants sum each output in MLAS's order, which is what makes
// saywhen's float products ONNX Runtime's bits (tests/parity): within a K block
// one fused multiply-add after another in k order, blocks of sgemm_k_block(N, K)
// (or args.kc) added to C, biases added to the first block or, with
// bias_after_sum, to the whole sum. Checked bit for bit against that order
// written out in scalar code, on every tile shape (rows 1..12, short panels).
TEST(Sgemm, SumsInMlasOrder) {
  EXPECT_EQ(saywhen::rt::sgemm_k_block(400, 64), 128);    // N >= K
  EXPECT_EQ(saywhen::rt::sgemm_k_block(800, 1152), 128);  // wide N: 128 rows of K
  EXPECT_EQ(saywhen::rt::sgemm_k_block(64, 400), 256);    // narrow N: longer K blocks
  EXPECT_EQ(saywhen::rt::sgemm_k_block(20, 400), 512);
  EXPECT_EQ(saywhen::rt::sgemm_k_block(3, 5000), 1024);
  for (SgemmIsa isa : {SgemmIsa::Avx2, SgemmIsa::Avx512}) {
    if (!saywhen::rt::sgemm_isa_supported(isa)) continue;
    for (auto [M, N, K, kc] : {std::tuple<int64_t, int64_t, int64_t, int64_t>{25, 400, 64, 0}, {13, 64, 400, 0},
                               {7, 200, 1152, 0}, {12, 48, 700, 256}, {3, 17, 300, 0}}) {
      for (bool after : {false, true}) {
        SCOPED_TRACE(std::string(saywhen::rt::sgemm_isa_name(isa)) + " M=" + std::to_string(M) + " N=" +
                     std::to_string(N) + " K=" + std::to_string(K) + (after ? " bias after sum" : ""));
        std::mt19937 rng(static_cast<unsigned>(M + N + K));
        auto a = random_floats(static_cast<size_t>(M * K), rng), b = random_floats(static_cast<size_t>(K * N), rng);
        auto bias = random_floats(static_cast<size_t>(N), rng);
        std::vector<float> c(static_cast<size_t>(M * N));
        SgemmArgs g;
        g.M = M, g.N = N, g.K = K, g.a = a.data(), g.lda = K, g.b = b.data(), g.ldb = N, g.c = c.data(), g.ldc = N;
        g.bias_n = bias.data();
        g.kc = kc;
        g.bias_after_sum = after;
        saywhen::rt::sgemm(g, nullptr, isa);
        const int64_t step = kc > 0 ? kc : saywhen::rt::sgemm_k_block(N, K);
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) {
            float want = 0.0f;
            for (int64_t k0 = 0; k0 < K; k0 += step) {
              float block = 0.0f;
              for (int64_t k = k0; k < std::min(K, k0 + step); ++k)
                block = std::fma(a[static_cast<size_t>(i * K + k)], b[static_cast<size_t>(k * N + j)], block);
              want = k0 == 0 ? block : block + want;
              if (k0 == 0 && !after) want += bias[static_cast<size_t>(j)];
            }
            if (after) want += bias[static_cast<size_t>(j)];
            ASSERT_EQ(c[static_cast<size_t>(i * N + j)], want) << "at (" << i << ", " << j << ")";
          }
      }
    }
  }
}

TEST(Sgemm, TransposedPack) {
  for (SgemmIsa isa : isas())
    for (int64_t N : {1, 33, 100}) {
      Case c{9, N, 41};
      c.trans_b = true;
      c.pad = 2;
      check(c, isa);
      if (HasFatalFailure()) return;
    }
}

TEST(Sgemm, Threads) {
  for (SgemmIsa isa : isas())
    for (int threads : {2, 3})
      // Each is big enough to be split (>= 2M multiply-adds): over rows, over
      // columns when there are too few row tiles, and both.
      for (auto [M, N, K] : {std::tuple<int64_t, int64_t, int64_t>{400, 384, 384}, {5, 4000, 300},
                             {401, 33, 1537}, {1, 40000, 64}, {13, 700, 300}}) {
        Case c{M, N, K};
        c.threads = threads;
        c.bias_n = true;
        check(c, isa);
        c.packed = false;
        check(c, isa);
        if (HasFatalFailure()) return;
      }
}

TEST(Sgemm, Batch) {
  const int64_t count = 7, M = 61, N = 77, K = 130;  // > 2M multiply-adds: threaded
  std::mt19937 rng(7);
  auto a = random_floats(static_cast<size_t>(count * M * K), rng);
  auto b = random_floats(static_cast<size_t>(K * N), rng);  // shared by every product
  for (SgemmIsa isa : isas())
    for (int threads : {1, 2, 8}) {
      std::vector<float> c(static_cast<size_t>(count * M * N), std::nanf(""));
      std::vector<saywhen::rt::SgemmBatchOffsets> offs;
      for (int64_t i = 0; i < count; ++i) offs.push_back({i * M * K, 0, i * M * N});
      SgemmArgs g;
      g.M = M;
      g.N = N;
      g.K = K;
      g.a = a.data();
      g.lda = K;
      g.b = b.data();
      g.ldb = N;
      g.c = c.data();
      g.ldc = N;
      saywhen::rt::ThreadPool pool(threads);
      saywhen::rt::sgemm_batch(g, offs.data(), count, &pool, isa);
      for (int64_t t = 0; t < count; ++t)
        for (int64_t i = 0; i < M; ++i)
          for (int64_t j = 0; j < N; ++j) {
            double s = 0;
            for (int64_t k = 0; k < K; ++k)
              s += static_cast<double>(a[static_cast<size_t>((t * M + i) * K + k)]) * b[static_cast<size_t>(k * N + j)];
            ASSERT_NEAR(c[static_cast<size_t>((t * M + i) * N + j)], s, 1e-4)
                << saywhen::rt::sgemm_isa_name(isa) << " threads " << threads << " product " << t;
          }
    }
}

// transpose_f32 (saywhen.Attention's K^T): whole 16 x 16 blocks and every kind
// of ragged edge, with leading dimensions larger than the rows.
TEST(Sgemm, Transpose) {
  for (int64_t rows : {1, 7, 16, 17, 33, 64, 128})
    for (int64_t cols : {1, 5, 16, 31, 48}) {
      const int64_t lds = cols + 3, ldd = rows + 5;
      std::vector<float> src(static_cast<size_t>(rows * lds)), dst(static_cast<size_t>(cols * ldd), -1.0f);
      for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<float>(i);
      saywhen::rt::transpose_f32(src.data(), lds, rows, cols, dst.data(), ldd);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          ASSERT_EQ(dst[static_cast<size_t>(c * ldd + r)], src[static_cast<size_t>(r * lds + c)])
              << rows << "x" << cols << " at " << r << "," << c;
      for (int64_t c = 0; c < cols; ++c)  // nothing past a row of the destination
        for (int64_t r = rows; r < ldd; ++r) ASSERT_EQ(dst[static_cast<size_t>(c * ldd + r)], -1.0f);
    }
}

}  // namespace
