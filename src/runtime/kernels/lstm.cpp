// Recurrent layers: LSTM, GRU and RNN (ai.onnx, opsets 7-22, layout 0 and 1).
//
// Each direction's W and R are packed, at plan time when they are constants,
// into column panels of kNR gate outputs holding K rows of kNR floats, so one
// time step is a register-blocked matrix-vector product per weight matrix that
// streams the weights once: for Silero VAD (batch 1, one step, hidden 128) the
// whole call is two 128x512 products and a few hundred activations. Each gate
// is padded to a whole number of panels so a gate's outputs can be computed on
// their own (GRU needs its reset gate before the candidate state).
//
// The per-step code is compiled twice, baseline and AVX2+FMA, and picked at run
// time from cpu(). Batch rows and directions are independent for the whole
// sequence, so they are what is split across threads.
#include <algorithm>
#include <bit>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../cpu.h"
#include "../kernel.h"
#include "clone_math.h"

namespace saywhen::rt {
namespace {

constexpr int64_t kNR = 32;  // gate outputs per packed panel

// ---------------------------------------------------------------------------
// Vectorisable float math (blend and fast_exp: clone_math.h).

SW_INLINE float abs_f(float x) { return std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7FFFFFFFu); }

SW_INLINE float copysign_f(float mag, float sgn) {
  return std::bit_cast<float>((std::bit_cast<uint32_t>(mag) & 0x7FFFFFFFu) |
                              (std::bit_cast<uint32_t>(sgn) & 0x80000000u));
}

SW_INLINE float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

// tanh: an odd polynomial near 0, where 1 - 2/(e^2x + 1) would lose the
// relative precision of small results; that form elsewhere.
SW_INLINE float fast_tanh(float x) {
  const float ax = abs_f(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  const float large = copysign_f(1.0f - 2.0f / (fast_exp(2.0f * ax) + 1.0f), x);
  return blend(ax < 0.625f, small, large);
}

// ---------------------------------------------------------------------------
// Activations

struct Act {
  enum Kind { Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus };
  Kind kind = Sigmoid;
  float alpha = 0, beta = 0;
};

SW_INLINE void apply_act(const Act& a, float* v, int64_t n) {
  const float al = a.alpha, be = a.beta;
  switch (a.kind) {
    case Act::Sigmoid:
      for (int64_t i = 0; i < n; ++i) v[i] = fast_sigmoid(v[i]);
      break;
    case Act::Tanh:
      for (int64_t i = 0; i < n; ++i) v[i] = fast_tanh(v[i]);
      break;
    case Act::Relu:
      for (int64_t i = 0; i < n; ++i) v[i] = blend(v[i] > 0.0f, v[i], 0.0f);
      break;
    case Act::Affine:
      for (int64_t i = 0; i < n; ++i) v[i] = al * v[i] + be;
      break;
    case Act::LeakyRelu:
      for (int64_t i = 0; i < n; ++i) v[i] = blend(v[i] >= 0.0f, v[i], al * v[i]);
      break;
    case Act::ThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) v[i] = blend(v[i] > al, v[i], 0.0f);
      break;
    case Act::ScaledTanh:
      for (int64_t i = 0; i < n; ++i) v[i] = al * fast_tanh(be * v[i]);
      break;
    case Act::HardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        const float y = al * v[i] + be;
        v[i] = blend(y < 0.0f, 0.0f, blend(y > 1.0f, 1.0f, y));
      }
      break;
    case Act::Elu:
      for (int64_t i = 0; i < n; ++i) v[i] = blend(v[i] >= 0.0f, v[i], al * (fast_exp(v[i]) - 1.0f));
      break;
    case Act::Softsign:
      for (int64_t i = 0; i < n; ++i) v[i] = v[i] / (1.0f + abs_f(v[i]));
      break;
    case Act::Softplus:
      for (int64_t i = 0; i < n; ++i) v[i] = std::log1p(std::exp(-std::fabs(v[i]))) + std::max(v[i], 0.0f);
      break;
  }
}

SW_INLINE void clip_inplace(float* v, int64_t n, float clip) {
  for (int64_t i = 0; i < n; ++i) {
    const float c = blend(v[i] < -clip, -clip, v[i]);
    v[i] = blend(c > clip, clip, c);
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The activations for every direction, `per_dir` each. activation_alpha and
// activation_beta are consumed in order by the functions that take them (as
// onnxruntime does); the others use the ONNX operators' defaults.
std::vector<Act> parse_activations(const BuildContext& ctx, std::vector<std::string> defaults, int64_t dirs) {
  const size_t per_dir = defaults.size();
  std::vector<std::string> names;
  if (ctx.has_attr("activations")) {
    const auto& a = ctx.node().attrs.at("activations");
    if (a.kind != Attribute::Kind::Strings) ctx.fail("attribute 'activations' must be a list of strings");
    names = a.strings;
  }
  if (names.empty()) {
    for (int64_t d = 0; d < dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && dirs == 2) {
    std::vector<std::string> twice = names;
    twice.insert(twice.end(), names.begin(), names.end());
    names = twice;
  } else if (names.size() != per_dir * static_cast<size_t>(dirs)) {
    ctx.fail("expects " + std::to_string(per_dir * static_cast<size_t>(dirs)) + " activations, got " +
             std::to_string(names.size()));
  }
  const std::vector<float> alphas = ctx.attr_floats("activation_alpha");
  const std::vector<float> betas = ctx.attr_floats("activation_beta");
  size_t ai = 0, bi = 0;
  auto next = [](const std::vector<float>& v, size_t& i, float def) { return i < v.size() ? v[i++] : def; };
  std::vector<Act> acts;
  for (const std::string& raw : names) {
    const std::string n = lower(raw);
    Act a;
    if (n == "sigmoid") a.kind = Act::Sigmoid;
    else if (n == "tanh") a.kind = Act::Tanh;
    else if (n == "relu") a.kind = Act::Relu;
    else if (n == "affine") a.kind = Act::Affine, a.alpha = next(alphas, ai, 1.0f), a.beta = next(betas, bi, 0.0f);
    else if (n == "leakyrelu") a.kind = Act::LeakyRelu, a.alpha = next(alphas, ai, 0.01f);
    else if (n == "thresholdedrelu") a.kind = Act::ThresholdedRelu, a.alpha = next(alphas, ai, 1.0f);
    else if (n == "scaledtanh") a.kind = Act::ScaledTanh, a.alpha = next(alphas, ai, 1.0f), a.beta = next(betas, bi, 1.0f);
    else if (n == "hardsigmoid") a.kind = Act::HardSigmoid, a.alpha = next(alphas, ai, 0.2f), a.beta = next(betas, bi, 0.5f);
    else if (n == "elu") a.kind = Act::Elu, a.alpha = next(alphas, ai, 1.0f);
    else if (n == "softsign") a.kind = Act::Softsign;
    else if (n == "softplus") a.kind = Act::Softplus;
    else ctx.fail("unsupported activation '" + raw + "'");
    acts.push_back(a);
  }
  return acts;
}

// ---------------------------------------------------------------------------
// Packed matrix-vector product

template <bool kFma>
SW_INLINE float madd(float a, float b, float c) {
  if constexpr (kFma) return __builtin_fmaf(a, b, c);
  else return a * b + c;
}

// y[0, panels*kNR) += P^T v, P packed as `panels` panels of K rows of kNR.
// kU independent accumulator sets hide the add/FMA latency.
template <int kU, bool kFma>
SW_INLINE void gemv_acc(const float* __restrict P, const float* __restrict v, int64_t K, int64_t panels,
                        float* __restrict y) {
  for (int64_t p = 0; p < panels; ++p) {
    const float* pp = P + p * K * kNR;
    float acc[kU][kNR];
    for (int64_t j = 0; j < kNR; ++j) acc[0][j] = y[p * kNR + j];
    for (int u = 1; u < kU; ++u)
      for (int64_t j = 0; j < kNR; ++j) acc[u][j] = 0.0f;
    int64_t k = 0;
    for (; k + kU <= K; k += kU)
      for (int u = 0; u < kU; ++u) {
        const float vk = v[k + u];
        const float* row = pp + (k + u) * kNR;
        for (int64_t j = 0; j < kNR; ++j) acc[u][j] = madd<kFma>(vk, row[j], acc[u][j]);
      }
    for (; k < K; ++k) {
      const float vk = v[k];
      const float* row = pp + k * kNR;
      for (int64_t j = 0; j < kNR; ++j) acc[0][j] = madd<kFma>(vk, row[j], acc[0][j]);
    }
    for (int u = 1; u < kU; ++u)
      for (int64_t j = 0; j < kNR; ++j) acc[0][j] += acc[u][j];
    for (int64_t j = 0; j < kNR; ++j) y[p * kNR + j] = acc[0][j];
  }
}

// ---------------------------------------------------------------------------
// The layer

enum class Cell { LSTM, GRU, RNN };

struct Dims {
  Cell cell = Cell::LSTM;
  int64_t G = 4;           // gates
  int64_t S = 0, B = 0, I = 0, H = 0, D = 1;
  int64_t Hp = 0;          // H rounded up to kNR
  int64_t panels = 0;      // G * Hp / kNR
  bool layout1 = false;
  bool reverse_only = false;  // direction == "reverse"
  float clip = 0;          // <= 0: none
  bool input_forget = false;
  bool linear_before_reset = false;
  bool peepholes = false;
  int64_t seq_lens_dtype_size = 4;

  // Floats of one direction's packed block: W panels, R panels, the x-side
  // bias (every gate; for LSTM/RNN both biases summed), the h-side bias
  // (GRU's candidate gate only), and the peepholes (3 * Hp).
  int64_t w_size() const { return panels * I * kNR; }
  int64_t r_size() const { return panels * H * kNR; }
  int64_t dir_size() const { return w_size() + r_size() + 2 * G * Hp + 3 * Hp; }
  // Floats of per-(direction, batch row) state: h, c, two gate buffers, r*h.
  int64_t item_size() const { return 2 * Hp + 2 * G * Hp + Hp; }
};

// Packs W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] (or null) and P [D, 3*H]
// (or null) into `dst` (D * dir_size() floats).
void pack_weights(const Dims& d, const float* W, const float* R, const float* Bias, const float* P, float* dst) {
  const int64_t H = d.H, Hp = d.Hp, G = d.G, I = d.I;
  for (int64_t dir = 0; dir < d.D; ++dir) {
    float* base = dst + dir * d.dir_size();
    float* wp = base;
    float* rp = wp + d.w_size();
    float* bx = rp + d.r_size();
    float* bh = bx + G * Hp;
    float* pp = bh + G * Hp;
    std::fill(base, base + d.dir_size(), 0.0f);
    const float* Wd = W + dir * G * H * I;
    const float* Rd = R + dir * G * H * H;
    for (int64_t g = 0; g < G; ++g)
      for (int64_t h = 0; h < H; ++h) {
        const int64_t col = g * Hp + h, panel = col / kNR, j = col % kNR;
        const float* wrow = Wd + (g * H + h) * I;
        for (int64_t k = 0; k < I; ++k) wp[(panel * I + k) * kNR + j] = wrow[k];
        const float* rrow = Rd + (g * H + h) * H;
        for (int64_t k = 0; k < H; ++k) rp[(panel * H + k) * kNR + j] = rrow[k];
        if (Bias) {
          const float wb = Bias[dir * 2 * G * H + g * H + h];
          const float rb = Bias[dir * 2 * G * H + G * H + g * H + h];
          if (d.cell == Cell::GRU && g == 2) {
            bx[col] = wb;
            bh[col] = rb;
          } else {
            bx[col] = wb + rb;
          }
        }
      }
    if (P)
      for (int64_t g = 0; g < 3; ++g)
        for (int64_t h = 0; h < H; ++h) pp[g * Hp + h] = P[dir * 3 * H + g * H + h];
  }
}

struct IoPtrs {
  const float* X = nullptr;
  const float* init_h = nullptr;
  const float* init_c = nullptr;
  const void* seq_lens = nullptr;
  float* Y = nullptr;
  float* Y_h = nullptr;
  float* Y_c = nullptr;
};

int64_t seq_len_of(const Dims& d, const IoPtrs& io, int64_t b) {
  if (!io.seq_lens) return d.S;
  return d.seq_lens_dtype_size == 8 ? static_cast<const int64_t*>(io.seq_lens)[b]
                                    : static_cast<const int32_t*>(io.seq_lens)[b];
}

// Runs one (direction, batch row) over its whole sequence. `buf` is
// item_size() floats of scratch.
template <int kU, bool kFma>
SW_INLINE void run_item(const Dims& d, const Act* acts, const float* packed, const IoPtrs& io, int64_t dir,
                        int64_t b, float* buf) {
  const int64_t H = d.H, Hp = d.Hp, I = d.I, S = d.S, B = d.B, D = d.D, G = d.G;
  const float* wp = packed + dir * d.dir_size();
  const float* rp = wp + d.w_size();
  const float* bx = rp + d.r_size();
  const float* bh = bx + G * Hp;
  const float* pp = bh + G * Hp;
  float* h = buf;
  float* c = h + Hp;
  float* gx = c + Hp;
  float* gh = gx + G * Hp;
  float* rh = gh + G * Hp;
  const bool reverse = dir == 1 || d.reverse_only;
  const int64_t len = seq_len_of(d, io, b);
  const int64_t state_off = d.layout1 ? (b * D + dir) * H : (dir * B + b) * H;
  const int nact = d.cell == Cell::LSTM ? 3 : d.cell == Cell::GRU ? 2 : 1;
  const Act& f = acts[dir * nact];
  const Act& g = acts[dir * nact + (nact > 1 ? 1 : 0)];
  const Act& hact = acts[dir * nact + (nact > 2 ? 2 : 0)];

  for (int64_t j = 0; j < Hp; ++j) h[j] = c[j] = 0.0f;
  if (io.init_h) std::memcpy(h, io.init_h + state_off, static_cast<size_t>(H) * sizeof(float));
  if (io.init_c) std::memcpy(c, io.init_c + state_off, static_cast<size_t>(H) * sizeof(float));

  for (int64_t s = 0; s < len; ++s) {
    const int64_t t = reverse ? len - 1 - s : s;
    const float* x = io.X + (d.layout1 ? (b * S + t) : (t * B + b)) * I;
    std::memcpy(gx, bx, static_cast<size_t>(G * Hp) * sizeof(float));
    gemv_acc<kU, kFma>(wp, x, I, d.panels, gx);

    if (d.cell == Cell::LSTM) {
      gemv_acc<kU, kFma>(rp, h, H, d.panels, gx);
      float* gi = gx;
      float* go = gx + Hp;
      float* gf = gx + 2 * Hp;
      float* gc = gx + 3 * Hp;
      if (d.peepholes)
        for (int64_t j = 0; j < H; ++j) {
          gi[j] += pp[j] * c[j];
          gf[j] += pp[2 * Hp + j] * c[j];
        }
      if (d.clip > 0) {
        clip_inplace(gi, H, d.clip);
        clip_inplace(gf, H, d.clip);
        clip_inplace(gc, H, d.clip);
      }
      apply_act(f, gi, H);
      if (d.input_forget) {
        for (int64_t j = 0; j < H; ++j) gf[j] = 1.0f - gi[j];
      } else {
        apply_act(f, gf, H);
      }
      apply_act(g, gc, H);
      for (int64_t j = 0; j < H; ++j) c[j] = gf[j] * c[j] + gi[j] * gc[j];
      if (d.peepholes)
        for (int64_t j = 0; j < H; ++j) go[j] += pp[Hp + j] * c[j];
      if (d.clip > 0) clip_inplace(go, H, d.clip);
      apply_act(f, go, H);
      // gc is free now: it holds h(C) on the way to the new hidden state.
      for (int64_t j = 0; j < H; ++j) gc[j] = c[j];
      apply_act(hact, gc, H);
      for (int64_t j = 0; j < H; ++j) h[j] = go[j] * gc[j];
    } else if (d.cell == Cell::GRU) {
      const int64_t gate_panels = Hp / kNR;
      float* zx = gx;
      float* rx = gx + Hp;
      float* hx = gx + 2 * Hp;
      std::memcpy(gh, bh, static_cast<size_t>(G * Hp) * sizeof(float));
      // z and r from h; the candidate's R product from h (linear_before_reset)
      // or from r*h, which needs r first.
      gemv_acc<kU, kFma>(rp, h, H, d.linear_before_reset ? d.panels : 2 * gate_panels, gh);
      for (int64_t j = 0; j < H; ++j) {
        zx[j] += gh[j];
        rx[j] += gh[Hp + j];
      }
      if (d.clip > 0) {
        clip_inplace(zx, H, d.clip);
        clip_inplace(rx, H, d.clip);
      }
      apply_act(f, zx, H);
      apply_act(f, rx, H);
      float* hh = gh + 2 * Hp;
      if (d.linear_before_reset) {
        for (int64_t j = 0; j < H; ++j) hx[j] += rx[j] * hh[j];
      } else {
        for (int64_t j = 0; j < H; ++j) rh[j] = rx[j] * h[j];
        gemv_acc<kU, kFma>(rp + 2 * gate_panels * H * kNR, rh, H, gate_panels, hh);
        for (int64_t j = 0; j < H; ++j) hx[j] += hh[j];
      }
      if (d.clip > 0) clip_inplace(hx, H, d.clip);
      apply_act(g, hx, H);
      for (int64_t j = 0; j < H; ++j) h[j] = (1.0f - zx[j]) * hx[j] + zx[j] * h[j];
    } else {
      gemv_acc<kU, kFma>(rp, h, H, d.panels, gx);
      if (d.clip > 0) clip_inplace(gx, H, d.clip);
      apply_act(f, gx, H);
      std::memcpy(h, gx, static_cast<size_t>(H) * sizeof(float));
    }
    if (io.Y)
      std::memcpy(io.Y + (d.layout1 ? ((b * S + t) * D + dir) : ((t * D + dir) * B + b)) * H, h,
                  static_cast<size_t>(H) * sizeof(float));
  }
  if (io.Y)
    for (int64_t t = len; t < S; ++t)
      std::memset(io.Y + (d.layout1 ? ((b * S + t) * D + dir) : ((t * D + dir) * B + b)) * H, 0,
                  static_cast<size_t>(H) * sizeof(float));
  if (io.Y_h) std::memcpy(io.Y_h + state_off, h, static_cast<size_t>(H) * sizeof(float));
  if (io.Y_c) std::memcpy(io.Y_c + state_off, c, static_cast<size_t>(H) * sizeof(float));
}

void run_items_ref(const Dims& d, const Act* acts, const float* packed, const IoPtrs& io, int64_t i0, int64_t i1,
                   float* scratch) {
  for (int64_t i = i0; i < i1; ++i)
    run_item<1, false>(d, acts, packed, io, i / d.B, i % d.B, scratch + i * d.item_size());
}
#if SW_HAVE_AVX2_CLONES
SW_AVX2 void run_items_avx2(const Dims& d, const Act* acts, const float* packed, const IoPtrs& io, int64_t i0,
                            int64_t i1, float* scratch) {
  for (int64_t i = i0; i < i1; ++i)
    run_item<2, true>(d, acts, packed, io, i / d.B, i % d.B, scratch + i * d.item_size());
}
#endif

template <Cell kCell>
std::unique_ptr<Kernel> build_rnn(BuildContext& ctx) {
  Dims d;
  d.cell = kCell;
  d.G = kCell == Cell::LSTM ? 4 : kCell == Cell::GRU ? 3 : 1;
  ctx.expect_inputs(3, kCell == Cell::LSTM ? 8 : 6);
  for (int i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i) && i != 4 && ctx.input_dtype(i) != DType::Float32)
      ctx.fail(std::string("unsupported element type ") + dtype_name(ctx.input_dtype(i)) + " for input " +
               std::to_string(i) + " (float32 only)");
  const Shape& xs = ctx.input_shape(0);
  const Shape& ws = ctx.input_shape(1);
  const Shape& rs = ctx.input_shape(2);
  if (xs.size() != 3 || ws.size() != 3 || rs.size() != 3) ctx.fail("X, W and R must have rank 3");
  d.layout1 = ctx.opset() >= 14 && ctx.attr_int("layout", 0) != 0;
  d.S = d.layout1 ? xs[1] : xs[0];
  d.B = d.layout1 ? xs[0] : xs[1];
  d.I = xs[2];
  const std::string dir = ctx.attr_string("direction", "forward");
  if (dir == "forward" || dir == "reverse") d.D = 1;
  else if (dir == "bidirectional") d.D = 2;
  else ctx.fail("unsupported direction '" + dir + "'");
  d.reverse_only = dir == "reverse";
  d.H = rs[2];
  if (ctx.has_attr("hidden_size") && ctx.attr_int("hidden_size") != d.H)
    ctx.fail("hidden_size " + std::to_string(ctx.attr_int("hidden_size")) + " does not match R " + shape_str(rs));
  const int64_t GH = d.G * d.H;
  if (ws != Shape{d.D, GH, d.I}) ctx.fail("W has shape " + shape_str(ws) + ", expected " + shape_str({d.D, GH, d.I}));
  if (rs != Shape{d.D, GH, d.H}) ctx.fail("R has shape " + shape_str(rs) + ", expected " + shape_str({d.D, GH, d.H}));
  if (ctx.has_input(3) && shape_numel(ctx.input_shape(3)) != d.D * 2 * GH)
    ctx.fail("B has shape " + shape_str(ctx.input_shape(3)) + ", expected " + shape_str({d.D, 2 * GH}));
  if (ctx.has_input(4)) {
    const DType t = ctx.input_dtype(4);
    if (t != DType::Int32 && t != DType::Int64) ctx.fail("sequence_lens must be int32");
    d.seq_lens_dtype_size = static_cast<int64_t>(dtype_size(t));
    if (shape_numel(ctx.input_shape(4)) != d.B) ctx.fail("sequence_lens must have batch_size entries");
  }
  const Shape state = d.layout1 ? Shape{d.B, d.D, d.H} : Shape{d.D, d.B, d.H};
  for (int i : {5, 6})
    if (ctx.has_input(i) && (i == 5 || kCell == Cell::LSTM) && ctx.input_shape(i) != state)
      ctx.fail("input " + std::to_string(i) + " has shape " + shape_str(ctx.input_shape(i)) + ", expected " +
               shape_str(state));
  d.peepholes = kCell == Cell::LSTM && ctx.has_input(7);
  if (d.peepholes && shape_numel(ctx.input_shape(7)) != d.D * 3 * d.H)
    ctx.fail("P has shape " + shape_str(ctx.input_shape(7)) + ", expected " + shape_str({d.D, 3 * d.H}));
  d.clip = ctx.has_attr("clip") ? ctx.attr_float("clip", 0) : 0.0f;
  if (ctx.has_attr("clip") && !(d.clip > 0)) ctx.fail("clip must be positive");
  d.input_forget = kCell == Cell::LSTM && ctx.attr_int("input_forget", 0) != 0;
  d.linear_before_reset = kCell == Cell::GRU && ctx.attr_int("linear_before_reset", 0) != 0;
  d.Hp = (d.H + kNR - 1) / kNR * kNR;
  d.panels = d.G * d.Hp / kNR;

  std::vector<std::string> defaults;
  if (kCell == Cell::LSTM) defaults = {"Sigmoid", "Tanh", "Tanh"};
  else if (kCell == Cell::GRU) defaults = {"Sigmoid", "Tanh"};
  else defaults = {"Tanh"};
  auto acts = std::make_shared<const std::vector<Act>>(parse_activations(ctx, defaults, d.D));

  const Shape yshape = d.layout1 ? Shape{d.B, d.S, d.D, d.H} : Shape{d.S, d.D, d.B, d.H};
  ctx.set_output(0, DType::Float32, yshape);
  ctx.set_output(1, DType::Float32, state);
  if (kCell == Cell::LSTM) ctx.set_output(2, DType::Float32, state);
  else if (ctx.has_output(2)) ctx.fail("has no third output");

  // Constant weights are packed once here; others into scratch on every run.
  const Tensor* wv = ctx.input_value(1);
  const Tensor* rv = ctx.input_value(2);
  const Tensor* bv = ctx.has_input(3) ? ctx.input_value(3) : nullptr;
  const Tensor* pv = d.peepholes ? ctx.input_value(7) : nullptr;
  const bool prepack = wv && rv && (!ctx.has_input(3) || bv) && (!d.peepholes || pv);
  std::shared_ptr<const std::vector<float>> packed;
  if (prepack) {
    auto v = std::make_shared<std::vector<float>>(static_cast<size_t>(d.D * d.dir_size()));
    pack_weights(d, wv->data<float>(), rv->data<float>(), bv ? bv->data<float>() : nullptr,
                 pv ? pv->data<float>() : nullptr, v->data());
    packed = std::move(v);
  }
  const int64_t items = d.D * d.B;
  const int64_t pack_floats = prepack ? 0 : d.D * d.dir_size();
  ctx.request_scratch(static_cast<size_t>(pack_floats + items * d.item_size()) * sizeof(float));

  return make_kernel([d, acts, packed, pack_floats, items](const RunContext& rc) {
    IoPtrs io;
    io.X = rc.in(0).data<float>();
    if (rc.has_in(4)) io.seq_lens = rc.in(4).raw();
    if (rc.has_in(5)) io.init_h = rc.in(5).data<float>();
    if (kCell == Cell::LSTM && rc.has_in(6)) io.init_c = rc.in(6).data<float>();
    if (rc.has_out(0)) io.Y = rc.out(0).data<float>();
    if (rc.has_out(1)) io.Y_h = rc.out(1).data<float>();
    if (kCell == Cell::LSTM && rc.has_out(2)) io.Y_c = rc.out(2).data<float>();
    for (int64_t b = 0; b < d.B; ++b) {
      const int64_t len = seq_len_of(d, io, b);
      if (len < 0 || len > d.S)
        throw Error("LSTM/GRU/RNN: sequence_lens[" + std::to_string(b) + "] = " + std::to_string(len) +
                    " is outside [0, " + std::to_string(d.S) + "]");
    }
    float* scratch = static_cast<float*>(rc.scratch);
    const float* pw = packed ? packed->data() : scratch;
    if (!packed)
      pack_weights(d, rc.in(1).data<float>(), rc.in(2).data<float>(),
                   rc.has_in(3) ? rc.in(3).data<float>() : nullptr,
                   d.peepholes ? rc.in(7).data<float>() : nullptr, scratch);
    float* item_buf = scratch + pack_floats;
    const Act* a = acts->data();
    // Small layers (Silero's is one 128-cell step) are not worth a thread hop.
    const int64_t work = (d.I + d.H) * d.G * d.H * std::max<int64_t>(d.S, 1);
    const int64_t min_chunk = work >= (1 << 18) ? 1 : items;
#if SW_HAVE_AVX2_CLONES
    if (cpu().avx2) {
      rc.pool->parallel_for(items, min_chunk, [&](int64_t i0, int64_t i1) {
        run_items_avx2(d, a, pw, io, i0, i1, item_buf);
      });
      return;
    }
#endif
    rc.pool->parallel_for(items, min_chunk, [&](int64_t i0, int64_t i1) {
      run_items_ref(d, a, pw, io, i0, i1, item_buf);
    });
  });
}

}  // namespace

void register_lstm_ops(OpTable& t) {
  t.add("LSTM", build_rnn<Cell::LSTM>);
  t.add("GRU", build_rnn<Cell::GRU>);
  t.add("RNN", build_rnn<Cell::RNN>);
}

}  // namespace saywhen::rt
