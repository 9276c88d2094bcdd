// saywhen text: is the user's turn finished? One utterance, a JSONL file, or a prompt.
//
//   saywhen text "UTTERANCE" [--context FILE.json] [--agent-speaking]
//   saywhen text --input IN.jsonl --output OUT.jsonl [--threads N]
//   saywhen text --interactive
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "cli.h"
#include "saywhen/models.h"
#include "text_line.h"

namespace saywhen::cli {

namespace {

std::string json_type_name(const nlohmann::json& j) { return j.type_name(); }

// `where` names the place in an error ("" on a JSONL line: the caller adds the line number).
std::string at(const std::string& where) { return where.empty() ? "" : where + ": "; }

std::string get_text(const nlohmann::json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) throw Error(at(where) + "missing \"" + key + "\"");
  if (!it->is_string()) throw Error(at(where) + "\"" + key + "\" must be a string, got " + json_type_name(*it));
  return it->get<std::string>();
}

std::vector<Message> parse_messages(const nlohmann::json& arr, const std::string& where) {
  if (!arr.is_array()) throw Error(at(where) + "\"messages\" must be an array, got " + json_type_name(arr));
  std::vector<Message> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    const auto& m = arr[i];
    std::string w = at(where) + "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw Error(w + " must be an object {\"role\", \"content\"}");
    Message msg;
    msg.role = get_text(m, "role", w);
    // "text" is accepted too: the shared dialog data uses it.
    msg.content = m.contains("content") || !m.contains("text") ? get_text(m, "content", w) : get_text(m, "text", w);
    out.push_back(std::move(msg));
  }
  return out;
}

// A JSON file holding [{"role","content"}, ...] or {"messages": [...]}.
std::vector<Message> read_context_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open");
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  check_utf8(bytes, path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes);
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": not JSON (" + std::string(e.what()) + ")");
  }
  if (j.is_object() && j.contains("messages")) return parse_messages(j["messages"], path);
  return parse_messages(j, path);
}

void print_json(const nlohmann::ordered_json& j) {
  std::cout << dump_line(j) << "\n";
  std::cout.flush();
}

void run_file(const std::shared_ptr<const TextModel>& model, const std::string& in_path,
              const std::string& out_path, int threads, bool* failed) {
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (in_path != "-") {
    in_file.open(in_path, std::ios::binary);
    if (!in_file) throw Error(in_path + ": cannot open");
    in = &in_file;
  }
  std::ofstream out_file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    out_file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!out_file) throw Error(out_path + ": cannot write");
    out = &out_file;
  }
  const std::string name = in_path == "-" ? "stdin" : in_path;
  // Chunks keep memory flat for big files while threads get enough work each.
  constexpr size_t kChunk = 2048;
  size_t line_no = 0, answered = 0, errors = 0;
  auto t0 = std::chrono::steady_clock::now();
  auto last_report = t0;
  const bool progress = isatty(2) || in_path != "-";
  bool eof = false;
  while (!eof) {
    struct Item {
      size_t line;
      nlohmann::json id;
      std::string error;
      size_t conv = 0;
    };
    std::vector<Item> items;
    std::vector<Conversation> convs;
    std::string line;
    while (items.size() < kChunk) {
      bool too_long = false;
      if (!read_line(*in, line, too_long)) {
        eof = true;
        break;
      }
      ++line_no;
      if (!too_long && line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank
      Item it{line_no, nullptr, {}};
      try {
        if (too_long) throw Error("line is longer than " + std::to_string(kMaxLineBytes >> 20) + " MiB");
        TextLine tl = parse_text_line(line, it.id);
        it.conv = convs.size();
        convs.push_back(std::move(tl.conversation));
      } catch (const std::exception& e) {
        it.error = e.what();
      }
      items.push_back(std::move(it));
    }
    std::vector<TextPrediction> preds = model->predict_batch(convs, threads);
    for (Item& it : items) {
      if (it.error.empty() && !preds[it.conv].error.empty()) it.error = preds[it.conv].error;
      if (!it.error.empty()) {
        ++errors;
        std::cerr << name << ":" << it.line << ": " << it.error << "\n";
        nlohmann::ordered_json j;
        j["id"] = it.id;
        j["error"] = "line " + std::to_string(it.line) + ": " + it.error;
        *out << dump_line(j) << "\n";
      } else {
        ++answered;
        *out << dump_line(prediction_json(preds[it.conv], &it.id)) << "\n";
      }
    }
    out->flush();
    auto now = std::chrono::steady_clock::now();
    if (progress && now - last_report > std::chrono::seconds(2)) {
      double s = std::chrono::duration<double>(now - t0).count();
      std::cerr << "text: " << line_no << " lines, " << answered << " answered, " << errors << " errors ("
                << static_cast<int>(static_cast<double>(line_no) / s) << " lines/s)\n";
      last_report = now;
    }
  }
  if (!*out) throw Error(out_path + ": write failed");
  if (errors) {
    std::cerr << "text: " << errors << " of " << (errors + answered) << " lines could not be answered\n";
    *failed = true;
  }
}

void run_interactive(const std::shared_ptr<const TextModel>& model, Conversation conv) {
  const bool tty = isatty(0);
  auto prompt = [&] {
    if (tty) std::cerr << (conv.agent_speaking ? "[agent speaking] > " : "> ") << std::flush;
  };
  if (tty)
    std::cerr << "Type what the user says. /agent TEXT adds an agent turn, /speaking on|off, /reset, /show, /quit.\n";
  prompt();
  std::string line;
  bool too_long = false;
  while (read_line(std::cin, line, too_long)) {
    std::string_view l = line;
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.remove_suffix(1);
    while (!l.empty() && l.front() == ' ') l.remove_prefix(1);
    try {
      if (too_long) throw Error("line too long");
      if (l.empty()) {
      } else if (l == "/quit" || l == "/exit") {
        break;
      } else if (l == "/reset") {
        conv.messages.clear();
        conv.agent_speaking = false;
      } else if (l == "/speaking on" || l == "/speaking off") {
        conv.agent_speaking = l == "/speaking on";
      } else if (l.rfind("/agent ", 0) == 0 || l == "/agent") {
        std::string text(l.substr(std::min<size_t>(7, l.size())));
        check_utf8(text, "/agent");
        if (text.empty()) throw Error("/agent needs the text the agent says");
        conv.messages.push_back({"assistant", text});
      } else if (l == "/show") {
        nlohmann::ordered_json j = nlohmann::ordered_json::array();
        for (const auto& m : conv.messages) j.push_back({{"role", m.role}, {"content", m.content}});
        std::cerr << dump_line({{"messages", j}, {"agent_speaking", conv.agent_speaking}}) << "\n";
      } else if (l.front() == '/') {
        throw Error("unknown command '" + std::string(l.substr(0, 40)) +
                    "' (/agent TEXT, /speaking on|off, /reset, /show, /quit)");
      } else {
        // The user's turn lasts until the agent speaks: consecutive lines extend it.
        std::string text(l);
        check_utf8(text, "input");
        Conversation trial = conv;
        if (!trial.messages.empty() && trial.messages.back().role == "user")
          trial.messages.back().content += " " + text;
        else
          trial.messages.push_back({"user", text});
        TextPrediction p = model->predict(trial);
        conv = std::move(trial);
        print_json(prediction_json(p, nullptr));
      }
    } catch (const std::exception& e) {
      std::cerr << "error: " << e.what() << "\n";
    }
    prompt();
  }
}

}  // namespace

void add_text(CLI::App& app) {
  auto* cmd = app.add_subcommand("text", "Text turn detection: finished / unfinished / wait / backchannel");
  static std::string utterance, context_file, model_dir, models_dir, in_path, out_path, language;
  static std::vector<std::string> threshold_specs;
  static bool agent_speaking = false, interactive = false;
  static int threads = 1;
  auto* utterance_opt = cmd->add_option("UTTERANCE", utterance, "What the user said (the last message)");
  cmd->add_option("--context", context_file, "JSON file with the earlier turns: [{\"role\",\"content\"}, ...]");
  cmd->add_flag("--agent-speaking", agent_speaking, "The agent is talking while the user says this");
  cmd->add_option("--model", model_dir, "Text model folder (config.json, tokenizer.model, model.onnx); default: the shipped text-turn");
  cmd->add_option("--models", models_dir, "Folder searched first for text-turn/ (see scripts/download-models)");
  cmd->add_option("--threads", threads,
                  "With --input: lines predicted in parallel; otherwise intra-op threads of the one prediction")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--language", language, "Language for the thresholds (default: detected from the script)");
  cmd->add_option("--threshold", threshold_specs,
                  "LANG=P or LANG:LABEL=P: minimum probability for a label (finished if no label) in a language "
                  "(\"default\" for all); repeatable");
  cmd->add_option("--input", in_path, "JSONL in: {\"id\",\"messages\",\"agent_speaking\"} or {\"id\",\"context\",\"message\"} per line ('-': stdin)");
  cmd->add_option("--output", out_path, "JSONL out, one line per input line ('-': stdout, the default)");
  cmd->add_flag("--interactive", interactive, "Prompt: lines are the user's; /agent TEXT, /speaking on|off, /reset, /quit");
  cmd->callback([utterance_opt] {
    int modes = (utterance_opt->count() > 0) + (!in_path.empty()) + interactive;
    if (modes != 1)
      throw CLI::ValidationError("text", "give exactly one of UTTERANCE, --input FILE or --interactive");
    if (!out_path.empty() && in_path.empty()) throw CLI::ValidationError("--output", "needs --input");
    TextOptions opts;
    opts.threads = in_path.empty() ? threads : 1;
    for (const auto& s : threshold_specs) parse_threshold_spec(s, opts.thresholds);
    std::string dir = model_dir;
    if (dir.empty() && !models_dir.empty()) dir = find_model_file("text-turn", models_dir);
    auto model = TextModel::load(dir, opts);

    Conversation conv;
    conv.agent_speaking = agent_speaking;
    conv.language = language;
    if (!context_file.empty()) conv.messages = read_context_file(context_file);
    if (!in_path.empty()) {
      bool failed = false;
      run_file(model, in_path, out_path.empty() ? "-" : out_path, threads, &failed);
      if (failed) throw CLI::RuntimeError(1);
    } else if (interactive) {
      run_interactive(model, conv);
    } else {
      conv.messages.push_back({"user", utterance});
      print_json(prediction_json(model->predict(conv), nullptr));
    }
  });
}

// ---- JSONL lines -----------------------------------------------------------------

TextLine parse_text_line(const std::string& line, nlohmann::json& id) {
  check_utf8(line, "");  // the caller names the line
  TextLine out;
  try {
    out.raw = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    throw Error("not JSON (" + what.substr(0, 160) + ")");
  }
  const auto& j = out.raw;
  if (!j.is_object()) throw Error("a line must be a JSON object, got " + json_type_name(j));
  if (auto it = j.find("id"); it != j.end()) id = out.id = *it;
  Conversation& c = out.conversation;
  if (j.contains("messages")) {
    c.messages = parse_messages(j["messages"], "");
  } else if (j.contains("message")) {
    // Speak/wait format: the context is the dialogue before the message, one turn.
    if (j.contains("context") && !j["context"].is_null()) {
      std::string ctx = get_text(j, "context", "");
      if (ctx.find_first_not_of(" \t\r\n") != std::string::npos) c.messages.push_back({"assistant", ctx});
    }
    c.messages.push_back({"user", get_text(j, "message", "")});
  } else {
    throw Error("missing \"messages\" (or \"message\" with an optional \"context\")");
  }
  if (auto it = j.find("agent_speaking"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) throw Error("\"agent_speaking\" must be true or false, got " + it->dump());
    c.agent_speaking = it->get<bool>();
  }
  for (const char* key : {"language", "lang"})
    if (auto it = j.find(key); it != j.end() && it->is_string() && c.language.empty()) c.language = it->get<std::string>();
  return out;
}

nlohmann::ordered_json prediction_json(const TextPrediction& p, const nlohmann::json* id) {
  nlohmann::ordered_json j;
  if (id) j["id"] = *id;
  j["label"] = label_name(p.label);
  j["action"] = action_name(p.action);
  nlohmann::ordered_json probs;
  for (int i = 0; i < kNumTurnLabels; ++i)
    probs[label_name(static_cast<TurnLabel>(i))] = std::round(p.probs[static_cast<size_t>(i)] * 1e6) / 1e6;
  j["probs"] = probs;
  j["latency_ms"] = std::round(p.latency_ms * 1e3) / 1e3;
  j["language"] = p.language;
  return j;
}

std::string dump_line(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

bool read_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* sb = in.rdbuf();
  bool any = false;
  for (;;) {
    int c = sb->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return any;
    }
    any = true;
    if (c == '\n') break;
    if (line.size() < kMaxLineBytes) line.push_back(static_cast<char>(c));
    else too_long = true;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace saywhen::cli
