#!/usr/bin/env python3
"""End-to-end checks of `saywhen convert` and `saywhen mel` on every clip in
$SAYWHEN_SHARED/audio, against references the project did not write:

- conversion to 16 kHz mono must equal numpy's channel mean followed by python-soxr's
  `resample(..., quality="VHQ")` — the resampler Pipecat uses — within 1e-6;
- the same through stdin, and through raw s16le / f32le input; G.711 (mu-law, A-law)
  decoded as Python's audioop decodes it;
- `saywhen mel` must agree with transformers' WhisperFeatureExtractor (called as Smart
  Turn v3 calls it) within 1e-4 on the converted samples;
- broken input must exit non-zero with a one-line error that names the input.

Usage: test_audio_cli.py --saywhen BIN [--shared DIR]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import soxr  # noqa: E402

try:  # the standard library's G.711 codec (removed in Python 3.13: PyPI audioop-lts)
    import audioop  # noqa: E402
except ImportError:  # pragma: no cover
    import audioop_lts as audioop  # type: ignore  # noqa: E402
from transformers import WhisperFeatureExtractor  # noqa: E402

SR = 16000
WINDOW = 8 * SR
failures = []


def check(ok: bool, what: str) -> None:
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def read_wav(path: Path):
    with wave.open(str(path), "rb") as w:
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return pcm.reshape(-1, channels), rate


def reference_16k(pcm: np.ndarray, rate: int) -> np.ndarray:
    x = (pcm.astype(np.float32) / 32768.0).mean(axis=1, dtype=np.float32)
    return x if rate == SR else soxr.resample(x, rate, SR, quality="VHQ")


def run(args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saywhen", required=True)
    ap.add_argument("--shared", default=os.environ.get("SAYWHEN_SHARED", "../shared"))
    a = ap.parse_args()
    bin_ = a.saywhen
    clips = sorted((Path(a.shared) / "audio").glob("*.wav"))
    check(len(clips) >= 9, f"{len(clips)} clips in {a.shared}/audio")
    fe = WhisperFeatureExtractor(chunk_length=8)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for clip in clips:
            pcm, rate = read_wav(clip)
            ref = reference_16k(pcm, rate)
            out = tmp / (clip.stem + ".npy")
            p = run([bin_, "convert", str(clip), "--out", str(out)])
            if p.returncode != 0:
                check(False, f"convert {clip.name}: {p.stderr.decode().strip()}")
                continue
            got = np.load(out)
            same = got.shape == ref.shape and float(np.abs(got - ref).max()) <= 1e-6
            check(same, f"convert {clip.name} ({rate} Hz, {pcm.shape[1]} ch) vs numpy mean + soxr VHQ: "
                        f"{got.shape} vs {ref.shape}" + (f", max diff {np.abs(got - ref).max():.2e}" if got.shape == ref.shape else ""))

            # The same file through stdin, and its samples as raw s16le through stdin.
            p = run([bin_, "convert", "-", "--out", str(tmp / "stdin.npy")], stdin=clip.read_bytes())
            check(p.returncode == 0 and np.array_equal(np.load(tmp / "stdin.npy"), got), f"convert {clip.name} from stdin")
            p = run([bin_, "convert", "-", "--raw", "s16le", "--rate", str(rate), "--channels", str(pcm.shape[1]),
                     "--out", str(tmp / "raw.npy")], stdin=pcm.astype("<i2").tobytes())
            check(p.returncode == 0 and np.array_equal(np.load(tmp / "raw.npy"), got), f"convert {clip.name} as raw s16le")

            # Smart Turn features of exactly these samples.
            p = run([bin_, "mel", str(clip), "--out", str(tmp / "mel.npy")])
            window = got[-WINDOW:] if len(got) > WINDOW else np.pad(got, (WINDOW - len(got), 0))
            want = fe(window, sampling_rate=SR, return_tensors="np", padding="max_length", max_length=WINDOW,
                      truncation=True, do_normalize=True).input_features.astype(np.float32)
            if p.returncode != 0:
                check(False, f"mel {clip.name}: {p.stderr.decode().strip()}")
            else:
                mel = np.load(tmp / "mel.npy")
                d = float(np.abs(mel - want).max()) if mel.shape == want.shape else float("inf")
                check(d <= 1e-4, f"mel {clip.name} {mel.shape} vs WhisperFeatureExtractor: max diff {d:.2e}")

        # f32le and G.711 through stdin: decoded exactly as defined.
        x = (np.sin(np.arange(8000) * 0.07) * 0.5).astype(np.float32)
        p = run([bin_, "convert", "-", "--raw", "f32le", "--rate", "16000", "--out", str(tmp / "f.npy")], stdin=x.tobytes())
        check(p.returncode == 0 and np.array_equal(np.load(tmp / "f.npy"), x), "convert raw f32le at 16 kHz is exact")
        # Telephone audio: G.711 encoded and decoded by the standard library's audioop
        # is the reference for what saywhen must produce from the same bytes.
        pcm, rate = read_wav(Path(a.shared) / "audio" / "jfk_8k.wav")
        lin = pcm[:, 0].astype("<i2").tobytes()
        for enc, encode, decode in [("mulaw", audioop.lin2ulaw, audioop.ulaw2lin),
                                    ("alaw", audioop.lin2alaw, audioop.alaw2lin)]:
            coded = encode(lin, 2)
            ref = reference_16k(np.frombuffer(decode(coded, 2), dtype="<i2").reshape(-1, 1), rate)
            p = run([bin_, "convert", "-", "--raw", enc, "--rate", "8000", "--out", str(tmp / "g711.npy")], stdin=coded)
            if p.returncode != 0:
                check(False, f"convert {enc}: " + p.stderr.decode().strip())
                continue
            u = np.load(tmp / "g711.npy")
            d = float(np.abs(u - ref).max()) if u.shape == ref.shape else float("inf")
            check(d <= 1e-6, f"convert {enc} 8 kHz (jfk_8k encoded by audioop) vs audioop decode + soxr VHQ: max diff {d:.2e}")

        # Broken input: non-zero exit, one line naming the input.
        bad = tmp / "bad.wav"
        bad.write_bytes(b"RIFF....WAVEnot really")
        for args, stdin, needle in [
            ([bin_, "convert", str(bad), "--out", str(tmp / "x.npy")], None, str(bad)),
            ([bin_, "convert", "-", "--out", str(tmp / "x.npy")], b"", "stdin"),
            ([bin_, "convert", "-", "--raw", "s16le", "--rate", "0", "--out", str(tmp / "x.npy")], b"\0\0", "sample rate"),
            ([bin_, "convert", "-", "--raw", "s16le", "--out", str(tmp / "x.npy")], b"\0\0", "--rate"),
            ([bin_, "mel", str(tmp / "missing.wav"), "--out", str(tmp / "x.npy")], None, "missing.wav"),
        ]:
            p = run(args, stdin)
            err = p.stderr.decode().strip()
            check(p.returncode != 0 and needle in err and len(err.splitlines()) == 1,
                  f"{' '.join(args[1:3])}... fails clearly: {err!r}")
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
