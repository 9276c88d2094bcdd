#!/usr/bin/env python3
"""Choose the saywhen preset's eager_threshold on the development half of the evaluation set.

`end_of_turn_eager` lets an agent start its LLM before the final `end_of_turn`; if the user goes
on, `turn_resumed` follows and the early answer is thrown away. So an eager threshold trades
the time it saves at the true end of a turn against wasted early answers in mid-turn pauses.
This script replays the saywhen policy's eager events, as src/turn/saywhen_policy.cpp emits
them, on a dense dump (`eval-turns --dump-scores`, see eval/tune.py) with the decision rule and
default threshold eval/tune.py chose (its --out JSON):

  - at each kept score of a pause (first at pause_ms, then every rescore_ms, before the
    silence timeout), the turn ends if score >= threshold (+ the early margin); otherwise an
    eager event fires if score >= eager_threshold (+ the same margin) and none fired yet in
    this pause;
  - **saved**: at the true end, the final decision's time minus the eager event's (0 when no
    eager event came first), averaged over the turns that were not cut off;
  - **wasted**: eager events in pauses the user then resumed from, per turn.

Chosen on dev with the transcript (an agent that runs an LLM has a transcript): the
threshold that saves the most time while wasting at most --max-wasted (default 0.5) early
answers per turn. Usage:

    eval/tune_eager.py dense.jsonl [more.jsonl ...] --tune tune.json [--max-wasted 0.5]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tune  # noqa: E402

GRID = [round(0.02 * i, 2) for i in range(0, 51)]  # eager thresholds 0 .. 1 (0: off)


def replay(rec, rule, threshold, eager, timeout, with_text):
    """(final decision time, [eager event times], [pause start times]) for one example."""
    first = rule["pause_ms"] / 1000.0
    step = rule["rescore_ms"] / 1000.0
    w = rule["text_weight"]
    eagers, eager_sent, last_pause = [], False, None
    for t, ps, a, x, _ in rec["scores"]:
        if t > timeout + 1e-9:
            break
        if last_pause is None or ps < last_pause - 1e-9:
            eager_sent = False  # a new pause: the user spoke in between
        last_pause = ps
        k = (ps - first) / step
        if ps < first - 1e-6 or abs(k - round(k)) > 1e-6 or a is None:
            continue
        s = a if not with_text or x is None else (1 - w) * a + w * x
        extra = float(tune.early_margin(rule, ps))
        if s >= threshold + extra:
            return t, eagers
        if eager > 0 and not eager_sent and s >= eager + extra:
            eagers.append(t)
            eager_sent = True
    return timeout, eagers


def evaluate(recs, ids, rule, threshold, eager, with_text):
    to = tune.timeouts(recs, ids, rule["max_silence_s"])
    saved, wasted, kept = 0.0, 0, 0
    for n, i in enumerate(ids):
        rec = recs[i]["saywhen+text"]
        end = rec["turn_end_s"]
        d, eagers = replay(rec, rule, threshold, eager, to[n], with_text)
        if d < end - 1e-9:  # cut off: the eager events before it are not the question here
            continue
        kept += 1
        at_end = [e for e in eagers if e >= end - 1e-9]
        if at_end:
            saved += d - at_end[0]
        wasted += sum(1 for e in eagers if e < end - 1e-9)
    return {"saved_s": saved / max(kept, 1), "wasted_per_turn": wasted / max(kept, 1), "turns": kept}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scores", nargs="+")
    ap.add_argument("--tune", required=True, help="eval/tune.py --out JSON (rule and default threshold)")
    ap.add_argument("--max-wasted", type=float, default=0.5)
    ap.add_argument("--out")
    a = ap.parse_args()
    t = json.load(open(a.tune))
    rule, threshold = t["rule"], t["default_threshold"]
    recs = tune.load(*a.scores)
    tune.observe(recs)
    side = tune.split(recs)
    halves = {h: sorted(i for i in recs if side[i] == h) for h in ("dev", "test")}
    rows = []
    for e in GRID:
        if e >= threshold:
            break
        row = {"eager_threshold": e}
        for h, ids in halves.items():
            for pol, wt in (("saywhen", False), ("saywhen+text", True)):
                row[f"{h} {pol}"] = evaluate(recs, ids, rule, threshold, e, wt)
        rows.append(row)
    ok = [r for r in rows if r["eager_threshold"] > 0 and r["dev saywhen+text"]["wasted_per_turn"] <= a.max_wasted]
    best = max(ok, key=lambda r: r["dev saywhen+text"]["saved_s"]) if ok else None
    print(f"rule {rule}, threshold {threshold}; eager events (saved s at the true end / wasted per turn):")
    print("  eager | dev audio      | dev +text      | test audio     | test +text")
    for r in rows:
        cells = " | ".join(f"{r[k]['saved_s']:5.2f} / {r[k]['wasted_per_turn']:4.2f}"
                           for k in ("dev saywhen", "dev saywhen+text", "test saywhen", "test saywhen+text"))
        mark = "  <- chosen" if best is r else ""
        print(f"  {r['eager_threshold']:5.2f} | {cells}{mark}")
    print("chosen on dev (+text, wasted <= %.2f per turn): %s" % (a.max_wasted, best and best["eager_threshold"]))
    if a.out:
        json.dump({"rule": rule, "threshold": threshold, "max_wasted": a.max_wasted, "rows": rows,
                   "chosen": best and best["eager_threshold"]}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
