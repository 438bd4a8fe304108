"""Probe (validation and a folder of human texts; not part of the pipeline): does the linear head lean on
the essay sets that have only machine texts (ArguGPT's argumentative essays, BiScope's essays) to call
formal essays machine-made? models/README.md ("Essays by learners of English") reports what it gave.

  python3 train/essay_probe.py DIR --meta CSV --by COLUMN

The shipped model's blocks (int8 weights dequantized, PyTorch, fp32) give every sentence's mean final
state: the detector's train sample (detector.detector_docs, at most 10 sentences per text, the first
dropped as in training), the validation documents, and DIR's texts (*.txt, one human text each). The
linear head is then refitted on the train sentences with all of them, without the machine-only essay
sets, and without as many other machine sentences drawn at random (the control). For each head:
validation sentence and document AUROC (a document's score = the mean over its sentences), and per
group of DIR's texts (--by, a column of --meta, as for human_texts.py) the share whose document score
lies above the 95th percentile of the validation human documents'.
"""
import argparse
import os
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from common import ROOT, log
from data import assign_splits, load_all
from detector import detector_docs, sentence_ids
from human_texts import read_texts
from make_test_detector import load_model
from model import mean_final_states

MACHINE_ONLY_ESSAYS = ["argumentative-essay", "essay"]  # ArguGPT, BiScope: no human essays beside them


def mean_states(m, tok, cfg, texts, drop_first, per_text=10):
    """→ ([n, d] mean final state of each sentence's [BOS] + first 64 tokens, BOS excluded; [n] text index)."""
    seqs, owner = sentence_ids(tok, cfg.bos_id, texts, drop_first, per_text)
    return mean_final_states(m, seqs), owner


def doc_mean(z, owner, n):
    return np.bincount(owner, z, n) / np.maximum(np.bincount(owner, None, n), 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="folder of *.txt files, one human-written text each")
    ap.add_argument("--meta", required=True, help="CSV with one row per file")
    ap.add_argument("--file-column", default="Filename")
    ap.add_argument("--by", required=True, help="the --meta column to group by")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    a = ap.parse_args()
    files, texts, meta = read_texts(a.dir, a.meta, a.file_column, [a.by])
    _, t, m, tok, cfg = load_model(a.model)
    torch.set_num_threads(os.cpu_count() or 1)
    recs = load_all()
    assign_splits(recs)
    docs_t, docs_v = detector_docs(recs)
    t0 = time.time()
    Xt, ot = mean_states(m, tok, cfg, [r["text"] for r in docs_t], True)
    Xv, ov = mean_states(m, tok, cfg, [r["text"] for r in docs_v], False)
    Xd, od = mean_states(m, tok, cfg, texts, False)
    log(f"sentence states: {len(Xt)} train, {len(Xv)} validation, {len(Xd)} of {a.dir} ({time.time() - t0:.0f}s)")
    yt = np.array([docs_t[i]["label"] for i in ot])
    yv = np.array([r["label"] for r in docs_v])
    group = np.array([meta[f][a.by] for f in files])
    essays = np.isin(np.array([docs_t[i]["domain"] for i in ot]), MACHINE_ONLY_ESSAYS)
    rng = np.random.default_rng(0)
    control = np.zeros(len(yt), bool)
    control[rng.choice(np.where((yt == 1) & ~essays)[0], essays.sum(), replace=False)] = True
    log(f"machine-only essay sentences in the train sample: {essays.sum()} (labels {sorted(set(yt[essays]))})")
    mu, sd = Xt.mean(0), Xt.std(0) + 1e-6
    heads = [("shipped head", t["detector.ce.weight"].astype(np.float64).reshape(-1), float(t["detector.ce.bias"][0]))]
    for name, keep in (("refitted, all", np.ones(len(yt), bool)), ("refitted, without those essays", ~essays),
                       ("refitted, control", ~control)):
        lr = LogisticRegression(C=1.0, max_iter=2000).fit((Xt[keep] - mu) / sd, yt[keep])
        heads.append((name, lr.coef_[0] / sd, lr.intercept_[0] - (lr.coef_[0] * mu / sd).sum()))
    has_v = np.bincount(ov, None, len(docs_v)) > 0
    has_d = np.bincount(od, None, len(files)) > 0
    for name, w, b in heads:
        zv, zd = Xv @ w + b, Xd @ w + b
        dv, dd = doc_mean(zv, ov, len(docs_v)), doc_mean(zd, od, len(files))
        q95 = np.quantile(dv[has_v & (yv == 0)], 0.95)
        above = ", ".join(f"{g} {np.mean(dd[has_d & (group == g)] > q95):.3f}" for g in sorted(set(group[has_d])))
        print(f"{name:32s} validation AUROC sentence {roc_auc_score(yv[ov], zv):.4f}, document "
              f"{roc_auc_score(yv[has_v], dv[has_v]):.4f} | above the validation human 95th percentile: {above}",
              flush=True)


if __name__ == "__main__":
    main()
