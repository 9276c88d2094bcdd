// saywhen eval-text --input LABELLED.jsonl [--json] [--plot FILE.png]
//
// Accuracy, per-label precision/recall/F1, macro-F1, confusion matrix, a
// per-language breakdown, expected calibration error and latency of the text
// model on labelled lines (the `saywhen text --input` format plus "label").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli.h"
#include "saywhen/models.h"
#include "plot.h"
#include "text_line.h"

namespace saywhen::cli {

namespace {

constexpr int L = kNumTurnLabels;

struct Counts {
  long n = 0, correct = 0;
  long cm[L][L] = {};  // [true][predicted]
  void add(int t, int p) {
    ++n;
    correct += t == p;
    ++cm[t][p];
  }
};

struct LabelStats {
  double precision = 0, recall = 0, f1 = 0;
  long support = 0;
};

std::array<LabelStats, L> label_stats(const Counts& c) {
  std::array<LabelStats, L> s{};
  for (int k = 0; k < L; ++k) {
    long tp = c.cm[k][k], pred = 0, sup = 0;
    for (int j = 0; j < L; ++j) pred += c.cm[j][k], sup += c.cm[k][j];
    auto& r = s[static_cast<size_t>(k)];
    r.support = sup;
    r.precision = pred ? static_cast<double>(tp) / static_cast<double>(pred) : 0;
    r.recall = sup ? static_cast<double>(tp) / static_cast<double>(sup) : 0;
    r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0;
  }
  return s;
}

// Mean F1 over labels present in the truth.
double macro_f1(const Counts& c) {
  auto s = label_stats(c);
  double sum = 0;
  int n = 0;
  for (const auto& r : s)
    if (r.support) sum += r.f1, ++n;
  return n ? sum / n : 0;
}

// The target: among lines whose truth is finished or unfinished, the
// macro-F1 of "predicted finished" vs "predicted anything else".
double finished_unfinished_f1(const Counts& c) {
  long tp = c.cm[0][0], fn = 0, fp = 0, tn = 0;
  for (int j = 1; j < L; ++j) fn += c.cm[0][j];
  fp = c.cm[1][0];
  for (int j = 1; j < L; ++j) tn += c.cm[1][j];
  auto f1 = [](long tp_, long fp_, long fn_) {
    return 2 * tp_ + fp_ + fn_ ? 2.0 * static_cast<double>(tp_) / static_cast<double>(2 * tp_ + fp_ + fn_) : 0.0;
  };
  if (tp + fn == 0 || tn + fp == 0) return std::nan("");
  return (f1(tp, fp, fn) + f1(tn, fn, fp)) / 2;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

void draw_confusion(const Counts& c, const std::string& title, const std::string& path) {
  using namespace plot;
  const int cell = 110, left = 150, top = 70, right = 30, bottom = 40;
  Canvas cv(left + L * cell + right, top + L * cell + bottom + 20);
  cv.text_centered(cv.width() / 2, 18, title, kBlack, Canvas::text_width(title, 2) + 20 <= cv.width() ? 2 : 1);
  const Color lo{247, 251, 255}, hi{8, 48, 107};
  for (int t = 0; t < L; ++t) {
    long row = 0;
    for (int p = 0; p < L; ++p) row += c.cm[t][p];
    for (int p = 0; p < L; ++p) {
      double frac = row ? static_cast<double>(c.cm[t][p]) / static_cast<double>(row) : 0;
      Color bg = mix(lo, hi, frac);
      int x = left + p * cell, y = top + t * cell;
      cv.fill_rect(x, y, cell, cell, bg);
      cv.rect(x, y, cell, cell, kGray);
      cv.text_centered(x + cell / 2, y + cell / 2 - 10, std::to_string(c.cm[t][p]), text_color_on(bg), 2);
      char pct[16];
      std::snprintf(pct, sizeof pct, "%.1f%%", 100 * frac);
      cv.text_centered(x + cell / 2, y + cell / 2 + 14, pct, text_color_on(bg), 1);
    }
    cv.text(left - 8 - Canvas::text_width(label_name(static_cast<TurnLabel>(t)), 1), top + t * cell + cell / 2 - 4,
            label_name(static_cast<TurnLabel>(t)), kBlack);
  }
  for (int p = 0; p < L; ++p)
    cv.text_centered(left + p * cell + cell / 2, top - 12, label_name(static_cast<TurnLabel>(p)), kBlack);
  cv.text_centered(left + L * cell / 2, top + L * cell + 18, "predicted (rows: true label, shade: row %)", kBlack);
  cv.text_vertical(18, top + L * cell / 2, "true label", kBlack);
  cv.save_png(path);
}

}  // namespace

void add_eval_text(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval-text", "Evaluate the text turn model on labelled JSONL");
  static std::string in_path, model_dir, models_dir, plot_path;
  static std::vector<std::string> threshold_specs;
  static bool as_json = false;
  static int threads = 1;
  cmd->add_option("--input", in_path, "JSONL: the `saywhen text --input` format plus \"label\" (and optional \"lang\")")
      ->required();
  cmd->add_option("--model", model_dir, "Text model folder; default: the shipped text-turn");
  cmd->add_option("--models", models_dir, "Folder searched first for text-turn/");
  cmd->add_option("--threshold", threshold_specs, "LANG=P or LANG:LABEL=P (as `saywhen text`); repeatable");
  cmd->add_option("--threads", threads, "Lines predicted in parallel (latency is per prediction)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--json", as_json, "Print one JSON object instead of tables");
  cmd->add_option("--plot", plot_path, "Draw the confusion matrix to this PNG file");
  cmd->callback([] {
    TextOptions opts;
    for (const auto& s : threshold_specs) parse_threshold_spec(s, opts.thresholds);
    std::string dir = model_dir;
    if (dir.empty() && !models_dir.empty()) dir = find_model_file("text-turn", models_dir);
    auto model = TextModel::load(dir, opts);

    std::ifstream f(in_path, std::ios::binary);
    if (!f) throw Error(in_path + ": cannot open");
    std::vector<Conversation> convs;
    std::vector<int> truth;
    std::vector<std::string> langs;  // from the line; "" = use the detected one
    std::vector<size_t> line_nos;
    std::string line;
    size_t line_no = 0, errors = 0;
    bool too_long = false;
    while (read_line(f, line, too_long)) {
      ++line_no;
      if (!too_long && line.find_first_not_of(" \t\r") == std::string::npos) continue;
      try {
        if (too_long) throw Error("line is longer than 16 MiB");
        nlohmann::json id;
        TextLine tl = parse_text_line(line, id);
        auto it = tl.raw.find("label");
        if (it == tl.raw.end() || !it->is_string()) throw Error("missing \"label\" (a string)");
        truth.push_back(static_cast<int>(label_from_name(it->get<std::string>())));
        langs.push_back(tl.conversation.language);
        line_nos.push_back(line_no);
        convs.push_back(std::move(tl.conversation));
      } catch (const std::exception& e) {
        ++errors;
        std::cerr << in_path << ":" << line_no << ": " << e.what() << "\n";
      }
    }
    std::vector<TextPrediction> preds = model->predict_batch(convs, threads);

    Counts all;
    std::map<std::string, Counts> by_lang;
    std::vector<double> lat;
    constexpr int kBins = 15;
    double bin_conf[kBins] = {}, bin_acc[kBins] = {};
    long bin_n[kBins] = {};
    double nll = 0, brier = 0;
    for (size_t i = 0; i < preds.size(); ++i) {
      const TextPrediction& p = preds[i];
      if (!p.error.empty()) {
        ++errors;
        std::cerr << in_path << ":" << line_nos[i] << ": " << p.error << "\n";
        continue;
      }
      int t = truth[i], k = static_cast<int>(p.label);
      all.add(t, k);
      by_lang[langs[i].empty() ? p.language : langs[i]].add(t, k);
      lat.push_back(p.latency_ms);
      // Calibration of the probabilities themselves (argmax confidence).
      int top = static_cast<int>(std::max_element(p.probs.begin(), p.probs.end()) - p.probs.begin());
      double conf = p.probs[static_cast<size_t>(top)];
      int b = std::min(kBins - 1, static_cast<int>(conf * kBins));
      bin_conf[b] += conf, bin_acc[b] += top == t, ++bin_n[b];
      nll -= std::log(std::max(1e-7, static_cast<double>(p.probs[static_cast<size_t>(t)])));
      for (int j = 0; j < L; ++j) {
        double d = p.probs[static_cast<size_t>(j)] - (j == t ? 1.0 : 0.0);
        brier += d * d;
      }
    }
    double ece = 0;
    for (int b = 0; b < kBins; ++b)
      if (bin_n[b]) ece += std::abs(bin_acc[b] - bin_conf[b]) / static_cast<double>(std::max(1L, all.n));
    const double n = static_cast<double>(std::max(1L, all.n));
    auto stats = label_stats(all);

    nlohmann::ordered_json j;
    j["model"] = model->dir();
    j["input"] = in_path;
    j["n"] = all.n;
    j["errors"] = errors;
    j["accuracy"] = static_cast<double>(all.correct) / n;
    j["macro_f1"] = macro_f1(all);
    double fu = finished_unfinished_f1(all);
    j["finished_unfinished_macro_f1"] = std::isnan(fu) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(fu);
    for (int k = 0; k < L; ++k) {
      const auto& s = stats[static_cast<size_t>(k)];
      j["labels"][label_name(static_cast<TurnLabel>(k))] = {
          {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
    }
    nlohmann::ordered_json cm = nlohmann::ordered_json::array();
    for (int t = 0; t < L; ++t) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      for (int p = 0; p < L; ++p) row.push_back(all.cm[t][p]);
      cm.push_back(row);
    }
    j["confusion"] = {{"rows", "true"}, {"columns", "predicted"},
                      {"labels", {"finished", "unfinished", "wait", "backchannel"}}, {"matrix", cm}};
    for (const auto& [lang, c] : by_lang) {
      double lfu = finished_unfinished_f1(c);
      j["languages"][lang] = {{"n", c.n},
                              {"accuracy", static_cast<double>(c.correct) / static_cast<double>(std::max(1L, c.n))},
                              {"macro_f1", macro_f1(c)},
                              {"finished_unfinished_macro_f1",
                               std::isnan(lfu) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(lfu)},
                              {"wait_recall", label_stats(c)[2].support ? nlohmann::ordered_json(label_stats(c)[2].recall)
                                                                        : nlohmann::ordered_json(nullptr)}};
    }
    j["calibration"] = {{"ece", ece}, {"bins", kBins}, {"nll", nll / n}, {"brier", brier / n}};
    j["latency_ms"] = {{"p50", percentile(lat, 50)}, {"p95", percentile(lat, 95)}, {"threads", threads}};

    if (as_json) {
      std::cout << dump_line(j) << "\n";
    } else {
      std::printf("%s on %s: %ld lines", model->dir().c_str(), in_path.c_str(), all.n);
      if (errors) std::printf(" (%zu lines not scored)", errors);
      std::printf("\naccuracy %.4f   macro-F1 %.4f   finished-vs-unfinished macro-F1 %s\n\n",
                  static_cast<double>(all.correct) / n, macro_f1(all),
                  std::isnan(fu) ? "n/a" : std::to_string(fu).substr(0, 6).c_str());
      std::printf("%-12s %9s %9s %9s %9s\n", "label", "precision", "recall", "F1", "support");
      for (int k = 0; k < L; ++k) {
        const auto& s = stats[static_cast<size_t>(k)];
        std::printf("%-12s %9.4f %9.4f %9.4f %9ld\n", label_name(static_cast<TurnLabel>(k)), s.precision, s.recall,
                    s.f1, s.support);
      }
      std::printf("\nconfusion (rows true, columns predicted)\n%-12s", "");
      for (int p = 0; p < L; ++p) std::printf(" %11s", label_name(static_cast<TurnLabel>(p)));
      std::printf("\n");
      for (int t = 0; t < L; ++t) {
        std::printf("%-12s", label_name(static_cast<TurnLabel>(t)));
        for (int p = 0; p < L; ++p) std::printf(" %11ld", all.cm[t][p]);
        std::printf("\n");
      }
      std::printf("\n%-8s %7s %9s %9s %11s %11s\n", "language", "n", "accuracy", "macro-F1", "fin/unf F1",
                  "wait recall");
      for (const auto& [lang, c] : by_lang) {
        double lfu = finished_unfinished_f1(c);
        auto ls = label_stats(c);
        char fu_s[16] = "n/a", wr_s[16] = "n/a";
        if (!std::isnan(lfu)) std::snprintf(fu_s, sizeof fu_s, "%.4f", lfu);
        if (ls[2].support) std::snprintf(wr_s, sizeof wr_s, "%.4f", ls[2].recall);
        std::printf("%-8s %7ld %9.4f %9.4f %11s %11s\n", lang.c_str(), c.n,
                    static_cast<double>(c.correct) / static_cast<double>(std::max(1L, c.n)), macro_f1(c), fu_s, wr_s);
      }
      std::printf("\ncalibration: ECE %.4f (%d bins, top label)   NLL %.4f   Brier %.4f\n", ece, kBins, nll / n,
                  brier / n);
      std::printf("latency: p50 %.3f ms   p95 %.3f ms (per prediction, %d thread%s)\n", percentile(lat, 50),
                  percentile(lat, 95), threads, threads == 1 ? "" : "s");
    }
    if (!plot_path.empty()) {
      char title[128];
      std::snprintf(title, sizeof title, "text-turn: accuracy %.3f, macro-F1 %.3f (n=%ld)",
                    static_cast<double>(all.correct) / n, macro_f1(all), all.n);
      draw_confusion(all, title, plot_path);
      if (!as_json) std::printf("confusion matrix: %s\n", plot_path.c_str());
    }
    if (errors) throw CLI::RuntimeError(1);
  });
}

}  // namespace saywhen::cli
