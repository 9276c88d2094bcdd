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
  static std::vector<std::string> inputs, fixed;
  static int threads = 1;
  cmd->add_option("MODEL", path, "ONNX model file")->required();
  cmd->add_option("--input", inputs, "NAME=FILE.npy (inputs not given get deterministic random data)");
  cmd->add_option("--output-dir", out_dir, "Directory for the outputs")->required();
  cmd->add_option("--fix", fixed,
                  "NAME=FILE.npy: an input that is constant for the session (e.g. Silero's sr); "
                  "branches on it are resolved when the model is planned");
  cmd->add_option("--threads", threads, "Intra-op threads")->check(CLI::Range(1, 256));
  cmd->callback([] {
    auto model = Model::load(path);
    auto given = read_inputs(inputs);
    for (auto& [name, t] : read_inputs(fixed)) given[name] = t;
    auto values = complete_inputs(*model, given);
    SessionOptions opts;
    opts.threads = threads;
    Session session(model, opts);
    auto fixed_values = read_inputs(fixed);
    for (const auto& [name, t] : fixed_values) session.fix_input(name, t);
    for (const auto& [name, t] : values)
      if (!fixed_values.count(name)) session.set_input(name, t);
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
