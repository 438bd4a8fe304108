#!/usr/bin/env python3
"""Adds a detector to the engine's tiny test model (deterministic; run from the repository root):

    /usr/bin/python3 train/make_test_detector.py

Reads  tests/fixtures/tiny.ttm          (train/make_test_model.py)
Writes tests/fixtures/tiny-detector.ttm the same transformer and tokenizer plus
         - seeded random detector tensors (fc1 [32, 64], ln [32], fc2 [16, 32]),
         - reference features of 64 "human" sentences (train/make_test_model.py's sentence
           generator, seed below) run through the tiny model in PyTorch with the dequantized int8
           weights (what the C engine computes with),
         - sigma / sigma0 = median pairwise squared distances of the reference features,
         - a calibration block fitted to this toy setting (see calibrate()).
       tests/fixtures/tiny-detector-nolm.ttm  the same without the LM statistics in the calibration,
       tests/fixtures/tiny-detector-null.ttm  the same with a human null (sets of 3, 4, 5 sentences),
       tests/fixtures/detector_golden.json  known-good outputs for tests/c/test_detect.c:
         per sentence (tokens, x, phi, score s, probability, LM-stat sums) and for one document
         (its five features and the document probability) and two documents' human-null p-values,
         computed here in float64 from the PyTorch hidden states. The C engine quantizes activations to int8 on the fly, so the C
         test compares with tolerances (documented there).

The tiny detector is not a useful detector: it exists so that the C detector, CLI and wasm build
can be tested end to end on a small committed file.
"""
import json
import os
import random
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_test_model as mtm  # noqa: E402
import mmd_reference  # noqa: E402
import model as tmodel  # noqa: E402
import tokenizer as ttok  # noqa: E402
import ttm  # noqa: E402

SRC = "tests/fixtures/tiny.ttm"
OUT = "tests/fixtures/tiny-detector.ttm"
GOLDEN = "tests/fixtures/detector_golden.json"
# the same detector whose calibration leaves out the LM statistics (the engine then skips the LM head)
OUT_NO_LM = "tests/fixtures/tiny-detector-nolm.ttm"
# the same detector with a human null (calibration.null): toy human sets of NULL_SIZES sentences
OUT_NULL = "tests/fixtures/tiny-detector-null.ttm"
NULL_SIZES, NULL_COUNT = [3, 4, 5], 39
NO_LM_FEATURES = ["sent_mean", "mmd2", "ce_mean"]
SEED = 20261127
MAX_TOKENS, PHI_HIDDEN, PHI_DIM, N_REF, MIN_WORDS, EPS = 24, 32, 16, 64, 5, 0.1
LN_EPS = 1e-5
FEATURES = ["sent_mean", "mmd2", "logprob", "entropy", "fastdetect", "ce_mean"]
# "machine" sentences for the toy calibration: the technical words only, a clear shift
MACHINE_WORDS = """model token window merge tensor kernel detector sentence paragraph human machine text
offline engine quantized attention layer norm weight bias scale vector matrix context stride entropy rank
variance""".split()


def load_model(path):
    meta, t = ttm.read_ttm(path)
    cfg = tmodel.Config(**meta["model"])
    m = tmodel.GPT(cfg)
    deq = lambda name: torch.from_numpy(t[name + ".weight"].astype(np.float32) * t[name + ".scale"][:, None])
    f = lambda name: torch.from_numpy(t[name].astype(np.float32))
    with torch.no_grad():
        m.tok_emb.weight.copy_(torch.from_numpy(t["tok_emb"].astype(np.float32) * t["tok_emb.scale"][:, None]))
        m.pos_emb.weight.copy_(f("pos_emb"))
        for i, b in enumerate(m.blocks):
            p = f"blocks.{i}."
            b.ln1.weight.copy_(f(p + "ln1.weight")); b.ln1.bias.copy_(f(p + "ln1.bias"))
            b.ln2.weight.copy_(f(p + "ln2.weight")); b.ln2.bias.copy_(f(p + "ln2.bias"))
            for lin, name in ((b.qkv, "attn.qkv"), (b.proj, "attn.proj"), (b.fc, "mlp.fc"), (b.fc_proj, "mlp.proj")):
                lin.weight.copy_(deq(p + name)); lin.bias.copy_(f(p + name + ".bias"))
        m.ln_f.weight.copy_(f("ln_f.weight")); m.ln_f.bias.copy_(f("ln_f.bias"))
    tok = ttok.Tokenizer([tuple(r) for r in t["tokenizer.merges"].tolist()], max_chunk=meta["tokenizer"]["max_chunk"],
                         bos_id=cfg.bos_id)
    return meta, t, m.eval(), tok, cfg


class Featurizer:
    def __init__(self, m, tok, cfg, det):
        self.m, self.tok, self.cfg, self.det = m, tok, cfg, det

    @torch.no_grad()
    def sentence(self, text):
        ids_all = self.tok.encode(text.encode("utf-8"))
        ids = [self.cfg.bos_id] + ids_all[:MAX_TOKENS]
        x = torch.tensor([ids], dtype=torch.long)
        hid = self.m.hidden(x)                       # [1, T+1, d]
        logits = self.m.logits(hid)[0]               # [T+1, V]
        st = tmodel.token_stats(logits, torch.tensor(ids, dtype=torch.long))
        H = hid[0, 1:].double().numpy()              # [T, d], BOS excluded
        xr = H.mean(0)
        phi = self.phi(H)
        return {"text": text, "n_tokens": len(ids) - 1, "n_tokens_total": len(ids_all), "x": xr, "phi": phi,
                "logprob": float(np.sum(st["logprob"].astype(np.float64))),
                "entropy": float(np.sum(st["entropy"].astype(np.float64))),
                "var": float(np.sum(st["var"].astype(np.float64)))}

    def phi(self, H):
        d = self.det
        u = H @ d["fc1.weight"].T + d["fc1.bias"]                                # [T, h]
        g = 0.5 * u * (1 + np.tanh(np.sqrt(2 / np.pi) * (u + 0.044715 * u ** 3)))  # GELU (tanh)
        mu = g.mean(1, keepdims=True)
        var = ((g - mu) ** 2).mean(1, keepdims=True)
        ln = (g - mu) / np.sqrt(var + LN_EPS) * d["ln.weight"] + d["ln.bias"]
        return ln.mean(0) @ d["fc2.weight"].T + d["fc2.bias"]                     # [p]


def kernel(xa, pa, xb, pb, sigma, sigma0):
    draw = ((xa[:, None, :] - xb[None, :, :]) ** 2).sum(-1)
    dphi = ((pa[:, None, :] - pb[None, :, :]) ** 2).sum(-1)
    return ((1 - EPS) * np.exp(-dphi / sigma0) + EPS) * np.exp(-draw / sigma)


def offdiag_mean(K):
    n = K.shape[0]
    return (K.sum() - np.trace(K)) / (n * (n - 1))


def human_sentences(seed, n):
    r = random.Random(seed)
    out = []
    while len(out) < n:
        s = mtm.sentence(r)
        s = s[:-1] + "."  # end every sentence with a full stop so the C splitter sees the same units
        if len(s.split()) >= MIN_WORDS and "." not in s[:-1] and "?" not in s and "!" not in s:
            out.append(s)
    return out


def machine_sentences(seed, n):
    r = random.Random(seed)
    out = []
    for _ in range(n):
        ws = [r.choice(MACHINE_WORDS) for _ in range(r.randint(6, 14))]
        out.append((" ".join(ws)).capitalize() + ".")
    return out


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    meta, tensors, m, tok, cfg = load_model(SRC)
    d = cfg.d_model
    g = np.random.default_rng(SEED)
    det = {
        "fc1.weight": g.standard_normal((PHI_HIDDEN, d)).astype(np.float32) / np.sqrt(d),
        "fc1.bias": (0.1 * g.standard_normal(PHI_HIDDEN)).astype(np.float32),
        "ln.weight": (1 + 0.1 * g.standard_normal(PHI_HIDDEN)).astype(np.float32),
        "ln.bias": (0.1 * g.standard_normal(PHI_HIDDEN)).astype(np.float32),
        "fc2.weight": g.standard_normal((PHI_DIM, PHI_HIDDEN)).astype(np.float32) / np.sqrt(PHI_HIDDEN),
        "fc2.bias": (0.1 * g.standard_normal(PHI_DIM)).astype(np.float32),
    }
    det64 = {k: v.astype(np.float64) for k, v in det.items()}
    gce = np.random.default_rng(SEED + 100)  # the linear classifier head (ce_mean feature)
    ce_w = (gce.standard_normal(d) / np.sqrt(d)).astype(np.float32)
    ce_b = np.array([0.1], dtype=np.float32)
    fz = Featurizer(m, tok, cfg, det64)

    ref = [fz.sentence(s) for s in human_sentences(SEED, N_REF)]
    ref_raw = np.stack([r["x"] for r in ref]).astype(np.float32)
    ref_phi = np.stack([r["phi"] for r in ref]).astype(np.float32)
    R, P = ref_raw.astype(np.float64), ref_phi.astype(np.float64)
    dr = ((R[:, None] - R[None]) ** 2).sum(-1)
    dp = ((P[:, None] - P[None]) ** 2).sum(-1)
    iu = np.triu_indices(N_REF, 1)
    sigma, sigma0 = float(np.median(dr[iu])), float(np.median(dp[iu]))
    kxx = kernel(R, P, R, P, sigma, sigma0)
    kxx_mean = float(offdiag_mean(kxx))

    def score(f):
        krow = kernel(R, P, f["x"][None].astype(np.float32).astype(np.float64),
                      f["phi"][None].astype(np.float32).astype(np.float64), sigma, sigma0)[:, 0]
        return kxx_mean - 2 * krow.mean() + 1

    def doc_features(fs):
        Y = np.stack([f["x"] for f in fs]).astype(np.float32).astype(np.float64)
        PY = np.stack([f["phi"] for f in fs]).astype(np.float32).astype(np.float64)
        s = [score(f) for f in fs]
        ntok = sum(f["n_tokens"] for f in fs)
        lp, ent, var = (sum(f[k] for f in fs) for k in ("logprob", "entropy", "var"))
        if len(fs) >= 2:
            mmd2 = offdiag_mean(kxx) + offdiag_mean(kernel(Y, PY, Y, PY, sigma, sigma0)) - 2 * kernel(R, P, Y, PY, sigma, sigma0).mean()
        else:
            mmd2 = s[0] - 1.0  # one sentence: no Kyy pair (as src/detect.c and train/detector.py)
        ce = [float(f["x"].astype(np.float32).astype(np.float64) @ ce_w.astype(np.float64) + float(ce_b[0])) for f in fs]
        return [float(np.mean(s)), float(mmd2), lp / ntok, ent / ntok, (lp + ent) / np.sqrt(max(var, 1e-9)),
                float(np.mean(ce))]

    # ---- toy calibration: held-out human vs "machine" sentences and 4-sentence documents
    hum = [fz.sentence(s) for s in human_sentences(SEED + 1, 40)]
    mac = [fz.sentence(s) for s in machine_sentences(SEED + 2, 40)]
    sh, sm = np.array([score(f) for f in hum]), np.array([score(f) for f in mac])
    allv = np.concatenate([sh, sm])
    a = float(np.sign(sm.mean() - sh.mean())) * 4.0 / float(allv.std())  # higher probability for "machine"
    b = -a * float((sh.mean() + sm.mean()) / 2)
    docs = [doc_features(hum[i:i + 4]) for i in range(0, 40, 4)] + [doc_features(mac[i:i + 4]) for i in range(0, 40, 4)]
    F = np.array(docs)
    mean, std = F.mean(0), F.std(0) + 1e-6
    # weights: the direction that separates the two groups (difference of standardized means)
    Z = (F - mean) / std
    w = Z[10:].mean(0) - Z[:10].mean(0)
    w = w / np.abs(w).sum() * 4.0
    cal = {"sentence": {"a": a, "b": b},
           "document": {"features": FEATURES, "mean": mean.tolist(), "std": std.tolist(), "weights": w.tolist(),
                        "bias": 0.0},
           "thresholds": {"human_below": 0.35, "machine_above": 0.8},
           "fitted_on": "toy: 40 generated vs 40 technical-word sentences (train/make_test_detector.py)",
           "note": "test fixture only; not a real detector"}
    meta = dict(meta)
    meta["name"] = "telltale-test-tiny-detector"
    meta["detector"] = {"feature": "final", "max_tokens": MAX_TOKENS, "phi_hidden": PHI_HIDDEN, "phi_dim": PHI_DIM,
                        "epsilon": EPS, "sigma": sigma, "sigma0": sigma0, "n_ref": N_REF, "ref_kxx_mean": kxx_mean,
                        "min_words": MIN_WORDS}
    meta["calibration"] = cal
    meta["provenance"] = {"data": "sentences generated by train/make_test_model.py's generator",
                          "command": "/usr/bin/python3 train/make_test_detector.py", "git": ""}
    out = dict(tensors)
    for k, v in det.items():
        out["detector." + k] = v
    out["detector.ref_raw"] = ref_raw
    out["detector.ref_phi"] = ref_phi
    out["detector.ce.weight"] = ce_w
    out["detector.ce.bias"] = ce_b
    ttm.write_ttm(OUT, meta, out)
    keep = [FEATURES.index(f) for f in NO_LM_FEATURES]
    meta_nolm = json.loads(json.dumps(meta))
    meta_nolm["calibration"]["document"] = {"features": NO_LM_FEATURES, "mean": [float(mean[i]) for i in keep],
                                            "std": [float(std[i]) for i in keep],
                                            "weights": [float(w[i]) for i in keep], "bias": 0.0}
    ttm.write_ttm(OUT_NO_LM, meta_nolm, out)

    # ---- the human null: MMD-MP statistic (mean s − 1) of sliding windows over toy human sentences
    pool = [score(fz.sentence(s)) for s in human_sentences(SEED + 7, NULL_COUNT + max(NULL_SIZES))]
    rows = [np.sort(np.array([np.mean(pool[i:i + k]) - 1.0 for i in range(NULL_COUNT)], dtype=np.float32))
            for k in NULL_SIZES]
    meta_null = json.loads(json.dumps(meta))
    meta_null["calibration"]["null"] = {"statistic": "mmd2_mp", "sizes": NULL_SIZES, "counts": [NULL_COUNT] * len(NULL_SIZES),
                                        "source": "toy: sliding windows over generated sentences"}
    out_null = dict(out)
    out_null["detector.null_stat"] = np.concatenate(rows)
    ttm.write_ttm(OUT_NULL, meta_null, out_null)

    # ---- goldens
    sig = lambda z: 1 / (1 + np.exp(-z))
    gs = human_sentences(SEED + 3, 3) + machine_sentences(SEED + 4, 2)
    long_s = " ".join(human_sentences(SEED + 5, 4)).replace(".", ",")[:-1] + "."  # > MAX_TOKENS tokens
    gs.append(long_s)
    sents = []
    for s in gs:
        f = fz.sentence(s)
        sc = score(f)
        sents.append({"text": s, "n_tokens": f["n_tokens"], "n_tokens_total": f["n_tokens_total"],
                      "x": [float(v) for v in f["x"]], "phi": [float(v) for v in f["phi"]],
                      "score": float(sc), "prob": float(sig(a * sc + b)),
                      "logprob": f["logprob"], "entropy": f["entropy"], "var": f["var"]})
    doc_sents = human_sentences(SEED + 6, 5)
    feats = doc_features([fz.sentence(s) for s in doc_sents])
    z = sum(wj * (fj - mj) / sj for wj, fj, mj, sj in zip(w, feats, mean, std))
    z_nolm = sum(w[i] * (feats[i] - mean[i]) / std[i] for i in keep)
    null_docs = {}
    for name, ss in (("human", doc_sents), ("machine", machine_sentences(SEED + 8, 5))):
        stat = float(np.mean([score(fz.sentence(x)) for x in ss])) - 1.0
        row = rows[NULL_SIZES.index(5)].astype(np.float64)
        # the C statistic may differ by TOL_SCORE (tests/c/test_detect.c): null values that close may swap sides
        near = int((np.abs(row - stat) <= 0.006).sum())
        null_docs[name] = {"text": " ".join(ss), "mmd2_mp": stat,
                           "p_value": mmd_reference.null_p_value(NULL_SIZES, rows, len(ss), stat),
                           "p_tolerance": near / (NULL_COUNT + 1)}
    golden = {"model": OUT, "sentences": sents,
              "document": {"text": " ".join(doc_sents), "n_sentences": len(doc_sents), "features": dict(zip(FEATURES, feats)),
                           "prob": float(sig(z))},
              "document_no_lm": {"model": OUT_NO_LM, "features": NO_LM_FEATURES, "prob": float(sig(z_nolm))},
              "human_null": {"model": OUT_NULL, "sizes": NULL_SIZES, "count": NULL_COUNT, "documents": null_docs}}
    with open(GOLDEN, "w") as fh:
        json.dump(golden, fh, indent=1)
    print(f"make_test_detector: sigma={sigma:.4g} sigma0={sigma0:.4g} kxx_mean={kxx_mean:.4g} a={a:.4g} b={b:.4g}")
    print(f"  human s mean {sh.mean():.4f}, machine s mean {sm.mean():.4f}; weights {np.round(w, 3).tolist()}")
    print(f"  wrote {OUT} ({os.path.getsize(OUT)} bytes) and {GOLDEN}")


if __name__ == "__main__":
    main()
