// The one interface every op implements.
//
// An op is a *builder* function called once per node when a plan is made for
// concrete input shapes. The builder reads attributes, checks input types and
// shapes, declares output types and shapes, may pre-pack constant weights, and
// returns a Kernel whose run() does the arithmetic. Run-time code therefore never
// parses attributes or computes shapes, and allocates nothing.
//
// When the builder needs something only known at run time (an input's shape
// that depends on data, or the value of a non-constant input), the BuildContext
// accessor throws NotStatic; the planner then rebuilds that node at run time with
// all inputs known. Builders just write straight-line code.
#pragma once

#include <cstring>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "graph.h"
#include "thread_pool.h"

namespace saywhen::rt {

// No single tensor may exceed this: a model that asks for more is malformed or
// hostile, and gets a clear error instead of an out-of-memory crash.
constexpr int64_t kMaxTensorBytes = int64_t{1} << 30;

// Thrown by BuildContext when a shape or value is not known at plan time.
struct NotStatic {};

struct RunContext {
  const Tensor* const* inputs = nullptr;  // nullptr entries for omitted optional inputs
  Tensor* const* outputs = nullptr;       // shapes/dtypes already set, memory allocated
  int num_inputs = 0;
  int num_outputs = 0;
  ThreadPool* pool = nullptr;             // never null; size 1 means run inline
  void* scratch = nullptr;                // BuildContext::request_scratch bytes, 64-byte aligned

  const Tensor& in(int i) const { return *inputs[i]; }
  bool has_in(int i) const { return i < num_inputs && inputs[i] != nullptr; }
  Tensor& out(int i) const { return *outputs[i]; }
  bool has_out(int i) const { return i < num_outputs && outputs[i] != nullptr; }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Must be thread-safe: one kernel serves every session of a model.
  virtual void run(const RunContext& ctx) const = 0;
};

// Wraps a lambda as a Kernel; the usual way builders return.
template <class F>
class FnKernel final : public Kernel {
 public:
  explicit FnKernel(F f) : f_(std::move(f)) {}
  void run(const RunContext& ctx) const override { f_(ctx); }

 private:
  F f_;
};
template <class F>
std::unique_ptr<Kernel> make_kernel(F f) {
  return std::make_unique<FnKernel<F>>(std::move(f));
}

// What the planner knows about one value while building.
struct ValueState {
  DType dtype = DType::Undefined;
  Shape shape;
  bool shape_known = false;
  const Tensor* constant = nullptr;  // set when the value is known at plan time
};

class BuildContext {
 public:
  BuildContext(const ModelIR& model, const Node& node, std::vector<const ValueState*> inputs,
               size_t num_outputs);

  const Node& node() const { return node_; }
  int64_t opset() const { return opset_; }

  // --- inputs ---
  int num_inputs() const { return static_cast<int>(inputs_.size()); }
  bool has_input(int i) const;
  DType input_dtype(int i) const;
  const Shape& input_shape(int i) const;       // throws NotStatic if unknown
  int input_rank(int i) const { return static_cast<int>(input_shape(i).size()); }
  const Tensor* input_value(int i) const;      // constant value or nullptr
  const Tensor& require_value(int i) const;    // throws NotStatic if not constant
  std::vector<int64_t> require_ints(int i) const;  // int32/int64 constant as int64s
  // The model's own initializer when input i is one (not a folded or fixed
  // value): what a kernel derives from it may go in the model's cache.
  const Tensor* input_initializer(int i) const;
  const InitializerCache& initializer_cache() const { return model_.initializer_cache; }

  // --- outputs ---
  int num_outputs() const { return static_cast<int>(outputs_.size()); }
  bool has_output(int i) const;
  void set_output(int i, DType dtype, const Shape& shape);
  // The output is the input's bytes reinterpreted with another shape (Reshape,
  // Squeeze, Identity...): no copy; the kernel returned may be nullptr.
  void alias_output(int out, int in, const Shape& shape);
  // The output is a contiguous part of the input's bytes, starting
  // byte_offset in (Gather of one index along the outermost axis): no copy.
  void view_output(int out, int in, const Shape& shape, size_t byte_offset);
  // Bytes of per-run scratch memory the kernel needs (shared by all steps).
  void request_scratch(size_t bytes) { scratch_ = std::max(scratch_, bytes); }

  // --- attributes ---
  bool has_attr(const std::string& name) const { return node_.attrs.count(name) != 0; }
  int64_t attr_int(const std::string& name) const;  // required
  int64_t attr_int(const std::string& name, int64_t def) const;
  float attr_float(const std::string& name, float def) const;
  std::string attr_string(const std::string& name, const std::string& def) const;
  std::vector<int64_t> attr_ints(const std::string& name) const;  // empty if absent
  std::vector<float> attr_floats(const std::string& name) const;
  const Tensor& attr_tensor(const std::string& name) const;       // required
  std::shared_ptr<const Graph> attr_graph(const std::string& name) const;

  // --- checks ---
  // Throws Error "<file>: node '<name>' (<Op>): <why>".
  [[noreturn]] void fail(const std::string& why) const;
  // "<file>: node '<name>' (<Op>): ", for errors a kernel raises at run time.
  std::string error_prefix() const;
  void expect_dtype(int i, std::initializer_list<DType> allowed) const;
  void expect_inputs(int min, int max) const;  // counts present-or-omitted slots

  // Results, read by the planner.
  struct Output {
    DType dtype = DType::Undefined;
    Shape shape;
    bool set = false;
    int alias_of = -1;  // input index
    size_t alias_offset = 0;  // bytes into that input
  };
  const std::vector<Output>& outputs() const { return outputs_; }
  size_t scratch() const { return scratch_; }

 private:
  const ModelIR& model_;
  const Node& node_;
  int64_t opset_;
  std::vector<const ValueState*> inputs_;
  std::vector<Output> outputs_;
  size_t scratch_ = 0;
  const Attribute& attr(const std::string& name, Attribute::Kind kind) const;
};

using KernelBuilder = std::unique_ptr<Kernel> (*)(BuildContext& ctx);

// Each kernels/*.cpp file exposes one register_*_ops(OpTable&) (see registry.cpp).
class OpTable {
 public:
  void add(const std::string& op_type, KernelBuilder builder, const std::string& domain = "");
  KernelBuilder find(const std::string& domain, const std::string& op_type) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::pair<std::string, KernelBuilder>> entries_;  // "domain::op"
};

// Returns nullptr if no kernel is registered for (domain, op_type).
KernelBuilder find_kernel(const std::string& domain, const std::string& op_type);
std::vector<std::string> registered_ops();

// Normalises a possibly negative axis against rank; fails on out-of-range.
int64_t normalize_axis(const BuildContext& ctx, int64_t axis, int64_t rank);
// Numpy-style broadcast of two shapes; fails on mismatch.
Shape broadcast_shapes(const BuildContext& ctx, const Shape& a, const Shape& b);
// For each element of `target` (row-major), the index of the element of a
// tensor of shape s that numpy broadcasting reads there; empty when s equals
// target. Fails, naming `what`, when s does not broadcast to target.
std::vector<int64_t> broadcast_index(const BuildContext& ctx, const Shape& target, Shape s, const char* what);

}  // namespace saywhen::rt
