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

#ifdef __cplusplus
}
#endif

#endif /* SAYWHEN_H */
