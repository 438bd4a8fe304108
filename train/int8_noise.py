"""How far the engine's hidden states are from fp32, and whether that is int8 activation noise or a bug
(the tolerance `npm run bench` checks onnxruntime against, bench/bench.mjs).

  python3 train/int8_noise.py [--model models/telltale-small.ttm] [--text README.md]
  python3 train/int8_noise.py --detection [--docs 5000]

One context window (BOS + 127 tokens of the text) through three forward passes of the same
dequantized int8 weights: the engine (wasm/telltale.mjs, bit-identical to native), PyTorch in fp32
(what onnxruntime computes), and PyTorch with the engine's per-row int8 quantization of every
linear layer's input emulated (src/kernels.c tt_quantize_rows_ref). If the engine is right, it sits
close to the emulation and both sit equally far from fp32.

--detection asks whether that noise costs detection: the validation documents' sentences (at most 10
each, as detector.py splits them) through the same weights with fp32 activations, with the engine's
per-row int8 activations emulated, and with finer int8 activations (one scale per block of 32), each
scored by the model's linear head (`ce`, which carries the document score); sentence and document
(mean `ce`) AUROC for each.
"""
import argparse
import json
import os
import subprocess

import numpy as np
import torch

from common import ROOT
from make_test_detector import load_model
from model import mean_final_states, quantize_rows

ENGINE = """
import { createDetector } from %s;
import { readFileSync } from 'node:fs';
const det = await createDetector({ model: %s });
const ids = det.tokenize(readFileSync(%s, 'utf8')).ids.subarray(0, %d);
const all = new Int32Array(ids.length + 1); all[0] = %d; all.set(ids, 1);
process.stdout.write(JSON.stringify({ ids: Array.from(all), hidden: Array.from(det.forward(all, { stats: false }).hidden) }));
"""


def int8_rows(x):
    """The engine's activation quantization (model.quantize_rows, as for the weights, per row of the
    last dimension), dequantized: what a linear layer of the engine multiplies."""
    q, scale = quantize_rows(x.reshape(-1, x.shape[-1]).numpy())
    return torch.from_numpy(q.astype(np.float32) * scale[:, None]).view_as(x)


def int8_blocks(x, block):
    """int8_rows with one scale per block of `block` values of the last dimension instead of per row."""
    xb = x.reshape(-1, x.shape[-1] // block, block)
    s = xb.abs().amax(-1, keepdim=True) / 127
    s = torch.where(s > 0, s, torch.ones_like(s))
    return (torch.clamp(torch.round(xb / s), -127, 127) * s).view_as(x)


class linear_inputs:
    """with linear_inputs(f): every nn.Linear multiplies f(its input) (f None: unchanged)."""
    def __init__(self, f):
        self.f, self.plain = f, torch.nn.Linear.forward

    def __enter__(self):
        if self.f:
            plain, f = self.plain, self.f
            torch.nn.Linear.forward = lambda lin, x: plain(lin, f(x))

    def __exit__(self, *exc):
        torch.nn.Linear.forward = self.plain


def detection(model_path, n_docs):
    from sklearn.metrics import roc_auc_score
    from data import assign_splits, load_all
    from detector import detector_docs, sentence_ids
    _, t, m, tok, cfg = load_model(model_path)
    w = t["detector.ce.weight"].astype(np.float32).reshape(-1)
    b = float(t["detector.ce.bias"][0])
    recs = load_all()
    assign_splits(recs)
    docs = detector_docs(recs)[1]
    docs = [docs[i] for i in sorted(np.random.default_rng(0).permutation(len(docs))[:n_docs])]
    ids, owner = sentence_ids(tok, cfg.bos_id, [r["text"] for r in docs], False, 10)
    y_doc = np.array([r["label"] for r in docs])
    n_per = np.bincount(owner, minlength=len(docs))
    print(f"{len(docs)} validation documents, {len(ids)} sentences")
    for name, f in (("fp32 activations", None), ("int8 per row (engine)", int8_rows),
                    ("int8 per block of 32", lambda x: int8_blocks(x, 32))):
        with linear_inputs(f):
            ce = mean_final_states(m, ids) @ w + b
        doc_ce = np.bincount(owner, ce, len(docs)) / np.maximum(n_per, 1)
        print(f"  {name:24s} sentence AUROC {roc_auc_score(y_doc[owner], ce):.4f}, document (mean ce) AUROC "
              f"{roc_auc_score(y_doc[n_per > 0], doc_ce[n_per > 0]):.4f}", flush=True)


def compare(a, b):
    d = (a - b).abs()
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    return f"mean |Δ| {d.mean():.4f} ({100 * d.mean() / b.abs().mean():.1f} % of mean |h|), max {d.max():.3f}, min cosine {cos.min():.4f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--text", default=os.path.join(ROOT, "README.md"))
    ap.add_argument("--detection", action="store_true", help="the noise's cost to detection, on validation")
    ap.add_argument("--docs", type=int, default=5000, help="with --detection: at most this many documents")
    a = ap.parse_args()
    if a.detection:
        return detection(a.model, a.docs)
    meta, _, m, _, cfg = load_model(a.model)
    js = ENGINE % (json.dumps(os.path.join(ROOT, "wasm", "telltale.mjs")), json.dumps(os.path.abspath(a.model)),
                   json.dumps(os.path.abspath(a.text)), cfg.context - 1, cfg.bos_id)
    out = json.loads(subprocess.run(["node", "--input-type=module", "-e", js], capture_output=True, text=True,
                                    check=True).stdout)
    ids = torch.tensor(out["ids"], dtype=torch.long)
    engine = torch.tensor(out["hidden"], dtype=torch.float32).view(len(ids), cfg.d_model)
    with torch.no_grad():
        fp32 = m.hidden(ids[None])[0]
        with linear_inputs(int8_rows):
            emulated = m.hidden(ids[None])[0]
    print(f"{os.path.relpath(a.model, ROOT)}, {len(ids)} tokens:")
    print(f"  engine vs fp32:                    {compare(engine, fp32)}")
    print(f"  int8 activations emulated vs fp32: {compare(emulated, fp32)}")
    print(f"  engine vs emulated:                {compare(engine, emulated)}")


if __name__ == "__main__":
    main()
