#include "../kernel.h"

namespace saywhen::rt {

void register_linear_ops(OpTable&) {}

}  // namespace saywhen::rt
