#!/usr/bin/env python3
"""Choose the saywhen preset's VAD settings on the development half of the evaluation set.

The VAD decides where the pauses are, when a pause's scores start and which audio Smart Turn
hears, so its settings cannot be replayed from one dump as eval/tune.py replays the decision
rule. Instead, for each variant below this script makes one dense dump with `saywhen eval-turns`
(the saywhen policies and the VAD baseline with the variant's `--param` settings, observed as
eval/tune.py expects) and runs eval/tune.py on it: the decision rule is re-chosen on dev for
every variant, and the variants are compared by tune.py's dev objective (lower is better). The
Pipecat-compatible preset does not depend on these settings; its records come from one dump
made once (or from --pipecat-dump).

Variants: one setting at a time around run 5's defaults (vad_threshold 0.5 with
vad_neg_threshold 0.15 below it, as Silero's own default; start_ms 96, which then also set the
speech that ends a pause; pre_speech_ms 500), then the winners together (docs/evaluation.md,
run 6: the chosen settings are the preset's defaults now, so `default` here is run 5's).

    SAYWHEN_MODELS=../shared/models eval/tune_vad.py --saywhen build/release/saywhen \\
        --set eval/out --work /tmp/vad-tune [--pipecat-dump dense.jsonl]

Each dump takes about 4.5 min on 2 cores for the full set; dumps already in --work are reused.
Prints one line per variant (dev objective, then the chosen rule's FC@300 / Lat@5% of audio
only and audio + transcript on dev and on test) and writes --work/summary.json.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DENSE = ["--param", "pause_ms=96", "--param", "rescore_ms=192", "--param", "max_silence_s=3"]
VARIANTS = {
    "default": {"vad_threshold": 0.5, "vad_neg_threshold": 0.35, "resume_ms": 96},
    "vad_threshold=0.35": {"vad_threshold": 0.35, "vad_neg_threshold": 0.2, "resume_ms": 96},
    "vad_threshold=0.65": {"vad_threshold": 0.65, "vad_neg_threshold": 0.5, "resume_ms": 96},
    "vad_threshold=0.25": {"vad_threshold": 0.25, "vad_neg_threshold": 0.1, "resume_ms": 96},
    "start_ms=32": {"vad_threshold": 0.5, "vad_neg_threshold": 0.35, "start_ms": 32, "resume_ms": 32},
    "start_ms=192": {"vad_threshold": 0.5, "vad_neg_threshold": 0.35, "start_ms": 192, "resume_ms": 192},
    "pre_speech_ms=200": {"vad_threshold": 0.5, "vad_neg_threshold": 0.35, "resume_ms": 96, "pre_speech_ms": 200},
    "pre_speech_ms=1000": {"vad_threshold": 0.5, "vad_neg_threshold": 0.35, "resume_ms": 96, "pre_speech_ms": 1000},
    # second round: start_ms=32 won, which also resumes a turn after one speech window; resume_ms
    # does only that (a turn still starts after start_ms), alone and with the lower threshold
    "resume_ms=32": {"vad_threshold": 0.5, "vad_neg_threshold": 0.35, "resume_ms": 32},
    "vad_threshold=0.35,resume_ms=32": {"vad_threshold": 0.35, "vad_neg_threshold": 0.2, "resume_ms": 32},
    "vad_threshold=0.25,resume_ms=32": {"vad_threshold": 0.25, "vad_neg_threshold": 0.1, "resume_ms": 32},
}


def run(cmd: list[str]) -> None:
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def dump(a, out: Path, policies: list[str], params: dict) -> None:
    if out.exists():
        return
    extra = [x for k, v in params.items() for x in ("--param", f"{k}={v}")]
    tmp = out.with_suffix(".part")
    run(["nice", str(a.saywhen), "eval-turns", "--set", str(a.set), "--threads", str(a.threads), "--json",
         "--policy", *policies, *DENSE, *extra, "--dump-scores", str(tmp)])
    tmp.rename(out)


def short(m: dict) -> str:
    p = lambda v: "  -  " if v is None else f"{100 * v:5.1f}%"
    s = lambda v: "  -  " if v is None else f"{v:5.2f}s"
    return f"{p(m['fc300'])} {s(m['lat5_s'])}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--saywhen", required=True, type=Path)
    ap.add_argument("--set", required=True, type=Path, help="eval/make_eval.py output")
    ap.add_argument("--work", required=True, type=Path, help="dumps and tune.py reports go here")
    ap.add_argument("--pipecat-dump", type=Path, help="a dump holding the pipecat policy's records")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="variant names (default: all)")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    pipecat = a.pipecat_dump or a.work / "pipecat.jsonl"
    if not a.pipecat_dump:
        dump(a, pipecat, ["pipecat"], {})
    summary = {}
    for name, params in VARIANTS.items():
        if a.only and name not in a.only:
            continue
        d = a.work / f"{name}.jsonl"
        dump(a, d, ["vad", "saywhen", "saywhen+text"], params)
        rep = a.work / f"{name}.tune.json"
        if not rep.exists():
            run([sys.executable, str(HERE / "tune.py"), str(pipecat), str(d), "--out", str(rep)])
        r = json.load(open(rep))
        summary[name] = {"params": params, "objective": r["top"][0]["objective"], "rule": r["rule"],
                         "default_threshold": r["default_threshold"],
                         "dev": r["dev"]["all"], "test": r["test"]["all"], "all": r["all"]["all"]}
        dv, ts = r["dev"]["all"], r["test"]["all"]
        print(f"{name:20s} dev objective {summary[name]['objective']:.4f} | FC@300 Lat@5%: "
              f"dev audio {short(dv['saywhen'])} +text {short(dv['saywhen+text'])} | "
              f"test audio {short(ts['saywhen'])} +text {short(ts['saywhen+text'])} | "
              f"pipecat dev {short(dv['pipecat'])} test {short(ts['pipecat'])}", flush=True)
    json.dump(summary, open(a.work / "summary.json", "w"), indent=1)


if __name__ == "__main__":
    main()
