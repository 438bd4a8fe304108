"""Stage 3b: the document/paragraph calibration refitted on the features the C engine computes,
written into a model file (calibration.document and calibration.thresholds, docs/model-format.md).

  python3 train/recalibrate.py [--model models/telltale-small.ttm] [--features a,b,...] [--compare | --labels]

Why: detector.py fits its first calibration in PyTorch on at most 15 sentences per validation text;
the engine reads every sentence of a text, in int8. And a mean over 3 sentences is weaker evidence
than a mean over 30: with only means as features, a short text and a long one with the same mean get
the same probability. The length-aware features (log_n = ln of the scored sentences, and the
means × log_n) let the evidence grow with the text, as they do for paragraphs in the page. They
count at most n_max sentences (the 99th percentile of the validation texts' lengths), so that the
calibration does not extrapolate to texts longer than those it was fitted on.

What: the validation documents of detector.py (detector.detector_docs; a leave-one-out model's
left-out domain or generator dropped, as its provenance says) are scored by the C engine
(build/telltale score --jsonl --features, the model given); the logistic model and the thresholds
are fitted by detector.fit_document, the same rules as detector.py (machine_above: ≤ 1 % of every
validation domain's human texts; human_below: ≤ 10 % of every validation generator's texts below it).
The sentence calibration and the human null are kept. The test split is never read.

--labels: only print, under the model's own calibration, the share of each validation generator's
texts (≥ 20) that the `human` threshold labels human, and the threshold the rule gives on the model's
own scores (with the share of human texts still labelled human there).

--compare: only print, for candidate feature sets, the 5-fold cross-validated validation document
AUROC and the calibration error of P(machine) (ECE over 10 bins, human texts weighted as in the fit)
for texts of 1-4, 5-9, 10-19 and 20+ scored sentences.
"""
import argparse
import json
import os
import sys

import numpy as np

from common import ROOT, log
from data import assign_splits, left_out, load_all
from detector import HUMAN_MAX_PER_GENERATOR, MIN_GROUP_TEXTS, cv_predict, detector_docs, fit_document, human_threshold
from engine_cli import score_cli
from evaluate import LENGTH_BINS, auroc, calibration_error
from ttm import read_ttm, write_ttm

BASE = ["sent_mean", "mmd2", "ce_mean"]
LENGTH_AWARE = BASE + ["log_n", "ce_mean_x_log_n"]  # the default: what measurably helped (--compare)
CANDIDATES = {"means only": BASE, "+ log_n": BASE + ["log_n"], "+ log_n, ce_mean_x_log_n": LENGTH_AWARE,
              "+ log_n, every mean x log_n": LENGTH_AWARE + ["sent_mean_x_log_n", "mmd2_x_log_n"]}


def validation_features(model, meta):
    """Engine features of the model's validation documents → (features [n_docs, names], y, domains,
    names, scored sentences n, generators, the engine's document scores)."""
    prov = meta.get("provenance") or {}
    recs = assign_splits(load_all())
    docs = [d for d in detector_docs(recs)[1]
            if not left_out(d, prov.get("excluded_domain"), prov.get("excluded_generator"))]
    res = score_cli(model, [d["text"] for d in docs], features=True)
    keep = [i for i, r in enumerate(res) if r.get("features")]
    if not keep:
        errs = [r["error"] for r in res if "error" in r][:1]
        sys.exit(f"recalibrate: the engine scored none of the {len(docs)} validation documents with {model}"
                 + (f" (first error: {errs[0]})" if errs else ""))
    names = list(res[keep[0]]["features"])
    F = np.array([[np.nan if res[i]["features"][n] is None else res[i]["features"][n] for n in names] for i in keep])
    y = np.array([docs[i]["label"] for i in keep])
    dom = [docs[i]["domain"] for i in keep]
    n = np.array([res[i]["n_sentences"] for i in keep], dtype=float)
    gen = np.array([docs[i]["generator"] for i in keep])
    score = np.array([res[i]["score"] for i in keep], dtype=float)
    log(f"{len(keep)} of {len(docs)} validation documents scored ({(y == 0).sum()} human)")
    return F, y, dom, names, n, gen, score


def human_labels(meta, y, gen, score):
    """Prints each validation generator's share of texts below the model's human_below, and the
    threshold the rule of detector.human_threshold would give (every generator at ≤ 10 %)."""
    hb = meta["calibration"]["thresholds"]["human_below"]
    by = {g: score[(y == 1) & (gen == g)] for g in sorted(set(gen[y == 1].tolist()))}
    by = {g: s for g, s in by.items() if len(s) >= MIN_GROUP_TEXTS}
    log(f"human_below {hb:.3f}: human texts labelled human {(score[y == 0] < hb).mean():.3f}, "
        f"machine texts {(score[y == 1] < hb).mean():.3f}")
    for g in sorted(by, key=lambda g: -(by[g] < hb).mean()):
        log(f"  {g:22s} {len(by[g]):4d} texts, labelled human {(by[g] < hb).mean():.3f}")
    t = max(human_threshold(score, y, gen), 0.05)
    log(f"every generator at ≤ {HUMAN_MAX_PER_GENERATOR:.0%}: human_below {t:.3f}; human texts labelled human there "
        f"{(score[y == 0] < t).mean():.3f}, machine texts {(score[y == 1] < t).mean():.3f}, "
        f"the most of one generator {max((s < t).mean() for s in by.values()):.3f}")


def cap_length(F, names, n, n_max):
    """F with log_n and the *_x_log_n features recomputed from n capped at n_max (0: no cap)."""
    F = F.copy()
    log_n = np.log(np.minimum(n, n_max) if n_max > 0 else n)
    for j, name in enumerate(names):
        if name == "log_n":
            F[:, j] = log_n
        elif name.endswith("_x_log_n"):
            F[:, j] = F[:, names.index(name[:-len("_x_log_n")])] * log_n
    return F


def default_features(current):
    """The model's features made length-aware: its means, then log_n and ce_mean × log_n (--compare)."""
    base = [n for n in current if n != "log_n" and not n.endswith("_x_log_n")]
    return base + ["log_n"] + (["ce_mean_x_log_n"] if "ce_mean" in base else [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--features", help="document features of the calibration, comma-separated (default: the "
                    "model's own, without length-aware ones, + log_n, + ce_mean_x_log_n when it uses ce_mean)")
    ap.add_argument("--n-max", type=float, help="count at most this many sentences in the length-aware features "
                    "(default: the 99th percentile of the validation documents' scored sentences; 0: no cap)")
    ap.add_argument("--compare", action="store_true", help="only print the CV AUROC of candidate feature sets")
    ap.add_argument("--labels", action="store_true", help="only print each validation generator's share labelled human")
    a = ap.parse_args()
    try:
        meta, tensors = read_ttm(a.model)
    except (OSError, ValueError) as e:
        ap.error(f"cannot read the model: {e}")
    if "detector" not in meta or "calibration" not in meta:
        ap.error(f"{a.model} has no detector and calibration to refit (an LM-only model?)")
    F, y, dom, names, n, gen, score = validation_features(a.model, meta)
    if a.labels:
        return human_labels(meta, y, gen, score)
    # beyond the lengths it was fitted on, the calibration would extrapolate: longer texts count as n_max
    n_max = float(np.ceil(np.percentile(n, 99))) if a.n_max is None else a.n_max
    F = cap_length(F, names, n, n_max)
    log(f"n_max {n_max:g} (validation documents: median {np.median(n):g}, largest {n.max():g} scored sentences)")
    w = np.where(y == 0, (y == 1).sum() / max((y == 0).sum(), 1), 1.0)
    if a.compare:
        bins = {k: (n >= lo) & (n < hi) for k, (lo, hi) in LENGTH_BINS.items()}
        for k, feats in CANDIDATES.items():
            p = cv_predict(F, y, w, [names.index(f) for f in feats])
            ece = {b: round(calibration_error(p[m], y[m], w[m]), 3) for b, m in bins.items()}
            log(f"{k:30s} 5-fold CV validation document AUROC {auroc(y, p):.4f}; ECE by sentences {ece}")
        return
    want = a.features.split(",") if a.features else default_features(meta["calibration"]["document"]["features"])
    unknown = [f for f in want if f not in names]
    if unknown:
        ap.error(f"unknown feature(s) {unknown}; the engine computes {names}")
    cols = [names.index(n) for n in want]
    if np.isnan(F[:, cols]).any():
        ap.error(f"the model does not compute all of {want} (null in the engine's output)")
    doc, thresholds, info = fit_document(F[:, cols], y, dom, gen, want)
    if n_max > 0 and any(x == "log_n" or x.endswith("_x_log_n") for x in want):
        doc["n_max"] = n_max
    old = meta["calibration"]
    log(f"old: features {old['document']['features']}, thresholds {old['thresholds']}")
    log(f"new: features {want}, thresholds {thresholds}; validation document AUROC {info['val_doc_auroc']:.4f} (in-sample), "
        f"5-fold CV {info['feature_ablation_cv_auroc']['all']:.4f}")
    meta["calibration"] = dict(old, document=doc, thresholds=thresholds,
                               recalibrated={"on": "C engine features of the validation documents",
                                             "val_docs": info["val_docs"],
                                             "cv_auroc": info["feature_ablation_cv_auroc"]["all"],
                                             "val_fpr_at_machine_above": info["val_fpr_at_machine_above"]})
    write_ttm(a.model, meta, tensors)
    log(f"wrote {os.path.relpath(a.model, ROOT)}: {json.dumps(info['feature_ablation_cv_auroc'])}")


if __name__ == "__main__":
    main()
