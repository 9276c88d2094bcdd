#!/usr/bin/env python3
"""Train the SentencePiece tokenizer on the TRAIN split text (messages and context turns)."""
import argparse, json, os, random
import sentencepiece as spm

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--out", required=True, help="output prefix, e.g. models/text-turn/tokenizer")
ap.add_argument("--vocab", type=int, default=12000)
ap.add_argument("--seed", type=int, default=1)
args = ap.parse_args()
texts = set()
for line in open(os.path.join(args.data, "train.jsonl"), encoding="utf-8"):
    ex = json.loads(line)
    for m in ex["messages"]:
        t = m["content"].strip()
        if t:
            texts.add(t)
texts = sorted(texts)
random.Random(args.seed).shuffle(texts)
tmp = args.out + ".corpus.txt"
with open(tmp, "w", encoding="utf-8") as f:
    for t in texts:
        f.write(t.replace("\n", " ") + "\n")
spm.SentencePieceTrainer.train(
    input=tmp, model_prefix=args.out, vocab_size=args.vocab, model_type="unigram",
    character_coverage=0.9995, byte_fallback=True, split_digits=True,
    user_defined_symbols=["<user>", "<agent>", "<speaking>", "<listening>", "<msg>"],
    pad_id=0, unk_id=1, bos_id=2, eos_id=3, pad_piece="<pad>", unk_piece="<unk>", bos_piece="<s>", eos_piece="</s>",
    input_sentence_size=600000, shuffle_input_sentence=True, num_threads=1, seed_sentencepiece_size=500000,
    normalization_rule_name="nmt_nfkc", minloglevel=2)
os.remove(tmp)
if os.path.exists(args.out + ".vocab"):
    os.remove(args.out + ".vocab")
print("tokenizer:", args.out + ".model", "texts:", len(texts))
