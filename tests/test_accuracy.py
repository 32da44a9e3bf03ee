"""Accuracy on the CLAUDETTE benchmarks must not slide: macro-F1 may drop at most 0.02 below the
figures recorded in bench/accuracy.md (same code path as `clausewatch eval`). Skips without ../shared/data."""

from __future__ import annotations

import os

import pytest

from clausewatch.evaluate import evaluate, read_jsonl

# file under ../shared/data -> macro-F1 recorded in bench/accuracy.md: rules + model (as shipped),
# and rules alone for a run with CLAUSEWATCH_NO_MODEL=1.
RECORDED = {
    "unfair_tos/validation.jsonl": 0.6859,
    "claudette_2024/en.jsonl": 0.7452,
}
RECORDED_RULES_ALONE = {
    "unfair_tos/validation.jsonl": 0.6436,
    "claudette_2024/en.jsonl": 0.7104,
}
TOLERANCE = 0.02


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_macro_f1_holds(shared_data, analyzer, name):
    path = shared_data / name
    if not path.is_file():
        pytest.skip(f"{name} is absent")
    recorded = (RECORDED_RULES_ALONE if os.environ.get("CLAUSEWATCH_NO_MODEL") else RECORDED)[name]
    result = evaluate(analyzer, read_jsonl(path))
    floor = recorded - TOLERANCE
    per_label = ", ".join(f"{k} {v['f1']:.3f}" for k, v in result["labels"].items())
    assert result["macro_f1"] >= floor, (
        f"{name}: macro-F1 {result['macro_f1']:.4f} fell below {floor:.4f} "
        f"(recorded {recorded:.4f}); per label: {per_label}")
