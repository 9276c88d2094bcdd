#!/usr/bin/env python3
"""Builds the synthetic ONNX models used by saywhen's parity tests.

    make_models.py OUT_DIR [--seed N] [--force]

Everything is written into OUT_DIR (never into the repository):

  smartturn_arch_op18.onnx      fp32, Smart Turn v3 architecture (Whisper-Tiny-sized
  smartturn_arch_op20.onnx        encoder + attention pooling + classifier), random weights
  smartturn_arch_op18_qdq.onnx  static QDQ int8, made like Smart Turn's training script
                                (quant_pre_process, then quantize_static: QDQ, per-channel,
                                int8 weights, uint8 activations, Conv/MatMul/Gemm)
  smartturn_arch_op18_dyn.onnx  the same fp32 graph through quantize_dynamic
  bert_tiny_op18.onnx           tiny BertModel (vocab 1000, hidden 128, 2 layers, 2 heads)
  bert_tiny_op18_dyn.onnx       its dynamic-int8 version
  manifest.json                 what was built, with the generator's fingerprint

Deterministic from the seed. A rebuild is skipped when manifest.json matches this
script, the seed and the library versions (pass --force to rebuild anyway).

Exporter: torch.onnx.export(dynamo=False), the TorchScript-based exporter. The dynamo
exporter needs the onnxscript package; the legacy one works offline with torch alone and
produces plain ai.onnx ops (LayerNormalization, Erf-GELU, MatMul/Gemm, Softmax, ...).
Attention is built with attn_implementation="eager" so no fused SDPA pattern is involved.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

MANIFEST_VERSION = 1

SMARTTURN_FILES = {
    "smartturn_arch_op18": "smartturn_arch_op18.onnx",
    "smartturn_arch_op20": "smartturn_arch_op20.onnx",
    "smartturn_arch_op18_qdq": "smartturn_arch_op18_qdq.onnx",
    "smartturn_arch_op18_dyn": "smartturn_arch_op18_dyn.onnx",
}
BERT_FILES = {
    "bert_tiny_op18": "bert_tiny_op18.onnx",
    "bert_tiny_op18_dyn": "bert_tiny_op18_dyn.onnx",
}


def log(msg: str) -> None:
    print(f"[make_models] {msg}", flush=True)


def fingerprint(seed: int) -> str:
    import onnx
    import onnxruntime
    import torch
    import transformers

    h = hashlib.sha256()
    h.update(Path(__file__).read_bytes())
    h.update(f"{MANIFEST_VERSION}|{seed}|{np.__version__}|{torch.__version__}|{onnx.__version__}|"
             f"{onnxruntime.__version__}|{transformers.__version__}".encode())
    return h.hexdigest()


# --------------------------------------------------------------------------- models


def build_smartturn_arch(seed: int):
    """Smart Turn v3's network: WhisperEncoder (Whisper-Tiny config, 400 positions)
    + attention pooling (Linear-Tanh-Linear, softmax over time, weighted sum)
    + classifier (Linear-LayerNorm-GELU-Linear-GELU-Linear) + sigmoid."""
    import torch
    from torch import nn
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder

    torch.manual_seed(seed)
    cfg = WhisperConfig(
        vocab_size=51865,
        num_mel_bins=80,
        d_model=384,
        encoder_layers=4,
        encoder_attention_heads=6,
        encoder_ffn_dim=1536,
        decoder_layers=4,
        decoder_attention_heads=6,
        decoder_ffn_dim=1536,
        max_source_positions=400,
        activation_function="gelu",
        dropout=0.0,
        attention_dropout=0.0,
        activation_dropout=0.0,
        attn_implementation="eager",
    )
    cfg._attn_implementation = "eager"

    class SmartTurnArch(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = WhisperEncoder(cfg)
            d = cfg.d_model
            self.pool_attention = nn.Sequential(nn.Linear(d, 256), nn.Tanh(), nn.Linear(256, 1))
            self.classifier = nn.Sequential(
                nn.Linear(d, 256), nn.LayerNorm(256), nn.GELU(),
                nn.Linear(256, 64), nn.GELU(), nn.Linear(64, 1))
            # Randomise everything with a spread a trained network has; the default
            # init of transformers' modules leaves LayerNorms at 1/0 and biases at 0,
            # which would hide bugs in scale/bias handling.
            g = torch.Generator().manual_seed(seed + 1)
            with torch.no_grad():
                for name, p in self.named_parameters():
                    if "embed_positions" in name:
                        continue  # keep Whisper's sinusoidal table
                    if p.dim() == 1:
                        if name.endswith("weight"):  # LayerNorm gains
                            p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
                        else:
                            p.copy_(0.05 * torch.randn(p.shape, generator=g))
                    else:
                        fan_in = p[0].numel()
                        p.copy_(torch.randn(p.shape, generator=g) / np.sqrt(fan_in))
                # A final layer with a larger gain so the output probability is not
                # always ~0.5 (and decisions at 0.5 are meaningful).
                self.classifier[-1].weight.mul_(4.0)

        @torch.no_grad()
        def center_decision(self, features):
            # Shift the last bias so that the median logit over feature-like inputs is 0:
            # outputs then spread on both sides of 0.5.
            logits = [self.classifier(self._pooled(torch.from_numpy(f)))[0, 0] for f in features]
            self.classifier[-1].bias.sub_(torch.stack(logits).median())

        def _pooled(self, input_features):
            h = self.encoder(input_features=input_features).last_hidden_state  # [B,400,384]
            w = torch.softmax(self.pool_attention(h), dim=1)                 # [B,400,1]
            return torch.sum(h * w, dim=1)                                   # [B,384]

        def forward(self, input_features):
            return torch.sigmoid(self.classifier(self._pooled(input_features)))  # [B,1]

    model = SmartTurnArch().eval()
    model.center_decision(smartturn_calibration_inputs(seed, 8))
    return model


def build_bert(seed: int):
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    cfg = BertConfig(
        vocab_size=1000,
        hidden_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=512,
        max_position_embeddings=128,
        type_vocab_size=2,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        attn_implementation="eager",
    )
    cfg._attn_implementation = "eager"
    model = BertModel(cfg, add_pooling_layer=True).eval()
    g = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and "LayerNorm" in name and name.endswith("weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.05 * torch.randn(p.shape, generator=g))

    class BertWrapper(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
            return out.last_hidden_state, out.pooler_output

    return BertWrapper(model).eval()


# --------------------------------------------------------------------------- inputs


def smartturn_calibration_inputs(seed: int, n: int = 8) -> list[np.ndarray]:
    """Feature-like arrays for calibration: log-mel-ish values in Whisper's normalised
    range (silence is -1.5, loud speech reaches ~+1.5), with some time structure."""
    rng = np.random.default_rng(seed + 10)
    out = []
    for i in range(n):
        base = rng.uniform(-1.5, 1.2, size=(1, 80, 1)).astype(np.float32)
        env = np.clip(np.cumsum(rng.normal(0, 0.15, size=(1, 1, 800)), axis=2), -1.0, 1.0)
        x = base + 0.5 * env + 0.3 * rng.standard_normal((1, 80, 800))
        if i % 3 == 0:  # a stretch of silence at the front, as in zero-padded short turns
            x[:, :, : rng.integers(100, 500)] = -1.5
        out.append(np.clip(x, -1.5, 2.0).astype(np.float32))
    return out


def export(model, args, path: Path, opset: int, input_names, output_names, dynamic_axes):
    import torch

    tmp = path.with_suffix(".tmp.onnx")
    with torch.no_grad():
        torch.onnx.export(
            model, args, str(tmp),
            dynamo=False,
            opset_version=opset,
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            do_constant_folding=True,
            export_params=True,
        )
    import onnx

    m = onnx.load(str(tmp))
    onnx.checker.check_model(m)
    os.replace(tmp, path)


def quantize_static_like_smart_turn(fp32: Path, out: Path, calib: list[np.ndarray], work: Path):
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                          QuantType, quant_pre_process, quantize_static)

    pre = work / (fp32.stem + "_pre.onnx")
    quant_pre_process(str(fp32), str(pre), skip_optimization=False, skip_symbolic_shape=True)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(calib)

        def get_next(self):
            x = next(self.it, None)
            return None if x is None else {"input_features": x}

    tmp = out.with_suffix(".tmp.onnx")
    quantize_static(
        model_input=str(pre), model_output=str(tmp),
        calibration_data_reader=Reader(),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        # Smart Turn used Entropy over 1024 real clips; MinMax on a handful of arrays
        # keeps this fast and deterministic, and the graph has the same QDQ structure.
        calibrate_method=CalibrationMethod.MinMax,
        op_types_to_quantize=["Conv", "MatMul", "Gemm"],
    )
    os.replace(tmp, out)
    pre.unlink(missing_ok=True)


def quantize_dyn(fp32: Path, out: Path, op_types):
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = out.with_suffix(".tmp.onnx")
    # ONNX Runtime's CPU ConvInteger only takes uint8 x uint8, so Conv stays float
    # (op_types_to_quantize excludes it); MatMul (and Gather for BERT) get int8 weights.
    quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=False,
                     op_types_to_quantize=op_types)
    os.replace(tmp, out)


def op_summary(path: Path) -> dict:
    import onnx

    m = onnx.load(str(path))
    counts: dict[str, int] = {}
    for n in m.graph.node:
        key = n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}"
        counts[key] = counts.get(key, 0) + 1
    return {
        "opset": {o.domain or "ai.onnx": o.version for o in m.opset_import},
        "ops": dict(sorted(counts.items())),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)

    out = Path(a.out_dir).resolve()
    repo = Path(__file__).resolve().parents[2]
    if out == repo or repo in out.parents and not str(out.relative_to(repo)).startswith("build"):
        print(f"[make_models] refusing to write into the source tree: {out}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)

    fp = fingerprint(a.seed)
    manifest_path = out / "manifest.json"
    if not a.force and manifest_path.exists():
        try:
            man = json.loads(manifest_path.read_text())
            if man.get("fingerprint") == fp and all((out / f).exists() for f in man["models"].values()):
                log(f"up to date in {out} (fingerprint {fp[:12]})")
                return 0
        except (json.JSONDecodeError, KeyError):
            pass
    manifest_path.unlink(missing_ok=True)

    import torch

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    t0 = time.time()

    # Smart-Turn-shaped models.
    st = build_smartturn_arch(a.seed)
    example = torch.from_numpy(smartturn_calibration_inputs(a.seed, 1)[0])
    with torch.no_grad():
        assert tuple(st(example).shape) == (1, 1)
    for opset in (18, 20):
        p = out / SMARTTURN_FILES[f"smartturn_arch_op{opset}"]
        export(st, (example,), p, opset, ["input_features"], ["logits"],
               {"input_features": {0: "batch"}, "logits": {0: "batch"}})
        log(f"exported {p.name} ({time.time() - t0:.1f} s)")
    fp32 = out / SMARTTURN_FILES["smartturn_arch_op18"]
    quantize_static_like_smart_turn(fp32, out / SMARTTURN_FILES["smartturn_arch_op18_qdq"],
                                    smartturn_calibration_inputs(a.seed, 8), out)
    log(f"quantized (static QDQ) ({time.time() - t0:.1f} s)")
    quantize_dyn(fp32, out / SMARTTURN_FILES["smartturn_arch_op18_dyn"], ["MatMul", "Gemm"])
    log(f"quantized (dynamic) ({time.time() - t0:.1f} s)")

    # BERT-style text encoder.
    bert = build_bert(a.seed)
    ids = torch.from_numpy(np.random.default_rng(a.seed).integers(0, 1000, size=(1, 16), dtype=np.int64))
    mask = torch.ones((1, 16), dtype=torch.int64)
    bp = out / BERT_FILES["bert_tiny_op18"]
    export(bert, (ids, mask), bp, 18, ["input_ids", "attention_mask"],
           ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"}, "pooler_output": {0: "batch"}})
    log(f"exported {bp.name} ({time.time() - t0:.1f} s)")
    quantize_dyn(bp, out / BERT_FILES["bert_tiny_op18_dyn"], ["MatMul", "Gemm", "Gather"])
    log(f"quantized {BERT_FILES['bert_tiny_op18_dyn']} ({time.time() - t0:.1f} s)")

    models = {**SMARTTURN_FILES, **BERT_FILES}
    man = {
        "fingerprint": fp,
        "seed": a.seed,
        "models": models,
        "graphs": {k: op_summary(out / v) for k, v in models.items()},
    }
    manifest_path.write_text(json.dumps(man, indent=1))
    log(f"built {len(models)} models in {time.time() - t0:.1f} s -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
