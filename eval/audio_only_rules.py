#!/usr/bin/env python3
"""Can any rule of the saywhen family make audio only (no transcript) beat the Pipecat preset on FC@300?

Replays the dumps tune.py reads (same functions, same dev/test split), audio-only policy only.

Usage: eval/audio_only_rules.py dense.jsonl dense2.jsonl [--out res.json] [--quick] [--rule JSON] [--bound]
Chooses on dev by FC@300 (lower better), then Lat@5%, subject to Lat@5% < Pipecat's dev Lat@5%.
--bound: instead, for each first-score delay, the lowest FC@300 each half reaches with the rule chosen on
that same half (no Lat@5% condition): a bound on what any choice of rule can do.
"""
import argparse
import itertools
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune  # noqa: E402

RUN4 = {"pause_ms": 96, "rescore_ms": 384, "max_silence_s": 2.25, "text_weight": 1.0,
        "threshold_early": 0.7, "threshold_relax_s": 3.0}
RUN4_KNOB = 0.29


def knobs_for(rule):
    # tune.knob_grid for early >= 0 (as eval-turns); for a negative margin extend the top end
    e = rule["threshold_early"]
    if e >= 0:
        return tune.knob_grid(rule)
    hi = 100 - round(100 * e)
    return [round(0.01 * i, 2) for i in range(0, hi + 1)]


def audio_metrics(P, rule, to):
    return tune.metrics(tune.saywhen_decisions(P, rule, False, knobs_for(rule), to), P.end, None)


def key(m, pip_lat5):
    fc = m["fc300"]
    lat5 = m["lat5_s"]
    ok = lat5 is not None and lat5 < pip_lat5
    return (0 if ok else 1, 9.0 if fc is None else fc, 9.0 if lat5 is None else lat5,
            9.0 if m["fc600"] is None else m["fc600"])


def rules(grid):
    """Every rule of the grid, one representative where the early margin has no effect."""
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        rule = dict(zip(keys, values))
        rule["text_weight"] = 1.0
        if rule["threshold_early"] == 0 or rule["threshold_relax_s"] <= rule["pause_ms"] / 1000.0:
            if not (rule["threshold_early"] == 0 and rule["threshold_relax_s"] == grid["threshold_relax_s"][0]):
                continue
        yield rule


def bound(recs, halves, grid, pip):
    for h in ("dev", "test"):
        ids = halves[h]
        P = tune.Padded([recs[i]["saywhen+text"] for i in ids])
        to = {x: tune.timeouts(recs, ids, x) for x in grid["max_silence_s"]}
        best = {}
        for rule in rules(grid):
            m = audio_metrics(P, rule, to[rule["max_silence_s"]])
            pm = rule["pause_ms"]
            if m["fc300"] is not None and (pm not in best or m["fc300"] < best[pm][0]["fc300"]):
                best[pm] = (m, rule)
        print(f"{h}: pipecat {tune.fmt(pip[h])}")
        for pm in sorted(best):
            print(f"  first score at {pm} ms: lowest {tune.fmt(best[pm][0])}\n      {best[pm][1]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scores", nargs="+")
    ap.add_argument("--out")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--rule", help="JSON rule: skip the search, report this rule")
    ap.add_argument("--bound", action="store_true", help="lowest FC@300 per half, the rule chosen on that half")
    a = ap.parse_args()
    recs = tune.load(*a.scores)
    pause_grid = tune.observe(recs)
    side = tune.split(recs)
    halves = {"dev": sorted(i for i in recs if side[i] == "dev"),
              "test": sorted(i for i in recs if side[i] == "test"),
              "all": sorted(recs)}
    dev = halves["dev"]
    print(f"first {tune.FIRST0:.3f} step {tune.STEP0:.3f}; dev {len(dev)} test {len(halves['test'])}", file=sys.stderr)

    # Pipecat on each half
    pip = {}
    for h, ids in halves.items():
        Q = tune.Padded([recs[i]["pipecat"] for i in ids])
        pip[h] = tune.metrics(tune.fixed_decisions(Q, tune.GRID, False), Q.end, tune.default_col(0.5))
    pip_lat5 = pip["dev"]["lat5_s"]
    print("pipecat dev", tune.fmt(pip["dev"]), file=sys.stderr)

    if a.rule:
        grid = {k: [v] for k, v in json.loads(a.rule).items() if k != "text_weight"}
    elif a.bound:
        # first scores that can still reach 300 ms of mean latency; ~2 200 rules, ~6 min on a dump with a 96 ms step
        grid = {"pause_ms": [p for p in pause_grid if p < 250], "rescore_ms": [192, 384, 576, 768, 960, 1344],
                "max_silence_s": [1.5, 1.75, 2.0, 2.1, 2.25], "threshold_early": [-0.2, 0.0, 0.2, 0.4, 0.7, 1.0, 1.5],
                "threshold_relax_s": [0.5, 1.0, 2.0, 3.0, 6.0]}
    elif a.quick:
        grid = {"pause_ms": pause_grid, "rescore_ms": [192, 384], "max_silence_s": [2.25],
                "threshold_early": [0.0, 0.7], "threshold_relax_s": [3.0]}
    else:
        grid = {"pause_ms": pause_grid,
                "rescore_ms": [192, 384, 576, 768, 960, 1344, 1920, 2880],
                "max_silence_s": [1.5, 1.75, 2.0, 2.1, 2.25, 2.5, 2.75, 3.0],
                "threshold_early": [-0.2, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5],
                "threshold_relax_s": [0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0]}
    # A rule can only be replayed up to the longest silence the dump scored (its max_silence_s), and
    # re-score on the dump's own step
    dump_max = max(sc[1] for pol in recs.values() for sc in pol["saywhen+text"]["scores"])
    grid["max_silence_s"] = [x for x in grid["max_silence_s"] if x <= dump_max + 0.05]
    if not a.rule:
        grid["rescore_ms"] = sorted({round(1000 * tune.STEP0)} | set(grid["rescore_ms"]))
    if a.bound:
        bound(recs, halves, grid, pip)
        return
    P = tune.Padded([recs[i]["saywhen+text"] for i in dev])
    dev_to = {x: tune.timeouts(recs, dev, x) for x in grid["max_silence_s"]}
    results = []
    t0 = time.time()
    for rule in rules(grid):
        m = audio_metrics(P, rule, dev_to[rule["max_silence_s"]])
        results.append((key(m, pip_lat5), rule, m))
    print(f"{len(results)} rules in {time.time() - t0:.0f} s", file=sys.stderr)
    results.sort(key=lambda r: r[0])
    print("\ntop 15 on dev (audio only; constraint Lat@5%% < pipecat dev %.0f ms):" % (1000 * pip_lat5))
    for k, rule, m in results[:15]:
        print(f"  ok={k[0] == 0} {rule}\n      {tune.fmt(m)}")
    # also best by FC@300 ignoring the constraint
    best_any = min(results, key=lambda r: r[0][1])
    print("\nbest dev FC@300 ignoring Lat constraint:", best_any[1], tune.fmt(best_any[2]))
    # per pause_ms best
    for pm in grid["pause_ms"]:
        rs = [r for r in results if r[1]["pause_ms"] == pm]
        if rs:
            print(f"best with pause_ms={pm}: {rs[0][1]} {tune.fmt(rs[0][2])}")

    best = results[0][1]
    # Default knob for the best rule: least FC + latency/2 on dev (audio only), as tune.py but one policy
    kg = knobs_for(best)
    pa = tune.curve(tune.saywhen_decisions(P, best, False, kg, dev_to[best["max_silence_s"]]), P.end)
    cost = [f + l / 2 for f, l in pa]
    best_knob = kg[min((i for i in range(len(kg)) if not math.isnan(cost[i])), key=lambda i: cost[i])]

    def audio_eval(ids, rule, knob):
        Pp = tune.Padded([recs[i]["saywhen+text"] for i in ids])
        kg_ = knobs_for(rule)
        to = tune.timeouts(recs, ids, rule["max_silence_s"])
        return tune.metrics(tune.saywhen_decisions(Pp, rule, False, kg_, to), Pp.end, tune.default_col(knob, kg_))

    # Run 4's rule, where the dump's grid can replay it (first score at 96 ms, re-scoring in steps of it).
    k = RUN4["rescore_ms"] / 1000.0 / tune.STEP0
    run4_ok = RUN4["pause_ms"] in pause_grid and abs(k - round(k)) < 1e-6
    na = {"fc300": None, "fc600": None, "lat5_s": None, "lat10_s": None}

    def run4_eval(ids):
        return audio_eval(ids, RUN4, RUN4_KNOB) if run4_ok else na

    def pip_eval(ids):
        Q = tune.Padded([recs[i]["pipecat"] for i in ids])
        return tune.metrics(tune.fixed_decisions(Q, tune.GRID, False), Q.end, tune.default_col(0.5))

    report = {"grid": grid, "n_rules": len(results), "best": best, "best_knob": best_knob,
              "top": [{"rule": r, "dev": m} for _, r, m in results[:30]], "halves": {}, "langs": {}}
    print(f"\nchosen: {best}, default knob (audio-only dev) {best_knob}")
    for h, ids in halves.items():
        mb = audio_eval(ids, best, best_knob)
        m4 = run4_eval(ids)
        report["halves"][h] = {"best": mb, "run4": m4, "pipecat": pip[h]}
        print(f"\n{h} (n={len(ids)}):")
        print(f"  pipecat     {tune.fmt(pip[h])}")
        print(f"  run4 audio  {tune.fmt(m4)}")
        print(f"  best audio  {tune.fmt(mb)}")
    # per language, whole set and test
    for h in ("all", "test", "dev"):
        ids = halves[h]
        langs = sorted({recs[i]["saywhen+text"]["lang"] for i in ids})
        wins_fc = wins_both = wins4 = 0
        report["langs"][h] = {}
        print(f"\nper language ({h}): FC@300 / Lat@5%  pipecat | run4 audio | best audio")
        for lang in langs:
            sub = [i for i in ids if recs[i]["saywhen+text"]["lang"] == lang]
            mp, m4, mb = pip_eval(sub), run4_eval(sub), audio_eval(sub, best, best_knob)
            report["langs"][h][lang] = {"n": len(sub), "pipecat": mp, "run4": m4, "best": mb}
            f = lambda v: 9 if v is None else v
            win = f(mb["fc300"]) < f(mp["fc300"])
            winl = f(mb["lat5_s"]) < f(mp["lat5_s"])
            win4 = f(m4["fc300"]) < f(mp["fc300"])
            wins_fc += win
            wins_both += win and winl
            wins4 += win4
            p = lambda v: "  -  " if v is None else f"{100 * v:5.1f}%"
            s = lambda v: "  -  " if v is None else f"{1000 * v:5.0f}ms"
            print(f"  {lang} n={len(sub):3d}  {p(mp['fc300'])} {s(mp['lat5_s'])} | {p(m4['fc300'])} {s(m4['lat5_s'])} | "
                  f"{p(mb['fc300'])} {s(mb['lat5_s'])}  {'WIN' if win else '   '}{' lat-ok' if winl else ''}")
        print(f"  {h}: best wins FC@300 in {wins_fc}/{len(langs)} languages "
              f"({wins_both} with Lat@5% better too); run4 rule wins FC@300 in {wins4}/{len(langs)}")
        report["langs"][h]["_wins"] = {"best_fc300": wins_fc, "best_fc300_and_lat5": wins_both, "run4_fc300": wins4}
    if a.out:
        json.dump(report, open(a.out, "w"), indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o))


if __name__ == "__main__":
    main()
