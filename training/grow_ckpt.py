"""Grow a checkpoint to more transformer blocks, the new ones starting as identities, and save it.

`train.py --init` grows a checkpoint the same way when it is given more --layers; this script writes the grown
start to a file so that two runs can share one start (the new blocks' random weights included) and the WiSE-FT
average (`average_ckpts.py`) can take the start as one of its checkpoints: averaging runs whose new blocks were
drawn with different seeds would mix unrelated weights.

Usage: python grow_ckpt.py --ckpt START.pt --layers 5 --seed 13 --out GROWN.pt
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.model import TurnModel  # noqa: E402
from train import init_from  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--layers", type=int, required=True, help="blocks of the grown model (more than the checkpoint's)")
    ap.add_argument("--seed", type=int, default=1, help="torch seed of the new blocks' weights")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    st = torch.load(args.ckpt, map_location="cpu")
    if args.layers <= st["cfg"]["layers"]:
        ap.error(f"--layers {args.layers} does not grow {args.ckpt} ({st['cfg']['layers']} blocks)")
    torch.manual_seed(args.seed)
    cfg = dict(st["cfg"], layers=args.layers)
    model = TurnModel(**cfg)
    grown = init_from(model, st["state"])
    torch.save(dict(st, cfg=cfg, state=model.state_dict(),
                    averaged=[(f"{args.ckpt} grown to {args.layers} blocks (seed {args.seed})", 1.0)]), args.out)
    print("wrote", args.out, "new identity blocks", grown)


if __name__ == "__main__":
    main()
