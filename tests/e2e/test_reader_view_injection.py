"""No injection in the reader view, in real Chromium: clause text with <script>, onerror=, javascript:
links and </mark> (and a hostile title and URL) is shown as text. Each payload would set
window.pwned if it ran; it stays unset.

Two loads: the report as a user opens it (the server's CSP in force), and the same HTML placed in a
page with no CSP at all, so the test shows the escaping itself and not only the CSP.
"""

from __future__ import annotations

import urllib.request

import pytest

from .test_web_page_attacks import api, in_chromium

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.pwned = 'script'</script>",
    "<img src=x onerror=\"window.pwned = 'img'\">",
    "</mark><img src=x onerror=\"window.pwned = 'mark'\"><mark>",
    "<svg onload=\"window.pwned = 'svg'\"></svg>",
    "\"><script>window.pwned = 'attr'</script>",
    "<a href=\"javascript:window.pwned = 'link'\">click</a>",
    "<iframe srcdoc=\"<script>parent.pwned = 'srcdoc'</script>\"></iframe>",
    "javascript:window.pwned='text'",
]


def escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def hostile_page() -> str:
    # Each payload sits, as text, inside a clause that a rule flags, so it lands inside a <mark> and
    # its tooltip too; the real markup around it must not survive extraction either.
    clauses = "".join(f"<p>We may sell your personal information {escape(p)} to data brokers ({i}).</p>"
                      for i, p in enumerate(PAYLOADS))
    return (f"<html><head><title>{escape(PAYLOADS[0])}</title></head><body>{clauses}"
            f"<p><a href=\"javascript:window.pwned='real-link'\">Any dispute shall be resolved by binding "
            f"arbitration.</a><img src=x onerror=\"window.pwned='real-img'\"></p>"
            f"<script>window.pwned='real-script'</script></body></html>")


def fetch_html(url: str) -> str:
    # The headers Chromium sends when the user opens a report (the server lets only that in).
    req = urllib.request.Request(url, headers={"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate",
                                               "Sec-Fetch-Dest": "document"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode("utf-8")


CHECK = """() => ({
  pwned: window.pwned ?? null,
  scripts: document.scripts.length,
  images: document.images.length,
  svgs: document.querySelectorAll('svg, iframe').length,
  handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
  jsLinks: document.querySelectorAll('a[href^="javascript:" i]').length,
  marks: document.querySelectorAll('mark').length,
  text: document.body.innerText,
  title: document.title,
})"""


def test_hostile_clause_text_is_shown_as_text_in_the_reader_view(server):
    url = "https://hostile.example/terms"
    # A first, harmless version, so the report of the hostile one lists the changes with quotes.
    api(server, "POST", "/api/analyze", {"url": url, "text": "These terms are governed by the laws of Delaware."})
    data = api(server, "POST", "/api/analyze", {"url": url, "html": hostile_page(),
                                                "title": "\"><img src=x onerror=\"window.pwned='title'\">"})
    assert data["findings"], data
    report = data["report_url"]
    served = fetch_html(report)
    exported = fetch_html(report + "/export.html")

    def look(ctx):
        page = ctx.new_page()
        violations = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(report, wait_until="load")
        for mark in page.query_selector_all("mark")[:5]:   # show the tooltips
            mark.hover(force=True, timeout=2000)
            mark.focus()
        page.wait_for_timeout(200)
        real = page.evaluate(CHECK)
        out = {"real": real, "violations": violations}
        for name, html in (("no-csp", served), ("export-no-csp", exported)):
            bare = ctx.new_page()
            bare.set_content(html.replace("Content-Security-Policy", "x-removed"), wait_until="load")
            bare.wait_for_timeout(300)  # an onerror fires after the image fails
            out[name] = bare.evaluate(CHECK)
        return out

    seen = in_chromium(look)
    for name in ("real", "no-csp", "export-no-csp"):
        view = seen[name]
        assert view["pwned"] is None, (name, view["pwned"])
        assert view["scripts"] == 0 and view["images"] == 0 and view["svgs"] == 0, (name, view)
        assert view["handlers"] == 0 and view["jsLinks"] == 0, (name, view)
        assert view["marks"] >= len(PAYLOADS), (name, view["marks"])
        for payload in PAYLOADS:   # every payload is on the page, as the text it was
            assert payload.replace("  ", " ") in view["text"], (name, payload)
    # Nothing even tried to run: the CSP had nothing to refuse.
    assert seen["violations"] == []
    assert "<script>" in seen["real"]["title"] or "clausewatch" in seen["real"]["title"]
