// Conv / MatMul / Gemm through the whole runtime (Session::run on a one-node
// model with constant weights): what a model actually pays per op, including
// im2col, packing decisions and call overhead. GFLOP/s counts 2 per MAC.
#include <benchmark/benchmark.h>
#include <onnx/onnx_pb.h>

#include <random>
#include <string>
#include <vector>

#include "saywhen/runtime.h"

namespace {

using saywhen::DType;
using saywhen::Shape;
using saywhen::Tensor;

Tensor random_tensor(const Shape& shape, unsigned seed) {
  Tensor t(DType::Float32, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

void add_ints(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

struct OpSpec {
  std::string op;
  Shape x;                      // the one run-time input
  std::vector<Shape> weights;   // initializers
  std::vector<std::pair<std::string, std::vector<int64_t>>> attrs;
  double macs;
};

std::string model_bytes(const OpSpec& s) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("bench");
  auto* n = g->add_node();
  n->set_op_type(s.op);
  n->set_name("op");
  n->add_input("x");
  auto* v = g->add_input();
  v->set_name("x");
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : s.x) tt->mutable_shape()->add_dim()->set_dim_value(d);
  unsigned seed = 1;
  for (size_t i = 0; i < s.weights.size(); ++i) {
    const std::string name = "w" + std::to_string(i);
    n->add_input(name);
    Tensor w = random_tensor(s.weights[i], seed++);
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : w.shape()) t->add_dims(d);
    t->set_raw_data(w.raw(), w.nbytes());
  }
  for (const auto& [k, val] : s.attrs) add_ints(*n, k, val);
  n->add_output("y");
  g->add_output()->set_name("y");
  return m.SerializeAsString();
}

void run_op(benchmark::State& state, const OpSpec& spec, int threads) {
  const std::string bytes = model_bytes(spec);
  auto model = saywhen::Model::load_from_memory(bytes.data(), bytes.size(), spec.op + ".onnx");
  saywhen::SessionOptions so;
  so.threads = threads;
  saywhen::Session session(model, so);
  const Tensor x = random_tensor(spec.x, 99);
  session.set_input("x", x);
  session.run();
  for (auto _ : state) {
    session.run();
    benchmark::DoNotOptimize(session.output(0).raw());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * spec.macs, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

const std::vector<std::pair<std::string, OpSpec>>& specs() {
  static const std::vector<std::pair<std::string, OpSpec>> v = {
      // Smart Turn v3 (Whisper-tiny-sized encoder over 8 s = 800 mel frames).
      {"smartturn_conv1_80to384_k3_L800",
       {"Conv", {1, 80, 800}, {{384, 80, 3}, {384}}, {{"pads", {1, 1}}}, 384.0 * 240 * 800}},
      {"smartturn_conv2_384to384_k3s2_L800",
       {"Conv", {1, 384, 800}, {{384, 384, 3}, {384}}, {{"pads", {1, 1}}, {"strides", {2}}}, 384.0 * 1152 * 400}},
      {"smartturn_matmul_400x384x1536", {"MatMul", {1, 400, 384}, {{384, 1536}}, {}, 400.0 * 384 * 1536}},
      {"smartturn_matmul_400x1536x384", {"MatMul", {1, 400, 1536}, {{1536, 384}}, {}, 400.0 * 1536 * 384}},
      // Silero VAD v5/v6 at 16 kHz (one 576-sample window, reflect-padded to 640).
      {"silero_stft_1to258_k256s128_L640",
       {"Conv", {1, 1, 640}, {{258, 1, 256}}, {{"strides", {128}}}, 258.0 * 256 * 4}},
      {"silero_enc0_129to128_k3_L4", {"Conv", {1, 129, 4}, {{128, 129, 3}, {128}}, {{"pads", {1, 1}}}, 128.0 * 387 * 4}},
      {"silero_enc1_128to64_k3s2_L4",
       {"Conv", {1, 128, 4}, {{64, 128, 3}, {64}}, {{"pads", {1, 1}}, {"strides", {2}}}, 64.0 * 384 * 2}},
      {"silero_enc2_64to64_k3s2_L2",
       {"Conv", {1, 64, 2}, {{64, 64, 3}, {64}}, {{"pads", {1, 1}}, {"strides", {2}}}, 64.0 * 192 * 1}},
      {"silero_enc3_64to128_k3_L1", {"Conv", {1, 64, 1}, {{128, 64, 3}, {128}}, {{"pads", {1, 1}}}, 128.0 * 192 * 1}},
      {"silero_decoder_128to1_k1_L1", {"Conv", {1, 128, 1}, {{1, 128, 1}, {1}}, {}, 128.0}},
      {"tiny_gemm_1x128x64", {"Gemm", {1, 128}, {{128, 64}, {64}}, {}, 128.0 * 64}},
  };
  return v;
}

void register_all() {
  for (const auto& [name, spec] : specs())
    for (int threads : {1, 2}) {
      const std::string full = "op/" + name + "/threads:" + std::to_string(threads);
      const OpSpec* sp = &spec;
      auto* b = benchmark::RegisterBenchmark(full.c_str(), [sp, threads](benchmark::State& st) { run_op(st, *sp, threads); });
      // One thread: CPU time, robust on a shared machine; more: wall time.
      if (threads > 1) b->UseRealTime();
    }
}

const int kRegistered = (register_all(), 0);

}  // namespace
