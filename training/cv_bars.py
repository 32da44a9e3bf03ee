"""How well each way of choosing bars holds up on services it was not chosen on.

choose_thresholds.py picks one pair of bars (model alone, model with a rule) for every id on the
whole selection set. Here the selection services are cut in two halves, the bars are chosen on one
half and scored on the other, both ways, for three different cuts; the figure is the mean held-out
macro-F1 over ids with at least 5 positives on the choosing half and 3 on the scoring half. The
ways compared: one pair for every id (what ships), and a pair per id with ties broken either way.

It also scores the precision each id's critical/high bars are chosen for (HIGH_PRECISION): the
bars chosen on one half at each target, above the one pair, and the critical/high precision that
follows on the other, over the ids whose category is critical or high by default (a rule's
escalation, the other way to red, does not depend on these bars and is left out). A target met on the set it was chosen on
is met less often on services it was not: this says by how much.
Everything stays inside the selection set; the sealed set is never read.

    PYTHONPATH=server .venv/bin/python training/cv_bars.py [--detector DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from choose_thresholds import (analyzer_for, evidence_arrays, high_bar,  # noqa: E402
                               higher_on_tie, lower_on_tie, one_pair, pair_f1, pair_f1s)
from clausewatch.core.encoder import DETECTOR_DIR  # noqa: E402  (choose_thresholds put server/ on the path)
from clausewatch.core.taxonomy import CATEGORIES, SEVERITY_RANK  # noqa: E402
from data import selection_rows  # noqa: E402

WAYS = ("one pair for every id", "a pair per id, lower on a tie", "a pair per id, higher on a tie")
HIGH_TARGETS = (0.85, 0.9, 0.95)


def severe(p, hit, truth, choose, score, alone, with_rule, target):
    """(sentences of `score` shown critical or high, of them right) for one id, its high bars
    chosen on `choose` for `target` above its pair of bars (`alone`, `with_rule`)."""
    high = high_bar(p[choose], ~hit[choose], truth[choose], alone, target)
    high_rule = high_bar(p[choose], hit[choose], truth[choose], with_rule, target)
    ps, hs = p[score], hit[score]
    pred = (((ps >= high) & ~hs) | ((ps >= high_rule) & hs)).any(axis=1)
    return int(pred.sum()), int((pred & truth[score]).sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detector", type=Path, default=DETECTOR_DIR)
    args = ap.parse_args()
    analyzer = analyzer_for(args.detector)
    rows = selection_rows()
    p, hits = evidence_arrays(analyzer, rows)
    ids = analyzer.detector.encoder.ids
    held_out = {name: [] for name in WAYS}
    red = {t: [0, 0] for t in HIGH_TARGETS}
    severe_ids = {n for n, i in enumerate(ids) if SEVERITY_RANK[CATEGORIES[i].severity] <= SEVERITY_RANK["high"]}
    truths = [np.array([i in r["labels"] for r in rows]) for i in ids]
    for cut in range(3):
        half = np.array([int(hashlib.sha256(f"cv{cut}{r['doc']}".encode()).hexdigest(), 16) % 2 for r in rows])
        for k in (0, 1):
            choose, score = half != k, half == k
            tables = {n: pair_f1s(p[choose, :, n], hits[choose, :, n], truth[choose])
                      for n, truth in enumerate(truths) if truth[choose].sum() >= 5}
            shared = one_pair(list(tables.values()))
            bars = {WAYS[0]: dict.fromkeys(tables, shared),
                    WAYS[1]: {n: lower_on_tie(t) for n, t in tables.items()},
                    WAYS[2]: {n: higher_on_tie(t) for n, t in tables.items()}}
            scored = [n for n in tables if truths[n][score].sum() >= 3]
            for name in WAYS:
                held_out[name].append(float(np.mean(
                    [pair_f1(p[score, :, n], hits[score, :, n], truths[n][score], *bars[name][n]) for n in scored])))
            for n in severe_ids:
                for t in HIGH_TARGETS:
                    shown, right = severe(p[:, :, n], hits[:, :, n], truths[n], choose, score, *shared, t)
                    red[t][0] += shown
                    red[t][1] += right
    for name, scores in held_out.items():
        print(f"{name:32} held-out macro-F1 {np.mean(scores):.4f}  (folds {' '.join(f'{x:.3f}' for x in scores)})")
    for t, (shown, right) in red.items():
        print(f"critical/high bars chosen for {t:.2f}: held-out precision {right / max(shown, 1):.4f} "
              f"({right} of {shown} sentences, six folds)")


if __name__ == "__main__":
    main()
