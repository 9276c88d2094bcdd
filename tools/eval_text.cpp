// saywhen eval-text --input LABELLED.jsonl [--scheme four|ten|012|speak-wait] [--json] [--plot FILE.png]
//
// Accuracy, per-label precision/recall/F1, macro-F1, confusion matrix, a
// per-language breakdown, expected calibration error and latency of the text
// model on labelled lines (the `saywhen text --input` format plus "label").
// Other groups' label schemes are scored in their own classes (MODEL_CARD.md,
// "Labels"): the model's four labels and probabilities fold into them.
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

// A labelling scheme: its classes (0 is finished / speak, 1 unfinished / wait), how a
// line's "label" reads in it and how the model's labels fold into it.
struct Scheme {
  std::string name;
  std::vector<std::string> classes;
  int (*truth)(const nlohmann::json& label);
  int (*fold)(TurnLabel predicted);
};

std::string lower_label(const nlohmann::json& v, const char* expected) {
  if (!v.is_string()) throw Error(std::string("\"label\" must be ") + expected);
  std::string s = v.get<std::string>();
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

const Scheme& scheme_named(const std::string& name) {
  static const Scheme four{"four", {"finished", "unfinished", "wait", "backchannel"},
                           [](const nlohmann::json& v) {
                             if (!v.is_string())
                               throw Error("\"label\" must be a string (numbers 0 / 1 / 2: --scheme 012)");
                             try {
                               return static_cast<int>(label_from_name(v.get<std::string>()));
                             } catch (const Error& e) {
                               throw Error(std::string(e.what()) + "; other label sets: --scheme ten, 012 or speak-wait");
                             }
                           },
                           [](TurnLabel p) { return static_cast<int>(p); }};
  // TEN's finished / unfinished / wait: a backchannel is "not taking the turn", i.e. unfinished.
  static const Scheme ten{"ten", {"finished", "unfinished", "wait"},
                          [](const nlohmann::json& v) {
                            const std::string s = lower_label(v, "finished, unfinished or wait");
                            if (s == "finished") return 0;
                            if (s == "unfinished") return 1;
                            if (s == "wait") return 2;
                            throw Error("unknown label '" + s.substr(0, 40) + "' (expected finished, unfinished or wait)");
                          },
                          [](TurnLabel p) { return p == TurnLabel::Backchannel ? 1 : static_cast<int>(p); }};
  // 0 unfinished / 1 finished / 2 wait, as numbers or digit strings.
  static const Scheme zero12{"012", {"finished", "unfinished", "wait"},
                             [](const nlohmann::json& v) {
                               int x = -1;
                               if (v.is_number_integer()) x = v.get<int>();
                               else if (v.is_string() && v.get<std::string>().size() == 1) x = v.get<std::string>()[0] - '0';
                               if (x == 0) return 1;
                               if (x == 1) return 0;
                               if (x == 2) return 2;
                               throw Error("label " + v.dump().substr(0, 40) + " is not 0, 1 or 2 (0 unfinished, 1 finished, 2 wait)");
                             },
                             ten.fold};
  // Binary speak / wait (the Russian context + message format): speak = the model says finished.
  static const Scheme speak_wait{"speak-wait", {"speak", "wait"},
                                 [](const nlohmann::json& v) {
                                   if (v.is_number_integer() && (v.get<int>() == 0 || v.get<int>() == 1))
                                     return v.get<int>() == 1 ? 0 : 1;
                                   const std::string s = lower_label(v, "speak or wait (or 1 / 0)");
                                   if (s == "speak") return 0;
                                   if (s == "wait") return 1;
                                   throw Error("unknown label '" + s.substr(0, 40) + "' (expected speak or wait, or 1 / 0)");
                                 },
                                 [](TurnLabel p) { return p == TurnLabel::Finished ? 0 : 1; }};
  for (const Scheme* sc : {&four, &ten, &zero12, &speak_wait})
    if (sc->name == name) return *sc;
  throw Error("unknown --scheme '" + name + "' (expected four, ten, 012 or speak-wait)");
}

// The model's probabilities summed into the scheme's classes.
std::array<double, L> fold_probs(const Scheme& sc, const std::array<float, L>& p) {
  std::array<double, L> out{};
  for (int j = 0; j < L; ++j) out[static_cast<size_t>(sc.fold(static_cast<TurnLabel>(j)))] += p[static_cast<size_t>(j)];
  return out;
}

struct Counts {
  int k = L;  // classes of the scheme
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
  for (int k = 0; k < c.k; ++k) {
    long tp = c.cm[k][k], pred = 0, sup = 0;
    for (int j = 0; j < c.k; ++j) pred += c.cm[j][k], sup += c.cm[k][j];
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
// macro-F1 of "predicted finished" vs "predicted anything else" (speak vs wait in
// the binary scheme, where it is the macro-F1).
double finished_unfinished_f1(const Counts& c) {
  long tp = c.cm[0][0], fn = 0, fp = 0, tn = 0;
  for (int j = 1; j < c.k; ++j) fn += c.cm[0][j];
  fp = c.cm[1][0];
  for (int j = 1; j < c.k; ++j) tn += c.cm[1][j];
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

void draw_confusion(const Counts& c, const std::vector<std::string>& names, const std::string& title,
                    const std::string& path) {
  const int K = c.k;
  using namespace plot;
  const int cell = 110, left = 150, top = 70, right = 30, bottom = 40;
  Canvas cv(std::max(left + K * cell + right, 420), top + K * cell + bottom + 20);
  cv.text_centered(cv.width() / 2, 18, title, kBlack, Canvas::text_width(title, 2) + 20 <= cv.width() ? 2 : 1);
  const Color lo{247, 251, 255}, hi{8, 48, 107};
  for (int t = 0; t < K; ++t) {
    long row = 0;
    for (int p = 0; p < K; ++p) row += c.cm[t][p];
    for (int p = 0; p < K; ++p) {
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
    const std::string& name = names[static_cast<size_t>(t)];
    cv.text(left - 8 - Canvas::text_width(name, 1), top + t * cell + cell / 2 - 4, name, kBlack);
  }
  for (int p = 0; p < K; ++p)
    cv.text_centered(left + p * cell + cell / 2, top - 12, names[static_cast<size_t>(p)], kBlack);
  cv.text_centered(left + K * cell / 2, top + K * cell + 18, "predicted (rows: true label, shade: row %)", kBlack);
  cv.text_vertical(18, top + K * cell / 2, "true label", kBlack);
  cv.save_png(path);
}

}  // namespace

void add_eval_text(CLI::App& app) {
  auto* cmd = app.add_subcommand("eval-text", "Evaluate the text turn model on labelled JSONL");
  static std::string in_path, model_dir, models_dir, plot_path, scheme_name = "four";
  static std::vector<std::string> threshold_specs;
  static bool as_json = false;
  static int threads = 1;
  cmd->add_option("--input", in_path, "JSONL: the `saywhen text --input` format plus \"label\" (and optional \"lang\")")
      ->required();
  cmd->add_option("--model", model_dir, "Text model folder; default: the shipped text-turn");
  cmd->add_option("--models", models_dir, "Folder searched first for text-turn/");
  cmd->add_option("--scheme", scheme_name,
                  "Labels of the input: four (finished/unfinished/wait/backchannel), ten (finished/unfinished/wait), "
                  "012 (0 unfinished, 1 finished, 2 wait) or speak-wait (speak/wait or 1/0); the model's labels "
                  "and probabilities fold into the scheme's classes")
      ->capture_default_str();
  cmd->add_option("--threshold", threshold_specs, "LANG=P or LANG:LABEL=P (as `saywhen text`); repeatable");
  cmd->add_option("--threads", threads, "Lines predicted in parallel (latency is per prediction)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--json", as_json, "Print one JSON object instead of tables");
  cmd->add_option("--plot", plot_path, "Draw the confusion matrix to this PNG file");
  cmd->callback([] {
    const Scheme& scheme = scheme_named(scheme_name);
    const int K = static_cast<int>(scheme.classes.size());
    const int wait_class = K >= 3 ? 2 : -1;  // the wait label (speak-wait's "wait" is "do not speak")
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
        if (it == tl.raw.end()) throw Error("missing \"label\"");
        truth.push_back(scheme.truth(*it));
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
    all.k = K;
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
      int t = truth[i], k = scheme.fold(p.label);
      all.add(t, k);
      Counts& lc = by_lang[langs[i].empty() ? p.language : langs[i]];
      lc.k = K;
      lc.add(t, k);
      lat.push_back(p.latency_ms);
      // Calibration of the probabilities themselves (argmax confidence), in the scheme's classes.
      const std::array<double, L> probs = fold_probs(scheme, p.probs);
      int top = static_cast<int>(std::max_element(probs.begin(), probs.begin() + K) - probs.begin());
      double conf = probs[static_cast<size_t>(top)];
      int b = std::min(kBins - 1, static_cast<int>(conf * kBins));
      bin_conf[b] += conf, bin_acc[b] += top == t, ++bin_n[b];
      nll -= std::log(std::max(1e-7, probs[static_cast<size_t>(t)]));
      for (int j = 0; j < K; ++j) {
        double d = probs[static_cast<size_t>(j)] - (j == t ? 1.0 : 0.0);
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
    j["scheme"] = scheme.name;
    j["n"] = all.n;
    j["errors"] = errors;
    j["accuracy"] = static_cast<double>(all.correct) / n;
    j["macro_f1"] = macro_f1(all);
    double fu = finished_unfinished_f1(all);
    j["finished_unfinished_macro_f1"] = std::isnan(fu) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(fu);
    for (int k = 0; k < K; ++k) {
      const auto& s = stats[static_cast<size_t>(k)];
      j["labels"][scheme.classes[static_cast<size_t>(k)]] = {
          {"precision", s.precision}, {"recall", s.recall}, {"f1", s.f1}, {"support", s.support}};
    }
    nlohmann::ordered_json cm = nlohmann::ordered_json::array();
    for (int t = 0; t < K; ++t) {
      nlohmann::ordered_json row = nlohmann::ordered_json::array();
      for (int p = 0; p < K; ++p) row.push_back(all.cm[t][p]);
      cm.push_back(row);
    }
    j["confusion"] = {{"rows", "true"}, {"columns", "predicted"},
                      {"labels", scheme.classes}, {"matrix", cm}};
    for (const auto& [lang, c] : by_lang) {
      double lfu = finished_unfinished_f1(c);
      j["languages"][lang] = {{"n", c.n},
                              {"accuracy", static_cast<double>(c.correct) / static_cast<double>(std::max(1L, c.n))},
                              {"macro_f1", macro_f1(c)},
                              {"finished_unfinished_macro_f1",
                               std::isnan(lfu) ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(lfu)},
                              {"wait_recall", wait_class >= 0 && label_stats(c)[2].support
                                                  ? nlohmann::ordered_json(label_stats(c)[2].recall)
                                                  : nlohmann::ordered_json(nullptr)}};
    }
    j["calibration"] = {{"ece", ece}, {"bins", kBins}, {"nll", nll / n}, {"brier", brier / n}};
    j["latency_ms"] = {{"p50", percentile(lat, 50)}, {"p95", percentile(lat, 95)}, {"threads", threads}};

    if (as_json) {
      std::cout << dump_line(j) << "\n";
    } else {
      std::printf("%s on %s: %ld lines", model->dir().c_str(), in_path.c_str(), all.n);
      if (scheme.name != "four") std::printf(", scheme %s", scheme.name.c_str());
      if (errors) std::printf(" (%zu lines not scored)", errors);
      std::printf("\naccuracy %.4f   macro-F1 %.4f   %s macro-F1 %s\n\n", static_cast<double>(all.correct) / n,
                  macro_f1(all), K == 2 ? "speak-vs-wait" : "finished-vs-unfinished",
                  std::isnan(fu) ? "n/a" : std::to_string(fu).substr(0, 6).c_str());
      std::printf("%-12s %9s %9s %9s %9s\n", "label", "precision", "recall", "F1", "support");
      for (int k = 0; k < K; ++k) {
        const auto& s = stats[static_cast<size_t>(k)];
        std::printf("%-12s %9.4f %9.4f %9.4f %9ld\n", scheme.classes[static_cast<size_t>(k)].c_str(), s.precision,
                    s.recall, s.f1, s.support);
      }
      std::printf("\nconfusion (rows true, columns predicted)\n%-12s", "");
      for (int p = 0; p < K; ++p) std::printf(" %11s", scheme.classes[static_cast<size_t>(p)].c_str());
      std::printf("\n");
      for (int t = 0; t < K; ++t) {
        std::printf("%-12s", scheme.classes[static_cast<size_t>(t)].c_str());
        for (int p = 0; p < K; ++p) std::printf(" %11ld", all.cm[t][p]);
        std::printf("\n");
      }
      std::printf("\n%-8s %7s %9s %9s %11s %11s\n", "language", "n", "accuracy", "macro-F1", "fin/unf F1",
                  "wait recall");
      for (const auto& [lang, c] : by_lang) {
        double lfu = finished_unfinished_f1(c);
        auto ls = label_stats(c);
        char fu_s[16] = "n/a", wr_s[16] = "n/a";
        if (!std::isnan(lfu)) std::snprintf(fu_s, sizeof fu_s, "%.4f", lfu);
        if (wait_class >= 0 && ls[2].support) std::snprintf(wr_s, sizeof wr_s, "%.4f", ls[2].recall);
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
      draw_confusion(all, scheme.classes, title, plot_path);
      if (!as_json) std::printf("confusion matrix: %s\n", plot_path.c_str());
    }
    if (errors) throw CLI::RuntimeError(1);
  });
}

}  // namespace saywhen::cli
