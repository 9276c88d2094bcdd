#!/usr/bin/env python3
"""Reference log-mel features for tests/audio/mel_test.cpp, from transformers.

Usage: make_mel_refs.py OUT_DIR

Writes, for every case NAME listed in OUT_DIR/cases.txt:
  NAME.input.npy     float32 [n]          16 kHz mono audio handed to both sides
  NAME.features.npy  float32 [1, 80, 800] WhisperFeatureExtractor output
plus the mel filters to check the C++ filterbank against:
  mel_filters_whisper.npy       float32 [80, 201]  'mel_80' of shared/models/whisper/mel_filters.npz
  mel_filters_transformers.npy  float64 [80, 201]  transformers' mel_filter_bank (transposed)

Features are computed exactly the way Smart Turn v3 does (pipecat's local_smart_turn_v3.py
before it vendored the math): keep the last 8 s, zero-pad at the FRONT to 128,000 samples,
then call the extractor with padding="max_length", truncation=True, do_normalize=True. The
extractor therefore always sees exactly 128,000 samples, its attention mask is all ones
and the normalisation statistics include the padded zeros.

Clips come from $SAYWHEN_SHARED/audio (default: ../shared next to the repository, i.e.
/work/shared/audio). Clips not at 16 kHz are downmixed (mean of channels) and resampled
by linear interpolation (np.interp at t = n / 16000 s). That is crude, but it is only
test input: the resampled samples are saved and the C++ side reads exactly them.
"""

import os
import sys
import wave
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from transformers import WhisperFeatureExtractor  # noqa: E402

SR = 16000
WINDOW = 8 * SR


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise SystemExit(f"{path}: only 16-bit PCM is supported")
        rate, channels = w.getframerate(), w.getnchannels()
        pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    x = pcm.astype(np.float64).reshape(-1, channels).mean(axis=1) / 32768.0
    if rate != SR:
        n_out = int(round(len(x) * SR / rate))
        x = np.interp(np.arange(n_out) / SR, np.arange(len(x)) / rate, x)
    return x.astype(np.float32)


def smart_turn_window(audio: np.ndarray) -> np.ndarray:
    if len(audio) > WINDOW:
        return audio[-WINDOW:]
    return np.pad(audio, (WINDOW - len(audio), 0), mode="constant", constant_values=0)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("SAYWHEN_SHARED", repo.parent / "shared"))

    cases: dict[str, np.ndarray] = {}
    for wav in sorted((shared / "audio").glob("*.wav")):
        cases[wav.stem] = read_wav(wav)
    jfk = cases["jfk"]
    rng = np.random.default_rng(20240611)
    t = np.arange(WINDOW) / SR
    cases["silence_8s"] = np.zeros(WINDOW, np.float32)
    cases["tone_440hz_8s"] = (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
    cases["white_noise_8s"] = rng.uniform(-0.5, 0.5, WINDOW).astype(np.float32)
    cases["speech_0.5s"] = jfk[int(1.0 * SR) : int(1.5 * SR)].copy()
    cases["speech_3s"] = jfk[: 3 * SR].copy()
    cases["speech_20s"] = read_wav(shared / "audio" / "silero_test.wav")[: 20 * SR].copy()
    cases["empty"] = np.zeros(0, np.float32)
    cases["one_sample"] = np.array([0.25], np.float32)

    fe = WhisperFeatureExtractor(chunk_length=8)
    for name, audio in cases.items():
        feats = fe(
            smart_turn_window(audio),
            sampling_rate=SR,
            return_tensors="np",
            padding="max_length",
            max_length=WINDOW,
            truncation=True,
            do_normalize=True,
        ).input_features.astype(np.float32)
        assert feats.shape == (1, 80, 800), feats.shape
        np.save(out / f"{name}.input.npy", np.ascontiguousarray(audio, dtype=np.float32))
        np.save(out / f"{name}.features.npy", feats)
    (out / "cases.txt").write_text("".join(f"{n}\n" for n in cases))

    np.save(out / "mel_filters_whisper.npy",
            np.load(shared / "models" / "whisper" / "mel_filters.npz")["mel_80"].astype(np.float32))
    np.save(out / "mel_filters_transformers.npy", np.ascontiguousarray(fe.mel_filters.T))
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
