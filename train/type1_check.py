"""How often the permutation test (the engine's test for models without a human null; the shipped
model's test before train/null_table.py) calls human text "different" (type-I error at α = 0.05),
on validation human text, with the detector's own reference set (train-split sentences) and with
500 validation human sentences from other texts instead — models/README.md, "Evaluation".

  python3 train/type1_check.py --tag logo_gpt-4 [--sets pooled|one-text] [--n-sets 150]

pooled: 10 sentences drawn at random from many human texts (as evaluate.py draws its pooled sets);
one-text: the first 10 sentences of one human text (what a user pastes). The statistic and the
200-permutation p-value are those of the engine's permutation test (src/mmd.c), in NumPy.
Validation only. It needs train/work/detector_<tag>.pt.
"""
import argparse

import numpy as np
import torch

from common import log, work_path
from data import assign_splits, load_all
from detector import detector_docs, embed, finetuned_features, kparams, load_lm, prefix_sets
from finetune import install
from mmd import DeepKernel, np_kernel
from mmd_reference import mmd2_unbiased
from model import load_dequantized


def split_mmd2(K, n):
    """K: pooled kernel matrix whose first n rows/columns are one sample → unbiased MMD²."""
    return mmd2_unbiased(K[:n, :n], K[n:, n:], K[:n, n:])


def perm_p(K, n, permutations, rng):
    stat = split_mmd2(K, n)
    exceed = 0
    for _ in range(permutations):
        q = rng.permutation(K.shape[0])
        exceed += split_mmd2(K[np.ix_(q, q)], n) >= stat - 1e-12
    return (1 + exceed) / (1 + permutations)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", default="main", help="train/work/detector_<tag>.pt (with fine-tuned blocks)")
    ap.add_argument("--sets", choices=["pooled", "one-text"], default="pooled")
    ap.add_argument("--n-sets", type=int, default=150)
    ap.add_argument("--permutations", type=int, default=200)
    a = ap.parse_args()
    det = torch.load(work_path(f"detector_{a.tag}.pt"))
    k = det["finetune_blocks"]
    if not k:
        raise SystemExit(f"detector_{a.tag}.pt has no fine-tuned blocks")
    lm, tok, cfg = load_lm()
    docs_t, docs_v = detector_docs(assign_splits(load_all()))
    _, zv = prefix_sets(lm, tok, docs_t, docs_v, cfg.n_layers - k)
    install(lm, k, det["lm_top"])
    load_dequantized(lm)
    human = np.where(zv["label"] == 0)[0]
    f = finetuned_features(lm, k, {name: v[human] for name, v in zv.items()})
    kern = DeepKernel(f["H"].shape[2], sigma=1.0, sigma0=1.0)
    kern.load_state_dict(det["kernel"])
    x, p = embed(kern, f)
    rng = np.random.default_rng(0)
    texts = rng.permutation(np.unique(f["owner"]))
    ref_texts, test_texts = texts[:len(texts) // 2], texts[len(texts) // 2:]
    held = np.array([rng.choice(np.where(f["owner"] == o)[0]) for o in ref_texts[:500]])
    if a.sets == "pooled":
        pool = np.where(np.isin(f["owner"], test_texts))[0]
        sets = [rng.choice(pool, 10, replace=False) for _ in range(a.n_sets)]
    else:
        sets = [np.where(f["owner"] == o)[0][:10] for o in test_texts if (f["owner"] == o).sum() >= 10][:a.n_sets]
    log(f"detector_{a.tag}: {len(sets)} {a.sets} sets of 10 validation human sentences")
    for name, (xr, pr) in {"train sentences (the model's)": (det["ref_raw"], det["ref_phi"]),
                           "held-out validation human sentences": (x[held], p[held])}.items():
        rejected = []
        for s in sets:
            X, P = np.concatenate([xr, x[s]]), np.concatenate([pr, p[s]])
            rejected.append(perm_p(np_kernel(X, P, X, P, *kparams(kern)), len(xr), a.permutations, rng) < 0.05)
        print(f"reference {name}: type-I error at α = 0.05: {np.mean(rejected):.3f}")


if __name__ == "__main__":
    main()
