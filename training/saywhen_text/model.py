"""Small transformer encoder for text turn detection, built from plain ops so that it exports to
ONNX as Gather/MatMul/Add/Mul/LayerNormalization/Softmax/Erf/Reshape/Transpose/Slice only."""
import math
import torch
import torch.nn as nn
import torch.nn.functional as F


def end_rows(x):
    """[B, T, D] -> [B, 2, D]: positions 0 and T-1 (slices, so an ONNX export keeps T dynamic)."""
    return torch.cat([x[:, :1], x[:, -1:]], dim=1)


class Block(nn.Module):
    def __init__(self, d, heads, ffn, dropout):
        super().__init__()
        self.h, self.dh = heads, d // heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)
        self.drop = nn.Dropout(dropout)

    def split_qkv(self):
        """The qkv projection as separate q and kv Linear layers (copies of its rows, made once: call it
        before tracing), so that an export has each as a constant weight matrix that quantize_dynamic
        turns into an int8 MatMul (submodules, so that they export as initializers, not Constant nodes,
        which it would leave in float). Only for export: a checkpoint holds qkv alone."""
        if not hasattr(self, "q_export"):
            d = self.h * self.dh
            self.q_export, self.kv_export = nn.Linear(d, d), nn.Linear(d, 2 * d)
            with torch.no_grad():
                self.q_export.weight.copy_(self.qkv.weight[:d]); self.q_export.bias.copy_(self.qkv.bias[:d])
                self.kv_export.weight.copy_(self.qkv.weight[d:]); self.kv_export.bias.copy_(self.qkv.bias[d:])
            self.q_export.eval(); self.kv_export.eval()
        return self.q_export, self.kv_export

    def forward(self, x, bias=None, end_rows_only=False):
        """end_rows_only: return only the first and last positions (all of x still feeds the keys and
        values): what the classifier reads from the last block, at a fraction of the work."""
        b, t, d = x.shape
        y = self.ln1(x)
        if end_rows_only:
            q_proj, kv_proj = self.split_qkv()
            kv = kv_proj(y).reshape(b, t, 2, self.h, self.dh).permute(2, 0, 3, 1, 4)
            k, v = kv[0], kv[1]
            x = end_rows(x)
            t = x.shape[1]
            q = q_proj(end_rows(y)).reshape(b, t, self.h, self.dh).permute(0, 2, 1, 3)
        else:
            qkv = self.qkv(y).reshape(b, t, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dh))
        if bias is not None:
            s = s + bias
        a = torch.softmax(s, dim=-1)
        a = self.drop(a)
        o = torch.matmul(a, v).permute(0, 2, 1, 3).reshape(b, t, d)
        x = x + self.drop(self.proj(o))
        y = self.fc2(self.drop(F.gelu(self.fc1(self.ln2(x)))))
        return x + self.drop(y)


class TurnModel(nn.Module):
    def __init__(self, vocab, d=192, layers=2, heads=4, ffn=512, max_len=128, n_labels=4, dropout=0.1):
        super().__init__()
        self.cfg = dict(vocab=vocab, d=d, layers=layers, heads=heads, ffn=ffn, max_len=max_len, n_labels=n_labels)
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.blocks = nn.ModuleList([Block(d, heads, ffn, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(2 * d, n_labels)
        self.drop = nn.Dropout(dropout)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)

    def forward(self, ids, lengths=None, end_rows_only=False, return_states=False):
        """ids [B, T] (right-padded); lengths [B] or None (no padding). Returns logits [B, n_labels], and with
        return_states also the final hidden states [B, T, d] (for the masked-token loss of `train.py --mlm`).

        end_rows_only (no padding only): the last block computes just the two positions the classifier
        reads (the first and the last), the same logits for about 40 % less arithmetic (the export)."""
        b, t = ids.shape
        pos = self.pos.weight[:t].unsqueeze(0)
        x = self.drop(self.tok(ids) + pos)
        bias = None
        if lengths is not None:
            ar = torch.arange(t, device=ids.device)
            pad = ar.unsqueeze(0) >= lengths.unsqueeze(1)          # [B, T]
            bias = torch.zeros(b, 1, 1, t, device=ids.device).masked_fill(pad[:, None, None, :], -1e4)
        if end_rows_only and lengths is not None:
            raise ValueError("end_rows_only needs unpadded input (lengths None)")
        for i, blk in enumerate(self.blocks):
            x = blk(x, bias, end_rows_only=end_rows_only and i == len(self.blocks) - 1)
        x = self.ln(x)
        first = x[:, 0]
        if lengths is None:
            last = x[:, -1]
        else:
            last = x[torch.arange(b, device=ids.device), lengths - 1]
        logits = self.head(torch.cat([first, last], dim=-1))
        return (logits, x) if return_states else logits


class ExportWrapper(nn.Module):
    """input_ids [1, seq] int64 -> probs [1, 4] = softmax(logits / T)."""

    def __init__(self, model, temperature):
        super().__init__()
        self.model = model
        self.inv_t = float(1.0 / temperature)
        model.blocks[-1].split_qkv()

    def forward(self, input_ids):
        return torch.softmax(self.model(input_ids, end_rows_only=True) * self.inv_t, dim=-1)
