#!/usr/bin/env python3
"""Train the text turn model on CPU (time-budgeted; checkpoints after every evaluation)."""
import argparse, json, math, os, random, sys, time
import numpy as np
import torch
import torch.nn.functional as F
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.model import TurnModel  # noqa: E402
from saywhen_text.common import (LABELS, default_config, finished_unfinished_f1, lang_values,  # noqa: E402
                                 load_split, load_tokenized)
from saywhen_text.render import piece_ids  # noqa: E402
from langres import DIALOG_LANGS  # noqa: E402


def balanced_order(langs, alpha, rng, lang_weight=None):
    """One epoch of example indices with p(language) proportional to n_lang**alpha (alpha 1: as in the data),
    times lang_weight[language] where given.

    Languages with little data (de, nl, tr, ar: ~1-2k examples against 50k for en) are repeated instead of
    being ~0.5 % of what the model sees."""
    by_lang = {}
    for i, l in enumerate(langs):
        by_lang.setdefault(l, []).append(i)
    lang_weight = lang_weight or {}
    share = {l: len(v) ** alpha * lang_weight.get(l, 1.0) for l, v in by_lang.items()}
    total = sum(share.values())
    order = []
    for l in sorted(by_lang):
        idx = by_lang[l][:]
        want = round(len(langs) * share[l] / total)
        rng.shuffle(idx)
        order += (idx * (want // len(idx) + 1))[:want]
    rng.shuffle(order)
    return order


def batches(order, ids, bs, rng):
    chunk = bs * 50
    out = []
    for c in range(0, len(order), chunk):
        part = sorted(order[c:c + chunk], key=lambda i: len(ids[i]))
        out += [part[j:j + bs] for j in range(0, len(part), bs)]
    rng.shuffle(out)
    return out


def collate(ids, labels, idx):
    L = max(len(ids[i]) for i in idx)
    x = np.zeros((len(idx), L), dtype=np.int64)
    for r, i in enumerate(idx):
        x[r, :len(ids[i])] = ids[i]
    lengths = torch.tensor([len(ids[i]) for i in idx])
    return torch.from_numpy(x), lengths, torch.from_numpy(labels[idx])


class MaskedTokenHead(torch.nn.Module):
    """Predicts the pieces hidden by `mask_pieces` from the final hidden states (BERT's masked-LM head). The output
    matrix is the model's token embedding, passed in at each call so that the optimizer and the checkpoint see
    it once; the head's own weights are not saved: the export has no use for them."""

    def __init__(self, d, vocab):
        super().__init__()
        self.dense = torch.nn.Linear(d, d)
        self.ln = torch.nn.LayerNorm(d)
        self.bias = torch.nn.Parameter(torch.zeros(vocab))

    def forward(self, states, embedding):
        return F.linear(self.ln(F.gelu(self.dense(states))), embedding, self.bias)


def mask_pieces(x, lengths, special, prob, keep_last, unk_id, gen):
    """Hides `prob` (a number, or one per position [B, T]) of the ordinary pieces of each row (BERT's 80 % <unk>,
    10 % a random piece, 10 % unchanged), never a special piece and never one of the last `keep_last` pieces: the
    classifier reads the end of the user's message, and a hidden last word would change what the label means.
    Returns the masked ids, the chosen positions [B, T] and the original pieces there."""
    b, t = x.shape
    eligible = (torch.arange(t)[None, :] < (lengths[:, None] - keep_last)) & ~special[x]
    chosen = (torch.rand(b, t, generator=gen) < prob) & eligible
    targets = x[chosen]
    r = torch.rand(targets.shape, generator=gen)
    ordinary = torch.nonzero(~special).squeeze(1)
    new = torch.where(r < 0.8, torch.full_like(targets, unk_id),
                      torch.where(r < 0.9, ordinary[torch.randint(len(ordinary), targets.shape, generator=gen)], targets))
    x = x.clone()
    x[chosen] = new
    return x, chosen, targets


def hiding_shares(x, msg_id, context_share, message_share):
    """The share of pieces `mask_pieces` hides at each position for --input-dropout: context_share up to each
    row's <msg> piece, message_share in the user's message after it."""
    in_message = torch.cumsum(x == msg_id, dim=1) > 0
    return torch.where(in_message, message_share, context_share)


def step_losses(model, mlm_head, x, lengths, y, masked, chosen, targets, clean_cls):
    """The classification loss, and with a masked-piece head (else None) its loss on the pieces `mask_pieces` hid.
    The classifier reads the masked ids in the head's pass, or with clean_cls the unmasked ids in a second pass:
    one pass can hide the key word of a wait request ("Moment", "подождите") while the label stays `wait`."""
    if mlm_head is None:
        return F.cross_entropy(model(x, lengths).float(), y), None
    logits, states = model(masked, lengths, return_states=True)
    if clean_cls:
        logits = model(x, lengths)
    cls_loss = F.cross_entropy(logits.float(), y)
    if not len(targets):
        return cls_loss, 0 * cls_loss
    return cls_loss, F.cross_entropy(mlm_head(states[chosen], model.tok.weight).float(), targets)


@torch.no_grad()
def evaluate(model, ids, labels, bs=128):
    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    logits = np.zeros((len(ids), len(LABELS)), dtype=np.float32)
    for j in range(0, len(order), bs):
        idx = order[j:j + bs]
        x, lengths, _ = collate(ids, labels, idx)
        logits[idx] = model(x.to(device), lengths.to(device)).cpu().numpy()
    model.train()
    pred = logits.argmax(1)
    f1s = []
    for k in range(len(LABELS)):
        tp = ((pred == k) & (labels == k)).sum(); fp = ((pred == k) & (labels != k)).sum(); fn = ((pred != k) & (labels == k)).sum()
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
    return logits, float((pred == labels).mean()), float(np.mean(f1s)), f1s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--d", type=int, default=192)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=512)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--minutes", type=float, default=60, help="training time budget (lr schedule follows it)")
    ap.add_argument("--max-epochs", type=float, default=10)
    ap.add_argument("--max-train", type=int, default=0)
    ap.add_argument("--dev-size", type=int, default=20000)
    ap.add_argument("--lang-alpha", type=float, default=0.5,
                    help="language sampling exponent: p(lang) ~ n_lang**alpha (1 = natural frequencies)")
    ap.add_argument("--lang-weight", action="append", default=[], metavar="LANG=X",
                    help="multiply one language's sampling weight by X (repeatable): more draws of a language "
                         "below target without changing the others' ratios")
    ap.add_argument("--eval-minutes", type=float, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is lent (then raise --batch)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--init", default=None, help="continue from this checkpoint (weights only; fresh optimizer); "
                    "with more --layers than it has, the new blocks are appended as identities")
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--mlm", type=float, default=0.0,
                    help="weight of a masked-piece loss (BERT's masked LM) added to the classification loss; 0: off. "
                         "Both losses come from one pass over the masked ids (--mlm-prob of the ordinary pieces, "
                         "never the last --mlm-keep-last) unless --mlm-clean-cls")
    ap.add_argument("--mlm-clean-cls", action="store_true",
                    help="with --mlm: the classifier reads the ids unmasked, in a second pass (about 1.8x the time "
                         "of a step), so that no hidden key word (\"wait\", \"Moment\") leaves an example whose "
                         "label no longer follows from what the model sees")
    ap.add_argument("--mlm-prob", type=float, default=0.15)
    ap.add_argument("--mlm-keep-last", type=int, default=3,
                    help="the last pieces of an input, never hidden (by --mlm or --input-dropout)")
    ap.add_argument("--input-dropout", type=float, default=0.0,
                    help="hide this share of the ordinary pieces of the context turns from the classifier, as --mlm "
                         "hides them but without its loss (80 %% <unk>, 10 %% a random piece, 10 %% kept); 0: off")
    ap.add_argument("--input-dropout-msg", type=float, default=None,
                    help="the share hidden in the user's message (after <msg>); default: --input-dropout's. "
                         "Alone, it hides pieces of the message only")
    ap.add_argument("--bf16", action="store_true",
                    help="products in bfloat16 under autocast, weights and optimizer in float32: on a CPU with AMX "
                         "(Intel Xeon since Sapphire Rapids) about 1.3x the examples per second of float32 (session 26)")
    args = ap.parse_args()
    message_share = args.input_dropout if args.input_dropout_msg is None else args.input_dropout_msg
    hiding = args.input_dropout > 0 or message_share > 0
    lang_weight = lang_values(args.lang_weight, "train.py: --lang-weight", 0.01, 100.0)
    if args.mlm > 0 and hiding:
        sys.exit("train.py: --mlm and --input-dropout(-msg) both hide pieces; use one")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    config = default_config()
    t0 = time.time()
    def split(name, limit):
        # DIR/NAME.npz.xz (training/tokenize_splits.py) when present, else DIR/NAME.jsonl, tokenized here.
        packed = os.path.join(args.data, name + ".npz.xz")
        if os.path.exists(packed):
            return load_tokenized(packed, limit)
        return load_split(os.path.join(args.data, name + ".jsonl"), sp, config, limit)[:3]
    tr_ids, tr_y, tr_langs = split("train", args.max_train or None)
    unknown = sorted(set(lang_weight) - set(tr_langs))
    if unknown:
        sys.exit(f"train.py: --lang-weight: no training examples in {', '.join(unknown)} "
                 f"(the split has {', '.join(sorted(set(tr_langs)))})")
    dv_ids, dv_y, dv_langs = split("dev", args.dev_size)
    print(f"loaded {len(tr_ids)} train, {len(dv_ids)} dev in {time.time() - t0:.0f}s; "
          f"mean len {np.mean([len(x) for x in tr_ids]):.1f}", flush=True)
    model = TurnModel(sp.get_piece_size(), args.d, args.layers, args.heads, args.ffn, config["max_tokens"],
                      len(LABELS), args.dropout)
    if args.init:
        grown = init_from(model, torch.load(args.init, map_location="cpu")["state"])
        print("initialised from", args.init + (f"; new identity blocks {grown}" if grown else ""), flush=True)
    device = torch.device(args.device)
    model.to(device)
    print("params", sum(p.numel() for p in model.parameters()), model.cfg, "on", device, flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "tok" not in n and "pos" not in n]
    nodecay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "tok" not in n and "pos" not in n)]
    groups = [{"params": decay, "weight_decay": 0.01}, {"params": nodecay, "weight_decay": 0.0}]
    mlm_head = None
    if args.mlm > 0 or hiding:
        own = set(config["pieces"].values())
        special = torch.tensor([sp.is_control(i) or sp.is_unknown(i) or sp.id_to_piece(i) in own
                                for i in range(sp.get_piece_size())])
        mask_gen = torch.Generator().manual_seed(args.seed)
        msg_id = piece_ids(sp, config)["msg"]
    if args.mlm > 0:
        mlm_head = MaskedTokenHead(args.d, sp.get_piece_size()).to(device)
        groups.append({"params": list(mlm_head.parameters()), "weight_decay": 0.0})
    opt = torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.98))
    budget = args.minutes * 60
    start = time.time()
    last_eval = start
    step, epoch, best = 0, 0, -1.0
    seen = 0
    done = False
    while not done and epoch < args.max_epochs:
        for idx in batches(balanced_order(tr_langs, args.lang_alpha, rng, lang_weight), tr_ids, args.batch, rng):
            el = time.time() - start
            frac = el / budget
            if frac >= 1.0 or seen >= args.max_epochs * len(tr_ids):
                done = True
                break
            warm = min(1.0, (step + 1) / max(1, args.warmup))
            lr = args.lr * warm * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
            for g in opt.param_groups:
                g["lr"] = lr
            x, lengths, y = collate(tr_ids, tr_y, idx)
            if hiding:
                x = mask_pieces(x, lengths, special, hiding_shares(x, msg_id, args.input_dropout, message_share),
                                args.mlm_keep_last, sp.unk_id(), mask_gen)[0]
            masked = chosen = targets = None
            if mlm_head is not None:
                masked, chosen, targets = (t.to(device, non_blocking=True) for t in mask_pieces(
                    x, lengths, special, args.mlm_prob, args.mlm_keep_last, sp.unk_id(), mask_gen))
            x, lengths, y = (t.to(device, non_blocking=True) for t in (x, lengths, y))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.bf16):
                cls_loss, mlm_loss = step_losses(model, mlm_head, x, lengths, y, masked, chosen, targets,
                                                 args.mlm_clean_cls)
            loss = cls_loss if mlm_loss is None else cls_loss + args.mlm * mlm_loss
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in groups for p in g["params"]], 1.0)
            opt.step()
            step += 1
            seen += len(idx)
            if step % 100 == 0:
                mlm_part = f" (masked pieces {mlm_loss.item():.3f})" if mlm_head is not None else ""
                print(f"step {step} ep {seen / len(tr_ids):.2f} loss {cls_loss.item():.4f}{mlm_part} lr {lr:.2e} "
                      f"{seen / (time.time() - start):.0f} ex/s elapsed {el / 60:.1f}m", flush=True)
            if time.time() - last_eval > args.eval_minutes * 60:
                last_eval = time.time()
                best = checkpoint(model, args, dv_ids, dv_y, dv_langs, step, seen / len(tr_ids), best)
        epoch += 1
    best = checkpoint(model, args, dv_ids, dv_y, dv_langs, step, seen / len(tr_ids), best)
    print(f"done: {step} steps, {seen} examples, {(time.time() - start) / 60:.1f} min, "
          f"best dev score {best:.4f}", flush=True)


def init_from(model, state):
    """Loads a checkpoint into model. A model deeper than the checkpoint is grown: the blocks the checkpoint
    lacks start as identities (their two output projections zero), so training continues from the same
    function with more capacity. Returns the indices of the new blocks."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    grown = sorted({int(k.split(".")[1]) for k in missing if k.startswith("blocks.")})
    other = [k for k in missing if not k.startswith("blocks.") or int(k.split(".")[1]) not in grown]
    if unexpected or other or (grown and grown[0] < len(model.blocks) - len(grown)):
        sys.exit(f"train.py: --init checkpoint does not fit the model (unexpected {unexpected[:3]}, missing {other[:3]})")
    with torch.no_grad():
        for i in grown:
            for lin in (model.blocks[i].proj, model.blocks[i].fc2):
                lin.weight.zero_(); lin.bias.zero_()
    return grown


def checkpoint(model, args, dv_ids, dv_y, dv_langs, step, ep, best):
    """Saves last.pt, and best.pt when the dev score improves. The score is the mean over the dialog languages
    of the finished/unfinished macro-F1 (the model card's target), so that en/ru/zh, most of dev, do not
    decide alone."""
    logits, acc, mf1, f1s = evaluate(model, dv_ids, dv_y)
    pred = logits.argmax(1)
    langs = np.array(dv_langs)
    per_lang = {l: finished_unfinished_f1(pred[langs == l], dv_y[langs == l]) for l in DIALOG_LANGS if (langs == l).any()}
    per_lang = {l: f for l, f in per_lang.items() if f is not None}
    score = float(np.mean(list(per_lang.values())))
    cpu_state = {k: v.detach().cpu() for k, v in model.state_dict().items()}  # loadable without a GPU
    state = {"cfg": model.cfg, "state": cpu_state, "step": step, "epoch": ep, "dev_acc": acc, "dev_macro_f1": mf1,
             "dev_lang_finunf": per_lang, "dev_score": score, "args": vars(args)}
    torch.save(state, os.path.join(args.out, "last.pt"))
    if score > best:
        best = score
        torch.save(state, os.path.join(args.out, "best.pt"))
    print(f"EVAL step {step} ep {ep:.2f} dev acc {acc:.4f} macro-F1 {mf1:.4f} per-label "
          + " ".join(f"{l}={f:.3f}" for l, f in zip(LABELS, f1s))
          + " fin/unf " + " ".join(f"{l}={f:.3f}" for l, f in per_lang.items())
          + f" score {score:.4f} best {best:.4f}", flush=True)
    return best


if __name__ == "__main__":
    main()
