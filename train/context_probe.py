"""Probe: does context help the document score? (validation split only; not part of the pipeline)

Compares, on the detector's validation documents (detector.detector_docs), a logistic regression
on the mean final hidden state of a document's first window (BOS + its first 127 tokens, sentences
in context) with the same regression on isolated sentences (each sentence on its own, [BOS] + its
first 64 tokens, the document scored by the mean of its sentences' logits — what the engine's
`ce_mean` does), for the pretrained LM and for the fine-tuned blocks of finetune.py's folder.
Both regressions are fitted on the detector's train sample.

  python3 train/context_probe.py [--finetuned train/work/gpu_ft] [--models pretrained,fine-tuned]
"""
import argparse
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from common import log
from data import assign_splits, load_all
from detector import MAX_TOKENS, detector_docs, doc_sentences, load_lm
from finetune import encode_batch, install, length_batches, read_finetuned
from mmd import DeepKernel
from model import load_dequantized


@torch.no_grad()
def mean_states(lm, ids, n_tokens):
    """ids [N, 1+T] ([bos] + tokens), n_tokens [N] → mean final hidden state of the tokens [N, d]."""
    out = np.zeros((len(ids), lm.c.d_model), np.float32)
    for idx in length_batches(n_tokens, 128):
        T = 1 + int(n_tokens[idx].max())
        h = lm.hidden(torch.from_numpy(ids[idx, :T]))[:, 1:]
        m = (torch.arange(T - 1)[None] < torch.from_numpy(n_tokens[idx])[:, None]).float()
        out[idx] = DeepKernel.raw(h, m).numpy()
    return out


def fit_score(Ft, yt, Fv, yv, owner_t=None, owner_v=None):
    """Logistic regression on Ft (rows: windows or sentences) → validation document scores (the mean
    logit of a document's rows when owners are given; NaN for a document without rows)."""
    mu, sd = Ft.mean(0), Ft.std(0) + 1e-6
    clf = LogisticRegression(max_iter=3000).fit((Ft - mu) / sd, yt if owner_t is None else yt[owner_t])
    s = clf.decision_function((Fv - mu) / sd)
    if owner_v is not None:
        s = np.array([s[owner_v == o].mean() if (owner_v == o).any() else np.nan for o in range(len(yv))])
    return s


def auroc(y, s, keep):
    return roc_auc_score(y[keep], s[keep])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--finetuned", default="train/work/gpu_ft", help="finetune.py's folder (tag main)")
    ap.add_argument("--models", default="pretrained,fine-tuned", help="which of the two to probe")
    a = ap.parse_args()
    torch.set_num_threads(2)
    t0 = time.time()
    lm, tok, _ = load_lm()
    docs_t, docs_v = detector_docs(assign_splits(load_all()))
    yt = np.array([r["label"] for r in docs_t])
    yv = np.array([r["label"] for r in docs_v])
    win = [encode_batch(tok, [r["text"] for r in docs], lm.c.context - 1) for docs in (docs_t, docs_v)]
    sents = []
    for docs, per_doc, drop in ((docs_t, 5, True), (docs_v, 15, False)):  # as the detector's samples
        ss, own = [], []
        for i, r in enumerate(docs):
            for s in doc_sentences(r["text"], drop)[:per_doc]:
                ss.append(s)
                own.append(i)
        sents.append((encode_batch(tok, ss, MAX_TOKENS), np.array(own)))
    for name in ("pretrained", "fine-tuned"):
        if name not in a.models.split(","):
            continue
        if name == "fine-tuned":
            state, info = read_finetuned(a.finetuned, "main")
            install(lm, info["blocks"], state)
            load_dequantized(lm)
        w = fit_score(mean_states(lm, *win[0]), yt, mean_states(lm, *win[1]), yv)
        (st, ot), (sv, ov) = sents
        s = fit_score(mean_states(lm, *st), yt, mean_states(lm, *sv), yv, ot, ov)
        keep = ~np.isnan(s)  # documents with a scored sentence: the same set for both
        log(f"{name}: validation document AUROC over {keep.sum()} documents: first 127-token window "
            f"{auroc(yv, w, keep):.4f}, isolated sentences {auroc(yv, s, keep):.4f} ({time.time() - t0:.0f}s)")


if __name__ == "__main__":
    main()
