"""Writes the small seed models of tests/fuzz/corpus/model/ (run from the repository root:
/usr/bin/python3 tests/fuzz/make_seeds.py). Small seeds keep each fuzzing run fast and let mutations
reach every field; the full fixtures tests/fixtures/tiny*.ttm are added to the corpus by
tests/fuzz/run.sh and to the regression test by CMakeLists.txt.

  lm.ttm        the smallest complete LM: vocab 261 (256 bytes, 4 merges, BOS), d 4, 1 layer,
                1 head, d_ff 8, context 4
  detector.ttm  the same LM with a detector section (n_ref 3, phi_hidden 4, phi_dim 2) and calibration
  bytes.ttm     a byte-only tokenizer (n_merges 0, tokenizer.merges of shape [0, 2])
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "train"))
from ttm import quantize_rows, write_ttm  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "corpus", "model")


def lm(rng, merges, d=4, f=8, ctx=4):
    V = 256 + len(merges) + 1
    meta = {"format": "telltale-model", "version": 1, "name": "fuzz-seed", "created": "2026-11-26",
            "model": {"vocab_size": V, "d_model": d, "n_layers": 1, "n_heads": 1, "d_ff": f,
                      "context": ctx, "norm_eps": 1e-5, "bos_id": V - 1},
            "tokenizer": {"type": "byte-bpe", "pretokenizer": "telltale-v1", "n_merges": len(merges),
                          "max_chunk": 8}}
    t = {}

    def lin(name, o, i):
        q, s = quantize_rows(rng.standard_normal((o, i)).astype(np.float32))
        t[name + ".weight"], t[name + ".scale"] = q, s
        t[name + ".bias"] = (0.1 * rng.standard_normal(o)).astype(np.float32)

    q, s = quantize_rows(rng.standard_normal((V, d)).astype(np.float32))
    t["tok_emb"], t["tok_emb.scale"] = q, s
    t["pos_emb"] = (0.1 * rng.standard_normal((ctx, d))).astype(np.float32)
    for n in ("ln1", "ln2"):
        t[f"blocks.0.{n}.weight"] = np.ones(d, np.float32)
        t[f"blocks.0.{n}.bias"] = np.zeros(d, np.float32)
    lin("blocks.0.attn.qkv", 3 * d, d)
    lin("blocks.0.attn.proj", d, d)
    lin("blocks.0.mlp.fc", f, d)
    lin("blocks.0.mlp.proj", d, f)
    t["ln_f.weight"] = np.ones(d, np.float32)
    t["ln_f.bias"] = np.zeros(d, np.float32)
    t["tokenizer.merges"] = np.array(merges, np.int32).reshape(len(merges), 2)
    return meta, t


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(7)
    merges = [(ord("t"), ord("h")), (256, ord("e")), (ord(" "), 257), (ord("a"), ord("n"))]
    meta, t = lm(rng, merges)
    write_ttm(os.path.join(OUT, "lm.ttm"), meta, t)

    meta, t = lm(rng, [])
    write_ttm(os.path.join(OUT, "bytes.ttm"), meta, t)

    meta, t = lm(rng, merges)
    d, h, p, n = 4, 4, 2, 3
    meta["detector"] = {"feature": "final", "max_tokens": 6, "phi_hidden": h, "phi_dim": p, "epsilon": 0.1,
                        "sigma": 2.0, "sigma0": 0.5, "n_ref": n, "ref_kxx_mean": 0.3, "min_words": 2}
    meta["calibration"] = {"sentence": {"a": 2.0, "b": -1.0},
                           "document": {"features": ["sent_mean", "mmd2", "logprob", "entropy", "fastdetect"],
                                        "mean": [0.5, 0.0, -5.0, 4.0, -4.0], "std": [0.2, 0.1, 0.3, 0.1, 1.0],
                                        "weights": [1.0, 0.5, -0.5, 0.5, -0.5], "bias": 0.0},
                           "thresholds": {"human_below": 0.35, "machine_above": 0.8}}
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    t.update({"detector.fc1.weight": f32(h, d), "detector.fc1.bias": f32(h),
              "detector.ln.weight": np.ones(h, np.float32), "detector.ln.bias": np.zeros(h, np.float32),
              "detector.fc2.weight": f32(p, h), "detector.fc2.bias": f32(p),
              "detector.ref_raw": f32(n, d), "detector.ref_phi": f32(n, p)})
    write_ttm(os.path.join(OUT, "detector.ttm"), meta, t)


if __name__ == "__main__":
    main()
