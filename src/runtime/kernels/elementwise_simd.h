// Float32 inner loops of the elementwise kernels, compiled once per ISA
// (elementwise.cpp for the baseline, elementwise_avx2.cpp, elementwise_avx512.cpp)
// from the same source in elementwise_math.h and picked at run time, so every
// variant computes the same approximations and only the vector width differs
// (GELU's AVX-512 loop is written in intrinsics, with the FMA variants' bits).
#pragma once

#include <cstdint>

namespace saywhen::rt::ew {

// Unary float ops with a shared float32 loop. Params: see UParams.
enum class UOp : int {
  Exp, Log, Tanh, Sigmoid, Erf, GeluErf, GeluTanh, Softplus, Softsign,
  Elu, Selu, Celu, HardSigmoid, HardSwish, LeakyRelu, Relu, ThresholdedRelu, Shrink,
  Neg, Abs, Sqrt, Reciprocal, Floor, Ceil, Round, Sign,
  Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh, Asinh, Acosh, Atanh,
  Count
};

// Binary float ops with vector/vector, vector/scalar and scalar/vector loops.
enum class BOp : int { Add, Sub, Mul, Div, Max, Min, PRelu, Count };

enum Bcast2Kind : int { kVV = 0, kVS = 1, kSV = 2 };

struct UParams {
  float alpha = 0, beta = 0, gamma = 0;
};

using UnaryFn = void (*)(const float* x, float* y, int64_t n, const UParams& p);
// y may alias a or b (in-place accumulation by the variadic ops).
using BinaryFn = void (*)(const float* a, const float* b, float* y, int64_t n);

struct F32Table {
  UnaryFn unary[static_cast<int>(UOp::Count)];
  BinaryFn binary[static_cast<int>(BOp::Count)][3];
};

const F32Table& f32_table_ref();
const F32Table& f32_table_avx2();
const F32Table& f32_table_avx512();
// The best variant this CPU supports (honours SAYWHEN_ISA).
const F32Table& f32_table();

}  // namespace saywhen::rt::ew
