"""telltale's transformer in PyTorch: a GPT-2-style pre-norm decoder (docs/model-format.md).

`export_tensors()` gives the model file's tensors (int8 per-row weights + float norms/biases) and
`load_dequantized()` puts the dequantized int8 weights back, so golden outputs are computed with
exactly the weights the C engine sees.
"""
import contextlib
import math
from dataclasses import dataclass, asdict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    vocab_size: int = 8192
    d_model: int = 192
    n_layers: int = 4
    n_heads: int = 4
    d_ff: int = 768
    context: int = 128
    norm_eps: float = 1e-5
    bos_id: int = 8191

    def to_json(self):
        return asdict(self)


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.ln1 = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        self.qkv = nn.Linear(c.d_model, 3 * c.d_model)
        self.proj = nn.Linear(c.d_model, c.d_model)
        self.ln2 = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        self.fc = nn.Linear(c.d_model, c.d_ff)
        self.fc_proj = nn.Linear(c.d_ff, c.d_model)

    def forward(self, h, mask):
        # h: [B, T, d]
        B, T, d = h.shape
        nh = self.c.n_heads
        hs = d // nh
        q, k, v = self.qkv(self.ln1(h)).split(d, dim=2)
        q = q.view(B, T, nh, hs).transpose(1, 2)  # [B, nh, T, hs]
        k = k.view(B, T, nh, hs).transpose(1, 2)
        v = v.view(B, T, nh, hs).transpose(1, 2)
        if h.is_cuda and hasattr(F, "scaled_dot_product_attention"):  # fused kernel on a GPU (torch ≥ 2)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hs)  # [B, nh, T, T]
            y = att.masked_fill(mask[:T, :T], float("-inf")).softmax(-1) @ v
        y = y.transpose(1, 2).reshape(B, T, d)
        h = h + self.proj(y)
        h = h + self.fc_proj(F.gelu(self.fc(self.ln2(h)), approximate="tanh"))
        return h


class GPT(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.c = c
        self.tok_emb = nn.Embedding(c.vocab_size, c.d_model)
        self.pos_emb = nn.Embedding(c.context, c.d_model)
        self.blocks = nn.ModuleList([Block(c) for _ in range(c.n_layers)])
        self.ln_f = nn.LayerNorm(c.d_model, eps=c.norm_eps)
        mask = torch.triu(torch.ones(c.context, c.context, dtype=torch.bool), diagonal=1)
        self.register_buffer("mask", mask, persistent=False)
        self.apply(self._init)
        for b in self.blocks:  # GPT-2's scaled init of residual projections
            nn.init.normal_(b.proj.weight, std=0.02 / math.sqrt(2 * c.n_layers))
            nn.init.normal_(b.fc_proj.weight, std=0.02 / math.sqrt(2 * c.n_layers))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def states(self, ids, n_blocks=None):
        """ids: [B, T] (T ≤ context) → the residual stream after the first n_blocks blocks (all
        when None), [B, T, d]."""
        T = ids.shape[1]
        h = self.tok_emb(ids) + self.pos_emb.weight[:T]
        for b in self.blocks[:n_blocks]:
            h = b(h, self.mask)
        return h

    def hidden(self, ids):
        """ids: [B, T] (T ≤ context) → final hidden states after ln_f, [B, T, d]."""
        return self.ln_f(self.states(ids))

    def logits(self, hidden):
        return hidden @ self.tok_emb.weight.t()  # tied head, [B, T, V]

    def forward(self, ids, targets=None):
        hid = self.hidden(ids)
        logits = self.logits(hid)
        if targets is None:
            return logits
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1)
        return logits, loss


def autocast(device):
    """bf16 autocast on a CUDA device ("cuda" or a torch.device); plain fp32 on the CPU (torch 1.13 here)."""
    if torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def quantize_rows(w: np.ndarray):
    """Symmetric per-row int8: w ≈ scale[:, None] * q (docs/model-format.md)."""
    w = np.asarray(w, dtype=np.float32)
    amax = np.abs(w).max(axis=1)
    scale = np.where(amax > 0, amax / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(w / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def _linear_names(m: GPT):
    """(file name prefix, nn.Linear) for every int8 linear layer."""
    out = []
    for i, b in enumerate(m.blocks):
        p = f"blocks.{i}."
        out += [(p + "attn.qkv", b.qkv), (p + "attn.proj", b.proj),
                (p + "mlp.fc", b.fc), (p + "mlp.proj", b.fc_proj)]
    return out


def export_tensors(m: GPT):
    """The transformer's tensors as the model file stores them: {name: numpy array}."""
    t = {}
    f32 = lambda x: x.detach().cpu().numpy().astype(np.float32)
    q, s = quantize_rows(f32(m.tok_emb.weight))
    t["tok_emb"], t["tok_emb.scale"] = q, s
    t["pos_emb"] = f32(m.pos_emb.weight)
    for i, b in enumerate(m.blocks):
        p = f"blocks.{i}."
        t[p + "ln1.weight"], t[p + "ln1.bias"] = f32(b.ln1.weight), f32(b.ln1.bias)
        t[p + "ln2.weight"], t[p + "ln2.bias"] = f32(b.ln2.weight), f32(b.ln2.bias)
    for name, lin in _linear_names(m):
        q, s = quantize_rows(f32(lin.weight))
        t[name + ".weight"], t[name + ".scale"], t[name + ".bias"] = q, s, f32(lin.bias)
    t["ln_f.weight"], t["ln_f.bias"] = f32(m.ln_f.weight), f32(m.ln_f.bias)
    return t


@torch.no_grad()
def load_dequantized(m: GPT):
    """Replace every int8-stored weight by its dequantized value (what the C engine computes with)."""
    for lin in [m.tok_emb] + [l for _, l in _linear_names(m)]:
        q, s = quantize_rows(lin.weight.detach().cpu().numpy())
        lin.weight.copy_(torch.from_numpy(q.astype(np.float32) * s[:, None]))
    return m


@torch.no_grad()
def mean_final_states(m: GPT, seqs, batch=256):
    """seqs: token-id lists, each [BOS] + a sentence's tokens (≤ context) → [n, d] float32: the mean
    final hidden state over each sequence's tokens, BOS excluded (the detector's raw sentence feature),
    computed in padded batches of similar length."""
    X = np.zeros((len(seqs), m.c.d_model), np.float32)
    order = np.argsort([len(x) for x in seqs], kind="stable")
    for k in range(0, len(seqs), batch):
        bi = order[k:k + batch]
        L = max(len(seqs[i]) for i in bi)
        x = torch.zeros(len(bi), L, dtype=torch.long)
        mask = torch.zeros(len(bi), L)
        for j, i in enumerate(bi):
            x[j, :len(seqs[i])] = torch.tensor(seqs[i])
            mask[j, 1:len(seqs[i])] = 1
        h = m.hidden(x)                                                   # [B, L, d]
        X[bi] = ((h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)).numpy()
    return X


@torch.no_grad()
def token_stats(logits, ids):
    """Per-token LM statistics for ids[1:] given the prefix (docs/model-format.md).

    logits: [T, V], ids: [T] → dict of [T-1] arrays: logprob, rank, entropy, var."""
    lp = torch.log_softmax(logits[:-1].double(), dim=-1)
    nxt = ids[1:]
    obs = lp.gather(1, nxt[:, None])[:, 0]
    p = lp.exp()
    ent = -(p * lp).sum(-1)
    var = (p * lp * lp).sum(-1) - ent * ent
    obs_logit = logits[:-1].gather(1, nxt[:, None])
    rank = 1 + (logits[:-1] > obs_logit).sum(-1)
    return {"logprob": obs.float().numpy(), "rank": rank.numpy().astype(np.int32),
            "entropy": ent.float().numpy(), "var": var.float().numpy()}
