"""Stage 2: sentence features from the pretrained LM → MMD-MP deep kernel (and baselines) → human
reference set → calibration on the validation split.

Everything is fitted on the train split; checkpoints, thresholds and calibration are chosen on the
validation split; the test split is never read here (evaluate.py reports on it through the C engine).

  python3 train/detector.py [--minutes 8] [--finetune-blocks 2 --finetune-minutes 30 | --finetune-from DIR]
                            [--exclude-domain xsum] [--exclude-generator gpt-4] [--tag NAME]
                            [--exclude-train-domains D1,D2 | --drop-train-machine N]
  python3 train/detector.py --write-finetune-set NPZ

With --finetune-blocks K the LM's top K blocks are first fine-tuned for detection (finetune.py) and
the kernel is trained on their features; the LM statistics then leave the document features.
--finetune-from takes the blocks that finetune.py's GPU run fine-tuned for this --tag instead
(written from the token ids that --write-finetune-set gives it).
--exclude-train-domains keeps the listed domains' sentences out of the kernel, reference set and CE head
only (validation and calibration keep them); --drop-train-machine N, its control, drops N machine
sentences at random instead.
"""
import argparse
import hashlib
import json
import math
import os
import time
from collections import defaultdict

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from common import WORK, log, text_hash, work_path, write_json
from data import assign_splits, domain_list, left_out, load_all
from features import FeatureExtractor, n_words, split_sentences
from finetune import encode_batch, final_states, finetune, install, prefix_states, read_finetuned
from mmd import DeepKernel, mmd_loss, np_kernel
from model import GPT, Config, load_dequantized
from tokenizer import Tokenizer

MIN_WORDS = 5
MAX_TOKENS = 64
DOC_FEATURES = ["sent_mean", "mmd2", "logprob", "entropy", "fastdetect", "ce_mean"]
DOC_FEATURES_FINETUNED = ["sent_mean", "mmd2", "ce_mean"]  # the fine-tuned head is no longer the LM's


def load_lm_model():
    """train/work/lm.pt with its int8-stored weights dequantized: features exactly as the int8 engine
    computes them (up to activation rounding)."""
    z = torch.load(work_path("lm.pt"), map_location="cpu", weights_only=False)  # our own file
    m = GPT(Config(**z["config"]))
    m.load_state_dict(z["model"])
    return load_dequantized(m).eval()


def load_lm():
    m = load_lm_model()
    merges = json.load(open(work_path(f"merges_{m.c.vocab_size}.json")))
    return m, Tokenizer(merges), m.c


def sample_docs(recs, split, per_gen, per_human_domain, seed):
    """A balanced, seeded subset of one split: ≤ per_gen machine texts per (domain, generator, attack)
    and ≤ per_human_domain human texts per (domain, attack)."""
    rng = np.random.default_rng(seed)
    by = defaultdict(list)
    for r in recs:
        if r["split"] == split:
            by[(r["label"], r["domain"], r["generator"], r["attack"])].append(r)
    out = []
    for k in sorted(by, key=str):
        rs = by[k]
        cap = per_human_domain if k[0] == 0 else per_gen
        idx = rng.permutation(len(rs))[:cap]
        out += [rs[i] for i in sorted(idx)]
    return out


def detector_docs(recs, smoke=False):
    """The documents every detector is trained (train split) and calibrated (validation split) on,
    before any leave-one-out exclusion → (docs_t, docs_v). smoke: a tiny sample."""
    k = 0.05 if smoke else 1.0
    return (sample_docs(recs, "train", per_gen=int(60 * k), per_human_domain=int(600 * k), seed=1),
            sample_docs(recs, "val", per_gen=int(20 * k) + 1, per_human_domain=int(120 * k), seed=2))


def doc_sentences(text, drop_first):
    s = [x for x in split_sentences(text) if n_words(x) >= MIN_WORDS]
    if drop_first and len(s) >= 3:
        s = s[1:]  # pairs share their opening; the reference code drops edge sentences too
    return s


def sentence_ids(tok, bos_id, texts, drop_first, per_text):
    """Each text's first per_text sentences as [BOS] + their first MAX_TOKENS token ids → (id lists,
    the index of the text each came from)."""
    seqs, owner = [], []
    for ti, x in enumerate(texts):
        for s in doc_sentences(x, drop_first)[:per_text]:
            seqs.append([bos_id] + tok.encode(s.encode("utf-8"))[:MAX_TOKENS])
            owner.append(ti)
    return seqs, np.array(owner, dtype=np.int64)


def lm_key():
    """A short hash of train/work/lm.pt: caches of LM states are named for the LM that made them."""
    with open(work_path("lm.pt"), "rb") as fh:
        return hashlib.sha1(fh.read()).hexdigest()[:8]


def sentence_list(docs, max_per_doc, drop_first, cache):
    """→ (sentences, owning document index, cache file name carrying a hash of the documents' texts
    and of the LM)."""
    key = hashlib.sha1("".join(text_hash(r["text"]) for r in docs).encode()).hexdigest()[:10]
    cache = cache.replace(".npz", f"_{len(docs)}_{max_per_doc}_{key}_lm{lm_key()}.npz")
    sents, owner = [], []
    for di, r in enumerate(docs):
        for s in doc_sentences(r["text"], drop_first)[:max_per_doc]:
            sents.append(s)
            owner.append(di)
    return sents, owner, cache


def featurize(fx, docs, max_per_doc, drop_first, cache):
    """Sentence features of docs → dict of arrays (padded token features, mask, stats, doc index).
    Cached per selection of documents."""
    sents, owner, cache = sentence_list(docs, max_per_doc, drop_first, cache)
    if os.path.exists(cache):
        z = np.load(cache, allow_pickle=True)
        return {k: z[k] for k in z.files}
    t = time.time()
    res = []
    for b in range(0, len(sents), 4096):
        res += fx(sents[b:b + 4096])
        log(f"  features {len(res)}/{len(sents)} ({time.time() - t:.0f}s)")
    d = res[0][0].shape[1]
    N = len(res)
    H = np.zeros((N, MAX_TOKENS, d), dtype=np.float16)
    mask = np.zeros((N, MAX_TOKENS), dtype=np.float32)
    stats = np.zeros((N, 5), dtype=np.float64)  # logprob, entropy, var, logrank, n
    for i, (h, st) in enumerate(res):
        H[i, :len(h)] = h
        mask[i, :len(h)] = 1
        stats[i] = [st["logprob"], st["entropy"], st["var"], st["logrank"], st["n"]]
    out = {"H": H, "mask": mask, "stats": stats, "owner": np.array(owner, dtype=np.int64),
           "label": np.array([docs[o]["label"] for o in owner], dtype=np.int64)}
    np.savez(cache, **out)
    return out


def prefix_featurize(lm, tok, docs, max_per_doc, drop_first, cache, n_bottom):
    """The frozen bottom blocks' states of the same sentences as featurize → dict P, n_tokens, owner,
    label (cached: computed once for the main detector and every leave-one-out one)."""
    sents, owner, cache = sentence_list(docs, max_per_doc, drop_first, cache)
    if os.path.exists(cache):
        z = np.load(cache)
        return {k: z[k] for k in z.files}
    ids, n_tokens = encode_batch(tok, sents, MAX_TOKENS)
    out = {"P": prefix_states(lm, ids, n_tokens, n_bottom), "n_tokens": n_tokens,
           "owner": np.array(owner, dtype=np.int64), "label": np.array([docs[o]["label"] for o in owner], dtype=np.int64)}
    np.savez(cache, **out)
    return out


def prefix_sets(lm, tok, docs_t, docs_v, n_bottom, pre=""):
    """prefix_featurize of the train (≤ 5 sentences per text, first dropped) and validation (≤ 15)
    documents, cached as train/work/<pre>prefix<n_bottom>_{train,val}*.npz → (zt, zv)."""
    return (prefix_featurize(lm, tok, docs_t, 5, True, os.path.join(WORK, pre + f"prefix{n_bottom}_train.npz"), n_bottom),
            prefix_featurize(lm, tok, docs_v, 15, False, os.path.join(WORK, pre + f"prefix{n_bottom}_val.npz"), n_bottom))


EXTRA_HUMAN_SEED = 4


def extra_human_docs(spec, seed=EXTRA_HUMAN_SEED):
    """--extra-human SOURCE:N[,SOURCE:N]: N texts of each corpus SOURCE drawn (seeded) from the LM's
    pretraining corpus (train/work/corpus_full_train.jsonl, or the CPU run's corpus_train.jsonl; their
    held-out 1 % stays for evaluation), as human documents of the domain "corpus-SOURCE" → list of
    docs (text, label 0, domain, generator "human", attack None). An unknown source or a bad count →
    ValueError naming what there is."""
    want = {}
    for part in filter(None, (x.strip() for x in spec.split(","))):
        src, _, n = part.partition(":")
        if not n.isdigit() or int(n) < 1:
            raise ValueError(f"'{part}' is not SOURCE:N with N ≥ 1")
        want[src] = int(n)
    name = "corpus_full_train.jsonl" if os.path.exists(os.path.join(WORK, "corpus_full_train.jsonl")) else "corpus_train.jsonl"
    by, have = defaultdict(list), set()
    with open(work_path(name), encoding="utf-8") as fh:  # one pass: the texts asked for, and every source's name
        for line in fh:
            r = json.loads(line)
            have.add(str(r.get("source")))
            if r.get("source") in want:
                by[r["source"]].append(r["text"])
    docs = []
    for src, n in want.items():
        if not by[src]:
            raise ValueError(f"no corpus source '{src}' (the corpus has: {', '.join(sorted(have))})")
        if n > len(by[src]):
            raise ValueError(f"{src} has {len(by[src])} texts, fewer than the {n} asked for")
        rng = np.random.default_rng(seed)
        docs += [{"text": by[src][i], "label": 0, "domain": f"corpus-{src}", "generator": "human", "attack": None}
                 for i in sorted(rng.choice(len(by[src]), n, replace=False))]
    return docs


def write_finetune_set(recs, tok, docs_v, path, docs_x=(), extra_spec=None):
    """The sentences finetune.py fine-tunes on, as token ids: every train-split text (≤ 15 sentences,
    the first dropped, as in the detector's train sample), the corpus texts of --extra-human docs_x
    (≤ 15 sentences, the first dropped, domain "corpus-SOURCE": human texts of genres the pair sets lack
    or have only machine-written) and the detector's validation sample (≤ 15 sentences per text, as zv),
    each sentence with its text's domain, generator and label."""
    docs_t = [r for r in recs if r["split"] == "train"] + list(docs_x)
    doms = sorted({r["domain"] for r in recs} | {r["domain"] for r in docs_x})
    gens = sorted({r["generator"] for r in recs} | {r["generator"] for r in docs_x})
    out = {"domains": np.array(doms), "generators": np.array(gens), "lm_key": np.array(lm_key()),
           "extra_human": np.array(extra_spec or "")}
    for name, docs, per_doc, drop_first in (("train", docs_t, 15, True), ("val", docs_v, 15, False)):
        sents, owner, _ = sentence_list(docs, per_doc, drop_first, "")
        ids, n = encode_batch(tok, sents, MAX_TOKENS)
        out[name + "_ids"] = ids.astype(np.int16)
        out[name + "_n_tokens"] = n.astype(np.int16)
        out[name + "_label"] = np.array([docs[o]["label"] for o in owner], dtype=np.int8)
        out[name + "_domain"] = np.array([doms.index(docs[o]["domain"]) for o in owner], dtype=np.int16)
        out[name + "_generator"] = np.array([gens.index(docs[o]["generator"]) for o in owner], dtype=np.int16)
        log(f"{name}: {len(docs)} texts, {len(sents)} sentences ({int((out[name + '_label'] == 0).sum())} human)"
            + (f", {len(docs_x)} of them corpus texts ({extra_spec})" if name == "train" and docs_x else ""))
    np.savez_compressed(path, **out)
    log(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)")


def finetuned_features(lm, k, z):
    """Prefix states → the dict featurize gives, from the LM whose top k blocks are fine-tuned."""
    H, mask = final_states(lm, k, z["P"], z["n_tokens"], MAX_TOKENS)
    stats = np.zeros((len(H), 5))  # logprob, entropy, var, logrank: not computed (not features); n
    stats[:, 4] = z["n_tokens"]
    return {"H": H, "mask": mask, "stats": stats, "owner": z["owner"], "label": z["label"]}


def pick(z, idx):
    return torch.from_numpy(z["H"][idx].astype(np.float32)), torch.from_numpy(z["mask"][idx])


@torch.no_grad()
def embed(kern, z, idx=None, batch=2048):
    idx = np.arange(len(z["mask"])) if idx is None else idx
    xs, ps = [], []
    for b in range(0, len(idx), batch):
        H, m = pick(z, idx[b:b + batch])
        x, p = kern.features(H, m)
        xs.append(x.numpy())
        ps.append(p.numpy())
    return np.concatenate(xs).astype(np.float64), np.concatenate(ps).astype(np.float64)


def kparams(kern):
    return float(kern.epsilon), float(kern.sigma), float(kern.sigma0)


def sentence_scores(kern, ref, z, idx=None):
    """Single-instance score s(y) = mean K(X,X) − 2·mean_i k(x_i, y) + 1 for sentences of z."""
    xr, pr, kxx_mean = ref
    x, p = embed(kern, z, idx)
    K = np_kernel(xr, pr, x, p, *kparams(kern))
    return kxx_mean - 2 * K.mean(0) + 1, (x, p)


def train_kernel(zt, zv, ref_idx, multi_population, minutes, seed, log_every=50):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    d = zt["H"].shape[2]
    hum = np.where(zt["label"] == 0)[0]
    mac = np.where(zt["label"] == 1)[0]
    # median heuristic for the raw bandwidth
    H, m = pick(zt, rng.choice(len(zt["label"]), 400, replace=False))
    raw = DeepKernel.raw(H, m)
    med = torch.cdist(raw, raw).pow(2).median().item()
    kern = DeepKernel(d, sigma=max(med, 1e-3), sigma0=1.0)
    with torch.no_grad():
        ph = kern.phi(H, m)
        kern.sigma0_sqrt.fill_(math.sqrt(max(torch.cdist(ph, ph).pow(2).median().item(), 1e-3)))
    opt = torch.optim.Adam(kern.parameters(), lr=5e-4)
    vh = np.where(zv["label"] == 0)[0]
    vm = np.where(zv["label"] == 1)[0]
    vidx = np.concatenate([rng.choice(vh, min(1500, len(vh)), replace=False),
                           rng.choice(vm, min(1500, len(vm)), replace=False)])
    best = (-1, None, 0)
    t0 = time.time()
    step = 0
    while time.time() - t0 < minutes * 60:
        xi = rng.choice(hum, 200, replace=False)
        yi = rng.choice(mac, 200, replace=False)  # mixed generators, attacks included
        Hx, mx = pick(zt, xi)
        Hy, my = pick(zt, yi)
        ax, apx = kern.features(Hx, mx)
        ay, apy = kern.features(Hy, my)
        Kxx = kern.k(ax, apx, ax, apx)
        Kyy = kern.k(ay, apy, ay, apy)
        Kxy = kern.k(ax, apx, ay, apy)
        loss = mmd_loss(Kxx, Kyy, Kxy, multi_population)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % log_every == 0 or time.time() - t0 >= minutes * 60:
            ref = make_ref(kern, zt, ref_idx)
            s, _ = sentence_scores(kern, ref, zv, vidx)
            auc = roc_auc_score(zv["label"][vidx], s)
            if auc > best[0]:
                best = (auc, {k: v.clone() for k, v in kern.state_dict().items()}, step)
            log(f"  {'MMD-MP' if multi_population else 'MMD-D'} step {step} loss {loss.item():.3f} "
                f"val sentence AUROC {auc:.4f} ε={float(kern.epsilon):.3f} σ={float(kern.sigma):.2f} "
                f"σ0={float(kern.sigma0):.3f}")
    kern.load_state_dict(best[1])
    log(f"  best val sentence AUROC {best[0]:.4f} at step {best[2]} of {step}")
    return kern, {"val_sentence_auroc": best[0], "best_step": best[2], "steps": step}


def make_ref(kern, zt, ref_idx):
    x, p = embed(kern, zt, ref_idx)
    K = np_kernel(x, p, x, p, *kparams(kern))
    n = len(ref_idx)
    return x, p, float((K.sum() - np.trace(K)) / (n * (n - 1)))


def choose_ref(zt, docs_t, n_ref, seed):
    """n_ref human training sentences spread evenly over the human domains (one per document)."""
    rng = np.random.default_rng(seed)
    by = defaultdict(list)
    seen_docs = set()
    for i in rng.permutation(len(zt["label"])):
        o = int(zt["owner"][i])
        if zt["label"][i] == 0 and o not in seen_docs:
            seen_docs.add(o)
            by[docs_t[o]["domain"]].append(i)
    doms = sorted(by)
    out, k = [], 0
    while len(out) < n_ref and any(by.values()):
        d = doms[k % len(doms)]
        if by[d]:
            out.append(by[d].pop())
        k += 1
    return np.array(sorted(out))


def doc_features(s, x, p, z, ref, kern, ce):
    """Per document of z: the features named in DOC_FEATURES (same math as src/detect.c)."""
    xr, pr, kxx_mean = ref
    eps, sigma, sigma0 = kparams(kern)
    out = {}
    for o in np.unique(z["owner"]):
        idx = np.where(z["owner"] == o)[0]
        st = z["stats"][idx].sum(0)
        if len(idx) >= 2:
            Kxy = np_kernel(xr, pr, x[idx], p[idx], eps, sigma, sigma0)
            Kyy = np_kernel(x[idx], p[idx], x[idx], p[idx], eps, sigma, sigma0)
            m = len(idx)
            mmd2 = kxx_mean + (Kyy.sum() - np.trace(Kyy)) / (m * (m - 1)) - 2 * Kxy.mean()  # unbiased MMD²
        else:
            mmd2 = s[idx[0]] - 1.0  # one sentence: no Kyy term (see docs/detector.md)
        ce_logit = x[idx] @ ce[0] + ce[1]
        out[int(o)] = [float(s[idx].mean()), float(mmd2), st[0] / st[4], st[1] / st[4],
                       (st[0] + st[1]) / math.sqrt(max(st[2], 1e-9)), float(ce_logit.mean())]
    return out


def fit_ce(zt):
    """The cross-entropy classifier on the raw sentence feature x (mean final hidden state)."""
    X = DeepKernel.raw(*pick(zt, np.arange(len(zt["label"])))).numpy().astype(np.float64)
    clf = LogisticRegression(C=1.0, max_iter=3000).fit(X, zt["label"])
    return clf.coef_[0].astype(np.float64), float(clf.intercept_[0])


def cv_auroc(F, y, w, cols, folds=5, seed=0):
    """Cross-validated document AUROC of the logistic model on the given feature columns."""
    return float(roc_auc_score(y, cv_predict(F, y, w, cols, folds, seed)))


def cv_predict(F, y, w, cols, folds=5, seed=0):
    """Cross-validated P(machine) of each row from the logistic model on the given feature columns."""
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, len(y))
    pred = np.zeros(len(y))
    for k in range(folds):
        tr, te = fold != k, fold == k
        mu, sd = F[tr][:, cols].mean(0), F[tr][:, cols].std(0) + 1e-9
        m = LogisticRegression(C=1.0, max_iter=1000).fit((F[tr][:, cols] - mu) / sd, y[tr], sample_weight=w[tr])
        pred[te] = m.predict_proba((F[te][:, cols] - mu) / sd)[:, 1]
    return pred


HUMAN_MAX_PER_GENERATOR = 0.10  # `human` may be said of at most this share of any generator's validation texts
MIN_GROUP_TEXTS = 20             # a domain or generator counts in the threshold rules with at least this many texts


def human_threshold(prob, y, generators, most=HUMAN_MAX_PER_GENERATOR):
    """The `human` threshold: the highest score below which at most `most` of the machine texts of every
    validation generator (≥ MIN_GROUP_TEXTS texts) fall. (Before: 10 % of the machine texts pooled,
    which let 59 % of one generator's texts and 14 % of gpt-4's be labelled human.)"""
    generators = np.asarray(generators)
    per_gen = [prob[(y == 1) & (generators == g)] for g in sorted(set(generators[y == 1].tolist()))]
    per_gen = [v for v in per_gen if len(v) >= MIN_GROUP_TEXTS] or [prob[y == 1]]
    # "lower": a score of the texts themselves, so that strictly fewer than ⌈most·n⌉ of n texts lie below it
    return float(min(np.quantile(v, most, method="lower") for v in per_gen))


def fit_document(F, y, domains, generators, names):
    """The document/paragraph calibration: a logistic model on the feature columns F [n_docs, len(names)]
    of validation documents with labels y, domains and generators, and the label thresholds →
    (document, thresholds, info) as the model's "calibration" section holds them (docs/model-format.md)."""
    mu, sd = F.mean(0), F.std(0) + 1e-9
    # weight human texts up so that both classes count equally
    w = np.where(y == 0, (y == 1).sum() / max((y == 0).sum(), 1), 1.0)
    # what each feature adds: 5-fold cross-validated AUROC on validation, all / without / alone
    nf = len(names)
    ablation = {"all": cv_auroc(F, y, w, list(range(nf)))}
    for j, name in enumerate(names):
        ablation["without_" + name] = cv_auroc(F, y, w, [i for i in range(nf) if i != j])
        ablation["only_" + name] = cv_auroc(F, y, w, [j])
    log("ablation (val, 5-fold CV doc AUROC): " + json.dumps({k: round(v, 4) for k, v in ablation.items()}))
    clf = LogisticRegression(C=1.0, max_iter=1000).fit((F - mu) / sd, y, sample_weight=w)
    prob = clf.predict_proba((F - mu) / sd)[:, 1]
    # thresholds on validation: "machine" where at most 1 % of human texts of any domain land,
    # "human" below the level that keeps 90 % of every generator's machine texts out of it.
    domains = np.asarray(domains)
    hum_p = {d: prob[(y == 0) & (domains == d)] for d in sorted(set(domains.tolist()))}
    q99 = max(np.quantile(v, 0.99) for v in hum_p.values() if len(v) >= MIN_GROUP_TEXTS)
    machine_above = float(min(max(q99, 0.5), 0.99))
    human_below = max(min(human_threshold(prob, y, generators), machine_above - 0.05), 0.05)
    doc = {"features": list(names), "mean": mu.tolist(), "std": sd.tolist(),
           "weights": clf.coef_[0].tolist(), "bias": float(clf.intercept_[0])}
    info = {"val_doc_auroc": float(roc_auc_score(y, prob)),
            "val_fpr_at_machine_above": {d: float((v >= machine_above).mean()) for d, v in hum_p.items() if len(v)},
            "val_docs": int(len(y)), "feature_ablation_cv_auroc": ablation}
    return doc, {"human_below": human_below, "machine_above": machine_above}, info


def calibrate(kern, ref, zv, docs_v, ce, names):
    s, (x, p) = sentence_scores(kern, ref, zv)
    lr = LogisticRegression(C=10.0).fit(s[:, None], zv["label"])
    sent = {"a": float(lr.coef_[0, 0]), "b": float(lr.intercept_[0])}
    feats = doc_features(s, x, p, zv, ref, kern, ce)
    keys = sorted(feats)
    cols = [DOC_FEATURES.index(n) for n in names]
    F = np.array([feats[k] for k in keys])[:, cols]
    y = np.array([docs_v[k]["label"] for k in keys])
    doc, thresholds, info = fit_document(F, y, [docs_v[k]["domain"] for k in keys],
                                         [docs_v[k]["generator"] for k in keys], names)
    info["val_sentence_auroc"] = float(roc_auc_score(zv["label"], s))
    return {"sentence": sent, "document": doc, "thresholds": thresholds}, info


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=8.0, help="kernel training budget per kernel")
    ap.add_argument("--exclude-domain", default=None)
    ap.add_argument("--exclude-generator", default=None)
    ap.add_argument("--tag", default="main")
    ap.add_argument("--baselines", action="store_true", help="also train MMD-D and the CE classifier")
    ap.add_argument("--finetune-blocks", type=int, default=0, help="fine-tune the LM's top K blocks first (with --finetune-from: the file's number)")
    ap.add_argument("--finetune-minutes", type=float, default=30.0)
    ap.add_argument("--finetune-from", metavar="NPZ",
                    help="take the top blocks finetune.py fine-tuned for this --tag from NPZ instead of fine-tuning here")
    ap.add_argument("--write-finetune-set", metavar="NPZ",
                    help="write the token ids finetune.py fine-tunes on (all train-split texts, and --extra-human's "
                    "corpus texts as human ones) to NPZ, then stop")
    ap.add_argument("--exclude-train-domains", metavar="D1,D2",
                    help="drop these domains' train sentences from the kernel, reference set and CE head (validation keeps them)")
    ap.add_argument("--drop-train-machine", type=int, default=0, metavar="N",
                    help="drop N machine train sentences drawn at random (seeded by --drop-seed) from the kernel, "
                    "reference set and CE head: the control of --exclude-train-domains")
    ap.add_argument("--drop-seed", type=int, default=0)
    ap.add_argument("--extra-human", metavar="SOURCE:N[,SOURCE:N]",
                    help="add N human texts of each corpus SOURCE (the LM's pretraining corpus, e.g. student-essays) "
                    "to the kernel's, reference set's and CE head's train sentences (≤ 5 each, first dropped); with "
                    "--write-finetune-set, to the fine-tuning's (≤ 15 each, as every train text)")
    ap.add_argument("--extra-human-seed", type=int, default=EXTRA_HUMAN_SEED,
                    help="the seed of --extra-human's draw (another draw of the same size: how much the choice of texts matters)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--smoke", action="store_true", help="tiny sample, to check the pipeline runs")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    lm, tok, cfg = load_lm()
    recs = assign_splits(load_all())
    fx = FeatureExtractor(lm, tok, MAX_TOKENS)

    def keep(r):
        return not left_out(r, a.exclude_domain, a.exclude_generator)

    docs_t, docs_v = detector_docs(recs, a.smoke)
    try:
        drop = domain_list(a.exclude_train_domains or "", {r["domain"] for r in docs_t})
    except ValueError as e:
        ap.error(f"--exclude-train-domains: {e}")
    docs_x = []
    if a.extra_human:
        try:
            docs_x = extra_human_docs(a.extra_human, a.extra_human_seed)
        except ValueError as e:
            ap.error(f"--extra-human: {e}")
    if a.write_finetune_set:
        return write_finetune_set(recs, tok, docs_v, a.write_finetune_set, docs_x,
                                  a.extra_human and f"{a.extra_human} (seed {a.extra_human_seed})")
    log(f"train docs {len(docs_t)}, val docs {len(docs_v)}")
    pre = "smoke_" if a.smoke else ""

    def subset(z, docs):
        ok = np.array([keep(docs[o]) for o in z["owner"]])
        return {k: v[ok] for k, v in z.items()}

    K = a.finetune_blocks
    top_state, finfo, names = None, None, DOC_FEATURES
    if a.finetune_from:  # blocks fine-tuned elsewhere (finetune.py on a GPU); K is theirs
        top_state, finfo = read_finetuned(a.finetune_from, a.tag)
        K = K or finfo["blocks"]
        want = {"blocks": K, "exclude_domain": a.exclude_domain, "exclude_generator": a.exclude_generator}
        got = {k: finfo.get(k) for k in want}
        if got != want:
            ap.error(f"{a.finetune_from} holds blocks for {got}, not for this run's {want}")
    if K > 0:
        if not 1 <= K <= cfg.n_layers:
            ap.error(f"--finetune-blocks must be 1..{cfg.n_layers}")
        nb = cfg.n_layers - K
        zt, zv = prefix_sets(lm, tok, docs_t, docs_v, nb, pre)
        zt, zv = subset(zt, docs_t), subset(zv, docs_v)
        if top_state is None:
            top_state, finfo = finetune(lm, K, zt, zv, a.finetune_minutes, seed=0)
        install(lm, K, top_state)
        load_dequantized(lm)  # the kernel sees the fine-tuned blocks as the int8 engine stores them
        zt, zv = finetuned_features(lm, K, zt), finetuned_features(lm, K, zv)
        zx = finetuned_features(lm, K, prefix_featurize(lm, tok, docs_x, 5, True, os.path.join(WORK, pre + f"prefix{nb}_extra.npz"), nb)) if docs_x else None
        names = DOC_FEATURES_FINETUNED
    else:
        zt = subset(featurize(fx, docs_t, 5, True, os.path.join(WORK, pre + "feats_train.npz")), docs_t)
        zv = subset(featurize(fx, docs_v, 15, False, os.path.join(WORK, pre + "feats_val.npz")), docs_v)
        zx = featurize(fx, docs_x, 5, True, os.path.join(WORK, pre + "feats_extra.npz")) if docs_x else None
    if zx is not None:  # human texts of more genres: train sentences like the others (owners after docs_t's)
        log(f"--extra-human: {len(zx['label'])} sentences of {len(docs_x)} corpus texts join the train sentences")
        zx["owner"] = zx["owner"] + len(docs_t)
        zt = {k: np.concatenate([zt[k], zx[k]]) for k in zt}
        docs_t = docs_t + docs_x
    if drop:  # the kernel, reference set and CE head never see them; validation keeps them
        zt = {k: v[~np.isin([docs_t[o]["domain"] for o in zt["owner"]], sorted(drop))] for k, v in zt.items()}
    if a.drop_train_machine:  # the control of --exclude-train-domains: as many machine sentences, at random
        if not 0 < a.drop_train_machine < (zt["label"] == 1).sum():
            ap.error(f"--drop-train-machine must be between 1 and {(zt['label'] == 1).sum() - 1} (the machine train sentences)")
        rng = np.random.default_rng(a.drop_seed)
        gone = rng.choice(np.where(zt["label"] == 1)[0], a.drop_train_machine, replace=False)
        zt = {k: np.delete(v, gone, axis=0) for k, v in zt.items()}
    log(f"sentences: train {len(zt['label'])} ({(zt['label'] == 0).sum()} human), val {len(zv['label'])}")
    ref_idx = choose_ref(zt, docs_t, 500, seed=3)
    kern, kinfo = train_kernel(zt, zv, ref_idx, True, a.minutes, seed=0)
    ref = make_ref(kern, zt, ref_idx)
    ce = fit_ce(zt)
    cal, cinfo = calibrate(kern, ref, zv, docs_v, ce, names)
    log(f"calibration: {json.dumps(cinfo)}")
    out = {"kernel": kern.state_dict(), "ref_idx": ref_idx, "ce_weight": ce[0], "ce_bias": ce[1], "ref_kxx_mean": ref[2], "ref_raw": ref[0],
           "ref_phi": ref[1], "calibration": cal, "finetune_blocks": K, "lm_top": top_state,
           "info": {"finetune": finfo, "kernel": kinfo, "calibration": cinfo, "exclude_domain": a.exclude_domain,
                    "exclude_generator": a.exclude_generator, "exclude_train_domains": a.exclude_train_domains,
                    "drop_train_machine": a.drop_train_machine, "extra_human": a.extra_human, "extra_human_seed": a.extra_human_seed if a.extra_human else None,
                    "extra_human_sentences": int(len(zx["label"])) if zx is not None else 0,
                    "train_sentences": int(len(zt["label"])),
                    "ref_domains": sorted({docs_t[int(zt["owner"][i])]["domain"] for i in ref_idx})}}
    if a.baselines:
        out["info"]["baselines"] = baselines(zt, zv, ref_idx, a.minutes, docs_v)
    name = f"detector_{pre}{a.tag}"  # a smoke run never replaces a real detector
    torch.save(out, os.path.join(WORK, name + ".pt"))
    write_json(os.path.join(WORK, name + ".json"), out["info"])
    log("saved", name + ".pt")


def baselines(zt, zv, ref_idx, minutes, docs_v):
    """Validation numbers of MMD-D (MGT–MGT term kept) and a cross-entropy classifier on the same
    features; the zero-shot and TF-IDF baselines are reported on the test split by evaluate.py."""
    res = {}
    kd, kinfo = train_kernel(zt, zv, ref_idx, False, minutes, seed=0)
    res["mmd_d"] = kinfo
    Xt = DeepKernel.raw(*pick(zt, np.arange(len(zt["label"])))).numpy()
    Xv = DeepKernel.raw(*pick(zv, np.arange(len(zv["label"])))).numpy()
    clf = LogisticRegression(C=1.0, max_iter=2000).fit(Xt, zt["label"])
    res["ce_classifier"] = {"val_sentence_auroc": float(roc_auc_score(zv["label"], clf.predict_proba(Xv)[:, 1]))}
    log(f"baselines: {json.dumps(res)}")
    return res


if __name__ == "__main__":
    main()
