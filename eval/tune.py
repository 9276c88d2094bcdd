#!/usr/bin/env python3
"""Choose the saywhen preset's decision rule on a development half of the evaluation set.

Input: the scores `saywhen eval-turns --dump-scores FILE.jsonl` wrote for the set, observed
densely (the saywhen policies with `--param pause_ms=96 --param rescore_ms=192 --param
max_silence_s=3`: a score after 96 ms of every pause, then every 192 ms up to 3 s), so that
sparser rules can be replayed exactly by keeping a subset of the scores; the `vad` policy's
trace of the same dump (every 32 ms window of every pause, same VAD settings) gives the time
at which any silence timeout up to 3 s fires. For each candidate rule it replays the decisions of the saywhen policies at every
knob (threshold) value, as `eval-turns` does, and reads the same metrics (FC@300, FC@600,
Lat@5%, Lat@10%: docs/evaluation.md).

The rule family (src/turn/saywhen_policy.cpp, parameters of the saywhen preset):
  - pause_ms:          the silence before the first score of a pause;
  - max_silence_s:     the silence timeout;
  - rescore_ms:        the interval between scores while the pause lasts;
  - text_weight:       score = (1 - w) * Smart Turn p + w * text model p(finished);
  - threshold_early, threshold_relax_s: the turn ends at the first score >= threshold +
    threshold_early * clamp((threshold_relax_s - pause_s) / (threshold_relax_s - pause_ms), 0, 1),
    i.e. an extra margin at the first score that falls linearly to 0 at threshold_relax_s.
A decision is the first score over the threshold before the timeout, else the timeout, as in
eval-turns.

Split: by turn, so that the clean / noisy / 8 kHz copies of a turn fall on one side; within each
language the turns are ordered by the SHA-1 of their turn_id and alternate dev, test, dev, ...
(deterministic, balanced by language). The rule is chosen on dev only, by the objective
  FC@300 + FC@600 + (Lat@5% + Lat@10%) / 4 s, summed over the two saywhen policies
(audio only and audio + transcript; a metric the curve never reaches counts as 1 / 4 s), and is
then reported on test and on the whole set, with the Pipecat-compatible preset and the VAD
baseline read from the same dump. The default threshold (the preset's operating point) is also
chosen on dev: the least false cut-off rate + mean latency / 2 s, summed over the two policies.

Usage:
  SAYWHEN_MODELS=../shared/models nice BUILD/saywhen eval-turns --set eval/out --threads 2 \\
      --param pause_ms=96 --param rescore_ms=192 --param max_silence_s=3 \
      --dump-scores scores.jsonl --json > dense.json
  ~/.cache/saywhen/venv/bin/python eval/tune.py scores.jsonl [more.jsonl ...] [--out tune.json]
(Several dumps are merged by example id, later files winning for a policy they share: e.g. the
Pipecat policy's records from an earlier dump.)
"""

import argparse
import hashlib
import itertools
import json
import math
import sys
from collections import defaultdict

import numpy as np

FIRST0 = None  # s: the dump's first score of a pause (its pause_ms), read from the dump
STEP0 = None   # s: the dump's re-scoring interval (its rescore_ms), read from the dump
GRID = [round(0.01 * i, 2) for i in range(101)]  # thresholds, as eval-turns (pipecat)


def knob_grid(rule):
    """The saywhen policies' thresholds, as eval-turns: -threshold_early to 1 in steps of 0.01
    (so that the threshold at the first score of a pause covers 0 to 1 + threshold_early)."""
    lo = -round(100 * rule["threshold_early"])
    return [round(0.01 * i, 2) for i in range(lo, 101)]
VAD_GRID = [0.16 + 0.032 * i for i in range(int((3.0 - 0.16) / 0.032 + 1e-9) + 1)]

# pause_ms: the dump's pause_ms + k * its rescore_ms; rescore_ms: multiples of the dump's.
SEARCH = {
    "pause_ms": [96, 288],  # replaced by the dump's grid (observe)
    "rescore_ms": [192, 384, 576],
    "max_silence_s": [2.0, 2.25, 2.5, 3.0],
    "text_weight": [0.6, 0.7, 0.8, 0.9, 1.0],
    "threshold_early": [0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0],
    "threshold_relax_s": [0.5, 1.0, 1.5, 2.0, 3.0],
}


def load(*paths):
    recs = defaultdict(dict)  # id -> policy -> record
    for path in paths:
        for line in open(path):
            r = json.loads(line)
            recs[r["id"]][r["policy"]] = r
    return recs


def timeouts(recs, ids, max_silence_s):
    """The time each example's silence timeout fires (from the vad policy's every-window trace):
    the first window with pause_s >= max_silence_s, as the saywhen policy checks it."""
    out = np.full(len(ids), np.inf)
    for n, i in enumerate(ids):
        for t, ps, *_ in recs[i]["vad"]["scores"]:
            if ps >= max_silence_s:
                out[n] = t
                break
    return out


def split(recs):
    """id -> 'dev' | 'test', by turn, alternating within each language in SHA-1 order."""
    turns = defaultdict(set)
    for rid, pol in recs.items():
        r = next(iter(pol.values()))
        turns[r["lang"]].add(r["turn_id"])
    side = {}
    for lang, ids in turns.items():
        for i, t in enumerate(sorted(ids, key=lambda t: hashlib.sha1(t.encode()).hexdigest())):
            side[t] = "dev" if i % 2 == 0 else "test"
    return {rid: side[next(iter(pol.values()))["turn_id"]] for rid, pol in recs.items()}


class Padded:
    """One policy's scores for a list of examples, padded to arrays (N, M)."""

    def __init__(self, records):
        self.n = len(records)
        m = max(1, max(len(r["scores"]) for r in records))
        self.t = np.full((self.n, m), np.inf)
        self.pause = np.zeros((self.n, m))
        self.audio = np.full((self.n, m), np.nan, dtype=np.float32)
        self.text = np.full((self.n, m), np.nan, dtype=np.float32)
        self.score = np.full((self.n, m), np.nan, dtype=np.float32)
        self.valid = np.zeros((self.n, m), dtype=bool)
        self.end = np.array([r["turn_end_s"] for r in records])
        self.timeout = np.array([np.inf if r["timeout_t"] is None else r["timeout_t"] for r in records])
        for i, r in enumerate(records):
            for j, (t, ps, a, x, s) in enumerate(r["scores"]):
                self.t[i, j], self.pause[i, j] = t, ps
                self.audio[i, j] = np.nan if a is None else a
                self.text[i, j] = np.nan if x is None else x
                self.score[i, j] = np.nan if s is None else s
                self.valid[i, j] = True


def curve(dec, end):
    """(K, N) decision times -> list of (fc, mean latency) per knob, as eval-turns' curve()."""
    fc_mask = dec < end[None, :] - 1e-9
    ok = ~fc_mask & np.isfinite(dec)
    lat = np.where(ok, dec - end[None, :], 0.0).sum(1)
    n = ok.sum(1)
    fc = fc_mask.sum(1) / dec.shape[1]
    return [(f, l / k if k else math.nan) for f, l, k in zip(fc, lat, n)]


def read_curve(pts, x_is_latency, at):
    for (fa, la), (fb, lb) in zip(pts, pts[1:]):
        xa, xb = (la, lb) if x_is_latency else (fa, fb)
        ya, yb = (fa, fb) if x_is_latency else (la, lb)
        if any(math.isnan(v) for v in (xa, xb, ya, yb)):
            continue
        if (xa - at) * (xb - at) <= 0 and xa != xb:
            return ya + (yb - ya) * (at - xa) / (xb - xa)
        if xa == at:
            return ya
    return None


def metrics(dec, end, default_col):
    pts = curve(dec, end)
    default_col = None if default_col is None else min(default_col, len(pts) - 1)
    d = pts[default_col] if default_col is not None else (None, None)
    return {"n": int(dec.shape[1]), "fc300": read_curve(pts, True, 0.3), "fc600": read_curve(pts, True, 0.6),
            "lat5_s": read_curve(pts, False, 0.05), "lat10_s": read_curve(pts, False, 0.10),
            "default_fc": None if d[0] is None else float(d[0]),
            "default_latency_s": None if d[1] is None or math.isnan(d[1]) else float(d[1])}


def first_true(mask, t, timeout):
    """mask (K, N, M) -> (K, N) time of the first true score before the timeout, else the timeout
    (as eval-turns: scores after the policy's own timeout belong to a turn it already ended)."""
    mask = mask & (np.broadcast_to(t, mask.shape) <= timeout[None, :, None] + 1e-9)
    any_ = mask.any(2)
    idx = mask.argmax(2)
    times = np.take_along_axis(np.broadcast_to(t, mask.shape), idx[..., None], 2)[..., 0]
    return np.where(any_, times, timeout[None, :])


def observe(recs):
    """Reads the dump's observation grid (its first score of a pause and its re-scoring
    interval) into FIRST0 / STEP0; returns the first-score delays (ms) a replayed rule can
    take: the grid's points up to 300 ms (e.g. 96 and 288 ms for a dump at 96 + k * 192 ms)."""
    global FIRST0, STEP0
    FIRST0 = min(s[1] for pol in recs.values() for s in pol["saywhen+text"]["scores"])
    STEP0 = min(b[1] - a_[1] for pol in recs.values() for a_, b in zip(pol["saywhen+text"]["scores"],
                                                                        pol["saywhen+text"]["scores"][1:])
                if b[1] > a_[1] + 1e-6)
    print(f"observation: first score at {1000 * FIRST0:.0f} ms, then every {1000 * STEP0:.0f} ms", file=sys.stderr)
    n = int((0.3 - FIRST0) / STEP0 + 1e-6) + 1
    return [round(1000 * (FIRST0 + i * STEP0)) for i in range(n)]


def early_margin(rule, pause_s):
    """The extra score the rule asks for after pause_s of silence (an array or a number):
    threshold_early at the first score, falling linearly to 0 at threshold_relax_s."""
    first = rule["pause_ms"] / 1000.0
    relax, early = rule["threshold_relax_s"], rule["threshold_early"]
    if early == 0 or relax <= first:
        return np.zeros_like(pause_s, dtype=np.float64)
    return early * np.clip((relax - np.asarray(pause_s)) / (relax - first), 0.0, 1.0)


def saywhen_decisions(P, rule, with_text, knobs, timeout):
    """(K, N) decision times of the saywhen rule for each knob in `knobs` (timeout: (N,) times)."""
    first = rule["pause_ms"] / 1000.0
    step = int(round(rule["rescore_ms"] / 1000.0 / STEP0))
    j = np.rint((P.pause - FIRST0) / STEP0).astype(int)  # 0, 1, 2, ... within each pause
    j0 = int(round((first - FIRST0) / STEP0))
    assert abs(FIRST0 + j0 * STEP0 - first) < 1e-6 and abs(step * STEP0 - rule["rescore_ms"] / 1000.0) < 1e-6, rule
    keep = P.valid & (j >= j0) & ((j - j0) % step == 0)
    if with_text:
        w = rule["text_weight"]
        fused = ((1 - w) * P.audio.astype(np.float64) + w * P.text.astype(np.float64)).astype(np.float32)
        s = np.where(np.isnan(P.text), P.audio, fused)
    else:
        s = P.audio
    need = np.asarray(knobs)[:, None, None] + early_margin(rule, P.pause)[None]
    s64 = s.astype(np.float64)
    mask = keep[None] & ~np.isnan(s64)[None] & (s64[None] >= need)
    return first_true(mask, P.t[None], timeout)


def fixed_decisions(P, knobs, silence):
    """pipecat (score >= knob) or vad (pause_s >= knob) decisions."""
    if silence:
        mask = P.valid[None] & (P.pause[None] >= np.asarray(knobs)[:, None, None] - 1e-6)
    else:
        s = P.score.astype(np.float64)
        mask = P.valid[None] & ~np.isnan(s)[None] & (s[None] >= np.asarray(knobs)[:, None, None])
    return first_true(mask, P.t[None], P.timeout)


def objective(m_audio, m_text):
    tot = 0.0
    for m in (m_audio, m_text):
        for k in ("fc300", "fc600"):
            tot += 1.0 if m[k] is None else m[k]
        for k in ("lat5_s", "lat10_s"):
            tot += (4.0 if m[k] is None else m[k]) / 4.0
    return tot


def default_col(knob, grid=GRID):
    return min(range(len(grid)), key=lambda i: abs(grid[i] - knob))


def evaluate(recs, ids, rule, knob):
    """Metrics of the four policies on the examples `ids` (saywhen at `rule`, default `knob`)."""
    out = {}
    recs_sw = [recs[i]["saywhen+text"] for i in ids]
    P = Padded(recs_sw)
    kg = knob_grid(rule)
    col = default_col(knob, kg)
    to = timeouts(recs, ids, rule["max_silence_s"])
    out["saywhen"] = metrics(saywhen_decisions(P, rule, False, kg, to), P.end, col)
    out["saywhen+text"] = metrics(saywhen_decisions(P, rule, True, kg, to), P.end, col)
    if all("pipecat" in recs[i] for i in ids):
        Q = Padded([recs[i]["pipecat"] for i in ids])
        out["pipecat"] = metrics(fixed_decisions(Q, GRID, False), Q.end, default_col(0.5))
    if all("vad" in recs[i] for i in ids):
        V = Padded([recs[i]["vad"] for i in ids])
        vcol = min(range(len(VAD_GRID)), key=lambda i: abs(VAD_GRID[i] - 0.8))
        out["vad"] = metrics(fixed_decisions(V, VAD_GRID, True), V.end, vcol)
    return out


def fmt(m):
    p = lambda v: "  -  " if v is None else f"{100 * v:5.1f}%"
    s = lambda v: "  -  " if v is None else f"{1000 * v:5.0f}ms"
    return f"FC@300 {p(m['fc300'])} FC@600 {p(m['fc600'])} Lat@5% {s(m['lat5_s'])} Lat@10% {s(m['lat10_s'])}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scores", nargs="+", help="eval-turns --dump-scores output (dense observation)")
    ap.add_argument("--out", help="write the search and the chosen rule's metrics here (JSON)")
    ap.add_argument("--knob", type=float, default=None,
                    help="the default threshold to report (default: chosen on dev, the knob with the least "
                         "false cut-off rate + mean latency / 2 s, summed over the two saywhen policies)")
    ap.add_argument("--rank", metavar="KEY=VALUE,...",
                    help="also print where this rule ranks in the dev search, e.g. the preset's own: "
                         "pause_ms=96,rescore_ms=576,max_silence_s=2,text_weight=1,threshold_early=0.2,threshold_relax_s=1")
    a = ap.parse_args()
    wanted = None
    if a.rank:
        pairs = [kv.split("=", 1) for kv in a.rank.split(",")]
        if any(len(p) != 2 for p in pairs):
            ap.error(f"--rank: expected KEY=VALUE,KEY=VALUE,... , got '{a.rank}'")
        try:
            wanted = {k: float(v) for k, v in pairs}
        except ValueError as e:
            ap.error(f"--rank: {e}")
        unknown = set(wanted) - set(SEARCH)
        if unknown:
            ap.error(f"--rank: unknown parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(SEARCH)}")
    recs = load(*a.scores)
    SEARCH["pause_ms"] = observe(recs)
    # checked before the search (a minute or more), now that the observation has fixed pause_ms's grid
    off_grid = [k for k in SEARCH if wanted is not None and wanted.get(k) not in SEARCH[k]]
    if off_grid:
        ap.error("--rank: give every parameter a value of its grid: "
                 + "; ".join(f"{k} in {SEARCH[k]}" for k in off_grid))
    side = split(recs)
    dev = sorted(i for i in recs if side[i] == "dev")
    test = sorted(i for i in recs if side[i] == "test")
    every = sorted(recs)
    print(f"{len(every)} examples: dev {len(dev)}, test {len(test)} "
          f"({len({recs[i]['saywhen+text']['turn_id'] for i in dev})} / "
          f"{len({recs[i]['saywhen+text']['turn_id'] for i in test})} turns)", file=sys.stderr)

    P = Padded([recs[i]["saywhen+text"] for i in dev])
    dev_timeouts = {x: timeouts(recs, dev, x) for x in SEARCH["max_silence_s"]}
    keys = list(SEARCH)
    results = []
    audio_cache = {}
    for values in itertools.product(*(SEARCH[k] for k in keys)):
        rule = dict(zip(keys, values))
        if rule["threshold_early"] == 0 and rule["threshold_relax_s"] != SEARCH["threshold_relax_s"][0]:
            continue  # the same rule
        to = dev_timeouts[rule["max_silence_s"]]
        akey = (rule["pause_ms"], rule["rescore_ms"], rule["max_silence_s"], rule["threshold_early"],
                rule["threshold_relax_s"])
        if akey not in audio_cache:
            audio_cache[akey] = metrics(saywhen_decisions(P, rule, False, knob_grid(rule), to), P.end, None)
        m_text = metrics(saywhen_decisions(P, rule, True, knob_grid(rule), to), P.end, None)
        results.append((objective(audio_cache[akey], m_text), rule, audio_cache[akey], m_text))
    results.sort(key=lambda r: r[0])
    print(f"{len(results)} rules searched on dev; best 10:", file=sys.stderr)
    for obj, rule, ma, mt in results[:10]:
        print(f"  {obj:.4f} {rule}\n     audio {fmt(ma)}\n     +text {fmt(mt)}", file=sys.stderr)
    best = results[0][1]
    if wanted is not None:
        found = [(i, o) for i, (o, r, _, _) in enumerate(results) if all(r[k] == v for k, v in wanted.items())]
        if not found:  # threshold_early 0 with a later threshold_relax_s: the same rule as with the first
            sys.exit(f"tune.py: --rank {a.rank}: with threshold_early 0, give threshold_relax_s "
                     f"{SEARCH['threshold_relax_s'][0]} (the search keeps that one of the equal rules)")
        i, o = found[0]
        print(f"--rank rule: {i + 1} of {len(results)} on dev, objective {o:.4f} "
              f"({100 * (o / results[0][0] - 1):.1f} % behind the best, {results[0][0]:.4f})", file=sys.stderr)

    # The default threshold (the preset's operating point), on dev: the least false cut-off rate
    # + mean latency / 2 s (one second of waiting weighs as much as cutting off half of the
    # turns), summed over audio only and audio + transcript.
    if a.knob is None:
        kg = knob_grid(best)
        to = dev_timeouts[best["max_silence_s"]]
        pa = curve(saywhen_decisions(P, best, False, kg, to), P.end)
        pt = curve(saywhen_decisions(P, best, True, kg, to), P.end)
        cost = [fa + la / 2 + ft + lt / 2 for (fa, la), (ft, lt) in zip(pa, pt)]
        knob = kg[min((i for i in range(len(kg)) if not math.isnan(cost[i])), key=lambda i: cost[i])]
    else:
        knob = a.knob
    report = {"rule": best, "default_threshold": knob, "search": SEARCH, "n_rules": len(results),
              "top": [{"objective": o, "rule": r, "saywhen": ma, "saywhen+text": mt} for o, r, ma, mt in results[:20]]}
    for name, ids in (("dev", dev), ("test", test), ("all", every)):
        report[name] = {"all": evaluate(recs, ids, best, knob)}
        langs = sorted({recs[i]["saywhen+text"]["lang"] for i in ids})
        for lang in langs:
            report[name][f"lang={lang}"] = evaluate(recs, [i for i in ids if recs[i]["saywhen+text"]["lang"] == lang],
                                                    best, knob)
        for cond in ("clean", "noisy", "ulaw8k"):
            sub = [i for i in ids if recs[i]["saywhen+text"]["condition"] == cond]
            if sub:
                report[name][f"condition={cond}"] = evaluate(recs, sub, best, knob)
    print(f"\nchosen on dev: {best}, default threshold {knob}")
    for name in ("dev", "test", "all"):
        print(f"\n{name}:")
        for pol in ("vad", "pipecat", "saywhen", "saywhen+text"):
            m = report[name]["all"].get(pol)
            if m:
                print(f"  {pol:13s} {fmt(m)}  default: FC {m['default_fc']}, lat {m['default_latency_s']}")
    if a.out:
        json.dump(report, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
