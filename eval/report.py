#!/usr/bin/env python3
"""Markdown tables from `saywhen eval-turns --json` output (for docs/evaluation.md).

Usage: eval/report.py RESULTS.json > tables.md
"""

import json
import sys

POLICIES = ["vad", "pipecat", "saywhen", "saywhen+text"]
NAMES = {"vad": "VAD silence only (0.8 s)", "pipecat": "Pipecat-compatible preset (0.5)",
         "saywhen": "saywhen, audio only", "saywhen+text": "saywhen, audio + transcript"}


def pct(v):
    return "–" if v is None else f"{100 * v:.1f}%"


def ms(v):
    return "–" if v is None else f"{1000 * v:.0f} ms"


def table(group, res):
    out = [f"| policy | FC@300 | FC@600 | Lat@5% | Lat@10% | at its default: FC / latency |",
           "|---|---:|---:|---:|---:|---:|"]
    for p in POLICIES:
        m = res.get(p)
        if not m:
            continue
        out.append(f"| {NAMES[p]} | {pct(m['fc300'])} | {pct(m['fc600'])} | {ms(m['lat5_s'])} | "
                   f"{ms(m['lat10_s'])} | {pct(m['default_fc'])} / {ms(m['default_latency_s'])} |")
    return "\n".join(out)


def main():
    data = json.load(open(sys.argv[1]))
    n = next(iter(data["all"].values()))["n"]
    print(f"### All {n} examples\n")
    print(table("all", data["all"]))
    for prefix, title in (("condition=", "By condition"), ("lang=", "By language"), ("pattern=", "By pattern")):
        print(f"\n### {title}\n")
        print("| group | n | policy: FC@300 · Lat@5% |")
        print("|---|---:|---|")
        for g in sorted(k for k in data if k.startswith(prefix)):
            cells = []
            for p in POLICIES:
                m = data[g].get(p)
                if m:
                    cells.append(f"{p} {pct(m['fc300'])} · {ms(m['lat5_s'])}")
            print(f"| {g[len(prefix):]} | {next(iter(data[g].values()))['n']} | {'; '.join(cells)} |")


if __name__ == "__main__":
    main()
