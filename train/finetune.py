"""Fine-tuning the LM's top blocks for detection (optional stage of detector.py).

The pretrained LM is split in two: the bottom L−K blocks stay frozen, and their output for every
training and validation sentence is computed once (`prefix_states`, cached); the top K blocks and
ln_f are then fine-tuned with a sentence-level cross-entropy head (mixed generators and attacks, the
train split only, the checkpoint chosen on validation). The MMD-MP kernel is trained afterwards on
the fine-tuned final hidden states (`final_states`), exactly as on the frozen LM's.

Where a GPU is at hand, `python3 train/finetune.py` runs the same fine-tuning on all of the train
split's sentences instead of the detector's sample, for the main detector and every leave-one-out
one, from token ids (`detector.py --write-finetune-set`: the GPU machine needs no corpus and no
tokenizer) through the frozen bottom blocks on the fly; `detector.py --finetune-from` then takes
the blocks it wrote. `--from-model TTM` writes a model file's fine-tuned blocks in the same format
(no training), so a CPU can retrain the shipped file's kernel and calibration on its very blocks.

The leave-one-out runs are the shipped release's four domains and six generators by default;
`--leave-out-generators all` leaves out, one at a time, every generator that has human texts in its
domains (22), `--leave-out-domains none` skips the domains, and `--main-blocks K` skips the main
detector so that a short device budget goes to the leave-out runs alone (K = 4, the shipped run's
choice). A second call with the same --out goes on where the first stopped (--deadline-minutes).

Two options were measured and not used for the shipped model (models/README.md, "What was tried"):
`--sampling stratified` (batches balanced within each domain and generator) and `--mmd-weight W`
(the MMD-MP loss of a deep kernel trained along with the blocks).

The fine-tuned blocks replace the LM's top blocks in the model file, so the C engine computes these
features with no change. Its next-token head is then no longer the pretrained LM's: the detector
drops the LM statistics from its document features when K > 0 (the zero-shot baselines of
evaluate.py use the pretrained LM, train/work/lm.pt).
"""
import argparse
import copy
import glob
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score

from common import WORK, log, write_json
from data import LODO_DOMAINS, domain_list, generators_with_human, left_out, left_out_generators
from mmd import DeepKernel, mmd_loss
from model import autocast


def pad_ids(seqs, width):
    """Id lists ([bos] + ≤ width − 1 tokens each) → ids [N, width] zero-padded, n_tokens [N] (bos not counted)."""
    x = np.zeros((len(seqs), width), dtype=np.int64)
    n = np.zeros(len(seqs), dtype=np.int64)
    for i, e in enumerate(seqs):
        x[i, :len(e)] = e
        n[i] = len(e) - 1
    return x, n


def encode_batch(tok, sents, max_tokens):
    """→ ids [N, 1 + max_tokens] ([bos] + tokens, zero-padded), n_tokens [N]."""
    return pad_ids([[tok.bos_id] + tok.encode(s)[:max_tokens] for s in sents], 1 + max_tokens)


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
        m = (torch.arange(h.shape[1], device=h.device)[None, :] < n_tokens[:, None]).float()
        return h, m

    def logit(self, h, m):
        # final states h [B, T, d], mask m [B, T] → the head on the mean token state [B]
        return self.head(DeepKernel.raw(h, m))[:, 0]

    def forward(self, P, n_tokens):
        return self.logit(*self.hidden(P, n_tokens))


def _batch(z, idx, bottom=None, dev="cpu"):
    """Prefix states of the sentences idx of z → ([B, 1+T, d] float32 on dev, n_tokens [B] on dev):
    the cached ones (z["P"]), or computed from the token ids z["ids"] by the frozen bottom blocks
    (bottom = (lm on dev, number of bottom blocks))."""
    T = 1 + int(z["n_tokens"][idx].max())
    n = torch.from_numpy(z["n_tokens"][idx]).to(dev)
    if "P" in z:
        return torch.from_numpy(z["P"][idx, :T].astype(np.float32)).to(dev), n
    lm, nb = bottom
    with torch.no_grad():
        return lm.states(torch.from_numpy(z["ids"][idx, :T].astype(np.int64)).to(dev), nb).float(), n


@torch.no_grad()
def mean_token_states(top, z, idx=None):
    """Mean final state of the sentences idx of z (prefix states P, n_tokens; all when None) through top's
    blocks → [len(idx), d] float32, in idx's order (the detector's raw sentence feature)."""
    idx = np.arange(len(z["n_tokens"])) if idx is None else idx
    was = top.training
    top.eval()
    X = np.zeros((len(idx), top.head.in_features), np.float32)
    for b in length_batches(z["n_tokens"][idx], 512):
        X[b] = DeepKernel.raw(*top.hidden(*_batch(z, idx[b]))).numpy()
    top.train(was)
    return X


@torch.no_grad()
def _scores(top, z, idx, bottom=None, dev="cpu"):
    top.eval()
    s = np.zeros(len(idx))
    for b in length_batches(z["n_tokens"][idx], 512):
        s[b] = top(*_batch(z, idx[b], bottom, dev)).float().cpu().numpy()
    top.train()
    return s


@torch.no_grad()
def _kernel_features(top, kern, z, idx, bottom=None, dev="cpu"):
    """Kernel inputs (x [n, d], φ [n, out], float32 on dev) of the sentences idx of z, in idx's order."""
    top.eval()
    order, xs, ps = [], [], []
    for b in length_batches(z["n_tokens"][idx], 512):
        with autocast(dev):
            h, m = top.hidden(*_batch(z, idx[b], bottom, dev))
        x, p = kern.features(h.float(), m)  # the kernel in float32
        order.append(b)
        xs.append(x)
        ps.append(p)
    top.train()
    inv = torch.from_numpy(np.argsort(np.concatenate(order))).to(dev)
    return torch.cat(xs)[inv], torch.cat(ps)[inv]


def _kernel_scores(top, kern, z, idx, ref, bottom=None, dev="cpu"):
    """MMD-MP witness score of the sentences idx of z: −mean_i k(ref_i, y), ref = (x, φ) of human
    train sentences (the single-instance score up to constants)."""
    with torch.no_grad():
        return (-kern.k(*ref, *_kernel_features(top, kern, z, idx, bottom, dev)).mean(0)).cpu().numpy()


def domain_mean_auroc(zv, vidx, top, bottom, dev):
    """Mean over domains (with both classes among vidx) of the head's sentence AUROC within the
    domain: how well it separates human from machine where the domain itself says nothing."""
    with autocast(dev):
        s = _scores(top, zv, vidx, bottom, dev)
    y, d = zv["label"][vidx], zv["domain"][vidx]
    aucs = [roc_auc_score(y[d == x], s[d == x]) for x in sorted(set(d)) if len(set(y[d == x])) == 2]
    return float(np.mean(aucs))


def balanced_batches(labels, batch, rng):
    """Endless random batches of batch/2 human and batch/2 machine sentences (the classes of the
    whole train split are unequal: 3 machine texts to 1 human)."""
    h, m = np.where(labels == 0)[0], np.where(labels == 1)[0]
    while True:
        yield np.concatenate([rng.choice(h, batch // 2), rng.choice(m, batch // 2)])


# machine-only domains of the train split, drawn with the human student essays they answer
STRATUM_OF = {"essay": "student-essay", "argumentative-essay": "student-essay"}


def stratified_batches(z, batch, rng):
    """Endless random batches that hide the train split's domain mix from the model: each stratum
    (a domain; machine-only domains join STRATUM_OF's) gives equal numbers of human and machine
    sentences, and machine sentences are drawn generator by generator (each of the stratum's
    generators equally often). The train split's machine:human ratio runs from 0.9 (writing) to 19
    (truthfulqa), and 1 % of its machine sentences are GPT-2-era continuations; drawn at random, the
    domain itself predicts the label and the rare generators are seldom seen. Strata are drawn with
    weight √(smaller class), so small domains are not repeated hundreds of times."""
    strata = np.array([STRATUM_OF.get(d, d) for d in z["domain"]], dtype=object)
    plan = []
    for s in sorted(set(strata)):
        h = np.where((strata == s) & (z["label"] == 0))[0]
        m = np.where((strata == s) & (z["label"] == 1))[0]
        if len(h) == 0 or len(m) == 0:
            continue  # a stratum without both classes teaches only its domain
        by_gen = [m[z["generator"][m] == g] for g in sorted(set(z["generator"][m]))]
        plan.append((h, by_gen, math.sqrt(min(len(h), len(m)))))
    w = np.array([p[2] for p in plan])
    w /= w.sum()
    half = batch // 2
    while True:
        counts = rng.multinomial(half, w)
        idx = []
        for (h, by_gen, _), c in zip(plan, counts):
            if c == 0:
                continue
            idx.append(rng.choice(h, c))
            gi = rng.integers(0, len(by_gen), c)
            idx += [rng.choice(by_gen[g], int((gi == g).sum())) for g in np.unique(gi)]
        yield np.concatenate(idx)


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


def finetune(lm, k, zt, zv, minutes, seed, batch=128, lr=1e-4, eval_every=200, dev="cpu", balanced=False,
             stratified=False, mmd_weight=0.0):
    """Fine-tunes the top k blocks + ln_f on the train sentences zt (P or ids, n_tokens, label) with a
    cross-entropy head, the learning rate decayed to 0 over the time budget (cosine); checkpoint chosen
    by sentence AUROC on ≤ 3,000 + 3,000 validation sentences of zv.
    Batches: epochs of length-sorted batches, or with balanced=True endless random batches half human,
    half machine, or with stratified=True stratified_batches (zt needs domain and generator). With ids
    instead of P the bottom blocks of lm (on dev) run on the fly.
    mmd_weight > 0 adds mmd_weight × the MMD-MP loss (−MMD²_MP/σ̂ of the batch's human vs machine
    sentences, mmd.py) through a deep kernel trained along, and chooses the checkpoint by that
    kernel's validation sentence AUROC instead of the head's (the kernel itself is not kept:
    detector.py trains its own on the resulting features).
    Returns (state dict of the chosen TopStack without its head, on the CPU; info)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    top = TopStack(lm, k).to(dev)
    bottom = (lm, len(lm.blocks) - k)
    opt = torch.optim.AdamW([{"params": [p for n, p in top.named_parameters() if not n.startswith("head.")], "lr": lr},
                             {"params": top.head.parameters(), "lr": 10 * lr}], weight_decay=0.01)
    y = torch.from_numpy(zt["label"].astype(np.float32)).to(dev)
    vidx = balanced_subset(zv["label"], 3000, rng)
    kern, ref_idx, kern_auc = None, None, None
    if mmd_weight > 0:
        kern = DeepKernel(lm.c.d_model).to(dev)
        opt.add_param_group({"params": kern.parameters(), "lr": 5e-4, "weight_decay": 0.0})
        ref_idx = np.sort(rng.choice(np.where(zt["label"] == 0)[0], 500, replace=False))
    best, dom_auc = (-1.0, None, 0), None
    base = [g["lr"] for g in opt.param_groups]
    per_epoch = math.ceil(len(zt["label"]) / batch)
    t0, step, epoch, done = time.time(), 0, 0, False
    while not done:
        batches = (stratified_batches(zt, batch, rng) if stratified else
                   balanced_batches(zt["label"], batch, rng) if balanced else
                   iter(length_batches(zt["n_tokens"], batch, rng)))
        for idx in batches:
            cosine_lr(opt, base, time.time() - t0, minutes)
            with autocast(dev):
                h, m = top.hidden(*_batch(zt, idx, bottom, dev))
                logit = top.logit(h, m)
            loss = F.binary_cross_entropy_with_logits(logit.float(), y[idx])
            if kern is not None:
                x, p = kern.features(h.float(), m)
                if step == 0:  # median heuristic for both bandwidths, as detector.train_kernel
                    with torch.no_grad():
                        kern.sigma_sqrt.fill_(math.sqrt(max(torch.cdist(x, x).pow(2).median().item(), 1e-3)))
                        kern.sigma0_sqrt.fill_(math.sqrt(max(torch.cdist(p, p).pow(2).median().item(), 1e-3)))
                hu, ma = np.where(zt["label"][idx] == 0)[0], np.where(zt["label"][idx] == 1)[0]
                n = min(len(hu), len(ma))
                hu, ma = torch.from_numpy(hu[:n]).to(dev), torch.from_numpy(ma[:n]).to(dev)
                xx, px, xy, py = x[hu], p[hu], x[ma], p[ma]
                loss = loss + mmd_weight * mmd_loss(kern.k(xx, px, xx, px), kern.k(xy, py, xy, py), kern.k(xx, px, xy, py))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            done = time.time() - t0 >= minutes * 60
            if step % eval_every == 0 or done:
                with autocast(dev):
                    auc = roc_auc_score(zv["label"][vidx], _scores(top, zv, vidx, bottom, dev))
                if kern is not None:
                    ref = _kernel_features(top, kern, zt, ref_idx, bottom, dev)
                    head_auc, auc = auc, roc_auc_score(zv["label"][vidx], _kernel_scores(top, kern, zv, vidx, ref, bottom, dev))
                if auc > best[0]:
                    if kern is not None:
                        kern_auc = (auc, head_auc)
                    best = (auc, {n: v.detach().cpu().clone() for n, v in top.state_dict().items()
                                  if not n.startswith("head.")}, step)
                    dom_auc = domain_mean_auroc(zv, vidx, top, bottom, dev) if "domain" in zv else None
                log(f"  fine-tune epoch {step / per_epoch if balanced or stratified else epoch:.2f} step {step} "
                    f"loss {loss.item():.3f} val sentence AUROC {auc:.4f}"
                    + (f" (kernel; head {head_auc:.4f})" if kern is not None else ""))
            if done or ((balanced or stratified) and step % per_epoch == 0):
                break
        epoch += 1
    log(f"  fine-tune: best val sentence AUROC {best[0]:.4f} at step {best[2]} of {step} "
        f"({step / per_epoch:.1f} epochs of {len(zt['label'])} sentences)")
    return best[1], {"blocks": k, "val_sentence_auroc_ce_head": kern_auc[1] if kern_auc else best[0], "best_step": best[2], "steps": step,
                     "val_sentence_auroc_ce_head_domain_mean": dom_auc, "mmd_weight": mmd_weight,
                     "val_sentence_auroc_joint_kernel": kern_auc and kern_auc[0],
                     "minutes": minutes, "lr": lr, "lr_schedule": "cosine over the time budget", "batch": batch,
                     "train_sentences": int(len(zt["label"])), "epochs": round(step / per_epoch, 2),
                     "batches": ("stratified by domain and generator" if stratified else "balanced random"
                                 if balanced else "length-sorted epochs"), "device": str(dev)}


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
    z = {"P": P, "n_tokens": n_tokens}
    for idx in length_batches(n_tokens, 512):
        h, _ = top.hidden(*_batch(z, idx))
        H[idx, :h.shape[1]] = h.numpy().astype(np.float16)
    mask = (np.arange(max_tokens)[None, :] < n_tokens[:, None]).astype(np.float32)
    H[mask == 0] = 0
    return H, mask


# ---------------------------------------------------------------------------------------------------
# All detectors' fine-tuning in one run (a GPU's work): python3 train/finetune.py --set NPZ ...

def read_set(path):
    """detector.py --write-finetune-set's file → (train, val) dicts of ids [N, 1+64] int64, n_tokens,
    label, domain, generator (names), lm_key, the --extra-human spec its corpus texts came from ("" if none)."""
    f = np.load(path)
    doms, gens = list(f["domains"]), list(f["generators"])
    out = []
    for name in ("train", "val"):
        out.append({"ids": f[name + "_ids"].astype(np.int64), "n_tokens": f[name + "_n_tokens"].astype(np.int64),
                    "label": f[name + "_label"].astype(np.int64),
                    "domain": np.array(doms, dtype=object)[f[name + "_domain"]],
                    "generator": np.array(gens, dtype=object)[f[name + "_generator"]]})
    return out[0], out[1], str(f["lm_key"]), str(f["extra_human"]) if "extra_human" in f.files else ""


def kept(z, exclude_domain, exclude_generator):
    """z without the sentences a leave-one-out run drops (data.left_out)."""
    ok = np.array([not left_out({"domain": d, "label": l, "generator": g}, exclude_domain, exclude_generator)
                   for d, l, g in zip(z["domain"], z["label"], z["generator"])])
    return {k: v[ok] for k, v in z.items()}


def read_finetuned(path, tag):
    """The state and info that main() saved for tag in path (a finetuned_*.npz, or the folder that
    holds them) → (state dict of float32 tensors, info)."""
    files = sorted(glob.glob(os.path.join(path, "finetuned_*.npz"))) if os.path.isdir(path) else [path]
    have = set()
    for fn in files:
        f = np.load(fn)
        if f"{tag}/info" in f.files:
            state = {k.split("/", 1)[1]: torch.from_numpy(f[k].astype(np.float32))
                     for k in f.files if k.startswith(tag + "/") and k != f"{tag}/info"}
            return state, json.loads(str(f[f"{tag}/info"]))
        have |= {k.split("/")[0] for k in f.files}
    raise SystemExit(f"{path} holds no fine-tuned blocks for tag '{tag}' (it has: {', '.join(sorted(have)) or 'none'})")


def bundled_tags(folder):
    """The tags whose blocks folder's finetuned_*.npz files already hold."""
    tags = set()
    for fn in glob.glob(os.path.join(folder, "finetuned_*.npz")):
        tags |= {k.split("/")[0] for k in np.load(fn).files if k.endswith("/info")}
    return tags


def save_bundle(path, results):
    """results {tag: (state, info)} → one npz (float16 weights: the model file stores them as int8)."""
    out = {}
    for tag, (state, info) in results.items():
        out[f"{tag}/info"] = np.array(json.dumps(info))
        for k, v in state.items():
            out[f"{tag}/{k}"] = v.numpy().astype(np.float16)
    np.savez(path, **out)


def blocks_from_model(path, out):
    """`--from-model`: the fine-tuned top blocks of a model file → out/finetuned_main.npz in the format
    main() writes (tag: the file's detector tag), so that `detector.py --finetune-from out` retrains the
    kernel, reference set, head and calibration on exactly the shipped blocks, with no GPU and none of
    the fine-tuning run's files. The file's other blocks and embeddings must be train/work/lm.pt's."""
    from detector import load_lm_model
    from make_test_detector import load_model
    meta, _, m, _, cfg = load_model(path)
    prov = meta.get("provenance") or {}
    k = int(prov.get("lm_top_blocks_finetuned_for_detection") or 0)
    if k == 0:
        raise SystemExit(f"{path}: no blocks of it were fine-tuned for detection, so there are none to take "
                         "(its LM comes in with `pretrain.py --import-model`)")
    lm = load_lm_model()
    if lm.c != cfg:
        raise SystemExit(f"{path} has another architecture ({cfg}) than train/work/lm.pt ({lm.c})")
    own, theirs = lm.state_dict(), m.state_dict()
    bottom = [n for n in own if not n.startswith("blocks.") or int(n.split(".")[1]) < cfg.n_layers - k]
    bottom = [n for n in bottom if not n.startswith("ln_f.") and n != "mask"]
    differ = [n for n in bottom if not torch.allclose(own[n], theirs[n], rtol=0, atol=1e-6)]
    if differ:
        raise SystemExit(f"{path} was made on another LM than train/work/lm.pt ({len(differ)} of its frozen tensors "
                         f"differ, first {differ[0]}); import that file's LM first")
    state = {n: v.detach().clone() for n, v in TopStack(m, k).state_dict().items() if not n.startswith("head.")}
    tag = prov.get("detector_tag") or "main"
    info = {"blocks": k, "exclude_domain": prov.get("excluded_domain"), "exclude_generator": prov.get("excluded_generator"),
            "from_model": os.path.abspath(path), "from_model_git": prov.get("git"),
            "note": "the model file's int8 blocks, dequantized; no fine-tuning was run"}
    os.makedirs(out, exist_ok=True)
    save_bundle(os.path.join(out, f"finetuned_{tag}.npz"), {tag: (state, info)})
    log(f"wrote the top {k} blocks of {path} (tag {tag}) to {os.path.join(out, f'finetuned_{tag}.npz')}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", help="detector.py --write-finetune-set's file (needed unless --from-model)")
    ap.add_argument("--from-model", metavar="TTM",
                    help="write TTM's fine-tuned top blocks to --out in this script's format, then stop (no training)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--blocks", default="2,4", help="candidate numbers of top blocks; the main detector's "
                    "best on validation is used for every leave-one-out detector")
    ap.add_argument("--minutes", type=float, default=1.0, help="budget of the main detector, per candidate")
    ap.add_argument("--leave-out-minutes", type=float, default=0.5)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--out", default=WORK, help="folder for finetuned_*.npz and finetune_runs.json")
    ap.add_argument("--no-leave-out", action="store_true")
    ap.add_argument("--leave-out-generators", default="six", metavar="six|all|none|G1,G2",
                    help="the generators left out one at a time: the shipped release's six, every generator with "
                    "human texts in its domains (22), none, or a list")
    ap.add_argument("--leave-out-domains", default="four", choices=["four", "none"],
                    help="leave each of xsum, writing, squad, pubmed out in turn, or none")
    ap.add_argument("--main-blocks", type=int, default=None, metavar="K",
                    help="no main detector: the leave-one-out runs fine-tune K top blocks (the number the "
                    "shipped run chose, 4), so a device budget goes to them alone")
    ap.add_argument("--sampling", default="balanced", choices=["balanced", "stratified"],
                    help="batches half human, half machine drawn at random (balanced) or per domain and "
                    "generator (stratified_batches)")
    ap.add_argument("--mmd-weight", type=float, default=0.0,
                    help="add this weight × the MMD-MP loss of a deep kernel trained along (finetune())")
    ap.add_argument("--exclude-train-domains", metavar="D1,D2",
                    help="fine-tune every detector without these domains' train sentences (validation keeps them)")
    ap.add_argument("--deadline-minutes", type=float, default=None,
                    help="skip the leave-one-out runs that would end after this many minutes from the start")
    a = ap.parse_args()
    if a.from_model:
        return blocks_from_model(a.from_model, a.out)
    if not a.set:
        ap.error("--set is needed (detector.py --write-finetune-set writes it), or --from-model")
    if a.main_blocks is not None and a.no_leave_out:
        ap.error("--main-blocks skips the main detector and --no-leave-out the leave-one-out ones: nothing would run")
    t_start = time.time()
    from detector import load_lm_model, lm_key
    zt_all, zv_all, key, extra_human = read_set(a.set)
    try:
        logo = left_out_generators(a.leave_out_generators,
                                   generators_with_human(zip(zt_all["domain"], zt_all["label"], zt_all["generator"])))
    except ValueError as e:
        ap.error(f"--leave-out-generators: {a.set} has {e}")
    if key != lm_key():
        raise SystemExit(f"{a.set} was made with another LM ({key}) than train/work/lm.pt ({lm_key()})")
    if a.exclude_train_domains:  # e.g. the essay sets that have no human texts (models/README.md)
        try:
            drop = domain_list(a.exclude_train_domains, zt_all["domain"])
        except ValueError as e:
            ap.error(f"--exclude-train-domains: {a.set} has {e}")
        ok = ~np.isin(zt_all["domain"], sorted(drop))
        log(f"--exclude-train-domains: {int((~ok).sum())} train sentences dropped")
        zt_all = {k: v[ok] for k, v in zt_all.items()}
    lm = load_lm_model().to(a.device)  # the bottom blocks run under no_grad (_batch)
    os.makedirs(a.out, exist_ok=True)
    log_path = os.path.join(a.out, "finetune_runs.json")
    runs = json.load(open(log_path)) if os.path.exists(log_path) else {}  # a second call adds to it

    def run(tag, k, minutes, exclude_domain=None, exclude_generator=None):
        zt, zv = (kept(z, exclude_domain, exclude_generator) for z in (zt_all, zv_all))
        log(f"{tag}: {k} blocks, {minutes} min, {len(zt['label'])} train sentences")
        state, info = finetune(lm, k, zt, zv, minutes, seed=0, batch=a.batch, lr=a.lr, dev=a.device,
                               balanced=a.sampling == "balanced", stratified=a.sampling == "stratified",
                               mmd_weight=a.mmd_weight)
        info.update(exclude_domain=exclude_domain, exclude_generator=exclude_generator,
                    exclude_train_domains=a.exclude_train_domains, extra_human=extra_human or None)
        runs[tag] = info
        write_json(log_path, runs)
        return state, info

    if a.main_blocks is None:
        cands = {k: run(f"main_k{k}", k, a.minutes) for k in (int(x) for x in a.blocks.split(","))}
        best_k = max(cands, key=lambda k: cands[k][1]["val_sentence_auroc_ce_head"])
        log(f"main detector: {best_k} blocks (validation CE-head AUROC "
            + ", ".join(f"{k}: {v[1]['val_sentence_auroc_ce_head']:.4f}" for k, v in cands.items()) + ")")
        save_bundle(os.path.join(a.out, "finetuned_main.npz"), {"main": cands[best_k]})
    else:
        best_k = a.main_blocks
    if a.no_leave_out:
        return
    jobs = [(f"lodo_{d}", {"exclude_domain": d}) for d in (LODO_DOMAINS if a.leave_out_domains == "four" else [])] + \
           [(f"logo_{g}", {"exclude_generator": g}) for g in logo]
    done = bundled_tags(a.out)  # a second call with the same --out goes on where the first stopped
    if done & {t for t, _ in jobs}:
        log(f"already in {a.out}, not run again: {', '.join(t for t, _ in jobs if t in done)}")
    jobs = [(t, ex) for t, ex in jobs if t not in done]
    n = len(glob.glob(os.path.join(a.out, "finetuned_leave_out_*.npz")))
    for b in range(0, len(jobs), 4):  # ≤ 4 detectors per file (3.5 MB each with 4 blocks)
        res = {}
        for tag, ex in jobs[b:b + 4]:
            if a.deadline_minutes and (time.time() - t_start) / 60 + a.leave_out_minutes + 0.2 > a.deadline_minutes:
                log(f"{tag}: skipped, it would end after the {a.deadline_minutes}-minute deadline")
                continue
            res[tag] = run(tag, best_k, a.leave_out_minutes, **ex)
            save_bundle(os.path.join(a.out, f"finetuned_leave_out_{n + b // 4}.npz"), res)


if __name__ == "__main__":
    main()
