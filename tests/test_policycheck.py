"""policycheck.check: terms and privacy policies pass, home pages, articles and shops do not.

The figures of bench/policy_check.md are enforced here: every real policy page of ../shared/data
passes except the seven snapshots that hold no policy (listed by name), and every one of our own
non-policy pages is refused.
"""

from __future__ import annotations

import json

import pytest

from clausewatch.core.extract import extract_html
from clausewatch.core.policycheck import check
from conftest import FIXTURES

# Read by hand: help articles, a redirect stub, a 404 page, a subprocessor list, an imprint.
NOT_POLICY_SNAPSHOTS = {
    "ChatGPT__Acceptable_Use_Policy_en-articles-20001152-what-to-know-about-the-sora-discontinuation.html",
    "ChatGPT__Acceptable_Use_Policy_policies-creating-images-and-videos-in-line-with-our-policies.html",
    "Le_Chat__Data_Processor_Agreement_subprocessors.html",
    "Le_Chat__Data_Processor_Agreement_terms.html",
    "Le_Chat__Imprint.html",
    "Le_Chat__Terms_of_Service_legal.html",
    "Llama_API__Privacy_Policy_docs-trust-data-commitments.html",
}


def run(path):
    ex = extract_html(path.read_text(encoding="utf-8", errors="replace"))
    return check(ex.text, ex.title, ex.blocks)


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "not_policies").glob("*.html")))
def test_our_non_policy_pages_are_refused_with_a_reason(name):
    result = run(FIXTURES / "not_policies" / name)
    assert not result.is_policy and result.reason


@pytest.mark.parametrize("name", ["zoom_terms_v1.html", "zoom_terms_2023.html"])
def test_our_terms_fixtures_pass(name):
    assert run(FIXTURES / name).is_policy


@pytest.mark.parametrize("text, title, ok", [
    ("Home · Pricing · Blog\n\nTerms of Service · Privacy Policy · Cookies", "Brightloom", False),
    ("Welcome to our shop. Browse the new arrivals and enjoy free delivery on every order over fifty euros. "
     "We use cookies.", "Northfield", False),  # one term in 20 words of shop talk
    ("We may sell your personal information.", "", True),  # short, but all contract language
    ("You agree that we may terminate your account and that our liability is limited. We collect personal "
     "data and share it with third parties. Disputes go to binding arbitration under the governing law "
     "of Delaware. You grant us a license to your content. " * 3, "", True),
])
def test_table(text, title, ok):
    assert check(text, title).is_policy is ok


def test_real_policy_pages_pass(shared_data):
    pages = shared_data / "pages"
    rows = [json.loads(line) for line in (pages / "index.jsonl").read_text().splitlines() if line.strip()]
    refused = {r["path"].rsplit("/", 1)[1] for r in rows if not run(pages.parent / r["path"]).is_policy}
    assert refused == NOT_POLICY_SNAPSHOTS
