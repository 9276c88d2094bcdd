// Graph IR: what the ONNX loader produces and the planner consumes. Plain data,
// no protobuf types, so everything after loading is independent of libonnx.
#pragma once

#include <map>
#include <memory>
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

struct ModelIR {
  std::string path;  // file name used in error messages
  int64_t ir_version = 0;
  std::string producer;
  std::map<std::string, int64_t> opsets;  // domain -> version ("" = ai.onnx)
  std::map<std::string, std::string> metadata;
  Graph graph;
  // Graph inputs that are not initializers (what a caller must feed).
  std::vector<ValueInfo> runtime_inputs;

  int64_t opset(const std::string& domain) const;
};

// Parses an ONNX ModelProto. Throws saywhen::Error("<name>: <reason>").
std::unique_ptr<ModelIR> load_onnx(const void* data, size_t size, const std::string& name);
std::unique_ptr<ModelIR> load_onnx_file(const std::string& path);

// Converts one serialized onnx.TensorProto (e.g. the backend tests' input_0.pb).
saywhen::Tensor load_tensor_proto(const void* data, size_t size, const std::string& name);

}  // namespace saywhen::rt
