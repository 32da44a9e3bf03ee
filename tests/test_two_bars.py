"""The two bars of core/detect.py, on the shipped model's own bars: the model alone shows an id at
`thresholds`, the model with a rule's hit at the lower `with_rule`, and a rule never alone. The
probabilities are set by hand so each case sits exactly where it must; the bars, the detector and
the contrary pairs are the shipped ones."""

from __future__ import annotations

import os

import numpy as np
import pytest

from clausewatch.core.detect import CONTRARY, MITIGATED

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


def shown(detector, p, hits=()):
    return {s.category: (s.confident, hit) for s, hit in detector.shown(p, lambda c: HIT if c in hits else None)}


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


def test_a_risk_softened_in_its_own_clause_is_not_high_on_the_models_word(detector):
    for risk, protection in MITIGATED:
        alone = shown(detector, at(detector, **{risk: 1.0}))
        assert alone[risk][0] is True, risk  # sure enough to be high on its own
        both = shown(detector, at(detector, **{risk: 1.0, protection: 1.0}))
        assert both[risk][0] is False and protection in both, (risk, protection)
