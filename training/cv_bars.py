"""How well each way of breaking ties between bars holds up on services it was not chosen on.

choose_thresholds.py picks each id's pair of bars (model alone, model with a rule) on the whole
selection set. Here the selection services are cut in two halves, the pair is chosen on one half
and scored on the other, both ways, for three different cuts; the figure is the mean held-out
macro-F1 over ids with at least 5 positives on the choosing half and 3 on the scoring half.
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
from choose_thresholds import (analyzer_for, evidence_arrays, higher_on_tie,  # noqa: E402
                               lower_on_tie, pair_f1, pair_f1s)
from clausewatch.core.encoder import DETECTOR_DIR  # noqa: E402  (choose_thresholds put server/ on the path)
from data import selection_rows  # noqa: E402

TIE_RULES = {"lower bars on a tie": lower_on_tie, "higher bars on a tie": higher_on_tie}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--detector", type=Path, default=DETECTOR_DIR)
    args = ap.parse_args()
    analyzer = analyzer_for(args.detector)
    rows = selection_rows()
    p, hits = evidence_arrays(analyzer, rows)
    ids = analyzer.detector.encoder.ids
    held_out = {name: [] for name in TIE_RULES}
    for cut in range(3):
        half = np.array([int(hashlib.sha256(f"cv{cut}{r['doc']}".encode()).hexdigest(), 16) % 2 for r in rows])
        for k in (0, 1):
            choose, score = half != k, half == k
            f1s = {name: [] for name in TIE_RULES}
            for n, i in enumerate(ids):
                truth = np.array([i in r["labels"] for r in rows])
                if truth[choose].sum() < 5 or truth[score].sum() < 3:
                    continue
                table = pair_f1s(p[choose, :, n], hits[choose, :, n], truth[choose])
                for name, rule in TIE_RULES.items():
                    f1s[name].append(pair_f1(p[score, :, n], hits[score, :, n], truth[score], *rule(table)))
            for name in TIE_RULES:
                held_out[name].append(float(np.mean(f1s[name])))
    for name, scores in held_out.items():
        print(f"{name:22} held-out macro-F1 {np.mean(scores):.4f}  (folds {' '.join(f'{x:.3f}' for x in scores)})")


if __name__ == "__main__":
    main()
