"""Stage 1: human corpus → byte-level BPE → causal LM pretraining (resumable).

Reads only data/corpora (Wikipedia, Reddit, student essays, IMDB reviews, Gutenberg). The
human/machine pair sets are never used for pretraining, and corpus documents that contain a pair-set
text (train/overlap.py) are dropped, so no test-split text (and no evaluation domain's text) is in
the LM. Outputs in $TELLTALE_WORK (train/work/): corpus, merges.json,
token arrays, lm.pt (checkpoint, resumable) and pretrain.json (what was done, with numbers).

  python3 train/pretrain.py [--minutes 35] [--d-model 192] [--layers 4] ...
  python3 train/pretrain.py --import-npz FILE | --import-model FILE.ttm
"""
import argparse
import io
import json
import lzma
import math
import os
import time

import numpy as np
import torch

from common import WORK, bucket, clean, data_path, log, read_jsonl_gz, text_hash
from model import GPT, Config, autocast
from overlap import Probe, pair_texts
from tokenizer import Tokenizer, chunk_counts_of, train_bpe

# bytes of cleaned text taken from each corpus (Gutenberg kept small: old English would teach
# "old-fashioned = human"). "small" fits the 2-core CPU's budget; "full" takes every modern corpus
# whole, for a run on a GPU. The held-out split (1 % of documents, by text hash) is the same rule in
# both, so the small corpus's validation documents are never training documents of the full one.
CORPORA = {
    "small": {"wikipedia": 14e6, "reddit": 9e6, "student-essays": 9e6, "imdb-reviews": 8e6, "gutenberg": 4e6},
    "full": {"wikipedia": 1e12, "reddit": 1e12, "student-essays": 1e12, "imdb-reviews": 1e12, "gutenberg": 4e6},
}


def corpus_prefix(corpus):
    return "corpus" if corpus == "small" else f"corpus_{corpus}"


def build_corpus(corpus="small"):
    pre = os.path.join(WORK, corpus_prefix(corpus))
    out = {"train": pre + "_train.jsonl", "val": pre + "_val.jsonl"}
    if all(os.path.exists(p) for p in out.values()):
        return out
    # no text of the human/machine pair sets (any split, either label) may be in pretraining: the
    # LM would find it predictable (OUTFOX's human essays are PERSUADE essays; SQuAD contexts are
    # Wikipedia paragraphs), so corpus documents that share a 12-word shingle with one are dropped
    probe = Probe({i: r["text"] for i, r in enumerate(pair_texts())})
    seen = set()
    stats = {}
    with open(out["train"] + ".tmp", "w") as ftr, open(out["val"] + ".tmp", "w") as fva:
        for src, budget in CORPORA[corpus].items():
            n_bytes = n_docs = n_dup = n_overlap = 0
            for row in read_jsonl_gz(data_path("corpora", f"{src}.jsonl.gz")):
                t = clean(row.get("text") or "")
                if len(t) < 200:
                    continue
                h = text_hash(t[:400])
                if h in seen:
                    n_dup += 1
                    continue
                seen.add(h)
                if probe.scan(t):
                    n_overlap += 1
                    continue
                if src == "gutenberg" or (src == "wikipedia" and corpus == "small"):
                    t = t[:20000]  # many documents rather than a few long ones
                rec = json.dumps({"text": t, "source": src})
                (fva if bucket(h) < 1 else ftr).write(rec + "\n")
                n_bytes += len(t)
                n_docs += 1
                if n_bytes >= budget:
                    break
            stats[src] = {"docs": n_docs, "bytes": n_bytes, "duplicates_dropped": n_dup,
                          "pair_set_overlap_dropped": n_overlap}
            log(f"corpus {src}: {n_docs} docs, {n_bytes / 1e6:.1f} MB, {n_dup} duplicates and "
                f"{n_overlap} documents overlapping the pair sets dropped")
    for p in out.values():
        os.replace(p + ".tmp", p)
    json.dump(stats, open(pre + "_stats.json", "w"), indent=1)
    return out


def read_texts(path):
    with open(path) as f:
        return [json.loads(l)["text"] for l in f]


def build_tokenizer(vocab_size, max_chunk=32):
    """The BPE merges, learned once on a sample of the small corpus (one tokenizer for every run)."""
    p = os.path.join(WORK, f"merges_{vocab_size}.json")
    if os.path.exists(p):
        return Tokenizer(json.load(open(p)), max_chunk=max_chunk)
    train_texts = read_texts(build_corpus("small")["train"])
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


def seqs_path(corpus, vocab, ctx):
    if corpus == "small":  # the first runs' file name, kept so their work resumes
        return os.path.join(WORK, f"seqs_{vocab}_{ctx}.npz")
    return os.path.join(WORK, f"seqs_{corpus}_{vocab}_{ctx}.npz.xz")


def save_seqs(p, train, val):
    """Rows [N, ctx] padded with -1 → xz-compressed .npz of each row's length and its tokens, flat
    (0.93 bytes a token: small enough to carry the full corpus to a GPU machine)."""
    buf = io.BytesIO()
    arrays = {}
    for k, a in (("train", train), ("val", val)):
        n = (a >= 0).sum(1)
        assert a.shape[1] < 256 and ((a >= 0) == (np.arange(a.shape[1]) < n[:, None])).all()
        arrays[k + "_len"] = n.astype(np.uint8)
        arrays[k + "_tok"] = a[a >= 0].astype(np.uint16)
        arrays[k + "_ctx"] = np.array([a.shape[1]])
    np.savez(buf, **arrays)
    with open(p + ".tmp", "wb") as f:
        f.write(lzma.compress(buf.getvalue(), preset=6))
    os.replace(p + ".tmp", p)


def load_seqs(p):
    """Sequence file → (train, val) int32 arrays [N, ctx] padded with -1."""
    if not p.endswith(".xz"):
        z = np.load(p)
        return z["train"], z["val"]
    z = np.load(io.BytesIO(lzma.decompress(open(p, "rb").read())))
    out = []
    for k in ("train", "val"):
        n = z[k + "_len"].astype(np.int64)
        a = np.full((len(n), int(z[k + "_ctx"][0])), -1, dtype=np.int32)
        a[np.arange(a.shape[1]) < n[:, None]] = z[k + "_tok"]
        out.append(a)
    return out


def tokens(paths, tok, ctx, corpus="small"):
    p = seqs_path(corpus, tok.vocab_size, ctx)
    if os.path.exists(p):
        return load_seqs(p)
    t = time.time()
    tr = to_sequences(read_texts(paths["train"]), tok, ctx)
    va = to_sequences(read_texts(paths["val"]), tok, ctx)
    if p.endswith(".xz"):
        save_seqs(p, tr, va)
    else:
        np.savez(p, train=tr, val=va)
    log(f"tokenized: {len(tr)} train / {len(va)} val sequences in {time.time() - t:.0f}s")
    return tr, va


@torch.no_grad()
def evaluate(model, val, batch=64, max_seqs=2000):
    """Mean held-out cross-entropy per token (nats). val: int32 [N, ctx] padded with -1."""
    model.eval()
    dev = next(model.parameters()).device
    tot, n = 0.0, 0
    for s in range(0, min(len(val), max_seqs), batch):
        x = torch.as_tensor(val[s:s + batch], device=dev).long()
        inp = x[:, :-1].clamp(min=0)
        tgt = x[:, 1:]
        with autocast(dev):
            logits = model(inp)
        loss = torch.nn.functional.cross_entropy(logits.float().reshape(-1, logits.size(-1)), tgt.reshape(-1),
                                                 ignore_index=-1, reduction="sum")
        tot += loss.item()
        n += (tgt >= 0).sum().item()
    model.train()
    return tot / max(n, 1)


def export_npz(model, cfg, report, path):
    """Weights as float32 NumPy arrays + config/report JSON: readable by any torch version."""
    arrays = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    arrays["__meta__"] = np.frombuffer(json.dumps({"config": cfg.to_json(), "report": report}).encode(), np.uint8)
    np.savez(path + ".tmp.npz", **arrays)
    os.replace(path + ".tmp.npz", path)


def import_npz(path):
    """`--import-npz`: a run made elsewhere (e.g. on a GPU) → lm.pt + pretrain.json here."""
    z = np.load(path)
    meta = json.loads(bytes(z["__meta__"]).decode())
    cfg = Config(**meta["config"])
    model = GPT(cfg)
    model.load_state_dict({k: torch.from_numpy(z[k]) for k in z.files if k != "__meta__"})
    torch.save({"model": model.state_dict(), "state": {"step": meta["report"]["steps"]}, "config": cfg.to_json()},
               os.path.join(WORK, "lm.pt"))
    json.dump(meta["report"], open(os.path.join(WORK, "pretrain.json"), "w"), indent=1)
    log(f"imported {path}: {meta['report']['tokens_seen'] / 1e6:.0f}M tokens, "
        f"held-out ppl {meta['report']['heldout_ppl_per_token']:.1f}")


def import_model(path):
    """`--import-model`: the pretrained LM of a model file whose blocks were never fine-tuned (the
    shipped file of commit a75cf8a holds this release's LM: `git show a75cf8a:models/telltale-small.ttm`)
    → lm.pt (int8 weights dequantized: what load_dequantized gives anyway), merges, pretrain.json."""
    from make_test_detector import load_model
    meta, t, m, _, cfg = load_model(path)
    prov = meta.get("provenance", {})
    if prov.get("lm_top_blocks_finetuned_for_detection"):
        raise SystemExit(f"{path}: its top {prov['lm_top_blocks_finetuned_for_detection']} blocks were fine-tuned "
                         "for detection, so it holds no pretrained LM; take a model file made on the frozen LM")
    torch.save({"model": m.state_dict(), "state": {"step": None}, "config": cfg.to_json()}, os.path.join(WORK, "lm.pt"))
    json.dump(t["tokenizer.merges"].tolist(), open(os.path.join(WORK, f"merges_{cfg.vocab_size}.json"), "w"))
    rep = {"tokens_seen": prov.get("lm_tokens_seen"), "heldout_ppl_per_token": prov.get("lm_heldout_ppl"),
           "imported_from": os.path.abspath(path), "imported_from_git": prov.get("git"),
           "note": "int8 weights of a model file, dequantized"}
    json.dump(rep, open(os.path.join(WORK, "pretrain.json"), "w"), indent=1)
    log(f"imported the LM of {path} (git {prov.get('git')}): {cfg.n_layers} layers, "
        f"{(rep['tokens_seen'] or 0) / 1e6:.0f}M tokens, held-out ppl {rep['heldout_ppl_per_token']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=35.0, help="wall-clock training budget (total, across resumes)")
    ap.add_argument("--max-tokens", type=float, default=0,
                    help="also stop after this many training tokens (the schedule follows whichever budget runs out first)")
    ap.add_argument("--corpus", choices=sorted(CORPORA), default="small")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--d-ff", type=int, default=768)
    ap.add_argument("--context", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--warmup", type=int, default=200, help="linear warm-up steps")
    ap.add_argument("--eval-every", type=int, default=500, help="steps between held-out evaluations")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu", help="cpu, or cuda for a GPU run (bf16 autocast)")
    ap.add_argument("--export-npz", help="also write the best weights here as NumPy arrays (after each evaluation)")
    ap.add_argument("--import-npz", help="make lm.pt and pretrain.json from such a file, then stop")
    ap.add_argument("--import-model", metavar="TTM",
                    help="make lm.pt, merges and pretrain.json from a model file with no fine-tuned blocks, then stop")
    a = ap.parse_args()
    if a.import_npz:
        return import_npz(a.import_npz)
    if a.import_model:
        return import_model(a.import_model)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    dev = torch.device(a.device)

    merges = os.path.join(WORK, f"merges_{a.vocab}.json")
    seqs = seqs_path(a.corpus, a.vocab, a.context)
    if os.path.exists(merges) and os.path.exists(seqs):  # prepared elsewhere: no corpus needed
        tok = Tokenizer(json.load(open(merges)), max_chunk=32)
        train, val = load_seqs(seqs)
    else:
        paths = build_corpus(a.corpus)
        tok = build_tokenizer(a.vocab)
        train, val = tokens(paths, tok, a.context, a.corpus)
    cfg = Config(vocab_size=tok.vocab_size, d_model=a.d_model, n_layers=a.layers, n_heads=a.heads,
                 d_ff=a.d_ff, context=a.context, bos_id=tok.bos_id)
    model = GPT(cfg).to(dev)
    n_params = sum(p.numel() for p in model.parameters())
    extra = {"fused": True} if dev.type == "cuda" else {}
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.1, **extra)
    ck = os.path.join(WORK, "lm.pt")
    state = {"step": 0, "tokens": 0, "elapsed": 0.0, "history": [], "best_val": None}
    if os.path.exists(ck):
        z = torch.load(ck, map_location=dev)
        model.load_state_dict(z["model"])
        opt.load_state_dict(z["opt"])
        state = z["state"]
        state.setdefault("best_val", None)
        log(f"resumed at step {state['step']}, {state['elapsed'] / 60:.1f} min done")
    log(f"model: {n_params / 1e6:.2f}M parameters, {len(train)} training sequences "
        f"({int((train >= 0).sum()) / 1e6:.1f}M tokens), device {dev}")
    train_dev = torch.as_tensor(train, device=dev)  # sampled on the device: no host round trip per step
    gen = torch.Generator(device=dev)
    gen.manual_seed(1000 + state["step"])

    budget = a.minutes * 60
    t_start = time.time() - state["elapsed"]
    last_ck = time.time()

    def report(vl):
        return {"parameters": n_params, "config": cfg.to_json(), "corpus": a.corpus, "device": str(dev),
                "batch": a.batch, "steps": state["step"], "tokens_seen": state["tokens"],
                "wall_minutes": state["elapsed"] / 60, "heldout_loss": vl, "heldout_ppl_per_token": math.exp(vl),
                "train_sequences": int(len(train)), "val_sequences": int(len(val)),
                "history": state["history"]}

    def save():
        state["elapsed"] = time.time() - t_start
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state,
                    "config": cfg.to_json()}, ck + ".tmp")
        os.replace(ck + ".tmp", ck)

    def checkpoint_eval(elapsed):
        vl = evaluate(model, val, max_seqs=500 if dev.type == "cpu" else 4000, batch=64 if dev.type == "cpu" else 500)
        state["history"].append({"step": state["step"], "tokens": state["tokens"], "val_loss": vl,
                                 "minutes": elapsed / 60})
        log(f"  val loss {vl:.3f} ppl {math.exp(vl):.1f}")
        if state["best_val"] is None or vl < state["best_val"]:
            state["best_val"] = vl
            if a.export_npz:
                state["elapsed"] = elapsed
                export_npz(model, cfg, report(vl), a.export_npz)

    while True:
        elapsed = time.time() - t_start
        frac = elapsed / budget
        if a.max_tokens:
            frac = max(frac, state["tokens"] / a.max_tokens)
        if frac >= 1:
            break
        # cosine schedule over the budget (wall clock, or tokens where that runs out first)
        lr = a.lr * min(1.0, (state["step"] + 1) / a.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g["lr"] = lr
        rows = torch.randint(0, len(train_dev), (a.batch,), device=dev, generator=gen)
        x = train_dev[rows].long()
        inp, tgt = x[:, :-1].clamp(min=0), x[:, 1:]
        with autocast(dev):
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
        if state["step"] % a.eval_every == 0:
            checkpoint_eval(elapsed)
        if time.time() - last_ck > 180:
            save()
            last_ck = time.time()
    save()
    vl = evaluate(model, val)
    rep = report(vl)
    json.dump(rep, open(os.path.join(WORK, "pretrain.json"), "w"), indent=1)
    if a.export_npz and (state["best_val"] is None or vl <= state["best_val"]):
        export_npz(model, cfg, rep, a.export_npz)
    log(f"done: {state['tokens'] / 1e6:.1f}M tokens, held-out ppl {math.exp(vl):.1f}")


if __name__ == "__main__":
    main()
