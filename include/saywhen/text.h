// saywhen text turn detection: from the transcript so far, should the voice
// agent speak, keep listening, or stop talking?
//
//   auto model = saywhen::TextModel::load();        // the shipped models/text-turn
//   saywhen::Conversation c;
//   c.messages = {{"assistant", "Shall I book it?"}, {"user", "yes please"}};
//   saywhen::TextPrediction p = model->predict(c);  // p.label, p.action, p.probs
//
// One TextModel is shared by any number of threads: predict() is const and
// thread-safe (each concurrent call borrows its own inference session).
//
// Labels (what the last user message is) and the action taken for each:
//
//   label        meaning                                  agent listening     agent speaking
//   -----------  ---------------------------------------  ------------------  ------------------
//   finished     the user is done; the agent should answer start_speaking     start_listening
//   unfinished   mid-thought: more is coming               continue_listening  start_listening
//   wait         "hold on", "stop", "wait a second"        continue_listening  start_listening
//   backchannel  "uh-huh", "right", "ага", "嗯嗯"           continue_listening  continue_speaking
//
// While the agent speaks, anything but a backchannel is a real interruption:
// the agent stops and listens (start_listening, a barge-in); the next turn
// decision comes from the next prediction. While the agent listens, only a
// finished turn makes it speak; a "wait" means it stays quiet until the user
// comes back.
//
// Mapping to other schemes: TEN's finished/unfinished/wait and a 0 unfinished /
// 1 finished / 2 wait scheme are ours with backchannel counted as unfinished
// (it asks for no answer); a binary speak/wait classifier (the Russian
// context + message one) is speak = finished, wait = the other three, which is
// speak iff the action is start_speaking with agent_speaking false.
//
// Decision (TextModel::decide). If the most probable label is wait or
// backchannel and its threshold for the language (if it has one) is met, that
// is the label. Otherwise it is a finished-vs-unfinished decision: finished iff
// p(finished) >= the finished threshold (without one: iff p(finished) >=
// p(unfinished)), else unfinished. So a threshold below 0.5 can promote
// finished, one above 0.5 demotes it, and keep-listening is what remains.
// Thresholds come from the model's config.json ("thresholds": {"default":
// {"finished": 0.5}, "ru": {...}}; the training side reports dev-optimal
// per-language values) and can be overridden per language and label
// (TextOptions, set_threshold, the CLI's --threshold ru=0.45 or
// --threshold ru:wait=0.6). A language entry overrides "default" label by label.
// unfinished takes no threshold.
//
// Language: the explicit Conversation::language if set, else detected from the
// script of the last user message (the context when the message has no
// letters): Cyrillic -> ru, Hangul -> ko, kana (with or without Han) -> ja,
// Han -> zh, Arabic -> ar, Devanagari -> hi, anything else (Latin, ...) ->
// "default". It only selects thresholds; the model itself is multilingual.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "saywhen/runtime.h"

namespace saywhen {

enum class TurnLabel : int { Finished = 0, Unfinished = 1, Wait = 2, Backchannel = 3 };
enum class TurnAction : int { StartSpeaking = 0, ContinueListening = 1, StartListening = 2, ContinueSpeaking = 3 };
inline constexpr int kNumTurnLabels = 4;

const char* label_name(TurnLabel label);     // "finished", ...
const char* action_name(TurnAction action);  // "start_speaking", ...
// Throws Error for an unknown name.
TurnLabel label_from_name(std::string_view name);
// The table above.
TurnAction action_for(TurnLabel label, bool agent_speaking);

struct Message {
  std::string role;     // "user", "assistant" (or "agent"); "system" messages are skipped
  std::string content;  // UTF-8, at most 64 KiB
};

struct Conversation {
  // Oldest first; the last message must be the user's and is the one judged.
  std::vector<Message> messages;
  bool agent_speaking = false;
  std::string language;  // "" = detect from the script
};

struct TextPrediction {
  std::array<float, kNumTurnLabels> probs{};  // calibrated, in TurnLabel order
  TurnLabel label = TurnLabel::Unfinished;
  TurnAction action = TurnAction::ContinueListening;
  std::string language;  // used for the thresholds
  int tokens = 0;        // model input length after truncation
  double latency_ms = 0; // tokenizing + inference
  std::string error;     // predict_batch only: why this conversation was not answered
};

// Per language, per label: the minimum probability for that label to be chosen.
using Thresholds = std::map<std::string, std::map<TurnLabel, float>>;

struct TextOptions {
  int threads = 1;        // intra-op threads of each inference session
  Thresholds thresholds;  // merged over the model's config.json
};

namespace text {
class SentencePiece;
}

class TextModel {
 public:
  // `dir` holds config.json, tokenizer.model and model.onnx. Empty: the shipped
  // model, found with find_model_file("text-turn") (models.h). Throws Error.
  static std::shared_ptr<const TextModel> load(const std::string& dir = "", const TextOptions& opts = {});
  ~TextModel();

  // Throws Error (one line, naming the message) on invalid input: no messages,
  // an empty or whitespace-only text, invalid UTF-8, a text over 64 KiB, the
  // last message not from the user, an unknown role.
  TextPrediction predict(const Conversation& conversation) const;
  // Every conversation is answered or gets `error` set; `threads` workers run
  // predictions side by side (each with a session of TextOptions::threads).
  std::vector<TextPrediction> predict_batch(const std::vector<Conversation>& conversations, int threads = 1) const;

  // The model input for a conversation (validated), as the Python reference
  // renders it: [cls] ([user|agent] context-ids)* [speaking|listening] [msg] ids.
  std::vector<int64_t> render(const Conversation& conversation) const;
  // The label chosen for these probabilities in this language (the threshold rule above).
  TurnLabel decide(const std::array<float, kNumTurnLabels>& probs, const std::string& language) const;

  void set_threshold(const std::string& language, TurnLabel label, float p);  // thread-safe
  Thresholds thresholds() const;

  int max_tokens() const { return max_tokens_; }
  int max_context_turns() const { return max_context_turns_; }
  const std::string& dir() const { return dir_; }
  const Model& onnx() const { return *model_; }

 private:
  TextModel();
  struct SessionPool;
  std::string dir_;
  std::shared_ptr<const Model> model_;
  std::unique_ptr<text::SentencePiece> sp_;
  int max_tokens_ = 128;
  int max_context_turns_ = 4;
  int64_t cls_ = 0, user_ = 0, agent_ = 0, speaking_ = 0, listening_ = 0, msg_ = 0;
  int threads_ = 1;
  mutable std::shared_mutex thresholds_mu_;
  Thresholds thresholds_;
  std::unique_ptr<SessionPool> pool_;
};

// "ru", "zh", "ja", "ko", "ar", "hi" or "default", by the script of the letters.
std::string detect_language(std::string_view utf8_text);

// Parses "LANG=P" (the finished threshold) or "LANG:LABEL=P" into `into`.
// Throws Error naming the spec.
void parse_threshold_spec(const std::string& spec, Thresholds& into);

// Checks `text` is valid UTF-8; on failure throws Error("<what>: invalid UTF-8
// at byte N"), without the "<what>: " when `what` is empty.
void check_utf8(std::string_view text, const std::string& what);

}  // namespace saywhen
