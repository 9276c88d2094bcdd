// NumPy .npy files: the exchange format of `saywhen onnx run` and the parity tests.
#pragma once

#include <string>

#include "saywhen/runtime.h"

namespace saywhen {

// Throws Error naming the file and what is wrong (bad magic, Fortran order,
// unsupported dtype, truncated data...).
Tensor read_npy(const std::string& path);
Tensor parse_npy(const void* data, size_t size, const std::string& name);
void write_npy(const std::string& path, const Tensor& t);

}  // namespace saywhen
