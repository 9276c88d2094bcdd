import io, json, lzma, os
import numpy as np

LABELS = ["finished", "unfinished", "wait", "backchannel"]


def default_config(thresholds=None):
    return {"format": 1, "labels": LABELS, "max_tokens": 128, "max_context_turns": 4,
            "pieces": {"cls": "<s>", "user": "<user>", "agent": "<agent>", "speaking": "<speaking>",
                       "listening": "<listening>", "msg": "<msg>"},
            "thresholds": thresholds or {"default": {"finished": 0.5}}}


def lang_values(specs, option, lo, hi):
    """Repeated LANG=NUMBER arguments (["id=0.4", ...]) -> {"id": 0.4}. A malformed item, or a number outside
    [lo, hi], exits with one line naming the option and the item."""
    out = {}
    for spec in specs:
        lang, sep, x = spec.partition("=")
        try:
            value = float(x)
        except ValueError:
            value = float("nan")
        if not sep or not lang or not lo <= value <= hi:
            raise SystemExit(f"{option} {spec!r}: expected LANG=NUMBER with NUMBER in [{lo:g}, {hi:g}]")
        out[lang] = value
    return out


def load_split(path, sp, config, limit=None):
    """-> (list of id arrays, labels np.int64, langs list, examples list)"""
    from .render import render
    ids, labels, langs, exs = [], [], [], []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit and i >= limit:
                break
            ex = json.loads(line)
            ids.append(np.array(render(ex["messages"], ex["agent_speaking"], sp, config), dtype=np.int64))
            labels.append(LABELS.index(ex["label"]))
            langs.append(ex["lang"])
            exs.append(ex)
    return ids, np.array(labels, dtype=np.int64), langs, exs


def save_tokenized(path, ids, labels, langs):
    """One split as load_split returns it, in a compact file (token ids as uint16, an .npz inside xz:
    the contexts repeat, so xz takes it to about a quarter) that train.py reads instead of the JSONL:
    what travels to a GPU machine. Valid only for the tokenizer and config it was rendered with."""
    lens = np.array([len(x) for x in ids], dtype=np.int64)
    buf = io.BytesIO()
    np.savez(buf, ids=np.concatenate(ids).astype(np.uint16), offsets=np.concatenate([[0], np.cumsum(lens)]),
             labels=labels.astype(np.int8), langs=np.array(langs))
    with lzma.open(path, "wb", preset=6) as f:
        f.write(buf.getvalue())


def load_tokenized(path, limit=None):
    """-> (list of id arrays, labels np.int64, langs list), as load_split, from a save_tokenized file."""
    with lzma.open(path, "rb") as f:
        z = np.load(io.BytesIO(f.read()))
    off, flat = z["offsets"], z["ids"].astype(np.int64)
    n = len(off) - 1 if not limit else min(limit, len(off) - 1)
    return [flat[off[i]:off[i + 1]] for i in range(n)], z["labels"][:n].astype(np.int64), list(z["langs"][:n])


def prf(pred, gold, k):
    """Precision, recall, F1 and support of class k."""
    tp = int(((pred == k) & (gold == k)).sum()); fp = int(((pred == k) & (gold != k)).sum()); fn = int(((pred != k) & (gold == k)).sum())
    p = tp / max(1, tp + fp); r = tp / max(1, tp + fn)
    return p, r, (2 * p * r / max(1e-9, p + r)), int((gold == k).sum())


def finished_unfinished_f1(pred, gold):
    """The model card's target metric: macro-F1 of finished vs not finished (keep listening) on the
    examples whose gold label is finished (0) or unfinished (1); a wait or backchannel prediction
    counts as not finished. None when there are no such examples."""
    fu = gold <= 1
    if not fu.any():
        return None
    bp = np.where(pred[fu] == 0, 0, 1)
    return float(np.mean([prf(bp, gold[fu], k)[2] for k in (0, 1)]))
