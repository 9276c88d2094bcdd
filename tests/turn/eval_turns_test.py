#!/usr/bin/env python3
"""`saywhen eval-turns` on the CI slice of the evaluation set (eval/make_eval.py --size small).

Usage: eval_turns_test.py --saywhen BIN --set DIR --shared DIR

Checks that every policy is scored on every example, that every language and condition
of the slice gets its own breakdown, that the metrics are what they claim to be (rates
in [0, 1], latencies >= 0, FC@600 <= FC@300 where both exist: waiting longer cannot cut
off more turns), that the plot is a PNG, and that --stt-latency delays only the transcript. The targets of issue 9 are measured on the
full set and reported in docs/evaluation.md, not asserted here.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

POLICIES = ["vad", "pipecat", "saywhen", "saywhen+text"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saywhen", required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    os.environ["SAYWHEN_MODELS"] = str(Path(a.shared) / "models")
    manifest = [json.loads(line) for line in open(Path(a.set) / "manifest.jsonl")]
    langs = {m["lang"] for m in manifest}
    conditions = {m["condition"] for m in manifest}
    patterns = {m["pattern"] for m in manifest}
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "curve.png"
        p = subprocess.run([a.saywhen, "eval-turns", "--set", a.set, "--json", "--plot", str(png)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(p.stderr)
            return 1
        out = json.loads(p.stdout)
        if not png.exists() or png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
            failures.append("--plot did not write a PNG")
    groups = (["all"] + [f"lang={g}" for g in langs] + [f"condition={c}" for c in conditions]
              + [f"pattern={p}" for p in patterns])
    for g in groups:
        if g not in out:
            failures.append(f"no breakdown for {g}")
            continue
        for pol in POLICIES:
            m = out[g].get(pol)
            if m is None:
                failures.append(f"{g}: policy {pol} missing")
                continue
            for k in ("fc300", "fc600", "default_fc"):
                v = m.get(k)
                if v is not None and not (0.0 <= v <= 1.0):
                    failures.append(f"{g}/{pol}: {k} = {v} is not a rate")
            for k in ("lat5_s", "lat10_s", "default_latency_s"):
                v = m.get(k)
                if v is not None and not (v >= 0.0 and math.isfinite(v)):
                    failures.append(f"{g}/{pol}: {k} = {v} is not a latency")
            if m.get("fc300") is not None and m.get("fc600") is not None and m["fc600"] > m["fc300"] + 1e-9:
                failures.append(f"{g}/{pol}: FC@600 {m['fc600']} > FC@300 {m['fc300']}")
    # A speech-to-text latency delays only the transcript: the audio-only policy, run on its
    # own then, must score exactly as before, and the text policy must see the words later.
    p = subprocess.run([a.saywhen, "eval-turns", "--set", a.set, "--json", "--policy", "saywhen", "saywhen+text",
                        "--stt-latency", "0.3"], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append("--stt-latency 0.3 failed: " + p.stderr.strip()[-300:])
    else:
        late = json.loads(p.stdout)["all"]
        if late["saywhen"] != out["all"]["saywhen"]:
            failures.append(f"--stt-latency changed the audio-only policy: {late['saywhen']} vs {out['all']['saywhen']}")
        if late["saywhen+text"] == out["all"]["saywhen+text"]:
            failures.append("--stt-latency 0.3 did not change saywhen+text")
    if out.get("all", {}).get("vad", {}).get("n") != len(manifest):
        failures.append(f"not every example scored: {out.get('all', {}).get('vad', {}).get('n')} of {len(manifest)}")
    print(json.dumps(out.get("all", {}), indent=1))
    for f in failures:
        print("FAIL  " + f)
    print(f"{len(manifest)} examples, {len(langs)} languages, {len(conditions)} conditions; {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
