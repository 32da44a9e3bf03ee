"""Positives and hard negatives per id, per source and split: where labelling is still short.

    .venv/bin/python training/census.py [--markdown]
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from data import IDS, ROOT, training_pool  # noqa: E402

TARGET = 150


def hard_negatives() -> Counter:
    """Hard negatives counted from our own labels (the field labellers fill in)."""
    c = Counter()
    for path in ROOT.glob("labels/train/*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                c.update(set(r.get("hard_negative_for", [])) - set(r["labels"]))
    return c


def main() -> None:
    pool = training_pool()
    pos = Counter(i for e in pool for i in e.positives)
    real = Counter(i for e in pool if e.source != "rules" for i in e.positives)
    hard = hard_negatives()
    rows = [(i, pos[i], real[i], hard[i]) for i in IDS]
    print(f"{len(pool)} sentences in the training pool (train + selection); sealed set excluded")
    print("| id | positives | from real texts | hard negatives (our labels) |")
    print("|---|---:|---:|---:|")
    for i, p, r, h in rows:
        flag = "" if r >= TARGET and h >= TARGET else " (short)"
        print(f"| {i}{flag} | {p} | {r} | {h} |")


if __name__ == "__main__":
    main()
