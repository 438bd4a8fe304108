"""`npm run train`: the whole training pipeline, resumable (each stage skips what is already done).

  1. pretrain.py   corpus → BPE tokenizer → LM pretraining (train/work/lm.pt)
  2. detector.py   the LM's top blocks fine-tuned for detection → sentence features → MMD-MP
                   kernel (+ MMD-D and CE baselines) → reference set → calibration on validation
                   (train/work/detector_main.pt); the kernel, reference set and head also see 2,000
                   human student essays of the pretraining corpus (EXTRA_HUMAN)
  3. export.py     models/telltale-small.ttm
     recalibrate.py  the document calibration refitted, length-aware, on the features the C engine
                   computes for the validation texts (build/telltale: the pipeline builds the native
                   part first)
  4. null_table.py  the paragraph test's human null, from validation human texts scored by the C
                   engine, written into the model
  5. the same detector without one domain / one generator at a time (train/work/lodo_*.ttm,
     logo_*.ttm) for evaluate.py's leave-one-out numbers

Options: --lm-minutes, --kernel-minutes, --finetune-blocks, --finetune-minutes,
--leave-out-finetune-minutes, --no-leave-out, --gpu, --finetune-from, --finetune-extra-human,
--leave-out-generators, --leave-out-domains, --leave-outs-only.
The leave-one-out detectors get a third of the kernel budget (10 of them; with --leave-out-generators
all, 26: ~2.4 h more on 2 cores).
Data: $TELLTALE_DATA (default ../shared/data). Stages 2–5 take ~120 min on 2 cores, ~83 min after a
GPU fine-tuning run (models/README.md; recalibration and the human null are ~1.5 and ~1 min per model).

Two ways to make the LM (stage 1) and fine-tune its top blocks (start of stage 2):
  CPU (default)  4 layers on 41 MB of the corpora, --lm-minutes of wall clock (55 min ≈ 4 M tokens);
                 the top --finetune-blocks (2) fine-tuned on the detector's 78,533-sentence sample
                 for --finetune-minutes (30; leave-one-out detectors 2).
  --gpu          what the shipped model used: 6 layers on the full modern corpora (50.3 M tokens),
                 600 M tokens, bf16 on one CUDA GPU (4.2 min on an H200); then finetune.py on the
                 GPU: 2 or 4 top blocks (the better on validation) fine-tuned on all 534,611
                 train-split sentences for every detector (8 min on an H200). The rest runs on the CPU.
Runs made on another machine come in with `pretrain.py --import-npz FILE` (the LM) and
`--finetune-from DIR` (finetune.py's files; the shipped model's were made on a GPU machine from
`detector.py --write-finetune-set`, models/README.md). The shipped LM itself (int8) is in the model
file of commit a75cf8a, whose blocks were never fine-tuned: `git show a75cf8a:models/telltale-small.ttm
> lm.ttm && python3 train/pretrain.py --import-model lm.ttm` gives stage 1 without pretraining.
"""
import argparse
import os
import subprocess
import sys

from common import ROOT, WORK, log

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable


# the shipped LM's pretraining run (models/README.md)
GPU_LM = ["--corpus", "full", "--device", "cuda", "--layers", "6", "--batch", "512", "--lr", "2e-3",
          "--warmup", "300", "--eval-every", "400", "--minutes", "6.5", "--max-tokens", "600e6"]
# the shipped detectors' fine-tuning run (models/README.md)
GPU_FT = ["--device", "cuda", "--blocks", "2,4", "--minutes", "1.25", "--leave-out-minutes", "0.5",
          "--batch", "512", "--lr", "2e-4"]
# human essays beside the machine-only essay sets in every detector's kernel, reference set and head:
# 2,000 student essays of the LM's pretraining corpus (9,874 sentences; models/README.md, "Essays by
# learners of English": the paragraph test rejected 30 % instead of 48 % of university learners' essays,
# 41 % instead of 56 % of a second sample by other writers)
EXTRA_HUMAN = ["--extra-human", "student-essays:2000"]


def run(*args):
    log("run:", " ".join(args))
    subprocess.run([PY, os.path.join(HERE, args[0])] + list(args[1:]), check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lm-minutes", type=float, default=55)
    ap.add_argument("--kernel-minutes", type=float, default=6)
    ap.add_argument("--finetune-blocks", type=int, default=2, help="LM blocks fine-tuned for detection (0: none)")
    ap.add_argument("--finetune-minutes", type=float, default=30)
    ap.add_argument("--leave-out-finetune-minutes", type=float, default=2,
                    help="fine-tuning budget of each leave-one-out detector")
    ap.add_argument("--no-leave-out", action="store_true")
    ap.add_argument("--leave-out-generators", default="six", metavar="six|all|none|G1,G2",
                    help="the leave-one-generator-out detectors: the shipped release's six, every generator with "
                    "human texts in its domains (22), none, or a list")
    ap.add_argument("--leave-out-domains", default="four", choices=["four", "none"])
    ap.add_argument("--leave-outs-only", action="store_true",
                    help="only the leave-one-out detectors (the LM and the main detector are not touched)")
    ap.add_argument("--gpu", action="store_true", help="pretrain the shipped model's LM on a CUDA GPU")
    ap.add_argument("--finetune-from", metavar="DIR",
                    help="take every detector's fine-tuned blocks from finetune.py's files in DIR")
    ap.add_argument("--finetune-extra-human", metavar="SOURCE:N",
                    help="with --gpu: corpus texts of SOURCE join the fine-tuning's human sentences too "
                    "(detector.py --write-finetune-set --extra-human; not the shipped recipe: models/README.md, 'next')")
    a = ap.parse_args()
    if a.finetune_extra_human and (not a.gpu or a.finetune_from):
        ap.error("--finetune-extra-human needs --gpu and no --finetune-from (it changes what the GPU fine-tunes on; "
                 "the CPU fine-tuning uses the detector's own sample)")
    if a.leave_outs_only and (a.no_leave_out or a.gpu):
        ap.error("--leave-outs-only trains the leave-one-out detectors alone: not with --no-leave-out, and not with "
                 "--gpu (run finetune.py --main-blocks K on the GPU, then --finetune-from its folder)")
    from data import LODO_DOMAINS, assign_splits, generators_with_human, left_out_generators, load_all
    known = []  # the data is read for the list only when it is needed
    if not a.no_leave_out and a.leave_out_generators not in ("six", "none"):
        train = [r for r in assign_splits(load_all()) if r["split"] == "train"]
        known = generators_with_human((r["domain"], r["label"], r["generator"]) for r in train)
    try:
        logo = [] if a.no_leave_out else left_out_generators(a.leave_out_generators, known)
    except ValueError as e:
        ap.error(f"--leave-out-generators: the train split has {e}")
    if a.leave_outs_only and not os.path.exists(os.path.join(WORK, "pretrain.json")):
        ap.error(f"--leave-outs-only needs the LM ({WORK}/pretrain.json): run without it first, or import one "
                 "(pretrain.py --import-model)")
    # the native CLI scores validation texts for the calibration and the human null; no wasm build needed
    subprocess.run(["node", os.path.join(ROOT, "scripts", "build.mjs"), "native"], check=True)

    if not os.path.exists(os.path.join(WORK, "pretrain.json")):
        if a.gpu:
            run("pretrain.py", *GPU_LM)
        else:
            run("pretrain.py", "--minutes", str(a.lm_minutes))
    ft_dir = a.finetune_from
    if a.gpu and not ft_dir:
        ft_dir = os.path.join(WORK, "gpu_ft")
        if not os.path.exists(os.path.join(ft_dir, "finetuned_main.npz")):
            ids = os.path.join(WORK, "finetune_set.npz")
            run("detector.py", "--write-finetune-set", ids,
                *(["--extra-human", a.finetune_extra_human] if a.finetune_extra_human else []))
            run("finetune.py", "--set", ids, "--out", ft_dir, *GPU_FT, *(["--no-leave-out"] if a.no_leave_out else []),
                "--leave-out-generators", ",".join(logo) or "none", "--leave-out-domains", a.leave_out_domains)

    def ft(minutes):
        if ft_dir:  # the number of blocks is the one finetune.py chose
            return ["--finetune-from", ft_dir]
        return ["--finetune-blocks", str(a.finetune_blocks), "--finetune-minutes", str(minutes)]

    if not a.leave_outs_only:
        if not os.path.exists(os.path.join(WORK, "detector_main.pt")):
            run("detector.py", "--minutes", str(a.kernel_minutes), "--baselines", "--tag", "main", *ft(a.finetune_minutes),
                *EXTRA_HUMAN)
        shipped = os.path.join(ROOT, "models", "telltale-small.ttm")
        run("export.py", "--tag", "main", "--out", shipped)
        run("recalibrate.py", "--model", shipped)
        run("null_table.py", "--model", shipped)
    if a.no_leave_out:
        return
    short = str(max(1.0, a.kernel_minutes / 3))
    short_ft = ft(a.leave_out_finetune_minutes)
    for dom in (LODO_DOMAINS if a.leave_out_domains == "four" else []):
        tag = f"lodo_{dom}"
        if not os.path.exists(os.path.join(WORK, f"detector_{tag}.pt")):
            run("detector.py", "--minutes", short, "--exclude-domain", dom, "--tag", tag, *short_ft, *EXTRA_HUMAN)
        run("export.py", "--tag", tag, "--out", os.path.join(WORK, f"{tag}.ttm"))
        run("recalibrate.py", "--model", os.path.join(WORK, f"{tag}.ttm"))
        run("null_table.py", "--model", os.path.join(WORK, f"{tag}.ttm"), "--exclude-domain", dom)
    for g in logo:
        tag = f"logo_{g}"
        if not os.path.exists(os.path.join(WORK, f"detector_{tag}.pt")):
            run("detector.py", "--minutes", short, "--exclude-generator", g, "--tag", tag, *short_ft, *EXTRA_HUMAN)
        run("export.py", "--tag", tag, "--out", os.path.join(WORK, f"{tag}.ttm"))
        run("recalibrate.py", "--model", os.path.join(WORK, f"{tag}.ttm"))
        run("null_table.py", "--model", os.path.join(WORK, f"{tag}.ttm"))


if __name__ == "__main__":
    main()
