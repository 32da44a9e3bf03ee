"""The two bars of core/detect.py, on the shipped model's own bars: the model alone shows an id at
`thresholds`, the model with a rule's hit at the lower `with_rule`, and a rule never alone. The
probabilities are set by hand so each case sits exactly where it must; the bars, the detector and
the contrary pairs are the shipped ones."""

from __future__ import annotations

import os

import numpy as np
import pytest

from clausewatch.core.detect import CONTRARY, MITIGATED, model_clauses
from clausewatch.core.segment import Clause
from clausewatch.core.taxonomy import CATEGORIES, SEVERITY_RANK

pytestmark = pytest.mark.skipif(bool(os.environ.get("CLAUSEWATCH_NO_MODEL")), reason="the bars are the model's")

HIT = ("a rule's hit",)


@pytest.fixture(scope="module")
def detector(analyzer):
    if analyzer.detector.encoder is None:
        pytest.skip("the model's files are not loaded")
    return analyzer.detector


def two_bar_id(detector) -> str:
    """An id of the shipped model whose rule bar is below its bar alone, with built-in rules."""
    enc = detector.encoder
    for n, i in enumerate(enc.ids):
        if enc.with_rule[n] + 0.05 < enc.thresholds[n] and i in detector.builtin:
            return i
    pytest.fail("no id has two bars: training/choose_thresholds.py was not run on this model")


def at(detector, **probs) -> np.ndarray:
    p = np.zeros(len(detector.encoder.ids), dtype=np.float32)
    for i, v in probs.items():
        p[detector.encoder.ids.index(i)] = v
    return p


def readings(detector, p, hits=()):
    """{category: (Shown, the rule's hit or None)} as detector.shown gives them."""
    return {s.category: (s, hit) for s, hit in detector.shown(p, lambda c: HIT if c in hits else None)}


def shown(detector, p, hits=()):
    return {category: (s.confident, hit) for category, (s, hit) in readings(detector, p, hits).items()}


def test_the_bars_are_ordered(detector):
    enc = detector.encoder
    assert (enc.with_rule <= enc.thresholds).all()
    assert (enc.high >= enc.thresholds).all() and (enc.high_with_rule >= enc.with_rule).all()


def test_between_the_bars_only_a_rule_hit_shows_it(detector):
    i = two_bar_id(detector)
    n = detector.encoder.ids.index(i)
    middle = (detector.encoder.with_rule[n] + detector.encoder.thresholds[n]) / 2
    assert i not in shown(detector, at(detector, **{i: middle}))
    assert shown(detector, at(detector, **{i: middle}), hits={i})[i] == (
        bool(middle >= detector.encoder.high_with_rule[n]), HIT)


def test_a_rule_never_shows_a_category_alone(detector):
    i = two_bar_id(detector)
    n = detector.encoder.ids.index(i)
    below = detector.encoder.with_rule[n] / 2
    assert shown(detector, at(detector, **{i: below}), hits={i}) == {}


def test_the_model_alone_shows_it_above_its_bar(detector):
    i = two_bar_id(detector)
    n = detector.encoder.ids.index(i)
    assert i in shown(detector, at(detector, **{i: min(1.0, detector.encoder.thresholds[n] + 0.01)}))


def test_a_clause_is_never_red_and_green_for_the_same_thing(detector):
    enc = detector.encoder
    for risk, protection in CONTRARY:
        got = shown(detector, at(detector, **{risk: 1.0, protection: 1.0}), hits={risk, protection})
        assert not (risk in got and protection in got), (risk, protection)
        # The one further above the bar that applied stays.
        r = enc.ids.index(risk)
        weak_risk = at(detector, **{risk: float(enc.thresholds[r]), protection: 1.0})
        assert set(shown(detector, weak_risk)) & {risk, protection} == {protection}


def test_a_risk_softened_in_its_own_clause_is_one_step_milder_than_its_default(detector):
    body = "A clause of a made-up page."
    for risk, protection in MITIGATED:
        default = CATEGORIES[risk].severity
        # Sure enough for its default: the model alone, or with a rule where it is never sure alone.
        hits = {risk} if detector.encoder.high[detector.encoder.ids.index(risk)] > 1 else set()
        alone = readings(detector, at(detector, **{risk: 1.0}), hits)[risk][0]
        assert alone.confident and not alone.softened, risk
        assert detector._finding(Clause(0, len(body), "text"), body, alone, None).severity == default
        both = readings(detector, at(detector, **{risk: 1.0, protection: 1.0}), hits)
        assert both[risk][0].softened and protection in both, (risk, protection)
        milder = detector._finding(Clause(0, len(body), "text"), body, both[risk][0], None).severity
        assert SEVERITY_RANK[milder] == SEVERITY_RANK[default] + 1, (risk, milder)


def test_titles_and_definitions_are_not_read_but_clauses_in_capitals_are():
    """TAXONOMY.md: a heading or a definition is not a finding; legal text in capitals still is."""
    not_read = ["Updates to these Terms.", "Changes to This Privacy Policy",
                '"Personal Data" means any information relating to you.',
                "Ads based on your activity across other sites is referred to as cross-context advertising.",
                "Showing ads based on browsing elsewhere is called interest-based advertising."]
    read = ["IN NO EVENT SHALL WE BE LIABLE FOR ANY DAMAGES.", "We Sell Your Data To Brokers.",
            "We sell your data to brokers, which is known as a sale of personal information.",
            "Third-party cookies track you across websites (this is called interest-based advertising).",
            "Biometric identifiers and health information"]
    clauses = [(Clause(0, len(t), "text"), t) for t in not_read + read]
    assert [b for _, b in model_clauses(clauses)] == read
