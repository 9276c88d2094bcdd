// Model file lookup (see include/saywhen/models.h).
#include "saywhen/models.h"

#include <cstdlib>
#include <filesystem>

#include "saywhen/runtime.h"

#ifndef SAYWHEN_SOURCE_MODELS_DIR
#define SAYWHEN_SOURCE_MODELS_DIR ""
#endif

namespace saywhen {

std::vector<std::string> model_search_path(const std::string& models_dir) {
  std::vector<std::string> dirs;
  if (!models_dir.empty()) dirs.push_back(models_dir);
  if (const char* env = std::getenv("SAYWHEN_MODELS"); env && *env) dirs.emplace_back(env);
  if (const char* home = std::getenv("HOME"); home && *home)
    dirs.push_back(std::string(home) + "/.local/share/saywhen/models");
  // The models shipped in the repository (the text model), in the source tree
  // the binary was built from.
  if (*SAYWHEN_SOURCE_MODELS_DIR) dirs.emplace_back(SAYWHEN_SOURCE_MODELS_DIR);
  return dirs;
}

std::string find_model_file(const std::string& relative, const std::string& models_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string looked;
  for (const std::string& dir : model_search_path(models_dir)) {
    fs::path p = fs::path(dir) / relative;
    if (fs::exists(p, ec)) return p.string();
    looked += (looked.empty() ? "" : ", ") + dir;
  }
  throw Error("model file " + relative + " not found (looked in " + (looked.empty() ? "no folder" : looked) +
              "); fetch it with scripts/download-models [DIR], or pass --models DIR / set SAYWHEN_MODELS");
}

std::shared_ptr<const Model> load_model_file(const std::string& path) {
  try {
    return Model::load(path);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) + " (if the file is damaged, fetch it again: scripts/download-models [DIR])");
  }
}

}  // namespace saywhen
