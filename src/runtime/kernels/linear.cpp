// MatMul and Gemm. float32 goes through sgemm (constant B packed once at plan
// time); other element types use a plain loop, since no target model needs them
// to be fast.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../kernel.h"
#include "sgemm.h"

namespace saywhen::rt {

namespace {

// C[M,N] (+)= A[M,K] * B[K,N] for one product of a batch, any element type.
template <class T>
void gemm_loop(const T* a, int64_t lda, bool trans_a, const T* b, int64_t ldb, bool trans_b, T* c,
               int64_t M, int64_t N, int64_t K, T alpha) {
  for (int64_t i = 0; i < M; ++i) {
    T* cr = c + i * N;
    for (int64_t k = 0; k < K; ++k) {
      const T av = alpha * (trans_a ? a[k * lda + i] : a[i * lda + k]);
      if (trans_b) {
        for (int64_t j = 0; j < N; ++j) cr[j] += av * b[j * ldb + k];
      } else {
        const T* br = b + k * ldb;
        for (int64_t j = 0; j < N; ++j) cr[j] += av * br[j];
      }
    }
  }
}

// ---- MatMul ---------------------------------------------------------------

struct MatMulPlan {
  int64_t M = 0, N = 0, K = 0;
  // One entry per product; b counts B matrices (not elements) so it can index
  // either the input or the packed copies.
  std::vector<SgemmBatchOffsets> batches;
};

MatMulPlan plan_matmul(BuildContext& ctx, DType dt) {
  Shape sa = ctx.input_shape(0), sb = ctx.input_shape(1);
  if (sa.empty() || sb.empty()) ctx.fail("inputs must have rank >= 1 (got scalars)");
  const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
  if (a_vec) sa.insert(sa.begin(), 1);
  if (b_vec) sb.push_back(1);
  MatMulPlan p;
  p.M = sa[sa.size() - 2];
  p.K = sa[sa.size() - 1];
  p.N = sb[sb.size() - 1];
  if (sb[sb.size() - 2] != p.K)
    ctx.fail("inner dimensions differ: " + shape_str(ctx.input_shape(0)) + " x " + shape_str(ctx.input_shape(1)));
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes(ctx, ba, bb);
  Shape out = batch;
  if (!a_vec) out.push_back(p.M);
  if (!b_vec) out.push_back(p.N);
  ctx.set_output(0, dt, out);

  const size_t r = batch.size();
  ba.insert(ba.begin(), r - ba.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  const int64_t count = shape_numel(batch);
  if (count == 0) return p;
  if (shape_numel(bb) == 1 && ba == batch) {
    // One B for every A: the batch is just more rows.
    p.M *= count;
    p.batches.push_back({0, 0, 0});
    return p;
  }
  // Strides in matrices; 0 along broadcast dimensions.
  std::vector<int64_t> st_a(r), st_b(r);
  int64_t na = 1, nb = 1;
  for (size_t d = r; d-- > 0;) {
    st_a[d] = ba[d] == 1 ? 0 : na;
    st_b[d] = bb[d] == 1 ? 0 : nb;
    na *= ba[d];
    nb *= bb[d];
  }
  std::vector<int64_t> idx(r, 0);
  for (int64_t t = 0; t < count; ++t) {
    SgemmBatchOffsets o;
    for (size_t d = 0; d < r; ++d) {
      o.a += idx[d] * st_a[d];
      o.b += idx[d] * st_b[d];
    }
    o.a *= p.M * p.K;
    o.c = t * p.M * p.N;
    p.batches.push_back(o);
    for (size_t d = r; d-- > 0;) {
      if (++idx[d] < batch[d]) break;
      idx[d] = 0;
    }
  }
  return p;
}

template <class T>
std::unique_ptr<Kernel> matmul_loop_kernel(MatMulPlan p) {
  return make_kernel([p = std::move(p)](const RunContext& ctx) {
    const T* a = ctx.in(0).data<T>();
    const T* b = ctx.in(1).data<T>();
    T* c = ctx.out(0).data<T>();
    std::fill(c, c + ctx.out(0).numel(), T{0});
    for (const auto& o : p.batches)
      gemm_loop<T>(a + o.a, p.K, false, b + o.b * p.K * p.N, p.N, false, c + o.c, p.M, p.N, p.K, T{1});
  });
}

// float32 MatMul through sgemm; `alpha` and `bias` (N floats, or empty) are
// saywhen.FusedMatMul's epilogue: alpha * A B + bias.
std::unique_ptr<Kernel> sgemm_matmul_kernel(BuildContext& ctx, MatMulPlan p, float alpha, AlignedFloats bias) {
  const int64_t K = p.K, N = p.N;
  AlignedFloats packed;
  int64_t b_step = K * N;  // floats between consecutive B matrices
  if (const Tensor* bv = ctx.input_value(1)) {
    // Weights: pack every distinct B once, now.
    int64_t nb = 0;
    for (const auto& o : p.batches) nb = std::max(nb, o.b + 1);
    b_step = sgemm_packed_b_floats(K, N);
    packed = AlignedFloats(nb * b_step);
    for (int64_t i = 0; i < nb; ++i)
      sgemm_pack_b(bv->data<float>() + i * K * N, N, false, K, N, packed.data() + i * b_step);
  }
  for (auto& o : p.batches) o.b *= b_step;
  return make_kernel([p = std::move(p), packed = std::move(packed), alpha, bias = std::move(bias)](const RunContext& ctx) {
    if (p.batches.empty() || p.M == 0 || p.N == 0) return;
    SgemmArgs g;
    g.M = p.M;
    g.N = p.N;
    g.K = p.K;
    g.a = ctx.in(0).data<float>();
    g.lda = p.K;
    g.b = packed.size() ? packed.data() : ctx.in(1).data<float>();
    g.ldb = p.N;
    g.b_packed = packed.size() != 0;
    g.c = ctx.out(0).data<float>();
    g.ldc = p.N;
    g.alpha = alpha;
    g.bias_n = bias.size() ? bias.data() : nullptr;
    g.bias_after_sum = true;  // FusedMatMul's bias is the Add after the MatMul
    if (packed.size()) g.kc = kSgemmPackedKBlock;
    sgemm_batch(g, p.batches.data(), static_cast<int64_t>(p.batches.size()), ctx.pool);
  });
}

void expect_same_dtypes(BuildContext& ctx) {
  if (ctx.input_dtype(1) != ctx.input_dtype(0))
    ctx.fail(std::string("inputs have different element types (") + dtype_name(ctx.input_dtype(0)) + ", " +
             dtype_name(ctx.input_dtype(1)) + ")");
}

std::unique_ptr<Kernel> build_matmul(BuildContext& ctx) {
  ctx.expect_inputs(2, 2);
  ctx.expect_dtype(0, {DType::Float32, DType::Float64, DType::Int32, DType::Int64, DType::UInt32, DType::UInt64});
  expect_same_dtypes(ctx);
  const DType dt = ctx.input_dtype(0);
  MatMulPlan p = plan_matmul(ctx, dt);
  switch (dt) {
    case DType::Float64: return matmul_loop_kernel<double>(std::move(p));
    case DType::Int32: return matmul_loop_kernel<int32_t>(std::move(p));
    case DType::Int64: return matmul_loop_kernel<int64_t>(std::move(p));
    case DType::UInt32: return matmul_loop_kernel<uint32_t>(std::move(p));
    case DType::UInt64: return matmul_loop_kernel<uint64_t>(std::move(p));
    default: return sgemm_matmul_kernel(ctx, std::move(p), 1.0f, {});
  }
}

// saywhen.FusedMatMul(A, B [, bias]), attribute alpha: alpha * MatMul(A, B) + bias,
// float32, bias a constant vector of N (see MatMulEpilogue in optimize.cpp).
std::unique_ptr<Kernel> build_fused_matmul(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  ctx.expect_dtype(0, {DType::Float32});
  expect_same_dtypes(ctx);
  MatMulPlan p = plan_matmul(ctx, DType::Float32);
  AlignedFloats bias;
  if (ctx.has_input(2)) {
    const Tensor* b = ctx.input_value(2);
    if (!b || b->dtype() != DType::Float32 || b->rank() != 1 || b->numel() != p.N)
      ctx.fail("bias must be a constant float32 vector of " + std::to_string(p.N) + " (the product's columns)");
    bias = AlignedFloats(p.N);
    std::copy(b->data<float>(), b->data<float>() + p.N, bias.data());
  }
  return sgemm_matmul_kernel(ctx, std::move(p), ctx.attr_float("alpha", 1.0f), std::move(bias));
}

// ---- Gemm -----------------------------------------------------------------

enum class BiasKind { None, Column, Row, Full };

size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

template <class T>
std::unique_ptr<Kernel> gemm_loop_kernel(int64_t M, int64_t N, int64_t K, bool ta, bool tb, T alpha, T beta,
                                         bool has_c, Shape c_shape) {
  return make_kernel([=](const RunContext& ctx) {
    const T* a = ctx.in(0).data<T>();
    const T* b = ctx.in(1).data<T>();
    T* y = ctx.out(0).data<T>();
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        T v{0};
        if (has_c) {
          const T* c = ctx.in(2).data<T>();
          // Unidirectional broadcast of C (rank <= 2) to [M, N].
          const int64_t cm = c_shape.size() == 2 ? c_shape[0] : 1;
          const int64_t cn = c_shape.empty() ? 1 : c_shape.back();
          v = beta * c[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
        }
        y[i * N + j] = v;
      }
    gemm_loop<T>(a, ta ? M : K, ta, b, tb ? K : N, tb, y, M, N, K, alpha);
  });
}

std::unique_ptr<Kernel> build_gemm(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  ctx.expect_dtype(0, {DType::Float32, DType::Float64});
  const DType dt = ctx.input_dtype(0);
  for (int i = 1; i < 3; ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != dt)
      ctx.fail("input " + std::to_string(i) + " has element type " + dtype_name(ctx.input_dtype(i)) +
               ", expected " + dtype_name(dt));
  const bool ta = ctx.attr_int("transA", 0) != 0, tb = ctx.attr_int("transB", 0) != 0;
  const float alpha = ctx.attr_float("alpha", 1.0f), beta = ctx.attr_float("beta", 1.0f);
  const Shape& sa = ctx.input_shape(0);
  const Shape& sb = ctx.input_shape(1);
  if (sa.size() != 2 || sb.size() != 2)
    ctx.fail("A and B must be 2-D, got " + shape_str(sa) + " and " + shape_str(sb));
  const int64_t M = ta ? sa[1] : sa[0], K = ta ? sa[0] : sa[1];
  const int64_t N = tb ? sb[0] : sb[1], Kb = tb ? sb[1] : sb[0];
  if (K != Kb)
    ctx.fail("inner dimensions differ: A " + shape_str(sa) + (ta ? "^T" : "") + " x B " + shape_str(sb) +
             (tb ? "^T" : ""));
  // C only matters when beta scales it by something other than zero.
  const bool has_c = ctx.has_input(2) && beta != 0.0f;
  Shape cs;
  if (has_c) {
    cs = ctx.input_shape(2);
    if (cs.size() > 2) ctx.fail("C must have rank <= 2, got " + shape_str(cs));
    const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
    if ((cm != 1 && cm != M) || (cn != 1 && cn != N))
      ctx.fail("C " + shape_str(cs) + " does not broadcast to [" + std::to_string(M) + "," + std::to_string(N) + "]");
  }
  ctx.set_output(0, dt, {M, N});
  if (dt == DType::Float64) return gemm_loop_kernel<double>(M, N, K, ta, tb, alpha, beta, has_c, cs);

  BiasKind bias = BiasKind::None;
  if (has_c) {
    const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
    bias = cm == 1 ? BiasKind::Column : cn == 1 ? BiasKind::Row : BiasKind::Full;
  }
  // beta * C, expanded to a bias vector, when C is known now.
  AlignedFloats bias_vec;
  const Tensor* cv = has_c ? ctx.input_value(2) : nullptr;
  if (cv && (bias == BiasKind::Column || bias == BiasKind::Row)) {
    const int64_t n = bias == BiasKind::Column ? N : M;
    bias_vec = AlignedFloats(n);
    const float* c = cv->data<float>();
    for (int64_t j = 0; j < n; ++j) bias_vec.data()[j] = beta * c[cv->numel() == 1 ? 0 : j];
  }
  // A^T, pre-transposed when constant.
  AlignedFloats a_t;
  if (ta && ctx.input_value(0)) {
    a_t = AlignedFloats(M * K);
    const float* a = ctx.input_value(0)->data<float>();
    for (int64_t k = 0; k < K; ++k)
      for (int64_t i = 0; i < M; ++i) a_t.data()[i * K + k] = a[k * M + i];
  }
  AlignedFloats packed;
  if (ctx.input_value(1)) {
    packed = AlignedFloats(sgemm_packed_b_floats(K, N));
    sgemm_pack_b(ctx.input_value(1)->data<float>(), tb ? K : N, tb, K, N, packed.data());
  }
  // Scratch: [A^T][packed B][bias vector], each 64-byte aligned.
  const size_t sa_bytes = ta && !a_t.size() ? align64(static_cast<size_t>(M * K) * 4) : 0;
  const size_t sb_bytes = tb && !packed.size() ? align64(static_cast<size_t>(sgemm_packed_b_floats(K, N)) * 4) : 0;
  const size_t sv_bytes =
      has_c && !bias_vec.size() && bias != BiasKind::Full ? align64(static_cast<size_t>(std::max(M, N)) * 4) : 0;
  ctx.request_scratch(sa_bytes + sb_bytes + sv_bytes);

  return make_kernel([=, a_t = std::move(a_t), packed = std::move(packed), bias_vec = std::move(bias_vec)](
                         const RunContext& ctx) {
    if (M == 0 || N == 0) return;
    uint8_t* scratch = static_cast<uint8_t*>(ctx.scratch);
    float* y = ctx.out(0).data<float>();
    SgemmArgs g;
    g.M = M;
    g.N = N;
    g.K = K;
    g.alpha = alpha;
    g.lda = K;
    if (!ta) {
      g.a = ctx.in(0).data<float>();
    } else if (a_t.size()) {
      g.a = a_t.data();
    } else {
      float* t = reinterpret_cast<float*>(scratch);
      const float* a = ctx.in(0).data<float>();
      for (int64_t k = 0; k < K; ++k)
        for (int64_t i = 0; i < M; ++i) t[i * K + k] = a[k * M + i];
      g.a = t;
    }
    if (packed.size()) {
      g.b = packed.data();
      g.b_packed = true;
      g.kc = kSgemmPackedKBlock;
    } else if (tb) {
      float* t = reinterpret_cast<float*>(scratch + sa_bytes);
      sgemm_pack_b(ctx.in(1).data<float>(), K, true, K, N, t);
      g.b = t;
      g.b_packed = true;
    } else {
      g.b = ctx.in(1).data<float>();
      g.ldb = N;
    }
    g.c = y;
    g.ldc = N;
    if (bias == BiasKind::Full) {
      // C is exactly [M, N]: copy it to Y and let the GEMM scale it by beta.
      std::memcpy(y, ctx.in(2).data<float>(), static_cast<size_t>(M * N) * sizeof(float));
      g.beta = beta;
    } else if (bias != BiasKind::None) {
      const float* v = bias_vec.data();
      if (!bias_vec.size()) {
        float* t = reinterpret_cast<float*>(scratch + sa_bytes + sb_bytes);
        const Tensor& c = ctx.in(2);
        const int64_t n = bias == BiasKind::Column ? N : M;
        for (int64_t j = 0; j < n; ++j) t[j] = beta * c.data<float>()[c.numel() == 1 ? 0 : j];
        v = t;
      }
      (bias == BiasKind::Column ? g.bias_n : g.bias_m) = v;
    }
    sgemm(g, ctx.pool);
  });
}

}  // namespace

void register_linear_ops(OpTable& t) {
  t.add("MatMul", &build_matmul);
  t.add("FusedMatMul", &build_fused_matmul, "saywhen");
  t.add("Gemm", &build_gemm);
}

}  // namespace saywhen::rt
