// The float32 elementwise loops for the baseline ISA (SSE2 on x86-64). Kept in
// a small file of its own like the other variants: inside elementwise.cpp,
// GCC's inlining budget ran out and the loops were left calling exp_f and
// friends per element, unvectorised (about 3x slower).
#include "elementwise_math.h"

namespace saywhen::rt::ew {

const F32Table& f32_table_ref() {
  static const F32Table t = make_f32_table();
  return t;
}

}  // namespace saywhen::rt::ew
