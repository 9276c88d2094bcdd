#!/usr/bin/env python3
"""Checks of the masked-piece loss and input dropout of the text turn trainer (training/train.py --mlm,
--input-dropout): which pieces may be hidden, at which share in the context and the message, that the loss
reaches the model through its token embedding only once, and which ids the classifier reads; the language
sampling weights (--lang-alpha, --lang-weight); and the per-language thresholds that training/export.py
--threshold writes into config.json.

Usage: train_test.py   (exit status 0 iff every check passes)
"""
import os
import random
import sys
import unittest

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "training"))
import export as E  # noqa: E402
import train as T  # noqa: E402
from saywhen_text.model import TurnModel  # noqa: E402

UNK = 1


def batch(rows, vocab=50):
    """Right-padded ids of rows of random ordinary pieces (ids >= 10) behind a special start piece (2)."""
    gen = torch.Generator().manual_seed(0)
    lengths = torch.tensor([len(r) for r in rows])
    x = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)
    for i, r in enumerate(rows):
        x[i, :len(r)] = torch.tensor(r)
    special = torch.zeros(vocab, dtype=torch.bool)
    special[:10] = True
    return x, lengths, special, gen


class MaskPiecesTest(unittest.TestCase):
    def test_never_special_padding_or_the_last_pieces(self):
        rows = [[2] + list(range(10, 10 + n)) for n in (5, 20, 40)]
        x, lengths, special, gen = batch(rows)
        hidden_any = torch.zeros_like(x, dtype=torch.bool)
        for _ in range(200):
            masked, chosen, targets = T.mask_pieces(x, lengths, special, 0.5, 3, UNK, gen)
            hidden_any |= chosen
            self.assertTrue(torch.equal(targets, x[chosen]))
            self.assertTrue(torch.equal(masked[~chosen], x[~chosen]))
        for i, n in enumerate(lengths.tolist()):
            self.assertFalse(hidden_any[i, 0], "the start piece is special")
            self.assertFalse(hidden_any[i, n - 3:].any(), "the last 3 pieces stay")
            self.assertTrue(hidden_any[i, 1:n - 3].all(), "every other ordinary piece is hidden some time")

    def test_share_and_replacements(self):
        x, lengths, special, gen = batch([[2] + [10 + (i % 40) for i in range(100)]] * 64)
        masked, chosen, targets = T.mask_pieces(x, lengths, special, 0.15, 3, UNK, gen)
        share = chosen.sum().item() / (64 * 97)
        self.assertAlmostEqual(share, 0.15, delta=0.02)
        new = masked[chosen]
        self.assertAlmostEqual((new == UNK).float().mean().item(), 0.8, delta=0.04)
        self.assertFalse(special[new[new != UNK]].any(), "a random replacement is an ordinary piece")
        self.assertGreater((new == targets).float().mean().item(), 0.08)


class HidingSharesTest(unittest.TestCase):
    def test_context_and_message_shares_split_at_the_msg_piece(self):
        msg = 3
        rows = [[2] + list(range(10, 30)) + [msg] + list(range(30, 45)), [2, msg] + list(range(10, 40))]
        x, lengths, special, gen = batch(rows)
        shares = T.hiding_shares(x, msg, 0.5, 0.0)
        self.assertEqual(tuple(shares.shape), tuple(x.shape))
        self.assertTrue(torch.all(shares[0, :21] == 0.5) and torch.all(shares[0, 21:] == 0.0))
        self.assertTrue(torch.all(shares[1, 1:] == 0.0))
        hidden_any = torch.zeros_like(x, dtype=torch.bool)
        for _ in range(100):
            hidden_any |= T.mask_pieces(x, lengths, special, shares, 3, UNK, gen)[1]
        self.assertTrue(hidden_any[0, 1:21].all(), "every context piece is hidden some time")
        self.assertFalse(hidden_any[0, 21:].any() or hidden_any[1].any(), "no message piece is hidden")


class MaskedTokenHeadTest(unittest.TestCase):
    def test_logits_over_the_vocabulary_and_gradient_to_the_embedding(self):
        torch.manual_seed(0)
        model = TurnModel(50, d=16, layers=1, heads=2, ffn=32, max_len=32).eval()  # no dropout: two passes agree
        head = T.MaskedTokenHead(16, 50)
        x, lengths, special, gen = batch([[2] + list(range(10, 30))] * 4)
        masked, chosen, targets = T.mask_pieces(x, lengths, special, 0.3, 3, UNK, gen)
        logits, states = model(masked, lengths, return_states=True)
        self.assertEqual(tuple(states.shape), (4, x.shape[1], 16))
        self.assertTrue(torch.equal(logits, model(masked, lengths)))
        piece_logits = head(states[chosen], model.tok.weight)
        self.assertEqual(tuple(piece_logits.shape), (len(targets), 50))
        torch.nn.functional.cross_entropy(piece_logits, targets).backward()
        self.assertGreater(model.tok.weight.grad[targets].abs().sum().item(), 0)
        self.assertEqual(sum(1 for _ in head.parameters()), 5, "dense, LayerNorm and bias: no copy of the embedding")


class StepLossesTest(unittest.TestCase):
    def test_the_classifier_reads_masked_ids_in_one_pass_and_clean_ids_with_clean_cls(self):
        torch.manual_seed(0)
        model = TurnModel(50, d=16, layers=1, heads=2, ffn=32, max_len=32).eval()
        head = T.MaskedTokenHead(16, 50)
        x, lengths, special, gen = batch([[2] + list(range(10, 30))] * 4)
        y = torch.tensor([0, 1, 2, 3])
        masked, chosen, targets = T.mask_pieces(x, lengths, special, 0.5, 3, UNK, gen)
        ce = torch.nn.functional.cross_entropy
        one_cls, one_mlm = T.step_losses(model, head, x, lengths, y, masked, chosen, targets, clean_cls=False)
        two_cls, two_mlm = T.step_losses(model, head, x, lengths, y, masked, chosen, targets, clean_cls=True)
        self.assertAlmostEqual(one_cls.item(), ce(model(masked, lengths), y).item(), places=5)
        self.assertAlmostEqual(two_cls.item(), ce(model(x, lengths), y).item(), places=5)
        self.assertNotAlmostEqual(one_cls.item(), two_cls.item(), places=5)
        self.assertAlmostEqual(one_mlm.item(), two_mlm.item(), places=5, msg="the masked-piece loss reads masked ids")
        plain_cls, none = T.step_losses(model, None, x, lengths, y, None, None, None, clean_cls=False)
        self.assertIsNone(none)
        self.assertAlmostEqual(plain_cls.item(), two_cls.item(), places=5)


class BalancedOrderTest(unittest.TestCase):
    LANGS = ["en"] * 900 + ["it"] * 100   # sqrt weights 30 : 10

    def shares(self, order):
        n_it = sum(self.LANGS[i] == "it" for i in order)
        return n_it / len(order)

    def test_square_root_sampling(self):
        order = T.balanced_order(self.LANGS, 0.5, random.Random(0))
        self.assertEqual(len(order), 1000)
        self.assertAlmostEqual(self.shares(order), 0.25, places=3)

    def test_lang_weight_doubles_one_language_and_one_is_the_default(self):
        order = T.balanced_order(self.LANGS, 0.5, random.Random(0), {"it": 2.0})
        self.assertAlmostEqual(self.shares(order), 20 / 50, places=3)
        self.assertEqual(T.balanced_order(self.LANGS, 0.5, random.Random(1), {"it": 1.0}),
                         T.balanced_order(self.LANGS, 0.5, random.Random(1)),
                         "weight 1 draws the same order as no weight (earlier stages reproduce)")

    def test_a_malformed_or_zero_weight_is_refused(self):
        for spec in ["it", "=2", "it=x", "it=0", "it=-1"]:
            with self.subTest(spec=spec), self.assertRaises(SystemExit):
                T.lang_values([spec], "train.py: --lang-weight", 0.01, 100.0)


class ExportThresholdsTest(unittest.TestCase):
    def test_a_language_gets_its_own_finished_threshold_beside_the_default(self):
        self.assertEqual(E.finished_thresholds(["id=0.4"]), {"default": {"finished": 0.5}, "id": {"finished": 0.4}})
        self.assertEqual(E.finished_thresholds([]), {"default": {"finished": 0.5}})

    def test_a_malformed_or_out_of_range_threshold_is_refused(self):
        for spec in ["id", "=0.4", "id=x", "id=1.5", "id=-0.1"]:
            with self.subTest(spec=spec), self.assertRaises(SystemExit):
                E.finished_thresholds([spec])


if __name__ == "__main__":
    unittest.main()
