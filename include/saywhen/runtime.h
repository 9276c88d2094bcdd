// saywhen runtime: load an ONNX model once, run it from many sessions.
//
//   auto model = saywhen::Model::load("model.onnx");
//   saywhen::Session session(model);            // one per thread / stream
//   session.set_input("x", tensor);
//   session.run();
//   const saywhen::Tensor& y = session.output("y");
//
// A Model is immutable after loading and shared by every Session (weights are
// never copied). Each Session owns its activations; running it allocates no heap
// memory once it has seen the input shapes it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace saywhen {

// Every error the library reports: one line naming what failed and where.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Element types; the values equal ONNX TensorProto.DataType.
enum class DType : int32_t {
  Undefined = 0,
  Float32 = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  String = 8,
  Bool = 9,
  Float16 = 10,
  Float64 = 11,
  UInt32 = 12,
  UInt64 = 13,
  BFloat16 = 16,
};

size_t dtype_size(DType t);       // bytes per element; 0 for Undefined/String
const char* dtype_name(DType t);  // "float32", "int64", ...

using Shape = std::vector<int64_t>;
int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[1,80,800]"

// A typed n-dimensional array. Either owns its bytes (shared, cheap to copy) or
// views memory owned elsewhere (an arena, a caller's buffer).
class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // owning, zero-filled
  static Tensor view(DType dtype, Shape shape, void* data);

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  bool empty() const { return dtype_ == DType::Undefined; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T> T* data() { return static_cast<T*>(data_); }
  template <class T> const T* data() const { return static_cast<const T*>(data_); }

  // Re-points a view at new memory with a new shape (no allocation when the
  // shape vector has capacity).
  void rebind(DType dtype, const Shape& shape, void* data);
  Tensor clone() const;  // deep, owning copy
  // Same bytes (and owner), another shape with the same element count.
  Tensor reshaped(const Shape& shape) const;

 private:
  DType dtype_ = DType::Undefined;
  Shape shape_;
  int64_t numel_ = 0;
  void* data_ = nullptr;
  std::shared_ptr<uint8_t[]> owner_;
};

struct ValueInfo {
  std::string name;
  DType dtype = DType::Undefined;
  Shape dims;                            // -1 where unknown
  std::vector<std::string> dim_params;   // symbolic names ("batch"), "" if none
};

struct LoadOptions {
  bool fold_constants = true;  // off only for debugging the planner
};

struct SessionOptions {
  int threads = 1;  // intra-op threads used by this session's kernels
};

namespace rt {
struct ModelIR;
class Plan;
class Executor;
class ThreadPool;
}  // namespace rt

// Time spent in one operator type (fused ops have the saywhen domain, e.g.
// "saywhen.MatMulIntegerToFloat") over the runs of a profiling session.
struct OpProfile {
  std::string op;
  int64_t calls = 0;
  double ms = 0;
};

class Model {
 public:
  // Throws Error naming the file, node and reason on anything it cannot run.
  static std::shared_ptr<const Model> load(const std::string& path, const LoadOptions& opts = {});
  static std::shared_ptr<const Model> load_from_memory(const void* data, size_t size,
                                                       const std::string& name,
                                                       const LoadOptions& opts = {});
  ~Model();

  const std::vector<ValueInfo>& inputs() const;
  const std::vector<ValueInfo>& outputs() const;
  const std::string& path() const;
  const rt::ModelIR& ir() const { return *ir_; }

  // Checks that the model can run with these input shapes (and values for any
  // inputs that are fixed, e.g. a sample rate): runs shape inference, constant
  // folding and memory planning now instead of on the first Session::run.
  void prepare(const std::map<std::string, Shape>& shapes,
               const std::map<std::string, Tensor>& fixed_inputs = {}) const;

  // Plans are cached per input-shape signature; internal.
  std::shared_ptr<const rt::Plan> plan_for(const std::map<std::string, Shape>& shapes,
                                           const std::map<std::string, Tensor>& fixed) const;

 private:
  Model();
  std::unique_ptr<rt::ModelIR> ir_;
  LoadOptions opts_;
  struct PlanCache;
  std::unique_ptr<PlanCache> cache_;
};

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model, const SessionOptions& opts = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Inputs whose value never changes for this session (Silero's sample rate):
  // they become constants, so branches on them are resolved once.
  void fix_input(const std::string& name, const Tensor& value);

  // The bytes are copied into the session when run() is called: a view passed
  // here must stay valid until then.
  void set_input(const std::string& name, const Tensor& value);
  void run();
  // Valid until the next run() on this session.
  const Tensor& output(const std::string& name) const;
  const Tensor& output(size_t index) const;

  const Model& model() const { return *model_; }

  // Per-operator timing: a clock read around every kernel, so it is for
  // finding where the time goes, not for latency figures. profile() covers the
  // runs since profiling was switched on (or since the input shapes changed),
  // largest total first.
  void set_profiling(bool on);
  std::vector<OpProfile> profile() const;

 private:
  std::shared_ptr<const Model> model_;
  SessionOptions opts_;
  std::map<std::string, Tensor> fixed_;
  std::map<std::string, Tensor> inputs_;
  bool profiling_ = false;
  std::unique_ptr<rt::ThreadPool> pool_;
  std::unique_ptr<rt::Executor> exec_;
};

}  // namespace saywhen
