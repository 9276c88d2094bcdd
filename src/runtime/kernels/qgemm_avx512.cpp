// AVX-512 VNNI int8 GEMM: vpdpbusd multiplies 4 consecutive u8 of A (broadcast)
// with 4 s8 of B per int32 lane and accumulates, so B is packed with the 4
// k-values of each column adjacent:
//   column blocks of 64 (the last one: N rounded up to 16), and inside a block
//   for each k-quad: [col 0: k0 k1 k2 k3][col 1: ...]...  (zero padded)
// A tile of MR rows x NV*16 columns keeps MR*NV accumulators in registers.
//
// Helpers stay in an anonymous namespace and no header inline function is
// called: this file is compiled with AVX-512 flags, and an out-of-line copy of a
// shared inline function could be picked by the linker for other callers.
#include "x86_intrinsics.h"

#include <cmath>
#include <cstring>

#include "qgemm.h"

namespace saywhen::rt::qgemm_detail {
namespace {

// GCC keeps the accumulator array in registers only when these loops are fully
// unrolled before its other loop passes run.
#define SAYWHEN_UNROLL _Pragma("GCC unroll 16")

constexpr int64_t kBlock = 64;
constexpr int kMaxRows = 6;

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
inline int64_t quads(int64_t K) { return (K + 3) / 4; }
inline int64_t block_width(int64_t N, int64_t n0) { return (min64(kBlock, N - n0) + 15) & ~int64_t{15}; }

inline int32_t load_u32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

inline int32_t load_tail(const uint8_t* p, int64_t n) {
  int32_t v = 0;
  std::memcpy(&v, p, static_cast<size_t>(n));
  return v;
}

// The dot products of an MR x NV*16 tile, left in acc (row-major, 64-byte
// rows of NV*16 int32). Out of line and free of anything but the k loop: GCC
// keeps the MR*NV accumulators in registers only in a loop this simple.
template <int MR, int NV>
__attribute__((noinline)) void accumulate(const uint8_t* a, int64_t lda, int64_t K, const int8_t* bp, int32_t* acc_out) {
  __m512i acc[MR][NV];
  // The ragged k-quad first, through a bounded load, so the main loop can read
  // 4 bytes of every row without running past the end of A.
  const int64_t kfull = K / 4;
  if (const int64_t rem = K & 3) {
    const int8_t* bt = bp + kfull * NV * 64;
    SAYWHEN_UNROLL for (int i = 0; i < MR; ++i) {
      const __m512i av = _mm512_set1_epi32(load_tail(a + i * lda + 4 * kfull, rem));
      SAYWHEN_UNROLL for (int j = 0; j < NV; ++j)
        acc[i][j] = _mm512_dpbusd_epi32(_mm512_setzero_si512(), av, _mm512_loadu_si512(bt + j * 64));
    }
  } else {
    SAYWHEN_UNROLL for (int i = 0; i < MR; ++i)
      SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_setzero_si512();
  }
  for (int64_t q = 0; q < kfull; ++q) {
    __m512i b[NV];
    SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) b[j] = _mm512_loadu_si512(bp + j * 64);
    bp += NV * 64;
    SAYWHEN_UNROLL for (int i = 0; i < MR; ++i) {
      const __m512i av = _mm512_set1_epi32(load_u32(a + i * lda + 4 * q));
      SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av, b[j]);
    }
  }
  SAYWHEN_UNROLL for (int i = 0; i < MR; ++i)
    SAYWHEN_UNROLL for (int j = 0; j < NV; ++j) _mm512_store_si512(acc_out + i * 64 + j * 16, acc[i][j]);
}

enum class Out { Float, Int32, Requant };

// The output stage of one mode, with everything it reads from g in locals: the
// stores through C may alias g as far as the compiler knows, so fields read in
// the loop would be reloaded (and their branches retaken) for every vector.
template <Out kOut, bool kBzp>
void store_rows_as(const QGemmArgs& g, const int32_t* acc, int64_t m, int64_t rows, int64_t n0, int nv) {
  const int64_t N = g.N, ldc = g.ldc;
  const int32_t* const col_off = g.col_off;
  const int32_t* const b_zp = g.b_zp;
  const int32_t* const row_sum = g.row_sum;
  const float* const scale_p = kOut == Out::Float ? g.dq_scale : g.scale;
  const float* const bias_p = g.dq_bias;
  const float* const addend_p = g.dq_addend;
  void* const C = g.C;
  // The requantization clamp, in units before the output zero point is added.
  const __m512 lo = _mm512_set1_ps(static_cast<float>((g.y_signed ? -128 : 0) - g.y_zp));
  const __m512 hi = _mm512_set1_ps(static_cast<float>((g.y_signed ? 127 : 255) - g.y_zp));
  const __m512i y_zp = _mm512_set1_epi32(g.y_zp);
  for (int j = 0; j < nv; ++j) {
    const int64_t n = n0 + 16 * j;
    const int64_t valid = N - n;
    const __mmask16 mask = valid >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << valid) - 1);
    const __m512i off = _mm512_maskz_loadu_epi32(mask, col_off + n);
    __m512i bzp = _mm512_setzero_si512();
    if constexpr (kBzp) bzp = _mm512_maskz_loadu_epi32(mask, b_zp + n);
    __m512 scale = _mm512_setzero_ps(), bias = _mm512_setzero_ps();
    if constexpr (kOut != Out::Int32) scale = _mm512_maskz_loadu_ps(mask, scale_p + n);
    const bool with_bias = kOut == Out::Float && bias_p;
    if (with_bias) bias = _mm512_maskz_loadu_ps(mask, bias_p + n);
    for (int64_t i = 0; i < rows; ++i) {
      __m512i c = _mm512_add_epi32(_mm512_load_si512(acc + i * 64 + j * 16), off);
      if constexpr (kBzp) c = _mm512_sub_epi32(c, _mm512_mullo_epi32(_mm512_set1_epi32(row_sum[m + i]), bzp));
      if constexpr (kOut == Out::Float) {
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(c), scale);
        if (with_bias) f = _mm512_add_ps(f, bias);
        if (addend_p)
          f = _mm512_add_ps(f, _mm512_maskz_loadu_ps(mask, addend_p + (m + i) * ldc + n));
        _mm512_mask_storeu_ps(static_cast<float*>(C) + (m + i) * ldc + n, mask, f);
      } else if constexpr (kOut == Out::Int32) {
        _mm512_mask_storeu_epi32(static_cast<int32_t*>(C) + (m + i) * ldc + n, mask, c);
      } else {
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(c), scale);
        f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
        const __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(f), y_zp);
        _mm512_mask_cvtepi32_storeu_epi8(static_cast<uint8_t*>(C) + (m + i) * ldc + n, mask, q);
      }
    }
  }
}

// Adds the zero-point terms to the dot products of rows [m, m + rows) and
// columns [n0, n0 + 16 * nv) (acc: rows of 64 int32) and stores them in the
// output format.
inline void store_rows(const QGemmArgs& g, const int32_t* acc, int64_t m, int64_t rows, int64_t n0, int nv) {
  const Out out = g.dq_scale ? Out::Float : g.scale ? Out::Requant : Out::Int32;
  if (g.b_zp) {
    if (out == Out::Float) return store_rows_as<Out::Float, true>(g, acc, m, rows, n0, nv);
    if (out == Out::Int32) return store_rows_as<Out::Int32, true>(g, acc, m, rows, n0, nv);
    return store_rows_as<Out::Requant, true>(g, acc, m, rows, n0, nv);
  }
  if (out == Out::Float) return store_rows_as<Out::Float, false>(g, acc, m, rows, n0, nv);
  if (out == Out::Int32) return store_rows_as<Out::Int32, false>(g, acc, m, rows, n0, nv);
  return store_rows_as<Out::Requant, false>(g, acc, m, rows, n0, nv);
}

template <int MR, int NV>
void tile(const QGemmArgs& g, const int8_t* bp, int64_t m, int64_t n0) {
  alignas(64) int32_t acc[MR * 64];
  accumulate<MR, NV>(g.A + m * g.lda, g.lda, g.K, bp, acc);
  store_rows(g, acc, m, MR, n0, NV);
}

template <int NV>
void row_block(const QGemmArgs& g, const int8_t* bp, int64_t m0, int64_t m1, int64_t n0) {
  int64_t m = m0;
  for (; m + kMaxRows <= m1; m += kMaxRows) tile<kMaxRows, NV>(g, bp, m, n0);
  switch (m1 - m) {
    case 5: tile<5, NV>(g, bp, m, n0); break;
    case 4: tile<4, NV>(g, bp, m, n0); break;
    case 3: tile<3, NV>(g, bp, m, n0); break;
    case 2: tile<2, NV>(g, bp, m, n0); break;
    case 1: tile<1, NV>(g, bp, m, n0); break;
    default: break;
  }
}

}  // namespace

size_t packed_bytes_avx512(int64_t K, int64_t N) {
  const int64_t np = (N + 15) & ~int64_t{15};
  return static_cast<size_t>(quads(K) * np * 4 + 63) & ~size_t{63};
}

void pack_avx512(const void* B, bool b_unsigned, int64_t K, int64_t N, int64_t sk, int64_t sn, void* packed,
                 int32_t* col_sums) {
  int8_t* dst = static_cast<int8_t*>(packed);
  const int64_t kq = quads(K);
  const uint8_t* src = static_cast<const uint8_t*>(B);
  if (sn != 1) {
    // Strided columns (B^T given): a plan-time path, plain loops are enough.
    std::memset(dst, 0, packed_bytes_avx512(K, N));
    const uint8_t flip = b_unsigned ? 0x80 : 0;
    int32_t* sums = col_sums;
    for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
      const int64_t w = block_width(N, n0);
      int8_t* blk = dst + n0 * kq * 4;
      for (int64_t n = n0; n < min64(N, n0 + kBlock); ++n) {
        int32_t sum = 0;
        for (int64_t k = 0; k < K; ++k) {
          const int8_t v = static_cast<int8_t>(src[k * sk + n * sn] ^ flip);
          blk[(k / 4) * w * 4 + (n - n0) * 4 + (k & 3)] = v;
          sum += v;
        }
        if (sums) sums[n] = sum;
      }
    }
    return;
  }
  // Row-major B (also the per-run packing of activations): 4 rows x 16 columns
  // at a time, interleaved with two rounds of byte/word unpacks; the column
  // sums come from the packed bytes with one vpdpbusd against ones.
  const __m128i flip = _mm_set1_epi8(b_unsigned ? static_cast<char>(0x80) : 0);
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t n0 = 0; n0 < N; n0 += kBlock) {
    const int64_t w = block_width(N, n0);
    int8_t* blk = dst + n0 * kq * 4;
    for (int64_t j = 0; j < w / 16; ++j) {
      const int64_t c0 = n0 + 16 * j;
      const int64_t valid = N - c0;
      const __mmask16 cm = valid >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << valid) - 1);
      __m512i sum = _mm512_setzero_si512();
      for (int64_t q = 0; q < kq; ++q) {
        __m128i r[4];
        for (int rr = 0; rr < 4; ++rr) {
          const int64_t k = 4 * q + rr;
          r[rr] = k < K ? _mm_maskz_mov_epi8(cm, _mm_xor_si128(_mm_maskz_loadu_epi8(cm, src + k * sk + c0), flip))
                        : _mm_setzero_si128();
        }
        const __m128i t0 = _mm_unpacklo_epi8(r[0], r[1]), t1 = _mm_unpackhi_epi8(r[0], r[1]);
        const __m128i t2 = _mm_unpacklo_epi8(r[2], r[3]), t3 = _mm_unpackhi_epi8(r[2], r[3]);
        __m512i v = _mm512_castsi128_si512(_mm_unpacklo_epi16(t0, t2));
        v = _mm512_inserti32x4(v, _mm_unpackhi_epi16(t0, t2), 1);
        v = _mm512_inserti32x4(v, _mm_unpacklo_epi16(t1, t3), 2);
        v = _mm512_inserti32x4(v, _mm_unpackhi_epi16(t1, t3), 3);
        _mm512_storeu_si512(blk + q * w * 4 + j * 64, v);
        sum = _mm512_dpbusd_epi32(sum, ones, v);
      }
      if (col_sums) _mm512_mask_storeu_epi32(col_sums + c0, cm, sum);
    }
  }
}

void min_max_with_zero_avx512(const float* x, int64_t n, float* lo, float* hi) {
  // vminps/vmaxps return their second operand when either is NaN: with the
  // running value second, a NaN element is skipped (as std::min/max skip it).
  // Four pairs of running values: one pair would wait on the min/max latency
  // every vector. NaN never enters them and neither does -0 (a tie keeps the
  // running +0), so how they combine cannot change the result.
  __m512 l4[4], h4[4];
  for (int u = 0; u < 4; ++u) l4[u] = h4[u] = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int u = 0; u < 4; ++u) {
      const __m512 v = _mm512_loadu_ps(x + i + 16 * u);
      l4[u] = _mm512_min_ps(v, l4[u]);
      h4[u] = _mm512_max_ps(v, h4[u]);
    }
  __m512 l = _mm512_min_ps(_mm512_min_ps(l4[0], l4[1]), _mm512_min_ps(l4[2], l4[3]));
  __m512 h = _mm512_max_ps(_mm512_max_ps(h4[0], h4[1]), _mm512_max_ps(h4[2], h4[3]));
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    l = _mm512_min_ps(v, l);
    h = _mm512_max_ps(v, h);
  }
  if (i < n) {
    const __mmask16 m = static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);  // masked lanes read 0, inside the range already
    l = _mm512_min_ps(v, l);
    h = _mm512_max_ps(v, h);
  }
  *lo = _mm512_reduce_min_ps(l);
  *hi = _mm512_reduce_max_ps(h);
}

// x / scale rounded to an integer, as ORT's true division would round it, at
// the cost of a multiplication: x * (1 / scale) is within 1.5 ulp of the
// quotient, so both round to the same integer unless the quotient lies that
// close to a half-integer. The clamp that follows has integer bounds within
// +-255, so rounding before it or after it is the same, and only quotients
// below 512 in magnitude matter: there 1.5 ulp is under 1e-4. Blocks with a
// quotient further than 0.499 from the nearest integer are divided after all
// (about 0.2 % of the quotients, a few percent of the blocks).
// kInRange (DynamicQuantizeLinear: every x within the range that gave the
// scale, so |x / scale| <= 256): the clamp is left to the saturating packs,
// which clamp the same integers (a NaN converts to INT_MIN and saturates to
// the low end, where the clamp sends it too).
template <bool kInRange>
void quantize_u8_blocks(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp, bool is_signed) {
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512 lo = _mm512_set1_ps(static_cast<float>((is_signed ? -128 : 0) - zp));
  const __m512 hi = _mm512_set1_ps(static_cast<float>((is_signed ? 127 : 255) - zp));
  const __m512i vz = _mm512_set1_epi32(zp);
  auto to_int = [&](__m512 f) {
    if constexpr (!kInRange) f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    return _mm512_add_epi32(_mm512_cvtps_epi32(f), vz);
  };
  int64_t i = 0;
  // A subnormal or huge scale has no usable reciprocal (0 * inf would give NaN).
  const float inv = 1.0f / scale;
  if (std::isnormal(scale) && std::isnormal(inv)) {
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512 near_limit = _mm512_set1_ps(0.499f);
    // packs leaves 128-bit lane k holding elements 4k..4k+3 of each vector.
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for (; i + 64 <= n; i += 64) {
      __m512 v[4], q[4];
      __mmask16 near = 0;
      for (int u = 0; u < 4; ++u) {
        v[u] = _mm512_loadu_ps(x + i + 16 * u);
        q[u] = _mm512_mul_ps(v[u], vinv);
        // q - round(q) in one instruction; cvtps rounds q the same way below.
        const __m512 d = _mm512_abs_ps(_mm512_reduce_ps(q[u], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        near = static_cast<__mmask16>(near | _mm512_cmp_ps_mask(d, near_limit, _CMP_GT_OQ));
      }
      if (near)
        for (int u = 0; u < 4; ++u) q[u] = _mm512_div_ps(v[u], vs);
      const __m512i w01 = _mm512_packs_epi32(to_int(q[0]), to_int(q[1]));
      const __m512i w23 = _mm512_packs_epi32(to_int(q[2]), to_int(q[3]));
      const __m512i b = is_signed ? _mm512_packs_epi16(w01, w23) : _mm512_packus_epi16(w01, w23);
      _mm512_storeu_si512(y + i, _mm512_permutexvar_epi32(order, b));
    }
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512 f = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), vs), lo), hi);
    _mm512_mask_cvtepi32_storeu_epi8(y + i, m, _mm512_add_epi32(_mm512_cvtps_epi32(f), vz));
  }
}

void quantize_u8_avx512(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp, bool is_signed) {
  quantize_u8_blocks<false>(x, y, n, scale, zp, is_signed);
}

void quantize_u8_in_range_avx512(const float* x, uint8_t* y, int64_t n, float scale, int32_t zp) {
  quantize_u8_blocks<true>(x, y, n, scale, zp, false);
}

void dequantize_u8_avx512(const uint8_t* x, float* y, int64_t n, float scale, int32_t zp, bool is_signed) {
  const __m512 vs = _mm512_set1_ps(scale);
  const __m512i vz = _mm512_set1_epi32(zp);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m128i b = _mm_maskz_loadu_epi8(m, x + i);
    const __m512i v = is_signed ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
    _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(v, vz)), vs));
  }
}

// QLinearSoftmax's quotient as ONNX Runtime forms it: in double,
// nearbyint(double(t) * y_scale / double(sum)), for 16 table values t. The
// float quotient fl(fl(t * y_scale) / sum) is within 2.5e-7 relative of it, so
// it rounds to the same integer unless it lies next to a half-integer; only
// vectors with such a lane (rare) take the double division.
inline __m256i qsoftmax_quotients_pd(__m256 t, __m512d ys, __m512d sum) {
  return _mm512_cvtpd_epi32(_mm512_div_pd(_mm512_mul_pd(_mm512_cvtps_pd(t), ys), sum));
}

inline __m512i qsoftmax_bytes16(__m512 t, __m512 ys, __m512 vs, __m512i zp, __m512i top, float y_scale, float sum) {
  const __m512 q = _mm512_div_ps(_mm512_mul_ps(t, ys), vs);
  const __m512 r = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 dist = _mm512_abs_ps(_mm512_sub_ps(_mm512_abs_ps(_mm512_sub_ps(q, r)), _mm512_set1_ps(0.5f)));
  const __m512 margin = _mm512_mul_ps(_mm512_set1_ps(1e-6f), _mm512_max_ps(_mm512_abs_ps(q), _mm512_set1_ps(1.0f)));
  __m512i qi;
  if (_mm512_cmp_ps_mask(dist, margin, _CMP_LT_OQ)) {
    const __m512d ysd = _mm512_set1_pd(y_scale), sd = _mm512_set1_pd(sum);
    const __m256i lo = qsoftmax_quotients_pd(_mm512_castps512_ps256(t), ysd, sd);
    const __m256i hi =
        qsoftmax_quotients_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)), ysd, sd);
    qi = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
  } else {
    qi = _mm512_cvtps_epi32(r);
  }
  return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(qi, zp), _mm512_setzero_si512()), top);
}

// A row's output is a function of the byte value alone, so it is computed for
// all 256 values and applied with byte permutes. Same operations per value as
// the per-element form.
__attribute__((target("avx512vbmi"))) void qsoftmax_output_u8_vbmi(const uint8_t* x, int64_t n, const float* table,
                                                                   float y_scale, float sum, int32_t y_zp,
                                                                   uint8_t* y) {
  const __m512 ys = _mm512_set1_ps(y_scale), vs = _mm512_set1_ps(sum);
  const __m512i zp = _mm512_set1_epi32(y_zp), top = _mm512_set1_epi32(255);
  alignas(64) uint8_t lut[256];
  for (int v = 0; v < 256; v += 16)
    _mm_store_si128(reinterpret_cast<__m128i*>(lut + v),
                    _mm512_cvtepi32_epi8(qsoftmax_bytes16(_mm512_loadu_ps(table + v), ys, vs, zp, top, y_scale, sum)));
  const __m512i l0 = _mm512_load_si512(lut), l1 = _mm512_load_si512(lut + 64);
  const __m512i l2 = _mm512_load_si512(lut + 128), l3 = _mm512_load_si512(lut + 192);
  for (int64_t i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~__mmask64(0) : (~__mmask64(0)) >> (64 - (n - i));
    const __m512i idx = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i lo = _mm512_permutex2var_epi8(l0, idx, l1);
    const __m512i hi = _mm512_permutex2var_epi8(l2, idx, l3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi));
  }
}

__attribute__((target("avx512vbmi"))) void lut_apply_u8_vbmi(const uint8_t* x, int64_t n, const uint8_t* table,
                                                             uint8_t* y) {
  const __m512i l0 = _mm512_loadu_si512(table), l1 = _mm512_loadu_si512(table + 64);
  const __m512i l2 = _mm512_loadu_si512(table + 128), l3 = _mm512_loadu_si512(table + 192);
  for (int64_t i = 0; i < n; i += 64) {
    const __mmask64 m = n - i >= 64 ? ~__mmask64(0) : (~__mmask64(0)) >> (64 - (n - i));
    const __m512i idx = _mm512_maskz_loadu_epi8(m, x + i);
    const __m512i lo = _mm512_permutex2var_epi8(l0, idx, l1);
    const __m512i hi = _mm512_permutex2var_epi8(l2, idx, l3);
    _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(_mm512_movepi8_mask(idx), lo, hi));
  }
}

void qsoftmax_output_u8_avx512(const uint8_t* x, int64_t n, const float* table, float y_scale, float sum,
                               int32_t y_zp, uint8_t* y) {
  const __m512 ys = _mm512_set1_ps(y_scale), vs = _mm512_set1_ps(sum);
  const __m512i zp = _mm512_set1_epi32(y_zp), top = _mm512_set1_epi32(255);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << (n - i)) - 1);
    const __m512i idx = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + i));
    const __m512 t = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, table, 4);
    _mm512_mask_cvtepi32_storeu_epi8(y + i, m, qsoftmax_bytes16(t, ys, vs, zp, top, y_scale, sum));
  }
}

void row_sums_avx512(const uint8_t* A, int64_t lda, int64_t M, int64_t K, int32_t* row_sum) {
  const __m512i zero = _mm512_setzero_si512();
  for (int64_t m = 0; m < M; ++m) {
    const uint8_t* a = A + m * lda;
    __m512i s = zero;
    int64_t k = 0;
    for (; k + 64 <= K; k += 64) s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_loadu_si512(a + k), zero));
    if (k < K) {
      const __mmask64 mask = (~uint64_t{0}) >> (64 - (K - k));
      s = _mm512_add_epi64(s, _mm512_sad_epu8(_mm512_maskz_loadu_epi8(mask, a + k), zero));
    }
    row_sum[m] = static_cast<int32_t>(_mm512_reduce_add_epi64(s));
  }
}

void store_rows_avx512(const QGemmArgs& g, const int32_t* acc, int64_t m, int64_t rows, int64_t n0, int nv) {
  store_rows(g, acc, m, rows, n0, nv);
}

void gemm_avx512(const QGemmArgs& g, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  const int8_t* packed = static_cast<const int8_t*>(g.packed_b);
  const int64_t kq = quads(g.K);
  for (int64_t n = n0; n < min64(n1, g.N); n += kBlock) {
    const int8_t* bp = packed + n * kq * 4;
    switch (block_width(g.N, n) / 16) {
      case 4: row_block<4>(g, bp, m0, m1, n); break;
      case 3: row_block<3>(g, bp, m0, m1, n); break;
      case 2: row_block<2>(g, bp, m0, m1, n); break;
      default: row_block<1>(g, bp, m0, m1, n); break;
    }
  }
}

}  // namespace saywhen::rt::qgemm_detail
