// The float32 elementwise loops built for baseline ISA (SSE2 on x86-64); its own small
// translation unit, like the others, so the inliner budget goes to these loops (see elementwise_simd.h).
#include "elementwise_math.h"

namespace saywhen::rt::ew {

const F32Table& f32_table_ref() {
  static const F32Table t = make_f32_table();
  return t;
}

}  // namespace saywhen::rt::ew
