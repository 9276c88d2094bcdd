#include "plan.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <functional>
#include <set>

namespace saywhen::rt {
namespace {

constexpr size_t kAlign = 64;
size_t align_up(size_t n) { return (n + kAlign - 1) & ~(kAlign - 1); }

// A view output (alias_output / view_output) of a value known now: the same
// bytes when it is the whole input, else a copy of its part.
Tensor view_of(const Tensor& in, const BuildContext::Output& o) {
  if (o.alias_offset == 0 && shape_numel(o.shape) == in.numel()) return in.reshaped(o.shape);
  Tensor t(o.dtype, o.shape);
  if (t.nbytes()) std::memcpy(t.raw(), static_cast<const uint8_t*>(in.raw()) + o.alias_offset, t.nbytes());
  return t;
}

// Ops whose result must not be computed once at load time.
bool is_nondeterministic(const std::string& op) {
  return op.rfind("Random", 0) == 0 || op == "Multinomial" || op == "Bernoulli";
}

}  // namespace

Tensor constant_from_attributes(const ModelIR& model, const Node& n) {
  auto fail = [&](const std::string& why) -> Error {
    return Error(model.path + ": node '" + n.name + "' (Constant): " + why);
  };
  if (n.attrs.size() != 1) throw fail("needs exactly one value attribute");
  const auto& [key, a] = *n.attrs.begin();
  if (key == "value" && a.kind == Attribute::Kind::Tensor) return a.t;
  if (key == "value_float" && a.kind == Attribute::Kind::Float) {
    Tensor t(DType::Float32, {});
    *t.data<float>() = a.f;
    return t;
  }
  if (key == "value_int" && a.kind == Attribute::Kind::Int) {
    Tensor t(DType::Int64, {});
    *t.data<int64_t>() = a.i;
    return t;
  }
  if (key == "value_floats" && a.kind == Attribute::Kind::Floats) {
    Tensor t(DType::Float32, {static_cast<int64_t>(a.floats.size())});
    std::copy(a.floats.begin(), a.floats.end(), t.data<float>());
    return t;
  }
  if (key == "value_ints" && a.kind == Attribute::Kind::Ints) {
    Tensor t(DType::Int64, {static_cast<int64_t>(a.ints.size())});
    std::copy(a.ints.begin(), a.ints.end(), t.data<int64_t>());
    return t;
  }
  throw fail("unsupported value attribute '" + key + "' of type " + attribute_kind_name(a.kind));
}

namespace {

bool condition_value(const Tensor& t) {
  if (t.numel() != 1) throw Error("If condition must have exactly one element, got " + shape_str(t.shape()));
  switch (t.dtype()) {
    case DType::Bool: case DType::UInt8: case DType::Int8: return *t.data<uint8_t>() != 0;
    case DType::Int64: return *t.data<int64_t>() != 0;
    case DType::Int32: return *t.data<int32_t>() != 0;
    case DType::Float32: return *t.data<float>() != 0;
    default: throw Error(std::string("If condition has unsupported type ") + dtype_name(t.dtype()));
  }
}

// Names a subgraph reads from enclosing scopes.
void free_names(const Graph& g, std::set<std::string>& out) {
  std::set<std::string> defined;
  for (const auto& in : g.inputs) defined.insert(in.name);
  for (const auto& kv : g.initializers) defined.insert(kv.first);
  for (const auto& n : g.nodes) {
    for (const auto& in : n.inputs)
      if (!in.empty() && !defined.count(in)) out.insert(in);
    for (const auto& kv : n.attrs)
      if (kv.second.kind == Attribute::Kind::Graph) {
        std::set<std::string> inner;
        free_names(*kv.second.g, inner);
        for (const auto& name : inner)
          if (!defined.count(name)) out.insert(name);
      }
    for (const auto& o : n.outputs) defined.insert(o);
  }
  for (const auto& o : g.outputs)
    if (!defined.count(o.name)) out.insert(o.name);
}

class Planner {
 public:
  Planner(const ModelIR& model, const PlanRequest& req) : model_(model), req_(req) {
    plan_ = std::make_shared<Plan>();
    plan_->model = &model;
  }

  std::shared_ptr<const Plan> build() {
    const Graph& g = model_.graph;
    scopes_.emplace_back();
    for (const auto& kv : req_.fixed) {
      bool known = false;
      for (const auto& in : model_.runtime_inputs) known |= in.name == kv.first;
      if (!known) throw Error(model_.path + ": fixed input '" + kv.first + "' is not an input of the model");
    }
    for (const auto& kv : g.initializers) define(kv.first, new_constant(kv.first, kv.second));
    for (const auto& in : model_.runtime_inputs) {
      auto fixed = req_.fixed.find(in.name);
      if (fixed != req_.fixed.end()) {
        check_input(in, fixed->second.dtype(), fixed->second.shape());
        define(in.name, new_constant(in.name, fixed->second));
        plan_->input_slots.push_back(-1);
        plan_->input_shapes.push_back(fixed->second.shape());
        continue;
      }
      auto sh = req_.shapes.find(in.name);
      if (sh == req_.shapes.end()) throw Error(model_.path + ": no shape given for input '" + in.name + "'");
      check_input(in, in.dtype, sh->second);
      int s = new_slot(in.name, Slot::Kind::Arena, in.dtype, sh->second);
      def_step_[static_cast<size_t>(s)] = -1;
      define(in.name, s);
      plan_->input_slots.push_back(s);
      plan_->input_shapes.push_back(sh->second);
    }
    stats_.nodes_in_model = count_nodes(g);
    for (const auto& n : g.nodes) add_node(n);
    for (const auto& out : g.outputs) plan_->output_slots.push_back(lookup(out.name, "graph output"));
    eliminate_dead_steps();
    assign_memory();
    stats_.steps = plan_->steps.size();
    plan_->stats = stats_;
    return plan_;
  }

 private:
  static size_t count_nodes(const Graph& g) {
    size_t n = g.nodes.size();
    for (const auto& node : g.nodes)
      for (const auto& kv : node.attrs)
        if (kv.second.kind == Attribute::Kind::Graph) n += count_nodes(*kv.second.g);
    return n;
  }

  void check_input(const ValueInfo& in, DType dtype, const Shape& shape) {
    if (in.dtype != DType::Undefined && dtype != in.dtype)
      throw Error(model_.path + ": input '" + in.name + "' must be " + dtype_name(in.dtype) + ", got " +
                  dtype_name(dtype));
    if (!in.dims.empty() || !shape.empty()) {
      bool ok = in.dims.size() == shape.size();
      for (size_t i = 0; ok && i < shape.size(); ++i) ok = in.dims[i] < 0 || in.dims[i] == shape[i];
      for (int64_t d : shape) ok = ok && d >= 0;
      if (!ok && !(in.dims.empty() && in.dim_params.empty() && false))
        throw Error(model_.path + ": input '" + in.name + "' has shape " + shape_str(shape) +
                    " but the model declares " + shape_str(in.dims) + " (-1 = any)");
    }
  }

  int new_slot(const std::string& name, Slot::Kind kind, DType dtype, const Shape& shape) {
    Slot s;
    s.kind = kind;
    s.name = name;
    s.dtype = dtype;
    s.shape = shape;
    plan_->slots.push_back(std::move(s));
    ValueState& v = states_.emplace_back();
    v.dtype = dtype;
    v.shape = shape;
    v.shape_known = kind != Slot::Kind::Dynamic;
    def_step_.push_back(static_cast<int>(plan_->steps.size()));
    return static_cast<int>(plan_->slots.size() - 1);
  }

  int new_constant(const std::string& name, const Tensor& t) {
    int s = new_slot(name, Slot::Kind::Constant, t.dtype(), t.shape());
    constants_.push_back(t);
    plan_->slots[static_cast<size_t>(s)].constant = t;
    states_[static_cast<size_t>(s)].constant = &constants_.back();
    return s;
  }

  void define(const std::string& name, int slot) {
    if (name.empty()) return;
    auto& scope = scopes_.back();
    if (scope.count(name))
      throw Error(model_.path + ": value '" + name + "' is defined twice");
    scope[name] = slot;
    plan_->slot_by_name[name] = slot;
  }

  int lookup(const std::string& name, const std::string& who) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return f->second;
    }
    throw Error(model_.path + ": " + who + " reads '" + name +
                "', which no earlier node, input or initializer defines");
  }

  void add_node(const Node& n) {
    const std::string who = "node '" + n.name + "' (" + n.op_type + ")";
    std::vector<int> ins;
    for (const auto& name : n.inputs) ins.push_back(name.empty() ? -1 : lookup(name, who));

    if (n.domain.empty() && n.op_type == "Constant") {
      if (n.outputs.size() != 1) throw Error(model_.path + ": " + who + ": needs exactly one output");
      define(n.outputs[0], new_constant(n.outputs[0], constant_from_attributes(model_, n)));
      ++stats_.folded;
      return;
    }
    if (n.domain.empty() && n.op_type == "If") {
      add_if(n, ins, who);
      return;
    }
    if (n.domain.empty() && (n.op_type == "Loop" || n.op_type == "Scan"))
      throw Error(model_.path + ": " + who + ": op " + n.op_type + " is not supported");
    KernelBuilder builder = find_kernel(n.domain, n.op_type);
    if (!builder)
      throw Error(model_.path + ": " + who + ": unsupported op " +
                  (n.domain.empty() ? "" : n.domain + ".") + n.op_type + " (opset " +
                  std::to_string(model_.opset(n.domain)) + ")");
    // Output 0 is required by every operator except the recurrent ones (their Y), and
    // kernels write it without asking.
    const bool first_optional = n.domain.empty() && (n.op_type == "LSTM" || n.op_type == "GRU" || n.op_type == "RNN");
    if (!first_optional && (n.outputs.empty() || n.outputs[0].empty()))
      throw Error(model_.path + ": " + who + ": has no output 0, which " + n.op_type + " requires");

    std::vector<const ValueState*> in_states;
    bool all_const = true;
    for (int s : ins) {
      in_states.push_back(s < 0 ? nullptr : &states_[static_cast<size_t>(s)]);
      if (s >= 0 && !states_[static_cast<size_t>(s)].constant) all_const = false;
    }
    BuildContext ctx(model_, n, in_states, n.outputs.size());
    std::unique_ptr<Kernel> kernel;
    try {
      kernel = builder(ctx);
    } catch (const NotStatic&) {
      add_dynamic_step(n, ins);
      return;
    }
    for (size_t i = 0; i < n.outputs.size(); ++i)
      if (!n.outputs[i].empty() && !ctx.outputs()[i].set)
        ctx.fail("does not produce output " + std::to_string(i));

    // Shape and Size depend only on the (known) input shape, never its data:
    // folding them is what turns Shape->Gather->Concat->Reshape chains static.
    const bool shape_only = n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
    const bool fold = req_.fold_constants && (all_const || shape_only) && !is_nondeterministic(n.op_type);
    if (fold) {
      fold_node(n, ins, ctx, kernel.get());
      return;
    }

    Step step;
    step.node = &n;
    step.kernel = std::move(kernel);
    step.inputs = ins;
    plan_->scratch_bytes = std::max(plan_->scratch_bytes, align_up(ctx.scratch()));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i].empty()) {
        step.outputs.push_back(-1);
        continue;
      }
      const auto& o = ctx.outputs()[i];
      int s;
      if (o.alias_of >= 0) {
        int src = ins[static_cast<size_t>(o.alias_of)];
        const Slot& src_slot = plan_->slots[static_cast<size_t>(src)];
        if (src_slot.kind == Slot::Kind::Constant) {
          s = new_constant(n.outputs[i], view_of(src_slot.constant, o));
        } else {
          // Read the root before new_slot(): it may reallocate the slot vector.
          const int root = src_slot.kind == Slot::Kind::Alias ? src_slot.alias_root : src;
          const size_t offset = (src_slot.kind == Slot::Kind::Alias ? src_slot.alias_offset : 0) + o.alias_offset;
          s = new_slot(n.outputs[i], Slot::Kind::Alias, o.dtype, o.shape);
          plan_->slots[static_cast<size_t>(s)].alias_root = root;
          plan_->slots[static_cast<size_t>(s)].alias_offset = offset;
        }
      } else {
        s = new_slot(n.outputs[i], Slot::Kind::Arena, o.dtype, o.shape);
      }
      define(n.outputs[i], s);
      step.outputs.push_back(s);
    }
    plan_->steps.push_back(std::move(step));
  }

  void fold_node(const Node& n, const std::vector<int>& ins, BuildContext& ctx, const Kernel* kernel) {
    std::vector<Tensor> outs(n.outputs.size());
    std::vector<const Tensor*> in_ptrs;
    for (int s : ins) in_ptrs.push_back(s < 0 ? nullptr : states_[static_cast<size_t>(s)].constant);
    std::vector<Tensor*> out_ptrs;
    for (size_t i = 0; i < outs.size(); ++i) {
      const auto& o = ctx.outputs()[i];
      if (n.outputs[i].empty()) {
        out_ptrs.push_back(nullptr);
      } else if (o.alias_of >= 0) {
        outs[i] = view_of(*in_ptrs[static_cast<size_t>(o.alias_of)], o);
        out_ptrs.push_back(nullptr);
      } else {
        outs[i] = Tensor(o.dtype, o.shape);
        out_ptrs.push_back(&outs[i]);
      }
    }
    if (kernel) {
      std::vector<uint8_t> scratch(ctx.scratch() + kAlign);
      RunContext rc;
      rc.inputs = in_ptrs.data();
      rc.num_inputs = static_cast<int>(in_ptrs.size());
      rc.outputs = out_ptrs.data();
      rc.num_outputs = static_cast<int>(out_ptrs.size());
      rc.pool = &fold_pool_;
      uintptr_t p = reinterpret_cast<uintptr_t>(scratch.data());
      rc.scratch = reinterpret_cast<void*>((p + kAlign - 1) & ~uintptr_t{kAlign - 1});
      kernel->run(rc);
    }
    for (size_t i = 0; i < outs.size(); ++i)
      if (!n.outputs[i].empty()) define(n.outputs[i], new_constant(n.outputs[i], outs[i]));
    ++stats_.folded;
  }

  void add_dynamic_step(const Node& n, std::vector<int> ins) {
    Step step;
    step.node = &n;
    step.dynamic = true;
    step.inputs = std::move(ins);
    for (const auto& name : n.outputs) {
      int s = -1;
      if (!name.empty()) {
        s = new_slot(name, Slot::Kind::Dynamic, DType::Undefined, {});
        define(name, s);
      }
      step.outputs.push_back(s);
    }
    ++stats_.dynamic_steps;
    plan_->steps.push_back(std::move(step));
  }

  void add_if(const Node& n, const std::vector<int>& ins, const std::string& who) {
    if (ins.empty() || ins[0] < 0) throw Error(model_.path + ": " + who + ": needs a condition input");
    auto branch = [&](const char* name) -> const Graph& {
      auto it = n.attrs.find(name);
      if (it == n.attrs.end() || it->second.kind != Attribute::Kind::Graph)
        throw Error(model_.path + ": " + who + ": missing graph attribute '" + name + "'");
      return *it->second.g;
    };
    const Graph& then_g = branch("then_branch");
    const Graph& else_g = branch("else_branch");
    const Tensor* cond = states_[static_cast<size_t>(ins[0])].constant;
    if (!cond) {
      // Condition known only at run time: run the chosen branch by interpretation.
      std::vector<int> step_ins = ins;
      std::set<std::string> names;
      free_names(then_g, names);
      free_names(else_g, names);
      for (const auto& name : names) step_ins.push_back(lookup(name, who));
      add_dynamic_step(n, step_ins);
      return;
    }
    bool take_then;
    try {
      take_then = condition_value(*cond);
    } catch (const Error& e) {
      throw Error(model_.path + ": " + who + ": " + e.what());
    }
    const Graph& g = take_then ? then_g : else_g;
    if (g.outputs.size() != n.outputs.size())
      throw Error(model_.path + ": " + who + ": branch '" + g.name + "' has " +
                  std::to_string(g.outputs.size()) + " outputs, the If node " +
                  std::to_string(n.outputs.size()));
    scopes_.emplace_back();
    for (const auto& kv : g.initializers) define(kv.first, new_constant(kv.first, kv.second));
    for (const auto& sub : g.nodes) add_node(sub);
    std::vector<int> results;
    for (const auto& out : g.outputs) results.push_back(lookup(out.name, who + " branch output"));
    scopes_.pop_back();
    for (size_t i = 0; i < n.outputs.size(); ++i) define(n.outputs[i], results[i]);
  }

  void eliminate_dead_steps() {
    std::vector<bool> needed(plan_->slots.size(), false);
    auto need = [&](int s) {
      if (s < 0) return;
      needed[static_cast<size_t>(s)] = true;
      int root = plan_->slots[static_cast<size_t>(s)].alias_root;
      if (root >= 0) needed[static_cast<size_t>(root)] = true;
    };
    for (int s : plan_->output_slots) need(s);
    std::vector<Step> kept;
    for (auto it = plan_->steps.rbegin(); it != plan_->steps.rend(); ++it) {
      bool used = false;
      for (int s : it->outputs) used |= s >= 0 && needed[static_cast<size_t>(s)];
      if (!used) continue;
      for (int s : it->inputs) need(s);
      kept.push_back(std::move(*it));
    }
    std::reverse(kept.begin(), kept.end());
    plan_->steps = std::move(kept);
  }

  void assign_memory() {
    const size_t n = plan_->slots.size();
    const int kForever = static_cast<int>(plan_->steps.size()) + 1;
    std::vector<int> first(n, kForever), last(n, -2);
    auto root_of = [&](int s) {
      int r = plan_->slots[static_cast<size_t>(s)].alias_root;
      return r >= 0 ? r : s;
    };
    for (int s : plan_->input_slots)
      if (s >= 0) first[static_cast<size_t>(s)] = -1, last[static_cast<size_t>(s)] = std::max(last[static_cast<size_t>(s)], -1);
    for (size_t i = 0; i < plan_->steps.size(); ++i) {
      const Step& st = plan_->steps[i];
      for (int s : st.outputs)
        if (s >= 0) {
          size_t r = static_cast<size_t>(root_of(s));
          first[r] = std::min(first[r], static_cast<int>(i));
          last[r] = std::max(last[r], static_cast<int>(i));
        }
      for (int s : st.inputs)
        if (s >= 0) {
          size_t r = static_cast<size_t>(root_of(s));
          last[r] = std::max(last[r], static_cast<int>(i));
        }
    }
    for (int s : plan_->output_slots) last[static_cast<size_t>(root_of(s))] = kForever;

    struct Block { size_t offset, size; int first, last; };
    std::vector<Block> placed;
    std::vector<size_t> order;
    for (size_t i = 0; i < n; ++i)
      if (plan_->slots[i].kind == Slot::Kind::Arena && last[i] >= -1) order.push_back(i);
    auto bytes = [&](size_t i) {
      return align_up(static_cast<size_t>(shape_numel(plan_->slots[i].shape)) * dtype_size(plan_->slots[i].dtype));
    };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return bytes(a) > bytes(b); });
    size_t total = 0;
    for (size_t i : order) {
      size_t size = bytes(i);
      stats_.naive_bytes += size;
      std::vector<std::pair<size_t, size_t>> busy;
      for (const auto& b : placed)
        if (!(b.last < first[i] || last[i] < b.first)) busy.emplace_back(b.offset, b.offset + b.size);
      std::sort(busy.begin(), busy.end());
      size_t offset = 0;
      for (const auto& [lo, hi] : busy) {
        if (offset + size <= lo) break;
        offset = std::max(offset, hi);
      }
      plan_->slots[i].offset = offset;
      placed.push_back({offset, size, first[i], last[i]});
      total = std::max(total, offset + size);
    }
    plan_->arena_bytes = total;
    stats_.arena_bytes = total;
  }

  const ModelIR& model_;
  const PlanRequest& req_;
  std::shared_ptr<Plan> plan_;
  std::deque<ValueState> states_;
  std::deque<Tensor> constants_;
  std::vector<int> def_step_;
  std::vector<std::map<std::string, int>> scopes_;
  PlanStats stats_;
  ThreadPool fold_pool_{1};
};

}  // namespace

std::shared_ptr<const Plan> build_plan(const ModelIR& model, const PlanRequest& req) {
  return Planner(model, req).build();
}

}  // namespace saywhen::rt
