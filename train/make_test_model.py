"""Builds the engine's test fixtures (deterministic; run from the repository root):

    /usr/bin/python3 train/make_test_model.py

  tests/fixtures/tiny.ttm          a tiny model: byte BPE with 700 merges trained (train/tokenizer.py)
                                   on text this script generates, d=64, 2 layers, 4 heads, d_ff=128,
                                   context 32, max_chunk 16; seeded init, then 400 seeded AdamW steps on
                                   the same text so its predictions are peaked (ranks/entropies mean
                                   something), exported to int8 by train/model.py's export_tensors().
  tests/fixtures/tiny_tokens.bin   tokenizer goldens: ≥ 10,000 varied byte strings and the ids
                                   train/tokenizer.py gives them.
  tests/fixtures/tiny_forward.bin  forward goldens: for a handful of token sequences (one of length 1,
                                   one of exactly the context, several longer: windows), the final
                                   hidden states and per-token LM stats computed by PyTorch in float32
                                   with the *dequantized* int8 weights, windowed as the spec says; and
                                   the same from an independent NumPy reference that also quantizes
                                   activations to int8 as the engine does (a tight check).

Formats (little-endian; read by tests/c/test_tokenizer.c and tests/c/test_forward.c):
  tiny_tokens.bin:  "TTOK" u32 n_strings, then per string: u32 n_bytes, bytes, u32 n_ids, u16 ids[n_ids]
  tiny_forward.bin: "TFWD" u32 n_cases u32 d f32 rank_delta, then per case: u32 n, i32 ids[n],
                    f32 hidden[n·d] (PyTorch fp32, dequantized weights), f32 hidden_q[n·d] (NumPy, with
                    the engine's int8 activation quantization too), then n−1 records
                    {f32 logprob, i32 rank, f32 entropy, f32 var, i32 rank_lo, i32 rank_hi,
                     f32 logprob_q, i32 rank_q, f32 entropy_q, f32 var_q}
                    where rank_lo/hi are the ranks the observed token would have if every other logit
                    moved by ±rank_delta, and the _q stats come from the int8-simulating reference.
"""
import os
import random
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as tmodel  # noqa: E402
import tokenizer as ttok  # noqa: E402
import ttm  # noqa: E402

OUT = "tests/fixtures"
N_MERGES = 700
MAX_CHUNK = 16
SEED = 20261126
RANK_DELTA = 0.05

WORDS = """the of and to in a is that for it as was with be by on not he this are or his from at which
but have an they you were her she there been one all we their has would when if so no will more can
who out said what up its about into than them only other new some could time these two may then do
first any my now such like our over man me even most made after also did many before must through back
years where much your way well down should because each just those people how too little state good
very make world still own see men work long get here between both life being under never day same
another know while last might us great old year off come since against go came right used take three
model token window merge tensor kernel detector sentence paragraph human machine text offline engine
quantized attention layer norm weight bias scale vector matrix context stride entropy rank variance
""".split()
UNI = ["café", "naïve", "über", "façade", "Ærø", "smørrebrød", "Ελλάδα", "мир", "привет", "東京", "日本語",
       "中文字符", "한국어", "עברית", "العربية", "हिन्दी", "ไทย", "🙂", "🚀", "👩‍💻", "🇫🇷", "❤️", "∑", "→", "—",
       "“quoted”", "‘single’", "…", "½", "€", "ß", "ǅ", "Ω", "\u00a0", "\u200b", "\ufeff"]
PUNCT = list(".,;:!?-()[]{}\"'`/\\@#$%^&*+=<>|~_")
WS = [" ", "  ", "\t", "\n", "\n\n", "\r\n", "   ", "\v", "\f", " \n", "\n ", "\t\t", "    "]


def sentence(r):
    n = r.randint(3, 14)
    ws = [r.choice(WORDS) for _ in range(n)]
    if r.random() < 0.3:
        ws[r.randrange(n)] = str(r.randint(0, 10 ** r.randint(1, 6)))
    if r.random() < 0.15:
        ws[r.randrange(n)] = r.choice(UNI)
    s = " ".join(ws)
    s = s[0].upper() + s[1:]
    if r.random() < 0.2:
        k = r.randrange(len(s))
        s = s[:k] + ", " + s[k:].lstrip()
    return s + r.choice([".", ".", ".", "!", "?", ":", ";"])


def corpus(seed=SEED, n=3000):
    r = random.Random(seed)
    paras = []
    for _ in range(n // 5):
        paras.append(" ".join(sentence(r) for _ in range(r.randint(2, 7))))
    return "\n\n".join(paras)


def url(r):
    host = r.choice(["example.com", "telltale.dev", "docs.python.org", "xn--caf-dma.fr", "localhost:8080"])
    path = "/".join(r.choice(WORDS) for _ in range(r.randint(0, 4)))
    q = f"?q={r.choice(WORDS)}&n={r.randint(0, 999)}" if r.random() < 0.5 else ""
    return f"{r.choice(['http', 'https', 'ftp'])}://{host}/{path}{q}"


def code(r):
    snippets = [
        "int main(void) {\n    return 0;\n}\n",
        "for (size_t i = 0; i < n; i++) acc += w[i] * x[i];",
        "def f(x):\n\treturn x ** 2 + 1  # comment\n",
        "if (a != b && c >= 0x7F) { y[o] = (float)acc * s; }",
        "const x = await fetch(`/api/${id}`).then(r => r.json());",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
        "    x = np.clip(np.rint(w / scale[:, None]), -127, 127)\n",
        "#include <stdio.h>\n#define N 1024\n",
        "a==b||c<=d&&e!=f; x+=1; y-=2; z*=3; w/=4; v%=5;",
    ]
    s = r.choice(snippets)
    return s if r.random() < 0.5 else s.replace("    ", "\t")


def random_bytes(r):
    n = r.randint(0, 64)
    kind = r.random()
    if kind < 0.4:
        return bytes(r.randrange(256) for _ in range(n))
    if kind < 0.6:  # mostly ASCII with NUL and high bytes sprinkled in
        return bytes(r.choice([0, 0x80, 0xC3, 0xFF, 0xE2, 0x20, 0x0A] + list(range(0x20, 0x7F))) for _ in range(n))
    if kind < 0.8:  # truncated / overlong / lone continuation UTF-8
        parts = [b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\x80", b"\xbf", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80",
                 b"\x00", b"a", b" ", b"\xef\xbb\xbf"]
        return b"".join(r.choice(parts) for _ in range(r.randint(1, 12)))
    return (sentence(r).encode() + b"\x00" + bytes(r.randrange(256) for _ in range(r.randint(0, 8))))


def long_run(r):
    n = r.randint(MAX_CHUNK - 2, 5 * MAX_CHUNK + 3)
    kind = r.randrange(8)
    if kind == 0:
        return "a" * n
    if kind == 1:
        return " " * n + r.choice(["", "x", "1", ".", "\n"])
    if kind == 2:
        return "".join(r.choice("0123456789") for _ in range(n))
    if kind == 3:
        return r.choice(["", "x", " "]) + "".join(r.choice("!?.-=*#") for _ in range(n))
    if kind == 4:
        return " " + "".join(r.choice("abcdefghijklmnopqrstuvwxyzé") for _ in range(n))
    if kind == 5:
        return "".join(r.choice(" \t\n\r\v\f") for _ in range(n)) + r.choice(["", "word", " word"])
    if kind == 6:
        return "".join(r.choice(["東", "京", "日", "本", "🙂"]) for _ in range(n // 3 + 1))
    return r.choice(WORDS) + "\n" * n + " " + r.choice(WORDS)


def whitespace_mix(r):
    s = ""
    for _ in range(r.randint(1, 8)):
        s += r.choice(WS) + r.choice([r.choice(WORDS), r.choice(PUNCT), str(r.randint(0, 99)), r.choice(UNI), ""])
    return s + r.choice(["", " ", "  ", "\n", "\t"])


def tokenizer_strings(text, n=10_500, seed=SEED + 1):
    r = random.Random(seed)
    out = [b"", b" ", b"\x00", b"a", b"  ", b" a", b"\n", b"\xff", b"\x00\x00\x00"]
    gens = [
        lambda: sentence(r).encode(),
        lambda: " ".join(sentence(r) for _ in range(r.randint(2, 4))).encode(),
        lambda: text[(k := r.randrange(len(text) - 300)):k + r.randint(1, 300)].encode(),
        lambda: " ".join(r.choice(UNI) for _ in range(r.randint(1, 6))).encode(),
        lambda: url(r).encode(),
        lambda: code(r).encode(),
        lambda: whitespace_mix(r).encode(),
        lambda: long_run(r).encode(),
        lambda: random_bytes(r),
        lambda: (r.choice(WS) + sentence(r) + r.choice(WS)).encode(),
    ]
    while len(out) < n:
        out.append(r.choice(gens)())
    # a few longer documents (several KB) mixing everything
    for _ in range(8):
        out.append(b"".join(r.choice(gens)() + r.choice([b" ", b"\n", b"", b"\n\n"]) for _ in range(60)))
    return out


def train_tiny(cfg, ids, steps=400, seed=SEED):
    torch.manual_seed(seed)
    m = tmodel.GPT(cfg)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3, weight_decay=0.0)
    data = torch.tensor(ids, dtype=torch.long)
    g = torch.Generator().manual_seed(seed)
    C = cfg.context
    for _ in range(steps):
        starts = torch.randint(0, len(data) - C - 1, (16,), generator=g)
        x = torch.stack([data[s:s + C] for s in starts])
        y = torch.stack([data[s + 1:s + C + 1] for s in starts])
        _, loss = m(x, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"make_test_model: trained {steps} steps, last loss {loss.item():.3f}")
    return m.eval()


def windowed(run, ids, cfg):
    """Windowed hidden states [n, d] and logits rows [n, V] (docs/model-format.md): windows of C tokens
    at stride C/2; token p's outputs come from the window where it has the most left context (window 0
    for p < C, else the window starting at (p // (C/2) − 1)·C/2). run(window ids) → (hidden, logits)."""
    C, s = cfg.context, cfg.context // 2
    n = len(ids)
    hid = np.zeros((n, cfg.d_model), np.float32)
    logits = np.zeros((n, cfg.vocab_size), np.float32)
    cache = {}
    for p in range(n):
        w = 0 if p < C else p // s - 1
        if w not in cache:
            cache[w] = run(ids[w * s:w * s + C])
        h, lg = cache[w]
        hid[p] = h[p - w * s]
        logits[p] = lg[p - w * s]
    return hid, logits


def torch_runner(m):
    @torch.no_grad()
    def run(ids):
        h = m.hidden(torch.tensor([ids], dtype=torch.long))
        return h[0].numpy(), m.logits(h)[0].numpy()
    return run


def int8_runner(t, cfg):
    """An independent NumPy rendering of the spec *including* the engine's dynamic int8 quantization
    of activations (float32 throughout, integer dot products exact in int64): what the C engine
    computes up to float summation order, so the C test can hold it to a tight tolerance."""
    d, nh = cfg.d_model, cfg.n_heads
    hs = d // nh

    def lin(x, name, bias=True):
        xq, xs = ttm.quantize_rows(x)
        acc = xq.astype(np.int64) @ t[name + ".weight" if name != "tok_emb" else name].astype(np.int64).T
        sc = t[name + ".scale"][None, :] * xs[:, None]
        y = acc.astype(np.float32) * sc
        return y + t[name + ".bias"][None, :] if bias else y

    def ln(x, name):
        mu = x.mean(-1, keepdims=True, dtype=np.float64)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return ((x - mu) / np.sqrt(var + cfg.norm_eps) * t[name + ".weight"] + t[name + ".bias"]).astype(np.float32)

    def run(ids):
        T = len(ids)
        h = t["tok_emb"][ids].astype(np.float32) * t["tok_emb.scale"][ids][:, None] + t["pos_emb"][:T]
        for L in range(cfg.n_layers):
            p = f"blocks.{L}."
            qkv = lin(ln(h, p + "ln1"), p + "attn.qkv")
            att = np.zeros((T, d), np.float32)
            for hh in range(nh):
                q = qkv[:, hh * hs:(hh + 1) * hs]
                k = qkv[:, d + hh * hs:d + (hh + 1) * hs]
                v = qkv[:, 2 * d + hh * hs:2 * d + (hh + 1) * hs]
                sc = (q @ k.T) / np.float32(np.sqrt(hs))
                sc = np.where(np.tril(np.ones((T, T), bool)), sc, -np.inf)
                e = np.exp(sc - sc.max(-1, keepdims=True))
                att[:, hh * hs:(hh + 1) * hs] = (e / e.sum(-1, keepdims=True)) @ v
            h = h + lin(att, p + "attn.proj")
            f = lin(ln(h, p + "ln2"), p + "mlp.fc")
            f = 0.5 * f * (1 + np.tanh(np.float32(np.sqrt(2 / np.pi)) * (f + np.float32(0.044715) * f ** 3)))
            h = h + lin(f.astype(np.float32), p + "mlp.proj")
        hid = ln(h, "ln_f")
        return hid, lin(hid, "tok_emb", bias=False)
    return run


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT, exist_ok=True)
    text = corpus()
    counts = ttok.chunk_counts_of([text], MAX_CHUNK)
    merges = ttok.train_bpe(counts, N_MERGES)
    assert len(merges) == N_MERGES, len(merges)
    tok = ttok.Tokenizer(merges, max_chunk=MAX_CHUNK)
    cfg = tmodel.Config(vocab_size=tok.vocab_size, d_model=64, n_layers=2, n_heads=4, d_ff=128, context=32,
                        norm_eps=1e-5, bos_id=tok.bos_id)
    ids = tok.encode(text)
    m = train_tiny(cfg, ids)

    tensors = tmodel.export_tensors(m)
    tensors["tokenizer.merges"] = np.array(merges, dtype=np.int32).reshape(-1, 2)
    meta = {"format": "telltale-model", "version": 1, "name": "telltale-test-tiny", "created": "2026-11-26",
            "model": cfg.to_json(),
            "tokenizer": {"type": "byte-bpe", "pretokenizer": "telltale-v1", "n_merges": N_MERGES,
                          "max_chunk": MAX_CHUNK},
            "provenance": {"data": "text generated by train/make_test_model.py", "command":
                           "/usr/bin/python3 train/make_test_model.py", "git": ""}}
    ttm.write_ttm(f"{OUT}/tiny.ttm", meta, tensors)
    meta2, back = ttm.read_ttm(f"{OUT}/tiny.ttm")  # the reader gives back exactly what was written
    assert meta2 == meta and list(back) == list(tensors)
    assert all(back[k].dtype == tensors[k].dtype and np.array_equal(back[k], tensors[k]) for k in tensors)

    # ---- tokenizer goldens
    strs = tokenizer_strings(text)
    with open(f"{OUT}/tiny_tokens.bin", "wb") as f:
        f.write(b"TTOK" + struct.pack("<I", len(strs)))
        n_tok = 0
        for sb in strs:
            tids, st, en = tok.encode_with_offsets(sb)
            assert tok.decode_bytes(tids) == sb and (not st or (st[0] == 0 and en[-1] == len(sb)))
            f.write(struct.pack("<I", len(sb)) + sb + struct.pack("<I", len(tids)))
            f.write(np.array(tids, dtype="<u2").tobytes())
            n_tok += len(tids)
    print(f"make_test_model: {len(strs)} tokenizer strings, {sum(map(len, strs))} bytes, {n_tok} tokens")

    # ---- forward goldens with the dequantized weights, fp32
    tmodel.load_dequantized(m)
    r = random.Random(SEED + 2)
    texts = [sentence(r) for _ in range(3)] + [text[1000:1400], text[5000:6500], "Hello, world! 東京 🙂".encode() + b" \x00 invalid \xff\xc3 end"]
    seqs = [[cfg.bos_id]]  # length 1: no stats
    for t in texts:
        seqs.append([cfg.bos_id] + tok.encode(t))
    seqs.append(([cfg.bos_id] + tok.encode(text[200:2000]))[:cfg.context])        # exactly C
    seqs.append(([cfg.bos_id] + tok.encode(text[200:2000]))[:cfg.context + 1])    # C + 1: a second window
    seqs.append(list(range(0, cfg.vocab_size, 7))[:45])                            # odd ids incl. bytes, bos-free
    run_fp32, run_int8 = torch_runner(m), int8_runner(tensors, cfg)
    with open(f"{OUT}/tiny_forward.bin", "wb") as f:
        f.write(b"TFWD" + struct.pack("<IIf", len(seqs), cfg.d_model, RANK_DELTA))
        for s in seqs:
            hid, lg = windowed(run_fp32, s, cfg)
            hid_q, lg_q = windowed(run_int8, s, cfg)
            lgt = torch.from_numpy(lg)
            st = tmodel.token_stats(lgt, torch.tensor(s, dtype=torch.long)) if len(s) > 1 else None
            stq = tmodel.token_stats(torch.from_numpy(lg_q), torch.tensor(s, dtype=torch.long)) if len(s) > 1 else None
            f.write(struct.pack("<I", len(s)) + np.array(s, "<i4").tobytes() + hid.astype("<f4").tobytes())
            f.write(hid_q.astype("<f4").tobytes())
            for i in range(len(s) - 1):
                obs = lg[i, s[i + 1]]
                lo = 1 + int((lg[i] > obs + RANK_DELTA).sum())
                hi = 1 + int((lg[i] > obs - RANK_DELTA).sum()) - 1  # the observed token itself is not counted
                f.write(struct.pack("<fiffii", st["logprob"][i], int(st["rank"][i]), st["entropy"][i], st["var"][i],
                                    lo, hi))
                f.write(struct.pack("<fiff", stq["logprob"][i], int(stq["rank"][i]), stq["entropy"][i], stq["var"][i]))
            print(f"make_test_model: forward case n={len(s)}, max |fp32 − int8-sim| hidden "
                  f"{np.abs(hid - hid_q).max():.4f}")
    for fn in ("tiny.ttm", "tiny_tokens.bin", "tiny_forward.bin"):
        print(f"  {OUT}/{fn}: {os.path.getsize(f'{OUT}/{fn}')} bytes")


if __name__ == "__main__":
    main()
