// libFuzzer target: arbitrary bytes as an ONNX model. Loading, then planning
// for the declared input shapes (unknown dims = 1), must either succeed or
// throw saywhen::Error — never crash, hang or exhaust memory.
#include <cstddef>
#include <cstdint>

#include "saywhen/runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto model = saywhen::Model::load_from_memory(data, size, "fuzz.onnx");
    std::map<std::string, saywhen::Shape> shapes;
    for (const auto& in : model->inputs()) {
      saywhen::Shape s;
      for (int64_t d : in.dims) s.push_back(d < 0 ? 1 : std::min<int64_t>(d, 64));
      shapes[in.name] = s;
    }
    model->prepare(shapes);
  } catch (const saywhen::Error&) {
  }
  return 0;
}
