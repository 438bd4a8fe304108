"""Export a telltale model file's transformer to ONNX (for `npm run bench`: onnxruntime baselines).

    /usr/bin/python3 train/export_onnx.py MODEL.ttm OUT.onnx [--logits] [--check]

Reads MODEL.ttm with train/ttm.py, rebuilds the fp32 PyTorch model of train/model.py with the
*dequantized* int8 weights (q · scale, exactly the weights the C engine multiplies by) and the float
tensors as stored (pos_emb, LayerNorms, biases), and exports with torch.onnx.export:

    input_ids [1, T] int64  →  hidden [1, T, d] float32 (final hidden states, after ln_f)
                               logits [1, T, V] float32 (only with --logits: the tied LM head)

T is a dynamic axis (1 ≤ T ≤ context); the batch axis is dynamic too. The one difference from the C
engine is that the engine also quantizes each linear layer's input to int8 per token (see
tests/c/test_forward.c), so outputs agree to quantization noise, not bit for bit.
--check runs the exported graph's PyTorch module on a random sequence and prints its output shape
(onnxruntime itself is not needed here; the bench checks agreement in Node).
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import GPT, Config  # noqa: E402
from ttm import read_ttm  # noqa: E402


def dequant(tensors, name, prefix=None):
    """int8 tensor `name` times its per-row scale `prefix.scale` (prefix defaults to name)."""
    q = tensors[name].astype(np.float32)
    s = tensors[(prefix or name) + ".scale"].astype(np.float32)
    return torch.from_numpy(q * s[:, None])


def build_model(meta, tensors):
    """The PyTorch GPT of train/model.py holding the model file's (dequantized) weights."""
    cfg = Config(**{k: meta["model"][k] for k in Config.__dataclass_fields__})
    m = GPT(cfg).eval()
    f = lambda n: torch.from_numpy(tensors[n].astype(np.float32))
    with torch.no_grad():
        m.tok_emb.weight.copy_(dequant(tensors, "tok_emb"))
        m.pos_emb.weight.copy_(f("pos_emb"))
        for i, b in enumerate(m.blocks):
            p = f"blocks.{i}."
            b.ln1.weight.copy_(f(p + "ln1.weight")); b.ln1.bias.copy_(f(p + "ln1.bias"))
            b.ln2.weight.copy_(f(p + "ln2.weight")); b.ln2.bias.copy_(f(p + "ln2.bias"))
            for lin, n in [(b.qkv, "attn.qkv"), (b.proj, "attn.proj"), (b.fc, "mlp.fc"), (b.fc_proj, "mlp.proj")]:
                lin.weight.copy_(dequant(tensors, p + n + ".weight", p + n))
                lin.bias.copy_(f(p + n + ".bias"))
        m.ln_f.weight.copy_(f("ln_f.weight")); m.ln_f.bias.copy_(f("ln_f.bias"))
    return m


class Hidden(torch.nn.Module):
    """input_ids [B, T] → final hidden states [B, T, d] (and logits [B, T, V] when with_logits)."""

    def __init__(self, gpt, with_logits):
        super().__init__()
        self.gpt = gpt
        self.with_logits = with_logits

    def forward(self, input_ids):
        h = self.gpt.hidden(input_ids)
        if self.with_logits:
            return h, self.gpt.logits(h)
        return h


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ttm")
    ap.add_argument("out")
    ap.add_argument("--logits", action="store_true", help="also output the LM head's logits")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(1)
    meta, tensors = read_ttm(a.ttm)
    gpt = build_model(meta, tensors)
    mod = Hidden(gpt, a.logits).eval()
    C = gpt.c.context
    example = torch.randint(0, gpt.c.vocab_size, (1, min(16, C)), dtype=torch.long)
    outputs = ["hidden", "logits"] if a.logits else ["hidden"]
    axes = {"input_ids": {0: "batch", 1: "T"}, "hidden": {0: "batch", 1: "T"}}
    if a.logits:
        axes["logits"] = {0: "batch", 1: "T"}
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    tmp = a.out + ".tmp"
    with torch.no_grad():
        torch.onnx.export(mod, (example,), tmp, input_names=["input_ids"], output_names=outputs,
                          dynamic_axes=axes, opset_version=14, do_constant_folding=True)
        if a.check:
            out = mod(torch.randint(0, gpt.c.vocab_size, (1, C), dtype=torch.long))
            print("check:", [tuple(o.shape) for o in (out if isinstance(out, tuple) else (out,))])
    os.replace(tmp, a.out)
    print(f"export_onnx: {a.out} ({os.path.getsize(a.out)} bytes; d={gpt.c.d_model}, layers={gpt.c.n_layers}, "
          f"context={C}, outputs={outputs})")


if __name__ == "__main__":
    main()
