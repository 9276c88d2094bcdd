#!/usr/bin/env python3
"""Evaluate the exported int8 ONNX model (as shipped) on a labelled split with onnxruntime.

Prints/writes: accuracy, per-label P/R/F1, macro-F1, confusion matrix, per-language accuracy,
finished-vs-unfinished macro-F1 per language, wait recall, ECE.
"""
import argparse, collections, json, os, sys
import numpy as np
import onnxruntime as ort
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.common import LABELS, finished_unfinished_f1, load_split, prf  # noqa: E402
from export import ece  # noqa: E402


def metrics(probs, gold, langs, sources=None):
    pred = probs.argmax(1)
    out = {"n": int(len(gold)), "accuracy": float((pred == gold).mean()), "labels": {}, "ece": ece(probs, gold)}
    f1s = []
    for k, l in enumerate(LABELS):
        p, r, f, n = prf(pred, gold, k)
        out["labels"][l] = {"precision": p, "recall": r, "f1": f, "support": n}
        if n:
            f1s.append(f)
    out["macro_f1"] = float(np.mean(f1s))
    out["confusion"] = [[int(((gold == i) & (pred == j)).sum()) for j in range(len(LABELS))] for i in range(len(LABELS))]
    out["per_language"] = {}
    langs = np.array(langs)
    for lang in sorted(set(langs)):
        m = langs == lang
        d = {"n": int(m.sum()), "accuracy": float((pred[m] == gold[m]).mean())}
        fu = m & (gold <= 1)
        if fu.sum():
            d["fin_unfin_macro_f1"] = finished_unfinished_f1(pred[m], gold[m])
            d["n_fin_unfin"] = int(fu.sum())
        for k, l in enumerate(LABELS):
            mm = m & (gold == k)
            if mm.sum():
                d[f"recall_{l}"] = float((pred[mm] == k).mean())
        out["per_language"][lang] = d
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--split", required=True, help="jsonl with labels")
    ap.add_argument("--out", required=True, help="metrics JSON")
    args = ap.parse_args()
    config = json.load(open(args.config))
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    ids, gold, langs, exs = load_split(args.split, sp, config)
    so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    s = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
    probs = np.stack([s.run(None, {"input_ids": x[None, :]})[0][0] for x in ids])
    res = metrics(probs, gold, langs)
    # by source (for the eval-only and the per-source view)
    src = np.array([e["source"] for e in exs])
    res["per_source_accuracy"] = {s_: float((probs.argmax(1)[src == s_] == gold[src == s_]).mean()) for s_ in sorted(set(src))}
    # agent_speaking slices
    spk = np.array([e["agent_speaking"] for e in exs])
    res["accuracy_agent_speaking"] = float((probs.argmax(1)[spk] == gold[spk]).mean()) if spk.any() else None
    res["accuracy_agent_listening"] = float((probs.argmax(1)[~spk] == gold[~spk]).mean())
    # errors sample
    rng = np.random.default_rng(0)
    wrong = np.where(probs.argmax(1) != gold)[0]
    res["error_samples"] = [{"lang": exs[i]["lang"], "gold": LABELS[gold[i]], "pred": LABELS[int(probs[i].argmax())],
                             "agent_speaking": exs[i]["agent_speaking"], "message": exs[i]["messages"][-1]["content"][:200],
                             "prev": exs[i]["messages"][-2]["content"][:120] if len(exs[i]["messages"]) > 1 else ""}
                            for i in rng.choice(wrong, min(60, len(wrong)), replace=False)] if len(wrong) else []
    json.dump(res, open(args.out, "w"), indent=1, ensure_ascii=False)
    print(f"{args.split}: n={res['n']} acc={res['accuracy']:.4f} macro-F1={res['macro_f1']:.4f} ECE={res['ece']:.4f}")
    for l, d in res["labels"].items():
        print(f"  {l:12s} P={d['precision']:.3f} R={d['recall']:.3f} F1={d['f1']:.3f} n={d['support']}")
    for lang, d in res["per_language"].items():
        print(f"  {lang}: n={d['n']} acc={d['accuracy']:.3f} fin/unfin macro-F1={d.get('fin_unfin_macro_f1', float('nan')):.3f} "
              f"wait R={d.get('recall_wait', float('nan')):.3f} bc R={d.get('recall_backchannel', float('nan')):.3f}")


if __name__ == "__main__":
    main()
