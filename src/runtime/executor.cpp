#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <functional>

#include "plan.h"

namespace saywhen::rt {
namespace {

uint8_t* aligned(std::unique_ptr<uint8_t[]>& storage, size_t bytes) {
  storage.reset(new uint8_t[bytes + 64]());
  uintptr_t p = reinterpret_cast<uintptr_t>(storage.get());
  return reinterpret_cast<uint8_t*>((p + 63) & ~uintptr_t{63});
}

// Builds and runs one node with every input known (shapes and values).
// Outputs are owning tensors; reuses `outs[i]` storage when its shape matches.
void run_node_now(const ModelIR& model, const Node& n, const std::vector<const Tensor*>& ins,
                  std::vector<Tensor>& outs, ThreadPool* pool) {
  KernelBuilder builder = find_kernel(n.domain, n.op_type);
  if (!builder) throw Error(model.path + ": node '" + n.name + "': unsupported op " + n.op_type);
  std::vector<ValueState> states(ins.size());
  std::vector<const ValueState*> state_ptrs;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (!ins[i]) {
      state_ptrs.push_back(nullptr);
      continue;
    }
    states[i].dtype = ins[i]->dtype();
    states[i].shape = ins[i]->shape();
    states[i].shape_known = true;
    states[i].constant = ins[i];
    state_ptrs.push_back(&states[i]);
  }
  BuildContext ctx(model, n, state_ptrs, n.outputs.size());
  std::unique_ptr<Kernel> kernel;
  try {
    kernel = builder(ctx);
  } catch (const NotStatic&) {
    throw Error(model.path + ": node '" + n.name + "' (" + n.op_type + "): cannot determine its output at run time");
  }
  outs.resize(n.outputs.size());
  std::vector<Tensor*> out_ptrs(n.outputs.size(), nullptr);
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    const auto& o = ctx.outputs()[i];
    if (!o.set) {
      if (!n.outputs[i].empty()) ctx.fail("does not produce output " + std::to_string(i));
      continue;
    }
    if (outs[i].dtype() != o.dtype || outs[i].shape() != o.shape) outs[i] = Tensor(o.dtype, o.shape);
    if (o.alias_of >= 0) {
      const Tensor* src = ins[static_cast<size_t>(o.alias_of)];
      if (outs[i].nbytes())
        std::memcpy(outs[i].raw(), static_cast<const uint8_t*>(src->raw()) + o.alias_offset, outs[i].nbytes());
    } else {
      out_ptrs[i] = &outs[i];
    }
  }
  if (!kernel) return;
  std::unique_ptr<uint8_t[]> scratch_storage;
  RunContext rc;
  rc.inputs = ins.data();
  rc.num_inputs = static_cast<int>(ins.size());
  rc.outputs = out_ptrs.data();
  rc.num_outputs = static_cast<int>(out_ptrs.size());
  rc.pool = pool;
  rc.scratch = aligned(scratch_storage, ctx.scratch());
  kernel->run(rc);
}

const Graph& if_branch(const ModelIR& model, const Node& n, const Tensor& cond) {
  if (cond.numel() != 1) throw Error(model.path + ": node '" + n.name + "' (If): condition must have one element");
  bool c = cond.dtype() == DType::Bool ? *cond.data<uint8_t>() != 0 : *cond.data<int64_t>() != 0;
  const char* key = c ? "then_branch" : "else_branch";
  auto it = n.attrs.find(key);
  if (it == n.attrs.end() || !it->second.g) throw Error(model.path + ": node '" + n.name + "' (If): missing " + key);
  return *it->second.g;
}

}  // namespace

std::vector<Tensor> interpret_graph(const ModelIR& model, const Graph& graph,
                                    const std::function<const Tensor*(const std::string&)>& outer,
                                    ThreadPool* pool) {
  std::map<std::string, Tensor> local(graph.initializers.begin(), graph.initializers.end());
  auto find = [&](const std::string& name) -> const Tensor* {
    auto it = local.find(name);
    if (it != local.end()) return &it->second;
    const Tensor* t = outer(name);
    if (!t) throw Error(model.path + ": subgraph '" + graph.name + "' reads unknown value '" + name + "'");
    return t;
  };
  for (const Node& n : graph.nodes) {
    std::vector<const Tensor*> ins;
    for (const auto& name : n.inputs) ins.push_back(name.empty() ? nullptr : find(name));
    std::vector<Tensor> outs;
    if (n.domain.empty() && n.op_type == "Constant") {
      outs.push_back(constant_from_attributes(model, n));
    } else if (n.domain.empty() && n.op_type == "If") {
      const Graph& g = if_branch(model, n, *ins.at(0));
      outs = interpret_graph(model, g, find, pool);
    } else {
      run_node_now(model, n, ins, outs, pool);
    }
    for (size_t i = 0; i < n.outputs.size() && i < outs.size(); ++i)
      if (!n.outputs[i].empty()) local[n.outputs[i]] = std::move(outs[i]);
  }
  std::vector<Tensor> results;
  for (const auto& o : graph.outputs) results.push_back(find(o.name)->clone());
  return results;
}

Executor::Executor(std::shared_ptr<const Plan> plan, ThreadPool* pool)
    : plan_(std::move(plan)), pool_(pool) {
  const Plan& p = *plan_;
  arena_ = aligned(arena_storage_, p.arena_bytes);
  scratch_ = aligned(scratch_storage_, p.scratch_bytes);
  tensors_.resize(p.slots.size());
  for (size_t i = 0; i < p.slots.size(); ++i) {
    const Slot& s = p.slots[i];
    switch (s.kind) {
      case Slot::Kind::Constant:
        tensors_[i] = s.constant;
        break;
      case Slot::Kind::Arena:
        tensors_[i] = Tensor::view(s.dtype, s.shape, arena_ + s.offset);
        break;
      case Slot::Kind::Alias:
        tensors_[i] =
            Tensor::view(s.dtype, s.shape, arena_ + p.slots[static_cast<size_t>(s.alias_root)].offset + s.alias_offset);
        break;
      case Slot::Kind::Dynamic:
        break;
    }
  }
  for (const Step& st : p.steps) {
    auto& ins = step_inputs_.emplace_back();
    for (int s : st.inputs) ins.push_back(s < 0 ? nullptr : &tensors_[static_cast<size_t>(s)]);
    auto& outs = step_outputs_.emplace_back();
    for (int s : st.outputs) outs.push_back(s < 0 ? nullptr : &tensors_[static_cast<size_t>(s)]);
  }
}

void Executor::run_step(size_t i, RunContext& rc) {
  const Step& st = plan_->steps[i];
  if (st.dynamic) {
    run_dynamic(i);
    return;
  }
  if (!st.kernel) return;  // pure view
  rc.inputs = step_inputs_[i].data();
  rc.num_inputs = static_cast<int>(step_inputs_[i].size());
  rc.outputs = step_outputs_[i].data();
  rc.num_outputs = static_cast<int>(step_outputs_[i].size());
  st.kernel->run(rc);
}

void Executor::run() {
  const size_t n = plan_->steps.size();
  RunContext rc;
  rc.pool = pool_;
  rc.scratch = scratch_;
  if (!profiling_) {
    for (size_t i = 0; i < n; ++i) run_step(i, rc);
    return;
  }
  using clock = std::chrono::steady_clock;
  for (size_t i = 0; i < n; ++i) {
    auto t0 = clock::now();
    run_step(i, rc);
    step_ms_[i] += std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  }
  ++profiled_runs_;
}

void Executor::set_profiling(bool on) {
  profiling_ = on;
  step_ms_.assign(plan_->steps.size(), 0.0);
  profiled_runs_ = 0;
}

std::vector<OpProfile> Executor::profile() const {
  std::map<std::string, OpProfile> by_op;
  for (size_t i = 0; i < step_ms_.size(); ++i) {
    const Step& st = plan_->steps[i];
    if (!st.node || (!st.kernel && !st.dynamic)) continue;
    const std::string op = st.node->domain.empty() ? st.node->op_type : st.node->domain + "." + st.node->op_type;
    OpProfile& e = by_op[op];
    e.op = op;
    e.calls += profiled_runs_;
    e.ms += step_ms_[i];
  }
  std::vector<OpProfile> out;
  for (auto& [name, e] : by_op) out.push_back(e);
  std::sort(out.begin(), out.end(), [](const OpProfile& a, const OpProfile& b) { return a.ms > b.ms; });
  return out;
}

void Executor::run_dynamic(size_t step_index) {
  const Plan& p = *plan_;
  const Step& st = p.steps[step_index];
  const Node& n = *st.node;
  std::vector<Tensor> outs;
  if (n.domain.empty() && n.op_type == "If") {
    const Graph& g = if_branch(*p.model, n, *step_inputs_[step_index][0]);
    auto outer = [&](const std::string& name) -> const Tensor* {
      auto it = p.slot_by_name.find(name);
      return it == p.slot_by_name.end() ? nullptr : &tensors_[static_cast<size_t>(it->second)];
    };
    outs = interpret_graph(*p.model, g, outer, pool_);
  } else {
    for (int s : st.outputs)
      outs.push_back(s < 0 ? Tensor() : std::move(tensors_[static_cast<size_t>(s)]));
    run_node_now(*p.model, n, step_inputs_[step_index], outs, pool_);
  }
  for (size_t i = 0; i < st.outputs.size() && i < outs.size(); ++i)
    if (st.outputs[i] >= 0) tensors_[static_cast<size_t>(st.outputs[i])] = std::move(outs[i]);
}

}  // namespace saywhen::rt
