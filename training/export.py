#!/usr/bin/env python3
"""Calibrate (temperature on dev), export to ONNX (plain ops), quantize to int8, verify.

Writes into --outdir: model.onnx (int8), config.json; and calibration/verification numbers to
--report (JSON). The fp32 ONNX stays in --work.
"""
import argparse, json, os, subprocess, sys, tempfile, time
import numpy as np
import torch
import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from saywhen_text.model import TurnModel, ExportWrapper  # noqa: E402
from saywhen_text.common import LABELS, default_config, lang_values, load_split  # noqa: E402
from train import evaluate  # noqa: E402

ALLOWED = {"Gather", "MatMul", "Add", "Mul", "Div", "Sub", "LayerNormalization", "ReduceMean", "Softmax", "Erf",
           "Tanh", "Relu", "Reshape", "Transpose", "Slice", "Where", "Equal", "Concat", "Shape", "Unsqueeze",
           "Squeeze", "Constant", "Gemm", "Sqrt", "Pow", "Cast", "Range", "Expand", "ConstantOfShape",
           "DynamicQuantizeLinear", "MatMulInteger", "DequantizeLinear", "QuantizeLinear", "Identity", "Split"}


def ece(probs, labels, bins=15):
    conf = probs.max(1); pred = probs.argmax(1); acc = (pred == labels)
    e = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            e += m.mean() * abs(acc[m].mean() - conf[m].mean())
    return float(e)


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def fit_temperature(logits, labels):
    best = (1e9, 1.0)
    for t in np.exp(np.linspace(np.log(0.3), np.log(5.0), 200)):
        p = softmax(logits / t)
        nll = -np.log(p[np.arange(len(labels)), labels] + 1e-12).mean()
        best = min(best, (nll, float(t)))
    return best[1]


def finished_thresholds(specs):
    """--threshold LANG=P arguments -> config.json's "thresholds" (the default stays 0.5)."""
    out = default_config()["thresholds"]
    for lang, value in lang_values(specs, "export.py: --threshold", 0.0, 1.0).items():
        out[lang] = {"finished": value}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--saywhen", default=None, help="saywhen CLI binary for the runtime check")
    ap.add_argument("--dev-size", type=int, default=0)
    ap.add_argument("--threshold", action="append", default=[], metavar="LANG=P",
                    help="a p(finished) threshold for LANG written into config.json (repeatable); others keep 0.5")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.work, exist_ok=True)
    sp = spm.SentencePieceProcessor(model_file=args.tokenizer)
    config = default_config(finished_thresholds(args.threshold))
    st = torch.load(args.ckpt, map_location="cpu")
    model = TurnModel(**st["cfg"], dropout=0.0)
    model.load_state_dict(st["state"])
    model.eval()
    rep = {"checkpoint": {k: st[k] for k in ("step", "epoch", "dev_acc", "dev_macro_f1")}}

    dv_ids, dv_y, dv_lang, _ = load_split(os.path.join(args.data, "dev.jsonl"), sp, config, args.dev_size or None)
    logits, acc, mf1, _ = evaluate(model, dv_ids, dv_y)
    T = fit_temperature(logits, dv_y)
    rep["temperature"] = T
    rep["dev_ece_before"] = ece(softmax(logits), dv_y)
    rep["dev_ece_after"] = ece(softmax(logits / T), dv_y)
    rep["dev_acc"] = acc
    rep["dev_macro_f1"] = mf1
    print(f"T={T:.3f} ECE {rep['dev_ece_before']:.4f} -> {rep['dev_ece_after']:.4f}; dev acc {acc:.4f}", flush=True)

    # per-language dev thresholds for finished (finished vs unfinished decision), reported only
    probs = softmax(logits / T)
    thr = {}
    for lang in sorted(set(dv_lang)):
        m = np.array([l == lang for l in dv_lang]) & (dv_y <= 1)
        if m.sum() < 200:
            continue
        best = (0, 0.5)
        for t in np.linspace(0.2, 0.8, 25):
            pr = np.where(probs[m, 0] >= t, 0, 1)
            f = []
            for k in (0, 1):
                tp = ((pr == k) & (dv_y[m] == k)).sum(); fp = ((pr == k) & (dv_y[m] != k)).sum(); fn = ((pr != k) & (dv_y[m] == k)).sum()
                f.append(2 * tp / max(1, 2 * tp + fp + fn))
            best = max(best, (float(np.mean(f)), float(t)))
        thr[lang] = {"best_threshold": round(best[1], 3), "macro_f1_at_best": round(best[0], 4)}
    rep["dev_threshold_search"] = thr

    wrapper = ExportWrapper(model, T).eval()
    fp32 = os.path.join(args.work, "model.fp32.onnx")
    dummy = torch.from_numpy(dv_ids[0][None, :])
    kw = dict(input_names=["input_ids"], output_names=["probs"], dynamic_axes={"input_ids": {1: "seq"}},
              opset_version=17, do_constant_folding=True)
    try:
        torch.onnx.export(wrapper, (dummy,), fp32, dynamo=False, **kw)
    except TypeError:
        torch.onnx.export(wrapper, (dummy,), fp32, **kw)
    import onnx
    from onnxruntime.quantization import quantize_dynamic, QuantType
    m = onnx.load(fp32)
    ops = sorted({n.op_type for n in m.graph.node})
    print("fp32 ops:", ops, flush=True)
    bad = [o for o in ops if o not in ALLOWED]
    if bad:
        raise SystemExit(f"unexpected ops in export: {bad}")
    int8 = os.path.join(args.outdir, "model.onnx")
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
    q = onnx.load(int8)
    rep["int8_ops"] = sorted({n.op_type for n in q.graph.node})
    rep["int8_bytes"] = os.path.getsize(int8)
    print("int8 ops:", rep["int8_ops"], "size", rep["int8_bytes"], flush=True)

    import onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
    s32 = ort.InferenceSession(fp32, so, providers=["CPUExecutionProvider"])
    s8 = ort.InferenceSession(int8, so, providers=["CPUExecutionProvider"])
    n = min(1000, len(dv_ids))
    p32 = np.stack([s32.run(None, {"input_ids": dv_ids[i][None, :]})[0][0] for i in range(n)])
    p8 = np.stack([s8.run(None, {"input_ids": dv_ids[i][None, :]})[0][0] for i in range(n)])
    rep["torch_vs_ort_fp32_maxdiff"] = float(np.abs(p32 - probs[:n]).max())
    rep["fp32_vs_int8_maxdiff"] = float(np.abs(p32 - p8).max())
    rep["fp32_vs_int8_label_agreement"] = float((p32.argmax(1) == p8.argmax(1)).mean())
    rep["int8_dev_acc_first_n"] = float((p8.argmax(1) == dv_y[:n]).mean())
    # ORT latency at 64 tokens, 1 thread
    x64 = np.full((1, 64), 5, dtype=np.int64); x64[0, 0] = sp.bos_id()
    for _ in range(20):
        s8.run(None, {"input_ids": x64})
    ts = []
    for _ in range(200):
        t0 = time.perf_counter(); s8.run(None, {"input_ids": x64}); ts.append(time.perf_counter() - t0)
    rep["ort_int8_p50_ms_64tok_1thread"] = float(np.median(ts) * 1000)
    print(json.dumps({k: rep[k] for k in rep if "diff" in k or "agree" in k or "ort_" in k}), flush=True)

    if args.saywhen:
        diffs = []
        with tempfile.TemporaryDirectory() as td:
            for i in range(0, n, max(1, n // 20)):
                f = os.path.join(td, "ids.npy")
                np.save(f, dv_ids[i][None, :])
                od = os.path.join(td, f"o{i}")
                r = subprocess.run([args.saywhen, "onnx", "run", int8, "--input", f"input_ids={f}", "--output-dir", od,
                                    "--threads", "1"], capture_output=True, text=True)
                if r.returncode != 0:
                    rep["saywhen_error"] = r.stderr[-2000:]
                    print("saywhen failed:", r.stderr[-2000:], flush=True)
                    break
                diffs.append(float(np.abs(np.load(os.path.join(od, "probs.npy"))[0] - p8[i]).max()))
        if diffs:
            rep["saywhen_vs_ort_int8_maxdiff"] = max(diffs)
            rep["saywhen_checked"] = len(diffs)
            print(f"saywhen vs ORT int8: max diff {max(diffs):.2e} over {len(diffs)} inputs", flush=True)

    with open(os.path.join(args.outdir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    with open(args.report, "w") as f:
        json.dump(rep, f, indent=2)
    print("wrote", int8, os.path.join(args.outdir, "config.json"), args.report)


if __name__ == "__main__":
    main()
