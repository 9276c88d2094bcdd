// ONNX protobuf -> Graph IR. Every check that can fail names the file and the
// node or tensor, so a bad model never reaches the planner.
#include <onnx/onnx_pb.h>

#include <cstring>
#include <fstream>
#include <limits>

#include "graph.h"

namespace saywhen::rt {
namespace {

// Largest tensor we accept from a file: 2 GiB of data (protobuf's own limit).
constexpr int64_t kMaxTensorBytes = int64_t{1} << 31;

[[noreturn]] void fail(const std::string& file, const std::string& where, const std::string& why) {
  throw Error(file + ": " + where + ": " + why);
}

bool is_supported_dtype(int32_t t) {
  switch (static_cast<DType>(t)) {
    case DType::Float32: case DType::UInt8: case DType::Int8: case DType::UInt16:
    case DType::Int16: case DType::Int32: case DType::Int64: case DType::Bool:
    case DType::Float16: case DType::Float64: case DType::UInt32: case DType::UInt64:
    case DType::BFloat16:
      return true;
    default:
      return false;
  }
}

template <class Src>
void copy_typed(const Src& src, Tensor& t, const std::string& file, const std::string& where) {
  if (static_cast<int64_t>(src.size()) != t.numel())
    fail(file, where, "has " + std::to_string(src.size()) + " values but its shape " +
                          shape_str(t.shape()) + " needs " + std::to_string(t.numel()));
  switch (t.dtype()) {
    case DType::Float32: for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(src[i]); break;
    case DType::Float64: for (int64_t i = 0; i < t.numel(); ++i) t.data<double>()[i] = static_cast<double>(src[i]); break;
    case DType::Int64: for (int64_t i = 0; i < t.numel(); ++i) t.data<int64_t>()[i] = static_cast<int64_t>(src[i]); break;
    case DType::UInt64: for (int64_t i = 0; i < t.numel(); ++i) t.data<uint64_t>()[i] = static_cast<uint64_t>(src[i]); break;
    case DType::Int32: for (int64_t i = 0; i < t.numel(); ++i) t.data<int32_t>()[i] = static_cast<int32_t>(src[i]); break;
    case DType::UInt32: for (int64_t i = 0; i < t.numel(); ++i) t.data<uint32_t>()[i] = static_cast<uint32_t>(src[i]); break;
    case DType::Int16: for (int64_t i = 0; i < t.numel(); ++i) t.data<int16_t>()[i] = static_cast<int16_t>(src[i]); break;
    case DType::UInt16: case DType::Float16: case DType::BFloat16:
      for (int64_t i = 0; i < t.numel(); ++i) t.data<uint16_t>()[i] = static_cast<uint16_t>(src[i]);
      break;
    case DType::Int8: for (int64_t i = 0; i < t.numel(); ++i) t.data<int8_t>()[i] = static_cast<int8_t>(src[i]); break;
    case DType::UInt8: case DType::Bool:
      for (int64_t i = 0; i < t.numel(); ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(src[i]);
      break;
    default: fail(file, where, "unsupported element type");
  }
}

Tensor convert_tensor(const onnx::TensorProto& p, const std::string& file, const std::string& where) {
  if (p.data_location() == onnx::TensorProto::EXTERNAL || p.external_data_size() > 0)
    fail(file, where, "uses external data, which saywhen does not load (save the model as one file)");
  if (!is_supported_dtype(p.data_type()))
    fail(file, where, "has unsupported element type " + std::to_string(p.data_type()) +
                          (p.data_type() == static_cast<int>(DType::String) ? " (string)" : ""));
  DType dtype = static_cast<DType>(p.data_type());
  Shape shape;
  int64_t numel = 1;
  for (int64_t d : p.dims()) {
    if (d < 0) fail(file, where, "has negative dimension " + std::to_string(d));
    if (d > 0 && numel > kMaxTensorBytes / d) fail(file, where, "is absurdly large");
    numel *= d;
    shape.push_back(d);
  }
  if (numel * static_cast<int64_t>(dtype_size(dtype)) > kMaxTensorBytes)
    fail(file, where, "is absurdly large (" + std::to_string(numel) + " elements)");
  Tensor t(dtype, shape);
  if (p.has_raw_data()) {
    const std::string& raw = p.raw_data();
    if (raw.size() != t.nbytes())
      fail(file, where, "raw data has " + std::to_string(raw.size()) + " bytes but shape " +
                            shape_str(shape) + " of " + dtype_name(dtype) + " needs " +
                            std::to_string(t.nbytes()));
    if (!raw.empty()) std::memcpy(t.raw(), raw.data(), raw.size());
    return t;
  }
  switch (dtype) {
    case DType::Float32: copy_typed(p.float_data(), t, file, where); break;
    case DType::Float64: copy_typed(p.double_data(), t, file, where); break;
    case DType::Int64: copy_typed(p.int64_data(), t, file, where); break;
    case DType::UInt64: case DType::UInt32: copy_typed(p.uint64_data(), t, file, where); break;
    default: copy_typed(p.int32_data(), t, file, where); break;  // int32 and all narrower types
  }
  return t;
}

ValueInfo convert_value_info(const onnx::ValueInfoProto& v, const std::string& file, const char* role) {
  ValueInfo info;
  info.name = v.name();
  const auto& t = v.type();
  if (t.has_sequence_type() || t.has_optional_type() || t.has_map_type() || t.has_sparse_tensor_type()) {
    const char* kind = t.has_sequence_type() ? "sequence" : t.has_optional_type() ? "optional"
                       : t.has_map_type() ? "map" : t.has_sparse_tensor_type() ? "sparse tensor" : "non-tensor";
    fail(file, std::string("graph ") + role + " '" + v.name() + "'",
         std::string("has type ") + kind + ", which is not supported (only tensors are)");
  }
  if (v.has_type() && v.type().has_tensor_type()) {
    const auto& tt = v.type().tensor_type();
    info.dtype = static_cast<DType>(tt.elem_type());
    if (tt.has_shape()) {
      for (const auto& d : tt.shape().dim()) {
        info.dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
        info.dim_params.push_back(d.has_dim_param() ? d.dim_param() : "");
      }
    }
  }
  return info;
}

class Converter {
 public:
  explicit Converter(std::string file) : file_(std::move(file)) {}

  void convert_graph(const onnx::GraphProto& gp, Graph& g, int depth) {
    if (depth > 16) fail(file_, "graph '" + gp.name() + "'", "subgraphs nested too deeply");
    g.name = gp.name();
    for (const auto& init : gp.initializer()) {
      std::string where = "initializer '" + init.name() + "'";
      if (init.name().empty()) fail(file_, where, "has no name");
      g.initializers[init.name()] = convert_tensor(init, file_, where);
    }
    if (gp.sparse_initializer_size() > 0)
      fail(file_, "graph '" + gp.name() + "'", "sparse initializers are not supported");
    for (const auto& in : gp.input()) g.inputs.push_back(convert_value_info(in, file_, "input"));
    for (const auto& out : gp.output()) g.outputs.push_back(convert_value_info(out, file_, "output"));
    g.nodes.reserve(static_cast<size_t>(gp.node_size()));
    for (int i = 0; i < gp.node_size(); ++i) {
      const auto& np = gp.node(i);
      Node n;
      n.name = np.name().empty() ? "#" + std::to_string(i) : np.name();
      n.op_type = np.op_type();
      n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
      std::string where = "node '" + n.name + "' (" + n.op_type + ")";
      if (n.op_type.empty()) fail(file_, where, "has no op_type");
      n.inputs.assign(np.input().begin(), np.input().end());
      n.outputs.assign(np.output().begin(), np.output().end());
      for (const auto& ap : np.attribute()) {
        std::string awhere = where + " attribute '" + ap.name() + "'";
        if (!ap.ref_attr_name().empty()) fail(file_, awhere, "refers to a function attribute");
        n.attrs[ap.name()] = convert_attribute(ap, awhere, depth);
      }
      g.nodes.push_back(std::move(n));
    }
  }

 private:
  Attribute convert_attribute(const onnx::AttributeProto& ap, const std::string& where, int depth) {
    Attribute a;
    using AP = onnx::AttributeProto;
    AP::AttributeType type = ap.type();
    if (type == AP::UNDEFINED) {  // very old files leave the type out
      if (ap.has_f()) type = AP::FLOAT;
      else if (ap.has_i()) type = AP::INT;
      else if (ap.has_s()) type = AP::STRING;
      else if (ap.has_t()) type = AP::TENSOR;
      else if (ap.has_g()) type = AP::GRAPH;
      else if (ap.floats_size()) type = AP::FLOATS;
      else if (ap.ints_size()) type = AP::INTS;
      else if (ap.strings_size()) type = AP::STRINGS;
    }
    switch (type) {
      case AP::FLOAT: a.kind = Attribute::Kind::Float; a.f = ap.f(); break;
      case AP::INT: a.kind = Attribute::Kind::Int; a.i = ap.i(); break;
      case AP::STRING: a.kind = Attribute::Kind::String; a.s = ap.s(); break;
      case AP::TENSOR: a.kind = Attribute::Kind::Tensor; a.t = convert_tensor(ap.t(), file_, where); break;
      case AP::GRAPH: {
        a.kind = Attribute::Kind::Graph;
        auto g = std::make_shared<Graph>();
        convert_graph(ap.g(), *g, depth + 1);
        a.g = std::move(g);
        break;
      }
      case AP::FLOATS: a.kind = Attribute::Kind::Floats; a.floats.assign(ap.floats().begin(), ap.floats().end()); break;
      case AP::INTS: a.kind = Attribute::Kind::Ints; a.ints.assign(ap.ints().begin(), ap.ints().end()); break;
      case AP::STRINGS: a.kind = Attribute::Kind::Strings; a.strings.assign(ap.strings().begin(), ap.strings().end()); break;
      default:
        fail(file_, where, "has unsupported attribute type " + std::to_string(static_cast<int>(type)));
    }
    return a;
  }

  std::string file_;
};

}  // namespace

const char* attribute_kind_name(Attribute::Kind k) {
  switch (k) {
    case Attribute::Kind::Float: return "float";
    case Attribute::Kind::Int: return "int";
    case Attribute::Kind::String: return "string";
    case Attribute::Kind::Tensor: return "tensor";
    case Attribute::Kind::Graph: return "graph";
    case Attribute::Kind::Floats: return "floats";
    case Attribute::Kind::Ints: return "ints";
    case Attribute::Kind::Strings: return "strings";
  }
  return "?";
}

int64_t ModelIR::opset(const std::string& domain) const {
  auto it = opsets.find(domain);
  return it == opsets.end() ? 0 : it->second;
}

namespace {

constexpr int64_t kMaxIrVersion = 14;

void parse_model(const void* data, size_t size, const std::string& name, onnx::ModelProto* mp) {
  if (size == 0) throw Error(name + ": file is empty");
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw Error(name + ": file is larger than 2 GiB, which protobuf cannot parse");
  if (!mp->ParseFromArray(data, static_cast<int>(size)))
    throw Error(name + ": not a valid ONNX model (protobuf parse failed; truncated or not an .onnx file?)");
}

std::unique_ptr<ModelIR> convert_model(const onnx::ModelProto& mp, const std::string& name) {
  if (!mp.has_graph()) throw Error(name + ": model has no graph (not an ONNX model?)");
  auto ir = std::make_unique<ModelIR>();
  ir->path = name;
  ir->ir_version = mp.ir_version();
  ir->producer = mp.producer_name();
  // IR versions after 10 add element types and fields, which get their own
  // errors where a model uses them; a file is not refused for its number alone
  // (onnx 1.23's helpers stamp IR 14 on every model they write).
  if (mp.ir_version() < 3 || mp.ir_version() > kMaxIrVersion)
    throw Error(name + ": unsupported ONNX IR version " + std::to_string(mp.ir_version()) + " (saywhen reads IR 3-" +
                std::to_string(kMaxIrVersion) + ")");
  for (const auto& os : mp.opset_import()) {
    std::string domain = os.domain() == "ai.onnx" ? "" : os.domain();
    ir->opsets[domain] = os.version();
  }
  if (ir->opsets.count("") == 0) ir->opsets[""] = 1;
  int64_t opset = ir->opsets[""];
  if (opset < 7 || opset > 22)
    throw Error(name + ": unsupported ai.onnx opset " + std::to_string(opset) + " (saywhen supports 7-22)");
  if (mp.functions_size() > 0)
    throw Error(name + ": model-local functions are not supported");
  for (const auto& kv : mp.metadata_props()) ir->metadata[kv.key()] = kv.value();
  Converter(name).convert_graph(mp.graph(), ir->graph, 0);
  for (const auto& in : ir->graph.inputs)
    if (!ir->graph.initializers.count(in.name)) ir->runtime_inputs.push_back(in);
  return ir;
}

}  // namespace

std::unique_ptr<ModelIR> load_onnx(const void* data, size_t size, const std::string& name) {
  onnx::ModelProto mp;
  parse_model(data, size, name, &mp);
  return convert_model(mp, name);
}

std::unique_ptr<ModelIR> load_onnx_file(const std::string& path) {
  // The file, the parsed message and the converted weights are each about the
  // model's size: read the file in one piece and drop it once parsed, so that
  // at most two of them are alive at once (peak memory of loading).
  onnx::ModelProto mp;
  {
    std::ifstream f(path, std::ios::binary | std::ios::ate);
    if (!f) throw Error(path + ": cannot open file");
    const std::streamoff size = f.tellg();
    if (size < 0) throw Error(path + ": cannot read file");
    std::string bytes(static_cast<size_t>(size), '\0');
    f.seekg(0);
    if (!f.read(bytes.data(), size)) throw Error(path + ": cannot read file");
    parse_model(bytes.data(), bytes.size(), path, &mp);
  }
  return convert_model(mp, path);
}

Tensor load_tensor_proto(const void* data, size_t size, const std::string& name) {
  onnx::TensorProto tp;
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !tp.ParseFromArray(data, static_cast<int>(size)))
    throw Error(name + ": not a valid ONNX TensorProto");
  return convert_tensor(tp, name, "tensor '" + tp.name() + "'");
}

}  // namespace saywhen::rt
