// Reductions (Reduce*, ArgMax/ArgMin), the softmax family and the
// normalisations (LayerNormalization, InstanceNormalization, BatchNormalization,
// GroupNormalization).
//
// Hot paths (softmax rows, layer-norm rows, contiguous row reductions) are
// written so GCC vectorises them without -ffast-math: element-wise loops are
// branch-free, and reductions keep independent lanes (an array, or explicit
// GCC vectors where the auto-vectoriser gives up), because the compiler may
// not reorder a single floating-point accumulator. The softmax and layer-norm
// row loops are compiled twice, for the baseline ISA and for AVX2+FMA, and
// picked at run time from cpu().
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "../cpu.h"
#include "../kernel.h"
#include "clone_math.h"
#include "softmax.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include "x86_intrinsics.h"
#endif

namespace saywhen::rt {
namespace {

bool use_avx2() {
#if SW_HAVE_AVX2_CLONES
  return cpu().avx2;
#else
  return false;
#endif
}
bool use_avx512() {
#if SW_HAVE_AVX2_CLONES
  return cpu().avx512;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------
// Vectorisable float math (blend and fast_exp: clone_math.h).

SW_INLINE float any_exp(float x) { return fast_exp(x); }
SW_INLINE double any_exp(double x) { return std::exp(x); }

// x != x without a self-comparison warning for integer instantiations.
template <class T>
SW_INLINE bool is_nan(T x) {
  if constexpr (std::is_floating_point_v<T>) return x != x;
  else return false;
}

// Explicit vectors for the row reductions the auto-vectoriser leaves scalar
// (a max, or a float-to-double sum, across lanes). The baseline build uses
// 128-bit vectors, the AVX2 clones 256-bit ones; both are generic GCC vectors
// that never cross a function boundary, so no ABI question arises.
typedef float f32x2 __attribute__((vector_size(8)));
typedef float f32x4 __attribute__((vector_size(16)));
typedef float f32x8 __attribute__((vector_size(32)));
typedef float f32x16 __attribute__((vector_size(64)));
typedef double f64x2 __attribute__((vector_size(16)));
typedef double f64x4 __attribute__((vector_size(32)));
struct IsaRef {
  using VF = f32x4;  // floats per vector
  using HF = f32x2;  // as many floats as VD has doubles
  using VD = f64x2;
  static constexpr bool kFma = false;
};
struct IsaAvx2 {
  using VF = f32x8;
  using HF = f32x4;
  using VD = f64x4;
  static constexpr bool kFma = true;
};
// LogSoftmax rows only (row_max's vector width); Softmax rows have their own
// AVX-512 code (softmax_rows_block_avx512).
struct IsaAvx512 {
  using VF = f32x16;
};

// ---------------------------------------------------------------------------
// ONNX Runtime's float arithmetic. Softmax, LayerNormalization and
// SkipLayerNormalization (what ORT fuses Add + LayerNormalization into) compute
// exactly what ORT's CPU kernels (MLAS) compute on the same CPU: the reference
// models are validated against ORT, and in a quantised graph one ulp before a
// QuantizeLinear can move a value to the next quantisation step. That fixes
// the order of every sum and where a multiply-add is fused: MLAS's x86-64
// kernels fuse where the CPU has FMA (the AVX2 clones here; this file is built
// with -ffp-contract=off so nothing else is fused).

// a*b+c, fused iff the ISA is one ORT runs FMA kernels on.
template <class P>
SW_INLINE float ort_madd(float a, float b, float c) {
  if constexpr (P::kFma) return __builtin_fmaf(a, b, c);
  else return a * b + c;
}

// exp(x) for x <= 0 as MLAS's softmax computes it: m = round(x / ln2), Cody-
// Waite reduction with a two-part ln2, a degree-6 polynomial, and the result
// scaled by 2^m with one rounding (vscalefps), subnormals included.
template <class P>
SW_INLINE float ort_exp(float x) {
  x = blend(x < -103.9720840454f, -103.9720840454f, x);
  constexpr float kBias = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float m = ort_madd<P>(1.44269504088896341f, x, kBias) - kBias;
  float r = ort_madd<P>(m, -6.93145752e-1f, x);
  r = ort_madd<P>(m, -1.42860677e-6f, r);
  float p = ort_madd<P>(0x1.694000p-10f, r, 0x1.125edcp-7f);
  p = ort_madd<P>(p, r, 0x1.555b5ap-5f);
  p = ort_madd<P>(p, r, 0x1.555450p-3f);
  p = ort_madd<P>(p, r, 0x1.fffff6p-2f);
  p = ort_madd<P>(p, r, 1.0f);
  p = ort_madd<P>(p, r, 1.0f);
  // 2^m as 2^hi * 2^lo, lo 0 or (below 2^-126) -64: the first product is
  // a normal float, so exact, and the second rounds once, into the
  // subnormals if it must: vscalefps's one rounding. (hi = -126 would round
  // twice where p < 1.)
  const int32_t mi = static_cast<int32_t>(m);
  const int32_t hi = mi < -126 ? mi + 64 : mi;
  const float s_hi = std::bit_cast<float>(static_cast<uint32_t>(hi + 127) << 23);
  const float s_lo = std::bit_cast<float>(static_cast<uint32_t>(mi - hi + 127) << 23);
  return (p * s_hi) * s_lo;
}

// The sum MLAS's softmax divides by: `lanes` running sums (16 with AVX-512, 8
// with AVX2), element i going to lane i % lanes, then folded pairwise.
SW_INLINE float ort_lane_sum(const float* y, int64_t n, int lanes) {
  float acc[16] = {};
  int64_t i = 0;
  if (lanes == 16) {
    for (; i + 16 <= n; i += 16)
      for (int j = 0; j < 16; ++j) acc[j] += y[i + j];
    for (int j = 0; i + j < n; ++j) acc[j] += y[i + j];
    for (int j = 0; j < 8; ++j) acc[j] += acc[j + 8];
  } else {
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; ++j) acc[j] += y[i + j];
    for (int j = 0; i + j < n; ++j) acc[j] += y[i + j];
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

int ort_softmax_lanes() { return cpu().avx512 ? 16 : 8; }

template <class T>
constexpr T neg_inf() {
  return -std::numeric_limits<T>::infinity();
}

int64_t prod(const Shape& s, size_t b, size_t e) {
  int64_t p = 1;
  for (size_t i = b; i < e; ++i) p *= s[i];
  return p;
}

// Calls f(T{}) with T the C++ type of dtype; false if the dtype is not listed.
template <class F>
bool dispatch_float(DType t, F&& f) {
  switch (t) {
    case DType::Float32: f(float{}); return true;
    case DType::Float64: f(double{}); return true;
    default: return false;
  }
}

template <class F>
bool dispatch_numeric(DType t, F&& f, bool small_ints) {
  switch (t) {
    case DType::Float32: f(float{}); return true;
    case DType::Float64: f(double{}); return true;
    case DType::Int32: f(int32_t{}); return true;
    case DType::Int64: f(int64_t{}); return true;
    case DType::UInt32: f(uint32_t{}); return true;
    case DType::UInt64: f(uint64_t{}); return true;
    case DType::Int8: if (!small_ints) return false; f(int8_t{}); return true;
    case DType::UInt8: if (!small_ints) return false; f(uint8_t{}); return true;
    case DType::Int16: if (!small_ints) return false; f(int16_t{}); return true;
    case DType::UInt16: if (!small_ints) return false; f(uint16_t{}); return true;
    default: return false;
  }
}

[[noreturn]] void fail_dtype(const BuildContext& ctx, int i) {
  ctx.fail(std::string("unsupported element type ") + dtype_name(ctx.input_dtype(i)) + " for input " +
           std::to_string(i));
}

// Integer results of float-valued finalisers (sqrt, log) must not hit the
// undefined behaviour of converting NaN or an out-of-range double.
template <class T>
T to_int_sat(double v) {
  if (!(v == v)) return 0;
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

// ---------------------------------------------------------------------------
// Reduce*

enum class RK { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp };

template <RK K, class T>
struct Red {
  static constexpr bool kFloat = std::is_floating_point_v<T>;
  static T identity() {
    if constexpr (K == RK::Max)
      return kFloat ? neg_inf<T>() : std::numeric_limits<T>::lowest();
    else if constexpr (K == RK::Min)
      return kFloat ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
    else if constexpr (K == RK::Prod)
      return T(1);
    else
      return T(0);
  }
  SW_INLINE static T pre(T x) {
    if constexpr (K == RK::SumSquare || K == RK::L2)
      return static_cast<T>(x * x);
    else if constexpr (K == RK::L1 && std::is_signed_v<T>)
      return x < T(0) ? static_cast<T>(-x) : x;
    else
      return x;
  }
  // Max/Min propagate NaN like numpy's maximum.reduce.
  SW_INLINE static T comb(T a, T b) {
    if constexpr (K == RK::Max)
      return (b > a || is_nan(b)) ? b : a;
    else if constexpr (K == RK::Min)
      return (b < a || is_nan(b)) ? b : a;
    else if constexpr (K == RK::Prod)
      return static_cast<T>(a * b);
    else
      return static_cast<T>(a + b);
  }
  static T post(T a, int64_t count) {
    if constexpr (K == RK::Mean) {
      if constexpr (kFloat) return a / static_cast<T>(count);
      else return count > 0 ? static_cast<T>(a / static_cast<T>(count)) : T(0);
    } else if constexpr (K == RK::L2) {
      if constexpr (kFloat) return std::sqrt(a);
      else return to_int_sat<T>(std::sqrt(static_cast<double>(a)));
    } else if constexpr (K == RK::LogSum) {
      if constexpr (kFloat) return std::log(a);
      else return to_int_sat<T>(std::log(static_cast<double>(a)));
    } else {
      return a;
    }
  }
};

// Contiguous reduction with 16 independent lanes (vectorisable, and more
// accurate than one running sum).
template <RK K, class T>
SW_INLINE T reduce_row(const T* x, int64_t n) {
  using R = Red<K, T>;
  constexpr int W = 16;
  T acc[W];
  for (int j = 0; j < W; ++j) acc[j] = R::identity();
  int64_t i = 0;
  for (; i + W <= n; i += W)
    for (int j = 0; j < W; ++j) acc[j] = R::comb(acc[j], R::pre(x[i + j]));
  T r = R::identity();
  for (int j = 0; j < W; ++j) r = R::comb(r, acc[j]);
  for (; i < n; ++i) r = R::comb(r, R::pre(x[i]));
  return r;
}

// The reduction as alternating kept/reduced dimensions with size-1 dims dropped
// and neighbours of the same kind merged: [3,4,5] over axes {0,1} is [12r,5k].
struct RedGeom {
  static constexpr int kMaxDims = 64;
  Shape dims;
  std::vector<uint8_t> red;
  Shape out_stride;  // 0 for reduced dims
  int64_t in_n = 0, out_n = 0, count = 0;
};

RedGeom make_geom(const Shape& in, const std::vector<bool>& reduced) {
  RedGeom g;
  g.in_n = shape_numel(in);
  g.out_n = 1;
  g.count = 1;
  for (size_t i = 0; i < in.size(); ++i) (reduced[i] ? g.count : g.out_n) *= in[i];
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == 1) continue;
    bool r = reduced[i];
    if (!g.dims.empty() && static_cast<bool>(g.red.back()) == r) {
      g.dims.back() *= in[i];
    } else {
      g.dims.push_back(in[i]);
      g.red.push_back(r);
    }
  }
  if (g.dims.empty()) {
    g.dims.push_back(1);
    g.red.push_back(0);
  }
  g.out_stride.assign(g.dims.size(), 0);
  int64_t s = 1;
  for (size_t i = g.dims.size(); i-- > 0;)
    if (!g.red[i]) {
      g.out_stride[i] = s;
      s *= g.dims[i];
    }
  return g;
}

// Calls fn(in_offset, out_offset) for every innermost run of dims.back()
// elements, in input order. Needs in_n > 0.
template <class Fn>
SW_INLINE void walk(const RedGeom& g, Fn&& fn) {
  const int k = static_cast<int>(g.dims.size());
  const int64_t L = g.dims[static_cast<size_t>(k - 1)];
  const int64_t blocks = g.in_n / L;
  int64_t idx[RedGeom::kMaxDims] = {};
  int64_t o = 0;
  for (int64_t b = 0; b < blocks; ++b) {
    fn(b * L, o);
    for (int d = k - 2; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      o += g.out_stride[du];
      if (++idx[d] < g.dims[du]) break;
      o -= g.out_stride[du] * g.dims[du];
      idx[d] = 0;
    }
  }
}

template <RK K, class T>
void reduce_run(const RedGeom& g, const T* x, T* y, ThreadPool* pool) {
  using R = Red<K, T>;
  if (g.out_n == 0) return;
  const bool rows = g.in_n > 0 && g.red.back() && (g.dims.size() == 1 || g.dims.size() == 2);
  if (rows) {
    // Every output is one contiguous row of the input: the common case
    // (ReduceMean over the last axis in decomposed layer norms).
    const int64_t L = g.dims.back();
    pool->parallel_for(g.out_n, std::max<int64_t>(1, 16384 / std::max<int64_t>(L, 1)), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) y[r] = R::post(reduce_row<K, T>(x + r * L, L), g.count);
    });
    return;
  }
  const T id = R::identity();
  for (int64_t i = 0; i < g.out_n; ++i) y[i] = id;
  if (g.in_n > 0) {
    const int64_t L = g.dims.back();
    if (g.red.back()) {
      walk(g, [&](int64_t i, int64_t o) { y[o] = R::comb(y[o], reduce_row<K, T>(x + i, L)); });
    } else {
      walk(g, [&](int64_t i, int64_t o) {
        const T* xi = x + i;
        T* yo = y + o;
        for (int64_t j = 0; j < L; ++j) yo[j] = R::comb(yo[j], R::pre(xi[j]));
      });
    }
  }
  for (int64_t i = 0; i < g.out_n; ++i) y[i] = R::post(y[i], g.count);
}

// log(sum(exp(x))) stably: the per-output maximum first (into scratch), then
// the shifted sum of exponentials.
template <class T>
void reduce_logsumexp(const RedGeom& g, const T* x, T* y, T* mx, ThreadPool* pool) {
  reduce_run<RK::Max, T>(g, x, mx, pool);
  if (g.out_n == 0) return;
  for (int64_t i = 0; i < g.out_n; ++i) y[i] = T(0);
  if (g.in_n > 0) {
    const int64_t L = g.dims.back();
    const bool last_red = g.red.back();
    walk(g, [&](int64_t i, int64_t o) {
      const T* xi = x + i;
      if (last_red) {
        const T m = mx[o];
        T s = 0;
        for (int64_t j = 0; j < L; ++j) s += std::exp(xi[j] - m);
        y[o] += s;
      } else {
        for (int64_t j = 0; j < L; ++j) y[o + j] += std::exp(xi[j] - mx[o + j]);
      }
    });
  }
  for (int64_t i = 0; i < g.out_n; ++i)
    y[i] = std::isfinite(mx[i]) ? mx[i] + std::log(y[i]) : mx[i];
}

// The one-element "reduction" noop_with_empty_axes asks for: the element-wise
// part of the op alone (ReduceSumSquare gives x*x, ReduceL2 |x|, ...).
template <RK K, class T>
void reduce_elementwise(const T* x, T* y, int64_t n) {
  using R = Red<K, T>;
  for (int64_t i = 0; i < n; ++i) y[i] = R::post(R::pre(x[i]), 1);
}

template <RK K>
std::unique_ptr<Kernel> build_reduce(BuildContext& ctx) {
  const std::string& op = ctx.node().op_type;
  const bool axes_input = op == "ReduceSum" ? ctx.opset() >= 13 : ctx.opset() >= 18;
  ctx.expect_inputs(1, axes_input ? 2 : 1);
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank > RedGeom::kMaxDims) ctx.fail("unsupported rank " + std::to_string(rank));
  const bool keepdims = ctx.attr_int("keepdims", 1) != 0;
  const bool noop_empty = axes_input && ctx.attr_int("noop_with_empty_axes", 0) != 0;
  std::vector<int64_t> axes;
  if (axes_input) {
    if (ctx.has_input(1)) axes = ctx.require_ints(1);
  } else {
    axes = ctx.attr_ints("axes");
  }

  const bool is_float = dt == DType::Float32 || dt == DType::Float64;
  const bool float_only = K == RK::LogSum || K == RK::LogSumExp;
  const bool small_ints = K == RK::Max || K == RK::Min;
  if (float_only && !is_float) fail_dtype(ctx, 0);

  if (axes.empty() && noop_empty) {
    ctx.set_output(0, dt, in);
    constexpr bool identity = K == RK::Sum || K == RK::Mean || K == RK::Max || K == RK::Min ||
                              K == RK::Prod || K == RK::LogSumExp;
    if constexpr (identity) {
      ctx.alias_output(0, 0, in);
      bool ok = dispatch_numeric(dt, [](auto) {}, small_ints);
      if (!ok) fail_dtype(ctx, 0);
      return nullptr;
    } else {
      std::unique_ptr<Kernel> k;
      bool ok = dispatch_numeric(dt, [&](auto tag) {
        using T = decltype(tag);
        k = make_kernel([](const RunContext& rc) {
          reduce_elementwise<K, T>(rc.in(0).data<T>(), rc.out(0).data<T>(), rc.in(0).numel());
        });
      }, small_ints);
      if (!ok) fail_dtype(ctx, 0);
      return k;
    }
  }

  std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
  if (!axes.empty()) {
    for (int64_t a : axes) {
      const size_t ax = static_cast<size_t>(normalize_axis(ctx, a, rank));
      if (reduced[ax]) ctx.fail("axis " + std::to_string(a) + " is listed twice");
      reduced[ax] = true;
    }
  }
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!reduced[i]) out.push_back(in[i]);
    else if (keepdims) out.push_back(1);
  }
  ctx.set_output(0, dt, out);
  auto geom = std::make_shared<const RedGeom>(make_geom(in, reduced));

  std::unique_ptr<Kernel> k;
  bool ok = dispatch_numeric(dt, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (K == RK::LogSumExp) {
      if constexpr (std::is_floating_point_v<T>) {
        ctx.request_scratch(static_cast<size_t>(geom->out_n) * sizeof(T));
        k = make_kernel([geom](const RunContext& rc) {
          reduce_logsumexp<T>(*geom, rc.in(0).data<T>(), rc.out(0).data<T>(), static_cast<T*>(rc.scratch),
                              rc.pool);
        });
      }
    } else if constexpr (K == RK::LogSum) {
      if constexpr (std::is_floating_point_v<T>)
        k = make_kernel([geom](const RunContext& rc) {
          reduce_run<K, T>(*geom, rc.in(0).data<T>(), rc.out(0).data<T>(), rc.pool);
        });
    } else {
      k = make_kernel([geom](const RunContext& rc) {
        reduce_run<K, T>(*geom, rc.in(0).data<T>(), rc.out(0).data<T>(), rc.pool);
      });
    }
  }, small_ints);
  if (!ok || !k) fail_dtype(ctx, 0);
  return k;
}

// ---------------------------------------------------------------------------
// ArgMax / ArgMin

template <bool kMax, bool kLast, class T>
SW_INLINE bool better(T x, T best) {
  // NaN counts as the extreme value, as numpy's argmax/argmin do.
  const bool xn = is_nan(x), bn = is_nan(best);
  if (bn) return kLast && xn;
  if (xn) return true;
  if constexpr (kMax) return kLast ? x >= best : x > best;
  else return kLast ? x <= best : x < best;
}

template <bool kMax, bool kLast, class T>
void arg_run(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    const T* xo = x + o * n * inner;
    int64_t* yo = y + o * inner;
    for (int64_t c = 0; c < inner; ++c) {
      T best = xo[c];
      int64_t bi = 0;
      for (int64_t i = 1; i < n; ++i) {
        const T v = xo[i * inner + c];
        if (better<kMax, kLast>(v, best)) {
          best = v;
          bi = i;
        }
      }
      yo[c] = bi;
    }
  }
}

template <bool kMax>
std::unique_ptr<Kernel> build_arg(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const Shape& in = ctx.input_shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0) ctx.fail("input must have rank >= 1");
  const size_t axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", 0), rank));
  const bool keepdims = ctx.attr_int("keepdims", 1) != 0;
  const bool last = ctx.attr_int("select_last_index", 0) != 0;
  const int64_t outer = prod(in, 0, axis), n = in[axis], inner = prod(in, axis + 1, in.size());
  if (n == 0 && outer * inner > 0) ctx.fail("cannot take the index of an extreme over an empty axis");
  Shape out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (i != axis) out.push_back(in[i]);
    else if (keepdims) out.push_back(1);
  }
  ctx.set_output(0, DType::Int64, out);
  std::unique_ptr<Kernel> k;
  bool ok = dispatch_numeric(ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    auto body = [=](const RunContext& rc) {
      const T* x = rc.in(0).data<T>();
      int64_t* y = rc.out(0).data<int64_t>();
      if (last) arg_run<kMax, true>(x, y, outer, n, inner);
      else arg_run<kMax, false>(x, y, outer, n, inner);
    };
    k = make_kernel(body);
  }, true);
  if (!ok) fail_dtype(ctx, 0);
  return k;
}

// ---------------------------------------------------------------------------
// Softmax, LogSoftmax, Hardmax

enum class SM { Softmax, LogSoftmax };

template <class T>
SW_INLINE T row_max(const T* x, int64_t n) {
  T m = neg_inf<T>();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

template <class P>
SW_INLINE float row_max(const float* x, int64_t n) {
  using VF = typename P::VF;
  constexpr int L = sizeof(VF) / sizeof(float);
  VF a0, a1;
  for (int j = 0; j < L; ++j) a0[j] = a1[j] = neg_inf<float>();
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    VF v0, v1;
    std::memcpy(&v0, x + i, sizeof v0);
    std::memcpy(&v1, x + i + L, sizeof v1);
    a0 = v0 > a0 ? v0 : a0;
    a1 = v1 > a1 ? v1 : a1;
  }
  a0 = a1 > a0 ? a1 : a0;
  float m = neg_inf<float>();
  for (int j = 0; j < L; ++j) m = a0[j] > m ? a0[j] : m;
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// Lane-wise sum of a contiguous row (the compiler may not reassociate one
// running float sum, so this is what lets it vectorise).
template <class Acc, class T>
SW_INLINE Acc row_sum(const T* x, int64_t n) {
  constexpr int W = 16;
  Acc acc[W] = {};
  int64_t i = 0;
  for (; i + W <= n; i += W)
    for (int j = 0; j < W; ++j) acc[j] += static_cast<Acc>(x[i + j]);
  Acc s = 0;
  for (int j = 0; j < W; ++j) s += acc[j];
  for (; i < n; ++i) s += static_cast<Acc>(x[i]);
  return s;
}

// One contiguous row of n elements. The exponentials go to y first, in a loop
// of their own so it vectorises, and are summed from there (the row is still
// in L1). LogSoftmax sums in double: its outputs near zero are -log(1 + tiny),
// which a float sum rounds away.
template <SM K, class T, class P>
SW_INLINE void softmax_row(const T* x, T* y, int64_t n) {
  if constexpr (K == SM::Softmax && std::is_same_v<T, float>) {
    // MLAS: exp(x + -max) into y, their lane sum, then y * (1 / sum).
    const float neg = -row_max<P>(x, n);
    for (int64_t i = 0; i < n; ++i) y[i] = ort_exp<P>(x[i] + neg);
    const float inv = 1.0f / ort_lane_sum(y, n, ort_softmax_lanes());
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
    return;
  }
  T m;
  if constexpr (std::is_same_v<T, float>) m = row_max<P>(x, n);
  else m = row_max(x, n);
  for (int64_t i = 0; i < n; ++i) y[i] = any_exp(x[i] - m);
  if constexpr (K == SM::Softmax) {
    const T inv = T(1) / row_sum<T>(y, n);
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  } else {
    const T ls = static_cast<T>(std::log(row_sum<double>(y, n)));
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
  }
}

// Softmax along the middle axis of [n, inner] for columns [c0, c1), at most
// kTile at a time so the running max/sum live on the stack.
constexpr int64_t kTile = 16;
template <SM K, class T, class P>
SW_INLINE void softmax_cols(const T* x, T* y, int64_t n, int64_t inner, int64_t c0, int64_t c1) {
  using Acc = std::conditional_t<K == SM::Softmax, T, double>;
  if constexpr (K == SM::Softmax && std::is_same_v<T, float>) {
    // ORT moves the axis last and runs its row softmax (softmax_row above) on
    // each column: the same lane sums, here kept per column.
    const int lanes = ort_softmax_lanes();
    for (int64_t c = c0; c < c1; c += kTile) {
      const int64_t w = std::min(kTile, c1 - c);
      float neg[kTile], acc[kTile][16] = {}, f[kTile];
      for (int64_t j = 0; j < w; ++j) neg[j] = neg_inf<float>();
      for (int64_t i = 0; i < n; ++i) {
        const float* xr = x + i * inner + c;
        for (int64_t j = 0; j < w; ++j) neg[j] = xr[j] > neg[j] ? xr[j] : neg[j];
      }
      for (int64_t j = 0; j < w; ++j) neg[j] = -neg[j];
      for (int64_t i = 0; i < n; ++i) {
        const float* xr = x + i * inner + c;
        float* yr = y + i * inner + c;
        const int64_t l = i % lanes;
        for (int64_t j = 0; j < w; ++j) {
          yr[j] = ort_exp<P>(xr[j] + neg[j]);
          acc[j][l] += yr[j];
        }
      }
      for (int64_t j = 0; j < w; ++j) {
        float* a = acc[j];
        if (lanes == 16)
          for (int l = 0; l < 8; ++l) a[l] += a[l + 8];
        f[j] = 1.0f / (((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])));
      }
      for (int64_t i = 0; i < n; ++i) {
        float* yr = y + i * inner + c;
        for (int64_t j = 0; j < w; ++j) yr[j] *= f[j];
      }
    }
    return;
  }
  for (int64_t c = c0; c < c1; c += kTile) {
    const int64_t w = std::min(kTile, c1 - c);
    T m[kTile];
    Acc s[kTile];
    for (int64_t j = 0; j < w; ++j) {
      m[j] = neg_inf<T>();
      s[j] = 0;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* xr = x + i * inner + c;
      for (int64_t j = 0; j < w; ++j) m[j] = xr[j] > m[j] ? xr[j] : m[j];
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* xr = x + i * inner + c;
      T* yr = y + i * inner + c;
      for (int64_t j = 0; j < w; ++j) {
        const T e = any_exp(xr[j] - m[j]);
        if constexpr (K == SM::Softmax) yr[j] = e;
        s[j] += e;
      }
    }
    T f[kTile];
    for (int64_t j = 0; j < w; ++j) {
      if constexpr (K == SM::Softmax) f[j] = T(1) / s[j];
      else f[j] = static_cast<T>(std::log(s[j]));
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* xr = x + i * inner + c;
      T* yr = y + i * inner + c;
      if constexpr (K == SM::Softmax) {
        for (int64_t j = 0; j < w; ++j) yr[j] *= f[j];
      } else {
        for (int64_t j = 0; j < w; ++j) yr[j] = (xr[j] - m[j]) - f[j];
      }
    }
  }
}

template <SM K, class T>
void softmax_rows_ref(const T* x, T* y, int64_t r0, int64_t r1, int64_t n) {
  for (int64_t r = r0; r < r1; ++r) softmax_row<K, T, IsaRef>(x + r * n, y + r * n, n);
}
template <SM K, class T>
void softmax_cols_ref(const T* x, T* y, int64_t n, int64_t inner, int64_t c0, int64_t c1) {
  softmax_cols<K, T, IsaRef>(x, y, n, inner, c0, c1);
}
#if SW_HAVE_AVX2_CLONES
template <SM K>
SW_AVX2 void softmax_rows_avx2(const float* x, float* y, int64_t r0, int64_t r1, int64_t n) {
  for (int64_t r = r0; r < r1; ++r) softmax_row<K, float, IsaAvx2>(x + r * n, y + r * n, n);
}
// MLAS's AVX-512 softmax row in explicit vectors: per element the operations
// of ort_exp<IsaAvx2> (FMA), then ort_lane_sum's 16-lane sum, so the bits of
// softmax_row with 16 lanes, in about 60 % of the time GCC's code for it took.
SW_AVX512 SW_INLINE __m512 ort_exp_avx512(__m512 x) {
  // max(floor, x), in that operand order, keeps a NaN x as the select does.
  x = _mm512_max_ps(_mm512_set1_ps(-103.9720840454f), x);
  const __m512 bias = _mm512_set1_ps(12582912.0f);
  const __m512 m = _mm512_sub_ps(_mm512_fmadd_ps(_mm512_set1_ps(1.44269504088896341f), x, bias), bias);
  __m512 r = _mm512_fmadd_ps(m, _mm512_set1_ps(-6.93145752e-1f), x);
  r = _mm512_fmadd_ps(m, _mm512_set1_ps(-1.42860677e-6f), r);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(0x1.694000p-10f), r, _mm512_set1_ps(0x1.125edcp-7f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.555b5ap-5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.555450p-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0x1.fffff6p-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
  // p * 2^m with one rounding: ort_exp's (p * 2^hi) * 2^lo, whose first
  // product is exact, rounds the same exact value once.
  return _mm512_scalef_ps(p, m);
}

SW_AVX512 SW_INLINE __mmask16 tail_mask(int64_t left) {
  return left >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << left) - 1);
}

// R rows at once: each row's operations and their order are those of one
// row alone; interleaving only lets one row's horizontal reductions and
// exponentials overlap another's (a 64-wide attention row is mostly latency).
template <int R>
SW_AVX512 SW_INLINE void softmax_rows_block_avx512(const float* x, float* y, int64_t n) {
  // The maximum does not depend on the order it is taken in (NaN skipped, as
  // in row_max; a signed zero's sign cannot change any exp below).
  __m512 mx[R], neg[R], acc[R];
  for (int r = 0; r < R; ++r) mx[r] = _mm512_set1_ps(neg_inf<float>());
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    for (int r = 0; r < R; ++r)
      mx[r] = _mm512_mask_max_ps(mx[r], k, _mm512_maskz_loadu_ps(k, x + r * n + i), mx[r]);
  }
  for (int r = 0; r < R; ++r) {
    neg[r] = _mm512_set1_ps(-_mm512_reduce_max_ps(mx[r]));
    acc[r] = _mm512_setzero_ps();
  }
  // ort_lane_sum with 16 lanes: element i into lane i % 16.
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    for (int r = 0; r < R; ++r) {
      const __m512 e = ort_exp_avx512(_mm512_add_ps(_mm512_maskz_loadu_ps(k, x + r * n + i), neg[r]));
      _mm512_mask_storeu_ps(y + r * n + i, k, e);
      acc[r] = _mm512_mask_add_ps(acc[r], k, acc[r], e);
    }
  }
  __m512 inv[R];
  for (int r = 0; r < R; ++r) {
    alignas(64) float a[16];
    _mm512_store_ps(a, acc[r]);
    for (int j = 0; j < 8; ++j) a[j] += a[j + 8];
    const float sum = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    inv[r] = _mm512_set1_ps(1.0f / sum);
  }
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = tail_mask(n - i);
    for (int r = 0; r < R; ++r)
      _mm512_mask_storeu_ps(y + r * n + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, y + r * n + i), inv[r]));
  }
}

template <SM K>
SW_AVX512 void softmax_rows_avx512(const float* x, float* y, int64_t r0, int64_t r1, int64_t n) {
  int64_t r = r0;
  if constexpr (K == SM::Softmax)
    for (; r + 4 <= r1; r += 4) softmax_rows_block_avx512<4>(x + r * n, y + r * n, n);
  for (; r < r1; ++r) {
    if constexpr (K == SM::Softmax) softmax_rows_block_avx512<1>(x + r * n, y + r * n, n);
    else softmax_row<K, float, IsaAvx512>(x + r * n, y + r * n, n);
  }
}
template <SM K>
SW_AVX2 void softmax_cols_avx2(const float* x, float* y, int64_t n, int64_t inner, int64_t c0, int64_t c1) {
  softmax_cols<K, float, IsaAvx2>(x, y, n, inner, c0, c1);
}
#endif

template <SM K, class T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t n, ThreadPool* pool) {
  const bool avx2 = std::is_same_v<T, float> && use_avx2();
  const bool avx512 = std::is_same_v<T, float> && use_avx512();
  pool->parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
#if SW_HAVE_AVX2_CLONES
    if constexpr (std::is_same_v<T, float>) {
      if (avx512) return softmax_rows_avx512<K>(x, y, b, e, n);
      if (avx2) return softmax_rows_avx2<K>(x, y, b, e, n);
    }
#endif
    softmax_rows_ref<K, T>(x, y, b, e, n);
  });
}

template <SM K, class T>
void softmax_run(const RunContext& rc, int64_t outer, int64_t n, int64_t inner) {
  const T* x = rc.in(0).data<T>();
  T* y = rc.out(0).data<T>();
  const bool avx2 = std::is_same_v<T, float> && use_avx2();
  if (inner == 1) return softmax_rows<K, T>(x, y, outer, n, rc.pool);
  const int64_t tiles = (inner + kTile - 1) / kTile;
  const int64_t per_tile = n * kTile;
  rc.pool->parallel_for(outer * tiles, std::max<int64_t>(1, 16384 / std::max<int64_t>(per_tile, 1)),
                        [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t o = t / tiles, c0 = (t % tiles) * kTile, c1 = std::min(inner, c0 + kTile);
      const T* xo = x + o * n * inner;
      T* yo = y + o * n * inner;
#if SW_HAVE_AVX2_CLONES
      if constexpr (std::is_same_v<T, float>)
        if (avx2) {
          softmax_cols_avx2<K>(xo, yo, n, inner, c0, c1);
          continue;
        }
#endif
      softmax_cols_ref<K, T>(xo, yo, n, inner, c0, c1);
    }
  });
}

template <class T>
void hardmax_run(const T* x, T* y, int64_t outer, int64_t n, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    const T* xo = x + o * n * inner;
    T* yo = y + o * n * inner;
    for (int64_t i = 0; i < n * inner; ++i) yo[i] = T(0);
    for (int64_t c = 0; c < inner && n > 0; ++c) {
      T best = xo[c];
      int64_t bi = 0;
      for (int64_t i = 1; i < n; ++i)
        if (better<true, false>(xo[i * inner + c], best)) {
          best = xo[i * inner + c];
          bi = i;
        }
      yo[bi * inner + c] = T(1);
    }
  }
}

// Softmax-family geometry: before opset 13 the input is flattened to 2-D at
// `axis` (default 1); from 13 the op works along the one axis (default -1).
struct SmGeom {
  int64_t outer, n, inner;
};
SmGeom softmax_geom(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const Shape& in = ctx.input_shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  const bool v13 = ctx.opset() >= 13;
  if (rank == 0) ctx.fail("input must have rank >= 1");
  const size_t axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", v13 ? -1 : 1), rank));
  ctx.set_output(0, ctx.input_dtype(0), in);
  if (v13) return {prod(in, 0, axis), in[axis], prod(in, axis + 1, in.size())};
  return {prod(in, 0, axis), prod(in, axis, in.size()), 1};
}

template <SM K>
std::unique_ptr<Kernel> build_softmax(BuildContext& ctx) {
  const SmGeom g = softmax_geom(ctx);
  std::unique_ptr<Kernel> k;
  bool ok = dispatch_float(ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    k = make_kernel([g](const RunContext& rc) { softmax_run<K, T>(rc, g.outer, g.n, g.inner); });
  });
  if (!ok) fail_dtype(ctx, 0);
  return k;
}

std::unique_ptr<Kernel> build_hardmax(BuildContext& ctx) {
  const SmGeom g = softmax_geom(ctx);
  std::unique_ptr<Kernel> k;
  bool ok = dispatch_float(ctx.input_dtype(0), [&](auto tag) {
    using T = decltype(tag);
    k = make_kernel([g](const RunContext& rc) {
      hardmax_run<T>(rc.in(0).data<T>(), rc.out(0).data<T>(), g.outer, g.n, g.inner);
    });
  });
  if (!ok) fail_dtype(ctx, 0);
  return k;
}

// ---------------------------------------------------------------------------
// Normalisations

// Mean and variance of a contiguous row in one pass. The sums are kept in
// double so E[x^2] - E[x]^2 does not cancel for rows whose mean is large
// against their spread.
struct Stats {
  double mean, var;
};
SW_INLINE Stats finish_stats(double S, double Q, int64_t n) {
  const double mean = S / static_cast<double>(n);
  return {mean, std::max(0.0, Q / static_cast<double>(n) - mean * mean)};
}

template <class P = IsaRef>
SW_INLINE Stats row_stats(const double* x, int64_t n) {
  double S = 0, Q = 0;
  for (int64_t i = 0; i < n; ++i) {
    S += x[i];
    Q += x[i] * x[i];
  }
  return finish_stats(S, Q, n);
}

template <class P = IsaRef>
SW_INLINE Stats row_stats(const float* x, int64_t n) {
  using HF = typename P::HF;
  using VD = typename P::VD;
  constexpr int L = sizeof(VD) / sizeof(double);
  VD s0 = {}, s1 = {}, q0 = {}, q1 = {};
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    HF a, b;
    std::memcpy(&a, x + i, sizeof a);
    std::memcpy(&b, x + i + L, sizeof b);
    const VD da = __builtin_convertvector(a, VD), db = __builtin_convertvector(b, VD);
    s0 += da;
    q0 += da * da;
    s1 += db;
    q1 += db * db;
  }
  s0 += s1;
  q0 += q1;
  double S = 0, Q = 0;
  for (int j = 0; j < L; ++j) {
    S += s0[j];
    Q += q0[j];
  }
  for (; i < n; ++i) {
    const double v = static_cast<double>(x[i]);
    S += v;
    Q += v * v;
  }
  return finish_stats(S, Q, n);
}

// Layer-norm rows [r0, r1) of length n. scale/bias have n entries each (bias
// may be null); mean/inv_std outputs may be null.
template <class T, class U, class P>
SW_INLINE void layernorm_rows(const T* x, T* y, const T* scale, const T* bias, U* mean_out, U* inv_out,
                              int64_t r0, int64_t r1, int64_t n, double eps) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * n;
    T* yr = y + r * n;
    const Stats st = row_stats<P>(xr, n);
    const double inv = 1.0 / std::sqrt(st.var + eps);
    if (mean_out) mean_out[r] = static_cast<U>(st.mean);
    if (inv_out) inv_out[r] = static_cast<U>(inv);
    const T mh = static_cast<T>(st.mean), ml = static_cast<T>(st.mean - static_cast<double>(mh));
    const T iv = static_cast<T>(inv);
    if (bias) {
      for (int64_t j = 0; j < n; ++j) yr[j] = ((xr[j] - mh) - ml) * iv * scale[j] + bias[j];
    } else {
      for (int64_t j = 0; j < n; ++j) yr[j] = ((xr[j] - mh) - ml) * iv * scale[j];
    }
  }
}

// Float layer norm as ORT computes it. With AVX2/FMA and rows of 8 or more,
// MLAS's kernel: the mean from a double sum in 4 lanes, the variance from
// centred squares summed in 8 float lanes, y = (x - mean) * inv_std, then
// y * scale + bias fused. Otherwise ORT's scalar path: Welford's running mean
// and M2 in float, y = (x - mean) / std * scale + bias.
// MLAS's lanes are AVX2 registers here, written out: left to the compiler, the
// interleaved rows stayed scalar. R rows at once: each row's sums keep their
// own lanes and order, the rows only interleave so the additions of one do not
// wait on another's.
#if SW_HAVE_AVX2_CLONES
template <int R, class U>
SW_AVX2 SW_INLINE void ort_layernorm_rows_mlas(const float* x, float* y, const float* scale, const float* bias,
                                               U* mean_out, U* inv_out, int64_t n, float eps) {
  __m256d l[R];
  for (int r = 0; r < R; ++r) l[r] = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int r = 0; r < R; ++r) l[r] = _mm256_add_pd(l[r], _mm256_cvtps_pd(_mm_loadu_ps(x + r * n + i)));
  const int64_t i4 = i;
  float mean[R];
  for (int r = 0; r < R; ++r) {
    alignas(32) double t[4];
    _mm256_store_pd(t, l[r]);
    double ds = (t[0] + t[2]) + (t[1] + t[3]);
    for (int64_t k = i4; k < n; ++k) ds += static_cast<double>(x[r * n + k]);
    mean[r] = static_cast<float>(ds / static_cast<double>(n));
  }
  __m256 v[R];
  for (int r = 0; r < R; ++r) v[r] = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8)
    for (int r = 0; r < R; ++r) {
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + r * n + i), _mm256_set1_ps(mean[r]));
      v[r] = _mm256_fmadd_ps(d, d, v[r]);
    }
  const int64_t i8 = i;
  for (int r = 0; r < R; ++r) {
    alignas(32) float v8[8];
    _mm256_store_ps(v8, v[r]);
    float var = ((v8[0] + v8[4]) + (v8[2] + v8[6])) + ((v8[1] + v8[5]) + (v8[3] + v8[7]));
    for (int64_t k = i8; k < n; ++k) {
      const float d = x[r * n + k] - mean[r];
      var += d * d;
    }
    const float m = mean[r];
    const float inv = 1.0f / std::sqrt(var / static_cast<float>(n) + eps);
    const float* xr = x + r * n;
    float* yr = y + r * n;
    const __m256 mv = _mm256_set1_ps(m), iv = _mm256_set1_ps(inv);
    int64_t j = 0;
    if (bias) {
      for (; j + 8 <= n; j += 8) {
        const __m256 c = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), mv), iv);
        _mm256_storeu_ps(yr + j, _mm256_fmadd_ps(c, _mm256_loadu_ps(scale + j), _mm256_loadu_ps(bias + j)));
      }
      for (; j < n; ++j) yr[j] = __builtin_fmaf((xr[j] - m) * inv, scale[j], bias[j]);
    } else {
      for (; j + 8 <= n; j += 8) {
        const __m256 c = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(xr + j), mv), iv);
        _mm256_storeu_ps(yr + j, _mm256_mul_ps(c, _mm256_loadu_ps(scale + j)));
      }
      for (; j < n; ++j) yr[j] = ((xr[j] - m) * inv) * scale[j];
    }
    if (mean_out) mean_out[r] = static_cast<U>(m);
    if (inv_out) inv_out[r] = static_cast<U>(inv);
  }
}
#endif

// Welford over `rows` (<= 16) rows at once, lane r being row r (rows
// `stride` apart): the running mean depends on the one before, so one row
// alone would wait on a division per element. Columns go through a transposed
// block on the stack so the 16 lanes are one contiguous vector.
constexpr int kWelfordRows = 16;
template <class P>
SW_INLINE void ort_welford_stats(const float* x, int64_t stride, int rows, int64_t n, float eps, float* mean_out,
                                 float* sd_out) {
  constexpr int64_t kCols = 64;
  float mean[kWelfordRows] = {}, m2[kWelfordRows] = {};
  alignas(64) float tb[kCols][kWelfordRows];
  for (int64_t k0 = 0; k0 < n; k0 += kCols) {
    const int64_t kc = std::min(kCols, n - k0);
    for (int r = 0; r < kWelfordRows; ++r)
      for (int64_t k = 0; k < kc; ++k) tb[k][r] = r < rows ? x[r * stride + k0 + k] : 0.0f;
    for (int64_t k = 0; k < kc; ++k) {
      const float cnt = static_cast<float>(k0 + k + 1);
      for (int r = 0; r < kWelfordRows; ++r) {
        const float v = tb[k][r];
        const float d = v - mean[r];
        mean[r] += d / cnt;
        m2[r] += d * (v - mean[r]);
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    mean_out[r] = mean[r];
    sd_out[r] = std::sqrt(m2[r] / static_cast<float>(n) + eps);
  }
}

SW_INLINE void ort_normalize_row_div(const float* x, float* y, const float* scale, const float* bias, int64_t n,
                                    float mean, float sd) {
  if (bias) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mean) / sd * scale[j] + bias[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mean) / sd * scale[j];
  }
}

// ORT's scalar path (Welford), for CPUs without FMA and rows under 8.
template <class U, class P>
SW_INLINE void ort_layernorm_rows(const float* x, float* y, const float* scale, const float* bias, U* mo, U* io,
                                  int64_t r0, int64_t r1, int64_t n, float eps) {
  for (int64_t r = r0; r < r1; r += kWelfordRows) {
    const int rows = static_cast<int>(std::min<int64_t>(kWelfordRows, r1 - r));
    float mean[kWelfordRows], sd[kWelfordRows];
    ort_welford_stats<P>(x + r * n, n, rows, n, eps, mean, sd);
    for (int k = 0; k < rows; ++k) {
      ort_normalize_row_div(x + (r + k) * n, y + (r + k) * n, scale, bias, n, mean[k], sd[k]);
      if (mo) mo[r + k] = static_cast<U>(mean[k]);
      if (io) io[r + k] = static_cast<U>(1.0f / sd[k]);
    }
  }
}

template <class T, class U>
void layernorm_ref(const T* x, T* y, const T* scale, const T* bias, U* mo, U* io, int64_t r0, int64_t r1,
                   int64_t n, double eps) {
  if constexpr (std::is_same_v<T, float>)
    ort_layernorm_rows<U, IsaRef>(x, y, scale, bias, mo, io, r0, r1, n, static_cast<float>(eps));
  else
    layernorm_rows<T, U, IsaRef>(x, y, scale, bias, mo, io, r0, r1, n, eps);
}
#if SW_HAVE_AVX2_CLONES
template <class U>
SW_AVX2 void layernorm_avx2(const float* x, float* y, const float* scale, const float* bias, U* mo, U* io,
                            int64_t r0, int64_t r1, int64_t n, double eps) {
  const float e = static_cast<float>(eps);
  if (n < 8) return ort_layernorm_rows<U, IsaAvx2>(x, y, scale, bias, mo, io, r0, r1, n, e);
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4)
    ort_layernorm_rows_mlas<4, U>(x + r * n, y + r * n, scale, bias, mo ? mo + r : nullptr, io ? io + r : nullptr, n, e);
  for (; r < r1; ++r)
    ort_layernorm_rows_mlas<1, U>(x + r * n, y + r * n, scale, bias, mo ? mo + r : nullptr, io ? io + r : nullptr, n, e);
}
#endif

std::unique_ptr<Kernel> build_layernorm(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::Float32 && dt != DType::Float64) fail_dtype(ctx, 0);
  for (int i = 1; i < 3; ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != dt)
      ctx.fail("unsupported: input " + std::to_string(i) + " is " + dtype_name(ctx.input_dtype(i)) + ", X is " +
               dtype_name(dt));
  const Shape& in = ctx.input_shape(0);
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0) ctx.fail("input must have rank >= 1");
  const size_t axis = static_cast<size_t>(normalize_axis(ctx, ctx.attr_int("axis", -1), rank));
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const int64_t stash = ctx.attr_int("stash_type", 1);
  DType ut;
  if (stash == 1) ut = DType::Float32;
  else if (stash == 11) ut = DType::Float64;
  else ctx.fail("unsupported stash_type " + std::to_string(stash));
  const int64_t outer = prod(in, 0, axis), n = prod(in, axis, in.size());
  const Shape norm(in.begin() + static_cast<std::ptrdiff_t>(axis), in.end());
  auto sidx = std::make_shared<const std::vector<int64_t>>(broadcast_index(ctx, norm, ctx.input_shape(1), "Scale"));
  auto bidx = std::make_shared<const std::vector<int64_t>>(
      ctx.has_input(2) ? broadcast_index(ctx, norm, ctx.input_shape(2), "B") : std::vector<int64_t>{});
  const bool expand = !sidx->empty() || !bidx->empty();
  ctx.set_output(0, dt, in);
  Shape stat_shape(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(axis));
  stat_shape.resize(in.size(), 1);
  ctx.set_output(1, ut, stat_shape);
  ctx.set_output(2, ut, stat_shape);
  const size_t tsize = dtype_size(dt);
  // A broadcast Scale or B is expanded to full rows in scratch at run time.
  if (expand) ctx.request_scratch(static_cast<size_t>(2 * n) * tsize);

  std::unique_ptr<Kernel> k;
  dispatch_float(dt, [&](auto ttag) {
    using T = decltype(ttag);
    dispatch_float(ut, [&](auto utag) {
      using U = decltype(utag);
      k = make_kernel([=](const RunContext& rc) {
        const T* x = rc.in(0).data<T>();
        T* y = rc.out(0).data<T>();
        const T* scale = rc.in(1).data<T>();
        const T* bias = rc.has_in(2) ? rc.in(2).data<T>() : nullptr;
        if (expand) {
          T* s2 = static_cast<T*>(rc.scratch);
          T* b2 = s2 + n;
          for (int64_t j = 0; j < n; ++j) {
            s2[j] = sidx->empty() ? scale[j] : scale[(*sidx)[static_cast<size_t>(j)]];
            if (bias) b2[j] = bidx->empty() ? bias[j] : bias[(*bidx)[static_cast<size_t>(j)]];
          }
          scale = s2;
          if (bias) bias = b2;
        }
        U* mo = rc.has_out(1) ? rc.out(1).data<U>() : nullptr;
        U* io = rc.has_out(2) ? rc.out(2).data<U>() : nullptr;
        rc.pool->parallel_for(outer, std::max<int64_t>(1, 8192 / std::max<int64_t>(n, 1)), [&](int64_t b, int64_t e) {
#if SW_HAVE_AVX2_CLONES
          if constexpr (std::is_same_v<T, float>)
            if (use_avx2()) return layernorm_avx2<U>(x, y, scale, bias, mo, io, b, e, n, eps);
#endif
          layernorm_ref<T, U>(x, y, scale, bias, mo, io, b, e, n, eps);
        });
      });
    });
  });
  return k;
}

// Up to kWelfordRows rows of SkipLayerNormalization as ORT's kernel computes
// them: the sum (a + b) + bias into y, Welford statistics, then in place.
template <class P>
SW_INLINE void ort_skip_layernorm_block(const float* a, const float* b, const float* bias, const float* gamma,
                                        const float* beta, float* y, int rows, int64_t n, float eps) {
  for (int r = 0; r < rows; ++r) {
    const float* ar = a + r * n;
    const float* br = b + r * n;
    float* yr = y + r * n;
    if (bias) {
      for (int64_t j = 0; j < n; ++j) yr[j] = (ar[j] + br[j]) + bias[j];
    } else {
      for (int64_t j = 0; j < n; ++j) yr[j] = ar[j] + br[j];
    }
  }
  float mean[kWelfordRows], sd[kWelfordRows];
  ort_welford_stats<P>(y, n, rows, n, eps, mean, sd);
  for (int r = 0; r < rows; ++r) ort_normalize_row_div(y + r * n, y + r * n, gamma, beta, n, mean[r], sd[r]);
}
void skip_layernorm_block_ref(const float* a, const float* b, const float* bias, const float* gamma,
                              const float* beta, float* y, int rows, int64_t n, float eps) {
  ort_skip_layernorm_block<IsaRef>(a, b, bias, gamma, beta, y, rows, n, eps);
}
#if SW_HAVE_AVX2_CLONES
SW_AVX2 void skip_layernorm_block_avx2(const float* a, const float* b, const float* bias, const float* gamma,
                                       const float* beta, float* y, int rows, int64_t n, float eps) {
  ort_skip_layernorm_block<IsaAvx2>(a, b, bias, gamma, beta, y, rows, n, eps);
}
#endif

// saywhen.SkipLayerNorm(a, b, gamma [, beta [, bias]]), attributes epsilon and
// order: LayerNormalization over the last axis of a + b (+ bias, 1-D). The
// optimizer makes it from Add [, Add bias] -> LayerNormalization wherever ONNX
// Runtime's SkipLayerNormFusion would, and it computes what ORT's
// SkipLayerNormalization kernel does: the sum as (a + b) + bias, Welford
// statistics in float, (x - mean) / std * gamma + beta. ORT fuses only when a
// and b are 3-D of one shape; for other shapes the original nodes' arithmetic:
// the sum in the graph's order (order 1: (a + bias) + b, 2: a + (b + bias)),
// then the LayerNormalization kernel's.
std::unique_ptr<Kernel> build_skip_layernorm(BuildContext& ctx) {
  ctx.expect_inputs(3, 5);
  for (int i = 0; i < 5; ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != DType::Float32) fail_dtype(ctx, i);
  const Shape& as = ctx.input_shape(0);
  const Shape& bs = ctx.input_shape(1);
  const Shape out = broadcast_shapes(ctx, as, bs);
  if (out.empty()) ctx.fail("input must have rank >= 1");
  const int64_t n = out.back();
  const bool has_beta = ctx.has_input(3), has_bias = ctx.has_input(4);
  for (int i = 2; i < 5; ++i)
    if (ctx.has_input(i) && ctx.input_shape(i) != Shape{n})
      ctx.fail("input " + std::to_string(i) + " must have shape [" + std::to_string(n) + "], got " +
               shape_str(ctx.input_shape(i)));
  const float eps = ctx.attr_float("epsilon", 1e-5f);
  const int64_t order = ctx.attr_int("order", 3);
  const bool fused = as.size() == 3 && as == bs;
  auto ia = std::make_shared<const std::vector<int64_t>>(fused ? std::vector<int64_t>{} : broadcast_index(ctx, out, as, "A"));
  auto ib = std::make_shared<const std::vector<int64_t>>(fused ? std::vector<int64_t>{} : broadcast_index(ctx, out, bs, "B"));
  ctx.set_output(0, DType::Float32, out);
  const int64_t rows = shape_numel(out) / std::max<int64_t>(n, 1);
  return make_kernel([=](const RunContext& rc) {
    const float* a = rc.in(0).data<float>();
    const float* b = rc.in(1).data<float>();
    const float* gamma = rc.in(2).data<float>();
    const float* beta = has_beta ? rc.in(3).data<float>() : nullptr;
    const float* bias = has_bias ? rc.in(4).data<float>() : nullptr;
    float* y = rc.out(0).data<float>();
    if (n == 0) return;
    if (fused) {
      const int64_t blocks = (rows + kWelfordRows - 1) / kWelfordRows;
      rc.pool->parallel_for(blocks, std::max<int64_t>(1, 8192 / (n * kWelfordRows)), [&](int64_t b0, int64_t b1) {
        for (int64_t blk = b0; blk < b1; ++blk) {
          const int64_t r = blk * kWelfordRows;
          const int cnt = static_cast<int>(std::min<int64_t>(kWelfordRows, rows - r));
#if SW_HAVE_AVX2_CLONES
          if (use_avx2()) {
            skip_layernorm_block_avx2(a + r * n, b + r * n, bias, gamma, beta, y + r * n, cnt, n, eps);
            continue;
          }
#endif
          skip_layernorm_block_ref(a + r * n, b + r * n, bias, gamma, beta, y + r * n, cnt, n, eps);
        }
      });
      return;
    }
    const int64_t total = rows * n;
    for (int64_t e = 0; e < total; ++e) {
      const float av = a[ia->empty() ? e : (*ia)[static_cast<size_t>(e)]];
      const float bv = b[ib->empty() ? e : (*ib)[static_cast<size_t>(e)]];
      if (!bias) y[e] = av + bv;
      else if (order == 1) y[e] = (av + bias[e % n]) + bv;
      else y[e] = av + (bv + bias[e % n]);
    }
    rc.pool->parallel_for(rows, std::max<int64_t>(1, 8192 / n), [&](int64_t r0, int64_t r1) {
#if SW_HAVE_AVX2_CLONES
      if (use_avx2()) return layernorm_avx2<float>(y, y, gamma, beta, nullptr, nullptr, r0, r1, n, eps);
#endif
      layernorm_ref<float, float>(y, y, gamma, beta, nullptr, nullptr, r0, r1, n, eps);
    });
  });
}

// y = x * a + b for each contiguous row of n elements.
template <class T>
SW_INLINE void affine_row(const T* x, T* y, int64_t n, T a, T b) {
  for (int64_t j = 0; j < n; ++j) y[j] = x[j] * a + b;
}

// y = (x - mean) * a + b, with the mean split into two floats so that rows
// whose mean is large against their spread keep their precision (x - hi is
// exact when x is near the mean).
template <class T>
SW_INLINE void center_row(const T* x, T* y, int64_t n, double mean, double a, double b) {
  const T mh = static_cast<T>(mean), ml = static_cast<T>(mean - static_cast<double>(mh));
  const T ta = static_cast<T>(a), tb = static_cast<T>(b);
  for (int64_t j = 0; j < n; ++j) y[j] = ((x[j] - mh) - ml) * ta + tb;
}

std::unique_ptr<Kernel> build_instancenorm(BuildContext& ctx) {
  ctx.expect_inputs(3, 3);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::Float32 && dt != DType::Float64) fail_dtype(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  if (in.size() < 2) ctx.fail("input must have rank >= 2 (N, C, ...)");
  const int64_t N = in[0], C = in[1], S = prod(in, 2, in.size());
  for (int i = 1; i < 3; ++i) {
    if (ctx.input_dtype(i) != dt) ctx.fail(std::string("unsupported: input ") + std::to_string(i) + " type differs from X");
    if (shape_numel(ctx.input_shape(i)) != C) ctx.fail("input " + std::to_string(i) + " must have C entries");
  }
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  ctx.set_output(0, dt, in);
  std::unique_ptr<Kernel> k;
  dispatch_float(dt, [&](auto tag) {
    using T = decltype(tag);
    k = make_kernel([=](const RunContext& rc) {
      const T* x = rc.in(0).data<T>();
      const T* sc = rc.in(1).data<T>();
      const T* bi = rc.in(2).data<T>();
      T* y = rc.out(0).data<T>();
      rc.pool->parallel_for(N * C, std::max<int64_t>(1, 8192 / std::max<int64_t>(S, 1)), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const int64_t c = r % C;
          const Stats st = row_stats(x + r * S, S);
          const double a = static_cast<double>(sc[c]) / std::sqrt(st.var + eps);
          center_row<T>(x + r * S, y + r * S, S, st.mean, a, static_cast<double>(bi[c]));
        }
      });
    });
  });
  return k;
}

std::unique_ptr<Kernel> build_groupnorm(BuildContext& ctx) {
  ctx.expect_inputs(3, 3);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::Float32 && dt != DType::Float64) fail_dtype(ctx, 0);
  const Shape& in = ctx.input_shape(0);
  if (in.size() < 2) ctx.fail("input must have rank >= 2 (N, C, ...)");
  const int64_t G = ctx.attr_int("num_groups");
  const int64_t N = in[0], C = in[1], S = prod(in, 2, in.size());
  if (G <= 0 || C % G != 0) ctx.fail("num_groups " + std::to_string(G) + " does not divide C = " + std::to_string(C));
  const int64_t stash = ctx.attr_int("stash_type", 1);
  if (stash != 1 && stash != 11) ctx.fail("unsupported stash_type " + std::to_string(stash));
  // Opset 18 has one scale/bias per group, opset 21 one per channel.
  int64_t per = 0;
  for (int i = 1; i < 3; ++i) {
    if (ctx.input_dtype(i) != dt) ctx.fail(std::string("unsupported: input ") + std::to_string(i) + " type differs from X");
    const int64_t m = shape_numel(ctx.input_shape(i));
    if (m != C && m != G) ctx.fail("input " + std::to_string(i) + " must have C or num_groups entries");
    if (per && per != m) ctx.fail("scale and bias sizes differ");
    per = m;
  }
  const bool per_channel = per == C;
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  ctx.set_output(0, dt, in);
  const int64_t cg = C / G, len = cg * S;
  std::unique_ptr<Kernel> k;
  dispatch_float(dt, [&](auto tag) {
    using T = decltype(tag);
    k = make_kernel([=](const RunContext& rc) {
      const T* x = rc.in(0).data<T>();
      const T* sc = rc.in(1).data<T>();
      const T* bi = rc.in(2).data<T>();
      T* y = rc.out(0).data<T>();
      rc.pool->parallel_for(N * G, std::max<int64_t>(1, 8192 / std::max<int64_t>(len, 1)), [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) {
          const int64_t g = r % G;
          const Stats st = row_stats(x + r * len, len);
          const double inv = 1.0 / std::sqrt(st.var + eps);
          for (int64_t j = 0; j < cg; ++j) {
            const int64_t p = per_channel ? g * cg + j : g;
            const double a = static_cast<double>(sc[p]) * inv;
            const int64_t off = r * len + j * S;
            center_row<T>(x + off, y + off, S, st.mean, a, static_cast<double>(bi[p]));
          }
        }
      });
    });
  });
  return k;
}

std::unique_ptr<Kernel> build_batchnorm(BuildContext& ctx) {
  ctx.expect_inputs(5, 5);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::Float32 && dt != DType::Float64) fail_dtype(ctx, 0);
  for (int i = 1; i < 5; ++i)
    if (ctx.input_dtype(i) != dt)
      ctx.fail(std::string("unsupported: input ") + std::to_string(i) + " is " + dtype_name(ctx.input_dtype(i)) +
               ", X is " + dtype_name(dt));
  const Shape& in = ctx.input_shape(0);
  if (in.size() < 2) ctx.fail("unsupported input rank " + std::to_string(in.size()) + " (needs N, C, ...)");
  const int64_t N = in[0], C = in[1], S = prod(in, 2, in.size());
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const double momentum = ctx.attr_float("momentum", 0.9f);
  bool training = false;
  if (ctx.opset() >= 14) {
    training = ctx.attr_int("training_mode", 0) != 0;
    if (!training && (ctx.has_output(1) || ctx.has_output(2)))
      ctx.fail("running mean/var outputs need training_mode=1");
  } else {
    for (int i = 1; i < ctx.num_outputs(); ++i)
      if (ctx.has_output(i)) ctx.fail("unsupported: training outputs before opset 14");
  }
  // Opset 7-8 spatial=0 keeps one set of statistics per (channel, position).
  const bool spatial = ctx.opset() >= 9 || ctx.attr_int("spatial", 1) != 0;
  const int64_t per = spatial ? C : C * S;
  for (int i = 1; i < 5; ++i)
    if (shape_numel(ctx.input_shape(i)) != per)
      ctx.fail("input " + std::to_string(i) + " has shape " + shape_str(ctx.input_shape(i)) + ", expected " +
               std::to_string(per) + " entries");
  if (training && !spatial) ctx.fail("unsupported: training_mode with spatial=0");
  ctx.set_output(0, dt, in);
  if (training) {
    ctx.set_output(1, dt, ctx.input_shape(3));
    ctx.set_output(2, dt, ctx.input_shape(4));
  }
  std::unique_ptr<Kernel> k;
  dispatch_float(dt, [&](auto tag) {
    using T = decltype(tag);
    if (training) {
      k = make_kernel([=](const RunContext& rc) {
        const T* x = rc.in(0).data<T>();
        const T *sc = rc.in(1).data<T>(), *bi = rc.in(2).data<T>();
        const T *rm = rc.in(3).data<T>(), *rv = rc.in(4).data<T>();
        T* y = rc.out(0).data<T>();
        T* om = rc.has_out(1) ? rc.out(1).data<T>() : nullptr;
        T* ov = rc.has_out(2) ? rc.out(2).data<T>() : nullptr;
        for (int64_t c = 0; c < C; ++c) {
          double s = 0, q = 0;
          for (int64_t n = 0; n < N; ++n) {
            const Stats st = row_stats(x + (n * C + c) * S, S);
            s += st.mean * static_cast<double>(S);
            q += (st.var + st.mean * st.mean) * static_cast<double>(S);
          }
          const double cnt = static_cast<double>(N * S);
          const double mean = s / cnt, var = std::max(0.0, q / cnt - mean * mean);
          const double a = static_cast<double>(sc[c]) / std::sqrt(var + eps);
          for (int64_t n = 0; n < N; ++n)
            center_row<T>(x + (n * C + c) * S, y + (n * C + c) * S, S, mean, a, static_cast<double>(bi[c]));
          if (om) om[c] = static_cast<T>(static_cast<double>(rm[c]) * momentum + mean * (1 - momentum));
          if (ov) ov[c] = static_cast<T>(static_cast<double>(rv[c]) * momentum + var * (1 - momentum));
        }
      });
    } else {
      k = make_kernel([=](const RunContext& rc) {
        const T* x = rc.in(0).data<T>();
        const T *sc = rc.in(1).data<T>(), *bi = rc.in(2).data<T>();
        const T *mu = rc.in(3).data<T>(), *va = rc.in(4).data<T>();
        T* y = rc.out(0).data<T>();
        rc.pool->parallel_for(N * C, std::max<int64_t>(1, 8192 / std::max<int64_t>(S, 1)), [&](int64_t b, int64_t e) {
          for (int64_t r = b; r < e; ++r) {
            const int64_t c = r % C;
            const T* xr = x + r * S;
            T* yr = y + r * S;
            if (spatial) {
              const double a = static_cast<double>(sc[c]) / std::sqrt(static_cast<double>(va[c]) + eps);
              affine_row<T>(xr, yr, S, static_cast<T>(a),
                            static_cast<T>(static_cast<double>(bi[c]) - static_cast<double>(mu[c]) * a));
            } else {
              for (int64_t j = 0; j < S; ++j) {
                const int64_t p = c * S + j;
                const double a = static_cast<double>(sc[p]) / std::sqrt(static_cast<double>(va[p]) + eps);
                yr[j] = static_cast<T>((static_cast<double>(xr[j]) - static_cast<double>(mu[p])) * a +
                                       static_cast<double>(bi[p]));
              }
            }
          }
        });
      });
    }
  });
  return k;
}

}  // namespace

void softmax_rows_f32(const float* x, float* y, int64_t rows, int64_t n, ThreadPool* pool) {
  softmax_rows<SM::Softmax, float>(x, y, rows, n, pool);
}

void register_reduce_ops(OpTable& t) {
  t.add("ReduceSum", build_reduce<RK::Sum>);
  t.add("ReduceMean", build_reduce<RK::Mean>);
  t.add("ReduceMax", build_reduce<RK::Max>);
  t.add("ReduceMin", build_reduce<RK::Min>);
  t.add("ReduceProd", build_reduce<RK::Prod>);
  t.add("ReduceSumSquare", build_reduce<RK::SumSquare>);
  t.add("ReduceL1", build_reduce<RK::L1>);
  t.add("ReduceL2", build_reduce<RK::L2>);
  t.add("ReduceLogSum", build_reduce<RK::LogSum>);
  t.add("ReduceLogSumExp", build_reduce<RK::LogSumExp>);
  t.add("ArgMax", build_arg<true>);
  t.add("ArgMin", build_arg<false>);
  t.add("Softmax", build_softmax<SM::Softmax>);
  t.add("LogSoftmax", build_softmax<SM::LogSoftmax>);
  t.add("Hardmax", build_hardmax);
  t.add("LayerNormalization", build_layernorm);
  t.add("SkipLayerNorm", build_skip_layernorm, "saywhen");
  t.add("InstanceNormalization", build_instancenorm);
  t.add("BatchNormalization", build_batchnorm);
  t.add("GroupNormalization", build_groupnorm);
}

}  // namespace saywhen::rt
