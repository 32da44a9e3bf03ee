"""Extraction: HTML and plain text -> policy text as blocks. Small fixtures first, then the real pages."""

from __future__ import annotations

import importlib.util
import statistics
from pathlib import Path

import pytest

from clausewatch.core.extract import ExtractionError, extract_html, extract_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]


def blocks_of(extracted) -> list[tuple[str, str]]:
    return [(b.kind, extracted.text[b.start:b.end]) for b in extracted.blocks]


def page(body: str) -> str:
    return f"<!doctype html><html><head><title>T</title></head><body>{body}</body></html>"


HTML_CASES = [
    # (why, body, expected (kind, text) blocks)
    ("headings and paragraphs are blocks of their own",
     "<h1>Terms of Service</h1><p>By using the service you agree to these terms.</p>"
     "<h2>1. Fees</h2><p>Fees are non-refundable.</p>",
     [("heading", "Terms of Service"), ("text", "By using the service you agree to these terms."),
      ("heading", "1. Fees"), ("text", "Fees are non-refundable.")]),
    ("nested lists: every item is its own block",
     "<p>We collect:</p><ul><li>Account data<ul><li>your name;</li><li>your email address.</li></ul></li>"
     "<li><p>Usage data, such as pages you visit.</p></li></ul><ol><li>First we ask.</li></ol>",
     [("text", "We collect:"), ("item", "Account data"), ("item", "your name;"),
      ("item", "your email address."), ("item", "Usage data, such as pages you visit."),
      ("item", "First we ask.")]),
    ("table cells are blocks of their own",
     "<table><tr><th>Data</th><th>Purpose</th></tr>"
     "<tr><td>Email address</td><td>We send you marketing emails.</td></tr></table>",
     [("cell", "Data"), ("cell", "Purpose"), ("cell", "Email address"),
      ("cell", "We send you marketing emails.")]),
    ("<br> ends a line: each line is a block",
     "<p>Acme Inc.<br>1 Main Street<br/>Springfield</p>",
     [("text", "Acme Inc."), ("heading", "1 Main Street"), ("heading", "Springfield")]),
    ("script, style, noscript, template and svg are never text",
     "<style>p{color:red}</style><script>var secret = 'do not extract';</script>"
     "<noscript>Enable JavaScript</noscript><template><p>later</p></template>"
     "<svg><text>logo</text></svg><p>We may share your data with partners.</p>",
     [("text", "We may share your data with partners.")]),
    ("a clause split by <a>, <b>, <em> and <span> stays whole",
     "<p>We may <b>sell</b> your <a href='/def#pd'>personal <em>data</em></a> to "
     "<span class='x'>third parties</span> for <i>any</i> purpose.</p>",
     [("text", "We may sell your personal data to third parties for any purpose.")]),
    ("text directly in a <div> layout is read too",
     "<div><div><span>Meta may, in its sole discretion, grant exceptions to this policy.</span></div>"
     "<div>Contact us at legal@example.com.</div></div>",
     [("text", "Meta may, in its sole discretion, grant exceptions to this policy."),
      ("text", "Contact us at legal@example.com.")]),
    ("whitespace inside a block is collapsed",
     "<p>We   may\n   terminate\tyour account.</p>",
     [("text", "We may terminate your account.")]),
    ("a menu of links is chrome, a long footer of terms is not",
     "<nav><a href='/'>Home</a> <a href='/blog'>Blog</a></nav><p>You agree to arbitration.</p>"
     "<div class='breadcrumb'><a href='/'>Help</a> &gt; <a href='/legal'>Legal</a></div>",
     [("text", "You agree to arbitration.")]),
]


@pytest.mark.parametrize("why,body,expected", HTML_CASES, ids=[c[0] for c in HTML_CASES])
def test_html_blocks(why, body, expected):
    assert blocks_of(extract_html(page(body))) == expected


def test_text_is_blocks_joined_by_blank_lines():
    got = extract_html(page("<h1>Terms</h1><p>One.</p><ul><li>Two</li></ul>"))
    assert got.text == "Terms\n\nOne.\n\nTwo"
    assert got.title == "T"
    for block in got.blocks:
        piece = got.text[block.start:block.end]
        assert piece and piece == piece.strip() and "\n\n" not in piece


def test_accordions_hidden_panels_and_chrome():
    got = extract_html((FIXTURES / "extract_accordion.html").read_text(encoding="utf-8"))
    blocks = blocks_of(got)
    assert got.title == "Usage Policy | Example AI"
    assert blocks == [
        ("heading", "Usage Policy"),
        ("heading", "Effective March 1, 2026"),
        ("text", "This policy applies to everyone who uses our products."),
        # Accordion headings sit in <button>; their panels are hidden until clicked.
        ("heading", "Do Not Compromise Critical Infrastructure"),
        ("text", "This includes using our products to:"),
        ("item", "Disrupt power grids or water treatment facilities"),
        ("item", "Obtain unauthorized access to voting machines"),
        ("heading", "Do Not Develop Weapons"),
        ("text", "You may not design weapons or their delivery systems."),
        ("heading", "What happens if I break the rules?"),
        ("text", "We may suspend or terminate your account without notice."),
        # A cookie policy's own heading is text, even with "cookie" in its id.
        ("heading", "Managing Your Cookie Settings"),
        ("text", "You can change your cookie choices at any time in the settings."),
    ]  # no navbar, cookie banners, share buttons, related articles, footer links or consent dialog


def test_terms_in_a_footer_are_kept():
    got = extract_html((FIXTURES / "extract_footer_terms.html").read_text(encoding="utf-8"))
    assert "binding arbitration on an individual basis" in got.text
    assert "Home" not in got.text  # the <nav> is still chrome


def test_a_page_that_is_all_chrome_still_gives_its_text():
    # A short cookie policy in <div class="cookie-policy"> looks like a banner, and trafilatura
    # drops "cookie" classes too: the text is still better than "no readable text".
    got = extract_html(page("<div class='cookie-policy'><p>We use cookies to keep you signed in.</p></div>"))
    assert got.text == "We use cookies to keep you signed in."
    assert got.method in ("trafilatura", "dom-all")


def test_hydration_json_is_not_read_twice():
    got = extract_html((FIXTURES / "extract_hydrated.html").read_text(encoding="utf-8"))
    assert got.text.count("royalty-free license") == 1
    assert got.text.count("Service Generated Data for any purpose") == 1
    assert "__next_f" not in got.text and "pageProps" not in got.text


@pytest.mark.parametrize("html", [
    "",
    "   \n\t ",
    "<html><head><title>Only a title</title></head><body></body></html>",
    "<html><body><script>document.write('policy')</script><style>p{}</style></body></html>",
    "<html><body><div>   </div><p>\u00a0</p></body></html>",
], ids=["empty", "whitespace", "title only", "scripts only", "blank blocks"])
def test_no_text_raises(html):
    with pytest.raises(ExtractionError):
        extract_html(html)


TEXT_CASES = [
    ("hard-wrapped lines are joined, blank lines end paragraphs",
     "Privacy Policy\n\nWe collect your name and\nyour email address when you\nsign up.\n\nWe keep it.",
     [("heading", "Privacy Policy"),
      ("text", "We collect your name and your email address when you sign up."), ("text", "We keep it.")]),
    ("list items stay items and keep their wrapped lines",
     "We share data with:\n- advertisers, who may\n  combine it with other data;\n- analytics providers.\n"
     "* partners\n\u2022 affiliates",
     [("text", "We share data with:"), ("item", "- advertisers, who may combine it with other data;"),
      ("item", "- analytics providers."), ("item", "* partners"), ("item", "\u2022 affiliates")]),
    ("numbered and lettered lists",
     "1. You grant us a license to\nyour content.\n2. We may use it.\n(a) for training;\nb) for ads.",
     [("item", "1. You grant us a license to your content."), ("item", "2. We may use it."),
      ("item", "(a) for training;"), ("item", "b) for ads.")]),
    ("a heading line is not joined with the paragraph under it",
     "10. Termination\nWe may terminate your account at any time.",
     [("heading", "10. Termination"), ("text", "We may terminate your account at any time.")]),
]


@pytest.mark.parametrize("why,text,expected", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_plain_text(why, text, expected):
    assert blocks_of(extract_text(text)) == expected


@pytest.mark.parametrize("text", ["", "  \n\n\t "])
def test_empty_text_raises(text):
    with pytest.raises(ExtractionError):
        extract_text(text)


# --- the real pages -------------------------------------------------------------------------

# Pages whose reference_text is not their document: the snapshot holds < 5% of it, so no
# extraction can reach it (bench/extraction.md shows each one).
MISMATCHED = {
    "Le_Chat__Data_Processor_Agreement_terms.html":
        "snapshot (2025-12-15) is a 15-word 'Redirecting to legal.mistral.ai' stub",
    "Le_Chat__Data_Processor_Agreement_subprocessors.html":
        "snapshot is the Trust Center list of subprocessors, not the DPA text",
    "Le_Chat__Terms_of_Service_legal.html": "snapshot is Mistral's legal notice page, not the terms",
    "Llama_API__Privacy_Policy_docs-trust-data-commitments.html":
        "snapshot is a 'Page not found' page behind a cookie dialog",
}
# Pages that pass the 0.95 bar only without the text we drop on purpose.
KNOWN_SHORT = {
    "Claude.ai__Acceptable_Use_Policy_en-articles-9528712-exceptions-to-our-usage-policy.html":
        (0.88, "what is missing is the breadcrumb trail and the 'Related articles' list, whose first "
               "title is the minors article that OTA joined into this reference"),
}


def _bench():
    spec = importlib.util.spec_from_file_location("bench_extraction", REPO / "bench" / "extraction.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured(shared_data):
    bench = _bench()
    results = {}
    for _row, html_path, ref_path in bench.pages_with_reference(shared_data / "pages"):
        html = html_path.read_text(encoding="utf-8", errors="replace")
        results[html_path.name] = bench.measure(html, ref_path.read_text(encoding="utf-8"))
    assert len(results) == 44
    return bench, results


def test_reference_pages_keep_95_percent_of_their_words(measured):
    bench, results = measured
    short = {}
    for name, r in results.items():
        if name in MISMATCHED:
            continue
        floor = KNOWN_SHORT.get(name, (0.95, ""))[0]
        if r["recall"] < floor:
            short[name] = round(r["recall"], 3)
    assert short == {}


def test_mismatched_references_are_really_mismatched(measured):
    # Keeps the list above honest: a page leaves it as soon as its snapshot holds its reference.
    bench, results = measured
    assert {name for name, r in results.items() if r["held"] < bench.MISMATCH} == set(MISMATCHED)


def test_reference_pages_precision(measured):
    # Recall must not be won by dumping the whole page: most pages add almost nothing.
    _bench, results = measured
    precision = [r["precision"] for name, r in results.items() if name not in MISMATCHED]
    assert statistics.median(precision) >= 0.95
    assert statistics.mean(precision) >= 0.9
