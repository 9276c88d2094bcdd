// QDQ fusion: a quantized model stores int8 weights and marks activations with
// QuantizeLinear -> DequantizeLinear pairs, leaving the arithmetic in float.
// ONNX Runtime (the reference these models are validated against) rewrites the
// groups below into integer ops, and so does this pass:
//
//   Q(MatMul(DQ(a), DQ(b)))                  -> saywhen.QMatMul
//   Q(Gemm(DQ(a), DQ(b), DQ(bias_i32)))      -> saywhen.QMatMul (transB, int32 bias)
//   Q(Conv(DQ(x), DQ(w), DQ(bias_i32)))      -> saywhen.QConv
//   Q(Softmax(DQ(x)))                        -> saywhen.QSoftmax
//
// The integer forms are what the quantizer intended (and what ONNX Runtime
// computes); the float forms differ from them by rounding, visibly so in the
// final probability of a small model. A group is fused only when every scale
// and zero point is a constant of a shape the fused kernel supports and the
// intermediate float values have no other reader; anything else is left as is.
//
// One more group is fused for speed only (the result does not change):
//
//   Q(f(DQ(x)))  with f elementwise ops on x and constants (GELU's
//                Div/Erf/Add/Mul, a bias Add then Tanh, ...), possibly mixed
//                with layout ops (Reshape, Transpose, ...)
//                -> saywhen.QLut(x) then the same layout ops on uint8: at plan
//                   time f runs on all 256 input values (per column when a
//                   constant varies along the last axis) with the ordinary
//                   kernels, so the table holds exactly what the unfused ops
//                   would produce. An elementwise map commutes with moving
//                   elements around, as long as what follows a layout op uses
//                   scalar constants only.
//
// SAYWHEN_FUSE_QDQ=0 in the environment disables the whole pass.
#include "optimize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "plan.h"

namespace saywhen::rt {
namespace {

// Scalar attributes of the nodes the passes write.
Attribute int_attr(int64_t v) {
  Attribute a;
  a.kind = Attribute::Kind::Int;
  a.i = v;
  return a;
}
Attribute float_attr(float v) {
  Attribute a;
  a.kind = Attribute::Kind::Float;
  a.f = v;
  return a;
}

// What both rewrite passes look things up in: who produces each value, how
// many nodes (and graph outputs, and subgraphs) read it, and which values are
// constants fixed at load time.
class GraphIndex {
 protected:
  explicit GraphIndex(ModelIR& model) : model_(model), g_(model.graph) {}

  static bool is(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

  void index() {
    producer_.clear();
    readers_.clear();
    reader_.clear();
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node& n = g_.nodes[i];
      for (const auto& o : n.outputs)
        if (!o.empty()) producer_[o] = i;
      for (const auto& in : n.inputs)
        if (!in.empty()) {
          ++readers_[in];
          reader_[in] = i;
        }
      for (const auto& kv : n.attrs)
        if (kv.second.kind == Attribute::Kind::Graph) count_subgraph_reads(*kv.second.g);
    }
    for (const auto& o : g_.outputs) ++readers_[o.name];
    overridable_.clear();
    for (const auto& in : g_.inputs) overridable_.insert(in.name);
  }

  int readers(const std::string& name) const {
    auto it = readers_.find(name);
    return it == readers_.end() ? 0 : it->second;
  }

  static constexpr size_t kNone = ~size_t{0};

  // The one node reading `name` (once), or kNone when anything else reads it
  // too: another node, a graph output, a subgraph.
  size_t sole_reader(const std::string& name) const {
    auto it = reader_.find(name);
    return it == reader_.end() || readers(name) != 1 ? kNone : it->second;
  }

  // The node producing `name` when exactly one node reads it once (nothing
  // else: no second reader, graph output or subgraph), else kNone.
  size_t sole_producer(const std::string& name) const {
    auto p = producer_.find(name);
    return p == producer_.end() || readers(name) != 1 ? kNone : p->second;
  }

  // The other input of a two-input node, given one of them; "" if neither.
  static std::string other_input(const Node& n, const std::string& one) {
    if (n.inputs.size() != 2) return "";
    if (n.inputs[0] == one) return n.inputs[1];
    if (n.inputs[1] == one) return n.inputs[0];
    return "";
  }

  // Drops the nodes at `removed` (indices into g_.nodes).
  void erase_nodes(const std::set<size_t>& removed) {
    if (removed.empty()) return;
    std::vector<Node> kept;
    kept.reserve(g_.nodes.size() - removed.size());
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      if (!removed.count(i)) kept.push_back(std::move(g_.nodes[i]));
    g_.nodes = std::move(kept);
  }

  // A value fixed at load time: an initializer no caller can override, or a
  // Constant node's output.
  const Tensor* constant(const std::string& name) {
    if (name.empty()) return nullptr;
    auto it = g_.initializers.find(name);
    if (it != g_.initializers.end()) return overridable_.count(name) ? nullptr : &it->second;
    auto c = constants_.find(name);
    if (c != constants_.end()) return &c->second;
    auto p = producer_.find(name);
    if (p == producer_.end() || !is(g_.nodes[p->second], "Constant")) return nullptr;
    try {
      return &(constants_[name] = constant_from_attributes(model_, g_.nodes[p->second]));
    } catch (const Error&) {
      return nullptr;
    }
  }

  ModelIR& model_;
  Graph& g_;
  std::map<std::string, size_t> producer_;
  std::map<std::string, int> readers_;
  std::map<std::string, size_t> reader_;  // the last node reading each value
  std::set<std::string> overridable_;
  std::map<std::string, Tensor> constants_;

 private:
  // Outer-scope values a subgraph reads keep their producers alive.
  void count_subgraph_reads(const Graph& sub) {
    for (const auto& n : sub.nodes) {
      for (const auto& in : n.inputs)
        if (!in.empty()) ++readers_[in];
      for (const auto& kv : n.attrs)
        if (kv.second.kind == Attribute::Kind::Graph) count_subgraph_reads(*kv.second.g);
    }
  }
};

class QdqFuser : GraphIndex {
 public:
  explicit QdqFuser(ModelIR& model) : GraphIndex(model) {}

  void run() {
    index();
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node& q = g_.nodes[i];
      if (!is(q, "QuantizeLinear")) continue;
      Node f;
      size_t inner;
      if (try_fuse(q, &f, &inner)) {
        // The fused node takes the Q node's place: every input it reads is
        // produced before the Q node was.
        removed_.insert(inner);
        removed_.insert(i);
        emit_at_[i].push_back(std::move(f));
      } else {
        try_fuse_lut(i);
      }
    }
    if (removed_.empty()) return;
    std::vector<Node> out;
    out.reserve(g_.nodes.size());
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      auto e = emit_at_.find(i);
      if (e != emit_at_.end())
        for (Node& n : e->second) out.push_back(std::move(n));
      if (!removed_.count(i)) out.push_back(std::move(g_.nodes[i]));
    }
    for (Node& n : out)
      for (auto& in : n.inputs) {
        auto r = rename_.find(in);
        if (r != rename_.end()) in = r->second;
      }
    g_.nodes = std::move(out);
    remove_dead_dequantize();
    model_.opsets.emplace("saywhen", 1);
  }

 private:
  const Node* producer(const std::string& name, size_t* index = nullptr) const {
    auto p = producer_.find(name);
    if (p == producer_.end() || removed_.count(p->second)) return nullptr;
    if (index) *index = p->second;
    return &g_.nodes[p->second];
  }

  static bool is_8bit(const Tensor* t) {
    return t && (t->dtype() == DType::UInt8 || t->dtype() == DType::Int8);
  }

  // Scale and zero point of a Q or DQ node: float scale with 1 or `channels`
  // elements (channels 0: scalar only) and an 8-bit zero point of the same size.
  struct QP {
    std::string x, scale, zp;
    const Tensor* s = nullptr;
    const Tensor* z = nullptr;
    int64_t axis = 1;
  };

  bool params(const Node& n, QP* q, bool need_zp) {
    if (n.inputs.size() < 2) return false;
    q->x = n.inputs[0];
    q->scale = n.inputs[1];
    q->zp = n.inputs.size() > 2 ? n.inputs[2] : "";
    q->s = constant(q->scale);
    q->z = constant(q->zp);
    if (!q->s || q->s->dtype() != DType::Float32 || q->s->numel() < 1) return false;
    if (!q->zp.empty() && (!is_8bit(q->z) || q->z->numel() != q->s->numel())) return false;
    if (need_zp && q->zp.empty()) return false;
    auto a = n.attrs.find("axis");
    if (a != n.attrs.end()) q->axis = a->second.i;
    auto b = n.attrs.find("block_size");
    if (b != n.attrs.end() && b->second.i != 0 && q->s->numel() > 1) return false;
    auto od = n.attrs.find("output_dtype");
    if (od != n.attrs.end() && od->second.i != 0 && od->second.i != static_cast<int64_t>(DType::UInt8) &&
        od->second.i != static_cast<int64_t>(DType::Int8))
      return false;
    return true;
  }

  // The DQ node feeding input `name` with per-tensor (or, if per_axis_len > 0,
  // per-axis on axis `want_axis` of a rank-`rank` tensor) parameters.
  bool dequant_input(const std::string& name, QP* q, int64_t per_axis_len = 0, int64_t want_axis = 0,
                     int64_t rank = 0) {
    const Node* dq = producer(name);
    if (!dq || !is(*dq, "DequantizeLinear") || !params(*dq, q, true)) return false;
    if (q->s->numel() == 1) return true;
    if (per_axis_len <= 0 || q->s->numel() != per_axis_len || q->s->shape().size() != 1) return false;
    const int64_t axis = q->axis < 0 ? q->axis + rank : q->axis;
    return axis == want_axis;
  }

  // An int32 bias DQ whose scale is a_scale * w_scale (so the int32 values add
  // straight onto the accumulator) and whose zero point is 0.
  bool bias_input(const std::string& name, const Tensor& a_scale, const Tensor& w_scale, int64_t n_out,
                  std::string* bias_q) {
    const Node* dq = producer(name);
    if (!dq || !is(*dq, "DequantizeLinear") || dq->inputs.size() < 2) return false;
    const Tensor* b = constant(dq->inputs[0]);
    const Tensor* s = constant(dq->inputs[1]);
    const Tensor* z = dq->inputs.size() > 2 ? constant(dq->inputs[2]) : nullptr;
    if (!b || b->dtype() != DType::Int32 || b->numel() != n_out || !s || s->dtype() != DType::Float32) return false;
    if (dq->inputs.size() > 2 && !dq->inputs[2].empty()) {
      if (!z || z->dtype() != DType::Int32) return false;
      for (int64_t i = 0; i < z->numel(); ++i)
        if (z->data<int32_t>()[i] != 0) return false;
    }
    if (s->numel() != 1 && s->numel() != n_out) return false;
    const float sa = a_scale.data<float>()[0];
    for (int64_t i = 0; i < n_out; ++i) {
      const float want = sa * w_scale.data<float>()[w_scale.numel() == 1 ? 0 : i];
      const float have = s->data<float>()[s->numel() == 1 ? 0 : i];
      if (!(std::fabs(have - want) <= 1e-6f * std::fabs(want))) return false;
    }
    *bias_q = dq->inputs[0];
    return true;
  }

  std::string zero_point_u8() {
    const std::string name = "saywhen_qdq_zero_u8";
    if (!g_.initializers.count(name)) g_.initializers.emplace(name, Tensor(DType::UInt8, {}));
    return name;
  }

  bool try_fuse(const Node& q, Node* f, size_t* inner_index) {
    QP y;
    if (!params(q, &y, false) || y.s->numel() != 1) return false;
    std::string y_zp = y.zp.empty() ? zero_point_u8() : y.zp;
    if (y.zp.empty()) {
      auto od = q.attrs.find("output_dtype");
      if (od != q.attrs.end() && od->second.i == static_cast<int64_t>(DType::Int8)) return false;
    }
    const Node* inner = producer(y.x, inner_index);
    if (!inner || readers(y.x) != 1 || inner->outputs.size() != 1) return false;

    if (is(*inner, "MatMul") && inner->inputs.size() == 2) {
      QP a, b;
      if (!dequant_input(inner->inputs[0], &a)) return false;
      const Tensor* w = nullptr;
      if (const Node* dqb = producer(inner->inputs[1]); dqb && dqb->inputs.size() > 0) w = constant(dqb->inputs[0]);
      const bool w2d = w && w->rank() == 2;
      if (!dequant_input(inner->inputs[1], &b, w2d ? w->dim(1) : 0, 1, 2)) return false;
      *f = make(*inner, "QMatMul", {a.x, a.scale, a.zp, b.x, b.scale, b.zp, y.scale, y_zp}, q.outputs[0]);
      return true;
    }

    if (is(*inner, "Gemm") && inner->inputs.size() >= 2) {
      auto attr_f = [&](const char* k, float d) {
        auto it = inner->attrs.find(k);
        return it == inner->attrs.end() ? d : it->second.f;
      };
      auto attr_i = [&](const char* k, int64_t d) {
        auto it = inner->attrs.find(k);
        return it == inner->attrs.end() ? d : it->second.i;
      };
      const bool has_c = inner->inputs.size() > 2 && !inner->inputs[2].empty();
      if (attr_f("alpha", 1.0f) != 1.0f || (has_c && attr_f("beta", 1.0f) != 1.0f) || attr_i("transA", 0) != 0)
        return false;
      const int64_t trans_b = attr_i("transB", 0);
      QP a, b;
      if (!dequant_input(inner->inputs[0], &a)) return false;
      const Node* dqb = producer(inner->inputs[1]);
      const Tensor* w = dqb && !dqb->inputs.empty() ? constant(dqb->inputs[0]) : nullptr;
      if (!w || w->rank() != 2) return false;
      const int64_t n_out = trans_b ? w->dim(0) : w->dim(1);
      if (!dequant_input(inner->inputs[1], &b, n_out, trans_b ? 0 : 1, 2)) return false;
      std::vector<std::string> ins = {a.x, a.scale, a.zp, b.x, b.scale, b.zp, y.scale, y_zp};
      if (has_c) {
        std::string bias;
        if (!bias_input(inner->inputs[2], *a.s, *b.s, n_out, &bias)) return false;
        ins.push_back(bias);
      }
      *f = make(*inner, "QMatMul", ins, q.outputs[0]);
      f->attrs.clear();
      f->attrs["transB"] = int_attr(trans_b);
      return true;
    }

    if (is(*inner, "Conv") && inner->inputs.size() >= 2) {
      QP x, w;
      if (!dequant_input(inner->inputs[0], &x)) return false;
      const Node* dqw = producer(inner->inputs[1]);
      const Tensor* wt = dqw && !dqw->inputs.empty() ? constant(dqw->inputs[0]) : nullptr;
      if (!wt || wt->rank() < 3) return false;
      const int64_t m = wt->dim(0);
      if (!dequant_input(inner->inputs[1], &w, m, 0, wt->rank())) return false;
      std::vector<std::string> ins = {x.x, x.scale, x.zp, w.x, w.scale, w.zp, y.scale, y_zp};
      if (inner->inputs.size() > 2 && !inner->inputs[2].empty()) {
        std::string bias;
        if (!bias_input(inner->inputs[2], *x.s, *w.s, m, &bias)) return false;
        ins.push_back(bias);
      }
      *f = make(*inner, "QConv", ins, q.outputs[0]);
      return true;
    }

    if (is(*inner, "Softmax") && inner->inputs.size() == 1) {
      QP x;
      if (!dequant_input(inner->inputs[0], &x)) return false;
      // Both must be the same 8-bit type (the reference's QLinearSoftmax).
      const DType yt = y.zp.empty() ? DType::UInt8 : y.z->dtype();
      if (x.z->dtype() != yt) return false;
      auto ax = inner->attrs.find("axis");
      const int64_t opset = model_.opset("");
      const int64_t axis = ax != inner->attrs.end() ? ax->second.i : (opset < 13 ? 1 : -1);
      // From opset 13 the reduction is over one axis; the fused kernel handles
      // the last one, which without shapes is only certain for axis -1.
      if (opset >= 13 && axis != -1) return false;
      *f = make(*inner, "QSoftmax", {x.x, x.scale, x.zp, y.scale, y_zp}, q.outputs[0]);
      f->attrs.clear();
      f->attrs["axis"] = int_attr(axis);
      f->attrs["flatten"] = int_attr(opset < 13 ? 1 : 0);
      return true;
    }
    return false;
  }

  // Elementwise ops a LUT chain may contain: value-wise functions of their
  // inputs, with numpy broadcasting at most.
  static bool elementwise(const Node& n) {
    static const std::set<std::string> ops = {
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Erf", "Tanh", "Sigmoid", "Relu", "LeakyRelu",
        "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Exp", "Log", "Neg",
        "Abs", "Sqrt", "Reciprocal", "Floor", "Ceil", "Round", "Sin", "Cos", "Identity", "Clip", "Mish"};
    return n.domain.empty() && ops.count(n.op_type) && n.outputs.size() == 1;
  }

  // Ops that only move or regroup elements: an elementwise map commutes with
  // them, so their data can be moved as uint8 instead of float.
  static bool layout(const Node& n) {
    return n.domain.empty() && n.outputs.size() == 1 && !n.inputs.empty() &&
           (n.op_type == "Reshape" || n.op_type == "Transpose" || n.op_type == "Squeeze" ||
            n.op_type == "Unsqueeze" || n.op_type == "Flatten");
  }

  // Q(f(DQ(x))) where f mixes elementwise ops with layout ops becomes
  // QLut(x) followed by the same layout ops on uint8 (and just the layout ops
  // when the table is the identity). Elementwise ops after a layout op may
  // only use scalar constants, so applying them before it changes nothing.
  bool try_fuse_lut(size_t q_index) {
    const Node& q = g_.nodes[q_index];
    QP y;
    if (!params(q, &y, false) || y.s->numel() != 1) return false;
    if (y.zp.empty()) {
      auto od = q.attrs.find("output_dtype");
      if (od != q.attrs.end() && od->second.i != 0 && od->second.i != static_cast<int64_t>(DType::UInt8))
        return false;
    }
    std::set<size_t> elementwise_nodes;
    std::map<size_t, int> layouts;  // node -> depth of its data input
    std::map<std::string, int> depth;
    std::set<std::string> consts;
    std::string dq_out;
    int64_t columns = 1;
    // Depth of a value = number of layout ops between it and the DQ output.
    std::function<int(const std::string&)> visit = [&](const std::string& v) -> int {
      auto known = depth.find(v);
      if (known != depth.end()) return known->second;
      if (v.empty()) return -1;
      if (const Tensor* c = constant(v)) {
        if (c->dtype() != DType::Float32 || c->numel() < 1) return -1;
        if (c->numel() > 1) {
          for (int d = 0; d + 1 < c->rank(); ++d)
            if (c->dim(d) != 1) return -1;
          if (columns != 1 && columns != c->numel()) return -1;
          columns = c->numel();
        }
        consts.insert(v);
        return depth[v] = -2;  // constant: fits any depth
      }
      size_t pi;
      const Node* p = producer(v, &pi);
      if (!p || elementwise_nodes.size() + layouts.size() >= 48) return -1;
      int d;
      if (is(*p, "DequantizeLinear")) {
        if (!dq_out.empty() && dq_out != v) return -1;
        dq_out = v;
        d = 0;
      } else if (layout(*p)) {
        const int in = visit(p->inputs[0]);
        if (in < 0) return -1;
        layouts[pi] = in;
        d = in + 1;
      } else if (elementwise(*p)) {
        d = -2;
        for (const auto& in : p->inputs) {
          const int di = visit(in);
          if (di == -1) return -1;
          if (di == -2) continue;
          if (d != -2 && d != di) return -1;  // operands from different layouts
          d = di;
        }
        if (d == -2) return -1;  // a function of constants only: not ours
        for (const auto& in : p->inputs)
          if (const Tensor* c = constant(in); c && c->numel() > 1 && d > 0) return -1;
        elementwise_nodes.insert(pi);
      } else {
        return -1;
      }
      return depth[v] = d;
    };
    const int top = visit(y.x);
    if (top < 0 || dq_out.empty() || columns > 4096) return false;
    if (elementwise_nodes.empty() && layouts.empty()) return false;  // Q(DQ(x)): a requantization, left alone
    // One layout op per depth: the data passes through them in a line.
    std::vector<size_t> line(static_cast<size_t>(top), SIZE_MAX);
    for (const auto& [idx, d] : layouts) {
      if (line[static_cast<size_t>(d)] != SIZE_MAX) return false;
      line[static_cast<size_t>(d)] = idx;
    }
    QP x;
    if (!dequant_input(dq_out, &x) || !is_8bit(x.z)) return false;
    const DType yt = y.zp.empty() ? DType::UInt8 : y.z->dtype();
    // Values inside the chain have no reader outside it, except Shape nodes
    // reading a layout output (its shape does not change).
    std::map<std::string, int> inside;
    for (size_t i : elementwise_nodes)
      for (const auto& in : g_.nodes[i].inputs) ++inside[in];
    for (size_t i : line) ++inside[g_.nodes[i].inputs[0]];
    ++inside[y.x];
    std::map<std::string, int> shape_reads;
    for (const auto& n : g_.nodes)
      if (is(n, "Shape") && !n.inputs.empty()) ++shape_reads[n.inputs[0]];
    for (size_t i : elementwise_nodes) {
      const std::string& o = g_.nodes[i].outputs[0];
      if (o.empty() || readers(o) != inside[o]) return false;
    }
    for (size_t i : line) {
      const std::string& o = g_.nodes[i].outputs[0];
      if (o.empty() || readers(o) != inside[o] + shape_reads[o]) return false;
    }
    // The elementwise body, with layout outputs read through to their inputs.
    auto through = [&](std::string v) {
      for (bool moved = true; moved;) {
        moved = false;
        for (size_t i : line)
          if (g_.nodes[i].outputs[0] == v) {
            v = g_.nodes[i].inputs[0];
            moved = true;
          }
      }
      return v;
    };
    const bool identity = elementwise_nodes.empty() && x.z->dtype() == yt &&
                          x.s->data<float>()[0] == y.s->data<float>()[0] &&
                          (y.zp.empty() ? 0 : int_at(*y.z)) == int_at(*x.z);
    std::string data = x.x;  // what the first layout op reads
    const size_t first = elementwise_nodes.empty() ? line.front()
                                                   : std::min(*elementwise_nodes.begin(), line.empty() ? SIZE_MAX : line.front());
    if (!identity) {
      auto body = std::make_shared<Graph>();
      body->name = q.name + "/lut_body";
      ValueInfo in;
      in.name = dq_out;
      in.dtype = DType::Float32;
      body->inputs.push_back(in);
      for (const auto& c : consts) body->initializers.emplace(c, *constant(c));
      for (size_t i : elementwise_nodes) {  // ascending = graph order
        Node n = g_.nodes[i];
        for (auto& v : n.inputs) v = through(v);
        body->nodes.push_back(std::move(n));
      }
      std::string result = through(y.x);
      if (result == dq_out) {  // layout ops only: the body is the identity
        Node idn;
        idn.name = q.name + "/lut_identity";
        idn.op_type = "Identity";
        idn.inputs = {dq_out};
        idn.outputs = {dq_out + "/lut_identity"};
        body->nodes.push_back(idn);
        result = idn.outputs[0];
      }
      ValueInfo out;
      out.name = result;
      out.dtype = DType::Float32;
      body->outputs.push_back(out);

      Node n;
      n.name = q.name + "/saywhen_QLut";
      n.op_type = "QLut";
      n.domain = "saywhen";
      n.inputs = {x.x, x.scale, x.zp, y.scale, y.zp.empty() ? zero_point_u8() : y.zp};
      data = line.empty() ? q.outputs[0] : q.outputs[0] + "/lut";
      n.outputs = {data};
      Attribute b;
      b.kind = Attribute::Kind::Graph;
      b.g = body;
      n.attrs["body"] = b;
      n.attrs["onnx_opset"] = int_attr(model_.opset(""));
      emit_at_[first].push_back(std::move(n));
    }
    // The layout ops, now on uint8, in their places; the last one produces
    // Q's output (Shape readers of its old name follow it).
    for (size_t k = 0; k < line.size(); ++k) {
      Node n = g_.nodes[line[k]];
      n.inputs[0] = data;
      if (k + 1 == line.size()) {
        rename_[n.outputs[0]] = q.outputs[0];
        n.outputs[0] = q.outputs[0];
      }
      data = n.outputs[0];
      emit_at_[line[k]].push_back(std::move(n));
      removed_.insert(line[k]);
    }
    removed_.insert(elementwise_nodes.begin(), elementwise_nodes.end());
    removed_.insert(q_index);
    return true;
  }

  static int int_at(const Tensor& t) {
    return t.dtype() == DType::Int8 ? t.data<int8_t>()[0] : t.data<uint8_t>()[0];
  }

  static Node make(const Node& inner, const char* op, std::vector<std::string> inputs, const std::string& output) {
    Node f;
    f.name = inner.name + "/saywhen_" + op;
    f.op_type = op;
    f.domain = "saywhen";
    f.inputs = std::move(inputs);
    f.outputs = {output};
    f.attrs = inner.attrs;  // Conv keeps its geometry; the others reset theirs
    return f;
  }

  // DequantizeLinear nodes whose float output nobody reads any more.
  void remove_dead_dequantize() {
    for (bool changed = true; changed;) {
      changed = false;
      index();
      std::vector<Node> kept;
      kept.reserve(g_.nodes.size());
      for (auto& n : g_.nodes) {
        if (is(n, "DequantizeLinear") && n.outputs.size() == 1 && readers(n.outputs[0]) == 0) {
          changed = true;
          continue;
        }
        kept.push_back(std::move(n));
      }
      g_.nodes = std::move(kept);
    }
  }

  std::set<size_t> removed_;
  std::map<size_t, std::vector<Node>> emit_at_;      // new nodes, placed before the node at that index
  std::map<std::string, std::string> rename_;        // inputs of kept nodes to redirect
};

// The fusions ONNX Runtime makes at its default optimisation level that change
// (SkipLayerNorm, Gelu) or only speed up (MatMulIntegerToFloat) the arithmetic.
//
// ORT's SkipLayerNormFusion:
//
//   1: LayerNormalization(Add1(Add2(s1, C), s2))
//   2: LayerNormalization(Add1(s1, Add2(s2, C)))   -> saywhen.SkipLayerNorm(s1, s2, gamma, beta, C)
//   3: LayerNormalization(Add1(s1, s2))
//
// with C a constant 1-D bias as Add2's second input and each Add read by the
// next node only (not a graph output). ORT's fused kernel sums and normalises
// differently from the nodes it replaces (see reduce.cpp), by an ulp here and
// there, which a QuantizeLinear after it can turn into a whole step; matching
// ORT means fusing where it does. ORT also needs s1 and s2 3-D of one shape,
// which only the kernel knows: it computes the unfused arithmetic otherwise.
// Only the LayerNormalization forms the kernel reproduces are taken: axis -1,
// constant float32 scale (and bias), the mean/inv-std outputs unused.
// The same pass makes com.microsoft.Gelu where ORT's GeluFusion would (see
// fuse_gelu), and saywhen.MatMulIntegerToFloat where ORT's
// MatMulIntegerToFloatFusion would (see fuse_matmul_integer).
class OrtFusions : GraphIndex {
 public:
  explicit OrtFusions(ModelIR& model) : GraphIndex(model) {}

  void run() {
    index();

    std::set<size_t> removed;
    for (size_t i = 0; i < g_.nodes.size(); ++i) fuse_gelu(i, removed);
    // ORT fuses Add -> LayerNormalization only where its shape inference
    // proves both Add inputs 3-D of one shape, symbolic dimensions included;
    // saywhen does not repeat that inference, so it takes the pattern only in
    // graphs whose inputs have no unknown or symbolic dimension past the first
    // (a batch): there every shape ORT infers is concrete where it looks.
    bool static_dims = true;
    for (const auto& in : model_.runtime_inputs)
      for (size_t d = 1; d < in.dims.size(); ++d)
        if (in.dims[d] < 0 || (d < in.dim_params.size() && !in.dim_params[d].empty())) static_dims = false;
    for (size_t i = 0; i < g_.nodes.size() && static_dims; ++i) {
      if (removed.count(i)) continue;
      Node& ln = g_.nodes[i];
      if (!is(ln, "LayerNormalization") || !plain_layernorm(ln)) continue;
      const size_t add1 = add_feeding(ln.inputs[0]);
      if (add1 == kNone || removed.count(add1)) continue;
      const Node& a1 = g_.nodes[add1];
      Node f;
      f.name = ln.name + "/saywhen_SkipLayerNorm";
      f.op_type = "SkipLayerNorm";
      f.domain = "saywhen";
      f.outputs = {ln.outputs[0]};
      const std::string beta = ln.inputs.size() > 2 ? ln.inputs[2] : "";
      size_t add2 = bias_add_feeding(a1.inputs[0]);
      int64_t order = 1;
      if (add2 == kNone || removed.count(add2)) {
        add2 = bias_add_feeding(a1.inputs[1]);
        order = 2;
      }
      if (add2 != kNone && !removed.count(add2)) {
        const Node& a2 = g_.nodes[add2];
        f.inputs = order == 1 ? std::vector<std::string>{a2.inputs[0], a1.inputs[1], ln.inputs[1], beta, a2.inputs[1]}
                              : std::vector<std::string>{a1.inputs[0], a2.inputs[0], ln.inputs[1], beta, a2.inputs[1]};
        removed.insert(add2);
      } else {
        order = 3;
        f.inputs = {a1.inputs[0], a1.inputs[1], ln.inputs[1], beta};
        if (beta.empty()) f.inputs.pop_back();
      }
      auto e = ln.attrs.find("epsilon");
      f.attrs["epsilon"] = float_attr(e == ln.attrs.end() ? 1e-5f : e->second.f);
      f.attrs["order"] = int_attr(order);
      removed.insert(add1);
      ln = std::move(f);
    }
    // After SkipLayerNorm, which takes a bias Add first where ORT's does.
    for (size_t i = 0; i < g_.nodes.size(); ++i) fuse_matmul_integer(i, removed);
    if (removed.empty()) return;
    erase_nodes(removed);
    model_.opsets.emplace("saywhen", 1);
  }

 private:
  // A constant float32 scalar (any shape of one element) close to `want`.
  bool scalar_near(const std::string& name, float want) {
    const Tensor* t = constant(name);
    return t && t->dtype() == DType::Float32 && t->numel() == 1 &&
           std::fabs(t->data<float>()[0] - want) <= 1e-5f * std::fabs(want);
  }

  // The node producing `name`, read by nothing else, of type `op`.
  const Node* single_use(const std::string& name, const char* op, size_t* index) {
    const size_t p = sole_producer(name);
    if (p == kNone) return nullptr;
    const Node& n = g_.nodes[p];
    if (!is(n, op) || n.outputs.size() != 1) return nullptr;
    *index = p;
    return &n;
  }

  // ORT's GeluFusion: x * 0.5 * (1 + erf(x / sqrt2)) in the two orders it
  // recognises, Mul(Mul(x, Add), 0.5) and Mul(Mul(x, 0.5), Add), with x / sqrt2
  // as a Div or as a Mul by 1/sqrt2, into com.microsoft.Gelu, whose kernel
  // computes GELU in one piece (not an Erf ORT would run between the nodes).
  // Node `last` is the candidate final Mul; other orders are left alone, as
  // ORT leaves them.
  void fuse_gelu(size_t last, std::set<size_t>& removed) {
    const Node& m2 = g_.nodes[last];
    if (!is(m2, "Mul") || m2.inputs.size() != 2 || m2.outputs.size() != 1 || removed.count(last)) return;
    for (int side = 0; side < 2; ++side) {
      const std::string a = m2.inputs[static_cast<size_t>(side)], b = m2.inputs[static_cast<size_t>(1 - side)];
      size_t i_add = 0, i_m1 = 0, i_erf = 0, i_div = 0;
      std::string x;
      const Node* add = nullptr;
      if (scalar_near(b, 0.5f)) {  // Mul(Mul(x, Add), 0.5)
        const Node* m1 = single_use(a, "Mul", &i_m1);
        if (!m1) continue;
        for (int k = 0; k < 2 && !add; ++k) {
          add = single_use(m1->inputs[static_cast<size_t>(k)], "Add", &i_add);
          if (add) x = m1->inputs[static_cast<size_t>(1 - k)];
        }
      } else {  // Mul(Mul(x, 0.5), Add)
        const Node* m1 = single_use(a, "Mul", &i_m1);
        add = single_use(b, "Add", &i_add);
        if (!m1 || !add) continue;
        if (scalar_near(m1->inputs[1], 0.5f)) x = m1->inputs[0];
        else if (scalar_near(m1->inputs[0], 0.5f)) x = m1->inputs[1];
        else continue;
      }
      if (!add || x.empty()) continue;
      const Node* erf = nullptr;
      for (int k = 0; k < 2 && !erf; ++k)
        if (scalar_near(add->inputs[static_cast<size_t>(1 - k)], 1.0f))
          erf = single_use(add->inputs[static_cast<size_t>(k)], "Erf", &i_erf);
      if (!erf || erf->inputs.size() != 1) continue;
      size_t i_pre = 0;
      const Node* div = single_use(erf->inputs[0], "Div", &i_pre);
      bool ok = div && div->inputs.size() == 2 && div->inputs[0] == x && scalar_near(div->inputs[1], 1.41421356f);
      if (!ok) {
        const Node* mul = single_use(erf->inputs[0], "Mul", &i_pre);
        ok = mul && other_input(*mul, x) != "" && scalar_near(other_input(*mul, x), 0.70710678f);
      }
      if (!ok) continue;
      i_div = i_pre;
      for (size_t r : {i_add, i_m1, i_erf, i_div})
        if (removed.count(r) || r == last) return;
      Node f;
      f.name = m2.name + "/saywhen_Gelu";
      f.op_type = "Gelu";
      f.domain = "com.microsoft";
      f.inputs = {x};
      f.outputs = m2.outputs;
      removed.insert(i_add);
      removed.insert(i_m1);
      removed.insert(i_erf);
      removed.insert(i_div);
      g_.nodes[last] = std::move(f);
      model_.opsets.emplace("com.microsoft", 1);
      return;
    }
  }

  // quantize_dynamic's weight product, from node `cast` on:
  //   Cast<float>(MatMulInteger(a, B, a_zp, b_zp)) * s  [+ bias]  [+ addend]
  // -> saywhen.MatMulIntegerToFloat(a, B, a_zp, b_zp, s [, bias [, addend]]),
  // with B a constant matrix [K, N], s a scalar or [N] whose shape is known
  // here (a constant, or a Mul of DynamicQuantizeLinear's scale by a
  // constant), bias a constant float vector [N] (either Add order), and addend
  // any float tensor (a transformer's residual stream; the kernel broadcasts
  // it when its shape is not the product's). The epilogue rounds after the
  // product and after each sum as the nodes do, so the values are the same;
  // it only saves passes over memory. ORT stops before the addend; a float
  // sum is the same either way round.
  void fuse_matmul_integer(size_t cast, std::set<size_t>& removed) {
    const Node& c = g_.nodes[cast];
    if (!is(c, "Cast") || c.inputs.size() != 1 || c.outputs.size() != 1 || removed.count(cast)) return;
    auto to = c.attrs.find("to");
    if (to == c.attrs.end() || to->second.i != static_cast<int64_t>(DType::Float32)) return;
    size_t i_mi = 0;
    const Node* mi = single_use(c.inputs[0], "MatMulInteger", &i_mi);
    if (!mi || mi->inputs.size() < 2 || removed.count(i_mi)) return;
    const Tensor* b = constant(mi->inputs[1]);
    if (!b || b->rank() != 2) return;
    const int64_t N = b->shape()[1];
    // The Mul reading the Cast, and the scale.
    auto mul_it = std::find_if(g_.nodes.begin(), g_.nodes.end(), [&](const Node& n) {
      return is(n, "Mul") && n.inputs.size() == 2 && (n.inputs[0] == c.outputs[0] || n.inputs[1] == c.outputs[0]);
    });
    if (mul_it == g_.nodes.end() || readers(c.outputs[0]) != 1 || mul_it->outputs.size() != 1) return;
    const size_t i_mul = static_cast<size_t>(mul_it - g_.nodes.begin());
    const Node& mul = *mul_it;
    const std::string scale = other_input(mul, c.outputs[0]);
    if (scale.empty() || removed.count(i_mul) || !scale_shape_ok(scale, N)) return;
    // An Add of a constant bias reading only the Mul.
    size_t last = i_mul;
    std::string bias;
    auto add_it = std::find_if(g_.nodes.begin(), g_.nodes.end(), [&](const Node& n) {
      return is(n, "Add") && n.inputs.size() == 2 && (n.inputs[0] == mul.outputs[0] || n.inputs[1] == mul.outputs[0]);
    });
    if (add_it != g_.nodes.end() && readers(mul.outputs[0]) == 1 && add_it->outputs.size() == 1) {
      const std::string other = other_input(*add_it, mul.outputs[0]);
      const Tensor* t = constant(other);
      const size_t i_add = static_cast<size_t>(add_it - g_.nodes.begin());
      if (t && t->dtype() == DType::Float32 && t->rank() == 1 && t->numel() == N && !removed.count(i_add)) {
        bias = other;
        last = i_add;
      }
    }
    // An Add of anything else reading only that: placed at the Add, which
    // comes after whatever computes its other input.
    std::string addend;
    const size_t i_res = sole_reader(g_.nodes[last].outputs[0]);
    if (i_res != kNone && !removed.count(i_res) && is(g_.nodes[i_res], "Add") && g_.nodes[i_res].outputs.size() == 1)
      addend = other_input(g_.nodes[i_res], g_.nodes[last].outputs[0]);
    Node f;
    f.name = mi->name + "/saywhen_MatMulIntegerToFloat";
    f.op_type = "MatMulIntegerToFloat";
    f.domain = "saywhen";
    f.inputs = {mi->inputs[0], mi->inputs[1], mi->inputs.size() > 2 ? mi->inputs[2] : "",
                mi->inputs.size() > 3 ? mi->inputs[3] : "", scale};
    if (!bias.empty() || !addend.empty()) f.inputs.push_back(bias);
    if (!addend.empty()) f.inputs.push_back(addend);
    removed.insert(i_mi);
    removed.insert(cast);
    if (last != i_mul) removed.insert(i_mul);
    if (!addend.empty()) {
      removed.insert(last);
      last = i_res;
    }
    f.outputs = g_.nodes[last].outputs;
    g_.nodes[last] = std::move(f);
    model_.opsets.emplace("saywhen", 1);
  }

  // A float scale known to be a scalar or a vector of n: a constant, or the
  // product of DynamicQuantizeLinear's (scalar) scale and such a constant.
  bool scale_shape_ok(const std::string& name, int64_t n) {
    auto fits = [n](const Tensor* t) {
      return t && t->dtype() == DType::Float32 && (t->numel() == 1 || (t->rank() == 1 && t->numel() == n));
    };
    if (const Tensor* t = constant(name)) return fits(t);
    auto p = producer_.find(name);
    if (p == producer_.end()) return false;
    const Node& m = g_.nodes[p->second];
    if (!is(m, "Mul") || m.inputs.size() != 2) return false;
    for (int k = 0; k < 2; ++k) {
      auto q = producer_.find(m.inputs[static_cast<size_t>(k)]);
      if (q == producer_.end()) continue;
      const Node& dq = g_.nodes[q->second];
      if (is(dq, "DynamicQuantizeLinear") && dq.outputs.size() > 1 && dq.outputs[1] == m.inputs[static_cast<size_t>(k)] &&
          fits(constant(m.inputs[static_cast<size_t>(1 - k)])))
        return true;
    }
    return false;
  }

  bool float_vector(const std::string& name) {
    const Tensor* t = constant(name);
    return t && t->dtype() == DType::Float32 && t->rank() == 1;
  }

  bool plain_layernorm(const Node& ln) {
    if (ln.inputs.size() < 2 || ln.inputs.size() > 3 || ln.inputs[0].empty() || ln.outputs.empty()) return false;
    auto ax = ln.attrs.find("axis");
    if (ax != ln.attrs.end() && ax->second.i != -1) return false;
    for (size_t o = 1; o < ln.outputs.size(); ++o)
      if (!ln.outputs[o].empty() && readers(ln.outputs[o]) > 0) return false;
    if (!float_vector(ln.inputs[1])) return false;
    return ln.inputs.size() < 3 || ln.inputs[2].empty() || float_vector(ln.inputs[2]);
  }

  // The Add producing `name`, read by nothing else.
  size_t add_feeding(const std::string& name) {
    const size_t p = sole_producer(name);
    if (p == kNone) return kNone;
    const Node& a = g_.nodes[p];
    if (!is(a, "Add") || a.inputs.size() != 2 || a.inputs[0].empty() || a.inputs[1].empty()) return kNone;
    return p;
  }

  // ... whose second input is a constant float32 vector.
  size_t bias_add_feeding(const std::string& name) {
    const size_t i = add_feeding(name);
    if (i == kNone || !float_vector(g_.nodes[i].inputs[1])) return kNone;
    return i;
  }
};

// A float MatMul whose product is only read by
//
//   Add(product, bias)   bias a constant float32 vector [N], N = B's last
//                        dimension (B constant): the Linear layers' bias
//   Mul(product, s)      s a constant float32 scalar (rank 0): attention's
//                        1/sqrt(d) on the scores
//
// -> saywhen.FusedMatMul(A, B [, bias]) with alpha = s: the sgemm epilogue
// scales and adds while the product is still in registers, instead of one more
// pass over it. A scale is the same rounding as the Mul, and the bias is added
// to the whole sum as the Add does (SgemmArgs::bias_after_sum): the same bits.
class MatMulEpilogue : GraphIndex {
 public:
  explicit MatMulEpilogue(ModelIR& model) : GraphIndex(model) {}

  void run() {
    index();
    std::set<size_t> removed;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      const Node& mm = g_.nodes[i];
      if (!is(mm, "MatMul") || mm.inputs.size() != 2 || mm.outputs.size() != 1) continue;
      const size_t j = sole_reader(mm.outputs[0]);
      if (j == kNone || removed.count(j)) continue;
      Node& next = g_.nodes[j];
      const std::string other = other_input(next, mm.outputs[0]);
      const Tensor* t = constant(other);
      if (!t || t->dtype() != DType::Float32 || next.outputs.size() != 1) continue;
      Node f;
      f.name = mm.name + "/saywhen_FusedMatMul";
      f.op_type = "FusedMatMul";
      f.domain = "saywhen";
      f.inputs = mm.inputs;
      f.outputs = next.outputs;
      if (is(next, "Add") && t->rank() == 1) {
        const Tensor* b = constant(mm.inputs[1]);
        if (!b || b->rank() < 2 || b->shape().back() != t->numel()) continue;
        f.inputs.push_back(other);
      } else if (is(next, "Mul") && t->rank() == 0) {
        f.attrs["alpha"] = float_attr(t->data<float>()[0]);
      } else {
        continue;
      }
      removed.insert(i);
      next = std::move(f);  // at the reader's place: A and B are computed before it
    }
    if (removed.empty()) return;
    erase_nodes(removed);
    model_.opsets.emplace("saywhen", 1);
  }
};

// Multi-head attention as a transformer export writes it:
//
//   Q, K, V head views [B, H, T, D] of the projections, each either
//     Gather(Transpose(Reshape(x) [B,T,n,H,D], perm [2,0,3,1,4]), i)   or
//     Transpose(Reshape(x) [B,T,H,D], perm [0,2,1,3])
//   S = FusedMatMul(Q, Transpose(K, perm [0,1,3,2]), alpha)   (or MatMul)
//   O = Transpose(MatMul(Softmax(S, last axis), V), perm [0,2,1,3])
//
// -> O = saywhen.Attention(Reshape outputs of Q, K, V; q/k/v_index, alpha):
// the products read Q and V where the projections left them and write O in
// place, so the three transposes (the largest copies the text model makes)
// go. The arithmetic is the unfused ops' (see build_attention): the same bits.
// The layout ops feeding it stay; once nothing reads them the plan drops them.
class AttentionFusion : GraphIndex {
 public:
  explicit AttentionFusion(ModelIR& model) : GraphIndex(model) {}

  void run() {
    index();
    std::set<size_t> removed;
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (removed.count(i) || !is_transpose(g_.nodes[i], {0, 2, 1, 3})) continue;
      const size_t pv = sole_producer(g_.nodes[i].inputs[0]);
      if (pv == kNone || !is(g_.nodes[pv], "MatMul") || g_.nodes[pv].inputs.size() != 2) continue;
      const size_t sm = sole_producer(g_.nodes[pv].inputs[0]);
      if (sm == kNone || !is_last_axis_softmax(g_.nodes[sm])) continue;
      const size_t qk = sole_producer(g_.nodes[sm].inputs[0]);
      if (qk == kNone) continue;
      const Node& s = g_.nodes[qk];
      const bool fused = s.domain == "saywhen" && s.op_type == "FusedMatMul";
      if (!(fused || is(s, "MatMul")) || s.inputs.size() != 2) continue;
      const size_t kt = sole_producer(s.inputs[1]);
      if (kt == kNone || !is_transpose(g_.nodes[kt], {0, 1, 3, 2})) continue;
      HeadSource q, k, v;
      if (!head_source(s.inputs[0], q) || !head_source(g_.nodes[kt].inputs[0], k) ||
          !head_source(g_.nodes[pv].inputs[1], v))
        continue;
      Node a;
      a.name = g_.nodes[i].name + "/saywhen_Attention";
      a.op_type = "Attention";
      a.domain = "saywhen";
      a.inputs = {q.tensor, k.tensor, v.tensor};
      a.outputs = g_.nodes[i].outputs;
      a.attrs["q_index"] = int_attr(q.index);
      a.attrs["k_index"] = int_attr(k.index);
      a.attrs["v_index"] = int_attr(v.index);
      auto alpha = s.attrs.find("alpha");
      a.attrs["alpha"] = float_attr(fused && alpha != s.attrs.end() ? alpha->second.f : 1.0f);
      g_.nodes[i] = std::move(a);  // at the output transpose's place: Q, K, V are computed before it
      removed.insert({pv, sm, qk, kt});
    }
    if (removed.empty()) return;
    erase_nodes(removed);
    model_.opsets.emplace("saywhen", 1);
  }

 private:
  struct HeadSource {
    std::string tensor;  // a Reshape's output: [B, T, n, H, D] or [B, T, H, D]
    int64_t index = -1;
  };

  static bool is_transpose(const Node& n, const std::vector<int64_t>& perm) {
    if (!is(n, "Transpose") || n.inputs.size() != 1 || n.outputs.size() != 1) return false;
    auto p = n.attrs.find("perm");
    return p != n.attrs.end() && p->second.kind == Attribute::Kind::Ints && p->second.ints == perm;
  }

  bool is_last_axis_softmax(const Node& n) const {
    if (!is(n, "Softmax") || n.inputs.size() != 1) return false;
    auto a = n.attrs.find("axis");
    if (a == n.attrs.end()) {  // the default axis is the last one from opset 13 on
      auto o = model_.opsets.find("");
      return o != model_.opsets.end() && o->second >= 13;
    }
    return a->second.kind == Attribute::Kind::Int && (a->second.i == -1 || a->second.i == 3);
  }

  bool is_reshape(const std::string& name) const {
    auto p = producer_.find(name);
    return p != producer_.end() && is(g_.nodes[p->second], "Reshape");
  }

  // Where a head view [B, H, T, D] comes from (its value may have other readers:
  // the Gathers share one Transpose).
  bool head_source(const std::string& name, HeadSource& out) {
    auto p = producer_.find(name);
    if (p == producer_.end()) return false;
    const Node& n = g_.nodes[p->second];
    if (is_transpose(n, {0, 2, 1, 3}) && is_reshape(n.inputs[0])) {
      out = {n.inputs[0], -1};
      return true;
    }
    if (!is(n, "Gather") || n.inputs.size() != 2) return false;
    auto axis = n.attrs.find("axis");
    if (axis != n.attrs.end() && axis->second.i != 0) return false;
    const Tensor* idx = constant(n.inputs[1]);
    if (!idx || idx->rank() != 0 || (idx->dtype() != DType::Int64 && idx->dtype() != DType::Int32)) return false;
    const int64_t i = idx->dtype() == DType::Int64 ? idx->data<int64_t>()[0] : idx->data<int32_t>()[0];
    auto t = producer_.find(n.inputs[0]);
    if (i < 0 || t == producer_.end()) return false;
    const Node& tr = g_.nodes[t->second];
    if (!is_transpose(tr, {2, 0, 3, 1, 4}) || !is_reshape(tr.inputs[0])) return false;
    out = {tr.inputs[0], i};
    return true;
  }
};

}  // namespace

void optimize_graph(ModelIR& model, const OptimizeOptions& opts) {
  // SAYWHEN_FUSE_QDQ=0 turns the fusion off for a whole process (comparing
  // fused and unfused runs from the command line).
  const char* env = std::getenv("SAYWHEN_FUSE_QDQ");
  const bool fuse = opts.fuse_qdq && !(env && std::string(env) == "0");
  OrtFusions(model).run();
  if (fuse) QdqFuser(model).run();
  // Last: the QDQ groups match on plain MatMuls.
  MatMulEpilogue(model).run();
  // After the epilogue, whose FusedMatMul carries attention's scale.
  const char* att = std::getenv("SAYWHEN_FUSE_ATTENTION");
  if (opts.fuse_attention && !(att && std::string(att) == "0")) AttentionFusion(model).run();
}

}  // namespace saywhen::rt
