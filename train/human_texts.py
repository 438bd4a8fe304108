"""False positives on human texts the data folder does not hold: every *.txt file of a folder is one
human-written document, scored by the C engine (build/telltale, int8, what users run); the script
counts what the detector would tell their writers, overall and per group of an optional metadata CSV.

  python3 train/human_texts.py DIR [--model models/telltale-small.ttm]
                               [--meta CSV --file-column Filename --by L1,Level] [--out JSON]

For a learner corpus, a class's own essays, any writing whose authors you know: the share labelled
`machine` (false positives at the default thresholds) with its 95 % upper bound, how many the page
shows as `machine` anywhere (the text or one of its paragraphs), the share labelled `uncertain` and
`human`, the mean score, the paragraph test's rejections, and how many texts had fewer than 3 scored
sentences (those are always `uncertain`).
"""
import argparse
import csv
import glob
import os
import sys
from collections import defaultdict

import numpy as np
from scipy.stats import beta

from common import ROOT, log, write_json
from engine_cli import human_summary, machine_anywhere, rnd, score_cli

MIN_SENTENCES = 3  # the engine's default: fewer scored sentences are always `uncertain` (src/detect.c)


def upper_95(k, n):
    """One-sided 95 % Clopper-Pearson upper bound of a rate seen k times in n."""
    return 1.0 if k >= n else float(beta.ppf(0.95, k + 1, n - k))


def summarise(results):
    s = human_summary(results)
    k = sum(x.get("label") == "machine" for x in results)
    s["n_machine"] = int(k)
    s["fpr_upper_95"] = rnd(upper_95(k, len(results)))
    s["human"] = rnd(np.mean([x.get("label") == "human" for x in results]))
    s["n_machine_anywhere"] = int(sum(machine_anywhere(x) for x in results))  # the text or one of its paragraphs
    s["too_short"] = int(sum((x.get("n_sentences") or 0) < MIN_SENTENCES for x in results))
    s["median_sentences"] = float(np.median([x.get("n_sentences") or 0 for x in results]))
    return s


def read_meta(path, file_column, by):
    """metadata CSV → {file name: {column: value}} for the --by columns; exits naming what is missing."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        sys.exit(f"cannot read --meta {path}: {e.strerror}")
    cols = rows[0].keys() if rows else []
    for c in [file_column] + by:
        if c not in cols:
            sys.exit(f"--meta {path} has no column {c!r} (its columns: {', '.join(cols) or 'none'})")
    return {r[file_column]: r for r in rows}


def read_texts(folder, meta_path=None, file_column="Filename", by=()):
    """Every *.txt of folder → (file names, texts, {file name: metadata row}); exits when there is none,
    when --meta lacks a --by column or a file's row. Bad UTF-8 is read as U+FFFD and empty files are
    kept (both said in the log)."""
    files = sorted(glob.glob(os.path.join(folder, "*.txt")))
    if not files:
        sys.exit(f"no *.txt files in {folder}")
    texts, bad = [], []
    for f in files:
        raw = open(f, "rb").read()
        try:
            texts.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append(os.path.basename(f))
            texts.append(raw.decode("utf-8", errors="replace"))
    if bad:
        log(f"{len(bad)} of the files {'is' if len(bad) == 1 else 'are'} not valid UTF-8; their bad bytes were "
            f"read as U+FFFD: {', '.join(bad[:5])}")
    empty = [os.path.basename(f) for f, t in zip(files, texts) if not t.strip()]
    if empty:
        log(f"{len(empty)} of the files {'is' if len(empty) == 1 else 'are'} empty (counted, as `uncertain`): "
            f"{', '.join(empty[:5])}")
    meta = read_meta(meta_path, file_column, list(by)) if meta_path else {}
    names = [os.path.basename(f) for f in files]
    missing = [n for n in names if meta and n not in meta]
    if missing:
        sys.exit(f"{len(missing)} of the files have no row in --meta {meta_path} (column {file_column!r}; "
                 f"first: {missing[0]})")
    return names, texts, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", help="folder of *.txt files, one human-written text each")
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--meta", help="CSV with one row per file, for per-group rates")
    ap.add_argument("--file-column", default="Filename", help="the --meta column that holds the file name")
    ap.add_argument("--by", default="", help="comma-separated --meta columns to group by")
    ap.add_argument("--out", help="write the summary as JSON here")
    a = ap.parse_args()
    by = [c for c in a.by.split(",") if c]
    if by and not a.meta:
        sys.exit("--by needs --meta")
    names, texts, meta = read_texts(a.dir, a.meta, a.file_column, by)
    res = score_cli(a.model, texts, paragraphs=True)
    out = {"model": os.path.basename(a.model), "dir": os.path.abspath(a.dir), "all": summarise(res)}
    for col in by:
        groups = defaultdict(list)
        for n, r in zip(names, res):
            groups[meta[n][col]].append(r)
        out[f"by {col}"] = {g: summarise(rs) for g, rs in sorted(groups.items())}
    out["labelled_machine"] = [n for n, r in zip(names, res) if r.get("label") == "machine"]
    out["machine_paragraph_only"] = [n for n, r in zip(names, res) if r.get("label") != "machine" and machine_anywhere(r)]
    for key, s in [("all", out["all"])] + [(f"{k}={g}", s) for k, v in out.items() if k.startswith("by ")
                                           for g, s in v.items()]:
        print(f"{key:28s} n {s['n']:5d}  machine {s['n_machine']} ({100 * s['fpr_default']:.1f} %, ≤ "
              f"{100 * s['fpr_upper_95']:.1f} % at 95 %; anywhere on the page {s['n_machine_anywhere']})  uncertain {100 * s['uncertain']:.1f} %  human "
              f"{100 * s['human']:.1f} %  too short {s['too_short']}  mean score {s['mean_score']}  "
              + (f"test rejects {s['test_rejects']} of {s['n_tested']}" if s["n_tested"] else "none tested"))
    if a.out:
        write_json(a.out, out)


if __name__ == "__main__":
    main()
