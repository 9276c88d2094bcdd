// The text turn model (include/saywhen/text.h): config, rendering, decisions.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "saywhen/models.h"
#include "saywhen/text.h"
#include "text/sentencepiece.h"

namespace saywhen {

namespace {

constexpr size_t kMaxTextBytes = 64 * 1024;

constexpr const char* kLabelNames[kNumTurnLabels] = {"finished", "unfinished", "wait", "backchannel"};
constexpr const char* kActionNames[4] = {"start_speaking", "continue_listening", "start_listening",
                                         "continue_speaking"};

// Decodes one code point at s[i] (valid UTF-8 assumed); advances i.
uint32_t next_code_point(std::string_view s, size_t& i) {
  auto u = static_cast<uint8_t>(s[i]);
  int len = u < 0x80 ? 1 : (u & 0xE0) == 0xC0 ? 2 : (u & 0xF0) == 0xE0 ? 3 : 4;
  uint32_t cp = len == 1 ? u : len == 2 ? (u & 0x1F) : len == 3 ? (u & 0x0F) : (u & 0x07);
  for (int k = 1; k < len && i + static_cast<size_t>(k) < s.size(); ++k)
    cp = (cp << 6) | (static_cast<uint8_t>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(len);
  return cp;
}

// Python's str.isspace() set, so "stripped" means what the reference means.
bool is_unicode_space(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string_view strip(std::string_view s) {
  size_t begin = 0, end = s.size();
  while (begin < end) {
    size_t i = begin;
    if (!is_unicode_space(next_code_point(s, i))) break;
    begin = i;
  }
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<uint8_t>(s[start]) & 0xC0) == 0x80) --start;
    size_t i = start;
    if (!is_unicode_space(next_code_point(s, i))) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

enum class Role { User, Agent, System };

Role parse_role(const std::string& role, size_t index) {
  if (role == "user") return Role::User;
  if (role == "assistant" || role == "agent") return Role::Agent;
  if (role == "system") return Role::System;
  throw Error("messages[" + std::to_string(index) + "]: unknown role '" + role.substr(0, 40) +
              "' (expected user, assistant or agent)");
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path + ": cannot open");
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

const char* label_name(TurnLabel label) {
  auto i = static_cast<int>(label);
  return i >= 0 && i < kNumTurnLabels ? kLabelNames[i] : "?";
}

const char* action_name(TurnAction action) {
  auto i = static_cast<int>(action);
  return i >= 0 && i < 4 ? kActionNames[i] : "?";
}

TurnLabel label_from_name(std::string_view name) {
  for (int i = 0; i < kNumTurnLabels; ++i)
    if (name == kLabelNames[i]) return static_cast<TurnLabel>(i);
  throw Error("unknown label '" + std::string(name.substr(0, 40)) +
              "' (expected finished, unfinished, wait or backchannel)");
}

TurnAction action_for(TurnLabel label, bool agent_speaking) {
  if (agent_speaking) return label == TurnLabel::Backchannel ? TurnAction::ContinueSpeaking : TurnAction::StartListening;
  return label == TurnLabel::Finished ? TurnAction::StartSpeaking : TurnAction::ContinueListening;
}

void check_utf8(std::string_view s, const std::string& what) {
  const std::string prefix = what.empty() ? std::string() : what + ": ";
  const auto* u = reinterpret_cast<const uint8_t*>(s.data());
  size_t n = s.size();
  for (size_t i = 0; i < n;) {
    uint8_t c = u[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07u;
    } else {
      throw Error(prefix + "invalid UTF-8 at byte " + std::to_string(i));
    }
    if (i + len > n) throw Error(prefix + "invalid UTF-8 at byte " + std::to_string(i) + " (truncated)");
    for (size_t k = 1; k < len; ++k) {
      if ((u[i + k] & 0xC0) != 0x80) throw Error(prefix + "invalid UTF-8 at byte " + std::to_string(i));
      cp = (cp << 6) | (u[i + k] & 0x3Fu);
    }
    static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
      throw Error(prefix + "invalid UTF-8 at byte " + std::to_string(i));
    i += len;
  }
}

std::string detect_language(std::string_view s) {
  enum { kCyr, kHangul, kKana, kHan, kArabic, kDeva, kOther, kN };
  int count[kN] = {};
  for (size_t i = 0; i < s.size();) {
    uint32_t c = next_code_point(s, i);
    if ((c >= 0x0400 && c <= 0x052F) || (c >= 0x1C80 && c <= 0x1C8F) || (c >= 0x2DE0 && c <= 0x2DFF) ||
        (c >= 0xA640 && c <= 0xA69F))
      ++count[kCyr];
    else if ((c >= 0x1100 && c <= 0x11FF) || (c >= 0x3130 && c <= 0x318F) || (c >= 0xA960 && c <= 0xA97F) ||
             (c >= 0xAC00 && c <= 0xD7FF))
      ++count[kHangul];
    else if ((c >= 0x3040 && c <= 0x30FF && c != 0x30FB) || (c >= 0x31F0 && c <= 0x31FF) ||
             (c >= 0xFF66 && c <= 0xFF9D))
      ++count[kKana];
    else if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF) ||
             (c >= 0x20000 && c <= 0x3134F))
      ++count[kHan];
    else if ((c >= 0x0600 && c <= 0x06FF && !(c >= 0x0660 && c <= 0x0669)) || (c >= 0x0750 && c <= 0x077F) ||
             (c >= 0x08A0 && c <= 0x08FF) || (c >= 0xFB50 && c <= 0xFDFF) || (c >= 0xFE70 && c <= 0xFEFF))
      ++count[kArabic];
    else if ((c >= 0x0900 && c <= 0x097F && c != 0x0964 && c != 0x0965) || (c >= 0xA8E0 && c <= 0xA8FF))
      ++count[kDeva];
    else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0x00C0 && c <= 0x024F && c != 0xD7 && c != 0xF7) ||
             (c >= 0x0370 && c <= 0x03FF) || (c >= 0x0590 && c <= 0x05FF) || (c >= 0x0E00 && c <= 0x0E7F) ||
             (c >= 0x1E00 && c <= 0x1EFF))
      ++count[kOther];
  }
  // Japanese writes Han and kana together: any kana makes Han text Japanese.
  if (count[kKana] > 0) {
    count[kKana] += count[kHan];
    count[kHan] = 0;
  }
  int best = kOther, best_n = 0;
  for (int k = 0; k < kN; ++k)
    if (count[k] > best_n) best = k, best_n = count[k];
  static constexpr const char* kCode[kN] = {"ru", "ko", "ja", "zh", "ar", "hi", "default"};
  return best_n == 0 ? "" : kCode[best];
}

void parse_threshold_spec(const std::string& spec, Thresholds& into) {
  auto bad = [&](const std::string& why) {
    return Error("threshold '" + spec + "': " + why + " (expected LANG=P or LANG:LABEL=P, P in [0,1])");
  };
  size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) throw bad("no '='");
  std::string key = spec.substr(0, eq), value = spec.substr(eq + 1);
  std::string lang = key, label = "finished";
  if (size_t colon = key.find(':'); colon != std::string::npos) {
    lang = key.substr(0, colon);
    label = key.substr(colon + 1);
  }
  if (lang.empty()) throw bad("empty language");
  TurnLabel l;
  try {
    l = label_from_name(label);
  } catch (const Error& e) {
    throw bad(e.what());
  }
  if (l == TurnLabel::Unfinished) throw bad("unfinished takes no threshold");
  char* end = nullptr;
  float p = std::strtof(value.c_str(), &end);
  if (value.empty() || *end != '\0' || !(p >= 0.0f && p <= 1.0f)) throw bad("bad probability '" + value + "'");
  into[lang][l] = p;
}

// ---- the model ----------------------------------------------------------------

struct TextModel::SessionPool {
  std::mutex mu;
  std::vector<std::unique_ptr<Session>> idle;
};

TextModel::TextModel() : pool_(std::make_unique<SessionPool>()) {}
TextModel::~TextModel() = default;

std::shared_ptr<const TextModel> TextModel::load(const std::string& dir_arg, const TextOptions& opts) {
  namespace fs = std::filesystem;
  std::string dir = dir_arg.empty() ? find_model_file("text-turn") : dir_arg;
  if (!fs::is_directory(dir)) throw Error(dir + ": not a text model folder (config.json, tokenizer.model, model.onnx)");
  if (opts.threads < 1 || opts.threads > 256)
    throw Error("text model: threads must be 1-256, got " + std::to_string(opts.threads));
  std::shared_ptr<TextModel> m(new TextModel());
  m->dir_ = dir;
  m->threads_ = opts.threads;
  const std::string config_path = (fs::path(dir) / "config.json").string();

  nlohmann::json cfg;
  try {
    cfg = nlohmann::json::parse(read_file(config_path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(config_path + ": not valid JSON (" + e.what() + ")");
  }
  try {
    if (cfg.value("format", 0) != 1)
      throw Error(config_path + ": unsupported format " + cfg.value("format", nlohmann::json(nullptr)).dump() +
                  " (this saywhen reads format 1)");
    const auto& labels = cfg.at("labels");
    if (!labels.is_array() || labels.size() != kNumTurnLabels)
      throw Error(config_path + ": \"labels\" must list the 4 labels");
    for (int i = 0; i < kNumTurnLabels; ++i)
      if (labels[static_cast<size_t>(i)] != kLabelNames[i])
        throw Error(config_path + ": \"labels\" must be [\"finished\",\"unfinished\",\"wait\",\"backchannel\"], got " +
                    labels.dump());
    m->max_tokens_ = cfg.at("max_tokens").get<int>();
    m->max_context_turns_ = cfg.at("max_context_turns").get<int>();
    if (m->max_tokens_ < 4 || m->max_tokens_ > 65536)
      throw Error(config_path + ": max_tokens " + std::to_string(m->max_tokens_) + " out of range");
    if (m->max_context_turns_ < 0)
      throw Error(config_path + ": max_context_turns " + std::to_string(m->max_context_turns_) + " is negative");

    m->sp_ = std::make_unique<text::SentencePiece>(text::SentencePiece::load((fs::path(dir) / "tokenizer.model").string()));
    const auto& pieces = cfg.at("pieces");
    auto piece_id = [&](const char* key) -> int64_t {
      std::string piece = pieces.at(key).get<std::string>();
      if (!m->sp_->has_piece(piece))
        throw Error(config_path + ": piece \"" + piece + "\" (" + key + ") is not in tokenizer.model");
      return m->sp_->piece_to_id(piece);
    };
    m->cls_ = piece_id("cls");
    m->user_ = piece_id("user");
    m->agent_ = piece_id("agent");
    m->speaking_ = piece_id("speaking");
    m->listening_ = piece_id("listening");
    m->msg_ = piece_id("msg");

    if (cfg.contains("thresholds")) {
      for (const auto& [lang, v] : cfg.at("thresholds").items()) {
        if (v.is_number()) {
          m->thresholds_[lang][TurnLabel::Finished] = v.get<float>();
          continue;
        }
        for (const auto& [label, p] : v.items()) {
          float f = p.get<float>();
          if (!(f >= 0.0f && f <= 1.0f))
            throw Error(config_path + ": threshold " + lang + ":" + label + " = " + p.dump() + " is not in [0,1]");
          TurnLabel l = label_from_name(label);
          if (l == TurnLabel::Unfinished)
            throw Error(config_path + ": threshold " + lang + ":unfinished: unfinished takes no threshold");
          m->thresholds_[lang][l] = f;
        }
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(config_path + ": " + e.what());
  }
  for (const auto& [lang, per_label] : opts.thresholds)
    for (const auto& [label, p] : per_label) m->thresholds_[lang][label] = p;

  m->model_ = Model::load((fs::path(dir) / "model.onnx").string());
  bool has_in = false, has_out = false;
  for (const auto& in : m->model_->inputs()) has_in |= in.name == "input_ids";
  for (const auto& out : m->model_->outputs()) has_out |= out.name == "probs";
  if (!has_in || !has_out)
    throw Error(m->model_->path() + ": a text turn model needs input \"input_ids\" and output \"probs\"");
  if (int64_t v = m->sp_->vocab_size(); v <= std::max({m->cls_, m->user_, m->agent_, m->msg_}))
    throw Error(config_path + ": piece ids out of the vocabulary");
  return m;
}

std::vector<int64_t> TextModel::render(const Conversation& c) const {
  const auto& msgs = c.messages;
  if (msgs.empty()) throw Error("conversation has no messages");
  std::vector<size_t> turns;  // indices of non-system messages
  std::vector<Role> roles(msgs.size());
  for (size_t i = 0; i < msgs.size(); ++i) {
    const Message& m = msgs[i];
    roles[i] = parse_role(m.role, i);
    const std::string where = "messages[" + std::to_string(i) + "] (" + m.role + ")";
    if (m.content.size() > kMaxTextBytes)
      throw Error(where + ": text is " + std::to_string(m.content.size()) + " bytes, over the " +
                  std::to_string(kMaxTextBytes) + "-byte limit");
    check_utf8(m.content, where);
    if (strip(m.content).empty()) throw Error(where + ": text is empty");
    if (roles[i] != Role::System) turns.push_back(i);
  }
  if (turns.empty() || turns.back() != msgs.size() - 1 || roles.back() != Role::User)
    throw Error("messages[" + std::to_string(msgs.size() - 1) + "]: the last message must be the user's, got role '" +
                msgs.back().role + "'");

  std::vector<int32_t> ctx, msg;
  const size_t n_ctx = std::min(turns.size() - 1, static_cast<size_t>(max_context_turns_));
  for (size_t k = turns.size() - 1 - n_ctx; k + 1 < turns.size(); ++k) {
    size_t i = turns[k];
    ctx.push_back(static_cast<int32_t>(roles[i] == Role::User ? user_ : agent_));
    sp_->encode(strip(msgs[i].content), ctx);
  }
  sp_->encode(strip(msgs.back().content), msg);

  const size_t max = static_cast<size_t>(max_tokens_);
  size_t ctx_begin = 0, msg_begin = 0;
  if (1 + ctx.size() + 2 + msg.size() > max) {
    if (msg.size() > max - 3) msg_begin = msg.size() - (max - 3);
    size_t total = 1 + ctx.size() + 2 + (msg.size() - msg_begin);
    if (total > max) ctx_begin = std::min(ctx.size(), total - max);
  }
  std::vector<int64_t> ids;
  ids.reserve(3 + ctx.size() - ctx_begin + msg.size() - msg_begin);
  ids.push_back(cls_);
  ids.insert(ids.end(), ctx.begin() + static_cast<std::ptrdiff_t>(ctx_begin), ctx.end());
  ids.push_back(c.agent_speaking ? speaking_ : listening_);
  ids.push_back(msg_);
  ids.insert(ids.end(), msg.begin() + static_cast<std::ptrdiff_t>(msg_begin), msg.end());
  return ids;
}

TurnLabel TextModel::decide(const std::array<float, kNumTurnLabels>& probs, const std::string& language) const {
  std::shared_lock lk(thresholds_mu_);
  auto lang_it = thresholds_.find(language);
  auto def_it = thresholds_.find("default");
  auto threshold = [&](TurnLabel label) -> const float* {
    if (lang_it != thresholds_.end())
      if (auto it = lang_it->second.find(label); it != lang_it->second.end()) return &it->second;
    if (def_it != thresholds_.end())
      if (auto it = def_it->second.find(label); it != def_it->second.end()) return &it->second;
    return nullptr;
  };
  // Ties go to the earlier label, as numpy's argmax.
  int top = 0;
  for (int i = 1; i < kNumTurnLabels; ++i)
    if (probs[static_cast<size_t>(i)] > probs[static_cast<size_t>(top)]) top = i;
  auto top_label = static_cast<TurnLabel>(top);
  if (top_label == TurnLabel::Wait || top_label == TurnLabel::Backchannel) {
    const float* t = threshold(top_label);
    if (!t || probs[static_cast<size_t>(top)] >= *t) return top_label;
  }
  const float p_fin = probs[static_cast<size_t>(TurnLabel::Finished)];
  const float* t = threshold(TurnLabel::Finished);
  bool finished = t ? p_fin >= *t : p_fin >= probs[static_cast<size_t>(TurnLabel::Unfinished)];
  return finished ? TurnLabel::Finished : TurnLabel::Unfinished;
}

void TextModel::set_threshold(const std::string& language, TurnLabel label, float p) {
  if (!(p >= 0.0f && p <= 1.0f)) throw Error("threshold for " + language + ":" + label_name(label) + " must be in [0,1]");
  if (label == TurnLabel::Unfinished) throw Error("unfinished takes no threshold (it is what remains)");
  std::unique_lock lk(thresholds_mu_);
  thresholds_[language][label] = p;
}

Thresholds TextModel::thresholds() const {
  std::shared_lock lk(thresholds_mu_);
  return thresholds_;
}

TextPrediction TextModel::predict(const Conversation& c) const {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  std::vector<int64_t> ids = render(c);

  // Borrow an idle session (or make one): sessions are not thread-safe, the
  // model is, and keeping them keeps their memory plans warm.
  std::unique_ptr<Session> s;
  {
    std::lock_guard lk(pool_->mu);
    if (!pool_->idle.empty()) {
      s = std::move(pool_->idle.back());
      pool_->idle.pop_back();
    }
  }
  if (!s) {
    SessionOptions so;
    so.threads = threads_;
    s = std::make_unique<Session>(model_, so);
  }
  struct Return {
    SessionPool& pool;
    std::unique_ptr<Session>& s;
    ~Return() {
      std::lock_guard lk(pool.mu);
      pool.idle.push_back(std::move(s));
    }
  } give_back{*pool_, s};

  TextPrediction p;
  s->set_input("input_ids", Tensor::view(DType::Int64, {1, static_cast<int64_t>(ids.size())}, ids.data()));
  s->run();
  const Tensor& out = s->output("probs");
  if (out.dtype() != DType::Float32 || out.numel() != kNumTurnLabels)
    throw Error(model_->path() + ": output \"probs\" is " + dtype_name(out.dtype()) + shape_str(out.shape()) +
                ", expected float32[1,4]");
  for (int i = 0; i < kNumTurnLabels; ++i) p.probs[static_cast<size_t>(i)] = out.data<float>()[i];

  if (!c.language.empty()) {
    p.language = c.language;
  } else {
    p.language = detect_language(c.messages.back().content);
    for (size_t i = c.messages.size() - 1; p.language.empty() && i-- > 0;)
      p.language = detect_language(c.messages[i].content);
    if (p.language.empty()) p.language = "default";
  }
  p.label = decide(p.probs, p.language);
  p.action = action_for(p.label, c.agent_speaking);
  p.tokens = static_cast<int>(ids.size());
  p.latency_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  return p;
}

std::vector<TextPrediction> TextModel::predict_batch(const std::vector<Conversation>& cs, int threads) const {
  std::vector<TextPrediction> out(cs.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < cs.size();) {
      try {
        out[i] = predict(cs[i]);
      } catch (const std::exception& e) {
        out[i] = TextPrediction{};
        out[i].error = e.what();
      }
    }
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(cs.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return out;
}

}  // namespace saywhen
