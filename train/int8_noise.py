"""How far the engine's hidden states are from fp32, and whether that is int8 activation noise or a bug
(the tolerance `npm run bench` checks onnxruntime against, bench/bench.mjs).

  python3 train/int8_noise.py [--model models/telltale-small.ttm] [--text README.md]

One context window (BOS + 127 tokens of the text) through three forward passes of the same
dequantized int8 weights: the engine (wasm/telltale.mjs, bit-identical to native), PyTorch in fp32
(what onnxruntime computes), and PyTorch with the engine's per-row int8 quantization of every
linear layer's input emulated (src/kernels.c tt_quantize_rows_ref). If the engine is right, it sits
close to the emulation and both sit equally far from fp32.
"""
import argparse
import json
import os
import subprocess

import numpy as np
import torch

from common import ROOT
from make_test_detector import load_model
from model import quantize_rows

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


def compare(a, b):
    d = (a - b).abs()
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    return f"mean |Δ| {d.mean():.4f} ({100 * d.mean() / b.abs().mean():.1f} % of mean |h|), max {d.max():.3f}, min cosine {cos.min():.4f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--text", default=os.path.join(ROOT, "README.md"))
    a = ap.parse_args()
    meta, _, m, _, cfg = load_model(a.model)
    js = ENGINE % (json.dumps(os.path.join(ROOT, "wasm", "telltale.mjs")), json.dumps(os.path.abspath(a.model)),
                   json.dumps(os.path.abspath(a.text)), cfg.context - 1, cfg.bos_id)
    out = json.loads(subprocess.run(["node", "--input-type=module", "-e", js], capture_output=True, text=True,
                                    check=True).stdout)
    ids = torch.tensor(out["ids"], dtype=torch.long)
    engine = torch.tensor(out["hidden"], dtype=torch.float32).view(len(ids), cfg.d_model)
    with torch.no_grad():
        fp32 = m.hidden(ids[None])[0]
        plain = torch.nn.Linear.forward
        torch.nn.Linear.forward = lambda self, x: plain(self, int8_rows(x))
        try:
            emulated = m.hidden(ids[None])[0]
        finally:
            torch.nn.Linear.forward = plain
    print(f"{os.path.relpath(a.model, ROOT)}, {len(ids)} tokens:")
    print(f"  engine vs fp32:                    {compare(engine, fp32)}")
    print(f"  int8 activations emulated vs fp32: {compare(emulated, fp32)}")
    print(f"  engine vs emulated:                {compare(engine, emulated)}")


if __name__ == "__main__":
    main()
