#include "../kernel.h"

namespace saywhen::rt {

void register_lstm_ops(OpTable&) {}

}  // namespace saywhen::rt
