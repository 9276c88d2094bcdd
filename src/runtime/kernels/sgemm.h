// fp32 GEMM in the MLAS style: one interface, per-ISA micro-kernels chosen at
// run time (sgemm_ref.cpp, sgemm_avx2.cpp, sgemm_avx512.cpp), driver in sgemm.cpp.
//
//   C[M,N] = alpha * A[M,K] * B[K,N] + beta * C + bias_n[N] (per column) + bias_m[M] (per row)
//
// A is read in place (row-major, any row stride): the micro-kernels broadcast its
// elements, so packing A would buy little. B is read in column panels of
// kSgemmNR; it is either a plain row-major matrix or, better when it is reused
// (constant weights, large M), pre-packed by sgemm_pack_b into contiguous panels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "../thread_pool.h"

namespace saywhen::rt {

// Columns per B panel. Every ISA uses the same packed layout, so packed weights
// never depend on which micro-kernel later reads them.
inline constexpr int64_t kSgemmNR = 32;

enum class SgemmIsa { Ref, Avx2, Avx512 };
// The best variant this CPU supports (honours SAYWHEN_ISA).
SgemmIsa sgemm_default_isa();
bool sgemm_isa_supported(SgemmIsa isa);
const char* sgemm_isa_name(SgemmIsa isa);

// Packed B: panel p holds columns [p*NR, p*NR+NR) as K rows of NR floats,
// zero-padded past N. Panels are consecutive.
inline int64_t sgemm_packed_b_floats(int64_t K, int64_t N) {
  return (N + kSgemmNR - 1) / kSgemmNR * kSgemmNR * K;
}
// B(k, n) = b[k*ldb + n], or b[n*ldb + k] when trans_b. Packs panels
// [panel_begin, panel_end); the whole matrix when both are defaulted.
void sgemm_pack_b(const float* b, int64_t ldb, bool trans_b, int64_t K, int64_t N, float* packed,
                  int64_t panel_begin = 0, int64_t panel_end = -1);

// 64-byte aligned floats for packed weights: a B panel row is two cache lines,
// and a misaligned one would split every vector load.
class AlignedFloats {
 public:
  AlignedFloats() = default;
  explicit AlignedFloats(int64_t n)
      : p_(n > 0 ? static_cast<float*>(::operator new[](static_cast<size_t>(n) * sizeof(float),
                                                         std::align_val_t{64}))
                 : nullptr),
        n_(n > 0 ? n : 0) {}
  float* data() { return p_.get(); }
  const float* data() const { return p_.get(); }
  int64_t size() const { return n_; }

 private:
  struct Free {
    void operator()(float* p) const { ::operator delete[](p, std::align_val_t{64}); }
  };
  std::unique_ptr<float, Free> p_;
  int64_t n_ = 0;
};

struct SgemmArgs {
  int64_t M = 0, N = 0, K = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  const float* b = nullptr;  // row-major K x N with row stride ldb, or packed
  int64_t ldb = 0;
  bool b_packed = false;     // b came from sgemm_pack_b (ldb ignored)
  float* c = nullptr;
  int64_t ldc = 0;
  float alpha = 1.0f;
  float beta = 0.0f;         // 0: C is write-only (may hold garbage or NaN)
  const float* bias_n = nullptr;
  const float* bias_m = nullptr;
  // K per block; 0 takes sgemm_k_block(N, K). Blocks fix where the sums round,
  // so choosing them as MLAS does gives ONNX Runtime's bits.
  int64_t kc = 0;
  // Add the biases to the whole sum, as MatMul-then-Add and MLAS's convolution
  // do, instead of to the first K block's partial sums, as a GEMM whose C
  // holds them does. The same bits whenever K is one block.
  bool bias_after_sum = false;
};

// K per block for an N-column product with B as given (not pre-packed), as
// MLAS's MlasSgemmOperation steps through K: 128, or more when N is small.
int64_t sgemm_k_block(int64_t N, int64_t K);
// ... and with B pre-packed (constant weights in ONNX Runtime's MatMul/Gemm).
inline constexpr int64_t kSgemmPackedKBlock = 256;

// Computes rows [m_begin, m_end) x columns [n_begin, n_end) of C on the calling
// thread. n_begin must be a multiple of kSgemmNR.
void sgemm_range(const SgemmArgs& args, int64_t m_begin, int64_t m_end, int64_t n_begin,
                 int64_t n_end, SgemmIsa isa);

// The whole product, split over the pool when it is big enough to pay for it.
void sgemm(const SgemmArgs& args, ThreadPool* pool, SgemmIsa isa = sgemm_default_isa());

// dst[c * ldd + r] = src[r * lds + c] for a rows x cols src: a B^T that a
// product reads as a row-major B.
void transpose_f32(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd);

// Many products sharing M/N/K/leading dimensions, each at its own offsets (in
// floats) from args.a / args.b / args.c; one parallel_for over all of them.
struct SgemmBatchOffsets {
  int64_t a = 0, b = 0, c = 0;
};
void sgemm_batch(const SgemmArgs& args, const SgemmBatchOffsets* offsets, int64_t count,
                 ThreadPool* pool, SgemmIsa isa = sgemm_default_isa());

// ---- internal: what each ISA file provides --------------------------------

// One K block of C[m x n] (+)= A[m x kc] * B[kc x n], with B(k, j) at
// b[k*ldb + (j / NR) * panel_stride + j % NR]. `first` applies alpha and beta;
// later blocks add alpha * A*B to C. Biases, where given (on the first or the
// last block), are added after that.
struct SgemmBlock {
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  int64_t panel_stride;
  bool b_padded;  // panels hold NR readable floats per row (packed B)
  int64_t m, n, kc;
  float* c;
  int64_t ldc;
  float alpha, beta;
  const float* bias_n;  // already offset to this block's first column
  const float* bias_m;  // already offset to this block's first row
  bool first;
};

void sgemm_block_ref(const SgemmBlock& blk);
void sgemm_block_avx2(const SgemmBlock& blk);
void sgemm_block_avx512(const SgemmBlock& blk);
void transpose_f32_avx512(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd);
void transpose_f32_ref(const float* src, int64_t lds, int64_t rows, int64_t cols, float* dst, int64_t ldd);

}  // namespace saywhen::rt
