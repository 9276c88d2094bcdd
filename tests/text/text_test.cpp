// Text turn model: rendering and probabilities against the Python reference and
// ONNX Runtime (refs from make_text_refs.py), input validation, thresholds,
// language detection, sharing one model across threads, the C API and the
// CLI's JSONL error handling.
//
// Environment (set by tests/CMakeLists.txt): SAYWHEN_TEXT_MODEL (model folder),
// SAYWHEN_TEXT_REFS (the JSON written by make_text_refs.py), SAYWHEN_CLI (the
// saywhen binary).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "saywhen/runtime.h"
#include "saywhen/saywhen.h"
#include "saywhen/text.h"
#include "text/sentencepiece.h"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::shared_ptr<const saywhen::TextModel> model() {
  static auto m = [] {
    std::string dir = env("SAYWHEN_TEXT_MODEL");
    return saywhen::TextModel::load(dir);
  }();
  return m;
}

const nlohmann::json& refs() {
  static nlohmann::json j = [] {
    std::string path = env("SAYWHEN_TEXT_REFS");
    std::ifstream f(path);
    if (!f) throw std::runtime_error("SAYWHEN_TEXT_REFS='" + path + "' cannot be read (run make_text_refs.py)");
    return nlohmann::json::parse(f);
  }();
  return j;
}

saywhen::Conversation conversation_of(const nlohmann::json& c) {
  saywhen::Conversation conv;
  for (const auto& m : c["messages"]) conv.messages.push_back({m["role"], m["content"]});
  conv.agent_speaking = c["agent_speaking"];
  return conv;
}

saywhen::Conversation user_says(const std::string& text) {
  saywhen::Conversation c;
  c.messages.push_back({"user", text});
  return c;
}

void expect_error(const saywhen::Conversation& c, const std::string& fragment) {
  try {
    model()->predict(c);
    ADD_FAILURE() << "no error; expected one containing '" << fragment << "'";
  } catch (const saywhen::Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find(fragment), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "error is not one line: " << what;
  }
}

}  // namespace

TEST(TextModel, TokenizerMatchesPython) {
  auto sp = saywhen::text::SentencePiece::load(model()->dir() + "/tokenizer.model");
  size_t n = 0;
  for (const auto& t : refs()["tokenize"]) {
    std::vector<int32_t> want = t["ids"].get<std::vector<int32_t>>();
    EXPECT_EQ(sp.encode(t["text"].get<std::string>()), want) << "text: " << t["text"];
    ++n;
  }
  EXPECT_GT(n, 100u);
}

// Probabilities against ONNX Runtime. The shipped model is dynamically
// quantised (DynamicQuantizeLinear before every MatMulInteger): an activation
// 1 ulp apart in float (LayerNorm, attention MatMul and Softmax sum in a
// different order than MLAS) can round to the neighbouring uint8 step, which
// moves a probability by ~1e-4. ONNX Runtime differs from itself by that much
// between its graph optimisation levels. So: nearly every conversation within
// kTol, every one within kTolMax, and the same label wherever the decision is
// not a near tie.
TEST(TextModel, RenderingAndProbsMatchReference) {
  constexpr float kTol = 1e-4f, kTolMax = 2e-3f;
  size_t n = 0, truncated = 0, with_context = 0, over = 0;
  float worst = 0;
  for (const auto& c : refs()["cases"]) {
    saywhen::Conversation conv = conversation_of(c);
    std::vector<int64_t> want = c["ids"].get<std::vector<int64_t>>();
    ASSERT_EQ(model()->render(conv), want) << "conversation: " << c["messages"].dump();
    saywhen::TextPrediction p = model()->predict(conv);
    std::array<float, 4> ref{};
    float diff = 0;
    for (size_t k = 0; k < 4; ++k) {
      ref[k] = c["probs"][k].get<float>();
      diff = std::max(diff, std::abs(p.probs[k] - ref[k]));
    }
    worst = std::max(worst, diff);
    over += diff > kTol;
    EXPECT_LE(diff, kTolMax) << c["messages"].dump();
    std::array<float, 4> sorted = ref;
    std::sort(sorted.begin(), sorted.end());
    if (sorted[3] - sorted[2] > 2 * kTolMax) {
      EXPECT_EQ(std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin(),
                std::max_element(ref.begin(), ref.end()) - ref.begin())
          << c["messages"].dump();
    }
    EXPECT_EQ(p.tokens, static_cast<int>(want.size()));
    truncated += static_cast<int>(want.size()) == model()->max_tokens();
    with_context += conv.messages.size() > 1;
    ++n;
  }
  std::printf("%zu conversations (%zu truncated, %zu with context): ids identical; largest |p - p_ORT| = %.2e, "
              "%zu over %.0e\n",
              n, truncated, with_context, static_cast<double>(worst), over, static_cast<double>(kTol));
  EXPECT_LE(over * 20, n) << over << " conversations differ from ONNX Runtime by more than " << kTol;
  EXPECT_GE(n, 200u);
  EXPECT_GE(truncated, 10u);
  EXPECT_GE(with_context, 50u);
}

// The shipped model's attention runs as saywhen.Attention (optimize.cpp); its
// outputs must be the very bits of the unfused MatMul/Softmax/Transpose ops.
TEST(TextModel, FusedAttentionGivesTheUnfusedBits) {
  const std::string path = env("SAYWHEN_TEXT_MODEL") + "/model.onnx";
  auto fused = saywhen::Model::load(path);
  ::setenv("SAYWHEN_FUSE_ATTENTION", "0", 1);
  auto plain = saywhen::Model::load(path);
  ::unsetenv("SAYWHEN_FUSE_ATTENTION");
  for (int64_t n : {1, 7, 16, 64, 128}) {
    saywhen::Tensor ids(saywhen::DType::Int64, {1, n});
    for (int64_t i = 0; i < n; ++i) ids.data<int64_t>()[i] = 5 + (i * 37) % 4000;
    saywhen::Session a(fused), b(plain);
    a.set_profiling(true);
    a.set_input("input_ids", ids);
    b.set_input("input_ids", ids);
    a.run();
    b.run();
    const saywhen::Tensor& ya = a.output(0);
    const saywhen::Tensor& yb = b.output(0);
    ASSERT_EQ(ya.nbytes(), yb.nbytes());
    EXPECT_EQ(0, std::memcmp(ya.raw(), yb.raw(), ya.nbytes())) << n << " ids";
    int64_t attention = 0;
    for (const auto& e : a.profile()) attention += e.op == "saywhen.Attention" ? e.calls : 0;
    EXPECT_EQ(attention, 4) << "one fused attention per block";
  }
}

TEST(TextModel, ValidationErrors) {
  saywhen::Conversation none;
  expect_error(none, "no messages");
  expect_error(user_says(""), "messages[0] (user): text is empty");
  expect_error(user_says(" \t\n\u3000 "), "text is empty");
  expect_error(user_says("ok \xff\xfe"), "invalid UTF-8 at byte 3");
  expect_error(user_says("bad \xe2\x82"), "invalid UTF-8");
  expect_error(user_says("\xed\xa0\x80 surrogate"), "invalid UTF-8 at byte 0");
  expect_error(user_says(std::string(64 * 1024 + 1, 'a')), "over the 65536-byte limit");
  expect_error(user_says(std::string(1 << 20, 'a')), "1048576 bytes");
  saywhen::Conversation agent_last;
  agent_last.messages = {{"user", "hi"}, {"assistant", "hello"}};
  expect_error(agent_last, "messages[1]: the last message must be the user's, got role 'assistant'");
  saywhen::Conversation bad_role;
  bad_role.messages = {{"robot", "beep"}, {"user", "hi"}};
  expect_error(bad_role, "messages[0]: unknown role 'robot'");
  saywhen::Conversation empty_ctx;
  empty_ctx.messages = {{"assistant", "  "}, {"user", "hi"}};
  expect_error(empty_ctx, "messages[0] (assistant): text is empty");
  // Exactly 64 KiB is accepted (and truncated to max_tokens).
  EXPECT_EQ(model()->predict(user_says(std::string(64 * 1024, 'a'))).tokens, model()->max_tokens());
}

TEST(TextModel, SystemMessagesAreSkipped) {
  saywhen::Conversation a, b;
  a.messages = {{"system", "You are a helpful agent."}, {"assistant", "Shall I book it?"}, {"user", "yes"}};
  b.messages = {{"assistant", "Shall I book it?"}, {"user", "yes"}};
  EXPECT_EQ(model()->render(a), model()->render(b));
}

TEST(TextModel, ActionsAndLabels) {
  using saywhen::TurnAction;
  using saywhen::TurnLabel;
  EXPECT_EQ(saywhen::action_for(TurnLabel::Finished, false), TurnAction::StartSpeaking);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Unfinished, false), TurnAction::ContinueListening);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Wait, false), TurnAction::ContinueListening);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Backchannel, false), TurnAction::ContinueListening);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Finished, true), TurnAction::StartListening);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Unfinished, true), TurnAction::StartListening);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Wait, true), TurnAction::StartListening);
  EXPECT_EQ(saywhen::action_for(TurnLabel::Backchannel, true), TurnAction::ContinueSpeaking);
  EXPECT_STREQ(saywhen::label_name(TurnLabel::Backchannel), "backchannel");
  EXPECT_STREQ(saywhen::action_name(TurnAction::ContinueSpeaking), "continue_speaking");
  EXPECT_EQ(saywhen::label_from_name("wait"), TurnLabel::Wait);
  EXPECT_THROW(saywhen::label_from_name("speak"), saywhen::Error);
}

// Share of a probe file's turns the shipped model labels right. The misses are printed only for files
// whose misses may be read: a judge file (training/README.md, "Probe files") stays unread.
static void score_probe_file(const char* env_name, size_t min_n, size_t min_percent, bool show_misses = true) {
  std::ifstream f(env(env_name));
  ASSERT_TRUE(f) << env_name << "='" << env(env_name) << "' cannot be read";
  size_t n = 0, right = 0;
  std::string line, misses;
  while (std::getline(f, line)) {
    const auto c = nlohmann::json::parse(line);
    const saywhen::TurnLabel want = saywhen::label_from_name(c["label"].get<std::string>());
    const saywhen::TurnLabel got = model()->predict(conversation_of(c)).label;
    ++n;
    if (got == want) {
      ++right;
    } else {
      misses += "\n  " + c["messages"].back()["content"].get<std::string>() + ": " + saywhen::label_name(got) +
                ", not " + saywhen::label_name(want);
    }
  }
  if (!show_misses) misses = " (misses not shown: a judge file)";
  std::printf("%zu of %zu probes right%s\n", right, n, misses.c_str());
  EXPECT_GE(n, min_n);
  EXPECT_GE(right * 100, n * min_percent) << misses;
}

// training/probes.jsonl: common short turns a voice agent hears (greetings, thanks, yes/no answers,
// wait requests, backchannels, plain requests and mid-thought pauses) in 8 languages, written for the
// project. They guard the shipped model against regressions on what every call contains; the
// generalisation figures are the evaluation-only ones of MODEL_CARD.md.
TEST(TextModel, CommonShortTurnsOfTheProbeFile) { score_probe_file("SAYWHEN_TEXT_PROBES", 100, 90); }

// training/probes_heldout.jsonl: the same kinds of turns, written by a session that never read the data
// generator, and not used to change it (training/README.md): what the probes above measure, without
// their bias.
TEST(TextModel, HeldOutShortTurns) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT", 128, 88); }

// training/probes_heldout2.jsonl: 160 turns written the same way in session 10, after the generator
// changes that probes_heldout.jsonl's misses suggested (so that file no longer measures them alone).
TEST(TextModel, HeldOutShortTurnsSecondSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT2", 160, 85); }

// The later held-out files (9 languages, other situations each time). The bars were set from an earlier
// model's scores less a margin, before the next model was trained: files 3 to 5 from the session-11
// model's (130 of 144, 163 of 180, 152 of 180), file 6 from the session-12 model's (154 of 180), file 7
// from the session-13 model's (158 of 180), file 8 from the session-14 model's (158 of 180), file 9 from the
// session-21 model's (107 of 180: turns that end in a content word, most of them read as finished). Files 3, 7,
// 8 and 9 are judges: their misses are never shown.
TEST(TextModel, HeldOutShortTurnsThirdSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT3", 144, 85, false); }
TEST(TextModel, HeldOutShortTurnsFourthSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT4", 180, 85); }
TEST(TextModel, HeldOutShortTurnsFifthSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT5", 180, 80); }
TEST(TextModel, HeldOutShortTurnsSixthSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT6", 180, 80); }
TEST(TextModel, HeldOutShortTurnsSeventhSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT7", 180, 80, false); }
TEST(TextModel, HeldOutShortTurnsEighthSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT8", 180, 80, false); }
TEST(TextModel, HeldOutShortTurnsNinthSet) { score_probe_file("SAYWHEN_TEXT_PROBES_HELDOUT9", 180, 50, false); }

TEST(TextModel, Thresholds) {
  // A private copy: thresholds set here must not leak into other tests.
  auto m = saywhen::TextModel::load(model()->dir());
  auto* mm = const_cast<saywhen::TextModel*>(m.get());
  using saywhen::TurnLabel;
  std::array<float, 4> p{0.45f, 0.30f, 0.15f, 0.10f};
  mm->set_threshold("default", TurnLabel::Finished, 0.5f);
  EXPECT_EQ(m->decide(p, "en"), TurnLabel::Unfinished);  // finished below its threshold
  mm->set_threshold("ru", TurnLabel::Finished, 0.4f);
  EXPECT_EQ(m->decide(p, "ru"), TurnLabel::Finished);  // language entry overrides default
  EXPECT_EQ(m->decide(p, "zh"), TurnLabel::Unfinished);
  std::array<float, 4> leaning{0.30f, 0.60f, 0.05f, 0.05f};
  mm->set_threshold("ko", TurnLabel::Finished, 0.25f);
  EXPECT_EQ(m->decide(leaning, "ko"), TurnLabel::Finished);  // a low threshold promotes finished
  EXPECT_EQ(m->decide(leaning, "en"), TurnLabel::Unfinished);
  std::array<float, 4> wait{0.20f, 0.15f, 0.40f, 0.25f};
  EXPECT_EQ(m->decide(wait, "en"), TurnLabel::Wait);  // no threshold on wait: argmax
  mm->set_threshold("default", TurnLabel::Wait, 0.6f);
  EXPECT_EQ(m->decide(wait, "en"), TurnLabel::Unfinished);  // wait not sure enough: p(finished) 0.2 < 0.5
  mm->set_threshold("de", TurnLabel::Finished, 0.1f);
  EXPECT_EQ(m->decide(wait, "de"), TurnLabel::Finished);
  std::array<float, 4> tie{0.3f, 0.3f, 0.2f, 0.2f};
  auto plain = saywhen::TextModel::load(model()->dir());
  const_cast<saywhen::TextModel*>(plain.get())->set_threshold("default", TurnLabel::Finished, 0.5f);
  EXPECT_EQ(plain->decide(tie, "en"), TurnLabel::Unfinished);
  EXPECT_THROW(mm->set_threshold("en", TurnLabel::Finished, 1.5f), saywhen::Error);
  EXPECT_THROW(mm->set_threshold("en", TurnLabel::Unfinished, 0.5f), saywhen::Error);

  saywhen::Thresholds t;
  saywhen::parse_threshold_spec("ru=0.6", t);
  saywhen::parse_threshold_spec("zh:wait=0.25", t);
  EXPECT_FLOAT_EQ(t["ru"][TurnLabel::Finished], 0.6f);
  EXPECT_FLOAT_EQ(t["zh"][TurnLabel::Wait], 0.25f);
  for (const char* bad : {"ru", "=0.5", "ru=", "ru=abc", "ru=1.5", "ru:speak=0.5", "ru=-0.1", "ru:unfinished=0.5"})
    EXPECT_THROW(saywhen::parse_threshold_spec(bad, t), saywhen::Error) << bad;

  saywhen::TextOptions opts;
  opts.thresholds["default"][TurnLabel::Finished] = 0.99f;
  auto strict = saywhen::TextModel::load(model()->dir(), opts);
  EXPECT_FLOAT_EQ(strict->thresholds().at("default").at(TurnLabel::Finished), 0.99f);
  std::array<float, 4> sure{0.98f, 0.01f, 0.005f, 0.005f};
  EXPECT_EQ(strict->decide(sure, "en"), TurnLabel::Unfinished);
}

TEST(TextModel, LanguageDetection) {
  EXPECT_EQ(saywhen::detect_language("Привет, как дела?"), "ru");
  EXPECT_EQ(saywhen::detect_language("我想预订一张桌子"), "zh");
  EXPECT_EQ(saywhen::detect_language("東京に行きたいです"), "ja");
  EXPECT_EQ(saywhen::detect_language("カレー"), "ja");
  EXPECT_EQ(saywhen::detect_language("안녕하세요"), "ko");
  EXPECT_EQ(saywhen::detect_language("مرحبا كيف حالك"), "ar");
  EXPECT_EQ(saywhen::detect_language("नमस्ते"), "hi");
  EXPECT_EQ(saywhen::detect_language("hello there"), "default");
  EXPECT_EQ(saywhen::detect_language("ok да да да"), "ru");  // the majority script wins
  EXPECT_EQ(saywhen::detect_language("123 ?!"), "");
  EXPECT_EQ(model()->predict(user_says("да, конечно")).language, "ru");
  EXPECT_EQ(model()->predict(user_says("123")).language, "default");
  saywhen::Conversation c = user_says("да");
  c.language = "uk";
  EXPECT_EQ(model()->predict(c).language, "uk");
  saywhen::Conversation ctx;
  ctx.messages = {{"assistant", "您好，需要帮忙吗？"}, {"user", "123"}};
  EXPECT_EQ(model()->predict(ctx).language, "zh");  // no letters: the context decides
}

TEST(TextModel, SharedAcrossThreads) {
  std::vector<saywhen::Conversation> convs;
  for (const auto& c : refs()["cases"]) {
    convs.push_back(conversation_of(c));
    if (convs.size() == 60) break;
  }
  std::vector<saywhen::TextPrediction> single;
  for (const auto& c : convs) single.push_back(model()->predict(c));
  std::vector<std::vector<saywhen::TextPrediction>> per_thread(4, std::vector<saywhen::TextPrediction>(convs.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      // Different orders (rotated, odd threads backwards) so that sessions see
      // different sequences of input lengths.
      const size_t n = convs.size();
      for (size_t i = 0; i < n; ++i) {
        size_t k = ((t % 2 ? n - 1 - i : i) + static_cast<size_t>(t) * 13) % n;
        per_thread[static_cast<size_t>(t)][k] = model()->predict(convs[k]);
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t)
    for (size_t i = 0; i < convs.size(); ++i) {
      const auto& a = single[i];
      const auto& b = per_thread[static_cast<size_t>(t)][i];
      EXPECT_EQ(a.probs, b.probs) << "thread " << t << " conversation " << i;
      EXPECT_EQ(a.label, b.label);
    }
  auto batch = model()->predict_batch(convs, 4);
  for (size_t i = 0; i < convs.size(); ++i) EXPECT_EQ(batch[i].probs, single[i].probs);
  std::vector<saywhen::Conversation> with_bad = {convs[0], user_says(""), convs[1]};
  auto b2 = model()->predict_batch(with_bad, 2);
  EXPECT_TRUE(b2[0].error.empty());
  EXPECT_NE(b2[1].error.find("text is empty"), std::string::npos);
  EXPECT_EQ(b2[2].probs, single[1].probs);
}

TEST(TextModel, CApi) {
  sw_text_model* m = sw_text_model_load(model()->dir().c_str(), 1);
  ASSERT_NE(m, nullptr) << sw_last_error();
  sw_message msgs[] = {{"assistant", "Shall I book it for seven?"}, {"user", "yes please"}};
  sw_text_result r;
  ASSERT_EQ(sw_text_predict(m, msgs, 2, 0, nullptr, &r), 0) << sw_last_error();
  saywhen::Conversation c;
  c.messages = {{"assistant", "Shall I book it for seven?"}, {"user", "yes please"}};
  auto p = model()->predict(c);
  for (int k = 0; k < 4; ++k) EXPECT_EQ(r.probs[k], p.probs[static_cast<size_t>(k)]);
  EXPECT_EQ(static_cast<int>(r.label), static_cast<int>(p.label));
  EXPECT_STREQ(r.language, "default");
  EXPECT_EQ(r.tokens, p.tokens);
  EXPECT_STREQ(sw_turn_label_name(r.label), saywhen::label_name(p.label));
  EXPECT_STREQ(sw_turn_action_name(SW_CONTINUE_SPEAKING), "continue_speaking");

  sw_message bad[] = {{"user", "\xc3"}};
  EXPECT_EQ(sw_text_predict(m, bad, 1, 0, nullptr, &r), -1);
  EXPECT_NE(std::string(sw_last_error()).find("invalid UTF-8"), std::string::npos) << sw_last_error();
  sw_message null_content[] = {{"user", nullptr}};
  EXPECT_EQ(sw_text_predict(m, null_content, 1, 0, nullptr, &r), -1);
  EXPECT_EQ(sw_text_set_threshold(m, "ru", SW_FINISHED, 0.7f), 0) << sw_last_error();
  EXPECT_EQ(sw_text_set_threshold(m, "ru", SW_FINISHED, 2.0f), -1);
  sw_text_model_free(m);
  EXPECT_EQ(sw_text_model_load("/nonexistent-dir", 1), nullptr);
  EXPECT_NE(std::string(sw_last_error()).find("/nonexistent-dir"), std::string::npos) << sw_last_error();
}

TEST(TextModel, LoadErrorsNameTheFile) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("saywhen-text-bad-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* f : {"tokenizer.model", "model.onnx"}) fs::copy_file(fs::path(model()->dir()) / f, dir / f, fs::copy_options::overwrite_existing);
  auto write = [&](const std::string& s) { std::ofstream(dir / "config.json") << s; };
  auto expect = [&](const std::string& fragment) {
    try {
      saywhen::TextModel::load(dir.string());
      ADD_FAILURE() << "loaded; expected '" << fragment << "'";
    } catch (const saywhen::Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  write("{not json");
  expect("config.json: not valid JSON");
  write(R"({"format": 2})");
  expect("unsupported format 2");
  write(R"({"format": 1, "labels": ["finished","unfinished","wait","backchannel"], "max_tokens": 128,
            "max_context_turns": 4, "pieces": {"cls": "<s>", "user": "<nope>", "agent": "<agent>",
            "speaking": "<speaking>", "listening": "<listening>", "msg": "<msg>"}})");
  expect("piece \"<nope>\" (user) is not in tokenizer.model");
  fs::remove_all(dir);
}

// ---- the CLI ----------------------------------------------------------------

namespace {

struct RunResult {
  int code;
  std::string out;
};

RunResult run_cli(const std::string& args, const std::string& stdin_text = "") {
  namespace fs = std::filesystem;
  fs::path in = fs::temp_directory_path() / ("saywhen-text-in-" + std::to_string(::getpid()));
  std::ofstream(in, std::ios::binary) << stdin_text;
  std::string cmd = "'" + env("SAYWHEN_CLI") + "' " + args + " --model '" + model()->dir() + "' < '" + in.string() +
                    "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return {-1, ""};
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  fs::remove(in);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<nlohmann::json> json_lines(const std::string& s) {
  std::vector<nlohmann::json> out;
  size_t a = 0;
  while (a < s.size()) {
    size_t b = s.find('\n', a);
    if (b == std::string::npos) b = s.size();
    std::string line = s.substr(a, b - a);
    if (!line.empty() && line[0] == '{') out.push_back(nlohmann::json::parse(line));
    a = b + 1;
  }
  return out;
}

}  // namespace

TEST(TextCli, OneUtterance) {
  if (env("SAYWHEN_CLI").empty()) GTEST_SKIP() << "SAYWHEN_CLI not set";
  RunResult r = run_cli("text 'yes please' --agent-speaking");
  ASSERT_EQ(r.code, 0) << r.out;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  for (const char* k : {"label", "action", "probs", "latency_ms"}) EXPECT_TRUE(lines[0].contains(k)) << r.out;
  EXPECT_EQ(lines[0]["probs"].size(), 4u);
  std::string action = lines[0]["action"];
  EXPECT_TRUE(action == "start_listening" || action == "continue_speaking") << action;

  // An empty utterance is an empty message, not a missing argument.
  RunResult empty = run_cli("text ''");
  EXPECT_NE(empty.code, 0);
  EXPECT_NE(empty.out.find("text is empty"), std::string::npos) << empty.out;
}

TEST(TextCli, JsonlBadLinesAreAnsweredWithErrors) {
  if (env("SAYWHEN_CLI").empty()) GTEST_SKIP() << "SAYWHEN_CLI not set";
  std::string big(1 << 20, 'a');
  std::string input =
      R"({"id": 1, "messages": [{"role": "assistant", "content": "Shall I book it?"}, {"role": "user", "content": "yes"}], "agent_speaking": false, "extra": [1,2]})"
      "\n"
      "this is not json\n"
      R"({"id": 3, "context": "Вам удобно завтра?", "message": "да, удобно"})"
      "\n"
      R"({"id": 4, "messages": []})"
      "\n"
      R"({"id": 5})"
      "\n"
      R"({"id": 6, "messages": [{"role": "user", "content": "   "}]})"
      "\n"
      R"({"id": 7, "message": ")" + big + "\"}\n" +
      "{\"id\": 8, \"message\": \"bad \xff byte\"}\n" +
      R"({"id": 9, "messages": [{"role": "user", "content": "hello"}], "agent_speaking": "yes"})"
      "\n"
      R"({"id": "ten", "message": "one more"})"
      "\n"
      R"({"id": 11, "messages": [{"role": "user", "content": 12}]})"
      "\n";
  RunResult r = run_cli("text --input - --output -", input);
  EXPECT_NE(r.code, 0) << r.out;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 11u) << r.out;
  EXPECT_TRUE(lines[0].contains("label")) << lines[0];
  EXPECT_EQ(lines[0]["id"], 1);
  EXPECT_TRUE(lines[1].contains("error"));
  EXPECT_TRUE(lines[1]["id"].is_null());
  EXPECT_NE(lines[1]["error"].get<std::string>().find("line 2: not JSON"), std::string::npos) << lines[1];
  EXPECT_TRUE(lines[2].contains("label")) << lines[2];
  EXPECT_EQ(lines[2]["language"], "ru");
  EXPECT_NE(lines[3]["error"].get<std::string>().find("no messages"), std::string::npos) << lines[3];
  EXPECT_NE(lines[4]["error"].get<std::string>().find("missing \"messages\""), std::string::npos) << lines[4];
  EXPECT_NE(lines[5]["error"].get<std::string>().find("text is empty"), std::string::npos) << lines[5];
  EXPECT_EQ(lines[6]["id"], 7);
  EXPECT_NE(lines[6]["error"].get<std::string>().find("over the 65536-byte limit"), std::string::npos) << lines[6];
  EXPECT_NE(lines[7]["error"].get<std::string>().find("line 8: invalid UTF-8"), std::string::npos) << lines[7];
  EXPECT_NE(lines[8]["error"].get<std::string>().find("agent_speaking"), std::string::npos) << lines[8];
  EXPECT_EQ(lines[9]["id"], "ten");
  EXPECT_TRUE(lines[9].contains("label"));
  EXPECT_EQ(lines[10]["error"], "line 11: messages[0]: \"content\" must be a string, got number") << lines[10];
  // The errors are on stderr too, naming the line.
  EXPECT_NE(r.out.find("stdin:2: not JSON"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("8 of 11 lines could not be answered"), std::string::npos) << r.out;

  RunResult ok = run_cli("text --input - --threads 2", R"({"id": "a", "message": "hi"})" "\n\n");
  EXPECT_EQ(ok.code, 0) << ok.out;
}

TEST(TextCli, Interactive) {
  if (env("SAYWHEN_CLI").empty()) GTEST_SKIP() << "SAYWHEN_CLI not set";
  RunResult r = run_cli("text --interactive",
                        "/agent Shall I book a table for two?\n"
                        "yes\n"
                        "/speaking on\n"
                        "uh-huh\n"
                        "/bogus\n"
                        "/reset\n"
                        "hold on\n"
                        "/quit\n"
                        "never read\n");
  EXPECT_EQ(r.code, 0) << r.out;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  std::string a1 = lines[1]["action"];
  EXPECT_TRUE(a1 == "start_listening" || a1 == "continue_speaking") << r.out;  // agent speaking
  std::string a2 = lines[2]["action"];
  EXPECT_TRUE(a2 == "start_speaking" || a2 == "continue_listening") << r.out;  // /reset: listening again
  EXPECT_NE(r.out.find("unknown command '/bogus'"), std::string::npos) << r.out;
}

TEST(TextCli, EvalText) {
  if (env("SAYWHEN_CLI").empty()) GTEST_SKIP() << "SAYWHEN_CLI not set";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("saywhen-eval-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "in.jsonl");
    f << R"({"id": 1, "messages": [{"role": "assistant", "content": "Shall I book it?"}, {"role": "user", "content": "yes please"}], "label": "finished", "lang": "en"})" "\n"
      << R"({"id": 2, "messages": [{"role": "user", "content": "I would like to book a table for"}], "label": "unfinished"})" "\n"
      << R"({"id": 3, "context": "Сейчас я всё проверю.", "message": "подождите секунду", "label": "wait"})" "\n"
      << R"({"id": 4, "messages": [{"role": "user", "content": "uh-huh"}], "agent_speaking": true, "label": "backchannel"})" "\n";
  }
  RunResult r = run_cli("eval-text --input '" + (dir / "in.jsonl").string() + "' --json --plot '" +
                        (dir / "cm.png").string() + "'");
  ASSERT_EQ(r.code, 0) << r.out;
  auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  const auto& j = lines[0];
  EXPECT_EQ(j["n"], 4);
  for (const char* k : {"accuracy", "macro_f1", "labels", "confusion", "languages", "calibration", "latency_ms"})
    EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_TRUE(j["languages"].contains("en"));  // the line's "lang"
  EXPECT_TRUE(j["languages"].contains("ru"));  // detected
  long total = 0;
  for (const auto& row : j["confusion"]["matrix"])
    for (const auto& v : row) total += v.get<long>();
  EXPECT_EQ(total, 4);
  std::ifstream png(dir / "cm.png", std::ios::binary);
  std::string head(8, '\0');
  png.read(head.data(), 8);
  EXPECT_EQ(head, std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(fs::file_size(dir / "cm.png"), 1000u);

  std::ofstream(dir / "bad.jsonl") << R"({"id": 1, "message": "hi", "label": "speak"})" "\n"
                                   << R"({"id": 2, "message": "hi", "label": "finished"})" "\n";
  RunResult bad = run_cli("eval-text --input '" + (dir / "bad.jsonl").string() + "'");
  EXPECT_NE(bad.code, 0) << bad.out;
  EXPECT_NE(bad.out.find("bad.jsonl:1: unknown label 'speak'"), std::string::npos) << bad.out;
  fs::remove_all(dir);
}

// --scheme ten / 012 / speak-wait score the same predictions in other groups' classes: each confusion
// matrix is the four-label one with rows and columns folded (backchannel -> unfinished; speak = finished).
TEST(TextCli, EvalTextOtherLabelSchemes) {
  if (env("SAYWHEN_CLI").empty()) GTEST_SKIP() << "SAYWHEN_CLI not set";
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("saywhen-schemes-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::vector<std::string> convs = {
      R"("messages": [{"role": "assistant", "content": "Shall I book it?"}, {"role": "user", "content": "yes please"}])",
      R"("messages": [{"role": "user", "content": "I would like to book a table for"}])",
      R"("context": "Сейчас я всё проверю.", "message": "подождите секунду")",
      R"("messages": [{"role": "assistant", "content": "The museum opens at nine and"}, {"role": "user", "content": "uh-huh"}], "agent_speaking": true)",
      R"("messages": [{"role": "user", "content": "Hello?"}])"};
  const std::map<std::string, std::vector<std::string>> labels = {
      {"four", {"\"finished\"", "\"unfinished\"", "\"wait\"", "\"backchannel\"", "\"finished\""}},
      {"ten", {"\"Finished\"", "\"unfinished\"", "\"WAIT\"", "\"unfinished\"", "\"finished\""}},
      {"012", {"1", "0", "2", "\"0\"", "1"}},
      {"speak-wait", {"\"speak\"", "\"wait\"", "\"wait\"", "0", "1"}}};
  std::map<std::string, nlohmann::json> out;
  for (const auto& [scheme, ls] : labels) {
    {
      std::ofstream f(dir / (scheme + ".jsonl"));
      for (size_t i = 0; i < convs.size(); ++i)
        f << "{\"id\": " << i << ", " << convs[i] << ", \"label\": " << ls[i] << "}\n";
    }
    RunResult r = run_cli("eval-text --json --scheme " + scheme + " --input '" + (dir / (scheme + ".jsonl")).string() + "'");
    ASSERT_EQ(r.code, 0) << scheme << ": " << r.out;
    auto lines = json_lines(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    out[scheme] = lines[0];
    EXPECT_EQ(out[scheme]["scheme"], scheme);
    EXPECT_EQ(out[scheme]["n"], 5);
  }
  const auto four = out["four"]["confusion"]["matrix"];
  auto folded = [&](int k, auto fold) {
    std::vector<std::vector<long>> m(static_cast<size_t>(k), std::vector<long>(static_cast<size_t>(k), 0));
    for (int t = 0; t < 4; ++t)
      for (int p = 0; p < 4; ++p) m[static_cast<size_t>(fold(t))][static_cast<size_t>(fold(p))] += four[t][p].get<long>();
    return nlohmann::json(m);
  };
  const auto ten = folded(3, [](int k) { return k == 3 ? 1 : k; });
  EXPECT_EQ(out["ten"]["confusion"]["matrix"], ten) << out["ten"].dump();
  EXPECT_EQ(out["012"]["confusion"]["matrix"], ten) << out["012"].dump();
  EXPECT_EQ(out["speak-wait"]["confusion"]["matrix"], folded(2, [](int k) { return k == 0 ? 0 : 1; }))
      << out["speak-wait"].dump();
  EXPECT_EQ(out["speak-wait"]["confusion"]["labels"], nlohmann::json({"speak", "wait"}));
  EXPECT_EQ(out["ten"]["labels"].size(), 3u);

  std::ofstream(dir / "bad.jsonl") << R"({"id": 1, "message": "hi", "label": 3})" "\n"
                                   << R"({"id": 2, "message": "hi", "label": "finished"})" "\n";
  RunResult bad = run_cli("eval-text --scheme 012 --input '" + (dir / "bad.jsonl").string() + "'");
  EXPECT_NE(bad.code, 0) << bad.out;
  EXPECT_NE(bad.out.find("bad.jsonl:1: label 3 is not 0, 1 or 2"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("bad.jsonl:2: label \"finished\" is not 0, 1 or 2"), std::string::npos) << bad.out;
  RunResult unknown = run_cli("eval-text --scheme bogus --input '" + (dir / "bad.jsonl").string() + "'");
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.out.find("unknown --scheme 'bogus'"), std::string::npos) << unknown.out;
  fs::remove_all(dir);
}
