"""The grade formula: severities weigh in once per category, protections soften, critical caps at C."""

from __future__ import annotations

import pytest

from clausewatch.core.match import Finding
from clausewatch.core.score import grade


def f(category, severity, polarity="risk", start=0):
    return Finding(id=f"r@{start}", category=category, severity=severity, polarity=polarity, title="t",
                   explanation="e", quote="q", match="m", rule="r", start=start, end=1, match_start=0, match_end=1)


CASES = [
    ([], "A"),
    ([f("choice_of_law", "low"), f("jurisdiction", "medium")], "A"),  # 1 + 2 = 3
    ([f("arbitration", "high"), f("jurisdiction", "medium")], "B"),  # 7
    ([f("ai_training", "critical")], "C"),  # 10, and a critical finding is C at best anyway
    ([f("ai_training", "critical"), f("content_license", "high")], "C"),  # 15
    ([f("arbitration", "high"), f("class_action_waiver", "high"), f("unilateral_change", "high"),
      f("unilateral_termination", "high"), f("liability_limitation", "medium")], "D"),  # 22
    ([f(c, "high") for c in ("arbitration", "class_action_waiver", "unilateral_change", "unilateral_termination",
                            "data_sale", "tracking", "third_party_sharing", "content_license")], "E"),  # 40
]


@pytest.mark.parametrize("findings,expected", CASES)
def test_grade_table(findings, expected):
    assert grade(findings)["grade"] == expected


def test_a_category_counts_once_at_its_worst_severity():
    once = grade([f("arbitration", "high")])
    many = grade([f("arbitration", "medium", start=i) for i in range(30)] + [f("arbitration", "high", start=99)])
    assert many["score"] == once["score"] and many["risks"] == 31


def test_protections_soften_but_never_count_as_risks():
    risks = [f("arbitration", "high"), f("class_action_waiver", "high"), f("jurisdiction", "medium")]  # 12: C
    softened = grade(risks + [f("opt_out_available", "low", "protection"), f("commitment_no_sale", "low", "protection")])
    assert grade(risks)["grade"] == "C" and softened["grade"] == "B"
    assert softened["risks"] == 3 and softened["protections"] == 2
    only_protections = grade([f("commitment_no_sale", "low", "protection")] * 5)
    assert only_protections["grade"] == "A" and only_protections["score"] == 0


def test_a_critical_finding_is_never_better_than_c_even_with_protections():
    g = grade([f("ai_training", "critical")] + [f(p, "low", "protection") for p in
              ("commitment_no_sale", "opt_out_available", "deletion_available", "advance_notice_of_changes")])
    assert g["grade"] == "C" and g["worst"] == "critical"


def test_the_same_findings_give_the_same_grade_in_any_order():
    findings = [f("arbitration", "high", start=1), f("ai_training", "critical", start=2), f("tracking", "high", start=3)]
    assert grade(findings) == grade(list(reversed(findings)))
