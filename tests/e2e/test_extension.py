"""End to end: the extension in Chromium, the real server, pages from a local HTTP server."""

from __future__ import annotations

import html
import re

import pytest

from .conftest import FIXTURES, PENDING_HOST, PENDING_VENDOR, WATCHED_HOST, WATCHED_VENDOR, post_json, wait_for

pytestmark = pytest.mark.browser

SHARED_PAGE = "pages/ota_genai/Perplexity__Terms_of_Service.html"


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')).lower()


def analyse(browser, url, opened):
    """Open url, open the popup for its tab, wait until the popup shows a result."""
    page, tab_id = browser.open(url)
    popup = browser.popup(tab_id)
    opened += [page, popup]
    popup.wait_for_selector("body[data-state=result], body[data-state=error]", timeout=30000)
    return page, popup, tab_id


def groups_on_page(page):
    """{finding id: text of all marks of its clause} as the page shows them."""
    return page.evaluate("""() => {
        const out = {};
        for (const first of document.querySelectorAll('mark.cw-mark[data-cw-findings]')) {
            const text = [...document.querySelectorAll(`mark.cw-mark[data-cw-group="${first.dataset.cwGroup}"]`)]
                .map((m) => m.textContent).join('');
            for (const id of first.dataset.cwFindings.split(' ')) out[id] = text;
        }
        return out;
    }""")


def in_viewport(page, selector):
    return page.evaluate("""(sel) => {
        const r = document.querySelector(sel)?.getBoundingClientRect();
        return Boolean(r) && r.top >= 0 && r.bottom <= innerHeight && r.height > 0;
    }""", selector)


@pytest.fixture(scope="session")
def real_terms(shared_data_or_none, pages):
    """A real terms page from ../shared/data, or our Zoom-like fixture on a bare clone."""
    if shared_data_or_none is not None:
        return pages.add("/real/terms.html", (shared_data_or_none / SHARED_PAGE).read_bytes())
    return pages.add("/real/terms.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())


@pytest.fixture(scope="session")
def shared_data_or_none(request):
    try:
        return request.getfixturevalue("shared_data")
    except pytest.skip.Exception:
        return None


def test_marks_sit_on_the_clauses_of_a_real_terms_page(browser, real_terms, fresh_pages, artifacts):
    page, popup, tab_id = analyse(browser, real_terms, fresh_pages)
    state = browser.tab_state(tab_id)
    findings = state["analysis"]["result"]["findings"]
    assert len(findings) >= 10
    on_page = groups_on_page(page)
    missing = set(state["analysis"]["missing"])
    assert set(on_page) | missing == {f["id"] for f in findings}
    # Nearly every clause is anchored, and each mark holds its own clause's text.
    assert len(missing) <= len(findings) // 10, missing
    for f in findings:
        if f["id"] in on_page:
            assert norm(f["quote"]) in norm(on_page[f["id"]]) or norm(on_page[f["id"]]) in norm(f["quote"]), f
    categories = {f["category"] for f in findings if f["id"] in on_page}
    assert {"arbitration", "liability_limitation", "unilateral_change"} <= categories
    # The trigger phrase is marked more strongly, inside its clause.
    assert page.locator("mark.cw-mark.cw-match").count() >= len(on_page) // 2
    # Colours follow severity.
    tones = set(page.eval_on_selector_all("mark.cw-mark", "ms => ms.map((m) => m.dataset.cwTone)"))
    assert tones <= {"critical", "high", "medium", "low", "protection"} and "high" in tones

    # Hover shows the category and the explanation; the popup lists every finding.
    arbitration = next(f for f in findings if f["category"] == "arbitration" and f["id"] in on_page)
    mark = page.locator(f'mark[data-cw-findings~="{arbitration["id"]}"]')
    mark.scroll_into_view_if_needed()
    mark.hover()
    tooltip = page.locator(".cw-tooltip")
    tooltip.wait_for(state="visible")
    assert "Binding arbitration" in tooltip.inner_text()
    assert arbitration["explanation"].split()[0] in tooltip.inner_text()
    page.screenshot(path=str(artifacts / "highlighted-page.png"))
    assert popup.locator("li.finding").count() == len(findings)
    # Keyboard users get the same card: each clause is one tab stop.
    page.mouse.move(0, 0)
    tooltip.wait_for(state="hidden")
    page.locator("mark.cw-mark[tabindex='0']").first.focus()
    tooltip.wait_for(state="visible")


def test_popup_lists_findings_and_clicking_scrolls_the_page(browser, pages, fresh_pages, artifacts):
    url = pages.add("/zoom/terms-copy.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    page, popup, tab_id = analyse(browser, url, fresh_pages)
    assert popup.locator("#grade").inner_text() in "CDE"
    critical = popup.locator('section.group[data-tone="critical"] li.finding')
    assert critical.count() >= 1
    assert "AI training" in critical.first.inner_text()
    chips = popup.locator(".chip").all_inner_texts()
    assert any(c.startswith("AI training") for c in chips) and any("Broad licence" in c for c in chips)
    assert popup.locator("#reader-link").get_attribute("href").startswith(browser.server + "/report/")
    popup.screenshot(path=str(artifacts / "popup.png"), full_page=True)

    # The last finding is far down the page; clicking it scrolls there and flashes it.
    last = popup.locator("li.finding").last
    finding_id = last.get_attribute("data-id")
    selector = f'mark[data-cw-findings~="{finding_id}"]'
    assert not in_viewport(page, selector)
    last.locator("button").click()
    wait_for(lambda: in_viewport(page, selector), message="the clicked finding to scroll into view")
    assert page.locator(selector).evaluate("m => m.classList.contains('cw-flash')")
    # The Zoom-like page with its critical clause in view and its tooltip open, for the eye.
    ai = page.locator(f'mark[data-cw-findings~="{critical.first.get_attribute("data-id")}"]')
    ai.evaluate("m => m.scrollIntoView({block: 'center'})")
    ai.hover()
    page.screenshot(path=str(artifacts / "highlighted-zoom.png"))

    # Highlights off and on again.
    toggle = popup.locator("#toggle-highlights")
    toggle.click()
    wait_for(lambda: page.evaluate("document.documentElement.classList.contains('cw-hidden')"))
    # The popup updates its button when the content script answers: after the page, not with it.
    wait_for(lambda: toggle.get_attribute("aria-pressed") == "false", message="the toggle to show 'off'")
    toggle.click()
    wait_for(lambda: not page.evaluate("document.documentElement.classList.contains('cw-hidden')"))


def test_badge_shows_a_known_vendors_grade_without_a_click(browser, pages, fresh_pages):
    zoom_html = (FIXTURES / "zoom_terms_v1.html").read_text(encoding="utf-8")
    result = post_json(browser.server, "/api/analyze",
                       {"url": "https://zoom.us/terms", "title": "Terms of Service | Zoom", "html": zoom_html},
                       browser.ext_id)
    grade = result["grade"]["grade"]
    pages.add("/", "<!doctype html><title>Zoom</title><h1>One platform to connect</h1>")
    page, tab_id = browser.open("http://zoom.us/")
    fresh_pages.append(page)
    wait_for(lambda: browser.badge(tab_id) == grade, message=f"badge {grade} on zoom.us: {browser.badge(tab_id)!r} {browser.badge_title(tab_id)!r} {page.title()!r}")
    title = browser.badge_title(tab_id)
    assert "Zoom" in title and f"graded {grade}" in title and "Computed" in title


def zoom_v0() -> str:
    """The fixture as it was before the AI training clause (10.2) was added."""
    v1 = (FIXTURES / "zoom_terms_v1.html").read_text(encoding="utf-8")
    v0 = re.sub(r"<p><b>10\.2 .*?</p>", "", v1, flags=re.S)
    assert v0 != v1
    return v0


def test_changed_since_you_last_read_it(browser, pages, fresh_pages, artifacts):
    url = pages.add("/changing/terms.html", zoom_v0())
    page, popup, tab_id = analyse(browser, url, fresh_pages)
    assert popup.locator("#changes").count() == 0
    assert "AI training" not in popup.locator(".chips").inner_text()
    popup.close()
    pages.add("/changing/terms.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    page.reload(wait_until="domcontentloaded")
    popup = browser.popup(tab_id)
    fresh_pages.append(popup)
    popup.wait_for_selector("body[data-state=result]")
    changes = popup.locator("#changes").text_content()
    assert "Changed since you last read it" in changes and "Added: AI training" in changes
    assert page.locator("mark.cw-mark").count() > 0  # highlighted again after the reload
    popup.screenshot(path=str(artifacts / "popup-changed.png"))


def test_a_vendors_changed_terms_mark_the_badge_until_the_popup_shows_them(browser, pages, watcher, fresh_pages,
                                                                          artifacts):
    # The server fetched the vendor's terms, the user looked, then the vendor quietly added AI training.
    pages.add(f"/{WATCHED_VENDOR}/terms", zoom_v0())
    assert {o.status for o in watcher.run_round([WATCHED_VENDOR]) if o.job.doc_type == "terms"} == {"first"}
    post_json(browser.server, "/api/site/seen", {"host": WATCHED_HOST}, browser.ext_id)
    pages.add(f"/{WATCHED_VENDOR}/terms", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    outcome = next(o for o in watcher.run_round([WATCHED_VENDOR]) if o.job.doc_type == "terms")
    assert outcome.status == "changed"
    pages.add("/", "<!doctype html><title>Home</title><h1>Welcome</h1>")
    page, tab_id = browser.open(f"http://{WATCHED_HOST}/")
    fresh_pages.append(page)
    badge = browser.changed_badge(tab_id)
    grade = badge[0]
    assert grade in "CDE"
    assert "changed since you last read" in browser.badge_title(tab_id)
    # The home page cannot be read (no host permission, no click), but the vendor's news is shown.
    popup = browser.popup(tab_id)
    fresh_pages.append(popup)
    popup.wait_for_selector("body[data-state=site]")
    assert f"grade {grade}" in popup.locator("#site").inner_text()
    assert "Added: AI training" in popup.locator("#changes").text_content()
    popup.screenshot(path=str(artifacts / "popup-vendor-changed.png"))
    wait_for(lambda: browser.badge(tab_id) == grade, message="the badge to lose its ! once seen")


def test_a_vendor_without_an_analysis_gets_a_plain_pending_badge_then_its_grade(browser, pages, watcher,
                                                                               fresh_pages):
    pages.add("/", "<!doctype html><title>Home</title><h1>Welcome</h1>")
    page, tab_id = browser.open(f"http://{PENDING_HOST}/")
    fresh_pages.append(page)
    wait_for(lambda: browser.badge(tab_id) == "…", message="a pending badge")
    assert "no analysis yet" in browser.badge_title(tab_id)
    # The server's fetch lands (here: the watcher run by the test); the badge follows without a reload.
    pages.add(f"/{PENDING_VENDOR}/terms", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    grade = next(o for o in watcher.run_round([PENDING_VENDOR]) if o.job.doc_type == "terms")
    assert grade.status == "first"
    wait_for(lambda: browser.badge(tab_id) in list("ABCDE"), timeout=20, message="the grade after the fetch")


def test_badge_stays_silent_on_unknown_hosts(browser, pages, fresh_pages):
    url = pages.add("/plain.html", "<!doctype html><title>Plain</title><p>Nothing to see.</p>")
    page, tab_id = browser.open(url)
    fresh_pages.append(page)
    assert browser.badge(tab_id) == ""


def test_popup_explains_a_stopped_server(browser, pages, fresh_pages, artifacts):
    from .conftest import free_port
    url = pages.add("/offline.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    browser.set_server(f"http://127.0.0.1:{free_port()}")
    try:
        page, popup, _ = analyse(browser, url, fresh_pages)
        box = popup.locator("#server-offline")
        box.wait_for()
        text = box.inner_text()
        assert "not running" in text and "./dev serve" in text
        assert popup.locator("#server-offline code").first.inner_text() == "./dev serve"
        popup.screenshot(path=str(artifacts / "popup-offline.png"), full_page=True)
    finally:
        browser.set_server(browser.server)


def test_page_text_that_looks_like_markup_never_runs(browser, pages, fresh_pages):
    evil = "<img src=x onerror=window.__pwned=1>"
    body = (f"<!doctype html><title>Terms {html.escape(evil)}</title><main><h1>Terms of Use</h1>"
            f"<p>You agree that we may use your content {html.escape(evil)} to train and improve our "
            f"machine learning models for any purpose.</p>"
            f"<p>We may modify these Terms at any time without notice {html.escape(evil)}.</p></main>")
    url = pages.add("/evil.html", body)
    page, popup, _ = analyse(browser, url, fresh_pages)
    assert popup.locator("li.finding").count() >= 1
    assert evil in popup.locator("#findings").inner_text()
    mark = page.locator("mark.cw-mark").first
    mark.hover()
    page.locator(".cw-tooltip").wait_for(state="visible")
    assert evil in page.locator("mark.cw-mark").all_inner_texts()[0] + "".join(page.locator("mark.cw-mark").all_inner_texts())
    for p in (page, popup):
        assert p.evaluate("window.__pwned") is None
        assert p.locator('img[src="x"]').count() == 0


def test_a_clause_that_is_not_on_the_page_is_reported(browser, pages, fresh_pages):
    url = pages.add("/spans.html", "<!doctype html><title>Spans</title><p>Intro.</p>"
                    "<p>We  may <b>terminate</b>\n your <a href='#'>account</a> at&nbsp;any time.</p>")
    page, tab_id = browser.open(url)
    fresh_pages.append(page)
    browser.sw.evaluate("(t) => chrome.scripting.executeScript({target: {tabId: t}, files: "
                        "['src/content/anchor.js', 'src/content/tooltip.js', 'src/content/reveal.js', 'src/content/marks.js', "
                        "'src/content/main.js']})",
                        tab_id)
    reply = browser.sw.evaluate("""(t) => chrome.tabs.sendMessage(t, {type: 'highlight', analysisId: 'x', findings: [
        {id: 'a', quote: 'We may terminate your account at any time.', match: 'terminate', tone: 'high',
         toneLabel: 'High', label: 'Account can be closed at will', explanation: 'e'},
        {id: 'b', quote: 'This sentence is nowhere on the page at all.', tone: 'low', toneLabel: 'Low', label: 'l'}]})""",
                                tab_id)
    assert reply == {"found": ["a"], "missing": ["b"]}
    assert norm("".join(page.locator("mark.cw-mark").all_inner_texts())) == norm("We may terminate your account at any time.")
    assert page.locator("mark.cw-match").inner_text() == "terminate"


def test_automatic_analysis_of_a_terms_page_when_turned_on(browser, pages, fresh_pages):
    # Off by default: a terms page opens without marks.
    url = pages.add("/auto/terms-of-service.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    page, tab_id = browser.open(url)
    fresh_pages.append(page)
    page.wait_for_load_state("load")
    # The worker has seen the load finish (and read the setting then) before the option changes.
    wait_for(lambda: browser.sw.evaluate("async (t) => (await chrome.tabs.get(t)).status", tab_id) == "complete",
             message="the first tab's load, as the worker sees it")
    assert page.locator("mark.cw-mark").count() == 0
    # On (loopback pages are within the manifest's host permissions, so no prompt is needed here).
    browser.sw.evaluate("() => chrome.storage.local.set({autoAnalyze: true})")
    try:
        page2, _ = browser.open(url + "?again")
        fresh_pages.append(page2)
        wait_for(lambda: page2.locator("mark.cw-mark").count() > 0, timeout=30, message="automatic highlights")
        # By now the first page, opened while the option was off, would have been analysed too.
        assert page.locator("mark.cw-mark").count() == 0
    finally:
        browser.sw.evaluate("() => chrome.storage.local.set({autoAnalyze: false})")


def test_options_page_shows_the_settings_and_tests_the_connection(browser, fresh_pages, artifacts):
    page = browser.ctx.new_page()
    fresh_pages.append(page)
    page.goto(f"chrome-extension://{browser.ext_id}/src/options/options.html")
    wait_for(lambda: page.locator("#server").input_value() == browser.server, message="the stored address")
    assert page.locator("#autoBadge").is_checked() and not page.locator("#autoAnalyze").is_checked()
    page.locator("#check").click()
    wait_for(lambda: "Connected" in page.locator("#server-status").inner_text(), message="a connection report")
    # An address off this computer is refused before it is stored.
    page.locator("#server").fill("http://example.com:8787")
    page.locator("#server").dispatch_event("change")
    wait_for(lambda: "on this computer" in page.locator("#server-status").inner_text(), message="a refusal")
    assert browser.sw.evaluate("async () => (await chrome.storage.local.get('server')).server") == browser.server
    page.screenshot(path=str(artifacts / "options.png"))


def test_a_finding_that_cannot_be_placed_is_listed_with_the_reader_view(browser, pages, fresh_pages):
    # The server reads the hidden modal; the page never shows it to the reader (a closed modal is no
    # folded section to open, unlike a <details>), so there is nowhere to mark it.
    url = pages.add("/hidden.html", "<!doctype html><title>Terms</title><main><h1>Terms</h1>"
                    "<p>We may modify these Terms at any time without notice.</p>"
                    "<div aria-modal='true' hidden>We may terminate your account at any time, for any reason, "
                    "without notice.</div>"
                    "<details><summary>Disputes</summary><p>Any dispute shall be resolved exclusively by "
                    "final and binding arbitration.</p></details></main>")
    page, popup, _ = analyse(browser, url, fresh_pages)
    missing = popup.locator("li.finding.missing")
    assert missing.count() == 1 and "not found on page" in missing.inner_text()
    assert missing.get_attribute("data-category") == "unilateral_termination"
    assert missing.locator("a").get_attribute("href").startswith(browser.server + "/report/")
    placed = popup.locator("li.finding:not(.missing)")
    assert placed.count() == 2 and page.locator("mark.cw-mark").count() >= 2
    # A clause folded in a closed <details> is marked, and picking it opens the fold.
    popup.locator('li.finding[data-category="arbitration"] button').click()
    wait_for(lambda: page.evaluate("document.querySelector('details').open"), message="the fold to open")
    wait_for(lambda: in_viewport(page, "details mark.cw-mark"), message="the folded clause in view")
