// Model lookup: the search order and an error that says where it looked and how to fix it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "saywhen/models.h"
#include "saywhen/runtime.h"

namespace fs = std::filesystem;

TEST(Models, SearchOrderAndErrors) {
  fs::path root = fs::temp_directory_path() / ("saywhen_models_" + std::to_string(::getpid()));
  fs::create_directories(root / "a" / "silero-vad");
  fs::create_directories(root / "b" / "silero-vad");
  std::ofstream(root / "a" / "silero-vad" / "silero_vad.onnx") << "x";
  std::ofstream(root / "b" / "silero-vad" / "silero_vad.onnx") << "x";

  ::setenv("SAYWHEN_MODELS", (root / "b").c_str(), 1);
  // --models wins over $SAYWHEN_MODELS, which wins over the defaults.
  EXPECT_EQ(saywhen::find_model_file(saywhen::kSileroVadFile, (root / "a").string()),
            (root / "a" / "silero-vad" / "silero_vad.onnx").string());
  EXPECT_EQ(saywhen::find_model_file(saywhen::kSileroVadFile), (root / "b" / "silero-vad" / "silero_vad.onnx").string());
  auto path = saywhen::model_search_path((root / "a").string());
  ASSERT_GE(path.size(), 2u);
  EXPECT_EQ(path[0], (root / "a").string());
  EXPECT_EQ(path[1], (root / "b").string());

  try {
    saywhen::find_model_file("nowhere/missing.onnx", (root / "a").string());
    FAIL() << "no error";
  } catch (const saywhen::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("nowhere/missing.onnx"), std::string::npos) << msg;
    EXPECT_NE(msg.find((root / "a").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find((root / "b").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("scripts/download-models"), std::string::npos) << msg;
  }
  // A damaged (here: truncated text) model file: the error names it and the fix.
  try {
    saywhen::load_model_file((root / "a" / "silero-vad" / "silero_vad.onnx").string());
    FAIL() << "no error";
  } catch (const saywhen::Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find((root / "a" / "silero-vad" / "silero_vad.onnx").string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("scripts/download-models"), std::string::npos) << msg;
  }
  ::unsetenv("SAYWHEN_MODELS");
  fs::remove_all(root);
}
