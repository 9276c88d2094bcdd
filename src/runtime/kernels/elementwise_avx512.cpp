// The float32 elementwise loops built for AVX-512 (see elementwise_simd.h).
#include "elementwise_math.h"

namespace saywhen::rt::ew {

const F32Table& f32_table_avx512() {
  static const F32Table t = make_f32_table();
  return t;
}

}  // namespace saywhen::rt::ew
