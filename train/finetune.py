"""Fine-tuning the LM's top blocks for detection (optional stage of detector.py).

The pretrained LM is split in two: the bottom L−K blocks stay frozen, and their output for every
training and validation sentence is computed once (`prefix_states`, cached); the top K blocks and
ln_f are then fine-tuned with a sentence-level cross-entropy head (mixed generators and attacks, the
train split only, the checkpoint chosen on validation). The MMD-MP kernel is trained afterwards on
the fine-tuned final hidden states (`final_states`), exactly as on the frozen LM's.

The fine-tuned blocks replace the LM's top blocks in the model file, so the C engine computes these
features with no change. Its next-token head is then no longer the pretrained LM's: the detector
drops the LM statistics from its document features when K > 0 (the zero-shot baselines of
evaluate.py use the pretrained LM, train/work/lm.pt).
"""
import copy
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from common import log


def encode_batch(tok, sents, max_tokens):
    """→ ids [N, 1 + max_tokens] ([bos] + tokens, zero-padded), n_tokens [N]."""
    enc = [tok.encode(s)[:max_tokens] for s in sents]
    x = np.zeros((len(enc), 1 + max_tokens), dtype=np.int64)
    n = np.zeros(len(enc), dtype=np.int64)
    x[:, 0] = tok.bos_id
    for i, e in enumerate(enc):
        x[i, 1:1 + len(e)] = e
        n[i] = len(e)
    return x, n


def length_batches(n_tokens, batch, rng=None):
    """Index batches of similar sentence length (less padding); shuffled in order when rng is given."""
    order = np.argsort(n_tokens, kind="stable")
    out = [order[b:b + batch] for b in range(0, len(order), batch)]
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


@torch.no_grad()
def prefix_states(lm, ids, n_tokens, n_bottom, batch=256):
    """Hidden states after the first n_bottom blocks. ids [N, 1+T] → P [N, 1+T, d] float16."""
    N, T1 = ids.shape
    P = np.zeros((N, T1, lm.c.d_model), dtype=np.float16)
    t = time.time()
    for k, idx in enumerate(length_batches(n_tokens, batch)):
        T = 1 + int(n_tokens[idx].max())
        P[idx, :T] = lm.states(torch.from_numpy(ids[idx, :T]), n_bottom).numpy().astype(np.float16)
        if k % 50 == 0:
            log(f"  prefix states {min((k + 1) * batch, N)}/{N} ({time.time() - t:.0f}s)")
    return P


class TopStack(nn.Module):
    """The top K blocks + ln_f of the LM, run on prefix states; a linear head on the mean token state."""

    def __init__(self, lm, k):
        super().__init__()
        self.blocks = copy.deepcopy(lm.blocks[len(lm.blocks) - k:])
        self.ln_f = copy.deepcopy(lm.ln_f)
        self.register_buffer("mask", lm.mask.clone(), persistent=False)
        self.head = nn.Linear(lm.c.d_model, 1)

    def hidden(self, P, n_tokens):
        # P [B, 1+T, d] prefix states, n_tokens [B] → final states of the tokens [B, T, d], mask [B, T]
        h = P
        for b in self.blocks:
            h = b(h, self.mask)
        h = self.ln_f(h)[:, 1:]  # BOS excluded, as the detector's token features
        m = (torch.arange(h.shape[1])[None, :] < n_tokens[:, None]).float()
        return h, m

    def forward(self, P, n_tokens):
        h, m = self.hidden(P, n_tokens)
        x = (h * m[..., None]).sum(1) / m.sum(1, keepdim=True).clamp(min=1)
        return self.head(x)[:, 0]


def _batch(P, n_tokens, idx):
    T = 1 + int(n_tokens[idx].max())
    return torch.from_numpy(P[idx, :T].astype(np.float32)), torch.from_numpy(n_tokens[idx])


@torch.no_grad()
def _scores(top, P, n_tokens, idx):
    top.eval()
    s = np.zeros(len(idx))
    for b in length_batches(n_tokens[idx], 512):
        s[b] = top(*_batch(P, n_tokens, idx[b])).numpy()
    top.train()
    return s


def balanced_subset(labels, n_each, rng):
    """Sorted indices of ≤ n_each human and ≤ n_each machine sentences drawn without replacement."""
    h, m = np.where(labels == 0)[0], np.where(labels == 1)[0]
    return np.sort(np.concatenate([rng.choice(h, min(n_each, len(h)), replace=False),
                                   rng.choice(m, min(n_each, len(m)), replace=False)]))


def cosine_lr(opt, base, elapsed_s, minutes):
    """Sets each parameter group's learning rate to its base rate decayed to 0 over the time budget
    (cosine)."""
    f = 0.5 * (1 + math.cos(math.pi * min(1.0, elapsed_s / (minutes * 60))))
    for g, b in zip(opt.param_groups, base):
        g["lr"] = b * f


def finetune(lm, k, zt, zv, minutes, seed, batch=128, lr=1e-4, eval_every=200):
    """Fine-tunes the top k blocks + ln_f on the train prefix states zt (P, n_tokens, label) with a
    cross-entropy head, the learning rate decayed to 0 over the time budget (cosine); checkpoint chosen
    by sentence AUROC on ≤ 3,000 + 3,000 validation sentences.
    Returns (state dict of the chosen TopStack without its head, info)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    top = TopStack(lm, k)
    opt = torch.optim.AdamW([{"params": [p for n, p in top.named_parameters() if not n.startswith("head.")], "lr": lr},
                             {"params": top.head.parameters(), "lr": 10 * lr}], weight_decay=0.01)
    y = torch.from_numpy(zt["label"].astype(np.float32))
    vidx = balanced_subset(zv["label"], 3000, rng)
    best = (-1.0, None, 0)
    base = [g["lr"] for g in opt.param_groups]
    t0, step, epoch, done = time.time(), 0, 0, False
    while not done:
        for idx in length_batches(zt["n_tokens"], batch, rng):
            cosine_lr(opt, base, time.time() - t0, minutes)
            P, n = _batch(zt["P"], zt["n_tokens"], idx)
            loss = F.binary_cross_entropy_with_logits(top(P, n), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            done = time.time() - t0 >= minutes * 60
            if step % eval_every == 0 or done:
                auc = roc_auc_score(zv["label"][vidx], _scores(top, zv["P"], zv["n_tokens"], vidx))
                if auc > best[0]:
                    best = (auc, {n: v.clone() for n, v in top.state_dict().items() if not n.startswith("head.")}, step)
                log(f"  fine-tune epoch {epoch} step {step} loss {loss.item():.3f} val sentence AUROC {auc:.4f}")
            if done:
                break
        epoch += 1
    log(f"  fine-tune: best val sentence AUROC {best[0]:.4f} at step {best[2]} of {step} ({epoch} epochs started)")
    return best[1], {"blocks": k, "val_sentence_auroc_ce_head": best[0], "best_step": best[2], "steps": step,
                     "minutes": minutes, "lr": lr, "lr_schedule": "cosine over the time budget", "batch": batch}


def install(lm, k, state):
    """Copies a fine-tuned TopStack state (blocks.i.*, ln_f.*) into the LM's top k blocks."""
    L = len(lm.blocks)
    own = lm.state_dict()
    for name, v in state.items():
        if name.startswith("blocks."):
            i, rest = name[len("blocks."):].split(".", 1)
            own[f"blocks.{L - k + int(i)}.{rest}"] = v
        else:
            own[name] = v
    lm.load_state_dict(own)


@torch.no_grad()
def final_states(lm, k, P, n_tokens, max_tokens):
    """Final hidden states of the (fine-tuned, dequantized) LM from the prefix states.
    → H [N, max_tokens, d] float16, mask [N, max_tokens] float32 (the layout detector.featurize gives)."""
    top = TopStack(lm, k).eval()
    N = len(n_tokens)
    H = np.zeros((N, max_tokens, lm.c.d_model), dtype=np.float16)
    for idx in length_batches(n_tokens, 512):
        h, _ = top.hidden(*_batch(P, n_tokens, idx))
        H[idx, :h.shape[1]] = h.numpy().astype(np.float16)
    mask = (np.arange(max_tokens)[None, :] < n_tokens[:, None]).astype(np.float32)
    H[mask == 0] = 0
    return H, mask
