// saywhen onnx info MODEL: inputs, outputs, opsets, op histogram, parameter count.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "runtime/graph.h"

namespace saywhen::cli {
namespace {

void walk(const rt::Graph& g, std::map<std::string, int>& ops, int64_t& params) {
  for (const auto& [name, t] : g.initializers) params += t.numel();
  for (const auto& n : g.nodes) {
    ops[(n.domain.empty() ? "" : n.domain + ".") + n.op_type]++;
    for (const auto& [key, a] : n.attrs) {
      if (a.kind == rt::Attribute::Kind::Graph) walk(*a.g, ops, params);
      if (a.kind == rt::Attribute::Kind::Tensor && n.op_type == "Constant") params += a.t.numel();
    }
  }
}

std::string dims_str(const ValueInfo& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.dims.size(); ++i) {
    if (i) s += ",";
    bool named = i < v.dim_params.size() && !v.dim_params[i].empty();
    s += v.dims[i] >= 0 ? std::to_string(v.dims[i]) : named ? v.dim_params[i] : "?";
  }
  return s + "]";
}

}  // namespace

void add_onnx_info(CLI::App& onnx) {
  auto* cmd = onnx.add_subcommand("info", "Inputs, outputs, opsets, op histogram and parameter count of a model");
  static std::string path;
  static bool as_json = false;
  cmd->add_option("MODEL", path, "ONNX model file")->required();
  cmd->add_flag("--json", as_json, "Print one JSON object");
  cmd->callback([] {
    auto model = Model::load(path);
    const rt::ModelIR& ir = model->ir();
    std::map<std::string, int> ops;
    int64_t params = 0;
    walk(ir.graph, ops, params);
    nlohmann::ordered_json j;
    j["model"] = path;
    j["ir_version"] = ir.ir_version;
    j["producer"] = ir.producer;
    for (const auto& [domain, v] : ir.opsets) j["opsets"][domain.empty() ? "ai.onnx" : domain] = v;
    for (const auto& in : model->inputs())
      j["inputs"].push_back({{"name", in.name}, {"dtype", dtype_name(in.dtype)}, {"shape", dims_str(in)}});
    for (const auto& out : model->outputs())
      j["outputs"].push_back({{"name", out.name}, {"dtype", dtype_name(out.dtype)}, {"shape", dims_str(out)}});
    j["parameters"] = params;
    for (const auto& [op, n] : ops) j["ops"][op] = n;
    if (as_json) {
      std::cout << j.dump() << "\n";
      return;
    }
    std::cout << "model:      " << path << "\n"
              << "ir_version: " << ir.ir_version << "   producer: " << ir.producer << "\n"
              << "opsets:    ";
    for (const auto& [domain, v] : ir.opsets) std::cout << " " << (domain.empty() ? "ai.onnx" : domain) << "=" << v;
    std::cout << "\ninputs:\n";
    for (const auto& in : model->inputs()) std::cout << "  " << in.name << ": " << dtype_name(in.dtype) << " " << dims_str(in) << "\n";
    std::cout << "outputs:\n";
    for (const auto& out : model->outputs()) std::cout << "  " << out.name << ": " << dtype_name(out.dtype) << " " << dims_str(out) << "\n";
    std::cout << "parameters: " << params << "\nops (including subgraphs):\n";
    for (const auto& [op, n] : ops) std::cout << "  " << op << ": " << n << "\n";
  });
}

}  // namespace saywhen::cli
