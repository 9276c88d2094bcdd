// The table of every op the runtime implements. One register_*_ops per kernel file.
#include "../kernel.h"

#include <algorithm>

namespace saywhen::rt {

void register_elementwise_ops(OpTable& t);
void register_reduce_ops(OpTable& t);
void register_shape_ops(OpTable& t);
void register_linear_ops(OpTable& t);
void register_conv_ops(OpTable& t);
void register_lstm_ops(OpTable& t);
void register_quantize_ops(OpTable& t);

void OpTable::add(const std::string& op_type, KernelBuilder builder, const std::string& domain) {
  entries_.emplace_back(domain + "::" + op_type, builder);
}

KernelBuilder OpTable::find(const std::string& domain, const std::string& op_type) const {
  std::string key = domain + "::" + op_type;
  for (const auto& e : entries_)
    if (e.first == key) return e.second;
  return nullptr;
}

std::vector<std::string> OpTable::names() const {
  std::vector<std::string> v;
  for (const auto& e : entries_) v.push_back(e.first.substr(0, 2) == "::" ? e.first.substr(2) : e.first);
  std::sort(v.begin(), v.end());
  return v;
}

static const OpTable& table() {
  static const OpTable t = [] {
    OpTable t;
    register_elementwise_ops(t);
    register_reduce_ops(t);
    register_shape_ops(t);
    register_linear_ops(t);
    register_conv_ops(t);
    register_lstm_ops(t);
    register_quantize_ops(t);
    return t;
  }();
  return t;
}

KernelBuilder find_kernel(const std::string& domain, const std::string& op_type) {
  return table().find(domain, op_type);
}

std::vector<std::string> registered_ops() { return table().names(); }

}  // namespace saywhen::rt
