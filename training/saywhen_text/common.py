import json, os
import numpy as np

LABELS = ["finished", "unfinished", "wait", "backchannel"]


def default_config(thresholds=None):
    return {"format": 1, "labels": LABELS, "max_tokens": 128, "max_context_turns": 4,
            "pieces": {"cls": "<s>", "user": "<user>", "agent": "<agent>", "speaking": "<speaking>",
                       "listening": "<listening>", "msg": "<msg>"},
            "thresholds": thresholds or {"default": {"finished": 0.5}}}


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
