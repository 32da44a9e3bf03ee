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
from clausewatch.prefilter import WORD_END, WORD_START, Prefilter, keywords
from clausewatch.rules import FLAGS, load_rules, parse_rule
from clausewatch.segment import Clause, segment

RULES, _ = load_rules(Settings().rules_dir)
# WITHOUT is the reference: every rule on every clause, full case folding everywhere.
WITH, WITHOUT = Matcher(RULES), Matcher(RULES, prefilter=False, simple_fold=False)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def kw(source, flags=FLAGS):
    """Keyword sets, written "<clos" for a keyword that must start a word, "use>" for one that
    must end a word."""
    return {frozenset(k.replace(WORD_START, "<").replace(WORD_END, ">") for k in s)
            for s in keywords(regex.compile(source, flags))}


KEYWORD_CASES = [
    # (why, pattern, the keyword sets every match must hit)
    ("a literal run, after \\b", r"\btrain\w*", {frozenset({"<train"})}),
    ("two runs must both be there", r"\btrain\w*\W+models?\b", {frozenset({"<train"}), frozenset({"<model"})}),
    ("an alternation gives one set", r"\b(?:sell|rent)\W+data", {frozenset({"<sell>", "<rent>"}), frozenset({"<data"})}),
    ("an optional part gives nothing", r"(?:perpetual\W+)?licen[cs]e", {frozenset({"licence", "license"})}),
    ("a class of letters goes on with the run", r"\banaly[sz]e\b", {frozenset({"<analyse>", "<analyze>"})}),
    ("sre's factored prefix is put back: share|send is not 'hare' or 'end'", r"\b(?:share|send)\w*",
     {frozenset({"<share", "<send"})}),
    ("suffix alternatives", r"\bcollect(?:s|ed|ing)?\b", {frozenset({"<collect"})}),
    ("suffix alternatives, one of them required", r"\bcollect(?:s|ed|ing)\b",
     {frozenset({"<collects>", "<collected>", "<collecting>"})}),
    ("a repeat of at least one keeps its keywords", r"(?:very\W+){1,3}bad", {frozenset({"very>"}), frozenset({"<bad"})}),
    ("a branch with a wildcard alternative gives nothing", r"(?:foo|\w+)\W+bar", {frozenset({"<bar"})}),
    ("lookarounds give nothing", r"(?<!not\W)share(?!\W+nothing)", {frozenset({"share"})}),
    ("single letters are too common to help", r"a\W+b\W+data", {frozenset({"<data"})}),
    ("casefolded", r"STRAẞE", {frozenset({"strasse"})}),
    ("regex-only syntax: no keywords, the rule always runs", r"\p{L}+\W+data", set()),
    ("fuzzy matching: no keywords", r"(?:arbitration){e<=1}", set()),
    ("V1 nested set: no keywords", r"[[a-z]--[aeiou]]x\W+data", set()),
    ("a backreference: the literal part still counts", r"(\w+)\W+\1\W+agree", {frozenset({"<agree"})}),
    # Word edges: a keyword starts a word when \b, ^ or a non-word character must come before it.
    ("after a lazy gap of words, each ending in \\W", r"\W+(?:\w+\W+){0,12}?clos\w+", {frozenset({"<clos"})}),
    ("^ and an optional \\W* still start a word", r"^\W*(?:\w\W+)?clos\w+", {frozenset({"<clos"})}),
    ("\\W* alone does not", r"\bmay\W*clos\w+", {frozenset({"<may"}), frozenset({"clos"})}),
    ("an optional word before: not a word start", r"\W(?:\w+)?clos", {frozenset({"clos"})}),
    ("[\\W_] may be '_', a word character", r"[\W_]clos\b", {frozenset({"clos>"})}),
    ("a lookbehind says nothing about word edges", r"(?<=\W)clos", {frozenset({"clos"})}),
    ("\\B is not \\b", r"\Bclos\B", {frozenset({"clos"})}),
    ("\\b before a non-word character means a word character before it", r"\b'll\b", {frozenset({"'ll>"})}),
    ("a run that goes on into a branch ends inside it", r"\bdis(?:clos\w*|abl\w+)\b",
     {frozenset({"<disclos", "<disabl"}), frozenset({"clos", "abl"})}),
    ("literal alternatives are part of the run", r"\bdis(?:close|able)\b", {frozenset({"<disclose>", "<disable>"})}),
    ("one alternative may end the word, another not: no word end", r"\buse(?:\W|rs)", {frozenset({"<use", "<users"})}),
    ("$ ends a word", r"\bclose$", {frozenset({"<close>"})}),
    ("a repeat's next iteration comes after it", r"(?:\bterms\W+){2}", {frozenset({"<terms>"})}),
]


@pytest.mark.parametrize("why,source,expected", KEYWORD_CASES, ids=[c[0] for c in KEYWORD_CASES])
def test_keywords(why, source, expected):
    assert kw(source) == expected


def test_a_factored_prefix_goes_on_into_the_literal_start_of_each_alternative():
    # sre reads (?:sell\W+data|send\W+data) as "se" then a branch "ll..." | "nd...".
    assert frozenset({"<sell", "<send"}) in kw(r"\b(?:sell\W+data|send\W+data)")


def test_flags_that_change_what_a_word_is_drop_the_word_edges():
    # With ASCII, "é" is \W: "éclose" has a \b before "clos" for the pattern, not for the prefilter.
    assert kw(r"\bclos\w+", FLAGS | regex.ASCII) == {frozenset({"clos"})}
    assert kw(r"(?a)\bclos\w+") == {frozenset({"clos"})}
    assert kw(r"x(?a:\bclos\w+)") == {frozenset({"clos"})}
    assert kw(r"(?w)\bclos\w+") == set()  # regex-only flag: no keywords at all
    assert regex.compile(r"(?a)\bclos\w+", FLAGS).search("éclose")  # what the marks would have missed


def test_casefolding_keeps_word_and_non_word_characters_apart():
    """What word edges on casefolded text rely on: no character's casefolding mixes the two."""
    word = regex.compile(r"\w", FLAGS)
    for code in range(0x110000):
        c = chr(code)
        folded = c.casefold()
        if folded != c:
            is_word = bool(word.match(c))
            assert all(bool(word.match(f)) == is_word for f in folded), hex(code)


TERMINATION = next(r for r in RULES if r.id == "termination-account")


@pytest.mark.parametrize("text", [
    "We may disclose your account details to the authorities.",
    "We will use enclosed forms for your account and your use of the service.",
])
def test_a_word_start_keyword_is_not_met_inside_a_word(text):
    """"clos" of termination-account must start a word: "disclose" lets its costliest pattern be
    skipped, and that pattern really cannot match there (with either case folding)."""
    pattern = TERMINATION.patterns[0]
    pre = WITH.prefilter
    met, _ = pre.scan(text)
    assert not pre.possible(pattern, met)
    assert "clos" in text.casefold()  # the keyword without its word start is there
    assert pattern.search(text) is None
    assert regex.compile(pattern.pattern, FLAGS).search(text) is None


@pytest.mark.parametrize("text", [
    "We may closE your account at any time.",
    "We may, at our discretion, (close) or suspend your account.",
    "Your account? We may — in our sole discretion — close-out the account.",
])
def test_a_word_start_keyword_is_met_at_the_start_of_a_word(text):
    pattern = TERMINATION.patterns[0]
    met, _ = WITH.prefilter.scan(text)
    assert WITH.prefilter.possible(pattern, met)
    assert pattern.search(text)  # and searched: the rule fires
    clause = [Clause(0, len(text), "text")]
    assert [f.rule for f in WITH.scan(text, clause)[0]] == ["termination-account"]


def test_a_word_end_keyword_is_not_met_by_a_longer_word():
    r = parse_rule(Path("r.yaml"), {"category": "ai_training", "message": "m", "patterns": [r"\buse\W+your\W+data\b"],
                                    "examples": {"match": ["a", "b", "c"], "no_match": ["d", "e", "f"]}})
    pre = Prefilter([r])
    for text, possible in [("Users your data", False), ("We use your data", True), ("(use) your data", True),
                           ("abuse your data", False), ("use\u0301 your data", False), ("use½ your data", True)]:
        met, _ = pre.scan(text)
        assert pre.possible(r.patterns[0], met) is possible, text
        assert bool(r.patterns[0].search(text)) is possible, text


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
# "½" and "_" (\W and \w although str.isalnum says otherwise) and a combining mark (a word
# character) test the word edges of keywords.
ODD = ["ſ", "K", "ß", "ẞ", "ﬆ", "İ", "’", "-", " , ", "\u00ad", "½", "_", "\u0301", "ǅ", "("]


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
