"""Human/machine text sets of $TELLTALE_DATA as one list of records, with fixed seeded splits.

Record: {text, label: 0 human / 1 machine, generator, domain, attack, source, group}.
`group` ties together texts that must stay in one split: a human original and every machine text
made from it (fast-detect-gpt pairs), all answers to one question (SQuAD/TruthfulQA sets), one
article (binoculars). Splits are by group: 70 % train, 15 % validation, 15 % test
(train/splits/*.txt.gz hold the validation and test groups; everything else is train).
"""
import csv
import glob
import gzip
import json
import os
import sys

from common import ROOT, bucket, clean, data_path, log, read_jsonl_gz, text_hash

SPLIT_DIR = os.path.join(ROOT, "train", "splits")
csv.field_size_limit(sys.maxsize)


_GEN_ALIASES = {"gpt4": "gpt-4", "bloomz-7b": "bloomz", "google-palm": "palm-2", "flan-t5-11b": "flan-t5-xxl"}


def _gen(name, label):
    if label == 0:
        return "human"
    g = (name or "unknown").lower()
    return _GEN_ALIASES.get(g, g)


def _rec(text, label, generator, domain, attack, source, group):
    return {"text": clean(text), "label": label, "generator": _gen(generator, label),
            "domain": domain, "attack": attack, "source": source, "group": group}


def load_fast_detect_gpt():
    out = []
    for path in sorted(glob.glob(os.path.join(data_path("fast-detect-gpt"), "exp_*", "*.raw_data.json"))):
        domain, gen = os.path.basename(path)[:-len(".raw_data.json")].split("_", 1)
        d = json.load(open(path))
        for o, s in zip(d["original"], d["sampled"]):
            g = "fdg:" + text_hash(o)
            out.append(_rec(o, 0, None, domain, None, "fast-detect-gpt", g))
            out.append(_rec(s, 1, gen, domain, None, "fast-detect-gpt", g))
    return out


def load_binoculars():
    out = []
    with open(data_path("binoculars", "pubmed-falcon7.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            key = [k for k in r if k.endswith("generated_text_wo_prompt")][0]
            g = "bin:" + text_hash(r["article"][:2000])
            out.append(_rec(r["article"][:3000], 0, None, "pubmed", None, "binoculars", g))
            out.append(_rec(r[key], 1, "falcon-7b", "pubmed", None, "binoculars", g))
    return out


def load_qa():
    """SQuAD1 contexts (human) and TruthfulQA best answers vs LLM answers to the same question."""
    out = []
    gens = {"ChatGPT_answer": "chatgpt", "BloomZ_answer": "bloomz", "ChatGLM_answer": "chatglm",
            "Dolly_answer": "dolly", "ChatGPT-turbo_answer": "gpt-3.5-turbo", "GPT4_answer": "gpt-4",
            "StableLM_answer": "stablelm", "chatgpt_answer": "chatgpt"}
    seen_h = set()
    for folder in ("mmd-mp", "r-detect"):
        for name in sorted(os.listdir(data_path(folder))):
            if not name.endswith(".csv"):
                continue
            squad = name.startswith("SQuAD")
            domain = "squad-qa" if squad else "truthfulqa"
            with open(os.path.join(data_path(folder), name), newline="", encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    q = r.get("question") or r.get("Question") or ""
                    human = r["context"] if squad else r["Best Answer"]
                    g = "qa:" + text_hash(human if squad else q)
                    hk = text_hash(human)
                    if hk not in seen_h:
                        seen_h.add(hk)
                        out.append(_rec(human, 0, None, domain, None, folder, g))
                    for col, gen in gens.items():
                        t = r.get(col)
                        if t and len(t.split()) >= 3:
                            out.append(_rec(t, 1, gen, domain, None, folder, g))
    return out


def load_texts_jsonl(folder):
    out = []
    for r in read_jsonl_gz(data_path(folder, "texts.jsonl.gz")):
        t = r["text"]
        lab = 0 if r["label"] == "human" else 1
        domain = r.get("domain") or (folder + "-attacks")
        out.append(_rec(t, lab, r.get("generator"), domain, r.get("attack"), folder, f"{folder}:" + text_hash(t)))
    return out


def load_all():
    recs = (load_fast_detect_gpt() + load_binoculars() + load_qa() +
            sum((load_texts_jsonl(f) for f in ("detectrl", "biscope", "outfox", "argugpt", "hc3-plus")), []))
    # drop exact duplicates (same text, same label), keep the first
    seen, out = set(), []
    for r in recs:
        k = (text_hash(r["text"]), r["label"])
        if k in seen or len(r["text"]) < 20:
            continue
        seen.add(k)
        out.append(r)
    log(f"data: {len(out)} texts ({sum(r['label'] == 0 for r in out)} human)")
    return out


def excluded_domains(domain):
    """The domains a leave-one-domain-out run drops for `domain`: SQuAD contexts are also the human
    side of squad-qa, so squad takes squad-qa along."""
    return {domain} | ({"squad-qa"} if domain == "squad" else set())


def domain_list(spec, known):
    """'D1,D2' (an --exclude-train-domains value) → {D1, D2}; ValueError naming those not in known."""
    want = set(spec.split(",")) - {""}
    if want - set(known):
        raise ValueError(f"no train texts of {', '.join(sorted(want - set(known)))} "
                         f"(domains: {', '.join(sorted(set(known)))})")
    return want


# the leave-one-out models of the shipped release (pipeline.py trains them, evaluate.py measures them)
LODO_DOMAINS = ["xsum", "writing", "squad", "pubmed"]
LOGO_GENERATORS = ["gpt-3.5-turbo", "gpt-4", "claude-3-opus", "gemini-1.0-pro", "palm-2", "gpt-neox-20b"]


def generators_with_human(rows):
    """The generators a leave-one-generator-out AUROC can be measured for: those with machine texts in
    a domain that also has human texts. rows: (domain, label, generator) triples → sorted names."""
    rows = list(rows)
    human = {d for d, l, _ in rows if l == 0}
    return sorted({g for d, l, g in rows if l == 1 and d in human})


def left_out_generators(spec, known):
    """A --leave-out-generators value → the generators to leave out one at a time: 'six' (the six of
    LOGO_GENERATORS, the shipped release's), 'all' (every one of known, the
    generators_with_human of the data at hand), 'none', or 'G1,G2'; ValueError naming those not in known."""
    if spec in ("six", "all", "none"):
        return {"six": list(LOGO_GENERATORS), "all": list(known), "none": []}[spec]
    want = [g for g in spec.split(",") if g]
    if not want or set(want) - set(known):
        raise ValueError(f"no machine texts beside human ones of {', '.join(sorted(set(want) - set(known))) or 'an empty list'} "
                         f"(give six, all, none or some of: {', '.join(known)})")
    return want


def left_out(r, exclude_domain=None, exclude_generator=None):
    """Whether text r (domain, label, generator) is dropped by a leave-one-domain-out run without
    exclude_domain or a leave-one-generator-out run without exclude_generator."""
    return bool((exclude_domain and r["domain"] in excluded_domains(exclude_domain)) or
                (exclude_generator and r["label"] == 1 and r["generator"] == exclude_generator))


def split_of_group(g):
    b = bucket(g)
    return "train" if b < 70 else ("val" if b < 85 else "test")


def assign_splits(recs):
    """Adds r['split']; writes train/splits/{val,test}.txt.gz once, and checks them afterwards."""
    os.makedirs(SPLIT_DIR, exist_ok=True)
    for r in recs:
        r["split"] = split_of_group(r["group"])
    for name in ("val", "test"):
        groups = sorted({r["group"] for r in recs if r["split"] == name})
        p = os.path.join(SPLIT_DIR, f"{name}.txt.gz")
        if os.path.exists(p):
            stored = set(gzip.open(p, "rt").read().split())
            missing = [g for g in groups if g not in stored]
            if missing:
                sys.exit(f"split file {p} disagrees with the data ({len(missing)} groups not listed): "
                         f"the data changed; regenerate splits deliberately")
        else:
            with gzip.GzipFile(p, "wb", mtime=0) as f:
                f.write(("\n".join(groups) + "\n").encode())
    return recs
