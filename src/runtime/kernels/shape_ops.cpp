// Shape and data-movement ops: Transpose, Reshape, Flatten, (Un)Squeeze, Concat,
// Split, Slice, Gather(Elements), Shape, Size, Expand, Tile, ConstantOfShape,
// Range, Pad, Identity, Trilu, OneHot, DepthToSpace.
//
// These ops only move bytes, so every kernel works on raw bytes by element size
// and serves every fixed-width element type. Builders turn each op into a small
// precomputed plan (merged dims, byte strides, offsets); run() only walks it, so
// the per-call cost stays low for small models such as Silero VAD.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "../kernel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace saywhen::rt {
namespace {

// Odometer counters live on the stack in run(), so merged ranks are bounded.
constexpr int kMaxDims = 64;
// Below this many bytes a copy runs on the calling thread: waking the workers
// costs more than it saves.
constexpr int64_t kParallelBytes = int64_t{256} << 10;
constexpr int64_t kChunkBytes = int64_t{64} << 10;
// Block edge of the cache-blocked transpose (16 floats = one cache line).
constexpr int64_t kTile = 16;

template <class F>
void for_rows(ThreadPool* pool, int64_t rows, int64_t total_bytes, const F& f) {
  if (rows <= 0) return;
  if (pool == nullptr || pool->size() <= 1 || total_bytes < kParallelBytes || rows < 2) {
    f(int64_t{0}, rows);
    return;
  }
  const int64_t per_row = std::max<int64_t>(1, total_bytes / rows);
  pool->parallel_for(rows, std::max<int64_t>(1, kChunkBytes / per_row), f);
}

// Element moves go through memcpy so that any dtype may be moved as an
// unsigned integer of its width without aliasing trouble; they compile to a
// single load and store.
template <class T>
inline void move1(uint8_t* d, const uint8_t* s) {
  T v;
  std::memcpy(&v, s, sizeof(T));
  std::memcpy(d, &v, sizeof(T));
}

inline void move_bytes(uint8_t* d, const uint8_t* s, size_t n) {
  if (n) std::memcpy(d, s, n);
}

// One element of `es` bytes; the width is known only at run time.
inline void move_elem(uint8_t* d, const uint8_t* s, size_t es) {
  switch (es) {
    case 1: *d = *s; return;
    case 2: move1<uint16_t>(d, s); return;
    case 4: move1<uint32_t>(d, s); return;
    case 8: move1<uint64_t>(d, s); return;
    default: std::memcpy(d, s, es);
  }
}

template <class T>
void strided_run(uint8_t* d, const uint8_t* s, int64_t n, int64_t sst, int64_t dst) {
  if (sst == 0) {  // broadcast: one value repeated
    T v;
    std::memcpy(&v, s, sizeof(T));
    for (int64_t i = 0; i < n; ++i, d += dst) std::memcpy(d, &v, sizeof(T));
    return;
  }
  for (int64_t i = 0; i < n; ++i, s += sst, d += dst) move1<T>(d, s);
}

// Copies n elements with byte strides sst (source) and dst (destination).
void copy_run(uint8_t* d, const uint8_t* s, int64_t n, int64_t sst, int64_t dst, size_t es) {
  const auto e = static_cast<int64_t>(es);
  if (sst == e && dst == e) {
    move_bytes(d, s, static_cast<size_t>(n) * es);
    return;
  }
  switch (es) {
    case 1: strided_run<uint8_t>(d, s, n, sst, dst); return;
    case 2: strided_run<uint16_t>(d, s, n, sst, dst); return;
    case 4: strided_run<uint32_t>(d, s, n, sst, dst); return;
    case 8: strided_run<uint64_t>(d, s, n, sst, dst); return;
    default:
      for (int64_t i = 0; i < n; ++i, s += sst, d += dst) std::memcpy(d, s, es);
  }
}

// Fills n elements with the es-byte value v.
void fill_pattern(uint8_t* d, int64_t n, const uint8_t* v, size_t es) {
  if (n <= 0) return;
  const size_t total = static_cast<size_t>(n) * es;
  bool uniform = true;
  for (size_t i = 1; i < es; ++i) uniform = uniform && v[i] == v[0];
  if (uniform) {
    std::memset(d, v[0], total);
    return;
  }
  std::memcpy(d, v, es);
  for (size_t done = es; done < total;) {
    size_t c = std::min(done, total - done);
    std::memcpy(d + done, d, c);
    done += c;
  }
}

size_t elem_size(const BuildContext& ctx, int i) {
  DType t = ctx.input_dtype(i);
  size_t es = dtype_size(t);
  if (es == 0) ctx.fail(std::string("unsupported element type ") + dtype_name(t));
  return es;
}

// Row-major element strides.
Shape strides_of(const Shape& s) {
  Shape st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

int64_t prod(const Shape& s, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < s.size(); ++i) p *= s[i];
  return p;
}

// Errors raised by run() carry the same "<file>: node '<name>' (<Op>): " prefix
// as build-time ones; BuildContext only exposes it through fail().
std::string error_prefix(const BuildContext& ctx) {
  try {
    ctx.fail("");
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

bool is_integer_dtype(DType t) {
  switch (t) {
    case DType::Int8: case DType::UInt8: case DType::Int16: case DType::UInt16:
    case DType::Int32: case DType::UInt32: case DType::Int64: case DType::UInt64: case DType::Bool:
      return true;
    default:
      return false;
  }
}

bool is_numeric_readable(DType t) {
  return is_integer_dtype(t) || t == DType::Float32 || t == DType::Float64;
}

// OneHot takes indices and depth of any numeric type; these read element i of
// such a tensor (floats truncate toward zero, as a cast would).
double read_double(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::Float32: return static_cast<const float*>(p)[i];
    case DType::Float64: return static_cast<const double*>(p)[i];
    case DType::Int8: return static_cast<const int8_t*>(p)[i];
    case DType::UInt8: case DType::Bool: return static_cast<const uint8_t*>(p)[i];
    case DType::Int16: return static_cast<const int16_t*>(p)[i];
    case DType::UInt16: return static_cast<const uint16_t*>(p)[i];
    case DType::Int32: return static_cast<const int32_t*>(p)[i];
    case DType::UInt32: return static_cast<const uint32_t*>(p)[i];
    case DType::Int64: return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DType::UInt64: return static_cast<double>(static_cast<const uint64_t*>(p)[i]);
    default: return 0;
  }
}

int64_t read_int(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::Int64: return static_cast<const int64_t*>(p)[i];
    case DType::Int32: return static_cast<const int32_t*>(p)[i];
    case DType::UInt64: return static_cast<int64_t>(static_cast<const uint64_t*>(p)[i]);
    case DType::Float32: case DType::Float64: {
      double v = read_double(p, t, i);
      if (!(v > -9.2e18 && v < 9.2e18)) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(v);
    }
    default: return static_cast<int64_t>(read_double(p, t, i));
  }
}

uint16_t float_to_half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u : 0u));
  int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // may carry into the exponent: correct
  return static_cast<uint16_t>(sign | h);
}

// Encodes v as one element of type t (Pad's opset<11 float `value` attribute).
void encode_value(const BuildContext& ctx, double v, DType t, uint8_t* out) {
  auto put = [&](auto x) { std::memcpy(out, &x, sizeof(x)); };
  switch (t) {
    case DType::Float32: put(static_cast<float>(v)); return;
    case DType::Float64: put(v); return;
    case DType::Float16: put(float_to_half(static_cast<float>(v))); return;
    case DType::BFloat16: {
      float f = static_cast<float>(v);
      uint32_t x;
      std::memcpy(&x, &f, 4);
      x += 0x7fffu + ((x >> 16) & 1u);
      put(static_cast<uint16_t>(x >> 16));
      return;
    }
    case DType::Int8: put(static_cast<int8_t>(v)); return;
    case DType::UInt8: put(static_cast<uint8_t>(v)); return;
    case DType::Bool: put(static_cast<uint8_t>(v != 0)); return;
    case DType::Int16: put(static_cast<int16_t>(v)); return;
    case DType::UInt16: put(static_cast<uint16_t>(v)); return;
    case DType::Int32: put(static_cast<int32_t>(v)); return;
    case DType::UInt32: put(static_cast<uint32_t>(v)); return;
    case DType::Int64: put(static_cast<int64_t>(v)); return;
    case DType::UInt64: put(static_cast<uint64_t>(v)); return;
    default: ctx.fail(std::string("unsupported element type ") + dtype_name(t));
  }
}

// ---------------------------------------------------------------------------
// Strided copy: out[i0..in] = in[base + sum(i_k * src_stride_k)], written at
// base + sum(i_k * dst_stride_k). Transpose, Slice, Expand, Tile and
// DepthToSpace are all this with different strides.

struct StridedCopy {
  size_t es = 0;
  bool empty = false;
  // The last outer dim is contiguous in the source while the inner dim is
  // contiguous in the destination: copied in cache-sized square blocks.
  bool tiled = false;
  std::vector<int64_t> dims, ss, ds;  // outer dims, outermost first; byte strides
  int64_t inner = 1, iss = 0, ids = 0;
  int64_t soff = 0, doff = 0;  // bytes
  int64_t rows = 1;

  // A copy of all of a contiguous input to a contiguous output: a view will do.
  bool is_whole_copy(int64_t in_numel) const {
    const auto e = static_cast<int64_t>(es);
    return !empty && !tiled && dims.empty() && iss == e && ids == e && soff == 0 && doff == 0 &&
           inner == in_numel;
  }

  void run(const uint8_t* src, uint8_t* dst, ThreadPool* pool) const {
    if (empty) return;
    src += soff;
    dst += doff;
    if (tiled) {
      run_tiled(src, dst, pool);
      return;
    }
    const int nd = static_cast<int>(dims.size());
    if (nd == 0) {
      copy_run(dst, src, inner, iss, ids, es);
      return;
    }
    auto body = [&](int64_t r0, int64_t r1) {
      int64_t idx[kMaxDims];
      int64_t so = 0, dof = 0, r = r0;
      for (int k = nd; k-- > 0;) {
        idx[k] = r % dims[static_cast<size_t>(k)];
        r /= dims[static_cast<size_t>(k)];
        so += idx[k] * ss[static_cast<size_t>(k)];
        dof += idx[k] * ds[static_cast<size_t>(k)];
      }
      const auto last = static_cast<size_t>(nd - 1);
      const int64_t n_last = dims[last], s_last = ss[last], d_last = ds[last];
      const bool contiguous = iss == static_cast<int64_t>(es) && ids == static_cast<int64_t>(es);
      const size_t run_bytes = static_cast<size_t>(inner) * es;
      for (int64_t row = r0; row < r1;) {
        const int64_t cnt = std::min(n_last - idx[nd - 1], r1 - row);
        if (contiguous) {
          for (int64_t c = 0; c < cnt; ++c, so += s_last, dof += d_last) std::memcpy(dst + dof, src + so, run_bytes);
        } else {
          for (int64_t c = 0; c < cnt; ++c, so += s_last, dof += d_last)
            copy_run(dst + dof, src + so, inner, iss, ids, es);
        }
        row += cnt;
        idx[nd - 1] += cnt;
        if (idx[nd - 1] < n_last) continue;
        so -= s_last * n_last;
        dof -= d_last * n_last;
        idx[nd - 1] = 0;
        for (int k = nd - 1; k-- > 0;) {
          const auto uk = static_cast<size_t>(k);
          so += ss[uk];
          dof += ds[uk];
          if (++idx[k] < dims[uk]) break;
          so -= ss[uk] * dims[uk];
          dof -= ds[uk] * dims[uk];
          idx[k] = 0;
        }
      }
    };
    for_rows(pool, rows, rows * inner * static_cast<int64_t>(es), body);
  }

 private:
  // d[i*dk + j*es] = s[i*es + j*iss] for i in [i0, i1), j in [j0, j1).
  template <class T>
  static void block_scalar(uint8_t* d, const uint8_t* s, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                           int64_t dk, int64_t iss) {
    constexpr auto e = static_cast<int64_t>(sizeof(T));
    for (int64_t i = i0; i < i1; ++i) {
      uint8_t* drow = d + i * dk;
      const uint8_t* scol = s + i * e;
      for (int64_t j = j0; j < j1; ++j) move1<T>(drow + j * e, scol + j * iss);
    }
  }

#if defined(__SSE2__)
  // Integer shuffles: bit-exact for any 4- or 8-byte type (NaN payloads included).
  static void block4(uint8_t* d, const uint8_t* s, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t dk,
                     int64_t iss) {
    const int64_t i4 = i0 + (i1 - i0) / 4 * 4, j4 = j0 + (j1 - j0) / 4 * 4;
    for (int64_t i = i0; i < i4; i += 4)
      for (int64_t j = j0; j < j4; j += 4) {
        const uint8_t* p = s + i * 4 + j * iss;
        __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + iss));
        __m128i r2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * iss));
        __m128i r3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 3 * iss));
        __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpacklo_epi32(r2, r3);
        __m128i t2 = _mm_unpackhi_epi32(r0, r1), t3 = _mm_unpackhi_epi32(r2, r3);
        uint8_t* q = d + i * dk + j * 4;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_unpacklo_epi64(t0, t1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + dk), _mm_unpackhi_epi64(t0, t1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 2 * dk), _mm_unpacklo_epi64(t2, t3));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 3 * dk), _mm_unpackhi_epi64(t2, t3));
      }
    block_scalar<uint32_t>(d, s, i0, i4, j4, j1, dk, iss);
    block_scalar<uint32_t>(d, s, i4, i1, j0, j1, dk, iss);
  }

  static void block8(uint8_t* d, const uint8_t* s, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t dk,
                     int64_t iss) {
    const int64_t i2 = i0 + (i1 - i0) / 2 * 2, j2 = j0 + (j1 - j0) / 2 * 2;
    for (int64_t i = i0; i < i2; i += 2)
      for (int64_t j = j0; j < j2; j += 2) {
        const uint8_t* p = s + i * 8 + j * iss;
        __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + iss));
        uint8_t* q = d + i * dk + j * 8;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q), _mm_unpacklo_epi64(r0, r1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + dk), _mm_unpackhi_epi64(r0, r1));
      }
    block_scalar<uint64_t>(d, s, i0, i2, j2, j1, dk, iss);
    block_scalar<uint64_t>(d, s, i2, i1, j0, j1, dk, iss);
  }
#endif

  void block(uint8_t* d, const uint8_t* s, int64_t i0, int64_t i1, int64_t dk) const {
    for (int64_t j0 = 0; j0 < inner; j0 += kTile) {
      const int64_t j1 = std::min(inner, j0 + kTile);
      switch (es) {
        case 1: block_scalar<uint8_t>(d, s, i0, i1, j0, j1, dk, iss); break;
        case 2: block_scalar<uint16_t>(d, s, i0, i1, j0, j1, dk, iss); break;
#if defined(__SSE2__)
        case 4: block4(d, s, i0, i1, j0, j1, dk, iss); break;
        default: block8(d, s, i0, i1, j0, j1, dk, iss); break;
#else
        case 4: block_scalar<uint32_t>(d, s, i0, i1, j0, j1, dk, iss); break;
        default: block_scalar<uint64_t>(d, s, i0, i1, j0, j1, dk, iss); break;
#endif
      }
    }
  }

  void run_tiled(const uint8_t* src, uint8_t* dst, ThreadPool* pool) const {
    const int nd = static_cast<int>(dims.size());  // dims[nd-1] is the blocked one
    const int64_t K = dims.back(), dk = ds.back();
    const int64_t kblocks = (K + kTile - 1) / kTile;
    const int64_t outer = rows / K;
    auto body = [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        int64_t o = b / kblocks, kb = b % kblocks;
        int64_t so = 0, dof = 0;
        for (int k = nd - 1; k-- > 0;) {
          const auto uk = static_cast<size_t>(k);
          int64_t i = o % dims[uk];
          o /= dims[uk];
          so += i * ss[uk];
          dof += i * ds[uk];
        }
        const int64_t i0 = kb * kTile, i1 = std::min(K, i0 + kTile);
        block(dst + dof, src + so, i0, i1, dk);
      }
    };
    for_rows(pool, outer * kblocks, rows * inner * static_cast<int64_t>(es), body);
  }
};

// shape: the iteration space; sst/dst: element strides per dim; offsets in elements.
StridedCopy make_copy(const BuildContext& ctx, size_t es, const Shape& shape, const Shape& sst,
                      const Shape& dst, int64_t soff, int64_t doff) {
  StridedCopy p;
  p.es = es;
  const auto e = static_cast<int64_t>(es);
  p.soff = soff * e;
  p.doff = doff * e;
  struct D {
    int64_t n, s, d;
  };
  std::vector<D> v;  // innermost first
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 0) {
      p.empty = true;
      return p;
    }
    if (shape[i] == 1) continue;
    D cur{shape[i], sst[i] * e, dst[i] * e};
    if (!v.empty() && cur.s == v.back().s * v.back().n && cur.d == v.back().d * v.back().n) {
      v.back().n *= cur.n;
      continue;
    }
    v.push_back(cur);
  }
  if (v.empty()) {
    p.inner = 1;
    p.iss = e;
    p.ids = e;
    return p;
  }
  p.inner = v[0].n;
  p.iss = v[0].s;
  p.ids = v[0].d;
  for (size_t i = v.size(); i-- > 1;) {
    p.dims.push_back(v[i].n);
    p.ss.push_back(v[i].s);
    p.ds.push_back(v[i].d);
  }
  if (p.dims.size() > static_cast<size_t>(kMaxDims)) ctx.fail("unsupported: more than 64 non-mergeable dimensions");
  const bool pow2 = es == 1 || es == 2 || es == 4 || es == 8;
  if (pow2 && p.ids == e && p.iss != e && p.iss != 0 && p.inner >= 4) {
    for (size_t k = p.dims.size(); k-- > 0;) {
      if (p.ss[k] != e || p.dims[k] < 4) continue;
      // Iteration order of outer dims is free: move the blocked dim last.
      for (auto* vec : {&p.dims, &p.ss, &p.ds}) std::rotate(vec->begin() + static_cast<ptrdiff_t>(k),
                                                            vec->begin() + static_cast<ptrdiff_t>(k) + 1, vec->end());
      p.tiled = true;
      break;
    }
  }
  for (int64_t n : p.dims) p.rows *= n;
  return p;
}

// Output 0 is input 0 moved by `p`; a copy of the whole input becomes a view.
std::unique_ptr<Kernel> copy_kernel(BuildContext& ctx, const Shape& out, StridedCopy p) {
  if (p.is_whole_copy(shape_numel(ctx.input_shape(0)))) {
    ctx.alias_output(0, 0, out);
    return nullptr;
  }
  ctx.set_output(0, ctx.input_dtype(0), out);
  if (p.empty || shape_numel(out) == 0) return nullptr;
  return make_kernel([p = std::move(p)](const RunContext& rc) {
    p.run(static_cast<const uint8_t*>(rc.in(0).raw()), static_cast<uint8_t*>(rc.out(0).raw()), rc.pool);
  });
}

// ---------------------------------------------------------------------------
// Views: Reshape, Flatten, Squeeze, Unsqueeze, Identity.

// A list that was the attribute `name` before opset `since` and is the constant input 1 from it on (Reshape's
// shape, Unsqueeze's axes); either way the op has no other input.
std::vector<int64_t> list_attr_or_input(BuildContext& ctx, const char* name, int since) {
  if (ctx.opset() < since) {
    ctx.expect_inputs(1, 1);
    return ctx.attr_ints(name);
  }
  ctx.expect_inputs(2, 2);
  return ctx.require_ints(1);
}

std::unique_ptr<Kernel> build_reshape(BuildContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const std::vector<int64_t> spec = list_attr_or_input(ctx, "shape", 5);
  const bool allowzero = ctx.attr_int("allowzero", 0) != 0;
  Shape out(spec.size());
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == -1) {
      if (infer >= 0) ctx.fail("shape " + shape_str(spec) + " has more than one -1");
      infer = static_cast<int>(i);
      continue;
    }
    if (d == 0 && !allowzero) {
      if (i >= in.size())
        ctx.fail("shape " + shape_str(spec) + " copies dimension " + std::to_string(i) + " (0) from input of rank " +
                 std::to_string(in.size()));
      d = in[i];
    }
    if (d < 0) ctx.fail("invalid dimension " + std::to_string(spec[i]) + " in shape " + shape_str(spec));
    out[i] = d;
    known *= d;
  }
  const int64_t total = shape_numel(in);
  if (infer >= 0) {
    if (known == 0 || total % known != 0)
      ctx.fail("cannot reshape " + shape_str(in) + " to " + shape_str(spec));
    out[static_cast<size_t>(infer)] = total / known;
  } else if (known != total) {
    ctx.fail("cannot reshape " + shape_str(in) + " to " + shape_str(spec));
  }
  ctx.alias_output(0, 0, out);
  return nullptr;
}

std::unique_ptr<Kernel> build_flatten(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const Shape& in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  int64_t axis = ctx.attr_int("axis", 1);
  if (axis < -r || axis > r)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
  if (axis < 0) axis += r;
  const auto a = static_cast<size_t>(axis);
  ctx.alias_output(0, 0, {prod(in, 0, a), prod(in, a, in.size())});
  return nullptr;
}

std::unique_ptr<Kernel> build_squeeze(BuildContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  bool given;
  if (ctx.opset() < 13) {
    ctx.expect_inputs(1, 1);
    given = ctx.has_attr("axes");
    axes = ctx.attr_ints("axes");
  } else {
    ctx.expect_inputs(1, 2);
    given = ctx.has_input(1);
    if (given) axes = ctx.require_ints(1);
  }
  given = given && !axes.empty();  // an empty axes list means "all", as ONNX Runtime reads it
  std::vector<bool> drop(in.size(), false);
  if (!given) {
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  } else {
    for (int64_t a : axes) {
      auto k = static_cast<size_t>(normalize_axis(ctx, a, r));
      if (in[k] != 1)
        ctx.fail("cannot squeeze axis " + std::to_string(a) + " of size " + std::to_string(in[k]) + " in " +
                 shape_str(in));
      drop[k] = true;
    }
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  ctx.alias_output(0, 0, out);
  return nullptr;
}

std::unique_ptr<Kernel> build_unsqueeze(BuildContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const std::vector<int64_t> axes = list_attr_or_input(ctx, "axes", 13);
  const auto r = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(r), false);
  for (int64_t a : axes) {
    auto k = static_cast<size_t>(normalize_axis(ctx, a, r));
    if (inserted[k]) ctx.fail("axis " + std::to_string(a) + " is given twice");
    inserted[k] = true;
  }
  Shape out;
  size_t j = 0;
  for (size_t i = 0; i < inserted.size(); ++i) out.push_back(inserted[i] ? 1 : in[j++]);
  ctx.alias_output(0, 0, out);
  return nullptr;
}

std::unique_ptr<Kernel> build_identity(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  ctx.alias_output(0, 0, ctx.input_shape(0));
  return nullptr;
}

// ---------------------------------------------------------------------------
// Shape, Size.

std::unique_ptr<Kernel> values_kernel(std::vector<int64_t> v) {
  // Never reads its input: only the (plan-time) shape matters.
  return make_kernel([v = std::move(v)](const RunContext& rc) {
    move_bytes(static_cast<uint8_t*>(rc.out(0).raw()), reinterpret_cast<const uint8_t*>(v.data()),
               v.size() * sizeof(int64_t));
  });
}

std::unique_ptr<Kernel> build_shape(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const Shape& in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  int64_t start = ctx.attr_int("start", 0), end = ctx.attr_int("end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = std::clamp<int64_t>(start, 0, r);
  end = std::clamp<int64_t>(end, 0, r);
  std::vector<int64_t> v;
  for (int64_t i = start; i < end; ++i) v.push_back(in[static_cast<size_t>(i)]);
  ctx.set_output(0, DType::Int64, {static_cast<int64_t>(v.size())});
  return values_kernel(std::move(v));
}

std::unique_ptr<Kernel> build_size(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  ctx.set_output(0, DType::Int64, {});
  return values_kernel({shape_numel(ctx.input_shape(0))});
}

// ---------------------------------------------------------------------------
// Transpose, Slice, Expand, Tile, DepthToSpace: strided copies.

std::unique_ptr<Kernel> build_transpose(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const size_t es = elem_size(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm = ctx.attr_ints("perm");
  if (!ctx.has_attr("perm"))
    for (int64_t i = r; i-- > 0;) perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != r)
    ctx.fail("perm " + shape_str(perm) + " does not match input rank " + std::to_string(r));
  std::vector<bool> seen(in.size(), false);
  const Shape st = strides_of(in);
  Shape out(in.size()), src(in.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    auto p = static_cast<size_t>(normalize_axis(ctx, perm[i], r));
    if (seen[p]) ctx.fail("perm " + shape_str(perm) + " is not a permutation");
    seen[p] = true;
    out[i] = in[p];
    src[i] = st[p];
  }
  return copy_kernel(ctx, out, make_copy(ctx, es, out, src, strides_of(out), 0, 0));
}

std::unique_ptr<Kernel> build_slice(BuildContext& ctx) {
  const size_t es = elem_size(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  bool have_axes, have_steps;
  if (ctx.opset() < 10) {
    ctx.expect_inputs(1, 1);
    starts = ctx.attr_ints("starts");
    ends = ctx.attr_ints("ends");
    have_axes = ctx.has_attr("axes");
    axes = ctx.attr_ints("axes");
    have_steps = false;
  } else {
    ctx.expect_inputs(3, 5);
    starts = ctx.require_ints(1);
    ends = ctx.require_ints(2);
    have_axes = ctx.has_input(3);
    if (have_axes) axes = ctx.require_ints(3);
    have_steps = ctx.has_input(4);
    if (have_steps) steps = ctx.require_ints(4);
  }
  if (starts.size() != ends.size()) ctx.fail("starts and ends differ in length");
  if (!have_axes)
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (!have_steps) steps.assign(starts.size(), 1);
  if (axes.size() != starts.size() || steps.size() != starts.size())
    ctx.fail("starts, ends, axes and steps must have the same length");

  const Shape st = strides_of(in);
  Shape out = in, src = st;
  int64_t off = 0;
  std::vector<bool> seen(in.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    const auto a = static_cast<size_t>(normalize_axis(ctx, axes[i], r));
    if (seen[a]) ctx.fail("axis " + std::to_string(axes[i]) + " is given twice");
    seen[a] = true;
    const int64_t d = in[a], step = steps[i];
    if (step == 0) ctx.fail("step must not be 0");
    int64_t s = starts[i], e = ends[i], n = 0;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, d);
      e = std::clamp<int64_t>(e, 0, d);
      if (e > s) n = (e - s - 1) / step + 1;
    } else if (d > 0) {
      s = std::clamp<int64_t>(s, 0, d - 1);
      e = std::clamp<int64_t>(e, -1, d - 1);
      if (s > e) n = (s - e - 1) / -step + 1;
    }
    out[a] = n;
    src[a] = st[a] * step;
    if (n > 0) off += s * st[a];
  }
  if (shape_numel(out) == 0) off = 0;
  return copy_kernel(ctx, out, make_copy(ctx, es, out, src, strides_of(out), off, 0));
}

std::unique_ptr<Kernel> build_expand(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  const size_t es = elem_size(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  const Shape target = ctx.require_ints(1);
  const Shape out = broadcast_shapes(ctx, in, target);
  const Shape st = strides_of(in);
  Shape src(out.size(), 0);
  const size_t lead = out.size() - in.size();
  for (size_t i = lead; i < out.size(); ++i) src[i] = in[i - lead] == 1 ? 0 : st[i - lead];
  return copy_kernel(ctx, out, make_copy(ctx, es, out, src, strides_of(out), 0, 0));
}

std::unique_ptr<Kernel> build_tile(BuildContext& ctx) {
  if (ctx.opset() < 6) ctx.fail("unsupported: Tile before opset 6 (tiles/axis inputs)");
  ctx.expect_inputs(2, 2);
  const size_t es = elem_size(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  const std::vector<int64_t> reps = ctx.require_ints(1);
  if (reps.size() != in.size())
    ctx.fail("repeats " + shape_str(reps) + " do not match input rank " + std::to_string(in.size()));
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (reps[i] < 0) ctx.fail("negative repeat " + std::to_string(reps[i]));
    out[i] = in[i] * reps[i];
  }
  // Each axis becomes (repeat, dim): the repeat walks the source with stride 0.
  const Shape st = strides_of(in), ost = strides_of(out);
  Shape dims, src, dst;
  for (size_t i = 0; i < in.size(); ++i) {
    dims.push_back(reps[i]);
    src.push_back(0);
    dst.push_back(in[i] * ost[i]);
    dims.push_back(in[i]);
    src.push_back(st[i]);
    dst.push_back(ost[i]);
  }
  return copy_kernel(ctx, out, make_copy(ctx, es, dims, src, dst, 0, 0));
}

std::unique_ptr<Kernel> build_depth_to_space(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const size_t es = elem_size(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  if (in.size() != 4) ctx.fail("input must be 4-D, got " + shape_str(in));
  const int64_t b = ctx.attr_int("blocksize");
  const std::string mode = ctx.attr_string("mode", "DCR");
  if (b <= 0) ctx.fail("blocksize must be positive");
  if (mode != "DCR" && mode != "CRD") ctx.fail("unsupported mode '" + mode + "'");
  const int64_t N = in[0], C = in[1], H = in[2], W = in[3];
  if (C % (b * b) != 0) ctx.fail("channels " + std::to_string(C) + " not divisible by blocksize^2");
  const int64_t c = C / (b * b), hw = H * W;
  const Shape out = {N, c, H * b, W * b};
  // Iterate the output as [N, c, H, b, W, b] (row-major = the output layout).
  const Shape dims = {N, c, H, b, W, b};
  const Shape src = mode == "DCR" ? Shape{C * hw, hw, W, b * c * hw, 1, c * hw}
                                  : Shape{C * hw, b * b * hw, W, b * hw, 1, hw};
  return copy_kernel(ctx, out, make_copy(ctx, es, dims, src, strides_of(dims), 0, 0));
}

// ---------------------------------------------------------------------------
// Concat, Split.

std::unique_ptr<Kernel> build_concat(BuildContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 1) ctx.fail("needs at least one input");
  ctx.expect_inputs(n, n);
  const size_t es = elem_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  const Shape& first = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(first.size());
  if (r == 0) ctx.fail("cannot concatenate scalars");
  const int64_t axis_attr = ctx.opset() < 4 ? ctx.attr_int("axis", 1) : ctx.attr_int("axis");
  const auto axis = static_cast<size_t>(normalize_axis(ctx, axis_attr, r));
  Shape out = first;
  out[axis] = 0;
  for (int i = 0; i < n; ++i) {
    if (ctx.input_dtype(i) != dt)
      ctx.fail(std::string("input ") + std::to_string(i) + " is " + dtype_name(ctx.input_dtype(i)) + ", input 0 is " +
               dtype_name(dt));
    const Shape& s = ctx.input_shape(i);
    bool ok = s.size() == first.size();
    for (size_t k = 0; ok && k < s.size(); ++k) ok = k == axis || s[k] == first[k];
    if (!ok) ctx.fail("input " + std::to_string(i) + " has shape " + shape_str(s) + ", input 0 " + shape_str(first));
    out[axis] += s[axis];
  }
  if (n == 1) {
    ctx.alias_output(0, 0, out);
    return nullptr;
  }
  ctx.set_output(0, dt, out);
  const int64_t outer = prod(first, 0, axis);
  const int64_t inner = prod(first, axis + 1, first.size()) * static_cast<int64_t>(es);
  std::vector<int64_t> chunk;  // bytes per outer row, per input
  for (int i = 0; i < n; ++i) chunk.push_back(ctx.input_shape(i)[axis] * inner);
  const int64_t row = out[axis] * inner;
  if (outer * row == 0) return nullptr;
  return make_kernel([chunk = std::move(chunk), outer, row](const RunContext& rc) {
    uint8_t* dst = static_cast<uint8_t*>(rc.out(0).raw());
    const int n = static_cast<int>(chunk.size());
    auto body = [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        uint8_t* d = dst + o * row;
        for (int i = 0; i < n; ++i) {
          const int64_t c = chunk[static_cast<size_t>(i)];
          if (c) std::memcpy(d, static_cast<const uint8_t*>(rc.in(i).raw()) + o * c, static_cast<size_t>(c));
          d += c;
        }
      }
    };
    for_rows(rc.pool, outer, outer * row, body);
  });
}

std::unique_ptr<Kernel> build_split(BuildContext& ctx) {
  const size_t es = elem_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  if (r == 0) ctx.fail("cannot split a scalar");
  const auto axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", 0), r));
  const int nout = ctx.num_outputs();
  const int64_t dim = in[axis];
  std::vector<int64_t> sizes;
  bool given;
  if (ctx.opset() < 13) {
    ctx.expect_inputs(1, 2);
    given = ctx.has_attr("split");
    sizes = ctx.attr_ints("split");
    if (!given && ctx.has_input(1)) {  // opset 1 took the sizes as an input
      given = true;
      sizes = ctx.require_ints(1);
    }
  } else {
    ctx.expect_inputs(1, 2);
    given = ctx.has_input(1);
    if (given) sizes = ctx.require_ints(1);
  }
  if (given) {
    if (static_cast<int>(sizes.size()) != nout)
      ctx.fail("split " + shape_str(sizes) + " does not match the " + std::to_string(nout) + " outputs");
    int64_t sum = 0;
    for (int64_t s : sizes) {
      if (s < 0) ctx.fail("negative split size in " + shape_str(sizes));
      sum += s;
    }
    if (sum != dim) ctx.fail("split " + shape_str(sizes) + " does not add up to dimension " + std::to_string(dim));
  } else if (ctx.has_attr("num_outputs")) {
    const int64_t k = ctx.attr_int("num_outputs");
    if (k != nout) ctx.fail("num_outputs " + std::to_string(k) + " but the node has " + std::to_string(nout));
    // Opset 18: ceil-sized chunks, the last one takes what is left.
    const int64_t chunk = (dim + k - 1) / k;
    for (int64_t i = 0, left = dim; i < k; ++i) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
  } else {
    if (nout < 1 || dim % nout != 0)
      ctx.fail("dimension " + std::to_string(dim) + " cannot be split evenly into " + std::to_string(nout) + " outputs");
    sizes.assign(static_cast<size_t>(nout), dim / nout);
  }
  if (nout == 1) {
    ctx.alias_output(0, 0, in);
    return nullptr;
  }
  const int64_t outer = prod(in, 0, axis);
  const int64_t inner = prod(in, axis + 1, in.size()) * static_cast<int64_t>(es);
  std::vector<int64_t> chunk, offset;
  int64_t acc = 0;
  for (int i = 0; i < nout; ++i) {
    Shape s = in;
    s[axis] = sizes[static_cast<size_t>(i)];
    ctx.set_output(i, dt, s);
    chunk.push_back(s[axis] * inner);
    offset.push_back(acc);
    acc += chunk.back();
  }
  const int64_t row = dim * inner;
  if (outer * row == 0) return nullptr;
  return make_kernel([chunk = std::move(chunk), offset = std::move(offset), outer, row](const RunContext& rc) {
    const uint8_t* src = static_cast<const uint8_t*>(rc.in(0).raw());
    const int n = static_cast<int>(chunk.size());
    auto body = [&](int64_t o0, int64_t o1) {
      for (int i = 0; i < n; ++i) {
        const auto ui = static_cast<size_t>(i);
        if (!rc.has_out(i) || chunk[ui] == 0) continue;
        uint8_t* d = static_cast<uint8_t*>(rc.out(i).raw());
        for (int64_t o = o0; o < o1; ++o)
          std::memcpy(d + o * chunk[ui], src + o * row + offset[ui], static_cast<size_t>(chunk[ui]));
      }
    };
    for_rows(rc.pool, outer, outer * row, body);
  });
}

// ---------------------------------------------------------------------------
// Gather, GatherElements.

template <class I>
bool first_bad_index(const I* idx, int64_t n, int64_t dim, int64_t* bad) {
  for (int64_t j = 0; j < n; ++j)
    if (idx[j] < -dim || idx[j] >= dim) {
      *bad = static_cast<int64_t>(idx[j]);
      return true;
    }
  return false;
}

std::string index_error(const std::string& prefix, int64_t bad, int64_t dim) {
  return prefix + "index " + std::to_string(bad) + " is out of range for an axis of size " + std::to_string(dim);
}

struct GatherPlan {
  int64_t outer = 0, dim = 0, n = 0, inner = 0;  // inner in bytes
  bool idx64 = true;
  bool fixed = false;            // indices known at plan time, already normalised
  std::vector<int64_t> indices;  // when fixed
  std::string where;             // error prefix

  template <class I>
  void copy(const uint8_t* src, uint8_t* dst, const I* idx, ThreadPool* pool) const {
    auto body = [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row) {
        const int64_t o = row / n;
        int64_t k = static_cast<int64_t>(idx[row - o * n]);
        if (k < 0) k += dim;
        const uint8_t* s = src + (o * dim + k) * inner;
        uint8_t* d = dst + row * inner;
        switch (inner) {
          case 1: *d = *s; break;
          case 2: move1<uint16_t>(d, s); break;
          case 4: move1<uint32_t>(d, s); break;
          case 8: move1<uint64_t>(d, s); break;
          default: std::memcpy(d, s, static_cast<size_t>(inner));
        }
      }
    };
    for_rows(pool, outer * n, outer * n * inner, body);
  }

  void run(const RunContext& rc) const {
    const uint8_t* src = static_cast<const uint8_t*>(rc.in(0).raw());
    uint8_t* dst = rc.has_out(0) ? static_cast<uint8_t*>(rc.out(0).raw()) : nullptr;
    if (fixed) {
      if (outer * n * inner != 0) copy(src, dst, indices.data(), rc.pool);
      return;
    }
    // Checked up front on this thread: worker threads must not throw.
    int64_t bad = 0;
    if (idx64) {
      const auto* idx = rc.in(1).data<int64_t>();
      if (first_bad_index(idx, n, dim, &bad)) throw Error(index_error(where, bad, dim));
      if (outer * n * inner != 0) copy(src, dst, idx, rc.pool);
    } else {
      const auto* idx = rc.in(1).data<int32_t>();
      if (first_bad_index(idx, n, dim, &bad)) throw Error(index_error(where, bad, dim));
      if (outer * n * inner != 0) copy(src, dst, idx, rc.pool);
    }
  }
};

std::unique_ptr<Kernel> build_gather(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  const size_t es = elem_size(ctx, 0);
  ctx.expect_dtype(1, {DType::Int32, DType::Int64});
  const Shape& in = ctx.input_shape(0);
  const Shape& ishape = ctx.input_shape(1);
  const auto r = static_cast<int64_t>(in.size());
  if (r == 0) ctx.fail("cannot gather from a scalar");
  const auto axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", 0), r));
  Shape out(in.begin(), in.begin() + static_cast<ptrdiff_t>(axis));
  out.insert(out.end(), ishape.begin(), ishape.end());
  out.insert(out.end(), in.begin() + static_cast<ptrdiff_t>(axis) + 1, in.end());
  ctx.set_output(0, ctx.input_dtype(0), out);

  GatherPlan p;
  p.outer = prod(in, 0, axis);
  p.dim = in[axis];
  p.n = shape_numel(ishape);
  p.inner = prod(in, axis + 1, in.size()) * static_cast<int64_t>(es);
  p.idx64 = ctx.input_dtype(1) == DType::Int64;
  p.where = error_prefix(ctx);
  if (ctx.input_value(1)) {
    p.indices = ctx.require_ints(1);
    for (int64_t& k : p.indices) {
      if (k < -p.dim || k >= p.dim) ctx.fail(index_error("", k, p.dim));
      if (k < 0) k += p.dim;
    }
    p.fixed = true;
    if (shape_numel(out) == 0) return nullptr;
    if (p.outer == 1 && p.n == 1) {
      // One index along the outermost non-unit axis: a contiguous part of the
      // data (q, k or v out of an attention's stacked projections), viewed.
      ctx.view_output(0, 0, out, static_cast<size_t>(p.indices[0] * p.inner));
      return nullptr;
    }
  }
  return make_kernel([p = std::move(p)](const RunContext& rc) { p.run(rc); });
}

std::unique_ptr<Kernel> build_gather_elements(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  const size_t es = elem_size(ctx, 0);
  ctx.expect_dtype(1, {DType::Int32, DType::Int64});
  const Shape& in = ctx.input_shape(0);
  const Shape& ishape = ctx.input_shape(1);
  const auto r = static_cast<int64_t>(in.size());
  if (r == 0) ctx.fail("cannot gather from a scalar");
  if (ishape.size() != in.size())
    ctx.fail("indices " + shape_str(ishape) + " must have the rank of data " + shape_str(in));
  if (in.size() > static_cast<size_t>(kMaxDims)) ctx.fail("unsupported: rank above 64");
  const auto axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", 0), r));
  for (size_t k = 0; k < in.size(); ++k)
    if (k != axis && ishape[k] > in[k])
      ctx.fail("indices " + shape_str(ishape) + " exceed data " + shape_str(in) + " on axis " + std::to_string(k));
  ctx.set_output(0, ctx.input_dtype(0), ishape);
  const int64_t total = shape_numel(ishape);
  if (total == 0) return nullptr;
  const Shape st = strides_of(in);
  const bool idx64 = ctx.input_dtype(1) == DType::Int64;
  const std::string where = error_prefix(ctx);
  return make_kernel([ishape, st, axis, es, idx64, where, total, dim = in[axis]](const RunContext& rc) {
    const auto* src = static_cast<const uint8_t*>(rc.in(0).raw());
    auto* dst = static_cast<uint8_t*>(rc.out(0).raw());
    const void* idx = rc.in(1).raw();
    const int nd = static_cast<int>(ishape.size());
    int64_t pos[kMaxDims] = {};
    int64_t base = 0;  // element offset of pos in data, without the axis term
    const auto e = static_cast<int64_t>(es);
    for (int64_t i = 0; i < total; ++i) {
      int64_t k = idx64 ? static_cast<const int64_t*>(idx)[i] : static_cast<const int32_t*>(idx)[i];
      if (k < -dim || k >= dim) throw Error(index_error(where, k, dim));
      if (k < 0) k += dim;
      move_elem(dst + i * e, src + (base + k * st[axis]) * e, es);
      for (int d = nd; d-- > 0;) {
        const auto ud = static_cast<size_t>(d);
        if (ud != axis) base += st[ud];
        if (++pos[d] < ishape[ud]) break;
        if (ud != axis) base -= st[ud] * ishape[ud];
        pos[d] = 0;
      }
    }
  });
}

// ---------------------------------------------------------------------------
// ConstantOfShape, Range.

std::unique_ptr<Kernel> build_constant_of_shape(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const std::vector<int64_t> shape = ctx.require_ints(0);
  for (int64_t d : shape)
    if (d < 0) ctx.fail("negative dimension in shape " + shape_str(shape));
  DType dt = DType::Float32;
  std::array<uint8_t, 16> value{};
  if (ctx.has_attr("value")) {
    const Tensor& v = ctx.attr_tensor("value");
    dt = v.dtype();
    if (dtype_size(dt) == 0 || dtype_size(dt) > value.size())
      ctx.fail(std::string("unsupported value type ") + dtype_name(dt));
    if (v.numel() != 1) ctx.fail("value must have exactly one element");
    std::memcpy(value.data(), v.raw(), dtype_size(dt));
  }
  ctx.set_output(0, dt, shape);
  const int64_t n = shape_numel(shape);
  if (n == 0) return nullptr;
  return make_kernel([value, n, es = dtype_size(dt)](const RunContext& rc) {
    fill_pattern(static_cast<uint8_t*>(rc.out(0).raw()), n, value.data(), es);
  });
}

template <class T>
std::unique_ptr<Kernel> range_kernel(BuildContext& ctx, DType dt) {
  auto scalar = [&](int i) {
    const Tensor& t = ctx.require_value(i);
    if (t.numel() != 1) ctx.fail("input " + std::to_string(i) + " must be a scalar, got " + shape_str(t.shape()));
    return *t.data<T>();
  };
  const T start = scalar(0), limit = scalar(1), delta = scalar(2);
  if (delta == T(0)) ctx.fail("delta must not be 0");
  int64_t n;
  if constexpr (std::is_floating_point_v<T>) {
    const T c = std::ceil((limit - start) / delta);
    if (!(c < T(1e12))) ctx.fail("unsupported: range of more than 1e12 elements");
    n = c > T(0) ? static_cast<int64_t>(c) : 0;
  } else {
    const int64_t diff = static_cast<int64_t>(limit) - static_cast<int64_t>(start);
    const auto d = static_cast<int64_t>(delta);
    n = d > 0 ? (diff <= 0 ? 0 : (diff + d - 1) / d) : (diff >= 0 ? 0 : (-diff - d - 1) / -d);
  }
  ctx.set_output(0, dt, {n});
  if (n == 0) return nullptr;
  return make_kernel([start, delta, n](const RunContext& rc) {
    T* out = rc.out(0).data<T>();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_floating_point_v<T>)
        out[i] = static_cast<T>(static_cast<double>(start) + static_cast<double>(i) * static_cast<double>(delta));
      else
        out[i] = static_cast<T>(static_cast<int64_t>(start) + i * static_cast<int64_t>(delta));
    }
  });
}

std::unique_ptr<Kernel> build_range(BuildContext& ctx) {
  ctx.expect_inputs(3, 3);
  const DType dt = ctx.input_dtype(0);
  if (ctx.input_dtype(1) != dt || ctx.input_dtype(2) != dt) ctx.fail("start, limit and delta must share a type");
  switch (dt) {
    case DType::Float32: return range_kernel<float>(ctx, dt);
    case DType::Float64: return range_kernel<double>(ctx, dt);
    case DType::Int16: return range_kernel<int16_t>(ctx, dt);
    case DType::Int32: return range_kernel<int32_t>(ctx, dt);
    case DType::Int64: return range_kernel<int64_t>(ctx, dt);
    default: ctx.fail(std::string("unsupported element type ") + dtype_name(dt));
  }
}

// ---------------------------------------------------------------------------
// Pad: every output index maps, per axis, to an input index or to "the pad
// value" (-1); the maps encode the mode and negative pads alike.

struct PadPlan {
  size_t es = 0;
  Shape out;                                // rank >= 1
  std::vector<int64_t> in_st;               // byte strides of the input
  std::vector<std::vector<int64_t>> maps;   // per axis except the last
  struct Seg {
    int64_t dst, src, n;  // element offsets and count along the last axis
    bool fill;
  };
  std::vector<Seg> segs;                    // the last axis, as runs
  int64_t rows = 0, row_bytes = 0;
  std::array<uint8_t, 16> value{};
  bool value_input = false;                 // constant_value known only at run time

  void run(const RunContext& rc) const {
    std::array<uint8_t, 16> v = value;
    if (value_input && rc.has_in(2) && rc.in(2).numel() > 0) std::memcpy(v.data(), rc.in(2).raw(), es);
    const auto* src = static_cast<const uint8_t*>(rc.in(0).raw());
    auto* dst = static_cast<uint8_t*>(rc.out(0).raw());
    const int nd = static_cast<int>(maps.size());
    const int64_t last = out.back();
    const auto e = static_cast<int64_t>(es);
    auto body = [&](int64_t r0, int64_t r1) {
      int64_t idx[kMaxDims];
      int64_t r = r0;
      for (int k = nd; k-- > 0;) {
        idx[k] = r % out[static_cast<size_t>(k)];
        r /= out[static_cast<size_t>(k)];
      }
      for (int64_t row = r0; row < r1; ++row) {
        uint8_t* d = dst + row * row_bytes;
        int64_t so = 0;
        bool pad_row = false;
        for (int k = 0; k < nd; ++k) {
          const int64_t m = maps[static_cast<size_t>(k)][static_cast<size_t>(idx[k])];
          if (m < 0) {
            pad_row = true;
            break;
          }
          so += m * in_st[static_cast<size_t>(k)];
        }
        if (pad_row) {
          fill_pattern(d, last, v.data(), es);
        } else {
          for (const Seg& s : segs) {
            if (s.fill)
              fill_pattern(d + s.dst * e, s.n, v.data(), es);
            else
              copy_run(d + s.dst * e, src + so + s.src * e, s.n, e, e, es);
          }
        }
        for (int k = nd; k-- > 0;) {
          if (++idx[k] < out[static_cast<size_t>(k)]) break;
          idx[k] = 0;
        }
      }
    };
    for_rows(rc.pool, rows, rows * row_bytes, body);
  }
};

std::unique_ptr<Kernel> build_pad(BuildContext& ctx) {
  const size_t es = elem_size(ctx, 0);
  const DType dt = ctx.input_dtype(0);
  Shape in = ctx.input_shape(0);
  const auto r = static_cast<int64_t>(in.size());
  const std::string mode = ctx.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    ctx.fail("unsupported mode '" + mode + "'");
  PadPlan p;
  p.es = es;
  std::vector<int64_t> pads;
  if (ctx.opset() < 11) {
    ctx.expect_inputs(1, 1);
    pads = ctx.has_attr("pads") ? ctx.attr_ints("pads") : ctx.attr_ints("paddings");
    encode_value(ctx, ctx.attr_float("value", 0.0f), dt, p.value.data());
  } else {
    ctx.expect_inputs(2, 4);
    std::vector<int64_t> raw = ctx.require_ints(1);
    std::vector<int64_t> axes;
    if (ctx.has_input(3)) {
      axes = ctx.require_ints(3);
    } else {
      for (int64_t i = 0; i < r; ++i) axes.push_back(i);
    }
    if (raw.size() != 2 * axes.size())
      ctx.fail("pads " + shape_str(raw) + " must hold 2 values per axis (" + std::to_string(axes.size()) + " axes)");
    pads.assign(2 * in.size(), 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      const auto a = static_cast<size_t>(normalize_axis(ctx, axes[i], r));
      pads[a] = raw[i];
      pads[a + in.size()] = raw[i + axes.size()];
    }
    if (ctx.has_input(2)) {
      if (ctx.input_dtype(2) != dt)
        ctx.fail(std::string("constant_value is ") + dtype_name(ctx.input_dtype(2)) + ", data is " + dtype_name(dt));
      if (const Tensor* cv = ctx.input_value(2)) {
        if (cv->numel() > 0) std::memcpy(p.value.data(), cv->raw(), es);
      } else {
        p.value_input = true;
      }
    }
  }
  if (pads.size() != 2 * in.size())
    ctx.fail("pads " + shape_str(pads) + " must hold 2 values per axis of " + shape_str(in));
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    out[i] = in[i] + pads[i] + pads[i + in.size()];
    if (out[i] < 0) ctx.fail("pads " + shape_str(pads) + " remove more than all of " + shape_str(in));
  }
  ctx.set_output(0, dt, out);
  if (shape_numel(out) == 0) return nullptr;

  Shape begin(pads.begin(), pads.begin() + static_cast<ptrdiff_t>(in.size()));
  if (in.empty()) {  // a scalar: one "axis" of size 1, unpadded
    in = {1};
    out = {1};
    begin = {0};
  }
  if (in.size() > static_cast<size_t>(kMaxDims)) ctx.fail("unsupported: rank above 64");
  auto map_axis = [&](size_t a) {
    const int64_t d = in[a];
    std::vector<int64_t> m(static_cast<size_t>(out[a]));
    for (int64_t o = 0; o < out[a]; ++o) {
      int64_t i = o - begin[a];
      if (i < 0 || i >= d) {
        if (mode == "constant") {
          i = -1;
        } else if (d == 0) {
          ctx.fail("cannot " + mode + "-pad an empty axis");
        } else if (mode == "edge") {
          i = std::clamp<int64_t>(i, 0, d - 1);
        } else if (mode == "wrap") {
          i = ((i % d) + d) % d;
        } else if (d == 1) {
          i = 0;
        } else {  // reflect, bouncing as often as needed (numpy's behaviour)
          const int64_t period = 2 * (d - 1);
          i = ((i % period) + period) % period;
          if (i >= d) i = period - i;
        }
      }
      m[static_cast<size_t>(o)] = i;
    }
    return m;
  };
  const Shape st = strides_of(in);
  for (size_t a = 0; a + 1 < in.size(); ++a) {
    p.maps.push_back(map_axis(a));
    p.in_st.push_back(st[a] * static_cast<int64_t>(es));
  }
  const std::vector<int64_t> lm = map_axis(in.size() - 1);
  for (size_t o = 0; o < lm.size();) {
    size_t e = o + 1;
    if (lm[o] < 0) {
      while (e < lm.size() && lm[e] < 0) ++e;
      p.segs.push_back({static_cast<int64_t>(o), 0, static_cast<int64_t>(e - o), true});
    } else {
      while (e < lm.size() && lm[e] == lm[e - 1] + 1) ++e;
      p.segs.push_back({static_cast<int64_t>(o), lm[o], static_cast<int64_t>(e - o), false});
    }
    o = e;
  }
  p.out = out;
  p.rows = prod(out, 0, out.size() - 1);
  p.row_bytes = out.back() * static_cast<int64_t>(es);
  return make_kernel([p = std::move(p)](const RunContext& rc) { p.run(rc); });
}

// ---------------------------------------------------------------------------
// Trilu, OneHot.

int64_t scalar_int_at_run(const Tensor& t, const std::string& where) {
  if (t.numel() != 1) throw Error(where + "k must be a scalar, got " + shape_str(t.shape()));
  if (t.dtype() == DType::Int64) return *t.data<int64_t>();
  if (t.dtype() == DType::Int32) return *t.data<int32_t>();
  throw Error(where + "k must be int64, got " + dtype_name(t.dtype()));
}

std::unique_ptr<Kernel> build_trilu(BuildContext& ctx) {
  ctx.expect_inputs(1, 2);
  const size_t es = elem_size(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  if (in.size() < 2) ctx.fail("input must have rank >= 2, got " + shape_str(in));
  const bool upper = ctx.attr_int("upper", 1) != 0;
  const int64_t M = in[in.size() - 2], N = in.back();
  const bool k_input = ctx.has_input(1);
  if (k_input) ctx.expect_dtype(1, {DType::Int64, DType::Int32});
  ctx.set_output(0, ctx.input_dtype(0), in);
  const int64_t batch = shape_numel(in) / std::max<int64_t>(1, M * N);
  if (shape_numel(in) == 0) return nullptr;
  const std::string where = error_prefix(ctx);
  return make_kernel([=](const RunContext& rc) {
    int64_t k = k_input ? scalar_int_at_run(rc.in(1), where) : 0;
    k = std::clamp<int64_t>(k, -M - 1, N + 1);  // beyond this nothing changes; avoids overflow
    const auto* src = static_cast<const uint8_t*>(rc.in(0).raw());
    auto* dst = static_cast<uint8_t*>(rc.out(0).raw());
    const auto e = static_cast<int64_t>(es);
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < M; ++i) {
        const int64_t off = (b * M + i) * N * e;
        // Columns [lo, hi) keep their value, the rest become zero.
        int64_t lo = 0, hi = N;
        if (upper)
          lo = std::clamp<int64_t>(i + k, 0, N);
        else
          hi = std::clamp<int64_t>(i + k + 1, 0, N);
        if (lo > 0) std::memset(dst + off, 0, static_cast<size_t>(lo * e));
        if (hi > lo) std::memcpy(dst + off + lo * e, src + off + lo * e, static_cast<size_t>((hi - lo) * e));
        if (hi < N) std::memset(dst + off + std::max(hi, lo) * e, 0, static_cast<size_t>((N - std::max(hi, lo)) * e));
      }
  });
}

std::unique_ptr<Kernel> build_one_hot(BuildContext& ctx) {
  ctx.expect_inputs(3, 3);
  const Shape& ishape = ctx.input_shape(0);
  const DType it = ctx.input_dtype(0);
  if (!is_numeric_readable(it)) ctx.fail(std::string("unsupported indices type ") + dtype_name(it));
  const Tensor& dv = ctx.require_value(1);
  if (dv.numel() != 1) ctx.fail("depth must have exactly one element, got " + shape_str(dv.shape()));
  if (!is_numeric_readable(dv.dtype())) ctx.fail(std::string("unsupported depth type ") + dtype_name(dv.dtype()));
  const int64_t depth = read_int(dv.raw(), dv.dtype(), 0);
  if (depth < 0) ctx.fail("depth must not be negative, got " + std::to_string(depth));
  const size_t es = elem_size(ctx, 2);
  const Shape& vshape = ctx.input_shape(2);
  if (shape_numel(vshape) != 2) ctx.fail("values must hold [off, on], got " + shape_str(vshape));
  const auto r = static_cast<int64_t>(ishape.size());
  int64_t axis = ctx.attr_int("axis", -1);
  if (axis < -r - 1 || axis > r) ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(r + 1));
  if (axis < 0) axis += r + 1;
  Shape out = ishape;
  out.insert(out.begin() + axis, depth);
  ctx.set_output(0, ctx.input_dtype(2), out);
  const int64_t total = shape_numel(out);
  if (total == 0) return nullptr;
  const int64_t outer = prod(ishape, 0, static_cast<size_t>(axis));
  const int64_t inner = prod(ishape, static_cast<size_t>(axis), ishape.size());
  return make_kernel([=](const RunContext& rc) {
    const auto* vals = static_cast<const uint8_t*>(rc.in(2).raw());
    auto* dst = static_cast<uint8_t*>(rc.out(0).raw());
    fill_pattern(dst, total, vals, es);
    const void* idx = rc.in(0).raw();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t k = read_int(idx, it, o * inner + i);
        if (k < 0 && k >= -depth) k += depth;
        if (k < 0 || k >= depth) continue;  // out of range: the row stays "off"
        move_elem(dst + ((o * depth + k) * inner + i) * static_cast<int64_t>(es), vals + es, es);
      }
  });
}

}  // namespace

void register_shape_ops(OpTable& t) {
  t.add("Transpose", build_transpose);
  t.add("Reshape", build_reshape);
  t.add("Flatten", build_flatten);
  t.add("Squeeze", build_squeeze);
  t.add("Unsqueeze", build_unsqueeze);
  t.add("Identity", build_identity);
  t.add("Concat", build_concat);
  t.add("Split", build_split);
  t.add("Slice", build_slice);
  t.add("Gather", build_gather);
  t.add("GatherElements", build_gather_elements);
  t.add("Shape", build_shape);
  t.add("Size", build_size);
  t.add("Expand", build_expand);
  t.add("Tile", build_tile);
  t.add("ConstantOfShape", build_constant_of_shape);
  t.add("Range", build_range);
  t.add("Pad", build_pad);
  t.add("Trilu", build_trilu);
  t.add("OneHot", build_one_hot);
  t.add("DepthToSpace", build_depth_to_space);
}

}  // namespace saywhen::rt
