"""Text overlap between the pretraining corpus and the human/machine pair sets.

A language model finds text it was trained on predictable, so a pair-set text that also sits in the
pretraining corpus is not a fair test (OUTFOX's human essays come from the same PERSUADE essays as
data/corpora/student-essays; SQuAD contexts are Wikipedia paragraphs). Overlap is found by word
shingles: a pair-set text overlaps a corpus document when any of its probes (12 consecutive words
taken at the start, the middle and the end) occurs verbatim in the document.

  python3 train/overlap.py [corpus.jsonl ...]   # report per source / split / label, write
                                                # $TELLTALE_WORK/overlap.json (text hashes)
"""
import json
import os
import re
import sys
from collections import Counter

from common import WORK, log, text_hash

N = 12  # words per shingle
_word = re.compile(r"[a-z0-9]+")


def words(text):
    return _word.findall(text.lower())


def probes(text):
    """Up to three N-word shingles of a text (start, middle, end); none for texts under N words."""
    w = words(text)
    if len(w) < N:
        return []
    starts = sorted({0, (len(w) - N) // 2, len(w) - N})
    return [" ".join(w[s:s + N]) for s in starts]


class Probe:
    """Probes of many texts; `scan(doc)` → the ids of texts one of whose probes occurs in doc."""

    def __init__(self, texts_by_id):
        self.index = {}
        for i, t in texts_by_id.items():
            for p in probes(t):
                self.index.setdefault(p, set()).add(i)

    def scan(self, doc):
        w = words(doc)
        hit = set()
        idx = self.index
        for s in range(len(w) - N + 1):
            ids = idx.get(" ".join(w[s:s + N]))
            if ids:
                hit |= ids
        return hit


def pair_texts():
    from data import assign_splits, load_all
    return assign_splits(load_all())


def main():
    paths = sys.argv[1:] or [os.path.join(WORK, "corpus_train.jsonl")]
    recs = pair_texts()
    probe = Probe({i: r["text"] for i, r in enumerate(recs)})
    hits = set()
    n_docs = 0
    for p in paths:
        with open(p) as f:
            for line in f:
                hits |= probe.scan(json.loads(line)["text"])
                n_docs += 1
        log(f"scanned {p}: {n_docs} documents so far, {len(hits)} pair-set texts overlap")
    by = Counter((recs[i]["source"], recs[i]["domain"], recs[i]["split"], "human" if recs[i]["label"] == 0 else "machine")
                 for i in hits)
    for k, v in sorted(by.items()):
        log("  overlap", "/".join(k), v)
    out = {"corpus": [os.path.basename(p) for p in paths], "shingle_words": N,
           "counts": {"/".join(k): v for k, v in sorted(by.items())},
           "text_hashes": sorted({text_hash(recs[i]["text"]) for i in hits})}
    json.dump(out, open(os.path.join(WORK, "overlap.json"), "w"), indent=1)
    log(f"wrote {os.path.join(WORK, 'overlap.json')}: {len(hits)} texts")


if __name__ == "__main__":
    main()
