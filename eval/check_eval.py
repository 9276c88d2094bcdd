#!/usr/bin/env python3
"""Check an evaluation set written by eval/make_eval.py.

    python eval/check_eval.py DIR [--vad path/to/saywhen] [-v]

For every manifest entry: the audio file exists and its header matches sample_rate and
duration_s; times are ordered and inside the audio; transcript pieces do not overlap and the
last one ends at turn_end_s; every pause lies in [first speech, turn_end_s] and lasts >= 0.2 s;
at least 3 s follow turn_end_s; and, by 10 ms frame energy, every transcript piece holds speech
and every pause and the trailing part is silent relative to the turn's speech (margins per
condition, see MARGIN_DB). Copies of one turn (clean / noisy / ulaw8k) must carry identical labels.
With --vad, also runs `saywhen vad` on every clean example and reports how far its last speech
segment ends from turn_end_s (informative; Silero segments are padded and 32 ms coarse).
Exit status 1 if any check fails.
"""
import argparse
import collections
import json
import os
import struct
import subprocess
import sys

import numpy as np


def ulaw2lin(u):
    """G.711 mu-law codes -> int16 (same values as audioop.ulaw2lin, which Python 3.13 dropped)."""
    u = ~u.astype(np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)

# A pause / the trailing silence must be this many dB below the turn's loud speech frames
# (95th percentile of 10 ms frame power inside transcript pieces).
MARGIN_DB = {("tts", "clean"): 30.0, ("tts", "ulaw8k"): 30.0, ("tts", "noisy"): 10.0,
             ("real", "clean"): 15.0, ("real", "ulaw8k"): 15.0, ("real", "noisy"): 10.0}
EDGE_S = 0.03  # ignore this much at each edge of a pause (frame alignment, release tails)


def read_wav(path):
    """-> (float samples, rate). PCM 16-bit (tag 1) or G.711 mu-law (tag 7), mono."""
    b = open(path, "rb").read()
    assert b[:4] == b"RIFF" and b[8:12] == b"WAVE", "not RIFF/WAVE"
    pos, fmt, data = 12, None, None
    while pos + 8 <= len(b):
        cid, size = b[pos:pos + 4], struct.unpack("<I", b[pos + 4:pos + 8])[0]
        body = b[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", body[:16])
        elif cid == b"data":
            data = body
        pos += 8 + size + (size & 1)
    tag, ch, rate, _, _, bits = fmt
    assert ch == 1, f"{ch} channels"
    if tag == 1 and bits == 16:
        x = np.frombuffer(data[: len(data) // 2 * 2], "<i2").astype(np.float64) / 32768
    elif tag == 7 and bits == 8:
        x = ulaw2lin(np.frombuffer(data, np.uint8)).astype(np.float64) / 32768
    else:
        raise AssertionError(f"unsupported format tag {tag} / {bits} bits")
    return x, rate, tag


def frames_db(x, rate, a, b):
    """10 ms frame powers (dB) of frames fully inside [a, b] seconds."""
    hop = rate // 100
    i0, i1 = int(np.ceil(a * rate / hop)), int(np.floor(b * rate / hop))
    if i1 <= i0:
        return np.zeros(0)
    f = x[i0 * hop:i1 * hop].reshape(-1, hop)
    return 10 * np.log10((f * f).mean(axis=1) + 1e-12)


def check(e, root):
    errs = []
    path = os.path.join(root, e["audio"])
    if not os.path.exists(path):
        return [f"missing {e['audio']}"], None
    x, rate, tag = read_wav(path)
    dur = len(x) / rate
    if rate != e["sample_rate"]:
        errs.append(f"rate {rate} != {e['sample_rate']}")
    if (e["condition"] == "ulaw8k") != (tag == 7):
        errs.append(f"condition {e['condition']} with format tag {tag}")
    if abs(dur - e["duration_s"]) > 2.0 / rate + 1e-4:
        errs.append(f"duration {dur:.5f} != {e['duration_s']}")
    te, tr, ps = e["turn_end_s"], e["transcript"], e["pauses"]
    if not tr:
        errs.append("empty transcript")
        return errs, None
    prev = 0.0
    for t in tr:
        if not (prev - 1e-6 <= t["start_s"] < t["end_s"] <= te + 1e-6):
            errs.append(f"piece {t['text']!r} [{t['start_s']}, {t['end_s']}] out of order / after the end")
        prev = t["end_s"]
    if abs(tr[-1]["end_s"] - te) > 1e-6:
        errs.append(f"last piece ends {tr[-1]['end_s']} != turn_end_s {te}")
    if dur - te < 3.0 - 1e-6:
        errs.append(f"only {dur - te:.3f} s after turn end")
    prev = 0.0
    for a, b in ps:
        if b - a < 0.2 - 1e-6:
            errs.append(f"pause [{a}, {b}] shorter than 0.2 s")
        if a < tr[0]["start_s"] - 1e-6 or b > te + 1e-6 or a < prev - 1e-6:
            errs.append(f"pause [{a}, {b}] outside [first speech, turn end] or overlapping")
        prev = b
    # energy
    sp = np.concatenate([frames_db(x, rate, t["start_s"], t["end_s"]) for t in tr])
    ref = float(np.percentile(sp, 95)) if len(sp) else -120.0
    margin = MARGIN_DB[(e["kind"], e["condition"])]
    stats = {"ref_db": ref, "pause_gap_db": [], "tail_gap_db": None}
    for t in tr:
        f = frames_db(x, rate, t["start_s"], t["end_s"])
        if len(f) == 0 or f.max() < ref - 15:
            errs.append(f"no speech in piece {t['text']!r} (max {f.max() if len(f) else None} vs ref {ref:.1f} dB)")
    for a, b in ps:
        f = frames_db(x, rate, a + EDGE_S, b - EDGE_S)
        if len(f) == 0:
            continue
        mean_db = 10 * np.log10(np.mean(10 ** (f / 10)))
        stats["pause_gap_db"].append(ref - mean_db)
        if mean_db > ref - margin:
            errs.append(f"pause [{a}, {b}] not silent: {mean_db:.1f} dB vs speech {ref:.1f} dB (margin {margin})")
    f = frames_db(x, rate, te + EDGE_S, dur)
    mean_db = 10 * np.log10(np.mean(10 ** (f / 10)))
    stats["tail_gap_db"] = ref - mean_db
    if mean_db > ref - margin:
        errs.append(f"tail after turn end not silent: {mean_db:.1f} dB vs speech {ref:.1f} dB")
    if f.max() > ref - margin + 10:
        errs.append(f"loud frame ({f.max():.1f} dB) after turn end")
    return errs, stats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--vad", help="saywhen binary: compare Silero's last speech end with turn_end_s (clean only)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    entries = [json.loads(l) for l in open(os.path.join(args.dir, "manifest.jsonl"), encoding="utf-8")]
    bad = 0
    need = ["id", "lang", "condition", "kind", "audio", "sample_rate", "turn_end_s", "pauses", "transcript",
            "context", "source"]
    by_turn = collections.defaultdict(list)
    ids = set()
    worst = collections.defaultdict(lambda: 1e9)
    for e in entries:
        errs = [f"missing field {k}" for k in need if k not in e]
        if e["id"] in ids:
            errs.append("duplicate id")
        ids.add(e["id"])
        if not errs:
            more, st = check(e, args.dir)
            errs += more
            if st:
                key = (e["kind"], e["condition"])
                for g in st["pause_gap_db"] + [st["tail_gap_db"]]:
                    worst[key] = min(worst[key], g)
        by_turn[e.get("turn_id", e["id"])].append(e)
        if errs:
            bad += 1
            print(f"FAIL {e['id']}: " + "; ".join(errs))
        elif args.verbose:
            print(f"ok   {e['id']}")
    for tid, es in by_turn.items():
        keys = {json.dumps([x["turn_end_s"], x["pauses"], x["transcript"]]) for x in es}
        if len(keys) > 1:
            bad += 1
            print(f"FAIL turn {tid}: copies carry different labels")
    for key in sorted(worst):
        print(f"smallest silence margin {key[0]}/{key[1]}: {worst[key]:.1f} dB (required {MARGIN_DB[key]})")
    if args.vad:
        env = dict(os.environ)
        env.setdefault("SAYWHEN_MODELS", os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..",
                                                                       "shared", "models")))
        diffs, late, unexplained, long_p = [], [], [], [0, 0]
        for e in entries:
            if e["condition"] != "clean":
                continue
            out = subprocess.run([args.vad, "vad", os.path.join(args.dir, e["audio"])], capture_output=True,
                                 text=True, env=env, check=True).stdout
            segs = [json.loads(l) for l in out.splitlines() if l.strip()]
            if not segs:
                late.append((e["id"], "no speech"))
                continue
            d = segs[-1]["end_s"] - e["turn_end_s"]
            diffs.append(d)
            # Silero gaps inside the turn that no labelled pause explains (would be unlabelled silences)
            for s0, s1 in zip(segs, segs[1:]):
                ga, gb = s0["end_s"], s1["start_s"]
                if gb > e["turn_end_s"] or gb - ga < 0.3:
                    continue
                if not any(a < gb and b > ga for a, b in e["pauses"]):
                    unexplained.append((e["id"], round(ga, 3), round(gb, 3)))
            for a, b in e["pauses"]:
                if b - a >= 0.5:
                    long_p[0] += 1
                    long_p[1] += any(s0["end_s"] < b and s1["start_s"] > a for s0, s1 in zip(segs, segs[1:]))
            if abs(d) > 0.3:
                late.append((e["id"], round(d, 3)))
        d = np.array(diffs)
        print(f"saywhen vad, clean: last segment end - turn_end_s: median {np.median(d):+.3f} s, "
              f"p5 {np.percentile(d, 5):+.3f}, p95 {np.percentile(d, 95):+.3f}, |d| > 0.3 s: {len(late)} of {len(d)}")
        for i, v in late[:20]:
            print(f"  {i}: {v}")
        print(f"labelled pauses >= 0.5 s that Silero also splits on: {long_p[1]} of {long_p[0]}")
        print(f"Silero gaps >= 0.3 s inside a turn overlapping no labelled pause: {len(unexplained)}")
        for u in unexplained[:20]:
            print(f"  {u}")
    print(f"{len(entries)} entries, {len(by_turn)} turns, {bad} failing")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
