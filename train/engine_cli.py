"""The C engine from Python: `build/telltale score --jsonl` over many texts, and what its results tell
human writers. Needs only NumPy, so that train/human_texts.py runs without PyTorch."""
import json
import os
import subprocess
import sys
import time

import numpy as np

from common import ROOT, log

CLI = os.path.join(ROOT, "build", "telltale")


def score_cli(model, texts, sentences=False, chunk=400, features=False, paragraphs=False):
    """texts: list of str → list of result dicts from `telltale score --jsonl` (--sentences, --features,
    --paragraphs)."""
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} missing: run `npm run build` first")
    out = []
    t = time.time()
    for b in range(0, len(texts), chunk):
        lines = "".join(json.dumps({"id": b + i, "text": x}) + "\n" for i, x in enumerate(texts[b:b + chunk]))
        cmd = ([CLI, "score", "--jsonl", "--model", model] + (["--sentences"] if sentences else []) +
               (["--features"] if features else []) + (["--paragraphs"] if paragraphs else []))
        p = subprocess.run(cmd, input=lines, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"telltale score failed ({p.returncode}): {p.stderr.strip()}")
        res = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        if len(res) != len(texts[b:b + chunk]):
            sys.exit(f"telltale score returned {len(res)} lines for {len(texts[b:b + chunk])} inputs")
        out += res
    log(f"  C engine scored {len(texts)} texts in {time.time() - t:.0f}s ({os.path.basename(model)})")
    return out


def rnd(x, k=4):
    return None if x is None else round(float(x), k)


def human_summary(r):
    """Engine results of human-written texts → what the detector told their writers: the share labelled
    `machine` (false positives at the default thresholds), `uncertain`, the mean score, and how often the
    paragraph test rejected (of the texts it tested)."""
    lab = [x.get("label") for x in r]
    tested = [x["p_value"] for x in r if x.get("p_value") is not None]
    scores = [x["score"] for x in r if x.get("score") is not None]
    return {"n": len(r), "fpr_default": rnd(np.mean([l == "machine" for l in lab])),
            "test_rejects": rnd(np.mean([p <= 0.05 for p in tested])) if tested else None, "n_tested": len(tested),
            "uncertain": rnd(np.mean([l == "uncertain" for l in lab])),
            "mean_score": rnd(np.mean(scores)) if scores else None}


def machine_anywhere(r):
    """Whether the page shows `machine` for engine result r (from `score --jsonl --paragraphs`): the
    document's label or any paragraph's."""
    return r.get("label") == "machine" or any(p["label"] == "machine" for p in r.get("paragraphs") or [])
