"""Byte-level BPE with the `telltale-v1` pre-tokenizer: the Python reference tokenizer.

The C tokenizer (src/tokenizer.c) must give token-for-token the same ids; docs/model-format.md is
the specification both follow. Token ids 0..255 are bytes, 256 + r is merge r.
"""
import heapq
from collections import Counter, defaultdict

S, L, D, P = 0, 1, 2, 3
_WS = {0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D}


def _byte_class(b):
    if b in _WS:
        return S
    if 65 <= b <= 90 or 97 <= b <= 122 or b >= 0x80:
        return L
    if 48 <= b <= 57:
        return D
    return P


CLASS = bytes(_byte_class(b) for b in range(256))


def pretokenize(data: bytes, max_chunk: int = 32):
    """Split bytes into chunks [(start, end)], exactly as docs/model-format.md says."""
    n = len(data)
    out = []
    i = 0
    cls = CLASS
    while i < n:
        b = data[i]
        if b == 0x20 and i + 1 < n and cls[data[i + 1]] != S:
            c = cls[data[i + 1]]
            j = i + 1
            while j < n and cls[data[j]] == c and j - i < max_chunk:
                j += 1
        elif cls[b] == S:
            j = i
            while j < n and cls[data[j]] == S:
                j += 1
            if j < n and data[j - 1] == 0x20 and j - i > 1:
                j -= 1
            j = min(j, i + max_chunk)
        else:
            c = cls[b]
            j = i
            while j < n and cls[data[j]] == c and j - i < max_chunk:
                j += 1
        out.append((i, j))
        i = j
    return out


def train_bpe(chunk_counts, n_merges, log=None):
    """Learn n_merges merges from a Counter {chunk bytes: count}. Returns [(a, b), ...].

    Ties in pair frequency go to the smallest (a, b), so training is deterministic."""
    words = [list(w) for w in chunk_counts]
    counts = [chunk_counts[w] for w in chunk_counts]
    pair_count = Counter()
    where = defaultdict(set)
    for wi, w in enumerate(words):
        c = counts[wi]
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += c
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        cur = pair_count.get(pair, 0)
        if cur <= 0:
            continue
        if -negc != cur:
            heapq.heappush(heap, (-cur, pair))
            continue
        new_id = 256 + len(merges)
        merges.append(pair)
        a, b = pair
        changed = Counter()
        for wi in list(where[pair]):
            w = words[wi]
            c = counts[wi]
            # remove old pairs of this word
            for x, y in zip(w, w[1:]):
                changed[(x, y)] -= c
            nw = []
            k = 0
            while k < len(w):
                if k + 1 < len(w) and w[k] == a and w[k + 1] == b:
                    nw.append(new_id)
                    k += 2
                else:
                    nw.append(w[k])
                    k += 1
            words[wi] = nw
            for x, y in zip(nw, nw[1:]):
                changed[(x, y)] += c
                where[(x, y)].add(wi)
        for p, d in changed.items():
            if d == 0:
                continue
            v = pair_count.get(p, 0) + d
            if v > 0:
                pair_count[p] = v
                heapq.heappush(heap, (-v, p))
            else:
                pair_count.pop(p, None)
        pair_count.pop(pair, None)
        where.pop(pair, None)
        if log and len(merges) % 1000 == 0:
            log(f"bpe: {len(merges)} merges")
    return merges


class Tokenizer:
    """Encodes bytes with learned merges; `bos_id` is the one special token."""

    def __init__(self, merges, max_chunk=32, bos_id=None):
        self.merges = [tuple(m) for m in merges]
        self.rank = {m: r for r, m in enumerate(self.merges)}
        self.max_chunk = max_chunk
        self.bos_id = 256 + len(self.merges) if bos_id is None else bos_id
        self.vocab_size = self.bos_id + 1
        self._cache = {}
        self._bytes = [bytes([i]) for i in range(256)]
        for a, b in self.merges:
            self._bytes.append(self._bytes[a] + self._bytes[b])

    def _bpe(self, chunk: bytes):
        hit = self._cache.get(chunk)
        if hit is not None:
            return hit
        toks = list(chunk)
        lens = [1] * len(toks)
        rank = self.rank
        while len(toks) > 1:
            best, bi = None, -1
            for k in range(len(toks) - 1):
                r = rank.get((toks[k], toks[k + 1]))
                if r is not None and (best is None or r < best):
                    best, bi = r, k
            if best is None:
                break
            toks[bi:bi + 2] = [256 + best]
            lens[bi:bi + 2] = [lens[bi] + lens[bi + 1]]
        res = (tuple(toks), tuple(lens))
        if len(self._cache) < 500_000:
            self._cache[chunk] = res
        return res

    def encode_with_offsets(self, data):
        """bytes or str → (ids, starts, ends) with byte offsets into the UTF-8 input."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        ids, starts, ends = [], [], []
        for s, e in pretokenize(data, self.max_chunk):
            toks, lens = self._bpe(data[s:e])
            pos = s
            for t, ln in zip(toks, lens):
                ids.append(t)
                starts.append(pos)
                pos += ln
                ends.append(pos)
        return ids, starts, ends

    def encode(self, data):
        return self.encode_with_offsets(data)[0]

    def decode_bytes(self, ids):
        return b"".join(self._bytes[i] for i in ids if i != self.bos_id)

    def decode(self, ids):
        return self.decode_bytes(ids).decode("utf-8", errors="replace")


def chunk_counts_of(texts, max_chunk=32):
    cnt = Counter()
    for t in texts:
        data = t.encode("utf-8") if isinstance(t, str) else t
        for s, e in pretokenize(data, max_chunk):
            cnt[data[s:e]] += 1
    return cnt
