"""Stage 3: write the int8 model file: transformer + tokenizer + MMD-MP kernel + reference set +
calibration (docs/model-format.md).

  python3 train/export.py [--tag main] [--out models/telltale-small.ttm]
"""
import argparse
import datetime
import json
import os
import subprocess

import numpy as np
import torch

from common import ROOT, WORK, log, work_path
from finetune import install
from model import GPT, Config, export_tensors
from ttm import write_ttm


def git_rev():
    try:
        return subprocess.check_output(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], text=True).strip()
    except Exception:
        return "unknown"


def build(tag, out, name="telltale-small"):
    z = torch.load(work_path("lm.pt"))
    cfg = Config(**z["config"])
    lm = GPT(cfg)
    lm.load_state_dict(z["model"])
    merges = json.load(open(work_path(f"merges_{cfg.vocab_size}.json")))
    det = torch.load(work_path(f"detector_{tag}.pt"))
    if det.get("finetune_blocks"):
        install(lm, det["finetune_blocks"], det["lm_top"])  # the top blocks fine-tuned for detection
    k = det["kernel"]
    f32 = lambda t: np.ascontiguousarray(np.asarray(t, dtype=np.float32))
    tensors = export_tensors(lm)
    tensors["tokenizer.merges"] = np.array(merges, dtype=np.int32).reshape(-1, 2)
    tensors["detector.fc1.weight"] = f32(k["fc1.weight"])
    tensors["detector.fc1.bias"] = f32(k["fc1.bias"])
    tensors["detector.ln.weight"] = f32(k["ln.weight"])
    tensors["detector.ln.bias"] = f32(k["ln.bias"])
    tensors["detector.fc2.weight"] = f32(k["fc2.weight"])
    tensors["detector.fc2.bias"] = f32(k["fc2.bias"])
    tensors["detector.ref_raw"] = f32(det["ref_raw"])
    tensors["detector.ref_phi"] = f32(det["ref_phi"])
    if "ce_mean" in det["calibration"]["document"]["features"]:
        tensors["detector.ce.weight"] = f32(det["ce_weight"])
        tensors["detector.ce.bias"] = f32([det["ce_bias"]])
    eps = float(torch.sigmoid(k["eps_logit"]))
    pre = json.load(open(os.path.join(WORK, "pretrain.json"))) if os.path.exists(os.path.join(WORK, "pretrain.json")) else {}
    meta = {
        "format": "telltale-model", "version": 1, "name": name,
        "created": datetime.date.today().isoformat(),
        "model": cfg.to_json(),
        "tokenizer": {"type": "byte-bpe", "pretokenizer": "telltale-v1", "n_merges": len(merges), "max_chunk": 32},
        "detector": {"feature": "final", "max_tokens": 64, "phi_hidden": int(k["fc1.weight"].shape[0]),
                     "phi_dim": int(k["fc2.weight"].shape[0]), "epsilon": eps,
                     "sigma": float(k["sigma_sqrt"] ** 2), "sigma0": float(k["sigma0_sqrt"] ** 2),
                     "n_ref": int(det["ref_raw"].shape[0]), "ref_kxx_mean": float(det["ref_kxx_mean"]),
                     "min_words": 5, "ln_eps": 1e-5},
        "calibration": dict(det["calibration"], fitted_on="validation split",
                            note="thresholds: machine_above keeps validation human texts of every domain at ≤ 1 % "
                                 "flagged; human_below keeps 90 % of validation machine texts above it"),
        "provenance": {"command": "npm run train", "git": git_rev(), "detector_tag": tag,
                       "lm_tokens_seen": pre.get("tokens_seen"),
                       "lm_top_blocks_finetuned_for_detection": int(det.get("finetune_blocks") or 0), "lm_heldout_ppl": pre.get("heldout_ppl_per_token"),
                       "excluded_domain": det["info"].get("exclude_domain"),
                       "excluded_generator": det["info"].get("exclude_generator"),
                       "extra_human": det["info"].get("extra_human"),
                       "data": "LM: Wikipedia, Reddit, student essays, IMDB reviews, Gutenberg (data/corpora); "
                               "detector: train split of the human/machine sets in data/ (see train/data.py)"},
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_ttm(out, meta, tensors)
    log(f"wrote {out}: {os.path.getsize(out) / 1e6:.2f} MB")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tag", default="main")
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "telltale-small.ttm"))
    a = ap.parse_args()
    build(a.tag, a.out)


if __name__ == "__main__":
    main()
