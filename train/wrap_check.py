"""Does the verdict depend on how a text is wrapped? Test-split texts with no line break inside a
paragraph, scored by the C engine as they are and hard-wrapped at --width columns (what a PDF, an
e-mail client or a terminal does to pasted text): AUROC, machine texts labelled `machine`, human texts
labelled `machine`, mean scores. With the engine's white-space rule (docs/detector.md, "Sentence
features") both rows must agree; --cli compares another build of the engine (an older commit's).

  python3 train/wrap_check.py [--model models/telltale-small.ttm] [--n 400] [--width 72] [--cli PATH ...]
"""
import argparse
import os
import random
import textwrap

import numpy as np

import engine_cli
from common import ROOT
from data import assign_splits, load_all
from evaluate import doc_metrics, test_docs


def wrap(text, width):
    return "\n\n".join(textwrap.fill(p, width) for p in text.split("\n\n"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    ap.add_argument("--n", type=int, default=400, help="machine and human texts each")
    ap.add_argument("--width", type=int, default=72)
    ap.add_argument("--cli", nargs="+", default=[engine_cli.CLI], help="engine builds to compare")
    a = ap.parse_args()
    flat = [d for d in test_docs(assign_splits(load_all())) if "\n" not in d["text"].strip().replace("\n\n", "")]
    rng = random.Random(0)
    docs = (rng.sample([d for d in flat if d["label"] == 1], a.n) + rng.sample([d for d in flat if d["label"] == 0], a.n))
    y = np.array([d["label"] for d in docs])
    for cli in a.cli:
        engine_cli.CLI = cli
        for form, texts in (("as is", [d["text"] for d in docs]), (f"wrapped at {a.width}", [wrap(d["text"], a.width) for d in docs])):
            res = engine_cli.score_cli(a.model, texts)
            m = doc_metrics(docs, res)
            s = np.array([np.nan if r.get("score") is None else r["score"] for r in res])
            name = os.path.relpath(cli, ROOT) if os.path.abspath(cli).startswith(ROOT + os.sep) else cli
            print(f"{name}, {form}: AUROC {m['auroc']:.4f}; machine texts labelled machine {m['tpr_default']:.3f}, "
                  f"human texts labelled machine {round(m['fpr_default'] * a.n)} of {a.n}; mean score machine "
                  f"{np.nanmean(s[y == 1]):.3f}, human {np.nanmean(s[y == 0]):.3f}")


if __name__ == "__main__":
    main()
