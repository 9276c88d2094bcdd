// MatMul, Gemm, Conv and ConvTranspose through the whole runtime, against naive
// double-precision references. Each case runs with its weights as initializers
// (the pre-packed path real models take) and as graph inputs, on 1 and 2 threads;
// the ONNX node tests only cover the second.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "saywhen/runtime.h"

namespace {

using saywhen::DType;
using saywhen::Shape;
using saywhen::Tensor;

Tensor random_tensor(const Shape& shape, unsigned seed) {
  Tensor t(DType::Float32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

struct Input {
  std::string name;
  Tensor value;
  bool weight = false;  // becomes an initializer in the "constant" variant
};

using AttrFn = std::function<void(onnx::NodeProto&)>;

void add_ints(onnx::NodeProto& n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void add_int(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void add_float(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}
void add_string(onnx::NodeProto& n, const std::string& name, const std::string& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}

std::string model_bytes(const std::string& op, const std::vector<Input>& ins, bool weights_constant,
                        const AttrFn& attrs) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("t");
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name("op");
  for (const auto& in : ins) {
    n->add_input(in.name);
    if (in.name.empty()) continue;
    if (in.weight && weights_constant) {
      auto* t = g->add_initializer();
      t->set_name(in.name);
      t->set_data_type(onnx::TensorProto::FLOAT);
      for (int64_t d : in.value.shape()) t->add_dims(d);
      for (int64_t i = 0; i < in.value.numel(); ++i) t->add_float_data(in.value.data<float>()[i]);
      continue;
    }
    auto* v = g->add_input();
    v->set_name(in.name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : in.value.shape()) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  n->add_output("y");
  if (attrs) attrs(*n);
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

// Runs every variant (constant/input weights x 1/2 threads) and compares.
void expect_op(const std::string& op, const std::vector<Input>& ins, const AttrFn& attrs, const Tensor& want) {
  for (bool constant : {true, false}) {
    const std::string bytes = model_bytes(op, ins, constant, attrs);
    auto model = saywhen::Model::load_from_memory(bytes.data(), bytes.size(), op + ".onnx");
    for (int threads : {1, 2}) {
      SCOPED_TRACE(op + (constant ? " constant weights" : " input weights") + " threads=" + std::to_string(threads));
      saywhen::SessionOptions so;
      so.threads = threads;
      saywhen::Session s(model, so);
      for (const auto& in : ins)
        if (!in.name.empty() && !(in.weight && constant)) s.set_input(in.name, in.value);
      s.run();
      s.run();  // a second run must give the same answer (no state left behind)
      const Tensor& got = s.output(0);
      ASSERT_EQ(got.shape(), want.shape());
      for (int64_t i = 0; i < want.numel(); ++i)
        ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], 1e-4 + 1e-4 * std::fabs(want.data<float>()[i]))
            << "element " << i;
    }
  }
}

std::string error_of(const std::string& op, const std::vector<Input>& ins, const AttrFn& attrs) {
  try {
    const std::string bytes = model_bytes(op, ins, true, attrs);
    auto model = saywhen::Model::load_from_memory(bytes.data(), bytes.size(), op + ".onnx");
    saywhen::Session s(model);
    for (const auto& in : ins)
      if (!in.name.empty() && !in.weight) s.set_input(in.name, in.value);
    s.run();
  } catch (const saywhen::Error& e) {
    return e.what();
  }
  return "";
}

// ---- references -------------------------------------------------------------

Tensor ref_matmul(const Tensor& a, const Tensor& b) {
  Shape sa = a.shape(), sb = b.shape();
  const bool av = sa.size() == 1, bv = sb.size() == 1;
  if (av) sa.insert(sa.begin(), 1);
  if (bv) sb.push_back(1);
  const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const size_t r = std::max(ba.size(), bb.size());
  ba.insert(ba.begin(), r - ba.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  Shape batch(r);
  for (size_t d = 0; d < r; ++d) batch[d] = ba[d] == 1 ? bb[d] : ba[d];
  Shape out = batch;
  if (!av) out.push_back(M);
  if (!bv) out.push_back(N);
  Tensor y(DType::Float32, out);
  int64_t count = 1;
  for (int64_t d : batch) count *= d;
  for (int64_t t = 0; t < count; ++t) {
    int64_t rem = t, oa = 0, ob = 0, sa_ = 1, sb_ = 1;
    for (size_t d = r; d-- > 0;) {
      const int64_t i = rem % batch[d];
      rem /= batch[d];
      oa += (ba[d] == 1 ? 0 : i) * sa_;
      ob += (bb[d] == 1 ? 0 : i) * sb_;
      sa_ *= ba[d];
      sb_ *= bb[d];
    }
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += static_cast<double>(a.data<float>()[oa * M * K + i * K + k]) * b.data<float>()[ob * K * N + k * N + j];
        y.data<float>()[(t * M + i) * N + j] = static_cast<float>(s);
      }
  }
  return y;
}

struct ConvAttrs {
  std::vector<int64_t> strides, dilations, pads;
  int64_t group = 1;
};

// Y[n, m, o] = B[m] + sum over (c in group, k) X[n, c, o*s + k*d - pb] * W[m, c, k].
Tensor ref_conv(const Tensor& x, const Tensor& w, const Tensor* b, const ConvAttrs& at) {
  const size_t nd = x.shape().size() - 2;
  const int64_t N = x.dim(0), C = x.dim(1), M = w.dim(0), cg = C / at.group, mg = M / at.group;
  Shape out = {N, M};
  std::vector<int64_t> in(nd), k(nd), o(nd);
  int64_t in_size = 1, k_size = 1, o_size = 1;
  for (size_t d = 0; d < nd; ++d) {
    in[d] = x.dim(static_cast<int>(d) + 2);
    k[d] = w.dim(static_cast<int>(d) + 2);
    o[d] = (in[d] + at.pads[d] + at.pads[d + nd] - ((k[d] - 1) * at.dilations[d] + 1)) / at.strides[d] + 1;
    out.push_back(o[d]);
    in_size *= in[d];
    k_size *= k[d];
    o_size *= o[d];
  }
  Tensor y(DType::Float32, out);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t gi = m / mg;
      for (int64_t op = 0; op < o_size; ++op) {
        double s = b ? b->data<float>()[m] : 0.0;
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t kp = 0; kp < k_size; ++kp) {
            int64_t orem = op, krem = kp, off = 0, mul = 1;
            bool inside = true;
            for (size_t d = nd; d-- > 0;) {
              const int64_t oi = orem % o[d], ki = krem % k[d];
              orem /= o[d];
              krem /= k[d];
              const int64_t q = oi * at.strides[d] + ki * at.dilations[d] - at.pads[d];
              if (q < 0 || q >= in[d]) inside = false;
              off += q * mul;
              mul *= in[d];
            }
            if (!inside) continue;
            s += static_cast<double>(x.data<float>()[(n * C + gi * cg + c) * in_size + off]) *
                 w.data<float>()[(m * cg + c) * k_size + kp];
          }
        y.data<float>()[(n * M + m) * o_size + op] = static_cast<float>(s);
      }
    }
  return y;
}

AttrFn conv_attr_fn(const ConvAttrs& at) {
  return [at](onnx::NodeProto& n) {
    add_ints(n, "strides", at.strides);
    add_ints(n, "dilations", at.dilations);
    add_ints(n, "pads", at.pads);
    add_int(n, "group", at.group);
  };
}

// ---- MatMul -------------------------------------------------------------------

TEST(MatMul, BatchedTimesWeights) {
  // Smart Turn's projections in miniature: [batch, tokens, d] x [d, out], plus odd sizes.
  for (auto [M, K, N] : {std::tuple<int64_t, int64_t, int64_t>{40, 38, 115}, {13, 1, 7}, {1, 64, 33}, {25, 400, 3}}) {
    Tensor a = random_tensor({2, 3, M, K}, 1), b = random_tensor({K, N}, 2);
    expect_op("MatMul", {{"a", a}, {"b", b, true}}, nullptr, ref_matmul(a, b));
  }
}

TEST(MatMul, Broadcasting) {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 1, 5, 6}, {4, 6, 7}}, {{5, 6}, {2, 6, 9}}, {{2, 1, 4, 6}, {1, 3, 6, 5}},
      {{6}, {6, 7}},             {{2, 5, 6}, {6}},    {{6}, {6}},
      {{6}, {3, 6, 2}},          {{1, 1, 8}, {8, 1}},
  };
  unsigned seed = 10;
  for (const auto& [sa, sb] : shapes) {
    Tensor a = random_tensor(sa, seed++), b = random_tensor(sb, seed++);
    expect_op("MatMul", {{"a", a}, {"b", b, true}}, nullptr, ref_matmul(a, b));
  }
}

TEST(MatMul, AttentionShapes) {
  Tensor q = random_tensor({1, 6, 50, 64}, 3), kt = random_tensor({1, 6, 64, 50}, 4);
  expect_op("MatMul", {{"q", q}, {"k", kt}}, nullptr, ref_matmul(q, kt));
}

TEST(MatMul, EmptyDimensions) {
  Tensor a = random_tensor({0, 5}, 5), b = random_tensor({5, 3}, 6);
  expect_op("MatMul", {{"a", a}, {"b", b, true}}, nullptr, ref_matmul(a, b));
  Tensor a2 = random_tensor({4, 0}, 7), b2 = random_tensor({0, 3}, 8);  // K = 0: zeros
  expect_op("MatMul", {{"a", a2}, {"b", b2}}, nullptr, ref_matmul(a2, b2));
  Tensor a3 = random_tensor({2, 0, 4, 5}, 9), b3 = random_tensor({5, 3}, 10);
  expect_op("MatMul", {{"a", a3}, {"b", b3, true}}, nullptr, ref_matmul(a3, b3));
}

TEST(MatMul, RejectsMismatchedInnerDimension) {
  std::string e = error_of("MatMul", {{"a", random_tensor({4, 5}, 1)}, {"b", random_tensor({6, 3}, 2), true}}, nullptr);
  EXPECT_NE(e.find("inner dimensions differ"), std::string::npos) << e;
  e = error_of("MatMul", {{"a", random_tensor({2, 4, 5}, 1)}, {"b", random_tensor({3, 5, 3}, 2), true}}, nullptr);
  EXPECT_NE(e.find("broadcast"), std::string::npos) << e;
}

// ---- Gemm ---------------------------------------------------------------------

Tensor ref_gemm(const Tensor& a, const Tensor& b, const Tensor* c, bool ta, bool tb, float alpha, float beta) {
  const int64_t M = ta ? a.dim(1) : a.dim(0), K = ta ? a.dim(0) : a.dim(1), N = tb ? b.dim(0) : b.dim(1);
  Tensor y(DType::Float32, {M, N});
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<double>(ta ? a.data<float>()[k * M + i] : a.data<float>()[i * K + k]) *
             (tb ? b.data<float>()[j * K + k] : b.data<float>()[k * N + j]);
      double v = alpha * s;
      if (c) {
        const Shape& cs = c->shape();
        const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
        v += beta * c->data<float>()[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      }
      y.data<float>()[i * N + j] = static_cast<float>(v);
    }
  return y;
}

TEST(Gemm, AllLayouts) {
  const int64_t M = 23, K = 45, N = 37;
  const std::vector<Shape> c_shapes = {{}, {N}, {1, N}, {M, 1}, {M, N}, {1}, {1, 1}};
  unsigned seed = 20;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (size_t ci = 0; ci <= c_shapes.size(); ++ci) {
        const bool has_c = ci < c_shapes.size();
        Tensor a = random_tensor(ta ? Shape{K, M} : Shape{M, K}, seed++);
        Tensor b = random_tensor(tb ? Shape{N, K} : Shape{K, N}, seed++);
        Tensor c = has_c ? random_tensor(c_shapes[ci], seed++) : Tensor();
        const float alpha = 0.75f, beta = has_c ? -1.5f : 1.0f;
        std::vector<Input> ins = {{"a", a, ta}, {"b", b, true}};
        if (has_c) ins.push_back({"c", c, ci % 2 == 0});
        SCOPED_TRACE("transA=" + std::to_string(ta) + " transB=" + std::to_string(tb) + " C case " + std::to_string(ci));
        expect_op("Gemm", ins,
                  [=](onnx::NodeProto& n) {
                    add_int(n, "transA", ta);
                    add_int(n, "transB", tb);
                    add_float(n, "alpha", alpha);
                    add_float(n, "beta", beta);
                  },
                  ref_gemm(a, b, has_c ? &c : nullptr, ta, tb, alpha, beta));
        if (HasFatalFailure()) return;
      }
}

TEST(Gemm, VectorTimesWeights) {
  // Silero-sized: one row, weights and bias constant.
  Tensor a = random_tensor({1, 128}, 1), b = random_tensor({64, 128}, 2), c = random_tensor({64}, 3);
  expect_op("Gemm", {{"a", a}, {"b", b, true}, {"c", c, true}}, [](onnx::NodeProto& n) { add_int(n, "transB", 1); },
            ref_gemm(a, b, &c, false, true, 1.0f, 1.0f));
}

TEST(Gemm, RejectsBadShapes) {
  std::string e = error_of("Gemm", {{"a", random_tensor({4, 5}, 1)}, {"b", random_tensor({6, 3}, 2), true}}, nullptr);
  EXPECT_NE(e.find("inner dimensions differ"), std::string::npos) << e;
  e = error_of("Gemm",
               {{"a", random_tensor({4, 5}, 1)}, {"b", random_tensor({5, 3}, 2), true}, {"c", random_tensor({2, 3}, 3), true}},
               nullptr);
  EXPECT_NE(e.find("does not broadcast"), std::string::npos) << e;
}

// ---- Conv -----------------------------------------------------------------------

TEST(Conv, Conv1dLikeWhisperStem) {
  // 80 -> 48 channels, k3 pad 1, then stride 2 (Smart Turn's stem, narrower).
  Tensor x = random_tensor({1, 80, 70}, 1), w = random_tensor({48, 80, 3}, 2), b = random_tensor({48}, 3);
  for (int64_t stride : {1, 2}) {
    ConvAttrs at{{stride}, {1}, {1, 1}, 1};
    expect_op("Conv", {{"x", x}, {"w", w, true}, {"b", b, true}}, conv_attr_fn(at), ref_conv(x, w, &b, at));
  }
}

TEST(Conv, Conv1dVariants) {
  Tensor x = random_tensor({2, 12, 41}, 4);
  const std::vector<std::pair<ConvAttrs, Shape>> cases = {
      {{{1}, {1}, {0, 0}, 1}, {16, 12, 1}},   // pointwise
      {{{3}, {2}, {4, 1}, 1}, {16, 12, 5}},   // stride, dilation, asymmetric pads
      {{{1}, {1}, {1, 1}, 4}, {8, 3, 3}},     // grouped
      {{{2}, {1}, {1, 1}, 12}, {12, 1, 3}},   // depthwise
      {{{1}, {1}, {0, 0}, 1}, {7, 12, 41}},   // kernel covers the whole input
  };
  unsigned seed = 30;
  for (const auto& [at, ws] : cases) {
    Tensor w = random_tensor(ws, seed++), b = random_tensor({ws[0]}, seed++);
    expect_op("Conv", {{"x", x}, {"w", w, true}, {"b", b, true}}, conv_attr_fn(at), ref_conv(x, w, &b, at));
    expect_op("Conv", {{"x", x}, {"w", w, true}}, conv_attr_fn(at), ref_conv(x, w, nullptr, at));
    if (HasFatalFailure()) return;
  }
}

TEST(Conv, FewOutputPositionsLikeSilero) {
  // Silero's encoder: 129 -> 128 -> 64 channels over a handful of frames; also
  // batch 2, groups and 2-D, all with fewer than 16 output positions.
  unsigned seed = 40;
  const std::vector<std::tuple<Shape, Shape, ConvAttrs>> cases = {
      {{1, 129, 4}, {128, 129, 3}, {{1}, {1}, {1, 1}, 1}},
      {{1, 128, 4}, {64, 128, 3}, {{2}, {1}, {1, 1}, 1}},
      {{1, 1, 640}, {258, 1, 256}, {{128}, {1}, {0, 0}, 1}},  // the STFT as a convolution
      {{1, 2, 20}, {24, 2, 5}, {{4}, {2}, {3, 1}, 1}},        // long dilated kernel, padded
      {{2, 16, 5}, {40, 8, 3}, {{1}, {2}, {2, 0}, 2}},
      {{2, 6, 4, 3}, {20, 6, 2, 2}, {{1, 1}, {1, 1}, {0, 1, 1, 0}, 1}},
      {{1, 128, 1}, {1, 128, 1}, {{1}, {1}, {0, 0}, 1}},  // Silero's decoder: one output channel
  };
  for (const auto& [xs, ws, at] : cases) {
    Tensor x = random_tensor(xs, seed++), w = random_tensor(ws, seed++), b = random_tensor({ws[0]}, seed++);
    expect_op("Conv", {{"x", x}, {"w", w, true}, {"b", b, true}}, conv_attr_fn(at), ref_conv(x, w, &b, at));
    expect_op("Conv", {{"x", x}, {"w", w, true}}, conv_attr_fn(at), ref_conv(x, w, nullptr, at));
    if (HasFatalFailure()) return;
  }
}

TEST(Conv, Conv2dAnd3d) {
  Tensor x2 = random_tensor({2, 6, 11, 9}, 5);
  ConvAttrs a2{{2, 1}, {1, 2}, {1, 0, 2, 1}, 2};
  Tensor w2 = random_tensor({4, 3, 3, 2}, 6), b2 = random_tensor({4}, 7);
  expect_op("Conv", {{"x", x2}, {"w", w2, true}, {"b", b2, true}}, conv_attr_fn(a2), ref_conv(x2, w2, &b2, a2));
  Tensor x3 = random_tensor({1, 3, 5, 6, 4}, 8);
  ConvAttrs a3{{1, 2, 1}, {1, 1, 1}, {1, 1, 0, 1, 0, 1}, 1};
  Tensor w3 = random_tensor({5, 3, 3, 2, 2}, 9);
  expect_op("Conv", {{"x", x3}, {"w", w3, true}}, conv_attr_fn(a3), ref_conv(x3, w3, nullptr, a3));
}

TEST(Conv, LargeOutputIsChunked) {
  // im2col of 3*3*64 rows x 80*80 columns exceeds the 4 MB buffer cap.
  Tensor x = random_tensor({1, 64, 80, 80}, 11), w = random_tensor({8, 64, 3, 3}, 12);
  ConvAttrs at{{1, 1}, {1, 1}, {1, 1, 1, 1}, 1};
  expect_op("Conv", {{"x", x}, {"w", w, true}}, conv_attr_fn(at), ref_conv(x, w, nullptr, at));
}

TEST(Conv, AutoPad) {
  Tensor x = random_tensor({1, 2, 10}, 13), w = random_tensor({3, 2, 4}, 14);
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    const std::string m = mode;
    ConvAttrs at{{3}, {1}, {0, 0}, 1};
    // in 10, stride 3: SAME gives 4 outputs, total pad 3*3+4-10 = 3.
    if (m == "SAME_UPPER") at.pads = {1, 2};
    if (m == "SAME_LOWER") at.pads = {2, 1};
    expect_op("Conv", {{"x", x}, {"w", w, true}},
              [m](onnx::NodeProto& n) {
                add_ints(n, "strides", {3});
                add_string(n, "auto_pad", m);
              },
              ref_conv(x, w, nullptr, at));
  }
}

TEST(Conv, EmptyBatch) {
  Tensor x = random_tensor({0, 4, 9}, 15), w = random_tensor({2, 4, 3}, 16);
  ConvAttrs at{{1}, {1}, {0, 0}, 1};
  expect_op("Conv", {{"x", x}, {"w", w, true}}, conv_attr_fn(at), ref_conv(x, w, nullptr, at));
}

TEST(Conv, RejectsWrongChannelCount) {
  std::string e = error_of("Conv", {{"x", random_tensor({1, 5, 9}, 1)}, {"w", random_tensor({2, 4, 3}, 2), true}}, nullptr);
  EXPECT_NE(e.find("input channels"), std::string::npos) << e;
  e = error_of("Conv", {{"x", random_tensor({1, 4, 2}, 1)}, {"w", random_tensor({2, 4, 3}, 2), true}}, nullptr);
  EXPECT_NE(e.find("exceeds padded input"), std::string::npos) << e;
}

// ---- ConvTranspose ----------------------------------------------------------------

TEST(ConvTranspose, ConstantWeightsGroupsAndStrides) {
  // Reference: scatter each input element through the kernel.
  Tensor x = random_tensor({2, 4, 5, 3}, 1), w = random_tensor({4, 3, 3, 2}, 2), b = random_tensor({6}, 3);
  const int64_t group = 2, sh = 2, sw = 1, ph = 1, pw = 0;
  const int64_t oh = sh * (5 - 1) + 3 - 2 * ph, ow = sw * (3 - 1) + 2 - 2 * pw;
  Tensor y(DType::Float32, {2, 6, oh, ow});
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t m = 0; m < 6; ++m)
      for (int64_t i = 0; i < oh * ow; ++i) y.data<float>()[(n * 6 + m) * oh * ow + i] = b.data<float>()[m];
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t ih = 0; ih < 5; ++ih)
        for (int64_t iw = 0; iw < 3; ++iw)
          for (int64_t m = 0; m < 3; ++m)
            for (int64_t kh = 0; kh < 3; ++kh)
              for (int64_t kw = 0; kw < 2; ++kw) {
                const int64_t yh = ih * sh + kh - ph, yw = iw * sw + kw - pw;
                if (yh < 0 || yh >= oh || yw < 0 || yw >= ow) continue;
                const int64_t om = (c / 2) * 3 + m;
                y.data<float>()[((n * 6 + om) * oh + yh) * ow + yw] +=
                    x.data<float>()[((n * 4 + c) * 5 + ih) * 3 + iw] * w.data<float>()[((c * 3 + m) * 3 + kh) * 2 + kw];
              }
  expect_op("ConvTranspose", {{"x", x}, {"w", w, true}, {"b", b, true}},
            [=](onnx::NodeProto& nd) {
              add_int(nd, "group", group);
              add_ints(nd, "strides", {sh, sw});
              add_ints(nd, "pads", {ph, pw, ph, pw});
            },
            y);
}

}  // namespace
