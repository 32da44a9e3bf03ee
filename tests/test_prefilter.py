"""The keyword prefilter never changes a finding: it only skips rules that could not have fired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clausewatch.config import Settings
from clausewatch.extract import extract_html, extract_text
from clausewatch.match import Matcher
from clausewatch.prefilter import Prefilter, keywords
from clausewatch.rules import FLAGS, load_rules, parse_rule
from clausewatch.segment import Clause, segment

RULES, _ = load_rules(Settings().rules_dir)
# WITHOUT is the reference: every rule on every clause, full case folding everywhere.
WITH, WITHOUT = Matcher(RULES), Matcher(RULES, prefilter=False, simple_fold=False)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def kw(source):
    return {frozenset(s) for s in keywords(regex.compile(source, FLAGS))}


KEYWORD_CASES = [
    # (why, pattern, the keyword sets every match must hit)
    ("a literal run", r"\btrain\w*", {frozenset({"train"})}),
    ("two runs must both be there", r"\btrain\w*\W+models?\b", {frozenset({"train"}), frozenset({"model"})}),
    ("an alternation gives one set", r"\b(?:sell|rent)\W+data", {frozenset({"sell", "rent"}), frozenset({"data"})}),
    ("an optional part gives nothing", r"(?:perpetual\W+)?licen[cs]e", {frozenset({"licence", "license"})}),
    ("a class of letters goes on with the run", r"\banaly[sz]e\b", {frozenset({"analyse", "analyze"})}),
    ("sre's factored prefix is put back: share|send is not 'hare' or 'end'", r"\b(?:share|send)\w*",
     {frozenset({"share", "send"})}),
    ("suffix alternatives", r"\bcollect(?:s|ed|ing)?\b", {frozenset({"collect"})}),
    ("suffix alternatives, one of them required", r"\bcollect(?:s|ed|ing)\b",
     {frozenset({"collects", "collected", "collecting"})}),
    ("a repeat of at least one keeps its keywords", r"(?:very\W+){1,3}bad", {frozenset({"very"}), frozenset({"bad"})}),
    ("a branch with a wildcard alternative gives nothing", r"(?:foo|\w+)\W+bar", {frozenset({"bar"})}),
    ("lookarounds give nothing", r"(?<!not\W)share(?!\W+nothing)", {frozenset({"share"})}),
    ("single letters are too common to help", r"a\W+b\W+data", {frozenset({"data"})}),
    ("casefolded", r"STRAẞE", {frozenset({"strasse"})}),
    ("regex-only syntax: no keywords, the rule always runs", r"\p{L}+\W+data", set()),
    ("fuzzy matching: no keywords", r"(?:arbitration){e<=1}", set()),
    ("V1 nested set: no keywords", r"[[a-z]--[aeiou]]x\W+data", set()),
    ("a backreference: the literal part still counts", r"(\w+)\W+\1\W+agree", {frozenset({"agree"})}),
]


@pytest.mark.parametrize("why,source,expected", KEYWORD_CASES, ids=[c[0] for c in KEYWORD_CASES])
def test_keywords(why, source, expected):
    assert kw(source) == expected


def test_a_factored_prefix_goes_on_into_the_literal_start_of_each_alternative():
    # sre reads (?:sell\W+data|send\W+data) as "se" then a branch "ll..." | "nd...".
    assert frozenset({"sell", "send"}) in kw(r"\b(?:sell\W+data|send\W+data)")


def findings(matcher, text):
    ex = extract_text(text)
    found, _ = matcher.scan(ex.text, segment(ex.text, ex.blocks))
    return [f.to_dict() for f in found]


def test_every_pattern_keeps_its_keywords_on_the_rule_examples():
    """Whenever a real pattern matches one of the examples, its keywords are found there."""
    pre = WITH.prefilter
    for rule in RULES:
        for text in rule.examples_match + rule.examples_no_match:
            present, _ = pre.scan(text)
            for p in (*rule.patterns, *rule.requires, *rule.unless, *(p for p, _ in rule.escalate)):
                if p.search(text):
                    assert pre.possible(p, present), (rule.id, p.pattern, text)


def test_the_examples_give_the_same_findings():
    texts = [t for r in RULES for t in r.examples_match + r.examples_no_match]
    assert [findings(WITH, t) for t in texts] == [findings(WITHOUT, t) for t in texts]


def test_the_fixture_pages_give_the_same_findings():
    for page in sorted(FIXTURES.glob("*.html")):
        ex = extract_html(page.read_text(encoding="utf-8"))
        clauses = segment(ex.text, ex.blocks)
        assert WITH.scan(ex.text, clauses) == WITHOUT.scan(ex.text, clauses), page.name


def _sentences(path: Path, limit: int) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # Labelled sentences first: they are where the rules fire.
    rows.sort(key=lambda r: not r["labels"])
    return [r["text"] for r in rows[:limit]]


def test_annotated_corpora_give_the_same_findings(shared_data):
    texts = _sentences(shared_data / "unfair_tos" / "validation.jsonl", 700)
    for lang in ("en", "de", "it", "pl"):
        path = shared_data / "claudette_2024" / f"{lang}.jsonl"
        if path.is_file():
            texts += _sentences(path, 200)
    path = shared_data / "opp115" / "segments.jsonl"
    if path.is_file():
        texts += _sentences(path, 200)
    with_, without = [findings(WITH, t) for t in texts], [findings(WITHOUT, t) for t in texts]
    assert sum(map(len, with_)) > 100  # the comparison is about texts where rules do fire
    assert with_ == without


def test_real_policies_give_the_same_findings(shared_data):
    rows = [json.loads(line) for line in (shared_data / "terms_corpus" / "index.jsonl").read_text().splitlines()]
    # Every 90th text: terms and privacy policies of different services, about 400 KB in all.
    for row in rows[::90]:
        text = (shared_data / row["path"]).read_text(encoding="utf-8")[:60_000]
        assert findings(WITH, text) == findings(WITHOUT, text), row["path"]


# Words of the rules' own examples, in odd case and with characters that casefold to ASCII
# (the long s, the Kelvin sign, ß/ẞ, the "st" ligature): where a careless prefilter would go wrong.
WORDS = sorted({w for r in RULES for t in r.examples_match for w in regex.findall(r"\w+|[^\w\s]", t)})
ODD = ["ſ", "K", "ß", "ẞ", "ﬆ", "İ", "’", "-", " , ", "\u00ad"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(ODD)), min_size=3, max_size=40),
       st.sampled_from([str, str.upper, str.title, lambda s: s.replace("s", "ſ").replace("k", "K")]))
def test_random_sentences_give_the_same_findings(words, case):
    text = case(" ".join(words))
    clause = [Clause(0, len(text), "text")]
    assert WITH.scan(text, clause) == WITHOUT.scan(text, clause)


def test_requires_that_share_a_keyword_set_still_let_the_rule_through():
    # Conditions are bits combined with OR: two requires needing the same set must not add up.
    data = {"category": "ai_training", "message": "m", "examples": {"match": ["a", "b", "c"], "no_match": ["d", "e", "f"]}}
    r = parse_rule(Path("r.yaml"), {**data, "patterns": [r"\btrain\w*"],
                                     "requires": [r"\bdata\b", r"\bdata\W+sets?\b", r"\b(?:sets?|data)\b"]})
    text = "We train models on data sets."
    clause = [Clause(0, len(text), "text")]
    assert [f.rule for f in Matcher([r]).scan(text, clause)[0]] == ["r"]
    assert Matcher([r]).scan(text, clause) == Matcher([r], prefilter=False, simple_fold=False).scan(text, clause)


def test_rules_that_share_keywords_and_rules_without_any():
    data = {"category": "ai_training", "message": "m", "examples": {"match": ["a", "b", "c"], "no_match": ["d", "e", "f"]}}
    rules = [parse_rule(Path("k.yaml"), {**data, "patterns": [r"\btrain\w*"]}),
             parse_rule(Path("any.yaml"), {**data, "patterns": [r"\p{Lu}{4,}"]}),  # no keywords: always runs
             parse_rule(Path("two.yaml"), {**data, "patterns": [r"\bmodels\b"], "requires": [r"\btrain"]})]
    pre = Prefilter(rules)
    present, candidates = pre.scan("nothing to see")
    assert candidates == 0b010
    present, candidates = pre.scan("We TRAIN the MODELS")
    assert candidates == 0b111 and pre.gate(2, present)
    present, candidates = pre.scan("our models")
    assert not pre.gate(2, present)  # its requires' keyword is missing
