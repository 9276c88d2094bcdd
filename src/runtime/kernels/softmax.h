// ONNX Runtime's float Softmax along the last axis (reduce.cpp), for kernels
// that normalise rows of their own (saywhen.Attention) and must give the bits
// the Softmax op gives.
#pragma once

#include <cstdint>

#include "../thread_pool.h"

namespace saywhen::rt {

// rows x n, row-major; y may be x.
void softmax_rows_f32(const float* x, float* y, int64_t rows, int64_t n, ThreadPool* pool);

}  // namespace saywhen::rt
