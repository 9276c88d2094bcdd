#include "../kernel.h"

namespace saywhen::rt {

void register_shape_ops(OpTable&) {}

}  // namespace saywhen::rt
