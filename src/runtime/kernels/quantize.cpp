// Quantized ops: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
// MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv, and the fused ops the
// QDQ rewrite (optimize.cpp) produces:
//
//   saywhen.QMatMul  (a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp [, bias_i32])
//                    attr transB. QLinearMatMul plus an int32 bias and B^T, so
//                    one op covers DQ->MatMul->Q and DQ->Gemm->Q.
//   saywhen.QConv    QLinearConv's inputs and attributes.
//   saywhen.QSoftmax (x, x_scale, x_zp, y_scale, y_zp) attr axis: DQ->Softmax->Q
//                    computed with ONNX Runtime's QLinearSoftmax table method,
//                    which is what the reference runtime executes for that
//                    pattern (matching it matters more than float accuracy).
//   saywhen.QLut     (x, x_scale, x_zp, y_scale, y_zp) attr body (graph):
//                    Q(body(DQ(x))) for an elementwise body, as a byte table.
//   saywhen.MatMulIntegerToFloat (a, b, a_zp, b_zp, scale [, bias [, addend]])
//                    Add(Add(Mul(Cast<float>(MatMulInteger(a, b, a_zp, b_zp)),
//                    scale), bias), addend), the tail of every weight product
//                    that ONNX Runtime's quantize_dynamic writes, and the
//                    residual Add after it: dequantized in the GEMM's epilogue
//                    instead of four passes over the output, with the same
//                    three roundings. An addend of the product's shape is added
//                    there; one that broadcasts otherwise, after the product.
//
// All integer products go through the int8 GEMM layer (qgemm.h). Requantization
// follows ONNX Runtime's MLAS: scale = a_scale * b_scale / y_scale in float,
// float(acc) * scale, clamp, round half to even.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../kernel.h"
#include "../plan.h"
#include "qgemm.h"

namespace saywhen::rt {
namespace {

// ---- small helpers -----------------------------------------------------------

QType qtype_of(DType t) {
  switch (t) {
    case DType::UInt8: return QType::U8;
    case DType::Int8: return QType::S8;
    case DType::UInt16: return QType::U16;
    case DType::Int16: return QType::S16;
    default: return QType::S32;
  }
}

bool is_8bit(DType t) { return t == DType::UInt8 || t == DType::Int8; }

int32_t int_at(const Tensor* t, int64_t i) {
  if (!t) return 0;
  switch (t->dtype()) {
    case DType::UInt8: return t->data<uint8_t>()[i];
    case DType::Int8: return t->data<int8_t>()[i];
    case DType::UInt16: return t->data<uint16_t>()[i];
    case DType::Int16: return t->data<int16_t>()[i];
    case DType::Int32: return t->data<int32_t>()[i];
    default: return 0;
  }
}

// Splits [0, n) over the pool when there is enough work to pay for the wake-up.
template <class F>
void parallel(ThreadPool* pool, int64_t n, int64_t grain, const F& f) {
  if (pool->size() <= 1 || n < 2 * grain)
    f(int64_t{0}, n);
  else
    pool->parallel_for(n, grain, f);
}

// 64-byte aligned, shared by the kernel copies (kernels are copied into their lambda).
struct AlignedBytes {
  std::unique_ptr<uint8_t[]> storage;
  uint8_t* data = nullptr;
  explicit AlignedBytes(size_t n) : storage(new uint8_t[n + 64]()) {
    data = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(storage.get()) + 63) & ~uintptr_t{63});
  }
};

// Sub-allocations of RunContext::scratch, laid out identically at plan and run time.
struct ScratchLayout {
  size_t size = 0;
  size_t add(size_t bytes) {
    const size_t at = size;
    size += (bytes + 63) & ~size_t{63};
    return at;
  }
};

// How a scale / zero-point tensor maps onto an axis: per tensor or per channel.
struct AxisSplit {
  int64_t outer = 1, channels = 1, inner = 1;
  bool per_axis = false;
};

AxisSplit axis_split(BuildContext& ctx, const Shape& x, const Shape& s, const char* what) {
  AxisSplit a;
  a.inner = shape_numel(x);
  const int64_t n = shape_numel(s);
  if (s.empty() || (s.size() == 1 && n == 1)) return a;
  if (s.size() != 1) {
    if (ctx.attr_int("block_size", 0) != 0)
      ctx.fail("blocked quantization (block_size) is unsupported");
    ctx.fail(std::string(what) + " of shape " + shape_str(s) + " is unsupported (scalar or 1-D per axis only)");
  }
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 1), static_cast<int64_t>(x.size()));
  if (x[static_cast<size_t>(axis)] != n)
    ctx.fail(std::string(what) + " has " + std::to_string(n) + " elements but axis " + std::to_string(axis) +
             " of " + shape_str(x) + " has " + std::to_string(x[static_cast<size_t>(axis)]));
  a.per_axis = true;
  a.outer = 1;
  for (int64_t d = 0; d < axis; ++d) a.outer *= x[static_cast<size_t>(d)];
  a.channels = n;
  a.inner = 1;
  for (size_t d = static_cast<size_t>(axis) + 1; d < x.size(); ++d) a.inner *= x[d];
  return a;
}

void check_block_size(BuildContext& ctx) {
  if (ctx.attr_int("block_size", 0) != 0) {
    // Only blocked scales (same rank as x) use it; a per-axis scale ignores it.
    if (ctx.input_rank(1) > 1) ctx.fail("blocked quantization (block_size) is unsupported");
  }
}

// ---- QuantizeLinear / DequantizeLinear ------------------------------------------

std::unique_ptr<Kernel> build_quantize_linear(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  ctx.expect_dtype(0, {DType::Float32});
  ctx.expect_dtype(1, {DType::Float32});
  DType out = DType::UInt8;
  if (ctx.has_input(2)) {
    out = ctx.input_dtype(2);
  } else if (ctx.attr_int("output_dtype", 0) != 0) {
    out = static_cast<DType>(ctx.attr_int("output_dtype", 0));
  }
  if (out != DType::UInt8 && out != DType::Int8 && out != DType::UInt16 && out != DType::Int16)
    ctx.fail(std::string("output type ") + dtype_name(out) + " is unsupported (uint8, int8, uint16, int16)");
  check_block_size(ctx);
  const Shape& xs = ctx.input_shape(0);
  const AxisSplit ax = axis_split(ctx, xs, ctx.input_shape(1), "y_scale");
  if (ctx.has_input(2) && shape_numel(ctx.input_shape(2)) != shape_numel(ctx.input_shape(1)))
    ctx.fail("y_zero_point and y_scale have different sizes");
  ctx.set_output(0, out, xs);
  const QType qt = qtype_of(out);
  const size_t esize = dtype_size(out);
  return make_kernel([ax, qt, esize](const RunContext& rc) {
    const float* x = rc.in(0).data<float>();
    const float* scale = rc.in(1).data<float>();
    const Tensor* zp = rc.has_in(2) ? &rc.in(2) : nullptr;
    uint8_t* y = static_cast<uint8_t*>(rc.out(0).raw());
    if (!ax.per_axis) {
      const float s = scale[0];
      const int32_t z = int_at(zp, 0);
      parallel(rc.pool, ax.inner, 32768, [&](int64_t b, int64_t e) {
        quantize_linear(x + b, y + b * static_cast<int64_t>(esize), qt, e - b, s, z);
      });
      return;
    }
    parallel(rc.pool, ax.outer * ax.channels, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, ax.inner)),
             [&](int64_t b, int64_t e) {
               for (int64_t i = b; i < e; ++i) {
                 const int64_t c = i % ax.channels;
                 quantize_linear(x + i * ax.inner, y + i * ax.inner * static_cast<int64_t>(esize), qt, ax.inner,
                                 scale[c], int_at(zp, c));
               }
             });
  });
}

std::unique_ptr<Kernel> build_dequantize_linear(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  ctx.expect_dtype(0, {DType::UInt8, DType::Int8, DType::Int32, DType::UInt16, DType::Int16});
  ctx.expect_dtype(1, {DType::Float32});
  if (ctx.has_input(2) && ctx.input_dtype(2) != ctx.input_dtype(0))
    ctx.fail("x_zero_point must have x's type");
  check_block_size(ctx);
  const Shape& xs = ctx.input_shape(0);
  const AxisSplit ax = axis_split(ctx, xs, ctx.input_shape(1), "x_scale");
  if (ctx.has_input(2) && shape_numel(ctx.input_shape(2)) != shape_numel(ctx.input_shape(1)))
    ctx.fail("x_zero_point and x_scale have different sizes");
  ctx.set_output(0, DType::Float32, xs);
  const QType qt = qtype_of(ctx.input_dtype(0));
  const size_t esize = dtype_size(ctx.input_dtype(0));
  return make_kernel([ax, qt, esize](const RunContext& rc) {
    const uint8_t* x = static_cast<const uint8_t*>(rc.in(0).raw());
    const float* scale = rc.in(1).data<float>();
    const Tensor* zp = rc.has_in(2) ? &rc.in(2) : nullptr;
    float* y = rc.out(0).data<float>();
    if (!ax.per_axis) {
      const float s = scale[0];
      const int32_t z = int_at(zp, 0);
      parallel(rc.pool, ax.inner, 32768, [&](int64_t b, int64_t e) {
        dequantize_linear(x + b * static_cast<int64_t>(esize), qt, y + b, e - b, s, z);
      });
      return;
    }
    parallel(rc.pool, ax.outer * ax.channels, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, ax.inner)),
             [&](int64_t b, int64_t e) {
               for (int64_t i = b; i < e; ++i) {
                 const int64_t c = i % ax.channels;
                 dequantize_linear(x + i * ax.inner * static_cast<int64_t>(esize), qt, y + i * ax.inner, ax.inner,
                                   scale[c], int_at(zp, c));
               }
             });
  });
}

// ---- DynamicQuantizeLinear ------------------------------------------------------

std::unique_ptr<Kernel> build_dynamic_quantize_linear(BuildContext& ctx) {
  ctx.expect_inputs(1, 1);
  ctx.expect_dtype(0, {DType::Float32});
  ctx.set_output(0, DType::UInt8, ctx.input_shape(0));
  ctx.set_output(1, DType::Float32, {});
  ctx.set_output(2, DType::UInt8, {});
  return make_kernel([](const RunContext& rc) {
    const Tensor& x = rc.in(0);
    const float* xp = x.data<float>();
    // The range always includes 0 so that 0 is exactly representable.
    float lo, hi;
    min_max_with_zero(xp, x.numel(), &lo, &hi);
    const float scale = (hi - lo) / 255.0f;
    int32_t zp = 0;
    if (scale != 0) zp = static_cast<int32_t>(std::nearbyint(std::min(255.0f, std::max(0.0f, 0.0f - lo / scale))));
    if (rc.has_out(1)) *rc.out(1).data<float>() = scale;
    if (rc.has_out(2)) *rc.out(2).data<uint8_t>() = static_cast<uint8_t>(zp);
    if (scale == 0) {
      std::memset(rc.out(0).raw(), 0, static_cast<size_t>(x.numel()));
      return;
    }
    quantize_u8_in_range(xp, rc.out(0).data<uint8_t>(), x.numel(), scale, zp);
  });
}

// ---- integer matrix products ------------------------------------------------------
//
// Every product op reduces to batches of C = A (u8, M x K) * B (packed s8, K x N)
// with per-column offsets (qgemm.h). Signed A is flipped to unsigned (+128, and
// its zero point with it); unsigned B is stored as B - 128 by the packer.

struct QuantIn {  // where one quantization parameter comes from
  int input = -1;  // node input index, -1 when absent (scale 1 / zero point 0)
  // The plan-time value; only valid while building (the planner owns it), so
  // cleared before the kernel is returned. At run time constants arrive as
  // ordinary inputs.
  const Tensor* constant = nullptr;
};

struct QParams {
  QuantIn a_scale, a_zp, b_scale, b_zp, y_scale, y_zp, bias;
  QuantIn dq_scale, dq_bias;  // float output: float(acc) * dq_scale (+ dq_bias)
  bool requant = false;  // QLinear* and fused ops: 8-bit output; MatMulInteger, ConvInteger: int32
  bool float_out = false;  // saywhen.MatMulIntegerToFloat
  bool y_signed = false;
  int64_t b_params = 1;  // 1 (per tensor) or N (per output column)
  bool a_zp_per_row = false;  // MatMulInteger only: a_zero_point with M entries
};

QuantIn quant_in(BuildContext& ctx, int i) {
  QuantIn q;
  if (ctx.has_input(i)) {
    q.input = i;
    q.constant = ctx.input_value(i);
  }
  return q;
}

const Tensor* resolve(const QuantIn& q, const RunContext& rc) { return q.input < 0 ? nullptr : &rc.in(q.input); }

void forget_constants(QParams& p) {
  for (QuantIn* q : {&p.a_scale, &p.a_zp, &p.b_scale, &p.b_zp, &p.y_scale, &p.y_zp, &p.bias, &p.dq_scale, &p.dq_bias})
    q->constant = nullptr;
}

bool all_constant(const QParams& p) {
  for (const QuantIn* q : {&p.a_scale, &p.a_zp, &p.b_scale, &p.b_zp, &p.y_scale, &p.y_zp, &p.bias, &p.dq_scale})
    if (q->input >= 0 && !q->constant) return false;
  return true;
}

// The per-column epilogue of one B matrix: col_off, b_zp (shifted for unsigned
// B), and requantization scale. Returns whether any b_zp is non-zero.
bool prepare_columns(const QParams& p, const RunContext* rc, int64_t N, int64_t K, bool a_signed,
                     bool b_unsigned, const int32_t* col_sums, int32_t* col_off, int32_t* bzp, float* scale) {
  auto get = [&](const QuantIn& q) -> const Tensor* { return rc ? resolve(q, *rc) : q.constant; };
  const Tensor* t_za = get(p.a_zp);
  const Tensor* t_zb = get(p.b_zp);
  const Tensor* t_bias = get(p.bias);
  const int32_t za = p.a_zp_per_row ? 0 : int_at(t_za, 0) + (a_signed ? 128 : 0);
  bool any_bzp = false;
  if ((!t_zb || t_zb->numel() == 1) && (!t_bias || t_bias->numel() == 1)) {
    // Per-tensor B zero point and bias (every dynamically quantized MatMul):
    // this runs on every call, so without a per-column type switch.
    const int32_t zb = int_at(t_zb, 0) - (b_unsigned ? 128 : 0);
    const int32_t bias = int_at(t_bias, 0);
    const int32_t kzz = static_cast<int32_t>(K) * za * zb;
    for (int64_t n = 0; n < N; ++n) {
      bzp[n] = zb;
      col_off[n] = bias - za * col_sums[n] + kzz;
    }
    any_bzp = zb != 0;
  } else {
    for (int64_t n = 0; n < N; ++n) {
      const int32_t zb = int_at(t_zb, t_zb && t_zb->numel() > 1 ? n : 0) - (b_unsigned ? 128 : 0);
      bzp[n] = zb;
      any_bzp |= zb != 0;
      const int32_t bias = t_bias ? int_at(t_bias, t_bias->numel() == 1 ? 0 : n) : 0;
      col_off[n] = bias - za * col_sums[n] + static_cast<int32_t>(K) * za * zb;
    }
  }
  if (p.float_out) {
    const Tensor* t = get(p.dq_scale);
    const float* sc = t->data<float>();
    const bool per_col = t->numel() > 1;
    for (int64_t n = 0; n < N; ++n) scale[n] = sc[per_col ? n : 0];
  }
  if (p.requant) {
    const float sa = get(p.a_scale)->data<float>()[0];
    const float sy = get(p.y_scale)->data<float>()[0];
    const float* sb = get(p.b_scale)->data<float>();
    const bool per_col = get(p.b_scale)->numel() > 1;
    for (int64_t n = 0; n < N; ++n) scale[n] = sa * sb[per_col ? n : 0] / sy;
  }
  return any_bzp;
}

// B operand: packed at plan time when constant, else per run into scratch.
struct PackedB {
  std::shared_ptr<AlignedBytes> bytes;  // constant B: every matrix, packed
  std::vector<int32_t> col_sums;        // constant B: [matrices][N]
  size_t matrix_bytes = 0;
  int64_t matrices = 0;
};

// Constant per-column epilogues (one per B matrix), when every parameter is known.
struct StaticColumns {
  bool ready = false;
  bool any_bzp = false;
  std::vector<int32_t> col_off, bzp;  // [matrices][N]
  std::vector<float> scale;           // [N]
};

struct MatMulGeom {
  int64_t M = 0, N = 0, K = 0;
  std::vector<int64_t> a_mat, b_mat;  // per product: index of the A / B matrix
  int64_t a_matrices = 1, b_matrices = 1;
};

MatMulGeom matmul_geometry(BuildContext& ctx, Shape sa, Shape sb, bool trans_b, DType out, Shape* out_shape) {
  if (sa.empty() || sb.empty()) ctx.fail("inputs must have rank >= 1");
  MatMulGeom g;
  const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
  if (a_vec) sa.insert(sa.begin(), 1);
  if (b_vec) sb.push_back(1);
  if (trans_b && sb.size() != 2) ctx.fail("transB needs a 2-D B");
  g.M = sa[sa.size() - 2];
  g.K = sa[sa.size() - 1];
  g.N = trans_b ? sb[0] : sb[sb.size() - 1];
  const int64_t bk = trans_b ? sb[1] : sb[sb.size() - 2];
  if (bk != g.K) ctx.fail("inner dimensions differ: " + shape_str(sa) + " x " + shape_str(sb));
  Shape ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  const Shape batch = broadcast_shapes(ctx, ba, bb);
  Shape o = batch;
  if (!a_vec) o.push_back(g.M);
  if (!b_vec) o.push_back(g.N);
  *out_shape = o;
  ctx.set_output(0, out, o);
  const size_t r = batch.size();
  ba.insert(ba.begin(), r - ba.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  g.a_matrices = shape_numel(ba);
  g.b_matrices = shape_numel(bb);
  const int64_t count = shape_numel(batch);
  if (count == 0) return g;
  if (g.b_matrices == 1 && ba == batch) {
    // One B for every A: the batch is just more rows.
    g.M *= count;
    g.a_matrices = 1;
    g.a_mat.push_back(0);
    g.b_mat.push_back(0);
    return g;
  }
  std::vector<int64_t> st_a(r), st_b(r);
  int64_t na = 1, nb = 1;
  for (size_t d = r; d-- > 0;) {
    st_a[d] = ba[d] == 1 ? 0 : na;
    st_b[d] = bb[d] == 1 ? 0 : nb;
    na *= ba[d];
    nb *= bb[d];
  }
  for (int64_t i = 0; i < count; ++i) {
    int64_t rem = i, ia = 0, ib = 0;
    for (size_t d = r; d-- > 0;) {
      const int64_t idx = rem % batch[d];
      rem /= batch[d];
      ia += idx * st_a[d];
      ib += idx * st_b[d];
    }
    g.a_mat.push_back(ia);
    g.b_mat.push_back(ib);
  }
  return g;
}

// Node input indices of the operands and parameters (-1 = not an input).
struct GemmInputs {
  int a, b, a_scale, a_zp, b_scale, b_zp, y_scale, y_zp, bias;
  int dq_scale = -1, dq_bias = -1, dq_addend = -1;  // float output (saywhen.MatMulIntegerToFloat)
};

// Parameters shared by the matrix-product kernels once built.
struct GemmPlan {
  QIsa isa = QIsa::Ref;
  int in_a = 0, in_b = 1;
  QParams q;
  MatMulGeom g;
  bool a_signed = false, b_unsigned = false, trans_b = false;
  PackedB pb;
  StaticColumns cols;
  // saywhen.MatMulIntegerToFloat's addend: in the epilogue when it has the
  // product's shape; otherwise the product goes to scratch and the broadcast
  // sum to the output (index vectors as broadcast_index gives them).
  int in_addend = -1;
  bool addend_after = false;
  std::vector<int64_t> product_idx, addend_idx;
  // scratch
  size_t s_a = 0, s_packed = 0, s_colsum = 0, s_coloff = 0, s_bzp = 0, s_scale = 0, s_rowsum = 0, s_product = 0;
};

// Packs every B matrix of a (constant or run-time) tensor.
void pack_all(const GemmPlan& p, const uint8_t* b, uint8_t* packed, int32_t* col_sums, ThreadPool* pool) {
  const int64_t K = p.g.K, N = p.g.N;
  const int64_t sk = p.trans_b ? 1 : N, sn = p.trans_b ? K : 1;
  const size_t mb = qgemm_packed_b_bytes(p.isa, K, N);
  parallel(pool, p.g.b_matrices, 1, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i)
      qgemm_pack_b(p.isa, b + i * K * N, p.b_unsigned, K, N, sk, sn, packed + static_cast<size_t>(i) * mb,
                   col_sums + i * N);
  });
}

// Runs `count` products (args(i) gives product i) as (product, row range,
// column block) items over the pool.
template <class ArgsFn>
void run_products(QIsa isa, int64_t count, int64_t M, int64_t N, const ArgsFn& args, ThreadPool* pool) {
  const int64_t nb = qgemm_n_block(isa);
  const int64_t n_blocks = (N + nb - 1) / nb;
  const int64_t m_chunk = 48;  // a multiple of every ISA's row tile
  const int64_t m_chunks = (M + m_chunk - 1) / m_chunk;
  const int64_t per = n_blocks * m_chunks;
  if (pool->size() <= 1 || count * per < 2) {
    for (int64_t i = 0; i < count; ++i) qgemm_run(isa, args(i), 0, M, 0, N);
    return;
  }
  pool->parallel_for(count * per, 1, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      const QGemmArgs a = args(i / per);
      const int64_t r = i % per, bn = r / m_chunks, bm = r % m_chunks;
      qgemm_run(isa, a, bm * m_chunk, std::min(M, (bm + 1) * m_chunk), bn * nb, std::min(N, (bn + 1) * nb));
    }
  });
}

class GemmKernel final : public Kernel {
 public:
  explicit GemmKernel(std::shared_ptr<const GemmPlan> p) : p_(std::move(p)) {}

  void run(const RunContext& rc) const override {
    const GemmPlan& p = *p_;
    const MatMulGeom& g = p.g;
    if (g.a_mat.empty() || g.N == 0 || g.M == 0) return;
    uint8_t* scratch = static_cast<uint8_t*>(rc.scratch);
    const int64_t K = g.K, N = g.N;

    // A as unsigned bytes.
    const uint8_t* a = static_cast<const uint8_t*>(rc.in(p.in_a).raw());
    const int64_t a_elems = rc.in(p.in_a).numel();
    if (p.a_signed) {
      uint8_t* au = scratch + p.s_a;
      for (int64_t i = 0; i < a_elems; ++i) au[i] = static_cast<uint8_t>(a[i] ^ 0x80);
      a = au;
    }

    // B packed, its column sums, the column epilogues.
    const uint8_t* packed;
    const int32_t* col_sums;
    const size_t mb = qgemm_packed_b_bytes(p.isa, K, N);
    if (p.pb.bytes) {
      packed = p.pb.bytes->data;
      col_sums = p.pb.col_sums.data();
    } else {
      uint8_t* pk = scratch + p.s_packed;
      int32_t* cs = reinterpret_cast<int32_t*>(scratch + p.s_colsum);
      pack_all(p, static_cast<const uint8_t*>(rc.in(p.in_b).raw()), pk, cs, rc.pool);
      packed = pk;
      col_sums = cs;
    }
    const int32_t* col_off;
    const int32_t* bzp;
    const float* scale;
    bool any_bzp;
    if (p.cols.ready) {
      col_off = p.cols.col_off.data();
      bzp = p.cols.bzp.data();
      scale = p.cols.scale.data();
      any_bzp = p.cols.any_bzp;
    } else {
      int32_t* co = reinterpret_cast<int32_t*>(scratch + p.s_coloff);
      int32_t* bz = reinterpret_cast<int32_t*>(scratch + p.s_bzp);
      float* sc = reinterpret_cast<float*>(scratch + p.s_scale);
      any_bzp = false;
      for (int64_t i = 0; i < g.b_matrices; ++i)
        any_bzp |= prepare_columns(p.q, &rc, N, K, p.a_signed, p.b_unsigned, col_sums + i * N, co + i * N,
                                   bz + i * N, sc);
      col_off = co;
      bzp = bz;
      scale = sc;
    }
    int32_t* row_sums = nullptr;
    if (any_bzp || p.q.a_zp_per_row) {
      row_sums = reinterpret_cast<int32_t*>(scratch + p.s_rowsum);
      const int64_t rows = a_elems / std::max<int64_t>(1, K);
      parallel(rc.pool, rows, 256, [&](int64_t s, int64_t e) { qgemm_row_sums(a + s * K, K, e - s, K, row_sums + s); });
    }

    QGemmArgs proto;
    proto.M = g.M, proto.N = N, proto.K = K;
    proto.lda = K;
    proto.y_signed = p.q.y_signed;
    proto.ldc = N;
    if (p.q.requant) {
      proto.scale = scale;
      proto.y_zp = int_at(resolve(p.q.y_zp, rc), 0);
    }
    if (p.q.float_out) {
      proto.dq_scale = scale;
      if (const Tensor* bias = resolve(p.q.dq_bias, rc)) proto.dq_bias = bias->data<float>();
    }
    uint8_t* out = static_cast<uint8_t*>(p.addend_after ? scratch + p.s_product : rc.out(0).raw());
    const float* addend = p.in_addend >= 0 && !p.addend_after ? rc.in(p.in_addend).data<float>() : nullptr;
    const size_t esize = p.q.requant ? 1 : 4;
    auto args = [&](int64_t i) {
      QGemmArgs x = proto;
      const size_t u = static_cast<size_t>(i);
      x.A = a + g.a_mat[u] * g.M * K;
      x.packed_b = packed + static_cast<size_t>(g.b_mat[u]) * mb;
      x.col_off = col_off + g.b_mat[u] * N;
      x.b_zp = any_bzp ? bzp + g.b_mat[u] * N : nullptr;
      x.row_sum = row_sums ? row_sums + g.a_mat[u] * g.M : nullptr;
      x.C = out + u * static_cast<size_t>(g.M * N) * esize;
      if (addend) x.dq_addend = addend + u * static_cast<size_t>(g.M * N);
      return x;
    };
    run_products(p.isa, static_cast<int64_t>(g.a_mat.size()), g.M, N, args, rc.pool);
    if (p.addend_after) {
      const float* prod = reinterpret_cast<const float*>(out);
      const float* add = rc.in(p.in_addend).data<float>();
      float* y = rc.out(0).data<float>();
      const int64_t total = rc.out(0).numel();
      for (int64_t e = 0; e < total; ++e)
        y[e] = prod[p.product_idx.empty() ? e : p.product_idx[static_cast<size_t>(e)]] +
               add[p.addend_idx.empty() ? e : p.addend_idx[static_cast<size_t>(e)]];
    }

    if (p.q.a_zp_per_row) {
      // (a - za[m]) : the GEMM used za = 0, so remove za[m] * (colsum - K zb) per row.
      const Tensor* za = resolve(p.q.a_zp, rc);
      int32_t* c = reinterpret_cast<int32_t*>(out);
      for (size_t i = 0; i < g.a_mat.size(); ++i) {
        const int32_t* cs = col_sums + g.b_mat[i] * N;
        const int32_t* bz = bzp + g.b_mat[i] * N;
        for (int64_t m = 0; m < g.M; ++m) {
          const int32_t z = int_at(za, m) + (p.a_signed ? 128 : 0);
          int32_t* row = c + (static_cast<int64_t>(i) * g.M + m) * N;
          for (int64_t n = 0; n < N; ++n) row[n] -= z * (cs[n] - static_cast<int32_t>(K) * bz[n]);
        }
      }
    }
  }

 private:
  std::shared_ptr<const GemmPlan> p_;
};

// The quantisation inputs that every product op shares (the float-output ones are MatMulIntegerToFloat's own).
QParams quant_params(BuildContext& ctx, const GemmInputs& in, bool requant) {
  QParams q;
  q.requant = requant;
  q.a_scale = quant_in(ctx, in.a_scale);
  q.a_zp = quant_in(ctx, in.a_zp);
  q.b_scale = quant_in(ctx, in.b_scale);
  q.b_zp = quant_in(ctx, in.b_zp);
  q.y_scale = quant_in(ctx, in.y_scale);
  q.y_zp = quant_in(ctx, in.y_zp);
  q.bias = quant_in(ctx, in.bias);
  return q;
}

// Shared builder of every matrix-product op.
std::unique_ptr<Kernel> build_gemm(BuildContext& ctx, const GemmInputs& in, bool requant, bool trans_b) {
  auto plan = std::make_shared<GemmPlan>();
  GemmPlan& p = *plan;
  p.isa = qgemm_best_isa();
  p.trans_b = trans_b;
  p.in_a = in.a;
  p.in_b = in.b;
  ctx.expect_dtype(in.a, {DType::UInt8, DType::Int8});
  ctx.expect_dtype(in.b, {DType::UInt8, DType::Int8});
  p.a_signed = ctx.input_dtype(in.a) == DType::Int8;
  p.b_unsigned = ctx.input_dtype(in.b) == DType::UInt8;
  p.q = quant_params(ctx, in, requant);
  QParams& q = p.q;
  q.dq_scale = quant_in(ctx, in.dq_scale);
  q.dq_bias = quant_in(ctx, in.dq_bias);
  q.float_out = q.dq_scale.input >= 0;

  DType out = q.float_out ? DType::Float32 : DType::Int32;
  if (requant) {
    if (!ctx.has_input(in.y_zp)) ctx.fail("y_zero_point is required");
    out = ctx.input_dtype(in.y_zp);
    if (!is_8bit(out)) ctx.fail(std::string("output type ") + dtype_name(out) + " is unsupported");
    q.y_signed = out == DType::Int8;
    for (int i : {in.a_scale, in.b_scale, in.y_scale}) ctx.expect_dtype(i, {DType::Float32});
  }
  Shape out_shape;
  p.g = matmul_geometry(ctx, ctx.input_shape(in.a), ctx.input_shape(in.b), trans_b, out, &out_shape);
  const int64_t M = p.g.M, N = p.g.N, K = p.g.K;

  auto one = [&](const QuantIn& x) { return x.input < 0 || shape_numel(ctx.input_shape(x.input)) == 1; };
  if (q.a_zp.input >= 0 && ctx.input_dtype(q.a_zp.input) != ctx.input_dtype(in.a))
    ctx.fail("a_zero_point must have A's type");
  if (q.b_zp.input >= 0 && ctx.input_dtype(q.b_zp.input) != ctx.input_dtype(in.b))
    ctx.fail("b_zero_point must have B's type");
  if (!one(q.a_zp)) {
    const Shape& s = ctx.input_shape(q.a_zp.input);
    // Per-row A zero points ([M] for 2-D A) only for MatMulInteger's int32 output.
    if (requant || s.size() != 1 || s[0] != M || p.g.a_matrices != 1 || ctx.input_rank(in.a) != 2)
      ctx.fail("a_zero_point of shape " + shape_str(s) + " is unsupported (scalar, or [M] for 2-D A)");
    q.a_zp_per_row = true;
  }
  if (requant && !one(q.a_scale)) ctx.fail("a_scale must be a scalar (per-row A scales are unsupported)");
  if (requant && !one(q.y_scale)) ctx.fail("y_scale must be a scalar");
  if (requant && !one(q.y_zp)) ctx.fail("y_zero_point must be a scalar");
  // B parameters: per tensor, or per output column ([N], or [..., 1, N]).
  auto per_column = [&](const QuantIn& x, const char* what) {
    if (one(x)) return false;
    const Shape& s = ctx.input_shape(x.input);
    bool ok = !s.empty() && s.back() == N && shape_numel(s) == N;
    if (!ok) ctx.fail(std::string(what) + " of shape " + shape_str(s) + " is unsupported (scalar or per column)");
    return true;
  };
  const bool bzp_cols = per_column(q.b_zp, "b_zero_point");
  const bool bscale_cols = requant && per_column(q.b_scale, "b_scale");
  q.b_params = (bzp_cols || bscale_cols) ? N : 1;
  if (bzp_cols || bscale_cols) {
    if (q.b_zp.input >= 0 && !bzp_cols) ctx.fail("b_zero_point must have b_scale's size");
    if (requant && !bscale_cols) ctx.fail("b_scale must have b_zero_point's size");
  }
  if (q.float_out) {
    ctx.expect_dtype(q.dq_scale.input, {DType::Float32});
    const Shape& ss = ctx.input_shape(q.dq_scale.input);
    if (shape_numel(ss) != 1 && !(shape_numel(ss) == N && ss.back() == N))
      ctx.fail("scale of shape " + shape_str(ss) + " is unsupported (scalar or per column)");
    if (q.dq_bias.input >= 0) {
      ctx.expect_dtype(q.dq_bias.input, {DType::Float32});
      const Shape& bs = ctx.input_shape(q.dq_bias.input);
      if (shape_numel(bs) != N || bs.back() != N) ctx.fail("bias of shape " + shape_str(bs) + " must have N elements");
    }
  }
  ScratchLayout s;
  if (in.dq_addend >= 0 && ctx.has_input(in.dq_addend)) {
    ctx.expect_dtype(in.dq_addend, {DType::Float32});
    p.in_addend = in.dq_addend;
    const Shape& as = ctx.input_shape(in.dq_addend);
    if (as != out_shape) {
      const Shape full = broadcast_shapes(ctx, out_shape, as);
      ctx.set_output(0, DType::Float32, full);
      p.addend_after = true;
      p.product_idx = broadcast_index(ctx, full, out_shape, "product");
      p.addend_idx = broadcast_index(ctx, full, as, "addend");
      p.s_product = s.add(sizeof(float) * static_cast<size_t>(shape_numel(out_shape)));
    }
  }
  if (q.bias.input >= 0) {
    ctx.expect_dtype(q.bias.input, {DType::Int32});
    const int64_t nb = shape_numel(ctx.input_shape(q.bias.input));
    if (nb != N && nb != 1) ctx.fail("bias must have N or 1 elements");
  }

  // Pack a constant B now (once per model for an initializer).
  const Tensor* b_const = ctx.input_value(in.b);
  const size_t mb = qgemm_packed_b_bytes(p.isa, K, N);
  if (b_const && !p.g.a_mat.empty()) {
    auto pack = [&]() -> std::shared_ptr<const void> {
      auto pb = std::make_shared<PackedB>();
      pb->matrices = p.g.b_matrices;
      pb->matrix_bytes = mb;
      pb->bytes = std::make_shared<AlignedBytes>(mb * static_cast<size_t>(p.g.b_matrices));
      pb->col_sums.resize(static_cast<size_t>(p.g.b_matrices * N));
      ThreadPool inline_pool(1);
      pack_all(p, static_cast<const uint8_t*>(b_const->raw()), pb->bytes->data, pb->col_sums.data(), &inline_pool);
      return pb;
    };
    std::shared_ptr<const void> packed;
    if (const Tensor* init = ctx.input_initializer(in.b)) {
      const std::string key = "qgemm-b " + std::to_string(reinterpret_cast<uintptr_t>(init->raw())) + " " +
                              qgemm_isa_name(p.isa) + " " + std::to_string(p.trans_b) + std::to_string(p.b_unsigned) +
                              " " + shape_str(init->shape()) + " " + std::to_string(K) + "x" + std::to_string(N);
      packed = ctx.initializer_cache().get(key, pack);
    } else {
      packed = pack();
    }
    p.pb = *static_cast<const PackedB*>(packed.get());
    if (all_constant(q) && !q.a_zp_per_row) {
      StaticColumns& c = p.cols;
      c.col_off.resize(static_cast<size_t>(p.g.b_matrices * N));
      c.bzp.resize(c.col_off.size());
      c.scale.resize(static_cast<size_t>(N));
      for (int64_t i = 0; i < p.g.b_matrices; ++i)
        c.any_bzp |= prepare_columns(q, nullptr, N, K, p.a_signed, p.b_unsigned, p.pb.col_sums.data() + i * N,
                                     c.col_off.data() + i * N, c.bzp.data() + i * N, c.scale.data());
      c.ready = true;
    }
  }

  const int64_t a_elems = shape_numel(ctx.input_shape(in.a));
  if (p.a_signed) p.s_a = s.add(static_cast<size_t>(a_elems));
  if (!p.pb.bytes) {
    p.s_packed = s.add(mb * static_cast<size_t>(p.g.b_matrices));
    p.s_colsum = s.add(sizeof(int32_t) * static_cast<size_t>(p.g.b_matrices * N));
  }
  if (!p.cols.ready) {
    p.s_coloff = s.add(sizeof(int32_t) * static_cast<size_t>(p.g.b_matrices * N));
    p.s_bzp = s.add(sizeof(int32_t) * static_cast<size_t>(p.g.b_matrices * N));
    p.s_scale = s.add(sizeof(float) * static_cast<size_t>(N));
  }
  p.s_rowsum = s.add(sizeof(int32_t) * static_cast<size_t>(a_elems / std::max<int64_t>(1, K) + 1));
  ctx.request_scratch(s.size);
  forget_constants(q);
  return std::make_unique<GemmKernel>(plan);
}

// ---- convolutions -------------------------------------------------------------------
//
// Per image and group, a GEMM over output positions: A[s][kk * Cg + c] holds
// the input under kernel tap kk for output position s (channels innermost, so
// A rows are runs of contiguous channels-last input), B is the group's weights
// reordered to the same k order, and the [positions x channels] result is
// transposed into NC(spatial). For a 1-D convolution without dilation or groups
// A is not even built: each A row is a window of the padded channels-last input.

template <class T>
void transpose_block(const T* src, int64_t rows, int64_t cols, int64_t lds, T* dst, int64_t ldd) {
  constexpr int64_t B = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += B)
    for (int64_t c0 = 0; c0 < cols; c0 += B) {
      const int64_t r1 = std::min(rows, r0 + B), c1 = std::min(cols, c0 + B);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) dst[c * ldd + r] = src[r * lds + c];
    }
}

#if defined(__SSE2__)
// 16 x 16 bytes through four rounds of unpacks (8, 16, 32, 64 bits).
void transpose16x16(const uint8_t* src, int64_t lds, uint8_t* dst, int64_t ldd) {
  __m128i r[16], t[16];
  for (int i = 0; i < 16; ++i) r[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * lds));
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm_unpackhi_epi8(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 2; ++j) {
      r[4 * i + j] = _mm_unpacklo_epi16(t[4 * i + j], t[4 * i + j + 2]);
      r[4 * i + j + 2] = _mm_unpackhi_epi16(t[4 * i + j], t[4 * i + j + 2]);
    }
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 4; ++j) {
      t[8 * i + j] = _mm_unpacklo_epi32(r[8 * i + j], r[8 * i + j + 4]);
      t[8 * i + j + 4] = _mm_unpackhi_epi32(r[8 * i + j], r[8 * i + j + 4]);
    }
  for (int j = 0; j < 8; ++j) {
    r[j] = _mm_unpacklo_epi64(t[j], t[j + 8]);
    r[j + 8] = _mm_unpackhi_epi64(t[j], t[j + 8]);
  }
  // Each round interleaves pairs, so column c ends up in r[k] with k the
  // 4-bit reversal of c.
  for (int k = 0; k < 16; ++k) {
    const int c = ((k & 1) << 3) | ((k & 2) << 1) | ((k & 4) >> 1) | ((k & 8) >> 3);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + c * ldd), r[k]);
  }
}

template <>
void transpose_block<uint8_t>(const uint8_t* src, int64_t rows, int64_t cols, int64_t lds, uint8_t* dst,
                              int64_t ldd) {
  const int64_t r16 = rows & ~int64_t{15}, c16 = cols & ~int64_t{15};
  for (int64_t r = 0; r < r16; r += 16)
    for (int64_t c = 0; c < c16; c += 16) transpose16x16(src + r * lds + c, lds, dst + c * ldd + r, ldd);
  for (int64_t c = c16; c < cols; ++c)
    for (int64_t r = 0; r < rows; ++r) dst[c * ldd + r] = src[r * lds + c];
  for (int64_t r = r16; r < rows; ++r)
    for (int64_t c = 0; c < c16; ++c) dst[c * ldd + r] = src[r * lds + c];
}
#endif

struct ConvPlan {
  QIsa isa = QIsa::Ref;
  QParams q;
  int in_x = 0, in_w = 1;
  bool x_signed = false, w_unsigned = false;
  int64_t batch = 0, C = 0, M = 0, group = 1, Cg = 0, Mg = 0;
  std::vector<int64_t> in_sp, out_sp, kernel, stride, dil, pad_begin, pad_end;
  int64_t S = 1, In = 1, KK = 1, Kdim = 0;
  bool direct_1d = false;
  int64_t padded_len = 0;  // direct_1d: rows of the padded channels-last input
  PackedB pb;              // one matrix per group
  StaticColumns cols;
  size_t s_xt = 0, s_a = 0, s_w = 0, s_packed = 0, s_colsum = 0, s_coloff = 0, s_bzp = 0, s_scale = 0,
         s_rowsum = 0, s_out = 0;
};

// W [M, Cg, taps] -> per group [Mg][taps][Cg], the k order of A.
void reorder_weights(const ConvPlan& p, const uint8_t* w, uint8_t* dst) {
  for (int64_t m = 0; m < p.M; ++m)
    for (int64_t c = 0; c < p.Cg; ++c)
      for (int64_t t = 0; t < p.KK; ++t) dst[(m * p.KK + t) * p.Cg + c] = w[(m * p.Cg + c) * p.KK + t];
}

void pack_conv_weights(const ConvPlan& p, const uint8_t* reordered, uint8_t* packed, int32_t* col_sums) {
  const size_t mb = qgemm_packed_b_bytes(p.isa, p.Kdim, p.Mg);
  for (int64_t g = 0; g < p.group; ++g)
    qgemm_pack_b(p.isa, reordered + g * p.Mg * p.Kdim, p.w_unsigned, p.Kdim, p.Mg, 1, p.Kdim,
                 packed + static_cast<size_t>(g) * mb, col_sums + g * p.Mg);
}

class ConvKernel final : public Kernel {
 public:
  explicit ConvKernel(std::shared_ptr<const ConvPlan> p) : p_(std::move(p)) {}

  void run(const RunContext& rc) const override {
    const ConvPlan& p = *p_;
    if (p.batch == 0 || p.S == 0 || p.M == 0) return;
    uint8_t* scratch = static_cast<uint8_t*>(rc.scratch);
    const size_t mb = qgemm_packed_b_bytes(p.isa, p.Kdim, p.Mg);
    const uint8_t* packed;
    const int32_t* col_sums;
    if (p.pb.bytes) {
      packed = p.pb.bytes->data;
      col_sums = p.pb.col_sums.data();
    } else {
      uint8_t* w = scratch + p.s_w;
      reorder_weights(p, static_cast<const uint8_t*>(rc.in(p.in_w).raw()), w);
      uint8_t* pk = scratch + p.s_packed;
      int32_t* cs = reinterpret_cast<int32_t*>(scratch + p.s_colsum);
      pack_conv_weights(p, w, pk, cs);
      packed = pk;
      col_sums = cs;
    }
    const int32_t* col_off;
    const int32_t* bzp;
    const float* scale;
    bool any_bzp;
    if (p.cols.ready) {
      col_off = p.cols.col_off.data();
      bzp = p.cols.bzp.data();
      scale = p.cols.scale.data();
      any_bzp = p.cols.any_bzp;
    } else {
      // Per output channel parameters: prepare over all M channels at once.
      int32_t* co = reinterpret_cast<int32_t*>(scratch + p.s_coloff);
      int32_t* bz = reinterpret_cast<int32_t*>(scratch + p.s_bzp);
      float* sc = reinterpret_cast<float*>(scratch + p.s_scale);
      any_bzp = prepare_columns(p.q, &rc, p.M, p.Kdim, p.x_signed, p.w_unsigned, col_sums, co, bz, sc);
      col_off = co;
      bzp = bz;
      scale = sc;
    }
    const int32_t za = int_at(resolve(p.q.a_zp, rc), 0) + (p.x_signed ? 128 : 0);
    const uint8_t flip = p.x_signed ? 0x80 : 0;
    const size_t esize = p.q.requant ? 1 : 4;
    const uint8_t* x = static_cast<const uint8_t*>(rc.in(p.in_x).raw());
    uint8_t* y = static_cast<uint8_t*>(rc.out(0).raw());
    uint8_t* xt = scratch + p.s_xt;
    uint8_t* cbuf = scratch + p.s_out;

    for (int64_t n = 0; n < p.batch; ++n) {
      const uint8_t* xn = x + n * p.C * p.In;
      // Channels-last copy of the image (padded along the one axis for direct_1d).
      const int64_t pb = p.direct_1d ? p.pad_begin[0] : 0;
      const int64_t rows = p.direct_1d ? p.padded_len : p.In;
      if (p.direct_1d) {
        std::memset(xt, za, static_cast<size_t>(pb * p.C));
        std::memset(xt + (pb + p.In) * p.C, za, static_cast<size_t>((rows - pb - p.In) * p.C));
      }
      transpose_block(xn, p.C, p.In, p.In, xt + pb * p.C, p.C);
      if (flip)
        for (int64_t i = pb * p.C; i < (pb + p.In) * p.C; ++i) xt[i] ^= flip;

      for (int64_t g = 0; g < p.group; ++g) {
        const uint8_t* a;
        int64_t lda;
        if (p.direct_1d) {
          a = xt;
          lda = p.stride[0] * p.C;
        } else {
          uint8_t* am = scratch + p.s_a;
          build_im2col(p, xt, g, static_cast<uint8_t>(za), am);
          a = am;
          lda = p.Kdim;
        }
        int32_t* row_sums = nullptr;
        if (any_bzp) {
          row_sums = reinterpret_cast<int32_t*>(scratch + p.s_rowsum);
          qgemm_row_sums(a, lda, p.S, p.Kdim, row_sums);
        }
        QGemmArgs args;
        args.M = p.S, args.N = p.Mg, args.K = p.Kdim;
        args.A = a, args.lda = lda;
        args.packed_b = packed + static_cast<size_t>(g) * mb;
        args.col_off = col_off + g * p.Mg;
        args.b_zp = any_bzp ? bzp + g * p.Mg : nullptr;
        args.row_sum = row_sums;
        if (p.q.requant) {
          args.scale = scale + g * p.Mg;
          args.y_zp = int_at(resolve(p.q.y_zp, rc), 0);
          args.y_signed = p.q.y_signed;
        }
        args.C = cbuf, args.ldc = p.Mg;
        run_products(p.isa, 1, p.S, p.Mg, [&](int64_t) { return args; }, rc.pool);
        uint8_t* yg = y + (n * p.M + g * p.Mg) * p.S * static_cast<int64_t>(esize);
        if (esize == 1)
          transpose_block(cbuf, p.S, p.Mg, p.Mg, yg, p.S);
        else
          transpose_block(reinterpret_cast<const int32_t*>(cbuf), p.S, p.Mg, p.Mg, reinterpret_cast<int32_t*>(yg),
                          p.S);
      }
    }
  }

 private:
  static void build_im2col(const ConvPlan& p, const uint8_t* xt, int64_t g, uint8_t pad, uint8_t* a) {
    const size_t rank = p.in_sp.size();
    int64_t opos[8] = {0}, tap[8] = {0};
    for (int64_t s = 0; s < p.S; ++s) {
      int64_t rem = s;
      for (size_t d = rank; d-- > 0;) {
        opos[d] = rem % p.out_sp[d];
        rem /= p.out_sp[d];
      }
      uint8_t* row = a + s * p.Kdim;
      for (int64_t t = 0; t < p.KK; ++t) {
        int64_t r = t;
        for (size_t d = rank; d-- > 0;) {
          tap[d] = r % p.kernel[d];
          r /= p.kernel[d];
        }
        int64_t idx = 0;
        bool inside = true;
        for (size_t d = 0; d < rank; ++d) {
          const int64_t ip = opos[d] * p.stride[d] - p.pad_begin[d] + tap[d] * p.dil[d];
          inside = inside && ip >= 0 && ip < p.in_sp[d];
          idx = idx * p.in_sp[d] + ip;
        }
        uint8_t* dst = row + t * p.Cg;
        if (inside)
          std::memcpy(dst, xt + idx * p.C + g * p.Cg, static_cast<size_t>(p.Cg));
        else
          std::memset(dst, pad, static_cast<size_t>(p.Cg));
      }
    }
  }

  std::shared_ptr<const ConvPlan> p_;
};

std::unique_ptr<Kernel> build_conv(BuildContext& ctx, const GemmInputs& in, bool requant) {
  auto plan = std::make_shared<ConvPlan>();
  ConvPlan& p = *plan;
  p.isa = qgemm_best_isa();
  p.in_x = in.a;
  p.in_w = in.b;
  ctx.expect_dtype(in.a, {DType::UInt8, DType::Int8});
  ctx.expect_dtype(in.b, {DType::UInt8, DType::Int8});
  p.x_signed = ctx.input_dtype(in.a) == DType::Int8;
  p.w_unsigned = ctx.input_dtype(in.b) == DType::UInt8;
  p.q = quant_params(ctx, in, requant);
  QParams& q = p.q;

  const Shape& xs = ctx.input_shape(in.a);
  const Shape& ws = ctx.input_shape(in.b);
  if (xs.size() < 3 || ws.size() != xs.size())
    ctx.fail("x " + shape_str(xs) + " and w " + shape_str(ws) + " must be N x C x spatial and M x C/group x kernel");
  const size_t rank = xs.size() - 2;
  if (rank > 8) ctx.fail("more than 8 spatial dimensions are unsupported");
  p.batch = xs[0];
  p.C = xs[1];
  p.M = ws[0];
  p.group = ctx.attr_int("group", 1);
  if (p.group <= 0 || p.C % p.group != 0 || p.M % p.group != 0 || ws[1] != p.C / p.group)
    ctx.fail("channels " + std::to_string(p.C) + " / weights " + shape_str(ws) + " do not fit group " +
             std::to_string(p.group));
  p.Cg = p.C / p.group;
  p.Mg = p.M / p.group;
  p.kernel.assign(ws.begin() + 2, ws.end());
  const std::vector<int64_t> ks = ctx.attr_ints("kernel_shape");
  if (!ks.empty() && ks != p.kernel) ctx.fail("kernel_shape does not match the weights");
  p.stride = ctx.attr_ints("strides");
  p.dil = ctx.attr_ints("dilations");
  std::vector<int64_t> pads = ctx.attr_ints("pads");
  if (p.stride.empty()) p.stride.assign(rank, 1);
  if (p.dil.empty()) p.dil.assign(rank, 1);
  if (pads.empty()) pads.assign(2 * rank, 0);
  if (p.stride.size() != rank || p.dil.size() != rank || pads.size() != 2 * rank)
    ctx.fail("strides / dilations / pads do not match the spatial rank");
  p.in_sp.assign(xs.begin() + 2, xs.end());
  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  Shape out_shape = {p.batch, p.M};
  p.pad_begin.resize(rank);
  p.pad_end.resize(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (p.stride[d] <= 0 || p.dil[d] <= 0) ctx.fail("strides and dilations must be positive");
    const int64_t span = (p.kernel[d] - 1) * p.dil[d] + 1;
    int64_t pb = pads[d], pe = pads[d + rank];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t o = (p.in_sp[d] + p.stride[d] - 1) / p.stride[d];
      const int64_t total = std::max<int64_t>(0, (o - 1) * p.stride[d] + span - p.in_sp[d]);
      pb = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (auto_pad == "VALID") {
      pb = pe = 0;
    } else if (auto_pad != "NOTSET") {
      ctx.fail("auto_pad '" + auto_pad + "' is unsupported");
    }
    if (pb < 0 || pe < 0) ctx.fail("negative pads are unsupported");
    p.pad_begin[d] = pb;
    p.pad_end[d] = pe;
    const int64_t o = (p.in_sp[d] + pb + pe - span) / p.stride[d] + 1;
    if (o < 0) ctx.fail("the kernel is larger than the padded input");
    p.out_sp.push_back(o);
    out_shape.push_back(o);
    p.S *= o;
    p.In *= p.in_sp[d];
    p.KK *= p.kernel[d];
  }
  p.Kdim = p.KK * p.Cg;
  DType out = DType::Int32;
  if (requant) {
    out = ctx.input_dtype(in.y_zp);
    if (!is_8bit(out)) ctx.fail(std::string("output type ") + dtype_name(out) + " is unsupported");
    q.y_signed = out == DType::Int8;
    for (int i : {in.a_scale, in.b_scale, in.y_scale}) ctx.expect_dtype(i, {DType::Float32});
  }
  ctx.set_output(0, out, out_shape);

  auto one = [&](const QuantIn& x) { return x.input < 0 || shape_numel(ctx.input_shape(x.input)) == 1; };
  if (!one(q.a_zp)) ctx.fail("x_zero_point must be a scalar");
  if (requant && (!one(q.a_scale) || !one(q.y_scale) || !one(q.y_zp))) ctx.fail("x / y scales and zero points must be scalars");
  for (const QuantIn* w : {&q.b_zp, &q.b_scale}) {
    if (one(*w)) continue;
    if (shape_numel(ctx.input_shape(w->input)) != p.M) ctx.fail("weight scale / zero point must have 1 or M elements");
    q.b_params = p.M;
  }
  if (q.bias.input >= 0) {
    ctx.expect_dtype(q.bias.input, {DType::Int32});
    if (shape_numel(ctx.input_shape(q.bias.input)) != p.M) ctx.fail("bias must have M elements");
  }
  p.direct_1d = rank == 1 && p.group == 1 && p.dil[0] == 1;
  if (p.direct_1d)
    p.padded_len = std::max(p.pad_begin[0] + p.in_sp[0] + std::max<int64_t>(0, p.pad_end[0]),
                            (p.out_sp[0] - 1) * p.stride[0] + p.kernel[0]);

  const size_t mb = qgemm_packed_b_bytes(p.isa, p.Kdim, p.Mg);
  if (const Tensor* w = ctx.input_value(in.b)) {
    std::vector<uint8_t> reordered(static_cast<size_t>(p.M * p.Kdim));
    reorder_weights(p, static_cast<const uint8_t*>(w->raw()), reordered.data());
    p.pb.matrices = p.group;
    p.pb.matrix_bytes = mb;
    p.pb.bytes = std::make_shared<AlignedBytes>(mb * static_cast<size_t>(p.group));
    p.pb.col_sums.resize(static_cast<size_t>(p.M));
    pack_conv_weights(p, reordered.data(), p.pb.bytes->data, p.pb.col_sums.data());
    if (all_constant(q)) {
      StaticColumns& c = p.cols;
      c.col_off.resize(static_cast<size_t>(p.M));
      c.bzp.resize(static_cast<size_t>(p.M));
      c.scale.resize(static_cast<size_t>(p.M));
      c.any_bzp = prepare_columns(q, nullptr, p.M, p.Kdim, p.x_signed, p.w_unsigned, p.pb.col_sums.data(),
                                  c.col_off.data(), c.bzp.data(), c.scale.data());
      c.ready = true;
    }
  }
  ScratchLayout s;
  p.s_xt = s.add(static_cast<size_t>((p.direct_1d ? p.padded_len : p.In) * p.C));
  if (!p.direct_1d) p.s_a = s.add(static_cast<size_t>(p.S * p.Kdim));
  if (!p.pb.bytes) {
    p.s_w = s.add(static_cast<size_t>(p.M * p.Kdim));
    p.s_packed = s.add(mb * static_cast<size_t>(p.group));
    p.s_colsum = s.add(sizeof(int32_t) * static_cast<size_t>(p.M));
  }
  if (!p.cols.ready) {
    p.s_coloff = s.add(sizeof(int32_t) * static_cast<size_t>(p.M));
    p.s_bzp = s.add(sizeof(int32_t) * static_cast<size_t>(p.M));
    p.s_scale = s.add(sizeof(float) * static_cast<size_t>(p.M));
  }
  p.s_rowsum = s.add(sizeof(int32_t) * static_cast<size_t>(p.S));
  p.s_out = s.add(static_cast<size_t>(p.S * p.Mg) * (requant ? 1 : 4));
  ctx.request_scratch(s.size);
  forget_constants(q);
  return std::make_unique<ConvKernel>(plan);
}

std::unique_ptr<Kernel> build_conv_integer(BuildContext& ctx) {
  ctx.expect_inputs(2, 4);
  return build_conv(ctx, GemmInputs{0, 1, -1, 2, -1, 3, -1, -1, -1}, false);
}

// QLinearConv, and saywhen.QConv (the same op, produced by the QDQ rewrite).
std::unique_ptr<Kernel> build_qlinear_conv(BuildContext& ctx) {
  ctx.expect_inputs(8, 9);
  return build_conv(ctx, GemmInputs{0, 3, 1, 2, 4, 5, 6, 7, 8}, true);
}

std::unique_ptr<Kernel> build_matmul_integer(BuildContext& ctx) {
  ctx.expect_inputs(2, 4);
  return build_gemm(ctx, GemmInputs{0, 1, -1, 2, -1, 3, -1, -1, -1}, false, false);
}

// saywhen.MatMulIntegerToFloat (see the top of the file).
std::unique_ptr<Kernel> build_matmul_integer_to_float(BuildContext& ctx) {
  ctx.expect_inputs(5, 7);
  GemmInputs in{0, 1, -1, 2, -1, 3, -1, -1, -1};
  in.dq_scale = 4;
  in.dq_bias = 5;
  in.dq_addend = 6;
  return build_gemm(ctx, in, false, false);
}

std::unique_ptr<Kernel> build_qlinear_matmul(BuildContext& ctx) {
  ctx.expect_inputs(8, 8);
  return build_gemm(ctx, GemmInputs{0, 3, 1, 2, 4, 5, 6, 7, -1}, true, false);
}

// saywhen.QMatMul: QLinearMatMul's inputs, an optional int32 bias (input 8,
// in units of a_scale * b_scale) and transB.
std::unique_ptr<Kernel> build_fused_qmatmul(BuildContext& ctx) {
  ctx.expect_inputs(8, 9);
  return build_gemm(ctx, GemmInputs{0, 3, 1, 2, 4, 5, 6, 7, 8}, true, ctx.attr_int("transB", 0) != 0);
}

// ---- saywhen.QSoftmax --------------------------------------------------------------
//
// DQ -> Softmax -> Q, computed the way ONNX Runtime's QLinearSoftmax does (the
// reference runs that op for this pattern, so its rounding is what to match):
//   table[i] = float(exp((i - 255 + shift) * x_scale)), shift chosen so a row
//              sum cannot overflow float;
//   per row: t = table shifted so the row maximum lands on entry 255,
//            sum = sequential float sum of t[x] (the order matters for the
//            last bit), y = min(255, nearbyint(t[x] * floor(1 / y_scale) / sum) + y_zp)
//            with that last product and quotient in double (ORT 1.32 forms it so:
//            a float quotient rounds some exact halves the other way).
// x_zero_point cancels out of softmax and is not used.

void softmax_table(float x_scale, int64_t D, bool is_signed, float* table) {
  // The logarithm in float, as the reference evaluates it: the last bits of the
  // shift decide some roundings of the output.
  double shift = std::log(std::numeric_limits<float>::max() / static_cast<float>(D));
  shift = std::max(0.0, shift - 5.0) / static_cast<double>(x_scale);
  for (int i = 0; i < 256; ++i) {
    const double v = std::exp((static_cast<double>(i) - 255 + shift) * static_cast<double>(x_scale));
    table[static_cast<uint8_t>(is_signed ? i - 128 : i)] = static_cast<float>(v);
  }
}

struct SoftmaxPlan {
  int64_t rows = 0, D = 0;
  bool is_signed = false;
  bool table_ready = false;
  // 256 entries, then zeros: a row's table is a 256-entry window starting
  // anywhere in the first 256, whose tail the output pass may read.
  float table[512] = {};
};

// Row sums in the reference's order, 8 independent rows at a time so the adds
// overlap; `base[r]` is each row's (shifted) table.
void softmax_row_sums(const uint8_t* x, int64_t rows, int64_t D, const float* const* base, bool is_signed,
                      const int32_t* adjust, float* sums) {
  int64_t r = 0;
  if (!is_signed) {
    for (; r + 8 <= rows; r += 8) {
      float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      const float* b[8];
      for (int k = 0; k < 8; ++k) b[k] = base[r + k];
      const uint8_t* xr = x + r * D;
      int64_t i = 0;
      for (; i + 8 <= D; i += 8) {  // one 8-byte load per row feeds 8 steps
        uint64_t v[8];
        for (int k = 0; k < 8; ++k) std::memcpy(&v[k], xr + k * D + i, 8);
        for (int j = 0; j < 8; ++j)
          for (int k = 0; k < 8; ++k) s[k] += b[k][(v[k] >> (8 * j)) & 255];
      }
      for (; i < D; ++i)
        for (int k = 0; k < 8; ++k) s[k] += b[k][xr[k * D + i]];
      for (int k = 0; k < 8; ++k) sums[r + k] = s[k];
    }
  }
  for (; r < rows; ++r) {
    float s = 0;
    const uint8_t* xr = x + r * D;
    if (is_signed) {
      for (int64_t i = 0; i < D; ++i)
        s += base[r][static_cast<uint8_t>(adjust[r] + static_cast<int8_t>(xr[i]))];
    } else {
      for (int64_t i = 0; i < D; ++i) s += base[r][xr[i]];
    }
    sums[r] = s;
  }
}

std::unique_ptr<Kernel> build_qsoftmax(BuildContext& ctx) {
  ctx.expect_inputs(5, 5);
  ctx.expect_dtype(0, {DType::UInt8, DType::Int8});
  ctx.expect_dtype(1, {DType::Float32});
  ctx.expect_dtype(3, {DType::Float32});
  if (ctx.input_dtype(4) != ctx.input_dtype(0)) ctx.fail("y_zero_point must have x's type");
  const Shape& xs = ctx.input_shape(0);
  if (xs.empty()) ctx.fail("x must have rank >= 1");
  const int64_t rank = static_cast<int64_t>(xs.size());
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", -1), rank);
  // Opset < 13 Softmax flattens from axis; from 13 on only the last axis is
  // fused by the rewrite, and then both read the same contiguous rows.
  if (ctx.attr_int("flatten", 0) == 0 && axis != rank - 1) ctx.fail("only the last axis is supported");
  auto plan = std::make_shared<SoftmaxPlan>();
  plan->D = 1;
  for (int64_t d = axis; d < rank; ++d) plan->D *= xs[static_cast<size_t>(d)];
  plan->rows = plan->D ? shape_numel(xs) / plan->D : 0;
  plan->is_signed = ctx.input_dtype(0) == DType::Int8;
  if (const Tensor* sc = ctx.input_value(1)) {
    softmax_table(sc->data<float>()[0], plan->D, plan->is_signed, plan->table);
    plan->table_ready = true;
  }
  ctx.set_output(0, ctx.input_dtype(0), xs);
  ScratchLayout s;
  s.add(512 * sizeof(float));                                      // run-time table
  s.add(static_cast<size_t>(plan->rows) * sizeof(float));          // row sums
  s.add(static_cast<size_t>(plan->rows) * sizeof(const float*));   // row tables
  s.add(static_cast<size_t>(plan->rows) * sizeof(int32_t));        // signed adjustments
  ctx.request_scratch(s.size);
  return make_kernel([plan](const RunContext& rc) {
    const SoftmaxPlan& p = *plan;
    if (p.rows == 0 || p.D == 0) return;
    uint8_t* scratch = static_cast<uint8_t*>(rc.scratch);
    ScratchLayout s;
    float* table = reinterpret_cast<float*>(scratch + s.add(512 * sizeof(float)));
    float* sums = reinterpret_cast<float*>(scratch + s.add(static_cast<size_t>(p.rows) * sizeof(float)));
    const float** base =
        reinterpret_cast<const float**>(scratch + s.add(static_cast<size_t>(p.rows) * sizeof(const float*)));
    int32_t* adjust = reinterpret_cast<int32_t*>(scratch + s.add(static_cast<size_t>(p.rows) * sizeof(int32_t)));
    if (p.table_ready) {
      std::memcpy(table, p.table, sizeof(p.table));
    } else {
      softmax_table(rc.in(1).data<float>()[0], p.D, p.is_signed, table);
      std::memset(table + 256, 0, 256 * sizeof(float));
    }
    const float y_scale = std::floor(1.0f / rc.in(3).data<float>()[0]);
    const int32_t y_zp = int_at(&rc.in(4), 0);
    const uint8_t* x = static_cast<const uint8_t*>(rc.in(0).raw());
    uint8_t* y = static_cast<uint8_t*>(rc.out(0).raw());
    const int64_t D = p.D;
    parallel(rc.pool, p.rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* xr = x + r * D;
        if (p.is_signed) {
          int8_t mx = -128;
          for (int64_t i = 0; i < D; ++i) mx = std::max(mx, static_cast<int8_t>(xr[i]));
          adjust[r] = 127 - mx;
          base[r] = table;
        } else {
          uint8_t mx = 0;
          for (int64_t i = 0; i < D; ++i) mx = std::max(mx, xr[i]);
          base[r] = table + 255 - mx;
        }
      }
      softmax_row_sums(x + r0 * D, r1 - r0, D, base + r0, p.is_signed, adjust + r0, sums + r0);
      for (int64_t r = r0; r < r1; ++r) {
        const uint8_t* xr = x + r * D;
        uint8_t* yr = y + r * D;
        const float sum = sums[r];
        // The reference leaves the row untouched when the sum is 0 (it cannot
        // be: the row maximum maps to the largest table entry).
        if (sum == 0) continue;
        if (!p.is_signed) {
          qsoftmax_output_u8(xr, D, base[r], y_scale, sum, y_zp, yr);
          continue;
        }
        for (int64_t i = 0; i < D; ++i) {
          const float t = base[r][static_cast<uint8_t>(adjust[r] + static_cast<int8_t>(xr[i]))];
          const double q = static_cast<double>(t) * static_cast<double>(y_scale) / static_cast<double>(sum);
          const int32_t v = static_cast<int32_t>(std::nearbyint(q)) + y_zp;
          yr[i] = static_cast<uint8_t>(v > 255 ? 255 : v);
        }
      }
    });
  });
}

// ---- saywhen.QLut ----------------------------------------------------------------
//
// Q(f(DQ(x))) for an elementwise chain f (see optimize.cpp): f is evaluated
// once at plan time on all 256 inputs, with the registered kernels of its ops,
// so the table is exactly what the unfused nodes compute. Constants of f that
// vary along the last axis give one table per column.

struct LutPlan {
  int64_t columns = 1;
  std::vector<uint8_t> table;  // [columns][256]
};

std::unique_ptr<Kernel> build_qlut(BuildContext& ctx) {
  ctx.expect_inputs(5, 5);
  ctx.expect_dtype(0, {DType::UInt8, DType::Int8});
  ctx.expect_dtype(1, {DType::Float32});
  ctx.expect_dtype(3, {DType::Float32});
  const DType in_t = ctx.input_dtype(0), out_t = ctx.input_dtype(4);
  if (ctx.input_dtype(2) != in_t) ctx.fail("x_zero_point must have x's type");
  if (!is_8bit(out_t)) ctx.fail("y_zero_point must be 8-bit");
  const Shape& xs = ctx.input_shape(0);
  std::shared_ptr<const Graph> body = ctx.attr_graph("body");
  if (!body || body->inputs.size() != 1 || body->outputs.size() != 1) ctx.fail("malformed body");
  int64_t columns = 1;
  for (const auto& kv : body->initializers)
    if (kv.second.numel() > 1) columns = kv.second.numel();
  if (columns > 1 && (xs.empty() || xs.back() != columns))
    ctx.fail("a per-column constant of " + std::to_string(columns) + " values does not match x " + shape_str(xs) +
             " (unsupported broadcast)");
  const Tensor& sx = ctx.require_value(1);
  const Tensor& zx = ctx.require_value(2);
  const Tensor& sy = ctx.require_value(3);
  const Tensor& zy = ctx.require_value(4);
  if (sx.numel() != 1 || zx.numel() != 1 || sy.numel() != 1 || zy.numel() != 1)
    ctx.fail("scales and zero points must be scalars");

  // f over every byte value (row v = the value whose bit pattern is v), in
  // the layout the chain's constants broadcast against.
  Tensor xin(DType::Float32, columns > 1 ? Shape{256, columns} : Shape{256});
  {
    std::vector<uint8_t> bytes(256);
    for (int v = 0; v < 256; ++v) bytes[static_cast<size_t>(v)] = static_cast<uint8_t>(v);
    std::vector<float> vals(256);
    dequantize_linear(bytes.data(), qtype_of(in_t), vals.data(), 256, sx.data<float>()[0], int_at(&zx, 0));
    float* d = xin.data<float>();
    for (int v = 0; v < 256; ++v)
      for (int64_t c = 0; c < columns; ++c) d[v * columns + c] = vals[static_cast<size_t>(v)];
  }
  ModelIR m;
  m.path = "saywhen.QLut body of node '" + ctx.node().name + "'";
  m.opsets[""] = ctx.attr_int("onnx_opset", 17);
  ThreadPool pool(1);
  const std::string in_name = body->inputs[0].name;
  std::vector<Tensor> outs = interpret_graph(
      m, *body, [&](const std::string& n) -> const Tensor* { return n == in_name ? &xin : nullptr; }, &pool);
  if (outs.size() != 1 || outs[0].dtype() != DType::Float32 || outs[0].shape() != xin.shape())
    ctx.fail("the body does not map x elementwise");
  auto plan = std::make_shared<LutPlan>();
  plan->columns = columns;
  std::vector<uint8_t> q(static_cast<size_t>(256 * columns));
  quantize_linear(outs[0].data<float>(), q.data(), qtype_of(out_t), 256 * columns, sy.data<float>()[0],
                  int_at(&zy, 0));
  plan->table.resize(q.size());
  for (int v = 0; v < 256; ++v)
    for (int64_t c = 0; c < columns; ++c)
      plan->table[static_cast<size_t>(c * 256 + v)] = q[static_cast<size_t>(v * columns + c)];
  ctx.set_output(0, out_t, xs);
  return make_kernel([plan](const RunContext& rc) {
    const LutPlan& p = *plan;
    const uint8_t* x = static_cast<const uint8_t*>(rc.in(0).raw());
    uint8_t* y = static_cast<uint8_t*>(rc.out(0).raw());
    const int64_t n = rc.in(0).numel();
    const int64_t C = p.columns;
    const uint8_t* t = p.table.data();
    if (C == 1) {
      parallel(rc.pool, n, 65536, [&](int64_t b, int64_t e) { lut_apply_u8(x + b, e - b, t, y + b); });
      return;
    }
    // Column blocks whose tables (64 x 256 bytes) stay in L1 across the rows.
    const int64_t rows = n / C;
    constexpr int64_t kCols = 64;
    const int64_t blocks = (C + kCols - 1) / kCols;
    parallel(rc.pool, blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t blk = b; blk < e; ++blk) {
        const int64_t c0 = blk * kCols, c1 = std::min(C, c0 + kCols);
        for (int64_t r = 0; r < rows; ++r) {
          const uint8_t* xr = x + r * C;
          uint8_t* yr = y + r * C;
          int64_t c = c0;
          for (; c + 8 <= c1; c += 8) {  // 8 bytes in and out per round
            uint64_t v, o = 0;
            std::memcpy(&v, xr + c, 8);
            const uint8_t* tc = t + c * 256;
            for (int k = 0; k < 8; ++k) o |= uint64_t{tc[k * 256 + ((v >> (8 * k)) & 255)]} << (8 * k);
            std::memcpy(yr + c, &o, 8);
          }
          for (; c < c1; ++c) yr[c] = t[c * 256 + xr[c]];
        }
      }
    });
  });
}

}  // namespace

void register_quantize_ops(OpTable& t) {
  t.add("QuantizeLinear", build_quantize_linear);
  t.add("DequantizeLinear", build_dequantize_linear);
  t.add("DynamicQuantizeLinear", build_dynamic_quantize_linear);
  t.add("MatMulInteger", build_matmul_integer);
  t.add("QLinearMatMul", build_qlinear_matmul);
  t.add("QMatMul", build_fused_qmatmul, "saywhen");
  t.add("MatMulIntegerToFloat", build_matmul_integer_to_float, "saywhen");
  t.add("ConvInteger", build_conv_integer);
  t.add("QLinearConv", build_qlinear_conv);
  t.add("QConv", build_qlinear_conv, "saywhen");
  t.add("QSoftmax", build_qsoftmax, "saywhen");
  t.add("QLut", build_qlut, "saywhen");
}

}  // namespace saywhen::rt
