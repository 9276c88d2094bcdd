// Shared pieces of the `saywhen` command-line tool. Each subcommand lives in its
// own file and registers itself on the parent CLI11 app.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "saywhen/runtime.h"

namespace saywhen::cli {

void add_onnx_info(CLI::App& onnx);
void add_onnx_run(CLI::App& onnx);
void add_onnx_bench(CLI::App& onnx);
void add_text(CLI::App& app);
void add_eval_text(CLI::App& app);
void add_mel(CLI::App& app);
void add_convert(CLI::App& app);
void add_detect(CLI::App& app);
void add_eval_turns(CLI::App& app);
void add_listen(CLI::App& app);
void add_bench_streams(CLI::App& app);
void add_vad(CLI::App& app);

// --raw ENCODING --rate HZ --channels N: how to read headerless audio.
struct AudioInputOptions {
  std::string raw;
  int rate = -1;  // -1: not given
  int channels = 1;
};
void add_audio_input_options(CLI::App& cmd, AudioInputOptions& options);
// The file (or "-" for stdin) as mono float at `output_rate` (0: the input's own
// rate, stored in *input_rate if given), by the options above.
std::vector<float> load_audio_input(const std::string& path, const AudioInputOptions& options,
                                    int output_rate = 16000, int* input_rate = nullptr);

// Parses NAME=FILE.npy options into tensors.
std::map<std::string, Tensor> read_inputs(const std::vector<std::string>& specs);

// Every model input: the given tensor, or deterministic random data of the
// declared shape (unknown dimensions become 1).
std::map<std::string, Tensor> complete_inputs(const Model& model, std::map<std::string, Tensor> given);

double peak_rss_mb();

// Calls fn(value, "PATH:LINE") for every non-blank line of a JSONL file, in
// order, until fn returns false. A line that is not JSON, or any exception fn
// throws, becomes Error("PATH:LINE: reason"). `missing_hint` is appended to the
// error for a file that cannot be opened.
void for_each_jsonl(const std::string& path, const std::string& missing_hint,
                    const std::function<bool(const nlohmann::json&)>& fn);

// A probability as the float it is: the shortest decimal that reads back as that
// float, not the 17 digits of its widening to double (for JSON output).
double float_value(float v);

}  // namespace saywhen::cli
