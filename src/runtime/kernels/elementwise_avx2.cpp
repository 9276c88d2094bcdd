// The float32 elementwise loops built for AVX2 + FMA (see elementwise_simd.h).
#include "elementwise_math.h"

namespace saywhen::rt::ew {

const F32Table& f32_table_avx2() {
  static const F32Table t = make_f32_table();
  return t;
}

}  // namespace saywhen::rt::ew
