#!/usr/bin/env python3
"""Checks of the text turn data generator (training/make_data.py) on the shared data: where it may cut a
turn into an `unfinished` prefix, and how a number is stopped part-way.

Usage: make_data_test.py --shared ../shared   (exit status 0 iff every check passes)
"""
import argparse
import collections
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
import langres as R  # noqa: E402
import make_data as M  # noqa: E402

SHARED = None


class SentenceBoundaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        data = os.path.join(SHARED, "data")
        cls.bounds = M.sentence_boundaries(argparse.Namespace(no_sa=False), data)
        cls.res = R.parse_fillers(os.path.join(data, "fillers.md"))

    def assert_off_draws_as_before(self, text, lang, seed, **switch_off):
        """A generator switch at its off value must draw exactly what the generator drew before the switch
        existed, so that data made without it is unchanged."""
        a, b = (M.Builder(self.res, random.Random(seed), self.bounds, **kw) for kw in ({}, switch_off))
        self.assertEqual([a.cut(text, lang, self.res[lang]) for _ in range(50)],
                         [b.cut(text, lang, self.res[lang]) for _ in range(50)])

    def test_sentence_starts_and_ends_learnt_from_punctuation(self):
        p = self.bounds.probability
        self.assertGreaterEqual(p("fr", "bien", "as-tu"), 0.5)
        self.assertGreaterEqual(p("id", "halo,", "bagaimana"), 0.5)
        self.assertLess(p("en", "to", "the"), 0.1)
        self.assertLess(p("fr", "de", "la"), 0.1)
        self.assertEqual(p("zh", "我", "想"), 0.0)  # no spaces: not estimated

    def test_no_prefix_at_an_unpunctuated_sentence_end(self):
        b = M.Builder(self.res, random.Random(1), self.bounds)
        text = "ça me semble bien as-tu des chevaux"
        prefixes = {b.cut(text, "fr", self.res["fr"]) for _ in range(400)}
        self.assertNotIn("ça me semble bien", prefixes)
        self.assertIn("ça me semble", prefixes)  # the other boundaries are still cut

    def test_no_prefix_ending_in_a_word_that_mostly_ends_sentences(self):
        self.assertTrue(self.bounds.ends_more_often("id", "ini"))
        self.assertTrue(self.bounds.ends_more_often("en", "today"))
        self.assertFalse(self.bounds.ends_more_often("en", "to"))
        self.assertFalse(self.bounds.ends_more_often("fr", "de"))
        b = M.Builder(self.res, random.Random(1), self.bounds)
        for lang, text, complete in (("id", "saya suka buku ini karena ceritanya bagus", "saya suka buku ini"),
                                     ("en", "i want to book a table for two tonight and a taxi after",
                                      "i want to book a table for two tonight")):
            prefixes = {b.cut(text, lang, self.res[lang]) for _ in range(1000)}
            self.assertNotIn(complete, prefixes)
            self.assertGreater(len(prefixes), 20)

    def test_names_learnt_from_capitals_inside_sentences(self):
        self.assertTrue(self.bounds.in_name("en", "London", "Kings"))
        self.assertTrue(self.bounds.in_name("en", "london", "liverpool"))  # lower case: the same name
        self.assertTrue(self.bounds.in_name("ru", "Кингс", "Линн"))
        self.assertFalse(self.bounds.in_name("en", "this", "is"))  # capitalised in titles, but mostly not
        self.assertFalse(self.bounds.in_name("en", "I", "need"))   # "I" is no name
        self.assertFalse(self.bounds.in_name("en", "to", "the"))

    def test_no_prefix_inside_a_name_with_the_flag(self):
        text = "i need a train to london kings cross on friday"
        got = {}
        for flag in (False, True):
            b = M.Builder(self.res, random.Random(2), self.bounds, whole_names=flag)
            got[flag] = collections.Counter(b.cut(text, "en", self.res["en"]) for _ in range(600))
        self.assertGreater(got[False]["i need a train to london"], 0)
        self.assertEqual(got[True]["i need a train to london"], 0)
        self.assertEqual(got[True]["i need a train to london kings"], 0)
        self.assertGreater(len(got[True]), 5)  # the other boundaries are still cut

    def test_fewer_cuts_after_a_content_word_with_a_lower_weight(self):
        # "burger" and "king" are content words, "di" and "saya" function words (langres.FUNC)
        text = "saya bekerja paruh waktu di burger king dan saya suka"
        fillers = set(M.hesitations(self.res["id"], "id"))
        share = {}
        for weight in (1.0, 0.3):
            b = M.Builder(self.res, random.Random(3), self.bounds, content_cut_weight=weight)
            cuts = [b.cut(text, "id", self.res["id"]) for _ in range(2000)]
            last = [M.norm_word(c.split()[-1]) for c in cuts if c]
            share[weight] = sum(w not in R.FUNC["id"] and w not in fillers for w in last) / len(last)
        self.assertGreater(share[1.0], 0.1)
        self.assertLess(share[0.3], 0.6 * share[1.0])
        self.assert_off_draws_as_before(text, "id", 4, content_cut_weight=1.0)

    def test_fewer_cuts_after_a_word_that_often_ends_a_sentence_with_end_rate_cuts(self):
        # "punya" ends few Indonesian sentences of the training split, "anjing" more than a quarter of them
        rate = self.bounds.end_rate
        self.assertLess(rate("id", "punya"), 0.1)
        self.assertGreater(rate("id", "anjing"), 0.2)
        text = "saya punya anjing hitam yang besar"
        ratio = {}
        for on in (False, True):
            b = M.Builder(self.res, random.Random(5), self.bounds, end_rate_cuts=on)
            cuts = collections.Counter(b.cut(text, "id", self.res["id"]) for _ in range(4000))
            ratio[on] = cuts["saya punya anjing"] / cuts["saya punya"]
        self.assertGreater(ratio[False], 0.7)
        self.assertLess(ratio[True], 0.7 * ratio[False])
        self.assert_off_draws_as_before(text, "id", 6, end_rate_cuts=False)

    def test_more_cuts_after_an_articulated_preposition_with_more_function_words(self):
        # "sulla" is in langres.FUNC_MORE, not FUNC: with the switch a cut after it is a pause point and one
        # right before it ("mi accampo solo |", a complete clause) is rare
        text = "mi accampo solo sulla spiaggia vicino casa"
        share = {}
        for on in (False, True):
            b = M.Builder(self.res, random.Random(7), self.bounds, more_function_words=on)
            cuts = collections.Counter(b.cut(text, "it", self.res["it"]) for _ in range(3000))
            share[on] = (cuts["mi accampo solo sulla"] / 3000, cuts["mi accampo solo"] / 3000)
        self.assertGreater(share[True][0], 1.5 * share[False][0])
        self.assertLess(share[True][1], 0.5 * share[False][1])
        self.assertGreater(share[False][1], 0.05)
        self.assert_off_draws_as_before(text, "it", 8, more_function_words=False)

    def test_whole_turns_followed_by_an_opener_with_trailing_openers(self):
        # rule 22: "nelle" is in langres.OPENERS["it"], not among the six words the whole-turn cut appends
        text = "vado al mare con la mia famiglia"
        got = {}
        for on in (False, True):
            b = M.Builder(self.res, random.Random(9), self.bounds, trailing_openers=on)
            got[on] = [b.cut(text, "it", self.res["it"]) for _ in range(3000)]
        last = {on: collections.Counter(c.split()[-1] for c in cuts if c.startswith(text + " "))
                for on, cuts in got.items()}
        self.assertEqual(sum(last[False][w] for w in R.OPENERS["it"] if w not in R.FUNC["it"][:6]), 0)
        openers = sum(last[True][w] for w in R.OPENERS["it"])
        self.assertGreater(openers / 3000, 0.5 * M.OPENER_SHARE)
        self.assertGreater(last[True]["nelle"], 0)
        # a language without openers (zh) cuts as before, and so does the switch at its off value
        a, b = (M.Builder(self.res, random.Random(10), self.bounds, trailing_openers=on) for on in (False, True))
        self.assertEqual([a.cut("我想订一张去北京的火车票", "zh", self.res["zh"]) for _ in range(50)],
                         [b.cut("我想订一张去北京的火车票", "zh", self.res["zh"]) for _ in range(50)])
        self.assert_off_draws_as_before(text, "it", 11, trailing_openers=False)

    def test_name_frames_said_alone_are_unfinished_with_name_dictation(self):
        # rule 23: "моя фамилия" / "我姓" without the name is unfinished, with it finished
        for lang in ("ru", "zh", "en"):
            frames = {t[:t.index("{")].strip().lower() for t in R.NAME_INTRO[lang]}
            b = M.Builder(self.res, random.Random(12), self.bounds, name_dictation=True)
            for _ in range(300):
                b.dictation(lang, "synthetic", "k")
            said = [(ex["messages"][-1]["content"], ex["label"]) for ex in b.out]
            names = [n for pair in R.PERSON_NAMES[lang] for n in pair]
            alone = [t for t, label in said if label == "unfinished" and t.lower().rstrip(" .。") in frames]
            with_name = [t for t, label in said if label == "finished" and any(n.lower() in t.lower() for n in names)]
            self.assertGreater(len(alone), 20, lang)
            self.assertGreater(len(with_name), 20, lang)
            self.assertFalse([t for t, label in said if label == "unfinished" and any(map(t.lower().startswith, frames))
                              and any(n.lower() in t.lower() for n in names)])
            if lang == "zh":
                self.assertIn("我姓", alone)
        # the switch at its off value draws what the generator drew before it existed
        a, b = (M.Builder(self.res, random.Random(13), self.bounds, **kw) for kw in ({}, {"name_dictation": False}))
        for _ in range(200):
            a.dictation("ru", "synthetic", "k")
            b.dictation("ru", "synthetic", "k")
        self.assertEqual(a.out, b.out)

    def test_no_filler_left_at_the_end_of_a_finished_turn(self):
        # French typography detaches "?": a filler put before it ends the turn once punctuation is dropped
        nz = M.Noiser("fr", self.res["fr"], random.Random(3))
        fillers = {f.lower() for f in M.hesitations(self.res["fr"], "fr")}
        style = {"lower": True, "punct": "none", "numwords": False}
        outs = [nz("Aimes-tu voyager souvent ?", style) for _ in range(2000)]
        self.assertEqual([o for o in outs if any(o.endswith(" " + f) for f in fillers)], [])
        self.assertGreater(sum(o != "aimes-tu voyager souvent" for o in outs), 200)  # fillers still go inside

    def test_chinese_prefixes_end_between_words(self):
        b = M.Builder(self.res, random.Random(2), self.bounds)
        text = "我想乘地铁从北京香江戴斯酒店到海底捞火锅"
        ends = M.zh_word_ends(text)
        self.assertNotIn(len("我想乘地铁从北京香江戴斯酒店到海底捞火"), ends)
        seen = 0
        for _ in range(400):
            pre = b.cut(text, "zh", self.res["zh"])
            if pre and text.startswith(pre):
                seen += 1
                self.assertIn(len(pre), ends, pre)
        self.assertGreater(seen, 100)


class HalfSaidTest(unittest.TestCase):
    def test_each_half_ends_in_a_content_word_and_the_whole_is_finished(self):
        import short_requests as S
        res = R.parse_fillers(os.path.join(SHARED, "data", "fillers.md"))
        for lang, items in S.HALF_SAID.items():
            for item in items:
                half, rest = (x.strip() for x in item.split("|"))
                self.assertTrue(half and rest, item)
                if lang not in R.CJK:
                    last = half.split()[-1].lower()
                    self.assertNotIn(last, R.FUNC.get(lang, ()), item)
                    self.assertNotIn(last, [f.lower() for f in res[lang].get("fillers", [])], item)
        b = M.Builder(res, random.Random(4), M.SentenceBoundaries())
        b.half_said("en", "written", "k", [])
        (u, f) = b.out
        self.assertEqual((u["label"], f["label"], u["kind"]), ("unfinished", "finished", "halfsaid"))
        self.assertNotEqual(u["messages"][-1]["content"].lower(), f["messages"][-1]["content"].lower())

    def test_only_with_the_flag(self):
        res = R.parse_fillers(os.path.join(SHARED, "data", "fillers.md"))
        kinds = {}
        for flag in (False, True):
            b = M.Builder(res, random.Random(5), M.SentenceBoundaries(), half_said=flag)
            for i in range(200):
                b.short_request("en", "written", f"k{i}")
            kinds[flag] = {ex["kind"] for ex in b.out}
        self.assertNotIn("halfsaid", kinds[False])
        self.assertIn("halfsaid", kinds[True])


class ClarifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.res = R.parse_fillers(os.path.join(SHARED, "data", "fillers.md"))

    def builder(self, flag, seed=7):
        return M.Builder(self.res, random.Random(seed), M.SentenceBoundaries(),
                         clarify_rng=random.Random(f"{seed}-clarify") if flag else None)

    def test_no_prefix_that_is_a_lone_question_word(self):
        # "как" and "что" are function words (pause points) too: without the flag a lone "как" is a prefix
        for lang, text, head in (("ru", "как мне добраться до вокзала", "как"),
                                 ("ru", "что вы можете посоветовать на ужин", "что"),
                                 ("zh", "为什么这么贵啊", "为什么")):
            got = {}
            for flag in (False, True):
                b = self.builder(flag)
                got[flag] = collections.Counter(b.cut(text, lang, self.res[lang]) for _ in range(600))
            self.assertGreater(got[False][head], 0, (lang, head))
            self.assertEqual(got[True][head], 0, (lang, head))
            self.assertGreater(len(got[True]), 2)

    def test_finished_after_the_agent_and_the_connective_that_is_also_why_is_not_a_continuer(self):
        b = self.builder(True)
        ctx = [{"role": "assistant", "content": "Il tavolo è prenotato per le sette."}]
        for i in range(300):
            b.clarify("it", "written", f"k{i}", ctx)
            b.continuer("it", "written", f"c{i}", ctx)
        clar = [ex for ex in b.out if ex["kind"] == "clarify"]
        self.assertEqual({ex["label"] for ex in clar}, {"finished"})
        self.assertEqual({ex["agent_speaking"] for ex in clar}, {False})
        self.assertTrue(all(ex["messages"][:-1] == ctx for ex in clar))
        said = {M.strip_punct(ex["messages"][-1]["content"].lower()).strip() for ex in clar}
        self.assertIn("perché", said)
        self.assertTrue(any(ex["messages"][-1]["content"].endswith("?") for ex in clar))
        conts = {M.strip_punct(ex["messages"][-1]["content"].lower()).strip() for ex in b.out
                 if ex["kind"] == "continuer"}
        self.assertNotIn("perché", conts)
        self.assertIn("e poi", conts)

    def test_other_examples_do_not_move(self):
        # the clarify examples draw from their own stream: the builder's other output is the same with the flag
        outs = {}
        ctx = [{"role": "assistant", "content": "Your table is booked for seven."}]
        for flag in (False, True):
            b = self.builder(flag, seed=8)
            for i in range(50):
                b.short_ack("en", "written", f"a{i}", ctx)
                if b.clarify_rng:
                    b.clarify("en", "written", f"q{i}", ctx)
            outs[flag] = [ex["messages"][-1]["content"] for ex in b.out if ex["kind"] != "clarify"]
        self.assertEqual(outs[False], outs[True])


class PhraseInnerCutTest(unittest.TestCase):
    def cuts(self, text, lang):
        units = M.words_of(text, lang)
        sep = "" if lang in R.CJK else " "
        return [sep.join(units[:k]) for k in sorted(M.phrase_inner_cuts(units, lang))]

    def test_modifier_before_its_head(self):
        self.assertEqual(self.cuts("я потерял посадочный талон в аэропорту", "ru"), ["я потерял посадочный"])
        self.assertIn("мне нужна новая банковская", self.cuts("мне нужна новая банковская карта", "ru"))
        self.assertEqual(self.cuts("я хочу заказать три пиццы", "ru"), ["я хочу заказать три"])
        self.assertEqual(self.cuts("我要两张电影票", "zh"), ["我要两张"])
        self.assertEqual(self.cuts("房间里太吵了", "zh"), ["房间里太"])

    def test_not_after_a_clause_or_across_punctuation(self):
        self.assertEqual(self.cuts("Папа мне перестал помогать", "ru"), [])
        self.assertEqual(self.cuts("это новая, а то старая", "ru"), [])
        self.assertEqual(self.cuts("I need a new card", "en"), [])

    def test_weighted_as_a_pause_only_with_the_flag(self):
        text = "мы вчера купили большую старую деревянную лодку у соседа"
        got = {}
        for flag in (False, True):
            b = M.Builder(self.res, random.Random(6), M.SentenceBoundaries(), phrase_cuts=flag)
            got[flag] = collections.Counter(b.cut(text, "ru", self.res["ru"]) for _ in range(400))
        inner = sum(n for p, n in got[True].items() if p and p.split()[-1] in ("большую", "старую", "деревянную"))
        inner0 = sum(n for p, n in got[False].items() if p and p.split()[-1] in ("большую", "старую", "деревянную"))
        self.assertGreater(inner, 2 * inner0)

    @classmethod
    def setUpClass(cls):
        cls.res = R.parse_fillers(os.path.join(SHARED, "data", "fillers.md"))


class PartOfNumberTest(unittest.TestCase):
    def check(self, formats):
        rng = random.Random(3)
        whole = {sum(f) for f in formats}
        made = 0
        for f in formats:
            for _ in range(300):
                digits = [[rng.randrange(10) for _ in range(g)] for g in f]
                part = M.part_of_number(digits, whole, rng)
                if part is None:
                    continue
                made += 1
                flat, said = sum(digits, []), sum(part, [])
                self.assertNotIn(len(said), whole, (f, part))
                self.assertLess(0, len(said))
                self.assertEqual(flat[:len(said)], said, (f, part))
        self.assertGreater(made, 250 * len(formats))

    def test_codes(self):
        self.check(M.CODE_FORMATS)

    def test_phone_numbers_of_every_language(self):
        for lang in R.PHONE_FORMATS:
            with self.subTest(lang=lang):
                self.check(R.PHONE_FORMATS[lang] + R.PHONE_LOCAL_FORMATS[lang])

    def test_a_number_stopped_before_its_last_group_is_not_whole(self):
        # "415 555" after "Can I get a callback number?": the digits of every group but the last of a
        # language's commonest format must not make a whole number of that language, or the generator
        # never says such a caller has more to say
        self.assertEqual(set(R.PHONE_FORMATS), set(R.PHONE_LOCAL_FORMATS))
        for lang, formats in R.PHONE_FORMATS.items():
            whole = {sum(f) for f in formats + R.PHONE_LOCAL_FORMATS[lang]}
            self.assertNotIn(sum(formats[0][:-1]), whole, lang)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.environ.get("SAYWHEN_SHARED", "../shared"))
    args, rest = ap.parse_known_args()
    SHARED = args.shared
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
