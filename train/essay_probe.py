"""Probe (validation and a folder of human texts; not part of the pipeline): do the linear head and the
fine-tuned blocks lean on the essay sets that have only machine texts (ArguGPT's argumentative essays,
BiScope's essays) to call formal essays machine-made? models/README.md ("Essays by learners of
English") reports what it gave.

  python3 train/essay_probe.py DIR --meta CSV --by COLUMN [--finetune MINUTES --seed N]

The shipped model's blocks (int8 weights dequantized, PyTorch, fp32) give every sentence's mean final
state: the detector's train sample (detector.detector_docs, at most 10 sentences per text, the first
dropped as in training), the validation documents, and DIR's texts (*.txt, one human text each). The
linear head is then refitted on the train sentences with all of them, without the machine-only essay
sets, and without as many other machine sentences drawn at random (the control). For each head:
validation sentence and document AUROC (a document's score = the mean over its sentences), and per
group of DIR's texts (--by, a column of --meta, as for human_texts.py) and for the validation essays of
the machine-only sets the share whose document score lies above the 95th percentile of the validation
human documents'.

With --finetune MINUTES the blocks themselves are put to the same question: the shipped blocks 3–6 are
fine-tuned further on the CPU (finetune.finetune: balanced batches, cosine-decayed learning rate, the
checkpoint chosen on validation sentences) once without the machine-only essay sets and once without as
many other machine sentences drawn at random (the control), each for MINUTES; the head is then refitted
on --head-sentences train sentences through the new blocks and the same numbers are printed. Blocks
1–2 run once for every sentence (finetune.prefix_states, cached in memory). --arms without skips the
control; --save-blocks DIR keeps the blocks of the arm without the essay sets in finetune.py's format, for
`detector.py --finetune-from DIR` (or `pipeline.py --finetune-from DIR`).

With --extra-human SOURCE:N (repeatable, one head each) the head is also refitted on the train sentences
plus human texts of the LM's pretraining corpus, drawn as `detector.py --extra-human` draws them (same
seed, at most 5 sentences per text, the first dropped): how much of which genre, before a full run.
With --finetune MINUTES --arms extra the blocks are asked the same: the shipped blocks are fine-tuned
further on the train sentences alone (the control) and, one arm per --extra-human spec, on the train
sentences plus that spec's corpus sentences as human ones, each for MINUTES with the same seed; after
every arm the head is refitted on --head-sentences train sentences plus each spec's sentences (one line
per spec), so that blocks are compared under the same head recipe. --save-blocks DIR then keeps each
spec arm's blocks in DIR/extra<i>/ (i: the spec's place on the command line).
Every line also gives the mean of the per-domain validation document AUROCs (the domains with both
classes), which the pooled AUROC mixes with how domains sit against each other.
"""
import argparse
import copy
import os
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from common import ROOT, log
from data import assign_splits, load_all
from detector import EXTRA_HUMAN_SEED, MAX_TOKENS, detector_docs, extra_human_docs, sentence_ids
from export import git_rev
from finetune import TopStack, finetune, install, mean_token_states, pad_ids, prefix_states, save_bundle
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


def fit_head(X, y):
    """Logistic regression on standardized features → (w, b) on the raw features."""
    mu, sd = X.mean(0), X.std(0) + 1e-6
    lr = LogisticRegression(C=1.0, max_iter=2000).fit((X - mu) / sd, y)
    return lr.coef_[0] / sd, lr.intercept_[0] - (lr.coef_[0] * mu / sd).sum()


def save_continued(a, m, k, state, info, d, **what):
    """--save-blocks: blocks continued from a.model's, with what was changed (what) and where from, to
    d/finetuned_main.npz in finetune.py's format (tag main: detector.py --finetune-from d takes them)."""
    info.update(exclude_domain=None, exclude_generator=None, **what,
                continued_from=f"{os.path.relpath(a.model, ROOT)} (blocks {len(m.blocks) - k + 1}–{len(m.blocks)})",
                continued_from_git=git_rev(), seed=a.seed)
    os.makedirs(d, exist_ok=True)
    save_bundle(os.path.join(d, "finetuned_main.npz"), {"main": (state, info)})
    log(f"saved {os.path.join(d, 'finetuned_main.npz')}")


def continued_top(m, k, state):
    """The TopStack of m with its top k blocks replaced by a fine-tuned state (m itself unchanged)."""
    m2 = copy.deepcopy(m)
    install(m2, k, state)
    return TopStack(m2, k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="folder of *.txt files, one human-written text each")
    ap.add_argument("--meta", required=True, help="CSV with one row per file")
    ap.add_argument("--file-column", default="Filename")
    ap.add_argument("--by", required=True, help="the --meta column to group by")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--finetune", type=float, default=0.0, metavar="MINUTES",
                    help="also fine-tune the blocks further, each arm for MINUTES (0: heads only)")
    ap.add_argument("--lr", type=float, default=5e-5, help="--finetune's learning rate (head: 10×)")
    ap.add_argument("--head-sentences", type=int, default=40000,
                    help="--finetune: train sentences the head is refitted on after each arm")
    ap.add_argument("--seed", type=int, default=0, help="the control's draw, --finetune's batches and head sample")
    ap.add_argument("--arms", choices=["both", "without", "extra"], default="both",
                    help="--finetune: both arms, or only the one without the machine-only essay sets, or "
                    "(extra) the control and one arm per --extra-human spec with its corpus sentences")
    ap.add_argument("--save-blocks", metavar="DIR",
                    help="--finetune: write the blocks of the arm without those sets to DIR/finetuned_main.npz "
                    "(--arms extra: each spec arm's to DIR/extra<i>/) in finetune.py's format, tag main: "
                    "detector.py --finetune-from takes them")
    ap.add_argument("--extra-human", action="append", default=[], metavar="SOURCE:N[,SOURCE:N]",
                    help="also refit the head with these corpus texts as human ones (repeatable: one head each)")
    ap.add_argument("--extra-human-seed", type=int, default=EXTRA_HUMAN_SEED, help="their draw, as detector.py's")
    a = ap.parse_args()
    if a.finetune > 0 and (a.arms == "extra") != bool(a.extra_human):
        ap.error("with --finetune, --extra-human goes with --arms extra and --arms extra needs --extra-human")
    extra = {}
    for spec in a.extra_human:  # drawn first: a bad spec fails before minutes of states
        try:
            extra[spec] = [r["text"] for r in extra_human_docs(spec, a.extra_human_seed)]
        except ValueError as e:
            ap.error(f"--extra-human: {e}")
    if (a.save_blocks or a.arms != "both") and a.finetune <= 0:
        ap.error("--arms and --save-blocks need --finetune MINUTES")
    files, texts, meta = read_texts(a.dir, a.meta, a.file_column, [a.by])
    pmeta, t, m, tok, cfg = load_model(a.model)
    torch.set_num_threads(os.cpu_count() or 1)
    recs = load_all()
    assign_splits(recs)
    docs_t, docs_v = detector_docs(recs)
    t0 = time.time()
    zx = {}  # --finetune: each spec's corpus sentences (prefix states), as the head takes them
    if a.finetune > 0:
        # blocks 1..L−k once for every sentence; the top k (the fine-tuned ones) per arm
        k = int(pmeta["provenance"]["lm_top_blocks_finetuned_for_detection"])
        zs = []
        for texts_, drop, per in (([r["text"] for r in docs_t], True, 10), ([r["text"] for r in docs_v], False, 10),
                                  (texts, False, 10), *((tx, True, 5) for tx in extra.values())):
            seqs, owner = sentence_ids(tok, cfg.bos_id, texts_, drop, per)
            ids, n = pad_ids(seqs, 1 + MAX_TOKENS)
            zs.append(({"P": prefix_states(m, ids, n, len(m.blocks) - k), "n_tokens": n}, owner))
        (zt, ot), (zv, ov), (zd, od) = zs[:3]
        zx = {spec: z for spec, (z, _) in zip(extra, zs[3:])}
        top = TopStack(m, k)
        Xt, Xv, Xd = (mean_token_states(top, z) for z in (zt, zv, zd))
    else:
        Xt, ot = mean_states(m, tok, cfg, [r["text"] for r in docs_t], True)
        Xv, ov = mean_states(m, tok, cfg, [r["text"] for r in docs_v], False)
        Xd, od = mean_states(m, tok, cfg, texts, False)
    log(f"sentence states: {len(Xt)} train, {len(Xv)} validation, {len(Xd)} of {a.dir} ({time.time() - t0:.0f}s)")
    yt = np.array([docs_t[i]["label"] for i in ot])
    yv = np.array([r["label"] for r in docs_v])
    group = np.array([meta[f][a.by] for f in files])
    essays = np.isin(np.array([docs_t[i]["domain"] for i in ot]), MACHINE_ONLY_ESSAYS)
    dom_v = np.array([r["domain"] for r in docs_v])
    essays_v = np.isin(dom_v, MACHINE_ONLY_ESSAYS)
    rng = np.random.default_rng(a.seed)
    control = np.zeros(len(yt), bool)
    control[rng.choice(np.where((yt == 1) & ~essays)[0], essays.sum(), replace=False)] = True
    log(f"machine-only essay sentences in the train sample: {essays.sum()} (labels {sorted(set(yt[essays]))})")
    has_v = np.bincount(ov, None, len(docs_v)) > 0
    has_d = np.bincount(od, None, len(files)) > 0
    # the validation documents of each domain that has both classes (for the per-domain mean AUROC)
    both = [d for d in (has_v & (dom_v == x) for x in sorted(set(dom_v))) if len(set(yv[d])) == 2]

    def report(name, w, b, Xv, Xd):
        zv, zd = Xv @ w + b, Xd @ w + b
        dv, dd = doc_mean(zv, ov, len(docs_v)), doc_mean(zd, od, len(files))
        q95 = np.quantile(dv[has_v & (yv == 0)], 0.95)
        above = ", ".join(f"{g} {np.mean(dd[has_d & (group == g)] > q95):.3f}" for g in sorted(set(group[has_d])))
        within = np.mean([roc_auc_score(yv[d], dv[d]) for d in both])
        print(f"{name:32s} validation AUROC sentence {roc_auc_score(yv[ov], zv):.4f}, document "
              f"{roc_auc_score(yv[has_v], dv[has_v]):.4f} (per-domain mean {within:.4f}) | above the validation human 95th percentile: "
              f"validation essays of the machine-only sets {np.mean(dv[has_v & essays_v] > q95):.3f}; {above}",
              flush=True)

    report("shipped head", t["detector.ce.weight"].astype(np.float64).reshape(-1), float(t["detector.ce.bias"][0]), Xv, Xd)
    arms = (("all", np.ones(len(yt), bool)), ("without those essays", ~essays), ("control", ~control))
    for name, keep in arms:
        report("refitted, " + name, *fit_head(Xt[keep], yt[keep]), Xv, Xd)

    def head_with(Xt_, yt_, Xx):
        return fit_head(np.vstack([Xt_, Xx]), np.concatenate([yt_, np.zeros(len(Xx), yt_.dtype)]))

    for spec, texts_x in extra.items():
        Xx = mean_token_states(top, zx[spec]) if zx else mean_states(m, tok, cfg, texts_x, True, per_text=5)[0]
        report(f"refitted, + {spec} ({len(Xx)} sentences)", *head_with(Xt, yt, Xx), Xv, Xd)
    if a.arms == "extra" and a.finetune > 0:
        extra_arms(a, m, k, zt, yt, zv, yv[ov], zd, zx, rng, report, head_with)
        return
    for name, keep in (arms[1:] if a.arms == "both" else arms[1:2]) if a.finetune > 0 else ():
        # the blocks fine-tuned further on the kept train sentences; the head refitted on a sample of them
        sel = np.where(keep)[0]
        zk = {"P": zt["P"][sel], "n_tokens": zt["n_tokens"][sel], "label": yt[sel]}
        zvl = {"P": zv["P"], "n_tokens": zv["n_tokens"], "label": yv[ov]}
        state, info = finetune(m, k, zk, zvl, a.finetune, seed=a.seed, lr=a.lr, balanced=True)
        del zk
        log(f"fine-tuned {name}: {info}")
        if a.save_blocks and keep is arms[1][1]:
            save_continued(a, m, k, state, info, a.save_blocks, excluded_sets=MACHINE_ONLY_ESSAYS)
        top = continued_top(m, k, state)
        hs = np.sort(rng.choice(sel, min(a.head_sentences, len(sel)), replace=False))
        w, b = fit_head(mean_token_states(top, zt, hs), yt[hs])
        report(f"blocks fine-tuned, {name}", w, b, mean_token_states(top, zv), mean_token_states(top, zd))


def extra_arms(a, m, k, zt, yt, zv, yv_s, zd, zx, rng, report, head_with):
    """--finetune --arms extra: the control (the train sentences alone) and one arm per spec (plus its
    corpus sentences as human ones), each fine-tuned for a.finetune minutes from the shipped blocks with
    the same seed; after each, one head per spec refitted on a sample of the train sentences + the spec's."""
    hs = np.sort(rng.choice(len(yt), min(a.head_sentences, len(yt)), replace=False))
    zvl = {"P": zv["P"], "n_tokens": zv["n_tokens"], "label": yv_s}
    for i, spec in enumerate([None, *zx]):
        zk = {"P": zt["P"], "n_tokens": zt["n_tokens"], "label": yt}
        if spec is not None:  # the spec's sentences padded to the train states' width, labelled human
            P = np.zeros((len(zx[spec]["P"]),) + zt["P"].shape[1:], zt["P"].dtype)
            P[:, :zx[spec]["P"].shape[1]] = zx[spec]["P"]
            zk = {"P": np.concatenate([zt["P"], P]), "n_tokens": np.concatenate([zt["n_tokens"], zx[spec]["n_tokens"]]),
                  "label": np.concatenate([yt, np.zeros(len(P), yt.dtype)])}
        name = "control" if spec is None else f"+ {spec}"
        state, info = finetune(m, k, zk, zvl, a.finetune, seed=a.seed, lr=a.lr, balanced=True)
        del zk
        log(f"fine-tuned {name}: {info}")
        if a.save_blocks and spec is not None:
            save_continued(a, m, k, state, info, os.path.join(a.save_blocks, f"extra{i}"),
                           extra_human=spec, extra_human_seed=a.extra_human_seed)
        top = continued_top(m, k, state)
        Xh, Xv, Xd = mean_token_states(top, zt, hs), mean_token_states(top, zv), mean_token_states(top, zd)
        for s2 in zx:
            report(f"blocks {name}, head + {s2}", *head_with(Xh, yt[hs], mean_token_states(top, zx[s2])), Xv, Xd)


if __name__ == "__main__":
    main()
