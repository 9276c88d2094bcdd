#!/usr/bin/env python3
"""The text turn model: saywhen against ONNX Runtime on the same ONNX file, in one run.

    text_vs_ort.py --bench build/release/bench/saywhen_bench [--model models/text-turn]
                   [--runs 2000] [--markdown OUT.md]

Runs bench/text_bench.cpp (BM_TextModel: Session::run on N input ids; BM_TextPredict:
tokenizer + model + decision) and, in this process right after, ONNX Runtime
(CPUExecutionProvider, sequential, all graph optimisations, intra-op threads = T) on
the very same ids, for N = 16, 64, 256 (256 is cut to the model's max_tokens, 128) and
T = 1, 2. Latencies are per-call medians. Prints a Markdown table with the ratios.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parent.parent


def ids_for(n: int, cls: int) -> np.ndarray:
    # The same ids as BM_TextModel builds.
    ids = np.array([100 + (i * 37) % 5000 for i in range(n)], dtype=np.int64)
    ids[0] = cls
    return ids[None, :]


def ort_p50(path: Path, ids: np.ndarray, threads: int, runs: int) -> float:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    feeds = {"input_ids": ids}
    for _ in range(20):
        s.run(None, feeds)
    lat = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.run(None, feeds)
        lat.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(lat))


VARYING = [16, 23, 30, 37, 44, 51, 58, 65, 72, 79, 86, 93, 100, 107, 114, 128]  # as text_bench.cpp


def ort_varying_p50(path: Path, cls: int, threads: int, runs: int) -> float:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    feeds = [{"input_ids": ids_for(n, cls)} for n in VARYING]
    for f in feeds:
        s.run(None, f)
    lat = []
    for i in range(runs):
        t0 = time.perf_counter()
        s.run(None, feeds[i % len(feeds)])
        lat.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(lat))


def cpu_name() -> str:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, type=Path, help="saywhen_bench binary")
    ap.add_argument("--model", type=Path, default=REPO / "models" / "text-turn")
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--min-time", default="1.0", help="Google Benchmark --benchmark_min_time (seconds)")
    ap.add_argument("--markdown", type=Path)
    args = ap.parse_args()

    import sentencepiece as spm
    config = json.loads((args.model / "config.json").read_text())
    sp = spm.SentencePieceProcessor(model_file=str(args.model / "tokenizer.model"))
    cls = sp.piece_to_id(config["pieces"]["cls"])
    max_tokens = int(config["max_tokens"])

    env = dict(os.environ, SAYWHEN_TEXT_MODEL=str(args.model))
    out = subprocess.run([str(args.bench), "--benchmark_filter=BM_Text", "--benchmark_format=json",
                          f"--benchmark_min_time={args.min_time}"],
                         env=env, check=True, capture_output=True, text=True).stdout
    sw = {}
    for b in json.loads(out)["benchmarks"]:
        if "error_occurred" in b and b["error_occurred"]:
            print(f"{b['name']}: {b.get('error_message')}", file=sys.stderr)
            return 1
        kind, rest = b["run_name"].split("/", 1)
        parts = dict(p.split(":") for p in rest.split("/") if ":" in p)
        sw[(kind, int(parts["threads"]), int(parts.get("tokens", 0)))] = b

    rows = []
    for t in (1, 2):
        for n in (16, 64, 256):
            m = sw[("BM_TextModel", t, n)]
            p = sw[("BM_TextPredict", t, n)]
            used = min(n, max_tokens)
            ort_ms = ort_p50(args.model / "model.onnx", ids_for(used, cls), t, args.runs)
            rows.append({"threads": t, "tokens": n, "ids": used, "predict_ids": int(p["ids"]),
                         "saywhen_model_ms": m["p50_us"] / 1e3, "saywhen_predict_ms": p["p50_us"] / 1e3,
                         "saywhen_predict_p95_ms": p["p95_us"] / 1e3, "ort_ms": ort_ms,
                         "ratio": m["p50_us"] / 1e3 / ort_ms})
            r = rows[-1]
            print(f"threads {t} tokens {n}: saywhen model {r['saywhen_model_ms']:.3f} ms, predict "
                  f"{r['saywhen_predict_ms']:.3f} ms, ORT {ort_ms:.3f} ms, ratio {r['ratio']:.2f}", flush=True)

    for t in (1, 2):
        m = sw[("BM_TextModelVarying", t, 0)]
        p = sw[("BM_TextPredictVarying", t, 0)]
        ort_ms = ort_varying_p50(args.model / "model.onnx", cls, t, args.runs)
        rows.append({"threads": t, "tokens": "16..128, each call another", "ids": "16..128", "predict_ids": "16..128",
                     "saywhen_model_ms": m["p50_us"] / 1e3, "saywhen_predict_ms": p["p50_us"] / 1e3,
                     "saywhen_predict_p95_ms": p["p95_us"] / 1e3, "ort_ms": ort_ms,
                     "ratio": m["p50_us"] / 1e3 / ort_ms})
        r = rows[-1]
        print(f"threads {t} varying: saywhen model {r['saywhen_model_ms']:.3f} ms, predict "
              f"{r['saywhen_predict_ms']:.3f} ms, ORT {ort_ms:.3f} ms, ratio {r['ratio']:.2f}", flush=True)

    size_mb = (args.model / "model.onnx").stat().st_size / 1e6
    lines = [
        f"Measured {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} on {cpu_name()} "
        f"({os.cpu_count()} cores), onnxruntime {ort.__version__}, model {args.model.name}/model.onnx "
        f"({size_mb:.1f} MB), `bench/text_vs_ort.py --runs {args.runs}`. Per-call medians (p50).",
        "",
        "| threads | tokens asked | ids the model runs | saywhen model ms | ONNX Runtime ms | ratio | "
        "saywhen predict ms (p50 / p95, tokenizer + model) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['tokens']} | {r['ids']} | {r['saywhen_model_ms']:.3f} | "
                     f"{r['ort_ms']:.3f} | **{r['ratio']:.2f}** | {r['saywhen_predict_ms']:.3f} / "
                     f"{r['saywhen_predict_p95_ms']:.3f} ({r['predict_ids']} ids) |")
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
