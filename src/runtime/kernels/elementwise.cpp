#include "../kernel.h"

namespace saywhen::rt {

void register_elementwise_ops(OpTable&) {}

}  // namespace saywhen::rt
