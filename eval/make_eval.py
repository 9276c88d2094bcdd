#!/usr/bin/env python3
"""Build saywhen's end-of-turn evaluation set (issue 9, item 4).

    nice python eval/make_eval.py --out eval/out [--size full|small] [--seed 0] [--jobs 2] [--exclude-nc]

Writes OUT/manifest.jsonl, OUT/audio/*.wav and OUT/summary.json. Deterministic for a given
seed (and espeak-ng / pykakasi / soxr versions). See eval/README.md for what is in the set,
how each time is measured and the manifest schema.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import gzip
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import wave
import zlib

import numpy as np
import soxr



def lin2ulaw(x):
    """int16 array -> G.711 mu-law codes (the Sun g711.c rule). Bit-identical to
    audioop.lin2ulaw on all 65,536 inputs (checked); audioop itself is gone in Python 3.13."""
    v = x.astype(np.int32) >> 2
    mask = np.where(v < 0, 0x7F, 0xFF)
    v = np.minimum(np.abs(v), 8159) + (0x84 >> 2)
    seg = np.zeros_like(v)
    for i, end in enumerate([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]):
        seg = np.where(v > end, i + 1, seg)
    u = np.where(seg >= 8, 0x7F, (seg << 4) | ((v >> (seg + 1)) & 0xF))
    return (u ^ mask).astype(np.uint8)

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.environ.get("SAYWHEN_SHARED", os.path.join(HERE, "..", "..", "shared")))
AUDIO_DIR = os.path.join(SHARED, "audio")
DATA_DIR = os.path.join(SHARED, "data")

SR = 16000
FRAME = 80  # 5 ms analysis frames at 16 kHz
TRAIL_MIN_S = 3.0

# ----------------------------------------------------------------------------- languages

# espeak-ng voice, whether the script is written without spaces (split by characters)
LANGS = {
    "en": ("en-us", False), "zh": ("cmn", True), "ru": ("ru", False), "ja": ("ja", True),
    "ko": ("ko", False), "fr": ("fr", False), "de": ("de", False), "it": ("it", False),
    "id": ("id", False), "pl": ("pl", False), "nl": ("nl", False), "tr": ("tr", False),
    "ar": ("ar", False), "hi": ("hi", False),
}

# Unique turns per language (each is written in every condition in the full set).
FULL_COUNTS = {"en": 70, "zh": 66, "ru": 66, "ja": 32, "ko": 32, "fr": 32, "de": 32, "it": 32,
               "id": 20, "pl": 16, "nl": 16, "tr": 16, "ar": 16, "hi": 16}
SMALL_COUNTS = {"en": 7, "zh": 6, "ru": 6, "ja": 4, "ko": 4, "fr": 4, "de": 4, "it": 4,
                "id": 3, "pl": 3, "nl": 3, "tr": 3, "ar": 3, "hi": 3}

# Text sources per language: (kind, file stem, weight, non-commercial?)
SOURCES = {
    "en": [("dialogs", "en.multiwoz", 0.6, False), ("dialogs", "en.xpersona", 0.4, False)],
    "zh": [("dialogs", "zh.crosswoz", 0.4, False), ("dialogs", "zh.kdconv", 0.3, False),
           ("dialogs", "zh.xpersona", 0.3, False)],
    "ru": [("dialogs", "ru.multiwoz_ru", 1.0, False)],
    "ja": [("dialogs", "ja.jmultiwoz", 0.6, False), ("dialogs", "ja.xpersona", 0.4, False)],
    "ko": [("dialogs", "ko.xpersona", 0.5, False), ("dialogs", "ko.chatbot_data", 0.5, False)],
    "fr": [("dialogs", "fr.xpersona", 0.6, False), ("dialogs", "fr.labforsims2", 0.4, False)],
    "de": [("dialogs", "de.xdailydialog", 0.5, True), ("utterances", "de.xsid", 0.5, False)],
    "it": [("dialogs", "it.xpersona", 0.7, False), ("utterances", "it.xsid", 0.3, False)],
    "id": [("dialogs", "id.xpersona", 0.7, False), ("utterances", "id.xsid", 0.3, False)],
    "pl": [("utterances", "pl.leyzer", 1.0, True)],
    "nl": [("utterances", "nl.xsid", 1.0, False)],
    "tr": [("utterances", "tr.xsid", 1.0, False)],
    "ar": [("utterances", "ar.xsid", 1.0, False)],
    "hi": [("utterances", "hi.tatoeba", 1.0, False)],
}

# Dictation vocabulary: carrier phrases (phone, email, booking code), "at", "dot".
DICT = {
    "en": ("my phone number is", "my email is", "the booking reference is", "at", "dot"),
    "zh": ("我的电话号码是", "我的邮箱是", "我的订单号是", "艾特", "点"),
    "ru": ("мой номер телефона", "моя почта", "номер брони", "собака", "точка"),
    "ja": ("電話番号は", "メールアドレスは", "予約番号は", "アットマーク", "ドット"),
    "ko": ("제 전화번호는", "제 이메일은", "예약 번호는", "골뱅이", "점"),
    "fr": ("mon numéro de téléphone c'est le", "mon adresse mail c'est", "la référence de réservation c'est",
           "arobase", "point"),
    "de": ("meine Telefonnummer ist", "meine E-Mail-Adresse ist", "die Buchungsnummer ist", "ät", "Punkt"),
    "it": ("il mio numero di telefono è", "la mia email è", "il codice di prenotazione è", "chiocciola", "punto"),
    "id": ("nomor telepon saya", "email saya", "kode pemesanannya", "et", "titik"),
    "pl": ("mój numer telefonu to", "mój email to", "numer rezerwacji to", "małpa", "kropka"),
    "nl": ("mijn telefoonnummer is", "mijn e-mailadres is", "het boekingsnummer is", "apenstaartje", "punt"),
    "tr": ("telefon numaram", "e-posta adresim", "rezervasyon numarası", "et", "nokta"),
    "ar": ("رقم هاتفي هو", "بريدي الإلكتروني هو", "رقم الحجز هو", "آت", "نقطة"),
    "hi": ("मेरा फ़ोन नंबर है", "मेरा ईमेल है", "बुकिंग नंबर है", "एट", "डॉट"),
}
EMAIL_NAMES = ["anna", "ivan", "mark", "lena", "kenji", "sara", "tomas", "olga", "li", "nina", "paul", "emma"]
EMAIL_DOMAINS = ["gmail", "yandex", "mail", "outlook", "yahoo", "proton"]
EMAIL_TLDS = ["com", "ru", "de", "fr", "net", "org"]
CODE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"

# Pattern cycle per language (index i of a language's tts turns -> pattern), so that even the
# small slice covers every pattern.
PATTERNS = ["hesitation", "phone", "clause", "plain", "hesitation", "email", "clause",
            "hesitation", "code", "filler_start"]

# Characters after which a split is plausible in zh / ja text (particles / function words).
SPLIT_AFTER = {"zh": set("的了是在想要把给和跟到说从吗呢吧，、；：,"), "ja": set("はをがにでとものへね、，；：,")}
CLAUSE_PUNCT = set(",;:，、；：")
END_PUNCT = set(".!?。！？…")


def parse_fillers(path):
    out, lang = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"## (\w+) —", line)
        if m:
            lang = m.group(1)
            continue
        if lang and line.startswith("- Fillers"):
            items = line.split(":", 1)[1]
            items = re.sub(r"\([^)]*\)", "", items)
            out[lang] = [x.strip() for x in items.split(",") if x.strip()]
    return out


# ----------------------------------------------------------------------------- audio helpers

def read_wav(path):
    """16-bit PCM WAV -> float32 mono at 16 kHz (averaging channels, soxr VHQ resampling)."""
    with wave.open(path, "rb") as w:
        sr, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        assert w.getsampwidth() == 2, path
        x = np.frombuffer(w.readframes(n), dtype="<i2").astype(np.float32) / 32768.0
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    if sr != SR:
        x = soxr.resample(x, sr, SR, quality="VHQ").astype(np.float32)
    return x


def write_wav16(path, x, sr=SR):
    pcm = np.clip(np.round(x * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def write_wav_ulaw(path, x16k):
    """16 kHz float -> 8 kHz (soxr VHQ) -> G.711 mu-law WAV (format tag 7, 8 bits, fact chunk)."""
    y = soxr.resample(x16k.astype(np.float64), SR, 8000, quality="VHQ")
    data = lin2ulaw(np.clip(np.round(y * 32767.0), -32768, 32767)).tobytes()
    n = len(data)
    fmt = struct.pack("<HHIIHHH", 7, 1, 8000, 8000, 1, 8, 0)
    body = (b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<II", 4, n)
            + b"data" + struct.pack("<I", n) + data + (b"\0" if n % 2 else b""))
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def frame_rms(x):
    n = len(x) // FRAME
    f = x[: n * FRAME].reshape(n, FRAME).astype(np.float64)
    return np.sqrt((f * f).mean(axis=1) + 1e-20)


def runs(mask):
    """[start, end) index runs where mask is True."""
    out, start = [], None
    for i, v in enumerate(mask):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(mask)))
    return out


def pink_noise(n, rng):
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(len(spec), dtype=np.float64)
    f[0] = 1.0
    return np.fft.irfft(spec / np.sqrt(f), n)


# ----------------------------------------------------------------------------- espeak-ng

_kakasi = None


def ja_reading(text):
    """espeak-ng's Japanese voice cannot read kanji; give it kana (pykakasi)."""
    global _kakasi
    if _kakasi is None:
        try:
            import pykakasi
        except ImportError:
            sys.exit("make_eval.py: Japanese needs pykakasi (pip install pykakasi; see scripts/python-requirements.txt)")
        _kakasi = pykakasi.kakasi()
    return "".join(t["hira"] for t in _kakasi.convert(text))


def espeak(voice, text, speed, pitch):
    """Synthesize; return float32 16 kHz audio (espeak's own silence still around it)."""
    r = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                       capture_output=True, check=True)
    with wave.open(io.BytesIO(r.stdout), "rb") as w:
        sr = w.getframerate()
        raw = w.readframes(w.getnframes())
        if not raw:  # espeak's --stdout header may carry a 0 / bogus length; fall back to raw bytes
            raw = r.stdout[44:]
    x = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float32) / 32768.0
    return soxr.resample(x, sr, SR, quality="VHQ").astype(np.float32)


def measure_piece(x, rel_db=-40.0, margin_s=0.02):
    """Trim espeak's leading/trailing silence by energy. Returns (audio, speech_start, speech_end,
    internal silences >= 0.2 s) with times in samples relative to the returned audio."""
    r = frame_rms(x)
    if len(r) == 0 or r.max() < 1e-3:
        return None
    thr = r.max() * 10 ** (rel_db / 20)
    act = np.nonzero(r > thr)[0]
    s, e = act[0] * FRAME, (act[-1] + 1) * FRAME
    m = int(margin_s * SR)
    a, b = max(0, s - m), min(len(x), e + m)
    y = x[a:b].copy()
    # short fades on the kept margins (they hold only sub-threshold audio)
    fl = min(s - a, 64)
    if fl > 0:
        y[:fl] *= np.linspace(0, 1, fl, dtype=np.float32)
    fr = min(b - e, 64)
    if fr > 0:
        y[-fr:] *= np.linspace(1, 0, fr, dtype=np.float32)
    s, e = s - a, e - a
    inner = []
    quiet = r[act[0]: act[-1] + 1] <= thr
    for i, j in runs(quiet):
        if (j - i) * FRAME >= 0.2 * SR:
            inner.append(((act[0] + i) * FRAME - a, (act[0] + j) * FRAME - a))
    return y, s, e, inner


# ----------------------------------------------------------------------------- text sources

def load_jsonl(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def clean_text(lang, text):
    """Undo source tokenisation artefacts: spaces before punctuation (xSID, XPersona), spaces
    between CJK characters."""
    text = re.sub(r"\s+([.,!?;:。、，！？])", r"\1", text.strip())
    if LANGS[lang][1]:
        text = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", text)
    return text


def text_ok(lang, text):
    if any(t in text for t in ("http", "__", "@", "[", "]", "{", "}", "\n", "#")):
        return False
    if LANGS[lang][1]:
        n = len(re.sub(r"\s", "", text))
        return 8 <= n <= 40
    n = len(text.split())
    return 4 <= n <= 24 and len(text) <= 160


def candidates(lang, exclude_nc):
    """Per source: list of (context, user_text, source_ref)."""
    out = []
    for kind, stem, weight, nc in SOURCES[lang]:
        if nc and exclude_nc:
            continue
        rows = load_jsonl(os.path.join(DATA_DIR, kind, stem + ".jsonl.gz"))
        cands = []
        for row in rows:
            if kind == "utterances":
                t = clean_text(lang, row["text"])
                if text_ok(lang, t):
                    cands.append(([], t, f"{stem}:{row['id']}"))
                continue
            turns = row["turns"]
            for i, tr in enumerate(turns):
                t = clean_text(lang, tr["text"])
                if tr["role"] != "user" or not text_ok(lang, t):
                    continue
                ctx = [{"role": p["role"], "content": p["text"]} for p in turns[max(0, i - 3):i]]
                cands.append((ctx, t, f"{stem}:{row['id']}#turn{i}"))
        if cands:
            out.append((weight, cands, stem))
    return out


# ----------------------------------------------------------------------------- turn plans

def pause_len(rng):
    """Inserted mid-turn pause, 0.3-2.0 s, more short than long."""
    return float(rng.uniform(0.3, 0.9) if rng.random() < 0.6 else rng.uniform(0.9, 2.0))


def join_len(rng):
    return float(rng.uniform(0.03, 0.09))


def tokens(lang, text):
    return list(text) if LANGS[lang][1] else text.split()


def detok(lang, toks):
    return ("" if LANGS[lang][1] else " ").join(toks).strip()


def split_points(lang, toks, clause_only=False):
    """Plausible split indices k (split before toks[k])."""
    n = len(toks)
    pts = []
    for k in range(1, n - 1):
        prev = toks[k - 1]
        # clause splits: after clause punctuation or after a sentence inside the turn ("Okay. | Thank you")
        if LANGS[lang][1]:
            if prev in CLAUSE_PUNCT | END_PUNCT or (not clause_only and prev in SPLIT_AFTER[lang]):
                if toks[k] not in CLAUSE_PUNCT | END_PUNCT:
                    pts.append(k)
        elif prev[-1:] in CLAUSE_PUNCT | END_PUNCT or not clause_only:
            pts.append(k)
    if LANGS[lang][1]:
        pts = [k for k in pts if 3 <= k <= n - 3]
    else:
        pts = [k for k in pts if 1 <= k <= n - 1]
    return pts


def plan_turn(lang, pattern, rng, cands, fillers):
    """Return (pieces, gaps, context, source): pieces = [(text, spoken_text)], gaps = kinds between them."""
    at_word, dot_word = DICT[lang][3], DICT[lang][4]
    if pattern in ("phone", "email", "code"):
        carrier = DICT[lang][{"phone": 0, "email": 1, "code": 2}[pattern]]
        pieces = [(carrier, carrier)]
        if pattern == "phone":
            shape = [[3, 3, 4], [3, 2, 2], [4, 3, 3], [2, 2, 2, 2], [3, 4]][rng.integers(5)]
            for g in shape:
                d = "".join(str(v) for v in rng.integers(0, 10, g))
                pieces.append((d, " ".join(d)))
        elif pattern == "email":
            name = EMAIL_NAMES[rng.integers(len(EMAIL_NAMES))]
            dom = EMAIL_DOMAINS[rng.integers(len(EMAIL_DOMAINS))]
            tld = EMAIL_TLDS[rng.integers(len(EMAIL_TLDS))]
            spelled = " ".join(name)
            pieces.append((spelled, spelled))
            if rng.random() < 0.5:
                d = "".join(str(v) for v in rng.integers(0, 10, 2))
                pieces.append((d, " ".join(d)))
            pieces.append((f"{at_word} {dom}", f"{at_word} {dom}"))
            pieces.append((f"{dot_word} {tld}", f"{dot_word} {tld}"))
        else:
            for g in range(int(rng.integers(2, 4))):
                s = CODE_LETTERS[rng.integers(len(CODE_LETTERS))] + "".join(str(v) for v in rng.integers(0, 10, 2))
                pieces.append((s, " ".join(s)))
        # every gap after the carrier is a pause with probability .75, else a short join
        gaps = ["join" if i == 0 and rng.random() < 0.4 else ("pause" if rng.random() < 0.75 else "join")
                for i in range(len(pieces) - 1)]
        if "pause" not in gaps:
            gaps[-1] = "pause"
        return pieces, gaps, [], "dictation"

    weights = np.array([c[0] for c in cands])
    src = cands[int(rng.choice(len(cands), p=weights / weights.sum()))]
    ctx, text, ref = src[1][int(rng.integers(len(src[1])))]
    toks = tokens(lang, text)
    fl = fillers[lang]
    filler = fl[int(rng.integers(min(len(fl), 6)))]  # the first few are the real hesitation sounds
    if pattern == "plain":
        return [(text, text)], [], ctx, ref
    if pattern == "filler_start":
        return [(filler, filler), (text, text)], ["pause"], ctx, ref
    if pattern == "clause":
        minpart = 4 if LANGS[lang][1] else 2  # no one-word clauses
        # at punctuation any split is fine ("Okay. | …"); elsewhere no one-word parts
        pts = [k for k in split_points(lang, toks, clause_only=True) if k <= len(toks) - minpart]
        if not pts:
            pts = [k for k in split_points(lang, toks) if minpart <= k <= len(toks) - minpart]
        if len(pts) >= 2 and rng.random() < 0.3:
            pairs = [(a, b) for a in pts for b in pts if b - a >= minpart]
            if pairs:
                a, b = pairs[int(rng.integers(len(pairs)))]
                pts = [a, b]
            else:
                pts = [pts[int(rng.integers(len(pts)))]]
        elif pts:
            pts = [pts[int(rng.integers(len(pts)))]]
        parts, prev = [], 0
        for k in pts + [len(toks)]:
            parts.append(detok(lang, toks[prev:k]))
            prev = k
        parts = [p for p in parts if p]
        return [(p, p) for p in parts], ["pause"] * (len(parts) - 1), ctx, ref
    # hesitation: part1 [join] filler [pause] part2   or   part1 [pause] filler [join] part2
    pts = split_points(lang, toks)
    if not pts:
        return [(filler, filler), (text, text)], ["pause"], ctx, ref
    mid = len(toks) / 2
    pts = sorted(pts, key=lambda k: abs(k - mid))[: max(1, len(pts) // 2)]
    k = int(pts[int(rng.integers(len(pts)))])
    a, b = detok(lang, toks[:k]), detok(lang, toks[k:])
    if rng.random() < 0.6:
        return [(a, a), (filler, filler), (b, b)], ["join", "pause"], ctx, ref
    return [(a, a), (filler, filler), (b, b)], ["pause", "join"], ctx, ref


def spoken_form(lang, text, final):
    s = ja_reading(text) if lang == "ja" else text
    s = s.strip()
    if not final and s and s[-1] not in CLAUSE_PUNCT | END_PUNCT:
        s += ","  # continuation intonation, not a full stop
    return s


# ----------------------------------------------------------------------------- building one turn

def build_tts_turn(tid, lang, pattern, seed, cands, fillers):
    rng = np.random.default_rng([seed, zlib.crc32(tid.encode())])
    pieces, gaps, ctx, ref = plan_turn(lang, pattern, rng, cands, fillers)
    voice = LANGS[lang][0]
    variant = ["", "+m1", "+m3", "+f1", "+f3", "+f4"][int(rng.integers(6))]
    speed = int(rng.integers(150, 186))
    pitch = int(rng.integers(35, 66))
    segs = []
    for i, (text, spoken) in enumerate(pieces):
        s = spoken_form(lang, spoken, final=(i == len(pieces) - 1))
        m = measure_piece(espeak(voice + variant, s, speed, pitch))
        if m is None:
            raise RuntimeError(f"{tid}: no speech for {s!r}")
        segs.append((text, m))
    lead = int(rng.uniform(0.3, 0.8) * SR)
    trail = int(rng.uniform(TRAIL_MIN_S + 0.1, 4.0) * SR)
    out = [np.zeros(lead, np.float32)]
    pos = lead
    transcript, pauses = [], []
    for i, (text, (y, s, e, inner)) in enumerate(segs):
        out.append(y)
        transcript.append({"text": text, "start_s": (pos + s) / SR, "end_s": (pos + e) / SR})
        pauses += [[(pos + a) / SR, (pos + b) / SR, "internal"] for a, b in inner]
        pos += len(y)
        if i < len(gaps):
            g = int((pause_len(rng) if gaps[i] == "pause" else join_len(rng)) * SR)
            out.append(np.zeros(g, np.float32))
            pos += g
    out.append(np.zeros(trail, np.float32))
    x = np.concatenate(out)
    # gaps between consecutive pieces, measured from the trimmed speech edges
    for p, q in zip(transcript, transcript[1:]):
        if q["start_s"] - p["end_s"] >= 0.2:
            pauses.append([p["end_s"], q["start_s"], "inserted"])
    # level: speech RMS around -24 dBFS +-5 dB, then a -74 dBFS white noise floor (a quiet mic)
    act = np.concatenate([x[int(t["start_s"] * SR):int(t["end_s"] * SR)] for t in transcript])
    rms = float(np.sqrt(np.mean(act.astype(np.float64) ** 2)))
    gain = 10 ** ((-24 + rng.uniform(-5, 5)) / 20) / max(rms, 1e-6)
    x = x * gain
    if np.abs(x).max() > 0.95:
        x *= 0.95 / np.abs(x).max()
    x = (x + rng.standard_normal(len(x)) * 10 ** (-74 / 20)).astype(np.float32)
    pauses.sort()
    rec = {"turn_id": tid, "lang": lang, "kind": "tts", "pattern": pattern,
           "voice": f"espeak-ng {voice}{variant} -s {speed} -p {pitch}",
           "turn_end_s": transcript[-1]["end_s"],
           "pauses": [[a, b] for a, b, _ in pauses], "pause_kinds": [k for _, _, k in pauses],
           "transcript": transcript, "context": ctx, "source": ref}
    return x, rec


# Real clips (times from shared/audio/README.md: Silero v6 windows, p > 0.5)
REAL = [
    # file, lang, speech runs, transcript pieces (text, start, end) or None
    ("jfk.wav", "en", [(0.35, 2.24), (3.30, 3.81), (3.97, 4.38), (5.41, 7.62), (8.19, 10.53)],
     [("And so my fellow Americans,", 0.35, 2.24), ("ask not", 3.30, 4.38),
      ("what your country can do for you,", 5.41, 7.62), ("ask what you can do for your country.", 8.19, 10.53)],
     "ggerganov/whisper.cpp samples/jfk.wav (MIT repo; public-domain recording)"),
    ("ru_16k.wav", "ru", [(0.16, 0.80), (2.50, 2.88), (3.71, 4.99), (5.28, 5.63)],
     [("бедняга ребят на его месте должен был быть я", 0.16, 5.63)],
     "mozilla/DeepSpeech data/smoke_test/russian_sample_data/ru.wav (MPL-2.0 repo)"),
    ("fr_24k.wav", "fr", [(0.10, 0.99), (1.06, 1.76), (2.11, 2.37)],
     [("essaye la dictée numéro un", 0.10, 2.37)],
     "Uberi/speech_recognition examples/french.aiff (BSD-3-Clause)"),
    ("new_home_16k.wav", "en", [(0.70, 3.20)], [("You must find a new home in the stars.", 0.70, 3.20)],
     "mozilla/DeepSpeech data/smoke_test/new-home-in-the-stars-16k.wav (MPL-2.0 repo)"),
    ("ldc93s1_8k.wav", "en", [(0.29, 2.91)], [("She had your dark suit in greasy wash water all year.", 0.29, 2.91)],
     "mozilla/DeepSpeech data/smoke_test/LDC93S1_pcms16le_1_8000.wav (MPL-2.0 repo; TIMIT sample LDC93S1)"),
    ("zh_16k.wav", "zh", [(0.16, 0.93)], [("砸自己的脚", 0.16, 0.93)],
     "Uberi/speech_recognition examples/chinese.flac (BSD-3-Clause)"),
]
# pause stretch variants: None = original timing, else every pause set to this many seconds
REAL_VARIANTS = {"jfk.wav": [None, 1.2, 2.0], "ru_16k.wav": [None, 0.6], "fr_24k.wav": [None, 1.0]}


def tile_noise(seg, n, rng):
    """Extend a room-noise segment to n samples by overlap-adding random slices of it."""
    if n <= 0:
        return np.zeros(0, np.float32)
    seg = seg.astype(np.float64)
    L = len(seg)
    if L < 320:
        return (rng.standard_normal(n) * np.sqrt(np.mean(seg ** 2) + 1e-12)).astype(np.float32)
    w = min(L, 1600)
    hop = w // 2
    win = np.hanning(w)
    out = np.zeros(n + 2 * w)
    for st in range(0, n + hop, hop):
        o = int(rng.integers(0, L - w + 1))
        out[st:st + w] += seg[o:o + w] * win
    return out[:n].astype(np.float32)


def build_real_turn(tid, spec, stretch, seed):
    fname, lang, speech, pieces, src = spec
    rng = np.random.default_rng([seed, zlib.crc32(tid.encode())])
    x = read_wav(os.path.join(AUDIO_DIR, fname))
    # quiet reference for appended silence: the clip's quietest 100 ms
    r = frame_rms(x)
    k = 20
    sm = np.convolve(r ** 2, np.ones(k) / k, mode="valid")
    q = int(np.argmin(sm)) * FRAME
    floor_seg = x[q:q + k * FRAME]

    def t2s(t):
        return int(round(t * SR))

    # cut points: every silence between speech runs >= 0.2 s
    gaps = [(a[1], b[0]) for a, b in zip(speech, speech[1:]) if b[0] - a[1] >= 0.2]
    out, src_pos, shift = [], 0, 0.0
    tmap = []  # (orig_time, new_time) anchor: new = orig + shift for orig >= anchor
    for ga, gb in gaps:
        if stretch is None:
            continue
        # keep 60 ms at each pause edge, replace the middle by tiled room noise of the new length
        a, b = t2s(ga) + 960, t2s(gb) - 960
        if b <= a:
            continue
        out.append(x[src_pos:a])
        newmid = t2s(stretch) - 1920
        out.append(tile_noise(x[a:b], max(newmid, 0), rng))
        tmap.append((gb - 0.06, shift + (max(newmid, 0) - (b - a)) / SR))
        shift = tmap[-1][1]
        src_pos = b
    out.append(x[src_pos:])

    def newt(t):
        s = 0.0
        for anchor, sh in tmap:
            if t >= anchor:
                s = sh
        return round(t + s, 5)

    body = np.concatenate(out)
    turn_end = newt(speech[-1][1])
    tail_needed = t2s(turn_end + TRAIL_MIN_S + rng.uniform(0.1, 0.6)) - len(body)
    tail = tile_noise(floor_seg, tail_needed, rng)
    x2 = np.concatenate([body, tail]).astype(np.float32)
    pauses = [[newt(a), newt(b)] for a, b in gaps]
    rec = {"turn_id": tid, "lang": lang, "kind": "real", "pattern": "real" if stretch is None else f"real_pauses_{stretch}s",
           "turn_end_s": turn_end, "pauses": pauses, "pause_kinds": ["real"] * len(pauses),
           "transcript": [{"text": t, "start_s": newt(a), "end_s": newt(b)} for t, a, b in pieces],
           "context": [], "source": f"shared/audio/{fname}: {src}"}
    return x2, rec


# ----------------------------------------------------------------------------- conditions

class Babble:
    """Babble noise: sixteen time-shifted copies of shared/audio/silero_test.wav (60 s of real
    English speech that is not otherwise in the set), summed: a crowd/cafeteria murmur. (With
    four copies Silero VAD hears speech in 97 % of it, with eight 36 %, with sixteen none: the
    set's noisy condition tests robustness to noise, not to a competing talker.)"""

    def __init__(self):
        self.src = read_wav(os.path.join(AUDIO_DIR, "silero_test.wav")).astype(np.float64)

    def make(self, n, rng):
        out = np.zeros(n)
        L = len(self.src)
        for _ in range(16):
            o = int(rng.integers(0, L))
            idx = (o + np.arange(n)) % L
            out += self.src[idx]
        return out


def add_noise(x, rec, rng, babble):
    n = len(x)
    kind = ["white", "pink", "babble"][int(rng.integers(3))]
    if kind == "white":
        noise = rng.standard_normal(n)
    elif kind == "pink":
        noise = pink_noise(n, rng)
    else:
        noise = babble.make(n, rng)
    snr = float(rng.uniform(15.0, 20.0))
    act = np.concatenate([x[int(t["start_s"] * SR):int(t["end_s"] * SR)] for t in rec["transcript"]])
    ps = float(np.mean(act.astype(np.float64) ** 2))
    pn = float(np.mean(noise ** 2))
    y = x + noise * np.sqrt(ps / pn / 10 ** (snr / 10))
    peak = np.abs(y).max()
    if peak > 0.98:
        y *= 0.98 / peak
    return y.astype(np.float32), {"noise": kind, "snr_db": round(snr, 2)}


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", choices=["full", "small"], default="full")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2, help="parallel espeak-ng workers (default 2)")
    ap.add_argument("--exclude-nc", action="store_true",
                    help="skip non-commercial text sources (de.xdailydialog, pl.leyzer): German then comes "
                         "from xSID only and Polish is dropped")
    args = ap.parse_args()

    small = args.size == "small"
    counts = dict(SMALL_COUNTS if small else FULL_COUNTS)
    if args.exclude_nc:
        counts.pop("pl", None)
    fillers = parse_fillers(os.path.join(DATA_DIR, "fillers.md"))

    audio_out = os.path.join(args.out, "audio")
    if os.path.isdir(audio_out):
        shutil.rmtree(audio_out)
    os.makedirs(audio_out)

    # turn list: real clips first, then tts turns with a per-language pattern cycle
    jobs = []
    for spec in REAL:
        variants = REAL_VARIANTS.get(spec[0], [None])
        if small:
            variants = variants[:1]
        stem = spec[0].rsplit(".", 1)[0].replace("_", "")
        for v in variants:
            tid = f"{spec[1]}-real-{stem}" + ("" if v is None else f"-p{int(v * 1000)}")
            jobs.append(("real", tid, spec, v))
    real_per_lang = collections.Counter(j[2][1] for j in jobs)
    cand_cache = {}
    for lang, n in counts.items():
        cand_cache[lang] = candidates(lang, args.exclude_nc)
        for i in range(n - real_per_lang[lang]):
            jobs.append(("tts", f"{lang}-tts-{i:03d}", lang, PATTERNS[i % len(PATTERNS)]))

    def run(job):
        if job[0] == "real":
            return build_real_turn(job[1], job[2], job[3], args.seed)
        return build_tts_turn(job[1], job[2], job[3], args.seed, cand_cache[job[2]], fillers)

    with cf.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        built = list(ex.map(run, jobs))

    babble = Babble()
    conds = ["clean", "noisy", "ulaw8k"]
    manifest, summary = [], collections.Counter()
    for ti, (x, rec) in enumerate(built):
        tconds = [conds[ti % 3]] if small else conds
        for cond in tconds:
            ex_id = f"{rec['turn_id']}-{cond}"
            rng = np.random.default_rng([args.seed, zlib.crc32(ex_id.encode())])
            extra = {}
            path = os.path.join(audio_out, ex_id + ".wav")
            if cond == "clean":
                write_wav16(path, x)
                sr, dur = SR, len(x) / SR
            elif cond == "noisy":
                y, extra = add_noise(x, rec, rng, babble)
                write_wav16(path, y)
                sr, dur = SR, len(y) / SR
            else:
                write_wav_ulaw(path, x)
                sr, dur = 8000, len(x) / SR
            e = {"id": ex_id, "turn_id": rec["turn_id"], "lang": rec["lang"], "condition": cond,
                 "kind": rec["kind"], "pattern": rec["pattern"], "audio": f"audio/{ex_id}.wav",
                 "sample_rate": sr, "duration_s": round(dur, 5),
                 "turn_end_s": round(rec["turn_end_s"], 5),
                 "pauses": [[round(a, 5), round(b, 5)] for a, b in rec["pauses"]],
                 "pause_kinds": rec["pause_kinds"],
                 "transcript": [{"text": t["text"], "start_s": round(t["start_s"], 5), "end_s": round(t["end_s"], 5)}
                                for t in rec["transcript"]],
                 "context": rec["context"], "source": rec["source"]}
            if "voice" in rec:
                e["voice"] = rec["voice"]
            e.update(extra)
            manifest.append(e)
            summary[(rec["lang"], cond, rec["kind"])] += 1

    with open(os.path.join(args.out, "manifest.jsonl"), "w", encoding="utf-8") as f:
        for e in manifest:
            f.write(json.dumps(e, ensure_ascii=False) + "\n")
    table = collections.defaultdict(dict)
    for (lang, cond, kind), n in sorted(summary.items()):
        table[lang][f"{cond}/{kind}"] = n
    info = {"size": args.size, "seed": args.seed, "examples": len(manifest), "turns": len(built),
            "counts": table,
            "espeak_ng": subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()}
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, ensure_ascii=False, indent=1)
    print(f"{len(built)} turns, {len(manifest)} examples -> {args.out}/manifest.jsonl", file=sys.stderr)


if __name__ == "__main__":
    main()
