#include "optimize.h"

namespace saywhen::rt {

void optimize_graph(ModelIR&, const OptimizeOptions&) {}

}  // namespace saywhen::rt
