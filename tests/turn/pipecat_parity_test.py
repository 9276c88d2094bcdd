#!/usr/bin/env python3
"""saywhen's "pipecat" preset against the real Pipecat turn analyzer.

Usage: pipecat_parity_test.py --saywhen BIN --pipecat-python PY --shared DIR

For every 16 kHz clip in $SAYWHEN_SHARED/audio, runs
  - the reference: $SAYWHEN_SHARED/tools/pipecat_turns.py (pipecat-ai 1.14.0's
    SileroVADAnalyzer + LocalSmartTurnAnalyzerV3, driven in 20 ms chunks with 3 s of
    trailing silence), under the Python of scripts/setup-pipecat;
  - `saywhen detect CLIP --preset pipecat --tail-silence 3`, fed whole, in 20 ms
    chunks and in 7.3 ms chunks (the events must not depend on the chunking);
and requires the same end-of-turn decisions — state (COMPLETE / INCOMPLETE), source
(model / timeout) and time — in the same order, with Smart Turn probabilities within
$SAYWHEN_PIPECAT_TOL (default 1e-3).

Clips at other rates are left out: the reference resamples them with soxr "HQ" while
saywhen reads audio with "VHQ", so the two would not see the same samples.
"""

import argparse
import json
import os
import subprocess
import sys
import wave
from pathlib import Path


def reference(py, script, clip):
    p = subprocess.run([py, str(script), str(clip)], capture_output=True, text=True,
                       env={**os.environ, "PIPECAT_REF_LOG": "ERROR"})
    if p.returncode != 0:
        raise SystemExit(f"reference failed on {clip}: {p.stderr.strip()[-2000:]}")
    return [json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")]


def saywhen(bin_, clip, chunk_ms):
    args = [bin_, "detect", str(clip), "--preset", "pipecat", "--tail-silence", "3"]
    if chunk_ms:
        args += ["--chunk-ms", str(chunk_ms)]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"saywhen detect failed on {clip}: {p.stderr.strip()}")
    events = [json.loads(line) for line in p.stdout.splitlines()]
    # pause (model ran) -> a decision; end_of_turn at the same time upgrades it to COMPLETE.
    decisions = []
    for e in events:
        if e["event"] == "pause" and "audio_p" in e:
            decisions.append({"t": e["t"], "state": "INCOMPLETE", "probability": e["audio_p"], "source": "model"})
        elif e["event"] == "end_of_turn" and e.get("reason") == "model":
            decisions[-1]["state"] = "COMPLETE"
        elif e["event"] == "end_of_turn" and e.get("reason") == "timeout":
            decisions.append({"t": e["t"], "state": "COMPLETE", "probability": None, "source": "timeout"})
    return events, decisions


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saywhen", required=True)
    ap.add_argument("--pipecat-python", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    tol = float(os.environ.get("SAYWHEN_PIPECAT_TOL", "1e-3"))
    shared = Path(a.shared)
    os.environ["SAYWHEN_MODELS"] = str(shared / "models")
    script = shared / "tools" / "pipecat_turns.py"
    clips = []
    for c in sorted((shared / "audio").glob("*.wav")):
        with wave.open(str(c)) as w:
            if w.getframerate() == 16000 and w.getnchannels() == 1:
                clips.append(c)
    failures, decisions_total, worst, exact = [], 0, 0.0, 0
    for clip in clips:
        ref = reference(a.pipecat_python, script, clip)
        events, ours = saywhen(a.saywhen, clip, 0)
        for chunk_ms in (20, 7.3):
            ev2, _ = saywhen(a.saywhen, clip, chunk_ms)
            strip = lambda evs: [{k: v for k, v in e.items() if k != "compute_ms"} for e in evs]  # noqa: E731
            if strip(ev2) != strip(events):
                failures.append(f"{clip.name}: events differ when fed in {chunk_ms} ms chunks")
        print(f"{clip.name}: {len(ref)} reference decisions, {len(ours)} from saywhen")
        for i in range(max(len(ref), len(ours))):
            r = ref[i] if i < len(ref) else None
            o = ours[i] if i < len(ours) else None
            if r is None or o is None:
                failures.append(f"{clip.name}: decision {i}: reference {r} vs saywhen {o}")
                continue
            decisions_total += 1
            same = r["t"] == o["t"] and r["state"] == o["state"] and r["source"] == o["source"]
            d = 0.0
            if r["probability"] is not None and o["probability"] is not None:
                d = abs(r["probability"] - o["probability"])
            elif (r["probability"] is None) != (o["probability"] is None):
                same = False
            worst = max(worst, d)
            exact += d == 0.0 and same
            line = (f"  t {r['t']:7.2f} {r['state']:10s} {r['source']:7s} p {r['probability']} | saywhen t {o['t']:7.2f} "
                    f"{o['state']:10s} {o['source']:7s} p {o['probability']}  |diff| {d:.2e}")
            print(line)
            if not same:
                failures.append(f"{clip.name}: decision {i} differs: {line.strip()}")
            elif d > tol:
                failures.append(f"{clip.name}: decision {i}: probability differs by {d:.2e} > {tol:g}")
    print(f"{decisions_total} decisions compared on {len(clips)} clips; {exact} identical; "
          f"max probability difference {worst:.2e} (tolerance {tol:g})")
    for f in failures:
        print("FAIL  " + f)
    return 1 if failures or decisions_total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
