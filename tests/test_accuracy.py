"""The detector's figures must not slide: each may fall at most a little below the figure that
bench/accuracy.py recorded in bench/accuracy.md for the shipped model (same code path as
`clausewatch eval`). The selection set is in the repository; the others skip without ../shared.
The sealed test is not read here: it is scored once per release, by bench/accuracy.py --sealed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from clausewatch.core.evaluate import evaluate, read_jsonl

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "training"))
from data import selection_rows  # noqa: E402

from recorded_accuracy import recorded  # noqa: E402

# Written by `bench/accuracy.py` into bench/accuracy.md for the model in server/clausewatch/core/detector/.
RECORDED = {
    "selection": recorded("Selection set"),
    "unfair_tos/validation.jsonl": recorded("Check set: UNFAIR-ToS validation"),
    "claudette_2024/en.jsonl": recorded("Check set: CLAUDETTE 2024 en"),
}
MACRO_TOLERANCE = 0.01    # int8 kernels may differ a little between CPUs; a real slide is larger
PRECISION_TOLERANCE = 0.02

pytestmark = pytest.mark.skipif(bool(os.environ.get("CLAUSEWATCH_NO_MODEL")),
                                reason="the recorded figures are the model's")


@pytest.mark.slow  # analyses 2,000 labelled sentences
def test_the_selection_set_holds(analyzer):
    result = evaluate(analyzer, selection_rows())
    recorded = RECORDED["selection"]
    per_label = ", ".join(f"{k} {v['f1']:.3f}" for k, v in result["labels"].items() if v["support"])
    assert result["macro_f1"] >= recorded["macro_f1"] - MACRO_TOLERANCE, per_label
    assert result["critical_high"]["precision"] >= recorded["critical_high"] - PRECISION_TOLERANCE


@pytest.mark.slow
@pytest.mark.parametrize("name", ["unfair_tos/validation.jsonl", "claudette_2024/en.jsonl"])
def test_the_claudette_check_sets_hold(shared_data, analyzer, name):
    path = shared_data / name
    if not path.is_file():
        pytest.skip(f"{name} is absent")
    result = evaluate(analyzer, read_jsonl(path))
    per_label = ", ".join(f"{k} {v['f1']:.3f}" for k, v in result["labels"].items())
    assert result["macro_f1"] >= RECORDED[name]["macro_f1"] - MACRO_TOLERANCE, per_label
