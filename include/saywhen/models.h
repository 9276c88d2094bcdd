// Where saywhen finds its model files. Nothing is downloaded at run time:
// scripts/download-models [DIR] fetches the public files once.
//
// Lookup order for a file such as "silero-vad/silero_vad.onnx":
//   1. the folder given by the caller (the CLI's --models DIR),
//   2. $SAYWHEN_MODELS,
//   3. ~/.local/share/saywhen/models (the default of scripts/download-models),
//   4. the models/ folder of the source tree saywhen was built from (the shipped
//      text model).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "saywhen/runtime.h"

namespace saywhen {

// Relative names of the models saywhen runs.
inline constexpr const char* kSileroVadFile = "silero-vad/silero_vad.onnx";
inline constexpr const char* kSmartTurnFile = "smart-turn/smart-turn-v3.2-cpu.onnx";

// The folders searched, in order (those that are configured; existing or not).
std::vector<std::string> model_search_path(const std::string& models_dir = "");

// The full path of `relative` in the first folder that has it. Throws saywhen::Error: "model file R not found (looked in A, B,
// C); fetch it with scripts/download-models" when no folder has it.
std::string find_model_file(const std::string& relative, const std::string& models_dir = "");

// Model::load(path), with a failure's message extended by how to replace a damaged
// file (scripts/download-models), since a truncated download is the usual cause.
std::shared_ptr<const Model> load_model_file(const std::string& path);

}  // namespace saywhen
