// Branch-free float32 approximations and the per-ISA float32 loop table.
//
// Included by elementwise.cpp and by each elementwise_<isa>.cpp, which compile
// it with different -m flags. Everything here therefore has internal linkage
// (anonymous namespace): an inline function shared across those files would be
// an ODR violation, and the linker could hand AVX-512 code to a baseline caller.
//
// The approximations are written as straight-line selects so GCC/Clang
// vectorise the loops at -O3 without -ffast-math; they are accurate to a few
// float ulps (see tests/runtime/elementwise_test.cpp), and handle NaN, +-inf,
// overflow and subnormal results like the std:: functions.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include "x86_intrinsics.h"
#endif

#include "elementwise_simd.h"

namespace saywhen::rt::ew {
namespace {

// a*b+c, fused where the ISA has FMA (the baseline build has none, and calling
// fmaf there would be a libm call per element).
inline float madd(float a, float b, float c) {
#if defined(__FMA__)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

inline float as_float(uint32_t u) { return std::bit_cast<float>(u); }
inline uint32_t as_bits(float f) { return std::bit_cast<uint32_t>(f); }

// c ? a : b for floats as a bit blend. A plain ?: whose arms compute
// something is kept as a branch under -ftrapping-math (the default: the arm
// could raise an FP exception), which stops vectorisation; the blend makes
// both arms unconditional.
template <class C>
inline C sel(bool c, C a, C b) {
  if constexpr (std::is_same_v<C, float>) {
    const uint32_t m = 0u - static_cast<uint32_t>(c);
    return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
  } else if constexpr (std::is_same_v<C, double>) {
    const uint64_t m = uint64_t{0} - static_cast<uint64_t>(c);
    return std::bit_cast<double>((std::bit_cast<uint64_t>(a) & m) | (std::bit_cast<uint64_t>(b) & ~m));
  } else {
    return c ? a : b;
  }
}

// e^x. Cody-Waite reduction x = n*ln2 + r, |r| <= ln2/2, degree-7 Taylor
// polynomial (truncation error < 1e-8), and 2^n applied as two factors so that
// results in the subnormal range and overflow to inf come out right.
inline float exp_f(float x) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Clamp to [-104, 89] (NaN stays NaN). Two independent selects: chained
  // clamps get jump-threaded by GCC into branches, which blocks vectorisation.
  const float xlo = x < -104.0f ? -104.0f : x;
  const float xhi = x > 89.0f ? 89.0f : x;
  x = x < 0.0f ? xlo : xhi;
  const float t = madd(x, 1.44269504088896341f, kShift);
  const float n = t - kShift;
  const int32_t ni = static_cast<int32_t>(as_bits(t) - as_bits(kShift));
  float r = madd(n, -0.693359375f, x);  // ln2 split: the high part has 9 bits, so n*hi is exact
  r = madd(n, 2.12194440e-4f, r);
  float p = 1.0f / 5040;
  p = madd(p, r, 1.0f / 720);
  p = madd(p, r, 1.0f / 120);
  p = madd(p, r, 1.0f / 24);
  p = madd(p, r, 1.0f / 6);
  p = madd(p, r, 0.5f);
  p = madd(p, r, 1.0f);
  p = madd(p, r, 1.0f);
  const int32_t n1 = ni >> 1;
  const int32_t n2 = ni - n1;
  const float s1 = as_float(static_cast<uint32_t>(n1 + 127) << 23);
  const float s2 = as_float(static_cast<uint32_t>(n2 + 127) << 23);
  return p * s1 * s2;
}

// e^x - 1 without the cancellation of exp(x) - 1 near zero.
inline float expm1_f(float x) {
  float p = 1.0f / 362880;  // Taylor to x^9 for |x| < 0.5
  p = madd(p, x, 1.0f / 40320);
  p = madd(p, x, 1.0f / 5040);
  p = madd(p, x, 1.0f / 720);
  p = madd(p, x, 1.0f / 120);
  p = madd(p, x, 1.0f / 24);
  p = madd(p, x, 1.0f / 6);
  p = madd(p, x, 0.5f);
  const float small = madd(p * x, x, x);
  const float big = exp_f(x) - 1.0f;
  return sel(std::fabs(x) < 0.5f, small, big);
}

// Natural log: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
// log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172, as an odd series.
inline float log_f(float x) {
  constexpr float kMinNormal = std::numeric_limits<float>::min();
  const bool sub = x < kMinNormal;
  const float xs = sel(sub, x * 8388608.0f, x);  // scale subnormals by 2^23
  const uint32_t bits = as_bits(xs);
  float e = static_cast<float>(static_cast<int32_t>((bits >> 23) & 0xff) - (sub ? 150 : 127));
  float m = as_float((bits & 0x007fffffu) | 0x3f800000u);
  const bool hi = m > 1.41421356f;
  m = sel(hi, m * 0.5f, m);
  e = sel(hi, e + 1.0f, e);
  const float s = (m - 1.0f) / (m + 1.0f);
  const float s2 = s * s;
  float p = 1.0f / 11;
  p = madd(p, s2, 1.0f / 9);
  p = madd(p, s2, 1.0f / 7);
  p = madd(p, s2, 1.0f / 5);
  p = madd(p, s2, 1.0f / 3);
  const float two_s = s + s;
  const float lm = madd(two_s * s2, p, two_s);
  float r = madd(e, 0.693359375f, madd(e, -2.12194440e-4f, lm));
  constexpr float kInf = std::numeric_limits<float>::infinity();
  r = sel(x == 0.0f, -kInf, r);
  r = sel(x < 0.0f, std::numeric_limits<float>::quiet_NaN(), r);
  r = sel(x == kInf, kInf, r);
  return sel(x != x, x, r);
}

// log(1 + u) for u >= 0 (the rounding of 1 + u is corrected to first order).
inline float log1p_pos_f(float u) {
  const float w = 1.0f + u;
  const float c = ((w - 1.0f) - u) / w;
  const float r = log_f(w) - c;
  return sel(w == 1.0f, u, r);
}

// Tanh, Sigmoid and Erf compute what ONNX Runtime's CPU kernels compute (the
// MLAS FMA3 kernels, picked on every x86-64 CPU with AVX2): ORT is the
// reference every model here is validated against, and in a quantised graph
// one ulp of difference before a QuantizeLinear can move a value to the next
// quantisation step, which then shows in the final probability. Same
// polynomials, same clamping, same order of operations, and a fused
// multiply-add exactly where MLAS has one (madd: the AVX2 and AVX-512 builds;
// the baseline build rounds twice there, as MLAS's SSE2 kernels do). These
// sources are compiled with -ffp-contract=off so that no other a*b+c is
// fused. NaN stays NaN (MLAS's min/max clamps would not keep it).

// tanh: Eigen's rational approximation, input clamped to [-9, 9]; it can
// overshoot 1 by an ulp near the clamp, as ORT's does.
inline float tanh_f(float x) {
  const float v = sel(x < -9.0f, -9.0f, sel(x > 9.0f, 9.0f, x));
  const float s = v * v;
  float p = madd(s, -2.76076847742355e-16f, 2.00018790482477e-13f);
  p = madd(p, s, -8.60467152213735e-11f);
  p = madd(p, s, 5.12229709037114e-08f);
  p = madd(p, s, 1.48572235717979e-05f);
  p = madd(p, s, 6.37261928875436e-04f);
  p = madd(p, s, 4.89352455891786e-03f);
  p = p * v;
  float q = madd(s, 1.19825839466702e-06f, 1.18534705686654e-04f);
  q = madd(q, s, 2.26843463243900e-03f);
  q = madd(q, s, 4.89352518554385e-03f);
  return p / q;
}

// logistic: Eigen's rational approximation of sigmoid(x) - 1/2 on x clamped to
// [-18, 18], floored at 0 (so sigmoid(-inf) is 1.5e-8, as in ORT).
inline float sigmoid_f(float x) {
  const float v = sel(x < -18.0f, -18.0f, sel(x > 18.0f, 18.0f, x));
  const float s = v * v;
  float p = madd(s, 4.37031012579801e-11f, 1.15627324459942e-07f);
  p = madd(p, s, 6.08574864600143e-05f);
  p = madd(p, s, 8.51377133304701e-03f);
  p = madd(p, s, 2.48287947061529e-01f);
  p = v * p;
  float q = madd(s, 6.10247389755681e-13f, 5.76102136993427e-09f);
  q = madd(q, s, 6.29106785017040e-06f);
  q = madd(q, s, 1.70198817374094e-03f);
  q = madd(q, s, 1.16817656904453e-01f);
  q = madd(q, s, 9.93151921023180e-01f);
  const float r = p / q + 0.5f;
  return sel(r < 0.0f, 0.0f, r);
}

// erf: |x| clamped to 3.925 (where the result is 1.0f); below 0.921875 an odd
// polynomial, above it 1 - exp(-P(|x|)) with MLAS's own exp (Cody-Waite
// reduction, degree-6 polynomial, 2^m built in the exponent field); then the
// sign of x.
inline float erf_f(float x) {
  const float a0 = std::fabs(x);
  const float a = sel(a0 < 3.925f, a0, 3.925f);
  const float s = a * a;
  float p = madd(-5.99104969e-4f, s, 4.99339588e-3f);
  p = madd(p, s, -2.67667342e-2f);
  p = madd(p, s, 1.12818025e-1f);
  p = madd(p, s, -3.76124859e-1f);
  p = madd(p, s, 1.28379151e-1f);
  p = madd(p, a, a);
  float q = madd(1.72948930e-5f, a, -3.83208680e-4f);
  q = madd(q, a, 3.88393435e-3f);
  q = madd(q, a, -2.42545605e-2f);
  q = madd(q, a, 1.06777847e-1f);
  q = madd(q, a, 6.34846687e-1f);
  q = madd(q, a, 1.28717512e-1f);
  q = madd(q, a, a);
  const float e = -q;  // >= -17 for a <= 3.925: no clamp, no subnormal scale
  constexpr float kBias = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float m = madd(1.44269504088896341f, e, kBias) - kBias;
  float f = madd(m, -6.93145752e-1f, e);
  f = madd(m, -1.42860677e-6f, f);
  float y = madd(1.38319808e-3f, f, 8.37550033e-3f);
  y = madd(y, f, 4.16689515e-2f);
  y = madd(y, f, 1.66664466e-1f);
  y = madd(y, f, 4.99999851e-1f);
  y = madd(y, f, 1.0f);
  y = madd(y, f, 1.0f);
  const float scale = as_float(static_cast<uint32_t>(static_cast<int32_t>(m) + 127) << 23);
  const float big = 1.0f - y * scale;
  const float r = sel(a >= 0.921875f, big, p);
  return sel(x != x, x, as_float(as_bits(r) | (as_bits(x) & 0x80000000u)));
}

// GELU as ONNX Runtime's Gelu and BiasGelu kernels compute it, (x * 0.5) *
// (erf(x * (1/sqrt2)) + 1) with MLAS's erf (erf_f above), so a Q(Gelu(DQ(x)))
// table or a fused graph gets ORT's bits. Its error is absolute (~2e-7): erf
// rounds to -1 below x = -5.55, where GELU (about -1e-7) becomes -0. The limit
// at -inf is 0, where the product would be -inf * 0 = NaN (ORT's answer).
inline float gelu_erf_f(float x) {
  const float y = (x * 0.5f) * (erf_f(x * 0.70710678118654752f) + 1.0f);
  return sel(x == -std::numeric_limits<float>::infinity(), -0.0f, y);
}

// 0.5 x (1 + tanh(u)) = x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3).
inline float gelu_tanh_f(float x) {
  const float u2 = 2.0f * 0.7978845608028654f * madd(0.044715f * x, x * x, x);
  return x / (1.0f + exp_f(-u2));
}

// Round half to even for |x| < 2^23 by the add-and-subtract trick (larger
// floats are integers already); vectorises on SSE2, unlike nearbyintf.
inline float round_even_f(float x) {
  const float a = std::fabs(x);
  const float r = std::copysign((a + 8388608.0f) - 8388608.0f, x);
  return sel(a < 8388608.0f, r, x);
}
inline float floor_f(float x) {
  const float r = round_even_f(x);
  return sel(r > x, r - 1.0f, r);
}
inline float ceil_f(float x) {
  const float r = round_even_f(x);
  return sel(r < x, r + 1.0f, r);
}

// Precision-specific entry points: fast versions for float, std:: for double.
inline float k_exp(float x) { return exp_f(x); }
inline double k_exp(double x) { return std::exp(x); }
inline float k_expm1(float x) { return expm1_f(x); }
inline double k_expm1(double x) { return std::expm1(x); }
inline float k_log(float x) { return log_f(x); }
inline double k_log(double x) { return std::log(x); }
inline float k_tanh(float x) { return tanh_f(x); }
inline double k_tanh(double x) { return std::tanh(x); }
inline float k_sigmoid(float x) { return sigmoid_f(x); }
inline double k_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline float k_erf(float x) { return erf_f(x); }
inline double k_erf(double x) { return std::erf(x); }
inline float k_gelu_erf(float x) { return gelu_erf_f(x); }
inline double k_gelu_erf(double x) { return 0.5 * x * std::erfc(-x * 0.70710678118654752); }
inline float k_gelu_tanh(float x) { return gelu_tanh_f(x); }
inline double k_gelu_tanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
}
inline float k_softplus(float x) { return sel(x > 0.0f, x, 0.0f) + log1p_pos_f(exp_f(-std::fabs(x))); }
inline double k_softplus(double x) { return (x > 0 ? x : 0.0) + std::log1p(std::exp(-std::fabs(x))); }
inline float k_round(float x) { return round_even_f(x); }
inline double k_round(double x) { return std::nearbyint(x); }
inline float k_floor(float x) { return floor_f(x); }
inline double k_floor(double x) { return std::floor(x); }
inline float k_ceil(float x) { return ceil_f(x); }
inline double k_ceil(double x) { return std::ceil(x); }

// Clamp to [0, 1], keeping NaN (a select, unlike fmin/fmax, vectorises).
template <class C>
inline C clamp01(C v) {
  return sel(v < C(0), C(0), sel(v > C(1), C(1), v));
}

// ---- unary functors: C is float or double; params come from the node ----

#define SW_UNARY(Name, expr)                                   \
  struct Name {                                                \
    explicit Name(const UParams& p = {}) : p(p) {}             \
    UParams p;                                                 \
    template <class C>                                         \
    C operator()(C x) const {                                  \
      [[maybe_unused]] const C alpha = static_cast<C>(p.alpha); \
      [[maybe_unused]] const C beta = static_cast<C>(p.beta);   \
      [[maybe_unused]] const C gamma = static_cast<C>(p.gamma); \
      return expr;                                             \
    }                                                          \
  };

SW_UNARY(ExpOp, k_exp(x))
SW_UNARY(LogOp, k_log(x))
SW_UNARY(TanhOp, k_tanh(x))
SW_UNARY(SigmoidOp, k_sigmoid(x))
SW_UNARY(ErfOp, k_erf(x))
SW_UNARY(GeluErfOp, k_gelu_erf(x))
SW_UNARY(GeluTanhOp, k_gelu_tanh(x))
SW_UNARY(SoftplusOp, k_softplus(x))
SW_UNARY(SoftsignOp, x / (C(1) + std::fabs(x)))
SW_UNARY(EluOp, sel(x < C(0), alpha * k_expm1(x), x))
SW_UNARY(SeluOp, sel(x <= C(0), gamma * alpha * k_expm1(x), gamma * x))
SW_UNARY(CeluOp, sel(x < C(0), alpha * k_expm1(x / alpha), x))
SW_UNARY(HardSigmoidOp, clamp01(alpha * x + beta))
SW_UNARY(HardSwishOp, x * clamp01(x * C(1.0 / 6) + C(0.5)))
SW_UNARY(LeakyReluOp, sel(x < C(0), alpha * x, x))
SW_UNARY(ReluOp, x < C(0) ? C(0) : x)
SW_UNARY(ThresholdedReluOp, x > alpha ? x : C(0))
SW_UNARY(ShrinkOp, sel(x < -alpha, x + beta, sel(x > alpha, x - beta, C(0))))
SW_UNARY(NegOp, -x)
SW_UNARY(AbsOp, std::fabs(x))
SW_UNARY(SqrtOp, std::sqrt(x))
SW_UNARY(ReciprocalOp, C(1) / x)
SW_UNARY(FloorOp, k_floor(x))
SW_UNARY(CeilOp, k_ceil(x))
SW_UNARY(RoundOp, k_round(x))
SW_UNARY(SignOp, x > C(0) ? C(1) : (x < C(0) ? C(-1) : x))
SW_UNARY(SinOp, std::sin(x))
SW_UNARY(CosOp, std::cos(x))
SW_UNARY(TanOp, std::tan(x))
SW_UNARY(AsinOp, std::asin(x))
SW_UNARY(AcosOp, std::acos(x))
SW_UNARY(AtanOp, std::atan(x))
SW_UNARY(SinhOp, std::sinh(x))
SW_UNARY(CoshOp, std::cosh(x))
SW_UNARY(AsinhOp, std::asinh(x))
SW_UNARY(AcoshOp, std::acosh(x))
SW_UNARY(AtanhOp, std::atanh(x))
#undef SW_UNARY

// Calls f(Functor{}) for the functor of op (f is a generic lambda).
template <class F>
void with_uop(UOp op, F&& f) {
  switch (op) {
    case UOp::Exp: return f(ExpOp{});
    case UOp::Log: return f(LogOp{});
    case UOp::Tanh: return f(TanhOp{});
    case UOp::Sigmoid: return f(SigmoidOp{});
    case UOp::Erf: return f(ErfOp{});
    case UOp::GeluErf: return f(GeluErfOp{});
    case UOp::GeluTanh: return f(GeluTanhOp{});
    case UOp::Softplus: return f(SoftplusOp{});
    case UOp::Softsign: return f(SoftsignOp{});
    case UOp::Elu: return f(EluOp{});
    case UOp::Selu: return f(SeluOp{});
    case UOp::Celu: return f(CeluOp{});
    case UOp::HardSigmoid: return f(HardSigmoidOp{});
    case UOp::HardSwish: return f(HardSwishOp{});
    case UOp::LeakyRelu: return f(LeakyReluOp{});
    case UOp::Relu: return f(ReluOp{});
    case UOp::ThresholdedRelu: return f(ThresholdedReluOp{});
    case UOp::Shrink: return f(ShrinkOp{});
    case UOp::Neg: return f(NegOp{});
    case UOp::Abs: return f(AbsOp{});
    case UOp::Sqrt: return f(SqrtOp{});
    case UOp::Reciprocal: return f(ReciprocalOp{});
    case UOp::Floor: return f(FloorOp{});
    case UOp::Ceil: return f(CeilOp{});
    case UOp::Round: return f(RoundOp{});
    case UOp::Sign: return f(SignOp{});
    case UOp::Sin: return f(SinOp{});
    case UOp::Cos: return f(CosOp{});
    case UOp::Tan: return f(TanOp{});
    case UOp::Asin: return f(AsinOp{});
    case UOp::Acos: return f(AcosOp{});
    case UOp::Atan: return f(AtanOp{});
    case UOp::Sinh: return f(SinhOp{});
    case UOp::Cosh: return f(CoshOp{});
    case UOp::Asinh: return f(AsinhOp{});
    case UOp::Acosh: return f(AcoshOp{});
    case UOp::Atanh: return f(AtanhOp{});
    case UOp::Count: break;
  }
}

// ---- binary functors (C is the compute type) ----

struct AddOp { template <class C> C operator()(C a, C b) const { return a + b; } };
struct SubOp { template <class C> C operator()(C a, C b) const { return a - b; } };
struct MulOp { template <class C> C operator()(C a, C b) const { return a * b; } };
struct FDivOp { template <class C> C operator()(C a, C b) const { return a / b; } };
// numpy semantics: NaN in either operand gives NaN.
struct FMaxOp { template <class C> C operator()(C a, C b) const { return (a > b || a != a) ? a : b; } };
struct FMinOp { template <class C> C operator()(C a, C b) const { return (a < b || a != a) ? a : b; } };
struct PReluOp { template <class C> C operator()(C x, C s) const { return sel(x < C(0), static_cast<C>(x * s), x); } };

template <class F>
void with_bop(BOp op, F&& f) {
  switch (op) {
    case BOp::Add: return f(AddOp{});
    case BOp::Sub: return f(SubOp{});
    case BOp::Mul: return f(MulOp{});
    case BOp::Div: return f(FDivOp{});
    case BOp::Max: return f(FMaxOp{});
    case BOp::Min: return f(FMinOp{});
    case BOp::PRelu: return f(PReluOp{});
    case BOp::Count: break;
  }
}

// ---- float32 loops ----

template <class Op>
void unary_loop(const float* x, float* y, int64_t n, const UParams& p) {
  const Op op(p);
  for (int64_t i = 0; i < n; ++i) y[i] = op(x[i]);
}

template <class Op>
void binary_vv(const float* a, const float* b, float* y, int64_t n) {
  const Op op;
  for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], b[i]);
}
template <class Op>
void binary_vs(const float* a, const float* b, float* y, int64_t n) {
  const Op op;
  const float s = *b;
  for (int64_t i = 0; i < n; ++i) y[i] = op(a[i], s);
}
template <class Op>
void binary_sv(const float* a, const float* b, float* y, int64_t n) {
  const Op op;
  const float s = *a;
  for (int64_t i = 0; i < n; ++i) y[i] = op(s, b[i]);
}

// sqrt needs explicit vectors: with -fmath-errno (the default) compilers keep a
// scalar libm fallback for negative inputs in the loop and will not vectorise it.
inline void sqrt_loop(const float* x, float* y, int64_t n, const UParams&) {
  int64_t i = 0;
#if defined(__AVX512F__)
  // The masked form: GCC 12 warns (maybe-uninitialized) inside _mm512_sqrt_ps.
  for (; i + 16 <= n; i += 16) {
    const __m512 v = _mm512_loadu_ps(x + i);
    _mm512_storeu_ps(y + i, _mm512_mask_sqrt_ps(v, static_cast<__mmask16>(0xffff), v));
  }
#elif defined(__AVX__)
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
#elif defined(__SSE2__)
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(y + i, _mm_sqrt_ps(_mm_loadu_ps(x + i)));
#endif
  for (; i < n; ++i) y[i] = std::sqrt(x[i]);
}

// GELU (erf) in explicit AVX-512 vectors: gelu_erf_f's operations, rounding
// for rounding, in 34 vector operations per 16 values where GCC makes about 47
// of the scalar source (the loop is bound by the two 512-bit ports). What differs is only
// how: |t| and its clamp are one vrangeps, the negated q folds into
// fnmadd/fnmsub (the same exact product and one rounding), y * 2^m is one
// vscalefps (exact: the product is a normal float), the two selects become
// masked operations, and erf's NaN select is dropped (a NaN x makes x * 0.5,
// and with it the product, that NaN either way).
inline void gelu_erf_loop(const float* x, float* y, int64_t n, const UParams&) {
#if defined(__AVX512F__)
  const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int>(0x80000000u)));
  const __m512 one = _mm512_set1_ps(1.0f), bias = _mm512_set1_ps(12582912.0f);
  const __m512 neg_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  auto c = [](float v) { return _mm512_set1_ps(v); };
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_maskz_loadu_ps(k, x + i);
    const __m512 t = _mm512_mul_ps(v, c(0.70710678118654752f));
    const __m512 a = _mm512_range_ps(t, c(3.925f), 0x0A);  // min(|t|, 3.925), sign cleared
    const __m512 s = _mm512_mul_ps(a, a);
    __m512 p = _mm512_fmadd_ps(c(-5.99104969e-4f), s, c(4.99339588e-3f));
    p = _mm512_fmadd_ps(p, s, c(-2.67667342e-2f));
    p = _mm512_fmadd_ps(p, s, c(1.12818025e-1f));
    p = _mm512_fmadd_ps(p, s, c(-3.76124859e-1f));
    p = _mm512_fmadd_ps(p, s, c(1.28379151e-1f));
    p = _mm512_fmadd_ps(p, a, a);
    __m512 q = _mm512_fmadd_ps(c(1.72948930e-5f), a, c(-3.83208680e-4f));
    q = _mm512_fmadd_ps(q, a, c(3.88393435e-3f));
    q = _mm512_fmadd_ps(q, a, c(-2.42545605e-2f));
    q = _mm512_fmadd_ps(q, a, c(1.06777847e-1f));
    q = _mm512_fmadd_ps(q, a, c(6.34846687e-1f));
    q = _mm512_fmadd_ps(q, a, c(1.28717512e-1f));
    q = _mm512_fmadd_ps(q, a, a);
    const __m512 m = _mm512_sub_ps(_mm512_fnmadd_ps(c(1.44269504088896341f), q, bias), bias);
    __m512 f = _mm512_fnmsub_ps(m, c(6.93145752e-1f), q);
    f = _mm512_fmadd_ps(m, c(-1.42860677e-6f), f);
    __m512 e = _mm512_fmadd_ps(c(1.38319808e-3f), f, c(8.37550033e-3f));
    e = _mm512_fmadd_ps(e, f, c(4.16689515e-2f));
    e = _mm512_fmadd_ps(e, f, c(1.66664466e-1f));
    e = _mm512_fmadd_ps(e, f, c(4.99999851e-1f));
    e = _mm512_fmadd_ps(e, f, one);
    e = _mm512_fmadd_ps(e, f, one);
    const __mmask16 big = _mm512_cmp_ps_mask(a, c(0.921875f), _CMP_GE_OQ);
    const __m512 r = _mm512_mask_sub_ps(p, big, one, _mm512_scalef_ps(e, m));
    const __m512 erf = _mm512_or_ps(r, _mm512_and_ps(t, sign));
    const __mmask16 finite_or_nan = _mm512_cmp_ps_mask(v, neg_inf, _CMP_NEQ_UQ);
    const __m512 g = _mm512_mask_mul_ps(_mm512_castsi512_ps(_mm512_castps_si512(sign)), finite_or_nan,
                                        _mm512_mul_ps(v, c(0.5f)), _mm512_add_ps(erf, one));
    _mm512_mask_storeu_ps(y + i, k, g);
  }
#else
  for (int64_t i = 0; i < n; ++i) y[i] = gelu_erf_f(x[i]);
#endif
}

inline F32Table make_f32_table() {
  F32Table t{};
  for (int i = 0; i < static_cast<int>(UOp::Count); ++i)
    with_uop(static_cast<UOp>(i), [&](auto op) { t.unary[i] = &unary_loop<decltype(op)>; });
  for (int i = 0; i < static_cast<int>(BOp::Count); ++i)
    with_bop(static_cast<BOp>(i), [&](auto op) {
      using Op = decltype(op);
      t.binary[i][kVV] = &binary_vv<Op>;
      t.binary[i][kVS] = &binary_vs<Op>;
      t.binary[i][kSV] = &binary_sv<Op>;
    });
  t.unary[static_cast<int>(UOp::Sqrt)] = &sqrt_loop;
  t.unary[static_cast<int>(UOp::GeluErf)] = &gelu_erf_loop;
  return t;
}

}  // namespace
}  // namespace saywhen::rt::ew
