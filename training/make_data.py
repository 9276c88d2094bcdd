#!/usr/bin/env python3
"""Build the labelled text turn-detection corpus from shared/data and the text written for the
project (training split only): written_turns.py (Polish and German sentences), short_requests.py
(short complete requests and lead-ins, 14 languages; with --half-said, requests stopped mid-phrase, 9),
slot_answers.py (short answers to the agent's choice questions), agent_lines.py (the agent's statements,
for backchannels said over them), and wait_reasons.py through langres.py (reasons after a wait request,
hold requests). Deterministic from --seed.

Output (under --out): train.jsonl, dev.jsonl, test.jsonl, evalonly.jsonl
  {"id", "lang", "source", "kind", "messages": [{"role","content"}...], "agent_speaking", "label"}
and, with --report-dir, data_report.md and data_samples.md.

Labels: finished / unfinished / wait / backchannel (see training/README.md).
Sources whose licence does not allow a permissively licensed model (xdailydialog: CC BY-NC-SA via
DailyDialog; leyzer: CC BY-NC-ND) are never used for training, dev or the tokenizer; they go to
evalonly.jsonl (evaluation material only).
"""
import argparse
import collections
import gzip
import hashlib
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agent_lines  # noqa: E402
import langres as R  # noqa: E402
import short_requests  # noqa: E402
import slot_answers  # noqa: E402
import written_turns  # noqa: E402

import jieba  # noqa: E402
jieba.setLogLevel(60)  # its dictionary-loading messages are not errors

try:
    from num2words import num2words
except ImportError:  # numbers stay digits
    num2words = None

LABELS = ["finished", "unfinished", "wait", "backchannel"]
EVAL_ONLY_SOURCES = {"xdailydialog", "leyzer"}          # NC licences
SA_SOURCES = {"xsid", "labforsims2", "jmultiwoz"}       # CC BY-SA (see MODEL_CARD.md)
WRITTEN = {"pl": 2500, "de": 2500}                       # sentences of written_turns.py per seed
# short_requests.py examples per language (training only): short complete requests without punctuation,
# which the cut prefixes of the dialogs outnumber 10 to 1 (training/error_analysis.md, session 10)
SHORT_REQUESTS = {"en": 3000, "ru": 3000, "zh": 3000}
SHORT_REQUESTS_OTHER = 1000
SLOT_ANSWERS = {"en": 1200, "ru": 1200, "zh": 1200, "pl": 400, "nl": 400, "tr": 400, "ar": 400, "hi": 400}
SLOT_ANSWERS_OTHER = 900
OPENER_SHARE = 0.08   # rule 22: cuts that append an opener to a whole turn (langres.OPENERS), with --trailing-openers
CHITCHAT = {"xpersona", "xdailydialog", "kdconv", "anekdot_dialogs", "chatbot_data"}
# Backchannels (and the same words as answers) after agent_lines.py's statements, per language (training only).
AGENT_STATEMENT_ACKS = 400
# Share of spoken phone numbers whose 2- and 3-digit groups are read as numbers (see dictation()).
GROUPS_AS_NUMBERS = {"ru": 0.6, "fr": 0.6, "it": 0.4, "de": 0.3, "pl": 0.5, "nl": 0.3}
# wanted number of user turns per language (finished examples; unfinished about the same)
TARGET_TURNS = {"en": 26000, "ru": 26000, "zh": 24000, "ja": 15000, "ko": 12000, "fr": 8000,
                "de": 4000, "it": 5000, "id": 8000}
END_PUNCT = ".!?。！？…"
CODE_FORMATS = [[6], [3, 3], [4], [2, 2, 2]]   # digit groups of the codes read out (booking, SMS)
PUNCT_RE = re.compile(r"[.,!?;:。，！？；：、…\"“”«»「」『』（）()\[\]؟،؛।—–]")


def split_of(key):
    h = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 80 else ("dev" if h < 90 else "test")


def split_key(rec):
    # parallel sources (multiwoz en/ru, xpersona, xsid) share ids up to the language part
    i = rec["id"]
    i = re.sub(r"-(en|ru|zh|ja|ko|fr|de|it|id|pl|ar|nl|tr|hi)-", "-", i)
    src = rec["source"].replace("multiwoz_ru", "multiwoz")
    return src + ":" + i


# ---------------------------------------------------------------- text utilities
def words_of(text, lang):
    """Segment into units: words (space languages) or characters with Latin/digit runs (zh/ja)."""
    if lang in R.CJK:
        return re.findall(r"[A-Za-z0-9@._'-]+|\s+|.", text)
    return text.split()


def join_units(units, lang):
    if lang in R.CJK:
        return "".join(units).strip()
    return " ".join(units)


def is_pause_point(units, k, lang, func=None):
    """True if a cut after units[:k] is a plausible mid-turn pause (the turn cannot end there). `func`: the
    function words (default langres.FUNC's)."""
    if lang in R.CJK:
        prev = "".join(units[:k])
        return any(prev.endswith(a) for a in (R.ZH_AFTER if lang == "zh" else R.JA_AFTER))
    w = PUNCT_RE.sub("", units[k - 1]).lower()
    if w in R.CLAUSE_INITIAL_ONLY.get(lang, ()):
        prev = units[k - 2] if k >= 2 else ""
        return k == 1 or prev[-1:] in ",.;:!?" or PUNCT_RE.sub("", prev).lower() in CLAUSE_STARTERS.get(lang, ())
    if w in (R.FUNC.get(lang, ()) if func is None else func):
        return True
    if lang == "ko" and len(w) > 1 and w.endswith(R.KO_SUFFIX):
        return True
    return False


CLAUSE_STARTERS = {"id": set("dan tetapi tapi atau karena yang jika kalau ketika bahwa supaya agar".split())}
CJK_CLAUSE_END = {lang: re.compile(rf"^[{p}]*([\s，。！？,.!?、；…]|$)") for lang, p in R.FINAL_PARTICLES.items()}


class SentenceBoundaries:
    """How likely an unpunctuated word boundary is the end of a sentence, learnt from the punctuated turns.

    Chit-chat turns often run two sentences together without punctuation ("ça me semble bien as-tu des
    chevaux"); a cut at that boundary leaves a complete sentence that would be labelled `unfinished`. The
    odds that a boundary ends a sentence are estimated, per space-separated language, from the words
    before and after the punctuated sentence ends of the training split: "as-tu", "apakah" and "j'aime"
    often start a sentence, "d'accord", "bagus" and "fantastico" often end one.

    A prefix is heard without the word after the cut, so its last word alone matters too: `ends_more_often`
    is true for words that end a sentence at most of their occurrences in the punctuated turns ("today",
    "tonight", "ini", "oggi"): a cut after one leaves what a listener takes for a complete turn.
    """
    SMOOTH = 10.0     # pseudo-counts at the language's overall rate, so rare words stay near it
    NAME_SHARE = 0.2  # a word pair is a name if written capitalised at least this often (see in_name)

    def __init__(self):
        self.counts = collections.defaultdict(lambda: [collections.Counter() for _ in range(4)])
        self.pairs = collections.Counter()
        self.ends = collections.Counter()
        # occurrences and sentence ends of each word, counted in punctuated turns only: in an unpunctuated
        # turn no word is seen to end a sentence
        self.punct_occ = collections.defaultdict(collections.Counter)
        self.punct_end = collections.defaultdict(collections.Counter)
        # word pairs: all occurrences, and those written capitalised inside a sentence ("to London Kings Cross")
        self.pair_occ = collections.defaultdict(collections.Counter)
        self.pair_caps = collections.defaultdict(collections.Counter)

    def add(self, text, lang):
        if lang in R.CJK:
            return
        ws = text.split()
        starts, occ, ends, pocc = self.counts[lang]
        for i in range(1, len(ws)):
            nxt, prev = norm_word(ws[i]), norm_word(ws[i - 1])
            if not nxt or not prev:
                continue
            boundary = ws[i - 1][-1:] in END_PUNCT
            self.pair_occ[lang][prev, nxt] += 1
            if (i >= 2 and not ends_sentence(ws[i - 2]) and ws[i - 1][-1:] not in ",;:" + END_PUNCT
                    and ws[i - 1][:1].isupper() and ws[i][:1].isupper()):
                self.pair_caps[lang][prev, nxt] += 1
            occ[nxt] += 1
            pocc[prev] += 1
            self.pairs[lang] += 1
            if boundary:
                starts[nxt] += 1
                ends[prev] += 1
                self.ends[lang] += 1
        if any(map(ends_sentence, ws)):
            for i, w in enumerate(ws):
                a = norm_word(w)
                if a:
                    self.punct_occ[lang][a] += 1
                    self.punct_end[lang][a] += ends_sentence(w) or i == len(ws) - 1

    def probability(self, lang, prev, nxt):
        """P(a sentence ends between `prev` and `nxt`), combining the two words' odds (naive Bayes)."""
        if lang not in self.counts or not self.pairs[lang]:
            return 0.0
        starts, occ, ends, pocc = self.counts[lang]
        p0 = min(max(self.ends[lang] / self.pairs[lang], 1e-3), 0.5)
        a, b = norm_word(prev), norm_word(nxt)
        p_start = (starts[b] + self.SMOOTH * p0) / (occ[b] + self.SMOOTH)
        p_end = (ends[a] + self.SMOOTH * p0) / (pocc[a] + self.SMOOTH)
        odds = (p_start / (1 - p_start)) * (p_end / (1 - p_end)) / (p0 / (1 - p0))
        return odds / (1 + odds)

    def in_name(self, lang, prev, nxt):
        """Whether `prev nxt` lies inside a multi-word name ("London | Kings Cross", "Regent Street | City Centre"):
        both words written capitalised inside a sentence in at least NAME_SHARE of the pair's occurrences
        (lower-case transcripts of the same name count against it, hence a share, not a majority). A cut
        there leaves "a train to London", a complete request, labelled unfinished: the model then learns
        that a city ends nothing ("What is the weather in London" read as unfinished in en and de)."""
        pair = (norm_word(prev), norm_word(nxt))
        return self.pair_caps[lang][pair] > 0 and self.pair_caps[lang][pair] >= self.NAME_SHARE * self.pair_occ[lang][pair]

    def end_rate(self, lang, word):
        """The share of `word`'s occurrences in the punctuated turns that end a sentence, counting SMOOTH more
        occurrences that do not (a word seen a few times is not judged on them alone)."""
        a = norm_word(word)
        return self.punct_end[lang][a] / (self.punct_occ[lang][a] + self.SMOOTH)

    def ends_more_often(self, lang, word):
        """True if `word` ends a sentence at more than half of its occurrences in the punctuated turns."""
        return self.end_rate(lang, word) > 0.5


def norm_word(w):
    return PUNCT_RE.sub("", w).lower()


def zh_word_ends(text):
    """Character offsets at which a Chinese word ends (jieba's dictionary segmentation): speech-to-text
    writes whole words, so a pause, and a cut, falls between them ("海底捞火 | 锅" is never transcribed)."""
    ends, pos = set(), 0
    for w in jieba.cut(text):
        pos += len(w)
        ends.add(pos)
    return ends


# Parts of speech whose word, said before its head, leaves a phrase plainly half-said: a Russian adjective,
# participle or numeral before the noun it agrees with ("я потерял посадочный | талон"); in Chinese a
# numeral or classifier before its noun, an adjective or attribute before a noun, an adverb before the verb
# or adjective it modifies ("我要两张 | 电影票", "房间里太 | 吵了"). Only ru (pymorphy3) and zh (jieba) have
# taggers on PyPI that need no download (training/README.md, rule 16).
RU_MODIFIERS = {"ADJF", "PRTF", "NUMR"}
RU_HEADS = {"NOUN", "ADJF", "PRTF"}
ZH_PAIRS = [(("m", "mq", "q"), ("n",)), (("a", "b"), ("n",)), (("d",), ("a", "v"))]
_morph = None


def _ru_parses(word):
    global _morph
    if _morph is None:
        import pymorphy3
        _morph = pymorphy3.MorphAnalyzer()
    return _morph.parse(word)


def phrase_inner_cuts(units, lang):
    """The cut positions k (a prefix of units[:k]) that fall inside a phrase by the parts of speech above."""
    inner = set()
    if lang == "ru":
        words = [norm_word(u) for u in units]
        parses = [_ru_parses(w) if w else None for w in words]  # each word parsed once
        for k in range(1, len(units)):
            a, b = parses[k - 1], parses[k]
            if units[k - 1][-1:] in ",.;:!?…" or not a or not b:
                continue
            if a[0].tag.POS not in RU_MODIFIERS or b[0].tag.POS not in RU_HEADS:
                continue
            if a[0].tag.POS == "NUMR" and b[0].tag.POS == "NOUN" or any(
                    x.tag.POS in RU_MODIFIERS - {"NUMR"} and y.tag.POS in RU_HEADS and x.tag.case == y.tag.case
                    and x.tag.number == y.tag.number for x in a for y in b):
                inner.add(k)
    elif lang == "zh":
        import jieba.posseg
        words = list(jieba.posseg.cut("".join(units)))
        offsets, pos = set(), 0
        for w, nxt in zip(words, words[1:]):
            pos += len(w.word)
            if any(w.flag in m and nxt.flag.startswith(h) for m, h in ZH_PAIRS):
                offsets.add(pos)
        pos = 0
        for k in range(1, len(units)):
            pos += len(units[k - 1])
            if pos in offsets:
                inner.add(k)
    return inner


def part_of_number(digits, whole_lengths, rng):
    """The digit groups said before a caller stops part-way through a number: after some groups, or inside
    the next one; None if no such part can be drawn. A part with as many digits as a whole number of its
    kind (`whole_lengths`) would be a complete number ("il codice è quattro zero tre zero": a 4-digit code,
    or 4 digits of a 6-digit one), so none is made: the count of digits decides, as it does for a listener."""
    for _ in range(20):
        cut_g = rng.randrange(1, len(digits)) if len(digits) > 1 else 1
        part = [g[:] for g in digits[:cut_g]]
        if len(digits) == 1 or rng.random() < 0.3:
            last = digits[cut_g - 1] if len(digits) == 1 else digits[cut_g]
            if len(last) > 1:
                inside = last[:rng.randrange(1, len(last))]
                part = part[:-1] + [inside] if len(digits) == 1 else part + [inside]
        if sum(map(len, part)) not in whole_lengths:
            return part
    return None


def hesitations(res, lang):
    """Fillers that mark a pause (not the turn-final tags of R.TAG_FILLERS)."""
    tags = set(R.TAG_FILLERS.get(lang, ()))
    return [f for f in res.get("fillers", []) if f not in tags]


def ends_sentence(unit):
    return unit.rstrip()[-1:] in END_PUNCT if unit.strip() else False


def strip_punct(text):
    t = PUNCT_RE.sub(" ", text)
    # keep in-word apostrophes/hyphens/@/.: only collapse spaces
    return re.sub(r"\s+", " ", t).strip()


def strip_final_punct(text):
    return re.sub(r"[\s.,!?;:。，！？；：、…؟।]+$", "", text)


def number_words(n, lang):
    if num2words is None:
        return None
    try:
        if lang == "zh":
            return num2words(n, lang="ja").replace("二千", "两千") if n >= 10 else R.ZH_DIGITS[n]
        if lang == "hi":
            return None
        return num2words(n, lang=lang)
    except Exception:
        return None


def digit_word(d, lang, rng, hi_list=None):
    if lang == "hi" and hi_list is not None:
        return hi_list[d]
    if lang == "zh":
        return "幺" if d == 1 and rng.random() < 0.3 else R.ZH_DIGITS[d]
    if lang == "hi":
        return rng.choice([R.HI_DIGITS, R.HI_DIGITS_LATIN])[d]
    w = number_words(d, lang)
    return w if w else str(d)


class Noiser:
    """Make written text look like speech-to-text output."""

    def __init__(self, lang, res, rng):
        self.lang, self.res, self.rng = lang, res, rng

    def numbers(self, text):
        def rep(m):
            s = m.group(0)
            if len(s) > 6 or s.startswith("0"):
                return s
            before, after = text[max(0, m.start() - 2):m.start()], text[m.end():m.end() + 2]
            if re.fullmatch(r"\d[.:/]", before) or re.fullmatch(r"[.:/]\d", after):
                return s  # part of a date, time or decimal: "20.05.2025" must not become "zwanzig.05..."
            w = number_words(int(s), self.lang)
            return w if w else s
        return re.sub(r"\d+", rep, text)

    def __call__(self, text, style, unfinished=False):
        """style: dict with lower/punct decisions made once per example (shared by both labels)."""
        rng, lang = self.rng, self.lang
        if style["numwords"]:
            text = self.numbers(text)
        units = words_of(text, lang)
        n = len(units)
        fill = self.res.get("fillers", [])
        # filler inside the turn
        if fill and n >= 3 and rng.random() < 0.15:
            # only before a word: a filler before detached punctuation ("voyager ?" in French typography)
            # would end a finished turn once the punctuation is dropped
            last_word = max((i for i, u in enumerate(units) if PUNCT_RE.sub("", u).strip()), default=0)
            ks = list(range(1, min(n, last_word + 1)))
            if lang in R.CJK:  # never inside a word: only after punctuation or a particle
                ks = [k for k in ks if units[k - 1] in "，。、！？ ,." or is_pause_point(units, k, lang)]
            if ks:
                k = rng.choice(ks)
                units = units[:k] + [rng.choice(fill)] + units[k:]
        # repetition ("I I want", "я я хочу"); in zh/ja a restart from the beginning ("我我想", "我想我想问"),
        # since repeating one character inside a word ("日曜曜は") is nothing a speech-to-text writes
        if n >= 2 and rng.random() < 0.08:
            k = rng.randrange(0, min(n, 4))
            if lang in R.CJK:
                if all(u.strip() and not PUNCT_RE.match(u) for u in units[:k + 1]):
                    units = units[:k + 1] + units[:k + 1] + units[k + 1:]
            elif units[k].strip():
                units = units[:k + 1] + [units[k]] + units[k + 1:]
        # self-correction: "... to Paris no sorry to London"
        if n >= 4 and rng.random() < 0.05:
            k = rng.randrange(1, n - 1)
            span = units[max(0, k - 2):k]
            units = units[:k] + [rng.choice(R.CORRECTION[lang])] + span + units[k:]
        text = join_units(units, lang)
        if lang in R.CJK:
            text = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)
        if style["lower"]:
            text = text.lower()
        if style["punct"] == "none":
            text = strip_punct(text)
        elif style["punct"] == "nofinal":
            text = strip_final_punct(text)
        if unfinished:
            text = strip_final_punct(text) if style["punct"] != "keep" else re.sub(r"[\s.!?。！？…؟।]+$", "", text)
            r = rng.random()
            if r < 0.04:
                text += "..." if lang not in R.CJK else "…"
            elif r < 0.07:
                text += "." if lang not in R.CJK else "。"
        return re.sub(r"\s+", " ", text).strip()


def stt_case(text, style, lang, rng):
    """Casing as a speech-to-text gives it: all lower-case in a lower-case style, else the first word
    capitalised 80 % of the time ("Wait.", "Привет", "Yes please"); the phrase lists are lower-case."""
    if style["lower"]:
        return text.lower()
    if lang in R.CASED and text and rng.random() < 0.8:
        return text[0].upper() + text[1:]
    return text


def make_style(rng, lang):
    r = rng.random()
    return {
        "lower": lang in R.CASED and rng.random() < 0.55,
        "punct": "none" if r < 0.45 else ("nofinal" if r < 0.7 else "keep"),
        "numwords": rng.random() < 0.3,
    }


# ---------------------------------------------------------------- example builders
class Builder:
    def __init__(self, res, rng, bounds, half_said=False, phrase_cuts=False, clarify_rng=None, whole_names=False,
                 content_cut_weight=1.0, end_rate_cuts=False, more_function_words=False, trailing_openers=False,
                 name_dictation=False):
        self.res, self.rng, self.bounds = res, rng, bounds
        # --content-cut-weight: how likely cut() stops right after a content word, against 6 after a function word
        self.content_cut_weight = content_cut_weight
        # --end-rate-cuts: that weight shrinks with how often the word ends a sentence
        self.end_rate_cuts = end_rate_cuts
        # --more-function-words: langres.FUNC_MORE joins FUNC wherever cut() asks what a function word is
        self.func = {lang: set(R.FUNC.get(lang, ())) | set(R.FUNC_MORE.get(lang, ())) for lang in R.LANGS} \
            if more_function_words else R.FUNC
        # --trailing-openers: rule 22, a whole turn followed by a word of langres.OPENERS takes this share of cuts
        self.opener_share = OPENER_SHARE if trailing_openers else 0.0
        # --name-dictation: rule 23, one dictation in five is a name (langres.NAME_INTRO)
        self.dictation_kinds = ["phone", "phone", "email", "code"] + (["name"] if name_dictation else [])
        # --half-said, --phrase-cuts, --clarify, --whole-names: off by default; the shipped model's last stage (27)
        # has all but --clarify
        self.with_half_said, self.with_phrase_cuts, self.whole_names = half_said, phrase_cuts, whole_names
        # --clarify draws from a stream of its own, so that the examples of the other builders do not move
        self.clarify_rng = clarify_rng
        self.out = []
        # Heads that are whole turns on their own: cut() never makes one an unfinished prefix.
        self.acks = {l: set(" ".join(PUNCT_RE.sub("", x).lower().split())
                            for x in R.YESNO.get(l, []) + d.get("backchannels", []) + R.GREETINGS.get(l, [])
                            + R.THANKS.get(l, []) + (R.CLARIFY.get(l, []) if clarify_rng else [])
                            + ["나도", "저도", "me too", "я тоже", "我也是"])
                     for l, d in res.items()}
        # What may follow a complete clause without continuing it: "… in the centre of town | please",
        # "That sounds perfect, thank you | goodbye". A cut before only these leaves a whole turn.
        self.tails = {l: sorted({" ".join(PUNCT_RE.sub("", x).lower().split())
                                 for x in R.PLEASE.get(l, []) + R.THANKS.get(l, []) + R.TAG_FILLERS.get(l, [])},
                                key=len, reverse=True) for l in res}

    def emit(self, ex):
        self.out.append(ex)

    def ctx_noise(self, context, lang):
        """User turns in the context look like STT output too; agent turns stay written (TTS text)."""
        rng = self.rng
        nz = Noiser(lang, self.res.get(lang, {}), rng)
        out = []
        for m in context:
            c = m["content"]
            if m["role"] == "user" and rng.random() < 0.6:
                c = nz(c, make_style(rng, lang))
            out.append({"role": m["role"], "content": c})
        return out

    def context_variant(self, context, lang):
        rng = self.rng
        r = rng.random()
        if r < 0.12:
            return []
        if r < 0.17 and context:  # Russian speak/wait style: the context is one string
            role = rng.choice(["assistant", "user"])
            return [{"role": role, "content": " ".join(m["content"] for m in context[-2:])}]
        return context

    def base(self, lang, source, key, kind, context, message, agent_speaking, label):
        return {"id": f"{key}#{kind}#{len(self.out)}", "lang": lang, "source": source, "kind": kind,
                "messages": context + [{"role": "user", "content": message}],
                "agent_speaking": bool(agent_speaking), "label": label}

    # -- finished + unfinished from one real user turn
    def turn_examples(self, lang, source, key, context, text, make_unfinished=True):
        rng = self.rng
        res = self.res.get(lang, {})
        nz = Noiser(lang, res, rng)
        context = self.context_variant(self.ctx_noise(context, lang), lang)
        style = make_style(rng, lang)
        spk = rng.random() < 0.12
        fin = nz(text, style)
        tags = R.TAG_FILLERS.get(lang)
        if fin and tags and rng.random() < 0.04:
            sep = "，" if lang in R.CJK else ", "
            fin = strip_final_punct(fin) + sep + rng.choice(tags)
        if fin:
            self.emit(self.base(lang, source, key, "turn", context, fin, spk, "finished"))
        if not make_unfinished:
            return
        pre = self.cut(text, lang, res)
        if pre:
            style2 = dict(style)
            un = nz(pre, style2, unfinished=True)
            if un and un != fin:
                self.emit(self.base(lang, source, key, "prefix", context, un,
                                    rng.random() < 0.12, "unfinished"))

    def only_tails(self, rest, lang):
        """Whether `rest` is nothing but phrases of self.tails ("please", "thanks, bye", "对吧")."""
        sep = "" if lang in R.CJK else " "
        rest = sep.join(PUNCT_RE.sub("", rest).lower().split())
        tails = [t.replace(" ", sep) for t in self.tails.get(lang, ())]
        while rest:
            t = next((t for t in tails if rest == t or rest.startswith(t + sep)), None)
            if t is None:
                return False
            rest = rest[len(t):].lstrip()
        return True

    def cut(self, text, lang, res):
        """A prefix of `text` cut at a plausible pause point, or None."""
        rng = self.rng
        units = words_of(text.strip(), lang)
        # drop whitespace units for CJK boundary logic
        n = len(units)
        word_ends = zh_word_ends(text.strip()) if lang == "zh" and "".join(units) == text.strip() else None
        fill = hesitations(res, lang)
        conj = [w for w in R.FUNC.get(lang, [])[:6]] or ["and"]
        mode = rng.random()
        openers = R.OPENERS.get(lang) if self.opener_share else None
        opener_cut = bool(openers) and 0.12 <= mode < 0.12 + self.opener_share
        if n < 3 or mode < 0.12 or opener_cut:
            # whole turn (or its first sentence) followed by a conjunction and/or filler
            base = strip_final_punct(text.strip())
            tail = []
            if lang in R.CJK:
                conj = ["然后", "还有", "但是", "就是", "所以"] if lang == "zh" else ["それで", "あと", "でも", "それから"]
            if opener_cut:
                tail.append(rng.choice(openers))  # rule 22: "vado al mare con la mia famiglia | nelle"
            elif rng.random() < 0.7:
                tail.append(rng.choice(conj))
            if fill and (not tail or rng.random() < 0.4):
                tail.append(rng.choice(fill))
            sep = "" if lang in R.CJK else " "
            return base + ("，" if lang in R.CJK and rng.random() < 0.3 else sep) + sep.join(tail)
        inner = phrase_inner_cuts(units, lang) if self.with_phrase_cuts else set()
        func = self.func.get(lang, ())
        cands, weights = [], []
        for k in range(1, n):
            if not units[k - 1].strip() or not units[k].strip() and k == n - 1:
                continue
            if ends_sentence(units[k - 1]):
                continue  # prefix would be a complete sentence
            if lang not in R.CJK and self.bounds.probability(lang, units[k - 1], units[k]) >= 0.5:
                continue  # most likely an unpunctuated sentence end: "ça me semble bien | as-tu des chevaux"
            if lang not in R.CJK and self.bounds.ends_more_often(lang, units[k - 1]):
                continue  # the prefix ends like a complete sentence: "saya suka buku ini | karena ..."
            if self.whole_names and lang not in R.CJK and self.bounds.in_name(lang, units[k - 1], units[k]):
                continue  # inside a name: "a train to London | Kings Cross"
            if word_ends is not None and len("".join(units[:k])) not in word_ends:
                continue  # inside a word
            if lang in CJK_CLAUSE_END and CJK_CLAUSE_END[lang].match("".join(units[k:])):
                continue  # only punctuation or a final particle follows: "时间好短 | 啊。" is complete
            rest = "".join(units[k:]) if lang in R.CJK else " ".join(units[k:])
            if not PUNCT_RE.sub("", rest).strip():
                continue  # only punctuation removed: not a prefix
            if self.only_tails(rest, lang):
                continue  # only "please" / "thanks" / a tag follows: the prefix is the whole request
            pp = is_pause_point(units, k, lang, func) or k in inner
            head = " ".join(PUNCT_RE.sub("", join_units(units[:k], lang)).lower().split())
            if head in self.acks.get(lang, ()):
                continue  # "yes" / "Привет" / "спасибо большое"-like heads are whole turns, not prefixes
            if k == 1 and lang not in R.CJK and not pp:
                continue
            # a cut right BEFORE a function word usually leaves a complete clause ("I need a hotel | in
            # the north"): such prefixes are label noise, so they are rare; cuts AFTER one are preferred
            nxt = PUNCT_RE.sub("", units[k]).lower() if k < n else ""
            before_func = (lang not in R.CJK and nxt in func) or (
                lang in R.CJK and any(("".join(units[k:k + 2])).startswith(a) for a in (R.ZH_AFTER if lang == "zh" else R.JA_AFTER)[:8]))
            cands.append(k)
            if pp:
                weights.append(6.0)
            elif before_func:
                weights.append(0.15)
            elif lang in R.CJK:
                weights.append(0.2)  # a candidate at every character: keep random cuts a minority, as in en
            elif PUNCT_RE.sub("", units[k - 1]).lower() in R.CLAUSE_INITIAL_ONLY.get(lang, ()):
                weights.append(0.3)  # "orang tua saya |": usually a complete clause
            else:
                # "saya bekerja paruh waktu di burger king |", "Trova l' orario |": a cut after a content word
                # leaves a complete clause far more often than one after a function word (session 33: stage 27
                # read 13-21 % of such dev prefixes as finished, against 0-3 %). Stage 29 trained at 0.3 and
                # did not ship (held-out turns lost), so the default stays 1
                w = self.content_cut_weight
                if self.end_rate_cuts:
                    # rule 20: the noise is in the words that often end a sentence. Stage 27 read 5-10 % of the
                    # session-31 dev prefixes after a content word that ends under 5 % of its sentences as
                    # finished, 21-75 % after one that ends 20-50 % of them (id "anjing", "kota"); cuts after
                    # the rarely-final words keep their weight. Stage 30 trained on it and did not ship
                    # (held-out turns lost), so it stays off
                    w *= max(0.05, 1.0 - 2.0 * self.bounds.end_rate(lang, units[k - 1]))
                weights.append(w)
        if not cands:
            return None
        k = rng.choices(cands, weights)[0]
        pre = join_units(units[:k], lang)
        if fill and mode > 0.8 and (lang not in R.CJK or is_pause_point(units, k, lang, func)):
            sep = "" if lang in R.CJK else " "
            pre = pre + sep + rng.choice(fill)
        return pre

    def wait_example(self, lang, source, key, context, partial=None):
        rng = self.rng
        res = self.res.get(lang, {})
        w = rng.choice(res["wait"])
        r = rng.random()
        parts = []
        if partial is not None and r < 0.15:
            parts.append(partial)               # "I want to book um wait a second"
        elif r < 0.45:
            parts.append(rng.choice(res["fillers"] + res["backchannels"][:4] + R.YESNO[lang][1:2]))
        parts.append(w)
        r2 = rng.random()
        if r2 < 0.12:
            parts.append(w)                     # "wait wait"
        elif r2 < 0.25:
            if R.PLEASE.get(lang):
                parts.append(rng.choice(R.PLEASE[lang]))
        sep = "" if lang in R.CJK and rng.random() < 0.6 else " "
        msg = sep.join(parts)
        style = make_style(rng, lang)
        reasons = res["wait_reasons"]
        with_reason = bool(reasons) and rng.random() < 0.45
        if with_reason:
            # "hold on, let me grab my card": the reason does not make the request a turn of its own; now and
            # then it comes first ("let me find my card, one second")
            comma = style["punct"] != "none" and rng.random() < 0.7
            joiner = ("，" if comma else "") if lang in R.CJK else (", " if comma else " ")
            reason = rng.choice(reasons)
            if comma and style["punct"] == "keep" and rng.random() < 0.3:
                # two sentences: "끊지 마세요. 지금 고지서 찾고 있어요", "Don't hang up. I'll get the bill."
                joiner = "。" if lang in R.CJK else ". "
                if lang in R.CASED:
                    reason = reason[:1].upper() + reason[1:]
            msg = reason + joiner + msg if rng.random() < 0.15 else msg + joiner + reason
        msg = stt_case(msg, style, lang, rng)
        # a speech-to-text that punctuates closes a short request like any sentence: "Wait." "Погодите."
        if style["punct"] != "none" and rng.random() < (0.7 if style["punct"] == "keep" else 0.3):
            msg += rng.choice(["!", ".", ".", "...", ","]) if lang not in R.CJK else rng.choice(["！", "。", "…"])
        spk = rng.random() < 0.7
        context = self.context_variant(self.ctx_noise(context, lang), lang)
        if with_reason and not spk and rng.random() < 0.5:
            # the agent has just asked for a number or a code: "hang on, let me grab my card"
            ask = rng.choice(R.ASK_PHONE[lang] + R.ASK_EMAIL[lang] + R.ASK_CODE[lang])
            context = (context[:-1] if context and context[-1]["role"] == "assistant" else context) + \
                [{"role": "assistant", "content": ask}]
        if spk and rng.random() < 0.4:
            context = self.said_so_far(context, lang)  # a barge-in cuts the agent's sentence, as a backchannel does
        self.emit(self.base(lang, source, key, "wait", context, msg, spk, "wait"))

    def said_so_far(self, ctx, lang):
        """The context with the agent's last turn cut to what it has said so far (a third to all but two
        of its words): while the agent speaks, that is all the user has heard."""
        if not ctx or ctx[-1]["role"] != "assistant":
            return ctx
        units = words_of(ctx[-1]["content"], lang)
        if len(units) < 6:
            return ctx
        k = self.rng.randint(len(units) // 3, len(units) - 2)
        return ctx[:-1] + [{"role": "assistant", "content": join_units(units[:k], lang)}]

    def short_ack(self, lang, source, key, context_agent_last):
        """The same short word: backchannel while the agent speaks, finished answer otherwise."""
        rng = self.rng
        res = self.res.get(lang, {})
        bc = res["backchannels"]
        ctx = self.ctx_noise(context_agent_last, lang)
        if rng.random() < 0.06:
            ctx = []
        style = make_style(rng, lang)

        def word(pool):
            w = rng.choice(pool)
            r = rng.random()
            if r < 0.15:
                w = w + (" " if lang not in R.CJK else "") + w      # "yeah yeah"
            elif r < 0.3 and lang not in ("zh", "ja", "ko"):
                w = rng.choice(bc[:3]) + " " + w if rng.random() < 0.5 else w
            w = stt_case(w, style, lang, rng)
            if style["punct"] == "none":
                w = strip_punct(w)
            elif style["punct"] == "keep" and rng.random() < 0.5:
                w += "." if lang not in R.CJK else "。"
            return w
        # the agent is still speaking: the context may hold only what it has said so far
        bc_ctx = self.said_so_far(ctx, lang) if ctx and ctx[-1]["role"] == "assistant" and rng.random() < 0.35 else ctx
        self.emit(self.base(lang, source, key, "backchannel", bc_ctx, word(bc), True, "backchannel"))
        # counterpart: the same kind of word as an answer while the agent is silent -> finished. After
        # an open question ("How can I help you?") "mhm" answers nothing: only yes/no words, without it.
        open_question = bool(ctx) and ctx[-1]["content"] == GENERIC_ASK.get(lang)
        if open_question:
            ctx = []
        pool = bc + R.YESNO[lang] if rng.random() < 0.5 and not open_question else R.YESNO[lang]
        yes_no_question = bool(ctx) and not open_question and ctx[-1]["content"].rstrip().endswith(("?", "？", "؟"))
        if lang in POLITE_YES and yes_no_question and rng.random() < 0.3:
            # "ja bitte", "oui s'il vous plaît": the wait requests also end in "bitte", so without these the
            # model heard a polite yes as a wait request
            pool = [POLITE_YES[lang] + (", " if rng.random() < 0.3 else " ") + rng.choice(R.PLEASE[lang])]
        self.emit(self.base(lang, source, key, "answer", ctx, word(pool), False, "finished"))

    def closing(self, lang, source, key, context):
        """A lone "thanks" / "that's all" / "bye" after the agent's answer: finished."""
        rng = self.rng
        msg = rng.choice(R.THANKS[lang])
        style = make_style(rng, lang)
        msg = stt_case(msg, style, lang, rng)
        if style["punct"] == "none":
            msg = strip_punct(msg)
        elif rng.random() < 0.6:
            msg += rng.choice([".", "!"]) if lang not in R.CJK else rng.choice(["。", "！"])
        ctx = self.context_variant(self.ctx_noise(context, lang), lang) if rng.random() < 0.8 else []
        self.emit(self.base(lang, source, key, "closing", ctx, msg, False, "finished"))

    def continuer(self, lang, source, key, context):
        """A lone connective ("and then", "а потом", "然后") with or without a filler: unfinished."""
        rng = self.rng
        fill = hesitations(self.res.get(lang, {}), lang)
        conts = R.CONTINUERS[lang]
        if self.clarify_rng:  # it "perché" is "because" and "why?": alone after the agent, it is the question
            conts = [c for c in conts if c not in R.CLARIFY.get(lang, ())] or conts
        parts = [rng.choice(conts)]
        if fill and rng.random() < 0.25:
            parts.insert(0, rng.choice(fill))
        if fill and rng.random() < 0.25:
            parts.append(rng.choice(fill))
        msg = ("" if lang in R.CJK else " ").join(parts)
        style = make_style(rng, lang)
        msg = stt_case(msg, style, lang, rng)
        if style["punct"] != "none":
            # a speech-to-text that punctuates writes the trailing-off pause as a comma or dots, sometimes a stop
            msg += rng.choice(["", ",", "...", "…", "."]) if lang not in R.CJK else rng.choice(["", "，", "…", "。"])
        ctx = self.context_variant(self.ctx_noise(context, lang), lang) if context and rng.random() < 0.85 else []
        self.emit(self.base(lang, source, key, "continuer", ctx, msg, False, "unfinished"))

    def clarify(self, lang, source, key, context):
        """A question word or a request to repeat, alone after the agent's turn ("what", "почему", "为什么",
        "come mai"): finished, the agent should answer. Kind "clarify"; drawn from self.clarify_rng only."""
        rng = self.clarify_rng
        msg = rng.choice(R.CLARIFY[lang])
        style = make_style(rng, lang)
        msg = stt_case(msg, style, lang, rng)
        if style["punct"] != "none" and rng.random() < 0.8:
            q = "？" if lang in R.CJK else (rng.choice([" ?", "?"]) if lang == "fr" else "?")
            msg += q if rng.random() < 0.85 else ("。" if lang in R.CJK else ".")
        self.emit(self.base(lang, source, key, "clarify", context, msg, False, "finished"))

    def short_request(self, lang, source, key):
        """A short complete request ("do you deliver", "你们几点关门"): finished, with or without the
        agent's opening question; now and then also a cut prefix of it ("I want a"), and now and then a
        lead-in that announces a request without making it ("I was wondering", "我想问一下"): unfinished."""
        rng = self.rng
        ctx = [{"role": "assistant", "content": GENERIC_ASK[lang]}] if rng.random() < 0.5 else []
        self.turn_examples(lang, source, key, ctx, rng.choice(short_requests.REQUESTS[lang]),
                           make_unfinished=rng.random() < 0.3)
        if rng.random() < 0.2:
            style = make_style(rng, lang)
            msg = Noiser(lang, self.res.get(lang, {}), rng)(rng.choice(short_requests.LEADINS[lang]), style,
                                                            unfinished=True)
            msg = stt_case(msg, style, lang, rng)
            self.emit(self.base(lang, source, key, "prefix", ctx, msg, False, "unfinished"))
        if self.with_half_said and lang in short_requests.HALF_SAID and rng.random() < 0.3:
            self.half_said(lang, source, key, ctx)

    def half_said(self, lang, source, key, ctx):
        """A request stopped right after a content word ("what is the wifi", "房间里太"): unfinished; and
        the whole request: finished. Kind "halfsaid", so that the dev/test de-duplication (turns and
        prefixes) and the wait counts (turns) of the other splits do not move."""
        rng = self.rng
        half, rest = (x.strip() for x in rng.choice(short_requests.HALF_SAID[lang]).split("|"))
        sep = "" if lang in R.CJK else " "
        nz = Noiser(lang, self.res.get(lang, {}), rng)
        for text, label in ((half, "unfinished"), (half + sep + rest, "finished")):
            style = make_style(rng, lang)
            msg = stt_case(nz(text, style, unfinished=label == "unfinished"), style, lang, rng)
            self.emit(self.base(lang, source, key, "halfsaid", ctx, msg, False, label))

    def slot_answer(self, lang, source, key):
        """A short content answer to the agent's slot or choice question ("eleven" after "At 11 or at 2?",
        "上午" after "上午还是下午？"): finished. Without these the model took any short phrase for the start
        of a longer one. Now and then the same answer trails into a connective or a filler ("four and",
        "the afternoon but um"): unfinished, so that the label follows the answer's end, not its length."""
        rng = self.rng
        question, answers = rng.choice(slot_answers.SLOT_QA[lang])
        ctx = [{"role": "assistant", "content": question}]
        sep = "" if lang in R.CJK else " "
        fill = hesitations(self.res.get(lang, {}), lang)
        answer = rng.choice(answers)
        if fill and rng.random() < 0.15:
            answer = rng.choice(fill) + sep + answer
        style = make_style(rng, lang)
        msg = stt_case(answer, style, lang, rng)
        if style["punct"] == "none":
            msg = strip_punct(msg)
        elif rng.random() < 0.5:
            msg += "." if lang not in R.CJK else "。"
        self.emit(self.base(lang, source, key, "slot", ctx, msg, False, "finished"))
        if rng.random() < 0.3:
            tail = [rng.choice(R.CONTINUERS[lang])]
            if fill and rng.random() < 0.3:
                tail.append(rng.choice(fill))
            msg = stt_case(sep.join([answer] + tail), style, lang, rng)
            if style["punct"] == "none":
                msg = strip_punct(msg)
            self.emit(self.base(lang, source, key, "slot", ctx, msg, False, "unfinished"))

    def utterance_examples(self, lang, source, key, text, ask):
        """A single utterance with no real context (commands, written sentences): finished + unfinished,
        and, more often in languages without dialogs, a wait request, a short answer and a dictation."""
        r = self.rng
        ctx = [{"role": "assistant", "content": ask}] if r.random() < 0.4 else []
        self.turn_examples(lang, source, key, ctx, text)
        utter_lang = lang not in R.DIALOG_LANGS
        if r.random() < (0.35 if utter_lang else 0.1):
            self.wait_example(lang, source, key, ctx, partial=self.cut(text, lang, self.res[lang]))
        if r.random() < (0.3 if utter_lang else 0.05):
            self.short_ack(lang, source, key, [{"role": "assistant", "content": GENERIC_ASK[lang]}])
        if r.random() < (0.12 if utter_lang else 0.03):
            self.dictation(lang, source, key)

    def greeting(self, lang, source, key):
        """A lone greeting or "can you hear me" opens a call and waits for an answer: finished."""
        rng = self.rng
        msg = rng.choice(R.GREETINGS[lang])
        if rng.random() < 0.15:
            msg = msg.split("，")[0].split(",")[0].split("、")[0]
            msg = msg + (" " if lang not in R.CJK else "") + msg          # "hello hello", "喂喂"
        style = make_style(rng, lang)
        msg = stt_case(msg, style, lang, rng)
        if style["punct"] == "none":
            msg = strip_punct(msg)
        elif rng.random() < 0.6:
            msg += rng.choice(["?", ".", "!"]) if lang not in R.CJK else rng.choice(["？", "。", "！"])
        # a caller also greets back after the agent's opening line
        ctx = [{"role": "assistant", "content": GENERIC_ASK[lang]}] if rng.random() < 0.3 else []
        self.emit(self.base(lang, source, key, "greeting", ctx, msg, False, "finished"))

    def dictation(self, lang, source, key):
        rng = self.rng
        kind = rng.choice(self.dictation_kinds)
        spoken_words = rng.random() < 0.5
        hi_list = rng.choice([R.HI_DIGITS, R.HI_DIGITS_LATIN])
        sep = "" if lang in ("zh", "ja") and not spoken_words else " "
        if kind in ("phone", "code"):
            if kind == "phone":
                # the language's national formats (langres.PHONE_FORMATS), so that the number of digits
                # says whether it is complete; a local number without the area code now and then
                local = R.PHONE_LOCAL_FORMATS[lang]
                groups = rng.choice(R.PHONE_FORMATS[lang] if rng.random() < 0.85 or not local else local)
                intro = rng.choice(R.PHONE_INTRO[lang])
                ask = rng.choice(R.ASK_PHONE[lang])
            else:
                groups = rng.choice(CODE_FORMATS)
                intro = rng.choice(R.CODE_INTRO[lang])
                ask = rng.choice(R.ASK_CODE[lang])
            whole_lengths = {sum(f) for f in (R.PHONE_FORMATS[lang] + R.PHONE_LOCAL_FORMATS[lang] if kind == "phone"
                                              else CODE_FORMATS)}
            digits = [[rng.randrange(10) for _ in range(g)] for g in groups]
            # a punctuating speech-to-text often puts a comma at each pause between groups: "six one seven, five five five"
            comma = rng.random() < 0.25
            group_sep = ("，" if lang in R.CJK else ", ") if comma else None
            # Russian, French, Italian, … callers read a phone number's short groups as numbers ("восемь
            # девятьсот шестнадцать пятьсот", "zéro six douze trente-quatre"): then a number stopped after a
            # whole group looks whole, and only the count of groups says it is not
            as_numbers = kind == "phone" and spoken_words and lang in GROUPS_AS_NUMBERS and rng.random() < GROUPS_AS_NUMBERS[lang]

            def group_words(g):
                if as_numbers and len(g) in (2, 3) and g[0] != 0:   # a leading zero is read as a digit: "zéro six"
                    w = number_words(int("".join(map(str, g))), lang)
                    if w:
                        return w
                return " ".join(digit_word(d, lang, rng, hi_list) for d in g)

            def say(gs):
                out = []
                for g in gs:
                    if spoken_words:
                        out.append(group_words(g))
                    else:
                        out.append("".join(str(d) for d in g))
                return (group_sep or (" " if spoken_words or rng.random() < 0.7 else "-")).join(out)
            full = say(digits)
            part = part_of_number(digits, whole_lengths, rng)
            partial = say(part) if part else None
            if partial and comma and rng.random() < 0.5:
                partial += group_sep.strip()            # the pause after a group: "six one seven,"
        elif kind == "name":
            # the frame said alone is the unfinished turn: "меня зовут", "我姓"
            first, last = rng.choice(R.PERSON_NAMES[lang])
            template = rng.choice(R.NAME_INTRO[lang])
            slot = template.index("{")
            intro = template[:slot].rstrip()
            sep = template[len(intro):slot]               # "" where the name follows without a space (zh, ja)
            full_name = f"{last}{first}" if lang in R.FAMILY_NAME_FIRST else f"{first} {last}"
            full = template[slot:].format(first=first, last=last, full=full_name)
            partial = ""
            ask = rng.choice(R.ASK_NAME[lang])
        else:
            name = rng.choice(R.NAMES)
            spoken_name = name.replace(".", f" {R.AT_DOT[lang][1]} ")
            if rng.random() < 0.4:                       # spelled out letter by letter, maybe with digits
                spoken_name = " ".join(name.replace(".", "")) + ("" if rng.random() < 0.6 else " " + str(rng.randrange(10, 100)))
            dom, tld = rng.choice(R.DOMAINS)
            at, dot = R.AT_DOT[lang]
            intro = rng.choice(R.EMAIL_INTRO[lang])
            ask = rng.choice(R.ASK_EMAIL[lang])
            if rng.random() < 0.5:
                toks = [spoken_name, at, dom, dot, tld]
                full = " ".join(toks)
                cut = rng.randrange(1, 4)
                partial = " ".join(toks[:cut + 1]) if cut < 3 else " ".join(toks[:4])
            else:
                full = f"{name}@{dom}.{tld}"
                partial = rng.choice([f"{name}@", f"{name}@{dom}", f"{name} {at}", f"{name}@{dom} {dot}"])
        no_intro = rng.random() < 0.25 and kind != "name"
        pre = "" if no_intro else intro + (sep if lang in R.CJK or kind == "name" else " ")
        ctx = [{"role": "assistant", "content": ask}] if rng.random() < 0.8 else []
        style = make_style(rng, lang)
        fin = pre + full
        un = (pre + partial).rstrip() if partial or kind == "name" else None
        if style["lower"]:
            fin, un = fin.lower(), un and un.lower()
        elif lang in R.CASED and fin[:1].islower() and rng.random() < 0.8:
            fin, un = fin[0].upper() + fin[1:], un and un[0].upper() + un[1:]    # "My number is …"
        if style["punct"] == "keep":
            fin += "." if lang not in R.CJK else "。"
        fill = hesitations(self.res.get(lang, {}), lang)
        if un and fill and rng.random() < 0.2:
            un += " " + rng.choice(fill)
        self.emit(self.base(lang, source, key, "dictation", ctx, fin.strip(), False, "finished"))
        if un:
            self.emit(self.base(lang, source, key, "dictation", ctx, un.strip(), False, "unfinished"))


GENERIC_ASK = {"en": "How can I help you?", "ru": "Чем могу помочь?", "zh": "有什么可以帮您？", "ja": "ご用件をどうぞ。",
               "ko": "무엇을 도와드릴까요?", "fr": "Comment puis-je vous aider ?", "de": "Wie kann ich helfen?",
               "it": "Come posso aiutarla?", "id": "Ada yang bisa saya bantu?", "pl": "W czym mogę pomóc?",
               "ar": "كيف يمكنني مساعدتك؟", "nl": "Waarmee kan ik u helpen?", "tr": "Size nasıl yardımcı olabilirim?",
               "hi": "मैं आपकी क्या मदद कर सकता हूँ?"}

# The agent's line after it has done what was asked: a lone "thanks" / "bye" follows it.
DONE_SAY = {"en": "Done, your table is booked for seven.", "ru": "Готово, столик забронирован на семь.",
            "zh": "好的，已经帮您订好了七点的桌子。", "ja": "7時でご予約を承りました。", "ko": "7시로 예약해 드렸습니다.",
            "fr": "C'est fait, la table est réservée pour sept heures.", "de": "Erledigt, der Tisch ist für sieben Uhr reserviert.",
            "it": "Fatto, il tavolo è prenotato per le sette.", "id": "Sudah, mejanya dipesan untuk jam tujuh.",
            "pl": "Gotowe, stolik jest zarezerwowany na siódmą.", "ar": "تم، الطاولة محجوزة للساعة السابعة.",
            "nl": "Klaar, de tafel is gereserveerd voor zeven uur.", "tr": "Tamam, masanız saat yedi için ayrıldı.",
            "hi": "हो गया, आपकी टेबल सात बजे के लिए बुक है।"}
# A yes/no question of the agent: "ja" / "ja bitte" answers it (the dialogs of the smaller languages have few).
CONFIRM_ASK = {"en": "Shall I book the table for seven?", "ru": "Забронировать столик на семь?",
               "zh": "要帮您订七点的桌子吗？", "ja": "7時で予約しましょうか？", "ko": "7시로 예약해 드릴까요?",
               "fr": "Je réserve la table pour sept heures ?", "de": "Soll ich den Tisch für sieben Uhr reservieren?",
               "it": "Prenoto il tavolo per le sette?", "id": "Mau saya pesankan mejanya untuk jam tujuh?",
               "pl": "Zarezerwować stolik na siódmą?", "ar": "هل أحجز الطاولة للساعة السابعة؟",
               "nl": "Zal ik de tafel voor zeven uur reserveren?", "tr": "Masayı saat yedi için ayırayım mı?",
               "hi": "क्या मैं सात बजे के लिए टेबल बुक कर दूँ?"}
# A polite yes ("ja bitte") as an answer: the yes word, then one of langres.PLEASE.
POLITE_YES = {"en": "yes", "ru": "да", "fr": "oui", "de": "ja", "it": "sì", "pl": "tak", "nl": "ja", "tr": "evet",
              "ar": "نعم"}


def load(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-sa", action="store_true", help="also exclude CC BY-SA sources (xsid, labforsims2, jmultiwoz)")
    ap.add_argument("--half-said", action="store_true",
                    help="add short_requests.HALF_SAID (requests stopped right after a content word) to the training split")
    ap.add_argument("--phrase-cuts", action="store_true",
                    help="ru, zh: cut inside a phrase (a modifier before its head) as often as after a function word")
    ap.add_argument("--clarify", action="store_true",
                    help="add a question word or a request to repeat alone after the agent (\"what\", \"почему\"): "
                         "finished; and never cut a prefix down to one")
    ap.add_argument("--whole-names", action="store_true",
                    help="never cut inside a multi-word name (\"London | Kings Cross\"): the part before is "
                         "a complete turn")
    ap.add_argument("--content-cut-weight", type=float, default=1.0,
                    help="space-separated languages: weight of a cut right after a content word (a cut after a "
                         "function word weighs 6); below 1, fewer unfinished prefixes that are complete clauses")
    ap.add_argument("--more-function-words", action="store_true",
                    help="it, id: also count langres.FUNC_MORE (articulated prepositions, possessives, classifiers, "
                         "...) as function words: more cuts right after them, fewer right before them")
    ap.add_argument("--trailing-openers", action="store_true",
                    help="en, ru, fr, de, it, id: 8 %% of the cuts are a whole turn followed by a word that opens a "
                         "continuation and cannot end a turn (langres.OPENERS: \"... con la mia famiglia nelle\")")
    ap.add_argument("--name-dictation", action="store_true",
                    help="every language: one dictation in five gives a name (langres.NAME_INTRO): the frame said "
                         "alone (\"меня зовут\", \"我姓\") is unfinished, the frame with the name finished")
    ap.add_argument("--end-rate-cuts", action="store_true",
                    help="space-separated languages: a cut right after a content word weighs less the more often "
                         "that word ends a sentence (x (1 - 2 x its rate), at least 0.05): fewer unfinished prefixes "
                         "that are complete sentences, as many cuts after words that rarely end one")
    ap.add_argument("--report-dir", default=None, help="write data_report.md and data_samples.md here")
    ap.add_argument("--extra-train-seeds", type=int, nargs="*", default=[],
                    help="also add the training split as generated with these seeds (more variants of the same "
                         "training dialogs; dev and test stay those of --seed)")
    args = ap.parse_args()
    if not args.content_cut_weight > 0:
        ap.error(f"--content-cut-weight must be above 0 (a turn whose only cuts follow content words needs one), got {args.content_cut_weight:g}")
    for d in (args.out, args.report_dir):  # made now, not after minutes of generation
        if d:
            os.makedirs(d, exist_ok=True)
    data = os.path.abspath(args.data)
    res = R.parse_fillers(os.path.join(data, "fillers.md"))
    bounds = sentence_boundaries(args, data)
    per_split = build_splits(args, data, res, args.seed, bounds)
    for seed in args.extra_train_seeds:
        per_split["train"].out += build_splits(args, data, res, seed, bounds)["train"].out
    write_splits(args, per_split)


def sentence_boundaries(args, data):
    """SentenceBoundaries learnt from the training split's turns (dev and test text stays unseen)."""
    bounds = SentenceBoundaries()
    excluded = set(EVAL_ONLY_SOURCES) | (SA_SOURCES if args.no_sa else set())
    for sub in ("dialogs", "utterances"):
        for fn in sorted(os.listdir(os.path.join(data, sub))):
            for rec in load(os.path.join(data, sub, fn)):
                if rec["source"] not in excluded and split_of(split_key(rec)) == "train":
                    for t in rec.get("turns") or [{"text": rec["text"]}]:
                        bounds.add(t["text"], rec["lang"])
    return bounds


def build_splits(args, data, res, seed, bounds):
    """All four splits' examples, generated with one seed (the split of a dialog does not depend on it)."""
    per_split = {s: Builder(res, random.Random(f"{seed}-{s}"), bounds, args.half_said, args.phrase_cuts,
                            random.Random(f"{seed}-{s}-clarify") if args.clarify else None, args.whole_names,
                            args.content_cut_weight, args.end_rate_cuts, args.more_function_words,
                            args.trailing_openers, args.name_dictation)
                 for s in ("train", "dev", "test", "evalonly")}
    excluded = set(EVAL_ONLY_SOURCES) | (SA_SOURCES if args.no_sa else set())

    # ---------------- dialogs
    dialogs = collections.defaultdict(list)
    for fn in sorted(os.listdir(os.path.join(data, "dialogs"))):
        for rec in load(os.path.join(data, "dialogs", fn)):
            dialogs[rec["lang"]].append(rec)
    for lang in sorted(dialogs):
        recs = dialogs[lang]
        n_user = sum(1 for r in recs if r["source"] not in excluded for t in r["turns"] if t["role"] == "user")
        p_turn = min(1.0, TARGET_TURNS.get(lang, 10000) / max(1, n_user))
        for rec in recs:
            src = rec["source"]
            if args.no_sa and src in SA_SOURCES:
                continue
            sp = "evalonly" if src in EVAL_ONLY_SOURCES else split_of(split_key(rec))
            b = per_split[sp]
            r = b.rng
            turns = [{"role": t["role"], "content": t["text"].strip()} for t in rec["turns"] if t["text"].strip()]
            if src in CHITCHAT and r.random() < 0.5:  # either side can be "the user"
                turns = [{"role": "assistant" if t["role"] == "user" else "user", "content": t["content"]} for t in turns]
            key = rec["id"]
            p = p_turn if sp != "evalonly" else min(1.0, 3000 / max(1, len(recs) * 4))
            for i, t in enumerate(turns):
                if t["role"] != "user":
                    continue
                ctx = turns[max(0, i - 4):i]
                if i <= 1 and r.random() < 0.08:
                    b.greeting(lang, src, key)
                if i >= 2 and i == len(turns) - 1 and r.random() < 0.1:
                    b.closing(lang, src, key, ctx)
                if r.random() < p:
                    b.turn_examples(lang, src, key, ctx, t["content"])
                    if r.random() < 0.22:
                        b.wait_example(lang, src, key, ctx, partial=b.cut(t["content"], lang, res[lang]))
                    if r.random() < 0.08:
                        b.dictation(lang, src, key)
                # backchannel / short answer / lone connective after an agent turn
                after_agent = i > 0 and turns[i - 1]["role"] != "user"
                if after_agent and r.random() < p * 0.3:
                    b.short_ack(lang, src, key, turns[max(0, i - 4):i])
                if after_agent and r.random() < p * 0.02:
                    b.continuer(lang, src, key, turns[max(0, i - 4):i])
                if after_agent and b.clarify_rng and b.clarify_rng.random() < p * 0.02:
                    b.clarify(lang, src, key, turns[max(0, i - 4):i])

    # ---------------- utterances (single commands; no real context)
    for fn in sorted(os.listdir(os.path.join(data, "utterances"))):
        for rec in load(os.path.join(data, "utterances", fn)):
            lang, src = rec["lang"], rec["source"]
            if args.no_sa and src in SA_SOURCES:
                continue
            sp = "evalonly" if src in EVAL_ONLY_SOURCES else split_of(split_key(rec))
            b = per_split[sp]
            r = b.rng
            if sp == "evalonly" and r.random() > 0.3:
                continue
            if lang == "hi" and r.random() > 0.35:
                continue
            b.utterance_examples(lang, src, rec["id"], rec["text"], GENERIC_ASK[lang])

    # ---------------- sentences written for this project where shared/data's permissive text is thin.
    # Training only: template sentences in dev/test would score the templates, not the language
    # (Polish is scored on leyzer in evalonly, German on xSID).
    b = per_split["train"]
    for lang, n in WRITTEN.items():
        asks = written_turns.WRITTEN[lang][2]
        for i, text in enumerate(written_turns.sentences(lang, random.Random(f"{seed}-written-{lang}"), n)):
            b.utterance_examples(lang, "written", f"written-{lang}-{i}", text, b.rng.choice(asks))

    for lang in R.LANGS:
        # "uh-huh" / "gut" while the agent explains something, and the same word once it has finished: the
        # permissive dialogs of several languages (German, Polish, …) have no agent turns to put them after
        for i in range(AGENT_STATEMENT_ACKS):
            b.short_ack(lang, "written", f"agent-line-{lang}-{i}",
                        [{"role": "assistant", "content": b.rng.choice(agent_lines.AGENT_STATEMENTS[lang])}])
            if b.clarify_rng and i % 4 == 0:
                b.clarify(lang, "written", f"agent-line-{lang}-{i}",
                          [{"role": "assistant", "content": b.clarify_rng.choice(agent_lines.AGENT_STATEMENTS[lang])}])
        for i in range(SHORT_REQUESTS.get(lang, SHORT_REQUESTS_OTHER)):
            b.short_request(lang, "written", f"request-{lang}-{i}")
        for i in range(SLOT_ANSWERS.get(lang, SLOT_ANSWERS_OTHER)):
            b.slot_answer(lang, "written", f"slot-{lang}-{i}")

    # ---------------- fillers.md material for every language (pl's only permissive text besides written_turns.py)
    # The wait requests scale with the language's own turns (6 %, 80 to 400): a flat 400 made `wait` 18 %
    # of German and the model then heard "ja bitte" as a wait request.
    n_turns = collections.Counter(ex["lang"] for sp, b in per_split.items() if sp != "evalonly"
                                  for ex in b.out if ex["kind"] == "turn")
    for lang in R.LANGS:
        n_wait = min(400, max(80, int(0.06 * n_turns[lang])))
        for i in range(400):
            key = f"fillers-{lang}-{i}"
            sp = split_of(key)
            b = per_split[sp]
            ctx = [{"role": "assistant", "content": GENERIC_ASK[lang]}] if b.rng.random() < 0.5 else []
            if i < n_wait:
                b.wait_example(lang, "fillers", key, ctx)
            if i % 2 == 0:
                b.short_ack(lang, "fillers", key, [{"role": "assistant", "content": GENERIC_ASK[lang]}])
            if i % 2 == 0:
                b.dictation(lang, "synthetic", key)
            if i % 2 == 1:
                b.greeting(lang, "synthetic", key)
            if i % 4 == 3:
                b.short_ack(lang, "fillers", key, [{"role": "assistant", "content": CONFIRM_ASK[lang]}])
            if i % 4 == 1:
                b.closing(lang, "synthetic", key, [{"role": "assistant", "content": DONE_SAY[lang]}])
            if i % 4 == 2:
                b.continuer(lang, "synthetic", key, [{"role": "assistant", "content": GENERIC_ASK[lang]}])
    return per_split


def write_splits(args, per_split):
    counts = collections.Counter()
    # The split hashes the source id, but some sources repeat a text under several ids (xSID-de: 125 of
    # 800); a dev/test turn whose text is also a training turn is dropped so that the scores stay honest.
    def norm(ex):
        return strip_punct(ex["messages"][-1]["content"].lower()) if ex["kind"] in ("turn", "prefix") else None
    train_texts = {norm(ex) for ex in per_split["train"].out} - {None}
    for sp, b in per_split.items():
        seen = collections.Counter()
        exs = []
        leaked = 0
        for ex in b.out:
            if sp in ("dev", "test") and norm(ex) in train_texts:
                leaked += 1
                continue
            k = (json.dumps(ex["messages"], ensure_ascii=False), ex["agent_speaking"])
            # exact duplicates are dropped, except that short synthetic turns (wait, backchannel, short
            # answers) may repeat up to 3 times so that languages with few contexts keep their weight
            cap = 3 if ex["kind"] in ("wait", "backchannel", "answer", "slot", "greeting", "closing", "continuer",
                                      "halfsaid") and sp != "test" else 1
            if seen[k] >= cap:
                continue
            seen[k] += 1
            exs.append(ex)
        random.Random(f"{args.seed}-shuffle-{sp}").shuffle(exs)
        with open(os.path.join(args.out, f"{sp}.jsonl"), "w", encoding="utf-8") as f:
            for ex in exs:
                f.write(json.dumps(ex, ensure_ascii=False) + "\n")
                counts[(sp, ex["lang"], ex["label"])] += 1
        print(f"{sp}: {len(exs)} examples" + (f" ({leaked} dropped: text also in train)" if leaked else ""),
              file=sys.stderr)
    if args.report_dir:
        write_report(args, counts, per_split)


def write_report(args, counts, per_split):
    langs = R.LANGS
    cmd = f"training/make_data.py --seed {args.seed}"
    if args.extra_train_seeds:
        cmd += " --extra-train-seeds " + " ".join(str(x) for x in args.extra_train_seeds)
    for flag in ("no_sa", "half_said", "phrase_cuts", "clarify", "whole_names", "end_rate_cuts", "more_function_words",
                 "trailing_openers", "name_dictation"):
        if getattr(args, flag):
            cmd += " --" + flag.replace("_", "-")
    if args.content_cut_weight != 1.0:
        cmd += f" --content-cut-weight {args.content_cut_weight:g}"
    lines = ["# Text turn-detection corpus: counts", "",
             f"Generated by `{cmd}`. Splits are by whole dialog / utterance (hash of the id "
             "without its language part, so parallel translations share a split). `evalonly` = sources whose "
             "licence forbids use in a permissively licensed model (xdailydialog, leyzer): evaluation only.", ""]
    for sp in ("train", "dev", "test", "evalonly"):
        lines += [f"## {sp}", "", "| lang | " + " | ".join(LABELS) + " | total |", "|---" * (len(LABELS) + 2) + "|"]
        tot = collections.Counter()
        for lang in langs:
            row = [counts[(sp, lang, l)] for l in LABELS]
            if sum(row) == 0:
                continue
            for l, c in zip(LABELS, row):
                tot[l] += c
            lines.append(f"| {lang} | " + " | ".join(str(c) for c in row) + f" | {sum(row)} |")
        lines.append("| **all** | " + " | ".join(str(tot[l]) for l in LABELS) + f" | {sum(tot.values())} |")
        lines.append("")
    # punctuation statistics: does the final character give the label away?
    lines += ["## Final punctuation by label (train)", "",
              "Share of messages ending in . ! ? 。 ！ ？ … (the model must not learn \"ends with a full stop\").", "",
              "| label | ends with sentence punctuation | lower-case only (cased langs) |", "|---|---|---|"]
    b = per_split["train"]
    stat = collections.defaultdict(lambda: [0, 0, 0, 0])
    for ex in b.out:
        m = ex["messages"][-1]["content"]
        s = stat[ex["label"]]
        s[0] += 1
        s[1] += m[-1:] in END_PUNCT + "؟।"
        if ex["lang"] in R.CASED:
            s[2] += 1
            s[3] += m == m.lower()
    for l in LABELS:
        s = stat[l]
        lines.append(f"| {l} | {s[1] / max(1, s[0]):.1%} | {s[3] / max(1, s[2]):.1%} |")
    with open(os.path.join(args.report_dir, "data_report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    # samples: 100 random per language and label, from train
    rng = random.Random(args.seed + 7)
    by = collections.defaultdict(list)
    for ex in per_split["train"].out:
        by[(ex["lang"], ex["label"])].append(ex)
    out = ["# Text turn-detection corpus: samples", "",
           "100 random train examples per language and label (fewer where fewer exist). "
           "Format: context turns (`U:` user, `A:` agent), then `[speaking|listening] >> message`.", ""]
    for lang in langs:
        for l in LABELS:
            exs = by.get((lang, l), [])
            if not exs:
                continue
            out += [f"## {lang} / {l} ({len(exs)} in train)", ""]
            for ex in rng.sample(exs, min(100, len(exs))):
                ctx = " ‖ ".join(("U: " if m["role"] == "user" else "A: ") + m["content"][:80] for m in ex["messages"][:-1][-2:])
                flag = "speaking" if ex["agent_speaking"] else "listening"
                out.append(f"- `{ex['source']}/{ex['kind']}` {('{ ' + ctx + ' } ') if ctx else ''}[{flag}] >> **{ex['messages'][-1]['content']}**")
            out.append("")
    with open(os.path.join(args.report_dir, "data_samples.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
