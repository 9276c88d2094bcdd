#!/usr/bin/env python3
"""Checks of the blind label audit (training/label_audit.py): the files readers see carry no label, a second
batch leaves out the first, and `score` counts the three readings and the readers' agreement as stated.

Usage: label_audit_test.py   (exit status 0 iff every check passes)
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training", "label_audit.py")


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def example(i, label, kind):
    text = f"testo numero {i}"
    return {"id": f"d{i}#{kind}", "lang": "it", "kind": kind, "label": label, "agent_speaking": False,
            "messages": [{"role": "assistant", "content": f"domanda {i}"}, {"role": "user", "content": text}]}


class LabelAuditTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.dev = os.path.join(self.dir, "dev.jsonl")
        self.rows = [example(i, "unfinished", "prefix") for i in range(4)] + \
                    [example(i, "finished", "turn") for i in range(4, 8)] + [example(8, "wait", "wait")]
        write_jsonl(self.dev, self.rows)
        self.out = os.path.join(self.dir, "audit")

    def tearDown(self):
        self.tmp.cleanup()

    def sample(self, *extra):
        r = run("sample", "--dev", self.dev, "--langs", "it", "--out", self.out, "--per-label", "2", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.load(open(os.path.join(self.out, "key.json"), encoding="utf-8"))

    def test_blind_file_has_no_label_and_two_of_each(self):
        key = self.sample()
        blind = open(os.path.join(self.out, "it001.txt"), encoding="utf-8").read()
        for word in ("unfinished", "finished", "prefix", "#turn", "d0#"):
            self.assertNotIn(word, blind)
        labels = sorted(next(r["label"] for r in self.rows if r["id"] == i) for i in key.values())
        self.assertEqual(labels, ["finished", "finished", "unfinished", "unfinished"])
        self.assertEqual(blind.count("### it"), 4)

    def test_second_batch_leaves_out_the_first(self):
        first = self.sample()
        key = self.sample("--seed", "2", "--start", "5")
        self.assertEqual(len(key), 8)
        self.assertFalse(set(first.values()) & {key[n] for n in key if n not in first})
        self.assertTrue(os.path.exists(os.path.join(self.out, "it005.txt")))
        r = run("sample", "--dev", self.dev, "--langs", "it", "--out", self.out, "--per-label", "2", "--start", "9")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("fewer than --per-label 2", r.stderr)

    def test_score_counts_readings_and_agreement(self):
        key = self.sample()
        gold = {r["id"]: r["label"] for r in self.rows}
        names = sorted(key)
        # The readers call every item complete but one unfinished prefix; the model says finished everywhere.
        incomplete = next(n for n in names if gold[key[n]] == "unfinished")
        judged, second = os.path.join(self.dir, "it.tsv"), os.path.join(self.dir, "it2.tsv")
        with open(judged, "w", encoding="utf-8") as f:
            f.writelines(f"{n}\t{'I' if n == incomplete else 'C'}\tx\n" for n in names)
        with open(second, "w", encoding="utf-8") as f:
            f.writelines(f"{n}\t{'I' if n == incomplete else 'U'}\tx\n" for n in names)
        pred = os.path.join(self.dir, "pred.jsonl")
        write_jsonl(pred, [{"id": r["id"], "label": "finished"} for r in self.rows])
        r = run("score", "--dev", self.dev, "--pred", pred, "--key", os.path.join(self.out, "key.json"),
                "--judged", judged, "--second", second)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("generator unfinished reader C  model finished    1", r.stdout)
        self.assertIn("generator unfinished reader I  model finished    1", r.stdout)
        self.assertIn("generator's unfinished read as complete: 1/2", r.stdout)
        self.assertIn("misses read as complete: 1/2", r.stdout)
        self.assertIn("two readers agree on 1/4", r.stdout)

    def test_malformed_reading_names_the_line(self):
        self.sample()
        bad = os.path.join(self.dir, "bad.tsv")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("it001\tC\tok\nit002\tmaybe\n")
        r = run("score", "--dev", self.dev, "--pred", self.dev, "--key", os.path.join(self.out, "key.json"),
                "--judged", bad)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"{bad}:2:", r.stderr)


if __name__ == "__main__":
    unittest.main()
