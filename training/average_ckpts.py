"""Average the weights of checkpoints of one architecture (a "model soup"; with the starting point as one of
them, the interpolation of WiSE-FT). Runs fine-tuned from the same checkpoint stay in one basin, so their
average is a model of its own, often better on text unlike the training data than either run.

Usage: python average_ckpts.py --ckpt A.pt --ckpt B.pt [--weights 0.5,0.5] --out SOUP.pt
"""
import argparse

import torch


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", action="append", required=True, help="a checkpoint (repeat)")
    ap.add_argument("--weights", default=None, help="comma-separated weights, one per --ckpt (default equal)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if len(args.ckpt) < 2:
        ap.error("give at least two --ckpt")
    w = [float(x) for x in args.weights.split(",")] if args.weights else [1.0] * len(args.ckpt)
    if len(w) != len(args.ckpt) or sum(w) <= 0:
        ap.error("--weights needs one positive-sum weight per --ckpt")
    w = [x / sum(w) for x in w]
    sts = [torch.load(p, map_location="cpu") for p in args.ckpt]
    for p, st in zip(args.ckpt[1:], sts[1:]):
        if st["cfg"] != sts[0]["cfg"] or st["state"].keys() != sts[0]["state"].keys():
            raise SystemExit(f"average_ckpts: {p} is not the architecture of {args.ckpt[0]}")
    state = {k: sum(wi * st["state"][k].float() for wi, st in zip(w, sts)) for k in sts[0]["state"]}
    torch.save({"cfg": sts[0]["cfg"], "state": state, "step": 0, "epoch": 0.0, "dev_acc": None, "dev_macro_f1": None,
                "averaged": list(zip(args.ckpt, w))}, args.out)
    print("wrote", args.out, "=", " + ".join(f"{x:.2f} * {p}" for p, x in zip(args.ckpt, w)))


if __name__ == "__main__":
    main()
