// Graph IR: what the ONNX loader produces and the planner consumes. Plain data,
// no protobuf types, so everything after loading is independent of libonnx.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "saywhen/runtime.h"

namespace saywhen::rt {

struct Graph;

struct Attribute {
  enum class Kind { Float, Int, String, Tensor, Graph, Floats, Ints, Strings };
  Kind kind = Kind::Int;
  float f = 0;
  int64_t i = 0;
  std::string s;
  saywhen::Tensor t;
  std::shared_ptr<const rt::Graph> g;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

const char* attribute_kind_name(Attribute::Kind k);

struct Node {
  std::string name;     // may be empty in the file; the loader fills "#<index>"
  std::string op_type;
  std::string domain;   // "" for ai.onnx
  std::vector<std::string> inputs;   // "" marks an omitted optional input
  std::vector<std::string> outputs;  // "" marks an omitted optional output
  std::map<std::string, Attribute> attrs;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  std::vector<ValueInfo> inputs;
  std::vector<ValueInfo> outputs;
  std::map<std::string, saywhen::Tensor> initializers;
};

// What kernels derive from a model's initializers (int8 weights packed for the
// GEMM), shared by every plan of the model: a model planned for many input
// shapes (a text model sees a new length on most calls) packs and holds each
// weight once instead of once per plan. Keys name the initializer by address,
// so a copied ModelIR starts with an empty cache of its own.
class InitializerCache {
 public:
  InitializerCache() = default;
  InitializerCache(const InitializerCache&) {}
  InitializerCache& operator=(const InitializerCache&) {
    std::lock_guard<std::mutex> lk(mu_);
    items_.clear();
    return *this;
  }
  // The entry for key, made by make() the first time (under the lock: two
  // plans built at once pack a weight once).
  std::shared_ptr<const void> get(const std::string& key,
                                  const std::function<std::shared_ptr<const void>()>& make) const {
    std::lock_guard<std::mutex> lk(mu_);
    auto& slot = items_[key];
    if (!slot) slot = make();
    return slot;
  }

 private:
  mutable std::mutex mu_;
  mutable std::map<std::string, std::shared_ptr<const void>> items_;
};

struct ModelIR {
  std::string path;  // file name used in error messages
  int64_t ir_version = 0;
  std::string producer;
  std::map<std::string, int64_t> opsets;  // domain -> version ("" = ai.onnx)
  std::map<std::string, std::string> metadata;
  Graph graph;
  // Graph inputs that are not initializers (what a caller must feed).
  std::vector<ValueInfo> runtime_inputs;
  InitializerCache initializer_cache;

  int64_t opset(const std::string& domain) const;
};

// Parses an ONNX ModelProto. Throws saywhen::Error("<name>: <reason>").
std::unique_ptr<ModelIR> load_onnx(const void* data, size_t size, const std::string& name);
std::unique_ptr<ModelIR> load_onnx_file(const std::string& path);

// Converts one serialized onnx.TensorProto (e.g. the backend tests' input_0.pb).
saywhen::Tensor load_tensor_proto(const void* data, size_t size, const std::string& name);

}  // namespace saywhen::rt
