"""The issue's bar for "installable": the wheel in a fresh venv outside the checkout, `clausewatch
serve` from an empty directory, and the real extension in Chromium analysing a page against it."""

from __future__ import annotations

import json
import urllib.request

import pytest

from .conftest import CHROMIUM, EXTENSION, FIXTURES, Browser, extension_id, launch_with_extension, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def installed_server(installed_clausewatch):
    with installed_clausewatch.serve() as server:
        yield f"http://127.0.0.1:{server.port}"


def test_the_extension_analyses_a_page_against_the_installed_server(installed_server, playwright, pages,
                                                                     tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (/usr/lib/chromium/chromium)")
    ext_id = extension_id()
    url = pages.add("/installed/terms.html", (FIXTURES / "zoom_terms_v1.html").read_bytes())
    rules = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"
    ctx, sw = launch_with_extension(playwright, tmp_path_factory.mktemp("installed-profile"), EXTENSION, rules)
    try:
        sw.evaluate("(s) => chrome.storage.local.set({server: s})", installed_server)
        wait_for(lambda: sw.evaluate("async () => (await chrome.storage.local.get('server')).server") == installed_server)
        browser = Browser(ctx, sw, ext_id, installed_server)
        page, tab_id = browser.open(url)
        popup = browser.popup(tab_id)
        popup.wait_for_selector("body[data-state=result], body[data-state=error]", timeout=60000)
        assert popup.evaluate("document.body.dataset.state") == "result", popup.inner_text("body")
        findings = browser.tab_state(tab_id)["analysis"]["result"]["findings"]
        assert {"ai_training", "content_license"} <= {f["category"] for f in findings}
        wait_for(lambda: page.locator("mark.cw-mark").count() > 0, message="marks on the page")
        # The analysis went to the installed server: the page is in its history.
        req = urllib.request.Request(installed_server + "/api/history", headers={"Origin": f"chrome-extension://{ext_id}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert url in {d["url"] for d in json.load(r)["documents"]}
    finally:
        ctx.close()
