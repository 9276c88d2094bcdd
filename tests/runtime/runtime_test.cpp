// Loader, planner and executor behaviour on small models built here with the
// ONNX protobuf API.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <atomic>
#include <map>
#include <cstdlib>
#include <new>
#include <thread>

#include "runtime/graph.h"
#include "runtime/plan.h"
#include "saywhen/runtime.h"
#include "saywhen/saywhen.h"

#include "../alloc_counter.h"

namespace {

using saywhen::DType;
using saywhen::Tensor;

struct ModelBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g;
  explicit ModelBuilder(int opset = 17) {
    m.set_ir_version(8);
    auto* os = m.add_opset_import();
    os->set_domain("");
    os->set_version(opset);
    g = m.mutable_graph();
    g->set_name("test");
  }
  void input(const std::string& name, int elem, std::vector<int64_t> dims, onnx::GraphProto* graph = nullptr) {
    auto* v = (graph ? graph : g)->add_input();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    for (int64_t d : dims) {
      auto* dim = tt->mutable_shape()->add_dim();
      if (d >= 0) dim->set_dim_value(d); else dim->set_dim_param("n");
    }
  }
  void output(const std::string& name, onnx::GraphProto* graph = nullptr) {
    (graph ? graph : g)->add_output()->set_name(name);
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                        onnx::GraphProto* graph = nullptr) {
    auto* n = (graph ? graph : g)->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string((graph ? graph : g)->node_size()));
    for (auto& i : ins) n->add_input(i);
    for (auto& o : outs) n->add_output(o);
    return n;
  }
  void init_floats(const std::string& name, std::vector<int64_t> dims, std::vector<float> v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float f : v) t->add_float_data(f);
  }
  std::string bytes() const { return m.SerializeAsString(); }
  std::shared_ptr<const saywhen::Model> load(const std::string& name = "test.onnx") const {
    std::string b = bytes();
    return saywhen::Model::load_from_memory(b.data(), b.size(), name);
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const saywhen::Error& e) {
    return e.what();
  }
  return "";
}

Tensor floats(std::vector<int64_t> shape, std::vector<float> v) {
  Tensor t(DType::Float32, shape);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

TEST(Loader, RejectsEmptyGarbageAndTruncatedFiles) {
  EXPECT_NE(error_of([] { saywhen::Model::load_from_memory("", 0, "empty.onnx"); }).find("empty.onnx: file is empty"),
            std::string::npos);
  std::string garbage = "this is not an onnx model at all";
  EXPECT_NE(error_of([&] { saywhen::Model::load_from_memory(garbage.data(), garbage.size(), "g.onnx"); }).find("g.onnx"),
            std::string::npos);
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {4});
  b.init_floats("w", {256}, std::vector<float>(256, 1.0f));
  b.node("Add", {"x", "w"}, {"y"});
  b.output("y");
  std::string bytes = b.bytes();
  std::string half = bytes.substr(0, bytes.size() / 2);
  std::string msg = error_of([&] { saywhen::Model::load_from_memory(half.data(), half.size(), "trunc.onnx"); });
  EXPECT_NE(msg.find("trunc.onnx"), std::string::npos) << msg;
  EXPECT_EQ(error_of([] { saywhen::Model::load("/nonexistent/model.onnx"); }),
            "/nonexistent/model.onnx: cannot open file");
}

TEST(Loader, ReadsNewerIrVersionsAndRefusesUnknownOnes) {
  for (int ir : {3, 10, 14}) {
    ModelBuilder b;
    b.m.set_ir_version(ir);
    b.input("x", onnx::TensorProto::FLOAT, {2});
    b.node("Neg", {"x"}, {"y"});
    b.output("y");
    saywhen::Session s(b.load());
    s.set_input("x", floats({2}, {1.5f, -2.0f}));
    s.run();
    EXPECT_EQ(s.output(0).data<float>()[0], -1.5f) << "IR " << ir;
  }
  ModelBuilder b;
  b.m.set_ir_version(99);
  b.input("x", onnx::TensorProto::FLOAT, {2});
  b.node("Neg", {"x"}, {"y"});
  b.output("y");
  EXPECT_EQ(error_of([&] { b.load("future.onnx"); }), "future.onnx: unsupported ONNX IR version 99 (saywhen reads IR 3-14)");
}

TEST(Loader, NamesTheNodeOfAnUnsupportedOp) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {4});
  b.node("FrobnicateV9", {"x"}, {"y"})->set_name("mystery");
  b.output("y");
  auto model = b.load("odd.onnx");
  std::string msg = error_of([&] { model->prepare({{"x", {4}}}); });
  EXPECT_NE(msg.find("odd.onnx: node 'mystery' (FrobnicateV9): unsupported op FrobnicateV9"), std::string::npos) << msg;
}

TEST(Loader, RejectsInitializerWhoseDataDoesNotMatchItsShape) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {4});
  auto* t = b.g->add_initializer();
  t->set_name("bad_weight");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(10);
  t->set_raw_data(std::string(12, '\0'));
  b.node("Add", {"x", "bad_weight"}, {"y"});
  b.output("y");
  std::string msg = error_of([&] { b.load("w.onnx"); });
  EXPECT_NE(msg.find("w.onnx: initializer 'bad_weight': raw data has 12 bytes"), std::string::npos) << msg;
}

TEST(Loader, RejectsReadsOfUndefinedValues) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {4});
  b.node("Add", {"x", "nowhere"}, {"y"})->set_name("adder");
  b.output("y");
  std::string msg = error_of([&] { b.load()->prepare({{"x", {4}}}); });
  EXPECT_NE(msg.find("node 'adder' (Add) reads 'nowhere'"), std::string::npos) << msg;
}

// Found by the loader fuzzer: a Size node without outputs made the planner fold it into
// no tensor at all.
TEST(Loader, RejectsANodeWithoutItsRequiredOutput) {
  for (const std::vector<std::string>& outs : {std::vector<std::string>{}, std::vector<std::string>{""}}) {
    ModelBuilder b;
    b.input("x", onnx::TensorProto::FLOAT, {3, 4});
    b.node("Size", {"x"}, outs)->set_name("counter");
    b.node("Relu", {"x"}, {"y"});
    b.output("y");
    std::string msg = error_of([&] { b.load("s.onnx")->prepare({{"x", {3, 4}}}); });
    EXPECT_NE(msg.find("s.onnx: node 'counter' (Size): has no output 0"), std::string::npos) << msg;
  }
}

TEST(Session, RejectsWrongInputTypeShapeAndName) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {2, 3});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  auto model = b.load("m.onnx");
  saywhen::Session s(model);
  EXPECT_NE(error_of([&] { s.set_input("x", Tensor(DType::Int64, {2, 3})); }).find("must be float32, got int64"),
            std::string::npos);
  EXPECT_NE(error_of([&] { s.set_input("nope", Tensor(DType::Float32, {2, 3})); }).find("no input named 'nope'"),
            std::string::npos);
  EXPECT_NE(error_of([&] { s.run(); }).find("input 'x' was not set"), std::string::npos);
  s.set_input("x", Tensor(DType::Float32, {3, 2}));
  EXPECT_NE(error_of([&] { s.run(); }).find("has shape [3,2] but the model declares [2,3]"), std::string::npos);
}

// x -> Neg -> Neg -> ... (10 times): a chain where only two buffers are live at
// any time, so the arena must be much smaller than the sum of all tensors.
TEST(Plan, ReusesBuffersAlongAChain) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {1000});
  std::string prev = "x";
  for (int i = 0; i < 10; ++i) {
    std::string next = "t" + std::to_string(i);
    b.node("Neg", {prev}, {next});
    prev = next;
  }
  b.output(prev);
  auto model = b.load();
  saywhen::rt::PlanRequest req;
  req.shapes = {{"x", {1000}}};
  auto plan = saywhen::rt::build_plan(model->ir(), req);
  EXPECT_EQ(plan->stats.steps, 10u);
  EXPECT_GE(plan->stats.naive_bytes, 11 * 4000u);
  EXPECT_LE(plan->arena_bytes, 3 * 4032u) << "arena " << plan->arena_bytes;
  saywhen::Session s(model);
  std::vector<float> v(1000);
  for (int i = 0; i < 1000; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i - 500);
  s.set_input("x", floats({1000}, v));
  s.run();
  const Tensor& y = s.output(0);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(y.data<float>()[i], static_cast<float>(i - 500));
}

// Per-operator timing: off by default, then every kernel of every run counted
// under its op type; a change of input shapes (a new plan) starts afresh.
TEST(Session, ProfilesTimePerOperatorType) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {-1});
  b.node("Neg", {"x"}, {"a"});
  b.node("Abs", {"a"}, {"c"});
  b.node("Neg", {"c"}, {"y"});
  b.output("y");
  saywhen::Session s(b.load());
  s.set_input("x", floats({3}, {1, -2, 3}));
  s.run();
  EXPECT_TRUE(s.profile().empty() || s.profile()[0].calls == 0);
  s.set_profiling(true);
  for (int i = 0; i < 3; ++i) s.run();
  auto p = s.profile();
  ASSERT_EQ(p.size(), 2u);
  std::map<std::string, int64_t> calls;
  for (const auto& e : p) {
    calls[e.op] = e.calls;
    EXPECT_GE(e.ms, 0.0);
  }
  EXPECT_EQ(calls["Neg"], 6);
  EXPECT_EQ(calls["Abs"], 3);
  EXPECT_GE(p[0].ms, p[1].ms);  // largest first
  s.set_input("x", floats({2}, {1, 2}));
  s.run();
  for (const auto& e : s.profile()) EXPECT_EQ(e.calls, e.op == "Neg" ? 2 : 1);
  s.set_profiling(false);
  s.run();
  for (const auto& e : s.profile()) EXPECT_EQ(e.calls, 0);
}

// Gather of one index along the outermost axis is a view of the data (no
// step runs): of a computed tensor, of a view of it (the offsets add up), and
// of a constant; as a graph output and as another op's input.
TEST(Plan, GatherOfOneIndexIsAView) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {3, 2, 4});
  std::vector<float> w(24);
  for (int i = 0; i < 24; ++i) w[static_cast<size_t>(i)] = static_cast<float>(100 * i);
  b.init_floats("w", {3, 2, 4}, w);
  auto index = [&](const std::string& name, int64_t v) {
    auto* a = b.node("Constant", {}, {name})->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
    a->mutable_t()->add_int64_data(v);
  };
  index("i1", 1);
  index("im1", -1);
  b.node("Neg", {"x"}, {"nx"});
  b.node("Gather", {"nx", "i1"}, {"g1"});    // [2, 4]: rows 8..15 of nx
  b.node("Gather", {"g1", "im1"}, {"g2"});   // [4]: elements 12..15 of nx
  b.node("Gather", {"w", "im1"}, {"gw"});    // [2, 4]: the constant's last 8
  b.node("Add", {"g1", "gw"}, {"sum"});
  for (const char* o : {"g1", "g2", "sum"}) b.output(o);
  auto model = b.load();
  saywhen::rt::PlanRequest req;
  req.shapes = {{"x", {3, 2, 4}}};
  auto plan = saywhen::rt::build_plan(model->ir(), req);
  int kernels = 0;
  for (const auto& st : plan->steps) kernels += st.kernel != nullptr;
  EXPECT_EQ(kernels, 2);  // Neg and Add
  saywhen::Session s(model);
  std::vector<float> v(24);
  for (int i = 0; i < 24; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  s.set_input("x", floats({3, 2, 4}, v));
  s.run();
  ASSERT_EQ(s.output(0).shape(), (saywhen::Shape{2, 4}));
  ASSERT_EQ(s.output(1).shape(), (saywhen::Shape{4}));
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(s.output(0).data<float>()[i], -static_cast<float>(8 + i));
    EXPECT_EQ(s.output(2).data<float>()[i], -static_cast<float>(8 + i) + static_cast<float>(100 * (16 + i)));
  }
  for (int i = 0; i < 4; ++i) EXPECT_EQ(s.output(1).data<float>()[i], -static_cast<float>(12 + i));
}

// Shape -> Gather -> Concat -> Reshape: all shape arithmetic folds at plan time,
// leaving only the data ops.
TEST(Plan, FoldsShapeArithmetic) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {-1, 6});
  b.node("Shape", {"x"}, {"s"});
  auto* c = b.node("Constant", {}, {"zero"});
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a->mutable_t()->add_int64_data(0);
  b.node("Gather", {"s", "zero"}, {"n"});
  auto* c2 = b.node("Constant", {}, {"tail"});
  auto* a2 = c2->add_attribute();
  a2->set_name("value");
  a2->set_type(onnx::AttributeProto::TENSOR);
  a2->mutable_t()->set_data_type(onnx::TensorProto::INT64);
  a2->mutable_t()->add_dims(2);
  a2->mutable_t()->add_int64_data(2);
  a2->mutable_t()->add_int64_data(3);
  b.node("Unsqueeze", {"n", "zero"}, {"n1"});
  b.node("Concat", {"n1", "tail"}, {"shape"})->add_attribute()->set_name("axis");
  b.g->mutable_node(b.g->node_size() - 1)->mutable_attribute(0)->set_type(onnx::AttributeProto::INT);
  b.g->mutable_node(b.g->node_size() - 1)->mutable_attribute(0)->set_i(0);
  b.node("Reshape", {"x", "shape"}, {"r"});
  b.node("Relu", {"r"}, {"y"});
  b.output("y");
  auto model = b.load();
  saywhen::rt::PlanRequest req;
  req.shapes = {{"x", {4, 6}}};
  auto plan = saywhen::rt::build_plan(model->ir(), req);
  EXPECT_EQ(plan->stats.dynamic_steps, 0u);
  EXPECT_EQ(plan->steps.size(), 2u);  // Reshape (a view) and Relu
  saywhen::Session s(model);
  s.set_input("x", Tensor(DType::Float32, {4, 6}));
  s.run();
  EXPECT_EQ(s.output(0).shape(), (saywhen::Shape{4, 2, 3}));
}

onnx::GraphProto* add_branch(onnx::NodeProto* n, const char* name) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(name);
  return a->mutable_g();
}

// out = If(flag == 16000, Relu(x), Neg(x)), like Silero's sample-rate switch.
ModelBuilder if_model() {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {3});
  b.input("flag", onnx::TensorProto::INT64, {});
  auto* c = b.node("Constant", {}, {"k"});
  auto* a = c->add_attribute();
  a->set_name("value_int");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(16000);
  b.node("Equal", {"flag", "k"}, {"cond"});
  auto* n = b.node("If", {"cond"}, {"y"});
  auto* then_g = add_branch(n, "then_branch");
  b.node("Relu", {"x"}, {"a"}, then_g);
  b.output("a", then_g);
  auto* else_g = add_branch(n, "else_branch");
  b.node("Neg", {"x"}, {"b"}, else_g);
  b.output("b", else_g);
  b.output("y");
  return b;
}

Tensor int64_scalar(int64_t v) {
  Tensor t(DType::Int64, {});
  *t.data<int64_t>() = v;
  return t;
}

TEST(Plan, ResolvesIfWithAFixedInputAtLoadTime) {
  auto model = if_model().load();
  for (int64_t flag : {16000, 8000}) {
    saywhen::Session s(model);
    s.fix_input("flag", int64_scalar(flag));
    s.set_input("x", floats({3}, {-1, 0, 2}));
    s.run();
    const float* y = s.output(0).data<float>();
    const float want0 = flag == 16000 ? 0.0f : 1.0f, want2 = flag == 16000 ? 2.0f : -2.0f;
    EXPECT_EQ(y[0], want0);
    EXPECT_EQ(y[2], want2);
  }
  saywhen::rt::PlanRequest req;
  req.shapes = {{"x", {3}}};
  req.fixed = {{"flag", int64_scalar(16000)}};
  auto plan = saywhen::rt::build_plan(model->ir(), req);
  EXPECT_EQ(plan->stats.dynamic_steps, 0u);
  EXPECT_EQ(plan->steps.size(), 1u);
}

TEST(Plan, RunsIfOnARunTimeCondition) {
  auto model = if_model().load();
  saywhen::Session s(model);
  s.set_input("x", floats({3}, {-1, 0, 2}));
  s.set_input("flag", int64_scalar(8000));
  s.run();
  EXPECT_EQ(s.output(0).data<float>()[0], 1.0f);
  s.set_input("flag", int64_scalar(16000));
  s.run();
  EXPECT_EQ(s.output(0).data<float>()[0], 0.0f);
}

TEST(Session, SteadyStateRunsAllocateNothing) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {64});
  b.init_floats("w", {64}, std::vector<float>(64, 0.5f));
  b.node("Mul", {"x", "w"}, {"m"});
  b.node("Relu", {"m"}, {"r"});
  b.node("Add", {"r", "x"}, {"y"});
  b.output("y");
  auto model = b.load();
  saywhen::Session s(model);
  Tensor x = floats({64}, std::vector<float>(64, 2.0f));
  s.set_input("x", x);
  s.run();
  s.set_input("x", x);
  long before = g_allocations.load();
  for (int i = 0; i < 10; ++i) s.run();
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_FLOAT_EQ(s.output(0).data<float>()[0], 3.0f);
}

TEST(Session, ManySessionsShareOneModelAcrossThreads) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {256});
  b.node("Relu", {"x"}, {"r"});
  b.node("Neg", {"r"}, {"y"});
  b.output("y");
  auto model = b.load();
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      saywhen::Session s(model);
      for (int iter = 0; iter < 200; ++iter) {
        float v = static_cast<float>(t * 1000 + iter);
        s.set_input("x", floats({256}, std::vector<float>(256, v)));
        s.run();
        if (s.output(0).data<float>()[255] != -v) bad++;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(CApi, RunsAModelAndReportsErrors) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {2});
  b.node("Neg", {"x"}, {"y"});
  b.output("y");
  std::string path = ::testing::TempDir() + "capi.onnx";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    std::string bytes = b.bytes();
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(sw_model_load("/nonexistent.onnx"), nullptr);
  EXPECT_STREQ(sw_last_error(), "/nonexistent.onnx: cannot open file");
  sw_model* m = sw_model_load(path.c_str());
  ASSERT_NE(m, nullptr) << sw_last_error();
  EXPECT_STREQ(sw_model_input_name(m, 0), "x");
  sw_session* s = sw_session_create(m, 1);
  float x[2] = {1.5f, -2.0f};
  int64_t shape[1] = {2};
  ASSERT_EQ(sw_session_set_input(s, "x", SW_FLOAT32, shape, 1, x), 0);
  ASSERT_EQ(sw_session_run(s), 0) << sw_last_error();
  sw_dtype dt;
  const int64_t* oshape;
  size_t rank;
  const void* data;
  ASSERT_EQ(sw_session_output(s, "y", &dt, &oshape, &rank, &data), 0);
  EXPECT_EQ(dt, SW_FLOAT32);
  EXPECT_EQ(rank, 1u);
  EXPECT_EQ(static_cast<const float*>(data)[0], -1.5f);
  EXPECT_EQ(sw_session_output(s, "zzz", &dt, &oshape, &rank, &data), -1);
  EXPECT_NE(std::string(sw_last_error()).find("no output named 'zzz'"), std::string::npos);
  sw_session_free(s);
  sw_model_free(m);
}

}  // namespace
