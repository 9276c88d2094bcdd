// saywhen bench-streams: how many real-time streams one core holds.
//
// N streams share one Engine and one thread. Audio arrives in 20 ms chunks: every
// 20 ms of simulated time each stream gets its next chunk, processed one after the
// other as a single-threaded server would. A round that takes longer than 20 ms
// delays the next one (the backlog is carried, as in a real server), so decision
// latency = queueing delay + the time to process the chunk that produced the event.
// Reported per N: real-time factor (CPU time / audio time), decision latency p50 /
// p99 (pause and end-of-turn events), and whether p99 stays under the budget.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "saywhen/audio.h"
#include "saywhen/turn.h"

namespace saywhen::cli {
namespace {

struct Result {
  int streams;
  double rtf, p50_ms, p99_ms;
  size_t decisions;
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(std::min<double>(static_cast<double>(v.size() - 1), q * static_cast<double>(v.size())))];
}

Result run(const std::shared_ptr<const turn::Engine>& engine, const turn::StreamOptions& so,
           const std::vector<float>& audio, int n, double seconds) {
  constexpr int kChunk = 320;  // 20 ms
  constexpr double kChunkS = 0.02;
  std::vector<turn::Stream> streams;
  for (int i = 0; i < n; ++i) streams.emplace_back(engine, so);
  const size_t rounds = static_cast<size_t>(seconds / kChunkS);
  std::vector<double> latencies;
  double backlog = 0;  // seconds the server is behind real time
  double busy = 0;
  for (size_t r = 0; r < rounds; ++r) {
    double round_time = 0;
    for (int i = 0; i < n; ++i) {
      // Streams start at different offsets of the clip so their pauses do not align.
      const size_t offset = (r * kChunk + static_cast<size_t>(i) * 7919 * kChunk) % (audio.size() - kChunk);
      const auto t0 = std::chrono::steady_clock::now();
      streams[static_cast<size_t>(i)].push(std::span<const float>(audio.data() + offset, kChunk));
      const auto events = streams[static_cast<size_t>(i)].take_events();
      const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      round_time += dt;
      for (const auto& e : events)
        if (e.type == turn::EventType::pause || e.type == turn::EventType::end_of_turn)
          latencies.push_back((backlog + round_time) * 1000.0);
    }
    busy += round_time;
    backlog = std::max(0.0, backlog + round_time - kChunkS);
  }
  return {n, busy / (static_cast<double>(rounds) * kChunkS), percentile(latencies, 0.5), percentile(latencies, 0.99),
          latencies.size()};
}

}  // namespace

void add_bench_streams(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench-streams", "Simulated real-time streams on one core: RTF and decision latency");
  static std::string path, preset = "saywhen", models_dir;
  static std::vector<int> counts{1, 2, 4, 8, 16};
  static double seconds = 30, budget_ms = 100;
  static bool json = false;
  cmd->add_option("AUDIO", path, "Speech to stream (looped); e.g. ../shared/audio/silero_test.wav")->required();
  cmd->add_option("--streams", counts, "Stream counts to try")->expected(1, -1);
  cmd->add_option("--seconds", seconds, "Simulated seconds per run")->check(CLI::Range(1.0, 3600.0));
  cmd->add_option("--budget-ms", budget_ms, "p99 decision latency budget")->default_val(budget_ms);
  cmd->add_option("--preset", preset, "Policy preset")->default_val(preset);
  cmd->add_option("--models", models_dir, "Models folder");
  cmd->add_flag("--json", json, "One JSON line per stream count");
  cmd->callback([] {
    const std::vector<float> audio = audio::read_audio(path);
    if (audio.size() < 16000) throw Error(path + ": need at least 1 s of audio");
    turn::EngineOptions eo;
    eo.models_dir = models_dir;
    auto engine = turn::Engine::load(eo);
    turn::StreamOptions so;
    so.preset = preset;
    int best = 0;
    if (!json) std::printf("%8s %8s %10s %10s %10s\n", "streams", "RTF", "p50 ms", "p99 ms", "decisions");
    for (int n : counts) {
      if (n < 1) throw Error("--streams: counts must be >= 1");
      const Result r = run(engine, so, audio, n, seconds);
      const bool ok = r.rtf < 1.0 && r.p99_ms <= budget_ms;
      if (ok) best = std::max(best, n);
      if (json)
        std::printf("%s\n", nlohmann::json{{"streams", n}, {"rtf", r.rtf}, {"p50_ms", r.p50_ms}, {"p99_ms", r.p99_ms},
                                           {"decisions", r.decisions}, {"within_budget", ok}}
                                .dump()
                                .c_str());
      else
        std::printf("%8d %8.3f %10.1f %10.1f %10zu%s\n", n, r.rtf, r.p50_ms, r.p99_ms, r.decisions,
                    ok ? "" : "  (over budget)");
      std::fflush(stdout);
    }
    if (!json) std::printf("streams within budget (RTF < 1, p99 <= %.0f ms) on one core: %d\n", budget_ms, best);
  });
}

}  // namespace saywhen::cli
