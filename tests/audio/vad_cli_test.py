#!/usr/bin/env python3
"""`saywhen vad` end to end against silero-vad (PyPI 6.2.3) on every clip in
$SAYWHEN_SHARED/audio.

Usage: vad_cli_test.py --saywhen PATH/TO/saywhen

For each clip, the 16 kHz mono samples saywhen reads are taken from `saywhen convert CLIP
--out X.npy` (for 16 kHz mono clips they are also checked against the file's own int16
samples / 32768), so both sides see exactly the same audio. Then:
  - `saywhen vad CLIP [options]` must print the segments of silero_vad.get_speech_timestamps
    (ONNX Runtime, load_silero_vad(onnx=True)'s OnnxWrapper) on those samples, exactly,
    with the default options and with two other sets;
  - `saywhen vad CLIP --probs` must print one line per 512-sample window, t = start / 16000,
    p within 1e-4 of ONNX Runtime's.
And: raw s16le on stdin equals the WAV file; bad input and options fail with a message; G.711
µ-law at 8 kHz (jfk_8k.wav encoded) must give jfk.wav's segments within one window. 8 kHz clips
are compared with silero-vad at 8 kHz on their own samples (saywhen vad runs them natively).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from silero_vad.utils_vad import OnnxWrapper, get_speech_timestamps  # noqa: E402

SR, WIN = 16000, 512
# CLI flags -> get_speech_timestamps keywords.
OPTION_SETS = [
    ([], {}),
    (["--max-speech-s", "2", "--speech-pad-ms", "100"], {"max_speech_duration_s": 2.0, "speech_pad_ms": 100}),
    (["--threshold", "0.35", "--min-silence-ms", "250", "--min-speech-ms", "100", "--neg-threshold", "0.2"],
     {"threshold": 0.35, "min_silence_duration_ms": 250, "min_speech_duration_ms": 100, "neg_threshold": 0.2}),
]

failures: list[str] = []


def check(ok: bool, what: str) -> None:
    print(("  ok    " if ok else "  FAIL  ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(exe: Path, *args: str, stdin: bytes | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(exe), *args], input=stdin, capture_output=True, timeout=120, env=env)


def jsonl(p: subprocess.CompletedProcess) -> list[dict]:
    if p.returncode != 0:
        raise RuntimeError(f"exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def to_samples(lines: list[dict], rate: int = SR) -> list[list[int]]:
    return [[round(d["start_s"] * rate), round(d["end_s"] * rate)] for d in lines]


def ort_probs(model: OnnxWrapper, audio: np.ndarray, rate: int = SR) -> np.ndarray:
    model.reset_states()
    x = torch.from_numpy(audio)
    win = WIN * rate // SR
    out = []
    for s in range(0, len(x), win):
        c = x[s:s + win]
        if len(c) < win:
            c = torch.nn.functional.pad(c, (0, win - len(c)))
        out.append(model(c, rate).item())
    return np.asarray(out, np.float32)


def mulaw_encode(x: np.ndarray) -> bytes:
    """G.711 µ-law (the table-free reference algorithm) of int16 samples."""
    s = x.astype(np.int32)
    sign = np.where(s < 0, 0x80, 0)
    m = np.minimum(np.abs(s), 32635) + 0x84
    exp = np.floor(np.log2(m)).astype(np.int32) - 7
    mant = (m >> (exp + 3)) & 0x0F
    return (~(sign | (exp << 4) | mant) & 0xFF).astype(np.uint8).tobytes()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--saywhen", required=True, type=Path)
    a = ap.parse_args()
    repo = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("SAYWHEN_SHARED", repo.parent / "shared"))
    model_file = shared / "models" / "silero-vad" / "silero_vad.onnx"
    model = OnnxWrapper(str(model_file), force_onnx_cpu=True)
    exe = a.saywhen
    common = ["--model", str(model_file)]
    clips = sorted((shared / "audio").glob("*.wav"))
    check(len(clips) >= 9, f"{len(clips)} clips in {shared / 'audio'}")

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for clip in clips:
            print(clip.name, flush=True)
            npy = tmp / f"{clip.stem}.npy"
            p = run(exe, "convert", str(clip), "--out", str(npy))
            if p.returncode != 0:
                check(False, f"{clip.name}: saywhen convert: {p.stderr.decode(errors='replace').strip()}")
                continue
            audio = np.load(npy).astype(np.float32)
            rate = SR
            with wave.open(str(clip), "rb") as w:
                direct = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
                if w.getframerate() == SR and w.getnchannels() == 1:
                    check(np.array_equal(direct, audio), f"{clip.name}: convert gives the file's own samples")
                elif w.getframerate() == 8000 and w.getnchannels() == 1:
                    # saywhen vad runs 8 kHz input through Silero's own 8 kHz branch.
                    audio, rate = direct, 8000

            ref_p = ort_probs(model, audio, rate)
            lines = jsonl(run(exe, "vad", str(clip), "--probs", *common))
            got_p = np.array([d["p"] for d in lines], np.float32)
            win = WIN * rate // SR
            t_ok = all(abs(d["t"] * rate - i * win) < 1e-6 for i, d in enumerate(lines))
            diff = float(np.max(np.abs(got_p - ref_p))) if len(got_p) == len(ref_p) and len(got_p) else float("inf")
            check(len(got_p) == len(ref_p) and t_ok and diff <= 1e-4,
                  f"{clip.name} --probs: {len(got_p)} windows (want {len(ref_p)}), max |p - ORT| {diff:.2e}")

            for flags, kw in OPTION_SETS:
                want = [[int(s["start"]), int(s["end"])]
                        for s in get_speech_timestamps(torch.from_numpy(audio), model, sampling_rate=rate, **kw)]
                got = to_samples(jsonl(run(exe, "vad", str(clip), *common, *flags)), rate)
                check(got == want, f"{clip.name} {' '.join(flags) or '(defaults)'}: {len(got)} segments"
                      + ("" if got == want else f"\n      want {want}\n      got  {got}"))

        # Telephone audio: µ-law at 8 kHz against the 16 kHz original, within one window.
        jfk = to_samples(jsonl(run(exe, "vad", str(shared / "audio" / "jfk.wav"), *common)))
        with wave.open(str(shared / "audio" / "jfk_8k.wav"), "rb") as w:
            pcm8 = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        ul = tmp / "jfk_8k.ul"
        ul.write_bytes(mulaw_encode(pcm8))
        tel = to_samples(jsonl(run(exe, "vad", str(ul), "--raw", "mulaw", "--rate", "8000", *common)))
        close = len(tel) == len(jfk) and all(abs(x - y) <= WIN for s, t in zip(jfk, tel) for x, y in zip(s, t))
        # Silero's native 8 kHz branch (what saywhen vad uses for 8 kHz input) agrees with the
        # 16 kHz original within a window; resampled to 16 kHz it would split a pause.
        check(close, f"jfk_8k as 8 kHz µ-law vs jfk.wav: {tel} vs {jfk} (within {WIN} samples)")

        # Raw s16le on stdin is the same audio as the WAV file.
        with wave.open(str(shared / "audio" / "jfk.wav"), "rb") as w:
            raw = w.readframes(w.getnframes())
        stdin = to_samples(jsonl(run(exe, "vad", "-", "--raw", "s16le", "--rate", "16000", *common, stdin=raw)))
        check(stdin == jfk, "jfk.wav as raw s16le on stdin gives the same segments")
        empty = run(exe, "vad", "-", "--raw", "s16le", "--rate", "16000", *common, stdin=b"")
        print(f"    empty stdin: exit {empty.returncode}, stdout {empty.stdout!r}, "
              f"stderr {empty.stderr.decode(errors='replace').strip()!r}")
        check(empty.returncode != 0 or empty.stdout == b"", "empty input: an error or no segments")

        # Errors: one line that names the culprit. No models folder anywhere for the last one.
        bare = {k: v for k, v in os.environ.items() if k != "SAYWHEN_MODELS"}
        bare["HOME"] = str(tmp)
        for args, needle in [
            (["vad", str(tmp / "missing.wav"), *common], "missing.wav"),
            (["vad", str(shared / "audio" / "jfk.wav"), "--threshold", "2", *common], "threshold"),
            (["vad", str(shared / "audio" / "jfk.wav"), "--model", str(tmp / "nope.onnx")], "nope.onnx"),
            (["vad", str(shared / "audio" / "jfk.wav"), "--models", str(tmp)], "silero_vad.onnx"),
        ]:
            p = run(exe, *args, env=bare)
            err = p.stderr.decode(errors="replace").strip()
            check(p.returncode != 0 and needle in err, f"saywhen {' '.join(args[2:]) or args[1]}: exit "
                  f"{p.returncode}, '{err[:160]}'")

    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
