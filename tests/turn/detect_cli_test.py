#!/usr/bin/env python3
"""`saywhen detect --transcript` end to end on ../shared/audio/jfk.wav: interim results are
replaced by the next piece, lines with `at_s` reach the stream when the audio does (the events do
not depend on --chunk-ms), words that arrive during a pause are scored in the next window, and a bad
line is a one-line error naming it.

Usage: detect_cli_test.py --saywhen BUILD/saywhen --shared ../shared
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = [("And so my fellow Americans,", 0.35, 2.24), ("ask not", 3.3, 4.38),
         ("what your country can do for you,", 5.41, 7.62), ("ask what you can do for your country.", 8.19, 10.53)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saywhen", required=True)
    ap.add_argument("--shared", required=True)
    args = ap.parse_args()
    clip = str(Path(args.shared) / "audio" / "jfk.wav")
    env_models = str(Path(args.shared) / "models")
    failures = []
    tmp = Path(tempfile.mkdtemp())

    def transcript(name, lines):
        p = tmp / name
        p.write_text("".join(json.dumps(l) + "\n" for l in lines))
        return str(p)

    def detect(path, *extra):
        p = subprocess.run([args.saywhen, "detect", clip, "--models", env_models, "--transcript", path,
                            "--tail-silence", "3", *extra], capture_output=True, text=True, timeout=300)
        return p.returncode, [json.loads(l) for l in p.stdout.splitlines()], p.stderr

    def events(out):  # compute_ms is a measured time: everything else must match
        return [{k: v for k, v in e.items() if k != "compute_ms"} for e in out]

    finals = [{"text": t, "start_s": s, "end_s": e} for t, s, e in WORDS]
    rc, base, err = detect(transcript("finals.jsonl", finals))
    if rc != 0 or not any(e["event"] == "end_of_turn" for e in base):
        failures.append(f"finals: rc {rc}, no end_of_turn: {err.strip()}")

    interim = []
    for t, s, e in WORDS:
        interim.append({"text": t[: len(t) // 2], "start_s": s, "end_s": (s + e) / 2, "final": False})
        interim.append({"text": t, "start_s": s, "end_s": e})
    rc, got, err = detect(transcript("interim.jsonl", interim))
    if rc != 0 or events(got) != events(base):
        failures.append(f"interim results changed the events (rc {rc}): {err.strip()}")

    late = [{"text": t, "start_s": s, "end_s": e, "at_s": e + 0.5} for t, s, e in WORDS]
    late_path = transcript("late.jsonl", late)
    rc, whole, err = detect(late_path, "--set", "trace=1")
    rc2, chunked, _ = detect(late_path, "--set", "trace=1", "--chunk-ms", "70")
    if rc or rc2 or events(whole) != events(chunked):
        failures.append(f"late words: events depend on --chunk-ms (rc {rc}/{rc2}): {err.strip()}")
    for arrival in (2.74, 4.88):
        if not any(e["event"] == "pause" and e.get("reason") == "text" and arrival < e["t"] <= arrival + 0.033
                   for e in whole):
            failures.append(f"late words arriving at {arrival} s were not scored in the next window")

    for bad, want in [({"text": "x", "start_s": 0, "end_s": 1, "final": "no"}, "final"),
                      ({"text": "x", "start_s": 0, "end_s": 1, "at_s": -2}, "at_s")]:
        rc, _, err = detect(transcript("bad.jsonl", [finals[0], bad]))
        lines = err.strip().splitlines()
        if rc == 0 or len(lines) != 1 or ":2:" not in lines[0] or want not in lines[0]:
            failures.append(f"bad line {bad}: rc {rc}, stderr {err.strip()!r}")

    for f in failures:
        print("FAIL", f)
    print("detect_cli_test:", "ok" if not failures else f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
