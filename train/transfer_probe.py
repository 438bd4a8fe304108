"""Probe: six cheap ideas for the fine-tuned detector, checked on the validation split only
(not part of the pipeline; models/README.md, "What was tried", reports what they gave).

adversarial, head and ood start from the blocks finetune.py fine-tuned on a GPU (`--finetuned`, default
train/work/gpu_ft) and the cached prefix states of detector.py (the detector's train sample and
validation sentences through the frozen bottom blocks).

  adversarial  Continue fine-tuning a leave-one-domain-out detector's blocks on the train sample
               (without the left-out domain) for a time budget, with (--lam > 0) or without
               (--lam 0, the control) a domain-adversarial loss: a small classifier per class
               (human / machine) predicts the sentence's training domain from its mean final
               state through a gradient-reversal layer, so the blocks are pushed to forget the
               domain. Reports the left-out domain's validation document AUROC (mean head logit
               over a text's sentences) and the other domains' sentence and document AUROC.
               --extra-human reddit adds the held-out corpus's Reddit sentences (texts the LM never
               trained on) to the human train sentences: does human text of one more genre help?
  head         The main detector's linear head (logistic regression on the mean final state)
               against a small MLP on the same state, and a document model on the mean of a
               text's sentence states with and without their spread (std) across sentences.
  zeroshot     The pretrained LM's zero-shot statistics (mean log-probability, entropy and log-rank
               per token, Fast-DetectGPT's criterion; train/work/lm.pt, over a text's first 15
               sentences) beside the engine's document score (`telltale score` with the shipped
               model, 5-fold CV, and with each leave-one-domain-out model, the combination fitted on
               the other domains' validation texts and scored on the left-out domain's).
  layers       The linear head on the mean final state against the same head on more of each
               sentence's states: the mean state after every block (the frozen pretrained block 2's
               included, which the fine-tuning did not touch) and the largest value of each final-
               state dimension over the tokens. Validation sentence AUROC and document AUROC of
               the mean sentence logit.
  ood          A leave-one-domain-out detector: is the left-out domain's text far from its training
               text (Mahalanobis distance of a document's mean final state from the train sample's
               sentence states)? Reports the AUROC of that distance for left-out vs seen-domain
               documents and the share of left-out documents beyond the seen domains' 95th
               percentile.

  python3 train/transfer_probe.py adversarial --domain pubmed --lam 0.5 --minutes 12 --threads 1
  python3 train/transfer_probe.py head
  python3 train/transfer_probe.py zeroshot
  python3 train/transfer_probe.py ood --domain pubmed
  python3 train/transfer_probe.py --finetuned train/work/shipblocks layers
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from common import ROOT, WORK, log, work_path, write_json
from data import assign_splits, left_out, load_all
from detector import detector_docs, load_lm, prefix_sets
from finetune import STRATUM_OF, TopStack, _batch, balanced_batches, install, length_batches, mean_token_states, read_finetuned
from mmd import DeepKernel


def setup(finetuned, tag):
    """→ (TopStack with the blocks fine-tuned for tag, the LM they were installed in, its tokenizer,
    docs_t, docs_v, zt, zv): zt / zv the train-sample / validation prefix states with each
    sentence's domain and generator added."""
    lm, tok, cfg = load_lm()
    state, info = read_finetuned(finetuned, tag)
    install(lm, info["blocks"], state)
    docs_t, docs_v = detector_docs(assign_splits(load_all()))
    zt, zv = prefix_sets(lm, tok, docs_t, docs_v, cfg.n_layers - info["blocks"])
    zt, zv = dict(zt), dict(zv)
    for z, docs in ((zt, docs_t), (zv, docs_v)):
        z["domain"] = np.array([docs[o]["domain"] for o in z["owner"]], dtype=object)
        z["generator"] = np.array([docs[o]["generator"] for o in z["owner"]], dtype=object)
    return TopStack(lm, info["blocks"]), lm, tok, docs_t, docs_v, zt, zv


def by_document(values, owner):
    """Per-sentence rows → (document ids, mean row per document)."""
    u = np.unique(owner)
    return u, np.stack([values[owner == o].mean(0) for o in u])


def doc_auroc(docs, owner, s):
    """Document AUROC of the mean sentence score s over each document's sentences."""
    u, ds = by_document(s, owner)
    return roc_auc_score([docs[o]["label"] for o in u], ds)


def drop_domain(z, domain):
    out = np.array([left_out({"domain": d, "label": l, "generator": g}, domain, None)
                    for d, l, g in zip(z["domain"], z["label"], z["generator"])])
    return {k: v[~out] for k, v in z.items()}, out


def with_extra_human(zt, sources, lm, tok, k, per_text=15):
    """zt plus the sentences (≤ per_text per text, as detector.doc_sentences keeps them) of the held-out
    corpus texts of these sources as human sentences of domain 'corpus-<source>' (prefix states through
    the frozen bottom blocks of lm, whose top k blocks are the fine-tuned ones, as detector.prefix_sets)."""
    from detector import doc_sentences
    from finetune import encode_batch, prefix_states
    sents, doms = [], []
    with open(work_path("corpus_full_val.jsonl")) as fh:
        for line in fh:
            r = json.loads(line)
            if r["source"] in sources:
                s = doc_sentences(r["text"], False)[:per_text]
                sents += s
                doms += ["corpus-" + r["source"]] * len(s)
    if not sents:
        raise SystemExit(f"no held-out corpus text of {sources}")
    ids, n = encode_batch(tok, sents, zt["P"].shape[1] - 1)
    P = prefix_states(lm, ids, n, len(lm.blocks) - k)
    log(f"extra human sentences: {len(sents)} from {sources}")
    extra = {"P": P, "n_tokens": n, "owner": np.full(len(sents), -1), "label": np.zeros(len(sents), np.int64),
             "domain": np.array(doms, dtype=object), "generator": np.array(["human"] * len(sents), dtype=object)}
    return {k: np.concatenate([zt[k], extra[k]]) for k in zt}


class GradReverse(torch.autograd.Function):
    """Identity forward; the gradient times −lam backward."""

    @staticmethod
    def forward(ctx, x, lam):
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx, g):
        return -ctx.lam * g, None


def adversarial(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    top, lm, tok, _, docs_v, zt, zv = setup(a.finetuned, f"lodo_{a.domain}")
    d = lm.c.d_model
    zt, _ = drop_domain(zt, a.domain)
    if a.extra_human:
        zt = with_extra_human(zt, a.extra_human.split(","), lm, tok, len(top.blocks))
    _, out_v = drop_domain(zv, a.domain)
    strata = [STRATUM_OF.get(x, x) for x in zt["domain"]]
    doms = sorted(set(strata))
    dom_id = torch.tensor([doms.index(s) for s in strata])
    vi_left = np.where(out_v)[0]
    vi_other = np.sort(rng.permutation(np.where(~out_v)[0])[:8000])
    log(f"{len(zt['label'])} train sentences of {len(doms)} domains; validation: {len(vi_left)} left-out, "
        f"{len(vi_other)} of the other domains")
    # the head (finetune.py does not keep it): logistic regression on 20,000 train sentences' states
    hidx = np.sort(rng.choice(len(zt["label"]), 20000, replace=False))
    lr0 = LogisticRegression(C=1.0, max_iter=3000).fit(mean_token_states(top, zt, hidx), zt["label"][hidx])
    with torch.no_grad():
        top.head.weight.copy_(torch.from_numpy(lr0.coef_.astype(np.float32)))
        top.head.bias.fill_(float(lr0.intercept_[0]))
    adv = nn.ModuleList([nn.Sequential(nn.Linear(d, 128), nn.ReLU(), nn.Linear(128, len(doms))) for _ in range(2)])
    opt = torch.optim.AdamW([{"params": [p for n, p in top.named_parameters() if not n.startswith("head.")], "lr": a.lr},
                             {"params": top.head.parameters(), "lr": 10 * a.lr},
                             {"params": adv.parameters(), "lr": 1e-3}], weight_decay=0.01)
    y = torch.from_numpy(zt["label"].astype(np.float32))

    def evaluate(step):
        w = top.head.weight.detach().numpy()[0]
        sl, so = mean_token_states(top, zv, vi_left) @ w, mean_token_states(top, zv, vi_other) @ w
        r = {"step": step, "left_out_doc_auroc": doc_auroc(docs_v, zv["owner"][vi_left], sl),
             "left_out_sentence_auroc": roc_auc_score(zv["label"][vi_left], sl),
             "other_sentence_auroc": roc_auc_score(zv["label"][vi_other], so),
             "other_doc_auroc": doc_auroc(docs_v, zv["owner"][vi_other], so)}
        log(json.dumps({k: round(v, 4) for k, v in r.items()}))
        return r

    hist = [evaluate(0)]
    t0, step = time.time(), 0
    for idx in balanced_batches(zt["label"], a.batch, rng):
        x = DeepKernel.raw(*top.hidden(*_batch(zt, idx)))
        loss = F.binary_cross_entropy_with_logits(top.head(x)[:, 0], y[idx])
        if a.lam > 0:  # λ ramped up from 0 as in DANN: 2/(1+exp(−10p)) − 1 of the budget's share p
            p = min(1.0, (time.time() - t0) / (a.minutes * 60))
            xr = GradReverse.apply(x, a.lam * (2 / (1 + math.exp(-10 * p)) - 1))
            for c in (0, 1):
                sel = torch.from_numpy(zt["label"][idx] == c)
                loss = loss + F.cross_entropy(adv[c](xr[sel]), dom_id[idx][sel])
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        done = time.time() - t0 >= a.minutes * 60
        if step % a.eval_every == 0 or done:
            hist.append(evaluate(step))
        if done:
            break
    extra = f"_extra-{a.extra_human.replace(',', '-')}" if a.extra_human else ""
    out = os.path.join(WORK, f"transfer_probe_adversarial_{a.domain}_lam{a.lam}{extra}.json")
    write_json(out, {"domain": a.domain, "lam": a.lam, "extra_human": a.extra_human, "minutes": a.minutes, "lr": a.lr, "batch": a.batch,
                     "steps": step, "history": hist})
    log("wrote", out)


def cv_doc_auroc(F_, y, C=0.1):
    """5-fold cross-validated AUROC of a standardized logistic regression on document rows."""
    pred = np.zeros(len(y))
    for tr, te in StratifiedKFold(5, shuffle=True, random_state=0).split(F_, y):
        mu, sd = F_[tr].mean(0), F_[tr].std(0) + 1e-6
        m = LogisticRegression(C=C, max_iter=5000).fit((F_[tr] - mu) / sd, y[tr])
        pred[te] = m.decision_function((F_[te] - mu) / sd)
    return roc_auc_score(y, pred)


def head(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    top, lm, _, _, docs_v, zt, zv = setup(a.finetuned, "main")
    d = lm.c.d_model
    Xt, Xv = mean_token_states(top, zt), mean_token_states(top, zv)
    mu, sd = Xt.mean(0), Xt.std(0) + 1e-6
    Xt, Xv = (Xt - mu) / sd, (Xv - mu) / sd
    res = {}

    def report(name, s):
        res[name] = {"sentence_auroc": roc_auc_score(zv["label"], s), "doc_auroc": doc_auroc(docs_v, zv["owner"], s)}
        log(name, json.dumps({k: round(v, 4) for k, v in res[name].items()}))

    lin = LogisticRegression(C=1.0, max_iter=5000).fit(Xt, zt["label"])
    report("linear head", lin.decision_function(Xv))
    X, Y = torch.from_numpy(Xt), torch.from_numpy(zt["label"].astype(np.float32))
    for hid in (64, 256):
        torch.manual_seed(0)
        m = nn.Sequential(nn.Linear(d, hid), nn.GELU(), nn.Dropout(0.2), nn.Linear(hid, 1))
        opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=1e-3)
        for ep in range(8):
            perm = torch.randperm(len(X))
            m.train()
            for b in range(0, len(X), 256):
                i = perm[b:b + 256]
                loss = F.binary_cross_entropy_with_logits(m(X[i])[:, 0], Y[i])
                opt.zero_grad()
                loss.backward()
                opt.step()
            m.eval()
            with torch.no_grad():
                report(f"MLP {hid}, pass {ep + 1}", m(torch.from_numpy(Xv))[:, 0].numpy())
    u, mean_x = by_document(Xv, zv["owner"])
    _, mean_x2 = by_document(Xv ** 2, zv["owner"])
    std_x = np.sqrt(np.maximum(mean_x2 - mean_x ** 2, 0))
    y = np.array([docs_v[o]["label"] for o in u])
    ln_n = np.log(np.bincount(zv["owner"])[u])[:, None]
    for name, F_ in [("documents: mean state", mean_x), ("documents: mean and std of the states", np.c_[mean_x, std_x]),
                     ("documents: mean state, mean × ln n, ln n", np.c_[mean_x, mean_x * ln_n, ln_n])]:
        res[name] = {"cv_doc_auroc": cv_doc_auroc(F_, y)}
        log(name, f"5-fold CV document AUROC {res[name]['cv_doc_auroc']:.4f}")
    write_json(os.path.join(WORK, "transfer_probe_head.json"), res)


@torch.no_grad()
def layer_states(top, z):
    """Every sentence of z → (mean token state after each layer: the prefix (the frozen bottom
    blocks), each of top's blocks, ln_f [n, K+2, d]; max over tokens of the final state [n, d])."""
    top.eval()
    n, d, k = len(z["n_tokens"]), top.head.in_features, len(top.blocks)
    M, X = np.zeros((n, k + 2, d), np.float32), np.zeros((n, d), np.float32)
    for b in length_batches(z["n_tokens"], 512):
        P, nt = _batch(z, b)
        m = (torch.arange(P.shape[1] - 1)[None, :] < nt[:, None]).float()
        h, means = P, [DeepKernel.raw(P[:, 1:], m)]
        for blk in top.blocks:
            h = blk(h, top.mask)
            means.append(DeepKernel.raw(h[:, 1:], m))
        f = top.ln_f(h)[:, 1:]
        means.append(DeepKernel.raw(f, m))
        M[b] = torch.stack(means, 1).numpy()
        X[b] = f.masked_fill(m[..., None] == 0, -1e9).amax(1).numpy()
    return M, X


def layers(a):
    torch.set_num_threads(a.threads)
    top, _, _, _, docs_v, zt, zv = setup(a.finetuned, "main")
    t0 = time.time()
    (Mt, Xt), (Mv, Xv) = layer_states(top, zt), layer_states(top, zv)
    log(f"states of {len(Mt)} + {len(Mv)} sentences in {time.time() - t0:.0f} s")
    k = Mt.shape[1] - 2
    sets = {"final (the shipped feature)": lambda M, X: M[:, -1],
            "final + frozen block-2 mean": lambda M, X: np.c_[M[:, -1], M[:, 0]],
            "final + every block's mean": lambda M, X: M.reshape(len(M), -1),
            "final + max over tokens": lambda M, X: np.c_[M[:, -1], X]}
    res = {"blocks_fine_tuned": k}
    for name, f in sets.items():
        Ft, Fv = f(Mt, Xt), f(Mv, Xv)
        mu, sd = Ft.mean(0), Ft.std(0) + 1e-6
        lin = LogisticRegression(C=1.0, max_iter=5000).fit((Ft - mu) / sd, zt["label"])
        s = lin.decision_function((Fv - mu) / sd)
        res[name] = {"dims": Ft.shape[1], "sentence_auroc": roc_auc_score(zv["label"], s),
                     "doc_auroc": doc_auroc(docs_v, zv["owner"], s)}
        log(name, json.dumps({k_: round(v, 4) for k_, v in res[name].items()}))
    write_json(os.path.join(WORK, "transfer_probe_layers.json"), res)


def zeroshot(a):
    from engine_cli import score_cli
    from evaluate import LODO_DOMAINS, lm_sums
    docs_v = detector_docs(assign_splits(load_all()))[1]
    # the pretrained LM (train/work/lm.pt): its next-token head is still a language model
    lp, ent, var, lrank, n = lm_sums(docs_v).T
    n1 = np.maximum(n, 1)
    zs = {"logprob": lp / n1, "entropy": ent / n1, "logrank": lrank / n1,
          "fastdetect": (lp + ent) / np.sqrt(np.maximum(var, 1e-9))}
    y = np.array([d["label"] for d in docs_v])
    combos = {"engine": [], "engine + fastdetect": ["fastdetect"], "engine + all four": list(zs)}
    models = [("main", os.path.join(ROOT, "models", "telltale-small.ttm"))] + \
             [(f"lodo_{d}", os.path.join(WORK, f"lodo_{d}.ttm")) for d in LODO_DOMAINS]
    res = {}
    for tag, path in models:
        sc = np.array([r["score"] if r.get("score") is not None else np.nan
                       for r in score_cli(path, [d["text"] for d in docs_v])])
        ok = ~np.isnan(sc) & (n > 0)
        L = np.log(np.clip(sc, 1e-6, 1 - 1e-6) / (1 - np.clip(sc, 1e-6, 1 - 1e-6)))
        for name, extra in combos.items():
            F_ = np.c_[[L] + [zs[e] for e in extra]].T
            if tag == "main":
                idx = np.where(ok)[0]
                res.setdefault(tag, {})[name] = {"cv_doc_auroc": cv_doc_auroc(F_[idx], y[idx], C=1.0)}
            else:
                out = np.array([left_out(d, tag[5:], None) for d in docs_v])
                tr, te = ok & ~out, ok & out
                mu, sd = F_[tr].mean(0), F_[tr].std(0) + 1e-9
                m = LogisticRegression(C=1.0, max_iter=3000).fit((F_[tr] - mu) / sd, y[tr])
                res.setdefault(tag, {})[name] = {"left_out_doc_auroc": roc_auc_score(y[te], m.decision_function((F_[te] - mu) / sd)),
                                                 "weights": [round(float(w), 3) for w in m.coef_[0]]}
            log(tag, name, json.dumps(res[tag][name]))
    for e, v in zs.items():  # each statistic alone on each LODO domain, higher = more machine-like
        for d in LODO_DOMAINS:
            sel = np.array([left_out(x, d, None) for x in docs_v]) & (n > 0)
            res.setdefault("zero_shot_alone_left_out_doc_auroc", {}).setdefault(e, {})[d] = roc_auc_score(y[sel], v[sel])
    log(json.dumps(res["zero_shot_alone_left_out_doc_auroc"]))
    write_json(os.path.join(WORK, "transfer_probe_zeroshot.json"), res)


def ood(a):
    torch.set_num_threads(a.threads)
    top, lm, _, _, docs_v, zt, zv = setup(a.finetuned, f"lodo_{a.domain}")
    d = lm.c.d_model
    kept, _ = drop_domain(zt, a.domain)
    Xt = mean_token_states(top, kept)
    mu, P = Xt.mean(0), np.linalg.inv(np.cov(Xt.T) + 1e-3 * np.eye(d))
    u, dm = by_document(mean_token_states(top, zv), zv["owner"])
    d2 = np.einsum("ij,jk,ik->i", dm - mu, P, dm - mu)
    lab = np.array([docs_v[o]["label"] for o in u])
    out = np.array([left_out(docs_v[o], a.domain, None) for o in u])
    thr = np.percentile(d2[~out], 95)
    doms = np.array([docs_v[o]["domain"] for o in u])
    r = {"domain": a.domain, "auroc_left_out_vs_seen": roc_auc_score(out, d2),
         "auroc_left_out_vs_seen_human": roc_auc_score(out[lab == 0], d2[lab == 0]),
         "left_out_beyond_seen_95th_percentile": float((d2[out] > thr).mean()),
         "median_distance_by_domain": {x: round(float(np.median(d2[doms == x])), 1) for x in sorted(set(doms))}}
    log(json.dumps(r))
    write_json(os.path.join(WORK, f"transfer_probe_ood_{a.domain}.json"), r)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--finetuned", default=os.path.join(WORK, "gpu_ft"), help="finetune.py's output folder")
    ap.add_argument("--threads", type=int, default=2)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("adversarial")
    p.add_argument("--domain", required=True)
    p.add_argument("--lam", type=float, default=0.5, help="the adversary's weight (0: the control run)")
    p.add_argument("--minutes", type=float, default=12)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--eval-every", type=int, default=150)
    p.add_argument("--extra-human", metavar="SOURCES", default=None,
                   help="add the sentences of these held-out corpus sources (comma-separated, e.g. reddit; "
                   "train/work/corpus_full_val.jsonl, texts the LM never trained on) to the human train sentences")
    sub.add_parser("head")
    sub.add_parser("zeroshot")
    sub.add_parser("layers")
    p = sub.add_parser("ood")
    p.add_argument("--domain", required=True)
    a = ap.parse_args()
    {"adversarial": adversarial, "head": head, "zeroshot": zeroshot, "ood": ood, "layers": layers}[a.cmd](a)


if __name__ == "__main__":
    main()
