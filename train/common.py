"""Paths, logging and text loading shared by the training scripts."""
import gzip
import hashlib
import json
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.environ.get("TELLTALE_DATA", os.path.join(ROOT, "..", "shared", "data"))
WORK = os.environ.get("TELLTALE_WORK", os.path.join(ROOT, "train", "work"))
os.makedirs(WORK, exist_ok=True)

_T0 = time.time()


def log(*a):
    print(f"[{time.time() - _T0:7.1f}s]", *a, flush=True)


def data_path(*parts):
    p = os.path.join(DATA, *parts)
    if not os.path.exists(p):
        sys.exit(f"missing data file {p}: set TELLTALE_DATA to the folder that holds telltale's data "
                 f"(default ../shared/data)")
    return p


TRAIN_HINT = ("Run `npm run train` (about 3 h on 2 CPU cores; `python3 train/pipeline.py --gpu` with a GPU), "
              "or set TELLTALE_WORK to the folder of a training run that has it")


def work_path(name):
    """A file a training stage leaves in WORK (not committed) → its path; when this checkout lacks it,
    exits with what writes it instead of a traceback."""
    p = os.path.join(WORK, name)
    if not os.path.exists(p):
        by = ("pretrain.py --corpus full (pipeline stage 1 with --gpu)" if name.startswith("corpus_full")
              else "pretrain.py (pipeline stage 1)" if name.startswith(("lm.pt", "merges_", "corpus_"))
              else "detector.py (pipeline stage 2)" if name.startswith("detector_") else "the training pipeline")
        sys.exit(f"missing {p}: {by} writes it. {TRAIN_HINT}")
    return p


def read_jsonl_gz(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


_ws = re.compile(r"[ \t\u00a0]+")
_nl = re.compile(r"\n{3,}")


def clean(text: str) -> str:
    """Normalise whitespace the way every text is seen at detection time."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(_ws.sub(" ", l).strip() for l in text.split("\n"))
    return _nl.sub("\n\n", text).strip()


def json_clean(x):
    """x with every non-finite float (NaN, ±inf) replaced by None: strict JSON, which JSON.parse and
    cJSON read (Python would otherwise write the non-standard token NaN)."""
    if isinstance(x, float):
        return x if x == x and abs(x) != float("inf") else None
    if isinstance(x, dict):
        return {k: json_clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_clean(v) for v in x]
    return x


def write_json(path, obj):
    """Writes obj as strict, indented JSON (non-finite numbers as null)."""
    with open(path, "w") as f:
        json.dump(json_clean(obj), f, indent=1, allow_nan=False)


def text_hash(text: str) -> str:
    """Stable 16-hex key of a text (after normalising whitespace and case)."""
    key = " ".join(text.lower().split())
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def bucket(key: str, salt: str = "telltale-split-v1") -> int:
    """0..99, fixed for a key."""
    return int(hashlib.sha1((salt + key).encode()).hexdigest()[:8], 16) % 100
