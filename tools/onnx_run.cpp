// saywhen onnx run MODEL [--input NAME=FILE.npy ...] --output-dir DIR
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "runtime/npy.h"

namespace saywhen::cli {

// Output names can contain '/' or ':'; keep file names portable.
static std::string file_name_for(const std::string& name) {
  std::string s = name;
  for (char& c : s)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) c = '_';
  return s.empty() ? "output" : s;
}

void add_onnx_run(CLI::App& onnx) {
  auto* cmd = onnx.add_subcommand("run", "Run a model once; write every output as DIR/NAME.npy");
  static std::string path, out_dir;
  static std::vector<std::string> inputs;
  static int threads = 1;
  cmd->add_option("MODEL", path, "ONNX model file")->required();
  cmd->add_option("--input", inputs, "NAME=FILE.npy (inputs not given get deterministic random data)");
  cmd->add_option("--output-dir", out_dir, "Directory for the outputs")->required();
  cmd->add_option("--threads", threads, "Intra-op threads")->check(CLI::Range(1, 256));
  cmd->callback([] {
    auto model = Model::load(path);
    auto values = complete_inputs(*model, read_inputs(inputs));
    SessionOptions opts;
    opts.threads = threads;
    Session session(model, opts);
    for (const auto& [name, t] : values) session.set_input(name, t);
    session.run();
    std::filesystem::create_directories(out_dir);
    for (size_t i = 0; i < model->outputs().size(); ++i) {
      const std::string& name = model->outputs()[i].name;
      std::string file = (std::filesystem::path(out_dir) / (file_name_for(name) + ".npy")).string();
      const Tensor& t = session.output(i);
      write_npy(file, t);
      std::cout << name << ": " << dtype_name(t.dtype()) << " " << shape_str(t.shape()) << " -> " << file << "\n";
    }
  });
}

}  // namespace saywhen::cli
