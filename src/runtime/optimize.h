// Graph rewrites applied once after loading, before any plan is made: fusing
// patterns into faster ops of the "saywhen" domain (QDQ pairs into int8 GEMMs,
// ...). Every rewrite must keep the results within the model's tolerance.
#pragma once

#include "graph.h"

namespace saywhen::rt {

struct OptimizeOptions {
  bool fuse_qdq = true;
  bool fuse_attention = true;  // SAYWHEN_FUSE_ATTENTION=0 also turns it off
};

void optimize_graph(ModelIR& model, const OptimizeOptions& opts = {});

}  // namespace saywhen::rt
