#include "saywhen/saywhen.h"

#include <cstdio>
#include <memory>
#include <string>

#include "saywhen/runtime.h"
#include "saywhen/text.h"

struct sw_model {
  std::shared_ptr<const saywhen::Model> model;
};
struct sw_session {
  std::unique_ptr<saywhen::Session> session;
};
struct sw_text_model {
  std::shared_ptr<const saywhen::TextModel> model;
};

namespace {

thread_local std::string g_last_error;

template <class F>
int guarded(F f) {
  try {
    f();
    g_last_error.clear();
    return 0;
  } catch (const std::exception& e) {
    g_last_error = e.what();
  } catch (...) {
    g_last_error = "unknown error";
  }
  return -1;
}

saywhen::Tensor view_of(sw_dtype dtype, const int64_t* shape, size_t rank, const void* data) {
  if (rank > 0 && !shape) throw saywhen::Error("shape is null");
  if (!data) throw saywhen::Error("data is null");
  saywhen::Shape s(shape, shape + rank);
  for (int64_t d : s)
    if (d < 0) throw saywhen::Error("negative dimension in shape " + saywhen::shape_str(s));
  return saywhen::Tensor::view(static_cast<saywhen::DType>(dtype), s, const_cast<void*>(data));
}

}  // namespace

extern "C" {

const char* sw_version(void) { return "0.1.0"; }
const char* sw_last_error(void) { return g_last_error.c_str(); }

sw_model* sw_model_load(const char* path) {
  sw_model* out = nullptr;
  guarded([&] {
    if (!path) throw saywhen::Error("sw_model_load: path is null");
    auto m = std::make_unique<sw_model>();
    m->model = saywhen::Model::load(path);
    out = m.release();
  });
  return out;
}

void sw_model_free(sw_model* model) { delete model; }
size_t sw_model_num_inputs(const sw_model* m) { return m ? m->model->inputs().size() : 0; }
size_t sw_model_num_outputs(const sw_model* m) { return m ? m->model->outputs().size() : 0; }
const char* sw_model_input_name(const sw_model* m, size_t i) {
  return m && i < m->model->inputs().size() ? m->model->inputs()[i].name.c_str() : nullptr;
}
const char* sw_model_output_name(const sw_model* m, size_t i) {
  return m && i < m->model->outputs().size() ? m->model->outputs()[i].name.c_str() : nullptr;
}

sw_session* sw_session_create(const sw_model* model, int threads) {
  sw_session* out = nullptr;
  guarded([&] {
    if (!model) throw saywhen::Error("sw_session_create: model is null");
    saywhen::SessionOptions opts;
    opts.threads = threads;
    auto s = std::make_unique<sw_session>();
    s->session = std::make_unique<saywhen::Session>(model->model, opts);
    out = s.release();
  });
  return out;
}

void sw_session_free(sw_session* session) { delete session; }

int sw_session_set_input(sw_session* s, const char* name, sw_dtype dtype, const int64_t* shape, size_t rank,
                         const void* data) {
  return guarded([&] {
    if (!s || !name) throw saywhen::Error("sw_session_set_input: null argument");
    s->session->set_input(name, view_of(dtype, shape, rank, data));
  });
}

int sw_session_fix_input(sw_session* s, const char* name, sw_dtype dtype, const int64_t* shape, size_t rank,
                         const void* data) {
  return guarded([&] {
    if (!s || !name) throw saywhen::Error("sw_session_fix_input: null argument");
    s->session->fix_input(name, view_of(dtype, shape, rank, data));
  });
}

int sw_session_run(sw_session* s) {
  return guarded([&] {
    if (!s) throw saywhen::Error("sw_session_run: session is null");
    s->session->run();
  });
}

int sw_session_output(const sw_session* s, const char* name, sw_dtype* dtype, const int64_t** shape, size_t* rank,
                      const void** data) {
  return guarded([&] {
    if (!s || !name) throw saywhen::Error("sw_session_output: null argument");
    const saywhen::Tensor& t = s->session->output(std::string(name));
    if (dtype) *dtype = static_cast<sw_dtype>(t.dtype());
    if (shape) *shape = t.shape().data();
    if (rank) *rank = t.shape().size();
    if (data) *data = t.raw();
  });
}

sw_text_model* sw_text_model_load(const char* dir, int threads) {
  sw_text_model* out = nullptr;
  guarded([&] {
    saywhen::TextOptions opts;
    opts.threads = threads;
    auto m = std::make_unique<sw_text_model>();
    m->model = saywhen::TextModel::load(dir ? dir : "", opts);
    out = m.release();
  });
  return out;
}

void sw_text_model_free(sw_text_model* model) { delete model; }

int sw_text_predict(const sw_text_model* model, const sw_message* messages, size_t n_messages, int agent_speaking,
                    const char* language, sw_text_result* out) {
  return guarded([&] {
    if (!model || !out || (n_messages && !messages)) throw saywhen::Error("sw_text_predict: null argument");
    saywhen::Conversation c;
    c.agent_speaking = agent_speaking != 0;
    if (language) c.language = language;
    c.messages.reserve(n_messages);
    for (size_t i = 0; i < n_messages; ++i) {
      if (!messages[i].role || !messages[i].content)
        throw saywhen::Error("sw_text_predict: messages[" + std::to_string(i) + "] has a null role or content");
      c.messages.push_back({messages[i].role, messages[i].content});
    }
    saywhen::TextPrediction p = model->model->predict(c);
    for (int i = 0; i < 4; ++i) out->probs[i] = p.probs[static_cast<size_t>(i)];
    out->label = static_cast<sw_turn_label>(p.label);
    out->action = static_cast<sw_turn_action>(p.action);
    std::snprintf(out->language, sizeof out->language, "%s", p.language.c_str());
    out->tokens = p.tokens;
    out->latency_ms = p.latency_ms;
  });
}

int sw_text_set_threshold(sw_text_model* model, const char* language, sw_turn_label label, float probability) {
  return guarded([&] {
    if (!model || !language) throw saywhen::Error("sw_text_set_threshold: null argument");
    if (label < SW_FINISHED || label > SW_BACKCHANNEL) throw saywhen::Error("sw_text_set_threshold: bad label");
    // The model is shared read-only with predicting threads; thresholds are the
    // one mutable part and are guarded inside TextModel.
    std::const_pointer_cast<saywhen::TextModel>(model->model)
        ->set_threshold(language, static_cast<saywhen::TurnLabel>(label), probability);
  });
}

const char* sw_turn_label_name(sw_turn_label label) { return saywhen::label_name(static_cast<saywhen::TurnLabel>(label)); }
const char* sw_turn_action_name(sw_turn_action action) {
  return saywhen::action_name(static_cast<saywhen::TurnAction>(action));
}

}  // extern "C"
