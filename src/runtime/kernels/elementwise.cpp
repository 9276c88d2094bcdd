// Elementwise ops: unary math and activations, numpy-broadcasting binary and
// variadic ops, comparisons and logic, Where, Clip, Cast.
//
// Builders resolve broadcasting into a coalesced plan (Bcast) so run() only
// walks contiguous inner runs: same-shape and scalar operands become a single
// run, bias-style broadcasts one run per row. Float32 runs go through per-ISA
// loops (elementwise_simd.h); other element types use the templates below.
#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "../cpu.h"
#include "../kernel.h"
#include "elementwise_math.h"

namespace saywhen::rt {

namespace ew {

const F32Table& f32_table() {
  static const F32Table* t = [] {
    const CpuFeatures& f = cpu();
    if (f.avx512) return &f32_table_avx512();
    if (f.avx2) return &f32_table_avx2();
    return &f32_table_ref();
  }();
  return *t;
}

}  // namespace ew

namespace {

using ew::BOp;
using ew::UOp;
using ew::UParams;

// ---------------------------------------------------------------------------
// Element types. float16/bfloat16 are stored as bits and computed in float;
// bool is stored as one byte and read as "non-zero".

struct Half { uint16_t bits; };
struct BF16 { uint16_t bits; };
struct Bool8 { uint8_t v; };

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t em = h & 0x7fffu;
  if (em >= 0x7c00u) return std::bit_cast<float>(sign | 0x7f800000u | ((em & 0x3ffu) << 13));
  if (em < 0x400u) {
    const float v = static_cast<float>(em) * 5.9604644775390625e-8f;  // 2^-24
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((em << 13) + 0x38000000u));
}

// Round to nearest even, with overflow to inf and NaN kept quiet.
uint16_t f32_to_f16(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return sign | (ax > 0x7f800000u ? 0x7e00u : 0x7c00u);
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to inf
  if (ax < 0x38800000u) {
    // Below the smallest normal half: adding 0.5 makes the float's ulp 2^-24,
    // the half subnormal step, so the addition itself rounds correctly.
    const float v = std::bit_cast<float>(ax) + 0.5f;
    return sign | static_cast<uint16_t>(std::bit_cast<uint32_t>(v) - 0x3f000000u);
  }
  const uint32_t odd = (ax >> 13) & 1u;
  return sign | static_cast<uint16_t>((ax + 0xc8000fffu + odd) >> 13);
}

float bf16_to_f32(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t f32_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

// double -> float rounding to odd, so that a second rounding to a narrower
// format (half, bfloat16) gives the correctly rounded result.
float f64_to_f32_odd(double d) {
  float f = static_cast<float>(d);
  if (std::isnan(d) || std::isinf(f) || static_cast<double>(f) == d) return f;
  if (std::fabs(static_cast<double>(f)) > std::fabs(d)) f = std::nextafter(f, 0.0f);
  return std::bit_cast<float>(std::bit_cast<uint32_t>(f) | 1u);
}

template <class T> struct CalcT { using type = T; };
template <> struct CalcT<Half> { using type = float; };
template <> struct CalcT<BF16> { using type = float; };
template <> struct CalcT<Bool8> { using type = bool; };
template <class T> using Calc = typename CalcT<T>::type;

template <class T>
inline Calc<T> load(T x) {
  if constexpr (std::is_same_v<T, Half>) return f16_to_f32(x.bits);
  else if constexpr (std::is_same_v<T, BF16>) return bf16_to_f32(x.bits);
  else if constexpr (std::is_same_v<T, Bool8>) return x.v != 0;
  else return x;
}

// Float -> integer with saturation: out-of-range values are undefined in C++
// and in ONNX; clamping keeps sanitizers quiet and results deterministic.
template <class I, class F>
inline I sat_cast(F x) {
  constexpr F lo = static_cast<F>(std::numeric_limits<I>::min());
  // 2^digits is exact in F; everything >= it overflows I.
  constexpr F hi = static_cast<F>(std::numeric_limits<I>::max() / 2 + 1) * F(2);
  if (!(x == x)) return 0;
  if (x <= lo) return std::numeric_limits<I>::min();
  if (x >= hi) return std::numeric_limits<I>::max();
  return static_cast<I>(x);
}

// Converts any compute value to storage type T (casts included).
template <class T, class C>
inline T store(C v) {
  if constexpr (std::is_same_v<T, Bool8>) {
    return Bool8{static_cast<uint8_t>(v != C(0))};
  } else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BF16>) {
    float f;
    if constexpr (std::is_same_v<C, double>) f = f64_to_f32_odd(v);
    else f = static_cast<float>(v);
    if constexpr (std::is_same_v<T, Half>) return Half{f32_to_f16(f)};
    else return BF16{f32_to_bf16(f)};
  } else if constexpr (std::is_integral_v<T> && std::is_floating_point_v<C>) {
    return sat_cast<T>(v);
  } else {
    return static_cast<T>(v);
  }
}

// Type sets, as bit masks of DType values.
constexpr uint32_t bit(DType t) { return 1u << static_cast<int>(t); }
constexpr uint32_t kFloats = bit(DType::Float32) | bit(DType::Float64) | bit(DType::Float16) | bit(DType::BFloat16);
constexpr uint32_t kSigned = bit(DType::Int8) | bit(DType::Int16) | bit(DType::Int32) | bit(DType::Int64);
constexpr uint32_t kUnsigned = bit(DType::UInt8) | bit(DType::UInt16) | bit(DType::UInt32) | bit(DType::UInt64);
constexpr uint32_t kInts = kSigned | kUnsigned;
constexpr uint32_t kNumeric = kFloats | kInts;
constexpr uint32_t kBool = bit(DType::Bool);
constexpr uint32_t kAll = kNumeric | kBool;

template <class T> struct Tag { using type = T; };
template <DType D, class T> struct TypeOf {
  using type = T;
  static constexpr DType dt = D;
};

// Calls f(Tag<T>{}) for the storage type of t if t is in Mask; false otherwise.
template <uint32_t Mask, class F>
bool dispatch(DType t, F&& f) {
  auto go = [&](auto tag) {
    if constexpr ((Mask & bit(decltype(tag)::dt)) != 0) {
      f(Tag<typename decltype(tag)::type>{});
      return true;
    } else {
      return false;
    }
  };
  switch (t) {
    case DType::Float32: return go(TypeOf<DType::Float32, float>{});
    case DType::Float64: return go(TypeOf<DType::Float64, double>{});
    case DType::Float16: return go(TypeOf<DType::Float16, Half>{});
    case DType::BFloat16: return go(TypeOf<DType::BFloat16, BF16>{});
    case DType::Int8: return go(TypeOf<DType::Int8, int8_t>{});
    case DType::Int16: return go(TypeOf<DType::Int16, int16_t>{});
    case DType::Int32: return go(TypeOf<DType::Int32, int32_t>{});
    case DType::Int64: return go(TypeOf<DType::Int64, int64_t>{});
    case DType::UInt8: return go(TypeOf<DType::UInt8, uint8_t>{});
    case DType::UInt16: return go(TypeOf<DType::UInt16, uint16_t>{});
    case DType::UInt32: return go(TypeOf<DType::UInt32, uint32_t>{});
    case DType::UInt64: return go(TypeOf<DType::UInt64, uint64_t>{});
    case DType::Bool: return go(TypeOf<DType::Bool, Bool8>{});
    default: return false;
  }
}

std::string type_list(uint32_t mask) {
  std::string s;
  for (int i = 0; i < 32; ++i)
    if (mask & (1u << i)) s += std::string(s.empty() ? "" : ", ") + dtype_name(static_cast<DType>(i));
  return s;
}

[[noreturn]] void fail_dtype(const BuildContext& ctx, int input, uint32_t mask) {
  DType t = ctx.input_dtype(input);
  ctx.fail(std::string(t == DType::String ? "unsupported" : "unsupported element type") + ": input " +
           std::to_string(input) + " is " + dtype_name(t) + "; supported: " + type_list(mask));
}

// ---------------------------------------------------------------------------
// Broadcasting plan.

constexpr int kMaxRank = 16;  // after coalescing; only pathological broadcasts exceed it
constexpr int kMaxIn = 3;

struct Bcast {
  int64_t numel = 0;
  int64_t inner = 1;  // length of the contiguous innermost run
  int outer = 0;      // number of dims outside the inner run
  int kind = ew::kVV;
  std::array<int64_t, kMaxIn> inner_stride{};  // 0 (broadcast) or 1
  std::array<int64_t, kMaxRank> dims{};
  std::array<std::array<int64_t, kMaxRank>, kMaxIn> strides{};
};

Bcast make_bcast(const BuildContext& ctx, const Shape& out, const std::vector<Shape>& ins) {
  Bcast b;
  b.numel = shape_numel(out);
  const size_t r = out.size();
  const size_t nin = ins.size();
  std::vector<int64_t> dims;
  std::vector<std::array<int64_t, kMaxIn>> strides;
  std::array<int64_t, kMaxIn> run{};
  std::fill(run.begin(), run.end(), 1);
  std::vector<std::array<int64_t, kMaxIn>> st(r);
  for (size_t i = r; i-- > 0;) {
    for (size_t k = 0; k < kMaxIn; ++k) {
      if (k >= nin) { st[i][k] = 0; continue; }
      const Shape& s = ins[k];
      const size_t off = r - s.size();
      const int64_t d = i >= off ? s[i - off] : 1;
      st[i][k] = d == 1 ? 0 : run[k];
      run[k] *= d;
    }
  }
  for (size_t i = 0; i < r; ++i) {
    if (out[i] == 1) continue;
    if (!dims.empty()) {
      bool merge = true;
      for (size_t k = 0; k < kMaxIn; ++k) merge &= strides.back()[k] == st[i][k] * out[i];
      if (merge) {
        dims.back() *= out[i];
        strides.back() = st[i];
        continue;
      }
    }
    dims.push_back(out[i]);
    strides.push_back(st[i]);
  }
  if (dims.empty()) {
    dims.push_back(1);
    strides.push_back({});
  }
  if (dims.size() > kMaxRank)
    ctx.fail("unsupported broadcast: " + std::to_string(dims.size()) + " distinct broadcast dimensions");
  b.outer = static_cast<int>(dims.size()) - 1;
  b.inner = dims.back();
  b.inner_stride = strides.back();
  for (int d = 0; d < b.outer; ++d) {
    b.dims[static_cast<size_t>(d)] = dims[static_cast<size_t>(d)];
    for (size_t k = 0; k < kMaxIn; ++k) b.strides[k][static_cast<size_t>(d)] = strides[static_cast<size_t>(d)][k];
  }
  if (b.inner_stride[0] == 0 && b.inner_stride[1] == 1) b.kind = ew::kSV;
  else if (b.inner_stride[0] == 1 && b.inner_stride[1] == 0) b.kind = ew::kVS;
  return b;
}

// Calls f(off, pos, n) for each contiguous run of output elements [pos, pos+n)
// within [begin, end); off[k] is input k's element offset at pos.
template <class F>
inline void for_runs(const Bcast& b, int64_t begin, int64_t end, F&& f) {
  if (b.outer == 0) {
    std::array<int64_t, kMaxIn> off;
    for (size_t k = 0; k < kMaxIn; ++k) off[k] = begin * b.inner_stride[k];
    f(off, begin, end - begin);
    return;
  }
  std::array<int64_t, kMaxRank> idx;
  std::array<int64_t, kMaxIn> base{};
  int64_t row = begin / b.inner;
  int64_t col = begin - row * b.inner;
  for (int d = b.outer - 1; d >= 0; --d) {
    const size_t ud = static_cast<size_t>(d);
    idx[ud] = row % b.dims[ud];
    row /= b.dims[ud];
    for (size_t k = 0; k < kMaxIn; ++k) base[k] += idx[ud] * b.strides[k][ud];
  }
  int64_t pos = begin;
  while (pos < end) {
    const int64_t n = std::min(b.inner - col, end - pos);
    std::array<int64_t, kMaxIn> off;
    for (size_t k = 0; k < kMaxIn; ++k) off[k] = base[k] + col * b.inner_stride[k];
    f(off, pos, n);
    pos += n;
    col = 0;
    for (int d = b.outer - 1; d >= 0; --d) {
      const size_t ud = static_cast<size_t>(d);
      for (size_t k = 0; k < kMaxIn; ++k) base[k] += b.strides[k][ud];
      if (++idx[ud] < b.dims[ud]) break;
      for (size_t k = 0; k < kMaxIn; ++k) base[k] -= b.strides[k][ud] * b.dims[ud];
      idx[ud] = 0;
    }
  }
}

// Elements per thread below which splitting costs more than it saves.
constexpr int64_t kGrainCheap = 32768;  // memory-bound: add, compare, cast...
constexpr int64_t kGrainHeavy = 8192;   // transcendental: exp, erf, pow...

template <class F>
inline void parallel(const RunContext& rc, int64_t n, int64_t grain, const F& f) {
  if (n <= 0) return;
  if (n < 2 * grain || rc.pool->size() <= 1) {
    f(int64_t{0}, n);
    return;
  }
  rc.pool->parallel_for(n, grain, f);
}

Shape broadcast_all(const BuildContext& ctx, int first, int count) {
  Shape out = ctx.input_shape(first);
  for (int i = first + 1; i < first + count; ++i) out = broadcast_shapes(ctx, out, ctx.input_shape(i));
  return out;
}

// ---------------------------------------------------------------------------
// Binary ops on any element type.

template <class C>
using Wide = std::conditional_t<(sizeof(C) <= 4), uint32_t, uint64_t>;

// Integer arithmetic wraps (as numpy does) instead of overflowing: done in a
// wide unsigned type, since int8/int16 promote to int and can overflow there.
struct GAdd {
  template <class C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) return static_cast<C>(Wide<C>(a) + Wide<C>(b));
    else return a + b;
  }
};
struct GSub {
  template <class C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) return static_cast<C>(Wide<C>(a) - Wide<C>(b));
    else return a - b;
  }
};
struct GMul {
  template <class C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) return static_cast<C>(Wide<C>(a) * Wide<C>(b));
    else return a * b;
  }
};
// Integer division truncates; x/0 gives 0 and MIN/-1 wraps instead of trapping.
struct GDiv {
  template <class C> C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<C>)
        if (b == -1) return static_cast<C>(Wide<C>(0) - Wide<C>(a));
      return static_cast<C>(a / b);
    } else {
      return a / b;
    }
  }
};
struct GMod {
  bool fmod = false;  // true: sign of the dividend (C fmod); false: of the divisor
  template <class C> C operator()(C a, C b) const {
    C r;
    if constexpr (std::is_integral_v<C>) {
      if (b == 0) return 0;
      if constexpr (std::is_signed_v<C>)
        if (b == -1) return 0;
      r = static_cast<C>(a % b);
      if constexpr (std::is_signed_v<C>)
        if (!fmod && r != 0 && ((r < 0) != (b < 0))) r = static_cast<C>(r + b);
    } else {
      r = std::fmod(a, b);
      if (!fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
    }
    return r;
  }
};
struct GEqual { template <class C> bool operator()(C a, C b) const { return a == b; } };
struct GLess { template <class C> bool operator()(C a, C b) const { return a < b; } };
struct GGreater { template <class C> bool operator()(C a, C b) const { return a > b; } };
struct GLessEq { template <class C> bool operator()(C a, C b) const { return a <= b; } };
struct GGreaterEq { template <class C> bool operator()(C a, C b) const { return a >= b; } };
struct GAnd { bool operator()(bool a, bool b) const { return a && b; } };
struct GOr { bool operator()(bool a, bool b) const { return a || b; } };
struct GXor { bool operator()(bool a, bool b) const { return a != b; } };
struct GShift {
  bool left = true;
  template <class C> C operator()(C a, C b) const {
    if (b >= static_cast<C>(sizeof(C) * 8)) return 0;
    return static_cast<C>(left ? Wide<C>(a) << b : Wide<C>(a) >> b);
  }
};

// out[i] = op(a[i], b[i]) for one run; kind says which side is a scalar.
template <class TA, class TB, class TO, class Op>
inline void bin_run(const TA* a, const TB* b, TO* o, int64_t n, int kind, const Op& op) {
  switch (kind) {
    case ew::kVV:
      for (int64_t i = 0; i < n; ++i) o[i] = store<TO>(op(load(a[i]), load(b[i])));
      break;
    case ew::kVS: {
      const auto s = load(b[0]);
      for (int64_t i = 0; i < n; ++i) o[i] = store<TO>(op(load(a[i]), s));
      break;
    }
    default: {
      const auto s = load(a[0]);
      for (int64_t i = 0; i < n; ++i) o[i] = store<TO>(op(s, load(b[i])));
      break;
    }
  }
}

template <class TA, class TB, class TO, class Op>
std::unique_ptr<Kernel> make_binary(const Bcast& plan, Op op, int64_t grain) {
  return make_kernel([plan, op, grain](const RunContext& rc) {
    const TA* a = rc.in(0).data<TA>();
    const TB* b = rc.in(1).data<TB>();
    TO* o = rc.out(0).data<TO>();
    parallel(rc, plan.numel, grain, [&](int64_t lo, int64_t hi) {
      for_runs(plan, lo, hi, [&](const std::array<int64_t, kMaxIn>& off, int64_t pos, int64_t n) {
        bin_run(a + off[0], b + off[1], o + pos, n, plan.kind, op);
      });
    });
  });
}

std::unique_ptr<Kernel> make_binary_f32(const Bcast& plan, ew::BinaryFn fn) {
  return make_kernel([plan, fn](const RunContext& rc) {
    const float* a = rc.in(0).data<float>();
    const float* b = rc.in(1).data<float>();
    float* o = rc.out(0).data<float>();
    if (plan.numel == 0) return;
    if (plan.outer == 0 && plan.numel < 2 * kGrainCheap) {  // the common small case, inline
      fn(a, b, o, plan.numel);
      return;
    }
    parallel(rc, plan.numel, kGrainCheap, [&](int64_t lo, int64_t hi) {
      for_runs(plan, lo, hi, [&](const std::array<int64_t, kMaxIn>& off, int64_t pos, int64_t n) {
        fn(a + off[0], b + off[1], o + pos, n);
      });
    });
  });
}

enum class Bin { Add, Sub, Mul, Div, Mod, Max, Min, PRelu, Equal, Less, Greater, LessEq, GreaterEq, And, Or, Xor, BitShift };

struct BinSpec {
  uint32_t types;
  bool to_bool;  // comparison: output is bool
};

BinSpec bin_spec(Bin op) {
  switch (op) {
    case Bin::Add: case Bin::Sub: case Bin::Mul: case Bin::Div: case Bin::Mod:
    case Bin::Max: case Bin::Min: case Bin::PRelu:
      return {kNumeric, false};
    case Bin::Equal: return {kAll, true};
    case Bin::Less: case Bin::Greater: case Bin::LessEq: case Bin::GreaterEq: return {kNumeric, true};
    case Bin::And: case Bin::Or: case Bin::Xor: return {kBool, true};
    case Bin::BitShift: return {kUnsigned, false};
  }
  return {0, false};
}

// Maps a generic op to its float32 table entry, or Count if it has none.
BOp f32_bop(Bin op) {
  switch (op) {
    case Bin::Add: return BOp::Add;
    case Bin::Sub: return BOp::Sub;
    case Bin::Mul: return BOp::Mul;
    case Bin::Div: return BOp::Div;
    case Bin::Max: return BOp::Max;
    case Bin::Min: return BOp::Min;
    case Bin::PRelu: return BOp::PRelu;
    default: return BOp::Count;
  }
}

template <Bin kOp>
auto bin_functor(const BuildContext& ctx) {
  if constexpr (kOp == Bin::Add) return GAdd{};
  else if constexpr (kOp == Bin::Sub) return GSub{};
  else if constexpr (kOp == Bin::Mul) return GMul{};
  else if constexpr (kOp == Bin::Div) return GDiv{};
  else if constexpr (kOp == Bin::Mod) return GMod{ctx.attr_int("fmod", 0) != 0};
  else if constexpr (kOp == Bin::Max) return ew::FMaxOp{};
  else if constexpr (kOp == Bin::Min) return ew::FMinOp{};
  else if constexpr (kOp == Bin::PRelu) return ew::PReluOp{};
  else if constexpr (kOp == Bin::Equal) return GEqual{};
  else if constexpr (kOp == Bin::Less) return GLess{};
  else if constexpr (kOp == Bin::Greater) return GGreater{};
  else if constexpr (kOp == Bin::LessEq) return GLessEq{};
  else if constexpr (kOp == Bin::GreaterEq) return GGreaterEq{};
  else if constexpr (kOp == Bin::And) return GAnd{};
  else if constexpr (kOp == Bin::Or) return GOr{};
  else if constexpr (kOp == Bin::Xor) return GXor{};
  else {
    const std::string dir = ctx.attr_string("direction", "");
    if (dir != "LEFT" && dir != "RIGHT") ctx.fail("direction must be LEFT or RIGHT, got '" + dir + "'");
    return GShift{dir == "LEFT"};
  }
}

// Whether op can be applied to storage type T (filters template instantiations).
template <class Op, class T>
constexpr bool op_applies() {
  using C = Calc<T>;
  if constexpr (std::is_same_v<Op, GAnd> || std::is_same_v<Op, GOr> || std::is_same_v<Op, GXor>)
    return std::is_same_v<T, Bool8>;
  else if constexpr (std::is_same_v<Op, GShift>)
    return std::is_unsigned_v<C> && !std::is_same_v<C, bool>;
  else if constexpr (std::is_same_v<Op, GEqual>)
    return true;
  else
    return !std::is_same_v<T, Bool8>;
}

template <Bin kOp>
std::unique_ptr<Kernel> build_binary(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  const BinSpec spec = bin_spec(kOp);
  const DType t = ctx.input_dtype(0);
  if (ctx.input_dtype(1) != t)
    ctx.fail(std::string("input types differ: ") + dtype_name(t) + " and " + dtype_name(ctx.input_dtype(1)));
  const Shape& sa = ctx.input_shape(0);
  const Shape out = broadcast_shapes(ctx, sa, ctx.input_shape(1));
  if (kOp == Bin::PRelu && out != sa)
    ctx.fail("slope " + shape_str(ctx.input_shape(1)) + " does not broadcast to X " + shape_str(sa));
  const Bcast plan = make_bcast(ctx, out, {sa, ctx.input_shape(1)});
  ctx.set_output(0, spec.to_bool ? DType::Bool : t, out);

  if (t == DType::Float32 && f32_bop(kOp) != BOp::Count)
    return make_binary_f32(plan, ew::f32_table().binary[static_cast<int>(f32_bop(kOp))][plan.kind]);

  std::unique_ptr<Kernel> k;
  const int64_t grain = kOp == Bin::Mod || kOp == Bin::Div ? kGrainHeavy : kGrainCheap;
  const auto op = bin_functor<kOp>(ctx);
  using Op = std::remove_const_t<decltype(op)>;
  if ((spec.types & bit(t)) != 0)
    dispatch<kAll>(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if constexpr (op_applies<Op, T>()) {
        if (spec.to_bool) k = make_binary<T, T, Bool8>(plan, op, grain);
        else k = make_binary<T, T, T>(plan, op, grain);
      }
    });
  if (!k) fail_dtype(ctx, 0, spec.types);
  return k;
}

// ---------------------------------------------------------------------------
// Pow: the exponent may have another type; the result has the base's type.

template <class CB, class CE>
inline CB pow_value(CB a, CE b) {
  if constexpr (std::is_integral_v<CB> && std::is_integral_v<CE>) {
    if constexpr (std::is_signed_v<CE>) {
      if (b < 0) {  // |a| > 1 gives a fraction, which truncates to 0
        if (a == 1) return 1;
        if constexpr (std::is_signed_v<CB>)
          if (a == -1) return (b & 1) ? CB(-1) : CB(1);
        return 0;
      }
    }
    Wide<CB> r = 1, x = static_cast<Wide<CB>>(a);
    for (auto e = static_cast<std::make_unsigned_t<CE>>(b); e; e >>= 1) {
      if (e & 1) r *= x;
      x *= x;
    }
    return static_cast<CB>(r);
  } else if constexpr (std::is_integral_v<CB>) {
    return sat_cast<CB>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  } else if constexpr (std::is_same_v<CB, CE>) {
    return std::pow(a, b);
  } else {
    return static_cast<CB>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
}

struct GPow {
  template <class CB, class CE> CB operator()(CB a, CE b) const { return pow_value(a, b); }
};

// Float32 base with a constant scalar exponent: the common x^2, x^3, sqrt.
std::unique_ptr<Kernel> pow_f32_const(BuildContext& ctx, double e) {
  const int64_t n = shape_numel(ctx.input_shape(0));
  auto go = [n](auto f, int64_t grain) {
    return make_kernel([n, f, grain](const RunContext& rc) {
      const float* x = rc.in(0).data<float>();
      float* y = rc.out(0).data<float>();
      parallel(rc, n, grain, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) y[i] = f(x[i]);
      });
    });
  };
  if (e == 2) return go([](float v) { return v * v; }, kGrainCheap);
  if (e == 3) return go([](float v) { return v * v * v; }, kGrainCheap);
  if (e == 1) return go([](float v) { return v; }, kGrainCheap);
  if (e == 0.5) {
    const ew::UnaryFn fn = ew::f32_table().unary[static_cast<int>(UOp::Sqrt)];
    return make_kernel([n, fn](const RunContext& rc) {
      const float* x = rc.in(0).data<float>();
      float* y = rc.out(0).data<float>();
      parallel(rc, n, kGrainCheap, [&](int64_t lo, int64_t hi) { fn(x + lo, y + lo, hi - lo, UParams{}); });
    });
  }
  if (e == -1) return go([](float v) { return 1.0f / v; }, kGrainCheap);
  if (e == -0.5) return go([](float v) { return 1.0f / std::sqrt(v); }, kGrainCheap);
  const float fe = static_cast<float>(e);
  return go([fe](float v) { return std::pow(v, fe); }, kGrainHeavy);
}

std::unique_ptr<Kernel> build_pow(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  const DType tb = ctx.input_dtype(0), te = ctx.input_dtype(1);
  const Shape& sa = ctx.input_shape(0);
  const Shape out = broadcast_shapes(ctx, sa, ctx.input_shape(1));
  ctx.set_output(0, tb, out);
  constexpr uint32_t kPowTypes = kNumeric;
  if (tb == DType::Float32 && out == sa) {
    if (const Tensor* ev = ctx.input_value(1); ev && ev->numel() == 1) {
      double e = std::nan("");
      dispatch<kNumeric>(ev->dtype(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        e = static_cast<double>(load(ev->data<T>()[0]));
      });
      if (!std::isnan(e)) return pow_f32_const(ctx, e);
    }
  }
  const Bcast plan = make_bcast(ctx, out, {sa, ctx.input_shape(1)});
  std::unique_ptr<Kernel> k;
  dispatch<kPowTypes>(tb, [&](auto tag_b) {
    using TB = typename decltype(tag_b)::type;
    dispatch<kPowTypes>(te, [&](auto tag_e) {
      using TE = typename decltype(tag_e)::type;
      k = make_binary<TB, TE, TB>(plan, GPow{}, kGrainHeavy);
    });
  });
  if (!k) fail_dtype(ctx, (kPowTypes & bit(tb)) ? 1 : 0, kPowTypes);
  return k;
}

// ---------------------------------------------------------------------------
// Variadic Max, Min, Sum, Mean: the first two inputs are combined into the
// output, every further input is folded into it in place.

enum class Var { Max, Min, Sum, Mean };

template <Var kOp>
std::unique_ptr<Kernel> build_variadic(BuildContext& ctx) {
  const int n = ctx.num_inputs();
  if (n < 1) ctx.fail("needs at least one input");
  for (int i = 0; i < n; ++i)
    if (!ctx.has_input(i)) ctx.fail("input " + std::to_string(i) + " is required");
  const DType t = ctx.input_dtype(0);
  for (int i = 1; i < n; ++i)
    if (ctx.input_dtype(i) != t)
      ctx.fail(std::string("input types differ: ") + dtype_name(t) + " and " + dtype_name(ctx.input_dtype(i)));
  const Shape out = broadcast_all(ctx, 0, n);
  ctx.set_output(0, t, out);
  // plans[0] combines inputs 0 and 1 (or copies input 0), plans[i] folds input i+1.
  std::vector<Bcast> plans;
  if (n == 1) plans.push_back(make_bcast(ctx, out, {ctx.input_shape(0), ctx.input_shape(0)}));
  else plans.push_back(make_bcast(ctx, out, {ctx.input_shape(0), ctx.input_shape(1)}));
  for (int i = 2; i < n; ++i) plans.push_back(make_bcast(ctx, out, {out, ctx.input_shape(i)}));
  const uint32_t types = kOp == Var::Max || kOp == Var::Min ? kNumeric : kFloats;
  if ((types & bit(t)) == 0) fail_dtype(ctx, 0, types);
  const double scale = 1.0 / n;

  auto fold_op = [&](auto f) {
    if constexpr (kOp == Var::Max) return f(ew::FMaxOp{});
    else if constexpr (kOp == Var::Min) return f(ew::FMinOp{});
    else return f(GAdd{});
  };

  std::unique_ptr<Kernel> k;
  if (t == DType::Float32) {
    const BOp bop = kOp == Var::Max ? BOp::Max : kOp == Var::Min ? BOp::Min : BOp::Add;
    const auto& tab = ew::f32_table();
    std::vector<ew::BinaryFn> fns;
    for (const Bcast& p : plans) fns.push_back(tab.binary[static_cast<int>(bop)][p.kind]);
    const float fscale = static_cast<float>(scale);
    return make_kernel([plans, fns, n, fscale](const RunContext& rc) {
      float* o = rc.out(0).data<float>();
      const int64_t numel = plans[0].numel;
      for (size_t s = 0; s < plans.size(); ++s) {
        const Bcast& p = plans[s];
        const float* a = s == 0 ? rc.in(0).data<float>() : o;
        const float* b = rc.in(n == 1 ? 0 : static_cast<int>(s) + 1).data<float>();
        if (n == 1) {
          std::memcpy(o, a, static_cast<size_t>(numel) * sizeof(float));
          break;
        }
        parallel(rc, numel, kGrainCheap, [&](int64_t lo, int64_t hi) {
          for_runs(p, lo, hi, [&](const std::array<int64_t, kMaxIn>& off, int64_t pos, int64_t len) {
            fns[s](a + off[0], b + off[1], o + pos, len);
          });
        });
      }
      if (kOp == Var::Mean && n > 1)
        parallel(rc, numel, kGrainCheap, [&](int64_t lo, int64_t hi) {
          for (int64_t i = lo; i < hi; ++i) o[i] *= fscale;
        });
    });
  }

  fold_op([&](auto op) {
    dispatch<kNumeric>(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      k = make_kernel([plans, op, n](const RunContext& rc) {
        T* o = rc.out(0).data<T>();
        const int64_t numel = plans[0].numel;
        if (n == 1) {
          std::memcpy(o, rc.in(0).data<T>(), static_cast<size_t>(numel) * sizeof(T));
          return;
        }
        for (size_t s = 0; s < plans.size(); ++s) {
          const Bcast& p = plans[s];
          const T* a = s == 0 ? rc.in(0).data<T>() : o;
          const T* b = rc.in(static_cast<int>(s) + 1).data<T>();
          parallel(rc, numel, kGrainCheap, [&](int64_t lo, int64_t hi) {
            for_runs(p, lo, hi, [&](const std::array<int64_t, kMaxIn>& off, int64_t pos, int64_t len) {
              bin_run(a + off[0], b + off[1], o + pos, len, p.kind, op);
            });
          });
        }
        if constexpr (kOp == Var::Mean) {
          for (int64_t i = 0; i < numel; ++i) o[i] = store<T>(load(o[i]) / static_cast<Calc<T>>(n));
        }
      });
    });
  });
  return k;
}

// ---------------------------------------------------------------------------
// Unary ops.

template <class T, class Op>
std::unique_ptr<Kernel> make_unary(int64_t n, Op op, int64_t grain) {
  return make_kernel([n, op, grain](const RunContext& rc) {
    const T* x = rc.in(0).data<T>();
    T* y = rc.out(0).data<T>();
    parallel(rc, n, grain, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) y[i] = store<T>(op(load(x[i])));
    });
  });
}

bool is_cheap(UOp op) {
  switch (op) {
    case UOp::Relu: case UOp::LeakyRelu: case UOp::Neg: case UOp::Abs: case UOp::HardSigmoid:
    case UOp::HardSwish: case UOp::ThresholdedRelu: case UOp::Shrink: case UOp::Floor: case UOp::Ceil:
    case UOp::Round: case UOp::Sign: case UOp::Reciprocal: case UOp::Sqrt: case UOp::Softsign:
      return true;
    default:
      return false;
  }
}

// Integer versions of the unary ops defined on signed/unsigned ints.
struct IntNeg { template <class C> C operator()(C x) const { return static_cast<C>(Wide<C>(0) - Wide<C>(x)); } };
struct IntAbs {
  template <class C> C operator()(C x) const {
    if constexpr (std::is_signed_v<C>) return x < 0 ? static_cast<C>(Wide<C>(0) - Wide<C>(x)) : x;
    else return x;
  }
};
struct IntSign { template <class C> C operator()(C x) const { return static_cast<C>((x > 0) - (x < 0)); } };
struct IntRelu { template <class C> C operator()(C x) const { return x < 0 ? C(0) : x; } };

std::unique_ptr<Kernel> build_unary_op(BuildContext& ctx, UOp op, const UParams& p) {
  ctx.expect_inputs(1, 1);
  const DType t = ctx.input_dtype(0);
  const Shape& s = ctx.input_shape(0);
  const int64_t n = shape_numel(s);
  ctx.set_output(0, t, s);
  const int64_t grain = is_cheap(op) ? kGrainCheap : kGrainHeavy;

  if (t == DType::Float32) {
    const ew::UnaryFn fn = ew::f32_table().unary[static_cast<int>(op)];
    return make_kernel([fn, n, p, grain](const RunContext& rc) {
      const float* x = rc.in(0).data<float>();
      float* y = rc.out(0).data<float>();
      if (n < 2 * grain) {
        fn(x, y, n, p);
        return;
      }
      parallel(rc, n, grain, [&](int64_t lo, int64_t hi) { fn(x + lo, y + lo, hi - lo, p); });
    });
  }
  std::unique_ptr<Kernel> k;
  dispatch<kFloats & ~bit(DType::Float32)>(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    ew::with_uop(op, [&](auto f) { k = make_unary<T>(n, decltype(f)(p), grain); });
  });
  if (k) return k;

  uint32_t int_types = 0;
  auto ints = [&](auto f, uint32_t types) {
    int_types = types;
    dispatch<kInts>(t, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (types & bit(t)) k = make_unary<T>(n, f, kGrainCheap);
    });
  };
  switch (op) {
    case UOp::Neg: ints(IntNeg{}, kSigned); break;
    case UOp::Abs: ints(IntAbs{}, kInts); break;
    case UOp::Sign: ints(IntSign{}, kInts); break;
    case UOp::Relu: ints(IntRelu{}, kSigned); break;
    default: break;
  }
  if (!k) fail_dtype(ctx, 0, kFloats | int_types);
  return k;
}

template <UOp kOp>
std::unique_ptr<Kernel> build_unary(BuildContext& ctx) {
  UParams p;
  switch (kOp) {
    case UOp::Elu: case UOp::Celu: case UOp::ThresholdedRelu: p.alpha = ctx.attr_float("alpha", 1.0f); break;
    case UOp::LeakyRelu: p.alpha = ctx.attr_float("alpha", 0.01f); break;
    case UOp::HardSigmoid:
      p.alpha = ctx.attr_float("alpha", 0.2f);
      p.beta = ctx.attr_float("beta", 0.5f);
      break;
    case UOp::Selu:
      p.alpha = ctx.attr_float("alpha", 1.67326319217681884765625f);
      p.gamma = ctx.attr_float("gamma", 1.05070102214813232421875f);
      break;
    case UOp::Shrink:
      p.alpha = ctx.attr_float("lambd", 0.5f);
      p.beta = ctx.attr_float("bias", 0.0f);
      break;
    default: break;
  }
  return build_unary_op(ctx, kOp, p);
}

std::unique_ptr<Kernel> build_gelu(BuildContext& ctx) {
  const std::string approx = ctx.attr_string("approximate", "none");
  if (approx == "none") return build_unary_op(ctx, UOp::GeluErf, {});
  if (approx == "tanh") return build_unary_op(ctx, UOp::GeluTanh, {});
  ctx.fail("unsupported approximate='" + approx + "' (expected none or tanh)");
}

std::unique_ptr<Kernel> build_not(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  if (ctx.input_dtype(0) != DType::Bool) fail_dtype(ctx, 0, kBool);
  const Shape& s = ctx.input_shape(0);
  const int64_t n = shape_numel(s);
  ctx.set_output(0, DType::Bool, s);
  return make_kernel([n](const RunContext& rc) {
    const uint8_t* x = rc.in(0).data<uint8_t>();
    uint8_t* y = rc.out(0).data<uint8_t>();
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] == 0;
  });
}

template <bool kIsNaN>
std::unique_ptr<Kernel> build_isnan_isinf(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  const DType t = ctx.input_dtype(0);
  const Shape& s = ctx.input_shape(0);
  const int64_t n = shape_numel(s);
  ctx.set_output(0, DType::Bool, s);
  const bool neg = ctx.attr_int("detect_negative", 1) != 0;
  const bool pos = ctx.attr_int("detect_positive", 1) != 0;
  std::unique_ptr<Kernel> k;
  dispatch<kFloats>(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    k = make_kernel([n, neg, pos](const RunContext& rc) {
      const T* x = rc.in(0).data<T>();
      uint8_t* y = rc.out(0).data<uint8_t>();
      for (int64_t i = 0; i < n; ++i) {
        const auto v = load(x[i]);
        if constexpr (kIsNaN) {
          (void)neg, (void)pos;  // IsInf's attributes; IsNaN has none
          y[i] = v != v;
        } else {
          using C = decltype(v);
          constexpr C inf = std::numeric_limits<C>::infinity();
          y[i] = (pos && v == inf) || (neg && v == -inf);
        }
      }
    });
  });
  if (!k) fail_dtype(ctx, 0, kFloats);
  return k;
}

// ---------------------------------------------------------------------------
// Clip: bounds are attributes before opset 11, optional scalar inputs after
// (read at run time, so they need not be constants).

std::unique_ptr<Kernel> build_clip(BuildContext& ctx) {
  ctx.expect_inputs(1, 3);
  const DType t = ctx.input_dtype(0);
  const Shape& s = ctx.input_shape(0);
  const int64_t n = shape_numel(s);
  ctx.set_output(0, t, s);
  const bool attrs = ctx.opset() < 11;
  const float amin = ctx.attr_float("min", -std::numeric_limits<float>::infinity());
  const float amax = ctx.attr_float("max", std::numeric_limits<float>::infinity());
  for (int i = 1; i < 3; ++i)
    if (ctx.has_input(i)) {
      if (ctx.input_dtype(i) != t)
        ctx.fail(std::string("bound ") + std::to_string(i) + " is " + dtype_name(ctx.input_dtype(i)) +
                 ", input is " + dtype_name(t));
      if (shape_numel(ctx.input_shape(i)) != 1)
        ctx.fail("bound " + std::to_string(i) + " must be a scalar, got " + shape_str(ctx.input_shape(i)));
    }
  const bool has_lo = !attrs && ctx.has_input(1), has_hi = !attrs && ctx.has_input(2);
  std::unique_ptr<Kernel> k;
  dispatch<kNumeric>(t, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = Calc<T>;
    C dlo, dhi;
    if constexpr (std::is_floating_point_v<C>) {
      dlo = attrs ? static_cast<C>(amin) : -std::numeric_limits<C>::infinity();
      dhi = attrs ? static_cast<C>(amax) : std::numeric_limits<C>::infinity();
    } else {
      dlo = std::numeric_limits<C>::lowest();
      dhi = std::numeric_limits<C>::max();
    }
    k = make_kernel([n, dlo, dhi, has_lo, has_hi](const RunContext& rc) {
      const C lo = has_lo && rc.has_in(1) ? load(rc.in(1).data<T>()[0]) : dlo;
      const C hi = has_hi && rc.has_in(2) ? load(rc.in(2).data<T>()[0]) : dhi;
      const T* x = rc.in(0).data<T>();
      T* y = rc.out(0).data<T>();
      parallel(rc, n, kGrainCheap, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          C v = load(x[i]);
          v = ew::sel(v < lo, lo, v);
          v = ew::sel(v > hi, hi, v);  // min > max gives max, as the spec says
          y[i] = store<T>(v);
        }
      });
    });
  });
  if (!k) fail_dtype(ctx, 0, kNumeric);
  return k;
}

// ---------------------------------------------------------------------------
// Where: a 3-way broadcast; values are moved as raw bytes of their size.

template <class U>
std::unique_ptr<Kernel> make_where(const Bcast& plan) {
  return make_kernel([plan](const RunContext& rc) {
    const uint8_t* c = rc.in(0).data<uint8_t>();
    const U* x = rc.in(1).data<U>();
    const U* y = rc.in(2).data<U>();
    U* o = rc.out(0).data<U>();
    const bool dense = plan.inner_stride[0] == 1 && plan.inner_stride[1] == 1 && plan.inner_stride[2] == 1;
    parallel(rc, plan.numel, kGrainCheap, [&](int64_t lo, int64_t hi) {
      for_runs(plan, lo, hi, [&](const std::array<int64_t, kMaxIn>& off, int64_t pos, int64_t n) {
        const uint8_t* cc = c + off[0];
        const U* xx = x + off[1];
        const U* yy = y + off[2];
        U* oo = o + pos;
        if (dense) {
          for (int64_t i = 0; i < n; ++i) oo[i] = cc[i] ? xx[i] : yy[i];
        } else {
          const int64_t sc = plan.inner_stride[0], sx = plan.inner_stride[1], sy = plan.inner_stride[2];
          for (int64_t i = 0; i < n; ++i) oo[i] = cc[i * sc] ? xx[i * sx] : yy[i * sy];
        }
      });
    });
  });
}

std::unique_ptr<Kernel> build_where(BuildContext& ctx) {
  ctx.expect_inputs(3, 3);
  if (ctx.input_dtype(0) != DType::Bool) fail_dtype(ctx, 0, kBool);
  const DType t = ctx.input_dtype(1);
  if (ctx.input_dtype(2) != t)
    ctx.fail(std::string("X is ") + dtype_name(t) + " but Y is " + dtype_name(ctx.input_dtype(2)));
  if ((kAll & bit(t)) == 0) fail_dtype(ctx, 1, kAll);
  const Shape out = broadcast_all(ctx, 0, 3);
  ctx.set_output(0, t, out);
  const Bcast plan = make_bcast(ctx, out, {ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2)});
  switch (dtype_size(t)) {
    case 1: return make_where<uint8_t>(plan);
    case 2: return make_where<uint16_t>(plan);
    case 4: return make_where<uint32_t>(plan);
    default: return make_where<uint64_t>(plan);
  }
}

// ---------------------------------------------------------------------------
// Cast / CastLike.

std::unique_ptr<Kernel> build_cast_to(BuildContext& ctx, DType to) {
  const DType from = ctx.input_dtype(0);
  const Shape& s = ctx.input_shape(0);
  if (from == DType::String || to == DType::String)
    ctx.fail(std::string("unsupported cast from ") + dtype_name(from) + " to " + dtype_name(to) +
             " (string tensors are not supported)");
  if (from == to) {
    ctx.alias_output(0, 0, s);
    return nullptr;
  }
  const int64_t n = shape_numel(s);
  ctx.set_output(0, to, s);
  std::unique_ptr<Kernel> k;
  dispatch<kAll>(from, [&](auto tag_in) {
    using TI = typename decltype(tag_in)::type;
    dispatch<kAll>(to, [&](auto tag_out) {
      using TO = typename decltype(tag_out)::type;
      k = make_kernel([n](const RunContext& rc) {
        const TI* x = rc.in(0).data<TI>();
        TO* y = rc.out(0).data<TO>();
        parallel(rc, n, kGrainCheap, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) y[i] = store<TO>(load(x[i]));
        });
      });
    });
  });
  if (!k)
    ctx.fail(std::string("unsupported cast from ") + dtype_name(from) + " to " + dtype_name(to));
  return k;
}

std::unique_ptr<Kernel> build_cast(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  return build_cast_to(ctx, static_cast<DType>(ctx.attr_int("to")));
}

std::unique_ptr<Kernel> build_castlike(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  return build_cast_to(ctx, ctx.input_dtype(1));
}

}  // namespace

void register_elementwise_ops(OpTable& t) {
  t.add("Add", build_binary<Bin::Add>);
  t.add("Sub", build_binary<Bin::Sub>);
  t.add("Mul", build_binary<Bin::Mul>);
  t.add("Div", build_binary<Bin::Div>);
  t.add("Mod", build_binary<Bin::Mod>);
  t.add("PRelu", build_binary<Bin::PRelu>);
  t.add("Equal", build_binary<Bin::Equal>);
  t.add("Less", build_binary<Bin::Less>);
  t.add("Greater", build_binary<Bin::Greater>);
  t.add("LessOrEqual", build_binary<Bin::LessEq>);
  t.add("GreaterOrEqual", build_binary<Bin::GreaterEq>);
  t.add("And", build_binary<Bin::And>);
  t.add("Or", build_binary<Bin::Or>);
  t.add("Xor", build_binary<Bin::Xor>);
  t.add("BitShift", build_binary<Bin::BitShift>);
  t.add("Pow", build_pow);
  t.add("Max", build_variadic<Var::Max>);
  t.add("Min", build_variadic<Var::Min>);
  t.add("Sum", build_variadic<Var::Sum>);
  t.add("Mean", build_variadic<Var::Mean>);

  t.add("Exp", build_unary<UOp::Exp>);
  t.add("Log", build_unary<UOp::Log>);
  t.add("Tanh", build_unary<UOp::Tanh>);
  t.add("Sigmoid", build_unary<UOp::Sigmoid>);
  t.add("Erf", build_unary<UOp::Erf>);
  t.add("Softplus", build_unary<UOp::Softplus>);
  t.add("Softsign", build_unary<UOp::Softsign>);
  t.add("Elu", build_unary<UOp::Elu>);
  t.add("Selu", build_unary<UOp::Selu>);
  t.add("Celu", build_unary<UOp::Celu>);
  t.add("HardSigmoid", build_unary<UOp::HardSigmoid>);
  t.add("HardSwish", build_unary<UOp::HardSwish>);
  t.add("LeakyRelu", build_unary<UOp::LeakyRelu>);
  t.add("Relu", build_unary<UOp::Relu>);
  t.add("ThresholdedRelu", build_unary<UOp::ThresholdedRelu>);
  t.add("Shrink", build_unary<UOp::Shrink>);
  t.add("Neg", build_unary<UOp::Neg>);
  t.add("Abs", build_unary<UOp::Abs>);
  t.add("Sqrt", build_unary<UOp::Sqrt>);
  t.add("Reciprocal", build_unary<UOp::Reciprocal>);
  t.add("Floor", build_unary<UOp::Floor>);
  t.add("Ceil", build_unary<UOp::Ceil>);
  t.add("Round", build_unary<UOp::Round>);
  t.add("Sign", build_unary<UOp::Sign>);
  t.add("Sin", build_unary<UOp::Sin>);
  t.add("Cos", build_unary<UOp::Cos>);
  t.add("Tan", build_unary<UOp::Tan>);
  t.add("Asin", build_unary<UOp::Asin>);
  t.add("Acos", build_unary<UOp::Acos>);
  t.add("Atan", build_unary<UOp::Atan>);
  t.add("Sinh", build_unary<UOp::Sinh>);
  t.add("Cosh", build_unary<UOp::Cosh>);
  t.add("Asinh", build_unary<UOp::Asinh>);
  t.add("Acosh", build_unary<UOp::Acosh>);
  t.add("Atanh", build_unary<UOp::Atanh>);
  t.add("Gelu", build_gelu);
  t.add("Gelu", build_gelu, "com.microsoft");
  t.add("Not", build_not);
  t.add("IsNaN", build_isnan_isinf<true>);
  t.add("IsInf", build_isnan_isinf<false>);
  t.add("Clip", build_clip);
  t.add("Where", build_where);
  t.add("Cast", build_cast);
  t.add("CastLike", build_castlike);
}

}  // namespace saywhen::rt
