"""Stage 4: the human null of the paragraph test — what a human text's MMD-MP statistic looks like,
by number of sentences — written into a model file (calibration.null, docs/model-format.md).

  python3 train/null_table.py [--model models/telltale-small.ttm] [--exclude-domain D] [--compare]
                              [--alternatives] [--leave-genre-out] [--held-out-corpus [JSONL]]

Why: a permutation test asks whether a paragraph's sentences could be a sample of the reference set,
a mixture over twelve domains. One writer's sentences rarely are, so that test rejected most human
paragraphs (models/README.md). The engine instead compares the paragraph's statistic with those of
held-out human texts of the same length: p = (1 + #{human sets ≥ it}) / (1 + count), a valid
p-value for any text that is exchangeable with the validation human texts.

What: every human text of the validation split (not the test split; none of it was trained on) is
scored once by the C engine (build/telltale, the model given); its first n scored sentences give the
statistic of a set of n (mmd2_mp = mean sentence score − 1: each sentence is scored on its own, so
the prefix of a text is exactly the text cut after n sentences). Rows for n = 2..20 and larger sizes
while at least 100 texts are that long. --exclude-domain leaves a domain out, for the
leave-one-domain-out models.

--compare (validation only) repeats the measurement that chose the statistic: validation human texts
split by group into halves A and B; the null from A; type-I error on B and power on validation
machine texts at α = 0.05 for sets of 5 and 10 sentences, for mmd2_mp and for the unbiased MMD²
(which adds the sentences' similarity to each other — high for any one writer), and for one null
per domain with p = the largest of their p-values (valid for every domain it holds; not shipped).

--alternatives (validation only): on the same sets, the power other statistics (the calibrated
document score, the linear head's mean) and other nulls (without tool-altered human texts; each
domain's own, as an oracle) would give — why the shipped test stays as it is.

--leave-genre-out (validation only): each domain's human texts against a null built without that
domain — what to expect from writing the null has not seen.

--held-out-corpus: the test on human genres outside the pair sets (the LM's held-out corpus texts).
"""
import argparse
import json
import os
import sys

import numpy as np

from common import ROOT, WORK, log, work_path
from data import assign_splits, left_out, load_all
from detector import doc_sentences
from engine_cli import score_cli
from evaluate import auroc
from mmd_reference import null_p_value
from ttm import read_ttm, write_ttm

SMALL_SIZES = list(range(2, 21))
LARGE_SIZES = [24, 28, 32, 40, 48, 64]
MIN_LARGE = 100  # a larger size gets a row only when this many texts are that long


def scored_raw(res):
    """One `telltale score --jsonl --sentences` result → the scores of its scored sentences, in order."""
    return [s["raw"] for s in res.get("sentences") or [] if s.get("raw") is not None]


def mmd2_mp(res):
    """One result with --sentences → the MMD-MP statistic of all its scored sentences (mean score − 1)."""
    return float(np.mean(scored_raw(res))) - 1.0


def prefix_stats(model, texts):
    """texts → per text, the mmd2_mp of its first n scored sentences for n = 1..len. The JSON carries
    6 significant digits (the engine's statistic is a double): a table entry within ~1e-6 of a text's
    statistic may sit on either side of it, which moves that p-value by one rank at most."""
    out = []
    for r in score_cli(model, texts, sentences=True):
        raw = np.array(scored_raw(r), dtype=np.float64)
        out.append(np.cumsum(raw) / np.arange(1, len(raw) + 1) - 1.0)
    return out


def null_rows(stats):
    """Per-text prefix statistics → (sizes, rows): row n holds, ascending, the statistic of every text
    with at least n scored sentences."""
    sizes, rows = [], []
    for n in SMALL_SIZES + LARGE_SIZES:
        v = np.sort(np.array([s[n - 1] for s in stats if len(s) >= n], dtype=np.float32))
        if len(v) >= (19 if n in SMALL_SIZES else MIN_LARGE):
            sizes.append(n)
            rows.append(v)
    return sizes, rows


def write_null(model, sizes, rows, source):
    meta, tensors = read_ttm(model)
    meta["calibration"]["null"] = {"statistic": "mmd2_mp", "sizes": sizes, "counts": [len(r) for r in rows],
                                   "source": source}
    tensors["detector.null_stat"] = np.concatenate(rows).astype(np.float32)
    write_ttm(model, meta, tensors)


def validation_sets(model, recs, exclude_domain, features=False):
    """The sets behind --compare and --alternatives: validation human texts split by group into halves
    A (the null) and B (type-I error), and up to 3,000 validation machine texts (power); each text's
    first k sentences, scored by the C engine. → {k: {"A" | "B" | "machine": [(record, result)]}} for
    k = 5 and 10, keeping the texts with exactly k scored sentences."""
    val = [r for r in recs if r["split"] == "val" and not left_out(r, exclude_domain)]
    hum = [r for r in val if r["label"] == 0]
    groups = sorted({r["group"] for r in hum})
    rng = np.random.default_rng(0)
    half_a = set(rng.permutation(groups)[:len(groups) // 2])
    mac = [val[i] for i in rng.permutation([i for i, r in enumerate(val) if r["label"] == 1])[:3000]]
    out = {}
    for k in (5, 10):
        sets = {"A": [], "B": [], "machine": []}
        for r in hum + mac:
            ss = doc_sentences(r["text"], False)
            if len(ss) >= k:
                part = "machine" if r["label"] == 1 else ("A" if r["group"] in half_a else "B")
                sets[part].append((r, " ".join(ss[:k])))
        out[k] = {p: [(r, x) for (r, _), x in zip(t, score_cli(model, [x for _, x in t], sentences=True, features=features))
                      if x["n_sentences"] == k] for p, t in sets.items()}
    return out


def compare(model, recs, exclude_domain):
    """The validation measurement behind the choice of statistic (see the module comment)."""
    for k, res in validation_sets(model, recs, exclude_domain).items():
        res = {p: [(r["domain"], x) for r, x in v] for p, v in res.items()}
        stat = {"mmd2_mp": mmd2_mp, "mmd2 (unbiased)": lambda x: x["mmd2"]}
        for name, f in stat.items():
            row = np.sort(np.array([f(x) for _, x in res["A"]], dtype=np.float32))
            rej = {p: [(dom, null_p_value([k], [row], k, f(x)) <= 0.05) for dom, x in res[p]] for p in ("B", "machine")}
            doms = sorted({dom for dom, _ in rej["B"]})
            per = ", ".join(f"{d} {np.mean([v for x, v in rej['B'] if x == d]):.2f}" for d in doms)
            print(f"sets of {k} ({len(res['A'])} human in A, {len(res['B'])} in B, {len(res['machine'])} machine): "
                  f"{name:16s} type-I error (B) {np.mean([v for _, v in rej['B']]):.3f}, "
                  f"power {np.mean([v for _, v in rej['machine']]):.3f}\n    type-I per domain (B): {per}")
        # the alternative not shipped: one null per domain (≥ 19 texts in A), p = the largest of their p-values
        f = stat["mmd2_mp"]
        by = {}
        for dom, x in res["A"]:
            by.setdefault(dom, []).append(f(x))
        rows = [np.sort(np.array(v, dtype=np.float32)) for v in by.values() if len(v) >= 19]
        pmax = lambda x: max(null_p_value([k], [row], k, f(x)) for row in rows)
        print(f"    mmd2_mp, max p over {len(rows)} per-domain nulls: type-I error (B) "
              f"{np.mean([pmax(x) <= 0.05 for _, x in res['B']]):.3f}, power {np.mean([pmax(x) <= 0.05 for _, x in res['machine']]):.3f}")


GPT2_ERA = ("gpt2-xl", "gpt-j-6b", "gpt-neo-2.7b", "gpt-neox-20b", "opt-2.7b", "davinci")


def alternatives(model, recs):
    """Could another statistic or another null give the test the power the target asks (≥ 0.95 at 10
    sentences)? On the --compare sets (null from half A, type-I error on half B, α = 0.05):
      - statistics: mmd2_mp (shipped), the calibrated document score, the linear head's mean (ce_mean);
      - nulls for mmd2_mp: the shipped kind (all human texts of A); without the human texts a tool had
        paraphrased or perturbed (DetectRL attacks); each text's own domain's null (an oracle: the
        engine cannot know a pasted text's domain, so this bounds any genre-matched null from above).
    Power is given pooled and as the mean over generators (the target's form), with the GPT-2-era base
    models apart; type-I error apart for tool-altered human texts. Validation only; nothing shipped."""
    stats = {"mmd2_mp": mmd2_mp, "document score": lambda x: x["score"],
             "ce_mean": lambda x: (x.get("features") or {}).get("ce_mean")}
    tool = lambda r: r.get("attack") is not None
    for k, res in validation_sets(model, recs, None, features=True).items():
        print(f"sets of {k}: {len(res['A'])} human in A, {len(res['B'])} in B, {len(res['machine'])} machine")

        def report(name, p_of, f):
            rb = [(tool(r), p_of(r, f(x)) <= 0.05) for r, x in res["B"]]
            by = {}
            for r, x in res["machine"]:
                by.setdefault(r["generator"], []).append(p_of(r, f(x)) <= 0.05)
            weak = [v for g, v in by.items() if g in GPT2_ERA]
            print(f"  {name:44s} type-I (B) {np.mean([v for t, v in rb if not t]):.3f}, tool-altered human "
                  f"{np.mean([v for t, v in rb if t]):.3f}; power pooled {np.mean([v for vs in by.values() for v in vs]):.3f}, "
                  f"mean over {len(by)} generators {np.mean([np.mean(v) for v in by.values()]):.3f}, "
                  f"GPT-2-era {np.mean([x for v in weak for x in v]):.3f}")

        def pooled(keep, f):
            row = np.sort(np.array([f(x) for r, x in res["A"] if keep(r)], dtype=np.float32))
            return lambda r, v: null_p_value([k], [row], k, v)

        for name, f in stats.items():
            report(f"statistic {name}, shipped null", pooled(lambda r: True, f), f)
        f = stats["mmd2_mp"]
        everyone = pooled(lambda r: True, f)
        report("mmd2_mp, null without tool-altered human", pooled(lambda r: not tool(r), f), f)
        by_dom = {}
        for r, x in res["A"]:
            by_dom.setdefault(r["domain"], []).append(f(x))
        rows = {d: np.sort(np.array(v, dtype=np.float32)) for d, v in by_dom.items() if len(v) >= 19}
        report(f"mmd2_mp, own-domain null (oracle; {len(rows)} domains)",
               lambda r, v: null_p_value([k], [rows[r["domain"]]], k, v) if r["domain"] in rows else everyone(r, v), f)
        # what fills the shipped null's top 5 %, and how the GPT-2-era texts rank against human texts
        # of their own domains vs against all of them
        a = [(r, f(x)) for r, x in res["A"]]
        top = [r for r, v in a if v >= np.quantile([v for _, v in a], 0.95)]
        print(f"  the shipped null's top 5 %: {len(top)} texts, {sum(tool(r) for r in top)} of them tool-altered human")
        hum = res["A"] + res["B"]
        for name in ("mmd2_mp", "document score"):
            g = stats[name]
            out = []
            for gen in GPT2_ERA:
                mr = [(r, x) for r, x in res["machine"] if r["generator"] == gen]
                m, doms = [x for _, x in mr], {r["domain"] for r, _ in mr}
                if len(m) < 5:
                    continue
                same = [x for r, x in hum if r["domain"] in doms]
                out.append(f"{gen} ({len(m)}) {auroc([0] * len(same) + [1] * len(m), [g(x) for x in same + m]):.3f} / "
                           f"{auroc([0] * len(hum) + [1] * len(m), [g(x) for _, x in hum] + [g(x) for x in m]):.3f}")
            print(f"  AUROC of {name}, GPT-2-era texts vs human texts of their domains / of all domains: " + ", ".join(out))


def leave_genre_out(model, recs):
    """For each validation domain: the type-I error (α = 0.05) of its human texts' first 5 / 10
    sentences against a null built from the other domains' human texts — how the test behaves on a
    kind of writing its null never saw (validation only)."""
    hum = [r for r in recs if r["split"] == "val" and r["label"] == 0]
    stats = prefix_stats(model, [r["text"] for r in hum])
    doms = sorted({r["domain"] for r in hum})
    for k in (5, 10):
        out = []
        for dom in doms:
            own = [s for r, s in zip(hum, stats) if r["domain"] == dom and len(s) >= k]
            if len(own) < 20:
                continue
            sizes, rows = null_rows([s for r, s in zip(hum, stats) if r["domain"] != dom])
            rej = [null_p_value(sizes, rows, k, s[k - 1]) <= 0.05 for s in own]
            out.append(f"{dom} {np.mean(rej):.2f} ({len(own)})")
        print(f"sets of {k}, each domain against a null without it: " + ", ".join(out))


def read_by_source(path, cap=None, seed=7):
    """A corpus JSONL ({text, source} per line) → {source: [records]} (≤ cap per source, seeded)."""
    by = {}
    with open(path) as fh:
        for line in fh:
            d = json.loads(line)
            by.setdefault(d["source"], []).append(d)
    rng = np.random.default_rng(seed)
    return {k: [v[i] for i in sorted(rng.permutation(len(v))[:cap])] if cap else v for k, v in by.items()}


def held_out_corpus(model, path, corpus_null=0, recs=None):
    """The model's own test (its null) on the human texts the LM's pretraining held out (pretrain.py's
    *_val.jsonl: 1 % of the corpora, by hash): the type-I error (α = 0.05) of each source's first 5 /
    10 sentences — human genres outside the pair sets, seen neither by the detector nor by the LM —
    and the labels of whole texts (their first 60 sentences).
    corpus_null > 0 (an experiment, not shipped): also a null of the validation human texts plus
    corpus_null texts per source of the LM's *training* corpus (the same genres, other texts), with
    both nulls' power on 1,500 validation machine texts."""
    from evaluate import first_sentences, rejected
    by = read_by_source(path)
    nulls = {}
    if corpus_null:
        hum = [r for r in recs if r["split"] == "val" and r["label"] == 0]
        base = prefix_stats(model, [r["text"] for r in hum])
        extra = read_by_source(path.replace("_val.jsonl", "_train.jsonl"), corpus_null)
        cstats = prefix_stats(model, [" ".join(doc_sentences(r["text"], False)[:30]) for v in extra.values() for r in v])
        nulls = {"shipped null": null_rows(base), f"+ {corpus_null} corpus texts per source": null_rows(base + cstats)}
        rng = np.random.default_rng(8)
        mac = [r for r in recs if r["split"] == "val" and r["label"] == 1]
        mstats = prefix_stats(model, [mac[i]["text"] for i in rng.permutation(len(mac))[:1500]])
    for k in (5, 10):
        out = []
        for src in sorted(by):
            texts, _ = first_sentences(by[src], k, 400, seed=6)
            if len(texts) < 20:
                continue
            res = score_cli(model, texts, sentences=bool(nulls))
            rate, n = rejected(res, k)
            out.append(f"{src} {rate:.2f} ({n}; labelled machine: {sum(x.get('label') == 'machine' for x in res)})")
            st = [mmd2_mp(x) for x in res if x["n_sentences"] == k] if nulls else []
            for name, (sizes, rows) in nulls.items():
                out.append(f"  with the {name}: {np.mean([null_p_value(sizes, rows, k, v) <= 0.05 for v in st]):.2f}")
        print(f"sets of {k}, held-out corpus texts: " + ", ".join(out))
        for name, (sizes, rows) in nulls.items():
            pw = [null_p_value(sizes, rows, k, s[k - 1]) <= 0.05 for s in mstats if len(s) >= k]
            print(f"  power on validation machine texts with the {name}: {np.mean(pw):.3f} ({len(pw)})")
    # the labels of whole texts (up to their first 60 sentences): the calibrated score gains weight
    # with length, so long human texts are where a false `machine` would show
    out = []
    for src in sorted(by):
        texts = [" ".join(doc_sentences(r["text"], False)[:60]) for r in by[src][:400]]
        if len(texts) < 20:
            continue
        res = [x for x in score_cli(model, texts) if x.get("score") is not None]
        lab = [x["label"] for x in res]
        out.append(f"{src} machine {np.mean([l == 'machine' for l in lab]):.3f} / uncertain "
                   f"{np.mean([l == 'uncertain' for l in lab]):.2f} (of {len(res)}, median "
                   f"{int(np.median([x['n_sentences'] for x in res]))} sentences, mean score {np.mean([x['score'] for x in res]):.3f})")
    print("whole held-out corpus texts (first 60 sentences), labels: " + ", ".join(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--exclude-domain", help="leave this domain's human texts out (leave-one-domain-out models)")
    ap.add_argument("--compare", action="store_true", help="only measure mmd2_mp against MMD² on validation halves")
    ap.add_argument("--alternatives", action="store_true",
                    help="only measure other statistics and nulls for the test's power on validation halves")
    ap.add_argument("--leave-genre-out", action="store_true",
                    help="only measure each validation domain's type-I error against a null without it")
    ap.add_argument("--held-out-corpus", metavar="JSONL", nargs="?", const=os.path.join(WORK, "corpus_full_val.jsonl"),
                    help="only measure the test's type-I error on the LM's held-out corpus texts "
                    "(default train/work/corpus_full_val.jsonl)")
    ap.add_argument("--corpus-null", type=int, default=0, metavar="N",
                    help="with --held-out-corpus: also try a null with N LM-training corpus texts per source")
    a = ap.parse_args()
    if a.held_out_corpus and not os.path.isfile(a.held_out_corpus):
        if os.path.dirname(os.path.abspath(a.held_out_corpus)) == os.path.abspath(WORK):
            work_path(os.path.basename(a.held_out_corpus))  # exits: says what writes it
        sys.exit(f"no corpus file {a.held_out_corpus}")
    recs = assign_splits(load_all())
    if a.held_out_corpus:
        held_out_corpus(a.model, a.held_out_corpus, a.corpus_null, recs)
        return
    if a.compare:
        compare(a.model, recs, a.exclude_domain)
        return
    if a.alternatives:
        alternatives(a.model, recs)
        return
    if a.leave_genre_out:
        leave_genre_out(a.model, recs)
        return
    hum = [r for r in recs if r["split"] == "val" and r["label"] == 0 and not left_out(r, a.exclude_domain)]
    stats = prefix_stats(a.model, [r["text"] for r in hum])
    sizes, rows = null_rows(stats)
    source = (f"first n scored sentences of each of {len(hum)} validation-split human texts"
              + (f" (domain {a.exclude_domain} left out)" if a.exclude_domain else ""))
    write_null(a.model, sizes, rows, source)
    log(f"{os.path.relpath(a.model, ROOT)}: human null with sizes {sizes[0]}..{sizes[-1]} "
        f"({len(sizes)} rows, {len(rows[0])} texts at {sizes[0]} … {len(rows[-1])} at {sizes[-1]}); {source}")


if __name__ == "__main__":
    main()
