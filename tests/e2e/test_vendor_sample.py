"""A sample of the vendors that came with the 444-vendor list (tools/build_vendors.py; the list had 101
before 5238957) get the same badge as the old ones, in the real Chromium: pending, then the grade once an
analysis of the vendor's own terms lands; and a look-alike host next to each stays silent.

Two samples come from the curated list (letterboxd, bandcamp), two from Open Terms Archive (timeanddate,
wordfeud). Their hosts and neighbours resolve to the page server (conftest's --host-resolver-rules); none
is on Chromium's HSTS preload list, which each test checks by the URL staying http.
"""

from __future__ import annotations

import pytest
import yaml

from .conftest import FIXTURES, NEIGHBOUR_HOSTS, NEW_VENDOR_HOSTS, REPO, post_json, wait_for

pytestmark = pytest.mark.browser

# vendor id -> the domain its badge is checked on (conftest maps it, and a look-alike neighbour, to the page server)
SAMPLE = {"letterboxd": "letterboxd.com", "bandcamp": "bandcamp.com", "timeanddate-com": "timeanddate.com",
          "wordfeud": "wordfeud.com"}
NEIGHBOURS = dict(zip(NEW_VENDOR_HOSTS, NEIGHBOUR_HOSTS))
assert set(SAMPLE.values()) == set(NEW_VENDOR_HOSTS), "the sample and conftest's NEW_VENDOR_HOSTS differ"
SILENT_TITLE = "clausewatch: check this page's terms"


def shipped_vendors() -> list[dict]:
    return yaml.safe_load((REPO / "rules" / "vendors.yaml").read_text(encoding="utf-8"))["vendors"]


def candidates(host: str) -> list[str]:
    """extension/src/shared/hosts.js's hostCandidates: the host, then its parents, www. stripped."""
    labels = host.lower().removeprefix("www.").split(".")
    return [".".join(labels[i:]) for i in range(len(labels) - 1)]


@pytest.mark.parametrize("vendor_id", list(SAMPLE))
def test_a_new_vendor_gets_its_badge_and_its_neighbour_stays_silent(vendor_id, browser, pages, fresh_pages):
    vendors = shipped_vendors()
    vendor = next((v for v in vendors if v["id"] == vendor_id), None)
    domain = SAMPLE[vendor_id]
    assert vendor and domain in vendor["domains"] and vendor["terms"], f"{vendor_id} changed in rules/vendors.yaml"
    neighbour = NEIGHBOURS[domain]
    known = {d.lower().removeprefix("www.") for v in vendors for d in v.get("domains", [])}
    assert not known & set(candidates(neighbour)), f"{neighbour} became a vendor's host: pick another neighbour"

    pages.add("/", f"<!doctype html><title>{vendor['name']}</title><h1>Welcome</h1>")
    page, tab_id = browser.open(f"http://{domain}/")
    fresh_pages.append(page)
    assert page.url == f"http://{domain}/", f"{domain} was not served over http (HSTS preload?): {page.url}"

    # Known, with no analysis yet: the plain pending badge.
    # The badge's text and its title are two calls of the worker: wait for both, not one.
    wait_for(lambda: browser.badge(tab_id) == "…" and vendor["name"] in browser.badge_title(tab_id),
             message=f"a pending badge on {domain}: {browser.badge(tab_id)!r} {browser.badge_title(tab_id)!r}")
    title = browser.badge_title(tab_id)
    assert vendor["name"] in title and "no analysis yet" in title

    # An analysis of the vendor's own terms lands; the badge follows without a reload.
    result = post_json(browser.server, "/api/analyze",
                       {"url": vendor["terms"][0], "title": f"Terms | {vendor['name']}",
                        "html": (FIXTURES / "zoom_terms_v1.html").read_text(encoding="utf-8")}, browser.ext_id)
    assert result["vendor"] == {"id": vendor_id, "name": vendor["name"], "doc_type": "terms"}
    grade = result["grade"]["grade"]
    wait_for(lambda: browser.badge(tab_id) == grade and f"graded {grade}" in browser.badge_title(tab_id),
             timeout=20,
             message=f"badge {grade} on {domain}: {browser.badge(tab_id)!r} {browser.badge_title(tab_id)!r}")
    title = browser.badge_title(tab_id)
    assert vendor["name"] in title and f"graded {grade}" in title and "Computed" in title

    # The look-alike next door, in the same tab: the badge logic ran for it (the vendor's site state is
    # dropped) and it says nothing.
    assert browser.tab_state(tab_id)["site"]["host"] == domain
    page.goto(f"http://{neighbour}/", wait_until="domcontentloaded")
    assert page.url == f"http://{neighbour}/", f"{neighbour} was not served over http: {page.url}"
    wait_for(lambda: browser.sw.evaluate("async () => (await chrome.tabs.get(%d)).url" % tab_id) == page.url
             and (browser.tab_state(tab_id) or {}).get("site") is None,
             message=f"the badge logic on {neighbour}: {browser.tab_state(tab_id)!r}")
    wait_for(lambda: browser.badge(tab_id) == "" and browser.badge_title(tab_id) == SILENT_TITLE,
             message=f"a silent badge on {neighbour}: {browser.badge(tab_id)!r} {browser.badge_title(tab_id)!r}")
