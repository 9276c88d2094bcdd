// The text turn model: one prediction with 16, 64 and 256 tokens of input, on
// 1 and 2 intra-op threads.
//
//   BM_TextPredict/T/N   TextModel::predict on a conversation whose rendering is
//                        N tokens before truncation (tokenizer + model + decision)
//   BM_TextModel/T/N     the ONNX model alone on N input ids (Session::run), the
//                        figure bench/text_vs_ort.py sets against ONNX Runtime
//   BM_Text*Varying/T    the same, each call a different length (16..128 ids):
//                        what a growing conversation costs
//
// The model takes at most max_tokens (128) ids: the 256-token case is the
// 256-token conversation as the model sees it, cut to 128 by the renderer (and
// BM_TextModel at 256 runs 128 ids). Model: $SAYWHEN_TEXT_MODEL, else the
// shipped models/text-turn.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "saywhen/runtime.h"
#include "saywhen/text.h"

namespace {

// Per-call latencies: the targets are about the median call, not the mean.
struct Latencies {
  std::vector<double> us;
  template <class F>
  void time(benchmark::State& state, F&& f) {
    auto a = std::chrono::steady_clock::now();
    f();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    state.SetIterationTime(s);
    us.push_back(s * 1e6);
  }
  void report(benchmark::State& state) {
    if (us.empty()) return;
    std::sort(us.begin(), us.end());
    state.counters["p50_us"] = us[us.size() / 2];
    state.counters["p95_us"] = us[std::min(us.size() - 1, us.size() * 95 / 100)];
  }
};

std::shared_ptr<const saywhen::TextModel> load_model(int threads) {
  const char* dir = std::getenv("SAYWHEN_TEXT_MODEL");
  saywhen::TextOptions opts;
  opts.threads = threads;
  return saywhen::TextModel::load(dir ? dir : "", opts);
}

// A two-language dialogue cut to render to about `tokens` ids (before the
// renderer's own truncation at max_tokens).
saywhen::Conversation conversation_of_length(const saywhen::TextModel& m, int tokens) {
  static const char* kTurns[] = {
      "Hi, I'd like to book a table for two tomorrow evening, somewhere quiet near the centre if possible.",
      "Of course. Do you have a cuisine in mind, and what time would suit you best?",
      "Maybe Italian, around seven thirty, but I'm flexible on the time really",
      "Я нашла итальянский ресторан на Тверской, столик на двоих в девятнадцать тридцать свободен.",
      "Отлично, а можно ещё уточнить, есть ли у них веранда и парковка рядом",
  };
  saywhen::Conversation c;
  std::string message;
  for (int round = 0; round < 64; ++round) {
    c.messages.clear();
    for (int i = 0; i < 4; ++i) c.messages.push_back({i % 2 ? "assistant" : "user", kTurns[(round + i) % 5]});
    std::string words = "so what I was going to say is that we";
    for (int k = 0; k < round; ++k) words += " and then maybe also";
    c.messages.push_back({"user", words});
    // Drop context turns until the rendering is short enough.
    while (c.messages.size() > 1 && static_cast<int>(m.render(c).size()) > tokens && m.render(c).size() < 128)
      c.messages.erase(c.messages.begin());
    if (static_cast<int>(m.render(c).size()) >= tokens || m.render(c).size() >= 128) break;
  }
  // Short targets: the message alone, trimmed word by word.
  while (c.messages.size() > 1 && static_cast<int>(m.render(c).size()) > tokens) c.messages.erase(c.messages.begin());
  while (static_cast<int>(m.render(c).size()) > tokens && c.messages.back().content.find(' ') != std::string::npos)
    c.messages.back().content.erase(c.messages.back().content.rfind(' '));
  return c;
}

void BM_TextPredict(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0)), tokens = static_cast<int>(state.range(1));
  std::shared_ptr<const saywhen::TextModel> m;
  try {
    m = load_model(threads);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  saywhen::Conversation c = conversation_of_length(*m, tokens);
  for (int i = 0; i < 3; ++i) m->predict(c);  // plan + warm the session
  int used = 0;
  Latencies lat;
  for (auto _ : state) {
    lat.time(state, [&] {
      saywhen::TextPrediction p = m->predict(c);
      used = p.tokens;
      benchmark::DoNotOptimize(p.probs.data());
    });
  }
  lat.report(state);
  state.counters["ids"] = used;
}

void BM_TextModel(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  std::shared_ptr<const saywhen::TextModel> m;
  try {
    m = load_model(threads);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  const int n = std::min(static_cast<int>(state.range(1)), m->max_tokens());
  std::vector<int64_t> ids(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = 100 + (i * 37) % 5000;
  ids[0] = m->render(saywhen::Conversation{{{"user", "a"}}, false, ""})[0];  // cls first, as always
  saywhen::SessionOptions so;
  so.threads = threads;
  saywhen::Session s(std::shared_ptr<const saywhen::Model>(m, &m->onnx()), so);
  s.set_input("input_ids", saywhen::Tensor::view(saywhen::DType::Int64, {1, n}, ids.data()));
  for (int i = 0; i < 3; ++i) s.run();
  Latencies lat;
  for (auto _ : state) {
    lat.time(state, [&] {
      s.run();
      benchmark::DoNotOptimize(s.output("probs").raw());
    });
  }
  lat.report(state);
  state.counters["ids"] = n;
}

// A conversation grows: consecutive predictions see different lengths. These
// cycle through 16 lengths from 16 to 128 ids (the same for ONNX Runtime in
// bench/text_vs_ort.py), so each call runs a shape the session did not run last.
constexpr int kVaryingLengths[16] = {16, 23, 30, 37, 44, 51, 58, 65, 72, 79, 86, 93, 100, 107, 114, 128};

void BM_TextPredictVarying(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  std::shared_ptr<const saywhen::TextModel> m;
  try {
    m = load_model(threads);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  std::vector<saywhen::Conversation> cs;
  for (int n : kVaryingLengths) cs.push_back(conversation_of_length(*m, n));
  for (const auto& c : cs) m->predict(c);
  Latencies lat;
  size_t i = 0;
  for (auto _ : state) {
    lat.time(state, [&] {
      saywhen::TextPrediction p = m->predict(cs[i++ % cs.size()]);
      benchmark::DoNotOptimize(p.probs.data());
    });
  }
  lat.report(state);
}

void BM_TextModelVarying(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  std::shared_ptr<const saywhen::TextModel> m;
  try {
    m = load_model(threads);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  std::vector<std::vector<int64_t>> ids;
  const int64_t cls = m->render(saywhen::Conversation{{{"user", "a"}}, false, ""})[0];
  for (int n : kVaryingLengths) {
    ids.emplace_back(static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) ids.back()[static_cast<size_t>(k)] = k ? 100 + (k * 37) % 5000 : cls;
  }
  saywhen::SessionOptions so;
  so.threads = threads;
  saywhen::Session s(std::shared_ptr<const saywhen::Model>(m, &m->onnx()), so);
  auto run = [&](size_t k) {
    std::vector<int64_t>& v = ids[k % ids.size()];
    s.set_input("input_ids", saywhen::Tensor::view(saywhen::DType::Int64, {1, static_cast<int64_t>(v.size())}, v.data()));
    s.run();
  };
  for (size_t k = 0; k < ids.size(); ++k) run(k);
  Latencies lat;
  size_t i = 0;
  for (auto _ : state) {
    lat.time(state, [&] {
      run(i++);
      benchmark::DoNotOptimize(s.output("probs").raw());
    });
  }
  lat.report(state);
}

void lengths(benchmark::internal::Benchmark* b) {
  b->ArgNames({"threads", "tokens"});
  for (int t : {1, 2})
    for (int n : {16, 64, 256}) b->Args({t, n});
  b->Unit(benchmark::kMicrosecond)->UseManualTime();
}
BENCHMARK(BM_TextPredict)->Apply(lengths);
BENCHMARK(BM_TextModel)->Apply(lengths);
BENCHMARK(BM_TextPredictVarying)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseManualTime();
BENCHMARK(BM_TextModelVarying)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond)->UseManualTime();

}  // namespace
