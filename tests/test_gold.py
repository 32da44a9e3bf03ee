"""The clausewatch gold set (tests/gold/clausewatch_gold.jsonl): our own categories on real sentences.

The set is in the repository (ODC-BY excerpts of Open Terms Archive, see tests/gold/README.md), so
this test needs no shared data. It guards the content, data and protection rules against regressions:
macro-F1 may not drop more than 0.02 below the figure recorded in bench/accuracy_gold.md, no
annotated category may fall below 0.85 precision, and findings shown as critical or high must be
right at least 90% of the time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clausewatch.evaluate import evaluate, read_jsonl

GOLD = Path(__file__).resolve().parent / "gold" / "clausewatch_gold.jsonl"

# Recorded with `clausewatch eval tests/gold/clausewatch_gold.jsonl` (bench/accuracy_gold.md).
RECORDED_MACRO_F1 = 0.9090
MAX_DROP = 0.02
MIN_PRECISION = 0.85
MIN_SEVERE_PRECISION = 0.90


@pytest.fixture(scope="module")
def rows():
    return read_jsonl(GOLD)


@pytest.fixture(scope="module")
def annotated(rows) -> set[str]:
    """The categories the gold set annotates; other groups' categories are not judged here."""
    return {label for row in rows for label in row["labels"]}


@pytest.fixture(scope="module")
def result(analyzer, rows):
    return evaluate(analyzer, rows)


def test_gold_set_shape(rows, annotated):
    from clausewatch.taxonomy import CATEGORIES
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"] for r in rows}) == len(rows)
    assert all(r["scheme"] == "clausewatch" and r["lang"] == "en" for r in rows)
    assert annotated <= set(CATEGORIES)
    assert sum(1 for r in rows if not r["labels"]) >= 80  # hard negatives


def test_macro_f1_holds(result):
    assert result["macro_f1"] >= RECORDED_MACRO_F1 - MAX_DROP, result["macro_f1"]


def test_every_annotated_category_is_precise(result, annotated):
    low = {label: v["p"] for label, v in result["labels"].items()
           if label in annotated and v["tp"] + v["fp"] > 0 and v["p"] < MIN_PRECISION}
    assert low == {}


def test_critical_and_high_findings_are_right(analyzer, rows, annotated):
    right = wrong = 0
    for row in rows:
        gold = set(row["labels"])
        for f in analyzer.analyze(text=row["text"]).findings:
            if f.category in annotated and f.severity in ("critical", "high"):
                right += f.category in gold
                wrong += f.category not in gold
    assert right + wrong > 0
    assert right / (right + wrong) >= MIN_SEVERE_PRECISION, (right, wrong)
