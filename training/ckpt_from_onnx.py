"""Recover a training checkpoint from the shipped models/text-turn/model.onnx, so that a stage can continue
from the shipped model on a machine that no longer has the run's best.pt (the checkpoints live in a cache,
outside git).

The int8 matrices are dequantized ((q - zero_point) * scale); the embeddings, biases and layer norms are float
in the file and come back exactly. The last block's q/kv split (an export-only form, see Block.split_qkv) is
joined back into qkv. The recovered model is checked against ONNX Runtime on the file itself: the script fails
if any probability differs by more than --tol (0.03) or fewer than 98 % of the labels agree on a few hundred dev
inputs (a wrong mapping gives differences near 1).

Usage: python ckpt_from_onnx.py --onnx ../models/text-turn/model.onnx --tokenizer ../models/text-turn/tokenizer.model \
           --data $WORK/data --out $WORK/shipped.pt
"""
import argparse
import os
import sys

import numpy as np
import onnx
import sentencepiece as spm
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.common import default_config, load_split  # noqa: E402
from saywhen_text.model import TurnModel  # noqa: E402


def matmul_weights(graph, inits):
    """Float weight [in, out] of every MatMulInteger / MatMul with a constant B, in graph order, each with the
    name of the bias its result is added to (the Add that consumes it, directly or after a Cast/Mul)."""
    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def bias_after(out, depth=0):
        for c in consumers.get(out, []):
            if c.op_type == "Add":
                for i in c.input:
                    if i in inits and i.endswith(".bias"):
                        return i
            if depth < 3 and c.op_type in ("Cast", "Mul"):
                b = bias_after(c.output[0], depth + 1)
                if b:
                    return b
        return None

    found = []
    for n in graph.node:
        if n.op_type == "MatMulInteger" and n.input[1] in inits:
            q = inits[n.input[1]].astype(np.float32)
            zp = float(inits[n.input[3]]) if len(n.input) > 3 and n.input[3] in inits else 0.0
            scale = float(inits[n.input[1][: -len("_quantized")] + "_scale"])
            found.append((n.input[1], (q - zp) * scale, bias_after(n.output[0])))
        elif n.op_type == "MatMul" and n.input[1] in inits:
            found.append((n.input[1], inits[n.input[1]].astype(np.float32), bias_after(n.output[0])))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--data", required=True, help="data dir with dev.jsonl (for the check)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--check", type=int, default=300, help="dev inputs compared with ONNX Runtime")
    ap.add_argument("--tol", type=float, default=0.03,
                    help="largest probability difference allowed (ONNX Runtime also quantizes the activations "
                         "to int8; the export measured 0.02 between its float and int8 files)")
    args = ap.parse_args()

    m = onnx.load(args.onnx)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    vocab, d = inits["model.tok.weight"].shape
    max_len = inits["model.pos.weight"].shape[0]
    layers = 1 + max(int(k.split(".")[2]) for k in inits if k.startswith("model.blocks."))
    ffn = inits["model.blocks.0.fc1.bias"].shape[0]
    n_labels = inits["model.head.bias"].shape[0]
    heads = 4  # not recorded in the file (the attention reshapes fold it into constants): the architecture's
    inv_t = [float(numpy_helper.to_array(a.t)) for n in m.graph.node if n.op_type == "Constant"
             for a in n.attribute if a.name == "value" and a.t.data_type == 1 and not a.t.dims]
    state = {k[len("model."):]: torch.from_numpy(v.copy()) for k, v in inits.items()
             if k.startswith("model.") and not k.endswith("_quantized") and not k.endswith("_scale")
             and not k.endswith("_zero_point") and "_export." not in k and k != "model.head.weight_Transposed"}
    by_bias = {}
    for name, w, bias in matmul_weights(m.graph, inits):
        if bias is None:
            sys.exit(f"ckpt_from_onnx: no bias found after the matrix {name}")
        by_bias[bias[len("model."):]] = torch.from_numpy(np.ascontiguousarray(w.T))
    # model.head.bias is added after a MatMul whose weight is head.weight transposed
    for key in list(by_bias):
        mod = key[: -len(".bias")]
        if mod.endswith("q_export") or mod.endswith("kv_export"):
            continue
        state[mod + ".weight"] = by_bias[key]
    last = f"blocks.{layers - 1}"
    if f"{last}.q_export.bias" in by_bias:
        state[f"{last}.qkv.weight"] = torch.cat([by_bias[f"{last}.q_export.bias"], by_bias[f"{last}.kv_export.bias"]])
        state[f"{last}.qkv.bias"] = torch.cat([torch.from_numpy(inits[f"model.{last}.q_export.bias"].copy()),
                                               torch.from_numpy(inits[f"model.{last}.kv_export.bias"].copy())])
    model = TurnModel(vocab=vocab, d=d, layers=layers, heads=heads, ffn=ffn, max_len=max_len, n_labels=n_labels,
                      dropout=0.0)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f"ckpt_from_onnx: the file does not map onto the model (missing {missing[:4]}, unexpected {unexpected[:4]})")
    model.eval()

    # The check: the recovered model against ONNX Runtime on the file itself.
    import onnxruntime as ort
    sess = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"])
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    ids, _, _, _ = load_split(os.path.join(args.data, "dev.jsonl"), sp, default_config(), args.check)
    worst, temp, agree = 0.0, None, 0
    for x in ids:
        ref = sess.run(None, {"input_ids": x[None, :].astype(np.int64)})[0][0]
        with torch.no_grad():
            logits = model(torch.from_numpy(x[None, :].astype(np.int64)))[0].numpy()
        if temp is None:  # the export's temperature: the one inverse-temperature constant that reproduces ref
            cands = inv_t or [1.0]
            temp = min(cands, key=lambda c: np.abs(np.exp(logits * c) / np.exp(logits * c).sum() - ref).max())
        p = np.exp(logits * temp - (logits * temp).max())
        p /= p.sum()
        worst = max(worst, float(np.abs(p - ref).max()))
        agree += int(p.argmax() == ref.argmax())
    print(f"recovered {layers} blocks, d {d}, ffn {ffn}, vocab {vocab}; temperature {1 / temp:.4f}; "
          f"against ONNX Runtime on {len(ids)} dev inputs: largest probability difference {worst:.2e}, "
          f"same label {agree}/{len(ids)}", flush=True)
    if worst > args.tol or agree < 0.98 * len(ids):
        sys.exit(f"ckpt_from_onnx: recovered model differs from {args.onnx}: by {worst:.3g} (allowed {args.tol}), "
                 f"same label {agree}/{len(ids)}")
    torch.save({"cfg": model.cfg, "state": model.state_dict(), "step": 0, "epoch": 0.0, "dev_acc": None,
                "dev_macro_f1": None, "source": os.path.abspath(args.onnx)}, args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
