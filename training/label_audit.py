#!/usr/bin/env python3
"""A blind audit of the generator's finished/unfinished labels: how many are wrong, and how many misses they explain.

`sample` draws, per language, N dev examples labelled `unfinished` (kind "prefix") and N labelled `finished`
(kind "turn"), shuffles them together and writes LANGSTART.txt (it001.txt): each item's last two context turns and the user's
text, with no label. Readers who see only that file mark each item C (complete: a listener would take it as the
whole turn), I (incomplete: cut off mid-phrase or mid-idea) or U (cannot tell), one line per item:
"NAME<TAB>C|I|U<TAB>reason", in LANG.judged.tsv. `score` then compares three readings of the same items (the
generator's label, the readers', the model's) and prints the counts and the finished-vs-unfinished macro-F1 of
each pair. Dev may be read; point it at no test split.

    python label_audit.py sample --dev DATA/dev.jsonl --langs it id --out DIR            # DIR/key.json, DIR/it001.txt, DIR/id001.txt
    python label_audit.py sample --dev DATA/dev.jsonl --langs it id --out DIR --seed 38 --start 201  # it201.txt, id201.txt
    saywhen text --input DATA/dev.jsonl --output PRED.jsonl
    python label_audit.py score --dev DATA/dev.jsonl --pred PRED.jsonl --key DIR/key.json \\
        --judged DIR/it.judged.tsv DIR/id.judged.tsv [--second DIR/it.judged2.tsv DIR/id.judged2.tsv]

A second `sample` call with --start appends to key.json and leaves out the items already in it.
"""
import argparse
import collections
import json
import os
import random
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.common import LABELS, finished_unfinished_f1  # noqa: E402

READING = {"C": "finished", "I": "unfinished"}


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def sample(args):
    key_path = os.path.join(args.out, "key.json")
    key = json.load(open(key_path, encoding="utf-8")) if os.path.exists(key_path) else {}
    taken = set(key.values())
    dev = read_jsonl(args.dev)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for lang in args.langs:
        pool = [d for d in dev if d["lang"] == lang and d["id"] not in taken]
        unfinished = [d for d in pool if d["label"] == "unfinished" and d["kind"] == "prefix"]
        finished = [d for d in pool if d["label"] == "finished" and d["kind"] == "turn"]
        if min(len(unfinished), len(finished)) < args.per_label:
            sys.exit(f"label_audit: {args.dev}: {lang} has {len(unfinished)} unfinished prefixes and "
                     f"{len(finished)} finished turns left, fewer than --per-label {args.per_label}")
        items = rng.sample(unfinished, args.per_label) + rng.sample(finished, args.per_label)
        rng.shuffle(items)
        with open(os.path.join(args.out, f"{lang}{args.start:03d}.txt"), "w", encoding="utf-8") as f:
            for i, d in enumerate(items, args.start):
                name = f"{lang}{i:03d}"
                key[name] = d["id"]
                f.write(f"### {name}\n")
                for m in d["messages"][:-1][-2:]:
                    f.write(f"  ({'agent' if m['role'] == 'assistant' else 'user'}): {m['content']}\n")
                f.write(f"  LAST USER TEXT: {d['messages'][-1]['content']}\n\n")
    with open(key_path, "w", encoding="utf-8") as f:
        json.dump(key, f, indent=0, ensure_ascii=False)
    print(f"label_audit: {len(key)} items in {key_path}")


def read_judged(paths):
    judged = {}
    for path in paths or []:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                fields = line.rstrip("\n").split("\t")
                if len(fields) < 2 or fields[1].strip() not in ("C", "I", "U"):
                    sys.exit(f"label_audit: {path}:{n}: expected NAME<TAB>C|I|U<TAB>reason")
                judged[fields[0].strip()] = fields[1].strip()
    return judged


def f1(truth, pred):
    value = finished_unfinished_f1(np.array([LABELS.index(p) for p in pred]), np.array([LABELS.index(t) for t in truth]))
    return float("nan") if value is None else value


def score(args):
    key = json.load(open(args.key, encoding="utf-8"))
    gold = {d["id"]: d["label"] for d in read_jsonl(args.dev)}
    pred = {d["id"]: d["label"] for d in read_jsonl(args.pred)}
    first, second = read_judged(args.judged), read_judged(args.second)
    missing = [n for n in key if n not in first or key[n] not in gold or key[n] not in pred]
    if missing:
        sys.exit(f"label_audit: {len(missing)} items lack a reading, a dev line or a prediction, e.g. {missing[0]}")
    for lang in sorted({n.rstrip("0123456789") for n in key}):
        names = [n for n in key if n.rstrip("0123456789") == lang]
        rows = [(gold[key[n]], first[n], pred[key[n]]) for n in names]
        print(f"{lang}: {len(names)} items")
        for (g, j, p), count in sorted(collections.Counter(rows).items()):
            print(f"  generator {g:10s} reader {j}  model {p:11s} {count}")
        sure = [(g, READING[j], p) for g, j, p in rows if j in READING]
        print(f"  finished-vs-unfinished macro-F1 over {len(rows)} items: model against generator {f1([r[0] for r in rows], [r[2] for r in rows]):.3f}")
        print(f"  over the {len(sure)} items read C or I: reader against generator {f1([g for g, j, p in sure], [j for g, j, p in sure]):.3f}, "
              f"model against reader {f1([j for g, j, p in sure], [p for g, j, p in sure]):.3f}, "
              f"model against generator {f1([g for g, j, p in sure], [p for g, j, p in sure]):.3f}")
        unf = [j for g, j, p in rows if g == "unfinished"]
        print(f"  generator's unfinished read as complete: {unf.count('C')}/{len(unf)}; "
              f"model's unfinished->finished misses read as complete: "
              f"{sum(1 for g, j, p in rows if g == 'unfinished' and p == 'finished' and j == 'C')}/"
              f"{sum(1 for g, j, p in rows if g == 'unfinished' and p == 'finished')}")
        both = [n for n in names if n in second]
        if both:
            agree = sum(first[n] == second[n] for n in both)
            po = agree / len(both)
            pa = collections.Counter(first[n] for n in both)
            pb = collections.Counter(second[n] for n in both)
            pe = sum(pa[c] * pb[c] for c in "CIU") / len(both) ** 2
            print(f"  two readers agree on {agree}/{len(both)} (Cohen's kappa {(po - pe) / (1 - pe):.2f})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="write the blind files")
    s.add_argument("--dev", required=True, help="a dev split of make_data.py")
    s.add_argument("--langs", nargs="+", required=True)
    s.add_argument("--out", required=True, help="a directory for key.json and the blind files")
    s.add_argument("--per-label", type=int, default=100)
    s.add_argument("--seed", type=int, default=37)
    s.add_argument("--start", type=int, default=1, help="the first item number (> 1: add a batch)")
    c = sub.add_parser("score", help="compare the generator, the readers and the model")
    c.add_argument("--dev", required=True)
    c.add_argument("--pred", required=True, help="the output of saywhen text --input DEV")
    c.add_argument("--key", required=True)
    c.add_argument("--judged", nargs="+", required=True, help="LANG.judged.tsv of the first reader")
    c.add_argument("--second", nargs="*", help="the same items read by a second reader")
    args = ap.parse_args()
    sample(args) if args.command == "sample" else score(args)


if __name__ == "__main__":
    main()
