#include "../kernel.h"

namespace saywhen::rt {

void register_conv_ops(OpTable&) {}

}  // namespace saywhen::rt
