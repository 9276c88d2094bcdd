// saywhen detect AUDIO: the turn engine over a recording, one JSON line per event.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "saywhen/text.h"
#include "saywhen/turn.h"

namespace saywhen::cli {

namespace {

nlohmann::json event_json(const turn::Event& e) {
  nlohmann::json j;
  j["event"] = turn::event_name(e.type);
  j["t"] = std::round(e.t * 1e6) / 1e6;
  if (!std::isnan(e.audio_p)) j["audio_p"] = float_value(e.audio_p);
  if (!std::isnan(e.text_p)) j["text_p"] = float_value(e.text_p);
  if (!std::isnan(e.score)) j["score"] = float_value(e.score);
  if (!e.reason.empty()) j["reason"] = e.reason;
  if (e.compute_ms > 0) j["compute_ms"] = std::round(e.compute_ms * 1000) / 1000;
  if (e.pause_s > 0) j["pause_s"] = std::round(e.pause_s * 1e6) / 1e6;
  return j;
}
// A line of the --transcript file: a user piece or an agent turn, given to the
// stream when its audio reaches `at_s` (before any audio when the line has none).
struct TranscriptLine {
  double at_s = -std::numeric_limits<double>::infinity();
  bool agent = false;
  std::string text;
  double start_s = 0, end_s = 0;
  bool final = true;
};

// Reads the --transcript file, in time order of arrival; errors name the line.
std::vector<TranscriptLine> load_transcript(const std::string& path) {
  std::vector<TranscriptLine> lines;
  for_each_jsonl(path, "", [&](const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
      throw Error("expected an object with a string \"text\"");
    TranscriptLine l;
    l.text = j["text"];
    check_utf8(l.text, "text");
    if (auto it = j.find("at_s"); it != j.end()) {
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
        throw Error("\"at_s\" must be a number of seconds >= 0");
      l.at_s = it->get<double>();
    }
    l.agent = j.value("role", "user") == "assistant";
    if (!l.agent) {
      if (!j.contains("start_s") || !j.contains("end_s") || !j["start_s"].is_number() || !j["end_s"].is_number())
        throw Error("a user piece needs numeric \"start_s\" and \"end_s\"");
      l.start_s = j["start_s"].get<double>();
      l.end_s = j["end_s"].get<double>();
      if (auto it = j.find("final"); it != j.end()) {
        if (!it->is_boolean()) throw Error("\"final\" must be true or false");
        l.final = it->get<bool>();
      }
    }
    lines.push_back(std::move(l));
    return true;
  });
  std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.at_s < b.at_s; });
  return lines;
}

void give(turn::Stream& stream, const TranscriptLine& l) {
  if (l.agent) stream.add_agent_turn(l.text);
  else stream.add_transcript(l.text, l.start_s, l.end_s, l.final);
}
}  // namespace

void add_detect(CLI::App& app) {
  auto* cmd = app.add_subcommand("detect", "Turn events of AUDIO (\"-\" = stdin): one JSON line per event");
  static std::string path, models_dir, vad_model, smart_turn_model;
  static std::string preset = "saywhen", transcript;
  static std::vector<std::string> sets;
  static AudioInputOptions input;
  static double tail_silence = 0, chunk_ms = 0;
  static int threads = 1;
  static bool list = false;
  cmd->add_option("AUDIO", path, "Audio file, or - for stdin");
  cmd->add_option("--preset", preset,
                  "Policy: saywhen (re-scored Smart Turn + text model) or pipecat (Pipecat 1.14's "
                  "Silero VAD + Smart Turn v3, reproduced)")
      ->default_val(preset);
  cmd->add_option("--transcript", transcript,
                  "JSONL of speech-to-text pieces {\"text\", \"start_s\", \"end_s\"} (user; \"final\": false for an "
                  "interim result that the next piece replaces) and {\"role\": \"assistant\", \"text\"} (agent "
                  "turns, in order); a line with \"at_s\" is given to the stream when the audio reaches that time "
                  "(speech-to-text latency), one without it before any audio; enables the text model");
  cmd->add_option("--set", sets, "KEY=VALUE: override a preset parameter (see --list-settings)");
  cmd->add_flag("--list-settings", list, "Print the preset's parameters and defaults, then exit");
  cmd->add_option("--models", models_dir, "Models folder (else $SAYWHEN_MODELS, then ~/.local/share/saywhen/models)");
  cmd->add_option("--vad-model", vad_model, "Silero VAD ONNX file (default: from the models folder)");
  cmd->add_option("--smart-turn-model", smart_turn_model, "Smart Turn v3 ONNX file (default: from the models folder)");
  cmd->add_option("--tail-silence", tail_silence, "Seconds of silence appended after the audio (lets timeouts fire)")
      ->check(CLI::Range(0.0, 600.0));
  cmd->add_option("--chunk-ms", chunk_ms, "Feed the audio in chunks of this many ms (default: all at once); "
                                          "events do not depend on it")
      ->check(CLI::Range(0.0, 60000.0));
  cmd->add_option("--threads", threads, "Intra-op threads")->check(CLI::Range(1, 256));
  add_audio_input_options(*cmd, input);
  cmd->callback([] {
    turn::StreamOptions so;
    so.preset = preset;
    for (const std::string& kv : sets) {
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw Error("--set '" + kv + "': expected KEY=VALUE");
      char* end = nullptr;
      const std::string value = kv.substr(eq + 1);
      const double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') throw Error("--set '" + kv + "': VALUE must be a number");
      so.settings[kv.substr(0, eq)] = v;
    }
    if (list) {
      for (const auto& [k, v] : turn::Stream::parameter_names(preset)) std::cout << k << " = " << v << "\n";
      return;
    }
    if (path.empty()) throw Error("detect: AUDIO is required (a file, or - for stdin)");
    turn::EngineOptions eo;
    eo.models_dir = models_dir;
    eo.vad_model = vad_model;
    eo.smart_turn_model = smart_turn_model;
    eo.threads = threads;
    eo.load_text_model = !transcript.empty();
    auto engine = turn::Engine::load(eo);
    turn::Stream stream(engine, so);  // validates the preset and settings before reading audio
    const std::vector<TranscriptLine> lines = transcript.empty() ? std::vector<TranscriptLine>{} : load_transcript(transcript);
    const std::vector<float> pcm = load_audio_input(path, input);
    const size_t step = chunk_ms > 0 ? std::max<size_t>(1, static_cast<size_t>(chunk_ms * 16.0)) : pcm.size();
    std::string out;
    auto flush = [&] {
      for (const auto& e : stream.take_events()) out += event_json(e).dump() + "\n";
    };
    // Audio goes in `step` chunks, also cut where a transcript line arrives, so
    // that each line reaches the stream at its sample whatever the chunking.
    size_t next_line = 0;
    auto arrival = [&](size_t i) {
      return lines[i].at_s < 0 ? size_t{0} : static_cast<size_t>(std::llround(lines[i].at_s * 16000.0));
    };
    for (size_t pos = 0; pos < pcm.size();) {
      while (next_line < lines.size() && arrival(next_line) <= pos) give(stream, lines[next_line++]);
      size_t end = std::min(pos + step, pcm.size());
      if (next_line < lines.size()) end = std::min(end, std::max(pos + 1, arrival(next_line)));
      stream.push(std::span<const float>(pcm.data() + pos, end - pos));
      flush();
      pos = end;
    }
    // Lines that arrive after the audio: during the tail silence when it lasts that
    // long, else before it ends.
    size_t pushed = pcm.size();
    const auto tail_end = pushed + static_cast<size_t>(std::llround(tail_silence * 16000.0));
    while (next_line < lines.size()) {
      const size_t at = std::min(arrival(next_line), tail_end);
      if (at > pushed) {
        const std::vector<float> zeros(at - pushed, 0.0f);
        stream.push(zeros);
        flush();
        pushed = at;
      }
      give(stream, lines[next_line++]);
    }
    stream.finish(static_cast<double>(tail_end - pushed) / 16000.0);
    flush();
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace saywhen::cli
