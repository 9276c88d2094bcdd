// Integer GEMM layer for the quantized ops (the MLAS pattern: one interface,
// one implementation per ISA in qgemm_<isa>.cpp, selected at run time).
//
//   C[m,n] = sum_k A[m,k] * B[k,n] + col_off[n] - row_sum[m] * b_zp[n]
//
// A is uint8 (row-major, any leading dimension). B is int8, packed once into
// the layout the chosen ISA's micro-kernel streams; uint8 B is packed as
// B - 128 so the same u8 x s8 kernels serve it (the caller moves its zero point
// by -128). Zero points enter only through col_off / b_zp / row_sum, which the
// caller prepares (usually at plan time), so the inner loops are pure dot
// products:
//   (a - za)(b - zb) = a.b - za.colsum(b) - zb.rowsum(a) + K.za.zb
//
// The result is stored as int32, or requantized exactly the way ONNX Runtime's
// MLAS does it (the reference for this project's models):
//   y = clamp(nearbyint(float(C) * scale[n]), lo - zp, hi - zp) + zp
// with the product and the clamp in float and round-half-to-even, or
// dequantized to float as the unfused MatMulInteger -> Cast -> Mul -> Add
// chain computes it: y = float(C) * dq_scale[n] + dq_bias[n] (two roundings,
// no fused multiply-add).
#pragma once

#include <cstddef>
#include <cstdint>

namespace saywhen::rt {

enum class QIsa { Ref, Avx2, Avx512Vnni, Amx };  // Amx packs B as Avx512Vnni does

const char* qgemm_isa_name(QIsa isa);
bool qgemm_isa_available(QIsa isa);
QIsa qgemm_best_isa();  // what cpu() allows (SAYWHEN_ISA caps it)

// Bytes of packed B for a K x N matrix (64-byte multiple).
size_t qgemm_packed_b_bytes(QIsa isa, int64_t K, int64_t N);

// Packs B, whose element (k, n) is at B[k * stride_k + n * stride_n] (so B or
// B^T packs without a copy). b_unsigned: elements are uint8 and are stored as
// b - 128. col_sums (N entries, may be null) receives sum_k of the stored
// (signed) values.
void qgemm_pack_b(QIsa isa, const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t stride_k,
                  int64_t stride_n, void* packed, int32_t* col_sums);

// Columns are processed in blocks of this many; parallel callers split N on
// multiples of it.
int64_t qgemm_n_block(QIsa isa);

struct QGemmArgs {
  int64_t M = 0, N = 0, K = 0;
  const uint8_t* A = nullptr;
  int64_t lda = 0;
  const void* packed_b = nullptr;  // from qgemm_pack_b with the same isa, K, N
  const int32_t* col_off = nullptr;  // [N], required
  const int32_t* b_zp = nullptr;     // [N] or null when every B zero point is 0
  const int32_t* row_sum = nullptr;  // [M] (sum_k A[m,k]), required with b_zp

  // Output: float when dq_scale is set, else requantized 8-bit when scale is
  // set, else int32.
  const float* dq_scale = nullptr;  // [N]
  const float* dq_bias = nullptr;   // [N] or null
  const float* dq_addend = nullptr;  // laid out as C (ldc) or null: added last, a residual Add fused in
  const float* scale = nullptr;  // [N]
  int32_t y_zp = 0;
  bool y_signed = false;
  void* C = nullptr;
  int64_t ldc = 0;  // in elements
};

// Computes rows [m0, m1) and columns [n0, n1) of C; n0 must be a multiple of
// qgemm_n_block(isa) and n1 one too or N.
void qgemm_run(QIsa isa, const QGemmArgs& args, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

// The smallest and largest of x[0..n), NaNs skipped; both start at 0 (the
// range DynamicQuantizeLinear needs always holds 0).
void min_max_with_zero(const float* x, int64_t n, float* lo, float* hi);

// row_sum[m] = sum_k A[m, k].
void qgemm_row_sums(const uint8_t* A, int64_t lda, int64_t M, int64_t K, int32_t* row_sum);

inline int32_t qgemm_requant_lo(bool y_signed) { return y_signed ? -128 : 0; }
inline int32_t qgemm_requant_hi(bool y_signed) { return y_signed ? 127 : 255; }

// Elementwise conversions with one scale and zero point, computed the way ONNX
// Runtime does (the parity reference):
//   quantize:   q = clamp(x / scale, lo - zp, hi - zp) -> round half to even -> + zp
//               (true division; NaN becomes lo)
//   dequantize: x = float(q - zp) * scale
enum class QType { U8, S8, U16, S16, S32 };
void quantize_linear(const float* x, void* y, QType type, int64_t n, float scale, int32_t zp);
// quantize_linear to uint8 for DynamicQuantizeLinear: every x (NaNs aside)
// lies within the range [lo, hi] that gave scale = (hi - lo) / 255, which
// lets the fast path skip the clamp. The same bytes.
void quantize_u8_in_range(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp);
void dequantize_linear(const void* x, QType type, float* y, int64_t n, float scale, int32_t zp);

// One row of the QLinearSoftmax output (see saywhen.QSoftmax): for each x,
// y = min(255, nearbyint(double(table[x]) * y_scale / sum) + y_zp), the
// product and quotient in double as ONNX Runtime forms them.
// table[0..255] must be readable (finite) even for values x never takes.
void qsoftmax_output_u8(const uint8_t* x, int64_t n, const float* table, float y_scale, float sum, int32_t y_zp,
                        uint8_t* y);

// y[i] = table[x[i]] for a 256-entry byte table.
void lut_apply_u8(const uint8_t* x, int64_t n, const uint8_t* table, uint8_t* y);

namespace qgemm_detail {
size_t packed_bytes_ref(int64_t K, int64_t N);
void pack_ref(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn, void* packed,
              int32_t* col_sums);
void gemm_ref(const QGemmArgs& a, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

size_t packed_bytes_avx2(int64_t K, int64_t N);
void pack_avx2(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn, void* packed,
               int32_t* col_sums);
void gemm_avx2(const QGemmArgs& a, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

size_t packed_bytes_avx512(int64_t K, int64_t N);
void pack_avx512(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn, void* packed,
                 int32_t* col_sums);
void qsoftmax_output_u8_vbmi(const uint8_t* x, int64_t n, const float* table, float y_scale, float sum,
                             int32_t y_zp, uint8_t* y);
void lut_apply_u8_vbmi(const uint8_t* x, int64_t n, const uint8_t* table, uint8_t* y);
void qsoftmax_output_u8_avx512(const uint8_t* x, int64_t n, const float* table, float y_scale, float sum,
                               int32_t y_zp, uint8_t* y);
void row_sums_avx512(const uint8_t* A, int64_t lda, int64_t M, int64_t K, int32_t* row_sum);

void min_max_with_zero_avx512(const float* x, int64_t n, float* lo, float* hi);
void quantize_u8_avx512(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp, bool is_signed);
void quantize_u8_in_range_avx512(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp);
void dequantize_u8_avx512(const uint8_t* x, float* y, int64_t n, float scale, int32_t zp, bool is_signed);

// Portable column sums of B as stored (for the packers without a fast path).
void col_sums_generic(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn,
                      int32_t* col_sums);
void gemm_avx512(const QGemmArgs& a, int64_t m0, int64_t m1, int64_t n0, int64_t n1);
// The VNNI kernel's output stage, for the AMX kernel: rows [m, m + rows) of
// the dot products in acc (rows of 64 int32), columns [n0, n0 + 16 * nv).
void store_rows_avx512(const QGemmArgs& g, const int32_t* acc, int64_t m, int64_t rows, int64_t n0, int nv);
void gemm_amx(const QGemmArgs& a, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

// Element (k, n) of B as the kernels store it (signed).
inline int8_t load_b(const void* B, bool b_unsigned, int64_t idx) {
  return b_unsigned ? static_cast<int8_t>(static_cast<const uint8_t*>(B)[idx] ^ 0x80)
                    : static_cast<const int8_t*>(B)[idx];
}
}  // namespace qgemm_detail

}  // namespace saywhen::rt
