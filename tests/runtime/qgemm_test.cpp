// Every int8 GEMM variant against the scalar reference, on random shapes and
// data: packing (plain and transposed B, signed and unsigned), zero-point
// corrections and both output modes must agree bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <vector>

#include "runtime/kernels/qgemm.h"

namespace saywhen::rt {
namespace {

struct Case {
  int64_t M, N, K;
  bool b_unsigned, b_trans, with_bzp, requant, y_signed;
  int dequant = 0;  // float output: 1 scale only, 2 scale and bias, 3 scale, bias and an addend
};

std::vector<uint8_t> run_case(QIsa isa, const Case& c, uint32_t seed, int64_t split_m = 0) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  const int64_t lda = c.K + (seed % 3);  // leading dimension larger than K sometimes
  std::vector<uint8_t> A(static_cast<size_t>(c.M * lda + 1));
  for (auto& x : A) x = static_cast<uint8_t>(byte(rng));
  std::vector<uint8_t> B(static_cast<size_t>(c.K * c.N));
  for (auto& x : B) x = static_cast<uint8_t>(byte(rng));
  const int64_t sk = c.b_trans ? 1 : c.N, sn = c.b_trans ? c.K : 1;

  std::vector<uint8_t> packed(qgemm_packed_b_bytes(isa, c.K, c.N) + 64);
  void* pb = reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(packed.data()) + 63) & ~uintptr_t{63});
  std::vector<int32_t> colsum(static_cast<size_t>(c.N));
  qgemm_pack_b(isa, B.data(), c.b_unsigned, c.K, c.N, sk, sn, pb, colsum.data());

  const int32_t za = byte(rng);
  std::vector<int32_t> bzp(static_cast<size_t>(c.N)), off(static_cast<size_t>(c.N));
  std::vector<float> scale(static_cast<size_t>(c.N));
  std::uniform_real_distribution<float> sd(1e-5f, 2e-3f);
  for (int64_t n = 0; n < c.N; ++n) {
    bzp[static_cast<size_t>(n)] = c.with_bzp ? byte(rng) - 128 : 0;
    const int32_t bias = static_cast<int32_t>(rng() % 20001) - 10000;
    off[static_cast<size_t>(n)] = bias - za * colsum[static_cast<size_t>(n)] +
                                  static_cast<int32_t>(c.K) * za * bzp[static_cast<size_t>(n)];
    scale[static_cast<size_t>(n)] = sd(rng);
  }
  std::vector<int32_t> rowsum(static_cast<size_t>(c.M));
  qgemm_row_sums(A.data(), lda, c.M, c.K, rowsum.data());

  QGemmArgs g;
  g.M = c.M, g.N = c.N, g.K = c.K;
  g.A = A.data(), g.lda = lda;
  g.packed_b = pb;
  g.col_off = off.data();
  g.b_zp = c.with_bzp ? bzp.data() : nullptr;
  g.row_sum = rowsum.data();
  g.scale = c.requant ? scale.data() : nullptr;
  g.y_zp = c.y_signed ? static_cast<int32_t>(rng() % 256) - 128 : static_cast<int32_t>(rng() % 256);
  g.y_signed = c.y_signed;
  std::vector<float> fbias(static_cast<size_t>(c.N));
  for (auto& v : fbias) v = std::uniform_real_distribution<float>(-3.0f, 3.0f)(rng);
  if (c.dequant) {
    g.scale = nullptr;
    g.dq_scale = scale.data();
    g.dq_bias = c.dequant >= 2 ? fbias.data() : nullptr;
  }
  const size_t elem = c.requant && !c.dequant ? 1 : 4;
  const int64_t ldc = c.N + 3;
  std::vector<float> addend(static_cast<size_t>(c.M * ldc));
  for (auto& v : addend) v = std::uniform_real_distribution<float>(-3.0f, 3.0f)(rng);
  if (c.dequant == 3) g.dq_addend = addend.data();
  std::vector<uint8_t> C(static_cast<size_t>(c.M * ldc) * elem, 0xCD);
  g.C = C.data(), g.ldc = ldc;
  if (split_m > 0) {
    // Pieces the way a thread pool splits the work.
    const int64_t nb = qgemm_n_block(isa);
    for (int64_t m = 0; m < c.M; m += split_m)
      for (int64_t n = 0; n < c.N; n += nb) qgemm_run(isa, g, m, std::min(c.M, m + split_m), n, std::min(c.N, n + nb));
  } else {
    qgemm_run(isa, g, 0, c.M, 0, c.N);
  }
  return C;
}

std::vector<QIsa> fast_isas() {
  std::vector<QIsa> v;
  for (QIsa i : {QIsa::Avx2, QIsa::Avx512Vnni, QIsa::Amx})
    if (qgemm_isa_available(i)) v.push_back(i);
  return v;
}

TEST(QGemm, ReferenceMatchesNaiveIntegerMath) {
  // A hand-checkable case: the reference is the oracle for everything else.
  Case c{3, 5, 7, false, false, true, false, false};
  std::vector<uint8_t> C = run_case(QIsa::Ref, c, 1);
  std::mt19937 rng(1);
  std::uniform_int_distribution<int> byte(0, 255);
  const int64_t lda = c.K + 1;
  std::vector<int> A(static_cast<size_t>(c.M * lda + 1)), B(static_cast<size_t>(c.K * c.N));
  for (auto& x : A) x = byte(rng);
  for (auto& x : B) x = static_cast<int8_t>(byte(rng));
  const int za = byte(rng);
  for (int64_t n = 0; n < c.N; ++n) {
    const int zb = byte(rng) - 128;
    const int bias = static_cast<int32_t>(rng() % 20001) - 10000;
    (void)std::uniform_real_distribution<float>(1e-5f, 2e-3f)(rng);
    for (int64_t m = 0; m < c.M; ++m) {
      int expect = bias;
      for (int64_t k = 0; k < c.K; ++k)
        expect += (A[static_cast<size_t>(m * lda + k)] - za) * (B[static_cast<size_t>(k * c.N + n)] - zb);
      int32_t got;
      std::memcpy(&got, C.data() + (m * (c.N + 3) + n) * 4, 4);
      EXPECT_EQ(got, expect) << "m=" << m << " n=" << n;
    }
  }
}

// `iterations` random cases: `shape` draws M, N and K, every option is random;
// each fast ISA against the reference, whole and in row pieces of `split` as a
// thread pool cuts them. Returns how many comparisons ran.
int check_random_cases(std::mt19937& rng, int iterations, const std::function<void(Case&)>& shape, int64_t split) {
  int checked = 0;
  for (int iter = 0; iter < iterations; ++iter) {
    Case c;
    shape(c);
    c.b_unsigned = rng() & 1;
    c.b_trans = rng() & 1;
    c.with_bzp = rng() & 1;
    c.requant = rng() & 1;
    c.y_signed = rng() & 1;
    c.dequant = static_cast<int>(rng() % 4);
    const uint32_t seed = static_cast<uint32_t>(rng());
    const std::vector<uint8_t> ref = run_case(QIsa::Ref, c, seed);
    for (QIsa isa : fast_isas()) {
      EXPECT_EQ(run_case(isa, c, seed), ref)
          << qgemm_isa_name(isa) << " M=" << c.M << " N=" << c.N << " K=" << c.K << " unsigned=" << c.b_unsigned
          << " trans=" << c.b_trans << " bzp=" << c.with_bzp << " requant=" << c.requant << " dequant=" << c.dequant;
      EXPECT_EQ(run_case(isa, c, seed, split), ref) << qgemm_isa_name(isa) << " split";
      ++checked;
    }
    if (::testing::Test::HasFailure()) break;
  }
  return checked;
}

TEST(QGemm, EveryIsaMatchesReferenceOnRandomShapes) {
  std::mt19937 rng(42);
  const int checked = check_random_cases(rng, 300, [&](Case& c) {
    c.M = 1 + static_cast<int64_t>(rng() % 40);
    c.N = 1 + static_cast<int64_t>(rng() % 150);
    c.K = 1 + static_cast<int64_t>(rng() % 300);
  }, 7);
  if (checked == 0) GTEST_SKIP() << "no AVX2 / AVX-512 VNNI on this machine";
}

TEST(QGemm, TileShapesMatchReference) {
  // K a multiple of 64 and M of 16 or more: the shapes the AMX kernel takes
  // (with its leftover rows and columns handed to the VNNI kernel).
  std::mt19937 rng(11);
  const int checked = check_random_cases(rng, 120, [&](Case& c) {
    c.M = 1 + static_cast<int64_t>(rng() % 100);
    c.N = 1 + static_cast<int64_t>(rng() % 200);
    c.K = 64 * (1 + static_cast<int64_t>(rng() % 8));
  }, 48);
  if (checked == 0) GTEST_SKIP() << "no AVX2 / AVX-512 VNNI on this machine";
}

TEST(QGemm, ModelShapesMatchReference) {
  const Case cases[] = {
      {400, 384, 384, false, false, false, true, false},   // attention projections
      {400, 1536, 384, false, false, false, true, false},  // fc1
      {400, 384, 1536, false, false, false, true, false},  // fc2
      {400, 400, 64, true, false, true, true, false},      // q . k^T
      {400, 64, 400, true, false, true, true, false},      // softmax . v
      {800, 384, 240, false, true, false, true, false},    // conv1 as GEMM
      {1, 256, 384, false, true, false, true, false},      // classifier
  };
  int checked = 0;
  for (const Case& c : cases) {
    const std::vector<uint8_t> ref = run_case(QIsa::Ref, c, 7);
    for (QIsa isa : fast_isas()) {
      ASSERT_EQ(run_case(isa, c, 7), ref) << qgemm_isa_name(isa) << " M=" << c.M << " N=" << c.N << " K=" << c.K;
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "no AVX2 / AVX-512 VNNI on this machine";
}

TEST(QGemm, ExtremeValuesDoNotSaturate) {
  // 255 x -128 everywhere: the worst case for 16-bit intermediate sums.
  struct Dims {
    int64_t M, N, K;
  };
  for (QIsa isa : {QIsa::Ref, QIsa::Avx2, QIsa::Avx512Vnni, QIsa::Amx}) {
    for (Dims d : {Dims{5, 20, 333}, Dims{37, 70, 512}}) {  // the second fills whole AMX tiles
      if (!qgemm_isa_available(isa)) continue;
      const int64_t M = d.M, N = d.N, K = d.K;
      std::vector<uint8_t> A(static_cast<size_t>(M * K), 255);
      std::vector<int8_t> B(static_cast<size_t>(K * N), -128);
      std::vector<uint8_t> packed(qgemm_packed_b_bytes(isa, K, N));
      qgemm_pack_b(isa, B.data(), false, K, N, N, 1, packed.data(), nullptr);
      std::vector<int32_t> off(static_cast<size_t>(N), 0), C(static_cast<size_t>(M * N));
      QGemmArgs g;
      g.M = M, g.N = N, g.K = K, g.A = A.data(), g.lda = K, g.packed_b = packed.data(), g.col_off = off.data();
      g.C = C.data(), g.ldc = N;
      qgemm_run(isa, g, 0, M, 0, N);
      for (int32_t v : C) ASSERT_EQ(v, 255 * -128 * K) << qgemm_isa_name(isa);
    }
  }
}

TEST(QuantizeLinear, RangeIncludesZeroAndSkipsNaN) {
  // DynamicQuantizeLinear's range, on every length around the vector widths.
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-50.0f, 50.0f);
  for (int64_t n = 1; n < 300; n += (n < 140 ? 1 : 37)) {
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<float> x(static_cast<size_t>(n));
      const float shift = trial == 0 ? 0.0f : trial == 1 ? 100.0f : -100.0f;  // all > 0, all < 0
      for (auto& v : x) v = d(rng) + shift;
      x[rng() % x.size()] = std::numeric_limits<float>::quiet_NaN();
      if (n > 3) x[rng() % x.size()] = -0.0f;
      float want_lo = 0, want_hi = 0;
      for (float v : x) {
        if (v != v) continue;
        want_lo = std::min(want_lo, v);
        want_hi = std::max(want_hi, v);
      }
      float lo = 1, hi = -1;
      min_max_with_zero(x.data(), n, &lo, &hi);
      ASSERT_EQ(lo, want_lo) << "n=" << n;
      ASSERT_EQ(hi, want_hi) << "n=" << n;
      ASSERT_FALSE(std::signbit(lo) && lo == 0) << "n=" << n;
    }
  }
}

TEST(QuantizeLinear, RoundsAsTrueDivision) {
  // quantize_linear must round x / scale (a true division, as ONNX Runtime
  // computes it), whatever faster form a kernel uses. Values at and next to
  // half-integer multiples of the scale are where a reciprocal would differ.
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  const float specials[] = {0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN(),
                            std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min()};
  for (int trial = 0; trial < 200; ++trial) {
    float scale = std::ldexp(0.5f + 0.5f * std::abs(unit(rng)), static_cast<int>(rng() % 40) - 30);
    if (trial == 0) scale = std::numeric_limits<float>::denorm_min() * 3;  // no usable reciprocal
    const bool is_signed = trial & 1;
    const int32_t zp = is_signed ? static_cast<int32_t>(rng() % 256) - 128 : static_cast<int32_t>(rng() % 256);
    std::vector<float> x;
    for (int i = 0; i < 500; ++i) {
      const float half = std::floor(unit(rng) * 300.0f) + 0.5f;
      const float at = half * scale;
      x.push_back(at);
      x.push_back(std::nextafter(at, 1e30f));
      x.push_back(std::nextafter(at, -1e30f));
      x.push_back(unit(rng) * 300.0f * scale);
    }
    for (float v : specials) x.push_back(v);
    const int64_t n = static_cast<int64_t>(x.size());
    std::vector<uint8_t> got(x.size());
    quantize_linear(x.data(), got.data(), is_signed ? QType::S8 : QType::U8, n, scale, zp);
    const float lo = static_cast<float>((is_signed ? -128 : 0) - zp), hi = static_cast<float>((is_signed ? 127 : 255) - zp);
    for (int64_t i = 0; i < n; ++i) {
      float f = x[static_cast<size_t>(i)] / scale;
      f = f > lo ? f : lo;
      f = f < hi ? f : hi;
      const int32_t q = static_cast<int32_t>(std::nearbyint(f)) + zp;
      const int32_t g = is_signed ? static_cast<int8_t>(got[static_cast<size_t>(i)]) : got[static_cast<size_t>(i)];
      ASSERT_EQ(g, q) << "x=" << x[static_cast<size_t>(i)] << " scale=" << scale << " zp=" << zp;
    }
  }
}

TEST(QuantizeLinear, InRangeFormRoundsAsTrueDivision) {
  // DynamicQuantizeLinear's form (no clamp: every x inside the range that gave
  // the scale) against the ONNX formula, on ranges with zero at either end or
  // inside, values at and next to half-integer quotients (including the range's
  // ends), NaNs, signed zeros, and every tail length.
  std::mt19937 rng(17);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  for (int trial = 0; trial < 300; ++trial) {
    const float mag = std::ldexp(1.0f, static_cast<int>(rng() % 40) - 20);
    const float a = trial % 3 == 0 ? 0.0f : -unit(rng) * mag, b = trial % 3 == 1 ? 0.0f : unit(rng) * mag;
    const int64_t n = 1 + static_cast<int64_t>(rng() % 300);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) v = a + (b - a) * unit(rng);
    float lo = 0, hi = 0;
    min_max_with_zero(x.data(), n, &lo, &hi);
    const float scale = (hi - lo) / 255.0f;
    if (scale == 0) continue;
    const int32_t zp = static_cast<int32_t>(std::nearbyint(std::min(255.0f, std::max(0.0f, 0.0f - lo / scale))));
    // Half-integer multiples of the scale that stay inside [lo, hi], and their neighbours.
    for (int64_t i = 0; i + 3 <= n && i < 60; i += 3) {
      const float at = (std::floor(unit(rng) * 255.0f) - static_cast<float>(zp) + 0.5f) * scale;
      if (at <= lo || at >= hi) continue;
      x[static_cast<size_t>(i)] = at;
      x[static_cast<size_t>(i + 1)] = std::nextafter(at, hi);
      x[static_cast<size_t>(i + 2)] = std::nextafter(at, lo);
    }
    x[rng() % x.size()] = lo;
    x[rng() % x.size()] = hi;
    if (trial % 5 == 0) x[rng() % x.size()] = std::numeric_limits<float>::quiet_NaN();
    if (trial % 7 == 0) x[rng() % x.size()] = -0.0f;
    std::vector<uint8_t> want(x.size()), got(x.size());
    for (size_t i = 0; i < x.size(); ++i) {  // the ONNX formula, with a true division
      const float f = std::isnan(x[i]) ? -static_cast<float>(zp)
                                       : std::clamp(x[i] / scale, -static_cast<float>(zp), 255.0f - static_cast<float>(zp));
      want[i] = static_cast<uint8_t>(static_cast<int32_t>(std::nearbyint(f)) + zp);
    }
    quantize_u8_in_range(x.data(), got.data(), n, scale, zp);
    ASSERT_EQ(got, want) << "trial " << trial << " n=" << n << " scale=" << scale << " zp=" << zp;
  }
}

}  // namespace
}  // namespace saywhen::rt

// ---- the quantized ops and the QDQ rewrite, on small graphs built here ----------

#include "runtime/graph.h"
#include "runtime/optimize.h"
#include "runtime/plan.h"

namespace saywhen::rt {
namespace {

Tensor make_u8(const Shape& s, std::mt19937& rng, int lo = 0, int hi = 255) {
  Tensor t(DType::UInt8, s);
  std::uniform_int_distribution<int> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(d(rng));
  return t;
}
Tensor make_s8(const Shape& s, std::mt19937& rng) {
  Tensor t(DType::Int8, s);
  std::uniform_int_distribution<int> d(-128, 127);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(d(rng));
  return t;
}
Tensor scalar_f(float v) {
  Tensor t(DType::Float32, {});
  *t.data<float>() = v;
  return t;
}
Tensor scalar_u8(uint8_t v) {
  Tensor t(DType::UInt8, {});
  *t.data<uint8_t>() = v;
  return t;
}
Tensor vec_f(std::vector<float> v) {
  Tensor t(DType::Float32, {static_cast<int64_t>(v.size())});
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

struct GraphBuilder {
  ModelIR m;
  GraphBuilder() {
    m.path = "qdq test";
    m.opsets[""] = 17;
  }
  void input(const std::string& name, DType t) {
    ValueInfo v;
    v.name = name;
    v.dtype = t;
    m.graph.inputs.push_back(v);
    m.runtime_inputs.push_back(v);
  }
  void init(const std::string& name, const Tensor& t) { m.graph.initializers[name] = t; }
  Node& node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs) {
    Node n;
    n.name = op + std::to_string(m.graph.nodes.size());
    n.op_type = op;
    n.inputs = std::move(ins);
    n.outputs = std::move(outs);
    m.graph.nodes.push_back(std::move(n));
    return m.graph.nodes.back();
  }
  static void attr(Node& n, const std::string& k, int64_t v) {
    Attribute a;
    a.kind = Attribute::Kind::Int;
    a.i = v;
    n.attrs[k] = a;
  }
  static void attr(Node& n, const std::string& k, std::vector<int64_t> v) {
    Attribute a;
    a.kind = Attribute::Kind::Ints;
    a.ints = std::move(v);
    n.attrs[k] = a;
  }
  void output(const std::string& name) {
    ValueInfo v;
    v.name = name;
    m.graph.outputs.push_back(v);
  }
  // DQ(x) with per-tensor parameters; returns the float value name.
  std::string dq(const std::string& x, float scale, uint8_t zp) {
    init(x + "_s", scalar_f(scale));
    init(x + "_z", scalar_u8(zp));
    node("DequantizeLinear", {x, x + "_s", x + "_z"}, {x + "_f"});
    return x + "_f";
  }
  void q(const std::string& f, const std::string& y, float scale, uint8_t zp) {
    init(y + "_s", scalar_f(scale));
    init(y + "_z", scalar_u8(zp));
    node("QuantizeLinear", {f, y + "_s", y + "_z"}, {y});
    output(y);
  }
};

struct RunResult {
  std::vector<Tensor> outputs;
  std::vector<std::string> ops;  // op types after the rewrite
};

RunResult run_graph(ModelIR m, bool fuse, const std::map<std::string, Tensor>& inputs, int threads = 1) {
  for (auto* list : {&m.runtime_inputs, &m.graph.inputs})
    for (auto& v : *list) v.dims.assign(inputs.at(v.name).shape().size(), -1);
  OptimizeOptions o;
  o.fuse_qdq = fuse;
  optimize_graph(m, o);
  RunResult r;
  for (const auto& n : m.graph.nodes) r.ops.push_back((n.domain.empty() ? "" : n.domain + ".") + n.op_type);
  PlanRequest req;
  for (const auto& [k, v] : inputs) req.shapes[k] = v.shape();
  auto plan = build_plan(m, req);
  ThreadPool pool(threads);
  Executor ex(plan, &pool);
  for (size_t i = 0; i < m.runtime_inputs.size(); ++i) {
    const Tensor& src = inputs.at(m.runtime_inputs[i].name);
    std::memcpy(ex.input(i).raw(), src.raw(), src.nbytes());
  }
  ex.run();
  for (size_t i = 0; i < m.graph.outputs.size(); ++i) r.outputs.push_back(ex.output(i).clone());
  return r;
}

bool has_op(const RunResult& r, const std::string& op) {
  return std::find(r.ops.begin(), r.ops.end(), op) != r.ops.end();
}

int max_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  int d = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    d = std::max(d, std::abs(int(a.data<uint8_t>()[i]) - int(b.data<uint8_t>()[i])));
  return d;
}

// What ONNX Runtime's QLinear* kernels compute from an exact int32 sum.
uint8_t requant(int64_t acc, float sa, float sb, float sy, int zy) {
  const float scale = sa * sb / sy;
  float f = static_cast<float>(acc) * scale;
  f = std::min(std::max(f, static_cast<float>(0 - zy)), static_cast<float>(255 - zy));
  return static_cast<uint8_t>(static_cast<int>(std::nearbyint(f)) + zy);
}

// Every check of a fused group: the rewrite happened, the result is the
// integer computation (when a reference is given), the float graph is within
// one quantization step, and two threads give the same bytes as one.
void check_group(const GraphBuilder& b, const std::map<std::string, Tensor>& in, const char* fused_op,
                 const Tensor* reference, int max_float_diff = 1) {
  const RunResult fused = run_graph(b.m, true, in);
  const RunResult plain = run_graph(b.m, false, in);
  EXPECT_TRUE(has_op(fused, fused_op)) << fused_op << " not produced";
  EXPECT_FALSE(has_op(plain, fused_op));
  if (reference) {
    EXPECT_EQ(max_diff(fused.outputs[0], *reference), 0) << "fused result differs from the reference";
  }
  EXPECT_LE(max_diff(fused.outputs[0], plain.outputs[0]), max_float_diff) << "fused vs float graph";
  const RunResult two = run_graph(b.m, true, in, 2);
  EXPECT_EQ(max_diff(fused.outputs[0], two.outputs[0]), 0) << "2 threads differ from 1";
}

TEST(QdqFusion, MatMulWithPerColumnWeights) {
  std::mt19937 rng(3);
  const int64_t K = 37, N = 45;
  GraphBuilder b;
  b.input("x", DType::UInt8);
  const Tensor w = make_s8({K, N}, rng);
  std::vector<float> ws(N);
  for (auto& v : ws) v = std::uniform_real_distribution<float>(0.001f, 0.004f)(rng);
  b.init("w", w);
  b.init("w_s", vec_f(ws));
  b.init("w_z", Tensor(DType::Int8, {N}));
  Node& dqw = b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"w_f"});
  GraphBuilder::attr(dqw, "axis", 1);
  const std::string xf = b.dq("x", 0.02f, 117);
  b.node("MatMul", {xf, "w_f"}, {"mm"});
  b.q("mm", "y", 0.11f, 131);
  const Tensor x = make_u8({2, 5, K}, rng);
  Tensor ref(DType::UInt8, {2, 5, N});
  for (int64_t m = 0; m < 10; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int64_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += (x.data<uint8_t>()[m * K + k] - 117) * w.data<int8_t>()[k * N + n];
      ref.data<uint8_t>()[m * N + n] = requant(acc, 0.02f, ws[static_cast<size_t>(n)], 0.11f, 131);
    }
  check_group(b, {{"x", x}}, "saywhen.QMatMul", &ref);
}

TEST(QdqFusion, BatchedMatMulOfTwoActivations) {
  std::mt19937 rng(4);
  GraphBuilder b;
  b.input("a", DType::UInt8);
  b.input("c", DType::UInt8);
  const std::string af = b.dq("a", 0.03f, 120), cf = b.dq("c", 0.05f, 140);
  b.node("MatMul", {af, cf}, {"mm"});
  b.q("mm", "y", 0.7f, 128);
  const Tensor a = make_u8({2, 3, 17, 9}, rng), c = make_u8({2, 3, 9, 13}, rng);
  Tensor ref(DType::UInt8, {2, 3, 17, 13});
  for (int64_t bt = 0; bt < 6; ++bt)
    for (int64_t i = 0; i < 17; ++i)
      for (int64_t j = 0; j < 13; ++j) {
        int64_t acc = 0;
        for (int64_t k = 0; k < 9; ++k)
          acc += (a.data<uint8_t>()[(bt * 17 + i) * 9 + k] - 120) * (c.data<uint8_t>()[(bt * 9 + k) * 13 + j] - 140);
        ref.data<uint8_t>()[(bt * 17 + i) * 13 + j] = requant(acc, 0.03f, 0.05f, 0.7f, 128);
      }
  check_group(b, {{"a", a}, {"c", c}}, "saywhen.QMatMul", &ref);
}

TEST(QdqFusion, GemmWithTransposedWeightsAndInt32Bias) {
  std::mt19937 rng(5);
  const int64_t K = 33, N = 20;
  GraphBuilder b;
  b.input("x", DType::UInt8);
  const Tensor w = make_s8({N, K}, rng);
  std::vector<float> ws(N), bs(N);
  for (auto& v : ws) v = std::uniform_real_distribution<float>(0.001f, 0.004f)(rng);
  for (int64_t n = 0; n < N; ++n) bs[static_cast<size_t>(n)] = 0.02f * ws[static_cast<size_t>(n)];
  Tensor bias(DType::Int32, {N});
  for (int64_t n = 0; n < N; ++n) bias.data<int32_t>()[n] = static_cast<int32_t>(rng() % 4001) - 2000;
  b.init("w", w);
  b.init("w_s", vec_f(ws));
  b.init("w_z", Tensor(DType::Int8, {N}));
  b.init("bq", bias);
  b.init("b_s", vec_f(bs));
  b.init("b_z", Tensor(DType::Int32, {N}));
  GraphBuilder::attr(b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"w_f"}), "axis", 0);
  GraphBuilder::attr(b.node("DequantizeLinear", {"bq", "b_s", "b_z"}, {"b_f"}), "axis", 0);
  const std::string xf = b.dq("x", 0.02f, 100);
  GraphBuilder::attr(b.node("Gemm", {xf, "w_f", "b_f"}, {"g"}), "transB", 1);
  b.q("g", "y", 0.09f, 90);
  const Tensor x = make_u8({3, K}, rng);
  Tensor ref(DType::UInt8, {3, N});
  for (int64_t m = 0; m < 3; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int64_t acc = bias.data<int32_t>()[n];
      for (int64_t k = 0; k < K; ++k) acc += (x.data<uint8_t>()[m * K + k] - 100) * w.data<int8_t>()[n * K + k];
      ref.data<uint8_t>()[m * N + n] = requant(acc, 0.02f, ws[static_cast<size_t>(n)], 0.09f, 90);
    }
  check_group(b, {{"x", x}}, "saywhen.QMatMul", &ref);
}

void conv_case(int64_t C, int64_t M, int64_t T, int64_t kw, int64_t stride, int64_t pad, uint32_t seed) {
  std::mt19937 rng(seed);
  GraphBuilder b;
  b.input("x", DType::UInt8);
  const Tensor w = make_s8({M, C, kw}, rng);
  std::vector<float> ws(static_cast<size_t>(M)), bs(static_cast<size_t>(M));
  for (auto& v : ws) v = std::uniform_real_distribution<float>(0.001f, 0.004f)(rng);
  for (int64_t m = 0; m < M; ++m) bs[static_cast<size_t>(m)] = 0.01f * ws[static_cast<size_t>(m)];
  Tensor bias(DType::Int32, {M});
  for (int64_t m = 0; m < M; ++m) bias.data<int32_t>()[m] = static_cast<int32_t>(rng() % 4001) - 2000;
  b.init("w", w);
  b.init("w_s", vec_f(ws));
  b.init("w_z", Tensor(DType::Int8, {M}));
  b.init("bq", bias);
  b.init("b_s", vec_f(bs));
  b.init("b_z", Tensor(DType::Int32, {M}));
  GraphBuilder::attr(b.node("DequantizeLinear", {"w", "w_s", "w_z"}, {"w_f"}), "axis", 0);
  GraphBuilder::attr(b.node("DequantizeLinear", {"bq", "b_s", "b_z"}, {"b_f"}), "axis", 0);
  const std::string xf = b.dq("x", 0.01f, 28);
  Node& conv = b.node("Conv", {xf, "w_f", "b_f"}, {"c"});
  GraphBuilder::attr(conv, "pads", std::vector<int64_t>{pad, pad});
  GraphBuilder::attr(conv, "strides", std::vector<int64_t>{stride});
  b.q("c", "y", 0.05f, 120);
  const Tensor x = make_u8({1, C, T}, rng);
  const int64_t O = (T + 2 * pad - kw) / stride + 1;
  Tensor ref(DType::UInt8, {1, M, O});
  for (int64_t m = 0; m < M; ++m)
    for (int64_t o = 0; o < O; ++o) {
      int64_t acc = bias.data<int32_t>()[m];
      for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < kw; ++k) {
          const int64_t t = o * stride - pad + k;
          const int xv = t < 0 || t >= T ? 28 : x.data<uint8_t>()[c * T + t];
          acc += (xv - 28) * w.data<int8_t>()[(m * C + c) * kw + k];
        }
      ref.data<uint8_t>()[m * O + o] = requant(acc, 0.01f, ws[static_cast<size_t>(m)], 0.05f, 120);
    }
  check_group(b, {{"x", x}}, "saywhen.QConv", &ref);
}

TEST(QdqFusion, Conv1d) {
  conv_case(8, 24, 50, 3, 1, 1, 6);   // conv1 of the Whisper encoder, scaled down
  conv_case(16, 20, 41, 3, 2, 1, 7);  // conv2: stride 2
  conv_case(5, 7, 9, 4, 3, 2, 8);
}

TEST(QdqFusion, SoftmaxUsesTheQLinearSoftmaxTable) {
  std::mt19937 rng(9);
  GraphBuilder b;
  b.input("x", DType::UInt8);
  const std::string xf = b.dq("x", 0.087f, 131);
  b.node("Softmax", {xf}, {"sm"});
  b.q("sm", "y", 1.0f / 255, 0);
  const Tensor x = make_u8({2, 3, 7, 50}, rng, 60, 200);
  // The table method rounds differently from float softmax, by at most a step.
  check_group(b, {{"x", x}}, "saywhen.QSoftmax", nullptr);
}

TEST(QdqFusion, ElementwiseChainBecomesATableLookup) {
  std::mt19937 rng(10);
  const int64_t C = 29;
  GraphBuilder b;
  b.input("x", DType::UInt8);
  std::vector<float> bias(C);
  for (auto& v : bias) v = std::uniform_real_distribution<float>(-0.5f, 0.5f)(rng);
  b.init("bias", vec_f(bias));
  b.init("sqrt2", scalar_f(1.4142135f));
  b.init("one", scalar_f(1.0f));
  b.init("half", scalar_f(0.5f));
  const std::string xf = b.dq("x", 0.03f, 110);
  // GELU(x + bias), as exporters write it.
  b.node("Add", {xf, "bias"}, {"xb"});
  b.node("Div", {"xb", "sqrt2"}, {"d"});
  b.node("Erf", {"d"}, {"e"});
  b.node("Add", {"e", "one"}, {"e1"});
  b.node("Mul", {"half", "e1"}, {"h"});
  b.node("Mul", {"xb", "h"}, {"g"});
  b.q("g", "y", 0.02f, 9);
  const Tensor x = make_u8({3, 5, C}, rng);
  const RunResult fused = run_graph(b.m, true, {{"x", x}});
  const RunResult plain = run_graph(b.m, false, {{"x", x}});
  EXPECT_TRUE(has_op(fused, "saywhen.QLut"));
  EXPECT_FALSE(has_op(fused, "Erf"));
  EXPECT_EQ(max_diff(fused.outputs[0], plain.outputs[0]), 0) << "the table must hold what the ops compute";
}

TEST(QdqFusion, TableLookupMovesThroughLayoutOps) {
  // The attention input pattern: bias Add, split heads (Reshape + Transpose),
  // scale (Mul by a scalar), Q. The layout ops then move uint8, not float, and
  // a Shape node may still read the Reshape's output.
  std::mt19937 rng(12);
  GraphBuilder b;
  b.input("x", DType::UInt8);
  std::vector<float> bias(12);
  for (auto& v : bias) v = std::uniform_real_distribution<float>(-0.3f, 0.3f)(rng);
  b.init("bias", vec_f(bias));
  Tensor shape(DType::Int64, {4});
  const int64_t dims[4] = {1, 5, 3, 4};
  std::copy(dims, dims + 4, shape.data<int64_t>());
  b.init("shape", shape);
  b.init("scale", scalar_f(0.35f));
  const std::string xf = b.dq("x", 0.04f, 125);
  b.node("Add", {xf, "bias"}, {"xb"});
  b.node("Reshape", {"xb", "shape"}, {"heads"});
  b.node("Shape", {"heads"}, {"heads_shape"});
  GraphBuilder::attr(b.node("Transpose", {"heads"}, {"t"}), "perm", std::vector<int64_t>{0, 2, 1, 3});
  b.node("Mul", {"t", "scale"}, {"ts"});
  b.q("ts", "y", 0.03f, 128);
  b.output("heads_shape");
  const Tensor x = make_u8({1, 5, 12}, rng);
  const RunResult fused = run_graph(b.m, true, {{"x", x}});
  const RunResult plain = run_graph(b.m, false, {{"x", x}});
  EXPECT_TRUE(has_op(fused, "saywhen.QLut"));
  EXPECT_TRUE(has_op(fused, "Transpose"));
  EXPECT_FALSE(has_op(fused, "Mul"));
  EXPECT_FALSE(has_op(fused, "Add"));
  ASSERT_EQ(fused.outputs[0].dtype(), DType::UInt8);
  EXPECT_EQ(fused.outputs[0].shape(), (Shape{1, 3, 5, 4}));
  EXPECT_EQ(max_diff(fused.outputs[0], plain.outputs[0]), 0);
  ASSERT_EQ(fused.outputs[1].numel(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(fused.outputs[1].data<int64_t>()[i], dims[i]);
}

// quantize_dynamic's weight product of float input "x" and int8 weights w
// (scale ws, zero point 0), into "prod": DynamicQuantizeLinear, Mul of the
// scales, MatMulInteger, Cast, Mul. Also adds the initializer "bias".
void add_dynamic_quantized_product(GraphBuilder& b, const Tensor& w, float ws, const std::vector<float>& bias) {
  b.init("w", w);
  b.init("w_s", scalar_f(ws));
  b.init("w_z", Tensor(DType::Int8, {}));
  b.init("bias", vec_f(bias));
  b.node("DynamicQuantizeLinear", {"x"}, {"xq", "xs", "xz"});
  b.node("Mul", {"xs", "w_s"}, {"s"});
  b.node("MatMulInteger", {"xq", "w", "xz", "w_z"}, {"acc"});
  GraphBuilder::attr(b.node("Cast", {"acc"}, {"accf"}), "to", static_cast<int64_t>(DType::Float32));
  b.node("Mul", {"accf", "s"}, {"prod"});
}

// quantize_dynamic's weight product: DynamicQuantizeLinear, MatMulInteger,
// Cast, Mul by the scale product, Add of the bias. The fused op must give the
// nodes' float values bit for bit (the same two roundings).
TEST(OrtFusion, DynamicQuantizedMatMulBecomesMatMulIntegerToFloat) {
  std::mt19937 rng(11);
  const int64_t M = 13, K = 70, N = 40;
  GraphBuilder b;
  b.input("x", DType::Float32);
  const Tensor w = make_s8({K, N}, rng);
  std::vector<float> bias(N);
  for (auto& v : bias) v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
  const float ws = 0.0037f;
  add_dynamic_quantized_product(b, w, ws, bias);
  b.node("Add", {"bias", "prod"}, {"y"});
  b.output("y");
  Tensor x(DType::Float32, {M, K});
  for (int64_t i = 0; i < M * K; ++i) x.data<float>()[i] = std::uniform_real_distribution<float>(-2.0f, 5.0f)(rng);
  x.data<float>()[5] = std::nanf("");  // skipped by the range scan, quantized to zp

  // DynamicQuantizeLinear as the ONNX spec writes it, then the nodes' arithmetic.
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < M * K; ++i)
    if (!std::isnan(x.data<float>()[i])) lo = std::min(lo, x.data<float>()[i]), hi = std::max(hi, x.data<float>()[i]);
  const float xs = (hi - lo) / 255.0f;
  const int xz = static_cast<int>(std::nearbyint(std::clamp(-lo / xs, 0.0f, 255.0f)));
  Tensor ref(DType::Float32, {M, N});
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        const float v = x.data<float>()[m * K + k];
        const int q = std::isnan(v) ? 0 : static_cast<int>(std::nearbyint(std::clamp(v / xs, -float(xz), 255.0f - xz))) + xz;
        acc += (q - xz) * w.data<int8_t>()[k * N + n];
      }
      const float prod = static_cast<float>(acc) * (xs * ws);
      ref.data<float>()[m * N + n] = bias[static_cast<size_t>(n)] + prod;
    }
  for (int threads : {1, 2}) {
    const RunResult r = run_graph(b.m, true, {{"x", x}}, threads);
    EXPECT_TRUE(has_op(r, "saywhen.MatMulIntegerToFloat"));
    EXPECT_FALSE(has_op(r, "Cast"));
    ASSERT_EQ(r.outputs[0].shape(), ref.shape());
    for (int64_t i = 0; i < M * N; ++i)
      ASSERT_EQ(r.outputs[0].data<float>()[i], ref.data<float>()[i]) << "element " << i << " threads " << threads;
  }
}

// The residual Add after the weight product joins the epilogue: in it when the
// residual has the product's shape, after the product when it only broadcasts
// (to the product's shape or a larger one). Against the same graph with the
// product's sum also a graph output (so the Add stays a node): the same floats.
TEST(OrtFusion, ResidualAddJoinsMatMulIntegerToFloat) {
  std::mt19937 rng(12);
  const int64_t M = 21, K = 64, N = 40;
  const Tensor w = make_s8({K, N}, rng);
  std::vector<float> bias(N);
  for (auto& v : bias) v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
  auto graph = [&](bool with_bias, bool expose_sum) {
    GraphBuilder b;
    b.input("x", DType::Float32);
    b.input("r", DType::Float32);
    add_dynamic_quantized_product(b, w, 0.0041f, bias);
    if (with_bias) b.node("Add", {"prod", "bias"}, {"y"});
    b.node("Add", {"r", with_bias ? "y" : "prod"}, {"z"});
    b.output("z");
    if (expose_sum) b.output(with_bias ? "y" : "prod");
    return b.m;
  };
  auto rand_f = [&](const Shape& s) {
    Tensor t(DType::Float32, s);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::uniform_real_distribution<float>(-3.0f, 3.0f)(rng);
    return t;
  };
  const Tensor x = rand_f({M, K});
  for (const Shape& rs : {Shape{M, N}, Shape{N}, Shape{M, 1}, Shape{3, M, N}}) {
    const Tensor r = rand_f(rs);
    for (bool with_bias : {true, false})
      for (int threads : {1, 2}) {
        const RunResult fused = run_graph(graph(with_bias, false), true, {{"x", x}, {"r", r}}, threads);
        const RunResult plain = run_graph(graph(with_bias, true), true, {{"x", x}, {"r", r}}, threads);
        EXPECT_TRUE(has_op(fused, "saywhen.MatMulIntegerToFloat"));
        EXPECT_FALSE(has_op(fused, "Add")) << shape_str(rs);
        EXPECT_TRUE(has_op(plain, "Add"));
        ASSERT_EQ(fused.outputs[0].shape(), plain.outputs[0].shape()) << shape_str(rs);
        EXPECT_EQ(std::memcmp(fused.outputs[0].raw(), plain.outputs[0].raw(), fused.outputs[0].nbytes()), 0)
            << shape_str(rs) << " bias " << with_bias << " threads " << threads;
      }
  }
}

TEST(QdqFusion, LeavesGroupsItCannotFuseExactly) {
  std::mt19937 rng(11);
  // The scale arrives at run time; and the MatMul's float result has a second reader.
  GraphBuilder b;
  b.input("x", DType::UInt8);
  b.input("w", DType::UInt8);
  b.input("ws", DType::Float32);
  b.init("w_z", scalar_u8(128));
  b.node("DequantizeLinear", {"w", "ws", "w_z"}, {"w_f"});
  const std::string xf = b.dq("x", 0.02f, 117);
  b.node("MatMul", {xf, "w_f"}, {"mm"});
  b.q("mm", "y", 0.1f, 128);
  b.node("MatMul", {xf, xf}, {"sq"});
  b.node("Relu", {"sq"}, {"r"});
  b.q("sq", "y2", 0.1f, 128);
  b.output("r");
  const Tensor x = make_u8({4, 4}, rng), w = make_u8({4, 4}, rng);
  Tensor ws = scalar_f(0.01f);
  const RunResult fused = run_graph(b.m, true, {{"x", x}, {"w", w}, {"ws", ws}});
  EXPECT_FALSE(has_op(fused, "saywhen.QMatMul"));
  const RunResult plain = run_graph(b.m, false, {{"x", x}, {"w", w}, {"ws", ws}});
  EXPECT_EQ(max_diff(fused.outputs[0], plain.outputs[0]), 0);
}

// A Linear layer's bias Add and attention's scale Mul become the sgemm
// epilogue of the MatMul before them (saywhen.FusedMatMul). Against the same
// graph with the product also a graph output (so nothing is fused): the same
// floats, bit for bit, K split into several sgemm blocks included (the bias is
// added to the whole sum, as the Add does).
TEST(MatMulEpilogue, BiasAndScaleFoldIntoTheProduct) {
  std::mt19937 rng(5);
  auto rand_f = [&](const Shape& s) {
    Tensor t(DType::Float32, s);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
    return t;
  };
  const int64_t K = 600, N = 40;
  const Tensor x = rand_f({2, 5, K}), w = rand_f({K, N}), q = rand_f({1, 3, 7, 16}), kt = rand_f({1, 3, 16, 7});
  std::vector<float> bias(N);
  for (auto& v : bias) v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
  Tensor scale_1(DType::Float32, {1});  // rank 1: not a rank-0 scalar, left alone
  *scale_1.data<float>() = 0.125f;
  auto graph = [&](bool expose_products) {
    GraphBuilder b;
    b.input("x", DType::Float32);
    b.input("q", DType::Float32);
    b.input("kt", DType::Float32);
    b.init("w", w);
    b.init("bias", vec_f(bias));
    b.init("scale", scalar_f(0.125f));
    b.init("scale_1", scale_1);
    b.node("MatMul", {"x", "w"}, {"xw"});
    b.node("Add", {"bias", "xw"}, {"linear"});
    b.node("MatMul", {"q", "kt"}, {"qk"});
    b.node("Mul", {"qk", "scale"}, {"scores"});
    b.node("MatMul", {"q", "kt"}, {"qk2"});
    b.node("Mul", {"qk2", "scale_1"}, {"scores_1"});
    for (const char* o : {"linear", "scores", "scores_1"}) b.output(o);
    if (expose_products) b.output("xw"), b.output("qk");
    return b.m;
  };
  const std::map<std::string, Tensor> in = {{"x", x}, {"q", q}, {"kt", kt}};
  for (int threads : {1, 2}) {
    const RunResult fused = run_graph(graph(false), true, in, threads);
    const RunResult plain = run_graph(graph(true), true, in, threads);
    EXPECT_EQ(std::count(fused.ops.begin(), fused.ops.end(), "saywhen.FusedMatMul"), 2);
    EXPECT_EQ(std::count(fused.ops.begin(), fused.ops.end(), "Mul"), 1);  // the rank-1 scale
    EXPECT_FALSE(has_op(plain, "saywhen.FusedMatMul"));
    for (size_t o = 0; o < 3; ++o) {
      ASSERT_EQ(fused.outputs[o].shape(), plain.outputs[o].shape());
      for (int64_t i = 0; i < plain.outputs[o].numel(); ++i)
        ASSERT_EQ(fused.outputs[o].data<float>()[i], plain.outputs[o].data<float>()[i])
            << "output " << o << " element " << i << " threads " << threads;
    }
  }
}

}  // namespace
}  // namespace saywhen::rt
