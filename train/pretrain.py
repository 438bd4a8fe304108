"""Stage 1: human corpus → byte-level BPE → causal LM pretraining (resumable).

Reads only data/corpora (Wikipedia, Reddit, student essays, IMDB reviews, Gutenberg). The
human/machine pair sets are never used for pretraining, so no test-split text (and no evaluation
domain's text) is in the LM. Outputs in $TELLTALE_WORK (train/work/): corpus, merges.json,
token arrays, lm.pt (checkpoint, resumable) and pretrain.json (what was done, with numbers).

  python3 train/pretrain.py [--minutes 35] [--d-model 192] [--layers 4] ...
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from common import WORK, bucket, clean, data_path, log, read_jsonl_gz, text_hash
from model import GPT, Config
from tokenizer import Tokenizer, chunk_counts_of, train_bpe

# bytes of cleaned text taken from each corpus (Gutenberg kept small: old English would teach
# "old-fashioned = human").
SOURCES = {"wikipedia": 14e6, "reddit": 9e6, "student-essays": 9e6, "imdb-reviews": 8e6, "gutenberg": 4e6}


def build_corpus():
    out = {"train": os.path.join(WORK, "corpus_train.jsonl"), "val": os.path.join(WORK, "corpus_val.jsonl")}
    if all(os.path.exists(p) for p in out.values()):
        return out
    seen = set()
    stats = {}
    with open(out["train"] + ".tmp", "w") as ftr, open(out["val"] + ".tmp", "w") as fva:
        for src, budget in SOURCES.items():
            n_bytes = n_docs = n_dup = 0
            for row in read_jsonl_gz(data_path("corpora", f"{src}.jsonl.gz")):
                t = clean(row.get("text") or "")
                if len(t) < 200:
                    continue
                h = text_hash(t[:400])
                if h in seen:
                    n_dup += 1
                    continue
                seen.add(h)
                if src == "gutenberg" or src == "wikipedia":
                    t = t[:20000]  # many documents rather than a few long ones
                rec = json.dumps({"text": t, "source": src})
                (fva if bucket(h) < 1 else ftr).write(rec + "\n")
                n_bytes += len(t)
                n_docs += 1
                if n_bytes >= budget:
                    break
            stats[src] = {"docs": n_docs, "bytes": n_bytes, "duplicates_dropped": n_dup}
            log(f"corpus {src}: {n_docs} docs, {n_bytes / 1e6:.1f} MB, {n_dup} duplicates dropped")
    for p in out.values():
        os.replace(p + ".tmp", p)
    json.dump(stats, open(os.path.join(WORK, "corpus_stats.json"), "w"), indent=1)
    return out


def read_texts(path):
    with open(path) as f:
        return [json.loads(l)["text"] for l in f]


def build_tokenizer(train_texts, vocab_size, max_chunk=32):
    p = os.path.join(WORK, f"merges_{vocab_size}.json")
    if os.path.exists(p):
        return Tokenizer(json.load(open(p)), max_chunk=max_chunk)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(train_texts))
    sample, size = [], 0
    for i in idx:  # ~16 MB sample across all sources
        sample.append(train_texts[i])
        size += len(train_texts[i])
        if size > 16e6:
            break
    t = time.time()
    counts = chunk_counts_of(sample, max_chunk)
    merges = train_bpe(counts, vocab_size - 257, log=log)
    log(f"tokenizer: {len(merges)} merges in {time.time() - t:.0f}s")
    json.dump(merges, open(p, "w"))
    return Tokenizer(merges, max_chunk=max_chunk)


def to_sequences(texts, tok, ctx):
    """Each document → chunks of ctx-1 tokens, each prefixed with BOS; padded with -1."""
    seqs = []
    for t in texts:
        ids = tok.encode(t)
        for s in range(0, len(ids), ctx - 1):
            piece = ids[s:s + ctx - 1]
            if len(piece) < 8:
                continue
            row = np.full(ctx, -1, dtype=np.int32)
            row[0] = tok.bos_id
            row[1:1 + len(piece)] = piece
            seqs.append(row)
    return np.stack(seqs)


def tokens(paths, tok, ctx):
    p = os.path.join(WORK, f"seqs_{tok.vocab_size}_{ctx}.npz")
    if os.path.exists(p):
        z = np.load(p)
        return z["train"], z["val"]
    t = time.time()
    tr = to_sequences(read_texts(paths["train"]), tok, ctx)
    va = to_sequences(read_texts(paths["val"]), tok, ctx)
    np.savez(p, train=tr, val=va)
    log(f"tokenized: {len(tr)} train / {len(va)} val sequences in {time.time() - t:.0f}s")
    return tr, va


@torch.no_grad()
def evaluate(model, val, batch=64, max_seqs=2000):
    model.eval()
    tot, n = 0.0, 0
    for s in range(0, min(len(val), max_seqs), batch):
        x = torch.from_numpy(val[s:s + batch]).long()
        inp = x[:, :-1].clamp(min=0)
        tgt = x[:, 1:]
        logits = model(inp)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt.reshape(-1),
                                                 ignore_index=-1, reduction="sum")
        tot += loss.item()
        n += (tgt >= 0).sum().item()
    model.train()
    return tot / max(n, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=35.0, help="wall-clock training budget (total, across resumes)")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-ff", type=int, default=768)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    paths = build_corpus()
    tok = build_tokenizer(read_texts(paths["train"]), a.vocab)
    train, val = tokens(paths, tok, a.context)
    cfg = Config(vocab_size=tok.vocab_size, d_model=a.d_model, n_layers=a.layers, n_heads=a.heads,
                 d_ff=a.d_ff, context=a.context, bos_id=tok.bos_id)
    model = GPT(cfg)
    n_params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.1)
    ck = os.path.join(WORK, "lm.pt")
    state = {"step": 0, "tokens": 0, "elapsed": 0.0, "history": []}
    if os.path.exists(ck):
        z = torch.load(ck)
        model.load_state_dict(z["model"])
        opt.load_state_dict(z["opt"])
        state = z["state"]
        log(f"resumed at step {state['step']}, {state['elapsed'] / 60:.1f} min done")
    log(f"model: {n_params / 1e6:.2f}M parameters, {len(train)} training sequences")

    budget = a.minutes * 60
    rng = np.random.default_rng(state["step"])
    warm = 200
    est_steps = None
    t_start = time.time() - state["elapsed"]
    last_ck = time.time()

    def save():
        state["elapsed"] = time.time() - t_start
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state,
                    "config": cfg.to_json()}, ck + ".tmp")
        os.replace(ck + ".tmp", ck)

    while True:
        elapsed = time.time() - t_start
        if elapsed >= budget:
            break
        # cosine schedule over the wall-clock budget
        frac = elapsed / budget
        lr = a.lr * min(1.0, (state["step"] + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        x = torch.from_numpy(train[rng.integers(0, len(train), a.batch)]).long()
        inp, tgt = x[:, :-1].clamp(min=0), x[:, 1:]
        _, loss = model(inp, tgt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["tokens"] += int((tgt >= 0).sum())
        if state["step"] % 50 == 0:
            tps = state["tokens"] / max(elapsed, 1e-9)
            log(f"step {state['step']} loss {loss.item():.3f} lr {lr:.2e} {tps:.0f} tok/s "
                f"{elapsed / 60:.1f}/{a.minutes:.0f} min")
        if state["step"] % 500 == 0:
            vl = evaluate(model, val, max_seqs=500)
            state["history"].append({"step": state["step"], "tokens": state["tokens"], "val_loss": vl,
                                     "minutes": elapsed / 60})
            log(f"  val loss {vl:.3f} ppl {math.exp(vl):.1f}")
        if time.time() - last_ck > 180:
            save()
            last_ck = time.time()
    save()
    vl = evaluate(model, val)
    report = {"parameters": n_params, "config": cfg.to_json(), "steps": state["step"],
              "tokens_seen": state["tokens"], "wall_minutes": state["elapsed"] / 60,
              "heldout_loss": vl, "heldout_ppl_per_token": math.exp(vl),
              "train_sequences": int(len(train)), "val_sequences": int(len(val)),
              "history": state["history"]}
    json.dump(report, open(os.path.join(WORK, "pretrain.json"), "w"), indent=1)
    log(f"done: {state['tokens'] / 1e6:.1f}M tokens, held-out ppl {math.exp(vl):.1f}")


if __name__ == "__main__":
    main()
