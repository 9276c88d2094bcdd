// JSONL input of `saywhen text` and `saywhen eval-text` (tools/text.cpp).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "saywhen/text.h"

namespace saywhen::cli {

// Longer lines are refused without parsing them.
inline constexpr size_t kMaxLineBytes = 16u << 20;

struct TextLine {
  nlohmann::json id;  // null when the line has none
  Conversation conversation;
  nlohmann::json raw;  // the whole object (eval-text reads "label" and "lang")
};

// One input line: {"id", "messages": [{"role","content"}...], "agent_speaking"} or the
// speak/wait format {"id", "context": "...", "message": "..."} (the context is the
// previous dialogue text: one assistant turn). "lang" or "language" sets the
// language for the thresholds. Extra fields are ignored. Throws Error with a
// one-line reason; `id` is filled in as soon as it is known.
TextLine parse_text_line(const std::string& line, nlohmann::json& id);

// The answer object: {"id"?, "label", "action", "probs": {...}, "latency_ms", "language"}.
nlohmann::ordered_json prediction_json(const TextPrediction& p, const nlohmann::json* id);

// JSON text that is valid even when a string holds invalid UTF-8 (replaced).
std::string dump_line(const nlohmann::ordered_json& j);

// Reads the next line (without the newline) of at most kMaxLineBytes; a longer
// line is consumed and `too_long` set. False at the end of the stream.
bool read_line(std::istream& in, std::string& line, bool& too_long);

}  // namespace saywhen::cli
