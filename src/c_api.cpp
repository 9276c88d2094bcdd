#include "saywhen/saywhen.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "saywhen/runtime.h"
#include "saywhen/text.h"
#include "saywhen/turn.h"

struct sw_model {
  std::shared_ptr<const saywhen::Model> model;
};
struct sw_session {
  std::unique_ptr<saywhen::Session> session;
};
struct sw_text_model {
  std::shared_ptr<const saywhen::TextModel> model;
};
struct sw_engine {
  std::shared_ptr<const saywhen::turn::Engine> engine;
};
struct sw_stream {
  std::unique_ptr<saywhen::turn::Stream> stream;
  std::vector<saywhen::turn::Event> events;  // owns what `out` points into
  std::vector<sw_event> out;
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

sw_engine* sw_engine_load(const char* models_dir, int load_text_model, int threads) {
  sw_engine* out = nullptr;
  guarded([&] {
    saywhen::turn::EngineOptions o;
    o.models_dir = models_dir ? models_dir : "";
    o.load_text_model = load_text_model != 0;
    o.threads = threads > 0 ? threads : 1;
    auto e = std::make_unique<sw_engine>();
    e->engine = saywhen::turn::Engine::load(o);
    out = e.release();
  });
  return out;
}

void sw_engine_free(sw_engine* engine) { delete engine; }

sw_stream* sw_stream_create(const sw_engine* engine, const char* preset, const char* const* keys,
                            const double* values, size_t n_settings, int sample_rate, int channels) {
  sw_stream* out = nullptr;
  guarded([&] {
    if (!engine) throw saywhen::Error("sw_stream_create: engine is null");
    if (n_settings && (!keys || !values)) throw saywhen::Error("sw_stream_create: settings are null");
    saywhen::turn::StreamOptions o;
    if (preset && *preset) o.preset = preset;
    for (size_t i = 0; i < n_settings; ++i) {
      if (!keys[i]) throw saywhen::Error("sw_stream_create: keys[" + std::to_string(i) + "] is null");
      o.settings[keys[i]] = values[i];
    }
    o.sample_rate = sample_rate;
    o.channels = channels;
    auto s = std::make_unique<sw_stream>();
    s->stream = std::make_unique<saywhen::turn::Stream>(engine->engine, o);
    out = s.release();
  });
  return out;
}

void sw_stream_free(sw_stream* stream) { delete stream; }

int sw_stream_push(sw_stream* stream, const float* samples, size_t n) {
  return guarded([&] {
    if (!stream || (n && !samples)) throw saywhen::Error("sw_stream_push: null argument");
    stream->stream->push(std::span<const float>(samples, n));
  });
}

int sw_stream_push_bytes(sw_stream* stream, const uint8_t* bytes, size_t n, const char* encoding) {
  return guarded([&] {
    if (!stream || (n && !bytes) || !encoding) throw saywhen::Error("sw_stream_push_bytes: null argument");
    stream->stream->push_bytes(std::span<const uint8_t>(bytes, n), saywhen::audio::parse_encoding(encoding));
  });
}

int sw_stream_add_transcript(sw_stream* stream, const char* text, double start_s, double end_s, int is_final) {
  return guarded([&] {
    if (!stream || !text) throw saywhen::Error("sw_stream_add_transcript: null argument");
    saywhen::check_utf8(text, "sw_stream_add_transcript: text");
    stream->stream->add_transcript(text, start_s, end_s, is_final != 0);
  });
}

int sw_stream_add_agent_turn(sw_stream* stream, const char* text) {
  return guarded([&] {
    if (!stream || !text) throw saywhen::Error("sw_stream_add_agent_turn: null argument");
    saywhen::check_utf8(text, "sw_stream_add_agent_turn: text");
    stream->stream->add_agent_turn(text);
  });
}

int sw_stream_set_agent_speaking(sw_stream* stream, int speaking) {
  return guarded([&] {
    if (!stream) throw saywhen::Error("sw_stream_set_agent_speaking: stream is null");
    stream->stream->set_agent_speaking(speaking != 0);
  });
}

int sw_stream_finish(sw_stream* stream, double tail_silence_s) {
  return guarded([&] {
    if (!stream) throw saywhen::Error("sw_stream_finish: stream is null");
    stream->stream->finish(tail_silence_s);
  });
}

size_t sw_stream_events(sw_stream* stream, const sw_event** events) {
  size_t n = static_cast<size_t>(-1);
  guarded([&] {
    if (!stream || !events) throw saywhen::Error("sw_stream_events: null argument");
    stream->events = stream->stream->take_events();
    stream->out.clear();
    for (const auto& e : stream->events)
      stream->out.push_back({saywhen::turn::event_name(e.type), e.t, e.audio_p, e.text_p, e.score, e.reason.c_str(),
                             e.compute_ms, e.pause_s});
    *events = stream->out.data();
    n = stream->out.size();
  });
  return n;
}

}  // extern "C"
