/* saywhen C API: the one interface every language binding wraps.
 *
 * Conventions: functions return 0 on success and -1 on error; the error text
 * (one line: what failed and where) is available from sw_last_error() on the
 * same thread until the next call. Objects are opaque; free what you create.
 * A model may be shared by many sessions on many threads; a session is used by
 * one thread at a time.
 */
#ifndef SAYWHEN_H
#define SAYWHEN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_model sw_model;
typedef struct sw_session sw_session;

/* Element types: same values as ONNX TensorProto.DataType. */
typedef enum {
  SW_FLOAT32 = 1,
  SW_UINT8 = 2,
  SW_INT8 = 3,
  SW_INT32 = 6,
  SW_INT64 = 7,
  SW_BOOL = 9,
  SW_FLOAT64 = 11
} sw_dtype;

const char* sw_version(void);
const char* sw_last_error(void);

/* ---- runtime: any ONNX model ------------------------------------------- */
sw_model* sw_model_load(const char* path);
void sw_model_free(sw_model* model);
size_t sw_model_num_inputs(const sw_model* model);
size_t sw_model_num_outputs(const sw_model* model);
const char* sw_model_input_name(const sw_model* model, size_t index);
const char* sw_model_output_name(const sw_model* model, size_t index);

sw_session* sw_session_create(const sw_model* model, int threads);
void sw_session_free(sw_session* session);
/* Copies `data` (C order) when sw_session_run is called: keep it valid until then. */
int sw_session_set_input(sw_session* session, const char* name, sw_dtype dtype, const int64_t* shape,
                         size_t rank, const void* data);
/* Makes an input a constant for this session (e.g. a sample rate). */
int sw_session_fix_input(sw_session* session, const char* name, sw_dtype dtype, const int64_t* shape,
                         size_t rank, const void* data);
int sw_session_run(sw_session* session);
/* Borrowed pointers, valid until the next sw_session_run on this session. */
int sw_session_output(const sw_session* session, const char* name, sw_dtype* dtype, const int64_t** shape,
                      size_t* rank, const void** data);

/* ---- text turn detection (include/saywhen/text.h for the details) ------- */
typedef struct sw_text_model sw_text_model;

/* Label of the last user message; the action the agent takes (see text.h):
 *   agent listening: finished -> START_SPEAKING, others -> CONTINUE_LISTENING
 *   agent speaking:  backchannel -> CONTINUE_SPEAKING, others -> START_LISTENING */
typedef enum { SW_FINISHED = 0, SW_UNFINISHED = 1, SW_WAIT = 2, SW_BACKCHANNEL = 3 } sw_turn_label;
typedef enum {
  SW_START_SPEAKING = 0,
  SW_CONTINUE_LISTENING = 1,
  SW_START_LISTENING = 2,
  SW_CONTINUE_SPEAKING = 3
} sw_turn_action;

typedef struct {
  const char* role;    /* "user", "assistant" (or "agent"); "system" is skipped */
  const char* content; /* UTF-8, NUL-terminated, at most 64 KiB */
} sw_message;

typedef struct {
  float probs[4]; /* calibrated, in sw_turn_label order */
  sw_turn_label label;
  sw_turn_action action;
  char language[16]; /* the language whose thresholds were used ("ru", "default", ...) */
  int tokens;        /* model input length */
  double latency_ms;
} sw_text_result;

/* `dir`: folder with config.json, tokenizer.model, model.onnx; NULL or "" for the
 * shipped model. `threads`: intra-op threads per prediction (1 is best for one
 * short text). The model may be used from many threads at once. */
sw_text_model* sw_text_model_load(const char* dir, int threads);
void sw_text_model_free(sw_text_model* model);
/* messages[n_messages - 1] must be the user's. `language`: NULL to detect it
 * from the script. Returns -1 with sw_last_error() on invalid input. */
int sw_text_predict(const sw_text_model* model, const sw_message* messages, size_t n_messages, int agent_speaking,
                    const char* language, sw_text_result* out);
/* The threshold of `label` (SW_FINISHED, SW_WAIT or SW_BACKCHANNEL) for `language`
 * ("default": every language without its own value); the rule is in text.h.
 * Safe to call while other threads predict. */
int sw_text_set_threshold(sw_text_model* model, const char* language, sw_turn_label label, float probability);
const char* sw_turn_label_name(sw_turn_label label);
const char* sw_turn_action_name(sw_turn_action action);

/* ---- turn engine: audio (and transcript) in, turn events out ------------ */
typedef struct sw_engine sw_engine;
typedef struct sw_stream sw_stream;

/* One event. `type`: "speech_started", "pause", "end_of_turn_eager", "turn_resumed",
 * "end_of_turn", "barge_in", "backchannel". Probabilities are NaN when not computed;
 * `reason` is "" for VAD events. */
typedef struct {
  const char* type;
  double t; /* stream position in seconds */
  float audio_p, text_p, score;
  const char* reason;
  double compute_ms;
  double pause_s;
} sw_event;

/* `models_dir`: searched first for the Silero VAD and Smart Turn files (NULL or "":
 * $SAYWHEN_MODELS, then ~/.local/share/saywhen/models). `load_text_model`: also load
 * the shipped text model (for transcripts). One engine serves any number of streams. */
sw_engine* sw_engine_load(const char* models_dir, int load_text_model, int threads);
void sw_engine_free(sw_engine* engine);
/* `preset`: "saywhen" (NULL) or "pipecat"; `keys`/`values`: n_settings parameter
 * overrides; audio given to the stream is at `sample_rate` with `channels`. */
sw_stream* sw_stream_create(const sw_engine* engine, const char* preset, const char* const* keys,
                            const double* values, size_t n_settings, int sample_rate, int channels);
void sw_stream_free(sw_stream* stream);
/* Interleaved float samples (n = frames * channels). */
int sw_stream_push(sw_stream* stream, const float* samples, size_t n);
/* Encoded bytes: "s16le", "f32le", "mulaw", "alaw". */
int sw_stream_push_bytes(sw_stream* stream, const uint8_t* bytes, size_t n, const char* encoding);
/* Speech-to-text of the user: `text` spoken between start_s and end_s (stream seconds).
 * is_final 0: an interim result, replaced by the next piece added. */
int sw_stream_add_transcript(sw_stream* stream, const char* text, double start_s, double end_s, int is_final);
int sw_stream_add_agent_turn(sw_stream* stream, const char* text);
int sw_stream_set_agent_speaking(sw_stream* stream, int speaking);
int sw_stream_finish(sw_stream* stream, double tail_silence_s);
/* The events decided since the previous call; `*events` stays valid until the next
 * call on this stream. Returns the count, or (size_t)-1 on error. */
size_t sw_stream_events(sw_stream* stream, const sw_event** events);

#ifdef __cplusplus
}
#endif

#endif /* SAYWHEN_H */
