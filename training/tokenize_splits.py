#!/usr/bin/env python3
"""Writes OUT/train.npz.xz and OUT/dev.npz.xz: the splits of a make_data.py folder, rendered and
tokenized once (token ids as uint16, xz-compressed), which train.py reads in place of the JSONL files
(`--data OUT`). A GPU machine cannot reach ../shared and would spend its minutes tokenizing; these files
travel instead (the session-14 training split: 313 MB of JSONL, about 18 MB here).

    $PY training/tokenize_splits.py --data $WORK/data --tokenizer models/text-turn/tokenizer.model --out DIR
"""
import argparse, os, sys, time

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.common import default_config, load_split, save_tokenized  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="make_data.py output folder (train.jsonl, dev.jsonl)")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    if sp.get_piece_size() > 65536:
        sys.exit("tokenize_splits.py: the vocabulary does not fit uint16")
    os.makedirs(args.out, exist_ok=True)
    for name in ("train", "dev"):
        t0 = time.time()
        ids, labels, langs, _ = load_split(os.path.join(args.data, name + ".jsonl"), sp, default_config())
        path = os.path.join(args.out, name + ".npz.xz")
        save_tokenized(path, ids, labels, langs)
        print(f"{path}: {len(ids)} examples, {os.path.getsize(path) / 1e6:.1f} MB, {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
