#include <cstring>
#include <fstream>
#include <list>
#include <mutex>
#include <sstream>

#include "optimize.h"
#include "plan.h"
#include "saywhen/runtime.h"

namespace saywhen {

struct Model::PlanCache {
  std::mutex mu;
  // Most recently used first; small because a model sees few distinct shapes.
  std::list<std::pair<std::string, std::shared_ptr<const rt::Plan>>> entries;
  static constexpr size_t kMax = 32;
};

Model::Model() : cache_(std::make_unique<PlanCache>()) {}
Model::~Model() = default;

std::shared_ptr<const Model> Model::load(const std::string& path, const LoadOptions& opts) {
  std::shared_ptr<Model> m(new Model());
  m->ir_ = rt::load_onnx_file(path);
  m->opts_ = opts;
  rt::optimize_graph(*m->ir_);
  return m;
}

std::shared_ptr<const Model> Model::load_from_memory(const void* data, size_t size, const std::string& name,
                                                     const LoadOptions& opts) {
  std::shared_ptr<Model> m(new Model());
  m->ir_ = rt::load_onnx(data, size, name);
  m->opts_ = opts;
  rt::optimize_graph(*m->ir_);
  return m;
}

const std::vector<ValueInfo>& Model::inputs() const { return ir_->runtime_inputs; }
const std::vector<ValueInfo>& Model::outputs() const { return ir_->graph.outputs; }
const std::string& Model::path() const { return ir_->path; }

static std::string plan_key(const std::map<std::string, Shape>& shapes, const std::map<std::string, Tensor>& fixed) {
  std::string key;
  for (const auto& [name, shape] : shapes) key += name + shape_str(shape) + ";";
  for (const auto& [name, t] : fixed) {
    key += "=" + name + ":" + std::to_string(static_cast<int>(t.dtype())) + shape_str(t.shape());
    key.append(static_cast<const char*>(t.raw()), t.nbytes());
    key += ";";
  }
  return key;
}

std::shared_ptr<const rt::Plan> Model::plan_for(const std::map<std::string, Shape>& shapes,
                                                const std::map<std::string, Tensor>& fixed) const {
  std::string key = plan_key(shapes, fixed);
  {
    std::lock_guard<std::mutex> lk(cache_->mu);
    for (auto it = cache_->entries.begin(); it != cache_->entries.end(); ++it)
      if (it->first == key) {
        cache_->entries.splice(cache_->entries.begin(), cache_->entries, it);
        return it->second;
      }
  }
  rt::PlanRequest req;
  req.shapes = shapes;
  req.fixed = fixed;
  req.fold_constants = opts_.fold_constants;
  auto plan = rt::build_plan(*ir_, req);  // outside the lock: planning can take a while
  std::lock_guard<std::mutex> lk(cache_->mu);
  cache_->entries.emplace_front(key, plan);
  if (cache_->entries.size() > PlanCache::kMax) cache_->entries.pop_back();
  return plan;
}

void Model::prepare(const std::map<std::string, Shape>& shapes, const std::map<std::string, Tensor>& fixed) const {
  plan_for(shapes, fixed);
}


Session::Session(std::shared_ptr<const Model> model, const SessionOptions& opts)
    : model_(std::move(model)), opts_(opts) {
  if (!model_) throw Error("Session: model is null");
  if (opts_.threads < 1 || opts_.threads > 256)
    throw Error("Session: threads must be 1-256, got " + std::to_string(opts_.threads));
}

Session::~Session() = default;

static const ValueInfo& find_input(const Model& m, const std::string& name) {
  for (const auto& in : m.inputs())
    if (in.name == name) return in;
  std::string names;
  for (const auto& in : m.inputs()) names += (names.empty() ? "" : ", ") + in.name;
  throw Error(m.path() + ": no input named '" + name + "' (inputs: " + names + ")");
}

void Session::fix_input(const std::string& name, const Tensor& value) {
  find_input(*model_, name);
  fixed_[name] = value.clone();
  inputs_.erase(name);
  exec_.reset();
}

void Session::set_input(const std::string& name, const Tensor& value) {
  const ValueInfo& info = find_input(*model_, name);
  if (fixed_.count(name)) throw Error(model_->path() + ": input '" + name + "' is fixed for this session");
  if (info.dtype != DType::Undefined && value.dtype() != info.dtype)
    throw Error(model_->path() + ": input '" + name + "' must be " + dtype_name(info.dtype) + ", got " +
                dtype_name(value.dtype()));
  inputs_[name] = value;
}

void Session::run() {
  const auto& ins = model_->inputs();
  bool replan = !exec_;
  if (exec_) {
    const rt::Plan& p = exec_->plan();
    for (size_t i = 0; i < ins.size() && !replan; ++i) {
      if (p.input_slots[i] < 0) continue;
      auto it = inputs_.find(ins[i].name);
      replan = it == inputs_.end() || it->second.shape() != p.input_shapes[i];
    }
  }
  if (replan) {
    std::map<std::string, Shape> shapes;
    for (const auto& in : ins) {
      if (fixed_.count(in.name)) continue;
      auto it = inputs_.find(in.name);
      if (it == inputs_.end()) throw Error(model_->path() + ": input '" + in.name + "' was not set");
      shapes[in.name] = it->second.shape();
    }
    auto plan = model_->plan_for(shapes, fixed_);
    if (!pool_ || pool_->size() != opts_.threads) pool_ = std::make_unique<rt::ThreadPool>(opts_.threads);
    exec_ = std::make_unique<rt::Executor>(plan, pool_.get());
    if (profiling_) exec_->set_profiling(true);
  }
  const rt::Plan& p = exec_->plan();
  for (size_t i = 0; i < ins.size(); ++i) {
    if (p.input_slots[i] < 0) continue;
    const Tensor& src = inputs_.find(ins[i].name)->second;
    Tensor& dst = exec_->input(i);
    if (src.nbytes()) std::memcpy(dst.raw(), src.raw(), src.nbytes());
  }
  exec_->run();
}

void Session::set_profiling(bool on) {
  profiling_ = on;
  if (exec_) exec_->set_profiling(on);
}

std::vector<OpProfile> Session::profile() const { return exec_ ? exec_->profile() : std::vector<OpProfile>{}; }

const Tensor& Session::output(size_t index) const {
  if (!exec_) throw Error(model_->path() + ": output requested before run()");
  if (index >= model_->outputs().size())
    throw Error(model_->path() + ": output index " + std::to_string(index) + " out of range");
  return exec_->output(index);
}

const Tensor& Session::output(const std::string& name) const {
  const auto& outs = model_->outputs();
  for (size_t i = 0; i < outs.size(); ++i)
    if (outs[i].name == name) return output(i);
  throw Error(model_->path() + ": no output named '" + name + "'");
}

}  // namespace saywhen
