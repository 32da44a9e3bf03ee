"""The colours of inline marks, end to end: a made-up privacy page (tests/fixtures/why/) analysed by
the extension in Chromium against the real server, and the tone the content script puts on the
<mark> of three clauses that the detector once coloured wrongly (rows 01-03 of tests/test_why.py).

Tones (data-cw-tone, extension/src/content/highlight.css): critical is red, high orange (the red
family), medium yellow, low blue, protection green. A clause's marks take the worst tone of its
findings (marks.js), and a finding's tone is "protection" for a protection, else its severity
(shared/labels.js).
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from .conftest import FIXTURES, wait_for
from .test_extension import analyse, norm

pytestmark = pytest.mark.browser

RED = {"critical", "high"}
RISK_TONES = {"critical", "high", "medium", "low"}
PAGE = FIXTURES / "why" / "parley_privacy.html"
AI_TRAINING = "including training our models, unless you opt out"  # 01: risk, red
NO_DELETION = "may not delete our copy of your personal information"  # 02: risk, not green
NOT_SOLD = "None of the information collected is sold or shared with any third party"  # 03: not red


def marked_clauses(page) -> list[dict]:
    """Each marked clause as the page shows it: its text, its tone, the findings on it."""
    return page.evaluate("""() => {
        const groups = new Map();
        for (const m of document.querySelectorAll('mark.cw-mark[data-cw-group]')) {
            const g = groups.get(m.dataset.cwGroup) ?? {text: '', tones: [], findings: []};
            g.text += m.textContent;
            g.tones.push(m.dataset.cwTone);
            if (m.dataset.cwFindings) g.findings.push(...m.dataset.cwFindings.split(' '));
            groups.set(m.dataset.cwGroup, g);
        }
        return [...groups.values()];
    }""")


def test_marks_take_the_colour_of_what_the_clause_says(browser, pages, fresh_pages, artifacts):
    url = pages.add("/why/parley-privacy.html", PAGE.read_bytes())
    page, popup, tab_id = analyse(browser, url, fresh_pages)
    assert popup.evaluate("document.body.dataset.state") == "result"
    wait_for(lambda: page.locator("mark.cw-mark").count() > 0, timeout=30, message="marks on the page")
    findings = {f["id"]: f for f in browser.tab_state(tab_id)["analysis"]["result"]["findings"]}
    clauses = marked_clauses(page)

    def on(clause):
        hits = [c for c in clauses if norm(clause) in norm(c["text"])]
        for c in hits:
            assert len(set(c["tones"])) == 1, c  # every piece of a clause has the clause's one tone
        return hits

    def why(hits):
        return [(c["tones"][0], [f"{findings[i]['category']}/{findings[i]['severity']}/{findings[i]['polarity']}"
                                 for i in c["findings"] if i in findings]) for c in hits]

    page.screenshot(path=str(artifacts / "colours-parley.png"), full_page=True)
    # All three are checked before failing, so one run tells which are wrong.
    wrong = []
    ai = on(AI_TRAINING)
    if not (len(ai) == 1 and ai[0]["tones"][0] in RED):
        wrong.append(f"01 should be a red-family risk mark: {why(ai)}")
    deletion = on(NO_DELETION)
    if not (len(deletion) == 1 and deletion[0]["tones"][0] in RISK_TONES):
        wrong.append(f"02 should be a risk mark, not green: {why(deletion)}")
    not_sold = on(NOT_SOLD)
    if any(c["tones"][0] in RED for c in not_sold):
        wrong.append(f"03 should not be red: {why(not_sold)}")
    with urllib.request.urlopen(browser.server + "/api/health", timeout=5) as r:
        mode = "model" if json.load(r).get("model") else "rules alone"
    assert not wrong, f"[{mode}]\n" + "\n".join(wrong)
