"""The rules' semantics, one table row per promise of DEVELOPERS.md's rule format.

The detector runs here without its encoder (rules alone), so these are the rules' own promises."""

from __future__ import annotations

from pathlib import Path

import pytest

from clausewatch.core.detect import Detector
from clausewatch.core.match import apply_rule
from clausewatch.core.rules import parse_rule
from clausewatch.core.segment import Clause

EXAMPLES = {"match": ["a", "b", "c"], "no_match": ["d", "e", "f"]}


def rule(rule_id="r", **keys):
    """A rule as parse_rule makes it from a YAML mapping; the examples are not what is tested here."""
    data = {"category": "ai_training", "message": "m", "patterns": [r"\btrain\w*"], "examples": EXAMPLES, **keys}
    return parse_rule(Path(f"{rule_id}.yaml"), data)


def fire(r, text):
    hit = apply_rule(r, text)
    return None if hit is None else (text[hit[0][0]:hit[0][1]], hit[1])


WITHOUT_CONSENT = r"\bwithout\W+(?:your\W+)?consent\b"

CASES = [
    # (why, rule keys, text, expected (highlighted text, severity) or None)
    ("a pattern fires", {}, "We may train models on it.", ("train", "critical")),
    ("no pattern, no finding", {}, "We keep your files.", None),
    ("case does not matter", {}, "WE MAY TRAIN MODELS.", ("TRAIN", "critical")),
    ("any pattern may match; the earliest is the highlight",
     {"patterns": [r"\bmodels?\b", r"\btrain\w*"]}, "We train models.", ("train", "critical")),
    ("the earliest match wins over the first-listed pattern",
     {"patterns": [r"\bmodels?\b", r"\bdata\b"]}, "Data for models.", ("Data", "critical")),
    ("requires: all must match", {"requires": [r"\byour\b", r"\bcontent\b"]},
     "We train on your content.", ("train", "critical")),
    ("requires: one missing, no finding", {"requires": [r"\byour\b", r"\bcontent\b"]},
     "We train on your files.", None),
    ("unless: any match cancels", {"unless": [r"\bnot\b", r"\bnever\b"]}, "We never train on it.", None),
    ("unless: none matching, the rule fires", {"unless": [r"\bnot\b"]}, "We train on it.", ("train", "critical")),
    ("highlight picks the span", {"highlight": r"\bmodels\b"}, "We train models.", ("models", "critical")),
    ("highlight that does not match keeps the pattern's span", {"highlight": r"\bzebra\b"},
     "We train models.", ("train", "critical")),
    ("highlight that matches empty keeps the pattern's span", {"highlight": r"x*"},
     "We train models.", ("train", "critical")),
    ("severity defaults to the category's", {"category": "choice_of_law", "patterns": [r"\blaws?\b"]},
     "The laws of Ireland.", ("laws", "low")),
    ("declared severity", {"severity": "medium"}, "We train.", ("train", "medium")),
    ("escalate: the first that matches sets the severity",
     {"severity": "low", "escalate": [{"pattern": r"\bany\W+purpose", "severity": "high"},
                                      {"pattern": r"\bmodels\b", "severity": "critical"}]},
     "We train models for any purpose.", ("train", "high")),
    ("escalate: none matching keeps the severity",
     {"severity": "low", "escalate": [{"pattern": r"\bperpetual\b", "severity": "critical"}]},
     "We train models.", ("train", "low")),
    ("escalate may lower the severity", {"escalate": [{"pattern": r"\baggregated\b", "severity": "medium"}]},
     "We train on aggregated data.", ("train", "medium")),
    ("escalate: a 'without' that a not governs does not fire",
     {"severity": "low", "escalate": [{"pattern": WITHOUT_CONSENT, "severity": "high"}]},
     "We will not train on it without your consent.", ("train", "low")),
    ("escalate: 'without' alone fires", {"severity": "low", "escalate": [{"pattern": WITHOUT_CONSENT, "severity": "high"}]},
     "We train on it without your consent.", ("train", "high")),
    ("escalate: a full stop ends the not's reach",
     {"severity": "low", "escalate": [{"pattern": WITHOUT_CONSENT, "severity": "high"}]},
     "We do not sell it. We train on it without your consent.", ("train", "high")),
    ("escalate: a later match fires where the first was governed",
     {"severity": "low", "escalate": [{"pattern": WITHOUT_CONSENT, "severity": "high"}]},
     "We will never sell it without your consent; we train on it without your consent.", ("train", "high")),
    ("tokenised text: \\W+ spans ' , '", {"patterns": [r"\btrain\W+models\b"]},
     "we train , models", ("train , models", "critical")),
]


@pytest.mark.parametrize("why,keys,text,expected", CASES, ids=[c[0] for c in CASES])
def test_rule_semantics(why, keys, text, expected):
    r = rule(**keys)
    assert fire(r, text) == expected
    # The detector without its encoder agrees with apply_rule on a one-clause text.
    findings, warnings = Detector([r]).scan(text, [Clause(0, len(text), "text")])
    assert warnings == []
    assert [(f.match, f.severity) for f in findings] == ([expected] if expected else [])


def clauses_of(text):
    """One clause per sentence ending in '. ', offsets into `text`."""
    out, start = [], 0
    for part in text.split(". "):
        end = start + len(part)
        out.append(Clause(start, end, "heading" if part.isupper() else "text"))
        start = end + 2
    return out


def test_one_finding_per_category_and_clause_keeping_the_worst():
    text = "We train models for any purpose. We train models."
    rules = [rule("low-one", severity="low"),
             rule("worst", severity="low", escalate=[{"pattern": r"\bany\W+purpose", "severity": "critical"}]),
             rule("tie", severity="critical"),
             rule("other", category="content_license", patterns=[r"\bmodels\b"])]
    findings, _ = Detector(rules).scan(text, clauses_of(text))
    got = [(f.start, f.category, f.severity, f.rule) for f in findings]
    # First clause: "worst" escalates to critical, and "tie" (critical too, later) does not replace it.
    # Second clause: "tie" is the worst. Within a clause, worst severity first.
    assert got == [(0, "ai_training", "critical", "worst"), (0, "content_license", "high", "other"),
                   (33, "ai_training", "critical", "tie"), (33, "content_license", "high", "other")]


def test_offsets_point_into_the_whole_text():
    text = "Intro sentence here. You agree we may train models on your content."
    clauses = clauses_of(text)
    findings, _ = Detector([rule(highlight=r"\bmodels\b")]).scan(text, clauses)
    (f,) = findings
    assert text[f.start:f.end] == f.quote == "You agree we may train models on your content."
    assert text[f.match_start:f.match_end] == f.match == "models"
    assert f.id == f"r@{f.start}" and f.rule == "r" and f.explanation == "m"


def test_headings_are_skipped():
    text = "TRAINING. We train models."
    findings, _ = Detector([rule()]).scan(text, clauses_of(text))
    assert [f.start for f in findings] == [10]


def test_a_pathological_pattern_times_out_with_a_warning():
    # Nested quantifiers on a long run of 'a' with no final 'b': exponential backtracking.
    slow = rule("slow", patterns=[r"(?:a+)+b"])
    fine = rule("fine", category="content_license", patterns=[r"\ba{5}"])
    # English first: a clause that is only a run of 'a' is in no language we read (detect.py).
    text = "You grant us a licence to the content you post and we keep it after you leave. " * 15 + "a" * 5000 + " end"
    findings, warnings = Detector([slow, fine], timeout=0.01).scan(text, [Clause(0, len(text), "text")])
    assert warnings == ["rule slow timed out on clause at 0; skipped"]
    assert [f.rule for f in findings] == ["fine"]  # the other rule still ran


FOLDING = [
    # (why, pattern, text, what must be highlighted): full case folding (regex.V1 | IGNORECASE).
    ("ẞ in the text folds to ss", r"\bstrasse\b", "Die STRAẞE ist lang.", "STRAẞE"),
    ("ß in the pattern matches ss in the text", r"\bstraße\b", "the strasse is long", "strasse"),
    ("ß in a class of the pattern matches ss", r"\bstra[ßx]e\b", "the STRASSE is long", "STRASSE"),
    ("the st ligature in the text", r"\bstore\b", "we ﬆore it", "ﬆore"),
    ("the long s folds simply", r"\bsell\b", "we ſell it", "ſell"),
    ("the Kelvin sign folds simply", r"\bkeep\b", "we Keep it", "Keep"),
    ("an escape may name an expanding character", r"\bstra\xdfe\b", "the strasse", "strasse"),
    ("a range holding ß does not match ss, either way", r"\bstra[à-ÿ]e\b", "the strasse", None),
]


@pytest.mark.parametrize("why,pattern,text,expected", FOLDING, ids=[c[0] for c in FOLDING])
def test_case_folding_is_full(why, pattern, text, expected):
    r = rule(patterns=[pattern])
    found = Detector([r]).scan(text, [Clause(0, len(text), "text")])[0]
    assert [f.match for f in found] == ([expected] if expected else [])


def test_apply_rule_lets_the_timeout_propagate():
    with pytest.raises(TimeoutError):
        apply_rule(rule(patterns=[r"(?:a+)+b"]), "a" * 5000, timeout=0.01)


def test_to_dict_is_asdict():
    from dataclasses import asdict
    (f,) = Detector([rule()]).scan("We train models.", [Clause(0, 16, "text")])[0]
    assert f.to_dict() == asdict(f) and list(f.to_dict()) == list(asdict(f))


def test_rules_with_the_same_patterns_each_give_their_finding():
    # Rules with the same logic each report their own category.
    text = "We train models for any purpose."
    twins = [rule("a"), rule("b", category="content_license", severity="critical"), rule("c", severity="low")]
    findings, _ = Detector(twins).scan(text, [Clause(0, len(text), "text")])
    assert sorted((f.rule, f.category, f.severity) for f in findings) == [
        ("a", "ai_training", "critical"), ("b", "content_license", "critical")]
