#!/usr/bin/env python3
"""Print the metric tables of MODEL_CARD.md from training/metrics/*.json (markdown)."""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = ["finished", "unfinished", "wait", "backchannel"]


def tables(path, title):
    r = json.load(open(path))
    out = [f"### {title}", "",
           f"n = {r['n']}, accuracy **{r['accuracy']:.4f}**, macro-F1 (4 labels) **{r['macro_f1']:.4f}**, "
           f"ECE {r['ece']:.4f}; accuracy while the agent speaks {r['accuracy_agent_speaking']:.4f}, "
           f"while it listens {r['accuracy_agent_listening']:.4f}.", "",
           "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for l in LABELS:
        d = r["labels"][l]
        out.append(f"| {l} | {d['precision']:.3f} | {d['recall']:.3f} | {d['f1']:.3f} | {d['support']} |")
    out += ["", "Confusion (rows gold, columns predicted; " + ", ".join(LABELS) + "):", "", "```"]
    for l, row in zip(LABELS, r["confusion"]):
        out.append(f"{l:12s} " + " ".join(f"{c:7d}" for c in row))
    out += ["```", "", "| lang | n | accuracy | finished-vs-unfinished macro-F1 | recall finished | recall unfinished | recall wait | recall backchannel |",
            "|---|---|---|---|---|---|---|---|"]
    for lang, d in r["per_language"].items():
        g = lambda k: f"{d[k]:.3f}" if k in d else "–"
        out.append(f"| {lang} | {d['n']} | {d['accuracy']:.3f} | {g('fin_unfin_macro_f1')} | {g('recall_finished')} | "
                   f"{g('recall_unfinished')} | {g('recall_wait')} | {g('recall_backchannel')} |")
    out += ["", "Accuracy per source: " + ", ".join(f"{s} {a:.3f}" for s, a in r["per_source_accuracy"].items()), ""]
    return "\n".join(out)


def threshold_table(path):
    """The dev-optimal p(finished) thresholds export.py found, and the temperature it folded in."""
    r = json.load(open(path))
    search = r["dev_threshold_search"]
    langs = sorted(search)
    return "\n".join([
        f"Temperature folded into the graph: T = {r['temperature']:.3f} (dev ECE {r['dev_ece_before']:.4f} → "
        f"{r['dev_ece_after']:.4f}).", "",
        "| lang | " + " | ".join(langs) + " |", "|---|" + "---|" * len(langs),
        "| dev-optimal p(finished) threshold | " + " | ".join(f"{search[l]['best_threshold']:.3f}" for l in langs) + " |",
        "| dev finished-vs-unfinished macro-F1 at it | " + " | ".join(f"{search[l]['macro_f1_at_best']:.3f}" for l in langs)
        + " |", ""])


def probe_table(metrics_dir):
    """Right answers on each probe file that run_all.sh scored (eval-text --json)."""
    out = ["| file | right | accuracy | wait recall |", "|---|---|---|---|"]
    for name in sorted(f for f in os.listdir(metrics_dir) if f.startswith("probes")):
        r = json.load(open(os.path.join(metrics_dir, name)))
        right = round(r["accuracy"] * r["n"])
        wait = r["labels"]["wait"]
        recall = f"{wait['recall']:.2f}" if wait["support"] else "– (none)"
        out.append(f"| `{name[:-5]}.jsonl` | {right} of {r['n']} | {r['accuracy']:.3f} | {recall} |")
    return "\n".join(out + [""])


if __name__ == "__main__":
    m = os.path.join(HERE, "metrics")
    print(tables(os.path.join(m, "test.json"), "Test split (project's own, permissive sources)"))
    if os.path.exists(os.path.join(m, "evalonly.json")):
        print(tables(os.path.join(m, "evalonly.json"), "Evaluation-only sources (NC licences, never trained on: xdailydialog en/zh/de/it, leyzer pl)"))
    print(probe_table(m))
    print(threshold_table(os.path.join(m, "export.json")))
