// Portable reference path of the int8 GEMM and the ISA dispatch (kept in a file
// built without ISA flags, so the dispatcher itself runs on any x86-64).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "../cpu.h"
#include "qgemm.h"

namespace saywhen::rt {

const char* qgemm_isa_name(QIsa isa) {
  switch (isa) {
    case QIsa::Ref: return "ref";
    case QIsa::Avx2: return "avx2";
    case QIsa::Avx512Vnni: return "avx512vnni";
    case QIsa::Amx: return "amx";
  }
  return "?";
}

bool qgemm_isa_available(QIsa isa) {
  switch (isa) {
    case QIsa::Ref: return true;
    case QIsa::Avx2: return cpu().avx2;
    case QIsa::Avx512Vnni: return cpu().avx512_vnni;
    case QIsa::Amx: return cpu().avx512_vnni && cpu().amx_int8;
  }
  return false;
}

QIsa qgemm_best_isa() {
  if (cpu().avx512_vnni && cpu().amx_int8) return QIsa::Amx;
  if (cpu().avx512_vnni) return QIsa::Avx512Vnni;
  if (cpu().avx2) return QIsa::Avx2;
  return QIsa::Ref;
}

size_t qgemm_packed_b_bytes(QIsa isa, int64_t K, int64_t N) {
  switch (isa) {
    case QIsa::Avx2: return qgemm_detail::packed_bytes_avx2(K, N);
    case QIsa::Avx512Vnni:
    case QIsa::Amx: return qgemm_detail::packed_bytes_avx512(K, N);
    default: return qgemm_detail::packed_bytes_ref(K, N);
  }
}

int64_t qgemm_n_block(QIsa isa) {
  switch (isa) {
    case QIsa::Avx2: return 24;
    case QIsa::Avx512Vnni:
    case QIsa::Amx: return 64;
    default: return 16;
  }
}

void qgemm_pack_b(QIsa isa, const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t stride_k,
                  int64_t stride_n, void* packed, int32_t* col_sums) {
  switch (isa) {
    case QIsa::Avx2: qgemm_detail::pack_avx2(B, b_unsigned, K, N, stride_k, stride_n, packed, col_sums); break;
    case QIsa::Avx512Vnni:
    case QIsa::Amx:
      qgemm_detail::pack_avx512(B, b_unsigned, K, N, stride_k, stride_n, packed, col_sums);
      break;
    default: qgemm_detail::pack_ref(B, b_unsigned, K, N, stride_k, stride_n, packed, col_sums); break;
  }
}

void qgemm_run(QIsa isa, const QGemmArgs& args, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  switch (isa) {
    case QIsa::Avx2: qgemm_detail::gemm_avx2(args, m0, m1, n0, n1); break;
    case QIsa::Avx512Vnni: qgemm_detail::gemm_avx512(args, m0, m1, n0, n1); break;
    case QIsa::Amx: qgemm_detail::gemm_amx(args, m0, m1, n0, n1); break;
    default: qgemm_detail::gemm_ref(args, m0, m1, n0, n1); break;
  }
}

void min_max_with_zero(const float* x, int64_t n, float* lo, float* hi) {
  if (cpu().avx512) return qgemm_detail::min_max_with_zero_avx512(x, n, lo, hi);
  float l = 0, h = 0;
  for (int64_t i = 0; i < n; ++i) {
    l = std::min(l, x[i]);
    h = std::max(h, x[i]);
  }
  *lo = l;
  *hi = h;
}

void qgemm_row_sums(const uint8_t* A, int64_t lda, int64_t M, int64_t K, int32_t* row_sum) {
  if (cpu().avx512) return qgemm_detail::row_sums_avx512(A, lda, M, K, row_sum);
  for (int64_t m = 0; m < M; ++m) {
    const uint8_t* a = A + m * lda;
    uint32_t s = 0;
    for (int64_t k = 0; k < K; ++k) s += a[k];
    row_sum[m] = static_cast<int32_t>(s);
  }
}

namespace {

template <class T>
void quantize_scalar(const float* x, T* y, int64_t n, float scale, int32_t zp, int32_t qlo, int32_t qhi) {
  const float lo = static_cast<float>(qlo - zp), hi = static_cast<float>(qhi - zp);
  for (int64_t i = 0; i < n; ++i) {
    float f = x[i] / scale;
    f = f > lo ? f : lo;  // the operand order of maxps/minps: NaN -> lo
    f = f < hi ? f : hi;
    y[i] = static_cast<T>(static_cast<int32_t>(std::nearbyint(f)) + zp);
  }
}

template <class T>
void dequantize_scalar(const T* x, float* y, int64_t n, float scale, int32_t zp) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = static_cast<float>(static_cast<int64_t>(x[i]) - zp) * scale;
}

}  // namespace

void quantize_u8_in_range(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp) {
  if (cpu().avx512) return qgemm_detail::quantize_u8_in_range_avx512(x, y, n, scale, zp);
  quantize_linear(x, y, QType::U8, n, scale, zp);
}

void quantize_linear(const float* x, void* y, QType type, int64_t n, float scale, int32_t zp) {
  switch (type) {
    case QType::U8:
      if (cpu().avx512) return qgemm_detail::quantize_u8_avx512(x, static_cast<uint8_t*>(y), n, scale, zp, false);
      return quantize_scalar(x, static_cast<uint8_t*>(y), n, scale, zp, 0, 255);
    case QType::S8:
      if (cpu().avx512)
        return qgemm_detail::quantize_u8_avx512(x, static_cast<uint8_t*>(y), n, scale, zp, true);
      return quantize_scalar(x, static_cast<int8_t*>(y), n, scale, zp, -128, 127);
    case QType::U16: return quantize_scalar(x, static_cast<uint16_t*>(y), n, scale, zp, 0, 65535);
    case QType::S16: return quantize_scalar(x, static_cast<int16_t*>(y), n, scale, zp, -32768, 32767);
    case QType::S32: {
      // float -> int32 saturation needs care at the ends of the range.
      int32_t* out = static_cast<int32_t*>(y);
      for (int64_t i = 0; i < n; ++i) {
        const double f = std::nearbyint(static_cast<double>(x[i] / scale)) + zp;
        out[i] = std::isnan(f) ? 0 : static_cast<int32_t>(std::min(2147483647.0, std::max(-2147483648.0, f)));
      }
      return;
    }
  }
}

void dequantize_linear(const void* x, QType type, float* y, int64_t n, float scale, int32_t zp) {
  switch (type) {
    case QType::U8:
      if (cpu().avx512) return qgemm_detail::dequantize_u8_avx512(static_cast<const uint8_t*>(x), y, n, scale, zp, false);
      return dequantize_scalar(static_cast<const uint8_t*>(x), y, n, scale, zp);
    case QType::S8:
      if (cpu().avx512) return qgemm_detail::dequantize_u8_avx512(static_cast<const uint8_t*>(x), y, n, scale, zp, true);
      return dequantize_scalar(static_cast<const int8_t*>(x), y, n, scale, zp);
    case QType::U16: return dequantize_scalar(static_cast<const uint16_t*>(x), y, n, scale, zp);
    case QType::S16: return dequantize_scalar(static_cast<const int16_t*>(x), y, n, scale, zp);
    case QType::S32: return dequantize_scalar(static_cast<const int32_t*>(x), y, n, scale, zp);
  }
}

static bool has_vbmi() {
  static const bool v = cpu().avx512 && __builtin_cpu_supports("avx512vbmi");
  return v;
}

void lut_apply_u8(const uint8_t* x, int64_t n, const uint8_t* table, uint8_t* y) {
  if (has_vbmi()) return qgemm_detail::lut_apply_u8_vbmi(x, n, table, y);
  for (int64_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

void qsoftmax_output_u8(const uint8_t* x, int64_t n, const float* table, float y_scale, float sum, int32_t y_zp,
                        uint8_t* y) {
  if (has_vbmi()) return qgemm_detail::qsoftmax_output_u8_vbmi(x, n, table, y_scale, sum, y_zp, y);
  if (cpu().avx512) return qgemm_detail::qsoftmax_output_u8_avx512(x, n, table, y_scale, sum, y_zp, y);
  for (int64_t i = 0; i < n; ++i) {
    const double q = static_cast<double>(table[x[i]]) * static_cast<double>(y_scale) / static_cast<double>(sum);
    const uint32_t v = static_cast<uint32_t>(std::nearbyint(q)) + static_cast<uint32_t>(y_zp);
    y[i] = static_cast<uint8_t>(v > 255 ? 255 : v);
  }
}

namespace qgemm_detail {

size_t packed_bytes_ref(int64_t K, int64_t N) {
  return (static_cast<size_t>(K * N) + 63) & ~size_t{63};
}

void col_sums_generic(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn,
                      int32_t* col_sums) {
  if (!col_sums) return;
  std::fill(col_sums, col_sums + N, 0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) col_sums[n] += load_b(B, b_unsigned, k * sk + n * sn);
}

void pack_ref(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn, void* packed,
              int32_t* col_sums) {
  int8_t* dst = static_cast<int8_t*>(packed);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) dst[k * N + n] = load_b(B, b_unsigned, k * sk + n * sn);
  col_sums_generic(B, b_unsigned, K, N, sk, sn, col_sums);
}

void gemm_ref(const QGemmArgs& a, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int8_t* B = static_cast<const int8_t*>(a.packed_b);
  n1 = std::min(n1, a.N);
  const float lo = static_cast<float>(qgemm_requant_lo(a.y_signed) - a.y_zp);
  const float hi = static_cast<float>(qgemm_requant_hi(a.y_signed) - a.y_zp);
  for (int64_t m = m0; m < m1; ++m) {
    const uint8_t* arow = a.A + m * a.lda;
    for (int64_t n = n0; n < n1; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < a.K; ++k) acc += static_cast<int32_t>(arow[k]) * B[k * a.N + n];
      acc += a.col_off[n];
      if (a.b_zp) acc -= a.row_sum[m] * a.b_zp[n];
      if (a.dq_scale) {
        float f = static_cast<float>(acc) * a.dq_scale[n];
        if (a.dq_bias) f = f + a.dq_bias[n];
        if (a.dq_addend) f = f + a.dq_addend[m * a.ldc + n];
        static_cast<float*>(a.C)[m * a.ldc + n] = f;
        continue;
      }
      if (!a.scale) {
        static_cast<int32_t*>(a.C)[m * a.ldc + n] = acc;
        continue;
      }
      float f = static_cast<float>(acc) * a.scale[n];
      f = std::min(std::max(f, lo), hi);
      int32_t q = static_cast<int32_t>(std::nearbyint(f)) + a.y_zp;
      if (a.y_signed)
        static_cast<int8_t*>(a.C)[m * a.ldc + n] = static_cast<int8_t>(q);
      else
        static_cast<uint8_t*>(a.C)[m * a.ldc + n] = static_cast<uint8_t>(q);
    }
  }
}

}  // namespace qgemm_detail
}  // namespace saywhen::rt
