#!/usr/bin/env python3
"""The `saywhen onnx info|run|bench` commands end to end, on a small model built here:
MatMul -> Add(bias) -> Relu, which the optimizer turns into saywhen.FusedMatMul -> Relu.

Usage: onnx_cli_test.py --saywhen BUILD/saywhen
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def build_model(path, w, b):
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["z"]),
         helper.make_node("Relu", ["z"], ["y"])],
        "cli", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 8, 32])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, path)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--saywhen", required=True)
    sw = ap.parse_args().saywhen
    failures = []

    def check(ok, what):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            failures.append(what)

    rng = np.random.default_rng(3)
    w = rng.standard_normal((16, 32)).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    x = rng.standard_normal((2, 8, 16)).astype(np.float32)
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        model, xin = td / "cli.onnx", td / "x.npy"
        build_model(model, w, b)
        np.save(xin, x)

        r = run([sw, "onnx", "info", str(model)])
        check(r.returncode == 0 and "MatMul: 1" in r.stdout and "Relu: 1" in r.stdout, "onnx info lists the ops")

        r = run([sw, "onnx", "run", str(model), "--input", f"x={xin}", "--output-dir", str(td / "out")])
        y = np.load(td / "out" / "y.npy") if r.returncode == 0 else None
        want = np.maximum(x @ w + b, 0)
        check(y is not None and y.shape == want.shape and np.abs(y - want).max() < 1e-5,
              "onnx run writes y.npy = relu(x w + b)")

        r = run([sw, "onnx", "bench", str(model), "--input", f"x={xin}", "--runs", "20", "--json", "--profile"])
        last = json.loads(r.stdout.strip().splitlines()[-1]) if r.returncode == 0 else {}
        check(all(k in last for k in ("p50_ms", "p95_ms", "p99_ms", "load_ms", "rss_mb", "runs", "threads"))
              and last.get("runs") == 20, "onnx bench --json: the last line has the documented keys")
        ops = {p["op"]: p for p in last.get("profile", [])}
        check(set(ops) == {"saywhen.FusedMatMul", "Relu"} and all(p["calls"] == 1 and p["ms"] >= 0 for p in ops.values()),
              f"onnx bench --profile: one FusedMatMul (bias folded in) and one Relu per run: {sorted(ops)}")
        check("op (per run)" in r.stdout, "onnx bench --profile prints the table")

        r = run([sw, "onnx", "bench", str(td / "missing.onnx")])
        err = r.stderr.strip().splitlines()
        check(r.returncode != 0 and len(err) == 1 and "missing.onnx" in err[0], "a missing model: one line naming it")
        (td / "bad.onnx").write_bytes(b"\x08\x07garbage")
        r = run([sw, "onnx", "bench", str(td / "bad.onnx")])
        err = r.stderr.strip().splitlines()
        check(r.returncode != 0 and len(err) == 1 and "bad.onnx" in err[0], "a malformed model: one line naming it")
    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("all onnx CLI checks passed")


if __name__ == "__main__":
    main()
