"""The per-process cache of analyses: same answer as a fresh analysis, isolated, bounded."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from clausewatch.core.analyze import Analysis, Analyzer
from clausewatch.core.cache import AnalysisCache, request_key, size_of
from clausewatch.core.detect import Detector

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def as_dict(a: Analysis) -> dict:
    return {"text": a.text, "clauses": a.clauses, "findings": [f.to_dict() for f in a.findings],
            "grade": a.grade, "document": a.document, "warnings": a.warnings}


def uncached(analyzer) -> Analyzer:
    """The same analyzer (rules, model, caps) with an empty cache of its own."""
    mine = copy.copy(analyzer)
    mine.cache = AnalysisCache()
    return mine


@pytest.mark.parametrize("page", sorted(p.name for p in FIXTURES.glob("*.html")))
def test_a_page_again_is_the_same_analysis(analyzer, page):
    html = (FIXTURES / page).read_text(encoding="utf-8")
    first = analyzer.analyze(html=html, url=f"https://example.com/{page}")
    again = analyzer.analyze(html=html, url=f"https://example.com/{page}")
    fresh = uncached(analyzer).analyze(html=html, url=f"https://example.com/{page}")
    assert as_dict(again) == as_dict(first) == as_dict(fresh)


def test_the_second_time_skips_the_work(analyzer, monkeypatch):
    text = "By using the service you agree to binding arbitration. We may train models on your content."
    mine = uncached(analyzer)
    mine.analyze(text=text)
    monkeypatch.setattr(mine, "_analyze", lambda **_: pytest.fail("analysed twice"))
    assert mine.analyze(text=text).findings
    assert mine.cache.hits == 1 and mine.cache.misses == 1


def test_what_a_caller_changes_does_not_reach_the_cache(analyzer):
    mine = uncached(analyzer)
    text = "We may train models on your content for any purpose."
    first = mine.analyze(text=text)
    first.document["url"] = "changed"
    first.findings.clear()
    first.grade["grade"] = "Z"
    again = mine.analyze(text=text)
    assert again.document["url"] == "" and again.findings and again.grade["grade"] != "Z"


@pytest.mark.parametrize("a,b", [
    ({"html": "<p>x</p>", "text": None, "url": "", "title": ""}, {"html": None, "text": "<p>x</p>", "url": "", "title": ""}),
    ({"html": None, "text": "x", "url": "https://a.example/", "title": ""}, {"html": None, "text": "x", "url": "https://b.example/", "title": ""}),
    ({"html": None, "text": "x", "url": "", "title": "T"}, {"html": None, "text": "x", "url": "", "title": ""}),
    ({"html": None, "text": "ab", "url": "c", "title": ""}, {"html": None, "text": "b", "url": "ca", "title": ""}),
])
def test_what_the_answer_depends_on_is_in_the_key(a, b):
    assert request_key(**a) != request_key(**b)
    assert request_key(**a) == request_key(**dict(a))


def analysis(text: str) -> Analysis:
    return Analysis(text=text, clauses=[], findings=[], grade={"grade": "A"}, document={"url": ""})


def test_bounded_in_entries_least_recently_used_first():
    cache = AnalysisCache(max_entries=3)
    for key in "abc":
        cache.put(key, analysis(key))
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("d", analysis("d"))
    assert len(cache) == 3
    assert cache.get("b") is None
    assert [k for k in "acd" if cache.get(k) is not None] == ["a", "c", "d"]


def test_bounded_in_bytes():
    one = size_of(analysis("x" * 100_000))
    cache = AnalysisCache(max_entries=100, max_bytes=int(one * 2.5))
    for key in "abcd":
        cache.put(key, analysis("x" * 100_000))
    assert len(cache) == 2 and cache.bytes <= cache.max_bytes
    assert cache.get("c") is not None and cache.get("d") is not None


def test_a_page_larger_than_the_cache_is_not_kept():
    cache = AnalysisCache(max_entries=10, max_bytes=50_000)
    cache.put("big", analysis("x" * 100_000))
    assert len(cache) == 0 and cache.bytes == 0
    cache.put("small", analysis("x"))
    cache.put("small", analysis("y"))  # the same key again replaces, it does not count twice
    assert len(cache) == 1 and cache.bytes == size_of(analysis("y"))


def test_a_new_rule_set_starts_with_an_empty_cache(analyzer):
    text = "We may train models on your content."
    analyzer.analyze(text=text)
    assert len(Analyzer(Detector([])).cache) == 0
    assert Analyzer(Detector([])).analyze(text=text).findings == []
