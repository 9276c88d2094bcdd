// saywhen eval-turns --set DIR: false cut-offs against latency for turn policies on
// a labelled set (eval/make_eval.py writes DIR/manifest.jsonl and the audio).
//
// Each policy runs once per example in observe mode (it never ends the turn on a
// score, only on its own timeout) and reports every score it computed. A decision
// rule with a knob — a score threshold, or a silence length for the VAD-only
// baseline — then gives, for any knob value, the time the turn would have ended:
// the first score at or over the threshold before the timeout, else the timeout. A decision before the
// true end of the turn is a false cut-off; otherwise its latency is the time after
// the true end. Sweeping the knob traces the trade-off curve; the metrics read it:
//   FC@300, FC@600: the false cut-off rate where the mean latency is 300 / 600 ms;
//   Lat@5%, Lat@10%: the mean latency where the false cut-off rate is 5 % / 10 %.
// The saywhen preset's threshold may depend on the silence so far (its parameters
// threshold_early, threshold_relax_s): the knob is its `threshold`, and the rule that
// turns a knob into a decision is the preset's own (Stream::end_threshold).
//
// --dump-scores FILE.jsonl writes every score each policy computed, per example, for
// offline analysis (eval/tune.py).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli.h"
#include "plot.h"
#include "saywhen/audio.h"
#include "saywhen/text.h"
#include "saywhen/turn.h"

namespace saywhen::cli {
namespace {

struct Example {
  std::string id, turn_id, lang, condition, kind, pattern, audio;
  double turn_end = 0;
  std::vector<std::pair<double, double>> pauses;  // true mid-turn pauses (start_s, end_s)
  std::vector<std::pair<double, std::string>> transcript_end_text;  // (end_s, text)
  std::vector<std::tuple<std::string, double, double>> pieces;      // text, start, end
  std::vector<std::string> agent_turns;
};

// One score a policy computed in a pause.
struct Score {
  double t, pause_s;      // when, and the silence so far
  float audio_p, text_p;  // the models' probabilities (NaN when a model did not run)
  float score;            // what the policy compares to its threshold
};

// One policy's observed scores for one example.
struct Trace {
  std::vector<Score> scores;  // in time order
  double timeout = INFINITY;  // the policy's own timeout decision
};

// The saywhen policy's two variants see the same audio scores: one run with the
// transcript gives both (audio only: the Smart Turn probability; with text: the
// fused score), halving the cost of the evaluation.
struct SaywhenTraces {
  Trace audio, fused;
};

struct PolicySpec {
  std::string name;       // vad, pipecat, saywhen, saywhen+text
  std::string preset;
  std::map<std::string, double> settings;
  bool text = false;
  bool knob_is_silence = false;   // vad: the knob is the pause length
  std::vector<double> grid;       // knob values, in the order latency grows
  double default_knob = 0.5;      // the policy's documented operating point
  // The score needed at a knob value and a pause length (Stream::end_threshold); null: the knob.
  std::function<double(double, double)> rule;
};

std::vector<double> range(double lo, double hi, double step) {
  std::vector<double> v;
  for (double x = lo; x <= hi + 1e-9; x += step) v.push_back(x);
  return v;
}

// `saywhen_params`: every parameter of the saywhen preset (defaults with --param overrides).
std::vector<PolicySpec> policy_specs(const std::map<std::string, double>& saywhen_params) {
  std::vector<PolicySpec> out;
  // Thresholds: a higher threshold waits longer, so the grid runs low to high.
  // VAD silence only: every window of a pause is a candidate decision point. It
  // takes the saywhen preset's VAD settings (--param vad_threshold=... included),
  // so its trace times the pauses the saywhen policies see (eval/tune.py reads
  // their silence timeouts from it).
  std::map<std::string, double> vad = saywhen_params;
  for (const auto& [k, v] : std::map<std::string, double>{{"audio_model", 0}, {"trace", 1}, {"rescore_ms", 32},
                                                          {"threshold", 2}, {"eager_threshold", 0}, {"max_silence_s", 30}})
    vad[k] = v;
  out.push_back({"vad", "saywhen", vad, false, true, range(0.16, 3.0, 0.032), 0.8, nullptr});
  out.push_back({"pipecat", "pipecat", {{"threshold", 2}}, false, false, range(0.0, 1.0, 0.01), 0.5, nullptr});
  // Observe mode: every score reported, none ends the turn (a threshold over any score).
  std::map<std::string, double> observe = saywhen_params;
  for (const auto& [k, v] : std::map<std::string, double>{{"trace", 1}, {"threshold", 2}, {"eager_threshold", 0}})
    observe[k] = v;
  const double th = saywhen_params.at("threshold");
  const auto rule = turn::Stream::end_threshold("saywhen", saywhen_params);
  // The threshold at a pause's first score is threshold + threshold_early: the knob runs
  // from -threshold_early to 1, in hundredths (eval/tune.py replays the same grid).
  const double early = saywhen_params.at("threshold_early");
  std::vector<double> grid;
  for (long i = -std::lround(100 * std::max(0.0, early)); i <= 100; ++i) grid.push_back(static_cast<double>(i) / 100.0);
  out.push_back({"saywhen", "saywhen", observe, false, false, grid, th, rule});
  out.push_back({"saywhen+text", "saywhen", observe, true, false, grid, th, rule});
  return out;
}

// The time the turn ends for knob value `k`: the first score over the threshold before
// the policy's own timeout, else the timeout (scores after it belong to a turn the
// timeout already ended).
double decision(const PolicySpec& p, const Trace& tr, double k) {
  for (const Score& s : tr.scores) {
    if (s.t > tr.timeout + 1e-9) break;
    // The VAD baseline's knob is the pause length.
    if (p.knob_is_silence) {
      if (s.pause_s >= k - 1e-6) return s.t;
      continue;
    }
    if (std::isnan(s.score)) continue;
    const double need = p.rule ? p.rule(k, s.pause_s) : k;
    if (s.score >= need) return s.t;
  }
  return tr.timeout;
}

struct Point {
  double knob, fc, latency;  // false cut-off rate, mean latency (s) of the others
};

// The trade-off points at the given knob values (default: the policy's grid).
std::vector<Point> curve(const PolicySpec& p, const std::vector<const Example*>& ex,
                         const std::vector<const Trace*>& tr, const std::vector<double>* knobs = nullptr) {
  std::vector<Point> pts;
  for (double k : knobs ? *knobs : p.grid) {
    int fc = 0, n = 0;
    double lat = 0;
    for (size_t i = 0; i < ex.size(); ++i) {
      const double d = decision(p, *tr[i], k);
      if (d < ex[i]->turn_end - 1e-9) ++fc;
      else if (std::isfinite(d)) lat += d - ex[i]->turn_end, ++n;
    }
    pts.push_back({k, ex.empty() ? 0.0 : static_cast<double>(fc) / static_cast<double>(ex.size()),
                   n ? lat / n : NAN});
  }
  return pts;
}

// Linear interpolation of `want` on the curve: y at the point where x crosses `at`.
// x is latency for FC@, false cut-off rate for Lat@. Returns NaN when the curve never
// reaches it.
double read_curve(const std::vector<Point>& pts, bool x_is_latency, double at) {
  for (size_t i = 0; i + 1 < pts.size(); ++i) {
    const Point& a = pts[i];
    const Point& b = pts[i + 1];
    const double xa = x_is_latency ? a.latency : a.fc, xb = x_is_latency ? b.latency : b.fc;
    const double ya = x_is_latency ? a.fc : a.latency, yb = x_is_latency ? b.fc : b.latency;
    if (std::isnan(xa) || std::isnan(xb) || std::isnan(ya) || std::isnan(yb)) continue;
    if ((xa - at) * (xb - at) <= 0 && xa != xb) return ya + (yb - ya) * (at - xa) / (xb - xa);
    if (xa == at) return ya;
  }
  return NAN;
}

struct Metrics {
  double fc300, fc600, lat5, lat10, fc_default, lat_default;
  size_t n;
};

Metrics metrics(const PolicySpec& p, const std::vector<const Example*>& ex, const std::vector<const Trace*>& tr) {
  const auto pts = curve(p, ex, tr);
  Metrics m{};
  m.n = ex.size();
  m.fc300 = read_curve(pts, true, 0.3);
  m.fc600 = read_curve(pts, true, 0.6);
  // FC falls as the knob grows; read Lat@ on the falling part.
  m.lat5 = read_curve(pts, false, 0.05);
  m.lat10 = read_curve(pts, false, 0.10);
  const std::vector<double> default_knob{p.default_knob};
  const auto def = curve(p, ex, tr, &default_knob);
  m.fc_default = def[0].fc;
  m.lat_default = def[0].latency;
  return m;
}

std::vector<Example> read_manifest(const std::string& dir, const std::vector<std::string>& only_conditions,
                                   size_t limit) {
  const std::string path = dir + "/manifest.jsonl";
  std::vector<Example> out;
  for_each_jsonl(path, " (build the set with eval/make_eval.py --out " + dir + ")", [&](const nlohmann::json& j) {
    Example e;
    e.id = j.at("id").get<std::string>();
    e.turn_id = j.value("turn_id", e.id);
    e.lang = j.value("lang", "?");
    e.condition = j.value("condition", "clean");
    e.kind = j.value("kind", "");
    e.pattern = j.value("pattern", "");
    if (j.contains("pauses"))
      for (const auto& pz : j["pauses"]) e.pauses.emplace_back(pz.at(0).get<double>(), pz.at(1).get<double>());
    e.audio = dir + "/" + j.at("audio").get<std::string>();
    e.turn_end = j.at("turn_end_s").get<double>();
    if (j.contains("transcript"))
      for (const auto& piece : j["transcript"])
        e.pieces.emplace_back(piece.at("text").get<std::string>(), piece.at("start_s").get<double>(),
                              piece.at("end_s").get<double>());
    if (j.contains("context"))
      for (const auto& m : j["context"])
        if (m.value("role", "") == "assistant") e.agent_turns.push_back(m.value("content", ""));
    if (only_conditions.empty() ||
        std::find(only_conditions.begin(), only_conditions.end(), e.condition) != only_conditions.end())
      out.push_back(std::move(e));
    return !(limit && out.size() >= limit);
  });
  if (out.empty()) throw Error(path + ": no examples");
  return out;
}

// With stt_latency_s > 0 the transcript pieces are left out: run_policy gives them
// when the audio reaches their end plus the latency.
turn::Stream make_stream(const std::shared_ptr<const turn::Engine>& engine, const PolicySpec& p, const Example& ex,
                         double stt_latency_s) {
  turn::StreamOptions so;
  so.preset = p.preset;
  so.settings = p.settings;
  turn::Stream stream(engine, so);
  if (p.text) {
    for (const auto& a : ex.agent_turns) stream.add_agent_turn(a);
    if (stt_latency_s <= 0)
      for (const auto& [text, start, end] : ex.pieces) stream.add_transcript(text, start, end);
  }
  return stream;
}

// Runs policy `p` over the example; fills `tr` (and `audio_only`, for the saywhen
// preset, with the Smart Turn probabilities of the same run).
void run_policy(const std::shared_ptr<const turn::Engine>& engine, const PolicySpec& p, const Example& ex,
                const std::vector<float>& pcm, double stt_latency_s, Trace& tr, Trace* audio_only) {
  turn::Stream stream = make_stream(engine, p, ex, stt_latency_s);
  size_t pos = 0;
  if (p.text && stt_latency_s > 0) {
    for (const auto& [text, start, end] : ex.pieces) {
      const size_t at = std::min(pcm.size(), static_cast<size_t>(std::llround((end + stt_latency_s) * 16000.0)));
      if (at > pos) stream.push(std::span<const float>(pcm.data() + pos, at - pos));
      pos = std::max(pos, at);
      stream.add_transcript(text, start, end);
    }
  }
  stream.push(std::span<const float>(pcm.data() + pos, pcm.size() - pos));
  stream.finish(1.0);
  for (const auto& e : stream.take_events()) {
    if (e.type == turn::EventType::pause) {
      tr.scores.push_back({e.t, e.pause_s, e.audio_p, e.text_p, p.knob_is_silence ? NAN : e.score});
      if (audio_only) audio_only->scores.push_back({e.t, e.pause_s, e.audio_p, NAN, e.audio_p});
    } else if (e.type == turn::EventType::end_of_turn && e.reason == "timeout" && !std::isfinite(tr.timeout)) {
      tr.timeout = e.t;
      if (audio_only) audio_only->timeout = e.t;
    }
  }
}

// NaN as JSON null.
nlohmann::json num_or_null(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

// One line per example and policy: the labels and every score the policy computed.
void dump_scores(const std::string& path, const std::vector<PolicySpec>& specs, const std::vector<Example>& examples,
                 const std::vector<std::vector<Trace>>& traces) {
  std::ofstream f(path);
  if (!f) throw Error(path + ": cannot write");
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    for (size_t s = 0; s < specs.size(); ++s) {
      const Trace& tr = traces[s][i];
      nlohmann::json j;
      j["id"] = e.id;
      j["turn_id"] = e.turn_id;
      j["lang"] = e.lang;
      j["condition"] = e.condition;
      j["kind"] = e.kind;
      j["pattern"] = e.pattern;
      j["turn_end_s"] = e.turn_end;
      j["pauses"] = e.pauses;
      j["policy"] = specs[s].name;
      j["timeout_t"] = num_or_null(std::isfinite(tr.timeout) ? tr.timeout : NAN);
      auto& sc = j["scores"] = nlohmann::json::array();
      for (const Score& x : tr.scores)
        sc.push_back({x.t, x.pause_s, num_or_null(x.audio_p), num_or_null(x.text_p), num_or_null(x.score)});
      f << j.dump() << "\n";
    }
  }
  if (!f) throw Error(path + ": write failed");
}

std::string fmt(double v, bool pct) {
  if (std::isnan(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, pct ? "%.1f%%" : "%.0f ms", pct ? v * 100 : v * 1000);
  return b;
}

void draw_plot(const std::string& path, const std::vector<PolicySpec>& specs,
               const std::vector<std::vector<Point>>& curves) {
  const int W = 900, H = 620, L = 90, R = 200, T = 40, B = 70;
  plot::Canvas c(W, H);
  const double xmax = 3.5, ymax = 1.0;  // latency s, false cut-off rate
  auto X = [&](double lat) { return L + static_cast<int>((W - L - R) * std::min(lat, xmax) / xmax); };
  auto Y = [&](double fc) { return H - B - static_cast<int>((H - T - B) * std::min(fc, ymax) / ymax); };
  for (int i = 0; i <= 7; ++i) {
    const double lat = xmax * i / 7;
    c.line(X(lat), T, X(lat), H - B, {230, 230, 230});
    char b[16];
    std::snprintf(b, sizeof b, "%.1f", lat);
    c.text_centered(X(lat), H - B + 14, b, plot::kBlack);
  }
  for (int i = 0; i <= 10; ++i) {
    const double fc = ymax * i / 10;
    c.line(L, Y(fc), W - R, Y(fc), {230, 230, 230});
    char b[16];
    std::snprintf(b, sizeof b, "%.0f%%", fc * 100);
    c.text(L - 40, Y(fc) - 4, b, plot::kBlack);
  }
  c.rect(L, T, W - L - R, H - T - B, plot::kBlack);
  c.text_centered((L + W - R) / 2, H - 25, "mean latency after the true end of turn (s)", plot::kBlack, 1);
  c.text_vertical(25, (T + H - B) / 2, "false cut-offs", plot::kBlack, 1);
  c.text_centered(W / 2, 15, "saywhen eval-turns: false cut-offs vs latency", plot::kBlack, 2);
  const plot::Color colors[] = {{120, 120, 120}, {220, 120, 30}, {40, 100, 200}, {30, 160, 60}};
  for (size_t s = 0; s < specs.size(); ++s) {
    const plot::Color col = colors[s % 4];
    int px = -1, py = -1;
    for (const Point& pt : curves[s]) {
      if (std::isnan(pt.latency)) continue;
      const int x = X(pt.latency), y = Y(pt.fc);
      if (px >= 0) c.line(px, py, x, y, col, 2);
      px = x, py = y;
    }
    c.fill_rect(W - R + 15, T + 20 + static_cast<int>(s) * 22, 14, 10, col);
    c.text(W - R + 35, T + 21 + static_cast<int>(s) * 22, specs[s].name, plot::kBlack);
  }
  c.save_png(path);
}

}  // namespace

void add_eval_turns(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval-turns", "False cut-offs vs latency of turn policies on a labelled set");
  static std::string dir, plot_path, models_dir, text_model, dump_path;
  static std::vector<std::string> policies, conditions, params;
  static bool json = false;
  static int threads = 2;
  static size_t limit = 0;
  static double stt_latency = 0;
  cmd->add_option("--set", dir, "Folder with manifest.jsonl (eval/make_eval.py --out DIR)")->required();
  cmd->add_option("--policy", policies, "Policies to score: vad, pipecat, saywhen, saywhen+text (default: all)");
  cmd->add_option("--condition", conditions, "Only these conditions (clean, noisy, ulaw8k)");
  cmd->add_option("--limit", limit, "At most this many examples");
  cmd->add_flag("--json", json, "Print one JSON object instead of tables");
  cmd->add_option("--plot", plot_path, "Draw the trade-off curves to this PNG");
  cmd->add_option("--models", models_dir, "Models folder");
  cmd->add_option("--text-model", text_model, "Text model folder (default: the shipped one)");
  cmd->add_option("--threads", threads, "Examples evaluated in parallel")->check(CLI::Range(1, 64));
  cmd->add_option("--stt-latency", stt_latency,
                  "Seconds after its end at which each transcript piece reaches saywhen+text (speech-to-text "
                  "latency; default 0: at its end)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--param", params,
                  "KEY=VALUE: a saywhen preset parameter for the saywhen policies, VAD settings also for the vad baseline (e.g. rescore_ms=64; "
                  "saywhen detect --list-settings shows them)");
  cmd->add_option("--dump-scores", dump_path,
                  "Write every score each policy computed to this JSONL file, one line per example and policy: "
                  "id, turn_id, lang, condition, kind, pattern, turn_end_s, pauses, policy, timeout_t (the "
                  "policy's own timeout decision, null if none) and scores [[t, pause_s, audio_p, text_p, score], ...] "
                  "(null: not computed; the vad policy has no score, its knob is pause_s)");
  cmd->callback([] {
    auto saywhen_params = turn::Stream::parameter_names("saywhen");
    for (const auto& kv : params) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos) throw Error("--param " + kv + ": expected KEY=VALUE");
      const std::string key = kv.substr(0, eq);
      if (!saywhen_params.count(key)) throw Error("--param " + kv + ": the saywhen preset has no parameter " + key);
      try {
        size_t used = 0;
        saywhen_params[key] = std::stod(kv.substr(eq + 1), &used);
        if (used != kv.size() - eq - 1) throw std::invalid_argument("trailing characters");
      } catch (const std::exception&) {
        throw Error("--param " + kv + ": the value is not a number");
      }
    }
    auto specs = policy_specs(saywhen_params);
    if (!policies.empty()) {
      std::vector<PolicySpec> keep;
      for (const auto& name : policies) {
        auto it = std::find_if(specs.begin(), specs.end(), [&](const PolicySpec& p) { return p.name == name; });
        if (it == specs.end()) throw Error("--policy " + name + ": unknown (vad, pipecat, saywhen, saywhen+text)");
        keep.push_back(*it);
      }
      specs = keep;
    }
    const bool need_text = std::any_of(specs.begin(), specs.end(), [](const PolicySpec& p) { return p.text; });
    const auto examples = read_manifest(dir, conditions, limit);
    turn::EngineOptions eo;
    eo.models_dir = models_dir;
    eo.load_text_model = need_text;
    eo.text_model = text_model;
    auto engine = turn::Engine::load(eo);

    std::vector<std::vector<Trace>> traces(specs.size(), std::vector<Trace>(examples.size()));
    std::atomic<size_t> next{0}, done{0};
    std::mutex err_mu;
    std::string first_error;
    auto worker = [&] {
      for (size_t i; (i = next++) < examples.size();) {
        try {
          const std::vector<float> pcm = audio::read_audio(examples[i].audio);
          // saywhen (audio only) comes from the saywhen+text run when both are asked for,
          // unless late transcript pieces add scores of their own to that run.
          const bool share = stt_latency <= 0 &&
              std::any_of(specs.begin(), specs.end(), [](const PolicySpec& p) { return p.text; });
          for (size_t s = 0; s < specs.size(); ++s) {
            if (specs[s].name == "saywhen" && share) continue;
            Trace* audio_only = nullptr;
            if (specs[s].text && share)
              for (size_t k = 0; k < specs.size(); ++k)
                if (specs[k].name == "saywhen") audio_only = &traces[k][i];
            run_policy(engine, specs[s], examples[i], pcm, stt_latency, traces[s][i], audio_only);
          }
        } catch (const std::exception& e) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.empty()) first_error = examples[i].id + ": " + e.what();
        }
        const size_t d = ++done;
        if (d % 20 == 0 || d == examples.size()) std::cerr << "\r" << d << "/" << examples.size() << " examples" << std::flush;
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    std::cerr << "\n";
    if (!first_error.empty()) throw Error(first_error);
    if (!dump_path.empty()) dump_scores(dump_path, specs, examples, traces);

    // Groups: all, per language, per condition, per pattern (what the turn's pauses are: hesitation,
    // clause, phone, ...), so that a policy's cut-offs can be traced to a kind of pause.
    std::map<std::string, std::vector<size_t>> groups;
    for (size_t i = 0; i < examples.size(); ++i) {
      groups["all"].push_back(i);
      groups["lang=" + examples[i].lang].push_back(i);
      groups["condition=" + examples[i].condition].push_back(i);
      if (!examples[i].pattern.empty()) groups["pattern=" + examples[i].pattern].push_back(i);
    }
    nlohmann::json out;
    std::vector<std::vector<Point>> all_curves;
    for (size_t s = 0; s < specs.size(); ++s) {
      for (const auto& [g, idx] : groups) {
        std::vector<const Example*> ex;
        std::vector<const Trace*> tr;
        for (size_t i : idx) ex.push_back(&examples[i]), tr.push_back(&traces[s][i]);
        const Metrics m = metrics(specs[s], ex, tr);
        out[g][specs[s].name] = {{"n", m.n},           {"fc300", m.fc300},         {"fc600", m.fc600},
                                 {"lat5_s", m.lat5},   {"lat10_s", m.lat10},       {"default_knob", specs[s].default_knob},
                                 {"default_fc", m.fc_default}, {"default_latency_s", m.lat_default}};
        if (g == "all") all_curves.push_back(curve(specs[s], ex, tr));
      }
    }
    if (!plot_path.empty()) draw_plot(plot_path, specs, all_curves);
    if (json) {
      std::cout << out.dump() << "\n";
      return;
    }
    for (const auto& [g, per_policy] : out.items()) {
      std::printf("%s (%zu turns)\n", g.c_str(), groups[g].size());
      std::printf("  %-14s %8s %8s %9s %9s   %s\n", "policy", "FC@300", "FC@600", "Lat@5%", "Lat@10%",
                  "at its default: FC, latency");
      for (const auto& spec : specs) {
        const auto& m = per_policy[spec.name];
        auto num = [&](const char* k) { return m[k].is_number() ? m[k].get<double>() : NAN; };
        std::printf("  %-14s %8s %8s %9s %9s   %s, %s\n", spec.name.c_str(), fmt(num("fc300"), true).c_str(),
                    fmt(num("fc600"), true).c_str(), fmt(num("lat5_s"), false).c_str(),
                    fmt(num("lat10_s"), false).c_str(), fmt(num("default_fc"), true).c_str(),
                    fmt(num("default_latency_s"), false).c_str());
      }
    }
  });
}

}  // namespace saywhen::cli
