#!/usr/bin/env python3
"""How often a model reads a finished turn followed by an opener as finished (rule 22, training/README.md).

Takes up to --turns dev turns labelled `finished` (kind "turn") per language of langres.OPENERS, drops their
final punctuation, appends each opener of the language in turn (a word that opens a continuation and cannot end
a turn: "vado al mare con la mia famiglia nelle"), runs `saywhen text --input` on them and prints, per
language, the share not read as `unfinished` and the openers missed most. Every input is `unfinished` by
construction, so the share is an error rate. Dev may be read; point it at no test split.

Usage: python opener_probe.py --dev DATA/dev.jsonl --model MODELDIR --saywhen build/release/saywhen
"""
import argparse
import collections
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import langres as R  # noqa: E402
from make_data import strip_final_punct  # noqa: E402  (the whole-turn cut strips the same way)


def probe_rows(dev_path, turns_per_lang, seed):
    rows = []
    by_lang = collections.defaultdict(list)
    with open(dev_path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            if d["lang"] in R.OPENERS and d["label"] == "finished" and d.get("kind") == "turn":
                by_lang[d["lang"]].append(d)
    rng = random.Random(seed)
    for lang in R.OPENERS:
        turns = by_lang[lang]
        rng.shuffle(turns)
        for i, d in enumerate(turns[:turns_per_lang]):
            text = strip_final_punct(d["messages"][-1]["content"].strip())
            for word in R.OPENERS[lang]:
                messages = [dict(m) for m in d["messages"]]
                messages[-1]["content"] = f"{text} {word}"
                rows.append({"id": f"{lang}|{word}|{i}", "messages": messages,
                             "agent_speaking": d.get("agent_speaking", False)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", required=True, help="a dev split of make_data.py")
    ap.add_argument("--model", required=True, help="a model directory (model.onnx, tokenizer.model, config.json)")
    ap.add_argument("--saywhen", required=True, help="the saywhen CLI")
    ap.add_argument("--turns", type=int, default=40, help="finished dev turns per language")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = probe_rows(args.dev, args.turns, args.seed)
    if not rows:
        sys.exit(f"opener_probe: no finished turns of {', '.join(R.OPENERS)} in {args.dev}")
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.jsonl")
        with open(inp, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        subprocess.run([args.saywhen, "text", "--model", args.model, "--input", inp, "--output", out],
                       check=True, stderr=subprocess.DEVNULL)
        total, missed = collections.Counter(), collections.Counter()
        with open(out, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                lang, word, _ = d["id"].split("|")
                total[(lang, word)] += 1
                missed[(lang, word)] += d["label"] != "unfinished"
    for lang in R.OPENERS:
        keys = [k for k in total if k[0] == lang]
        n, m = sum(total[k] for k in keys), sum(missed[k] for k in keys)
        worst = sorted((k for k in keys if missed[k]), key=lambda k: -missed[k])[:10]
        print(f"{lang} {m}/{n} = {m / max(1, n):.3f} not unfinished; "
              + " ".join(f"{k[1]}:{missed[k]}/{total[k]}" for k in worst))


if __name__ == "__main__":
    main()
