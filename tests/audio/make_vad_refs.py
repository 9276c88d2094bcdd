#!/usr/bin/env python3
"""Reference Silero VAD probabilities and segments for tests/audio/vad_test.cpp,
from the silero-vad package itself (PyPI, 6.2.3) running ONNX Runtime.

Usage: make_vad_refs.py OUT_DIR

For every case NAME (listed in OUT_DIR/cases.txt as "NAME RATE") writes
  NAME.input.npy     float32 [n]   the mono samples at RATE handed to both sides
  NAME.probs.npy     float32 [w]   silero's OnnxWrapper probability per window of 512 samples
                                   (256 at 8 kHz; the last partial window zero-padded, as
                                   get_speech_timestamps does)
  NAME.segments.json [{"options": {...saywhen VadOptions names...}, "segments": [[s, e], ...]}]
                     silero_vad.get_speech_timestamps on NAME.input.npy at RATE, in samples

The model is $SAYWHEN_SHARED/models/silero-vad/silero_vad.onnx (byte-identical to the one in
the silero-vad wheel), loaded through silero_vad.utils_vad.OnnxWrapper, i.e. exactly what
load_silero_vad(onnx=True) returns. Clips from $SAYWHEN_SHARED/audio: 16 kHz mono files are
read as is (int16 / 32768); the others are downmixed (channel mean) and resampled with
python-soxr (HQ). Their samples are only test input: both sides read the saved .npy. The
8 kHz clips also run natively at 8 kHz (cases NAME@8k), through the model's 8 kHz branch.
"""

import json
import os
import sys
import wave
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from silero_vad.utils_vad import OnnxWrapper, get_speech_timestamps  # noqa: E402

SR = 16000

# saywhen VadOptions name -> get_speech_timestamps keyword.
KEYWORDS = {
    "threshold": "threshold",
    "neg_threshold": "neg_threshold",
    "min_speech_ms": "min_speech_duration_ms",
    "min_silence_ms": "min_silence_duration_ms",
    "speech_pad_ms": "speech_pad_ms",
    "max_speech_s": "max_speech_duration_s",
    "min_silence_at_max_speech_ms": "min_silence_at_max_speech",
    "use_max_possible_silence_at_max_speech": "use_max_poss_sil_at_max_speech",
}

# Defaults, then sets that reach every branch of the state machine: splits at the
# longest pause, the legacy split at the last pause, hard cuts with no pause, wide
# padding that merges neighbours, an explicit negative threshold.
OPTION_SETS = [
    {},
    {"max_speech_s": 2.0, "speech_pad_ms": 100},
    {"threshold": 0.3, "min_silence_ms": 300, "min_speech_ms": 100, "speech_pad_ms": 200},
    {"max_speech_s": 1.5, "use_max_possible_silence_at_max_speech": False, "min_silence_ms": 500},
    {"threshold": 0.7, "neg_threshold": 0.6, "speech_pad_ms": 0, "max_speech_s": 0.5, "min_speech_ms": 0},
    {"min_silence_ms": 0, "speech_pad_ms": 64, "min_silence_at_max_speech_ms": 30, "max_speech_s": 3.0},
]


def read_wav(path: Path) -> tuple[np.ndarray, int, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{path}: only 16-bit PCM is supported")
        rate, ch = w.getframerate(), w.getnchannels()
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2"), rate, ch


def read_16k(path: Path) -> np.ndarray:
    pcm, rate, ch = read_wav(path)
    if rate == SR and ch == 1:
        return pcm.astype(np.float32) / 32768.0
    import soxr

    x = pcm.astype(np.float64).reshape(-1, ch).mean(axis=1) / 32768.0
    return soxr.resample(x, rate, SR, quality="HQ").astype(np.float32)


def ort_probs(model: OnnxWrapper, audio: np.ndarray, rate: int) -> np.ndarray:
    """get_speech_timestamps' own loop, keeping the probabilities."""
    win = 512 if rate == 16000 else 256
    model.reset_states()
    x = torch.from_numpy(audio)
    probs = []
    for start in range(0, len(x), win):
        chunk = x[start:start + win]
        if len(chunk) < win:
            chunk = torch.nn.functional.pad(chunk, (0, win - len(chunk)))
        probs.append(model(chunk, rate).item())
    return np.asarray(probs, np.float32)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("SAYWHEN_SHARED", repo.parent / "shared"))
    model = OnnxWrapper(str(shared / "models" / "silero-vad" / "silero_vad.onnx"), force_onnx_cpu=True)

    cases: dict[str, np.ndarray] = {}
    rates: dict[str, int] = {}
    for wav in sorted((shared / "audio").glob("*.wav")):
        cases[wav.stem] = read_16k(wav)
        pcm, rate, ch = read_wav(wav)
        if rate == 8000 and ch == 1:
            cases[wav.stem + "@8k"] = pcm.astype(np.float32) / 32768.0
            rates[wav.stem + "@8k"] = 8000
    rng = np.random.default_rng(7)
    cases["silence_1s"] = np.zeros(SR, np.float32)
    cases["noise_1s"] = rng.uniform(-0.3, 0.3, SR).astype(np.float32)
    cases["one_partial_window"] = cases["jfk"][6000:6300].copy()
    # Speech to the very end, length not a multiple of 512: the end-of-audio segment.
    cases["jfk_cut_mid_word"] = cases["jfk"][: 6 * SR + 123].copy()

    names = []
    for name, audio in cases.items():
        rate = rates.get(name, SR)
        audio = np.ascontiguousarray(audio, np.float32)
        np.save(out / f"{name}.input.npy", audio)
        np.save(out / f"{name}.probs.npy", ort_probs(model, audio, rate))
        refs = []
        for opts in OPTION_SETS:
            kw = {KEYWORDS[k]: v for k, v in opts.items()}
            segs = get_speech_timestamps(torch.from_numpy(audio), model, sampling_rate=rate, **kw)
            refs.append({"options": opts, "segments": [[int(s["start"]), int(s["end"])] for s in segs]})
        (out / f"{name}.segments.json").write_text(json.dumps(refs))
        names.append(f"{name} {rate}")
        print(f"{name}: {len(audio)} samples at {rate} Hz, default segments {len(refs[0]['segments'])}",
              flush=True)
    (out / "cases.txt").write_text("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
