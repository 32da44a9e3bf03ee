"""The clausewatch gold set (tests/gold/clausewatch_gold.jsonl): our own categories on real sentences.

The set is in the repository (ODC-BY excerpts of Open Terms Archive, see tests/gold/README.md), so
this test needs no shared data. Its train services also trained the detector, so it guards against
regressions rather than measuring generalisation (the sealed test does that): macro-F1 and the
precision of critical and high findings may fall at most a little below what bench/accuracy.py
recorded in bench/accuracy.md.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clausewatch.core.evaluate import evaluate, read_jsonl
from recorded_accuracy import recorded

GOLD = Path(__file__).resolve().parent / "gold" / "clausewatch_gold.jsonl"

# Written by bench/accuracy.py into bench/accuracy.md ("Gold set") for the shipped model.
RECORDED_MACRO_F1 = recorded("Gold set")["macro_f1"]
RECORDED_SEVERE_PRECISION = recorded("Gold set")["critical_high"]
MAX_DROP = 0.01
MAX_SEVERE_DROP = 0.02

pytestmark = pytest.mark.skipif(bool(os.environ.get("CLAUSEWATCH_NO_MODEL")),
                                reason="the recorded figures are the model's")


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
    from clausewatch.core.taxonomy import CATEGORIES
    assert len(rows) >= 300
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["text"] for r in rows}) == len(rows)
    assert all(r["scheme"] == "clausewatch" and r["lang"] == "en" for r in rows)
    assert annotated <= set(CATEGORIES)
    assert sum(1 for r in rows if not r["labels"]) >= 80  # hard negatives


@pytest.mark.slow  # the gold set, analysed once for both tests
def test_macro_f1_holds(result):
    assert result["macro_f1"] >= RECORDED_MACRO_F1 - MAX_DROP, result["macro_f1"]


@pytest.mark.slow
def test_critical_and_high_findings_are_right(result):
    severe = result["critical_high"]
    assert severe["shown"] > 0
    assert severe["precision"] >= RECORDED_SEVERE_PRECISION - MAX_SEVERE_DROP, severe
