// saywhen: when should a voice agent speak? Command-line entry point.
#include <iostream>

#include "cli.h"

int main(int argc, char** argv) {
  CLI::App app{"saywhen: end-of-turn detection for voice agents"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "saywhen 0.1.0");
  CLI::App* onnx = app.add_subcommand("onnx", "Inspect, run and benchmark ONNX models with saywhen's runtime");
  onnx->require_subcommand(1);
  saywhen::cli::add_onnx_info(*onnx);
  saywhen::cli::add_onnx_run(*onnx);
  saywhen::cli::add_onnx_bench(*onnx);
  saywhen::cli::add_text(app);
  saywhen::cli::add_eval_text(app);
  saywhen::cli::add_mel(app);
  saywhen::cli::add_convert(app);
  saywhen::cli::add_detect(app);
  saywhen::cli::add_eval_turns(app);
  saywhen::cli::add_listen(app);
  saywhen::cli::add_bench_streams(app);
  saywhen::cli::add_vad(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
