#!/usr/bin/env python3
"""saywhen against ONNX Runtime on the same models, inputs and thread counts, in one run.

    compare_ort.py --saywhen build/release/saywhen [--shared ../shared] [--cache DIR]
                   [--threads 1 2] [--runs 50] [--markdown OUT.md]
                   [--vad-bench build/release/bench/saywhen_bench]

For each model and thread count it measures, in this one process run:
  - steady-state latency (median of --runs after warm-up) of ONNX Runtime
    (CPUExecutionProvider, sequential, graph optimisations on, intra-op threads = N)
    and of `saywhen onnx bench` (same inputs, written to .npy), and their ratio;
  - load + first inference and peak resident memory, each runtime in a fresh process;
  - achieved GOP/s of saywhen (2 ops per multiply-accumulate of MatMul/Gemm/Conv,
    counted from the graph with ONNX shape inference) against the CPU's peak.
With --vad-bench, also Silero VAD as a stream, 1 thread, in the same run: one window of
saywhen's VadStream (BM_VadWindow) against ONNX Runtime's session.run on the same model, and
the whole 60 s silero_test.wav through saywhen's VadSegmenter (BM_VadSegmenter60s, audio in
20 ms chunks) against a bare ONNX Runtime window loop and against silero-vad's own
get_speech_timestamps (its OnnxWrapper, what Python users run).
Results go to stdout as a Markdown table (and to --markdown).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import shape_inference

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def macs_of(path: Path, feeds: dict[str, np.ndarray]) -> int:
    """Multiply-accumulates of MatMul/Gemm/Conv(-Integer) nodes for these input shapes."""
    m = onnx.load(str(path))
    for inp in m.graph.input:
        if inp.name in feeds:
            dims = inp.type.tensor_type.shape.dim
            for d, v in zip(dims, feeds[inp.name].shape):
                d.ClearField("dim_param")
                d.dim_value = v
    m = shape_inference.infer_shapes(m, data_prop=True)
    shapes = {}
    for vi in list(m.graph.value_info) + list(m.graph.input) + list(m.graph.output):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    for init in m.graph.initializer:
        shapes[init.name] = list(init.dims)
    total = 0
    for n in m.graph.node:
        try:
            if n.op_type in ("MatMul", "MatMulInteger", "Gemm"):
                a, b = shapes[n.input[0]], shapes[n.input[1]]
                out = shapes[n.output[0]]
                trans_a = any(at.name == "transA" and at.i for at in n.attribute)
                k = a[-2] if (n.op_type == "Gemm" and trans_a) else a[-1]
                total += int(np.prod(out)) * k
            elif n.op_type in ("Conv", "ConvInteger"):
                w, out = shapes[n.input[1]], shapes[n.output[0]]
                total += int(np.prod(out)) * int(np.prod(w[1:]))
        except (KeyError, TypeError):
            pass  # shape unknown: not counted (the figure is then a lower bound)
    return total


def ort_session(path: Path, threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def ort_latency(path: Path, feeds, threads: int, runs: int) -> float:
    s = ort_session(path, threads)
    for _ in range(5):
        s.run(None, feeds)
    lat = []
    for _ in range(runs):
        t0 = time.perf_counter()
        s.run(None, feeds)
        lat.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(lat))


ORT_LOAD_SNIPPET = r"""
import sys, time, numpy as np, onnxruntime as ort
path, threads, feeds_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import os
feeds = {f[:-4]: np.load(os.path.join(feeds_dir, f)) for f in os.listdir(feeds_dir)}
def rss_kb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1])
base = rss_kb("VmRSS:")
t0 = time.perf_counter()
so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
s.run(None, feeds)
t = (time.perf_counter() - t0) * 1e3
peak = rss_kb("VmHWM:")
print(t, (peak - base) / 1024.0)
"""


def ort_load(path: Path, feeds_dir: Path, threads: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", ORT_LOAD_SNIPPET, str(path), str(threads), str(feeds_dir)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def saywhen_bench(exe: Path, path: Path, feeds_dir: Path, threads: int, runs: int) -> dict:
    args = [str(exe), "onnx", "bench", str(path), "--threads", str(threads), "--runs", str(runs), "--json"]
    for f in sorted(feeds_dir.iterdir()):
        # Silero's sample rate is constant per stream: saywhen resolves its If once.
        args += ["--fix" if f.stem == "sr" else "--input", f"{f.stem}={f}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip().splitlines()
    return json.loads(out[-1])


def saywhen_baseline_rss(exe: Path, tmp: Path) -> float:
    """Peak RSS (MB) of `saywhen onnx bench` on a one-node model: the process's own
    share (binary, libraries, allocator), so that a model's figure can be given as
    what loading and running it added, the way ONNX Runtime's is measured."""
    from onnx import TensorProto, helper

    g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "baseline",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    path = tmp / "baseline.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))
    feeds = tmp / "baseline-feeds"
    feeds.mkdir(exist_ok=True)
    np.save(feeds / "x.npy", np.zeros(1, np.float32))
    return float(saywhen_bench(exe, path, feeds, 1, 1)["rss_mb"])


def vad_rows(bench: Path, shared: Path, runs: int) -> list[str]:
    """Silero VAD as a stream, saywhen vs ONNX Runtime, 1 thread."""
    import wave

    model = shared / "models/silero-vad/silero_vad.onnx"
    wav = shared / "audio/silero_test.wav"
    with wave.open(str(wav), "rb") as w:
        audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
    seconds = len(audio) / 16000
    out = subprocess.run([str(bench), "--benchmark_filter=BM_Vad", "--benchmark_format=json",
                          "--benchmark_min_time=1"],
                         check=True, capture_output=True, text=True, env=dict(os.environ, SAYWHEN_SHARED=str(shared)))
    res = {b["name"]: b for b in json.loads(out.stdout)["benchmarks"]}
    def ms(b, key="real_time"):
        return b[key] * {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
    sw_window = ms(res["BM_VadWindow/1"])
    sw_window_cpu = ms(res["BM_VadWindow/1"], "cpu_time")
    sw_file = ms(res["BM_VadSegmenter60s"])

    rng = np.random.default_rng(0)
    feeds = {"input": rng.normal(0, 0.1, (1, 576)).astype(np.float32),
             "state": np.zeros((2, 1, 128), np.float32), "sr": np.array(16000, np.int64)}
    ort_window = ort_latency(model, feeds, 1, max(runs, 200))
    # CPU time as well: on a shared machine wall time includes waiting for a core. ORT with
    # one intra-op thread runs on the calling thread, so the process's CPU time is its own.
    s = ort_session(model, 1)
    for _ in range(20):
        s.run(None, feeds)
    n = max(runs, 200) * 10
    t0 = time.process_time()
    for _ in range(n):
        s.run(None, feeds)
    ort_window_cpu = (time.process_time() - t0) * 1e3 / n

    s = ort_session(model, 1)
    def ort_file() -> float:
        t0 = time.perf_counter()
        state, ctx = np.zeros((2, 1, 128), np.float32), np.zeros(64, np.float32)
        n = len(audio)
        padded = np.concatenate([audio, np.zeros(-n % 512, np.float32)])
        sr = np.array(16000, np.int64)
        for i in range(0, n, 512):
            x = np.concatenate([ctx, padded[i:i + 512]])[None, :]
            _, state = s.run(None, {"input": x, "state": state, "sr": sr})
            ctx = x[0, -64:]
        return (time.perf_counter() - t0) * 1e3
    ort_file()
    ort_file_ms = float(np.median([ort_file() for _ in range(3)]))

    import torch
    from silero_vad.utils_vad import OnnxWrapper, get_speech_timestamps
    torch.set_num_threads(1)
    wrapper = OnnxWrapper(str(model), force_onnx_cpu=True)
    x = torch.from_numpy(audio)
    def silero_file() -> float:
        t0 = time.perf_counter()
        get_speech_timestamps(x, wrapper, sampling_rate=16000)
        return (time.perf_counter() - t0) * 1e3
    silero_file()
    silero_ms = float(np.median([silero_file() for _ in range(3)]))

    return [
        "",
        "| Silero VAD v6, 1 thread | ONNX Runtime | saywhen | ratio |",
        "|---|---:|---:|---:|",
        f"| one 512-sample window (saywhen `VadStream::process_window`, ORT `session.run`) | {ort_window * 1e3:.1f} µs "
        f"| {sw_window * 1e3:.1f} µs | **{sw_window / ort_window:.2f}** |",
        f"| the same, CPU time instead of wall time | {ort_window_cpu * 1e3:.1f} µs "
        f"| {sw_window_cpu * 1e3:.1f} µs | **{sw_window_cpu / ort_window_cpu:.2f}** |",
        f"| {seconds:.0f} s file, bare ORT window loop vs `VadSegmenter` (20 ms chunks) | {ort_file_ms:.0f} ms "
        f"(RTF {ort_file_ms / 1e3 / seconds:.4f}) | {sw_file:.1f} ms (RTF {sw_file / 1e3 / seconds:.4f}, "
        f"{seconds / (sw_file / 1e3):.0f}x real time) | **{sw_file / ort_file_ms:.2f}** |",
        f"| {seconds:.0f} s file, silero-vad `get_speech_timestamps` (ORT) vs `VadSegmenter` | {silero_ms:.0f} ms "
        f"(RTF {silero_ms / 1e3 / seconds:.4f}) | {sw_file:.1f} ms | **{sw_file / silero_ms:.2f}** |",
    ]


def cpu_has_flag(flag: str) -> bool:
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            return flag in line.split()
    return False


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def cpu_mhz() -> float:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("cpu MHz"):
                return float(line.split(":", 1)[1])
    except OSError:
        pass
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saywhen", required=True, type=Path)
    ap.add_argument("--shared", type=Path, default=Path(os.environ.get("SAYWHEN_SHARED", REPO.parent / "shared")))
    ap.add_argument("--cache", type=Path, default=REPO / "build" / "parity-cache")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--only", default="", help="run only models whose name contains this")
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--vad-bench", type=Path, help="saywhen_bench binary: add the Silero VAD stream rows")
    args = ap.parse_args()

    subprocess.run([sys.executable, str(REPO / "tests" / "parity" / "make_models.py"), str(args.cache)], check=True,
                   stdout=subprocess.DEVNULL)
    rng = np.random.default_rng(0)
    features = np.clip(rng.normal(-0.2, 0.5, (1, 80, 800)), -1.5, 1.5).astype(np.float32)
    window = (rng.normal(0, 0.1, (1, 576))).astype(np.float32)
    silero_feeds = {"input": window, "state": np.zeros((2, 1, 128), np.float32), "sr": np.array(16000, np.int64)}
    models = [
        ("Smart Turn v3.2 (int8 QDQ)", args.shared / "models/smart-turn/smart-turn-v3.2-cpu.onnx",
         {"input_features": features}, None),
        ("Smart-Turn-shaped fp32 (opset 18)", args.cache / "smartturn_arch_op18.onnx", {"input_features": features}, None),
        ("same graph, int8 QDQ, vs ORT fp32", args.cache / "smartturn_arch_op18_qdq.onnx", {"input_features": features},
         args.cache / "smartturn_arch_op18.onnx"),
        ("Silero VAD v6, one window", args.shared / "models/silero-vad/silero_vad.onnx", silero_feeds, None),
    ]
    mhz = cpu_mhz()
    # Zen 4/5 class AVX-512: 2 FMA pipes x 16 fp32 lanes; VNNI: 2 x 64 int8 MACs per cycle;
    # AMX (which saywhen's int8 products use where the CPU has it, unless SAYWHEN_ISA caps
    # them): one 16 x 16 x 64 tile product per 16 cycles, 1024 MACs per cycle.
    peak_fp32 = mhz * 1e6 * 2 * 16 * 2 / 1e9
    amx = cpu_has_flag("amx_int8") and os.environ.get("SAYWHEN_ISA", "") not in ("ref", "avx2", "avx512")
    peak_int8 = mhz * 1e6 * (1024 if amx else 2 * 64) * 2 / 1e9
    int8_unit = "AMX tile products" if amx else "2 VNNI dot-product pipes"
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base_rss = saywhen_baseline_rss(args.saywhen, Path(tmp))
        for name, path, feeds, ort_path in models:
            if args.only and args.only not in name:
                continue
            feeds_dir = Path(tmp) / path.stem
            feeds_dir.mkdir(exist_ok=True)
            for k, v in feeds.items():
                np.save(feeds_dir / f"{k}.npy", v)
            ref_path = ort_path or path
            macs = macs_of(path, feeds)
            int8 = "qdq" in path.name or "cpu.onnx" in path.name
            for t in args.threads:
                ort_ms = ort_latency(ref_path, feeds, t, args.runs)
                sw = saywhen_bench(args.saywhen, path, feeds_dir, t, args.runs)
                ort_load_ms, ort_rss = ort_load(ref_path, feeds_dir, t)
                gops = 2 * macs / (sw["p50_ms"] * 1e-3) / 1e9 if macs else 0.0
                peak = (peak_int8 if int8 else peak_fp32) * t
                rows.append({
                    "model": name, "threads": t, "ort_ms": ort_ms, "saywhen_ms": sw["p50_ms"],
                    "ratio": sw["p50_ms"] / ort_ms, "saywhen_load_ms": sw["load_ms"], "ort_load_ms": ort_load_ms,
                    "saywhen_rss_mb": sw["rss_mb"], "saywhen_rss_added_mb": sw["rss_mb"] - base_rss,
                    "ort_rss_delta_mb": ort_rss, "gops": gops,
                    "peak_gops": peak, "gmacs": macs / 1e9,
                })
                r = rows[-1]
                print(f"{name} t={t}: ORT {ort_ms:.3f} ms, saywhen {r['saywhen_ms']:.3f} ms, ratio {r['ratio']:.2f}", flush=True)

    lines = [
        f"Measured {date.today().isoformat()} on {cpu_name()} ({os.cpu_count()} cores, {mhz:.0f} MHz), "
        f"onnxruntime {ort.__version__}, `bench/compare_ort.py --runs {args.runs}`.",
        "",
        "| model | threads | ONNX Runtime ms | saywhen ms | ratio | saywhen GOP/s (% of peak) | load+first ms saywhen / ORT | peak RSS MB added by the model: saywhen / ORT (saywhen whole process) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        pct = 100 * r["gops"] / r["peak_gops"] if r["peak_gops"] else 0
        lines.append(
            f"| {r['model']} | {r['threads']} | {r['ort_ms']:.3f} | {r['saywhen_ms']:.3f} | **{r['ratio']:.2f}** | "
            f"{r['gops']:.0f} ({pct:.0f}%) | {r['saywhen_load_ms']:.0f} / {r['ort_load_ms']:.0f} | "
            f"{r['saywhen_rss_added_mb']:.0f} / {r['ort_rss_delta_mb']:.0f} ({r['saywhen_rss_mb']:.0f}) |")
    lines += ["", f"Peak assumed: fp32 {peak_fp32:.0f} GFLOP/s and int8 {peak_int8:.0f} GOP/s per core "
              f"(2 AVX-512 FMA pipes; {int8_unit}, at the nominal clock).",
              "", f"Memory: ONNX Runtime's figure is the peak RSS a Python process (onnxruntime and numpy imported, "
              f"inputs loaded) gains by creating the session and running it once; saywhen's is the peak RSS of "
              f"`saywhen onnx bench` minus that of the same command on a one-node model ({base_rss:.0f} MB: "
              f"binary, libraries, allocator), with the whole process's peak in brackets."]
    if args.vad_bench:
        lines += vad_rows(args.vad_bench, args.shared, args.runs)
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
