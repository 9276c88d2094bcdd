// saywhen onnx bench MODEL: latency percentiles, load time, peak RSS.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "runtime/plan.h"

namespace saywhen::cli {

void add_onnx_bench(CLI::App& onnx) {
  auto* cmd = onnx.add_subcommand("bench", "Measure latency (p50/p95/p99), load time and peak memory");
  static std::string path;
  static std::vector<std::string> inputs, fixed;
  static int threads = 1, runs = 100, warmup = 5;
  static bool profile = false;
  static bool as_json = false;
  cmd->add_option("MODEL", path, "ONNX model file")->required();
  cmd->add_option("--input", inputs, "NAME=FILE.npy (inputs not given get deterministic random data)");
  cmd->add_option("--fix", fixed,
                  "NAME=FILE.npy: an input that is constant for the session (e.g. Silero's sr); "
                  "branches on it are resolved when the model is planned");
  cmd->add_option("--threads", threads, "Intra-op threads")->check(CLI::Range(1, 256));
  cmd->add_option("--runs", runs, "Timed runs")->check(CLI::Range(1, 1000000));
  cmd->add_option("--warmup", warmup, "Untimed runs first")->check(CLI::Range(0, 1000000));
  cmd->add_flag("--json", as_json, "Last line is a JSON object with the results");
  cmd->add_flag("--profile", profile,
                "After the timed runs, run as many again with a clock around every kernel and print the time per "
                "operator type");
  cmd->callback([] {
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    auto given = read_inputs(inputs);
    for (auto& [name, t] : read_inputs(fixed)) given[name] = t;
    // Load time covers what a user waits for before the first answer: parsing,
    // planning (shape inference, folding, packing) and the first inference.
    auto t0 = clock::now();
    auto model = Model::load(path);
    auto values = complete_inputs(*model, given);
    SessionOptions opts;
    opts.threads = threads;
    Session session(model, opts);
    auto fixed_values = read_inputs(fixed);
    for (const auto& [name, t] : fixed_values) session.fix_input(name, t);
    for (const auto& [name, t] : values)
      if (!fixed_values.count(name)) session.set_input(name, t);
    session.run();
    double load_ms = ms(clock::now() - t0);
    for (int i = 0; i < warmup; ++i) session.run();
    std::vector<double> lat;
    lat.reserve(static_cast<size_t>(runs));
    for (int i = 0; i < runs; ++i) {
      auto a = clock::now();
      session.run();
      lat.push_back(ms(clock::now() - a));
    }
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(lat.size() - 1) + 0.5);
      return lat[std::min(idx, lat.size() - 1)];
    };
    double rss = peak_rss_mb();
    char line[256];
    std::snprintf(line, sizeof line, "p50 %.3f ms  p95 %.3f ms  p99 %.3f ms  load+first %.1f ms  peak RSS %.1f MB  (%d runs, %d threads)",
                  pct(50), pct(95), pct(99), load_ms, rss, runs, threads);
    std::cout << path << ": " << line << "\n";
    std::map<std::string, Shape> shapes;
    for (const auto& [name, t] : values) shapes[name] = t.shape();
    for (const auto& f : fixed) shapes.erase(f.substr(0, f.find('=')));
    const rt::PlanStats& st = model->plan_for(shapes, read_inputs(fixed))->stats;
    std::printf("plan: %zu steps (%zu run-time), %zu of %zu nodes folded, arena %.2f MB (%.2f MB without reuse)\n",
                st.steps, st.dynamic_steps, st.folded, st.nodes_in_model, st.arena_bytes / 1048576.0,
                st.naive_bytes / 1048576.0);
    nlohmann::ordered_json per_op = nlohmann::ordered_json::array();
    if (profile) {
      session.set_profiling(true);
      for (int i = 0; i < runs; ++i) session.run();
      const auto ops = session.profile();
      double total = 0;
      for (const auto& o : ops) total += o.ms;
      std::printf("%-34s %8s %10s %7s\n", "op (per run)", "calls", "ms", "share");
      for (const auto& o : ops) {
        const double calls = static_cast<double>(o.calls) / runs, op_ms = o.ms / runs;
        std::printf("%-34s %8.0f %10.4f %6.1f%%\n", o.op.c_str(), calls, op_ms, total > 0 ? 100.0 * o.ms / total : 0.0);
        per_op.push_back({{"op", o.op}, {"calls", calls}, {"ms", op_ms}});
      }
    }
    if (as_json) {
      nlohmann::ordered_json j = {{"p50_ms", pct(50)}, {"p95_ms", pct(95)}, {"p99_ms", pct(99)},
                                  {"load_ms", load_ms}, {"rss_mb", rss}, {"runs", runs}, {"threads", threads}};
      if (profile) j["profile"] = per_op;
      std::cout << j.dump() << "\n";
    }
  });
}

}  // namespace saywhen::cli
