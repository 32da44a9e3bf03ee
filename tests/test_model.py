"""The learned CLAUDETTE check (clausewatch.models): what it does to rule findings, what it adds,
and the shipped file's limits. The policy tests use a tiny model written here, so each threshold
sits on a known side of the clause's probability."""

from __future__ import annotations

import pytest

from clausewatch.match import Finding
from clausewatch.models import MODEL_PATH, ClauseModel, sigmoid
from clausewatch.segment import Clause

TEXT = "We may terminate your account."
# 5 words + 4 bigrams, binary tf without idf: norm 3, so z = -3 + (8 + 1) / 3 = 0, p = 0.5.
WEIGHTS = {"terminate": 8.0, "your account": 1.0}


def tiny(keep: float, add: float, high: float) -> ClauseModel:
    return ClauseModel({"labels": {"ter": {"bias": -3.0, "keep": keep, "add": add, "high": high,
                                           "weights": WEIGHTS}}})


def rule_finding(category="unilateral_termination", severity="high") -> Finding:
    return Finding(id="rule@0", category=category, severity=severity, polarity="risk", title="t",
                   explanation="e", quote=TEXT, match="terminate", rule="rule", start=0,
                   end=len(TEXT), match_start=7, match_end=16)


CLAUSES = [Clause(0, len(TEXT), "text")]


def test_probability_is_the_logistic_of_the_weighted_ngrams():
    assert tiny(0.1, 0.9, 0.9).probabilities(TEXT)["ter"] == pytest.approx(sigmoid(0.0))


@pytest.mark.parametrize("keep, high, expected", [
    (0.3, 0.9, "medium"),   # kept, but the model is not sure enough for the strong colour
    (0.3, 0.4, "high"),     # kept and confident: the rule's severity stands
    (0.7, 0.9, None),       # the model rejects the rule's reading: no finding
])
def test_rule_finding_is_kept_demoted_or_dropped(keep, high, expected):
    out = tiny(keep, 0.95, high).refine(TEXT, CLAUSES, [rule_finding()])
    assert [f.severity for f in out] == ([expected] if expected else [])


def test_model_adds_a_finding_the_rules_missed_with_its_words():
    out = tiny(0.3, 0.45, 0.9).refine(TEXT, CLAUSES, [])
    assert len(out) == 1
    f = out[0]
    assert (f.category, f.rule, f.severity) == ("unilateral_termination", "model/ter", "medium")
    assert f.match == "terminate" and TEXT[f.match_start:f.match_end] == "terminate"
    # The words that drove it are the highlight (match); the explanation stays plain words (issue 12).
    assert "p=" not in f.explanation and "drove" not in f.explanation and f.explanation


def test_model_does_not_add_below_its_threshold():
    assert tiny(0.3, 0.55, 0.9).refine(TEXT, CLAUSES, []) == []


def test_findings_of_other_categories_pass_untouched():
    other = rule_finding(category="ai_training", severity="critical")
    assert tiny(0.99, 0.99, 0.99).refine(TEXT, CLAUSES, [other]) == [other]


def test_older_model_files_without_high_use_add():
    model = ClauseModel({"labels": {"ter": {"bias": -3.0, "keep": 0.3, "add": 0.4, "weights": WEIGHTS}}})
    assert [f.severity for f in model.refine(TEXT, CLAUSES, [rule_finding()])] == ["high"]


def test_shipped_model_is_small_and_complete():
    assert MODEL_PATH.stat().st_size < 5_000_000  # issue 4: under 5 MB
    model = ClauseModel.load()
    assert set(model.order) == {"a", "ch", "cr", "j", "law", "ltd", "ter", "use"}
    for label, (_bias, keep, add, weights) in model.labels.items():
        assert 0.0 <= keep <= add <= 1.01 and weights, label
    # the strong colour is never easier to get than keeping the finding at all
    assert all(h >= k for h, k in zip(model.high_z, model.keep_z))
