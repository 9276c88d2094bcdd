// Elementwise kernels: accuracy of the float32 approximations (every ISA variant
// this CPU can run) against double-precision std:: functions, Tanh/Sigmoid/Erf
// bit for bit against values recorded from ONNX Runtime, and kernel
// behaviour on small models: broadcasting layouts, threading, casts, integer
// edge cases, and no heap allocation once a session is warm.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <atomic>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "runtime/cpu.h"
#include "runtime/kernels/elementwise_simd.h"
#include "saywhen/runtime.h"

#include "../alloc_counter.h"

namespace {

using saywhen::DType;
using saywhen::Tensor;
namespace ew = saywhen::rt::ew;

// ---------------------------------------------------------------------------
// Accuracy of the float32 loops.

struct Variant {
  const char* name;
  const ew::F32Table* table;
};

std::vector<Variant> variants() {
  std::vector<Variant> v{{"ref", &ew::f32_table_ref()}};
  if (saywhen::rt::cpu().avx2) v.push_back({"avx2", &ew::f32_table_avx2()});
  if (saywhen::rt::cpu().avx512) v.push_back({"avx512", &ew::f32_table_avx512()});
  return v;
}

// Evenly spaced points over [lo, hi] plus every float within a few ulps of a
// handful of awkward values (0, the approximation switch points...).
std::vector<float> sweep(float lo, float hi, int n, std::vector<float> extra = {}) {
  std::vector<float> x;
  for (int i = 0; i <= n; ++i) x.push_back(lo + (hi - lo) * static_cast<float>(i) / static_cast<float>(n));
  extra.push_back(0.0f);
  for (float e : extra)
    for (float s : {e, -e}) {
      float v = s;
      for (int k = 0; k < 8; ++k) {
        x.push_back(v);
        v = std::nextafter(v, std::numeric_limits<float>::infinity());
      }
      v = s;
      for (int k = 0; k < 8; ++k) {
        x.push_back(v);
        v = std::nextafter(v, -std::numeric_limits<float>::infinity());
      }
    }
  for (float t = 1e-30f; t < 1e-2f; t *= 3.7f) x.insert(x.end(), {t, -t});
  return x;
}

// Largest error of fn over xs relative to max(|ref|, floor).
double max_error(const ew::F32Table& t, ew::UOp op, const ew::UParams& p, const std::vector<float>& xs,
                 const std::function<double(double)>& ref, double floor, float* worst_x = nullptr) {
  std::vector<float> y(xs.size());
  t.unary[static_cast<int>(op)](xs.data(), y.data(), static_cast<int64_t>(xs.size()), p);
  double worst = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    const double r = ref(static_cast<double>(xs[i]));
    const double rf = static_cast<double>(static_cast<float>(r));  // the best float answer
    if (std::isnan(r)) {
      if (!std::isnan(y[i])) return std::numeric_limits<double>::infinity();
      continue;
    }
    if (std::isinf(rf) || std::isinf(y[i])) {
      if (static_cast<double>(y[i]) != rf) {
        if (worst_x) *worst_x = xs[i];
        return std::numeric_limits<double>::infinity();
      }
      continue;
    }
    const double e = std::fabs(static_cast<double>(y[i]) - r) / std::max(std::fabs(r), floor);
    if (e > worst) {
      worst = e;
      if (worst_x) *worst_x = xs[i];
    }
  }
  return worst;
}

struct Case {
  const char* name;
  ew::UOp op;
  ew::UParams p;
  std::vector<float> xs;
  std::function<double(double)> ref;
  double floor;  // errors are relative to max(|ref|, floor)
  double tol;
};

double gelu_ref(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double gelu_tanh_ref(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

constexpr float kMin = std::numeric_limits<float>::min();

std::vector<Case> cases() {
  return {
      {"exp", ew::UOp::Exp, {}, sweep(-110, 95, 400000, {0.5f, 88.7f, -87.3f}), [](double x) { return std::exp(x); },
       // below FLT_MIN the result is subnormal: judged absolutely
       kMin, 5e-7},
      {"log", ew::UOp::Log, {}, [] {
         auto v = sweep(0, 4, 400000, {1.0f, 1.41421356f, kMin});
         for (float t = 1e-45f; t < 3e38f; t = std::max(t * 1.013f, std::nextafter(t, 1.0f))) v.push_back(t);
         v.push_back(std::numeric_limits<float>::infinity());
         return v;
       }(), [](double x) { return std::log(x); }, 1e-30, 3e-7},
      // Tanh, Sigmoid and Erf are ONNX Runtime's approximations (see
      // OnnxRuntimeBitForBit below): a few ulps (Tanh's results below 1e-30
      // judged absolutely: its p(x)/q(x) loses bits to subnormal products),
      // and Sigmoid absolutely, to ~1.5e-7.
      {"tanh", ew::UOp::Tanh, {}, sweep(-20, 20, 400000, {0.25f, 9.0f}), [](double x) { return std::tanh(x); },
       1e-30, 6e-7},
      {"sigmoid", ew::UOp::Sigmoid, {}, sweep(-100, 100, 400000, {88.0f}),
       [](double x) { return 1 / (1 + std::exp(-x)); }, 1.0, 2e-7},
      {"erf", ew::UOp::Erf, {}, sweep(-6, 6, 400000, {0.921875f, 3.925f}), [](double x) { return std::erf(x); },
       1e-38, 6e-7},
      // Gelu is ORT's composition of MLAS's erf (OnnxRuntimeBitForBit below),
      // whose tail is absolute: values below 1 are judged absolutely.
      {"gelu", ew::UOp::GeluErf, {}, sweep(-12, 12, 400000, {1.1313708f, -5.54f}), gelu_ref, 1.0, 2.5e-7},
      {"gelu_tanh", ew::UOp::GeluTanh, {}, sweep(-12, 12, 400000), gelu_tanh_ref, 1e-4, 2e-6},
      {"softplus", ew::UOp::Softplus, {}, sweep(-100, 100, 400000, {15.0f}),
       [](double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }, kMin, 6e-7},
      {"elu", ew::UOp::Elu, {1.0f, 0, 0}, sweep(-20, 5, 400000, {0.5f}),
       [](double x) { return x < 0 ? std::expm1(x) : x; }, 1e-38, 5e-7},
      {"sqrt", ew::UOp::Sqrt, {}, sweep(0, 1e6, 400000), [](double x) { return std::sqrt(x); }, 1e-38, 1e-7},
  };
}

TEST(ElementwiseMath, ApproximationsMatchStdOverWideRanges) {
  for (const Variant& v : variants())
    for (const Case& c : cases()) {
      float at = 0;
      const double err = max_error(*v.table, c.op, c.p, c.xs, c.ref, c.floor, &at);
      EXPECT_LE(err, c.tol) << v.name << " " << c.name << ": worst at x=" << at;
      std::printf("  %-7s %-10s max rel error %.3g\n", v.name, c.name, err);
    }
}

TEST(ElementwiseMath, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  struct S { ew::UOp op; float x, want; };
  const std::vector<S> specials = {
      {ew::UOp::Exp, inf, inf},       {ew::UOp::Exp, -inf, 0},       {ew::UOp::Exp, 89.0f, inf},
      {ew::UOp::Exp, -200, 0},        {ew::UOp::Log, 0, -inf},       {ew::UOp::Log, inf, inf},
      {ew::UOp::Log, 1, 0},           {ew::UOp::Sigmoid, inf, 1},    {ew::UOp::Erf, inf, 1},
      {ew::UOp::Erf, -inf, -1},       {ew::UOp::GeluErf, inf, inf},  {ew::UOp::GeluErf, -inf, 0},
      {ew::UOp::Softplus, inf, inf},  {ew::UOp::Softplus, -inf, 0},  {ew::UOp::Round, 2.5f, 2},
      {ew::UOp::Round, -2.5f, -2},    {ew::UOp::Round, 3.5f, 4},     {ew::UOp::Round, 1e10f, 1e10f},
      {ew::UOp::Floor, -0.5f, -1},    {ew::UOp::Ceil, -0.5f, 0},     {ew::UOp::Floor, 8388609.0f, 8388609.0f},
      {ew::UOp::Ceil, 0.25f, 1},      {ew::UOp::Relu, -3, 0},        {ew::UOp::Sign, -0.1f, -1},
  };
  for (const Variant& v : variants()) {
    for (const S& s : specials) {
      float y = 0;
      v.table->unary[static_cast<int>(s.op)](&s.x, &y, 1, ew::UParams{});
      EXPECT_EQ(y, s.want) << v.name << " op " << static_cast<int>(s.op) << " x=" << s.x;
    }
    for (int op = 0; op < static_cast<int>(ew::UOp::Count); ++op) {
      if (op == static_cast<int>(ew::UOp::Relu) || op == static_cast<int>(ew::UOp::ThresholdedRelu) ||
          op == static_cast<int>(ew::UOp::Shrink) || op == static_cast<int>(ew::UOp::HardSigmoid) ||
          op == static_cast<int>(ew::UOp::HardSwish))
        continue;  // clamp-like ops may map NaN to a bound, as numpy's would
      float y = 0;
      v.table->unary[op](&nan, &y, 1, ew::UParams{1.0f, 0.5f, 1.0f});
      EXPECT_TRUE(std::isnan(y)) << v.name << " op " << op << " should keep NaN";
    }
  }
}

// Tanh, Sigmoid and Erf give what ONNX Runtime 1.32's CPU kernels give on an
// x86-64 CPU with AVX2 (MLAS's FMA3 kernels), bit for bit: values recorded
// from ORT (input bits, output bits), random inputs plus the switch points.
// The FMA builds only; the baseline build rounds each multiply-add twice.
TEST(ElementwiseMath, OnnxRuntimeBitForBit) {
  struct Ref { uint32_t x, y; };
  const std::vector<Ref> erf_ref = {
      {0xbe91b0adu, 0xbea01000u}, {0xc051944eu, 0xbf7fffc3u}, {0xc09625aeu, 0xbf800000u},
      {0xc0222a62u, 0xbf7fe9c6u}, {0x3feb2603u, 0x3f7d9991u}, {0xbfad046fu, 0xbf71aea5u},
      {0x4080f93eu, 0x3f800000u}, {0x3e87cad2u, 0x3e95b501u}, {0x3fa8eb8bu, 0x3f702100u},
      {0xc0c36da0u, 0xbf800000u}, {0x3edf227cu, 0x3eecb57eu}, {0xc0bee50fu, 0xbf800000u},
      {0x3f4170a8u, 0x3f36fa51u}, {0xc04b8b74u, 0xbf7fff8du}, {0xbebaf3edu, 0xbec9f112u},
      {0x400cb3ccu, 0x3f7f8506u}, {0xc01910a5u, 0xbf7fd0e4u}, {0x401323c7u, 0x3f7fb4bbu},
      {0x4073f9c3u, 0x3f7fffffu}, {0x40690f4au, 0x3f7ffffcu}, {0x4088f2f2u, 0x3f800000u},
      {0xc0a35099u, 0xbf800000u}, {0x3fc37cd6u, 0x3f781e8au}, {0x3f961374u, 0x3f6717ceu},
      {0x3f6c0000u, 0x3f4ec3b4u}, {0x407b3322u, 0x3f800000u}, {0x410fd70eu, 0x3f800000u},
      {0xc1900000u, 0xbf800000u}, {0x38d49abcu, 0x38efe5feu}};
  const std::vector<Ref> tanh_ref = {
      {0xbe91b0adu, 0xbe8de19eu}, {0xc051944eu, 0xbf7f44b3u}, {0xc09625aeu, 0xbf7ff4fcu},
      {0xc0222a62u, 0xbf7ccbcdu}, {0x3feb2603u, 0x3f7354ffu}, {0xbfad046fu, 0xbf5fdc2fu},
      {0x4080f93eu, 0x3f7fd6a4u}, {0x3e87cad2u, 0x3e84b208u}, {0x3fa8eb8bu, 0x3f5de078u},
      {0xc0c36da0u, 0xbf7fff59u}, {0x3edf227cu, 0x3ed20130u}, {0xc0bee50fu, 0xbf7fff25u},
      {0x3f4170a8u, 0x3f237446u}, {0xc04b8b74u, 0xbf7f1de5u}, {0xbebaf3edu, 0xbeb31084u},
      {0x400cb3ccu, 0x3f79c57fu}, {0xc01910a5u, 0xbf7bc03au}, {0x401323c7u, 0x3f7ae529u},
      {0x4073f9c3u, 0x3f7fc003u}, {0x40690f4au, 0x3f7fa604u}, {0x4088f2f2u, 0x3f7fe6dfu},
      {0xc0a35099u, 0xbf7ffb2bu}, {0x3fc37cd6u, 0x3f68f2a2u}, {0x3f961374u, 0x3f533743u},
      {0x3f6c0000u, 0x3f3a0e78u}, {0x407b3322u, 0x3f7fccefu}, {0x410fd70eu, 0x3f800000u},
      {0xc1900000u, 0xbf800000u}, {0x38d49abcu, 0x38d49abbu}};
  const std::vector<Ref> sigmoid_ref = {
      {0xbe91b0adu, 0x3edbd23eu}, {0xc051944eu, 0x3d154cd0u}, {0xc09625aeu, 0x3c14d5a0u},
      {0xc0222a62u, 0x3d969190u}, {0x3feb2603u, 0x3f5cd3b0u}, {0xbfad046fu, 0x3e5286f6u},
      {0x4080f93eu, 0x3f7b87f7u}, {0x3e87cad2u, 0x3f10e00fu}, {0x3fa8eb8bu, 0x3f4a046au},
      {0xc0c36da0u, 0x3b119e80u}, {0x3edf227cu, 0x3f1b7567u}, {0xc0bee50fu, 0x3b27ba00u},
      {0x3f4170a8u, 0x3f2e2ee7u}, {0xc04b8b74u, 0x3d237928u}, {0xbebaf3edu, 0x3ed1c636u},
      {0x400cb3ccu, 0x3f666dc4u}, {0xc01910a5u, 0x3daba5d0u}, {0x401323c7u, 0x3f68a70eu},
      {0x4073f9c3u, 0x3f7a76e4u}, {0x40690f4au, 0x3f797614u}, {0x4088f2f2u, 0x3f7c80e4u},
      {0xc0a35099u, 0x3bc5dc00u}, {0x3fc37cd6u, 0x3f525496u}, {0x3f961374u, 0x3f437ab2u},
      {0x3f6c0000u, 0x3f372607u}, {0x407b3322u, 0x3f7b0b39u}, {0x410fd70eu, 0x3f7ff7d4u},
      {0xc1900000u, 0x00000000u}, {0x38d49abcu, 0x3f0001a9u}};
  const float inf = std::numeric_limits<float>::infinity();
  for (const Variant& v : variants()) {
    if (std::string(v.name) == "ref") continue;
    for (auto [op, refs] : {std::pair{ew::UOp::Erf, &erf_ref}, std::pair{ew::UOp::Tanh, &tanh_ref},
                            std::pair{ew::UOp::Sigmoid, &sigmoid_ref}})
      for (const Ref& r : *refs) {
        const float x = std::bit_cast<float>(r.x);
        float y = 0;
        v.table->unary[static_cast<int>(op)](&x, &y, 1, ew::UParams{});
        EXPECT_EQ(std::bit_cast<uint32_t>(y), r.y)
            << v.name << " op " << static_cast<int>(op) << " x=" << x << " got " << y << " want " << std::bit_cast<float>(r.y);
      }
    // Gelu: ORT's Gelu/BiasGelu kernels, (x * 0.5) * (erf(x * (1/sqrt2)) + 1), on
    // the erf just checked.
    for (const Ref& r : erf_ref) {
      const float x = std::bit_cast<float>(r.x);
      const float z = x * 0.70710677f;
      float e = 0, g = 0;
      v.table->unary[static_cast<int>(ew::UOp::Erf)](&z, &e, 1, ew::UParams{});
      v.table->unary[static_cast<int>(ew::UOp::GeluErf)](&x, &g, 1, ew::UParams{});
      EXPECT_EQ(std::bit_cast<uint32_t>(g), std::bit_cast<uint32_t>((x * 0.5f) * (e + 1.0f))) << v.name << " gelu x=" << x;
    }
    // ORT's clamps: tanh(+-inf) is the rational at +-9, sigmoid(-inf) its value at -18.
    float y = 0;
    v.table->unary[static_cast<int>(ew::UOp::Tanh)](&inf, &y, 1, ew::UParams{});
    EXPECT_NEAR(y, 1.0f, 2e-7f) << v.name;
    const float ninf = -inf;
    v.table->unary[static_cast<int>(ew::UOp::Sigmoid)](&ninf, &y, 1, ew::UParams{});
    EXPECT_TRUE(y >= 0.0f && y < 2e-8f) << v.name << " sigmoid(-inf) = " << y;
  }
}

TEST(ElementwiseMath, GeluAvx512IsTheFmaFormulaBitForBit) {
  // The AVX-512 GELU is written in intrinsics (fewer instructions than the
  // compiler's code for the shared formula); the AVX2 table computes that
  // formula with the same fused multiply-adds. Every 65537th bit pattern (all
  // exponents, both signs, NaNs, infinities, subnormals), at lengths that leave
  // every tail size. (All 2^32 patterns were compared once, without a mismatch.)
  if (!saywhen::rt::cpu().avx512) GTEST_SKIP() << "no AVX-512 on this machine";
  std::vector<uint32_t> x;
  for (uint64_t u = 0; u < (uint64_t{1} << 32); u += 65537) x.push_back(static_cast<uint32_t>(u));
  for (uint32_t u : {0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u, 0x7f800001u, 0x80000000u, 0x00000001u})
    x.push_back(u);
  std::vector<uint32_t> want(x.size()), got(x.size());
  const auto gelu = [&](const ew::F32Table& t, const uint32_t* in, uint32_t* out, int64_t n) {
    t.unary[static_cast<int>(ew::UOp::GeluErf)](reinterpret_cast<const float*>(in), reinterpret_cast<float*>(out), n,
                                                ew::UParams{});
  };
  for (int64_t len = 1; len <= 17; ++len)
    for (size_t i = 0; i + static_cast<size_t>(len) <= x.size(); i += static_cast<size_t>(len) * 97) {
      gelu(ew::f32_table_avx2(), x.data() + i, want.data() + i, len);
      gelu(ew::f32_table_avx512(), x.data() + i, got.data() + i, len);
      for (int64_t j = 0; j < len; ++j)
        ASSERT_EQ(got[i + static_cast<size_t>(j)], want[i + static_cast<size_t>(j)])
            << "x bits " << std::hex << x[i + static_cast<size_t>(j)] << " length " << std::dec << len;
    }
  gelu(ew::f32_table_avx2(), x.data(), want.data(), static_cast<int64_t>(x.size()));
  gelu(ew::f32_table_avx512(), x.data(), got.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(got[i], want[i]) << "x bits " << std::hex << x[i];
}

TEST(ElementwiseMath, RoundingOpsAreExact) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-1e7f, 1e7f);
  std::vector<float> xs;
  for (int i = 0; i < 100000; ++i) xs.push_back(d(rng) / static_cast<float>(1 << (i % 24)));
  for (float h = -10.5f; h <= 10.5f; h += 0.5f) xs.push_back(h);
  xs.push_back(-0.0f);
  std::vector<float> y(xs.size());
  for (const Variant& v : variants()) {
    v.table->unary[static_cast<int>(ew::UOp::Round)](xs.data(), y.data(), static_cast<int64_t>(xs.size()), {});
    for (size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(y[i], std::nearbyint(xs[i])) << v.name << " round " << xs[i];
    v.table->unary[static_cast<int>(ew::UOp::Floor)](xs.data(), y.data(), static_cast<int64_t>(xs.size()), {});
    for (size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(y[i], std::floor(xs[i])) << v.name << " floor " << xs[i];
    v.table->unary[static_cast<int>(ew::UOp::Ceil)](xs.data(), y.data(), static_cast<int64_t>(xs.size()), {});
    for (size_t i = 0; i < xs.size(); ++i) ASSERT_EQ(y[i], std::ceil(xs[i])) << v.name << " ceil " << xs[i];
  }
}

// ---------------------------------------------------------------------------
// Kernels through small models.

struct ModelBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit ModelBuilder(int opset = 17) {
    m.set_ir_version(8);
    auto* os = m.add_opset_import();
    os->set_domain("");
    os->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
  }
  void input(const std::string& name, int elem, const std::vector<int64_t>& dims) {
    auto* v = g->add_input();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  }
  void output(const std::string& name) { g->add_output()->set_name(name); }
  onnx::NodeProto* node(const std::string& op, const std::vector<std::string>& ins,
                        const std::vector<std::string>& outs) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(op + std::to_string(g->node_size()));
    for (const auto& i : ins) n->add_input(i);
    for (const auto& o : outs) n->add_output(o);
    return n;
  }
  std::shared_ptr<const saywhen::Model> load() const {
    std::string b = m.SerializeAsString();
    return saywhen::Model::load_from_memory(b.data(), b.size(), "test.onnx");
  }
};

void set_attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void set_attr(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

Tensor random_floats(const std::vector<int64_t>& shape, uint32_t seed, float lo = -3, float hi = 3) {
  Tensor t(DType::Float32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

template <class T>
Tensor make(DType dt, const std::vector<int64_t>& shape, const std::vector<T>& v) {
  Tensor t(dt, shape);
  std::copy(v.begin(), v.end(), t.data<T>());
  return t;
}

// Index of out element i in an input of shape s, numpy broadcasting.
int64_t bcast_index(const std::vector<int64_t>& out, const std::vector<int64_t>& s, int64_t i) {
  int64_t idx = 0, stride = 1;
  for (size_t k = 0; k < out.size(); ++k) {
    const size_t d = out.size() - 1 - k;
    const int64_t coord = i % out[d];
    i /= out[d];
    if (k < s.size()) {
      const int64_t sd = s[s.size() - 1 - k];
      if (sd != 1) idx += coord * stride;
      stride *= sd;
    }
  }
  return idx;
}

std::vector<int64_t> bshape(std::vector<int64_t> a, std::vector<int64_t> b) {
  if (a.size() < b.size()) std::swap(a, b);
  std::vector<int64_t> o = a;
  for (size_t k = 0; k < b.size(); ++k) {
    int64_t& d = o[a.size() - 1 - k];
    const int64_t bd = b[b.size() - 1 - k];
    if (d == 1) d = bd;
  }
  return o;
}

TEST(ElementwiseKernels, BinaryBroadcastLayoutsMatchNaive) {
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> shapes = {
      {{1, 400, 1536}, {1536}},      // bias add, threaded
      {{400, 384}, {400, 1}},        // row-wise scale
      {{1, 400, 384}, {1, 400, 384}},
      {{2, 1, 3}, {1, 4, 1}},        // outer product
      {{3, 1, 5, 1}, {1, 4, 1, 6}},
      {{}, {2, 3}},                  // scalar on the left
      {{7, 5}, {}},
      {{64, 1, 2000}, {64, 3, 1}},   // both broadcast, threaded
      {{5}, {1}},
      {{0, 3}, {3}},                 // empty
      {{2, 3, 4, 5, 6}, {3, 1, 5, 1}},
  };
  const std::vector<std::pair<std::string, std::function<float(float, float)>>> ops = {
      {"Add", [](float a, float b) { return a + b; }},
      {"Sub", [](float a, float b) { return a - b; }},
      {"Mul", [](float a, float b) { return a * b; }},
      {"Div", [](float a, float b) { return a / b; }},
      {"Max", [](float a, float b) { return std::max(a, b); }},
  };
  for (const auto& [sa, sb] : shapes)
    for (const auto& [op, fn] : ops) {
      ModelBuilder b;
      b.input("a", onnx::TensorProto::FLOAT, sa);
      b.input("b", onnx::TensorProto::FLOAT, sb);
      b.node(op, {"a", "b"}, {"y"});
      b.output("y");
      saywhen::SessionOptions so;
      so.threads = 3;
      saywhen::Session s(b.load(), so);
      Tensor ta = random_floats(sa, 1), tb = random_floats(sb, 2, 0.5f, 2.0f);
      s.set_input("a", ta);
      s.set_input("b", tb);
      s.run();
      const Tensor& y = s.output(0);
      const auto out = bshape(sa, sb);
      ASSERT_EQ(y.shape(), out) << op;
      for (int64_t i = 0; i < y.numel(); ++i) {
        const float want = fn(ta.data<float>()[bcast_index(out, sa, i)], tb.data<float>()[bcast_index(out, sb, i)]);
        ASSERT_EQ(y.data<float>()[i], want) << op << " " << saywhen::shape_str(sa) << " " << saywhen::shape_str(sb)
                                            << " element " << i;
      }
    }
}

TEST(ElementwiseKernels, WhereBroadcastsThreeWays) {
  ModelBuilder b;
  b.input("c", onnx::TensorProto::BOOL, {2, 1, 4});
  b.input("x", onnx::TensorProto::INT64, {3, 1});
  b.input("y", onnx::TensorProto::INT64, {});
  b.node("Where", {"c", "x", "y"}, {"o"});
  b.output("o");
  saywhen::Session s(b.load());
  std::vector<uint8_t> c = {1, 0, 1, 1, 0, 0, 1, 0};
  s.set_input("c", make<uint8_t>(DType::Bool, {2, 1, 4}, c));
  s.set_input("x", make<int64_t>(DType::Int64, {3, 1}, {10, 20, 30}));
  s.set_input("y", make<int64_t>(DType::Int64, {}, {-1}));
  s.run();
  const Tensor& o = s.output(0);
  ASSERT_EQ(o.shape(), (std::vector<int64_t>{2, 3, 4}));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(o.data<int64_t>()[(i * 3 + j) * 4 + k], c[static_cast<size_t>(i * 4 + k)] ? 10 * (j + 1) : -1);
}

TEST(ElementwiseKernels, VariadicOpsBroadcastEveryInput) {
  for (const char* op : {"Max", "Min", "Sum", "Mean"}) {
    ModelBuilder b;
    b.input("a", onnx::TensorProto::FLOAT, {3, 1});
    b.input("b", onnx::TensorProto::FLOAT, {1, 4});
    b.input("c", onnx::TensorProto::FLOAT, {4});
    b.node(op, {"a", "b", "c"}, {"y"});
    b.output("y");
    saywhen::Session s(b.load());
    Tensor ta = random_floats({3, 1}, 3), tb = random_floats({1, 4}, 4), tc = random_floats({4}, 5);
    s.set_input("a", ta);
    s.set_input("b", tb);
    s.set_input("c", tc);
    s.run();
    const Tensor& y = s.output(0);
    ASSERT_EQ(y.shape(), (std::vector<int64_t>{3, 4}));
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) {
        const float a = ta.data<float>()[i], bb = tb.data<float>()[j], c = tc.data<float>()[j];
        float want = 0;
        if (std::string(op) == "Max") want = std::max({a, bb, c});
        if (std::string(op) == "Min") want = std::min({a, bb, c});
        if (std::string(op) == "Sum") want = a + bb + c;
        if (std::string(op) == "Mean") want = (a + bb + c) / 3;
        EXPECT_NEAR(y.data<float>()[i * 4 + j], want, 1e-6f) << op;
      }
  }
}

Tensor run_cast(const Tensor& in, int to_type, int in_type) {
  ModelBuilder b;
  b.input("x", in_type, in.shape());
  set_attr(b.node("Cast", {"x"}, {"y"}), "to", int64_t{to_type});
  b.output("y");
  saywhen::Session s(b.load());
  s.set_input("x", in);
  s.run();
  return s.output(0).clone();
}

TEST(ElementwiseKernels, CastSaturatesTruncatesAndRoundsToEven) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  Tensor f = make<float>(DType::Float32, {8}, {300.0f, -300.0f, nan, 2.7f, -2.7f, inf, -0.5f, 1e20f});
  Tensor i8 = run_cast(f, onnx::TensorProto::INT8, onnx::TensorProto::FLOAT);
  EXPECT_EQ(std::vector<int8_t>(i8.data<int8_t>(), i8.data<int8_t>() + 8),
            (std::vector<int8_t>{127, -128, 0, 2, -2, 127, 0, 127}));
  Tensor u8 = run_cast(f, onnx::TensorProto::UINT8, onnx::TensorProto::FLOAT);
  EXPECT_EQ(std::vector<uint8_t>(u8.data<uint8_t>(), u8.data<uint8_t>() + 8),
            (std::vector<uint8_t>{255, 0, 0, 2, 0, 255, 0, 255}));
  Tensor i64 = run_cast(f, onnx::TensorProto::INT64, onnx::TensorProto::FLOAT);
  EXPECT_EQ(i64.data<int64_t>()[7], std::numeric_limits<int64_t>::max());
  Tensor bl = run_cast(f, onnx::TensorProto::BOOL, onnx::TensorProto::FLOAT);
  EXPECT_EQ(std::vector<uint8_t>(bl.data<uint8_t>(), bl.data<uint8_t>() + 8),
            (std::vector<uint8_t>{1, 1, 1, 1, 1, 1, 1, 1}));

  // float16: ties go to even, 65520 overflows, subnormals round, NaN stays NaN.
  const float ulp = 1.0f / 1024;
  Tensor h_in = make<float>(DType::Float32, {9},
                            {1 + ulp / 2, 1 + 1.5f * ulp, 65504, 65519, 65520, 5.9604645e-8f, 2.9802322e-8f,
                             8.940697e-8f, nan});
  Tensor h = run_cast(h_in, onnx::TensorProto::FLOAT16, onnx::TensorProto::FLOAT);
  ASSERT_EQ(h.dtype(), DType::Float16);
  EXPECT_EQ(std::vector<uint16_t>(h.data<uint16_t>(), h.data<uint16_t>() + 8),
            (std::vector<uint16_t>{0x3c00, 0x3c02, 0x7bff, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0002}));
  EXPECT_EQ(h.data<uint16_t>()[8] & 0x7c00, 0x7c00);
  EXPECT_NE(h.data<uint16_t>()[8] & 0x03ff, 0);
  Tensor back = run_cast(h, onnx::TensorProto::FLOAT, onnx::TensorProto::FLOAT16);
  EXPECT_EQ(back.data<float>()[1], 1 + 2 * ulp);
  EXPECT_EQ(back.data<float>()[4], inf);
  EXPECT_EQ(back.data<float>()[5], 5.9604645e-8f);

  // float64 -> float16 rounds once: 1 + 2^-11 + 2^-40 is just above the tie.
  Tensor d = make<double>(DType::Float64, {1}, {1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40)});
  Tensor dh = run_cast(d, onnx::TensorProto::FLOAT16, onnx::TensorProto::DOUBLE);
  EXPECT_EQ(dh.data<uint16_t>()[0], 0x3c01);

  Tensor bf = run_cast(make<float>(DType::Float32, {2}, {1.00390625f, 1.01171875f}), onnx::TensorProto::BFLOAT16,
                       onnx::TensorProto::FLOAT);
  EXPECT_EQ(bf.data<uint16_t>()[0], 0x3f80);  // tie to even (down)
  EXPECT_EQ(bf.data<uint16_t>()[1], 0x3f82);  // tie to even (up)
}

Tensor run_binary_i32(const std::string& op, const std::vector<int32_t>& a, const std::vector<int32_t>& b,
                      int64_t fmod = -1) {
  ModelBuilder m;
  const std::vector<int64_t> shape = {static_cast<int64_t>(a.size())};
  m.input("a", onnx::TensorProto::INT32, shape);
  m.input("b", onnx::TensorProto::INT32, shape);
  auto* n = m.node(op, {"a", "b"}, {"y"});
  if (fmod >= 0) set_attr(n, "fmod", fmod);
  m.output("y");
  saywhen::Session s(m.load());
  s.set_input("a", make<int32_t>(DType::Int32, shape, a));
  s.set_input("b", make<int32_t>(DType::Int32, shape, b));
  s.run();
  return s.output(0).clone();
}

TEST(ElementwiseKernels, IntegerDivisionAndModNeverTrap) {
  const int32_t mn = std::numeric_limits<int32_t>::min();
  Tensor q = run_binary_i32("Div", {7, -7, 5, mn, 9}, {2, 2, 0, -1, -4});
  EXPECT_EQ(std::vector<int32_t>(q.data<int32_t>(), q.data<int32_t>() + 5),
            (std::vector<int32_t>{3, -3, 0, mn, -2}));
  Tensor m = run_binary_i32("Mod", {-7, 7, -7, 7, 5, mn}, {3, -3, -3, 3, 0, -1}, 0);
  EXPECT_EQ(std::vector<int32_t>(m.data<int32_t>(), m.data<int32_t>() + 6),
            (std::vector<int32_t>{2, -2, -1, 1, 0, 0}));
  Tensor f = run_binary_i32("Mod", {-7, 7, -7}, {3, -3, -3}, 1);
  EXPECT_EQ(std::vector<int32_t>(f.data<int32_t>(), f.data<int32_t>() + 3), (std::vector<int32_t>{-1, 1, -1}));
  Tensor w = run_binary_i32("Add", {std::numeric_limits<int32_t>::max()}, {1});
  EXPECT_EQ(w.data<int32_t>()[0], mn);  // wraps like numpy
}

TEST(ElementwiseKernels, PowWithConstantExponents) {
  for (float e : {2.0f, 3.0f, 0.5f, -1.0f, -0.5f, 1.0f, 1.7f}) {
    ModelBuilder b;
    b.input("x", onnx::TensorProto::FLOAT, {1000});
    auto* init = b.g->add_initializer();
    init->set_name("e");
    init->set_data_type(onnx::TensorProto::FLOAT);
    init->add_float_data(e);
    b.node("Pow", {"x", "e"}, {"y"});
    b.output("y");
    saywhen::Session s(b.load());
    Tensor x = random_floats({1000}, 9, 0.01f, 5.0f);
    s.set_input("x", x);
    s.run();
    for (int i = 0; i < 1000; ++i) {
      const double want = std::pow(static_cast<double>(x.data<float>()[i]), static_cast<double>(e));
      ASSERT_NEAR(s.output(0).data<float>()[i], want, 2e-7 * std::fabs(want)) << "exponent " << e;
    }
  }
}

TEST(ElementwiseKernels, ClipReadsRunTimeBounds) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {5});
  b.input("lo", onnx::TensorProto::FLOAT, {});
  b.input("hi", onnx::TensorProto::FLOAT, {});
  b.node("Clip", {"x", "lo", "hi"}, {"y"});
  b.output("y");
  saywhen::Session s(b.load());
  s.set_input("x", make<float>(DType::Float32, {5}, {-5, -1, 0, 1, 5}));
  for (auto [lo, hi] : {std::pair{-2.0f, 2.0f}, std::pair{0.5f, 0.75f}, std::pair{3.0f, 1.0f}}) {
    s.set_input("lo", make<float>(DType::Float32, {}, {lo}));
    s.set_input("hi", make<float>(DType::Float32, {}, {hi}));
    s.run();
    for (int i = 0; i < 5; ++i) {
      const float x = std::vector<float>{-5, -1, 0, 1, 5}[static_cast<size_t>(i)];
      EXPECT_EQ(s.output(0).data<float>()[i], std::min(std::max(x, lo), hi));
    }
  }
}

TEST(ElementwiseKernels, ThreadedUnaryMatchesSingleThread) {
  for (const char* op : {"Erf", "Tanh", "Sigmoid", "Exp", "Gelu"}) {
    ModelBuilder b(20);
    b.input("x", onnx::TensorProto::FLOAT, {1, 400, 1536});
    auto* n = b.node(op, {"x"}, {"y"});
    if (std::string(op) == "Gelu") set_attr(n, "approximate", std::string("none"));
    b.output("y");
    auto model = b.load();
    Tensor x = random_floats({1, 400, 1536}, 11, -6, 6);
    saywhen::SessionOptions so;
    so.threads = 4;
    saywhen::Session s1(model), s4(model, so);
    s1.set_input("x", x);
    s4.set_input("x", x);
    s1.run();
    s4.run();
    ASSERT_EQ(0, std::memcmp(s1.output(0).raw(), s4.output(0).raw(), s1.output(0).nbytes())) << op;
  }
}

// LayerNormalization (a row of 16: MLAS's kernel; of 5: ORT's scalar Welford
// path), Softmax along the last and a middle axis, and Add(s1, Add(s2, C)) ->
// LayerNormalization, which ONNX Runtime fuses into SkipLayerNormalization
// (and so must saywhen: the unfused graph differs from it in 96 of the 128
// values): output bits hashed (FNV-1a) and compared with ORT 1.32's
// (ORT_ENABLE_ALL, 1 thread, x86-64 with AVX-512). Inputs from a formula the
// recording script (tests/runtime/ort_parity_hashes.py) shares, and one softmax
// row whose exponentials fall below 2^-126, where MLAS's AVX-512 kernel rounds
// p * 2^m once (vscalefps).
TEST(OrtParity, NormalisationsAndSoftmaxBitForBit) {
  if (!saywhen::rt::cpu().avx512) GTEST_SKIP() << "recorded on an AVX-512 CPU (its softmax sums 16 lanes)";
  auto vals = [](int64_t n, uint64_t seed, float scale) {
    std::vector<float> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t h = ((static_cast<uint64_t>(i) + seed) * 2654435761ull) % (uint64_t{1} << 32) % 20001;
      v[static_cast<size_t>(i)] = static_cast<float>(static_cast<int64_t>(h) - 10000) / 10000.0f * scale;
    }
    return v;
  };
  ModelBuilder b;
  auto constant = [&](const std::string& name, const std::vector<float>& v) {
    auto* a = b.node("Constant", {}, {name})->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    a->mutable_t()->add_dims(static_cast<int64_t>(v.size()));
    for (float x : v) a->mutable_t()->add_float_data(x);
  };
  constant("C", vals(32, 7, 0.5f));
  constant("G", vals(32, 11, 1.5f));
  constant("B", vals(32, 13, 0.3f));
  constant("G16", vals(16, 17, 1.2f));
  constant("B16", vals(16, 19, 0.2f));
  constant("G5", vals(5, 23, 1.1f));
  constant("B5", vals(5, 29, 0.4f));
  struct In { const char* name; std::vector<int64_t> shape; uint64_t seed; float scale; };
  const std::vector<In> ins = {{"s1", {1, 4, 32}, 1, 4.0f}, {"s2", {1, 4, 32}, 2, 3.0f}, {"x16", {2, 5, 16}, 3, 6.0f},
                               {"x5", {3, 5}, 4, 2.0f},      {"x40", {3, 40}, 5, 8.0f},    {"x20", {1, 20, 3}, 6, 5.0f}};
  for (const In& in : ins) b.input(in.name, onnx::TensorProto::FLOAT, in.shape);
  b.node("Add", {"s2", "C"}, {"t"});
  b.node("Add", {"s1", "t"}, {"u"});
  set_attr(b.node("LayerNormalization", {"u", "G", "B"}, {"y_skip"}), "axis", int64_t{-1});
  b.node("LayerNormalization", {"x16", "G16", "B16"}, {"y_ln16"});
  b.node("LayerNormalization", {"x5", "G5", "B5"}, {"y_ln5"});
  set_attr(b.node("Softmax", {"x40"}, {"y_sm"}), "axis", int64_t{-1});
  set_attr(b.node("Softmax", {"x20"}, {"y_smc"}), "axis", int64_t{1});
  const std::vector<uint32_t> subnormal_bits = {0x00000000, 0xc2b1729d, 0xc2b187b1, 0xc2b19ce2, 0xc2b1b2bd, 0xc2b1c8d0,
                                                0xc2b1e007, 0xc2b1f665, 0xc2b20bd6, 0xc2b2230b, 0xc2b2ffec, 0xc2b32cf0,
                                                0xc2b357df, 0xc2b3813c, 0xc2b4822a, 0xc2b4dca3, 0xc2b63023};
  const int64_t n_sub = static_cast<int64_t>(subnormal_bits.size());
  b.input("xsub", onnx::TensorProto::FLOAT, {1, n_sub});
  b.node("Softmax", {"xsub"}, {"y_smsub"});
  const std::vector<std::pair<const char*, uint64_t>> want = {{"y_skip", 0x72de4782f63eb397ull},
                                                              {"y_ln16", 0x1fc12e294269f165ull},
                                                              {"y_ln5", 0xf70d648724a02a90ull},
                                                              {"y_sm", 0xaf7a59389e3374f3ull},
                                                              {"y_smc", 0x5901a5d0de8e6b61ull},
                                                              {"y_smsub", 0x8dced405e496f7a7ull}};
  for (const auto& w : want) b.output(w.first);
  saywhen::Session s(b.load());
  for (const In& in : ins) {
    const auto v = vals(std::accumulate(in.shape.begin(), in.shape.end(), int64_t{1}, std::multiplies<>()), in.seed,
                        in.scale);
    s.set_input(in.name, make<float>(DType::Float32, in.shape, v));
  }
  std::vector<float> xsub;
  for (uint32_t u : subnormal_bits) xsub.push_back(std::bit_cast<float>(u));
  s.set_input("xsub", make<float>(DType::Float32, {1, n_sub}, xsub));
  s.run();
  for (size_t o = 0; o < want.size(); ++o) {
    const Tensor& y = s.output(std::string(want[o].first));
    uint64_t h = 0xcbf29ce484222325ull;
    for (int64_t i = 0; i < y.numel(); ++i) {
      const uint32_t w = std::bit_cast<uint32_t>(y.data<float>()[i]);
      for (int k = 0; k < 4; ++k) h = (h ^ ((w >> (8 * k)) & 255u)) * 0x100000001b3ull;
    }
    EXPECT_EQ(h, want[o].second) << want[o].first;
  }
}

TEST(ElementwiseKernels, RejectsStringCastAndMismatchedTypes) {
  ModelBuilder b;
  b.input("a", onnx::TensorProto::FLOAT, {2});
  b.input("b", onnx::TensorProto::INT64, {2});
  b.node("Add", {"a", "b"}, {"y"});
  b.output("y");
  try {
    b.load()->prepare({{"a", {2}}, {"b", {2}}});
    FAIL() << "mixed-type Add accepted";
  } catch (const saywhen::Error& e) {
    EXPECT_NE(std::string(e.what()).find("input types differ"), std::string::npos) << e.what();
  }
  ModelBuilder c;
  c.input("a", onnx::TensorProto::FLOAT, {2});
  set_attr(c.node("Cast", {"a"}, {"y"}), "to", int64_t{onnx::TensorProto::STRING});
  c.output("y");
  try {
    c.load()->prepare({{"a", {2}}});
    FAIL() << "cast to string accepted";
  } catch (const saywhen::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported"), std::string::npos) << e.what();
  }
}

TEST(ElementwiseKernels, WarmRunsAllocateNothing) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {1, 400, 384});
  b.input("bias", onnx::TensorProto::FLOAT, {384});
  b.input("c", onnx::TensorProto::BOOL, {1, 1, 384});
  b.node("Add", {"x", "bias"}, {"a"});
  b.node("Erf", {"a"}, {"e"});
  b.node("Where", {"c", "e", "x"}, {"w"});
  b.node("Max", {"w", "x", "bias"}, {"m"});
  b.node("Cast", {"m"}, {"h"})->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("to");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(onnx::TensorProto::FLOAT16);
    return a;
  }());
  b.output("h");
  saywhen::SessionOptions so;
  so.threads = 2;
  saywhen::Session s(b.load(), so);
  s.set_input("x", random_floats({1, 400, 384}, 1));
  s.set_input("bias", random_floats({384}, 2));
  s.set_input("c", Tensor(DType::Bool, {1, 1, 384}));
  s.run();
  const long before = g_allocations.load();
  for (int i = 0; i < 5; ++i) s.run();
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
