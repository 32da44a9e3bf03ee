"""Train the small CLAUDETTE check that runs next to the rules (server/clausewatch/models/claudette.json).

    .venv/bin/python bench/train_model.py [--data ../shared/data] [--out server/clausewatch/models/claudette.json]

Data: UNFAIR-ToS train split only (LexGLUE, CC BY 4.0; CLAUDETTE ToS-50, Lippi et al. 2019). The
validation split and the 2024 corpus are never read here: they are what the model is checked on.
OPP-115 is never used.

Features (clausewatch.models.features): word unigrams and bigrams of the sentence, binary tf times
idf, L2-normalised (rule hits are not features: the rules were written looking at this split, so they would
look better here than anywhere else). One logistic regression
per label with L1 and L2, trained with FTRL-Proximal in pure Python, deterministic (fixed seed,
fixed order): L1 leaves most n-gram weights at exactly zero, so the file is small and inference
looks up few n-grams (bench/accuracy.md, "Cost"). CW_L1=0 trains the earlier dense AdaGrad model. Each label
gets two thresholds, chosen together for the best F1 of rules+model on 5-fold out-of-fold
predictions where the folds are whole companies (a threshold is never chosen on sentences of a
company the model saw): `keep` (a rule finding survives when p >= keep) and `add` (the model
reports a clause the rules missed when p >= add).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from clausewatch.analyze import Analyzer  # noqa: E402
from clausewatch.evaluate import read_jsonl  # noqa: E402
from clausewatch.match import Matcher  # noqa: E402
from clausewatch.models import LABEL_CATEGORY, features, sigmoid  # noqa: E402
from clausewatch.rules import load_rules  # noqa: E402
from clausewatch.taxonomy import CATEGORIES  # noqa: E402

LABELS = sorted(LABEL_CATEGORY)
SEED = 13
EPOCHS = int(os.environ.get("CW_EPOCHS", 6))
L2 = float(os.environ.get("CW_L2", 1e-4))
LR = float(os.environ.get("CW_LR", 0.5))
# n-grams seen in fewer than MIN_DF train sentences get no feature: rare n-grams mostly fit noise
# (validation F1 held within 0.004 going from 2 to 5) and they were 2/3 of the file and lookups.
MIN_DF = int(os.environ.get("CW_MIN_DF", 5))
FOLDS = 5
# L1 (FTRL-Proximal): most n-grams get a weight of exactly zero, so the file stays small and
# inference only looks up the few n-grams that matter. CW_L1=0 gives the dense AdaGrad model
# (same validation macro-F1 within 0.01, 6x the file, ~6 points more analysis time).
L1 = float(os.environ.get("CW_L1", 1.0))
FTRL_BETA = 1.0
PRUNE = 0.02  # weights smaller than this change no decision measurably; they only cost bytes


def rule_features(analyzer: Analyzer, text: str):
    """Rule ids and categories of the CLAUDETTE-mapped findings on this sentence."""
    try:
        findings = analyzer.analyze(text=text).findings
    except Exception:  # empty text and the like: no rule fired
        return [], []
    mine = [f for f in findings if CATEGORIES[f.category].claudette in LABEL_CATEGORY]
    return sorted({f.rule for f in mine}), sorted({f.category for f in mine})


def featurise(rows, analyzer):
    """N-gram features per sentence, and the labels the rules alone predict on it."""
    ruled = []
    for row in rows:
        _rules, cats = rule_features(analyzer, row["text"])
        ruled.append({CATEGORIES[c].claudette for c in cats})
    # Document frequencies need no labels, so the whole split is used for them.
    df: dict[str, int] = {}
    for row in rows:
        for g in features(row["text"]):
            df[g] = df.get(g, 0) + 1
    n = len(rows)
    idf = {g: round(math.log((1 + n) / (1 + c)) + 1, 3) for g, c in df.items() if c >= MIN_DF}
    unseen = round(math.log((1 + n) / 2) + 1, 3)
    feats = [features(row["text"], idf, unseen) for row in rows]
    return feats, ruled, idf, unseen


def vocabulary(feats) -> set[str]:
    df: dict[str, int] = {}
    for f in feats:
        for k in f:
            df[k] = df.get(k, 0) + 1
    return {k for k, n in df.items() if n >= MIN_DF}


def train_label(feats, ys, vocab):
    if L1 > 0:
        return train_label_ftrl(feats, ys, vocab)
    return train_label_adagrad(feats, ys, vocab)


def train_label_ftrl(feats, ys, vocab):
    """FTRL-Proximal (McMahan et al. 2013) on the logistic loss with L1 and L2; returns (bias, weights).

    Per-coordinate AdaGrad-like steps, but a weight is exactly zero until the gradients that
    favour its n-gram add up to more than L1: n-grams seen a few times by chance stay out."""
    z: dict[str, float] = {}
    n2: dict[str, float] = {}
    b, gb2 = 0.0, 1e-8
    xs = [{k: v for k, v in f.items() if k in vocab} for f in feats]
    order = list(range(len(feats)))
    rng = random.Random(SEED)
    alpha, l1, l2 = LR, L1, L2

    def weight(k):
        zk = z.get(k, 0.0)
        if abs(zk) <= l1:
            return 0.0
        return -(zk - math.copysign(l1, zk)) / ((FTRL_BETA + math.sqrt(n2.get(k, 0.0))) / alpha + l2)

    for _epoch in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            x = xs[i]
            ws = {k: weight(k) for k in x}
            zsum = b + sum(ws[k] * v for k, v in x.items())
            err = sigmoid(zsum) - ys[i]
            gb2 += err * err
            b -= LR * err / math.sqrt(gb2)
            for k, v in x.items():
                g = err * v
                nk = n2.get(k, 0.0)
                sigma = (math.sqrt(nk + g * g) - math.sqrt(nk)) / alpha
                z[k] = z.get(k, 0.0) + g - sigma * ws[k]
                n2[k] = nk + g * g
    w = {k: weight(k) for k in z}
    return b, {k: v for k, v in w.items() if v != 0.0}


def train_label_adagrad(feats, ys, vocab):
    """AdaGrad on the logistic loss with L2; returns (bias, weights)."""
    w: dict[str, float] = {}
    g2: dict[str, float] = {}
    b, gb2 = 0.0, 1e-8
    xs = [{k: v for k, v in f.items() if k in vocab} for f in feats]
    order = list(range(len(feats)))
    rng = random.Random(SEED)
    for _epoch in range(EPOCHS):
        rng.shuffle(order)
        for i in order:
            x = xs[i]
            z = b + sum(w.get(k, 0.0) * v for k, v in x.items())
            err = sigmoid(z) - ys[i]
            gb2 += err * err
            b -= LR * err / math.sqrt(gb2)
            for k, v in x.items():
                wk = w.get(k, 0.0)
                g = err * v + L2 * wk
                g2[k] = g2.get(k, 1e-8) + g * g
                w[k] = wk - LR * g / math.sqrt(g2[k])
    return b, w


def predict(b, w, x) -> float:
    return sigmoid(b + sum(w.get(k, 0.0) * v for k, v in x.items()))


def best_threshold(probs, ys) -> tuple[float, float]:
    best = (0.5, 0.0)
    for t in [i / 100 for i in range(5, 96)]:
        tp = sum(1 for p, y in zip(probs, ys) if p >= t and y)
        fp = sum(1 for p, y in zip(probs, ys) if p >= t and not y)
        fn = sum(1 for p, y in zip(probs, ys) if p < t and y)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1] + 1e-9:
            best = (t, f1)
    return best


def best_policy(probs, ys, hits) -> tuple[float, float, float]:
    """Thresholds (keep, add): a rule finding stays when p >= keep; the model adds one when p >= add."""
    best = (0.5, 0.5, 0.0)
    grid = [i / 100 for i in range(2, 96, 2)]
    # keep 0 = every rule finding stays; add 1.01 = the model never adds one of its own
    for keep in [0.0] + grid:
        for add in grid + [1.01]:
            if add < keep:
                continue
            tp = fp = fn = 0
            for p, y, h in zip(probs, ys, hits):
                pred = p >= keep if h else p >= add
                if pred and y:
                    tp += 1
                elif pred:
                    fp += 1
                elif y:
                    fn += 1
            f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
            if f1 > best[2] + 1e-9:
                best = (keep, add, f1)
    return best


def fit_label(job) -> dict:
    label, feats, ys, folds, hits = job
    oof = [0.0] * len(ys)
    for k in range(FOLDS):
        tr = [i for i, f in enumerate(folds) if f != k]
        te = [i for i, f in enumerate(folds) if f == k]
        vocab = vocabulary([feats[i] for i in tr])
        b, w = train_label([feats[i] for i in tr], [ys[i] for i in tr], vocab)
        for i in te:
            oof[i] = predict(b, w, feats[i])
    threshold, f1 = best_threshold(oof, ys)
    keep, add, f1_combined = best_policy(oof, ys, hits)
    rules_tp = sum(1 for y, h in zip(ys, hits) if y and h)
    rules_f1 = 2 * rules_tp / (sum(hits) + sum(ys)) if rules_tp else 0.0
    b, w = train_label(feats, ys, vocabulary(feats))
    kept = {k: round(v, 4) for k, v in sorted(w.items()) if abs(v) >= PRUNE}
    return {"bias": round(b, 4), "threshold": threshold, "keep": keep, "add": add,
            "cv_f1": round(f1, 4), "cv_f1_rules": round(rules_f1, 4), "cv_f1_combined": round(f1_combined, 4),
            "weights": kept}


def measure_overhead(model_path: Path, pages_dir: Path, n_pages: int = 25, repeats: int = 9) -> None:
    """What the model adds to analysis time (bench/accuracy.md, "Cost"): the first `n_pages` HTML
    pages of `pages_dir` through the full in-process pipeline (extraction, segmentation, rules),
    with and without the model, alternating page by page; CPU time (time.process_time), because
    the machine is shared; the median over `repeats` of the whole-set ratio."""
    import statistics
    from clausewatch.models import ClauseModel
    pages = sorted(pages_dir.glob("*.html"))[:n_pages]
    htmls = [p.read_text(encoding="utf-8", errors="replace") for p in pages]
    rules, _ = load_rules(ROOT / "rules")
    matcher = Matcher(rules)
    plain, with_model = Analyzer(matcher), Analyzer(matcher, model=ClauseModel.load(model_path))
    run = [lambda h: plain._analyze(html=h, text=None, url="", title=""),  # no cache: real work
           lambda h: with_model._analyze(html=h, text=None, url="", title="")]
    for h in htmls:  # warm up (compiled patterns, first allocations)
        run[0](h), run[1](h)
    ratios, base = [], []
    for _ in range(repeats):
        spent = [0.0, 0.0]
        for h in htmls:
            for i in (0, 1):
                t = time.process_time()
                run[i](h)
                spent[i] += time.process_time() - t
        ratios.append(spent[1] / spent[0] - 1)
        base.append(spent[0])
    print(f"{len(htmls)} pages of {pages_dir}: rules alone {statistics.median(base):.2f} s CPU per pass; "
          f"the model adds {100 * statistics.median(ratios):.1f}% (median of {repeats}; "
          f"range {100 * min(ratios):.1f}-{100 * max(ratios):.1f}%)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--out", default=str(ROOT / "server" / "clausewatch" / "models" / "claudette.json"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--overhead", action="store_true",
                    help="do not train: measure what the model at --out adds to analysis time on real pages")
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args(argv)
    if args.overhead:
        measure_overhead(Path(args.out), Path(args.data) / "pages" / "ota_genai", repeats=args.repeats)
        return 0
    started = time.time()
    rows = read_jsonl(Path(args.data) / "unfair_tos" / "train.jsonl")
    rules, _ = load_rules(ROOT / "rules")
    analyzer = Analyzer(Matcher(rules))  # rules only: the model learns on top of them
    feats, ruled, idf, unseen = featurise(rows, analyzer)
    docs = sorted({r.get("doc", "") for r in rows})
    fold_of = {d: i % FOLDS for i, d in enumerate(docs)}
    model = {"version": "claudette-lr-1", "trained_on": "unfair_tos/train.jsonl (LexGLUE UNFAIR-ToS, CC BY 4.0)",
             "features": "word 1-2 grams, binary tf x idf, L2-normalised", "idf": idf, "idf_unseen": unseen,
             "labels": {}}
    folds = [fold_of[r.get("doc", "")] for r in rows]
    jobs = [(label, feats, [1 if label in r["labels"] else 0 for r in rows], folds,
             [1 if label in rl else 0 for rl in ruled]) for label in LABELS]
    # Labels are independent: train them in parallel (results do not depend on the worker count).
    with multiprocessing.Pool(min(args.jobs, len(jobs))) as pool:
        results = pool.map(fit_label, jobs)
    for label, entry in zip(LABELS, results):
        model["labels"][label] = entry
        print(f"{label:<5} model alone F1 {entry['cv_f1']:.3f} (t {entry['threshold']:.2f})  "
              f"rules {entry['cv_f1_rules']:.3f}  combined {entry['cv_f1_combined']:.3f} "
              f"(keep {entry['keep']:.2f}, add {entry['add']:.2f})  weights {len(entry['weights'])}", flush=True)
    out = Path(args.out)
    out.write_text(json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    macro = sum(m["cv_f1_combined"] for m in model["labels"].values()) / len(LABELS)
    print(f"macro CV F1 {macro:.4f}; wrote {out} ({out.stat().st_size / 1e6:.2f} MB) in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
