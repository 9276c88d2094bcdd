// A Plan is a model specialised for one set of input shapes: every kernel built,
// constants folded, If-branches with known conditions inlined, and every
// intermediate tensor given an offset in one arena. Plans are immutable and
// shared by all sessions; an Executor holds one session's arena.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph.h"
#include "kernel.h"

namespace saywhen::rt {

struct Slot {
  enum class Kind { Constant, Arena, Alias, Dynamic };
  Kind kind = Kind::Arena;
  std::string name;
  DType dtype = DType::Undefined;
  Shape shape;          // empty and meaningless for Dynamic
  Tensor constant;      // Kind::Constant
  size_t offset = 0;    // Kind::Arena
  int alias_root = -1;  // Kind::Alias: the Arena slot whose bytes it views
  size_t alias_offset = 0;  // Kind::Alias: from that slot's first byte
};

struct Step {
  const Node* node = nullptr;
  std::unique_ptr<Kernel> kernel;  // null for a pure view (alias) step
  std::vector<int> inputs;         // slot indices, -1 for omitted optional inputs
  std::vector<int> outputs;        // slot indices, -1 for unused outputs
  bool dynamic = false;            // built at run time (data-dependent shapes, If on data)
};

struct PlanStats {
  size_t nodes_in_model = 0;
  size_t steps = 0;
  size_t folded = 0;
  size_t dynamic_steps = 0;
  size_t arena_bytes = 0;
  size_t naive_bytes = 0;  // sum of all intermediate sizes, for comparison
};

class Plan {
 public:
  const ModelIR* model = nullptr;
  std::vector<Slot> slots;
  std::vector<Step> steps;
  std::vector<int> input_slots;   // per ModelIR::runtime_inputs; -1 if fixed
  std::vector<Shape> input_shapes;
  std::vector<int> output_slots;  // per graph output
  std::map<std::string, int> slot_by_name;  // outer scope for run-time subgraphs
  size_t arena_bytes = 0;
  size_t scratch_bytes = 0;
  PlanStats stats;
};

struct PlanRequest {
  std::map<std::string, Shape> shapes;   // every runtime input
  std::map<std::string, Tensor> fixed;   // inputs known now; become constants
  bool fold_constants = true;
};

// The value of a Constant node (value, value_float(s), value_int(s) attributes).
Tensor constant_from_attributes(const ModelIR& model, const Node& n);

std::shared_ptr<const Plan> build_plan(const ModelIR& model, const PlanRequest& req);

// Runs one plan for one session. Owns the arena; allocates only for dynamic steps.
class Executor {
 public:
  Executor(std::shared_ptr<const Plan> plan, ThreadPool* pool);
  const Plan& plan() const { return *plan_; }
  Tensor& input(size_t i) { return tensors_[static_cast<size_t>(plan_->input_slots[i])]; }
  void run();
  const Tensor& output(size_t i) const { return tensors_[static_cast<size_t>(plan_->output_slots[i])]; }
  // Per-step timing for Session::profile(); off by default (a clock read per step).
  void set_profiling(bool on);
  std::vector<OpProfile> profile() const;

 private:
  void run_step(size_t i, RunContext& rc);
  void run_dynamic(size_t step_index);
  std::shared_ptr<const Plan> plan_;
  ThreadPool* pool_;
  std::unique_ptr<uint8_t[]> arena_storage_;
  std::unique_ptr<uint8_t[]> scratch_storage_;
  uint8_t* arena_ = nullptr;
  uint8_t* scratch_ = nullptr;
  std::vector<Tensor> tensors_;
  std::vector<std::vector<const Tensor*>> step_inputs_;
  std::vector<std::vector<Tensor*>> step_outputs_;
  bool profiling_ = false;
  std::vector<double> step_ms_;  // per step, accumulated while profiling
  int64_t profiled_runs_ = 0;
};

// Runs a graph node by node with every shape taken from the actual tensors
// (used for If branches whose condition is only known at run time).
// `outer` resolves names from enclosing scopes.
std::vector<Tensor> interpret_graph(const ModelIR& model, const Graph& graph,
                                    const std::function<const Tensor*(const std::string&)>& outer,
                                    ThreadPool* pool);

}  // namespace saywhen::rt
