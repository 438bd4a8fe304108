"""Sentence splitting and sentence features from the pretrained LM (int8-dequantized weights, as the
C engine sees them): token hidden states for the MMD-MP kernel and per-token LM statistics."""
import re

import numpy as np
import torch

_ABBR = {"mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "al",
         "inc", "ltd", "co", "corp", "u.s", "u.k", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
         "sept", "oct", "nov", "dec", "mt", "gen", "col", "lt", "sgt", "rev", "approx", "dept", "est"}
_SPLIT = re.compile(r'([.!?]+["\')\]]*)\s+(?=["\'(\[]?[A-Z0-9])')


def split_sentences(text):
    """A plain English splitter for training (detection uses the C segmenter): paragraphs on
    newlines, sentences after . ! ? followed by a capital, not after common abbreviations or
    single initials."""
    out = []
    for para in text.split("\n"):
        para = para.strip()
        if not para:
            continue
        start = 0
        for m in _SPLIT.finditer(para):
            end = m.end(1)
            prev = para[start:end].rstrip('.!?"\')]').split()
            last = prev[-1].lower() if prev else ""
            if last.rstrip(".") in _ABBR or (len(last) == 1 and last.isalpha()):
                continue
            out.append(para[start:end].strip())
            start = m.end()
        if para[start:].strip():
            out.append(para[start:].strip())
    return out


def n_words(s):
    return len(s.split())


class FeatureExtractor:
    """Runs [bos] + first `max_tokens` tokens of each sentence through the LM."""

    def __init__(self, model, tok, max_tokens=64, batch=128):
        self.model = model.eval()
        self.tok = tok
        self.max_tokens = max_tokens
        self.batch = batch

    @torch.no_grad()
    def __call__(self, sentences, want_stats=True):
        """→ list of (H [T, d] float16, stats dict of sums: logprob, entropy, var, n)."""
        enc = [self.tok.encode(s)[: self.max_tokens] for s in sentences]
        order = np.argsort([len(e) for e in enc])  # batch similar lengths together
        res = [None] * len(enc)
        bos = self.tok.bos_id
        for b0 in range(0, len(order), self.batch):
            idx = order[b0:b0 + self.batch]
            T = 1 + max(len(enc[i]) for i in idx)
            x = torch.zeros(len(idx), T, dtype=torch.long)
            for r, i in enumerate(idx):
                x[r, 0] = bos
                x[r, 1:1 + len(enc[i])] = torch.tensor(enc[i], dtype=torch.long)
            hid = self.model.hidden(x)  # [B, T, d]
            if want_stats:
                logits = self.model.logits(hid)
                lp = torch.log_softmax(logits, -1)
            for r, i in enumerate(idx):
                n = len(enc[i])
                H = hid[r, 1:1 + n].numpy().astype(np.float16)
                st = None
                if want_stats and n > 0:
                    l = lp[r, :n]  # predicts tokens 1..n
                    tgt = x[r, 1:1 + n]
                    obs = l.gather(1, tgt[:, None])[:, 0]
                    p = l.exp()
                    ent = -(p * l).sum(-1)
                    var = (p * l * l).sum(-1) - ent * ent
                    rank = 1 + (logits[r, :n] > logits[r, :n].gather(1, tgt[:, None])).sum(-1)
                    st = {"logprob": float(obs.sum()), "entropy": float(ent.sum()), "var": float(var.sum()),
                          "logrank": float(torch.log(rank.double()).sum()), "n": n}
                res[i] = (H, st)
        return res
