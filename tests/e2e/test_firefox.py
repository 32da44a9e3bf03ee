"""End to end in Firefox: Debian's firefox-esr, the extension as a temporary add-on, the real server.

The same scenarios as test_extension.py's in Chromium: a click on a terms page (the popup, opened as
a tab pointed at the page's tab) marks its clauses in their colours and lists grade and findings;
a known vendor's site gets its grade on the badge without a click.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from .conftest import EXTENSION, FIXTURES, wait_for
from .firefox import EXTENSION_UUID, FIREFOX, Firefox

pytestmark = pytest.mark.browser

pytest.importorskip("marionette_driver")

ORIGIN = f"moz-extension://{EXTENSION_UUID}"
# highlight.css: a critical clause's trigger phrase (.cw-match) is red at 0.36.
CRITICAL_MATCH_BACKGROUND = "rgba(239, 68, 68, 0.36)"


@pytest.fixture(scope="session")
def firefox(server_process, pages, tmp_path_factory):
    if FIREFOX is None:
        pytest.skip("Debian's firefox-esr is not installed")
    ff = Firefox(tmp_path_factory.mktemp("firefox-profile"), EXTENSION,
                 tmp_path_factory.mktemp("firefox-log") / "firefox.log", ("zoom.us",), pages.port)
    server_process.wait()
    ff.server = server_process.base
    # Pointed at this session's server, as a user would in the options page.
    ff.ext("await browser.storage.local.set({server: args[0]});", ff.server)
    yield ff
    ff.close()


@pytest.fixture
def tabs(firefox):
    """Tabs opened by one test are closed after it, so tab queries stay unambiguous."""
    opened = []
    yield opened
    for handle in opened:
        firefox.close_tab(handle)


def open_tab(firefox, url, opened) -> tuple[str, int]:
    """A tab at url: its Marionette handle and its extension tab id."""
    handle = firefox.open(url)
    opened.append(handle)
    tab_id = wait_for(lambda: firefox.ext("return (await browser.tabs.query({})).find((t) => t.url === args[0])?.id;",
                                          url), message=f"a tab at {url}")
    return handle, tab_id


def popup(firefox, tab_id, opened) -> str:
    """The popup in a window of its own, over the page's, as the toolbar button shows it: the page's
    tab stays the one shown in its window (a hidden tab would not scroll smoothly)."""
    handle = firefox.open(f"{ORIGIN}/src/popup/popup.html?tabId={tab_id}", window=True)
    opened.append(handle)
    wait_for(lambda: firefox.page(handle, "return document.body.dataset.state") in ("result", "error"),
             timeout=30, message="the popup's result")
    return handle


def tab_state(firefox, tab_id):
    return firefox.ext("return (await browser.storage.session.get(`tab:${args[0]}`))[`tab:${args[0]}`];", tab_id)


MARKS = """
    const out = {};
    for (const m of document.querySelectorAll('mark.cw-mark[data-cw-findings]')) {
        for (const id of m.dataset.cwFindings.split(' ')) out[id] = {tone: m.dataset.cwTone};
    }
    for (const m of document.querySelectorAll('mark.cw-mark.cw-match')) {
        const id = document.querySelector(`mark.cw-mark[data-cw-group="${m.dataset.cwGroup}"][data-cw-findings]`)
            ?.dataset.cwFindings.split(' ')[0];
        if (id && out[id]) out[id].match = getComputedStyle(m).backgroundColor;
    }
    return out;
"""

IN_VIEW = """
    const r = document.querySelector(arguments[0])?.getBoundingClientRect();
    return Boolean(r) && r.top >= 0 && r.bottom <= innerHeight && r.height > 0;
"""


def test_a_click_marks_the_clauses_and_the_popup_lists_them(firefox, pages, tabs):
    url = pages.add("/firefox/zoom-terms.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    page, tab_id = open_tab(firefox, url, tabs)
    pop = popup(firefox, tab_id, tabs)
    assert firefox.page(pop, "return document.body.dataset.state") == "result"
    findings = tab_state(firefox, tab_id)["analysis"]["result"]["findings"]

    # The popup: grade, the critical AI training finding first, chips, the reader view's link.
    assert firefox.page(pop, "return document.querySelector('#grade').textContent") in "CDE"
    critical = firefox.page(pop, "return [...document.querySelectorAll("
                                 "'section.group[data-tone=\"critical\"] li.finding')].map((li) => li.textContent)")
    assert critical and "AI training" in critical[0]
    chips = firefox.page(pop, "return [...document.querySelectorAll('.chip')].map((c) => c.textContent)")
    assert any(c.startswith("AI training") for c in chips) and any("Broad licence" in c for c in chips)
    assert firefox.page(pop, "return document.querySelector('#reader-link').href").startswith(firefox.server + "/report/")
    assert firefox.page(pop, "return document.querySelectorAll('li.finding').length") == len(findings)

    # The page: every finding is marked, in its severity's tone; the CSS the worker inserted colours it.
    marks = firefox.page(page, MARKS)
    assert set(marks) == {f["id"] for f in findings}
    ai = next(f for f in findings if f["category"] == "ai_training")
    assert ai["severity"] == "critical" and marks[ai["id"]]["tone"] == "critical"
    assert marks[ai["id"]]["match"] == CRITICAL_MATCH_BACKGROUND
    assert {"critical", "high"} <= {m["tone"] for m in marks.values()}
    # A keyboard user reaches the clause and gets its card: the category and the explanation.
    firefox.client.switch_to_window(page, focus=True)  # focus events fire in the focused window only
    firefox.page(page, "document.querySelector(arguments[0]).focus()",
                 f'mark[data-cw-findings~="{ai["id"]}"][tabindex="0"]')
    card = wait_for(lambda: firefox.page(page, "const t = document.querySelector('.cw-tooltip');"
                                               "return t && t.checkVisibility() && t.textContent"), message="the card")
    assert "AI training" in card and ai["explanation"].split()[0] in card

    # Picking the last finding in the popup scrolls the page to it and flashes it.
    last = firefox.page(pop, "return [...document.querySelectorAll('li.finding')].at(-1).dataset.id")
    selector = f'mark[data-cw-findings~="{last}"]'
    assert not firefox.page(page, IN_VIEW, selector)
    firefox.page(pop, "[...document.querySelectorAll('li.finding')].at(-1).querySelector('button').click()")
    wait_for(lambda: firefox.page(page, IN_VIEW, selector), message="the picked finding in view")
    assert firefox.page(page, "return document.querySelector(arguments[0]).classList.contains('cw-flash')", selector)


def test_badge_shows_a_known_vendors_grade_without_a_click(firefox, pages, tabs):
    # The analysis arrives as Firefox's extension would send it: with its moz-extension:// Origin.
    body = {"url": "https://zoom.us/terms", "title": "Terms of Service | Zoom",
            "html": (FIXTURES / "zoom_terms_v1.html").read_text(encoding="utf-8")}
    request = urllib.request.Request(firefox.server + "/api/analyze", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Origin": ORIGIN})
    with urllib.request.urlopen(request, timeout=60) as r:
        grade = json.load(r)["grade"]["grade"]
    pages.add("/", "<!doctype html><title>Zoom</title><h1>One platform to connect</h1>")
    page, tab_id = open_tab(firefox, "http://zoom.us/", tabs)

    def badge():
        return firefox.ext("return [await browser.action.getBadgeText({tabId: args[0]}),"
                           " await browser.action.getTitle({tabId: args[0]})];", tab_id)

    # The badge's text and its title are two calls of the worker: wait for both.
    text, title = wait_for(lambda: (b := badge())[0] == grade and "Zoom" in b[1] and b,
                           message=f"badge {grade} on zoom.us: {badge()!r}")
    assert f"graded {grade}" in title and "Computed" in title
