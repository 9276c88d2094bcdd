// Conv and ConvTranspose (float32, any number of spatial dimensions).
//
// Conv is a GEMM per (image, group): Y[Cout/g, out] = W[Cout/g, Cin/g*k] x cols,
// where cols is the im2col matrix. im2col writes straight into sgemm's packed-B
// panel layout, so the input is gathered once and then read contiguously by the
// micro-kernel; W is read in place as the A operand, bias is the per-row bias.
// K is blocked and the bias added after the whole sum as MLAS's convolution
// does, so the result has ONNX Runtime's bits. 1x1 convolutions with unit
// stride and no padding skip im2col entirely.
//
// ConvTranspose is the adjoint: cols = W^T x X by GEMM, then col2im adds each
// column into the output positions it covers.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "../kernel.h"
#include "sgemm.h"

namespace saywhen::rt {

namespace {

// Spatial axes supported; fixed so run() can keep its counters on the stack.
constexpr size_t kMaxSpatial = 8;
using AxisArray = std::array<int64_t, kMaxSpatial>;

// Caps the im2col buffer; larger outputs are processed in column chunks.
constexpr int64_t kMaxColsBytes = 4 << 20;

size_t align64(size_t bytes) { return (bytes + 63) / 64 * 64; }

struct ConvGeom {
  int64_t nd = 0;
  int64_t batch = 0, cin = 0, cout = 0, group = 1;
  std::vector<int64_t> in, out, kernel, stride, dil, pad_b, pad_e;
  int64_t cg = 0, mg = 0;      // input / output channels per group
  int64_t kprod = 1;           // kernel elements
  int64_t in_size = 1, out_size = 1;
};

// Reads strides/dilations/pads/kernel_shape/group shared by Conv and ConvTranspose.
// `w_spatial` is W's spatial shape; pads are resolved later by the caller.
void read_common(BuildContext& ctx, ConvGeom& g, const Shape& x, const Shape& w) {
  if (x.size() < 3) ctx.fail("X must have rank >= 3 ([N, C, spatial...]), got " + shape_str(x));
  if (w.size() != x.size()) ctx.fail("W " + shape_str(w) + " must have the rank of X " + shape_str(x));
  g.nd = static_cast<int64_t>(x.size()) - 2;
  if (static_cast<size_t>(g.nd) > kMaxSpatial)
    ctx.fail(std::to_string(g.nd) + " spatial dimensions are unsupported (at most " + std::to_string(kMaxSpatial) + ")");
  const size_t nd = static_cast<size_t>(g.nd);
  g.batch = x[0];
  g.cin = x[1];
  g.in.assign(x.begin() + 2, x.end());
  g.kernel.assign(w.begin() + 2, w.end());
  g.group = ctx.attr_int("group", 1);
  if (g.group < 1) ctx.fail("group must be >= 1, got " + std::to_string(g.group));
  auto ks = ctx.attr_ints("kernel_shape");
  if (!ks.empty() && ks != g.kernel)
    ctx.fail("kernel_shape " + shape_str(ks) + " does not match W " + shape_str(w));
  auto per_axis = [&](const char* name, int64_t def, size_t n) {
    auto v = ctx.attr_ints(name);
    if (v.empty()) v.assign(n, def);
    if (v.size() != n)
      ctx.fail(std::string(name) + " has " + std::to_string(v.size()) + " values, expected " + std::to_string(n));
    return v;
  };
  g.stride = per_axis("strides", 1, nd);
  g.dil = per_axis("dilations", 1, nd);
  auto pads = per_axis("pads", 0, 2 * nd);
  g.pad_b.assign(pads.begin(), pads.begin() + g.nd);
  g.pad_e.assign(pads.begin() + g.nd, pads.end());
  for (size_t d = 0; d < nd; ++d) {
    if (g.stride[d] < 1 || g.dil[d] < 1) ctx.fail("strides and dilations must be >= 1");
    if (g.pad_b[d] < 0 || g.pad_e[d] < 0) ctx.fail("negative pads are not supported");
    if (g.kernel[d] < 1) ctx.fail("W has an empty kernel " + shape_str(w));
    g.kprod *= g.kernel[d];
    g.in_size *= g.in[d];
  }
}

// ---- Conv -----------------------------------------------------------------

// im2col of output columns [c0, c0 + ncols) of one (image, group) into packed
// panels; rows are (channel, kernel offset) in W's order.
void im2col_1d(const ConvGeom& g, const float* x, int64_t c0, int64_t ncols, float* dst, int64_t p_begin,
               int64_t p_end) {
  const int64_t L = g.in[0], s = g.stride[0], dil = g.dil[0], pb = g.pad_b[0], kw = g.kernel[0];
  const int64_t kg = g.cg * kw;
  for (int64_t p = p_begin; p < p_end; ++p) {
    const int64_t j0 = c0 + p * kSgemmNR;
    const int64_t cols = std::min(kSgemmNR, c0 + ncols - j0);
    float* panel = dst + p * kg * kSgemmNR;
    for (int64_t ci = 0; ci < g.cg; ++ci) {
      const float* src = x + ci * L;
      for (int64_t kk = 0; kk < kw; ++kk) {
        float* d = panel + (ci * kw + kk) * kSgemmNR;
        const int64_t base = j0 * s + kk * dil - pb;
        if (cols == kSgemmNR && base >= 0 && base + (kSgemmNR - 1) * s < L) {
          if (s == 1) {
            std::memcpy(d, src + base, kSgemmNR * sizeof(float));
          } else if (s == 2) {  // constant stride: the compiler vectorises the deinterleave
            for (int64_t jj = 0; jj < kSgemmNR; ++jj) d[jj] = src[base + 2 * jj];
          } else {
            for (int64_t jj = 0; jj < kSgemmNR; ++jj) d[jj] = src[base + jj * s];
          }
        } else {
          for (int64_t jj = 0; jj < kSgemmNR; ++jj) {
            const int64_t q = base + jj * s;
            d[jj] = jj < cols && q >= 0 && q < L ? src[q] : 0.0f;
          }
        }
      }
    }
  }
}

void im2col_nd(const ConvGeom& g, const float* x, int64_t c0, int64_t ncols, float* dst, int64_t p_begin,
               int64_t p_end) {
  const size_t nd = static_cast<size_t>(g.nd);
  const int64_t kg = g.cg * g.kprod;
  // Per column of the panel: first input coordinate per axis, or "invalid".
  std::array<int64_t, kSgemmNR * kMaxSpatial> start{};
  AxisArray kidx{}, oidx{};
  for (int64_t p = p_begin; p < p_end; ++p) {
    const int64_t j0 = c0 + p * kSgemmNR;
    const int64_t cols = std::min(kSgemmNR, c0 + ncols - j0);
    float* panel = dst + p * kg * kSgemmNR;
    int64_t rem = j0;
    for (size_t d = nd; d-- > 0;) {
      oidx[d] = rem % g.out[d];
      rem /= g.out[d];
    }
    for (int64_t jj = 0; jj < cols; ++jj) {
      for (size_t d = 0; d < nd; ++d) start[static_cast<size_t>(jj) * nd + d] = oidx[d] * g.stride[d] - g.pad_b[d];
      for (size_t d = nd; d-- > 0;) {
        if (++oidx[d] < g.out[d]) break;
        oidx[d] = 0;
      }
    }
    for (int64_t ci = 0; ci < g.cg; ++ci) {
      const float* src = x + ci * g.in_size;
      kidx.fill(0);
      for (int64_t kf = 0; kf < g.kprod; ++kf) {
        float* drow = panel + (ci * g.kprod + kf) * kSgemmNR;
        for (int64_t jj = 0; jj < kSgemmNR; ++jj) {
          float v = 0.0f;
          if (jj < cols) {
            int64_t off = 0;
            bool inside = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t q = start[static_cast<size_t>(jj) * nd + d] + kidx[d] * g.dil[d];
              if (q < 0 || q >= g.in[d]) {
                inside = false;
                break;
              }
              off = off * g.in[d] + q;
            }
            if (inside) v = src[off];
          }
          drow[jj] = v;
        }
        for (size_t d = nd; d-- > 0;) {
          if (++kidx[d] < g.kernel[d]) break;
          kidx[d] = 0;
        }
      }
    }
  }
}

// The input patch under output position `o`, as one row of K = cg * kprod values.
void im2row(const ConvGeom& g, const float* x, int64_t o, float* dst) {
  if (g.nd == 1) {
    const int64_t L = g.in[0], kw = g.kernel[0], dil = g.dil[0];
    const int64_t start = o * g.stride[0] - g.pad_b[0];
    // Kernel taps [k_lo, k_hi) fall inside the input; the rest read padding.
    const int64_t k_lo = start >= 0 ? 0 : std::min(kw, (-start + dil - 1) / dil);
    const int64_t k_hi = std::max(k_lo, std::min(kw, (L - start + dil - 1) / dil));
    if (kw > g.cg) {  // long kernels (an STFT as a convolution): copy runs of taps
      for (int64_t ci = 0; ci < g.cg; ++ci, dst += kw) {
        const float* src = x + ci * L + start;
        std::fill(dst, dst + k_lo, 0.0f);
        if (dil == 1) {
          std::copy(src + k_lo, src + k_hi, dst + k_lo);
        } else {
          for (int64_t kk = k_lo; kk < k_hi; ++kk) dst[kk] = src[kk * dil];
        }
        std::fill(dst + k_hi, dst + kw, 0.0f);
      }
      return;
    }
    // Short kernels (3 taps, many channels): tap-major so each loop runs over
    // all channels.
    for (int64_t kk = 0; kk < kw; ++kk) {
      float* d = dst + kk;
      if (kk < k_lo || kk >= k_hi) {
        for (int64_t ci = 0; ci < g.cg; ++ci) d[ci * kw] = 0.0f;
      } else {
        const float* src = x + start + kk * dil;
        for (int64_t ci = 0; ci < g.cg; ++ci) d[ci * kw] = src[ci * L];
      }
    }
    return;
  }
  const size_t nd = static_cast<size_t>(g.nd);
  AxisArray start{}, kidx{};
  for (size_t d = nd; d-- > 0;) {
    start[d] = (o % g.out[d]) * g.stride[d] - g.pad_b[d];
    o /= g.out[d];
  }
  for (int64_t ci = 0; ci < g.cg; ++ci) {
    const float* src = x + ci * g.in_size;
    kidx.fill(0);
    for (int64_t kf = 0; kf < g.kprod; ++kf) {
      int64_t off = 0;
      bool inside = true;
      for (size_t d = 0; d < nd; ++d) {
        const int64_t q = start[d] + kidx[d] * g.dil[d];
        if (q < 0 || q >= g.in[d]) {
          inside = false;
          break;
        }
        off = off * g.in[d] + q;
      }
      *dst++ = inside ? src[off] : 0.0f;
      for (size_t d = nd; d-- > 0;) {
        if (++kidx[d] < g.kernel[d]) break;
        kidx[d] = 0;
      }
    }
  }
}

std::unique_ptr<Kernel> build_conv(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::Float32) ctx.fail(std::string("element type ") + dtype_name(dt) + " is unsupported (float32 only)");
  for (int i = 1; i < 3; ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != dt)
      ctx.fail("input " + std::to_string(i) + " has element type " + dtype_name(ctx.input_dtype(i)) + ", expected float32");
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  ConvGeom g;
  read_common(ctx, g, xs, ws);
  g.cout = ws[0];
  if (g.cin % g.group != 0 || g.cout % g.group != 0)
    ctx.fail("channels (" + std::to_string(g.cin) + " in, " + std::to_string(g.cout) +
             " out) are not divisible by group " + std::to_string(g.group));
  g.cg = g.cin / g.group;
  g.mg = g.cout / g.group;
  if (ws[1] != g.cg)
    ctx.fail("W " + shape_str(ws) + " expects " + std::to_string(ws[1] * g.group) + " input channels, X " +
             shape_str(xs) + " has " + std::to_string(g.cin));
  if (ctx.has_input(2) && ctx.input_shape(2) != Shape{g.cout})
    ctx.fail("B " + shape_str(ctx.input_shape(2)) + " must be [" + std::to_string(g.cout) + "]");

  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  Shape out_shape = {g.batch, g.cout};
  for (size_t d = 0; d < static_cast<size_t>(g.nd); ++d) {
    const int64_t span = (g.kernel[d] - 1) * g.dil[d] + 1;
    int64_t o;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      o = (g.in[d] + g.stride[d] - 1) / g.stride[d];
      const int64_t total = std::max<int64_t>(0, (o - 1) * g.stride[d] + span - g.in[d]);
      g.pad_b[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      g.pad_e[d] = total - g.pad_b[d];
    } else {
      if (auto_pad == "VALID") g.pad_b[d] = g.pad_e[d] = 0;
      else if (auto_pad != "NOTSET") ctx.fail("auto_pad '" + auto_pad + "' is unsupported");
      const int64_t padded = g.in[d] + g.pad_b[d] + g.pad_e[d];
      if (padded < span)
        ctx.fail("kernel extent " + std::to_string(span) + " exceeds padded input " + std::to_string(padded) +
                 " on spatial axis " + std::to_string(d));
      o = (padded - span) / g.stride[d] + 1;
    }
    g.out.push_back(o);
    g.out_size *= o;
    out_shape.push_back(o);
  }
  ctx.set_output(0, dt, out_shape);

  bool pointwise = true;
  for (size_t d = 0; d < static_cast<size_t>(g.nd); ++d)
    pointwise = pointwise && g.kernel[d] == 1 && g.stride[d] == 1 && g.pad_b[d] == 0 && g.pad_e[d] == 0;
  const int64_t kg = g.cg * g.kprod;
  const bool has_bias = ctx.has_input(2);

  // Few output positions (Silero's 1..4 frames): as Cout x positions, most of
  // every vector lane would be padding. Compute the transpose instead,
  // positions x Cout, against W^T packed now; Cout fills the lanes.
  const Tensor* wv = ctx.input_value(1);
  if (wv && kg > 0 && g.out_size < 16 && g.mg > g.out_size) {
    const int64_t psize = sgemm_packed_b_floats(kg, g.mg);
    AlignedFloats wt(g.group * psize);
    for (int64_t gi = 0; gi < g.group; ++gi)
      sgemm_pack_b(wv->data<float>() + gi * g.mg * kg, kg, true, kg, g.mg, wt.data() + gi * psize);
    const int64_t rows = g.batch * g.out_size;
    const size_t at_bytes = align64(static_cast<size_t>(rows * kg) * sizeof(float));
    ctx.request_scratch(at_bytes + align64(static_cast<size_t>(rows * g.mg) * sizeof(float)));
    return make_kernel([g, kg, has_bias, psize, rows, at_bytes, wt = std::move(wt)](const RunContext& ctx) {
      if (rows == 0 || g.cout == 0) return;
      const float* x = ctx.in(0).data<float>();
      const float* bias = has_bias ? ctx.in(2).data<float>() : nullptr;
      float* y = ctx.out(0).data<float>();
      float* at = static_cast<float*>(ctx.scratch);
      float* ct = reinterpret_cast<float*>(static_cast<uint8_t*>(ctx.scratch) + at_bytes);
      for (int64_t gi = 0; gi < g.group; ++gi) {
        for (int64_t n = 0; n < g.batch; ++n)
          for (int64_t o = 0; o < g.out_size; ++o)
            im2row(g, x + (n * g.cin + gi * g.cg) * g.in_size, o, at + (n * g.out_size + o) * kg);
        SgemmArgs a;
        a.M = rows;
        a.N = g.mg;
        a.K = kg;
        a.a = at;
        a.lda = kg;
        a.b = wt.data() + gi * psize;
        a.b_packed = true;
        a.bias_n = bias ? bias + gi * g.mg : nullptr;
        a.kc = sgemm_k_block(g.out_size, kg);
        a.bias_after_sum = true;
        if (g.out_size == 1) {
          // Row n of the transposed product is already Y[n, group channels].
          a.c = y + gi * g.mg;
          a.ldc = g.cout;
          sgemm(a, ctx.pool);
          continue;
        }
        a.c = ct;
        a.ldc = g.mg;
        sgemm(a, ctx.pool);
        for (int64_t n = 0; n < g.batch; ++n)
          for (int64_t o = 0; o < g.out_size; ++o) {
            const float* cr = ct + (n * g.out_size + o) * g.mg;
            float* yr = y + (n * g.cout + gi * g.mg) * g.out_size + o;
            for (int64_t m = 0; m < g.mg; ++m) yr[m * g.out_size] = cr[m];
          }
      }
    });
  }

  int64_t chunk = 0;
  if (!pointwise && kg > 0 && g.out_size > 0) {
    const int64_t panels = std::max<int64_t>(1, kMaxColsBytes / (kg * kSgemmNR * 4));
    chunk = std::min(panels * kSgemmNR, (g.out_size + kSgemmNR - 1) / kSgemmNR * kSgemmNR);
    ctx.request_scratch(align64(static_cast<size_t>(kg * chunk) * sizeof(float)));
  }

  return make_kernel([g, pointwise, chunk, kg, has_bias](const RunContext& ctx) {
    if (g.batch == 0 || g.cout == 0 || g.out_size == 0) return;
    const float* x = ctx.in(0).data<float>();
    const float* w = ctx.in(1).data<float>();
    const float* bias = has_bias ? ctx.in(2).data<float>() : nullptr;
    float* y = ctx.out(0).data<float>();
    float* cols = static_cast<float*>(ctx.scratch);
    for (int64_t n = 0; n < g.batch; ++n) {
      for (int64_t gi = 0; gi < g.group; ++gi) {
        const float* xg = x + (n * g.cin + gi * g.cg) * g.in_size;
        SgemmArgs a;
        a.M = g.mg;
        a.K = kg;
        a.a = w + gi * g.mg * kg;
        a.lda = kg;
        a.ldc = g.out_size;
        a.bias_m = bias ? bias + gi * g.mg : nullptr;
        a.kc = sgemm_k_block(g.out_size, kg);
        a.bias_after_sum = true;
        float* yg = y + (n * g.cout + gi * g.mg) * g.out_size;
        if (pointwise || kg == 0) {
          a.N = g.out_size;
          a.b = xg;
          a.ldb = g.in_size;
          a.c = yg;
          sgemm(a, ctx.pool);
          continue;
        }
        for (int64_t c0 = 0; c0 < g.out_size; c0 += chunk) {
          const int64_t nc = std::min(chunk, g.out_size - c0);
          const int64_t panels = (nc + kSgemmNR - 1) / kSgemmNR;
          // Split the gather only when each thread gets a worthwhile share.
          const int64_t min_panels = std::max<int64_t>(1, (int64_t{1} << 17) / (kg * kSgemmNR));
          ctx.pool->parallel_for(panels, min_panels, [&](int64_t pb, int64_t pe) {
            if (g.nd == 1) im2col_1d(g, xg, c0, nc, cols, pb, pe);
            else im2col_nd(g, xg, c0, nc, cols, pb, pe);
          });
          a.N = nc;
          a.b = cols;
          a.b_packed = true;
          a.c = yg + c0;
          sgemm(a, ctx.pool);
        }
      }
    }
  });
}

// ---- ConvTranspose ----------------------------------------------------------

std::unique_ptr<Kernel> build_conv_transpose(BuildContext& ctx) {
  ctx.expect_inputs(2, 3);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::Float32) ctx.fail(std::string("element type ") + dtype_name(dt) + " is unsupported (float32 only)");
  for (int i = 1; i < 3; ++i)
    if (ctx.has_input(i) && ctx.input_dtype(i) != dt)
      ctx.fail("input " + std::to_string(i) + " has element type " + dtype_name(ctx.input_dtype(i)) + ", expected float32");
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  ConvGeom g;
  read_common(ctx, g, xs, ws);
  if (g.cin % g.group != 0)
    ctx.fail("input channels " + std::to_string(g.cin) + " are not divisible by group " + std::to_string(g.group));
  if (ws[0] != g.cin)
    ctx.fail("W " + shape_str(ws) + " expects " + std::to_string(ws[0]) + " input channels, X " + shape_str(xs) +
             " has " + std::to_string(g.cin));
  g.cg = g.cin / g.group;
  g.mg = ws[1];
  g.cout = g.mg * g.group;
  if (ctx.has_input(2) && ctx.input_shape(2) != Shape{g.cout})
    ctx.fail("B " + shape_str(ctx.input_shape(2)) + " must be [" + std::to_string(g.cout) + "]");

  const size_t nd = static_cast<size_t>(g.nd);
  std::vector<int64_t> out_pad = ctx.attr_ints("output_padding");
  if (out_pad.empty()) out_pad.assign(nd, 0);
  if (out_pad.size() != nd) ctx.fail("output_padding must have " + std::to_string(nd) + " values");
  std::vector<int64_t> out_shape_attr = ctx.attr_ints("output_shape");
  if (out_shape_attr.size() == nd + 2) out_shape_attr.erase(out_shape_attr.begin(), out_shape_attr.begin() + 2);
  if (!out_shape_attr.empty() && out_shape_attr.size() != nd)
    ctx.fail("output_shape must have " + std::to_string(nd) + " values");
  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER")
    ctx.fail("auto_pad '" + auto_pad + "' is unsupported");

  Shape out_shape = {g.batch, g.cout};
  for (size_t d = 0; d < nd; ++d) {
    const int64_t span = (g.kernel[d] - 1) * g.dil[d] + 1;
    const int64_t full = g.stride[d] * (g.in[d] - 1) + out_pad[d] + span;  // before removing pads
    int64_t o;
    if (!out_shape_attr.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      o = !out_shape_attr.empty() ? out_shape_attr[d] : g.in[d] * g.stride[d];
      if (o < 0) ctx.fail("output_shape has a negative size");
      // Negative when output_shape asks for more than the input covers: the
      // extra positions get only the bias. Floor division, as in the ONNX
      // reference, so the odd unit of padding goes to the same side either way.
      const int64_t total = full - o;
      const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
      if (auto_pad == "SAME_UPPER") {
        g.pad_b[d] = half;
        g.pad_e[d] = total - half;
      } else {
        g.pad_b[d] = total - half;
        g.pad_e[d] = half;
      }
    } else {
      if (auto_pad == "VALID") g.pad_b[d] = g.pad_e[d] = 0;
      o = full - g.pad_b[d] - g.pad_e[d];
      if (o < 0) ctx.fail("pads leave a negative output size on spatial axis " + std::to_string(d));
    }
    g.out.push_back(o);
    g.out_size *= o;
    out_shape.push_back(o);
  }
  ctx.set_output(0, dt, out_shape);

  // cols[mg*kprod, in_size] = W_g^T [mg*kprod, cg] x X_g [cg, in_size].
  const int64_t rows = g.mg * g.kprod;
  AlignedFloats wt;  // W^T per group, when W is known now
  auto transpose_w = [g, rows](const float* w, float* dst) {
    for (int64_t gi = 0; gi < g.group; ++gi)
      for (int64_t c = 0; c < g.cg; ++c)
        for (int64_t r = 0; r < rows; ++r)
          dst[(gi * rows + r) * g.cg + c] = w[(gi * g.cg + c) * rows + r];
  };
  if (const Tensor* wv = ctx.input_value(1)) {
    wt = AlignedFloats(g.group * rows * g.cg);
    transpose_w(wv->data<float>(), wt.data());
  }
  const size_t cols_bytes = align64(static_cast<size_t>(rows * g.in_size) * sizeof(float));
  const size_t wt_bytes = wt.size() ? 0 : align64(static_cast<size_t>(g.group * rows * g.cg) * sizeof(float));
  ctx.request_scratch(cols_bytes + wt_bytes);
  const bool has_bias = ctx.has_input(2);

  return make_kernel([g, rows, has_bias, cols_bytes, transpose_w, wt = std::move(wt)](const RunContext& ctx) {
    float* y = ctx.out(0).data<float>();
    if (ctx.out(0).numel() == 0) return;
    const float* x = ctx.in(0).data<float>();
    const float* bias = has_bias ? ctx.in(2).data<float>() : nullptr;
    float* cols = static_cast<float*>(ctx.scratch);
    const float* w_t = wt.data();
    if (!wt.size()) {
      float* t = reinterpret_cast<float*>(static_cast<uint8_t*>(ctx.scratch) + cols_bytes);
      transpose_w(ctx.in(1).data<float>(), t);
      w_t = t;
    }
    const size_t nd = static_cast<size_t>(g.nd);
    AxisArray kidx{}, iidx{};
    for (int64_t n = 0; n < g.batch; ++n) {
      for (int64_t gi = 0; gi < g.group; ++gi) {
        float* yg = y + (n * g.cout + gi * g.mg) * g.out_size;
        for (int64_t m = 0; m < g.mg; ++m)
          std::fill(yg + m * g.out_size, yg + (m + 1) * g.out_size, bias ? bias[gi * g.mg + m] : 0.0f);
        if (g.in_size == 0 || rows == 0) continue;
        SgemmArgs a;
        a.M = rows;
        a.N = g.in_size;
        a.K = g.cg;
        a.a = w_t + gi * rows * g.cg;
        a.lda = g.cg;
        a.b = x + (n * g.cin + gi * g.cg) * g.in_size;
        a.ldb = g.in_size;
        a.c = cols;
        a.ldc = g.in_size;
        sgemm(a, ctx.pool);
        // col2im: row (m, kernel offset), column (input position) lands on
        // output position in*stride + k*dilation - pad_begin.
        for (int64_t m = 0; m < g.mg; ++m) {
          float* ym = yg + m * g.out_size;
          kidx.fill(0);
          for (int64_t kf = 0; kf < g.kprod; ++kf) {
            const float* crow = cols + (m * g.kprod + kf) * g.in_size;
            iidx.fill(0);
            for (int64_t i = 0; i < g.in_size; ++i) {
              int64_t off = 0;
              bool inside = true;
              for (size_t d = 0; d < nd; ++d) {
                const int64_t o = iidx[d] * g.stride[d] + kidx[d] * g.dil[d] - g.pad_b[d];
                if (o < 0 || o >= g.out[d]) {
                  inside = false;
                  break;
                }
                off = off * g.out[d] + o;
              }
              if (inside) ym[off] += crow[i];
              for (size_t d = nd; d-- > 0;) {
                if (++iidx[d] < g.in[d]) break;
                iidx[d] = 0;
              }
            }
            for (size_t d = nd; d-- > 0;) {
              if (++kidx[d] < g.kernel[d]) break;
              kidx[d] = 0;
            }
          }
        }
      }
    }
  });
}

}  // namespace

void register_conv_ops(OpTable& t) {
  t.add("Conv", &build_conv);
  t.add("ConvTranspose", &build_conv_transpose);
}

}  // namespace saywhen::rt
