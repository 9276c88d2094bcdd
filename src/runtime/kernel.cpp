#include "kernel.h"

#include <algorithm>

namespace saywhen::rt {

BuildContext::BuildContext(const ModelIR& model, const Node& node,
                           std::vector<const ValueState*> inputs, size_t num_outputs)
    : model_(model), node_(node), opset_(model.opset(node.domain)), inputs_(std::move(inputs)),
      outputs_(num_outputs) {}

std::string BuildContext::error_prefix() const {
  return model_.path + ": node '" + node_.name + "' (" + node_.op_type + "): ";
}

void BuildContext::fail(const std::string& why) const { throw Error(error_prefix() + why); }

bool BuildContext::has_input(int i) const {
  return i >= 0 && i < num_inputs() && inputs_[static_cast<size_t>(i)] != nullptr;
}

DType BuildContext::input_dtype(int i) const {
  if (!has_input(i)) fail("input " + std::to_string(i) + " is required");
  const ValueState* v = inputs_[static_cast<size_t>(i)];
  if (v->dtype == DType::Undefined && !v->shape_known) throw NotStatic{};  // made by a dynamic step
  return v->dtype;
}

const Shape& BuildContext::input_shape(int i) const {
  if (!has_input(i)) fail("input " + std::to_string(i) + " is required");
  const ValueState* v = inputs_[static_cast<size_t>(i)];
  if (!v->shape_known) throw NotStatic{};
  return v->shape;
}

const Tensor* BuildContext::input_value(int i) const {
  return has_input(i) ? inputs_[static_cast<size_t>(i)]->constant : nullptr;
}

const Tensor* BuildContext::input_initializer(int i) const {
  const Tensor* v = input_value(i);
  if (!v) return nullptr;
  auto it = model_.graph.initializers.find(node_.inputs[static_cast<size_t>(i)]);
  if (it == model_.graph.initializers.end() || it->second.raw() != v->raw()) return nullptr;
  return &it->second;
}

const Tensor& BuildContext::require_value(int i) const {
  if (!has_input(i)) fail("input " + std::to_string(i) + " is required");
  const Tensor* t = inputs_[static_cast<size_t>(i)]->constant;
  if (!t) throw NotStatic{};
  return *t;
}

std::vector<int64_t> BuildContext::require_ints(int i) const {
  const Tensor& t = require_value(i);
  std::vector<int64_t> v(static_cast<size_t>(t.numel()));
  if (t.dtype() == DType::Int64) {
    std::copy(t.data<int64_t>(), t.data<int64_t>() + t.numel(), v.begin());
  } else if (t.dtype() == DType::Int32) {
    std::copy(t.data<int32_t>(), t.data<int32_t>() + t.numel(), v.begin());
  } else {
    fail("input " + std::to_string(i) + " must be int32 or int64, got " + dtype_name(t.dtype()));
  }
  return v;
}

bool BuildContext::has_output(int i) const {
  return i >= 0 && i < num_outputs() && !node_.outputs[static_cast<size_t>(i)].empty();
}

void BuildContext::set_output(int i, DType dtype, const Shape& shape) {
  if (i < 0 || i >= num_outputs()) return;  // optional output not requested
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) fail("computed a negative output dimension " + shape_str(shape));
    if (d > 0 && numel > kMaxTensorBytes / d) fail("output shape " + shape_str(shape) + " is absurdly large");
    numel *= d;
  }
  if (numel * static_cast<int64_t>(std::max<size_t>(1, dtype_size(dtype))) > kMaxTensorBytes)
    fail("output " + shape_str(shape) + " of " + dtype_name(dtype) + " exceeds the 1 GiB per-tensor limit");
  auto& o = outputs_[static_cast<size_t>(i)];
  o.dtype = dtype;
  o.shape = shape;
  o.set = true;
  o.alias_of = -1;
  o.alias_offset = 0;
}

void BuildContext::alias_output(int out, int in, const Shape& shape) {
  if (shape_numel(shape) != shape_numel(input_shape(in)))
    fail("cannot view " + shape_str(input_shape(in)) + " as " + shape_str(shape));
  set_output(out, input_dtype(in), shape);
  if (out >= 0 && out < num_outputs()) outputs_[static_cast<size_t>(out)].alias_of = in;
}

void BuildContext::view_output(int out, int in, const Shape& shape, size_t byte_offset) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(input_dtype(in));
  const size_t in_bytes = static_cast<size_t>(shape_numel(input_shape(in))) * dtype_size(input_dtype(in));
  if (byte_offset > in_bytes || bytes > in_bytes - byte_offset)
    fail("cannot view bytes [" + std::to_string(byte_offset) + ", " + std::to_string(byte_offset + bytes) + ") of " +
         shape_str(input_shape(in)));
  set_output(out, input_dtype(in), shape);
  if (out >= 0 && out < num_outputs()) {
    outputs_[static_cast<size_t>(out)].alias_of = in;
    outputs_[static_cast<size_t>(out)].alias_offset = byte_offset;
  }
}

const Attribute& BuildContext::attr(const std::string& name, Attribute::Kind kind) const {
  auto it = node_.attrs.find(name);
  if (it == node_.attrs.end()) fail("missing required attribute '" + name + "'");
  if (it->second.kind != kind)
    fail("attribute '" + name + "' must be " + attribute_kind_name(kind) + ", got " +
         attribute_kind_name(it->second.kind));
  return it->second;
}

int64_t BuildContext::attr_int(const std::string& name) const { return attr(name, Attribute::Kind::Int).i; }
int64_t BuildContext::attr_int(const std::string& name, int64_t def) const {
  return has_attr(name) ? attr_int(name) : def;
}
float BuildContext::attr_float(const std::string& name, float def) const {
  return has_attr(name) ? attr(name, Attribute::Kind::Float).f : def;
}
std::string BuildContext::attr_string(const std::string& name, const std::string& def) const {
  return has_attr(name) ? attr(name, Attribute::Kind::String).s : def;
}
std::vector<int64_t> BuildContext::attr_ints(const std::string& name) const {
  return has_attr(name) ? attr(name, Attribute::Kind::Ints).ints : std::vector<int64_t>{};
}
std::vector<float> BuildContext::attr_floats(const std::string& name) const {
  return has_attr(name) ? attr(name, Attribute::Kind::Floats).floats : std::vector<float>{};
}
const Tensor& BuildContext::attr_tensor(const std::string& name) const {
  return attr(name, Attribute::Kind::Tensor).t;
}
std::shared_ptr<const Graph> BuildContext::attr_graph(const std::string& name) const {
  return attr(name, Attribute::Kind::Graph).g;
}

void BuildContext::expect_dtype(int i, std::initializer_list<DType> allowed) const {
  DType t = input_dtype(i);
  for (DType a : allowed)
    if (a == t) return;
  std::string names;
  for (DType a : allowed) names += std::string(names.empty() ? "" : ", ") + dtype_name(a);
  fail("input " + std::to_string(i) + " has element type " + dtype_name(t) + "; supported: " + names);
}

void BuildContext::expect_inputs(int min, int max) const {
  int n = num_inputs();
  if (n < min || n > max)
    fail("expects " + (min == max ? std::to_string(min) : std::to_string(min) + "-" + std::to_string(max)) +
         " inputs, got " + std::to_string(n));
  for (int i = 0; i < min; ++i)
    if (!has_input(i)) fail("input " + std::to_string(i) + " is required");
}

int64_t normalize_axis(const BuildContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    ctx.fail("axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Shape broadcast_shapes(const BuildContext& ctx, const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1)
      ctx.fail("cannot broadcast " + shape_str(a) + " with " + shape_str(b));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

std::vector<int64_t> broadcast_index(const BuildContext& ctx, const Shape& target, Shape s, const char* what) {
  while (s.size() > target.size() && s.front() == 1) s.erase(s.begin());
  if (s.size() > target.size()) ctx.fail(std::string(what) + " shape " + shape_str(s) + " does not broadcast to " + shape_str(target));
  Shape full(target.size() - s.size(), 1);
  full.insert(full.end(), s.begin(), s.end());
  if (full == target) return {};
  for (size_t i = 0; i < target.size(); ++i)
    if (full[i] != 1 && full[i] != target[i])
      ctx.fail(std::string(what) + " shape " + shape_str(s) + " does not broadcast to " + shape_str(target));
  const int64_t n = shape_numel(target);
  std::vector<int64_t> idx(static_cast<size_t>(n));
  Shape stride(target.size(), 0);
  int64_t st = 1;
  for (size_t i = target.size(); i-- > 0;) {
    stride[i] = full[i] == 1 ? 0 : st;
    st *= full[i];
  }
  for (int64_t e = 0; e < n; ++e) {
    int64_t rem = e, off = 0;
    for (size_t i = target.size(); i-- > 0;) {
      off += (rem % target[i]) * stride[i];
      rem /= target[i];
    }
    idx[static_cast<size_t>(e)] = off;
  }
  return idx;
}

}  // namespace saywhen::rt
