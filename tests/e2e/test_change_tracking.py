"""Issue 5 end to end: the server fetches v1 then v2 of a vendor's terms (our Zoom-story fixtures), the
badge on the vendor's site marks the change, and the popup names the added AI-training clause and the
changed licence clause."""

from __future__ import annotations

import json
import urllib.request

import pytest

from clausewatch.vendors.watcher import Job

from .conftest import FIXTURES, wait_for

pytestmark = pytest.mark.browser

HOST = "zoom.us"  # mapped to the page server by the session's --host-resolver-rules
PRIVACY = "<!doctype html><title>Privacy</title><main><h1>Privacy Policy</h1><p>We collect your email " \
          "address to run your account.</p><p>We do not sell your personal information.</p></main>"


def api(server: str, ext_id: str, path: str, method: str = "GET"):
    req = urllib.request.Request(server + path, method=method, headers={"Origin": f"chrome-extension://{ext_id}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


@pytest.fixture
def zoom_watched(browser, pages, watcher):
    """Zoom's policies served from the page server and fetched by the server's watcher; the history
    of these documents is deleted afterwards so other tests see zoom.us as they left it."""
    terms, privacy = f"{pages.base}/cw-zoom/terms", pages.add("/cw-zoom/privacy", PRIVACY)
    yield terms, privacy
    for doc in api(browser.server, browser.ext_id, "/api/history")["documents"]:
        if doc["url"] in (terms, privacy):
            api(browser.server, browser.ext_id, f"/api/history?document={doc['id']}", method="DELETE")


def test_a_vendor_adds_ai_training_the_badge_and_popup_say_so(browser, pages, watcher, zoom_watched, fresh_pages,
                                                              artifacts):
    terms, privacy = zoom_watched
    site = lambda: api(browser.server, browser.ext_id, f"/api/site?host={HOST}")

    # Version 1, fetched by the server itself (the user never opened it).
    pages.add("/cw-zoom/terms", (FIXTURES / "vendor_v1.html").read_bytes())
    first = [watcher.fetch_one(Job("zoom", "terms", terms)), watcher.fetch_one(Job("zoom", "privacy", privacy))]
    assert [o.status for o in first] == ["first", "first"], [o.error for o in first]
    mine = [d for d in site()["documents"] if d["url"] in (terms, privacy)]
    assert len(mine) == 2 and not any(d["changed"] for d in mine)

    # Version 2: the vendor quietly adds an AI-training clause and widens the licence clause.
    pages.add("/cw-zoom/terms", (FIXTURES / "vendor_v2.html").read_bytes())
    assert watcher.fetch_one(Job("zoom", "terms", terms)).status == "changed"
    assert watcher.fetch_one(Job("zoom", "privacy", privacy)).status == "unchanged"
    status = site()
    assert status["changed"] is True
    [change] = [c for c in status["changes"] if c["url"] == terms]
    assert change["added"][0]["category"] == "ai_training" and change["added"][0]["severity"] == "critical"
    assert change["changed"][0]["category"] == "content_license" and "perpetual" in change["changed"][0]["new"]

    # The user visits the vendor's home page: the badge says the terms changed.
    pages.add("/", "<!doctype html><title>Zoom</title><h1>One platform to connect</h1>")
    page, tab_id = browser.open(f"http://{HOST}/")
    fresh_pages.append(page)
    badge = browser.changed_badge(tab_id)
    assert badge[0] in "CDE" and "changed since you last read" in browser.badge_title(tab_id)

    # The popup names the added AI-training clause and the changed licence clause.
    popup = browser.popup(tab_id)
    fresh_pages.append(popup)
    popup.wait_for_selector("body[data-state=site]")
    changes = popup.locator("#changes").text_content()
    assert "Added: AI training" in changes, changes
    assert "Reworded: Broad licence to your content" in changes, changes
    # A licence clause that got broader is a rewording, not a licence removed and another added.
    assert "Removed: Broad licence" not in changes and "Added: AI training, Broad licence" not in changes
    popup.screenshot(path=str(artifacts / "popup-change-tracking.png"))
    # Once the popup has shown the change, it is seen: the mark goes away.
    wait_for(lambda: browser.badge(tab_id) == badge[0], message="the badge to lose its ! once seen")
    assert site()["changed"] is False


def test_an_exported_report_is_one_inert_file_that_keeps_its_look(browser, fresh_pages, tmp_path):
    from .conftest import post_json
    url = "https://meetly.example/cw-export/terms"
    for fixture in ("vendor_v1.html", "vendor_v2.html"):
        result = post_json(browser.server, "/api/analyze",
                           {"url": url, "html": (FIXTURES / fixture).read_text(encoding="utf-8")}, browser.ext_id)
    req = urllib.request.Request(f"{browser.server}/report/{result['report_id']}/export.html",
                                 headers={"Origin": f"chrome-extension://{browser.ext_id}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        saved = tmp_path / "report.html"
        saved.write_bytes(r.read())
    page = browser.ctx.new_page()
    fresh_pages.append(page)
    requests, violations = [], []
    page.on("request", lambda req: requests.append(req.url))
    page.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(saved.as_uri(), wait_until="load")
    # The inlined stylesheet applies (its hash is in the file's own CSP); nothing else is loaded.
    colour = page.evaluate("getComputedStyle(document.querySelector('.grade')).backgroundColor")
    assert colour not in ("rgba(0, 0, 0, 0)", "transparent"), colour
    assert page.locator(".changes li.added").first.text_content().count("ai_training") == 1
    assert requests == [saved.as_uri()] and violations == []
    for doc in api(browser.server, browser.ext_id, "/api/history")["documents"]:
        if doc["url"] == url:
            api(browser.server, browser.ext_id, f"/api/history?document={doc['id']}", method="DELETE")
