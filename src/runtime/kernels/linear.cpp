// MatMul and Gemm. float32 goes through sgemm (constant B packed once at plan
// time); other element types use a plain loop, since no target model needs them
// to be fast.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "../kernel.h"
#include "sgemm.h"
#include "softmax.h"

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

// ---- saywhen.Attention ----------------------------------------------------
//
// Softmax(alpha * Q K^T) V for every (batch, head), reading Q, K and V where
// the projections left them and writing the heads side by side (optimize.cpp,
// AttentionFusion, says which ops this replaces). Each input is either
//   [B, T, n, H, D] with attribute <x>_index = i: the head view is part i of n
//                   (Reshape -> Transpose [2,0,3,1,4] -> Gather i), or
//   [B, T, H, D]    with <x>_index = -1 (Reshape -> Transpose [0,2,1,3]).
// Output [B, Tq, H, Dv]. The products are the sgemm calls the unfused MatMuls
// make (K^T copied into a row-major block as its Transpose would, Q and V read
// in place with their row strides, which do not change a sum), and the softmax
// is the Softmax op's: the same bits as the unfused ops.

struct HeadView {
  int64_t B = 0, T = 0, H = 0, D = 0;
  int64_t batch_stride = 0, row_stride = 0, offset = 0;  // in floats; a head is D further
};

HeadView head_view(BuildContext& ctx, int input, const char* what) {
  const Shape& s = ctx.input_shape(input);
  const int64_t index = ctx.attr_int(std::string(what) + "_index", -1);
  HeadView v;
  if (index < 0) {
    if (s.size() != 4) ctx.fail(std::string(what) + " must be [B, T, H, D], got " + shape_str(s));
    v = {s[0], s[1], s[2], s[3], s[1] * s[2] * s[3], s[2] * s[3], 0};
  } else {
    if (s.size() != 5 || index >= s[2])
      ctx.fail(std::string(what) + " must be [B, T, n, H, D] with n > " + std::to_string(index) + ", got " +
               shape_str(s));
    v = {s[0], s[1], s[3], s[4], s[1] * s[2] * s[3] * s[4], s[2] * s[3] * s[4], index * s[3] * s[4]};
  }
  return v;
}

std::unique_ptr<Kernel> build_attention(BuildContext& ctx) {
  ctx.expect_inputs(3, 3);
  for (int i = 0; i < 3; ++i) ctx.expect_dtype(i, {DType::Float32});
  const HeadView q = head_view(ctx, 0, "q"), k = head_view(ctx, 1, "k"), v = head_view(ctx, 2, "v");
  if (q.B != k.B || q.B != v.B || q.H != k.H || q.H != v.H || q.D != k.D || k.T != v.T)
    ctx.fail("q " + shape_str(ctx.input_shape(0)) + ", k " + shape_str(ctx.input_shape(1)) + " and v " +
             shape_str(ctx.input_shape(2)) + " do not form batches x heads of attention");
  const float alpha = ctx.attr_float("alpha", 1.0f);
  ctx.set_output(0, DType::Float32, {q.B, q.T, q.H, v.D});
  if (q.B * q.H * q.T * v.D == 0) return nullptr;
  const int64_t kt_floats = (k.D * k.T + 15) / 16 * 16;
  ctx.request_scratch(static_cast<size_t>(kt_floats + q.T * k.T) * sizeof(float));
  return make_kernel([q, k, v, alpha, kt_floats](const RunContext& rc) {
    const float* qd = rc.in(0).data<float>();
    const float* kd = rc.in(1).data<float>();
    const float* vd = rc.in(2).data<float>();
    float* out = rc.out(0).data<float>();
    float* kt = static_cast<float*>(rc.scratch);
    float* scores = kt + kt_floats;
    for (int64_t b = 0; b < q.B; ++b)
      for (int64_t h = 0; h < q.H; ++h) {
        const float* kh = kd + k.offset + b * k.batch_stride + h * k.D;
        transpose_f32(kh, k.row_stride, k.T, k.D, kt, k.T);
        SgemmArgs s;  // as sgemm_matmul_kernel runs FusedMatMul(Q, K^T) with alpha
        s.M = q.T, s.N = k.T, s.K = q.D;
        s.a = qd + q.offset + b * q.batch_stride + h * q.D, s.lda = q.row_stride;
        s.b = kt, s.ldb = k.T;
        s.c = scores, s.ldc = k.T;
        s.alpha = alpha;
        s.bias_after_sum = true;
        sgemm(s, rc.pool);
        softmax_rows_f32(scores, scores, q.T, k.T, rc.pool);
        SgemmArgs o;  // ... and MatMul(P, V)
        o.M = q.T, o.N = v.D, o.K = k.T;
        o.a = scores, o.lda = k.T;
        o.b = vd + v.offset + b * v.batch_stride + h * v.D, o.ldb = v.row_stride;
        o.c = out + b * q.T * q.H * v.D + h * v.D, o.ldc = q.H * v.D;
        o.bias_after_sum = true;
        sgemm(o, rc.pool);
      }
  });
}

}  // namespace

void register_linear_ops(OpTable& t) {
  t.add("MatMul", &build_matmul);
  t.add("FusedMatMul", &build_fused_matmul, "saywhen");
  t.add("Attention", &build_attention, "saywhen");
  t.add("Gemm", &build_gemm);
}

}  // namespace saywhen::rt
