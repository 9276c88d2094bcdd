#!/usr/bin/env python3
"""Reference data for tests/text/text_test.cpp, from the Python side of the contract.

    make_text_refs.py MODEL_DIR OUT.json [--shared ../shared] [--n 400]

For a few hundred conversations -- dialog turns from the shared data in every
language, long ones that hit the max_tokens truncation (long messages, long
contexts), mixed scripts, empty context, odd whitespace, both agent_speaking
values -- it writes the ids of training/saywhen_text/render.py (the reference
rendering) and the probabilities of ONNX Runtime on MODEL_DIR/model.onnx.
Also: plain tokenizer ids for odd strings (normalisation corner cases).
Deterministic (fixed seed).
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import random
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import sentencepiece as spm

REPO = Path(__file__).resolve().parents[2]


def load_render():
    # By file: the package __init__ may import training-only modules (torch).
    path = REPO / "training" / "saywhen_text" / "render.py"
    spec = importlib.util.spec_from_file_location("saywhen_text_render", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.render


def dialogs(shared: Path, rng: random.Random, per_file: int):
    """Lists of {"role","content"} turns from each dialog file, a few per file."""
    out = []
    for f in sorted((shared / "data" / "dialogs").glob("*.jsonl.gz")):
        rows = []
        with gzip.open(f, "rt", encoding="utf-8") as h:
            for i, line in enumerate(h):
                if i >= 300:
                    break
                rows.append(json.loads(line))
        for row in rng.sample(rows, min(per_file, len(rows))):
            turns = [{"role": t["role"], "content": t["text"]} for t in row.get("turns", []) if t.get("text", "").strip()]
            if turns:
                out.append(turns)
    return out


def utterances(shared: Path, rng: random.Random, per_file: int):
    out = []
    for f in sorted((shared / "data" / "utterances").glob("*.jsonl.gz")):
        rows = []
        with gzip.open(f, "rt", encoding="utf-8") as h:
            for i, line in enumerate(h):
                if i >= 300:
                    break
                rows.append(json.loads(line))
        for row in rng.sample(rows, min(per_file, len(rows))):
            if row.get("text", "").strip():
                out.append(row["text"])
    return out


ODD = [
    "hello", "  spaced   out  ", "tab\tand\nnewline", "ＦＵＬＬ　ｗｉｄｔｈ　１２３", "ﬁ ligature Ⅻ ①", "émoji 😀 ok",
    "Ǆ Å Å (NFC vs NFD)", "zero\u200bwidth\u200djoiner", "nbsp\u00a0and\u3000ideographic", "<user> literal <msg>",
    "我想预订 a table для двоих", "こんにちは、元気？", "안녕하세요 반갑습니다", "مرحبا كيف حالك", "नमस्ते आप कैसे हैं",
    "uh-huh", "ага", "嗯嗯", "07049413666", "j o h n at gmail dot com", "▁leading block", "\u0301combining first",
    "a" * 300, "ж" * 200, "字" * 200, "x\u2028y\u2029z",
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--n", type=int, default=400)
    args = ap.parse_args()

    render = load_render()
    config = json.loads((args.model_dir / "config.json").read_text())
    sp = spm.SentencePieceProcessor(model_file=str(args.model_dir / "tokenizer.model"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(args.model_dir / "model.onnx"), so, providers=["CPUExecutionProvider"])

    rng = random.Random(1234)
    convs = []
    for turns in dialogs(args.shared, rng, 12):
        # Every user turn of the dialog can be the judged message.
        users = [i for i, t in enumerate(turns) if t["role"] == "user"]
        i = rng.choice(users) if users else None
        if i is None:
            continue
        convs.append((turns[: i + 1], rng.random() < 0.3))
    for text in utterances(args.shared, rng, 8):
        convs.append(([{"role": "user", "content": text}], rng.random() < 0.3))  # empty context
    # Truncation: a long message alone; long contexts; both.
    pool = [t for c, _ in convs for t in c]
    for k in range(40):
        long_msg = " ".join(rng.choice(pool)["content"] for _ in range(rng.randint(4, 12)))
        ctx = [dict(rng.choice(pool), role=rng.choice(["user", "assistant"])) for _ in range(rng.randint(0, 6))]
        if k % 2:
            convs.append((ctx + [{"role": "user", "content": rng.choice(pool)["content"]}], bool(k % 3)))
        else:
            convs.append((ctx + [{"role": "user", "content": long_msg}], bool(k % 3)))
    # Mixed scripts and odd strings, with "agent" as the role name too.
    for k, s in enumerate(ODD):
        ctx = [{"role": "agent" if k % 2 else "assistant", "content": rng.choice(ODD)}] if k % 3 else []
        convs.append((ctx + [{"role": "user", "content": s}], bool(k % 2)))
    rng.shuffle(convs)
    convs = convs[: args.n] if len(convs) > args.n else convs

    cases = []
    for messages, speaking in convs:
        ids = render(messages, speaking, sp, config)
        probs = sess.run(["probs"], {"input_ids": np.array([ids], dtype=np.int64)})[0][0]
        cases.append({"messages": messages, "agent_speaking": speaking, "ids": ids,
                      "probs": [float(p) for p in probs]})
    tokenize = [{"text": s, "ids": sp.encode(s)} for s in ODD + [t["content"] for t in pool[:300]]]
    n_trunc = sum(len(c["ids"]) == config["max_tokens"] for c in cases)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model_dir": str(args.model_dir), "cases": cases, "tokenize": tokenize},
                                   ensure_ascii=False))
    print(f"{len(cases)} conversations ({n_trunc} truncated to max_tokens), {len(tokenize)} tokenizer strings "
          f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
